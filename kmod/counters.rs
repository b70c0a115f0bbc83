// SPDX-License-Identifier: GPL-2.0

//! Per-CPU event counters: delivered, filtered and dropped, per syscall.

use kernel::{bindings, prelude::*};

use crate::abi::{RingStats, SyscallOutcome, MAX_SYSCALLS};
use crate::ffi;

/// Counter columns: one per syscall number, then one for events that are not
/// syscalls (process exit) or have a number beyond the table.
pub(crate) const COLUMNS: usize = MAX_SYSCALLS + 1;
pub(crate) const UNNUMBERED: usize = MAX_SYSCALLS;
/// Rows of `COLUMNS` counters, one per `SyscallOutcome`, then the count of
/// records with a truncated buffer.
pub(crate) const TRUNCATED: usize = 3 * COLUMNS;
const COUNTERS: usize = TRUNCATED + 1;

/// A counter column, below `COLUMNS` by construction.
#[derive(Clone, Copy)]
pub(crate) struct Column(pub(crate) usize);

impl Column {
    pub(crate) const UNNUMBERED: Self = Self(UNNUMBERED);

    /// Syscall `nr`'s column; numbers beyond the table share the last.
    #[inline(always)]
    pub(crate) fn of(nr: u32) -> Self {
        Self((nr as usize).min(UNNUMBERED))
    }
}

/// Every event counter, in per-CPU memory: counting is one unlocked
/// increment of this CPU's copy, as cheap as a counter can be, so that the
/// probes may count every event they see, filtered ones included. Totals are
/// sums, computed when asked (`seen` is delivered + filtered + dropped).
pub(crate) struct PerCpuCounters(Counters);

/// Where the counters are: a per-CPU address, dereferenced only
/// `%gs`-relative or through `osprey_per_cpu_u64s`. A copy is the
/// tracepoint probes' data (`Probes::add`), so that counting an event needs
/// no load; it is valid while the `PerCpuCounters` it is of lives.
#[derive(Clone, Copy)]
pub(crate) struct Counters {
    pub(crate) base: *mut u64,
}

impl Counters {
    /// Adds one to this CPU's counter `index`.
    ///
    /// # Safety
    ///
    /// `index < COUNTERS`.
    #[inline(always)]
    pub(crate) unsafe fn bump(self, index: usize) {
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
    pub(crate) unsafe fn count_filtered(self, column: usize) {
        debug_assert!(column < COLUMNS);
        // SAFETY: as in `count`.
        unsafe {
            Self::increment::<{ SyscallOutcome::Filtered as usize * COLUMNS * 8 }>(
                self.base, column,
            )
        };
    }

    /// `count` for a column known to be in range.
    #[inline(always)]
    pub(crate) fn count_in(self, outcome: SyscallOutcome, column: Column) {
        // SAFETY: a `Column` is below COLUMNS.
        unsafe { self.count(outcome, column.0) };
    }

    /// `count_filtered` for a column known to be in range.
    #[inline(always)]
    pub(crate) fn count_filtered_in(self, column: Column) {
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
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: plain allocation; the result is checked for NULL.
        let ptr = unsafe { ffi::osprey_alloc_percpu_u64s(COUNTERS) };
        if ptr.is_null() {
            return Err(ENOMEM);
        }
        Ok(Self(Counters { base: ptr }))
    }

    /// CPU `cpu`'s copy, looked up once for all its counters; `None` for a
    /// CPU that cannot exist.
    pub(crate) fn of_cpu(&self, cpu: usize) -> Option<CpuCounters<'_>> {
        // SAFETY: the live allocation; the helper checks `cpu`.
        let base = unsafe { ffi::osprey_per_cpu_u64s(self.base, cpu as u32) };
        (!base.is_null()).then_some(CpuCounters {
            base,
            _counters: core::marker::PhantomData,
        })
    }

    pub(crate) fn cpu_stats(&self, cpu: usize) -> RingStats {
        let Some(counters) = self.of_cpu(cpu) else {
            return RingStats::default();
        };
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
pub(crate) struct CpuCounters<'a> {
    base: *const u64,
    _counters: core::marker::PhantomData<&'a PerCpuCounters>,
}

impl CpuCounters<'_> {
    /// Counter `index` (an aligned 8-byte load does not tear on x86-64).
    pub(crate) fn get(&self, index: usize) -> u64 {
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
        unsafe { bindings::free_percpu(self.base.cast()) };
    }
}
