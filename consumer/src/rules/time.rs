//! Calendar formatting of ns timestamps (UTC), as Falco prints them.

/// (year, month, day) of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn parts(ts_ns: u64) -> (i64, u32, u32, u64, u64, u64, u64) {
    let secs = ts_ns / 1_000_000_000;
    let (y, mo, d) = civil((secs / 86_400) as i64);
    (y, mo, d, (secs / 3600) % 24, (secs / 60) % 60, secs % 60, ts_ns % 1_000_000_000)
}

/// `2026-11-28T08:49:00.123456789Z`: the `time` of a JSON alert.
pub fn rfc3339(ts_ns: u64) -> String {
    let (y, mo, d, h, mi, s, ns) = parts(ts_ns);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ns:09}Z")
}

/// `2026-11-28 08:49:00.123456789`: `evt.datetime`.
pub fn datetime(ts_ns: u64) -> String {
    let (y, mo, d, h, mi, s, ns) = parts(ts_ns);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}.{ns:09}")
}

/// Parses RFC 3339 (`2019-06-20T16:49:15.123456Z`, offsets allowed) into ns.
pub fn parse_rfc3339(s: &str) -> Option<u64> {
    let (date, rest) = s.split_once('T')?;
    let mut dp = date.split('-');
    let (y, mo, d): (i64, i64, i64) = (dp.next()?.parse().ok()?, dp.next()?.parse().ok()?, dp.next()?.parse().ok()?);
    let (time, offset_secs) = if let Some(t) = rest.strip_suffix('Z') {
        (t, 0)
    } else {
        let at = rest.rfind(['+', '-'])?;
        let (t, off) = rest.split_at(at);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let (oh, om) = off[1..].split_once(':')?;
        (t, sign * (oh.parse::<i64>().ok()? * 3600 + om.parse::<i64>().ok()? * 60))
    };
    let mut tp = time.split(':');
    let (h, mi): (i64, i64) = (tp.next()?.parse().ok()?, tp.next()?.parse().ok()?);
    let sec_text = tp.next()?;
    let (sec, frac) = sec_text.split_once('.').unwrap_or((sec_text, ""));
    let sec: i64 = sec.parse().ok()?;
    let frac_ns: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<9}")[..9].parse().ok()? };
    // Days from civil (inverse of `civil`).
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let total = (days * 86_400 + h * 3600 + mi * 60 + sec - offset_secs) * 1_000_000_000 + frac_ns;
    u64::try_from(total).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000000000Z");
        assert_eq!(rfc3339(1_795_855_123_890_435_302), "2026-11-28T08:38:43.890435302Z");
        assert_eq!(datetime(951_782_400_000_000_000), "2000-02-29 00:00:00.000000000");
        assert_eq!(parse_rfc3339("2026-11-28T08:38:43.890435302Z"), Some(1_795_855_123_890_435_302));
        assert_eq!(parse_rfc3339("2019-06-20T16:49:15.123456Z"), parse_rfc3339("2019-06-20T18:49:15.123456+02:00"));
        assert_eq!(parse_rfc3339("nope"), None);
    }
}
