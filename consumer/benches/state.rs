//! State tracking: the cost of one state update (criterion, the mix of
//! `common`, 1M events per iteration), and the memory one tracked process and
//! one tracked descriptor take (an allocator that counts live bytes, with
//! 10 000 processes holding 100 000 descriptors).

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use osprey::decode::spelling::Spelling;
use osprey::event::{Arg, Event, Name};
use osprey::state::State;

mod common;

#[global_allocator]
static ALLOCATOR: common::Counting = common::Counting;

const EVENTS: usize = 1_000_000;
const PROCESSES: u32 = 10_000;
const FDS_PER_PROCESS: i64 = 10;

/// Live bytes the state gains from tracking `PROCESSES` processes, then their
/// descriptors; printed per process and per descriptor.
fn measure_memory() {
    let mut state = State::new(2 * PROCESSES as usize);
    let start = common::live_bytes();
    for pid in 1000..1000 + PROCESSES {
        let s = |v: &str| Arg::Str(v.into());
        state.update(&common::exit_event(
            59,
            pid,
            0,
            vec![
                (Name::Exe, s("/usr/bin/python3")),
                (Name::Args, Arg::List(vec!["app.py".into(), "--serve".into()])),
                (Name::Cwd, s("/srv/app")),
                (Name::TrustedExepath, s("/usr/bin/python3.11")),
            ],
        ));
    }
    let with_processes = common::live_bytes();
    for pid in 1000..1000 + PROCESSES {
        for fd in 3..3 + FDS_PER_PROCESS {
            let name = format!("/srv/app/data/part-{fd:04}.db");
            state.update(&common::exit_event(
                257,
                pid,
                fd,
                vec![
                    (Name::Fd, Arg::Int(fd)),
                    (Name::Dirfd, Arg::Int(-100)),
                    (Name::Name, Arg::Str(name.into())),
                    (Name::Flags, Arg::Spelt(0o2000002, Spelling::OpenFlags)),
                ],
            ));
        }
    }
    let with_fds = common::live_bytes();
    let fds = PROCESSES as usize * FDS_PER_PROCESS as usize;
    println!(
        "state memory: {} processes {:.1} MiB ({} B each); {} descriptors {:.1} MiB ({} B each)",
        PROCESSES,
        (with_processes - start) as f64 / (1 << 20) as f64,
        (with_processes - start) / PROCESSES as usize,
        fds,
        (with_fds - with_processes) as f64 / (1 << 20) as f64,
        (with_fds - with_processes) / fds,
    );
    assert_eq!(state.threads.len(), PROCESSES as usize);
}

fn bench(c: &mut Criterion) {
    measure_memory();
    let events: Vec<Event> = (0..EVENTS).map(common::event).collect();
    let mut group = c.benchmark_group("state");
    group.throughput(Throughput::Elements(EVENTS as u64));
    group.sample_size(10);
    group.bench_function("update_1M_mixed", |b| {
        b.iter_batched(
            || State::new(100_000),
            |mut state| {
                for ev in &events {
                    state.update(ev);
                }
                state
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
