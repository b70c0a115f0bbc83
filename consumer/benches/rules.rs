//! Events/s through state + rules with Falco's stable ruleset, one core.
//!
//! The stream is the synthetic but realistic mix of `common`, 1M events per
//! iteration, replayed through the same pipeline `osprey run` uses.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use osprey::commands::engine_setup::{build_syscall_pipeline, RuleOptions};
use osprey::event::Event;

mod common;
use common::{event, stable_rules};

const EVENTS: usize = 1_000_000;

fn bench(c: &mut Criterion) {
    let events: Vec<Event> = (0..EVENTS).map(event).collect();
    let opts = RuleOptions { rules: vec![stable_rules()], all_matches: false };
    let mut group = c.benchmark_group("state+rules");
    group.throughput(Throughput::Elements(EVENTS as u64));
    group.sample_size(10);
    group.bench_function("falco_stable_1M_mixed", |b| {
        b.iter_batched(
            || build_syscall_pipeline(&opts, None).expect("rules load"),
            |mut p| {
                let mut alerts = 0u64;
                for ev in &events {
                    p.process(ev, |_| alerts += 1);
                }
                alerts
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
