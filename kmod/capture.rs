// SPDX-License-Identifier: GPL-2.0

//! The record path: an event that the interest map passes becomes a record
//! in this CPU's ring, with what it captures of the task's memory and of
//! the kernel's objects.

use core::ffi::c_void;
use core::sync::atomic::Ordering;

use kernel::{
    bindings,
    ffi::{c_char, c_int, c_long},
    prelude::*,
    sync::rcu,
    task::{CurrentTask, Task},
};

use crate::abi::{
    self, BlobDesc, BlobKind, Capture, PeerSocket, ProcessExitRecord, RecordHeader, RecordKind,
    SyscallOutcome, SyscallRecord, SyscallTable, MAX_BLOBS, MAX_SYSCALLS,
};
use crate::counters::{Column, Counters, TRUNCATED};
use crate::ffi;
use crate::hooks::thread_word;
use crate::interest::INTEREST;
use crate::syscall::{ia32_args, syscall_number};
use crate::syscalls;
use crate::Shared;

/// Where a syscall record's slow (sleeping) captures were staged: in the
/// capacity of `buf`, never zeroed (its length stays 0), of which the
/// helpers wrote `parts`.
struct Staged {
    buf: KVec<u8>,
    /// (offset in `buf`, len, flags) per blob slot.
    parts: [(usize, usize, u8); MAX_BLOBS],
    /// The file a successful open returned, when its path was staged.
    opened: Option<OpenedFile>,
}

impl Staged {
    /// Slot `i`'s staged bytes and their flags.
    fn part(&self, i: usize) -> (&[u8], u8) {
        let (off, len, flags) = self.parts[i];
        // SAFETY: `stage_slow_captures` had a helper write (initialise)
        // `len` bytes at `off` in the buffer's capacity, which lives and
        // does not move while `self` is borrowed.
        (
            unsafe { core::slice::from_raw_parts(self.buf.as_ptr().add(off), len) },
            flags,
        )
    }
}

/// What the kernel's own objects say of the file an open returned.
#[derive(Clone, Copy)]
struct OpenedFile {
    /// The file's `f_flags` (its access mode as opened).
    flags: u32,
    is_dir: bool,
}

impl Shared {
    /// Runs `write` on this CPU's ring with preemption disabled and counts
    /// the event in `column` as delivered, filtered or dropped. `write`
    /// returns the record's size and whether any buffer was cut short, or
    /// `None` when a predicate on what it wrote rejects the event (the
    /// reservation is then abandoned; with a full ring such an event counts
    /// as dropped, as its bytes could not be looked at). Always inlined: left
    /// out of line, `write`'s captures went through memory (~25 instructions
    /// a record).
    #[inline(always)]
    fn emit(
        &self,
        column: Column,
        max: usize,
        write: impl FnOnce(*mut u8, u16) -> Option<(usize, bool)>,
    ) {
        // SAFETY: paired with the enable below; nothing in between sleeps.
        let cpu = unsafe { ffi::osprey_preempt_disable_cpu() } as usize;
        if let Some(ring) = self.rings.get(cpu) {
            let outcome = match ring.reserve(self.consumer_pos(cpu), max) {
                Some((at, head)) => match write(at, cpu as u16) {
                    Some((size, truncated)) => {
                        ring.commit(head, size);
                        if truncated {
                            // SAFETY: TRUNCATED < COUNTERS.
                            unsafe { self.counters.bump(TRUNCATED) };
                        }
                        SyscallOutcome::Delivered
                    }
                    None => SyscallOutcome::Filtered,
                },
                None => SyscallOutcome::Dropped,
            };
            self.counters.count_in(outcome, column);
        }
        // SAFETY: paired with the disable above.
        unsafe { ffi::osprey_preempt_enable() };
    }

    /// The probes' common path for the syscall in `regs`, whose number has
    /// `column` (`InterestMap::column`); `counters` are `self.counters`, as
    /// the tracepoint probes get them. Inlined into them so that an event
    /// nobody asked for (not in the interest set, or a failure no rule can
    /// match) costs a 16-bit move, a bit test of memory and one per-CPU
    /// increment.
    #[inline(always)]
    pub(crate) fn on_syscall(
        &self,
        counters: Counters,
        regs: &bindings::pt_regs,
        column: usize,
        exit: bool,
        ret: i64,
    ) {
        if !INTEREST.wants(column, exit, ret) {
            // SAFETY: a byte that says no is a syscall's: the map passes
            // every column from MAX_SYSCALLS on (`InterestMap`).
            unsafe { counters.count_filtered(column) };
            return;
        }
        if exit {
            self.capture_exit(regs, ret);
        } else {
            self.capture_enter(regs);
        }
    }

    /// Out of line, so that the probes stay small, with the arguments in the
    /// registers the probe got them in (the result of a `sys_exit`): the
    /// filtered path need not move them first. The number is read from
    /// `regs` here, so that a probe loads only the 16 bits of its column.
    #[inline(never)]
    fn capture_enter(&self, regs: &bindings::pt_regs) {
        self.capture_syscall::<false>(regs, syscall_number(regs), 0);
    }

    /// As `capture_enter`, for an exit that returned `ret`.
    #[inline(never)]
    fn capture_exit(&self, regs: &bindings::pt_regs, ret: i64) {
        self.capture_syscall::<true>(regs, syscall_number(regs), ret);
    }

    /// Built into `capture_enter` and `capture_exit`, each without the other's
    /// branches (`EXIT` is a constant for that, not an argument). `raw` is
    /// the number as the task made the syscall: below `MAX_SYSCALLS`, or
    /// x32's.
    #[inline(always)]
    fn capture_syscall<const EXIT: bool>(&self, regs: &bindings::pt_regs, raw: u32, ret: i64) {
        // Looked up once for the consumer test, the table, the header and
        // the open filter.
        let task = kernel::current!();
        if self.is_consumer(task) {
            return;
        }
        // The probe tested both readings of `raw`: which one is this?
        let table = SyscallTable::of(task, raw);
        let nr = match table {
            SyscallTable::X86_64 if INTEREST.wants_in(table, raw as usize, EXIT, ret) => raw,
            SyscallTable::X86_64 => {
                // SAFETY: an x86-64 number is below MAX_SYSCALLS (`SyscallTable::of`).
                unsafe { self.counters.count_filtered(raw as usize) };
                return;
            }
            SyscallTable::I386 | SyscallTable::X32 => {
                match self.compat_twin(table, regs, raw, EXIT, ret) {
                    Some(twin) => twin,
                    None => return,
                }
            }
        };
        let flags = program_flags(task);
        // SAFETY: reads the current task's cgroup under RCU; keeps nothing.
        if self.container_only.has(Column::of(nr).0)
            && self
                .host_cgroups
                .contains(unsafe { ffi::osprey_current_cgroup() })
        {
            self.counters.count_filtered_in(Column::of(nr));
            return;
        }
        let fixed = SyscallFixed {
            kind: if EXIT {
                RecordKind::SyscallExit
            } else {
                RecordKind::SyscallEnter
            },
            nr,
            ret: if EXIT { ret } else { 0 },
            regs,
            table,
            flags,
        };
        let captures = if EXIT && abi::exit_may_capture(nr) {
            abi::exit_captures(nr, ret, self.interest_flags.load(Ordering::Relaxed))
        } else {
            [Capture::None; MAX_BLOBS]
        };
        // Most records (every enter, most exits) carry no buffer: they skip
        // the writer and its walks over the capture slots. Captures fill the
        // slots from the first, so an empty first slot means none.
        if captures[0] == Capture::None {
            let size = size_of::<SyscallRecord>();
            self.emit(Column::of(nr), size, |at, cpu| {
                // SAFETY: `at` has room for `size` bytes and is 8-byte
                // aligned; `emit` runs this with preemption off.
                unsafe {
                    fixed.write(
                        at.cast(),
                        task,
                        cpu,
                        size,
                        0,
                        [BlobDesc::default(); MAX_BLOBS],
                    )
                };
                Some((size, false))
            });
            return;
        }
        let args = fixed.args();
        let staged = stage_slow_captures(&captures, &args, ret);
        let max = size_of::<SyscallRecord>()
            + captures
                .iter()
                .filter(|c| **c != Capture::None)
                .map(|c| abi::capture_cap(*c))
                .sum::<usize>();
        self.emit(Column::of(nr), max, |at, cpu| {
            let mut w = RecordWriter::new(at, size_of::<SyscallRecord>(), table);
            for (i, capture) in captures
                .iter()
                .enumerate()
                .filter(|(_, c)| **c != Capture::None)
            {
                w.capture(*capture, &args, staged.as_ref().map(|s| s.part(i)));
            }
            if EXIT
                && ret >= 0
                && !self.open_delivered(task, nr, &args, staged.as_ref().and_then(|s| s.opened), &w)
            {
                return None;
            }
            let size = abi::align_record(w.cursor);
            // SAFETY: `at` has room for `max` >= `size` bytes and is 8-byte
            // aligned; the writer filled the buffers after the fixed part;
            // `emit` runs this with preemption off.
            unsafe { fixed.write(at.cast(), task, cpu, size, w.nblobs, w.blobs) };
            Some((size, w.blobs.iter().any(|b| b.flags != 0)))
        });
    }

    /// The x86-64 number of `table`'s (i386's or x32's) syscall `raw`, if it
    /// has a twin and is wanted (else counted as filtered). Out of line and
    /// cold: the record path of x86-64 syscalls stays as short as without it.
    #[cold]
    #[inline(never)]
    fn compat_twin(
        &self,
        table: SyscallTable,
        regs: &bindings::pt_regs,
        raw: u32,
        exit: bool,
        ret: i64,
    ) -> Option<u32> {
        let Some(nr) = table.x86_64_nr(regs, raw) else {
            self.counters.count_filtered_in(Column::UNNUMBERED);
            return None;
        };
        // An i386 number's byte holds its twin's bits. socketcall's and
        // ipc's hold all their calls', and x32's numbers have no byte: theirs
        // are those of the x86-64 syscall itself.
        let multiplexer = matches!(raw as usize, syscalls::IA32_SOCKETCALL | syscalls::IA32_IPC);
        let wanted = match table {
            SyscallTable::I386 if !multiplexer => INTEREST.wants_in(table, raw as usize, exit, ret),
            _ => INTEREST.wants_in(SyscallTable::X86_64, nr as usize, exit, ret),
        };
        if !wanted {
            self.counters.count_filtered_in(Column::of(nr));
            return None;
        }
        Some(nr)
    }

    /// Whether some exit of the syscall in `regs`, of `table`, is wanted.
    pub(crate) fn wants_some_exit(&self, table: SyscallTable, regs: &bindings::pt_regs) -> bool {
        let raw = syscall_number(regs);
        match table {
            SyscallTable::X32 => syscalls::x32_to_x86_64(raw)
                .is_some_and(|nr| INTEREST.wants_some_exit(SyscallTable::X86_64, nr as usize)),
            _ => (raw as usize) < MAX_SYSCALLS && INTEREST.wants_some_exit(table, raw as usize),
        }
    }

    /// Whether the open filter drops this close (its exit is then never
    /// traced): the descriptor, still open at entry, is a named file.
    pub(crate) fn close_filtered(&self, table: SyscallTable, regs: &bindings::pt_regs) -> bool {
        table.x86_64_nr(regs, syscall_number(regs)) == Some(abi::nr::CLOSE)
            && self.open_filter.get(&rcu::read_lock()).is_some_and(|f| f.flags & abi::OPEN_FILTER_CLOSES != 0)
            // SAFETY: the helper looks the number up in the current task's
            // table without sleeping and keeps no reference.
            && unsafe { ffi::osprey_fd_is_named_file(table.args(regs)[0] as c_int) }
    }

    /// Whether the open filter lets a successful exit through. Only an open
    /// whose file the kernel's own objects describe (`opened`, its path in
    /// `w`'s `OpenedPath` buffer) may be dropped: never on what the caller's
    /// memory says, which another of its threads can rewrite meanwhile.
    fn open_delivered(
        &self,
        task: &CurrentTask,
        nr: u32,
        args: &[u64; 6],
        opened: Option<OpenedFile>,
        w: &RecordWriter,
    ) -> bool {
        let Some(opened) = opened else {
            return true;
        };
        // The access mode as the file was opened (openat2's is in memory).
        let Some(class) = abi::open_class(nr, args, Some(u64::from(opened.flags))) else {
            return true;
        };
        let rcu = rcu::read_lock();
        let (Some(filter), Some(path)) = (
            self.open_filter.get(&rcu),
            w.whole_blob_of(BlobKind::OpenedPath),
        ) else {
            return true;
        };
        let comm = comm_of(task);
        let comm = &comm[..comm.iter().position(|b| *b == 0).unwrap_or(comm.len())];
        filter.delivers(path, class, comm) || opened.is_dir
    }

    pub(crate) fn on_process_exit(&self, task: *mut bindings::task_struct, group_dead: bool) {
        if self.interest_flags.load(Ordering::Acquire) & abi::INTEREST_PROCEXIT == 0 {
            self.counters.count_filtered_in(Column::UNNUMBERED);
            return;
        }
        let current = kernel::current!();
        if self.is_consumer(current) {
            return;
        }
        // SAFETY: the tracepoint passes the exiting task, which is `current`.
        let exit_code = unsafe { (*task).exit_code };
        let size = size_of::<ProcessExitRecord>();
        self.emit(Column::UNNUMBERED, size, |at, cpu| {
            let rec = at.cast::<ProcessExitRecord>();
            // SAFETY: `at` has room for `size` bytes and is 8-byte aligned;
            // `emit` runs this with preemption off.
            unsafe {
                write_header(
                    &raw mut (*rec).hdr,
                    current,
                    RecordKind::ProcessExit,
                    size,
                    cpu,
                );
                (&raw mut (*rec).exit_code).write(exit_code);
                (&raw mut (*rec).group_dead).write(group_dead as u32);
            }
            Some((size, false))
        });
    }
}

/// The task's name, as the records carry it (NUL-padded).
fn comm_of(task: &Task) -> [u8; abi::COMM_LEN] {
    // SAFETY: `task` is a valid task (the type's invariant); `comm` is a
    // NUL-terminated array of TASK_COMM_LEN bytes, read without a lock as
    // the kernel's own readers do.
    let comm_raw = unsafe { (*task.as_ptr()).comm };
    let mut comm = [0u8; abi::COMM_LEN];
    for (dst, src) in comm.iter_mut().zip(comm_raw.iter()) {
        *dst = *src as u8;
    }
    comm
}

/// The record's `SYSCALL_FROM_32BIT_PROGRAM` flag: whether `task` runs a
/// 32-bit program (`TIF_ADDR32`, a 32-bit address space), whatever table
/// it makes the syscall through. A 64-bit program making 32-bit syscalls
/// (`int $0x80`), or a 32-bit one jumping into 64-bit code to make x86-64's,
/// may mean to slip past seccomp filters and tools that watch one table.
#[inline(always)]
fn program_flags(task: &CurrentTask) -> u8 {
    // SAFETY: a word of the current task's `thread_info`; it is alive.
    let flags = unsafe { thread_word(&raw mut (*task.as_ptr()).thread_info.flags) };
    if flags.load(Ordering::Relaxed) & 1 << bindings::TIF_ADDR32 != 0 {
        abi::SYSCALL_FROM_32BIT_PROGRAM
    } else {
        0
    }
}

/// A syscall record's fields other than the header's and the buffers'.
struct SyscallFixed<'a> {
    kind: RecordKind,
    nr: u32,
    ret: i64,
    /// The arguments, where `table` says: read when written, so that an
    /// x86-64 syscall's go from the registers to the ring directly.
    regs: &'a bindings::pt_regs,
    table: SyscallTable,
    /// `SYSCALL_*` flags.
    flags: u8,
}

impl SyscallFixed<'_> {
    #[inline(always)]
    fn args(&self) -> [u64; 6] {
        self.table.args(self.regs)
    }

    /// Writes the record's header and fixed part at `rec`, field by field
    /// where they lie, with no record built on the stack first.
    ///
    /// # Safety
    ///
    /// `rec` is 8-byte aligned and valid for writes of a `SyscallRecord`;
    /// preemption is disabled (`write_header`'s contract).
    #[inline(always)]
    unsafe fn write(
        &self,
        rec: *mut SyscallRecord,
        task: &CurrentTask,
        cpu: u16,
        size: usize,
        nblobs: usize,
        blobs: [BlobDesc; MAX_BLOBS],
    ) {
        // SAFETY: `rec` is valid for writes and preemption is off (the
        // caller's contract).
        unsafe {
            write_header(&raw mut (*rec).hdr, task, self.kind, size, cpu);
            (&raw mut (*rec).nr).write(self.nr);
            (&raw mut (*rec).nblobs).write(nblobs as u16);
            (&raw mut (*rec).table).write(self.table as u8);
            (&raw mut (*rec).flags).write(self.flags);
            (&raw mut (*rec).ret).write(self.ret);
            // Each table's arguments written on their own path: merged, they
            // would be copied through the stack.
            match self.table {
                SyscallTable::I386 => (&raw mut (*rec).args).write(ia32_args(self.regs)),
                table => (&raw mut (*rec).args).write(table.args(self.regs)),
            }
            (&raw mut (*rec).blobs).write(blobs);
        }
    }
}

/// Writes the header fields describing the current task at `hdr`, which
/// is in the ring: the ids are stored where they belong, not copied there.
///
/// # Safety
///
/// `hdr` is 8-byte aligned and valid for writes of a `RecordHeader`, and
/// preemption is disabled (as in `emit`'s `write`): the ids helper reads
/// RCU-protected links under that, not under the RCU lock.
unsafe fn write_header(
    hdr: *mut RecordHeader,
    task: &CurrentTask,
    kind: RecordKind,
    size: usize,
    cpu: u16,
) {
    // Field by field, each once: the ids helper writes every field it is
    // given, so nothing is zeroed first.
    // SAFETY: `hdr` is valid for writes (the caller's contract); the calls
    // only read the current task's credentials, links and the clock, and
    // write the fields they are given.
    unsafe {
        (&raw mut (*hdr).size).write(size as u32);
        (&raw mut (*hdr).kind).write(kind as u16);
        (&raw mut (*hdr).cpu).write(cpu);
        // The boot clock (CLOCK_BOOTTIME): it never steps when the wall
        // clock is set, so the consumer's merge of the rings by time stays
        // the order things happened; the consumer adds the wall clock's
        // offset. The tracers' fast accessor: a latch instead of a seqcount
        // retry loop. Only an NMI can see it go back on one CPU, and the
        // probes are not NMIs.
        (&raw mut (*hdr).ts_ns).write(bindings::ktime_get_boot_fast_ns());
        (&raw mut (*hdr).tid).write(task.pid() as u32);
        (&raw mut (*hdr).pid).write(task.tgid() as u32);
        (&raw mut (*hdr).comm).write(comm_of(task));
        ffi::osprey_current_ids(
            &raw mut (*hdr).ppid,
            &raw mut (*hdr).uid,
            &raw mut (*hdr).gid,
            &raw mut (*hdr).loginuid,
            &raw mut (*hdr).vtid,
            &raw mut (*hdr).vpid,
            &raw mut (*hdr).cgroup_id,
        );
    }
}

/// Whether `capture` may sleep (paths through d_path, the new image's
/// argument area): it is staged before the ring is touched.
fn is_slow(capture: &Capture) -> bool {
    matches!(
        capture,
        Capture::Exe
            | Capture::Cwd
            | Capture::ExecArgs
            | Capture::ExecFacts
            | Capture::ExecEnv
            | Capture::OpenedPath
            | Capture::Peer { .. }
    )
}

/// Resolves the captures that may sleep before the ring is touched with
/// preemption off, for an exit with arguments `args` that returned `ret`.
/// `None` when there are none.
fn stage_slow_captures(
    captures: &[Capture; MAX_BLOBS],
    args: &[u64; 6],
    ret: i64,
) -> Option<Staged> {
    let slow = is_slow;
    if !captures.iter().any(slow) {
        return None;
    }
    let total: usize = captures
        .iter()
        .filter(|c| slow(c))
        .map(|c| abi::capture_cap(*c))
        .sum();
    let mut buf = KVec::<u8>::with_capacity(total, GFP_KERNEL).ok()?;
    let base = buf.spare_capacity_mut().as_mut_ptr().cast::<u8>();
    let mut parts = [(0, 0, 0u8); MAX_BLOBS];
    let mut opened = None;
    let mut at = 0;
    for (i, capture) in captures.iter().enumerate() {
        if !slow(capture) {
            continue;
        }
        let cap = abi::capture_cap(*capture);
        // SAFETY: `at + cap <= total`, the buffer's capacity.
        let dst = unsafe { base.add(at) }.cast::<c_char>();
        let mut truncated: c_int = 0;
        // SAFETY: `dst` has room for `cap` bytes; the helpers write at most that.
        let n = unsafe {
            match capture {
                Capture::Exe => ffi::osprey_exe_path(dst, cap as c_int),
                Capture::Cwd => ffi::osprey_cwd_path(dst, cap as c_int),
                Capture::ExecFacts => match exec_facts() {
                    Some(facts) => {
                        // `cap` is size_of::<ExecFacts>() (capture_cap).
                        dst.cast::<abi::ExecFacts>().write_unaligned(facts);
                        cap as c_long
                    }
                    None => -1,
                },
                Capture::ExecEnv => ffi::osprey_exec_env(dst, cap as c_int, &mut truncated),
                // `ret` is the descriptor the open returned.
                Capture::OpenedPath => {
                    let (mut flags, mut is_dir) = (0, false);
                    let n = ffi::osprey_fd_path(
                        ret as c_int,
                        dst,
                        cap as c_int,
                        &mut flags,
                        &mut is_dir,
                    );
                    if n >= 0 {
                        opened = Some(OpenedFile { flags, is_dir });
                    }
                    n
                }
                Capture::Peer { socket, .. } => {
                    let fd = match socket {
                        PeerSocket::Arg0 => args[0] as c_int,
                        PeerSocket::Returned => ret as c_int,
                    };
                    ffi::osprey_fd_peer(fd, dst, cap as c_int)
                }
                _ => ffi::osprey_exec_args(dst, cap as c_int, &mut truncated),
            }
        };
        parts[i] = match n {
            // A path longer than the buffer (d_path gives none of it).
            n if n == -(bindings::ENAMETOOLONG as c_long) => (at, 0, abi::BLOB_TRUNCATED),
            n if n < 0 => (at, 0, abi::BLOB_FAULT),
            n => (
                at,
                n as usize,
                if truncated != 0 {
                    abi::BLOB_TRUNCATED
                } else {
                    0
                },
            ),
        };
        at += cap;
    }
    Some(Staged { buf, parts, opened })
}

/// The current task's capabilities and executable facts. May sleep.
fn exec_facts() -> Option<abi::ExecFacts> {
    let mut facts = abi::ExecFacts::default();
    let (mut writable, mut memfd, mut layer): (c_int, c_int, c_int) = (0, 0, 0);
    // SAFETY: every pointer is to a live local of the helper's parameter type.
    let rc = unsafe {
        ffi::osprey_caps(
            &mut facts.cap_inheritable,
            &mut facts.cap_permitted,
            &mut facts.cap_effective,
        );
        ffi::osprey_exe_facts(
            &mut facts.exe_ino,
            &mut facts.exe_ctime_ns,
            &mut facts.exe_mtime_ns,
            &mut writable,
            &mut memfd,
            &mut layer,
        )
    };
    if rc < 0 {
        return None;
    }
    let bit = |on: bool, flag: u32| if on { flag } else { 0 };
    facts.flags = bit(writable != 0, abi::EXE_WRITABLE)
        | bit(memfd != 0, abi::EXE_FROM_MEMFD)
        | match layer {
            1 => abi::EXE_LOWER_LAYER,
            2 => abi::EXE_UPPER_LAYER,
            -1 => abi::EXE_LAYER_UNKNOWN,
            _ => 0,
        };
    Some(facts)
}

/// Appends inline buffers after a record's fixed part.
struct RecordWriter {
    at: *mut u8,
    cursor: usize,
    nblobs: usize,
    blobs: [BlobDesc; MAX_BLOBS],
    /// Whose pointers the user arrays hold.
    table: SyscallTable,
}

impl RecordWriter {
    fn new(at: *mut u8, fixed: usize, table: SyscallTable) -> Self {
        Self {
            at,
            cursor: fixed,
            nblobs: 0,
            blobs: [BlobDesc::default(); MAX_BLOBS],
            table,
        }
    }

    /// Fills one buffer as `capture` says. Reads of user memory use the
    /// `_nofault` copy: preemption is off, and a bad pointer yields a flag.
    fn capture(&mut self, capture: Capture, args: &[u64; 6], staged: Option<(&[u8], u8)>) {
        let cap = abi::capture_cap(capture);
        if cap == 0 {
            return;
        }
        // SAFETY: the reservation covers the fixed part plus every capture's cap.
        let dst = unsafe { core::slice::from_raw_parts_mut(self.at.add(self.cursor), cap) };
        let (arg, (len, flags)) = self.fill(capture, dst, args, staged);
        self.blobs[self.nblobs] = BlobDesc {
            offset: self.cursor as u16,
            len: len as u16,
            arg,
            kind: abi::capture_kind(capture) as u8,
            flags,
            _reserved: 0,
        };
        self.nblobs += 1;
        self.cursor = abi::align_record(self.cursor + len);
    }

    /// Writes `capture`'s bytes into `dst`: (argument index, (bytes, flags)).
    fn fill(
        &self,
        capture: Capture,
        dst: &mut [u8],
        args: &[u64; 6],
        staged: Option<(&[u8], u8)>,
    ) -> (u8, (usize, u8)) {
        let cap = dst.len();
        match capture {
            Capture::None => (0, (0, 0)),
            Capture::Str { arg } => (arg, copy_user_str(dst, args[arg as usize])),
            Capture::Args { arg } => (
                arg,
                copy_user_argv(dst, args[arg as usize], self.table.pointer_size()),
            ),
            Capture::Sockaddr { arg, len_arg } => {
                let len = (args[len_arg as usize] as usize).min(cap);
                (arg, copy_user(dst, args[arg as usize], len))
            }
            Capture::SockaddrOut { arg, len_ptr_arg } => {
                let mut len = [0u8; 4];
                match copy_user(&mut len, args[len_ptr_arg as usize], 4) {
                    (4, _) => {
                        let len = (u32::from_ne_bytes(len) as usize).min(cap);
                        (arg, copy_user(dst, args[arg as usize], len))
                    }
                    _ => (arg, (0, abi::BLOB_FAULT)),
                }
            }
            Capture::FdPair { arg } => (arg, copy_user(dst, args[arg as usize], 8)),
            Capture::Struct { arg, len } => (arg, copy_user(dst, args[arg as usize], len as usize)),
            Capture::Exe
            | Capture::Cwd
            | Capture::ExecArgs
            | Capture::ExecFacts
            | Capture::ExecEnv
            | Capture::OpenedPath => match staged {
                Some((bytes, flags)) => {
                    dst[..bytes.len()].copy_from_slice(bytes);
                    (0, (bytes.len(), flags))
                }
                None => (0, (0, abi::BLOB_FAULT)),
            },
            Capture::Peer { user, .. } => match staged {
                // The kernel's address, in the place of the caller's.
                Some((bytes, 0)) if !bytes.is_empty() => {
                    dst[..bytes.len()].copy_from_slice(bytes);
                    let arg = match *user {
                        Capture::Sockaddr { arg, .. } | Capture::SockaddrOut { arg, .. } => arg,
                        _ => 0,
                    };
                    (arg, (bytes.len(), 0))
                }
                _ => self.fill(*user, dst, args, None),
            },
        }
    }

    /// The bytes of the buffer of `kind`, when it was recorded whole.
    fn whole_blob_of(&self, kind: BlobKind) -> Option<&[u8]> {
        let blob = self.blobs[..self.nblobs]
            .iter()
            .find(|b| b.kind == kind as u8 && b.flags == 0)?;
        // SAFETY: `capture` wrote `len` bytes at `offset` inside the
        // reservation, which outlives `self`.
        Some(unsafe {
            core::slice::from_raw_parts(self.at.add(blob.offset as usize), blob.len as usize)
        })
    }
}

/// Copies `len` bytes from user address `src`; returns (bytes, flags).
pub(crate) fn copy_user(dst: &mut [u8], src: u64, len: usize) -> (usize, u8) {
    let len = len.min(dst.len());
    // SAFETY: `dst` has room for `len` bytes; the nofault copy validates `src`
    // (NULL, kernel and unmapped addresses fail instead of faulting).
    let rc = unsafe {
        bindings::copy_from_user_nofault(
            dst.as_mut_ptr().cast(),
            src as usize as *const c_void,
            len,
        )
    };
    if rc == 0 {
        (len, 0)
    } else {
        (0, abi::BLOB_FAULT)
    }
}

/// Copies a NUL-terminated user string (without its NUL) at its length,
/// at most `dst.len()` bytes (then flagged as cut short).
fn copy_user_str(dst: &mut [u8], src: u64) -> (usize, u8) {
    // SAFETY: `dst` has room for `dst.len()` bytes, the most the helper
    // writes; it reads user memory without faulting or sleeping.
    let len = unsafe {
        ffi::osprey_strncpy_from_user_nofault(
            dst.as_mut_ptr().cast(),
            src as usize as *const c_char,
            dst.len() as c_long,
        )
    };
    match len {
        ..0 => (0, abi::BLOB_FAULT),
        len if len as usize >= dst.len() => (dst.len(), abi::BLOB_TRUNCATED),
        len => (len as usize, 0),
    }
}

/// Copies a NULL-terminated user array of string pointers, each
/// `pointer_size` bytes, as NUL-separated strings.
fn copy_user_argv(dst: &mut [u8], array: u64, pointer_size: u64) -> (usize, u8) {
    const MAX_ARGS: u64 = 1024;
    let mut done = 0;
    for i in 0..MAX_ARGS {
        let mut ptr = [0u8; 8];
        let n = pointer_size as usize;
        if copy_user(&mut ptr[..n], array.wrapping_add(i * pointer_size), n).1 != 0 {
            return (done, abi::BLOB_FAULT);
        }
        // Little-endian: a 4-byte pointer is the low half.
        let ptr = u64::from_le_bytes(ptr);
        if ptr == 0 {
            return (done, 0);
        }
        if done == dst.len() {
            return (done, abi::BLOB_TRUNCATED);
        }
        let (n, flags) = copy_user_str(&mut dst[done..], ptr);
        done += n;
        if flags != 0 {
            return (done, flags);
        }
        if done < dst.len() {
            dst[done] = 0;
            done += 1;
        }
    }
    (done, abi::BLOB_TRUNCATED)
}
