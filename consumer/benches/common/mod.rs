//! The replayed event mix shared by the benchmarks: process starts, file
//! opens and closes, socket connects, reads and writes from a few hundred
//! processes.

#![allow(dead_code)] // each bench uses its part

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use osprey::decode::encode;
use osprey::decode::spelling::Spelling;
use osprey::event::{Arg, Dir, Event, Kind, Name};
use shared_abi::{BlobKind, RecordHeader, SyscallTable};

/// Falco's stable ruleset from the shared compatibility material
/// (`OSPREY_COMPAT` overrides where it lies).
pub fn stable_rules() -> PathBuf {
    std::env::var_os("OSPREY_COMPAT")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/compat"))
        .join("falco-rules/falco_rules.yaml")
}

/// Event `i` of the mix (deterministic).
pub fn event(i: usize) -> Event {
    let pid = 1000 + (i % 300) as u32;
    let s = |v: &str| Arg::Str(v.into());
    let (nr, res, args): (u32, i64, Vec<(Name, Arg)>) = match i % 20 {
        0 => (
            59,
            0,
            vec![
                (Name::Exe, s("python3")),
                (Name::Args, Arg::List(vec!["app.py".into(), "--serve".into()])),
                (Name::Cwd, s("/srv")),
                (Name::TrustedExepath, s("/usr/bin/python3")),
            ],
        ),
        1..=5 => (
            257,
            3 + (i % 5) as i64,
            vec![
                (Name::Fd, Arg::Int(3 + (i % 5) as i64)),
                (Name::Dirfd, Arg::Int(-100)),
                (
                    Name::Name,
                    s(["/etc/hosts", "/srv/data.db", "/usr/lib/libssl.so.3", "/proc/self/status", "/tmp/cache"][i % 5]),
                ),
                (Name::Flags, Arg::Spelt(if i % 3 == 0 { 0o2000000 } else { 0o101 }, Spelling::OpenFlags)),
                (Name::Mode, Arg::Spelt(0o644, Spelling::Mode)),
            ],
        ),
        6..=8 => (3, 0, vec![(Name::Res, Arg::Int(0)), (Name::Fd, Arg::Int(3 + (i % 5) as i64))]),
        9 => (
            41,
            9,
            vec![
                (Name::Fd, Arg::Int(9)),
                (Name::Domain, Arg::Spelt(2, Spelling::Family)),
                (Name::Type, Arg::Int(1)),
                (Name::Proto, Arg::Int(6)),
            ],
        ),
        10 => (
            42,
            0,
            vec![
                (Name::Res, Arg::Int(0)),
                (Name::Fd, Arg::Int(9)),
                (Name::Addr, Arg::Addr("10.0.0.5:5432".parse().expect("an address"))),
            ],
        ),
        11..=15 => (0, 512, vec![(Name::Res, Arg::Int(512)), (Name::Fd, Arg::Int(9)), (Name::Size, Arg::Int(4096))]),
        _ => (1, 512, vec![(Name::Res, Arg::Int(512)), (Name::Fd, Arg::Int(9)), (Name::Size, Arg::Int(512))]),
    };
    let mut ev = exit_event(nr, pid, res, args);
    ev.num = i as u64;
    ev.ts_ns += i as u64 * 1000;
    ev
}

/// A syscall exit of `pid` (a python3 process of uid 1000).
pub fn exit_event(nr: u32, pid: u32, res: i64, args: Vec<(Name, Arg)>) -> Event {
    Event {
        num: 0,
        ts_ns: 1_700_000_000_000_000_000,
        kind: Kind::Syscall(nr),
        dir: Dir::Exit,
        table: SyscallTable::X86_64,
        from_32bit_program: false,
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
        args: args.into_iter().collect(),
    }
}

/// Record `i` of the same mix, as the kernel writes it: what `osprey run`
/// decodes from a ring.
pub fn record(i: usize) -> Vec<u8> {
    let pid = 1000 + (i % 300) as u32;
    let mut comm = [0u8; 16];
    comm[..7].copy_from_slice(b"python3");
    let hdr = RecordHeader {
        ts_ns: 1_700_000_000_000_000_000 + i as u64 * 1000,
        tid: pid,
        pid,
        ppid: 1,
        uid: 1000,
        gid: 1000,
        loginuid: u32::MAX,
        comm,
        vtid: pid,
        vpid: pid,
        ..Default::default()
    };
    let fd = 3 + (i % 5) as u64;
    match i % 20 {
        0 => encode::syscall(
            hdr,
            true,
            59,
            0,
            [0; 6],
            &[
                (BlobKind::Exe, 0, 0, b"/usr/bin/python3"),
                (BlobKind::Args, 0, 0, b"python3\0app.py\0--serve\0"),
                (BlobKind::Cwd, 0, 0, b"/srv"),
            ],
        ),
        1..=5 => {
            let path = ["/etc/hosts", "/srv/data.db", "/usr/lib/libssl.so.3", "/proc/self/status", "/tmp/cache"][i % 5];
            let flags = if i % 3 == 0 { 0o2000000 } else { 0o101 };
            encode::syscall(
                hdr,
                true,
                257,
                fd as i64,
                [(-100i64) as u64, 0, flags, 0o644, 0, 0],
                &[(BlobKind::Str, 1, 0, path.as_bytes())],
            )
        }
        6..=8 => encode::syscall(hdr, true, 3, 0, [fd, 0, 0, 0, 0, 0], &[]),
        9 => encode::syscall(hdr, true, 41, 9, [2, 1, 6, 0, 0, 0], &[]),
        10 => {
            let mut addr = vec![2, 0, 0x15, 0x38, 10, 0, 0, 5];
            addr.resize(16, 0);
            encode::syscall(hdr, true, 42, 0, [9, 0, 16, 0, 0, 0], &[(BlobKind::Sockaddr, 1, 0, &addr)])
        }
        11..=15 => encode::syscall(hdr, true, 0, 512, [9, 0, 4096, 0, 0, 0], &[]),
        _ => encode::syscall(hdr, true, 1, 512, [9, 0, 512, 0, 0, 0], &[]),
    }
}

/// An allocator that counts live bytes and allocations, for the benches that
/// measure memory (each installs it with `#[global_allocator]`).
pub struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

/// Bytes allocated and not yet freed.
pub fn live_bytes() -> usize {
    LIVE.load(Ordering::Relaxed)
}

/// Allocations (and reallocations) so far.
pub fn allocations() -> usize {
    ALLOCATIONS.load(Ordering::Relaxed)
}

// SAFETY: forwards to the system allocator unchanged; only counts sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
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
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        LIVE.fetch_add(new_size, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: as for `dealloc`, and `new_size` is the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}
