//! State tracking: the cost of one state update (criterion, the mix of
//! `common`, 1M events per iteration), and the memory one tracked process and
//! one tracked descriptor take (an allocator that counts live bytes, with
//! 10 000 processes holding 100 000 descriptors).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use osprey::event::{Arg, Dir, Event, Kind};
use osprey::state::State;

mod common;

/// Counts the bytes currently allocated, to measure what the state holds.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller's contract is the one System requires.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: `ptr` came from `alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: as for `dealloc`, and `new_size` is the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const EVENTS: usize = 1_000_000;
const PROCESSES: u32 = 10_000;
const FDS_PER_PROCESS: i64 = 10;

fn exit_event(nr: u32, pid: u32, res: i64, args: Vec<(&'static str, Arg)>) -> Event {
    Event {
        num: 0,
        ts_ns: 1_700_000_000_000_000_000,
        kind: Kind::Syscall(nr),
        dir: Dir::Exit,
        cpu: 0,
        res: Some(res),
        tid: pid,
        pid,
        ppid: 1,
        vtid: pid,
        vpid: pid,
        comm: "python3".into(),
        uid: 1000,
        gid: 1000,
        loginuid: -1,
        cgroup_id: 0,
        container_id: None,
        args: args.into_iter().map(|(k, v)| (k.into(), v)).collect(),
    }
}

/// Live bytes the state gains from tracking `PROCESSES` processes, then their
/// descriptors; printed per process and per descriptor.
fn measure_memory() {
    let mut state = State::new(2 * PROCESSES as usize);
    let start = LIVE.load(Ordering::Relaxed);
    for pid in 1000..1000 + PROCESSES {
        let s = |v: &str| Arg::Str(v.to_string());
        state.update(&exit_event(
            59,
            pid,
            0,
            vec![
                ("exe", s("/usr/bin/python3")),
                ("args", Arg::List(vec!["app.py".into(), "--serve".into()])),
                ("cwd", s("/srv/app")),
                ("trusted_exepath", s("/usr/bin/python3.11")),
            ],
        ));
    }
    let with_processes = LIVE.load(Ordering::Relaxed);
    for pid in 1000..1000 + PROCESSES {
        for fd in 3..3 + FDS_PER_PROCESS {
            let name = format!("/srv/app/data/part-{fd:04}.db");
            state.update(&exit_event(
                257,
                pid,
                fd,
                vec![
                    ("fd", Arg::Int(fd)),
                    ("dirfd", Arg::Int(-100)),
                    ("name", Arg::Str(name)),
                    ("flags", Arg::Str("O_RDWR|O_CLOEXEC".into())),
                ],
            ));
        }
    }
    let with_fds = LIVE.load(Ordering::Relaxed);
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
