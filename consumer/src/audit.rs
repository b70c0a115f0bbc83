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

/// What a payload held.
#[derive(Debug, Default)]
pub struct Parsed {
    pub events: Vec<AuditEvent>,
    /// Items that were valid JSON but not audit events, with the reason.
    pub skipped: Vec<String>,
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
            Err(reason) => self.skipped.push(format!("{at}{reason}")),
        }
    }
}

/// Parses a body or file: one JSON document (`Event` or `EventList`) or JSON
/// lines. Malformed JSON is an error naming the line and column.
pub fn parse(text: &str) -> Result<Parsed, String> {
    let mut parsed = Parsed::default();
    match serde_json::from_str::<Value>(text) {
        Ok(v) => parsed.take(v, ""),
        Err(whole) => {
            let mut any = false;
            for (i, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                any = true;
                match serde_json::from_str::<Value>(line) {
                    Ok(v) => parsed.take(v, &format!("line {}: ", i + 1)),
                    Err(e) => return Err(format!("line {}: invalid JSON: {e}", i + 1)),
                }
            }
            if !any {
                return Err(format!("invalid JSON: {whole}"));
            }
        }
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EV: &str = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"a","stage":"ResponseComplete","verb":"get","stageTimestamp":"2024-01-01T00:00:00.5Z"}"#;

    #[test]
    fn events_lists_and_lines() {
        assert_eq!(parse(EV).unwrap().events.len(), 1);
        let list = format!(r#"{{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{EV},{{"kind":"Pod"}}]}}"#);
        let p = parse(&list).unwrap();
        assert_eq!((p.events.len(), p.skipped.len()), (1, 1));
        assert!(p.skipped[0].starts_with("items[1]: not an audit event"), "{:?}", p.skipped);
        let lines = format!("{EV}\n\n{EV}\n");
        assert_eq!(parse(&lines).unwrap().events.len(), 2);
        assert_eq!(parse(EV).unwrap().events[0].ts_ns, 1_704_067_200_500_000_000);
    }

    #[test]
    fn malformed_json_names_the_line() {
        let err = parse(&format!("{EV}\n{{not json\n")).unwrap_err();
        assert!(err.starts_with("line 2: invalid JSON"), "{err}");
        assert!(parse("").is_err());
    }
}
