//! Events/s per core from ring bytes to verdicts: decode, event, state update
//! and Falco's stable rules, from records packed in one batch and — what
//! `osprey run` does — merged from two CPU rings and decoded in place; the
//! same on two threads (`--decode-thread on`); decode alone; from two rings
//! again, but only the records the kernel would deliver under these rules
//! (their interest set). Also prints the allocations per event once the
//! state is warm (the pipeline's steady state).

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use osprey::commands::engine_setup::{build_syscall_pipeline, RuleOptions};
use osprey::decode::{decode, Record, WallClock};
use osprey::event::{Event, EventBatch};
use osprey::pipeline::{on_two_threads, SyscallPipeline, BATCH_EVENTS};
use osprey::source::capture_file::CaptureWriter;
use osprey::source::kernel::{merge, RingReader};
use osprey::source::RecordBatch;
use shared_abi::Interest;

mod common;
use common::{allocations, record, stable_rules, Counting};

#[global_allocator]
static ALLOC: Counting = Counting;

/// Records per pass: a million, or `OSPREY_BENCH_RECORDS` (fewer make
/// `scripts/bench-instructions.sh` quick under callgrind).
fn records() -> usize {
    std::env::var("OSPREY_BENCH_RECORDS").ok().and_then(|n| n.parse().ok()).unwrap_or(1_000_000)
}

/// As `osprey run`: events decoded into batches of `BATCH_EVENTS`, each
/// evaluated once full.
fn run(pipeline: &mut SyscallPipeline, batch: &RecordBatch) -> u64 {
    let mut alerts = 0u64;
    let mut events = EventBatch::default();
    for (num, bytes) in batch.iter().enumerate() {
        events.push_record(
            num as u64,
            &decode(bytes).expect("valid record").expect("not padding"),
            WallClock::default(),
        );
        if events.len() == BATCH_EVENTS {
            pipeline.process_batch(&mut events, |_| alerts += 1);
        }
    }
    pipeline.process_batch(&mut events, |_| alerts += 1);
    alerts
}

/// The same from two rings merged into time order, each record decoded
/// where it lies. Never inlined: callgrind counts from its entry.
#[inline(never)]
fn run_rings(pipeline: &mut SyscallPipeline, rings: &[Vec<u8>]) -> u64 {
    let mut readers: Vec<RingReader<'_>> =
        rings.iter().map(|r| RingReader::new(r, 0, r.len() as u64, r.len() as u64)).collect();
    let (mut num, mut alerts) = (0u64, 0u64);
    let mut events = EventBatch::default();
    merge(
        &mut readers,
        &mut |bytes| {
            num += 1;
            events.push_record(num, &decode(bytes)?.expect("not padding"), WallClock::default());
            if events.len() == BATCH_EVENTS {
                pipeline.process_batch(&mut events, |_| alerts += 1);
            }
            Ok(())
        },
        &mut 0,
        &mut |_| {},
    )
    .expect("valid records");
    pipeline.process_batch(&mut events, |_| alerts += 1);
    alerts
}

/// For `scripts/bench-replay.sh`: the mix as capture files in `dir`, whole
/// (`whole.cap`), as the interest set delivers it (`interest-set.cap`), and
/// none of it (`empty.cap`, for the cost of starting).
fn write_captures(dir: &std::path::Path, batch: &RecordBatch, delivered: &dyn Fn(&[u8]) -> bool) {
    type Keep<'a> = &'a dyn Fn(&[u8]) -> bool;
    let files: [(&str, Keep); 3] =
        [("whole.cap", &|_| true), ("interest-set.cap", delivered), ("empty.cap", &|_| false)];
    for (name, keep) in files {
        let mut out = CaptureWriter::create(&dir.join(name), WallClock::default()).expect("a writable directory");
        for bytes in batch.iter().filter(|b| keep(b)) {
            out.write(bytes).expect("written");
        }
        out.finish().expect("written");
    }
}

fn bench(c: &mut Criterion) {
    let records = records();
    let mut batch = RecordBatch::default();
    // Two CPUs' rings, the records alternating between them.
    let mut rings = vec![Vec::new(), Vec::new()];
    for i in 0..records {
        let bytes = record(i);
        batch.push(&bytes);
        rings[i % 2].extend_from_slice(&bytes);
    }
    let opts = RuleOptions { rules: vec![stable_rules()], all_matches: false };

    let mut pipeline = build_syscall_pipeline(&opts, None).expect("rules load");
    // The mix as the interest set lets it out of the kernel: read and
    // write, nearly half of it, are in no rule's interest set. What is left
    // costs more per record (opens, closes, execs, sockets). The kernel's
    // open filter would drop some opens and closes too; it is not applied.
    let interest = pipeline.interest().interest;
    let delivers = |bytes: &[u8]| match decode(bytes).expect("valid record") {
        Some(Record::Syscall(sc)) => Interest::wants(&interest.exit, sc.rec.nr as usize),
        _ => false,
    };
    let mut delivered = vec![Vec::new(), Vec::new()];
    let mut kept = 0;
    for bytes in batch.iter().filter(|b| delivers(b)) {
        delivered[kept % 2].extend_from_slice(bytes);
        kept += 1;
    }

    if let Some(dir) = std::env::var_os("OSPREY_BENCH_CAPTURES") {
        write_captures(std::path::Path::new(&dir), &batch, &delivers);
    }

    // The warm passes `scripts/bench-instructions.sh` counts: over the whole
    // mix, or with OSPREY_BENCH_MIX=interest-set over the delivered part.
    let interest_set_mix = std::env::var("OSPREY_BENCH_MIX").as_deref() == Ok("interest-set");
    let (counted, counted_records) = if interest_set_mix { (&delivered, kept) } else { (&rings, records) };
    run(&mut pipeline, &batch);
    if interest_set_mix {
        run_rings(&mut pipeline, counted);
    } else {
        assert_eq!(run(&mut pipeline, &batch), run_rings(&mut pipeline, &rings), "the same verdicts either way");
    }
    let before = allocations();
    let alerts = run_rings(&mut pipeline, counted);
    let per_event = (allocations() - before) as f64 / counted_records as f64;
    eprintln!(
        "pipeline: {per_event:.2} allocations per event in the steady state ({alerts} alerts per pass of {counted_records} records)"
    );

    let mut group = c.benchmark_group("decode+state+rules");
    group.throughput(Throughput::Elements(records as u64));
    group.sample_size(10);
    group.bench_function("falco_stable_1M_records", |b| {
        b.iter_batched(
            || build_syscall_pipeline(&opts, None).expect("rules load"),
            |mut p| run(&mut p, &batch),
            BatchSize::PerIteration,
        )
    });
    group.bench_function("rings_2cpu_1M_records", |b| {
        b.iter_batched(
            || build_syscall_pipeline(&opts, None).expect("rules load"),
            |mut p| run_rings(&mut p, &rings),
            BatchSize::PerIteration,
        )
    });
    // As `osprey run --decode-thread on`: decoding on one core, state and
    // rules on another, batches of `BATCH_EVENTS` between them.
    group.bench_function("two_threads_1M_records", |b| {
        b.iter_batched(
            || build_syscall_pipeline(&opts, None).expect("rules load"),
            |mut p| {
                let mut alerts = 0u64;
                on_two_threads(
                    |deliver| {
                        let mut events = EventBatch::default();
                        for (num, bytes) in batch.iter().enumerate() {
                            let record = decode(bytes).expect("valid record").expect("not padding");
                            events.push_record(num as u64, &record, WallClock::default());
                            if events.len() == BATCH_EVENTS {
                                events = deliver(events)?;
                            }
                        }
                        deliver(events).map(drop)
                    },
                    |events| p.process_batch(events, |_| alerts += 1),
                )
                .expect("no producer error");
                alerts
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("decode_only_1M_records", |b| {
        b.iter(|| {
            batch
                .iter()
                .map(|bytes| {
                    Event::from_record(0, &decode(bytes).expect("valid").expect("not padding"), WallClock::default())
                        .args
                        .len()
                })
                .sum::<usize>()
        })
    });
    group.throughput(Throughput::Elements(kept as u64));
    group.bench_function("rings_2cpu_interest_set_only", |b| {
        b.iter_batched(
            || build_syscall_pipeline(&opts, None).expect("rules load"),
            |mut p| run_rings(&mut p, &delivered),
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
