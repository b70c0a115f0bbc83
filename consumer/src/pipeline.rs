//! The pipelines after decoding: for syscalls, state update then rules; for
//! Kubernetes audit events, rules. Shared by `osprey run` and `osprey replay`.

use std::collections::{BTreeMap, VecDeque};

use shared_abi::{ContainerFilter, Interest, OpenFilter, HOST_CGROUPS, INTEREST_EXEC_ENV, INTEREST_PROCEXIT};

use crate::audit::AuditEvent;
use crate::event::{Event, EventBatch, Kind, KindSet};
use crate::metrics::METRICS;
use crate::rules::audit::AuditFields;
use crate::rules::engine::{Alert, Engine};
use crate::rules::fields::FieldId;
use crate::rules::open_filter;
use crate::rules::syscall::SyscallFields;
use crate::state::{State, Thread};

/// What the kernel is told to deliver, and why (`--print-interest`).
pub struct KernelInterest {
    pub interest: Interest,
    pub open_filter: Box<OpenFilter>,
    /// Syscalls the kernel drops in host cgroups (see `HostCgroups`).
    pub container_only: KindSet,
    /// Reasons per syscall name (`procexit`, or `*` for every syscall).
    pub why: BTreeMap<String, Vec<String>>,
}

pub struct SyscallPipeline {
    pub state: State,
    pub engine: Engine,
    pub events: u64,
    pub alerts: u64,
    /// Push the predicates the rules allow into the kernel (`interest`).
    pub kernel_predicates: bool,
    /// Events per `Kind::slot`, published as `osprey_events_by_type_total`.
    by_kind: Vec<u64>,
    pub host_cgroups: HostCgroups,
}

/// The host cgroups the kernel's container filter drops container-only
/// syscalls in: those that such a syscall arrived from while the state knew
/// them as a host's (not merely unknown), the latest `HOST_CGROUPS`. Until
/// the kernel has the filter their events arrive and are evaluated as ever,
/// so each costs a few deliveries; a host cgroup dropped from the list to
/// make room is noted again when its events come back.
#[derive(Debug, Default)]
pub struct HostCgroups {
    kinds: KindSet,
    /// Oldest first.
    ids: VecDeque<u64>,
    changed: bool,
}

impl HostCgroups {
    /// Makes `kinds` the container-only syscalls (rules loaded or
    /// reloaded); the host cgroups known stay known.
    pub fn watch(&mut self, kinds: KindSet) {
        self.kinds = kinds;
        self.changed = true;
    }

    #[inline]
    fn watches(&self, kind: Kind) -> bool {
        self.kinds.contains(kind)
    }

    fn note(&mut self, cgroup_id: u64, thread: Option<&Thread>) {
        let on_host = thread.is_some_and(|t| t.cgroup_resolved && t.container.is_none() && t.cgroup_id == cgroup_id);
        if !on_host || self.ids.contains(&cgroup_id) {
            return;
        }
        if self.ids.len() == HOST_CGROUPS {
            self.ids.pop_front();
        }
        self.ids.push_back(cgroup_id);
        self.changed = true;
    }

    /// The filter for the kernel, if it changed since last asked.
    pub fn changed_filter(&mut self) -> Option<Box<ContainerFilter>> {
        std::mem::take(&mut self.changed).then(|| {
            let nrs = self.kinds.iter().filter_map(|k| match k {
                Kind::Syscall(nr) => Some(nr),
                Kind::ProcExit => None,
            });
            Box::new(ContainerFilter::new(nrs, self.ids.iter().copied()))
        })
    }
}

/// Syscalls the state needs at exit, whatever the rules: the process tree,
/// descriptors, working directory, sessions, capabilities.
const STATE_SYSCALLS: &[&str] = &[
    "execve",
    "execveat",
    "clone",
    "clone3",
    "fork",
    "vfork",
    "open",
    "openat",
    "openat2",
    "creat",
    "memfd_create",
    "close",
    "socket",
    "connect",
    "bind",
    "accept",
    "accept4",
    "dup",
    "dup2",
    "dup3",
    "fcntl",
    "pipe",
    "pipe2",
    "chdir",
    "fchdir",
    "setsid",
    "setpgid",
    "capset",
];

/// Events per batch handed on: a batch keeps the events it grew to for
/// reuse, so this bounds the memory of every batch in circulation (a burst
/// of thousands of records is handed on in pieces).
pub const BATCH_EVENTS: usize = 256;

/// Decoded batches in flight between the producing and the evaluating
/// thread: enough to ride out a slow alert, few enough that a stalled
/// evaluator shows as ring fill (and kernel drops) rather than as memory.
const QUEUED_BATCHES: usize = 32;

/// Runs `produce` on a thread of its own and `evaluate` on the caller's, in
/// batch order (so per-process state updates stay in order). `produce` hands
/// each batch to the `deliver` it is given, which returns an emptied batch
/// to fill next: batches and their events go round, so steady state
/// allocates none. When the
/// evaluator falls behind, `deliver` waits (`osprey_pipeline_backpressure_seconds_total`).
/// `evaluate` also gets an empty batch when none came for 100 ms (its
/// chance for periodic work). Returns what `produce` returns, once every
/// batch it sent has been evaluated.
pub fn on_two_threads<R: Send>(
    produce: impl FnOnce(&mut dyn FnMut(EventBatch) -> anyhow::Result<EventBatch>) -> anyhow::Result<R> + Send,
    mut evaluate: impl FnMut(&mut EventBatch),
) -> anyhow::Result<R> {
    use std::sync::mpsc::{channel, sync_channel, RecvTimeoutError};
    let (decoded, ready) = sync_channel::<EventBatch>(QUEUED_BATCHES);
    let (recycle, recycled) = channel::<EventBatch>();
    std::thread::scope(|scope| {
        let producer = std::thread::Builder::new().name("osprey-reader".into()).spawn_scoped(scope, move || {
            produce(&mut |events| {
                METRICS.pipeline_queued.add(events.len() as i64);
                let waiting = std::time::Instant::now();
                decoded.send(events).map_err(|_| anyhow::anyhow!("the evaluating thread stopped"))?;
                METRICS.pipeline_backpressure.inc_by(waiting.elapsed().as_secs_f64());
                Ok(recycled.try_recv().unwrap_or_default())
            })
        })?;
        loop {
            match ready.recv_timeout(std::time::Duration::from_millis(100)) {
                Ok(mut events) => {
                    METRICS.pipeline_queued.sub(events.len() as i64);
                    evaluate(&mut events);
                    events.clear();
                    // The producer may be gone already: then the batch is just freed.
                    let _ = recycle.send(events);
                }
                Err(RecvTimeoutError::Timeout) => evaluate(&mut EventBatch::default()),
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        producer.join().map_err(|_| anyhow::anyhow!("the reader thread panicked"))?
    })
}

impl SyscallPipeline {
    pub fn new(state: State, engine: Engine) -> Self {
        Self {
            state,
            engine,
            events: 0,
            alerts: 0,
            kernel_predicates: true,
            by_kind: vec![0; Kind::SLOTS],
            host_cgroups: HostCgroups::default(),
        }
    }

    /// Processes the batch's events in order and empties it.
    pub fn process_batch(&mut self, batch: &mut EventBatch, mut sink: impl FnMut(Alert)) {
        for ev in batch.iter() {
            self.process(ev, &mut sink);
        }
        batch.clear();
    }

    pub fn process(&mut self, ev: &Event, mut sink: impl FnMut(Alert)) {
        self.events += 1;
        if let Some(slot) = ev.kind.slot() {
            self.by_kind[slot] += 1;
        }
        // Time one event in 64: enough for the histogram, cheap for the rest.
        let timer = (self.events % 64 == 0).then(|| METRICS.rule_eval_seconds.start_timer());
        self.state.update(ev);
        if self.host_cgroups.watches(ev.kind) {
            self.host_cgroups.note(ev.cgroup_id, self.state.thread(ev.tid));
        }
        // Rules see exit events, as Falco's do since its drivers stopped
        // sending enter events; enters only of the kinds a rule written for
        // the older drivers asks for with `evt.dir = >`.
        let direction_seen = ev.is_exit() || self.engine.enter_kinds().contains(ev.kind);
        if !direction_seen || !self.engine.may_match(ev.kind) {
            return;
        }
        let fields = SyscallFields::new(ev, &self.state);
        let alerts = &mut self.alerts;
        self.engine.evaluate(Some(ev.kind), &fields, ev.ts_ns, &self.state.hostname, |a| {
            *alerts += 1;
            sink(a)
        });
        drop(timer);
    }

    /// In-kernel predicate: a syscall's failed exits are dropped in the
    /// kernel when no rule can match them (three-valued evaluation of each
    /// rule's condition on "this syscall, failed"); the state uses successful
    /// exits only.
    fn success_only(&self, interest: &mut Interest, why: &mut BTreeMap<String, Vec<String>>) {
        for nr in 0..shared_abi::MAX_SYSCALLS as u32 {
            if !Interest::wants(&interest.exit, nr as usize) {
                continue;
            }
            let kind = Kind::Syscall(nr);
            let needs_failures =
                self.engine.rules().iter().any(|r| {
                    r.event_types.as_ref().is_some_and(|t| t.contains(&kind)) && r.filter.can_match_failed(kind)
                });
            if !needs_failures {
                interest.set_success_only(nr as usize);
                why.entry(kind.name().into_owned())
                    .or_default()
                    .push("in-kernel predicate: successful exits only (no rule matches a failure)".into());
            }
        }
    }

    /// In-kernel predicate: successful opens of paths no rule can match are
    /// dropped in the kernel (see `rules::open_filter`).
    fn open_filter(&self, interest: &Interest, why: &mut BTreeMap<String, Vec<String>>) -> Box<OpenFilter> {
        let (filter, reason) = match open_filter::derive(self.engine.rules()) {
            Ok((filter, clauses)) => (
                filter,
                format!("in-kernel predicate: opens of directories and of paths only the consumer can resolve (relative, with . or ..), else only where {clauses}"),
            ),
            Err(reason) => (Box::new(OpenFilter::off()), format!("no in-kernel path predicate: {reason}")),
        };
        for nr in open_filter::OPEN_SYSCALLS.into_iter().filter(|nr| Interest::wants(&interest.exit, *nr as usize)) {
            why.entry(Kind::Syscall(nr).name().into_owned()).or_default().push(reason.clone());
        }
        if filter.flags & shared_abi::OPEN_FILTER_CLOSES != 0 {
            why.entry("close".into()).or_default().push(
                "in-kernel predicate: closes of named files and devices are dropped (no rule reads closes)".into(),
            );
        }
        filter
    }

    /// In-kernel predicate: syscalls that the state does not need and that
    /// only rules about containers read (each rule on it is false when
    /// `container.id` is `host`) are dropped in host cgroups (`HostCgroups`).
    fn container_only(&self, interest: &Interest, why: &mut BTreeMap<String, Vec<String>>) -> KindSet {
        let state: KindSet =
            STATE_SYSCALLS.iter().filter_map(|name| shared_abi::syscalls::number(name)).map(Kind::Syscall).collect();
        let mut kinds = KindSet::default();
        for nr in 0..shared_abi::MAX_SYSCALLS as u32 {
            let kind = Kind::Syscall(nr);
            if !Interest::wants(&interest.exit, nr as usize) || state.contains(kind) {
                continue;
            }
            let rules: Vec<_> = self
                .engine
                .rules()
                .iter()
                .filter(|r| r.event_types.as_ref().is_some_and(|t| t.contains(&kind)))
                .collect();
            if !rules.is_empty() && rules.iter().all(|r| !r.filter.can_match_on_host(kind)) {
                kinds.insert(kind);
                why.entry(kind.name().into_owned()).or_default().push(
                    "in-kernel predicate: container processes only (no rule matches a host process; host cgroups are dropped once seen)".into(),
                );
            }
        }
        kinds
    }

    /// Publishes the counters kept here as metrics.
    pub fn publish_metrics(&self) {
        let events = METRICS.events.with_label_values(&["syscall"]);
        events.inc_by(self.events.saturating_sub(events.get()));
        METRICS.threads.set(self.state.threads.len() as i64);
        METRICS.fds.set(self.state.fds.values().map(|f| f.len() as i64).sum());
        METRICS.evictions.set(self.state.evictions as i64);
        METRICS.forgotten.set(self.state.forgotten as i64);
        METRICS.containers.set(self.state.containers.as_ref().map_or(0, |c| c.len() as i64));
        for (slot, &count) in self.by_kind.iter().enumerate().filter(|(_, c)| **c > 0) {
            let counter = METRICS.events_by_type.with_label_values(&[&Kind::of_slot(slot).name()]);
            counter.inc_by(count.saturating_sub(counter.get()));
        }
    }

    /// The kernel interest set: the exits of what the rules can match plus
    /// what state tracking needs, with the reason for each.
    pub fn interest(&self) -> KernelInterest {
        let mut interest = Interest::default();
        let mut why: BTreeMap<String, Vec<String>> = BTreeMap::new();
        interest.flags |= INTEREST_PROCEXIT;
        why.entry("procexit".into()).or_default().push("state: process table".into());
        for name in STATE_SYSCALLS {
            if let Some(nr) = shared_abi::syscalls::number(name) {
                interest.set(nr as usize, false, true);
                why.entry((*name).into()).or_default().push("state".into());
            }
        }
        let kinds = self.engine.kinds();
        match &kinds {
            None => {
                interest = Interest::all();
                let any: Vec<&str> =
                    self.engine.rules().iter().filter(|r| r.event_types.is_none()).map(|r| r.name.as_str()).collect();
                why.entry("*".into())
                    .or_default()
                    .push(format!("rules without an evt.type restriction: {}", any.join(", ")));
            }
            Some(kinds) => {
                for &kind in kinds {
                    if let Kind::Syscall(nr) = kind {
                        interest.set(nr as usize, false, true);
                    }
                    let name = kind.name().into_owned();
                    for r in
                        self.engine.rules().iter().filter(|r| r.event_types.as_ref().is_some_and(|t| t.contains(&kind)))
                    {
                        why.entry(name.clone()).or_default().push(format!("rule: {}", r.name));
                    }
                }
            }
        }
        for kind in self.engine.enter_kinds().iter() {
            if let Kind::Syscall(nr) = kind {
                interest.set(nr as usize, true, false);
            }
            for r in self.engine.rules().iter().filter(|r| r.event_types.iter().flatten().any(|k| *k == kind)) {
                if r.filter.asks_for_enter(kind) {
                    why.entry(kind.name().into_owned())
                        .or_default()
                        .push(format!("rule {} asks for the enter", r.name));
                }
            }
        }
        for r in self.engine.rules() {
            let kept = r.event_types.clone().unwrap_or_default();
            for kind in r.filter.event_types().unwrap_or_default().difference(&kept) {
                why.entry(kind.name().into_owned())
                    .or_default()
                    .push(format!("rule {} names it, but its condition rules it out", r.name));
            }
        }
        let mut open_filter = Box::new(OpenFilter::off());
        let mut container_only = KindSet::default();
        if self.kernel_predicates && kinds.is_some() {
            self.success_only(&mut interest, &mut why);
            open_filter = self.open_filter(&interest, &mut why);
            container_only = self.container_only(&interest, &mut why);
        }
        if self.engine.uses(&|f| f.info.id == FieldId::ProcEnv) {
            interest.flags |= INTEREST_EXEC_ENV;
            why.entry("execve".into()).or_default().push("rules read proc.env: exits carry the environment".into());
        }
        KernelInterest { interest, open_filter, container_only, why }
    }
}

pub struct AuditPipeline {
    pub engine: Engine,
    pub hostname: String,
    pub events: u64,
    pub alerts: u64,
}

impl AuditPipeline {
    pub fn new(engine: Engine, hostname: String) -> Self {
        Self { engine, hostname, events: 0, alerts: 0 }
    }

    pub fn process(&mut self, ev: &AuditEvent, mut sink: impl FnMut(Alert)) {
        self.events += 1;
        METRICS.events.with_label_values(&["k8s_audit"]).inc();
        let alerts = &mut self.alerts;
        self.engine.evaluate(None, &AuditFields { ev }, ev.ts_ns, &self.hostname, |a| {
            *alerts += 1;
            sink(a)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::WallClock;
    use crate::event::{Arg, Dir, Name};
    use crate::rules::engine::Matching;
    use crate::rules::loader::Priority;
    use shared_abi::SyscallTable;

    fn exit_event(nr: u32, num: u64) -> Event {
        Event {
            num,
            ts_ns: 1,
            kind: Kind::Syscall(nr),
            dir: Dir::Exit,
            table: SyscallTable::X86_64,
            from_32bit_program: false,
            cpu: 0,
            res: Some(0),
            tid: 5,
            pid: 5,
            ppid: 1,
            vtid: 5,
            vpid: 5,
            comm: "t".into(),
            uid: 0,
            gid: 0,
            loginuid: -1,
            cgroup_id: 0,
            container_id: None,
            args: [(Name::Fd, Arg::Int(3))].into_iter().collect(),
        }
    }

    /// A pipeline with `rules` (YAML), which must compile to `count` rules.
    fn pipeline_with(rules: &str, count: usize, matching: Matching) -> SyscallPipeline {
        let mut set = crate::rules::loader::RuleSet::default();
        set.load_str("t.yaml", rules);
        let compiled = crate::rules::compile::compile(&mut set);
        assert_eq!(compiled.len(), count, "{:?}", set.diagnostics);
        let engine = Engine::new(compiled, crate::rules::fields::Source::Syscall, matching, Priority::Debug);
        SyscallPipeline::new(State::new(10), engine)
    }

    #[test]
    fn two_threads_evaluate_every_batch_in_order_and_recycle_the_batches() {
        let mut seen = Vec::new();
        let mut new_batches = 0;
        let produced = on_two_threads(
            |deliver| {
                let bytes = crate::decode::encode::syscall(Default::default(), true, 0, 0, [0; 6], &[]);
                let record = crate::decode::decode(&bytes)?.expect("a record");
                let mut events = EventBatch::default();
                for batch in 0..500u64 {
                    (0..7).for_each(|i| events.push_record(batch * 7 + i, &record, WallClock::default()));
                    events = deliver(events)?;
                    assert!(events.is_empty());
                    new_batches += usize::from(events.capacity() == 0);
                }
                Ok(new_batches)
            },
            |events| seen.extend(events.iter().map(|e| e.num)),
        )
        .unwrap();
        assert_eq!(seen, (0..3500).collect::<Vec<_>>());
        // Batches come back emptied, their events kept: only a few are ever new.
        assert!(produced <= QUEUED_BATCHES + 2, "{produced} new batches");

        let err = on_two_threads(|_| -> anyhow::Result<()> { anyhow::bail!("ring gone") }, |_| {}).unwrap_err();
        assert_eq!(err.to_string(), "ring gone");
    }

    #[test]
    fn a_slow_evaluator_shows_as_backpressure_in_the_metrics() {
        const BATCHES: usize = QUEUED_BATCHES + 10;
        const EVALUATION: std::time::Duration = std::time::Duration::from_millis(5);
        let waited_before = METRICS.pipeline_backpressure.get();
        on_two_threads(
            |deliver| {
                let bytes = crate::decode::encode::syscall(Default::default(), true, 0, 0, [0; 6], &[]);
                let record = crate::decode::decode(&bytes)?.expect("a record");
                let mut events = EventBatch::default();
                for batch in 0..BATCHES as u64 {
                    events.push_record(batch, &record, WallClock::default());
                    events = deliver(events)?;
                }
                Ok(())
            },
            |events| {
                if !events.is_empty() {
                    std::thread::sleep(EVALUATION);
                }
            },
        )
        .unwrap();
        // Once the queue is full, each of the last batches waits for the
        // rules thread to take one: after the first wait, a whole evaluation.
        let waited = METRICS.pipeline_backpressure.get() - waited_before;
        assert!(waited >= (EVALUATION * 8).as_secs_f64(), "waited {waited} s");
    }

    #[test]
    fn counts_events_per_type_for_the_metrics() {
        let engine =
            Engine::new(Vec::new(), crate::rules::fields::Source::Syscall, Default::default(), Priority::Debug);
        let mut p = SyscallPipeline::new(State::new(10), engine);
        let ev = |nr: u32| exit_event(nr, 0);
        let before = METRICS.events_by_type.with_label_values(&["fchmod"]).get();
        for _ in 0..3 {
            p.process(&ev(91), |_| {});
        }
        p.publish_metrics();
        p.publish_metrics();
        assert_eq!(METRICS.events_by_type.with_label_values(&["fchmod"]).get() - before, 3);
    }

    /// A rule written for Falco's drivers before 0.41 asks for the enter
    /// event (`evt.dir = >`): the kernel is asked for that syscall's enters,
    /// and every rule on that syscall sees them (as under Falco 0.40); the
    /// rules of other syscalls still see exits only.
    #[test]
    fn rules_asking_for_the_enter_event_get_it() {
        let rules = r#"
- rule: attach at the enter
  desc: d
  condition: evt.type=ptrace and evt.dir=> and evt.arg.request contains PTRACE_ATTACH
  output: o
  priority: WARNING
- rule: any ptrace
  desc: d
  condition: evt.type=ptrace and proc.name=gdb
  output: o
  priority: WARNING
- rule: open
  desc: d
  condition: evt.type=openat and proc.name=gdb
  output: o
  priority: WARNING
"#;
        let mut p = pipeline_with(rules, 3, Matching::All);
        let interest = p.interest().interest;
        let nr = |name| shared_abi::syscalls::number(name).unwrap() as usize;
        assert!(Interest::wants(&interest.enter, nr("ptrace")) && Interest::wants(&interest.exit, nr("ptrace")));
        assert!(!Interest::wants(&interest.enter, nr("openat")));
        let mut fired = Vec::new();
        for (ty, dir) in [("ptrace", ">"), ("ptrace", "<"), ("openat", ">")] {
            let ev = Event::from_json(&serde_json::json!({
                "evt.rawtime": 1, "evt.type": ty, "evt.dir": dir, "proc.pid": 5, "thread.tid": 5, "proc.ppid": 1,
                "proc.name": "gdb", "user.uid": 0, "group.gid": 0, "evt.args": {"request": 16, "pid": 9}
            }))
            .unwrap();
            p.process(&ev, |a| fired.push(format!("{} {dir}", a.rule)));
        }
        assert_eq!(fired, ["attach at the enter >", "any ptrace >", "any ptrace <"]);
    }

    #[test]
    fn failures_no_rule_can_match_are_dropped_in_the_kernel() {
        let rules = r#"
- rule: open ok
  desc: d
  condition: evt.type=openat and fd.num>=0 and fd.name=/x
  output: o
  priority: WARNING
- rule: unlink failed
  desc: d
  condition: evt.type=unlinkat and evt.res != SUCCESS
  output: o
  priority: WARNING
- rule: connect outbound
  desc: d
  condition: evt.type=connect and (evt.rawres >= 0 or evt.res = EINPROGRESS)
  output: o
  priority: WARNING
- rule: mkdir done
  desc: d
  condition: evt.type in (mkdir, mkdirat) and not evt.failed=true
  output: o
  priority: WARNING
- rule: chmod low fds
  desc: d
  condition: evt.type=chmod and evt.rawres in (0, 1)
  output: o
  priority: WARNING
- rule: rename any
  desc: d
  condition: evt.type=rename and proc.name=x
  output: o
  priority: WARNING
"#;
        let mut p = pipeline_with(rules, 6, Matching::First);
        let success_only = |p: &SyscallPipeline, name: &str| {
            let nr = shared_abi::syscalls::number(name).unwrap() as usize;
            let interest = p.interest().interest;
            assert!(Interest::wants(&interest.exit, nr), "{name} not asked for");
            Interest::wants(&interest.exit_success_only, nr)
        };
        // A failed open has no fd.num; a failed mkdir is evt.failed; rawres
        // in (0, 1) is never negative; close is for the state only.
        for name in ["openat", "mkdir", "mkdirat", "chmod", "close"] {
            assert!(success_only(&p, name), "{name}");
        }
        // A rule matches failures, or cannot be decided from the failure alone.
        for name in ["unlinkat", "connect", "rename"] {
            assert!(!success_only(&p, name), "{name}");
        }
        p.kernel_predicates = false;
        assert!(!success_only(&p, "openat"));
    }

    #[test]
    fn syscalls_only_container_rules_read_are_dropped_in_host_cgroups_once_seen() {
        let rules = r#"
- macro: in_container
  condition: container.id != host
- rule: mount in container
  desc: d
  condition: evt.type=mount and in_container and proc.name != runc
  output: o
  priority: WARNING
- rule: setns in container
  desc: d
  condition: evt.type=setns and not container.id = host
  output: o
  priority: WARNING
- rule: unshare
  desc: d
  condition: evt.type=unshare and (in_container or proc.name = x)
  output: o
  priority: WARNING
- rule: open in container
  desc: d
  condition: evt.type=openat and in_container
  output: o
  priority: WARNING
"#;
        let mut p = pipeline_with(rules, 4, Matching::First);
        let nr = |name: &str| shared_abi::syscalls::number(name).unwrap();
        let wanted = p.interest();
        // unshare: a host process named x matches; openat: the state needs it.
        let names: Vec<String> = wanted.container_only.iter().map(|k| k.name().into_owned()).collect();
        assert_eq!(names, ["mount", "setns"]);
        p.kernel_predicates = false;
        assert!(p.interest().container_only.is_empty());

        let root = std::env::temp_dir().join(format!("osprey-hostcg-{}", std::process::id()));
        for dir in ["system.slice/cron.service", "default/c1"] {
            std::fs::create_dir_all(root.join(dir)).unwrap();
        }
        let ino = |dir: &str| std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(root.join(dir)).unwrap());
        let (host, ctr) = (ino("system.slice/cron.service"), ino("default/c1"));
        p.state.containers = Some(crate::state::containers::Containers::new(&root));
        p.host_cgroups.watch(wanted.container_only);
        let first = p.host_cgroups.changed_filter().expect("new kinds are pushed");
        assert_eq!((first.hosts, first.drops(nr("mount"), host)), (0, false));
        let mut alerts = Vec::new();
        for (tid, syscall, cgroup) in
            [(10, "mount", host), (11, "mount", ctr), (12, "openat", ino("system.slice")), (13, "mount", 1 << 40)]
        {
            let ev = Event { tid, pid: tid, cgroup_id: cgroup, ..exit_event(nr(syscall), tid.into()) };
            p.process(&ev, |a| alerts.push(a.rule));
        }
        assert_eq!(alerts, ["mount in container"]);
        // Only the host cgroup a container-only syscall came from; the
        // container's, an open's and an unknown one are not.
        let filter = p.host_cgroups.changed_filter().expect("a host cgroup was noted");
        assert_eq!(&filter.host_cgroups[..filter.hosts as usize], &[host]);
        assert!(filter.drops(nr("mount"), host) && filter.drops(nr("setns"), host));
        assert!(!filter.drops(nr("mount"), ctr) && !filter.drops(nr("openat"), host));
        let again = Event { tid: 14, pid: 14, cgroup_id: host, ..exit_event(nr("mount"), 5) };
        p.process(&again, |_| {});
        assert!(p.host_cgroups.changed_filter().is_none(), "known already");
        std::fs::remove_dir_all(&root).unwrap();
    }

    /// `fd.ip`, `fd.net` and `fd.port` look at both ends of a socket and
    /// compare addresses and ports as such, not as text.
    #[test]
    fn socket_fields_match_either_end_as_addresses_and_numbers() {
        let rules = r#"
- rule: https out
  desc: d
  condition: evt.type=connect and fd.port = 443 and fd.net != "127.0.0.0/8" and fd.snet in ("10.0.0.0/8")
  output: ip=%fd.ip port=%fd.port sip=%fd.sip
  priority: WARNING
- rule: not ssh
  desc: d
  condition: evt.type=connect and fd.port != 22 and fd.port > 100 and fd.ip = "10.1.0.0/16"
  output: o
  priority: WARNING
"#;
        let mut p = pipeline_with(rules, 2, Matching::All);
        let mut fired = Vec::new();
        for (i, addr) in ["10.1.2.3:443", "127.0.0.1:443", "10.1.2.3:22", "192.168.1.1:443"].iter().enumerate() {
            let pid = 10 + i as u64;
            for (ty, args) in [
                ("socket", serde_json::json!({"fd": 3, "domain": "AF_INET", "type": 1, "proto": 6})),
                ("connect", serde_json::json!({"res": 0, "fd": 3, "addr": addr})),
            ] {
                let ev = Event::from_json(&serde_json::json!({
                    "evt.rawtime": 1, "evt.type": ty, "evt.dir": "<", "evt.rawres": args["fd"].as_i64().filter(|_| ty == "socket").unwrap_or(0),
                    "proc.pid": pid, "thread.tid": pid, "proc.ppid": 1, "proc.name": "c",
                    "user.uid": 0, "group.gid": 0, "evt.args": args
                }))
                .unwrap();
                p.process(&ev, |a| fired.push(format!("{addr}: {} ({})", a.rule, a.output)));
            }
        }
        assert_eq!(
            fired,
            [
                "10.1.2.3:443: https out (00:00:00.000000001: Warning ip=10.1.2.3 port=443 sip=10.1.2.3)",
                "10.1.2.3:443: not ssh (00:00:00.000000001: Warning o)",
            ]
        );
    }
}
