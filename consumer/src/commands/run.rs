//! `osprey run`: the main job. Syscalls from the kernel rings through state
//! and rules; Kubernetes audit events from the webhook and/or a log file
//! through the audit rules; alerts to the outputs. The kernel interest set
//! comes from the loaded rules plus what state tracking needs.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;

use super::engine_setup::{build_engine, build_syscall_pipeline, RuleOptions};
use crate::config::Config;
use crate::decode;
use crate::event::EventBatch;
use crate::metrics::METRICS;
use crate::output::Outputs;
use crate::pipeline::{AuditPipeline, KernelInterest, SyscallPipeline, BATCH_EVENTS};
use crate::rules::fields::Source;
use crate::server::{AuditIngest, ReloadReply, ServerState};
use crate::source::audit_file::AuditFileTail;
use crate::source::kernel::{Device, KernelSource};
use crate::source::RecordSink;
use crate::state::procfs;
use shared_abi::Interest;

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// Configuration file (osprey.yaml).
    #[arg(long)]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub rules: RuleOptions,
    /// Print the kernel interest set and why each syscall is in it, then exit.
    #[arg(long)]
    pub print_interest: bool,
    /// The device node.
    #[arg(long, default_value = "/dev/osprey")]
    pub device: PathBuf,
    /// Deliver every failed exit too, even those no rule can match (the
    /// kernel otherwise drops them: see --print-interest).
    #[arg(long)]
    pub no_kernel_predicates: bool,
    /// No syscall capture: only Kubernetes audit events (webhook, file).
    #[arg(long)]
    pub no_kernel: bool,
    /// Override http.listen (port 0 picks a free port; the address is printed).
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// Create this file once capture has started (for scripts).
    #[arg(long, hide = true)]
    pub ready_file: Option<PathBuf>,
    /// Decode on a thread of its own, beside the rules thread: more events/s,
    /// at the price of a second busy core under load. `auto`: when the host
    /// has at least four CPUs.
    #[arg(long, value_enum, default_value_t = DecodeThread::Auto)]
    pub decode_thread: DecodeThread,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DecodeThread {
    Auto,
    On,
    Off,
}

impl DecodeThread {
    fn enabled(self) -> bool {
        match self {
            DecodeThread::On => true,
            DecodeThread::Off => false,
            DecodeThread::Auto => std::thread::available_parallelism().is_ok_and(|n| n.get() >= 4),
        }
    }
}

pub fn run(args: RunArgs) -> Result<()> {
    // Attach while the capabilities that allows are still held: the
    // consumer keeps none of them afterwards.
    let device = match args.no_kernel || args.print_interest {
        true => None,
        false => Some(Device::open(&args.device)?),
    };
    let kept = crate::privileges::drop_to_minimum()?;
    let mut kept: Vec<String> = kept.iter().map(|c| c.to_string()).collect();
    kept.sort();
    eprintln!("osprey: capabilities kept: {}", if kept.is_empty() { "none".into() } else { kept.join(", ") });
    let config = load_config(&args)?;
    let mut syscalls = build_syscall_pipeline(&args.rules, Some(&config))?;
    syscalls.kernel_predicates = !args.no_kernel_predicates;
    if args.print_interest {
        let KernelInterest { interest, why, .. } = syscalls.interest();
        for (syscall, reasons) in &why {
            let delivered = shared_abi::syscalls::number(syscall).is_none_or(|nr| {
                Interest::wants(&interest.exit, nr as usize) || Interest::wants(&interest.enter, nr as usize)
            });
            let not = if delivered { "" } else { "not delivered: " };
            println!("{syscall:<16} {not}{}", reasons.join("; "));
        }
        return Ok(());
    }
    // SIGHUP: the file output reopens its file, and the rules reload.
    let reopen = Arc::new(AtomicBool::new(false));
    signal_hook::flag::register(signal_hook::consts::SIGHUP, reopen.clone())?;
    let sighup = Arc::new(AtomicBool::new(false));
    signal_hook::flag::register(signal_hook::consts::SIGHUP, sighup.clone())?;
    let (reload_tx, reload_rx) = std::sync::mpsc::channel::<ReloadReply>();
    let store = Arc::new(match &config.alert_store_path {
        Some(path) => crate::output::store::AlertStore::open(
            config.alert_store_capacity,
            path,
            std::time::Duration::from_secs(config.alert_store_retention_hours * 3600),
        )?,
        None => crate::output::store::AlertStore::new(config.alert_store_capacity),
    });
    let outputs = Arc::new(crate::output::from_config(&config, &syscalls.state.hostname, reopen, store.clone())?);
    let audit_engine = build_engine(&args.rules, Some(&config), Source::K8sAudit)?;
    let mut rule_infos = syscalls.engine.rule_infos();
    rule_infos.extend(audit_engine.rule_infos());
    eprintln!(
        "osprey: {} syscall rules, {} k8s audit rules loaded",
        syscalls.engine.rules().len(),
        audit_engine.rules().len()
    );
    let audit =
        Arc::new(AuditIngest::new(AuditPipeline::new(audit_engine, syscalls.state.hostname.clone()), outputs.clone()));

    let stop = Arc::new(AtomicBool::new(false));
    signal_hook::flag::register(signal_hook::consts::SIGINT, stop.clone())?;
    signal_hook::flag::register(signal_hook::consts::SIGTERM, stop.clone())?;

    let server = Arc::new(ServerState {
        config: config.http.clone(),
        audit: config.k8s_audit.webhook.then(|| audit.clone()),
        store,
        rules: std::sync::Mutex::new(rule_infos),
        reload: Some(reload_tx),
        ready: AtomicBool::new(false),
    });
    let reloads = Reloads { args: &args, sighup, requests: reload_rx, audit: &audit, server: &server };
    if config.http.enabled {
        let addr = crate::server::spawn(server.clone())?;
        eprintln!("osprey: http listening on {addr}");
    }
    if let Some(path) = &config.k8s_audit.file {
        spawn_audit_tail(path.clone(), config.k8s_audit.position_file.clone(), audit.clone(), stop.clone())?;
    }

    if let Some(device) = device {
        capture(device, &mut syscalls, &config, &outputs, &stop, &reloads)?;
    } else {
        server.ready.store(true, Ordering::Release);
        mark_ready(&args)?;
        while !stop.load(Ordering::Relaxed) {
            reloads.serve(&mut syscalls, None);
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    outputs.flush();
    let m = &METRICS;
    eprintln!(
        "osprey: k8s audit: {} requests, {} events, {} rejected, {} skipped",
        m.audit_requests.get(),
        m.audit_events.get(),
        m.audit_rejected.get(),
        m.audit_skipped.get(),
    );
    Ok(())
}

/// Rule reloads, asked for by SIGHUP or `POST /api/reload`: the config file
/// and rule files are read again; the new rules replace the old only if all
/// of them load, and the kernel interest set follows them.
struct Reloads<'a> {
    args: &'a RunArgs,
    sighup: Arc<AtomicBool>,
    requests: std::sync::mpsc::Receiver<ReloadReply>,
    audit: &'a AuditIngest,
    server: &'a ServerState,
}

impl Reloads<'_> {
    /// Reloads if asked, and answers whoever asked.
    fn serve(&self, syscalls: &mut SyscallPipeline, kernel: Option<&KernelProgrammer>) {
        let signalled = self.sighup.swap(false, Ordering::AcqRel);
        let requests: Vec<ReloadReply> = self.requests.try_iter().collect();
        if !signalled && requests.is_empty() {
            return;
        }
        let outcome = self.reload(syscalls, kernel);
        match &outcome {
            Ok(loaded) => eprintln!("osprey: reloaded: {loaded}"),
            Err(errors) => eprintln!("osprey: reload failed, the rules already loaded stay active:\n{errors}"),
        }
        for reply in requests {
            let _ = reply.send(outcome.clone());
        }
    }

    fn reload(&self, syscalls: &mut SyscallPipeline, kernel: Option<&KernelProgrammer>) -> Result<String, String> {
        let text = |e: anyhow::Error| format!("{e:#}");
        let config = load_config(self.args).map_err(text)?;
        let syscall_engine = build_engine(&self.args.rules, Some(&config), Source::Syscall).map_err(text)?;
        let audit_engine = build_engine(&self.args.rules, Some(&config), Source::K8sAudit).map_err(text)?;
        let loaded =
            format!("{} syscall rules, {} k8s audit rules", syscall_engine.rules().len(), audit_engine.rules().len());
        let mut infos = syscall_engine.rule_infos();
        infos.extend(audit_engine.rule_infos());
        syscalls.engine = syscall_engine;
        if let Some(kernel) = kernel {
            kernel.reprogram(syscalls);
        }
        self.audit.set_engine(audit_engine);
        *self.server.rules.lock().unwrap_or_else(|e| e.into_inner()) = infos;
        Ok(loaded)
    }
}

/// The config file (checked with `--listen` in place), or the defaults.
fn load_config(args: &RunArgs) -> Result<Config> {
    let adjust = |config: &mut Config| {
        if let Some(listen) = args.listen {
            config.http.listen = listen;
        }
    };
    match &args.config {
        Some(path) => Config::load_with(path, adjust),
        None => {
            let mut config = Config::default();
            adjust(&mut config);
            Ok(config)
        }
    }
}

fn mark_ready(args: &RunArgs) -> Result<()> {
    if let Some(ready) = &args.ready_file {
        std::fs::write(ready, b"running\n")?;
    }
    Ok(())
}

/// Follows an audit log file on a thread of its own.
fn spawn_audit_tail(
    path: PathBuf,
    position: Option<PathBuf>,
    audit: Arc<AuditIngest>,
    stop: Arc<AtomicBool>,
) -> Result<()> {
    std::thread::Builder::new().name("osprey-audit-file".into()).spawn(move || {
        let mut tail = AuditFileTail::new(&path, position.as_deref());
        while !stop.load(Ordering::Relaxed) {
            match tail.poll() {
                Ok(lines) if !lines.is_empty() => {
                    let left_out = ingest_lines(&audit, &lines);
                    if !left_out.is_empty() {
                        eprintln!("osprey: {}: {} new lines, {left_out}", path.display(), lines.len());
                    }
                    if let Err(e) = tail.commit() {
                        eprintln!("osprey: {e:#}");
                    }
                }
                Ok(_) => std::thread::sleep(Duration::from_millis(200)),
                Err(e) => {
                    eprintln!("osprey: {e:#}");
                    std::thread::sleep(Duration::from_secs(1));
                }
            }
        }
    })?;
    Ok(())
}

/// Evaluates a poll's lines of the audit log file, each on its own; what
/// was left out is summed for one log line per poll.
fn ingest_lines(audit: &AuditIngest, lines: &[String]) -> crate::audit::LeftOut {
    let mut left_out = crate::audit::LeftOut::default();
    for (i, line) in lines.iter().enumerate() {
        match audit.ingest(line) {
            Ok((_, this)) => left_out.add(this),
            Err(reason) => {
                METRICS.audit_broken_lines.inc();
                left_out.broke(format!("new line {}: {reason}", i + 1));
            }
        }
    }
    left_out
}

/// What `pipeline`'s rules want the kernel to deliver, their container-only
/// syscalls now watched for host cgroups.
fn wanted_of(pipeline: &mut SyscallPipeline) -> KernelInterest {
    let wanted = pipeline.interest();
    pipeline.host_cgroups.watch(wanted.container_only.clone());
    wanted
}

/// Tells the kernel what to deliver.
fn program(device: &Device, pipeline: &mut SyscallPipeline) -> Result<KernelInterest> {
    let wanted = wanted_of(pipeline);
    if let Some(filter) = host_cgroups_changed(pipeline) {
        device.set_container_filter(&filter)?;
    }
    apply_interest(device, &wanted)?;
    Ok(wanted)
}

/// Reprograms the kernel once capture runs, on a thread of its own: a new
/// interest re-hooks the syscalls, which waits for grace periods, and the
/// thread that drains the rings must wait neither for that nor for the
/// device's lock it holds meanwhile (the rings would fill).
struct KernelProgrammer {
    changes: std::sync::mpsc::Sender<KernelChange>,
}

/// What the programmer thread is asked to change.
enum KernelChange {
    Interest(Box<KernelInterest>),
    HostCgroups(Box<shared_abi::ContainerFilter>),
}

impl KernelProgrammer {
    /// Runs `work` with a programmer whose thread, borrowing `device`, ends
    /// with it.
    fn scoped<T>(device: &Device, work: impl FnOnce(&KernelProgrammer) -> T) -> T {
        let (changes, requests) = std::sync::mpsc::channel::<KernelChange>();
        std::thread::scope(|scope| {
            std::thread::Builder::new()
                .name("osprey-kernel".into())
                .spawn_scoped(scope, move || {
                    while let Ok(first) = requests.recv() {
                        // Only the newest of each kind matters.
                        let (mut interest, mut hosts) = (None, None);
                        for change in std::iter::once(first).chain(requests.try_iter()) {
                            match change {
                                KernelChange::Interest(wanted) => interest = Some(wanted),
                                KernelChange::HostCgroups(filter) => hosts = Some(filter),
                            }
                        }
                        let applied = hosts.map_or(Ok(()), |filter| device.set_container_filter(&filter));
                        if let Err(e) = applied.and_then(|()| interest.map_or(Ok(()), |w| apply_interest(device, &w))) {
                            eprintln!("osprey: {e:#}");
                        }
                    }
                })
                .expect("spawning the kernel programmer");
            let programmer = KernelProgrammer { changes };
            work(&programmer)
            // `programmer` dropped: the thread's channel closes, it ends.
        })
    }

    /// Asks the kernel for what `pipeline`'s rules now want.
    fn reprogram(&self, pipeline: &mut SyscallPipeline) {
        self.send(KernelChange::Interest(Box::new(wanted_of(pipeline))));
    }

    /// Hands the kernel the host cgroups noted since last time, if any.
    fn push_host_cgroups(&self, pipeline: &mut SyscallPipeline) {
        if let Some(filter) = host_cgroups_changed(pipeline) {
            self.send(KernelChange::HostCgroups(filter));
        }
    }

    fn send(&self, change: KernelChange) {
        // The thread lives as long as `self`: the send cannot fail.
        let _ = self.changes.send(change);
    }
}

/// Replaces what the kernel delivers: every open while the interest
/// changes, then the new filter, so that no open the old or the new rules
/// want is dropped in between.
fn apply_interest(device: &Device, wanted: &KernelInterest) -> Result<()> {
    device.set_open_filter(&shared_abi::OpenFilter::off())?;
    device.set_interest(&wanted.interest)?;
    device.set_open_filter(&wanted.open_filter)
}

/// The host cgroups noted since last time, as the kernel's container filter.
fn host_cgroups_changed(pipeline: &mut SyscallPipeline) -> Option<Box<shared_abi::ContainerFilter>> {
    let filter = pipeline.host_cgroups.changed_filter()?;
    METRICS.host_cgroups.set(filter.hosts.into());
    Some(filter)
}

/// The syscall loop: program the attached device, bootstrap state, drain
/// until asked to stop. `reloads` holds the arguments and the server too.
fn capture(
    device: Device,
    pipeline: &mut SyscallPipeline,
    config: &Config,
    outputs: &Outputs,
    stop: &AtomicBool,
    reloads: &Reloads<'_>,
) -> Result<()> {
    let (args, server) = (reloads.args, reloads.server);
    let wanted = program(&device, pipeline)?;
    // Processes that started before us: bootstrap before capture starts so
    // that nothing falls between the two.
    procfs::bootstrap(&mut pipeline.state, std::path::Path::new("/proc"));
    let cgroups = config.host_path(std::path::Path::new("/sys/fs/cgroup"));
    pipeline.state.containers = Some(crate::state::containers::Containers::new(&cgroups));
    pipeline.state.runtimes = Some(crate::state::runtimes::RuntimeApis::start(crate::state::runtimes::Sockets {
        containerd: config.host_path(&config.containerd_socket),
        crio: config.host_path(&config.crio_socket),
        docker: config.host_path(&config.docker_socket),
        podman: config.host_path(&config.podman_socket),
    }));
    // The module counts from its load: this run's share is the difference.
    let before = device.stats()?.total;
    device.start()?;
    eprintln!("osprey: capturing {} syscalls", wanted.why.keys().filter(|k| *k != "procexit").count());
    server.ready.store(true, Ordering::Release);
    mark_ready(args)?;
    METRICS.abi_version.set(device.info().abi_version.into());
    let device = &device;
    let (num, decode_errors) = KernelProgrammer::scoped(device, |kernel| {
        let mut evaluator = Evaluator::new(pipeline, kernel, reloads, outputs);
        if args.decode_thread.enabled() {
            eprintln!("osprey: decoding on a thread of its own");
            crate::pipeline::on_two_threads(
                |deliver| read_and_decode(device, stop, || {}, deliver),
                |events| {
                    evaluator.evaluate(events);
                    evaluator.upkeep();
                },
            )
        } else {
            // Both the reader's idle rounds and its batches use the evaluator, one at a time.
            let evaluator = std::cell::RefCell::new(evaluator);
            read_and_decode(
                device,
                stop,
                || evaluator.borrow_mut().upkeep(),
                |mut events| {
                    let mut evaluator = evaluator.borrow_mut();
                    evaluator.evaluate(&mut events);
                    evaluator.upkeep();
                    Ok(events)
                },
            )
        }
    })?;
    publish_kernel_metrics(device);
    pipeline.publish_metrics();
    let stats = device.stats()?.total - before;
    eprintln!(
        "osprey: {} events, {} alerts, {} decode errors; kernel: seen {} delivered {} filtered {} dropped {}",
        num, pipeline.alerts, decode_errors, stats.seen, stats.delivered, stats.filtered, stats.dropped
    );
    Ok(())
}

/// Drains the rings in time order and decodes each record where it lies in
/// the ring, handing the events on in batches of at most `BATCH_EVENTS` to
/// `deliver`, which returns an emptied batch to fill next (so steady state
/// allocates no batch and no event); `idle` runs on every round. Returns
/// (records decoded, decode errors) once `stop` is set and the rings are
/// drained.
fn read_and_decode(
    device: &Device,
    stop: &AtomicBool,
    mut idle: impl FnMut(),
    deliver: impl FnMut(EventBatch) -> Result<EventBatch>,
) -> Result<(u64, u64)> {
    let mut source = KernelSource::new(device);
    // At once, so that /metrics never shows zeros for counters the module
    // has had since it loaded.
    publish_kernel_metrics(device);
    let mut kernel_published = Instant::now();
    let mut decoder =
        Decoder { num: 0, clock: decode::WallClock::now(), decode_errors: 0, events: EventBatch::default(), deliver };
    source.drain_until(
        |source| {
            if kernel_published.elapsed() >= Duration::from_secs(1) {
                publish_kernel_metrics(source.device);
                kernel_published = Instant::now();
            }
            idle();
            stop.load(Ordering::Relaxed)
        },
        &mut decoder,
    )?;
    Ok((decoder.num, decoder.decode_errors + source.decode_errors))
}

/// Decodes records into events and hands them on in batches.
struct Decoder<D> {
    num: u64,
    clock: decode::WallClock,
    decode_errors: u64,
    events: EventBatch,
    deliver: D,
}

impl<D: FnMut(EventBatch) -> Result<EventBatch>> RecordSink for Decoder<D> {
    fn record(&mut self, bytes: &[u8]) -> Result<()> {
        match decode::decode(bytes) {
            Ok(Some(record)) => {
                self.num += 1;
                self.events.push_record(self.num, &record, self.clock);
                if self.events.len() == BATCH_EVENTS {
                    self.hand_on()?;
                }
            }
            Ok(None) => {}
            Err(e) => {
                self.decode_errors += 1;
                METRICS.decode_errors.inc();
                eprintln!("osprey: skipping undecodable record: {e}");
            }
        }
        Ok(())
    }

    fn round_end(&mut self) -> Result<()> {
        // Read once a round: a set wall clock shows from the next round on.
        self.clock = decode::WallClock::now();
        self.hand_on()
    }
}

impl<D: FnMut(EventBatch) -> Result<EventBatch>> Decoder<D> {
    /// Hands the events decoded so far on, getting an emptied batch back.
    fn hand_on(&mut self) -> Result<()> {
        if !self.events.is_empty() {
            self.events = (self.deliver)(std::mem::take(&mut self.events))?;
        }
        Ok(())
    }
}

/// State update, rules and outputs, in record order; between batches,
/// reloads and periodic upkeep.
struct Evaluator<'a> {
    pipeline: &'a mut SyscallPipeline,
    kernel: &'a KernelProgrammer,
    reloads: &'a Reloads<'a>,
    outputs: &'a Outputs,
    state_published: Instant,
    swept: Instant,
}

impl<'a> Evaluator<'a> {
    fn new(
        pipeline: &'a mut SyscallPipeline,
        kernel: &'a KernelProgrammer,
        reloads: &'a Reloads<'a>,
        outputs: &'a Outputs,
    ) -> Self {
        Self { pipeline, kernel, reloads, outputs, state_published: Instant::now(), swept: Instant::now() }
    }

    fn evaluate(&mut self, events: &mut EventBatch) {
        self.pipeline.process_batch(events, |a| self.outputs.emit(&a));
    }

    fn upkeep(&mut self) {
        self.reloads.serve(self.pipeline, Some(self.kernel));
        self.kernel.push_host_cgroups(self.pipeline);
        if self.state_published.elapsed() >= Duration::from_secs(1) {
            self.pipeline.publish_metrics();
            // /etc/passwd and /etc/group are re-read when they change.
            self.pipeline.state.refresh_users();
            self.state_published = Instant::now();
        }
        if self.swept.elapsed() >= Duration::from_secs(30) {
            self.pipeline.state.sweep_exited(std::path::Path::new("/proc"));
            self.swept = Instant::now();
        }
    }
}

/// Per-CPU ring counters as gauges.
fn publish_kernel_metrics(device: &Device) {
    for cpu in 0..device.nr_rings() {
        let s = match device.ring_stats(cpu) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("osprey: {e:#}");
                return;
            }
        };
        let cpu_label = cpu.to_string();
        for (outcome, value) in
            [("seen", s.seen), ("delivered", s.delivered), ("filtered", s.filtered), ("dropped", s.dropped)]
        {
            METRICS.kernel_events.with_label_values(&[cpu_label.as_str(), outcome]).set(value as i64);
        }
        METRICS.ring_fill.with_label_values(&[cpu_label.as_str()]).set(device.ring_fill(cpu));
    }
    match device.stats() {
        Ok(s) => METRICS.per_syscall_hooks.set(s.hooked.into()),
        Err(e) => eprintln!("osprey: {e:#}"),
    }
    match device.syscalls_seen() {
        Ok(syscalls) => {
            for (name, counts) in syscalls {
                for (outcome, count) in ["delivered", "filtered", "dropped"].into_iter().zip(counts) {
                    METRICS.kernel_syscall_events.with_label_values(&[name.as_str(), outcome]).set(count as i64);
                }
            }
        }
        Err(e) => eprintln!("osprey: {e:#}"),
    }
}
