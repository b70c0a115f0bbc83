//! The in-kernel open filter (`shared_abi::OpenFilter`): what every open a
//! rule can match has in common, in terms the kernel can test on a
//! successful open — path prefixes, suffixes and infixes, the access mode
//! and the process name.
//!
//! For each rule, a necessary condition is derived from its compiled
//! filter: checks of `fd.name`, `fd.nameraw`, `fd.directory`, `fd.filename`,
//! `evt.is_open_read`/`evt.is_open_write` and `proc.name` (the `comm` the
//! kernel has) become clauses, `and`/`or`
//! combine them, and every other check counts as "could be true". An open
//! that satisfies no rule's condition cannot match any rule.
//!
//! The state needs more than the rules: directories (relative paths are
//! resolved against them), which the kernel always delivers, and the
//! descriptor table, which rules on other syscalls read. The filter is only
//! derived when no rule on another syscall could tell a regular file's entry
//! from a missing one (`Filter::can_match_with_descriptor`). For the same
//! reason, when no rule names `close`, the closes of named files and devices
//! are dropped too (`OPEN_FILTER_CLOSES`): the table keeps the entries of
//! the opens that were delivered, which no rule can tell from missing ones.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use shared_abi::{OpenFilter, OPEN_CLASS_CREAT, OPEN_FILTER_CLAUSES, OPEN_FILTER_CLOSES};

use super::compile::{Check, Descriptor, Filter, OpenMode, Rhs, Rule};
use super::condition::Op;
use super::fields::FieldId;
use crate::decode::render::names_descriptor;
use crate::event::Kind;

/// open, openat, openat2, creat: the syscalls the kernel's filter applies to.
pub const OPEN_SYSCALLS: [u32; 4] = [2, 257, 437, 85];

const ALL_CLASSES: u32 = (1 << (OPEN_CLASS_CREAT + 1)) - 1;

/// One way to satisfy a condition: the access class is one of `classes`,
/// the path starts with one of `strings[PREFIX]`, ends with one of
/// `strings[SUFFIX]` and contains one of `strings[INFIX]`, and the process
/// name is one of `strings[COMM]` (each `None`: any).
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
struct Clause {
    classes: u32,
    strings: [Option<BTreeSet<String>>; 4],
}

const PREFIX: usize = 0;
const SUFFIX: usize = 1;
const INFIX: usize = 2;
const COMM: usize = 3;
/// Per constraint: whether a string satisfying the first also satisfies the
/// second (then, among alternatives, the first is redundant).
const IMPLIES: [fn(&str, &str) -> bool; 4] =
    [|s, p| s.starts_with(p), |s, p| s.ends_with(p), |s, p| s.contains(p), |s, p| s == p];

/// A necessary condition: one of the clauses holds. `None`: no constraint
/// the kernel can test; `Some` of no clause: no open satisfies it.
type Need = Option<Vec<Clause>>;

impl Clause {
    fn classes(classes: u32) -> Need {
        Some(vec![Clause { classes, ..Clause::default() }])
    }

    /// The path meets constraint `which` with one of `strings`. The paths
    /// the kernel judges all start with, and contain, `/`.
    fn strings(which: usize, strings: impl IntoIterator<Item = String>) -> Need {
        let strings: BTreeSet<String> = strings.into_iter().collect();
        let always = |s: &String| which != COMM && (s.is_empty() || (s == "/" && which != SUFFIX));
        let mut clause = Clause { classes: ALL_CLASSES, ..Clause::default() };
        if !strings.iter().any(always) {
            clause.strings[which] = Some(minimal(strings, which));
        }
        Some(vec![clause])
    }

    /// Every path and class this clause admits, `weaker` admits too.
    fn implies(&self, weaker: &Clause) -> bool {
        self.classes & !weaker.classes == 0
            && (0..4).all(|i| match (&self.strings[i], &weaker.strings[i]) {
                (_, None) => true,
                (None, Some(_)) => false,
                (Some(mine), Some(theirs)) => mine.iter().all(|s| theirs.iter().any(|t| IMPLIES[i](s, t))),
            })
    }

    fn unconstrained(&self) -> bool {
        self.classes == ALL_CLASSES && self.strings.iter().all(Option::is_none)
    }

    /// Both clauses; `None` when they contradict each other.
    fn and(&self, other: &Clause) -> Option<Clause> {
        let mut both = Clause { classes: self.classes & other.classes, ..Clause::default() };
        for which in [PREFIX, SUFFIX, COMM] {
            both.strings[which] = meet(&self.strings[which], &other.strings[which], which)?;
        }
        // Containing one of each set is not one set: either alone is implied.
        both.strings[INFIX] = match (&self.strings[INFIX], &other.strings[INFIX]) {
            (Some(a), Some(b)) => Some(if a.len() <= b.len() { a } else { b }.clone()),
            (a, b) => a.clone().or_else(|| b.clone()),
        };
        (both.classes != 0).then_some(both)
    }
}

/// Drops the strings another one makes redundant (a path starting with
/// `/etc/x` starts with `/etc`).
fn minimal(set: BTreeSet<String>, which: usize) -> BTreeSet<String> {
    set.iter().filter(|s| !set.iter().any(|t| t != *s && IMPLIES[which](s, t))).cloned().collect()
}

/// "Starts (ends) with one of `a`" and "with one of `b`" (or "is one of")
/// as one set: for each pair where one string extends the other, the
/// longer. `None`: nothing satisfies both.
fn meet(a: &Option<BTreeSet<String>>, b: &Option<BTreeSet<String>>, which: usize) -> Option<Option<BTreeSet<String>>> {
    let (a, b) = match (a, b) {
        (None, x) | (x, None) => return Some(x.clone()),
        (Some(a), Some(b)) => (a, b),
    };
    let extends = IMPLIES[which];
    let both: BTreeSet<String> = a
        .iter()
        .flat_map(|x| {
            b.iter().filter_map(move |y| match () {
                _ if extends(x, y) => Some(x.clone()),
                _ if extends(y, x) => Some(y.clone()),
                _ => None,
            })
        })
        .collect();
    (!both.is_empty()).then(|| Some(minimal(both, which)))
}

fn and(a: Need, b: Need) -> Need {
    let (a, b) = match (a, b) {
        (None, x) | (x, None) => return x,
        (Some(a), Some(b)) => (a, b),
    };
    let (small, large) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if small.len() * large.len() > OPEN_FILTER_CLAUSES {
        // The larger side's hull is weaker, so the product stays necessary
        // (and, as every need has at most OPEN_FILTER_CLAUSES, small enough).
        return match hull(&large) {
            Some(hull) => and(Some(small), Some(hull)),
            None => Some(small),
        };
    }
    Some(simplify(small.iter().flat_map(|x| large.iter().filter_map(|y| x.and(y))).collect()))
}

fn or(a: Need, b: Need) -> Need {
    let mut clauses = a?;
    clauses.extend(b?);
    let clauses = simplify(clauses);
    if clauses.iter().any(Clause::unconstrained) {
        return None;
    }
    if clauses.len() > OPEN_FILTER_CLAUSES {
        return hull(&clauses);
    }
    Some(clauses)
}

/// Drops clauses another one implies, and merges clauses that differ in
/// one constraint only.
fn simplify(mut clauses: Vec<Clause>) -> Vec<Clause> {
    clauses.sort();
    clauses.dedup();
    let implied = |i: usize| clauses.iter().enumerate().any(|(j, other)| j != i && clauses[i].implies(other));
    let kept: Vec<&Clause> = clauses.iter().enumerate().filter(|(i, _)| !implied(*i)).map(|(_, c)| c).collect();
    let mut out: Vec<Clause> = Vec::with_capacity(kept.len());
    for c in kept.into_iter().cloned() {
        let merged = out.iter_mut().any(|o| {
            let differs: Vec<usize> = (0..4).filter(|&i| o.strings[i] != c.strings[i]).collect();
            match (&differs[..], o.classes == c.classes) {
                ([], _) => o.classes |= c.classes,
                (&[i], true) if o.strings[i].is_some() && c.strings[i].is_some() => {
                    let union = o.strings[i].iter().chain(&c.strings[i]).flatten().cloned().collect();
                    o.strings[i] = Some(minimal(union, i));
                }
                _ => return false,
            }
            true
        });
        if !merged {
            out.push(c);
        }
    }
    out
}

/// One clause weaker than each of `clauses`.
fn hull(clauses: &[Clause]) -> Need {
    let mut hull = Clause { classes: clauses.iter().fold(0, |all, c| all | c.classes), ..Clause::default() };
    for (which, strings) in hull.strings.iter_mut().enumerate() {
        let sets: Option<Vec<&BTreeSet<String>>> = clauses.iter().map(|c| c.strings[which].as_ref()).collect();
        *strings = sets.map(|sets| minimal(sets.into_iter().flatten().cloned().collect(), which));
    }
    (!hull.unconstrained()).then(|| vec![hull])
}

/// A necessary condition for `filter` to match a successful open of `kind`.
fn need(filter: &Filter, kind: Kind) -> Need {
    match filter {
        Filter::All(fs) => fs.iter().fold(None, |acc, f| and(acc, need(f, kind))),
        Filter::Any(fs) => fs.iter().try_fold(Vec::new(), |acc, f| or(Some(acc), need(f, kind))),
        Filter::Not(inner) => match inner.decided_by_kind(kind) {
            Some(true) => Some(Vec::new()),
            _ => None,
        },
        Filter::Check(c) => match filter.decided_by_kind(kind) {
            Some(true) => None,
            Some(false) => Some(Vec::new()),
            None => check_need(c),
        },
    }
}

/// What a check says of the opened path and access mode. `fd.name` and
/// `fd.nameraw` of a successful open in normal absolute form are the path
/// the caller passed (the kernel delivers every other form).
fn check_need(c: &Check) -> Need {
    use FieldId as F;
    if !c.field.transformers.is_empty() {
        return None;
    }
    let dir_prefix = |d: &String| if d.ends_with('/') { d.clone() } else { format!("{d}/") };
    let one = |which, t: &String| Clause::strings(which, [t.clone()]);
    match (c.field.info.id, c.op, &c.rhs) {
        (F::FdName | F::FdNameraw, Op::Eq | Op::StartsWith, Rhs::Text(t)) => one(PREFIX, t),
        (F::FdName | F::FdNameraw, Op::In, Rhs::Set(set)) => Clause::strings(PREFIX, set.iter().cloned()),
        (F::FdName | F::FdNameraw, Op::EndsWith, Rhs::Text(t)) => one(SUFFIX, t),
        (F::FdName | F::FdNameraw, Op::Contains, Rhs::Needle(n)) => one(INFIX, &n.text),
        (F::FdName | F::FdNameraw, Op::Glob, Rhs::Text(t)) => {
            let literal = &t[..t.find(['*', '?', '[', '\\']).unwrap_or(t.len())];
            (!literal.is_empty()).then(|| Clause::strings(PREFIX, [literal.to_string()])).flatten()
        }
        (F::FdName | F::FdNameraw, Op::PMatch, Rhs::Prefixes(p)) => {
            Clause::strings(PREFIX, p.dirs()?.map(str::to_string))
        }
        (F::FdDirectory, Op::StartsWith, Rhs::Text(t)) => one(PREFIX, t),
        (F::FdDirectory, Op::Eq, Rhs::Text(d)) => Clause::strings(PREFIX, [dir_prefix(d)]),
        (F::FdDirectory, Op::In, Rhs::Set(set)) => Clause::strings(PREFIX, set.iter().map(dir_prefix)),
        (F::FdDirectory, Op::PMatch, Rhs::Prefixes(p)) => Clause::strings(PREFIX, p.dirs()?.map(|d| format!("{d}/"))),
        (F::FdFilename, Op::Eq, Rhs::Text(n)) => Clause::strings(SUFFIX, [format!("/{n}")]),
        (F::FdFilename, Op::In, Rhs::Set(set)) => Clause::strings(SUFFIX, set.iter().map(|n| format!("/{n}"))),
        (F::FdFilename, Op::EndsWith, Rhs::Text(t)) => one(SUFFIX, t),
        (F::ProcName, Op::Eq, Rhs::Text(t)) => one(COMM, t),
        (F::ProcName, Op::In, Rhs::Set(set)) => Clause::strings(COMM, set.iter().cloned()),
        (F::EvtIsOpenRead, Op::Eq | Op::Ne, Rhs::Bool(b)) => {
            Clause::classes(classes(access_classes(OpenMode::reads), *b == (c.op == Op::Eq)))
        }
        (F::EvtIsOpenWrite, Op::Eq | Op::Ne, Rhs::Bool(b)) => {
            Clause::classes(classes(access_classes(OpenMode::writes), *b == (c.op == Op::Eq)))
        }
        _ => None,
    }
}

/// The access classes (`flags & O_ACCMODE`, 0 to 3) whose open mode `test`
/// holds for, as rule evaluation reads the mode. creat (its own class) has
/// no flags: neither read nor write.
fn access_classes(test: fn(OpenMode) -> bool) -> u32 {
    (0..4).filter(|access| test(OpenMode::of_flags(*access))).fold(0, |classes, access| classes | 1 << access)
}

fn classes(of: u32, wanted: bool) -> u32 {
    if wanted {
        of
    } else {
        ALL_CLASSES & !of
    }
}

/// The filter for `rules` and what it says, or why there is none.
pub fn derive(rules: &[Rule]) -> Result<(Box<OpenFilter>, String), String> {
    let is_open = |k: &Kind| matches!(k, Kind::Syscall(nr) if OPEN_SYSCALLS.contains(nr));
    let mut total: Need = Some(Vec::new());
    for rule in rules {
        let Some(kinds) = &rule.event_types else {
            return Err(format!("rule {} can match any event", rule.name));
        };
        let reads_table = |pick: fn(FieldId) -> bool| {
            rule.filter.reads(&|f| pick(f.info.id)) || rule.output.shows(&|f| pick(f.info.id))
        };
        if reads_table(|id| id == FieldId::FdTypes) {
            return Err(format!("rule {} reads fd.types (every descriptor of the process)", rule.name));
        }
        let reads_descriptors = reads_table(FieldId::reads_descriptor_table);
        let looks_up_descriptor = |k: &Kind| matches!(k, Kind::Syscall(nr) if names_descriptor(*nr));
        for &kind in kinds.iter().filter(|k| !is_open(k) && looks_up_descriptor(k)) {
            let tells_apart = [Descriptor::Missing, Descriptor::Of(crate::state::FdKind::File)]
                .into_iter()
                .any(|d| rule.filter.can_match_with_descriptor(kind, d));
            if reads_descriptors && tells_apart {
                return Err(format!(
                    "rule {} reads the descriptor of a {} event, which may be a file",
                    rule.name,
                    kind.name()
                ));
            }
        }
        for &kind in kinds.iter().filter(|k| is_open(k)) {
            total = or(total, need(&rule.filter, kind));
            if total.is_none() {
                return Err(format!("rule {} can match an open ({}) of any path", rule.name, kind.name()));
            }
        }
    }
    let clauses = total.unwrap_or_default();
    let mut filter = Box::new(OpenFilter::off());
    let close = Kind::Syscall(shared_abi::nr::CLOSE);
    if !rules.iter().any(|r| r.event_types.as_ref().is_some_and(|kinds| kinds.contains(&close))) {
        filter.flags |= OPEN_FILTER_CLOSES;
    }
    if clauses.is_empty() {
        // No rule matches an open: a clause no open satisfies.
        filter.push(0, [&[]; 4]);
        return Ok((filter, "no rule matches an open".into()));
    }
    for c in &clauses {
        let [prefixes, suffixes, infixes, comms] = c.strings.each_ref().map(bytes);
        if !filter.push(c.classes, [&prefixes, &suffixes, &infixes, &comms]) {
            return Err(format!("the rules' paths take more than the kernel's {} bytes", shared_abi::OPEN_FILTER_TEXT));
        }
    }
    Ok((filter, describe(&clauses)))
}

fn bytes(set: &Option<BTreeSet<String>>) -> Vec<&[u8]> {
    set.iter().flatten().map(String::as_bytes).collect()
}

/// The clauses as `--print-interest` shows them.
fn describe(clauses: &[Clause]) -> String {
    let mut out = String::new();
    for (i, c) in clauses.iter().enumerate() {
        if i > 0 {
            out.push_str("; or ");
        }
        let mut parts = Vec::new();
        if c.classes != ALL_CLASSES {
            let names = ["O_RDONLY", "O_WRONLY", "O_RDWR", "mode 3", "creat"];
            let on: Vec<&str> = (0..names.len()).filter(|b| c.classes & 1 << b != 0).map(|b| names[b]).collect();
            parts.push(format!("opened {}", on.join("/")));
        }
        for (set, what) in c.strings.iter().zip(["path starts with", "path ends with", "path contains", "process is"]) {
            if let Some(set) = set {
                let list: Vec<&str> = set.iter().map(String::as_str).collect();
                parts.push(format!("{what} {}", list.join(" | ")));
            }
        }
        let _ = write!(out, "{}", parts.join(" and "));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::compile::compile;
    use crate::rules::loader::RuleSet;

    const RDONLY: u32 = 0;
    const WRONLY: u32 = 1;

    fn derive_for(rules: &[(&str, &str)]) -> Result<(Box<OpenFilter>, String), String> {
        let yaml: String = rules
            .iter()
            .map(|(name, condition)| {
                format!("- rule: {name}\n  desc: d\n  condition: {condition}\n  output: o\n  priority: WARNING\n")
            })
            .collect();
        let mut set = RuleSet::default();
        set.load_str("t.yaml", &yaml);
        let compiled = compile(&mut set);
        assert_eq!(compiled.len(), rules.len(), "{:?}", set.diagnostics);
        derive(&compiled)
    }

    fn filter_for(rules: &[(&str, &str)]) -> Box<OpenFilter> {
        derive_for(rules).unwrap_or_else(|e| panic!("no filter: {e}")).0
    }

    #[test]
    fn path_and_mode_checks_become_clauses() {
        let f = filter_for(&[
            ("shadow", "evt.type=openat and evt.is_open_read=true and fd.name in (/etc/shadow, /etc/gshadow) and not proc.name=x"),
            ("logs", "evt.type in (open, openat) and evt.is_open_write=true and (fd.directory=/var/log or fd.filename=auth.log)"),
            ("keys", "evt.type=openat and fd.name glob '/home/*/.ssh/*' and fd.name contains id_"),
            ("bins", "evt.type=creat and fd.name pmatch (/usr/bin, /bin)"),
        ]);
        assert!(f.delivers(b"/etc/shadow", RDONLY, b"sh"));
        assert!(!f.delivers(b"/etc/shadow", WRONLY, b"sh"), "no rule on shadow writes");
        assert!(f.delivers(b"/var/log/syslog", WRONLY, b"sh"));
        assert!(f.delivers(b"/srv/auth.log", WRONLY, b"sh"));
        assert!(!f.delivers(b"/var/log/syslog", RDONLY, b"sh"));
        assert!(!f.delivers(b"/var/logs/x", WRONLY, b"sh"), "fd.directory=/var/log is not a string prefix");
        assert!(f.delivers(b"/home/u/.ssh/id_rsa", RDONLY, b"sh"));
        assert!(!f.delivers(b"/home/u/.ssh/config", RDONLY, b"sh"));
        assert!(f.delivers(b"/usr/bin/ls", OPEN_CLASS_CREAT, b"sh"));
        assert!(!f.delivers(b"/usr/lib/libc.so.6", RDONLY, b"sh"));
        // What only the consumer can resolve.
        assert!(f.delivers(b"lib/libc.so.6", RDONLY, b"sh"));
        assert!(f.delivers(b"/usr/../etc/shadow", RDONLY, b"sh"));
    }

    #[test]
    fn mode_checks_take_the_access_classes_of_their_open_modes() {
        // O_RDONLY, O_RDWR and 3 (which renders as O_RDWR) read; O_WRONLY,
        // O_RDWR and 3 write; creat (class 4) does neither.
        assert_eq!(access_classes(OpenMode::reads), 1 << 0 | 1 << 2 | 1 << 3);
        assert_eq!(access_classes(OpenMode::writes), 1 << 1 | 1 << 2 | 1 << 3);
    }

    #[test]
    fn process_names_are_checked_by_the_kernel() {
        let f = filter_for(&[
            ("tar", "evt.type=openat and evt.is_open_read=true and proc.name=tar and container.id != host"),
            (
                "cp",
                "evt.type=openat and proc.name in (cp, scp) and proc.name in (scp, rsync) and fd.name startswith /srv",
            ),
        ]);
        assert!(f.delivers(b"/srv/x", RDONLY, b"tar"));
        assert!(!f.delivers(b"/srv/x", WRONLY, b"tar"));
        assert!(!f.delivers(b"/srv/x", RDONLY, b"sh"));
        assert!(f.delivers(b"/srv/x", WRONLY, b"scp"), "the names both lists allow");
        assert!(!f.delivers(b"/srv/x", WRONLY, b"cp"));
        assert!(!f.delivers(b"/etc/x", WRONLY, b"scp"));
    }

    #[test]
    fn closes_are_dropped_with_the_opens_unless_a_rule_names_them() {
        let open = ("o", "evt.type=openat and fd.name=/etc/passwd");
        assert_eq!(filter_for(&[open]).flags, OPEN_FILTER_CLOSES);
        assert_eq!(filter_for(&[open, ("c", "evt.type=close and proc.name=x")]).flags, 0);
    }

    #[test]
    fn rules_without_opens_leave_a_filter_nothing_passes() {
        let (f, says) = derive_for(&[("exec", "evt.type=execve and proc.name=nc")]).unwrap();
        assert_eq!(says, "no rule matches an open");
        assert!(!f.delivers(b"/etc/shadow", RDONLY, b"sh"));
    }

    #[test]
    fn no_filter_when_a_rule_can_match_any_path_or_tell_a_missing_descriptor() {
        let says = |rules: &[(&str, &str)]| derive_for(rules).map(|(_, says)| says);
        let err = says(&[("any", "evt.type=openat and user.name=root")]).unwrap_err();
        assert_eq!(err, "rule any can match an open (openat) of any path");
        let err = says(&[("n", "evt.type=openat and not fd.name startswith /etc")]).unwrap_err();
        assert!(err.contains("any path"), "{err}");
        // A close of a file whose open was dropped would show no fd.name.
        let err = says(&[("c", "evt.type=close and proc.name=x")]);
        assert!(err.is_ok(), "the condition reads no descriptor: {err:?}");
        let err = says(&[("c", "evt.type=close and not fd.name startswith /tmp")]).unwrap_err();
        assert_eq!(err, "rule c reads the descriptor of a close event, which may be a file");
        let err = says(&[("t", "evt.type=openat and fd.name=/x and fd.types[3]=file")]).unwrap_err();
        assert!(err.contains("fd.types"), "{err}");
    }

    #[test]
    fn rules_that_only_want_sockets_do_not_need_file_opens() {
        let f = filter_for(&[
            ("dup", "evt.type in (dup, dup2) and fd.type in (ipv4, ipv6) and proc.name=sh"),
            ("out", "evt.type=connect and fd.typechar=4 and fd.sport=4444"),
            ("unlink", "evt.type=unlink and fs.path.name=/x"),
            ("passwd", "evt.type=openat and fd.name=/etc/passwd"),
        ]);
        assert!(f.delivers(b"/etc/passwd", RDONLY, b"sh"));
        assert!(!f.delivers(b"/etc/hosts", RDONLY, b"sh"));
    }

    #[test]
    fn many_alternatives_keep_every_matching_path() {
        let rules: Vec<(String, String)> = (0..40)
            .map(|i| {
                let mode = if i % 2 == 0 { "evt.is_open_read=true" } else { "evt.is_open_write=true" };
                (
                    format!("r{i}"),
                    format!("evt.type=openat and {mode} and fd.name startswith /d{i}/ and fd.name endswith .e{i}"),
                )
            })
            .collect();
        let refs: Vec<(&str, &str)> = rules.iter().map(|(n, c)| (n.as_str(), c.as_str())).collect();
        let f = filter_for(&refs);
        for i in 0..40 {
            let class = if i % 2 == 0 { RDONLY } else { WRONLY };
            assert!(f.delivers(format!("/d{i}/f.e{i}").as_bytes(), class, b"sh"), "{i}");
        }
        assert!(!f.delivers(b"/usr/lib/x.so", RDONLY, b"sh"));
    }

    #[test]
    fn contradictory_constraints_drop_the_branch() {
        let f = filter_for(&[
            ("both", "evt.type=openat and fd.name startswith /etc and fd.name startswith /var"),
            ("tmp", "evt.type=openat and fd.name startswith /tmp/ and fd.name startswith /tmp/a"),
        ]);
        assert!(!f.delivers(b"/etc/x", RDONLY, b"sh"));
        assert!(!f.delivers(b"/tmp/b", RDONLY, b"sh"));
        assert!(f.delivers(b"/tmp/ab", RDONLY, b"sh"));
    }
}
