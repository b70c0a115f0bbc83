//! The rule engine: compiled rules indexed by event type, evaluated per event,
//! producing Falco-shaped alerts.

use serde::Serialize;

use super::compile::{FieldValues, Memo, Program, Rule};
use super::fields::Source;
use super::loader::Priority;
use crate::event::{Kind, KindSet};

/// Falco's `rule_matching`: stop at the first matching rule, or alert for all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Matching {
    #[default]
    First,
    All,
}

/// Falco's JSON alert.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Alert {
    pub hostname: String,
    pub output: String,
    pub output_fields: serde_json::Map<String, serde_json::Value>,
    pub priority: Priority,
    pub rule: String,
    pub source: &'static str,
    pub tags: Vec<String>,
    pub time: String,
}

impl Serialize for Priority {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The rules that can match each event kind, each rule by its index with
/// its filter as evaluated for that kind.
struct Candidates {
    /// Per `Kind::slot`, in definition order, the any-kind rules merged in.
    by_kind: Vec<Vec<(usize, Program)>>,
    /// Rules without an event-type restriction, checked for every event.
    any_kind: Vec<(usize, Program)>,
}

impl Candidates {
    fn of(&self, kind: Option<Kind>) -> &[(usize, Program)] {
        match kind.and_then(Kind::slot) {
            Some(slot) => &self.by_kind[slot],
            None => &self.any_kind,
        }
    }
}

pub struct Engine {
    rules: Vec<Rule>,
    candidates: Candidates,
    matching: Matching,
    /// `osprey_alerts_total` per rule, looked up once.
    alert_counters: Vec<prometheus::IntCounter>,
    memo: Memo,
}

impl Engine {
    /// Keeps the enabled rules of `source` at or above `min_priority`.
    pub fn new(rules: Vec<Rule>, source: Source, matching: Matching, min_priority: Priority) -> Self {
        let rules: Vec<Rule> =
            rules.into_iter().filter(|r| r.enabled && r.source == source && r.priority <= min_priority).collect();
        let mut any_kind = Vec::new();
        let mut by_kind: Vec<Vec<(usize, Program)>> = vec![Vec::new(); Kind::SLOTS];
        for (i, r) in rules.iter().enumerate() {
            match &r.event_types {
                Some(kinds) => {
                    for kind in kinds {
                        if let Some(slot) = kind.slot() {
                            by_kind[slot].push((i, Program::for_kind(&r.filter, *kind)));
                        }
                    }
                }
                None => any_kind.push((i, Program::new(&r.filter))),
            }
        }
        // Each list in definition order, merged with the any-kind rules
        // (their programs shared, not specialised per kind).
        for list in &mut by_kind {
            list.extend(any_kind.iter().cloned());
            list.sort_unstable_by_key(|(i, _)| *i);
        }
        let alert_counters = rules
            .iter()
            .map(|r| {
                crate::metrics::METRICS.alerts.with_label_values(&[
                    r.name.as_str(),
                    r.priority.as_str(),
                    r.source.as_str(),
                ])
            })
            .collect();
        let memo = Memo::for_checks(rules.iter().map(|r| r.filter.check_count()).max().unwrap_or(0));
        Self { rules, candidates: Candidates { by_kind, any_kind }, matching, alert_counters, memo }
    }

    /// Whether a loaded rule reads or shows a field that `pred` picks.
    pub fn uses(&self, pred: &dyn Fn(&super::compile::Field) -> bool) -> bool {
        self.rules.iter().any(|r| r.filter.reads(pred) || r.output.shows(pred))
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The loaded rules for `/api/rules`, with their alert counters.
    pub fn rule_infos(&self) -> Vec<crate::server::RuleInfo> {
        self.rules
            .iter()
            .zip(&self.alert_counters)
            .map(|(r, c)| crate::server::RuleInfo {
                name: r.name.clone(),
                desc: r.desc.trim().to_string(),
                priority: r.priority.as_str(),
                source: r.source.as_str(),
                enabled: r.enabled,
                tags: r.tags.clone(),
                hits: Some(c.clone()),
            })
            .collect()
    }

    /// The event kinds some rule can match; `None` when a rule takes any.
    pub fn kinds(&self) -> Option<Vec<Kind>> {
        if !self.candidates.any_kind.is_empty() {
            return None;
        }
        let kinds: KindSet = self.rules.iter().flat_map(|r| r.event_types.iter().flatten().copied()).collect();
        Some(kinds.iter().collect())
    }

    /// Whether some rule can match an event of `kind` (callers skip
    /// preparing the others).
    pub fn may_match(&self, kind: Kind) -> bool {
        !self.candidates.of(Some(kind)).is_empty()
    }

    /// Evaluates the rules that can match `kind`; calls `on_alert` per match.
    pub fn evaluate<F: FieldValues>(
        &mut self,
        kind: Option<Kind>,
        ev: &F,
        ts_ns: u64,
        hostname: &str,
        mut on_alert: impl FnMut(Alert),
    ) {
        self.memo.clear();
        for (i, program) in self.candidates.of(kind) {
            if program.eval(ev, &mut self.memo) {
                let rule = &self.rules[*i];
                self.alert_counters[*i].inc();
                on_alert(Alert {
                    hostname: hostname.to_string(),
                    output: format!(
                        "{}: {} {}",
                        crate::decode::render::time_of_day(ts_ns),
                        rule.priority.as_str(),
                        rule.output.render(ev)
                    ),
                    output_fields: rule.output.fields(ev),
                    priority: rule.priority,
                    rule: rule.name.clone(),
                    source: rule.source.as_str(),
                    tags: rule.tags.clone(),
                    time: super::time::rfc3339(ts_ns),
                });
                if self.matching == Matching::First {
                    break;
                }
            }
        }
    }
}
