//! Kubernetes audit events: parsing what kube-apiserver sends (an `EventList`
//! from the webhook backend, single `Event`s, JSON lines from the log
//! backend; `audit.k8s.io/v1` and `v1beta1`).

use serde_json::value::RawValue;
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

/// Walks a payload, handing each audit event to `sink` as soon as it is
/// parsed, so that no more than one item's tree exists at a time.
struct Walk<F> {
    left_out: LeftOut,
    sink: F,
}

/// The top level of a document, its values left unparsed (slices of the
/// text): enough to find an `EventList`'s items without building them.
#[derive(serde::Deserialize)]
struct Top<'a> {
    #[serde(borrow)]
    kind: Option<&'a RawValue>,
    #[serde(borrow)]
    items: Option<&'a RawValue>,
}

/// An `EventList`'s `items`, visited one at a time.
struct Items<'w, F> {
    walk: &'w mut Walk<F>,
    at: &'w str,
}

impl<'de, F: FnMut(AuditEvent)> serde::de::Visitor<'de> for Items<'_, F> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of items")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0;
        while let Some(item) = seq.next_element::<&'de RawValue>()? {
            let at = format!("{}items[{i}]: ", self.at);
            // Valid JSON by now; an item can still be too deeply nested to
            // build, and then it alone is left out.
            match serde_json::from_str::<Value>(item.get()) {
                Ok(v) => self.walk.take(v, &at),
                Err(e) => self.walk.left_out.skip(format!("{at}{e}")),
            }
            i += 1;
        }
        Ok(())
    }
}

impl<F: FnMut(AuditEvent)> Walk<F> {
    /// One JSON document: an `EventList` is checked whole, then its items
    /// are built and handed on one at a time; anything else is built whole.
    fn document(&mut self, text: &str, at: &str) -> Result<(), serde_json::Error> {
        // A top level that is not an object, or repeats `kind` or `items`,
        // is built whole below; a syntax error is the document's.
        let top = match serde_json::from_str::<Top>(text) {
            Ok(top) => Some(top),
            Err(e) if e.is_data() => None,
            Err(e) => return Err(e),
        };
        let is_list =
            |top: &Top| top.kind.is_some_and(|k| serde_json::from_str::<&str>(k.get()).ok() == Some("EventList"));
        match top {
            Some(top) if is_list(&top) => {
                let Some(items) = top.items else { return Ok(()) };
                let mut items_de = serde_json::Deserializer::from_str(items.get());
                match serde::Deserializer::deserialize_seq(&mut items_de, Items { walk: self, at }) {
                    // `items` that is not an array holds nothing to evaluate.
                    Err(e) if !e.is_data() => Err(e),
                    _ => Ok(()),
                }
            }
            _ => {
                self.take(serde_json::from_str(text)?, at);
                Ok(())
            }
        }
    }

    fn take(&mut self, mut v: Value, at: &str) {
        if v.get("kind").and_then(Value::as_str) == Some("EventList") {
            if let Some(Value::Array(items)) = v.get_mut("items").map(Value::take) {
                for (i, item) in items.into_iter().enumerate() {
                    self.take(item, &format!("{at}items[{i}]: "));
                }
            }
            return;
        }
        match AuditEvent::from_value(v) {
            Ok(e) => (self.sink)(e),
            Err(reason) => self.left_out.skip(format!("{at}{reason}")),
        }
    }
}

/// Parses a body or file (see `parse_each`) and keeps its events.
pub fn parse(text: &str) -> Result<Parsed, String> {
    let mut events = Vec::new();
    let left_out = parse_each(text, |e| events.push(e))?;
    Ok(Parsed { events, left_out })
}

/// Parses a body or file and hands each audit event to `sink` as it is
/// parsed; returns what was left out. The text is one JSON document
/// (`Event` or `EventList`, compact or pretty-printed) or JSON lines. A body
/// that is not one document is read as JSON lines when at least half its
/// non-blank lines are JSON objects on their own: every valid line is then
/// evaluated and each broken one counted with its line number. Otherwise it
/// is one broken document, an error naming the line and column where it
/// breaks, and no event has reached `sink`.
///
/// An `EventList`'s items are built one at a time, each dropped once `sink`
/// has it: a body costs its own bytes and one item, not a tree of all.
pub fn parse_each(text: &str, sink: impl FnMut(AuditEvent)) -> Result<LeftOut, String> {
    let mut walk = Walk { left_out: LeftOut::default(), sink };
    let whole = match walk.document(text, "") {
        Ok(()) => return Ok(walk.left_out),
        Err(e) => e,
    };
    let lines = || text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let objects = lines().filter(|(_, l)| is_object(l)).count();
    if objects == 0 || objects * 2 < lines().count() {
        return Err(format!("invalid JSON: {whole}"));
    }
    for (i, line) in lines() {
        if let Err(e) = walk.document(line, &format!("line {}: ", i + 1)) {
            walk.left_out.broke(format!("line {}: invalid JSON: {e}", i + 1));
        }
    }
    Ok(walk.left_out)
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
    fn list_items_are_handed_on_one_at_a_time() {
        // `items` before `kind`, an item that is not an event, one nested
        // too deeply to build, and a nested list.
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        let list = format!(
            r#"{{"items":[{EV},{{"kind":"Pod"}},{deep},{{"kind":"EventList","items":[{EV}]}}],"kind":"EventList"}}"#
        );
        let mut seen = 0;
        let left_out = parse_each(&list, |_| seen += 1).unwrap();
        assert_eq!((seen, left_out.skipped), (2, 2), "{left_out:?}");
        assert!(left_out.reasons[1].starts_with("items[2]: recursion limit exceeded"), "{left_out:?}");
        // Items that are not an array hold nothing; a list that breaks at
        // its end hands on nothing at all.
        assert_eq!(parse_each(r#"{"kind":"EventList","items":{"a":1}}"#, |_| seen += 1).unwrap(), LeftOut::default());
        let broken = format!(r#"{{"kind":"EventList","items":[{EV},{EV}]"#);
        assert!(parse_each(&broken, |_| seen += 1).unwrap_err().contains("EOF while parsing"));
        assert_eq!(seen, 2);
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
