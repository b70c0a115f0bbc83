//! `osprey run`: the main job. Capture from the kernel rings, keep state,
//! evaluate the rules, emit alerts; the kernel interest set comes from the
//! loaded rules plus what state tracking needs.

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;

use super::engine_setup::{build_syscall_pipeline, RuleOptions};
use crate::config::Config;
use crate::decode;
use crate::event::Event;
use crate::rules::engine::Alert;
use crate::source::kernel::{Device, KernelSource};
use crate::source::EventSource;
use crate::state::procfs;

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
    /// Create this file once capture has started (for scripts).
    #[arg(long, hide = true)]
    pub ready_file: Option<PathBuf>,
}

pub fn run(args: RunArgs) -> Result<()> {
    let config = args
        .config
        .as_deref()
        .map(Config::load)
        .transpose()?
        .unwrap_or_default();
    let mut pipeline = build_syscall_pipeline(&args.rules, Some(&config))?;
    let (interest, why) = pipeline.interest();
    if args.print_interest {
        for (syscall, reasons) in &why {
            println!("{syscall:<16} {}", reasons.join("; "));
        }
        return Ok(());
    }
    eprintln!(
        "osprey: {} rules loaded, {} syscalls of interest",
        pipeline.engine.rules().len(),
        why.keys().filter(|k| *k != "procexit").count()
    );

    let stop = Arc::new(AtomicBool::new(false));
    signal_hook::flag::register(signal_hook::consts::SIGINT, stop.clone())?;
    signal_hook::flag::register(signal_hook::consts::SIGTERM, stop.clone())?;

    let device = Device::open(&args.device)?;
    device.set_interest(&interest)?;
    // Processes that started before us: bootstrap before capture starts so
    // that nothing falls between the two.
    procfs::bootstrap(&mut pipeline.state, std::path::Path::new("/proc"));
    device.start()?;
    if let Some(ready) = &args.ready_file {
        std::fs::write(ready, b"running\n")?;
    }
    let mut source = KernelSource::new(device);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let json = config.json_output;
    let mut emit = |alert: Alert| {
        let _ = if json {
            serde_json::to_writer(&mut out, &alert)
                .map_err(std::io::Error::from)
                .and_then(|_| out.write_all(b"\n"))
        } else {
            writeln!(out, "{}", alert.output)
        };
    };
    let mut batch = Vec::new();
    let mut num = 0u64;
    let mut decode_errors = 0u64;
    let mut idle = Duration::from_micros(500);
    loop {
        if stop.load(Ordering::Relaxed) {
            source.finish();
        }
        let more = source.poll(&mut batch)?;
        if batch.is_empty() && more {
            std::thread::sleep(idle);
            idle = (idle * 2).min(Duration::from_millis(5));
            continue;
        }
        idle = Duration::from_micros(500);
        for raw in batch.drain(..) {
            match decode::decode(&raw.bytes) {
                Ok(Some(record)) => {
                    num += 1;
                    pipeline.process(&Event::from_record(num, &record), &mut emit);
                }
                Ok(None) => {}
                Err(e) => {
                    decode_errors += 1;
                    eprintln!("osprey: skipping undecodable record: {e}");
                }
            }
        }
        if !more {
            break;
        }
    }
    out.flush()?;
    let stats = source.device.stats()?.total;
    eprintln!(
        "osprey: {} events, {} alerts, {} decode errors; kernel: seen {} delivered {} filtered {} dropped {}",
        pipeline.events,
        pipeline.alerts,
        decode_errors + source.decode_errors,
        stats.seen,
        stats.delivered,
        stats.filtered,
        stats.dropped
    );
    Ok(())
}
