//! `osprey replay`: rules over recorded events (JSON lines of `osprey capture
//! --json`, or a capture file), alerts as JSON lines on stdout.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;

use anyhow::{bail, Context, Result};

use super::engine_setup::{build_engine, build_syscall_pipeline, RuleOptions};
use crate::decode;
use crate::event::{Event, EventBatch};
use crate::pipeline::BATCH_EVENTS;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::output::store::AlertStore;
use crate::output::Output;
use crate::pipeline::AuditPipeline;
use crate::rules::fields::Source;
use crate::server::{HttpConfig, RuleInfo, ServerState};
use crate::source::capture_file::CaptureReader;

#[derive(clap::Args, Debug)]
pub struct ReplayArgs {
    /// Event source of the input: syscall or k8s_audit.
    #[arg(long, default_value = "syscall")]
    pub source: String,
    #[command(flatten)]
    pub rules: RuleOptions,
    /// Input file, or - for standard input.
    #[arg(long)]
    pub input: PathBuf,
    /// Afterwards, keep the HTTP API and web UI up at this address to explore
    /// the alerts (until SIGINT).
    #[arg(long)]
    pub serve: Option<std::net::SocketAddr>,
}

pub fn run(args: ReplayArgs) -> Result<()> {
    let store = Arc::new(AlertStore::new(1_000_000));
    let rules = match args.source.as_str() {
        "syscall" => replay_syscalls(&args, &store)?,
        "k8s_audit" => replay_audit(&args, &store)?,
        other => bail!("--source: unknown source '{other}' (syscall, k8s_audit)"),
    };
    let Some(listen) = args.serve else { return Ok(()) };
    let server = Arc::new(ServerState {
        config: HttpConfig { listen, ..HttpConfig::default() },
        audit: None,
        store,
        rules: std::sync::Mutex::new(rules),
        reload: None,
        ready: AtomicBool::new(true),
    });
    let addr = crate::server::spawn(server)?;
    eprintln!("osprey: serving the replayed alerts on http://{addr}/ (Ctrl-C to stop)");
    let stop = Arc::new(AtomicBool::new(false));
    signal_hook::flag::register(signal_hook::consts::SIGINT, stop.clone())?;
    signal_hook::flag::register(signal_hook::consts::SIGTERM, stop.clone())?;
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    Ok(())
}

fn replay_syscalls(args: &ReplayArgs, store: &Arc<AlertStore>) -> Result<Vec<RuleInfo>> {
    let mut pipeline = build_syscall_pipeline(&args.rules, None)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut emit = |alert: crate::rules::engine::Alert| {
        let _ = serde_json::to_writer(&mut out, &alert);
        let _ = out.write_all(b"\n");
        store.emit(&alert);
    };
    let mut bad = 0u64;
    let is_capture = args.input.as_os_str() != "-" && {
        let mut magic = [0u8; 10];
        std::fs::File::open(&args.input).and_then(|mut f| f.read_exact(&mut magic)).is_ok() && &magic == b"OSPREYCAP\0"
    };
    if is_capture {
        let mut reader = CaptureReader::open(&args.input)?;
        let clock = reader.clock();
        let mut events = EventBatch::default();
        let mut num = 0;
        // A read error (a truncated capture) ends the replay, but only after
        // the events before it are judged.
        let mut read = Ok(true);
        while let Ok(true) = read {
            read = reader.read_records(|raw| match decode::decode(raw) {
                Ok(Some(record)) => {
                    num += 1;
                    events.push_record(num, &record, clock);
                    if events.len() == BATCH_EVENTS {
                        pipeline.process_batch(&mut events, &mut emit);
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    bad += 1;
                    eprintln!("osprey: {}: record {num}: {e}", args.input.display());
                }
            });
        }
        pipeline.process_batch(&mut events, &mut emit);
        read?;
    } else {
        let input: Box<dyn Read> = if args.input.as_os_str() == "-" {
            Box::new(std::io::stdin())
        } else {
            Box::new(std::fs::File::open(&args.input).with_context(|| format!("opening {}", args.input.display()))?)
        };
        for (i, line) in BufReader::new(input).lines().enumerate() {
            let line = line.with_context(|| format!("reading {}", args.input.display()))?;
            if line.trim().is_empty() {
                continue;
            }
            let parsed = serde_json::from_str(&line).map_err(anyhow::Error::from).and_then(|v| Event::from_json(&v));
            match parsed {
                Ok(ev) => pipeline.process(&ev, &mut emit),
                Err(e) => {
                    bad += 1;
                    eprintln!("osprey: {}:{}: skipping event: {e:#}", args.input.display(), i + 1);
                }
            }
        }
    }
    out.flush()?;
    eprintln!("replay: {} events, {} alerts, {bad} skipped", pipeline.events, pipeline.alerts);
    Ok(pipeline.engine.rule_infos())
}

/// Audit replay: a file holding one `Event`, an `EventList`, or JSON lines.
fn replay_audit(args: &ReplayArgs, store: &Arc<AlertStore>) -> Result<Vec<RuleInfo>> {
    let engine = build_engine(&args.rules, None, Source::K8sAudit)?;
    let mut pipeline = AuditPipeline::new(engine, crate::state::hostname());
    let mut text = String::new();
    if args.input.as_os_str() == "-" {
        std::io::stdin().read_to_string(&mut text)?;
    } else {
        text = std::fs::read_to_string(&args.input).with_context(|| format!("reading {}", args.input.display()))?;
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    // Each event is evaluated as it is parsed: a large list is never built whole.
    let left_out = crate::audit::parse_each(&text, |ev| {
        pipeline.process(&ev, |alert| {
            let _ = serde_json::to_writer(&mut out, &alert);
            let _ = out.write_all(b"\n");
            store.emit(&alert);
        })
    })
    .map_err(|e| anyhow::anyhow!("{}: {e}", args.input.display()))?;
    if !left_out.is_empty() {
        eprintln!("osprey: {}: {left_out}", args.input.display());
    }
    out.flush()?;
    eprintln!("replay: {} events, {} alerts, {} skipped", pipeline.events, pipeline.alerts, left_out.skipped);
    Ok(pipeline.engine.rule_infos())
}
