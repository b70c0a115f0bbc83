// SPDX-License-Identifier: GPL-2.0

//! Per-syscall hooks: the handler that `hooks.c` calls on the entry point
//! of a hooked syscall, and the per-task switch of the syscall tracepoints.

use core::ffi::c_void;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use kernel::{
    bindings,
    error::to_result,
    ffi::{c_char, c_int, c_ulong},
    prelude::*,
    task::CurrentTask,
};

use crate::abi::{self, Interest, SyscallTable, MAX_SYSCALLS};
use crate::ffi;
use crate::interest::InterestMap;
use crate::syscall::syscall_number;
use crate::syscalls;
use crate::Shared;

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
    shared.on_syscall(
        *shared.counters,
        regs,
        InterestMap::column(raw as usize),
        false,
        0,
    );
}

/// A hooked syscall entered while the hooks stop (their functions are
/// unhooked last): the tracepoints carry every task from now on, this one
/// too. Its entry reached `sys_enter` only if its switch was already on.
#[cold]
fn hooked_syscall_entered_while_stopping(
    shared: &Shared,
    task: &CurrentTask,
    regs: &bindings::pt_regs,
    raw: u32,
) {
    // SAFETY: `current`, inside its syscall, is alive.
    let work = unsafe { syscall_work(task.as_ptr()) };
    if work.fetch_or(TRACEPOINT_WORK, Ordering::SeqCst) & TRACEPOINT_WORK == 0 {
        shared.on_syscall(
            *shared.counters,
            regs,
            InterestMap::column(raw as usize),
            false,
            0,
        );
    }
}

/// The switch of a task's syscall tracepoints in its syscall work flags
/// (`SYSCALL_WORK_SYSCALL_TRACEPOINT`).
pub(crate) const TRACEPOINT_WORK: usize =
    1 << bindings::syscall_work_bit_SYSCALL_WORK_BIT_SYSCALL_TRACEPOINT;

/// `task`'s syscall work flags (`set/clear_task_syscall_work`): tested and
/// changed in place, without a call, on every hooked syscall.
///
/// # Safety
///
/// `task` is alive while the result is used.
pub(crate) unsafe fn syscall_work<'a>(task: *mut bindings::task_struct) -> &'a AtomicUsize {
    // SAFETY: a word of a live task's `thread_info` (the caller's contract).
    unsafe { thread_word(&raw mut (*task).thread_info.syscall_work) }
}

/// A flags word of a task's `thread_info`, which the kernel changes only
/// with atomic bit operations: read and changed here the same way, with
/// `core` atomics (see the crate's doc).
///
/// # Safety
///
/// `word` is in the `thread_info` of a task alive while the result is used.
pub(crate) unsafe fn thread_word<'a>(word: *mut c_ulong) -> &'a AtomicUsize {
    const { assert!(size_of::<c_ulong>() == size_of::<usize>()) };
    // SAFETY: an aligned `unsigned long` (the caller's contract), accessed
    // only atomically.
    unsafe { AtomicUsize::from_ptr(word.cast()) }
}

/// Per-syscall hooks (`hooks.c` explains the mechanism): an ftrace_ops on
/// the entry points of the syscalls of interest.
pub(crate) struct SyscallHooks(*mut c_void);

impl SyscallHooks {
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: allocates; `hooked_syscall_entered` has the handler's prototype.
        let raw = unsafe { ffi::osprey_hooks_new(hooked_syscall_entered) };
        if raw.is_null() {
            return Err(ENOMEM);
        }
        Ok(Self(raw))
    }

    #[inline(always)]
    pub(crate) fn active(&self, order: Ordering) -> bool {
        // SAFETY: `self.0` is live until drop and starts with the C side's
        // `bool active` (asserted there), which it stores with WRITE_ONCE
        // followed by a full barrier: a byte-sized atomic load reads it as
        // READ_ONCE does.
        unsafe { AtomicBool::from_ptr(self.0.cast()) }.load(order)
    }

    /// Watches the syscall tracepoints for other users (see `hooks.c`).
    pub(crate) fn watch(
        &self,
        sys_enter: *mut bindings::tracepoint,
        sys_exit: *mut bindings::tracepoint,
    ) {
        // SAFETY: `self.0` is live; the tracepoints are static kernel objects.
        unsafe { ffi::osprey_hooks_watch(self.0, sys_enter.cast(), sys_exit.cast()) };
    }

    /// Unhooks everything; the tracepoints carry every syscall until the
    /// next `hook`.
    pub(crate) fn unhook(&self) {
        // SAFETY: `self.0` is live until drop.
        unsafe { ffi::osprey_hooks_unhook(self.0) };
    }

    /// Stops watching for other tracers and unhooks everything; the
    /// tracepoints carry every syscall from now on.
    pub(crate) fn stop(&self) {
        // SAFETY: `self.0` is live until drop.
        unsafe { ffi::osprey_hooks_stop(self.0) };
    }

    /// Hooks the entry point of every syscall `interest` wants, in either
    /// direction, instead of what was hooked: the x86-64 function, and where
    /// the kernel has them the functions of its i386 twins (socketcall's or
    /// ipc's for the calls they make) and of x32's own call of that name
    /// (x32's other calls, and an i386 twin without arguments, enter by the
    /// x86-64 function). Numbers without an entry function (nothing can
    /// call them) are left out.
    pub(crate) fn hook(&self, interest: &Interest, shared: &Shared) -> Result {
        let wanted = |nr: u32| {
            Interest::wants(&interest.enter, nr as usize)
                || Interest::wants(&interest.exit, nr as usize)
        };
        let x64 = (0..MAX_SYSCALLS as u32)
            .filter(|nr| wanted(*nr))
            .filter_map(syscalls::entry);
        // x32's calls of their own enter by `__x64_` functions too.
        let x32 = syscalls::x32_entries()
            .filter(|(nr, _)| wanted(*nr))
            .map(|(_, entry)| entry);
        #[cfg(not(CONFIG_X86_X32_ABI))]
        let x32 = x32.filter(|_| false);
        let x64 = Iterator::chain(x64, x32).map(|entry| (&b"__x64_"[..], entry));
        let multiplexers = [
            syscalls::socketcalls()
                .any(wanted)
                .then_some(syscalls::IA32_SOCKETCALL_ENTRY),
            syscalls::ipcs()
                .any(wanted)
                .then_some(syscalls::IA32_IPC_ENTRY),
        ];
        let ia32 = syscalls::ia32_entries()
            .filter(|(_, nr, _)| wanted(*nr))
            .map(|(_, _, entry)| entry);
        let ia32 = Iterator::chain(ia32, multiplexers.into_iter().flatten())
            .map(|entry| (&b"__ia32_"[..], entry));
        #[cfg(not(CONFIG_IA32_EMULATION))]
        let ia32 = ia32.filter(|_| false);
        let mut names = SymbolNames::new(Iterator::chain(x64, ia32))?;
        let data = core::ptr::from_ref(shared).cast_mut().cast::<c_void>();
        // SAFETY: `names` holds its length of NUL-terminated names that
        // outlive the call; `data` is the `Shared` that owns these hooks.
        to_result(unsafe { ffi::osprey_hooks_set(self.0, names.pointers(), names.len(), data) })
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
        Ok(Self {
            _text: text,
            pointers,
        })
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
        unsafe { ffi::osprey_hooks_free(self.0) };
    }
}
