// SPDX-License-Identifier: GPL-2.0

//! What the consumer asked for, as the probes test it without a lock: the
//! interest map, the container filter and the open filter. The probes and
//! the record path read all of them: `core` atomics (see the crate's doc).

use core::sync::atomic::{AtomicPtr, AtomicU32, AtomicU64, AtomicU8, Ordering};

use kernel::{bindings, prelude::*, sync::rcu};

use crate::abi::{
    self, Interest, OpenFilter, SyscallTable, INTEREST_WORDS, MAX_SYSCALLS, PROBE_ENTER,
    PROBE_EXIT_FAILED, PROBE_EXIT_SUCCEEDED,
};
use crate::counters::UNNUMBERED;
use crate::syscalls;

/// A syscall bitmap, with a last word that stays zero: the `UNNUMBERED`
/// column falls in it, so a test needs no bounds check.
pub(crate) struct InterestBits([AtomicU64; INTEREST_WORDS + 1]);

impl Default for InterestBits {
    fn default() -> Self {
        Self([const { AtomicU64::new(0) }; INTEREST_WORDS + 1])
    }
}

impl InterestBits {
    pub(crate) fn set(&self, words: &[u64; INTEREST_WORDS]) {
        for (bits, word) in self.0.iter().zip(words) {
            bits.store(*word, Ordering::Relaxed);
        }
    }

    #[inline(always)]
    pub(crate) fn has(&self, column: usize) -> bool {
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
pub(crate) struct InterestMap([AtomicU8; MAP_COLUMNS]);

const MAP_COLUMNS: usize = 1 << 16;

/// The one interest map: a static, so that the probes address it without a
/// pointer (and its 64 KiB need no allocation).
pub(crate) static INTEREST: InterestMap = InterestMap::new();

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
    pub(crate) const fn column(nr: usize) -> usize {
        nr as u16 as usize
    }

    pub(crate) fn set(&self, interest: &Interest) {
        let flags_of = |nr: u32| interest.probe_flags(nr as usize);
        let socketcall = syscalls::socketcalls()
            .map(flags_of)
            .fold(0, |all, flags| all | flags);
        let ipc = syscalls::ipcs()
            .map(flags_of)
            .fold(0, |all, flags| all | flags);
        for (column, byte) in self.0[..MAX_SYSCALLS].iter().enumerate() {
            let ia32 = match column {
                syscalls::IA32_SOCKETCALL => socketcall,
                syscalls::IA32_IPC => ipc,
                _ => syscalls::ia32_to_x86_64(column).map_or(0, flags_of),
            };
            byte.store(
                SyscallTable::X86_64.bits(interest.probe_flags(column))
                    | SyscallTable::I386.bits(ia32),
                Ordering::Relaxed,
            );
        }
    }

    /// Whether the event is wanted in either reading of its number: the
    /// probes' test.
    #[inline(always)]
    pub(crate) fn wants(&self, column: usize, exit: bool, ret: i64) -> bool {
        self.wants_as(column, exit, ret, |flags| {
            SyscallTable::X86_64.bits(flags) | SyscallTable::I386.bits(flags)
        })
    }

    /// Whether the event is wanted, read with `table`'s number.
    #[inline(always)]
    pub(crate) fn wants_in(
        &self,
        table: SyscallTable,
        column: usize,
        exit: bool,
        ret: i64,
    ) -> bool {
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
            && self.byte(column)
                & bits(if ret < 0 {
                    PROBE_EXIT_FAILED
                } else {
                    PROBE_EXIT_SUCCEEDED
                })
                != 0
    }

    /// Whether some exit of the syscall is wanted, whatever it returns.
    pub(crate) fn wants_some_exit(&self, table: SyscallTable, column: usize) -> bool {
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

/// The consumer's open filter (`IOCTL_SET_OPEN_FILTER`), read without a
/// lock by the exit probes and by the hooks' handler on close's entry, each
/// inside an RCU read-side section (`get` takes its guard): a replaced
/// filter is freed only after a grace period, which waits for every such
/// section that may still hold it, from either kind of caller.
pub(crate) struct OpenFilterSlot(AtomicPtr<OpenFilter>);

impl OpenFilterSlot {
    pub(crate) const fn new() -> Self {
        Self(AtomicPtr::new(core::ptr::null_mut()))
    }

    /// The filter, if any, for as long as `_rcu` is held.
    #[inline(always)]
    pub(crate) fn get<'a>(&'a self, _rcu: &'a rcu::Guard) -> Option<&'a OpenFilter> {
        // SAFETY: a non-null pointer is a live `KBox`: `replace` unpublishes
        // a filter and frees it only after `synchronize_rcu`, which returns
        // once every read-side section begun before it (the caller's, which
        // `_rcu` proves and outlives the result) has ended.
        unsafe { self.0.load(Ordering::Acquire).as_ref() }
    }

    /// Installs `filter` (`None`: deliver every open). Sleeps.
    pub(crate) fn replace(&self, filter: Option<KBox<OpenFilter>>) {
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
pub(crate) struct HostCgroups {
    ids: KVec<AtomicU64>,
    len: AtomicU32,
}

impl HostCgroups {
    pub(crate) fn new() -> Result<Self> {
        let mut ids = KVec::with_capacity(abi::HOST_CGROUPS, GFP_KERNEL)?;
        for _ in 0..abi::HOST_CGROUPS {
            ids.push(AtomicU64::new(0), GFP_KERNEL)?;
        }
        Ok(Self {
            ids,
            len: AtomicU32::new(0),
        })
    }

    pub(crate) fn set(&self, hosts: &[u64]) {
        self.len.store(0, Ordering::Relaxed);
        for (slot, id) in self.ids.iter().zip(hosts) {
            slot.store(*id, Ordering::Relaxed);
        }
        self.len
            .store(hosts.len().min(self.ids.len()) as u32, Ordering::Release);
    }

    pub(crate) fn contains(&self, id: u64) -> bool {
        let len = self.len.load(Ordering::Acquire) as usize;
        abi::sorted_contains(
            len,
            |i| self.ids.get(i).map_or(0, |a| a.load(Ordering::Relaxed)),
            id,
        )
    }
}
