//! `osprey capture`: attach to the rings (or read a capture file), decode, and
//! print every event as text or Falco-keyed JSON lines.

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use serde_json::json;
use shared_abi::{syscalls, Interest, RingStats, INTEREST_EXEC_ENV, INTEREST_PROCEXIT, INTEREST_WORDS};

use crate::decode;
use crate::event::Event;
use crate::source::capture_file::{CaptureReader, CaptureWriter};
use crate::source::kernel::{Device, KernelSource};
use crate::source::{EventSource, RecordBatch, RecordSink};

#[derive(clap::Args, Debug)]
pub struct CaptureArgs {
    /// One JSON object per event, keyed by Falco field names.
    #[arg(long)]
    pub json: bool,
    /// Comma-separated syscall names to capture (and `procexit`); default all.
    #[arg(long, value_delimiter = ',')]
    pub syscalls: Vec<String>,
    /// Exit records only, as `osprey run` asks for: an exit carries the
    /// syscall's arguments too, so only the enter's timestamp is missing.
    #[arg(long)]
    pub exits_only: bool,
    /// Stop after this many seconds (default: until SIGINT/SIGTERM).
    #[arg(long)]
    pub duration: Option<f64>,
    /// Also store the raw records in this capture file.
    #[arg(long)]
    pub write: Option<PathBuf>,
    /// Drain the rings without decoding or printing: the cheapest consumer,
    /// for measuring the producer side (the closing counters still print).
    #[arg(long, conflicts_with_all = ["json", "read"])]
    pub no_print: bool,
    /// Print a capture file instead of attaching to the device.
    #[arg(long, conflicts_with_all = ["write", "syscalls", "exits_only", "duration"])]
    pub read: Option<PathBuf>,
    /// The device node.
    #[arg(long, default_value = "/dev/osprey")]
    pub device: PathBuf,
    /// Create this file once capture has started (for scripts).
    #[arg(long, hide = true)]
    pub ready_file: Option<PathBuf>,
}

/// The interest set for a list of names (`procexit` included), enters
/// included unless `exits_only`. A capture shows everything the kernel can
/// tell, the exec environment included.
pub fn interest_for(names: &[String], exits_only: bool) -> Result<Interest> {
    let mut interest = Interest::all();
    interest.flags |= INTEREST_EXEC_ENV;
    if exits_only {
        interest.enter = [0; INTEREST_WORDS];
    }
    if names.is_empty() {
        return Ok(interest);
    }
    interest = Interest { flags: INTEREST_EXEC_ENV, ..Interest::default() };
    for name in names {
        if name == "procexit" {
            interest.flags |= INTEREST_PROCEXIT;
            continue;
        }
        let Some(nr) = syscalls::number(name) else { bail!("--syscalls: unknown syscall '{name}'") };
        interest.set(nr as usize, !exits_only, true);
    }
    Ok(interest)
}

pub fn run(args: CaptureArgs) -> Result<()> {
    let stop = Arc::new(AtomicBool::new(false));
    signal_hook::flag::register(signal_hook::consts::SIGINT, stop.clone())?;
    signal_hook::flag::register(signal_hook::consts::SIGTERM, stop.clone())?;
    let mut printer = Printer {
        json: args.json,
        num: 0,
        clock: decode::WallClock::now(),
        out: BufWriter::new(std::io::stdout().lock()),
        decode_errors: 0,
    };

    if let Some(path) = &args.read {
        let mut reader = CaptureReader::open(path)?;
        let mut batch = RecordBatch::default();
        loop {
            let more = reader.poll(&mut batch)?;
            batch.iter().try_for_each(|raw| printer.print(raw))?;
            batch.clear();
            if !more || stop.load(Ordering::Relaxed) {
                break;
            }
        }
        printer.out.flush()?;
        return Ok(());
    }

    let device = Device::open(&args.device)?;
    device.set_interest(&interest_for(&args.syscalls, args.exits_only)?)?;
    let baseline = (0..device.nr_rings()).map(|c| device.ring_stats(c)).collect::<Result<Vec<_>>>()?;
    device.start()?;
    if let Some(ready) = &args.ready_file {
        std::fs::write(ready, b"capturing\n")?;
    }
    let mut source = KernelSource::new(&device);
    let writer = args.write.as_deref().map(|path| CaptureWriter::create(path, decode::WallClock::now())).transpose()?;
    let deadline = args.duration.map(|s| Instant::now() + Duration::from_secs_f64(s));
    let mut sink = CaptureSink { writer, printer: (!args.no_print).then_some(printer) };
    source.drain_until(|_| stop.load(Ordering::Relaxed) || deadline.is_some_and(|d| Instant::now() >= d), &mut sink)?;
    if let Some(w) = sink.writer {
        w.finish()?;
    }
    let (printed, decode_errors) = sink.printer.map_or((0, 0), |p| (p.num, p.decode_errors));
    report_stats(&source, &baseline, printed, decode_errors)
}

struct Printer<W: Write> {
    json: bool,
    num: u64,
    /// Read each round: a set wall clock shows from the next round on.
    clock: decode::WallClock,
    out: W,
    decode_errors: u64,
}

/// Live records to the capture file and the printer.
struct CaptureSink<W: Write> {
    writer: Option<CaptureWriter>,
    printer: Option<Printer<W>>,
}

impl<W: Write> RecordSink for CaptureSink<W> {
    fn record(&mut self, bytes: &[u8]) -> Result<()> {
        if let Some(w) = self.writer.as_mut() {
            w.write(bytes)?;
        }
        if let Some(p) = self.printer.as_mut() {
            p.print(bytes)?;
        }
        Ok(())
    }

    fn round_end(&mut self) -> Result<()> {
        if let Some(p) = self.printer.as_mut() {
            p.out.flush()?;
            p.clock = decode::WallClock::now();
        }
        Ok(())
    }
}

impl<W: Write> Printer<W> {
    fn print(&mut self, raw: &[u8]) -> Result<()> {
        match decode::decode(raw) {
            Ok(Some(record)) => {
                self.num += 1;
                let event = Event::from_record(self.num, &record, self.clock);
                if self.json {
                    serde_json::to_writer(&mut self.out, &event.to_json())?;
                    self.out.write_all(b"\n")?;
                } else {
                    writeln!(self.out, "{}", event.to_text())?;
                }
            }
            Ok(None) => {}
            Err(e) => {
                self.decode_errors += 1;
                eprintln!("osprey: skipping undecodable record: {e}");
            }
        }
        Ok(())
    }
}

/// Per-CPU counters since attach, on stderr: a table, then one JSON line.
fn report_stats(source: &KernelSource<'_>, baseline: &[RingStats], printed: u64, decode_errors: u64) -> Result<()> {
    let mut total = RingStats::default();
    let mut per_cpu = Vec::new();
    eprintln!(
        "{:>5} {:>12} {:>12} {:>12} {:>12} {:>10}",
        "cpu", "seen", "delivered", "filtered", "dropped", "truncated"
    );
    for (cpu, base) in baseline.iter().enumerate() {
        let d = source.device.ring_stats(cpu)? - *base;
        eprintln!(
            "{cpu:>5} {:>12} {:>12} {:>12} {:>12} {:>10}",
            d.seen, d.delivered, d.filtered, d.dropped, d.truncated
        );
        total = total + d;
        per_cpu.push(
            json!({"cpu": cpu, "seen": d.seen, "delivered": d.delivered, "filtered": d.filtered, "dropped": d.dropped}),
        );
    }
    eprintln!(
        "{:>5} {:>12} {:>12} {:>12} {:>12} {:>10}",
        "total", total.seen, total.delivered, total.filtered, total.dropped, total.truncated
    );
    let module = source.device.stats().unwrap_or_default();
    let (hooked, module) = (module.hooked != 0, module.total);
    let by_syscall: serde_json::Map<String, serde_json::Value> = source
        .device
        .syscalls_seen()
        .unwrap_or_else(|e| {
            eprintln!("osprey: {e:#}");
            Vec::new()
        })
        .into_iter()
        .map(|(name, [d, f, x])| (name, json!({"delivered": d, "filtered": f, "dropped": x})))
        .collect();
    let summary = json!({
        "module_since_load": {"seen": module.seen, "delivered": module.delivered, "filtered": module.filtered, "dropped": module.dropped},
        "by_syscall_since_load": by_syscall,
        "seen": total.seen, "delivered": total.delivered, "filtered": total.filtered,
        "dropped": total.dropped, "truncated": total.truncated, "printed": printed,
        "decode_errors": decode_errors + source.decode_errors, "per_cpu": per_cpu,
        "per_syscall_hooks": hooked,
    });
    eprintln!("osprey-stats {summary}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exits_only_asks_for_no_enter() {
        let nr = syscalls::number("openat").unwrap() as usize;
        for names in [vec![], vec!["openat".to_string(), "procexit".to_string()]] {
            let both = interest_for(&names, false).unwrap();
            let exits = interest_for(&names, true).unwrap();
            assert!(Interest::wants(&both.enter, nr) && Interest::wants(&both.exit, nr));
            assert_eq!(exits.enter, [0; INTEREST_WORDS]);
            assert_eq!((exits.exit, exits.flags), (both.exit, both.flags));
        }
    }
}
