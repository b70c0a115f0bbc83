//! Kubernetes audit events: parsing what kube-apiserver sends (an `EventList`
//! from the webhook backend, single `Event`s, JSON lines from the log
//! backend; `audit.k8s.io/v1` and `v1beta1`).

use serde_json::Value;

use crate::rules::time::parse_rfc3339;

/// One audit event and its time.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub json: Value,
    pub ts_ns: u64,
}

impl AuditEvent {
    /// Accepts an `Event` object; the reason otherwise.
    pub fn from_value(json: Value) -> Result<Self, String> {
        let kind = json.get("kind").and_then(Value::as_str);
        let api = json.get("apiVersion").and_then(Value::as_str);
        // Some producers drop apiVersion (or kind); an auditID and verb still say "audit event".
        let looks_like_event = json.get("auditID").is_some() && json.get("verb").is_some();
        let kind_ok = kind == Some("Event") || (kind.is_none() && looks_like_event);
        let api_ok = api.map_or(looks_like_event, |a| a.starts_with("audit.k8s.io/"));
        if !kind_ok || !api_ok {
            return Err(format!(
                "not an audit event (kind {:?}, apiVersion {:?})",
                kind.unwrap_or("none"),
                api.unwrap_or("none")
            ));
        }
        let ts_ns = ["stageTimestamp", "requestReceivedTimestamp", "timestamp"]
            .iter()
            .find_map(|k| json.get(*k).and_then(Value::as_str).and_then(parse_rfc3339))
            .ok_or("event has no parseable stageTimestamp/timestamp")?;
        Ok(Self { json, ts_ns })
    }
}

/// Reasons kept per payload; the counts say how many there were in all.
const REASONS_KEPT: usize = 5;

/// What a payload held.
#[derive(Debug, Default)]
pub struct Parsed {
    pub events: Vec<AuditEvent>,
    pub left_out: LeftOut,
}

/// What a payload held that was not evaluated. A body may hold hundreds of
/// thousands of such items, so it is said in counts and the first few
/// reasons: one reply and one log line, never one per item.
#[derive(Debug, Default, Clone, PartialEq, serde::Serialize)]
pub struct LeftOut {
    /// Items that were JSON but not audit events.
    pub skipped: usize,
    /// Lines of a JSON-lines body that were not JSON.
    pub broken: usize,
    /// The first reasons, each naming its line or item.
    pub reasons: Vec<String>,
}

impl LeftOut {
    pub fn is_empty(&self) -> bool {
        self.skipped == 0 && self.broken == 0
    }

    pub fn skip(&mut self, reason: String) {
        self.skipped += 1;
        self.keep(reason);
    }

    pub fn broke(&mut self, reason: String) {
        self.broken += 1;
        self.keep(reason);
    }

    fn keep(&mut self, reason: String) {
        if self.reasons.len() < REASONS_KEPT {
            self.reasons.push(reason);
        }
    }

    /// Adds another payload's counts (the file source sums a poll's lines).
    pub fn add(&mut self, other: LeftOut) {
        self.skipped += other.skipped;
        self.broken += other.broken;
        for reason in other.reasons {
            self.keep(reason);
        }
    }
}

impl std::fmt::Display for LeftOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} items skipped, {} lines broken", self.skipped, self.broken)?;
        if !self.reasons.is_empty() {
            let more = if self.skipped + self.broken > self.reasons.len() { "; …" } else { "" };
            write!(f, ": {}{more}", self.reasons.join("; "))?;
        }
        Ok(())
    }
}

impl Parsed {
    fn take(&mut self, v: Value, at: &str) {
        if v.get("kind").and_then(Value::as_str) == Some("EventList") {
            let items = v.get("items").and_then(Value::as_array).cloned().unwrap_or_default();
            for (i, item) in items.into_iter().enumerate() {
                self.take(item, &format!("{at}items[{i}]: "));
            }
            return;
        }
        match AuditEvent::from_value(v) {
            Ok(e) => self.events.push(e),
            Err(reason) => self.left_out.skip(format!("{at}{reason}")),
        }
    }
}

/// Parses a body or file: one JSON document (`Event` or `EventList`,
/// compact or pretty-printed) or JSON lines. A body that is not one document
/// is read as JSON lines when at least half its non-blank lines are JSON
/// objects on their own: every valid line is then evaluated and each broken
/// one counted with its line number. Otherwise it is one broken document,
/// an error naming the line and column where it breaks.
pub fn parse(text: &str) -> Result<Parsed, String> {
    let mut parsed = Parsed::default();
    let whole = match serde_json::from_str::<Value>(text) {
        Ok(v) => {
            parsed.take(v, "");
            return Ok(parsed);
        }
        Err(e) => e,
    };
    let lines = || text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let objects = lines().filter(|(_, l)| is_object(l)).count();
    if objects == 0 || objects * 2 < lines().count() {
        return Err(format!("invalid JSON: {whole}"));
    }
    for (i, line) in lines() {
        match serde_json::from_str::<Value>(line) {
            Ok(v) => parsed.take(v, &format!("line {}: ", i + 1)),
            Err(e) => parsed.left_out.broke(format!("line {}: invalid JSON: {e}", i + 1)),
        }
    }
    Ok(parsed)
}

/// Whether `line` alone is a JSON object, checked without building it.
fn is_object(line: &str) -> bool {
    line.trim_start().starts_with('{') && serde_json::from_str::<serde::de::IgnoredAny>(line).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const EV: &str = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"a","stage":"ResponseComplete","verb":"get","stageTimestamp":"2024-01-01T00:00:00.5Z"}"#;

    fn ev() -> Value {
        serde_json::from_str(EV).unwrap()
    }

    #[test]
    fn events_lists_and_lines() {
        assert_eq!(parse(EV).unwrap().events.len(), 1);
        let list = format!(r#"{{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{EV},{{"kind":"Pod"}}]}}"#);
        let p = parse(&list).unwrap();
        assert_eq!((p.events.len(), p.left_out.skipped), (1, 1));
        assert!(p.left_out.reasons[0].starts_with("items[1]: not an audit event"), "{:?}", p.left_out);
        let lines = format!("{EV}\n\n{EV}\n");
        assert_eq!(parse(&lines).unwrap().events.len(), 2);
        assert_eq!(parse(EV).unwrap().events[0].ts_ns, 1_704_067_200_500_000_000);
    }

    #[test]
    fn a_broken_line_does_not_lose_its_batch() {
        let p = parse(&format!("{EV}\n{{not json\n\n{EV}\n{EV}\n")).unwrap();
        assert_eq!((p.events.len(), p.left_out.broken, p.left_out.skipped), (3, 1, 0));
        assert!(p.left_out.reasons[0].starts_with("line 2: invalid JSON"), "{:?}", p.left_out);
        // The first line broken, and a truncated one: still lines.
        let cut = &EV[..EV.len() / 2];
        let p = parse(&format!("{cut}\n{EV}\n{cut}\n{EV}\n")).unwrap();
        assert_eq!((p.events.len(), p.left_out.broken), (2, 2));
        assert!(p.left_out.reasons[1].starts_with("line 3: "), "{:?}", p.left_out);
        assert!(parse("").is_err() && parse("{not json").is_err());
    }

    #[test]
    fn a_broken_pretty_document_is_reported_where_it_breaks() {
        let mut pretty =
            serde_json::to_string_pretty(&serde_json::json!({"kind": "EventList", "items": [ev(), ev()]})).unwrap();
        let at = pretty.lines().count() - 1;
        pretty.insert(pretty.rfind(']').unwrap(), '}');
        let err = parse(&pretty).unwrap_err();
        assert!(err.contains(&format!("at line {at} column")), "{err}");
        // Items on lines of their own (the last one alone is an object).
        let list = format!("{{\"kind\": \"EventList\",\n\"items\": [\n{EV},\n{EV}\n]\n");
        assert!(parse(&list).unwrap_err().contains("line 6"), "{}", parse(&list).unwrap_err());
    }

    #[test]
    fn what_is_left_out_is_summarized() {
        let body: String = (0..1000).map(|_| "{\"kind\":\"Pod\"}\nnot json\n").collect();
        let p = parse(&body).unwrap();
        assert_eq!((p.left_out.skipped, p.left_out.broken, p.left_out.reasons.len()), (1000, 1000, REASONS_KEPT));
        let line = p.left_out.to_string();
        assert!(line.starts_with("1000 items skipped, 1000 lines broken: line 1: not an audit event"), "{line}");
        assert!(line.ends_with("; …") && !line.contains('\n'), "{line}");
    }
}
