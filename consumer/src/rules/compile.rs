//! Compiling loaded rules: macros inlined, lists expanded into hash sets,
//! fields resolved against the catalogue, literals typed, regexes and globs
//! prepared once, exceptions folded in, and each rule's event types computed.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::condition::{self, Expr, FieldRef, ListItem, Op, Transformer, Value};
use super::fields::{self, ArgReq, FieldId, FieldInfo, FieldType, Source};
use super::loader::{ExceptionValue, Position, Priority, RuleDef, RuleSet, Severity};
use super::output::OutputFormat;
use super::value::{glob_match, Needle, PathPrefixes, TextSet, Val};
use crate::event::{Kind, KindSet, Name};
use crate::state::FdKind;

/// A resolved field reference.
#[derive(Debug, Clone)]
pub struct Field {
    pub info: &'static FieldInfo,
    pub arg: Option<String>,
    /// `arg` as a number, for indexed fields (`proc.aname[2]`, `evt.arg[0]`).
    pub index: Option<usize>,
    /// `evt.arg.NAME`'s parameter, looked up once rather than per event.
    pub param: Option<Name>,
    pub transformers: Vec<Transformer>,
}

impl Field {
    pub fn new(info: &'static FieldInfo, arg: Option<String>, transformers: Vec<Transformer>) -> Self {
        let index = arg.as_deref().and_then(|a| a.parse().ok());
        let names_param = matches!(info.id, FieldId::EvtArg | FieldId::EvtRawarg) && index.is_none();
        let param = arg.as_deref().filter(|_| names_param).and_then(Name::parse);
        Self { info, arg, index, param, transformers }
    }

    /// The type after transformers (`len` makes a number).
    pub fn ty(&self) -> FieldType {
        if self.transformers.contains(&Transformer::Len) {
            FieldType::Int
        } else {
            self.info.ty
        }
    }
}

/// The right side of a check, prepared for its operator and the field's type.
#[derive(Debug, Clone)]
pub enum Rhs {
    None,
    Text(String),
    Int(i64),
    Bool(bool),
    Net(ipnet::IpNet),
    Set(Arc<TextSet>),
    /// `evt.type` names resolved to event kinds (compared without strings).
    Kinds(Arc<KindSet>),
    NetSet(Arc<Vec<ipnet::IpNet>>),
    /// Directories for `pmatch`.
    Prefixes(Arc<PathPrefixes>),
    Regex(Arc<regex::Regex>),
    /// The operand of `contains` and `icontains` (lowercased for `icontains`).
    Needle(Arc<Needle>),
    Bytes(Vec<u8>),
    Field(Field),
}

#[derive(Debug, Clone)]
pub struct Check {
    /// Equal checks share an id across all rules, so that one evaluated for
    /// an event is not evaluated again (inlined macros repeat them).
    pub id: usize,
    pub field: Field,
    pub op: Op,
    pub rhs: Rhs,
}

#[derive(Debug, Clone)]
pub enum Filter {
    All(Vec<Filter>),
    Any(Vec<Filter>),
    Not(Box<Filter>),
    Check(Arc<Check>),
}

/// What a filter needs from an event.
pub trait FieldValues {
    fn value(&self, field: &Field) -> Val<'_>;

    /// The event's kind, for `evt.type` checks without string compares.
    fn kind(&self) -> Option<Kind> {
        None
    }

    /// Whether the event is a syscall exit that succeeded or failed.
    fn outcome(&self) -> Outcome {
        Outcome::Unknown
    }

    /// The access mode of an open-family event.
    fn open_mode(&self) -> OpenMode {
        OpenMode::Unknown
    }

    /// Whether the process runs on the host or in a container.
    fn place(&self) -> Place {
        Place::Unknown
    }

    /// What the descriptor the event is about is.
    fn descriptor(&self) -> Descriptor {
        Descriptor::Unknown
    }
}

/// What a syscall exit's return value says, as far as checks on the result
/// (`evt.res`, `evt.failed`, a returned `fd.num`) can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// No return value: not a syscall exit, or one from a capture that
    /// omits it.
    Unknown,
    /// Zero or more.
    Succeeded,
    /// Negative: an errno.
    Failed,
}

impl Outcome {
    pub const ALL: [Outcome; 3] = [Outcome::Unknown, Outcome::Succeeded, Outcome::Failed];

    pub fn of(res: Option<i64>) -> Self {
        match res {
            None => Outcome::Unknown,
            Some(r) if r < 0 => Outcome::Failed,
            Some(_) => Outcome::Succeeded,
        }
    }
}

/// The access mode an open-family syscall asked for (`flags & O_ACCMODE`),
/// which `evt.is_open_read` and `evt.is_open_write` test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// Not an open, or its flags are unknown.
    Unknown,
    ReadOnly,
    WriteOnly,
    /// O_RDWR, and the access mode 3 (which Falco spells O_RDWR too).
    ReadWrite,
}

impl OpenMode {
    /// In discriminant order.
    pub const ALL: [OpenMode; 4] = [OpenMode::Unknown, OpenMode::ReadOnly, OpenMode::WriteOnly, OpenMode::ReadWrite];

    /// The mode of an open's flags.
    pub fn of_flags(flags: u64) -> Self {
        match flags & 3 {
            0 => OpenMode::ReadOnly,
            1 => OpenMode::WriteOnly,
            _ => OpenMode::ReadWrite,
        }
    }

    /// `evt.is_open_read`.
    pub fn reads(self) -> bool {
        matches!(self, OpenMode::ReadOnly | OpenMode::ReadWrite)
    }

    /// `evt.is_open_write`.
    pub fn writes(self) -> bool {
        matches!(self, OpenMode::WriteOnly | OpenMode::ReadWrite)
    }
}

/// Where the process of an event runs, as `container.id` tells: `host`,
/// or a container's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Unknown,
    Host,
    Container,
}

impl Place {
    /// In discriminant order.
    pub const ALL: [Place; 3] = [Place::Unknown, Place::Host, Place::Container];
}

/// What an event tells before any of its checks is evaluated. A program
/// is compiled for one such combination, the checks it decides folded in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Known {
    pub outcome: Outcome,
    pub open_mode: OpenMode,
    pub place: Place,
    pub descriptor: Descriptor,
}

impl Known {
    pub const NOTHING: Known = Known {
        outcome: Outcome::Unknown,
        open_mode: OpenMode::Unknown,
        place: Place::Unknown,
        descriptor: Descriptor::Unknown,
    };
}

/// What the descriptor an event is about is in the descriptor table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Descriptor {
    /// Not known.
    Unknown,
    /// Not in the table (or the event is about none): every field read
    /// from the table has no value.
    Missing,
    /// In the table, of this kind.
    Of(FdKind),
}

impl Descriptor {
    /// How many there are: `index` is below it.
    pub const COUNT: usize = 2 + FdKind::Other as usize + 1;

    pub fn index(self) -> usize {
        match self {
            Descriptor::Unknown => 0,
            Descriptor::Missing => 1,
            Descriptor::Of(kind) => 2 + kind as usize,
        }
    }
}

/// The results of the checks already evaluated for the current event: per
/// check id, the event generation it was evaluated in and the result (so
/// that forgetting them all is one increment, not a sweep).
#[derive(Debug, Clone, Default)]
pub struct Memo {
    /// `generation << 1 | result`; generation 0 is never current.
    marks: Vec<u32>,
    generation: u32,
}

impl Memo {
    pub fn for_checks(count: usize) -> Self {
        Self { marks: vec![0; count], generation: 1 }
    }

    /// Forgets every result: call before each event.
    pub fn clear(&mut self) {
        self.generation += 1;
        if self.generation == u32::MAX >> 1 {
            self.marks.fill(0);
            self.generation = 1;
        }
    }

    fn get(&self, id: usize) -> Option<bool> {
        let mark = *self.marks.get(id)?;
        (mark >> 1 == self.generation).then_some(mark & 1 != 0)
    }

    fn set(&mut self, id: usize, result: bool) {
        if let Some(mark) = self.marks.get_mut(id) {
            *mark = self.generation << 1 | result as u32;
        }
    }
}

/// Where evaluation goes after a check: the index of the next step, or
/// past every index a verdict: `MATCHED + k` (the program's `k`th filter
/// holds) or `NO_MATCH`.
type Next = u32;
const MATCHED: Next = u32::MAX / 2;
const NO_MATCH: Next = u32::MAX;
/// The `Step::id` of a check that no other step of its program evaluates:
/// past the end of every memo, which `Memo::get` and `Memo::set` ignore.
/// One evaluation reaches such a step at most once, so remembering its
/// result would cost a load and a store for nothing.
const UNSHARED: u32 = u32::MAX;

#[derive(Debug, Clone)]
struct Step {
    /// `check.id`, kept beside the targets: a memoised check needs nothing
    /// more.
    id: u32,
    on_true: Next,
    on_false: Next,
    check: Arc<Check>,
}

/// Filters flattened into their checks, each naming where to go when it
/// holds and when it does not: evaluation is a loop over checks. Walking
/// the tree recursively cost more than the checks themselves, Falco's
/// macros nesting `and`/`or`/`not` many levels deep. A program chains
/// several filters (the rules an event type can match, in order): where one
/// does not hold, the next one's first check follows, so that one loop
/// evaluates them all.
#[derive(Debug, Clone)]
pub struct Program {
    steps: Box<[Step]>,
    /// Per filter, its first step (or its verdict, when known without one).
    entries: Box<[Next]>,
}

impl Program {
    pub fn new(filters: &[&Filter]) -> Self {
        Self::emitting(filters, &|_| None)
    }

    /// The program for events of `kind` of which `known` holds only: the
    /// checks the kind decides (`evt.type`), those the outcome decides
    /// (`evt.failed`, `evt.res`, `fd.num>=0` on an open), those the open
    /// mode decides (`evt.is_open_read`), those the place decides
    /// (`container.id != host`) and those the descriptor decides
    /// (`fd.typechar='f'`) are folded in, so that evaluation never reaches
    /// them. Most rules open with such checks, repeated by every rule of
    /// the event type (Falco's `open_read` and `open_write` macros ask
    /// `fd.num>=0`, the mode and the descriptor's type, its `container`
    /// macro the place); the memo made each repeat cheap, but not free.
    pub fn for_kind(filters: &[&Filter], kind: Kind, known: Known) -> Self {
        let assumed = Assumed { known, ..Assumed::kind(kind) };
        Self::emitting(filters, &|check| check.decide(&assumed))
    }

    /// Emits the filters from the last: each continues with the next one's
    /// entry where it does not hold.
    fn emitting(filters: &[&Filter], known: &dyn Fn(&Check) -> Option<bool>) -> Self {
        let mut steps = Vec::new();
        let mut entries = vec![NO_MATCH; filters.len()];
        let mut next = NO_MATCH;
        for (k, filter) in filters.iter().enumerate().rev() {
            next = Self::emit(filter, MATCHED + k as Next, next, known, &mut steps);
            entries[k] = next;
        }
        let mut uses: HashMap<u32, usize> = HashMap::new();
        for step in &steps {
            *uses.entry(step.id).or_default() += 1;
        }
        for step in &mut steps {
            if uses[&step.id] == 1 {
                step.id = UNSHARED;
            }
        }
        Self { steps: steps.into(), entries: entries.into() }
    }

    /// Emits `filter` so that it continues at `on_true` or `on_false`;
    /// returns its first step. Later operands are emitted first, so every
    /// target exists when a step names it. A check whose result is `known`
    /// is no step: whatever leads to it goes straight on (operands after a
    /// known-false `and` operand, or a known-true `or` one, stay emitted but
    /// unreachable).
    fn emit(
        filter: &Filter,
        on_true: Next,
        on_false: Next,
        known: &dyn Fn(&Check) -> Option<bool>,
        steps: &mut Vec<Step>,
    ) -> Next {
        match filter {
            Filter::Check(check) => match known(check) {
                Some(true) => on_true,
                Some(false) => on_false,
                None => {
                    steps.push(Step { id: check.id as u32, on_true, on_false, check: check.clone() });
                    steps.len() as Next - 1
                }
            },
            Filter::Not(f) => Self::emit(f, on_false, on_true, known, steps),
            Filter::All(fs) => fs.iter().rev().fold(on_true, |next, f| Self::emit(f, next, on_false, known, steps)),
            Filter::Any(fs) => fs.iter().rev().fold(on_false, |next, f| Self::emit(f, on_true, next, known, steps)),
        }
    }

    /// The position of the first filter, from the `from`th on, that holds
    /// for `ev`. Generic over the field source rather than `dyn`: each
    /// source's evaluation loop is compiled with its comparisons inlined.
    pub fn first_match<F: FieldValues + ?Sized>(&self, from: usize, ev: &F, memo: &mut Memo) -> Option<usize> {
        let mut next = *self.entries.get(from)?;
        while let Some(step) = self.steps.get(next as usize) {
            let holds = memo.get(step.id as usize).unwrap_or_else(|| {
                let holds = step.check.eval(ev);
                memo.set(step.id as usize, holds);
                holds
            });
            next = if holds { step.on_true } else { step.on_false };
        }
        (next != NO_MATCH).then(|| (next - MATCHED) as usize)
    }
}

impl Filter {
    /// Whether some check is one that `pred` picks.
    fn has_check(&self, pred: &dyn Fn(&Check) -> bool) -> bool {
        match self {
            Filter::All(fs) | Filter::Any(fs) => fs.iter().any(|f| f.has_check(pred)),
            Filter::Not(f) => f.has_check(pred),
            Filter::Check(c) => pred(c),
        }
    }

    /// Whether some check reads a field that `pred` picks.
    pub fn reads(&self, pred: &dyn Fn(&Field) -> bool) -> bool {
        self.has_check(&|c| pred(&c.field) || matches!(&c.rhs, Rhs::Field(other) if pred(other)))
    }

    /// Whether some check is decided by an open's mode: one known mode
    /// decides the same checks as any other (`Check::on_open_mode`).
    pub fn tests_open_mode(&self) -> bool {
        self.has_check(&|c| c.on_open_mode(OpenMode::ReadOnly).is_some())
    }

    /// Whether some check is one that the place decides.
    pub fn tests_place(&self) -> bool {
        self.has_check(&|c| c.on_place(Place::Host).is_some())
    }

    /// Whether some check is one that the kind of descriptor decides
    /// (`fd.typechar`, `fd.type`), not only its absence. Asked of a pipe:
    /// of a pipe's fields, the kind decides those two only.
    pub fn tests_descriptor_kind(&self) -> bool {
        self.has_check(&|c| c.on_descriptor(Descriptor::Of(FdKind::Pipe)).is_some())
    }

    /// Whether an event of `kind` could match, knowing nothing else about
    /// it; `false` only when none can (the kind is then dropped from the
    /// rule's event types and, if no other rule or the state needs it, from
    /// the kernel's interest set).
    pub fn can_match(&self, kind: Kind) -> bool {
        self.can_match_assuming(Assumed::kind(kind))
    }

    /// Whether a failed exit (negative return value) of `kind` could match;
    /// `false` only when no such event can, whatever its other fields. The
    /// kernel drops those failures (an in-kernel predicate).
    pub fn can_match_failed(&self, kind: Kind) -> bool {
        let known = Known { outcome: Outcome::Failed, ..Known::NOTHING };
        self.can_match_assuming(Assumed { known, ..Assumed::kind(kind) })
    }

    /// Whether an event of `kind` could match when its descriptor is
    /// `descriptor`; `false` only when none can. The kernel's open filter
    /// relies on it: opens it drops leave no entry in the descriptor table
    /// where one for a regular file would have been.
    pub fn can_match_with_descriptor(&self, kind: Kind, descriptor: Descriptor) -> bool {
        let known = Known { descriptor, ..Known::NOTHING };
        self.can_match_assuming(Assumed { known, ..Assumed::kind(kind) })
    }

    /// Whether an event of `kind` by a host process (`container.id` is
    /// `host`) could match; `false` only when none can. The kernel's
    /// container filter relies on it.
    pub fn can_match_on_host(&self, kind: Kind) -> bool {
        let host = Known { place: Place::Host, ..Known::NOTHING };
        self.decide(&Assumed { known: host, ..Assumed::kind(kind) }) != Some(false)
    }

    /// Whether only the enter event of `kind` can match: the condition asks
    /// for `evt.dir = >`, as rules written for Falco's drivers before 0.41
    /// (which recorded enters) do.
    pub fn asks_for_enter(&self, kind: Kind) -> bool {
        let at = |dir| Assumed { field: Some((FieldId::EvtDir, Case::Is(dir))), ..Assumed::kind(kind) };
        self.decide(&at("<")) == Some(false) && self.decide(&at(">")) != Some(false)
    }

    /// This filter on an event of `kind`, when the kind alone decides it.
    pub fn decided_by_kind(&self, kind: Kind) -> Option<bool> {
        self.decide(&Assumed::kind(kind))
    }

    /// Three-valued evaluation: checks decided by the kind (and the failure)
    /// are true or false, every other check is unknown. When that leaves the
    /// answer unknown, the cases of one single-valued text field at a time
    /// are tried (each value the filter compares it with, any other value,
    /// no value): if every case is false, so is every event. This finds
    /// what a rule's macros contradict, e.g. a `sendto` branch that needs
    /// `fd.l4proto != tcp` in a rule that asks for `fd.l4proto=tcp`.
    fn can_match_assuming(&self, base: Assumed<'_>) -> bool {
        if let Some(known) = self.decide(&base) {
            return known;
        }
        let mut values: HashMap<FieldId, HashSet<&str>> = HashMap::new();
        self.compared_texts(&mut values);
        !values.iter().filter(|(_, v)| v.len() <= MAX_CASES).any(|(&id, compared)| {
            let cases = compared.iter().map(|v| Case::Is(v)).chain([Case::Other, Case::Missing]);
            cases.into_iter().all(|case| self.decide(&Assumed { field: Some((id, case)), ..base }) == Some(false))
        })
    }

    fn decide(&self, a: &Assumed<'_>) -> Option<bool> {
        match self {
            Filter::All(fs) => Self::decide_each(fs, a, false),
            Filter::Any(fs) => Self::decide_each(fs, a, true),
            Filter::Not(f) => f.decide(a).map(|b| !b),
            Filter::Check(c) => c.decide(a),
        }
    }

    /// Three-valued `all` (`decisive` false) or `any` (`decisive` true).
    fn decide_each(fs: &[Filter], a: &Assumed<'_>, decisive: bool) -> Option<bool> {
        let mut known = true;
        for f in fs {
            match f.decide(a) {
                Some(v) if v == decisive => return Some(decisive),
                Some(_) => {}
                None => known = false,
            }
        }
        known.then_some(!decisive)
    }

    /// The texts each single-valued text field is compared with.
    fn compared_texts<'a>(&'a self, out: &mut HashMap<FieldId, HashSet<&'a str>>) {
        match self {
            Filter::All(fs) | Filter::Any(fs) => fs.iter().for_each(|f| f.compared_texts(out)),
            Filter::Not(f) => f.compared_texts(out),
            Filter::Check(c) if c.field.single_text() => match (&c.op, &c.rhs) {
                (Op::Eq | Op::Ne, Rhs::Text(t)) => {
                    out.entry(c.field.info.id).or_default().insert(t);
                }
                (Op::In | Op::Intersects, Rhs::Set(set)) => {
                    out.entry(c.field.info.id).or_default().extend(set.iter().map(String::as_str));
                }
                _ => {}
            },
            Filter::Check(_) => {}
        }
    }

    /// One past the highest check id in the filter (the size of its memo).
    pub fn check_count(&self) -> usize {
        match self {
            Filter::All(fs) | Filter::Any(fs) => fs.iter().map(Filter::check_count).max().unwrap_or(0),
            Filter::Not(f) => f.check_count(),
            Filter::Check(c) => c.id + 1,
        }
    }

    /// The event types this filter can match; `None` for any.
    pub fn event_types(&self) -> Option<HashSet<Kind>> {
        match self {
            Filter::All(fs) => {
                fs.iter().filter_map(Filter::event_types).reduce(|a, b| a.intersection(&b).copied().collect())
            }
            Filter::Any(fs) => {
                let mut out = HashSet::new();
                for f in fs {
                    out.extend(f.event_types()?);
                }
                Some(out)
            }
            Filter::Not(_) => None,
            Filter::Check(c) => match (&c.op, &c.rhs) {
                (Op::Eq | Op::In, Rhs::Kinds(kinds)) => Some(kinds.iter().collect()),
                _ => None,
            },
        }
    }
}

/// The event kind for an `evt.type` name, if Osprey produces it.
pub fn kind_of(name: &str) -> Option<Kind> {
    match name {
        "procexit" => Some(Kind::ProcExit),
        n => crate::decode::render::syscall_number(n).map(Kind::Syscall),
    }
}

/// Splitting on a field's cases stops past this many compared values: the
/// cost of loading grows with it, and long lists are rarely contradicted.
const MAX_CASES: usize = 16;

/// What is assumed of every event when deciding a filter without one.
#[derive(Clone, Copy)]
struct Assumed<'a> {
    kind: Kind,
    known: Known,
    /// One single-valued text field's case.
    field: Option<(FieldId, Case<'a>)>,
}

impl Assumed<'_> {
    fn kind(kind: Kind) -> Self {
        Self { kind, known: Known::NOTHING, field: None }
    }
}

#[derive(Clone, Copy)]
enum Case<'a> {
    Is(&'a str),
    /// A value, but none of those the filter compares the field with.
    Other,
    /// A value, but not this one.
    Not(&'a str),
    /// The field has no value.
    Missing,
}

impl Field {
    /// The field has at most one text value per event, so its cases split
    /// every event into disjoint sets.
    fn single_text(&self) -> bool {
        self.info.ty == FieldType::Str && self.info.arg == ArgReq::None && self.transformers.is_empty()
    }
}

impl Check {
    /// This check under an assumption, if the assumption decides it.
    fn decide(&self, a: &Assumed<'_>) -> Option<bool> {
        if let Rhs::Kinds(kinds) = &self.rhs {
            let hit = kinds.contains(a.kind);
            return Some(if self.op == Op::Ne { !hit } else { hit });
        }
        let by_outcome = match a.known.outcome {
            Outcome::Unknown => None,
            Outcome::Succeeded => self.on_success(a.kind),
            Outcome::Failed => self.on_failure(a.kind),
        };
        if by_outcome.is_some() {
            return by_outcome;
        }
        if let Some(known) = self.on_open_mode(a.known.open_mode) {
            return Some(known);
        }
        if let Some(known) = self.on_place(a.known.place) {
            return Some(known);
        }
        if let Some(known) = self.on_descriptor(a.known.descriptor) {
            return Some(known);
        }
        let (id, case) = a.field?;
        self.on_case(id, case)
    }

    /// This check when the single-valued text field `id` is in `case`, if
    /// that decides it.
    fn on_case(&self, id: FieldId, case: Case<'_>) -> Option<bool> {
        if id != self.field.info.id || !self.field.single_text() || matches!(self.rhs, Rhs::Field(_)) {
            return None;
        }
        match (case, self.op, &self.rhs) {
            // A missing value matches nothing, not even `!=` (as `eval`).
            (Case::Missing, _, _) => Some(false),
            (_, Op::Exists, _) => Some(true),
            (Case::Is(v), op, rhs) => Some(Val::str(v).matches(op, rhs)),
            (Case::Other, Op::Eq, Rhs::Text(_)) => Some(false),
            (Case::Other, Op::Ne, Rhs::Text(_)) => Some(true),
            (Case::Other, Op::In | Op::Intersects, Rhs::Set(_)) => Some(false),
            (Case::Not(v), Op::Eq, Rhs::Text(t)) if t == v => Some(false),
            (Case::Not(v), Op::Ne, Rhs::Text(t)) if t == v => Some(true),
            (Case::Other | Case::Not(_), _, _) => None,
        }
    }

    /// This check on an event of a process in `place`, if the place decides
    /// it (as `SyscallFields` computes `container.id`: `host`, or an id).
    fn on_place(&self, place: Place) -> Option<bool> {
        match place {
            Place::Unknown => None,
            Place::Host => self.on_case(FieldId::ContainerId, Case::Is("host")),
            Place::Container => self.on_case(FieldId::ContainerId, Case::Not("host")),
        }
    }

    /// This check when the event's descriptor is `descriptor`, if that
    /// decides it (as `SyscallFields` computes the descriptor's fields).
    fn on_descriptor(&self, descriptor: Descriptor) -> Option<bool> {
        use FieldId as F;
        let id = self.field.info.id;
        // fd.types reads every descriptor of the process, not this one.
        let about_this_one = id.reads_descriptor_table() && id != F::FdTypes;
        if !about_this_one || !self.field.transformers.is_empty() || matches!(self.rhs, Rhs::Field(_)) {
            return None;
        }
        let value = match (descriptor, id) {
            (Descriptor::Unknown, _) => return None,
            (Descriptor::Missing, _) => Val::None,
            (Descriptor::Of(kind), F::FdType) => Val::str(kind.name()),
            (Descriptor::Of(kind), F::FdTypechar) => Val::str(kind.typechar()),
            // Opened by path: no socket.
            (Descriptor::Of(FdKind::File | FdKind::Directory), F::FdIsServer | F::FdConnected) => Val::Bool(false),
            (Descriptor::Of(FdKind::File | FdKind::Directory), id) if id.socket_only() => Val::None,
            (Descriptor::Of(_), _) => return None,
        };
        Some(match (self.op, value.is_none()) {
            (Op::Exists, missing) => !missing,
            // A missing value matches nothing, not even `!=` (as `eval`).
            (_, true) => false,
            (op, false) => value.matches(op, &self.rhs),
        })
    }

    /// This check on an open in `mode`, if the mode decides it (as
    /// `SyscallFields` computes `evt.is_open_read` and `evt.is_open_write`).
    fn on_open_mode(&self, mode: OpenMode) -> Option<bool> {
        if mode == OpenMode::Unknown || !self.field.transformers.is_empty() || matches!(self.rhs, Rhs::Field(_)) {
            return None;
        }
        let value = match self.field.info.id {
            FieldId::EvtIsOpenRead => mode.reads(),
            FieldId::EvtIsOpenWrite => mode.writes(),
            _ => return None,
        };
        Some(self.op == Op::Exists || Val::Bool(value).matches(self.op, &self.rhs))
    }

    /// This check on a successful exit of `kind`, if the success decides
    /// it: `evt.res` is `SUCCESS`, `evt.failed` false, and `evt.rawres` (and
    /// `fd.num` where the syscall returns the descriptor) some number >= 0.
    fn on_success(&self, kind: Kind) -> Option<bool> {
        let Kind::Syscall(nr) = kind else { return None };
        if !self.field.transformers.is_empty() || matches!(self.rhs, Rhs::Field(_)) {
            return None;
        }
        let non_negative = || match (self.op, &self.rhs) {
            (Op::Exists, _) => Some(true),
            (Op::Ge, Rhs::Int(n)) if *n <= 0 => Some(true),
            (Op::Gt, Rhs::Int(n)) if *n < 0 => Some(true),
            (Op::Lt, Rhs::Int(n)) if *n <= 0 => Some(false),
            (Op::Le | Op::Eq, Rhs::Int(n)) if *n < 0 => Some(false),
            (Op::Ne, Rhs::Int(n)) if *n < 0 => Some(true),
            _ => None,
        };
        match self.field.info.id {
            FieldId::EvtRes => Some(self.op == Op::Exists || Val::str("SUCCESS").matches(self.op, &self.rhs)),
            FieldId::EvtFailed => match (self.op, &self.rhs) {
                (Op::Eq, Rhs::Bool(b)) => Some(!*b),
                (Op::Ne, Rhs::Bool(b)) => Some(*b),
                _ => None,
            },
            FieldId::EvtRawres => non_negative(),
            FieldId::FdNum if crate::decode::render::fd_is_return(nr) => non_negative(),
            _ => None,
        }
    }

    /// This check on a failed exit of `kind`, if the failure decides it.
    fn on_failure(&self, kind: Kind) -> Option<bool> {
        let Kind::Syscall(nr) = kind else { return None };
        if !self.field.transformers.is_empty() {
            return None;
        }
        let non_negative = |n: &i64| *n >= 0;
        match (self.field.info.id, self.op, &self.rhs) {
            // evt.res is the errno name on failure, never SUCCESS.
            (FieldId::EvtRes, Op::Eq, Rhs::Text(t)) if t == "SUCCESS" => Some(false),
            (FieldId::EvtRes, Op::Ne, Rhs::Text(t)) if t == "SUCCESS" => Some(true),
            // evt.rawres is negative.
            (FieldId::EvtRawres, Op::Ge | Op::Gt | Op::Eq, Rhs::Int(n)) if non_negative(n) => Some(false),
            (FieldId::EvtRawres, Op::Ne, Rhs::Int(n)) if non_negative(n) => Some(true),
            (FieldId::EvtRawres, Op::Lt, Rhs::Int(n)) if *n <= 0 => Some(true),
            (FieldId::EvtRawres, Op::In, Rhs::Set(set))
                if set.iter().all(|v| v.parse().is_ok_and(|n| non_negative(&n))) =>
            {
                Some(false)
            }
            (FieldId::EvtFailed, Op::Eq, Rhs::Bool(b)) => Some(*b),
            (FieldId::EvtFailed, Op::Ne, Rhs::Bool(b)) => Some(!*b),
            // No descriptor came back: fd.num has no value, and a missing
            // value matches nothing (Falco's rule, as in `eval`).
            (FieldId::FdNum, _, _) if crate::decode::render::fd_is_return(nr) => Some(false),
            _ => None,
        }
    }

    fn eval<F: FieldValues + ?Sized>(&self, ev: &F) -> bool {
        if let Rhs::Kinds(kinds) = &self.rhs {
            let hit = ev.kind().is_some_and(|k| kinds.contains(k));
            return if self.op == Op::Ne { !hit } else { hit };
        }
        let v = ev.value(&self.field);
        if self.op == Op::Exists {
            return !v.is_none();
        }
        if v.is_none() {
            // Falco: a missing value matches nothing, not even "!=".
            return false;
        }
        if let Rhs::Field(other) = &self.rhs {
            let other = ev.value(other);
            return match self.op {
                Op::Eq => v.render() == other.render(),
                Op::Ne => v.render() != other.render(),
                _ => v.compare_text(self.op, &other.render()),
            };
        }
        let holds = v.matches(self.op, &self.rhs);
        v.discard();
        holds
    }
}

/// One compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub name: String,
    pub desc: String,
    pub priority: Priority,
    pub enabled: bool,
    pub tags: Vec<String>,
    pub source: Source,
    pub filter: Filter,
    pub output: OutputFormat,
    /// `None`: the rule can match any event type.
    pub event_types: Option<HashSet<Kind>>,
    pub pos: Position,
}

/// Compiles every rule of `set`; problems are appended to its diagnostics.
/// Returns the rules that compiled, in definition order.
pub fn compile(set: &mut RuleSet) -> Vec<Rule> {
    let mut c = Compiler {
        lists: set.lists.iter().map(|(k, v)| (k.clone(), v.items.clone())).collect(),
        macros: set.macros.iter().map(|(k, v)| (k.clone(), v.condition.clone())).collect(),
        parsed_macros: HashMap::new(),
        growth: HashMap::new(),
        compiled: HashMap::new(),
        expanded_lists: HashMap::new(),
        expanded: 0,
        used_lists: HashSet::new(),
        used_macros: HashSet::new(),
        stack: Vec::new(),
        problems: Vec::new(),
        check_ids: HashMap::new(),
    };
    // Macros are checked even when unused, as Falco does.
    let macro_names: Vec<(String, Position)> = set.macros.values().map(|m| (m.name.clone(), m.pos.clone())).collect();
    for (name, pos) in &macro_names {
        let before = c.problems.len();
        let _ = c.expand_macro(name, Source::Syscall, true);
        // Macros made of audit fields are checked as audit macros.
        let problems: Vec<Problem> = c.problems.drain(before..).collect();
        let problems = if problems.iter().any(|p| p.message.contains("belongs to source k8s_audit")) {
            let _ = c.expand_macro(name, Source::K8sAudit, true);
            c.problems.drain(before..).collect()
        } else {
            problems
        };
        for p in problems {
            set.push(Severity::Error, p.code, pos.clone(), "macro", name, p.message);
        }
    }

    let mut out = Vec::new();
    let rules: Vec<RuleDef> = set.rules.values().cloned().collect();
    for def in rules {
        let Some(source) = Source::parse(&def.source) else {
            set.push(
                Severity::Warning,
                "LOAD_UNKNOWN_SOURCE",
                def.pos.clone(),
                "rule",
                &def.name,
                format!("unknown source '{}': rule skipped", def.source),
            );
            continue;
        };
        match c.rule(&def, source) {
            Ok(rule) => {
                if source == Source::Syscall && rule.event_types.is_none() && def.warn_evttypes {
                    set.push(
                        Severity::Warning,
                        "LOAD_NO_EVTTYPE",
                        def.pos.clone(),
                        "rule",
                        &def.name,
                        "rule matches too many evt.type values; this has a significant performance penalty".into(),
                    );
                }
                out.push(rule);
            }
            Err(problems) => {
                let unknown_only = problems.iter().all(|p| p.unknown_field);
                let severity =
                    if unknown_only && def.skip_if_unknown_filter { Severity::Warning } else { Severity::Error };
                for p in problems {
                    let (item_type, item_name) = p.item.clone().unwrap_or(("rule", def.name.clone()));
                    let msg =
                        if severity == Severity::Warning { format!("{} (rule skipped)", p.message) } else { p.message };
                    set.push(severity, p.code, def.pos.clone(), item_type, &item_name, msg);
                }
            }
        }
    }
    // A list named in another list's items counts as used.
    for list in set.lists.values() {
        for item in &list.items {
            if set.lists.contains_key(item) {
                c.used_lists.insert(item.clone());
            }
        }
    }
    let unused_lists: Vec<_> = set
        .lists
        .values()
        .filter(|l| !c.used_lists.contains(&l.name))
        .map(|l| (l.name.clone(), l.pos.clone()))
        .collect();
    let unused_macros: Vec<_> = set
        .macros
        .values()
        .filter(|m| !c.used_macros.contains(&m.name))
        .map(|m| (m.name.clone(), m.pos.clone()))
        .collect();
    for (kind, code, unused) in
        [("list", "LOAD_UNUSED_LIST", unused_lists), ("macro", "LOAD_UNUSED_MACRO", unused_macros)]
    {
        for (name, pos) in unused {
            set.push(
                Severity::Warning,
                code,
                pos,
                kind,
                &name,
                format!("{kind} not referred to by any other rule/macro"),
            );
        }
    }
    out
}

#[derive(Debug, Clone)]
struct Problem {
    code: &'static str,
    message: String,
    unknown_field: bool,
    item: Option<(&'static str, String)>,
}

impl Problem {
    fn new(code: &'static str, message: String) -> Self {
        Self { code, message, unknown_field: false, item: None }
    }
}

/// Most checks a rule's or a macro's condition may hold once its macros are
/// inlined. A macro that names another twice doubles it, so a few dozen
/// such macros would ask for more checks than there are bytes of memory;
/// the stable rules stay far below.
pub const MAX_CHECKS: u64 = 20_000;

/// Deepest that macros may nest in macros, and lists in lists.
pub const MAX_NESTING: usize = 64;

/// Most checks and list items compiling all the rule files may produce, macros
/// and lists counted at each use: many uses of a large macro or list stay
/// within it, or fail with an error rather than take minutes.
pub const MAX_EXPANDED: usize = 2_000_000;

/// How large a macro grows once the macros it names are inlined.
#[derive(Debug, Clone, Copy, Default)]
struct Growth {
    checks: u64,
    /// Macros nested in one another, this one included.
    depth: usize,
}

/// A condition's own checks and the macros it names (a name used twice
/// is there twice).
fn parts(e: &Expr, checks: &mut u64, refs: &mut Vec<String>) {
    match e {
        Expr::And(v) | Expr::Or(v) => v.iter().for_each(|x| parts(x, checks, refs)),
        Expr::Not(x) => parts(x, checks, refs),
        Expr::Macro(name, _) => refs.push(name.clone()),
        Expr::Check { .. } => *checks += 1,
    }
}

/// `text` cut for an error message: a pathological condition may be huge.
fn excerpt(text: &str) -> String {
    const SHOWN: usize = 120;
    match text.char_indices().nth(SHOWN) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

struct Compiler {
    lists: HashMap<String, Vec<String>>,
    macros: HashMap<String, String>,
    parsed_macros: HashMap<String, Result<Expr, condition::ParseError>>,
    /// Each macro's size once inlined, worked out before any is inlined.
    growth: HashMap<String, Growth>,
    /// Each macro compiled once per source, then cloned where it is used;
    /// a broken one keeps its problems, repeated for each user.
    compiled: HashMap<(String, Source), Result<Filter, Vec<Problem>>>,
    /// Each list's items with the lists it names expanded, once; a broken
    /// one keeps its problems, repeated for each user.
    expanded_lists: HashMap<String, Result<Arc<[String]>, Vec<Problem>>>,
    /// Checks and list items produced so far (bounded by MAX_EXPANDED).
    expanded: usize,
    used_lists: HashSet<String>,
    used_macros: HashSet<String>,
    /// Macros and lists being expanded, to catch loops.
    stack: Vec<String>,
    problems: Vec<Problem>,
    /// Check ids by what the check compares.
    check_ids: HashMap<String, usize>,
}

impl Compiler {
    fn rule(&mut self, def: &RuleDef, source: Source) -> Result<Rule, Vec<Problem>> {
        let before = self.problems.len();
        let filter = match condition::parse(&def.condition) {
            Ok(expr) => {
                // Used, even where they make the rule fail.
                let (mut checks, mut refs) = (0, Vec::new());
                parts(&expr, &mut checks, &mut refs);
                refs.iter().for_each(|r| self.mark_used(r));
                self.within_limits(&expr, "condition").and_then(|()| self.expr(&expr, source))
            }
            Err(e) => {
                self.problems.push(Problem::new(
                    "LOAD_ERR_COMPILE_CONDITION",
                    format!("condition: {} in '{}'", e, excerpt(def.condition.trim())),
                ));
                None
            }
        };
        let exceptions = self.exceptions(def, source);
        let output = OutputFormat::parse(&def.output, source);
        if let Err(e) = &output {
            let mut p = Problem::new("LOAD_ERR_COMPILE_OUTPUT", format!("output: {e}"));
            p.unknown_field = false;
            self.problems.push(p);
        }
        if self.problems.len() > before {
            return Err(self.problems.drain(before..).collect());
        }
        let mut filter = filter.expect("no problems means a filter");
        if let Some(ex) = exceptions.filter(|e| !e.is_empty()) {
            filter = Filter::All(vec![filter, Filter::Not(Box::new(Filter::Any(ex)))]);
        }
        // Kinds the condition names but contradicts for them are not the rule's.
        let event_types =
            filter.event_types().map(|kinds| kinds.into_iter().filter(|k| filter.can_match(*k)).collect());
        Ok(Rule {
            name: def.name.clone(),
            desc: def.desc.clone(),
            priority: def.priority,
            enabled: def.enabled,
            tags: def.tags.clone(),
            source,
            filter,
            output: output.expect("checked"),
            event_types,
            pos: def.pos.clone(),
        })
    }

    fn check(&mut self, field: Field, op: Op, value: Option<&Value>, rhs: Rhs, source: Source) -> Filter {
        let key = format!("{source:?} {} {:?} {:?} {op:?} {value:?}", field.info.name, field.arg, field.transformers);
        let next = self.check_ids.len();
        let id = *self.check_ids.entry(key).or_insert(next);
        Filter::Check(Arc::new(Check { id, field, op, rhs }))
    }

    fn expr(&mut self, e: &Expr, source: Source) -> Option<Filter> {
        Some(match e {
            Expr::And(v) => Filter::All(v.iter().map(|x| self.expr(x, source)).collect::<Option<Vec<_>>>()?),
            Expr::Or(v) => Filter::Any(v.iter().map(|x| self.expr(x, source)).collect::<Option<Vec<_>>>()?),
            Expr::Not(x) => Filter::Not(Box::new(self.expr(x, source)?)),
            Expr::Macro(name, _) => self.expand_macro(name, source, false)?,
            Expr::Check { field, op, value, .. } => {
                let field = self.field(field, source)?;
                let rhs = self.rhs(&field, *op, value.as_ref(), source)?;
                self.check(field, *op, value.as_ref(), rhs, source)
            }
        })
    }

    /// Inlines macro `name`, compiled once per source and cloned after.
    /// `checking`: compiled for its own sake (every macro is checked), not
    /// used by a rule.
    fn expand_macro(&mut self, name: &str, source: Source, checking: bool) -> Option<Filter> {
        if !self.macros.contains_key(name) {
            self.problems
                .push(Problem::new("LOAD_ERR_COMPILE_CONDITION", format!("undefined macro '{name}' used in filter")));
            return None;
        }
        if !checking {
            self.mark_used(name);
        }
        let key = (name.to_string(), source);
        if let Some(done) = self.compiled.get(&key) {
            return match done.clone() {
                Ok(filter) => {
                    let checks = self.growth.get(name).map_or(0, |g| g.checks);
                    self.spend(checks as usize, "macro", name)?;
                    Some(filter)
                }
                Err(problems) => {
                    self.problems.extend(problems);
                    None
                }
            };
        }
        if self.stack.iter().any(|s| s == name) {
            self.problems.push(Problem::new(
                "LOAD_ERR_COMPILE_CONDITION",
                format!("macro '{name}' refers to itself (loop: {} -> {name})", self.stack.join(" -> ")),
            ));
            return None;
        }
        let before = self.problems.len();
        let out = self.compile_macro(name, source);
        let kept = match &out {
            Some(filter) => Ok(filter.clone()),
            None => Err(self.problems[before..].to_vec()),
        };
        self.compiled.insert(key, kept);
        out
    }

    /// Compiles the body of macro `name`, if it stays within the limits.
    fn compile_macro(&mut self, name: &str, source: Source) -> Option<Filter> {
        let text = self.macros.get(name).cloned().unwrap_or_default();
        let parsed = self.parsed_macros.entry(name.to_string()).or_insert_with(|| condition::parse(&text)).clone();
        let expr = match parsed {
            Ok(e) => e,
            Err(e) => {
                self.problems.push(Problem::new("LOAD_ERR_COMPILE_CONDITION", format!("macro '{name}': {e}")));
                return None;
            }
        };
        let growth = self.macro_growth(name);
        if growth.depth > MAX_NESTING {
            self.problems.push(Problem::new(
                "LOAD_ERR_COMPILE_CONDITION",
                format!("macro '{name}' nests macros {} deep, above the limit of {MAX_NESTING}", growth.depth),
            ));
            return None;
        }
        self.within_limits(&expr, &format!("macro '{name}'"))?;
        self.stack.push(name.to_string());
        let out = self.expr(&expr, source);
        self.stack.pop();
        out
    }

    /// Whether `expr` stays within MAX_CHECKS once its macros are inlined;
    /// a problem naming `what` otherwise. Worked out from each macro's size,
    /// so nothing is inlined to find out.
    fn within_limits(&mut self, expr: &Expr, what: &str) -> Option<()> {
        let (mut checks, mut refs) = (0, Vec::new());
        parts(expr, &mut checks, &mut refs);
        for r in &refs {
            checks = checks.saturating_add(self.macro_growth(r).checks);
        }
        if checks <= MAX_CHECKS {
            return Some(());
        }
        self.problems.push(Problem::new(
            "LOAD_ERR_COMPILE_CONDITION",
            format!(
                "{what} expands to {checks} checks once its macros are inlined, above the limit of {MAX_CHECKS} \
                 (a macro that names another more than once multiplies it)"
            ),
        ));
        None
    }

    /// The growth of macro `name` and of every macro it names, each worked
    /// out once, depth first without recursion (a chain of macros may be
    /// thousands long). A macro in a loop counts what it has seen so far;
    /// the loop itself is reported when it is inlined.
    fn macro_growth(&mut self, name: &str) -> Growth {
        if let Some(g) = self.growth.get(name) {
            return *g;
        }
        let mut todo = vec![(name.to_string(), false)];
        let mut on_path = HashSet::new();
        while let Some((m, children_done)) = todo.pop() {
            if self.growth.contains_key(&m) {
                continue;
            }
            let (own, refs) = self.macro_parts(&m);
            if !children_done {
                on_path.insert(m.clone());
                todo.push((m, true));
                todo.extend(
                    refs.into_iter()
                        .filter(|r| !self.growth.contains_key(r) && !on_path.contains(r))
                        .map(|r| (r, false)),
                );
                continue;
            }
            let mut g = Growth { checks: own, depth: 1 };
            for r in &refs {
                let sub = self.growth.get(r).copied().unwrap_or_default();
                g.checks = g.checks.saturating_add(sub.checks);
                g.depth = g.depth.max(sub.depth + 1);
            }
            on_path.remove(&m);
            self.growth.insert(m, g);
        }
        self.growth.get(name).copied().unwrap_or_default()
    }

    /// Macro `name`'s own checks and the macros it names; nothing for one
    /// that is undefined or does not parse (reported when inlined).
    fn macro_parts(&mut self, name: &str) -> (u64, Vec<String>) {
        let (mut checks, mut refs) = (0, Vec::new());
        let Some(text) = self.macros.get(name) else { return (checks, refs) };
        let parsed = self.parsed_macros.entry(name.to_string()).or_insert_with(|| condition::parse(text));
        if let Ok(e) = parsed {
            parts(e, &mut checks, &mut refs);
        }
        (checks, refs)
    }

    /// Marks `name` used, and every macro it names, however deep.
    fn mark_used(&mut self, name: &str) {
        let mut todo = vec![name.to_string()];
        while let Some(m) = todo.pop() {
            if self.used_macros.insert(m.clone()) {
                todo.extend(self.macro_parts(&m).1);
            }
        }
    }

    /// Counts `n` more checks or list items against MAX_EXPANDED; a problem
    /// naming the item that went past it.
    fn spend(&mut self, n: usize, kind: &str, name: &str) -> Option<()> {
        self.expanded = self.expanded.saturating_add(n);
        if self.expanded <= MAX_EXPANDED {
            return Some(());
        }
        self.problems.push(Problem::new(
            "LOAD_ERR_COMPILE_CONDITION",
            format!(
                "{kind} '{name}': the rule files expand to more than {MAX_EXPANDED} checks and list items \
                 once macros and lists are inlined where they are used"
            ),
        ));
        None
    }

    fn field(&mut self, r: &FieldRef, source: Source) -> Option<Field> {
        let Some((info, arg)) = fields::lookup(&r.name, r.arg.as_deref()) else {
            let mut p =
                Problem::new("LOAD_ERR_COMPILE_CONDITION", format!("'{}' is not a supported filter field", r.name));
            p.unknown_field = true;
            self.problems.push(p);
            return None;
        };
        if info.source() != source {
            self.problems.push(Problem::new(
                "LOAD_ERR_COMPILE_CONDITION",
                format!("field '{}' belongs to source {}, not {}", info.name, info.source().as_str(), source.as_str()),
            ));
            return None;
        }
        match (info.arg, &arg) {
            (ArgReq::None, Some(a)) if info.id != fields::FieldId::EvtArg => {
                self.problems.push(Problem::new(
                    "LOAD_ERR_COMPILE_CONDITION",
                    format!("field '{}' takes no argument, got [{a}]", info.name),
                ));
                return None;
            }
            (ArgReq::Key, None) => {
                self.problems.push(Problem::new(
                    "LOAD_ERR_COMPILE_CONDITION",
                    format!("field '{}' needs an argument: {}[...]", info.name, info.name),
                ));
                return None;
            }
            _ => {}
        }
        let field = Field::new(info, arg, r.transformers.clone());
        if info.arg == ArgReq::OptionalIndex && field.arg.is_some() && field.index.is_none() {
            self.problems.push(Problem::new(
                "LOAD_ERR_COMPILE_CONDITION",
                format!("field '{}' needs a numeric index", info.name),
            ));
            return None;
        }
        Some(field)
    }

    /// Expands list names among bare items.
    fn list_items(&mut self, items: &[ListItem], out: &mut Vec<String>) -> bool {
        for item in items {
            if !item.quoted && self.lists.contains_key(&item.text) {
                let Some(expanded) = self.expand_list(&item.text) else { return false };
                if self.spend(expanded.len(), "list", &item.text).is_none() {
                    return false;
                }
                out.extend(expanded.iter().cloned());
                continue;
            }
            out.push(item.text.clone());
        }
        true
    }

    /// List `name`'s items with the lists it names expanded, each item
    /// once (lists are sets): worked out once, then shared.
    fn expand_list(&mut self, name: &str) -> Option<Arc<[String]>> {
        self.used_lists.insert(name.to_string());
        if let Some(done) = self.expanded_lists.get(name) {
            return match done.clone() {
                Ok(items) => Some(items),
                Err(problems) => {
                    self.problems.extend(problems);
                    None
                }
            };
        }
        if self.stack.iter().any(|s| s == name) {
            self.problems.push(Problem::new("LOAD_ERR_COMPILE_CONDITION", format!("list '{name}' refers to itself")));
            return None;
        }
        if self.stack.len() >= MAX_NESTING {
            self.problems.push(Problem::new(
                "LOAD_ERR_COMPILE_CONDITION",
                format!("list '{name}' is nested in lists and macros more than {MAX_NESTING} deep"),
            ));
            return None;
        }
        let sub: Vec<ListItem> = self.lists.get(name).into_iter().flatten().map(|t| list_item(t)).collect();
        let before = self.problems.len();
        self.stack.push(name.to_string());
        let mut items = Vec::new();
        let ok = self.list_items(&sub, &mut items);
        self.stack.pop();
        let kept = if ok {
            let mut seen = HashSet::new();
            items.retain(|i| seen.insert(i.clone()));
            Ok(Arc::<[String]>::from(items))
        } else {
            Err(self.problems[before..].to_vec())
        };
        self.expanded_lists.insert(name.to_string(), kept.clone());
        kept.ok()
    }

    fn rhs(&mut self, field: &Field, op: Op, value: Option<&Value>, source: Source) -> Option<Rhs> {
        let name = field.info.name;
        let bad = |this: &mut Self, msg: String| {
            this.problems.push(Problem::new("LOAD_ERR_COMPILE_CONDITION", msg));
            None
        };
        let Some(value) = value else {
            return Some(Rhs::None);
        };
        if field.info.id == fields::FieldId::EvtType
            && field.transformers.is_empty()
            && matches!(op, Op::Eq | Op::Ne | Op::In)
        {
            let mut names = Vec::new();
            match value {
                Value::Literal(t) => names.push(t.clone()),
                Value::List(items) => {
                    if !self.list_items(items, &mut names) {
                        return None;
                    }
                }
                Value::Field(_) => return bad(self, format!("{name} cannot be compared with another field")),
            }
            // Names Osprey never produces match nothing (as in Falco).
            let kinds = names.iter().filter_map(|n| kind_of(n)).collect();
            return Some(Rhs::Kinds(Arc::new(kinds)));
        }
        let items: Vec<String> = match value {
            Value::Field(f) => return self.field(f, source).map(Rhs::Field),
            Value::Literal(t) => vec![t.clone()],
            Value::List(items) => {
                let mut out = Vec::new();
                if !self.list_items(items, &mut out) {
                    return None;
                }
                out
            }
        };
        if op.takes_list() || matches!(value, Value::List(_)) {
            if !op.takes_list() {
                return bad(self, format!("operator '{}' on {name} takes one value, not a list", op.as_str()));
            }
            return Some(match (op, field.ty()) {
                (Op::PMatch, _) => Rhs::Prefixes(Arc::new(PathPrefixes::new(items))),
                (_, FieldType::Ip) => {
                    let nets: Option<Vec<_>> = items.iter().map(|i| parse_net(i)).collect();
                    match nets {
                        Some(n) => Rhs::NetSet(Arc::new(n)),
                        None => return bad(self, format!("{name}: {items:?} are not all IP addresses or networks")),
                    }
                }
                _ => Rhs::Set(Arc::new(items.into_iter().collect())),
            });
        }
        let text = items.into_iter().next().unwrap_or_default();
        let numeric_op = matches!(op, Op::Lt | Op::Le | Op::Gt | Op::Ge);
        Some(match (field.ty(), op) {
            (FieldType::Int | FieldType::Ns, Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge) => {
                match parse_int(&text) {
                    Some(n) => Rhs::Int(n),
                    None => return bad(self, format!("{name} {} '{text}': not a number", op.as_str())),
                }
            }
            (FieldType::Bool, Op::Eq | Op::Ne) => match text.as_str() {
                "true" => Rhs::Bool(true),
                "false" => Rhs::Bool(false),
                _ => return bad(self, format!("{name} {} '{text}': expected true or false", op.as_str())),
            },
            (FieldType::Ip, Op::Eq | Op::Ne) => match parse_net(&text) {
                Some(n) => Rhs::Net(n),
                None => return bad(self, format!("{name} {} '{text}': not an IP address or network", op.as_str())),
            },
            (_, Op::Regex) => match regex::Regex::new(&format!("^(?:{text})$")) {
                Ok(r) => Rhs::Regex(Arc::new(r)),
                Err(e) => return bad(self, format!("{name} regex '{text}': {e}")),
            },
            (_, Op::BContains | Op::BStartsWith) => match hex::decode(text.replace(' ', "")) {
                Ok(b) => Rhs::Bytes(b),
                Err(_) => return bad(self, format!("{name} {} '{text}': expected hex bytes", op.as_str())),
            },
            (_, Op::Glob | Op::IGlob) => {
                // Validate the pattern shape once; matching is done on the fly.
                let _ = glob_match(&text, "");
                Rhs::Text(if op == Op::IGlob { text.to_lowercase() } else { text })
            }
            (_, Op::Contains) => Rhs::Needle(Arc::new(Needle::new(text))),
            (_, Op::IContains) => Rhs::Needle(Arc::new(Needle::new(text.to_lowercase()))),
            (_, _) if numeric_op => match parse_int(&text) {
                Some(n) => Rhs::Int(n),
                None => return bad(self, format!("{name} {} '{text}': not a number", op.as_str())),
            },
            _ => Rhs::Text(text),
        })
    }

    fn exceptions(&mut self, def: &RuleDef, source: Source) -> Option<Vec<Filter>> {
        let mut out = Vec::new();
        for ex in &def.exceptions {
            let before = self.problems.len();
            let tag = |this: &mut Self| {
                for p in &mut this.problems[before..] {
                    p.item = Some(("exception", ex.name.clone()));
                    p.code = "LOAD_ERR_VALIDATE";
                }
            };
            if ex.fields.is_empty() {
                self.problems.push(Problem::new("LOAD_ERR_VALIDATE", "exception has no fields".into()));
                tag(self);
                continue;
            }
            let fields: Vec<Option<Field>> = ex
                .fields
                .iter()
                .map(|f| match condition::parse_field(f) {
                    Ok(r) => self.field(&r, source),
                    Err(e) => {
                        self.problems.push(Problem::new("LOAD_ERR_VALIDATE", format!("field '{f}': {e}")));
                        None
                    }
                })
                .collect();
            let comps: Vec<Option<Op>> = if ex.comps.is_empty() {
                vec![Some(if ex.single { Op::In } else { Op::Eq }); ex.fields.len()]
            } else {
                ex.comps.iter().map(|c| Op::from_word(c)).collect()
            };
            if let Some(bad) = ex.comps.iter().find(|c| Op::from_word(c).is_none()) {
                self.problems
                    .push(Problem::new("LOAD_ERR_VALIDATE", format!("'{bad}' is not a supported comparison operator")));
            }
            if comps.len() != ex.fields.len() {
                self.problems.push(Problem::new(
                    "LOAD_ERR_VALIDATE",
                    format!("{} fields but {} comps", ex.fields.len(), comps.len()),
                ));
            }
            if !ex.single {
                if let Some(row) = ex.values.iter().find(|r| r.len() != ex.fields.len()) {
                    self.problems.push(Problem::new(
                        "LOAD_ERR_VALIDATE",
                        format!("a values row has {} items for {} fields", row.len(), ex.fields.len()),
                    ));
                }
            }
            if self.problems.len() > before {
                tag(self);
                continue;
            }
            let fields: Vec<Field> = fields.into_iter().map(|f| f.expect("checked")).collect();
            let comps: Vec<Op> = comps.into_iter().map(|c| c.expect("checked")).collect();
            let rows: Vec<Vec<ExceptionValue>> = if ex.single {
                // All values of a single-field exception form one list.
                let all: Vec<String> = ex
                    .values
                    .iter()
                    .flatten()
                    .flat_map(|v| match v {
                        ExceptionValue::One(s) => vec![s.clone()],
                        ExceptionValue::Many(m) => m.clone(),
                    })
                    .collect();
                if all.is_empty() {
                    Vec::new()
                } else {
                    vec![vec![ExceptionValue::Many(all)]]
                }
            } else {
                ex.values.clone()
            };
            for row in rows {
                let mut checks = Vec::new();
                for ((field, op), cell) in fields.iter().zip(&comps).zip(&row) {
                    let value = match cell {
                        ExceptionValue::Many(items) => {
                            Value::List(items.iter().map(|t| ListItem { text: t.clone(), quoted: false }).collect())
                        }
                        ExceptionValue::One(t) if op.takes_list() => {
                            Value::List(vec![ListItem { text: t.clone(), quoted: false }])
                        }
                        ExceptionValue::One(t) => Value::Literal(t.clone()),
                    };
                    let Some(rhs) = self.rhs(field, *op, Some(&value), source) else {
                        break;
                    };
                    checks.push(self.check(field.clone(), *op, Some(&value), rhs, source));
                }
                if checks.len() == fields.len() {
                    out.push(Filter::All(checks));
                }
            }
            tag(self);
        }
        Some(out)
    }
}

/// A list item from YAML: Falco pastes items into the condition text, so an
/// item written with quotes (`'"10.0.0.0/8"'`) is a quoted string.
fn list_item(text: &str) -> ListItem {
    for q in ['"', '\''] {
        if let Some(inner) = text.strip_prefix(q).and_then(|t| t.strip_suffix(q)) {
            return ListItem { text: inner.to_string(), quoted: true };
        }
    }
    ListItem { text: text.to_string(), quoted: false }
}

fn parse_int(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Some(hex) = s.strip_prefix("0x") {
        return i64::from_str_radix(hex, 16).ok();
    }
    s.parse().ok()
}

fn parse_net(s: &str) -> Option<ipnet::IpNet> {
    s.parse::<ipnet::IpNet>().ok().or_else(|| s.parse::<std::net::IpAddr>().ok().map(ipnet::IpNet::from))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compile_text(text: &str) -> (Vec<Rule>, RuleSet) {
        let mut rs = RuleSet::default();
        rs.load_str("t.yaml", text);
        let rules = compile(&mut rs);
        (rules, rs)
    }

    fn errors(rs: &RuleSet) -> Vec<String> {
        rs.diagnostics.iter().filter(|d| d.severity == Severity::Error).map(|d| d.to_string()).collect()
    }

    const BASE: &str = "- list: shells\n  items: [bash, sh]\n- list: more\n  items: [shells, zsh]\n\
        - macro: spawned\n  condition: evt.type in (execve, execveat) and evt.dir=<\n";

    /// A rule named `name` with condition `cond`.
    fn rule(name: &str, cond: &str) -> String {
        format!("- rule: {name}\n  desc: d\n  condition: {cond}\n  output: o\n  priority: notice\n")
    }

    /// Macros that each name the one before twice: 2^40 checks inlined.
    #[test]
    fn macros_that_multiply_fail_naming_the_first_too_large() {
        let mut text = "- macro: m0\n  condition: evt.type=open\n".to_string();
        for i in 1..=40 {
            text += &format!("- macro: m{i}\n  condition: m{} or (proc.name=a and m{})\n", i - 1, i - 1);
        }
        text += &rule("r", "m40");
        let (rules, rs) = compile_text(&text);
        let errors = errors(&rs);
        assert!(rules.is_empty());
        let first = format!("macro 'm14' expands to {} checks", (1u64 << 15) - 1);
        assert!(errors[0].contains(&first) && errors[0].contains("limit of 20000"), "{errors:?}");
        assert!(errors.iter().any(|e| e.contains("rule 'r': condition expands to")), "{errors:?}");
        let unused = rs.diagnostics.iter().filter(|d| d.code == "LOAD_UNUSED_MACRO").count();
        assert_eq!(unused, 0, "the rule uses them all, failing or not");
    }

    /// Lists that each name the one before twice hold the same two items.
    #[test]
    fn lists_that_repeat_a_list_are_expanded_once() {
        let mut text = "- list: l0\n  items: [a, b]\n".to_string();
        for i in 1..=60 {
            text += &format!("- list: l{i}\n  items: [l{}, l{}, c]\n", i - 1, i - 1);
        }
        text += &rule("r", "evt.type=open and proc.name in (l60)");
        let (rules, rs) = compile_text(&text);
        assert!(errors(&rs).is_empty(), "{:?}", errors(&rs));
        let Filter::All(parts) = &rules[0].filter else { panic!("{:?}", rules[0].filter) };
        let Filter::Check(check) = &parts[1] else { panic!("{parts:?}") };
        let Rhs::Set(items) = &check.rhs else { panic!("{:?}", check.rhs) };
        assert_eq!(items.len(), 3);
    }

    /// A chain of macros thousands long, defined last first so that the
    /// first one checked is the deepest: refused at the nesting limit.
    #[test]
    fn macro_chains_stop_at_the_nesting_limit() {
        let mut text = String::new();
        for i in (1..=4000).rev() {
            text += &format!("- macro: c{i}\n  condition: c{} and proc.name=x{i}\n", i - 1);
        }
        text += "- macro: c0\n  condition: evt.type=open\n";
        text += &rule("shallow", "c60");
        text += &rule("deep", "c4000");
        let (rules, rs) = compile_text(&text);
        let errors = errors(&rs);
        assert_eq!(rules.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["shallow"]);
        assert!(errors[0].contains("macro 'c4000' nests macros 4001 deep, above the limit of 64"), "{errors:?}");
        assert_eq!(errors.len(), 4000 - 63 + 1, "each macro past the limit, and the deep rule");
    }

    #[test]
    fn kinds_a_condition_contradicts_are_not_the_rules() {
        let text = [
            rule("udp", "evt.type in (connect, sendto) and (evt.type=connect or fd.l4proto != tcp) and fd.l4proto=tcp"),
            // No proc.name at all satisfies both negations: not contradicted.
            rule("missing", "evt.type=open and not proc.name=a and not proc.name!=a"),
            rule("named", "evt.type in (open, close) and (evt.type=close or proc.name in (a, b)) and proc.name=c"),
            rule("pattern", "evt.type in (open, close) and (evt.type=close or proc.name startswith x) and proc.name=y"),
        ]
        .concat();
        let (rules, rs) = compile_text(&text);
        assert!(errors(&rs).is_empty(), "{:?}", errors(&rs));
        let kinds = |i: usize| {
            let mut names: Vec<String> = rules[i].event_types.iter().flatten().map(|k| k.name().into_owned()).collect();
            names.sort();
            names
        };
        assert_eq!(kinds(0), ["connect"]);
        assert_eq!(kinds(1), ["open"]);
        assert_eq!(kinds(2), ["close"]);
        // `startswith x` against the value `y`: decided for that case too.
        assert_eq!(kinds(3), ["close"]);
        // The failure predicate splits cases as well.
        let (rules, _) = compile_text(&rule(
            "f",
            "evt.type=open and ((evt.rawres >= 0 and fd.name=/a) or fd.name != /a) and fd.name=/a",
        ));
        assert!(!rules[0].filter.can_match_failed(Kind::Syscall(2)));
        assert!(rules[0].filter.can_match(Kind::Syscall(2)));
    }

    #[test]
    fn equal_checks_share_one_id_and_are_evaluated_once_per_event() {
        let text = format!(
            "{BASE}- rule: a\n  desc: d\n  condition: spawned and proc.name in (more)\n  output: o\n  priority: notice\n\
             - rule: b\n  desc: d\n  condition: spawned and proc.name = zsh\n  output: o\n  priority: notice\n"
        );
        let (rules, rs) = compile_text(&text);
        assert!(errors(&rs).is_empty(), "{:?}", errors(&rs));
        let ids = |f: &Filter| {
            let Filter::All(parts) = f else { panic!() };
            let Filter::All(spawned) = &parts[0] else { panic!() };
            let Filter::Check(last) = &parts[1] else { panic!() };
            let Filter::Check(kind) = &spawned[0] else { panic!() };
            (kind.id, last.id)
        };
        let (a, b) = (ids(&rules[0].filter), ids(&rules[1].filter));
        assert_eq!(a.0, b.0, "the macro's check is shared");
        assert_ne!(a.1, b.1, "different comparisons keep their own ids");

        /// Counts how often a field is read.
        struct Counting(std::cell::Cell<usize>);
        impl FieldValues for Counting {
            fn value(&self, field: &Field) -> Val<'_> {
                self.0.set(self.0.get() + 1);
                Val::str(if field.info.name == "evt.dir" { "<" } else { "zsh" })
            }
            fn kind(&self) -> Option<Kind> {
                Some(Kind::Syscall(59))
            }
        }
        let ev = Counting(Default::default());
        let mut memo = Memo::for_checks(rules.iter().map(|r| r.filter.check_count()).max().unwrap());
        let chain = Program::new(&[&rules[0].filter, &rules[1].filter]);
        assert_eq!(chain.first_match(0, &ev, &mut memo), Some(0));
        assert_eq!(ev.0.get(), 2, "rule a reads evt.dir and proc.name");
        assert_eq!(chain.first_match(1, &ev, &mut memo), Some(1));
        assert_eq!(ev.0.get(), 3, "rule b reuses evt.dir and reads proc.name for its own check");
        memo.clear();
        assert_eq!(chain.first_match(1, &ev, &mut memo), Some(1));
        assert_eq!(ev.0.get(), 5, "after clear, every check reads its field again");
    }

    #[test]
    fn a_chain_finds_each_holding_filter_in_order() {
        let text = [
            rule("bash", "spawned and proc.name = bash"),
            rule("zsh", "spawned and proc.name = zsh"),
            rule("shell", "spawned and proc.name in (more)"),
            rule("open", "evt.type = open and proc.name = zsh"),
        ]
        .concat();
        let (rules, rs) = compile_text(&format!("{BASE}{text}"));
        assert!(errors(&rs).is_empty(), "{:?}", errors(&rs));
        struct Zsh;
        impl FieldValues for Zsh {
            fn value(&self, field: &Field) -> Val<'_> {
                Val::str(if field.info.name == "evt.dir" { "<" } else { "zsh" })
            }
            fn kind(&self) -> Option<Kind> {
                Some(Kind::Syscall(59))
            }
        }
        let filters: Vec<&Filter> = rules.iter().map(|r| &r.filter).collect();
        for program in [
            Program::new(&filters),
            Program::for_kind(&filters, Kind::Syscall(59), Known { outcome: Outcome::Succeeded, ..Known::NOTHING }),
        ] {
            let mut memo = Memo::for_checks(rules.iter().map(|r| r.filter.check_count()).max().unwrap());
            let found: Vec<Option<usize>> = (0..5).map(|from| program.first_match(from, &Zsh, &mut memo)).collect();
            assert_eq!(found, [Some(1), Some(1), Some(2), None, None]);
        }
    }

    #[test]
    fn a_known_open_mode_leaves_no_mode_check_to_evaluate() {
        let cond = "evt.type=open and evt.is_open_write=true and not evt.is_open_read=true and proc.name=x";
        let (rules, rs) = compile_text(&rule("r", cond));
        assert!(errors(&rs).is_empty(), "{:?}", errors(&rs));
        let program = |open_mode| {
            let known = Known { outcome: Outcome::Succeeded, open_mode, ..Known::NOTHING };
            Program::for_kind(&[&rules[0].filter], Kind::Syscall(2), known)
        };
        let first_field = |p: &Program| p.steps.get(p.entries[0] as usize).map(|s| s.check.field.info.name);
        assert_eq!(first_field(&program(OpenMode::Unknown)), Some("evt.is_open_write"));
        assert_eq!(first_field(&program(OpenMode::WriteOnly)), Some("proc.name"));
        for mode in [OpenMode::ReadOnly, OpenMode::ReadWrite] {
            assert_eq!(program(mode).entries[0], NO_MATCH, "{mode:?}");
        }
    }

    /// A condition over four yes/no checks, the event type (open or close)
    /// and checks that a program may fold (on the result, on the open
    /// mode, on the place, on the descriptor), with its value for each
    /// event.
    #[derive(Debug, Clone)]
    enum Cond {
        Check(usize),
        Not(Box<Cond>),
        And(Vec<Cond>),
        Or(Vec<Cond>),
    }

    const CHECKED: [&str; 4] = ["proc.name", "user.name", "proc.pname", "fd.name"];
    /// The `yes` bit that makes the event an open (else a close), and the
    /// check on it.
    const OPEN: u8 = 1 << CHECKED.len();
    /// Checks on the result, the open mode, the place and the descriptor,
    /// after the event type's. Not every one is folded: the place does not
    /// decide `container.id in (host, c0ffee)`, nor does a socket decide
    /// `fd.sip`.
    const FOLDABLE: [&str; 14] = [
        "evt.failed=true",
        "fd.num>=0",
        "evt.res=SUCCESS",
        "evt.rawres<0",
        "evt.is_open_read=true",
        "evt.is_open_write=true",
        "evt.is_open_write=false",
        "container.id=host",
        "container.id!=host",
        "container.id in (host, c0ffee)",
        "fd.typechar=f",
        "fd.type=directory",
        "fd.sip=10.0.0.1",
        "fd.is_server=false",
    ];
    /// The descriptors an event may be about (`None`: no descriptor).
    const DESCRIPTORS: [Option<FdKind>; 5] =
        [None, Some(FdKind::File), Some(FdKind::Directory), Some(FdKind::Ipv4), Some(FdKind::Pipe)];

    /// An event: the yes/no checks and the type in `yes`, its result, an
    /// open's flags (when known), whether its process runs in a container
    /// (whose id is `abc`), and its descriptor (a socket's server end is
    /// 10.0.0.1 and it is a client).
    #[derive(Debug, Clone, Copy)]
    struct Checked {
        yes: u8,
        res: Option<i64>,
        flags: Option<u64>,
        contained: bool,
        fd: Option<FdKind>,
    }

    impl Checked {
        fn is_open(&self) -> bool {
            self.yes & OPEN != 0
        }
    }

    impl FieldValues for Checked {
        /// As `SyscallFields` gives them: an open returns its descriptor, a
        /// close names descriptor 5.
        fn value(&self, field: &Field) -> Val<'_> {
            match field.info.name {
                "evt.failed" => Val::Bool(self.res.is_some_and(|r| r < 0)),
                "evt.res" => self.res.map_or(Val::None, |r| Val::str(if r >= 0 { "SUCCESS" } else { "EPERM" })),
                "evt.rawres" => self.res.map_or(Val::None, Val::Int),
                "fd.num" if self.is_open() => self.res.filter(|r| *r >= 0).map_or(Val::None, Val::Int),
                "fd.num" => Val::Int(5),
                "evt.is_open_read" => Val::Bool(self.open_mode().reads()),
                "evt.is_open_write" => Val::Bool(self.open_mode().writes()),
                "container.id" => Val::str(if self.contained { "abc" } else { "host" }),
                "fd.typechar" => self.fd.map_or(Val::None, |k| Val::str(k.typechar())),
                "fd.type" => self.fd.map_or(Val::None, |k| Val::str(k.name())),
                "fd.sip" if self.fd.is_some_and(FdKind::is_ip) => Val::Ip([10, 0, 0, 1].into()),
                "fd.sip" => Val::None,
                "fd.is_server" => self.fd.map_or(Val::None, |_| Val::Bool(false)),
                "fd.name" if self.fd.is_none() => Val::None,
                name => {
                    let i = CHECKED.iter().position(|c| *c == name).expect("a checked field");
                    Val::str(if self.yes & (1 << i) != 0 { "y" } else { "n" })
                }
            }
        }
        fn kind(&self) -> Option<Kind> {
            Some(Kind::Syscall(if self.is_open() { 2 } else { 3 }))
        }
        fn outcome(&self) -> Outcome {
            Outcome::of(self.res)
        }
        fn open_mode(&self) -> OpenMode {
            self.flags.filter(|_| self.is_open()).map_or(OpenMode::Unknown, OpenMode::of_flags)
        }
        fn place(&self) -> Place {
            if self.contained {
                Place::Container
            } else {
                Place::Host
            }
        }
        fn descriptor(&self) -> Descriptor {
            self.fd.map_or(Descriptor::Missing, Descriptor::Of)
        }
    }

    impl Cond {
        fn text(&self) -> String {
            let join = |cs: &[Cond], op: &str| cs.iter().map(Cond::text).collect::<Vec<_>>().join(op);
            match self {
                Cond::Check(i) if *i == CHECKED.len() => "evt.type=open".into(),
                Cond::Check(i) if *i > CHECKED.len() => FOLDABLE[i - CHECKED.len() - 1].into(),
                Cond::Check(i) => format!("{}=y", CHECKED[*i]),
                Cond::Not(c) => format!("not ({})", c.text()),
                Cond::And(cs) => format!("({})", join(cs, " and ")),
                Cond::Or(cs) => format!("({})", join(cs, " or ")),
            }
        }

        /// The condition's value, from what each check means (a missing
        /// value matches nothing).
        fn holds(&self, ev: Checked) -> bool {
            let failed = ev.res.is_some_and(|r| r < 0);
            let succeeded = ev.res.is_some_and(|r| r >= 0);
            match self {
                Cond::Check(i) if CHECKED.get(*i) == Some(&"fd.name") => ev.yes & (1 << i) != 0 && ev.fd.is_some(),
                Cond::Check(i) if *i <= CHECKED.len() => ev.yes & (1 << i) != 0,
                Cond::Check(i) => match FOLDABLE[i - CHECKED.len() - 1] {
                    "evt.failed=true" | "evt.rawres<0" => failed,
                    "fd.num>=0" => !ev.is_open() || succeeded,
                    "evt.res=SUCCESS" => succeeded,
                    "evt.is_open_read=true" => ev.is_open() && ev.flags.is_some_and(|f| f & 3 != 1),
                    "evt.is_open_write=true" => ev.is_open() && ev.flags.is_some_and(|f| f & 3 != 0),
                    "container.id=host" | "container.id in (host, c0ffee)" => !ev.contained,
                    "container.id!=host" => ev.contained,
                    "fd.typechar=f" => matches!(ev.fd, Some(FdKind::File | FdKind::Directory)),
                    "fd.type=directory" => ev.fd == Some(FdKind::Directory),
                    "fd.sip=10.0.0.1" => ev.fd.is_some_and(FdKind::is_ip),
                    "fd.is_server=false" => ev.fd.is_some(),
                    // `=false` holds for every event that is no write open.
                    _ => !(ev.is_open() && ev.flags.is_some_and(|f| f & 3 != 0)),
                },
                Cond::Not(c) => !c.holds(ev),
                Cond::And(cs) => cs.iter().all(|c| c.holds(ev)),
                Cond::Or(cs) => cs.iter().any(|c| c.holds(ev)),
            }
        }
    }

    fn cond() -> impl proptest::strategy::Strategy<Value = Cond> {
        use proptest::prelude::*;
        (0..=CHECKED.len() + FOLDABLE.len()).prop_map(Cond::Check).prop_recursive(5, 40, 4, |inner| {
            prop_oneof![
                inner.clone().prop_map(|c| Cond::Not(Box::new(c))),
                prop::collection::vec(inner.clone(), 1..4).prop_map(Cond::And),
                prop::collection::vec(inner, 1..4).prop_map(Cond::Or),
            ]
        })
    }

    proptest::proptest! {
        // Each event varies in five ways a program may fold: the default
        // 256 cases leave some folds untried.
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4096))]
        #[test]
        fn programs_decide_as_the_condition_reads(
            c in cond(),
            yes in 0u8..OPEN << 1,
            res in proptest::option::of(-2i64..3),
            flags in proptest::option::of(0u64..8),
            contained: bool,
            descriptor in 0..DESCRIPTORS.len(),
        ) {
            let text = format!("- rule: r\n  desc: d\n  condition: evt.type in (open, close) and {}\n  output: o\n  priority: notice\n", c.text());
            let (rules, rs) = compile_text(&text);
            proptest::prop_assert!(errors(&rs).is_empty(), "{:?}", errors(&rs));
            let filter = &rules[0].filter;
            let ev = Checked { yes, res, flags, contained, fd: DESCRIPTORS[descriptor] };
            let known = Known {
                outcome: ev.outcome(),
                open_mode: ev.open_mode(),
                place: ev.place(),
                descriptor: ev.descriptor(),
            };
            let for_kind = Program::for_kind(&[filter], ev.kind().expect("a kind"), known);
            let assumed = Assumed { known, ..Assumed::kind(ev.kind().expect("a kind")) };
            proptest::prop_assert!(for_kind.steps.iter().all(|s| s.check.decide(&assumed).is_none()));
            for program in [Program::new(&[filter]), for_kind] {
                let mut memo = Memo::for_checks(filter.check_count());
                proptest::prop_assert_eq!(program.first_match(0, &ev, &mut memo).is_some(), c.holds(ev));
            }
        }
    }

    #[test]
    fn expands_macros_lists_and_event_types() {
        let text = format!("{BASE}- rule: r\n  desc: d\n  condition: spawned and proc.name in (more)\n  output: shell %proc.name\n  priority: notice\n");
        let (rules, rs) = compile_text(&text);
        assert!(errors(&rs).is_empty(), "{:?}", errors(&rs));
        let types = rules[0].event_types.clone().unwrap();
        assert!(types.contains(&Kind::Syscall(59)) && types.contains(&Kind::Syscall(322)) && types.len() == 2);
        let Filter::All(parts) = &rules[0].filter else { panic!() };
        let Filter::Check(c) = &parts[1] else { panic!() };
        let Rhs::Set(s) = &c.rhs else { panic!() };
        assert_eq!(s.len(), 3);
        let Filter::All(spawned) = &parts[0] else { panic!() };
        let Filter::Check(t) = &spawned[0] else { panic!() };
        assert!(matches!(&t.rhs, Rhs::Kinds(k) if k.len() == 2));
    }

    #[test]
    fn unknown_fields_macros_and_loops_are_errors() {
        let (_, rs) =
            compile_text("- rule: r\n  desc: d\n  condition: proc.nobody=cat\n  output: o\n  priority: info\n");
        assert!(errors(&rs)[0].contains("'proc.nobody' is not a supported filter field"), "{:?}", errors(&rs));
        let (_, rs) = compile_text("- rule: r\n  desc: d\n  condition: proc.nobody=cat\n  output: o\n  priority: info\n  skip-if-unknown-filter: true\n");
        assert!(errors(&rs).is_empty());
        let (_, rs) = compile_text("- macro: a\n  condition: b\n- macro: b\n  condition: a\n");
        assert!(errors(&rs).iter().any(|e| e.contains("refers to itself")), "{:?}", errors(&rs));
        let (_, rs) = compile_text(
            "- list: a\n  items: [b]\n- list: b\n  items: [a]\n- macro: m\n  condition: proc.name in (a)\n",
        );
        assert!(errors(&rs).iter().any(|e| e.contains("refers to itself")), "{:?}", errors(&rs));
        let (_, rs) =
            compile_text("- rule: r\n  desc: d\n  condition: evt.rawres >= x\n  output: o\n  priority: info\n");
        assert!(errors(&rs)[0].contains("not a number"));
        let (_, rs) = compile_text(
            "- rule: r\n  desc: d\n  condition: evt.type=open\n  output: o %not_a_real_field\n  priority: info\n",
        );
        assert!(errors(&rs)[0].contains("not_a_real_field"), "{:?}", errors(&rs));
    }

    #[test]
    fn exceptions_validate() {
        let (_, rs) = compile_text(
            "- rule: r\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: info\n  exceptions:\n    - name: ex1\n      fields: [not.exist]\n",
        );
        let e = &rs.diagnostics[0];
        assert_eq!((e.item_type, e.item_name.as_str(), e.code), ("exception", "ex1", "LOAD_ERR_VALIDATE"));
        assert!(e.message.contains("'not.exist' is not a supported filter field"));
        let (_, rs) = compile_text(
            "- rule: r\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: info\n  exceptions:\n    - name: ex1\n      fields: [proc.name, fd.name]\n      comps: [=, no-comp]\n",
        );
        assert!(errors(&rs)[0].contains("no-comp"));
    }

    #[test]
    fn unused_items_warn() {
        let (_, rs) = compile_text(BASE);
        let codes: Vec<_> = rs.diagnostics.iter().map(|d| (d.code, d.item_name.as_str())).collect();
        assert!(codes.contains(&("LOAD_UNUSED_MACRO", "spawned")), "{codes:?}");
        assert!(codes.contains(&("LOAD_UNUSED_LIST", "more")), "{codes:?}");
        assert!(!codes.contains(&("LOAD_UNUSED_LIST", "shells")), "{codes:?}");
    }
}
