// SPDX-License-Identifier: GPL-2.0

//! The tracepoint probes and their registration.

use core::ffi::c_void;
use core::sync::atomic::{AtomicPtr, Ordering};

use kernel::{bindings, c_str, error::to_result, ffi::c_long, prelude::*, sync::Arc, task::Task};

use crate::counters::Counters;
use crate::ffi;
use crate::hooks::{syscall_work, TRACEPOINT_WORK};
use crate::interest::InterestMap;
use crate::Shared;

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
    let counters = Counters {
        base: counters.cast(),
    };
    // SAFETY: the tracepoint passes the syscall's user registers.
    shared.on_syscall(
        counters,
        unsafe { &*regs },
        InterestMap::column(nr as usize),
        false,
        0,
    );
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
    let counters = Counters {
        base: counters.cast(),
    };
    // SAFETY: as in `probe_sys_enter`.
    let regs = unsafe { &*regs };
    shared.on_syscall(
        counters,
        regs,
        InterestMap::column(regs.orig_ax),
        true,
        ret as i64,
    );
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
pub(crate) struct Probes {
    registered: KVec<(*mut bindings::tracepoint, *mut c_void)>,
    shared: Arc<Shared>,
}

/// The `Shared` that the registered probes serve: set before the first is
/// registered, cleared after the last is unregistered and waited for. A
/// `core` atomic: every probe loads it (see the crate's doc).
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
    pub(crate) fn register(shared: Arc<Shared>) -> Result<Self> {
        PROBED.store(Arc::as_ptr(&shared).cast_mut(), Ordering::Release);
        let mut probes = Self {
            registered: KVec::new(),
            shared,
        };
        let shared = probes.shared.clone();
        let (enter, exit) = match shared.hooks {
            Some(_) => (
                probe_sys_enter::<true> as *mut c_void,
                probe_sys_exit::<true> as *mut c_void,
            ),
            None => (
                probe_sys_enter::<false> as *mut c_void,
                probe_sys_exit::<false> as *mut c_void,
            ),
        };
        let sys_enter = probes.add(c_str!("sys_enter"), enter)?;
        let sys_exit = probes.add(c_str!("sys_exit"), exit)?;
        probes.add(
            c_str!("sched_process_exit"),
            probe_process_exit as *mut c_void,
        )?;
        if let Some(hooks) = &shared.hooks {
            probes.add(
                c_str!("sched_process_fork"),
                probe_process_fork as *mut c_void,
            )?;
            hooks.watch(sys_enter, sys_exit);
        }
        Ok(probes)
    }

    /// What every probe is registered with.
    fn data(&self) -> *mut c_void {
        self.shared.counters.base.cast()
    }

    fn add(&mut self, name: &'static CStr, func: *mut c_void) -> Result<*mut bindings::tracepoint> {
        let mut lookup = Lookup {
            name,
            found: core::ptr::null_mut(),
        };
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
        unsafe { ffi::osprey_tracepoint_sync() };
        PROBED.store(core::ptr::null_mut(), Ordering::Relaxed);
    }
}
