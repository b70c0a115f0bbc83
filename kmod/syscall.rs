// SPDX-License-Identifier: GPL-2.0

//! A syscall as its registers hold it: its number, its table and its
//! arguments.

use kernel::{bindings, task::CurrentTask};

use crate::abi::{
    SyscallTable, MAX_SYSCALLS, PROBE_ENTER, PROBE_EXIT_FAILED, PROBE_EXIT_SUCCEEDED,
};
use crate::capture::copy_user;
use crate::syscalls;

/// The number of the syscall in `regs` as the kernel dispatches it (its low
/// 32 bits): x86-64's below `MAX_SYSCALLS`, or another table's.
pub(crate) fn syscall_number(regs: &bindings::pt_regs) -> u32 {
    regs.orig_ax as u32
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
    pub(crate) fn of(task: &CurrentTask, raw: u32) -> Self {
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
    pub(crate) const fn bits(self, flags: u8) -> u8 {
        const { assert!((PROBE_ENTER | PROBE_EXIT_SUCCEEDED | PROBE_EXIT_FAILED) < 1 << 3) };
        match self {
            Self::X86_64 | Self::X32 => flags,
            Self::I386 => flags << 3,
        }
    }

    /// The x86-64 number of the syscall in `regs` (`raw` is its number,
    /// `regs.orig_ax`); `None` for one with no twin.
    #[inline(always)]
    pub(crate) fn x86_64_nr(self, regs: &bindings::pt_regs, raw: u32) -> Option<u32> {
        match self {
            Self::X86_64 => Some(raw),
            Self::I386 if raw as usize == syscalls::IA32_SOCKETCALL => {
                Some(syscalls::socketcall(regs.bx as u32)?.0)
            }
            Self::I386 if raw as usize == syscalls::IA32_IPC => syscalls::ipc(regs.bx as u32),
            Self::I386 => syscalls::ia32_to_x86_64(raw as usize),
            Self::X32 => syscalls::x32_to_x86_64(raw),
        }
    }

    /// The syscall's arguments, in order.
    #[inline(always)]
    pub(crate) fn args(self, regs: &bindings::pt_regs) -> [u64; 6] {
        match self {
            Self::X86_64 | Self::X32 => {
                [regs.di, regs.si, regs.dx, regs.r10, regs.r8, regs.r9].map(|r| r as u64)
            }
            Self::I386 => ia32_args(regs),
        }
    }

    /// The size of a pointer in the task's memory (argv arrays).
    pub(crate) fn pointer_size(self) -> u64 {
        match self {
            Self::X86_64 => 8,
            Self::I386 | Self::X32 => 4,
        }
    }
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
pub(crate) fn ia32_args(regs: &bindings::pt_regs) -> [u64; 6] {
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
