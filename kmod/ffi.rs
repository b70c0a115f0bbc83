// SPDX-License-Identifier: GPL-2.0

//! The C helpers in `helpers.c` and `hooks.c` (what is a macro or an inline
//! function in C), and the kernel's exports that the generated bindings lack.

use core::ffi::c_void;

use kernel::{
    bindings,
    ffi::{c_char, c_int, c_long, c_ulong},
};

extern "C" {
    pub(crate) fn osprey_preempt_disable_cpu() -> u32;
    pub(crate) fn osprey_preempt_enable();
    pub(crate) fn osprey_alloc_percpu_u64s(count: usize) -> *mut u64;
    pub(crate) fn osprey_per_cpu_u64s(ptr: *mut u64, cpu: u32) -> *const u64;
    pub(crate) fn osprey_strncpy_from_user_nofault(
        dst: *mut c_char,
        src: *const c_char,
        count: c_long,
    ) -> c_long;
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
    pub(crate) fn osprey_hooks_watch(
        hooks: *mut c_void,
        sys_enter: *mut c_void,
        sys_exit: *mut c_void,
    );
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
    pub(crate) fn osprey_exec_args(buf: *mut c_char, len: c_int, truncated: *mut c_int) -> c_long;
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
    pub(crate) fn remap_vmalloc_range(vma: *mut c_void, addr: *mut c_void, pgoff: c_ulong)
        -> c_int;
}
