// SPDX-License-Identifier: GPL-2.0

//! Osprey's capture module.
//!
//! Probes on the `sys_enter`/`sys_exit` and `sched_process_exit` tracepoints
//! (or, with `per_syscall_hooks`, function hooks on the entry points of the
//! syscalls of interest plus `sys_exit` for those syscalls' returns only)
//! write fixed-layout records (see `shared-abi`) into per-CPU rings. The single
//! consumer of `/dev/osprey` maps the rings read-only plus one page of read
//! positions it may write, chooses the syscalls it wants with an ioctl, and
//! starts capture. Nothing in a probe blocks: a full ring counts a drop.

use core::ffi::c_void;
use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering};

use kernel::{
    bindings, c_str,
    ffi::{c_char, c_int, c_long, c_ulong},
    fs::File,
    ioctl::_IOC_SIZE,
    miscdevice::{MiscDevice, MiscDeviceOptions, MiscDeviceRegistration},
    mm::virt::VmaNew,
    prelude::*,
    new_mutex,
    sync::{rcu, Arc, Mutex},
    task::{CurrentTask, Task},
    transmute::{AsBytes, FromBytes},
    uaccess::{UserPtr, UserSlice},
};

#[path = "../shared-abi/src/abi.rs"]
#[allow(dead_code, unreachable_pub)]
mod abi;
#[path = "../shared-abi/src/syscalls.rs"]
#[allow(dead_code, unreachable_pub)]
mod syscalls;

use abi::{
    BlobDesc, BlobKind, Capture, ContainerFilter, PeerSocket, DeviceInfo, DeviceStats, Interest, OpenFilter, ProcessExitRecord, RecordHeader,
    RecordKind, RingHeader, RingStats, RingStatsQuery, SyscallOutcome, SyscallRecord, SyscallTable,
    INTEREST_WORDS, MAX_BLOBS, MAX_SYSCALLS, PAGE_SIZE, PROBE_ENTER, PROBE_EXIT_FAILED, PROBE_EXIT_SUCCEEDED,
};

module! {
    type: Osprey,
    name: "osprey",
    authors: ["The Osprey developers"],
    description: "Osprey runtime security sensor: syscall capture into per-CPU rings",
    license: "GPL",
    params: {
        ring_pages: u32 {
            default: 256,
            description: "Data pages per CPU ring (a power of two, 8..=65536; 1 GiB in all at most)",
        },
        probe_floor: bool {
            default: false,
            description: "Probes return at once (measures the tracepoint mechanism alone)",
        },
        per_syscall_hooks: bool {
            default: true,
            description: "Hook only the syscalls of interest (ftrace on their entry points) \
                instead of sending every syscall through the sys_enter/sys_exit tracepoints \
                (stands aside within a second while another syscall tracer is present)",
        },
    },
}

/// The C helpers in `helpers.c` and `hooks.c`: what is a macro or inline
/// function in C.
mod c {
    use super::*;
    extern "C" {
        pub(crate) fn osprey_preempt_disable_cpu() -> u32;
        pub(crate) fn osprey_preempt_enable();
        pub(crate) fn osprey_alloc_percpu_u64s(count: usize) -> *mut u64;
        pub(crate) fn osprey_free_percpu(ptr: *mut u64);
        pub(crate) fn osprey_per_cpu_u64s(ptr: *mut u64, cpu: u32) -> *const u64;
        pub(crate) fn osprey_now_ns() -> u64;
        pub(crate) fn osprey_strncpy_from_user_nofault(dst: *mut c_char, src: *const c_char, count: c_long) -> c_long;
        pub(crate) fn osprey_tracepoint_sync();
        pub(crate) fn osprey_hooks_new(
            entered: unsafe extern "C" fn(data: *mut c_void, regs: *mut bindings::pt_regs),
        ) -> *mut c_void;
        pub(crate) fn osprey_hooks_set(
            hooks: *mut c_void,
            syms: *mut *const c_char,
            n: c_int,
            data: *mut c_void,
        ) -> c_int;
        // Tracepoints and tasks as `void *`: their Rust types are not FFI-safe.
        pub(crate) fn osprey_hooks_watch(hooks: *mut c_void, sys_enter: *mut c_void, sys_exit: *mut c_void);
        pub(crate) fn osprey_hooks_unhook(hooks: *mut c_void);
        pub(crate) fn osprey_hooks_stop(hooks: *mut c_void);
        pub(crate) fn osprey_hooks_free(hooks: *mut c_void);
        pub(crate) fn osprey_current_ids(
            ppid: *mut u32,
            uid: *mut u32,
            gid: *mut u32,
            loginuid: *mut u32,
            vtid: *mut u32,
            vpid: *mut u32,
            cgroup: *mut u64,
        );
        pub(crate) fn osprey_current_cgroup() -> u64;
        // A `struct pid *`: its Rust type is not FFI-safe.
        pub(crate) fn osprey_current_tgid_get() -> *mut c_void;
        pub(crate) fn osprey_fd_path(
            fd: c_int,
            buf: *mut c_char,
            len: c_int,
            flags: *mut u32,
            is_dir: *mut bool,
        ) -> c_long;
        pub(crate) fn osprey_fd_is_named_file(fd: c_int) -> bool;
        pub(crate) fn osprey_fd_peer(fd: c_int, buf: *mut c_char, len: c_int) -> c_long;
        pub(crate) fn osprey_exe_path(buf: *mut c_char, len: c_int) -> c_long;
        pub(crate) fn osprey_cwd_path(buf: *mut c_char, len: c_int) -> c_long;
        pub(crate) fn osprey_exec_args(buf: *mut c_char, len: c_int, truncated: *mut c_int)
            -> c_long;
        pub(crate) fn osprey_exec_env(buf: *mut c_char, len: c_int, truncated: *mut c_int) -> c_long;
        pub(crate) fn osprey_caps(inheritable: *mut u64, permitted: *mut u64, effective: *mut u64);
        pub(crate) fn osprey_exe_facts(
            ino: *mut u64,
            ctime_ns: *mut u64,
            mtime_ns: *mut u64,
            writable: *mut c_int,
            memfd: *mut c_int,
            layer: *mut c_int,
        ) -> c_long;
        // Exported by the kernel but absent from the generated bindings.
        pub(crate) fn vmalloc_user_noprof(size: c_ulong) -> *mut c_void;
        pub(crate) fn vfree(addr: *const c_void);
        // `vma` is a `struct vm_area_struct *`: its Rust type is not FFI-safe.
        pub(crate) fn remap_vmalloc_range(
            vma: *mut c_void,
            addr: *mut c_void,
            pgoff: c_ulong,
        ) -> c_int;
    }
}

// SAFETY: all-integer `repr(C)` types without padding (asserted in abi.rs):
// every byte pattern is a valid value and every byte is initialised.
unsafe impl FromBytes for Interest {}
// SAFETY: as above.
unsafe impl FromBytes for OpenFilter {}
// SAFETY: as above.
unsafe impl FromBytes for ContainerFilter {}
// SAFETY: as above.
unsafe impl AsBytes for DeviceInfo {}
// SAFETY: as above.
unsafe impl AsBytes for DeviceStats {}
// SAFETY: as above.
unsafe impl FromBytes for RingStatsQuery {}
// SAFETY: as above.
unsafe impl AsBytes for RingStatsQuery {}

/// A zeroed, user-mappable vmalloc area, freed on drop.
struct VmallocArea {
    ptr: *mut u8,
    len: usize,
}

impl VmallocArea {
    fn new(len: usize) -> Result<Self> {
        // SAFETY: plain allocation; the result is checked for NULL.
        let ptr = unsafe { c::vmalloc_user_noprof(len as c_ulong) }.cast::<u8>();
        if ptr.is_null() {
            return Err(ENOMEM);
        }
        Ok(Self { ptr, len })
    }

    /// Maps the whole area, from page `pgoff` of it, into `vma`.
    fn map(&self, vma: &VmaNew, pgoff: usize) -> Result {
        if vma.end() - vma.start() + pgoff * PAGE_SIZE > self.len {
            return Err(EINVAL);
        }
        // SAFETY: `vma` is being set up by mmap; the area came from
        // vmalloc_user, so it is page aligned and VM_USERMAP, and its size was
        // checked above. The area outlives every mapping: open files pin the
        // module, which frees it only at unload.
        to_result(unsafe { c::remap_vmalloc_range(vma.as_ptr().cast(), self.ptr.cast(), pgoff as c_ulong) })
    }
}

impl Drop for VmallocArea {
    fn drop(&mut self) {
        // SAFETY: `ptr` came from vmalloc_user and is freed once, here.
        unsafe { c::vfree(self.ptr.cast()) };
    }
}

fn to_result(rc: c_int) -> Result {
    if rc == 0 {
        Ok(())
    } else {
        Err(Error::from_errno(rc))
    }
}

/// Counter columns: one per syscall number, then one for events that are not
/// syscalls (process exit) or have a number beyond the table.
const COLUMNS: usize = MAX_SYSCALLS + 1;
const UNNUMBERED: usize = MAX_SYSCALLS;
/// Rows of `COLUMNS` counters, one per `SyscallOutcome`, then the count of
/// records with a truncated buffer.
const TRUNCATED: usize = 3 * COLUMNS;
const COUNTERS: usize = TRUNCATED + 1;

/// A counter column, below `COLUMNS` by construction.
#[derive(Clone, Copy)]
struct Column(usize);

impl Column {
    const UNNUMBERED: Self = Self(UNNUMBERED);

    /// Syscall `nr`'s column; numbers beyond the table share the last.
    #[inline(always)]
    fn of(nr: u32) -> Self {
        Self((nr as usize).min(UNNUMBERED))
    }
}

/// The number of the syscall in `regs` as the kernel dispatches it (its low
/// 32 bits): x86-64's below `MAX_SYSCALLS`, or another table's.
fn syscall_number(regs: &bindings::pt_regs) -> u32 {
    regs.orig_ax as u32
}

/// Every event counter, in per-CPU memory: counting is one unlocked
/// increment of this CPU's copy, as cheap as a counter can be, so that the
/// probes may count every event they see, filtered ones included. Totals are
/// sums, computed when asked (`seen` is delivered + filtered + dropped).
struct PerCpuCounters(Counters);

/// Where the counters are: a per-CPU address, dereferenced only
/// `%gs`-relative or through `osprey_per_cpu_u64s`. A copy is the
/// tracepoint probes' data (`Probes::add`), so that counting an event needs
/// no load; it is valid while the `PerCpuCounters` it is of lives.
#[derive(Clone, Copy)]
struct Counters {
    base: *mut u64,
}

impl Counters {
    /// Adds one to this CPU's counter `index`.
    ///
    /// # Safety
    ///
    /// `index < COUNTERS`.
    #[inline(always)]
    unsafe fn bump(self, index: usize) {
        debug_assert!(index < COUNTERS);
        // SAFETY: `index` is in range (the caller's contract).
        unsafe { Self::increment::<0>(self.base, index) };
    }

    /// Counts an event of `column` with `outcome`.
    ///
    /// # Safety
    ///
    /// `column < COLUMNS`.
    #[inline(always)]
    unsafe fn count(self, outcome: SyscallOutcome, column: usize) {
        debug_assert!(column < COLUMNS);
        // SAFETY: row `outcome` holds COLUMNS counters and `column` is in
        // range (the caller's contract).
        unsafe { Self::increment::<0>(self.base.wrapping_add(outcome as usize * COLUMNS), column) };
    }

    /// `count(SyscallOutcome::Filtered, column)` with the row's offset a
    /// constant of the instruction: the probes' path for every event of no
    /// interest, where a bound check would be an instruction more.
    ///
    /// # Safety
    ///
    /// `column < COLUMNS`.
    #[inline(always)]
    unsafe fn count_filtered(self, column: usize) {
        debug_assert!(column < COLUMNS);
        // SAFETY: as in `count`.
        unsafe { Self::increment::<{ SyscallOutcome::Filtered as usize * COLUMNS * 8 }>(self.base, column) };
    }

    /// `count` for a column known to be in range.
    #[inline(always)]
    fn count_in(self, outcome: SyscallOutcome, column: Column) {
        // SAFETY: a `Column` is below COLUMNS.
        unsafe { self.count(outcome, column.0) };
    }

    /// `count_filtered` for a column known to be in range.
    #[inline(always)]
    fn count_filtered_in(self, column: Column) {
        // SAFETY: a `Column` is below COLUMNS.
        unsafe { self.count_filtered(column.0) };
    }

    /// Adds one to this CPU's copy of the counter at `base + OFFSET` bytes
    /// `+ index` counters. A single instruction, so neither preemption nor an
    /// interrupt can split it, which is why it needs no lock; a migration
    /// just before it counts the event on the CPU the task moved to. The
    /// offset and the index stay operands of the addressing mode, not
    /// instructions more on the probes' path.
    ///
    /// # Safety
    ///
    /// `base + OFFSET + 8 * index` is inside the live per-CPU allocation.
    #[inline(always)]
    unsafe fn increment<const OFFSET: usize>(base: *mut u64, index: usize) {
        // SAFETY: the address is inside the live per-CPU allocation (the
        // caller's contract); in kernel mode %gs holds this CPU's per-CPU
        // base on x86-64, so this is the kernel's `this_cpu_inc`.
        unsafe {
            core::arch::asm!("incq %gs:{off}({base},{index},8)", off = const OFFSET, base = in(reg) base,
                index = in(reg) index, options(att_syntax, nostack))
        };
    }
}

impl PerCpuCounters {
    fn new() -> Result<Self> {
        // SAFETY: plain allocation; the result is checked for NULL.
        let ptr = unsafe { c::osprey_alloc_percpu_u64s(COUNTERS) };
        if ptr.is_null() {
            return Err(ENOMEM);
        }
        Ok(Self(Counters { base: ptr }))
    }

    /// CPU `cpu`'s copy, looked up once for all its counters; `None` for a
    /// CPU that cannot exist.
    fn of_cpu(&self, cpu: usize) -> Option<CpuCounters<'_>> {
        // SAFETY: the live allocation; the helper checks `cpu`.
        let base = unsafe { c::osprey_per_cpu_u64s(self.base, cpu as u32) };
        (!base.is_null()).then_some(CpuCounters { base, _counters: core::marker::PhantomData })
    }

    fn cpu_stats(&self, cpu: usize) -> RingStats {
        let Some(counters) = self.of_cpu(cpu) else { return RingStats::default() };
        let delivered = counters.row_sum(SyscallOutcome::Delivered);
        let filtered = counters.row_sum(SyscallOutcome::Filtered);
        let dropped = counters.row_sum(SyscallOutcome::Dropped);
        RingStats {
            seen: delivered + filtered + dropped,
            delivered,
            filtered,
            dropped,
            truncated: counters.get(TRUNCATED),
        }
    }
}

/// One CPU's copy of the counters, read while that CPU may bump them.
struct CpuCounters<'a> {
    base: *const u64,
    _counters: core::marker::PhantomData<&'a PerCpuCounters>,
}

impl CpuCounters<'_> {
    /// Counter `index` (an aligned 8-byte load does not tear on x86-64).
    fn get(&self, index: usize) -> u64 {
        assert!(index < COUNTERS);
        // SAFETY: `base` is this CPU's copy of COUNTERS u64s, alive while the
        // borrowed `PerCpuCounters` is; `index` is in range.
        unsafe { core::ptr::read_volatile(self.base.add(index)) }
    }

    fn row_sum(&self, outcome: SyscallOutcome) -> u64 {
        let start = outcome as usize * COLUMNS;
        (start..start + COLUMNS).map(|i| self.get(i)).sum()
    }
}

impl core::ops::Deref for PerCpuCounters {
    type Target = Counters;

    fn deref(&self) -> &Counters {
        &self.0
    }
}

impl Drop for PerCpuCounters {
    fn drop(&mut self) {
        // SAFETY: allocated in `new`, freed once, here, after the probes are gone.
        unsafe { c::osprey_free_percpu(self.base) };
    }
}

/// One CPU's ring: a header page followed by `data_size` bytes of records.
struct Ring {
    area: VmallocArea,
    /// A power of two.
    data_size: usize,
}

impl Ring {
    fn new(cpu: u32, data_size: usize) -> Result<Self> {
        if !data_size.is_power_of_two() {
            return Err(EINVAL);
        }
        let area = VmallocArea::new(PAGE_SIZE + data_size)?;
        // SAFETY: the area is at least a page, zeroed, and not yet shared.
        unsafe {
            let hdr = area.ptr.cast::<RingHeader>();
            (*hdr).magic = abi::RING_MAGIC;
            (*hdr).abi_version = abi::ABI_VERSION;
            (*hdr).cpu = cpu;
            (*hdr).data_size = data_size as u64;
        }
        Ok(Self { area, data_size })
    }

    fn header(&self) -> *mut RingHeader {
        self.area.ptr.cast()
    }

    /// Reserves `max` contiguous bytes at the producer position, padding to the
    /// end of the data area first when they would not fit before it. Returns
    /// the record's address, or `None` when the ring is full.
    ///
    /// Must run with preemption disabled on this ring's CPU.
    #[inline(always)]
    fn reserve(&self, consumer_pos: u64, max: usize) -> Option<(*mut u8, u64)> {
        // SAFETY: only this CPU, with preemption off, writes `head`.
        let head_atomic = unsafe { AtomicU64::from_ptr(&raw mut (*self.header()).head) };
        let mut head = head_atomic.load(Ordering::Relaxed);
        let size = self.data_size as u64;
        // The consumer position is untrusted input: anything outside
        // [head - size, head] means "full", never an out-of-bounds write.
        let used = head.wrapping_sub(consumer_pos);
        // A mask, not `%`: the size is a power of two (`ring_pages` is checked
        // at load), and a division would be the costliest instruction here.
        let offset = (head & (size - 1)) as usize;
        let to_end = self.data_size - offset;
        let need = if max > to_end { to_end + max } else { max } as u64;
        if used > size || used + need > size {
            return None;
        }
        // SAFETY: `offset + to_end` is the end of the data area.
        let data = unsafe { self.area.ptr.add(PAGE_SIZE) };
        if max > to_end {
            let pad = RecordHeader { size: to_end as u32, kind: RecordKind::Pad as u16, ..Default::default() };
            // SAFETY: `to_end` >= 8 (all sizes are multiples of 8) and only
            // the leading `size`/`kind` fields are read by the consumer.
            unsafe { data.add(offset).cast::<[u8; 8]>().write(*pad_prefix(&pad)) };
            head += to_end as u64;
            head_atomic.store(head, Ordering::Release);
            return Some((data, head));
        }
        // SAFETY: `offset + max <= data_size` was checked above.
        Some((unsafe { data.add(offset) }, head))
    }

    /// Publishes a record of `size` bytes written at position `head`.
    fn commit(&self, head: u64, size: usize) {
        // SAFETY: as in `reserve`.
        let head_atomic = unsafe { AtomicU64::from_ptr(&raw mut (*self.header()).head) };
        head_atomic.store(head + size as u64, Ordering::Release);
    }
}

/// The first 8 bytes of a record header (`size`, `kind`, `cpu`).
fn pad_prefix(hdr: &RecordHeader) -> &[u8; 8] {
    // SAFETY: `RecordHeader` is `repr(C)` and starts with 8 bytes of integers.
    unsafe { &*(hdr as *const RecordHeader).cast::<[u8; 8]>() }
}

/// A syscall bitmap, with a last word that stays zero: the `UNNUMBERED`
/// column falls in it, so a test needs no bounds check.
struct InterestBits([AtomicU64; INTEREST_WORDS + 1]);

impl Default for InterestBits {
    fn default() -> Self {
        Self([const { AtomicU64::new(0) }; INTEREST_WORDS + 1])
    }
}

impl InterestBits {
    fn set(&self, words: &[u64; INTEREST_WORDS]) {
        for (bits, word) in self.0.iter().zip(words) {
            bits.store(*word, Ordering::Relaxed);
        }
    }

    #[inline(always)]
    fn has(&self, column: usize) -> bool {
        const { assert!(UNNUMBERED / 64 == INTEREST_WORDS && UNNUMBERED % 64 == 0) };
        (self.0[column / 64].load(Ordering::Relaxed) >> (column % 64)) & 1 != 0
    }
}

/// The interest set as the probes test it: a byte of `PROBE_*` bits per
/// column (`Interest::probe_flags`), so that deciding whether an event is
/// wanted is a single bit test of memory (the bitmaps cost a shift, a mask
/// and a second shift more, on every syscall of every task). The byte holds
/// the bits of both readings of its number (`SyscallTable`): the probes test
/// them together, so 32-bit syscalls cost the path of every other syscall
/// nothing, and which table the task used is asked only of an event that
/// passes.
///
/// Columns are the number's low 16 bits, which a 16-bit load or move gives
/// for nothing: the probes need no bound check. Past `MAX_SYSCALLS` every
/// byte passes, so that x32's numbers (which have a bit set past those 16:
/// its own calls from 512, the others the x86-64 numbers) and anything not
/// a syscall go to the record path, which reads the whole number; a byte
/// that says no is thus always a syscall's. A number past 65535 that is no
/// syscall (`ENOSYS`) is only tested with the byte of its low 16 bits, and
/// counted there when that says no.
struct InterestMap([AtomicU8; MAP_COLUMNS]);

const MAP_COLUMNS: usize = 1 << 16;

/// The one interest map: a static, so that the probes address it without a
/// pointer (and its 64 KiB need no allocation).
static INTEREST: InterestMap = InterestMap::new();

impl InterestMap {
    /// Nothing wanted, and every column past the syscalls passed on.
    const fn new() -> Self {
        let mut bytes = [const { AtomicU8::new(u8::MAX) }; MAP_COLUMNS];
        let mut column = 0;
        while column < MAX_SYSCALLS {
            bytes[column] = AtomicU8::new(0);
            column += 1;
        }
        Self(bytes)
    }

    /// The column a probe tests for syscall number `nr`.
    #[inline(always)]
    const fn column(nr: usize) -> usize {
        nr as u16 as usize
    }

    fn set(&self, interest: &Interest) {
        let flags_of = |nr: u32| interest.probe_flags(nr as usize);
        let socketcall = syscalls::socketcalls().map(flags_of).fold(0, |all, flags| all | flags);
        let ipc = syscalls::ipcs().map(flags_of).fold(0, |all, flags| all | flags);
        for (column, byte) in self.0[..MAX_SYSCALLS].iter().enumerate() {
            let ia32 = match column {
                syscalls::IA32_SOCKETCALL => socketcall,
                syscalls::IA32_IPC => ipc,
                _ => syscalls::ia32_to_x86_64(column).map_or(0, flags_of),
            };
            byte.store(
                SyscallTable::X86_64.bits(interest.probe_flags(column)) | SyscallTable::I386.bits(ia32),
                Ordering::Relaxed,
            );
        }
    }

    /// Whether the event is wanted in either reading of its number: the
    /// probes' test.
    #[inline(always)]
    fn wants(&self, column: usize, exit: bool, ret: i64) -> bool {
        self.wants_as(column, exit, ret, |flags| SyscallTable::X86_64.bits(flags) | SyscallTable::I386.bits(flags))
    }

    /// Whether the event is wanted, read with `table`'s number.
    #[inline(always)]
    fn wants_in(&self, table: SyscallTable, column: usize, exit: bool, ret: i64) -> bool {
        self.wants_as(column, exit, ret, |flags| table.bits(flags))
    }

    /// `bits` places `PROBE_*` flags in the byte. For an exit, most syscalls
    /// are outside the set and decided by their byte alone; the result is
    /// looked at only for the others.
    #[inline(always)]
    fn wants_as(&self, column: usize, exit: bool, ret: i64, bits: impl Fn(u8) -> u8) -> bool {
        if !exit {
            return self.byte(column) & bits(PROBE_ENTER) != 0;
        }
        self.byte(column) & bits(PROBE_EXIT_SUCCEEDED | PROBE_EXIT_FAILED) != 0
            && self.byte(column) & bits(if ret < 0 { PROBE_EXIT_FAILED } else { PROBE_EXIT_SUCCEEDED }) != 0
    }

    /// Whether some exit of the syscall is wanted, whatever it returns.
    fn wants_some_exit(&self, table: SyscallTable, column: usize) -> bool {
        self.byte(column) & table.bits(PROBE_EXIT_SUCCEEDED | PROBE_EXIT_FAILED) != 0
    }

    /// Column `column`'s byte. Read as the kernel's `READ_ONCE` reads: one
    /// volatile load, which the compiler folds into the instruction that
    /// tests it (an atomic load it keeps apart, an instruction more).
    #[inline(always)]
    fn byte(&self, column: usize) -> u8 {
        // SAFETY: a valid, aligned byte of the map. A byte-sized volatile
        // load is a single access, which the kernel's memory model (the one
        // this code runs under) lets race with `set`'s atomic stores: the
        // probes see the old byte or the new one.
        unsafe { self.0[column].as_ptr().read_volatile() }
    }
}

/// Which table a syscall's number is from, and so which registers hold its
/// arguments: x86-64's; i386's (a 32-bit process's syscalls, and `int
/// $0x80` from a 64-bit one); or x32's (x86-64's registers, 32-bit
/// pointers, numbers with `X32_SYSCALL_BIT`). Read as x86-64's, an i386
/// olduname (59) would be an execve that never happened. An i386 or x32
/// syscall is recorded as its x86-64 twin (`syscalls::ia32_to_x86_64`,
/// `x32_to_x86_64`: the same entry function, or for x32's own calls the
/// same name); one without a twin is an event of no known syscall. The
/// record says which table (`SyscallRecord::table`).
impl SyscallTable {
    /// The table of the current task's syscall `raw` (its number as made).
    #[inline(always)]
    fn of(task: &CurrentTask, raw: u32) -> Self {
        // SAFETY: `task` is current and alive; only it changes its own status.
        if unsafe { (*task.as_ptr()).thread_info.status } & bindings::TS_COMPAT != 0 {
            Self::I386
        } else if raw as usize >= MAX_SYSCALLS {
            Self::X32
        } else {
            Self::X86_64
        }
    }

    /// `flags` (`PROBE_*`) where this table's are kept in an `InterestMap` byte.
    const fn bits(self, flags: u8) -> u8 {
        const { assert!((PROBE_ENTER | PROBE_EXIT_SUCCEEDED | PROBE_EXIT_FAILED) < 1 << 3) };
        match self {
            Self::X86_64 | Self::X32 => flags,
            Self::I386 => flags << 3,
        }
    }

    /// The x86-64 number of the syscall in `regs` (`raw` is its number,
    /// `regs.orig_ax`); `None` for one with no twin.
    #[inline(always)]
    fn x86_64_nr(self, regs: &bindings::pt_regs, raw: u32) -> Option<u32> {
        match self {
            Self::X86_64 => Some(raw),
            Self::I386 if raw as usize == syscalls::IA32_SOCKETCALL => Some(syscalls::socketcall(regs.bx as u32)?.0),
            Self::I386 if raw as usize == syscalls::IA32_IPC => syscalls::ipc(regs.bx as u32),
            Self::I386 => syscalls::ia32_to_x86_64(raw as usize),
            Self::X32 => syscalls::x32_to_x86_64(raw),
        }
    }

    /// The syscall's arguments, in order.
    #[inline(always)]
    fn args(self, regs: &bindings::pt_regs) -> [u64; 6] {
        match self {
            Self::X86_64 | Self::X32 => [regs.di, regs.si, regs.dx, regs.r10, regs.r8, regs.r9].map(|r| r as u64),
            Self::I386 => ia32_args(regs),
        }
    }

    /// The size of a pointer in the task's memory (argv arrays).
    fn pointer_size(self) -> u64 {
        match self {
            Self::X86_64 => 8,
            Self::I386 | Self::X32 => 4,
        }
    }
}

/// The consumer's open filter (`IOCTL_SET_OPEN_FILTER`), read without a
/// lock by the exit probes and by the hooks' handler on close's entry, each
/// inside an RCU read-side section (`get` takes its guard): a replaced
/// filter is freed only after a grace period, which waits for every such
/// section that may still hold it, from either kind of caller.
struct OpenFilterSlot(AtomicPtr<OpenFilter>);

impl OpenFilterSlot {
    /// The filter, if any, for as long as `_rcu` is held.
    #[inline(always)]
    fn get<'a>(&'a self, _rcu: &'a rcu::Guard) -> Option<&'a OpenFilter> {
        // SAFETY: a non-null pointer is a live `KBox`: `replace` unpublishes
        // a filter and frees it only after `synchronize_rcu`, which returns
        // once every read-side section begun before it (the caller's, which
        // `_rcu` proves and outlives the result) has ended.
        unsafe { self.0.load(Ordering::Acquire).as_ref() }
    }

    /// Installs `filter` (`None`: deliver every open). Sleeps.
    fn replace(&self, filter: Option<KBox<OpenFilter>>) {
        let new = filter.map_or(core::ptr::null_mut(), KBox::into_raw);
        let old = self.0.swap(new, Ordering::AcqRel);
        if !old.is_null() {
            // SAFETY: called from the device's ioctl and release, in process
            // context where sleeping is allowed; waits for every reader that
            // may have loaded `old`.
            unsafe { bindings::synchronize_rcu() };
            // SAFETY: `old` came from `KBox::into_raw` and no reader holds it now.
            drop(unsafe { KBox::from_raw(old) });
        }
    }
}

impl Drop for OpenFilterSlot {
    fn drop(&mut self) {
        let old = *self.0.get_mut();
        if !old.is_null() {
            // SAFETY: from `KBox::into_raw`; the probes are unregistered
            // before `Shared` is dropped.
            drop(unsafe { KBox::from_raw(old) });
        }
    }
}

/// The host cgroups of the consumer's container filter, read by the probes
/// without a lock: the consumer's ids are sorted and stored one by one, so a
/// probe reading during an update may miss an id (and deliver), never find
/// one that was not a host's.
struct HostCgroups {
    ids: KVec<AtomicU64>,
    len: AtomicU32,
}

impl HostCgroups {
    fn new() -> Result<Self> {
        let mut ids = KVec::with_capacity(abi::HOST_CGROUPS, GFP_KERNEL)?;
        for _ in 0..abi::HOST_CGROUPS {
            ids.push(AtomicU64::new(0), GFP_KERNEL)?;
        }
        Ok(Self { ids, len: AtomicU32::new(0) })
    }

    fn set(&self, hosts: &[u64]) {
        self.len.store(0, Ordering::Relaxed);
        for (slot, id) in self.ids.iter().zip(hosts) {
            slot.store(*id, Ordering::Relaxed);
        }
        self.len.store(hosts.len().min(self.ids.len()) as u32, Ordering::Release);
    }

    fn contains(&self, id: u64) -> bool {
        let len = self.len.load(Ordering::Acquire) as usize;
        abi::sorted_contains(len, |i| self.ids.get(i).map_or(0, |a| a.load(Ordering::Relaxed)), id)
    }
}

/// Everything the probes and the consumer share; lives until module unload.
struct Shared {
    /// First, so that it is dropped (and its handlers waited for) before
    /// anything they use.
    hooks: Option<SyscallHooks>,
    rings: KVec<Ring>,
    counters: PerCpuCounters,
    /// One cache line per CPU: the consumer's read position (untrusted).
    consumer_area: VmallocArea,
    consumer_pages: u32,
    data_size: usize,
    /// Whether the probes count and record (never with `probe_floor`).
    capturing: AtomicBool,
    attached: AtomicBool,
    /// The consumer's own syscalls are not captured (they would feed back):
    /// its process, as the `struct pid` it holds a reference on, so that
    /// another process given the same number later is still seen.
    consumer: ConsumerProcess,
    probe_floor: bool,
    interest_flags: AtomicU64,
    open_filter: OpenFilterSlot,
    /// Syscalls delivered only from cgroups not in `host_cgroups`.
    container_only: InterestBits,
    host_cgroups: HostCgroups,
}

// SAFETY: the raw pointers are to vmalloc and per-CPU areas owned by
// `Shared`; concurrent access follows the ring protocol (one producer per CPU
// with preemption disabled) and counters are per-CPU, read racily by design.
// The hooks' C side serialises changes with its own mutex.
unsafe impl Send for Shared {}
// SAFETY: see above.
unsafe impl Sync for Shared {}

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
        (unsafe { core::slice::from_raw_parts(self.buf.as_ptr().add(off), len) }, flags)
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
    fn new(nr_rings: u32, data_pages: u32, probe_floor: bool, per_syscall_hooks: bool) -> Result<Self> {
        let data_size = data_pages as usize * PAGE_SIZE;
        let mut rings = KVec::with_capacity(nr_rings as usize, GFP_KERNEL)?;
        for cpu in 0..nr_rings {
            rings.push(Ring::new(cpu, data_size)?, GFP_KERNEL)?;
        }
        let consumer_pages = abi::consumer_area_pages(nr_rings);
        Ok(Self {
            hooks: if per_syscall_hooks { Some(SyscallHooks::new()?) } else { None },
            rings,
            counters: PerCpuCounters::new()?,
            consumer_area: VmallocArea::new(consumer_pages as usize * PAGE_SIZE)?,
            consumer_pages,
            data_size,
            capturing: AtomicBool::new(false),
            attached: AtomicBool::new(false),
            consumer: ConsumerProcess(AtomicPtr::new(core::ptr::null_mut())),
            probe_floor,
            interest_flags: AtomicU64::new(0),
            open_filter: OpenFilterSlot(AtomicPtr::new(core::ptr::null_mut())),
            container_only: InterestBits::default(),
            host_cgroups: HostCgroups::new()?,
        })
    }

    fn info(&self) -> DeviceInfo {
        DeviceInfo {
            abi_version: abi::ABI_VERSION,
            nr_rings: self.rings.len() as u32,
            data_size: self.data_size as u64,
            consumer_area_pages: self.consumer_pages,
            page_size: PAGE_SIZE as u32,
            max_syscalls: abi::MAX_SYSCALLS as u32,
            _reserved: 0,
        }
    }

    fn consumer_pos(&self, cpu: usize) -> u64 {
        // SAFETY: slot `cpu` lies inside the consumer area (sized for every ring).
        let slot = unsafe { self.consumer_area.ptr.add(cpu * abi::CONSUMER_SLOT_SIZE) };
        // SAFETY: the slot is 8-byte aligned and lives as long as `self`.
        unsafe { AtomicU64::from_ptr(slot.cast()) }.load(Ordering::Acquire)
    }

    /// Delivers what `interest` wants from now on. With the hooks, every
    /// task goes to the tracepoints before the map changes and the new set
    /// is hooked after: a syscall the new set wants and the old one did not
    /// hook is never missed in between.
    fn set_interest(&self, interest: &Interest) {
        if let Some(hooks) = &self.hooks {
            hooks.unhook();
        }
        INTEREST.set(interest);
        self.interest_flags.store(interest.flags, Ordering::Release);
        if let Some(hooks) = &self.hooks {
            if let Err(e) = hooks.hook(interest, self) {
                pr_warn!("per-syscall hooks unavailable ({:?}): every syscall goes through the tracepoints\n", e);
            }
        }
    }

    /// Installs the consumer's container filter; `None` delivers every cgroup.
    fn set_container_filter(&self, filter: Option<&ContainerFilter>) {
        match filter {
            Some(filter) => {
                let hosts = (filter.hosts as usize).min(abi::HOST_CGROUPS);
                self.host_cgroups.set(&filter.host_cgroups[..hosts]);
                self.container_only.set(&filter.kinds);
            }
            None => {
                self.container_only.set(&[0; INTEREST_WORDS]);
                self.host_cgroups.set(&[]);
            }
        }
    }

    /// Whether the hooks carry the syscalls' entries (and only their tasks
    /// reach the syscall tracepoints).
    #[inline(always)]
    fn hooked(&self) -> bool {
        self.hooks.as_ref().is_some_and(|hooks| hooks.active(Ordering::Relaxed))
    }

    /// `hooked`, read after the caller's last atomic operation (a load of
    /// the total order of `SeqCst` operations, a plain load on x86-64).
    #[inline(always)]
    fn hooked_now(&self) -> bool {
        self.hooks.as_ref().is_some_and(|hooks| hooks.active(Ordering::SeqCst))
    }

    fn stats(&self) -> DeviceStats {
        let total = (0..self.rings.len())
            .map(|cpu| self.counters.cpu_stats(cpu))
            .fold(RingStats::default(), |total, cpu| total + cpu);
        DeviceStats {
            total,
            capturing: self.capturing.load(Ordering::Relaxed) as u32,
            hooked: self.hooked() as u32,
        }
    }

    #[inline(always)]
    fn capturing(&self) -> bool {
        self.capturing.load(Ordering::Relaxed)
    }

    /// Whether `task` is the consumer (its syscalls would feed back).
    #[inline(always)]
    fn is_consumer(&self, task: &CurrentTask) -> bool {
        self.consumer.is(task)
    }

    /// Runs `write` on this CPU's ring with preemption disabled and counts
    /// the event in `column` as delivered, filtered or dropped. `write`
    /// returns the record's size and whether any buffer was cut short, or
    /// `None` when a predicate on what it wrote rejects the event (the
    /// reservation is then abandoned; with a full ring such an event counts
    /// as dropped, as its bytes could not be looked at). Always inlined: left
    /// out of line, `write`'s captures went through memory (~25 instructions
    /// a record).
    #[inline(always)]
    fn emit(&self, column: Column, max: usize, write: impl FnOnce(*mut u8, u16) -> Option<(usize, bool)>) {
        // SAFETY: paired with the enable below; nothing in between sleeps.
        let cpu = unsafe { c::osprey_preempt_disable_cpu() } as usize;
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
        unsafe { c::osprey_preempt_enable() };
    }

    /// Writes the per-syscall counters, summed over CPUs, as a `SyscallStats`
    /// (in pieces: the whole is too big for the kernel stack).
    fn write_syscall_stats(&self, out: &mut kernel::uaccess::UserSliceWriter) -> Result {
        const PIECE: usize = 64;
        const _: () = assert!(MAX_SYSCALLS % PIECE == 0);
        for outcome in [SyscallOutcome::Delivered, SyscallOutcome::Filtered, SyscallOutcome::Dropped] {
            for start in (0..MAX_SYSCALLS).step_by(PIECE) {
                let mut piece = [0u64; PIECE];
                for counters in (0..self.rings.len()).filter_map(|cpu| self.counters.of_cpu(cpu)) {
                    for (i, sum) in piece.iter_mut().enumerate() {
                        *sum += counters.get(outcome as usize * COLUMNS + start + i);
                    }
                }
                out.write(&piece)?;
            }
        }
        Ok(())
    }

    /// The probes' common path for the syscall in `regs`, whose number has
    /// `column` (`InterestMap::column`); `counters` are `self.counters`, as
    /// the tracepoint probes get them. Inlined into them so that an event
    /// nobody asked for (not in the interest set, or a failure no rule can
    /// match) costs a 16-bit move, a bit test of memory and one per-CPU
    /// increment.
    #[inline(always)]
    fn on_syscall(&self, counters: Counters, regs: &bindings::pt_regs, column: usize, exit: bool, ret: i64) {
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
            SyscallTable::I386 | SyscallTable::X32 => match self.compat_twin(table, regs, raw, EXIT, ret) {
                Some(twin) => twin,
                None => return,
            },
        };
        let flags = program_flags(task);
        // SAFETY: reads the current task's cgroup under RCU; keeps nothing.
        if self.container_only.has(Column::of(nr).0) && self.host_cgroups.contains(unsafe { c::osprey_current_cgroup() }) {
            self.counters.count_filtered_in(Column::of(nr));
            return;
        }
        let fixed = SyscallFixed {
            kind: if EXIT { RecordKind::SyscallExit } else { RecordKind::SyscallEnter },
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
                unsafe { fixed.write(at.cast(), task, cpu, size, 0, [BlobDesc::default(); MAX_BLOBS]) };
                Some((size, false))
            });
            return;
        }
        let args = fixed.args();
        let staged = stage_slow_captures(&captures, &args, ret);
        let max = size_of::<SyscallRecord>()
            + captures.iter().filter(|c| **c != Capture::None).map(|c| abi::capture_cap(*c)).sum::<usize>();
        self.emit(Column::of(nr), max, |at, cpu| {
            let mut w = RecordWriter::new(at, size_of::<SyscallRecord>(), table);
            for (i, capture) in captures.iter().enumerate().filter(|(_, c)| **c != Capture::None) {
                w.capture(*capture, &args, staged.as_ref().map(|s| s.part(i)));
            }
            if EXIT && ret >= 0 && !self.open_delivered(task, nr, &args, staged.as_ref().and_then(|s| s.opened), &w) {
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
    fn wants_some_exit(&self, table: SyscallTable, regs: &bindings::pt_regs) -> bool {
        let raw = syscall_number(regs);
        match table {
            SyscallTable::X32 => syscalls::x32_to_x86_64(raw)
                .is_some_and(|nr| INTEREST.wants_some_exit(SyscallTable::X86_64, nr as usize)),
            _ => (raw as usize) < MAX_SYSCALLS && INTEREST.wants_some_exit(table, raw as usize),
        }
    }

    /// Whether the open filter drops this close (its exit is then never
    /// traced): the descriptor, still open at entry, is a named file.
    fn close_filtered(&self, table: SyscallTable, regs: &bindings::pt_regs) -> bool {
        table.x86_64_nr(regs, syscall_number(regs)) == Some(abi::nr::CLOSE)
            && self.open_filter.get(&rcu::read_lock()).is_some_and(|f| f.flags & abi::OPEN_FILTER_CLOSES != 0)
            // SAFETY: the helper looks the number up in the current task's
            // table without sleeping and keeps no reference.
            && unsafe { c::osprey_fd_is_named_file(table.args(regs)[0] as c_int) }
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
        let (Some(filter), Some(path)) = (self.open_filter.get(&rcu), w.whole_blob_of(BlobKind::OpenedPath)) else {
            return true;
        };
        let comm = comm_of(task);
        let comm = &comm[..comm.iter().position(|b| *b == 0).unwrap_or(comm.len())];
        filter.delivers(path, class, comm) || opened.is_dir
    }

    fn on_process_exit(&self, task: *mut bindings::task_struct, group_dead: bool) {
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
                write_header(&raw mut (*rec).hdr, current, RecordKind::ProcessExit, size, cpu);
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
unsafe fn write_header(hdr: *mut RecordHeader, task: &CurrentTask, kind: RecordKind, size: usize, cpu: u16) {
    // Field by field, each once: the ids helper writes every field it is
    // given, so nothing is zeroed first.
    // SAFETY: `hdr` is valid for writes (the caller's contract); the helpers
    // only read the current task's credentials, links and the clock, and
    // write the fields they are given.
    unsafe {
        (&raw mut (*hdr).size).write(size as u32);
        (&raw mut (*hdr).kind).write(kind as u16);
        (&raw mut (*hdr).cpu).write(cpu);
        (&raw mut (*hdr).ts_ns).write(c::osprey_now_ns());
        (&raw mut (*hdr).tid).write(task.pid() as u32);
        (&raw mut (*hdr).pid).write(task.tgid() as u32);
        (&raw mut (*hdr).comm).write(comm_of(task));
        c::osprey_current_ids(
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
fn stage_slow_captures(captures: &[Capture; MAX_BLOBS], args: &[u64; 6], ret: i64) -> Option<Staged> {
    let slow = is_slow;
    if !captures.iter().any(slow) {
        return None;
    }
    let total: usize = captures.iter().filter(|c| slow(c)).map(|c| abi::capture_cap(*c)).sum();
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
                Capture::Exe => c::osprey_exe_path(dst, cap as c_int),
                Capture::Cwd => c::osprey_cwd_path(dst, cap as c_int),
                Capture::ExecFacts => match exec_facts() {
                    Some(facts) => {
                        // `cap` is size_of::<ExecFacts>() (capture_cap).
                        dst.cast::<abi::ExecFacts>().write_unaligned(facts);
                        cap as c_long
                    }
                    None => -1,
                },
                Capture::ExecEnv => c::osprey_exec_env(dst, cap as c_int, &mut truncated),
                // `ret` is the descriptor the open returned.
                Capture::OpenedPath => {
                    let (mut flags, mut is_dir) = (0, false);
                    let n = c::osprey_fd_path(ret as c_int, dst, cap as c_int, &mut flags, &mut is_dir);
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
                    c::osprey_fd_peer(fd, dst, cap as c_int)
                }
                _ => c::osprey_exec_args(dst, cap as c_int, &mut truncated),
            }
        };
        parts[i] = match n {
            // A path longer than the buffer (d_path gives none of it).
            n if n == -(bindings::ENAMETOOLONG as c_long) => (at, 0, abi::BLOB_TRUNCATED),
            n if n < 0 => (at, 0, abi::BLOB_FAULT),
            n => (at, n as usize, if truncated != 0 { abi::BLOB_TRUNCATED } else { 0 }),
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
        c::osprey_caps(&mut facts.cap_inheritable, &mut facts.cap_permitted, &mut facts.cap_effective);
        c::osprey_exe_facts(
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
        Self { at, cursor: fixed, nblobs: 0, blobs: [BlobDesc::default(); MAX_BLOBS], table }
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
    fn fill(&self, capture: Capture, dst: &mut [u8], args: &[u64; 6], staged: Option<(&[u8], u8)>) -> (u8, (usize, u8)) {
        let cap = dst.len();
        match capture {
            Capture::None => (0, (0, 0)),
            Capture::Str { arg } => (arg, copy_user_str(dst, args[arg as usize])),
            Capture::Args { arg } => (arg, copy_user_argv(dst, args[arg as usize], self.table.pointer_size())),
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
        let blob = self.blobs[..self.nblobs].iter().find(|b| b.kind == kind as u8 && b.flags == 0)?;
        // SAFETY: `capture` wrote `len` bytes at `offset` inside the
        // reservation, which outlives `self`.
        Some(unsafe { core::slice::from_raw_parts(self.at.add(blob.offset as usize), blob.len as usize) })
    }
}

/// Copies `len` bytes from user address `src`; returns (bytes, flags).
fn copy_user(dst: &mut [u8], src: u64, len: usize) -> (usize, u8) {
    let len = len.min(dst.len());
    // SAFETY: `dst` has room for `len` bytes; the nofault copy validates `src`
    // (NULL, kernel and unmapped addresses fail instead of faulting).
    let rc = unsafe {
        bindings::copy_from_user_nofault(dst.as_mut_ptr().cast(), src as usize as *const c_void, len)
    };
    if rc == 0 { (len, 0) } else { (0, abi::BLOB_FAULT) }
}

/// Copies a NUL-terminated user string (without its NUL) at its length,
/// at most `dst.len()` bytes (then flagged as cut short).
fn copy_user_str(dst: &mut [u8], src: u64) -> (usize, u8) {
    // SAFETY: `dst` has room for `dst.len()` bytes, the most the helper
    // writes; it reads user memory without faulting or sleeping.
    let len = unsafe {
        c::osprey_strncpy_from_user_nofault(dst.as_mut_ptr().cast(), src as usize as *const c_char, dst.len() as c_long)
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

/// The `sys_enter` probe. `HOOKS`: registered with per-syscall hooks, which
/// take the entries over once active. Without them every syscall of every
/// task comes here, so that build has not even the test for them.
unsafe extern "C" fn probe_sys_enter<const HOOKS: bool>(
    counters: *mut c_void,
    regs: *mut bindings::pt_regs,
    nr: c_long,
) {
    // SAFETY: called as a registered probe.
    let shared = unsafe { probed() };
    if !shared.capturing() || HOOKS && shared.hooked() {
        return;
    }
    let counters = Counters { base: counters.cast() };
    // SAFETY: the tracepoint passes the syscall's user registers.
    shared.on_syscall(counters, unsafe { &*regs }, InterestMap::column(nr as usize), false, 0);
}

/// The `sys_exit` probe; `HOOKS` as for `probe_sys_enter`.
unsafe extern "C" fn probe_sys_exit<const HOOKS: bool>(
    counters: *mut c_void,
    regs: *mut bindings::pt_regs,
    ret: c_long,
) {
    // SAFETY: called as a registered probe.
    let shared = unsafe { probed() };
    if HOOKS && shared.hooked() {
        // SAFETY: `current`, in its syscall exit, is alive.
        let work = unsafe { syscall_work(Task::current_raw()) };
        // Turning the switch off pairs with the hooks stopping, which store
        // `active = false`, then turn every task's switch on: whichever comes
        // last, the switch ends up on once the hooks are inactive. The
        // read-modify-write is a full barrier on x86-64, so the second read
        // of `active` cannot see an older value than the first.
        work.fetch_and(!TRACEPOINT_WORK, Ordering::SeqCst);
        if !shared.hooked_now() {
            work.fetch_or(TRACEPOINT_WORK, Ordering::SeqCst);
        }
    }
    if !shared.capturing() {
        return;
    }
    let counters = Counters { base: counters.cast() };
    // SAFETY: as in `probe_sys_enter`.
    let regs = unsafe { &*regs };
    shared.on_syscall(counters, regs, InterestMap::column(regs.orig_ax), true, ret as i64);
}

/// With per-syscall hooks, while the hooks are not active every task must
/// have the syscall tracepoints on: a child whose fork was under way when
/// they were turned on for every task gets them here.
unsafe extern "C" fn probe_process_fork(
    _counters: *mut c_void,
    _parent: *mut bindings::task_struct,
    child: *mut bindings::task_struct,
) {
    // SAFETY: called as a registered probe.
    let shared = unsafe { probed() };
    if shared.hooks.is_none() {
        return;
    }
    // The child is on the task list now. Read `active` after that is seen,
    // so that hooks stopping after this read find the child in their walk
    // of the tasks, and hooks stopped before it are seen stopped here.
    core::sync::atomic::fence(Ordering::SeqCst);
    if !shared.hooked_now() {
        // SAFETY: the tracepoint passes the new task, alive during the call.
        unsafe { syscall_work(child) }.fetch_or(TRACEPOINT_WORK, Ordering::SeqCst);
    }
}

/// The hook's handler on the entry point of a hooked syscall, of any table
/// (a syscall without arguments has one function for x86-64 and i386).
unsafe extern "C" fn hooked_syscall_entered(data: *mut c_void, regs: *mut bindings::pt_regs) {
    // SAFETY: `data` is the `Shared` whose `SyscallHooks` registered this
    // handler; it is dropped only after they are unregistered and waited for.
    let shared = unsafe { &*data.cast::<Shared>() };
    if !shared.capturing() {
        return;
    }
    // SAFETY: the task's user registers, saved on syscall entry.
    let regs = unsafe { &*regs };
    let raw = syscall_number(regs);
    let task = kernel::current!();
    if !shared.hooked_now() {
        hooked_syscall_entered_while_stopping(shared, task, regs, raw);
        return;
    }
    let table = SyscallTable::of(task, raw);
    if shared.wants_some_exit(table, regs) {
        // SAFETY: `current`, inside its syscall, is alive.
        let work = unsafe { syscall_work(task.as_ptr()) };
        if !shared.close_filtered(table, regs) {
            work.fetch_or(TRACEPOINT_WORK, Ordering::Relaxed);
        } else if work.load(Ordering::Relaxed) & TRACEPOINT_WORK == 0 {
            // Counted here, as its exit goes unseen. A task whose switch is
            // still on (the hooks were just turned on) reports that exit
            // through the tracepoint, which counts it there.
            // SAFETY: close's number is below MAX_SYSCALLS.
            unsafe { shared.counters.count_filtered(abi::nr::CLOSE as usize) };
        }
    }
    shared.on_syscall(*shared.counters, regs, InterestMap::column(raw as usize), false, 0);
}

/// A hooked syscall entered while the hooks stop (their functions are
/// unhooked last): the tracepoints carry every task from now on, this one
/// too. Its entry reached `sys_enter` only if its switch was already on.
#[cold]
fn hooked_syscall_entered_while_stopping(shared: &Shared, task: &CurrentTask, regs: &bindings::pt_regs, raw: u32) {
    // SAFETY: `current`, inside its syscall, is alive.
    let work = unsafe { syscall_work(task.as_ptr()) };
    if work.fetch_or(TRACEPOINT_WORK, Ordering::SeqCst) & TRACEPOINT_WORK == 0 {
        shared.on_syscall(*shared.counters, regs, InterestMap::column(raw as usize), false, 0);
    }
}

/// The switch of a task's syscall tracepoints in its syscall work flags
/// (`SYSCALL_WORK_SYSCALL_TRACEPOINT`).
const TRACEPOINT_WORK: usize = 1 << bindings::syscall_work_bit_SYSCALL_WORK_BIT_SYSCALL_TRACEPOINT;

/// `task`'s syscall work flags (`set/clear_task_syscall_work`): tested and
/// changed in place, without a call, on every hooked syscall.
///
/// # Safety
///
/// `task` is alive while the result is used.
unsafe fn syscall_work<'a>(task: *mut bindings::task_struct) -> &'a AtomicUsize {
    // SAFETY: a word of a live task's `thread_info` (the caller's contract).
    unsafe { thread_word(&raw mut (*task).thread_info.syscall_work) }
}

/// A flags word of a task's `thread_info`, which the kernel changes only
/// with atomic bit operations: read and changed here the same way.
///
/// # Safety
///
/// `word` is in the `thread_info` of a task alive while the result is used.
unsafe fn thread_word<'a>(word: *mut c_ulong) -> &'a AtomicUsize {
    const { assert!(size_of::<c_ulong>() == size_of::<usize>()) };
    // SAFETY: an aligned `unsigned long` (the caller's contract), accessed
    // only atomically.
    unsafe { AtomicUsize::from_ptr(word.cast()) }
}

/// An i386 syscall's arguments, as its x86-64 twin takes them
/// (`syscalls::ia32_args`: 32 bits wide, split values joined). Those of a
/// socketcall's call, the old mmap and the old select, and some of ipc's
/// semctl and old msgrcv, are read from the user memory a register points
/// to (`syscalls::ia32_args_in_memory`; zeros when that cannot be read
/// without a fault; by the exit the kernel has read them, so its record
/// has them).
#[cold]
#[inline(never)]
fn ia32_args(regs: &bindings::pt_regs) -> [u64; 6] {
    let nr = syscall_number(regs) as usize;
    let in_registers = [regs.bx, regs.cx, regs.dx, regs.si, regs.di, regs.bp].map(|r| r as u32);
    let Some((address, n)) = syscalls::ia32_args_in_memory(nr, in_registers) else {
        return syscalls::ia32_args(nr, in_registers);
    };
    let mut words = [0u32; 6];
    let mut bytes = [0u8; 24];
    let n = n.min(words.len());
    if copy_user(&mut bytes[..4 * n], address.into(), 4 * n).1 == 0 {
        for (word, b) in words.iter_mut().zip(bytes.chunks_exact(4)).take(n) {
            *word = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        }
    }
    syscalls::ia32_args_from_memory(nr, in_registers, words)
}

/// Per-syscall hooks (`hooks.c` explains the mechanism): an ftrace_ops on
/// the entry points of the syscalls of interest.
struct SyscallHooks(*mut c_void);

impl SyscallHooks {
    fn new() -> Result<Self> {
        // SAFETY: allocates; `hooked_syscall_entered` has the handler's prototype.
        let raw = unsafe { c::osprey_hooks_new(hooked_syscall_entered) };
        if raw.is_null() {
            return Err(ENOMEM);
        }
        Ok(Self(raw))
    }

    #[inline(always)]
    fn active(&self, order: Ordering) -> bool {
        // SAFETY: `self.0` is live until drop and starts with the C side's
        // `bool active` (asserted there), which it stores with WRITE_ONCE
        // followed by a full barrier: a byte-sized atomic load reads it as
        // READ_ONCE does.
        unsafe { AtomicBool::from_ptr(self.0.cast()) }.load(order)
    }

    /// Watches the syscall tracepoints for other users (see `hooks.c`).
    fn watch(&self, sys_enter: *mut bindings::tracepoint, sys_exit: *mut bindings::tracepoint) {
        // SAFETY: `self.0` is live; the tracepoints are static kernel objects.
        unsafe { c::osprey_hooks_watch(self.0, sys_enter.cast(), sys_exit.cast()) };
    }

    /// Unhooks everything; the tracepoints carry every syscall until the
    /// next `hook`.
    fn unhook(&self) {
        // SAFETY: `self.0` is live until drop.
        unsafe { c::osprey_hooks_unhook(self.0) };
    }

    /// Stops watching for other tracers and unhooks everything; the
    /// tracepoints carry every syscall from now on.
    fn stop(&self) {
        // SAFETY: `self.0` is live until drop.
        unsafe { c::osprey_hooks_stop(self.0) };
    }

    /// Hooks the entry point of every syscall `interest` wants, in either
    /// direction, instead of what was hooked: the x86-64 function, and where
    /// the kernel has them the functions of its i386 twins (socketcall's or
    /// ipc's for the calls they make) and of x32's own call of that name
    /// (x32's other calls, and an i386 twin without arguments, enter by the
    /// x86-64 function). Numbers without an entry function (nothing can
    /// call them) are left out.
    fn hook(&self, interest: &Interest, shared: &Shared) -> Result {
        let wanted = |nr: u32| {
            Interest::wants(&interest.enter, nr as usize) || Interest::wants(&interest.exit, nr as usize)
        };
        let x64 = (0..MAX_SYSCALLS as u32).filter(|nr| wanted(*nr)).filter_map(syscalls::entry);
        // x32's calls of their own enter by `__x64_` functions too.
        let x32 = syscalls::x32_entries().filter(|(nr, _)| wanted(*nr)).map(|(_, entry)| entry);
        #[cfg(not(CONFIG_X86_X32_ABI))]
        let x32 = x32.filter(|_| false);
        let x64 = Iterator::chain(x64, x32).map(|entry| (&b"__x64_"[..], entry));
        let multiplexers = [
            syscalls::socketcalls().any(wanted).then_some(syscalls::IA32_SOCKETCALL_ENTRY),
            syscalls::ipcs().any(wanted).then_some(syscalls::IA32_IPC_ENTRY),
        ];
        let ia32 = syscalls::ia32_entries().filter(|(_, nr, _)| wanted(*nr)).map(|(_, _, entry)| entry);
        let ia32 = Iterator::chain(ia32, multiplexers.into_iter().flatten()).map(|entry| (&b"__ia32_"[..], entry));
        #[cfg(not(CONFIG_IA32_EMULATION))]
        let ia32 = ia32.filter(|_| false);
        let mut names = SymbolNames::new(Iterator::chain(x64, ia32))?;
        let data = core::ptr::from_ref(shared).cast_mut().cast::<c_void>();
        // SAFETY: `names` holds its length of NUL-terminated names that
        // outlive the call; `data` is the `Shared` that owns these hooks.
        to_result(unsafe { c::osprey_hooks_set(self.0, names.pointers(), names.len(), data) })
    }
}

/// Kernel symbol names, a prefix and an entry function each, as the C side
/// takes them: an array of pointers to NUL-terminated strings.
struct SymbolNames {
    _text: KVec<u8>,
    pointers: KVec<*const c_char>,
}

impl SymbolNames {
    fn new<'a>(entries: impl Iterator<Item = (&'a [u8], &'a str)>) -> Result<Self> {
        let mut text = KVec::new();
        let mut starts = KVec::new();
        for (prefix, entry) in entries {
            starts.push(text.len(), GFP_KERNEL)?;
            text.extend_from_slice(prefix, GFP_KERNEL)?;
            text.extend_from_slice(entry.as_bytes(), GFP_KERNEL)?;
            text.push(0, GFP_KERNEL)?;
        }
        // Pointers only once `text` no longer grows.
        let mut pointers = KVec::with_capacity(starts.len(), GFP_KERNEL)?;
        for start in starts.iter() {
            pointers.push(text[*start..].as_ptr().cast::<c_char>(), GFP_KERNEL)?;
        }
        Ok(Self { _text: text, pointers })
    }

    fn pointers(&mut self) -> *mut *const c_char {
        self.pointers.as_mut_ptr()
    }

    fn len(&self) -> c_int {
        self.pointers.len() as c_int
    }
}

impl Drop for SyscallHooks {
    fn drop(&mut self) {
        // SAFETY: allocated in `new`; unhooks and waits for running handlers.
        unsafe { c::osprey_hooks_free(self.0) };
    }
}

unsafe extern "C" fn probe_process_exit(
    _counters: *mut c_void,
    task: *mut bindings::task_struct,
    group_dead: bool,
) {
    // SAFETY: called as a registered probe.
    let shared = unsafe { probed() };
    if !shared.capturing() {
        return;
    }
    shared.on_process_exit(task, group_dead);
}

/// Registered tracepoint probes; unregistered (and waited for) on drop.
/// Their data is the counters' address (`Counters`), which spares the
/// filtered path the load of it; the rest they find through `PROBED`.
struct Probes {
    registered: KVec<(*mut bindings::tracepoint, *mut c_void)>,
    shared: Arc<Shared>,
}

/// The `Shared` that the registered probes serve: set before the first is
/// registered, cleared after the last is unregistered and waited for.
static PROBED: AtomicPtr<Shared> = AtomicPtr::new(core::ptr::null_mut());

/// The `Shared` of the running probe.
///
/// # Safety
///
/// Called from a registered tracepoint probe: `PROBED` is then set, and what
/// it points to alive until the probe returns.
#[inline(always)]
unsafe fn probed<'a>() -> &'a Shared {
    // SAFETY: per the caller's promise; the store that set it precedes the
    // registration that published the probe.
    unsafe { &*PROBED.load(Ordering::Acquire) }
}

// SAFETY: the tracepoint pointers are to static kernel objects.
unsafe impl Send for Probes {}
// SAFETY: see above.
unsafe impl Sync for Probes {}

struct Lookup {
    name: &'static CStr,
    found: *mut bindings::tracepoint,
}

unsafe extern "C" fn match_tracepoint(tp: *mut bindings::tracepoint, priv_: *mut c_void) {
    // SAFETY: `priv_` is the `Lookup` passed to for_each_kernel_tracepoint;
    // `tp` is a valid tracepoint with a NUL-terminated name.
    unsafe {
        let lookup = &mut *priv_.cast::<Lookup>();
        if CStr::from_char_ptr((*tp).name) == lookup.name {
            lookup.found = tp;
        }
    }
}

impl Probes {
    fn register(shared: Arc<Shared>) -> Result<Self> {
        PROBED.store(Arc::as_ptr(&shared).cast_mut(), Ordering::Release);
        let mut probes = Self { registered: KVec::new(), shared };
        let shared = probes.shared.clone();
        let (enter, exit) = match shared.hooks {
            Some(_) => (probe_sys_enter::<true> as *mut c_void, probe_sys_exit::<true> as *mut c_void),
            None => (probe_sys_enter::<false> as *mut c_void, probe_sys_exit::<false> as *mut c_void),
        };
        let sys_enter = probes.add(c_str!("sys_enter"), enter)?;
        let sys_exit = probes.add(c_str!("sys_exit"), exit)?;
        probes.add(c_str!("sched_process_exit"), probe_process_exit as *mut c_void)?;
        if let Some(hooks) = &shared.hooks {
            probes.add(c_str!("sched_process_fork"), probe_process_fork as *mut c_void)?;
            hooks.watch(sys_enter, sys_exit);
        }
        Ok(probes)
    }

    /// What every probe is registered with.
    fn data(&self) -> *mut c_void {
        self.shared.counters.base.cast()
    }

    fn add(&mut self, name: &'static CStr, func: *mut c_void) -> Result<*mut bindings::tracepoint> {
        let mut lookup = Lookup { name, found: core::ptr::null_mut() };
        // SAFETY: the callback only touches `lookup`, which outlives the call.
        unsafe {
            bindings::for_each_kernel_tracepoint(Some(match_tracepoint), (&raw mut lookup).cast())
        };
        if lookup.found.is_null() {
            pr_err!("tracepoint {:?} not found\n", name);
            return Err(ENOENT);
        }
        self.registered.reserve(1, GFP_KERNEL)?;
        // SAFETY: `func` has the tracepoint's prototype (with the leading data
        // argument); the counters and `PROBED` stay valid until `drop` has
        // unregistered and synchronised.
        to_result(unsafe { bindings::tracepoint_probe_register(lookup.found, func, self.data()) })?;
        self.registered.push((lookup.found, func), GFP_KERNEL)?;
        Ok(lookup.found)
    }
}

impl Drop for Probes {
    fn drop(&mut self) {
        if let Some(hooks) = &self.shared.hooks {
            hooks.stop();
        }
        for (tp, func) in self.registered.iter() {
            // SAFETY: this exact (tracepoint, probe, data) was registered.
            unsafe { bindings::tracepoint_probe_unregister(*tp, *func, self.data()) };
        }
        // SAFETY: waits for running probes; afterwards none can see `shared`.
        unsafe { c::osprey_tracepoint_sync() };
        PROBED.store(core::ptr::null_mut(), Ordering::Relaxed);
    }
}

/// The device node and the state its open files reach through `container_of`.
#[pin_data]
struct Device {
    shared: Arc<Shared>,
    #[pin]
    misc: MiscDeviceRegistration<Consumer>,
}

/// An open `/dev/osprey`: the one consumer.
#[pin_data]
struct Consumer {
    shared: Arc<Shared>,
    /// Held while an ioctl changes what the probes deliver (the interest,
    /// the hooks, the filters, capture on or off): two of the consumer's
    /// threads never interleave such changes.
    #[pin]
    programming: Mutex<()>,
}

#[vtable]
impl MiscDevice for Consumer {
    type Ptr = Pin<KBox<Self>>;

    fn open(_file: &File, misc: &MiscDeviceRegistration<Self>) -> Result<Pin<KBox<Self>>> {
        if !may_attach() {
            return Err(EPERM);
        }
        // SAFETY: every `MiscDeviceRegistration<Consumer>` is the `misc` field
        // of a `Device` (only `Osprey::init` creates one), which outlives opens.
        let device = unsafe {
            &*kernel::container_of!(core::ptr::from_ref(misc).cast_mut(), Device, misc)
        };
        let shared = device.shared.clone();
        if shared.attached.swap(true, Ordering::AcqRel) {
            return Err(EBUSY);
        }
        let consumer = try_pin_init!(Self { shared, programming <- new_mutex!(()) });
        KBox::try_pin_init(consumer, GFP_KERNEL).inspect_err(|_| {
            device.shared.attached.store(false, Ordering::Release);
        })
    }

    fn release(me: Pin<KBox<Self>>, _file: &File) {
        me.shared.capturing.store(false, Ordering::Release);
        me.shared.consumer.clear();
        me.shared.set_interest(&Interest::default());
        me.shared.open_filter.replace(None);
        me.shared.set_container_filter(None);
        me.shared.attached.store(false, Ordering::Release);
    }

    fn mmap(me: Pin<&Consumer>, _file: &File, vma: &VmaNew) -> Result {
        let shared = &me.shared;
        // SAFETY: `vma` is a valid area being set up; reading its offset is fine.
        let pgoff = unsafe { (*vma.as_ptr()).vm_pgoff } as usize;
        let len = vma.end() - vma.start();
        let consumer_pages = shared.consumer_pages as usize;
        vma.set_dontcopy();
        if pgoff == 0 && len == consumer_pages * PAGE_SIZE {
            return shared.consumer_area.map(vma, 0);
        }
        // Rings are read-only for the consumer: it may not even mprotect them writable.
        if vma.writable() {
            return Err(EPERM);
        }
        vma.try_clear_maywrite()?;
        let ring_pages = 1 + shared.data_size / PAGE_SIZE;
        let index = pgoff.checked_sub(consumer_pages).ok_or(EINVAL)?;
        if index % ring_pages != 0 || len != ring_pages * PAGE_SIZE {
            return Err(EINVAL);
        }
        shared.rings.get(index / ring_pages).ok_or(EINVAL)?.area.map(vma, 0)
    }

    fn ioctl(me: Pin<&Consumer>, _file: &File, cmd: u32, arg: usize) -> Result<isize> {
        let shared = &me.shared;
        let user = UserSlice::new(UserPtr::from_addr(arg), _IOC_SIZE(cmd));
        let _programming = match cmd {
            abi::IOCTL_GET_INFO | abi::IOCTL_GET_STATS | abi::IOCTL_GET_SYSCALL_STATS | abi::IOCTL_GET_RING_STATS => None,
            _ => Some(me.programming.lock()),
        };
        match cmd {
            abi::IOCTL_GET_INFO => user.writer().write(&shared.info())?,
            abi::IOCTL_GET_STATS => user.writer().write(&shared.stats())?,
            abi::IOCTL_GET_SYSCALL_STATS => shared.write_syscall_stats(&mut user.writer())?,
            abi::IOCTL_GET_RING_STATS => {
                let (mut reader, mut writer) = user.reader_writer();
                let mut query: RingStatsQuery = reader.read()?;
                if query.cpu as usize >= shared.rings.len() {
                    return Err(EINVAL);
                }
                query.stats = shared.counters.cpu_stats(query.cpu as usize);
                writer.write(&query)?;
            }
            abi::IOCTL_SET_INTEREST => {
                let interest: Interest = user.reader().read()?;
                if interest.flags & !abi::INTEREST_FLAGS != 0 {
                    return Err(EINVAL);
                }
                shared.set_interest(&interest);
            }
            abi::IOCTL_SET_OPEN_FILTER => {
                let filter = read_boxed::<OpenFilter>(user)?;
                shared.open_filter.replace((filter.clauses > 0).then_some(filter));
            }
            abi::IOCTL_SET_CONTAINER_FILTER => {
                let filter = read_boxed::<ContainerFilter>(user)?;
                shared.set_container_filter(Some(&filter));
            }
            abi::IOCTL_START => {
                // The process issuing the ioctl.
                shared.consumer.set_current();
                shared.capturing.store(!shared.probe_floor, Ordering::Release);
            }
            abi::IOCTL_STOP => shared.capturing.store(false, Ordering::Release),
            _ => return Err(ENOTTY),
        }
        Ok(0)
    }
}

/// Whether the current task may attach: it sees every process's syscalls
/// and can blind the sensor, so besides the device's mode it needs
/// `CAP_SYS_ADMIN`, or `CAP_PERFMON` (tracing) together with
/// `CAP_SYS_PTRACE` (reading other processes), in the initial user namespace.
fn may_attach() -> bool {
    // SAFETY: checks the current task's credentials; writes no audit
    // record for a denial (the one that passes may still be refused).
    let has = |cap: u32| unsafe { bindings::capable_noaudit(cap as c_int) };
    has(bindings::CAP_SYS_ADMIN) || has(bindings::CAP_PERFMON) && has(bindings::CAP_SYS_PTRACE)
}

/// The consumer's process: a counted reference on its `struct pid`, or null.
struct ConsumerProcess(AtomicPtr<bindings::pid>);

impl ConsumerProcess {
    /// Whether `task` belongs to the consumer's process: one comparison of
    /// its thread group's `struct pid` with the one held.
    #[inline(always)]
    fn is(&self, task: &CurrentTask) -> bool {
        // SAFETY: the current task's `signal` lives as long as the task,
        // and its thread-group pid changes only when the task is released.
        let tgid = unsafe { (*(*task.as_ptr()).signal).pids[bindings::pid_type_PIDTYPE_TGID as usize] };
        tgid == self.0.load(Ordering::Relaxed)
    }

    /// Holds the current process's pid. A probe that still compares with
    /// the pid being replaced cannot match another process with it: a
    /// `struct pid` is freed only once no task uses it, and the task
    /// running the probe uses its own.
    fn set_current(&self) {
        // SAFETY: takes a reference on the current task's thread-group pid.
        let pid = unsafe { c::osprey_current_tgid_get() }.cast::<bindings::pid>();
        Self::put(self.0.swap(pid, Ordering::AcqRel));
    }

    fn clear(&self) {
        Self::put(self.0.swap(core::ptr::null_mut(), Ordering::AcqRel));
    }

    fn put(pid: *mut bindings::pid) {
        // SAFETY: `pid` is null or a reference taken by `set_current` and
        // given up once, here (put_pid ignores null).
        unsafe { bindings::put_pid(pid) };
    }
}

impl Drop for ConsumerProcess {
    fn drop(&mut self) {
        self.clear();
    }
}

/// Reads a `T` from user memory onto the heap (wire structs of kilobytes
/// are too big for the kernel stack).
fn read_boxed<T: FromBytes>(user: UserSlice) -> Result<KBox<T>> {
    let mut value = KBox::<T>::new_uninit(GFP_KERNEL)?;
    // SAFETY: the box holds size_of::<T>() bytes; viewing them as
    // uninitialised bytes is always valid.
    let bytes = unsafe {
        core::slice::from_raw_parts_mut(value.as_mut_ptr().cast::<core::mem::MaybeUninit<u8>>(), size_of::<T>())
    };
    user.reader().read_raw(bytes)?;
    // SAFETY: `read_raw` initialised every byte (it fails otherwise), and
    // any bytes are a `T` (`FromBytes`).
    Ok(unsafe { value.assume_init() })
}

struct Osprey {
    // Dropped in this order: no new opens, then no running probe, then the rings.
    _device: Pin<KBox<Device>>,
    _probes: Probes,
}

impl kernel::Module for Osprey {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let pages = module_parameters::ring_pages.value();
        if !pages.is_power_of_two() || !(abi::MIN_RING_PAGES..=65536).contains(&pages) {
            pr_err!("ring_pages={} must be a power of two from {} to 65536\n", pages, abi::MIN_RING_PAGES);
            return Err(EINVAL);
        }
        let nr_rings = kernel::cpu::nr_cpu_ids();
        let ring_bytes = u64::from(pages) * PAGE_SIZE as u64 * u64::from(nr_rings);
        if ring_bytes > abi::MAX_RING_BYTES {
            pr_err!(
                "ring_pages={} on {} CPUs is {} MiB of rings, over the {} MiB limit\n",
                pages,
                nr_rings,
                ring_bytes >> 20,
                abi::MAX_RING_BYTES >> 20
            );
            return Err(EINVAL);
        }
        let floor = module_parameters::probe_floor.value();
        let hooked = module_parameters::per_syscall_hooks.value() && !floor;
        let shared = Arc::new(Shared::new(nr_rings, pages, floor, hooked)?, GFP_KERNEL)?;
        let probes = Probes::register(shared.clone())?;
        // Nothing hooked until a consumer says what it wants.
        shared.set_interest(&Interest::default());
        let device = KBox::pin_init(
            try_pin_init!(Device {
                shared: shared.clone(),
                misc <- MiscDeviceRegistration::register(MiscDeviceOptions { name: c_str!("osprey") }),
            }),
            GFP_KERNEL,
        )?;
        pr_info!(
            "abi {}, {} rings of {} KiB{}\n",
            abi::ABI_VERSION,
            nr_rings,
            pages as usize * PAGE_SIZE / 1024,
            if floor {
                ", probe_floor"
            } else if hooked {
                ", per-syscall hooks"
            } else {
                ""
            }
        );
        Ok(Self { _device: device, _probes: probes })
    }
}
