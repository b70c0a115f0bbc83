//! The rule engine: compiled rules indexed by event type, evaluated per event,
//! producing Falco-shaped alerts.

use serde::Serialize;

use super::compile::{Descriptor, FieldValues, Filter, Known, Memo, OpenMode, Outcome, Place, Program, Rule};
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

/// The rules some events can match, in definition order, and programs
/// evaluating them in that order: one per outcome (`Outcome::ALL` order),
/// open mode (`OpenMode::ALL` order), place (`Place::ALL` order) and
/// descriptor (`Descriptor::index` order), in that nesting. The modes,
/// places and descriptors are told apart only where some rule tests them,
/// and a program is compiled when an event first needs it: of the many
/// combinations, few occur.
struct Chain {
    /// `None` for the rules of any kind, whose programs fold nothing.
    kind: Option<Kind>,
    rules: Vec<usize>,
    programs: Vec<Option<Program>>,
    modes: usize,
    places: usize,
    descriptors: usize,
}

impl Chain {
    /// The chain of the rules at `rules` in `all`.
    fn new(rules: Vec<usize>, all: &[Rule], kind: Option<Kind>) -> Self {
        let tested = |test: fn(&Filter) -> bool, count: usize| {
            if kind.is_some() && rules.iter().any(|i| test(&all[*i].filter)) {
                count
            } else {
                1
            }
        };
        let modes = tested(Filter::tests_open_mode, OpenMode::ALL.len());
        let places = tested(Filter::tests_place, Place::ALL.len());
        let descriptors = tested(Filter::tests_descriptor_kind, Descriptor::COUNT);
        let programs =
            std::iter::repeat_with(|| None).take(Outcome::ALL.len() * modes * places * descriptors).collect();
        Self { kind, rules, programs, modes, places, descriptors }
    }

    /// The program for `ev`, and the rules whose filters it chains. What no
    /// rule tests is not asked of the event (the open mode parses flags,
    /// the place looks up the process, the descriptor the table).
    fn program<F: FieldValues>(&mut self, ev: &F, all: &[Rule]) -> (&Program, &[usize]) {
        let mut known = Known { outcome: ev.outcome(), ..Known::NOTHING };
        if self.modes > 1 {
            known.open_mode = ev.open_mode();
        }
        if self.places > 1 {
            known.place = ev.place();
        }
        if self.descriptors > 1 {
            known.descriptor = ev.descriptor();
        }
        let by_outcome = known.outcome as usize * self.modes + known.open_mode as usize;
        let index = (by_outcome * self.places + known.place as usize) * self.descriptors + known.descriptor.index();
        let program = self.programs[index].get_or_insert_with(|| {
            let filters: Vec<&Filter> = self.rules.iter().map(|i| &all[*i].filter).collect();
            match self.kind {
                Some(kind) => Program::for_kind(&filters, kind, known),
                None => Program::new(&filters),
            }
        });
        (program, &self.rules)
    }
}

/// The rules that can match each event kind, chained.
struct Candidates {
    /// Per `Kind::slot`: the rules of the kind and the any-kind rules, their
    /// filters as evaluated for that kind; `None` where only any-kind rules
    /// apply.
    by_kind: Vec<Option<Chain>>,
    /// Rules without an event-type restriction, checked for every event.
    any_kind: Chain,
}

impl Candidates {
    fn of(&self, kind: Option<Kind>) -> &Chain {
        kind.and_then(Kind::slot).and_then(|slot| self.by_kind[slot].as_ref()).unwrap_or(&self.any_kind)
    }

    fn of_mut(&mut self, kind: Option<Kind>) -> &mut Chain {
        match kind.and_then(Kind::slot).and_then(|slot| self.by_kind[slot].as_mut()) {
            Some(chain) => chain,
            None => &mut self.any_kind,
        }
    }
}

pub struct Engine {
    rules: Vec<Rule>,
    candidates: Candidates,
    /// The kinds whose enter events some rule asks for (`evt.dir = >`).
    enter_kinds: KindSet,
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
        let any_kind: Vec<usize> = (0..rules.len()).filter(|i| rules[*i].event_types.is_none()).collect();
        let by_kind = (0..Kind::SLOTS)
            .map(|slot| {
                let kind = Kind::of_slot(slot);
                let takes = |r: &Rule| r.event_types.as_ref().is_none_or(|kinds| kinds.contains(&kind));
                let chained: Vec<usize> = (0..rules.len()).filter(|i| takes(&rules[*i])).collect();
                if chained.len() == any_kind.len() {
                    return None;
                }
                Some(Chain::new(chained, &rules, Some(kind)))
            })
            .collect();
        let any_kind = Chain::new(any_kind, &rules, None);
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
        let mut enter_kinds = KindSet::default();
        for r in &rules {
            for &kind in r.event_types.iter().flatten().filter(|k| r.filter.asks_for_enter(**k)) {
                enter_kinds.insert(kind);
            }
        }
        Self { rules, candidates: Candidates { by_kind, any_kind }, enter_kinds, matching, alert_counters, memo }
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
        if !self.candidates.any_kind.rules.is_empty() {
            return None;
        }
        let kinds: KindSet = self.rules.iter().flat_map(|r| r.event_types.iter().flatten().copied()).collect();
        Some(kinds.iter().collect())
    }

    /// The kinds whose enter events some rule asks for; the rules see the
    /// exit events of every other kind only.
    pub fn enter_kinds(&self) -> &KindSet {
        &self.enter_kinds
    }

    /// Whether some rule can match an event of `kind` (callers skip
    /// preparing the others).
    pub fn may_match(&self, kind: Kind) -> bool {
        !self.candidates.of(Some(kind)).rules.is_empty()
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
        let (program, chained) = self.candidates.of_mut(kind).program(ev, &self.rules);
        let mut from = 0;
        while let Some(k) = program.first_match(from, ev, &mut self.memo) {
            let i = chained[k];
            let rule = &self.rules[i];
            self.alert_counters[i].inc();
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
            from = k + 1;
        }
    }
}
