//! System calls by number: x86-64's names and entry functions, and the
//! i386 syscalls (`int $0x80`, 32-bit processes) that are x86-64 ones.
//! Written by `scripts/gen-syscalls.py` from the kernel's `syscall_64.tbl`
//! and `syscall_32.tbl`; change the script, not this file.

/// Name of syscall `nr`, if it has one.
pub fn name(nr: u32) -> Option<&'static str> {
    NAMES.get(nr as usize).copied().flatten()
}

/// Number of the syscall called `name`.
pub fn number(name: &str) -> Option<u32> {
    NAMES.iter().position(|n| *n == Some(name)).map(|nr| nr as u32)
}

/// Every named syscall as (number, name).
pub fn all() -> impl Iterator<Item = (u32, &'static str)> {
    NAMES.iter().enumerate().filter_map(|(nr, n)| n.map(|n| (nr as u32, n)))
}

/// The kernel function syscall `nr` enters by (`sys_newstat` for `stat`):
/// its per-syscall hook is on `__x64_` and this.
pub fn entry(nr: u32) -> Option<&'static str> {
    ENTRIES.get(nr as usize).copied().flatten()
}

/// The x86-64 syscall that i386 syscall `nr` is, if any: the same entry
/// function, or the same call with arguments `ia32_args` puts in order.
pub const fn ia32_to_x86_64(nr: usize) -> Option<u32> {
    if nr >= crate::MAX_SYSCALLS || IA32[nr] == NO_TWIN {
        return None;
    }
    Some(IA32[nr] as u32)
}

/// i386's syscalls that are x86-64 ones and enter by a function of their
/// own, as (i386 number, x86-64 number, entry function: its hook is on
/// `__ia32_` and this). The others, those without arguments, enter by
/// their twin's function under another name (`__ia32_sys_getppid` is
/// `__x64_sys_getppid`).
pub fn ia32_entries() -> impl Iterator<Item = (u32, u32, &'static str)> {
    IA32_ENTRIES.iter().filter_map(|&(nr, entry)| Some((nr as u32, ia32_to_x86_64(nr as usize)?, entry)))
}

/// i386's socketcall: one syscall for the socket calls, the call's number
/// in its first argument and the call's arguments in user memory at its
/// second, 4 bytes each. It has no twin; each call is an x86-64 syscall.
pub const IA32_SOCKETCALL: usize = 102;

/// socketcall's entry function (`__ia32_` and this).
pub const IA32_SOCKETCALL_ENTRY: &str = "compat_sys_socketcall";

/// The x86-64 syscall that socketcall's `call` is, and how many arguments
/// it takes.
pub const fn socketcall(call: u32) -> Option<(u32, usize)> {
    if call == 0 || call as usize >= SOCKETCALLS.len() {
        return None;
    }
    let (nr, args) = SOCKETCALLS[call as usize];
    Some((nr as u32, args as usize))
}

/// The x86-64 syscalls that socketcall's calls are.
pub fn socketcalls() -> impl Iterator<Item = u32> {
    (1..SOCKETCALLS.len() as u32).filter_map(|call| Some(socketcall(call)?.0))
}

/// x32 (32-bit pointers, x86-64's registers): its syscalls are numbered
/// with this bit set.
pub const X32_SYSCALL_BIT: u32 = 0x4000_0000;

/// The x86-64 syscall that x32 syscall `nr` (`X32_SYSCALL_BIT` set) is:
/// the same number for the rows the two share, the one of the same name
/// for x32's own (512 on: `execve` 520 is execve).
pub const fn x32_to_x86_64(nr: u32) -> Option<u32> {
    let nr = (nr ^ X32_SYSCALL_BIT) as usize;
    if nr >= X32.len() || X32[nr] == NO_TWIN {
        return None;
    }
    Some(X32[nr] as u32)
}

/// x32's syscalls that enter by a function of their own, as (x86-64
/// number, entry function: its hook is on `__x64_` and this); the
/// others enter by the x86-64 syscall's.
pub fn x32_entries() -> impl Iterator<Item = (u32, &'static str)> {
    X32_ENTRIES.iter().map(|&(nr, entry)| (nr as u32, entry))
}

const NO_TWIN: u16 = u16::MAX;

/// By socketcall number (none is 0): the x86-64 number and the argument count.
const SOCKETCALLS: [(u16, u8); 21] = [
    (0, 0),
    (41, 3),
    (49, 3),
    (42, 3),
    (50, 2),
    (43, 3),
    (51, 3),
    (52, 3),
    (53, 4),
    (44, 4),
    (45, 4),
    (44, 6),
    (45, 6),
    (48, 2),
    (54, 5),
    (55, 5),
    (46, 3),
    (47, 3),
    (288, 4),
    (299, 5),
    (307, 4),
];

const NAMES: [Option<&str>; crate::MAX_SYSCALLS] = {
    let mut t = [None; crate::MAX_SYSCALLS];
    t[0] = Some("read");
    t[1] = Some("write");
    t[2] = Some("open");
    t[3] = Some("close");
    t[4] = Some("stat");
    t[5] = Some("fstat");
    t[6] = Some("lstat");
    t[7] = Some("poll");
    t[8] = Some("lseek");
    t[9] = Some("mmap");
    t[10] = Some("mprotect");
    t[11] = Some("munmap");
    t[12] = Some("brk");
    t[13] = Some("rt_sigaction");
    t[14] = Some("rt_sigprocmask");
    t[15] = Some("rt_sigreturn");
    t[16] = Some("ioctl");
    t[17] = Some("pread64");
    t[18] = Some("pwrite64");
    t[19] = Some("readv");
    t[20] = Some("writev");
    t[21] = Some("access");
    t[22] = Some("pipe");
    t[23] = Some("select");
    t[24] = Some("sched_yield");
    t[25] = Some("mremap");
    t[26] = Some("msync");
    t[27] = Some("mincore");
    t[28] = Some("madvise");
    t[29] = Some("shmget");
    t[30] = Some("shmat");
    t[31] = Some("shmctl");
    t[32] = Some("dup");
    t[33] = Some("dup2");
    t[34] = Some("pause");
    t[35] = Some("nanosleep");
    t[36] = Some("getitimer");
    t[37] = Some("alarm");
    t[38] = Some("setitimer");
    t[39] = Some("getpid");
    t[40] = Some("sendfile");
    t[41] = Some("socket");
    t[42] = Some("connect");
    t[43] = Some("accept");
    t[44] = Some("sendto");
    t[45] = Some("recvfrom");
    t[46] = Some("sendmsg");
    t[47] = Some("recvmsg");
    t[48] = Some("shutdown");
    t[49] = Some("bind");
    t[50] = Some("listen");
    t[51] = Some("getsockname");
    t[52] = Some("getpeername");
    t[53] = Some("socketpair");
    t[54] = Some("setsockopt");
    t[55] = Some("getsockopt");
    t[56] = Some("clone");
    t[57] = Some("fork");
    t[58] = Some("vfork");
    t[59] = Some("execve");
    t[60] = Some("exit");
    t[61] = Some("wait4");
    t[62] = Some("kill");
    t[63] = Some("uname");
    t[64] = Some("semget");
    t[65] = Some("semop");
    t[66] = Some("semctl");
    t[67] = Some("shmdt");
    t[68] = Some("msgget");
    t[69] = Some("msgsnd");
    t[70] = Some("msgrcv");
    t[71] = Some("msgctl");
    t[72] = Some("fcntl");
    t[73] = Some("flock");
    t[74] = Some("fsync");
    t[75] = Some("fdatasync");
    t[76] = Some("truncate");
    t[77] = Some("ftruncate");
    t[78] = Some("getdents");
    t[79] = Some("getcwd");
    t[80] = Some("chdir");
    t[81] = Some("fchdir");
    t[82] = Some("rename");
    t[83] = Some("mkdir");
    t[84] = Some("rmdir");
    t[85] = Some("creat");
    t[86] = Some("link");
    t[87] = Some("unlink");
    t[88] = Some("symlink");
    t[89] = Some("readlink");
    t[90] = Some("chmod");
    t[91] = Some("fchmod");
    t[92] = Some("chown");
    t[93] = Some("fchown");
    t[94] = Some("lchown");
    t[95] = Some("umask");
    t[96] = Some("gettimeofday");
    t[97] = Some("getrlimit");
    t[98] = Some("getrusage");
    t[99] = Some("sysinfo");
    t[100] = Some("times");
    t[101] = Some("ptrace");
    t[102] = Some("getuid");
    t[103] = Some("syslog");
    t[104] = Some("getgid");
    t[105] = Some("setuid");
    t[106] = Some("setgid");
    t[107] = Some("geteuid");
    t[108] = Some("getegid");
    t[109] = Some("setpgid");
    t[110] = Some("getppid");
    t[111] = Some("getpgrp");
    t[112] = Some("setsid");
    t[113] = Some("setreuid");
    t[114] = Some("setregid");
    t[115] = Some("getgroups");
    t[116] = Some("setgroups");
    t[117] = Some("setresuid");
    t[118] = Some("getresuid");
    t[119] = Some("setresgid");
    t[120] = Some("getresgid");
    t[121] = Some("getpgid");
    t[122] = Some("setfsuid");
    t[123] = Some("setfsgid");
    t[124] = Some("getsid");
    t[125] = Some("capget");
    t[126] = Some("capset");
    t[127] = Some("rt_sigpending");
    t[128] = Some("rt_sigtimedwait");
    t[129] = Some("rt_sigqueueinfo");
    t[130] = Some("rt_sigsuspend");
    t[131] = Some("sigaltstack");
    t[132] = Some("utime");
    t[133] = Some("mknod");
    t[134] = Some("uselib");
    t[135] = Some("personality");
    t[136] = Some("ustat");
    t[137] = Some("statfs");
    t[138] = Some("fstatfs");
    t[139] = Some("sysfs");
    t[140] = Some("getpriority");
    t[141] = Some("setpriority");
    t[142] = Some("sched_setparam");
    t[143] = Some("sched_getparam");
    t[144] = Some("sched_setscheduler");
    t[145] = Some("sched_getscheduler");
    t[146] = Some("sched_get_priority_max");
    t[147] = Some("sched_get_priority_min");
    t[148] = Some("sched_rr_get_interval");
    t[149] = Some("mlock");
    t[150] = Some("munlock");
    t[151] = Some("mlockall");
    t[152] = Some("munlockall");
    t[153] = Some("vhangup");
    t[154] = Some("modify_ldt");
    t[155] = Some("pivot_root");
    t[156] = Some("_sysctl");
    t[157] = Some("prctl");
    t[158] = Some("arch_prctl");
    t[159] = Some("adjtimex");
    t[160] = Some("setrlimit");
    t[161] = Some("chroot");
    t[162] = Some("sync");
    t[163] = Some("acct");
    t[164] = Some("settimeofday");
    t[165] = Some("mount");
    t[166] = Some("umount2");
    t[167] = Some("swapon");
    t[168] = Some("swapoff");
    t[169] = Some("reboot");
    t[170] = Some("sethostname");
    t[171] = Some("setdomainname");
    t[172] = Some("iopl");
    t[173] = Some("ioperm");
    t[174] = Some("create_module");
    t[175] = Some("init_module");
    t[176] = Some("delete_module");
    t[177] = Some("get_kernel_syms");
    t[178] = Some("query_module");
    t[179] = Some("quotactl");
    t[180] = Some("nfsservctl");
    t[181] = Some("getpmsg");
    t[182] = Some("putpmsg");
    t[183] = Some("afs_syscall");
    t[184] = Some("tuxcall");
    t[185] = Some("security");
    t[186] = Some("gettid");
    t[187] = Some("readahead");
    t[188] = Some("setxattr");
    t[189] = Some("lsetxattr");
    t[190] = Some("fsetxattr");
    t[191] = Some("getxattr");
    t[192] = Some("lgetxattr");
    t[193] = Some("fgetxattr");
    t[194] = Some("listxattr");
    t[195] = Some("llistxattr");
    t[196] = Some("flistxattr");
    t[197] = Some("removexattr");
    t[198] = Some("lremovexattr");
    t[199] = Some("fremovexattr");
    t[200] = Some("tkill");
    t[201] = Some("time");
    t[202] = Some("futex");
    t[203] = Some("sched_setaffinity");
    t[204] = Some("sched_getaffinity");
    t[205] = Some("set_thread_area");
    t[206] = Some("io_setup");
    t[207] = Some("io_destroy");
    t[208] = Some("io_getevents");
    t[209] = Some("io_submit");
    t[210] = Some("io_cancel");
    t[211] = Some("get_thread_area");
    t[212] = Some("lookup_dcookie");
    t[213] = Some("epoll_create");
    t[214] = Some("epoll_ctl_old");
    t[215] = Some("epoll_wait_old");
    t[216] = Some("remap_file_pages");
    t[217] = Some("getdents64");
    t[218] = Some("set_tid_address");
    t[219] = Some("restart_syscall");
    t[220] = Some("semtimedop");
    t[221] = Some("fadvise64");
    t[222] = Some("timer_create");
    t[223] = Some("timer_settime");
    t[224] = Some("timer_gettime");
    t[225] = Some("timer_getoverrun");
    t[226] = Some("timer_delete");
    t[227] = Some("clock_settime");
    t[228] = Some("clock_gettime");
    t[229] = Some("clock_getres");
    t[230] = Some("clock_nanosleep");
    t[231] = Some("exit_group");
    t[232] = Some("epoll_wait");
    t[233] = Some("epoll_ctl");
    t[234] = Some("tgkill");
    t[235] = Some("utimes");
    t[236] = Some("vserver");
    t[237] = Some("mbind");
    t[238] = Some("set_mempolicy");
    t[239] = Some("get_mempolicy");
    t[240] = Some("mq_open");
    t[241] = Some("mq_unlink");
    t[242] = Some("mq_timedsend");
    t[243] = Some("mq_timedreceive");
    t[244] = Some("mq_notify");
    t[245] = Some("mq_getsetattr");
    t[246] = Some("kexec_load");
    t[247] = Some("waitid");
    t[248] = Some("add_key");
    t[249] = Some("request_key");
    t[250] = Some("keyctl");
    t[251] = Some("ioprio_set");
    t[252] = Some("ioprio_get");
    t[253] = Some("inotify_init");
    t[254] = Some("inotify_add_watch");
    t[255] = Some("inotify_rm_watch");
    t[256] = Some("migrate_pages");
    t[257] = Some("openat");
    t[258] = Some("mkdirat");
    t[259] = Some("mknodat");
    t[260] = Some("fchownat");
    t[261] = Some("futimesat");
    t[262] = Some("newfstatat");
    t[263] = Some("unlinkat");
    t[264] = Some("renameat");
    t[265] = Some("linkat");
    t[266] = Some("symlinkat");
    t[267] = Some("readlinkat");
    t[268] = Some("fchmodat");
    t[269] = Some("faccessat");
    t[270] = Some("pselect6");
    t[271] = Some("ppoll");
    t[272] = Some("unshare");
    t[273] = Some("set_robust_list");
    t[274] = Some("get_robust_list");
    t[275] = Some("splice");
    t[276] = Some("tee");
    t[277] = Some("sync_file_range");
    t[278] = Some("vmsplice");
    t[279] = Some("move_pages");
    t[280] = Some("utimensat");
    t[281] = Some("epoll_pwait");
    t[282] = Some("signalfd");
    t[283] = Some("timerfd_create");
    t[284] = Some("eventfd");
    t[285] = Some("fallocate");
    t[286] = Some("timerfd_settime");
    t[287] = Some("timerfd_gettime");
    t[288] = Some("accept4");
    t[289] = Some("signalfd4");
    t[290] = Some("eventfd2");
    t[291] = Some("epoll_create1");
    t[292] = Some("dup3");
    t[293] = Some("pipe2");
    t[294] = Some("inotify_init1");
    t[295] = Some("preadv");
    t[296] = Some("pwritev");
    t[297] = Some("rt_tgsigqueueinfo");
    t[298] = Some("perf_event_open");
    t[299] = Some("recvmmsg");
    t[300] = Some("fanotify_init");
    t[301] = Some("fanotify_mark");
    t[302] = Some("prlimit64");
    t[303] = Some("name_to_handle_at");
    t[304] = Some("open_by_handle_at");
    t[305] = Some("clock_adjtime");
    t[306] = Some("syncfs");
    t[307] = Some("sendmmsg");
    t[308] = Some("setns");
    t[309] = Some("getcpu");
    t[310] = Some("process_vm_readv");
    t[311] = Some("process_vm_writev");
    t[312] = Some("kcmp");
    t[313] = Some("finit_module");
    t[314] = Some("sched_setattr");
    t[315] = Some("sched_getattr");
    t[316] = Some("renameat2");
    t[317] = Some("seccomp");
    t[318] = Some("getrandom");
    t[319] = Some("memfd_create");
    t[320] = Some("kexec_file_load");
    t[321] = Some("bpf");
    t[322] = Some("execveat");
    t[323] = Some("userfaultfd");
    t[324] = Some("membarrier");
    t[325] = Some("mlock2");
    t[326] = Some("copy_file_range");
    t[327] = Some("preadv2");
    t[328] = Some("pwritev2");
    t[329] = Some("pkey_mprotect");
    t[330] = Some("pkey_alloc");
    t[331] = Some("pkey_free");
    t[332] = Some("statx");
    t[333] = Some("io_pgetevents");
    t[334] = Some("rseq");
    t[335] = Some("uretprobe");
    t[336] = Some("uprobe");
    t[424] = Some("pidfd_send_signal");
    t[425] = Some("io_uring_setup");
    t[426] = Some("io_uring_enter");
    t[427] = Some("io_uring_register");
    t[428] = Some("open_tree");
    t[429] = Some("move_mount");
    t[430] = Some("fsopen");
    t[431] = Some("fsconfig");
    t[432] = Some("fsmount");
    t[433] = Some("fspick");
    t[434] = Some("pidfd_open");
    t[435] = Some("clone3");
    t[436] = Some("close_range");
    t[437] = Some("openat2");
    t[438] = Some("pidfd_getfd");
    t[439] = Some("faccessat2");
    t[440] = Some("process_madvise");
    t[441] = Some("epoll_pwait2");
    t[442] = Some("mount_setattr");
    t[443] = Some("quotactl_fd");
    t[444] = Some("landlock_create_ruleset");
    t[445] = Some("landlock_add_rule");
    t[446] = Some("landlock_restrict_self");
    t[447] = Some("memfd_secret");
    t[448] = Some("process_mrelease");
    t[449] = Some("futex_waitv");
    t[450] = Some("set_mempolicy_home_node");
    t[451] = Some("cachestat");
    t[452] = Some("fchmodat2");
    t[453] = Some("map_shadow_stack");
    t[454] = Some("futex_wake");
    t[455] = Some("futex_wait");
    t[456] = Some("futex_requeue");
    t[457] = Some("statmount");
    t[458] = Some("listmount");
    t[459] = Some("lsm_get_self_attr");
    t[460] = Some("lsm_set_self_attr");
    t[461] = Some("lsm_list_modules");
    t[462] = Some("mseal");
    t[463] = Some("setxattrat");
    t[464] = Some("getxattrat");
    t[465] = Some("listxattrat");
    t[466] = Some("removexattrat");
    t[467] = Some("open_tree_attr");
    t[468] = Some("file_getattr");
    t[469] = Some("file_setattr");
    t[470] = Some("listns");
    t[471] = Some("rseq_slice_yield");
    t[472] = Some("fchroot");
    t
};

/// Entry functions by x86-64 number.
const ENTRIES: [Option<&str>; crate::MAX_SYSCALLS] = {
    let mut t = [None; crate::MAX_SYSCALLS];
    t[0] = Some("sys_read");
    t[1] = Some("sys_write");
    t[2] = Some("sys_open");
    t[3] = Some("sys_close");
    t[4] = Some("sys_newstat");
    t[5] = Some("sys_newfstat");
    t[6] = Some("sys_newlstat");
    t[7] = Some("sys_poll");
    t[8] = Some("sys_lseek");
    t[9] = Some("sys_mmap");
    t[10] = Some("sys_mprotect");
    t[11] = Some("sys_munmap");
    t[12] = Some("sys_brk");
    t[13] = Some("sys_rt_sigaction");
    t[14] = Some("sys_rt_sigprocmask");
    t[15] = Some("sys_rt_sigreturn");
    t[16] = Some("sys_ioctl");
    t[17] = Some("sys_pread64");
    t[18] = Some("sys_pwrite64");
    t[19] = Some("sys_readv");
    t[20] = Some("sys_writev");
    t[21] = Some("sys_access");
    t[22] = Some("sys_pipe");
    t[23] = Some("sys_select");
    t[24] = Some("sys_sched_yield");
    t[25] = Some("sys_mremap");
    t[26] = Some("sys_msync");
    t[27] = Some("sys_mincore");
    t[28] = Some("sys_madvise");
    t[29] = Some("sys_shmget");
    t[30] = Some("sys_shmat");
    t[31] = Some("sys_shmctl");
    t[32] = Some("sys_dup");
    t[33] = Some("sys_dup2");
    t[34] = Some("sys_pause");
    t[35] = Some("sys_nanosleep");
    t[36] = Some("sys_getitimer");
    t[37] = Some("sys_alarm");
    t[38] = Some("sys_setitimer");
    t[39] = Some("sys_getpid");
    t[40] = Some("sys_sendfile64");
    t[41] = Some("sys_socket");
    t[42] = Some("sys_connect");
    t[43] = Some("sys_accept");
    t[44] = Some("sys_sendto");
    t[45] = Some("sys_recvfrom");
    t[46] = Some("sys_sendmsg");
    t[47] = Some("sys_recvmsg");
    t[48] = Some("sys_shutdown");
    t[49] = Some("sys_bind");
    t[50] = Some("sys_listen");
    t[51] = Some("sys_getsockname");
    t[52] = Some("sys_getpeername");
    t[53] = Some("sys_socketpair");
    t[54] = Some("sys_setsockopt");
    t[55] = Some("sys_getsockopt");
    t[56] = Some("sys_clone");
    t[57] = Some("sys_fork");
    t[58] = Some("sys_vfork");
    t[59] = Some("sys_execve");
    t[60] = Some("sys_exit");
    t[61] = Some("sys_wait4");
    t[62] = Some("sys_kill");
    t[63] = Some("sys_newuname");
    t[64] = Some("sys_semget");
    t[65] = Some("sys_semop");
    t[66] = Some("sys_semctl");
    t[67] = Some("sys_shmdt");
    t[68] = Some("sys_msgget");
    t[69] = Some("sys_msgsnd");
    t[70] = Some("sys_msgrcv");
    t[71] = Some("sys_msgctl");
    t[72] = Some("sys_fcntl");
    t[73] = Some("sys_flock");
    t[74] = Some("sys_fsync");
    t[75] = Some("sys_fdatasync");
    t[76] = Some("sys_truncate");
    t[77] = Some("sys_ftruncate");
    t[78] = Some("sys_getdents");
    t[79] = Some("sys_getcwd");
    t[80] = Some("sys_chdir");
    t[81] = Some("sys_fchdir");
    t[82] = Some("sys_rename");
    t[83] = Some("sys_mkdir");
    t[84] = Some("sys_rmdir");
    t[85] = Some("sys_creat");
    t[86] = Some("sys_link");
    t[87] = Some("sys_unlink");
    t[88] = Some("sys_symlink");
    t[89] = Some("sys_readlink");
    t[90] = Some("sys_chmod");
    t[91] = Some("sys_fchmod");
    t[92] = Some("sys_chown");
    t[93] = Some("sys_fchown");
    t[94] = Some("sys_lchown");
    t[95] = Some("sys_umask");
    t[96] = Some("sys_gettimeofday");
    t[97] = Some("sys_getrlimit");
    t[98] = Some("sys_getrusage");
    t[99] = Some("sys_sysinfo");
    t[100] = Some("sys_times");
    t[101] = Some("sys_ptrace");
    t[102] = Some("sys_getuid");
    t[103] = Some("sys_syslog");
    t[104] = Some("sys_getgid");
    t[105] = Some("sys_setuid");
    t[106] = Some("sys_setgid");
    t[107] = Some("sys_geteuid");
    t[108] = Some("sys_getegid");
    t[109] = Some("sys_setpgid");
    t[110] = Some("sys_getppid");
    t[111] = Some("sys_getpgrp");
    t[112] = Some("sys_setsid");
    t[113] = Some("sys_setreuid");
    t[114] = Some("sys_setregid");
    t[115] = Some("sys_getgroups");
    t[116] = Some("sys_setgroups");
    t[117] = Some("sys_setresuid");
    t[118] = Some("sys_getresuid");
    t[119] = Some("sys_setresgid");
    t[120] = Some("sys_getresgid");
    t[121] = Some("sys_getpgid");
    t[122] = Some("sys_setfsuid");
    t[123] = Some("sys_setfsgid");
    t[124] = Some("sys_getsid");
    t[125] = Some("sys_capget");
    t[126] = Some("sys_capset");
    t[127] = Some("sys_rt_sigpending");
    t[128] = Some("sys_rt_sigtimedwait");
    t[129] = Some("sys_rt_sigqueueinfo");
    t[130] = Some("sys_rt_sigsuspend");
    t[131] = Some("sys_sigaltstack");
    t[132] = Some("sys_utime");
    t[133] = Some("sys_mknod");
    t[135] = Some("sys_personality");
    t[136] = Some("sys_ustat");
    t[137] = Some("sys_statfs");
    t[138] = Some("sys_fstatfs");
    t[139] = Some("sys_sysfs");
    t[140] = Some("sys_getpriority");
    t[141] = Some("sys_setpriority");
    t[142] = Some("sys_sched_setparam");
    t[143] = Some("sys_sched_getparam");
    t[144] = Some("sys_sched_setscheduler");
    t[145] = Some("sys_sched_getscheduler");
    t[146] = Some("sys_sched_get_priority_max");
    t[147] = Some("sys_sched_get_priority_min");
    t[148] = Some("sys_sched_rr_get_interval");
    t[149] = Some("sys_mlock");
    t[150] = Some("sys_munlock");
    t[151] = Some("sys_mlockall");
    t[152] = Some("sys_munlockall");
    t[153] = Some("sys_vhangup");
    t[154] = Some("sys_modify_ldt");
    t[155] = Some("sys_pivot_root");
    t[157] = Some("sys_prctl");
    t[158] = Some("sys_arch_prctl");
    t[159] = Some("sys_adjtimex");
    t[160] = Some("sys_setrlimit");
    t[161] = Some("sys_chroot");
    t[162] = Some("sys_sync");
    t[163] = Some("sys_acct");
    t[164] = Some("sys_settimeofday");
    t[165] = Some("sys_mount");
    t[166] = Some("sys_umount");
    t[167] = Some("sys_swapon");
    t[168] = Some("sys_swapoff");
    t[169] = Some("sys_reboot");
    t[170] = Some("sys_sethostname");
    t[171] = Some("sys_setdomainname");
    t[172] = Some("sys_iopl");
    t[173] = Some("sys_ioperm");
    t[175] = Some("sys_init_module");
    t[176] = Some("sys_delete_module");
    t[179] = Some("sys_quotactl");
    t[186] = Some("sys_gettid");
    t[187] = Some("sys_readahead");
    t[188] = Some("sys_setxattr");
    t[189] = Some("sys_lsetxattr");
    t[190] = Some("sys_fsetxattr");
    t[191] = Some("sys_getxattr");
    t[192] = Some("sys_lgetxattr");
    t[193] = Some("sys_fgetxattr");
    t[194] = Some("sys_listxattr");
    t[195] = Some("sys_llistxattr");
    t[196] = Some("sys_flistxattr");
    t[197] = Some("sys_removexattr");
    t[198] = Some("sys_lremovexattr");
    t[199] = Some("sys_fremovexattr");
    t[200] = Some("sys_tkill");
    t[201] = Some("sys_time");
    t[202] = Some("sys_futex");
    t[203] = Some("sys_sched_setaffinity");
    t[204] = Some("sys_sched_getaffinity");
    t[206] = Some("sys_io_setup");
    t[207] = Some("sys_io_destroy");
    t[208] = Some("sys_io_getevents");
    t[209] = Some("sys_io_submit");
    t[210] = Some("sys_io_cancel");
    t[213] = Some("sys_epoll_create");
    t[216] = Some("sys_remap_file_pages");
    t[217] = Some("sys_getdents64");
    t[218] = Some("sys_set_tid_address");
    t[219] = Some("sys_restart_syscall");
    t[220] = Some("sys_semtimedop");
    t[221] = Some("sys_fadvise64");
    t[222] = Some("sys_timer_create");
    t[223] = Some("sys_timer_settime");
    t[224] = Some("sys_timer_gettime");
    t[225] = Some("sys_timer_getoverrun");
    t[226] = Some("sys_timer_delete");
    t[227] = Some("sys_clock_settime");
    t[228] = Some("sys_clock_gettime");
    t[229] = Some("sys_clock_getres");
    t[230] = Some("sys_clock_nanosleep");
    t[231] = Some("sys_exit_group");
    t[232] = Some("sys_epoll_wait");
    t[233] = Some("sys_epoll_ctl");
    t[234] = Some("sys_tgkill");
    t[235] = Some("sys_utimes");
    t[237] = Some("sys_mbind");
    t[238] = Some("sys_set_mempolicy");
    t[239] = Some("sys_get_mempolicy");
    t[240] = Some("sys_mq_open");
    t[241] = Some("sys_mq_unlink");
    t[242] = Some("sys_mq_timedsend");
    t[243] = Some("sys_mq_timedreceive");
    t[244] = Some("sys_mq_notify");
    t[245] = Some("sys_mq_getsetattr");
    t[246] = Some("sys_kexec_load");
    t[247] = Some("sys_waitid");
    t[248] = Some("sys_add_key");
    t[249] = Some("sys_request_key");
    t[250] = Some("sys_keyctl");
    t[251] = Some("sys_ioprio_set");
    t[252] = Some("sys_ioprio_get");
    t[253] = Some("sys_inotify_init");
    t[254] = Some("sys_inotify_add_watch");
    t[255] = Some("sys_inotify_rm_watch");
    t[256] = Some("sys_migrate_pages");
    t[257] = Some("sys_openat");
    t[258] = Some("sys_mkdirat");
    t[259] = Some("sys_mknodat");
    t[260] = Some("sys_fchownat");
    t[261] = Some("sys_futimesat");
    t[262] = Some("sys_newfstatat");
    t[263] = Some("sys_unlinkat");
    t[264] = Some("sys_renameat");
    t[265] = Some("sys_linkat");
    t[266] = Some("sys_symlinkat");
    t[267] = Some("sys_readlinkat");
    t[268] = Some("sys_fchmodat");
    t[269] = Some("sys_faccessat");
    t[270] = Some("sys_pselect6");
    t[271] = Some("sys_ppoll");
    t[272] = Some("sys_unshare");
    t[273] = Some("sys_set_robust_list");
    t[274] = Some("sys_get_robust_list");
    t[275] = Some("sys_splice");
    t[276] = Some("sys_tee");
    t[277] = Some("sys_sync_file_range");
    t[278] = Some("sys_vmsplice");
    t[279] = Some("sys_move_pages");
    t[280] = Some("sys_utimensat");
    t[281] = Some("sys_epoll_pwait");
    t[282] = Some("sys_signalfd");
    t[283] = Some("sys_timerfd_create");
    t[284] = Some("sys_eventfd");
    t[285] = Some("sys_fallocate");
    t[286] = Some("sys_timerfd_settime");
    t[287] = Some("sys_timerfd_gettime");
    t[288] = Some("sys_accept4");
    t[289] = Some("sys_signalfd4");
    t[290] = Some("sys_eventfd2");
    t[291] = Some("sys_epoll_create1");
    t[292] = Some("sys_dup3");
    t[293] = Some("sys_pipe2");
    t[294] = Some("sys_inotify_init1");
    t[295] = Some("sys_preadv");
    t[296] = Some("sys_pwritev");
    t[297] = Some("sys_rt_tgsigqueueinfo");
    t[298] = Some("sys_perf_event_open");
    t[299] = Some("sys_recvmmsg");
    t[300] = Some("sys_fanotify_init");
    t[301] = Some("sys_fanotify_mark");
    t[302] = Some("sys_prlimit64");
    t[303] = Some("sys_name_to_handle_at");
    t[304] = Some("sys_open_by_handle_at");
    t[305] = Some("sys_clock_adjtime");
    t[306] = Some("sys_syncfs");
    t[307] = Some("sys_sendmmsg");
    t[308] = Some("sys_setns");
    t[309] = Some("sys_getcpu");
    t[310] = Some("sys_process_vm_readv");
    t[311] = Some("sys_process_vm_writev");
    t[312] = Some("sys_kcmp");
    t[313] = Some("sys_finit_module");
    t[314] = Some("sys_sched_setattr");
    t[315] = Some("sys_sched_getattr");
    t[316] = Some("sys_renameat2");
    t[317] = Some("sys_seccomp");
    t[318] = Some("sys_getrandom");
    t[319] = Some("sys_memfd_create");
    t[320] = Some("sys_kexec_file_load");
    t[321] = Some("sys_bpf");
    t[322] = Some("sys_execveat");
    t[323] = Some("sys_userfaultfd");
    t[324] = Some("sys_membarrier");
    t[325] = Some("sys_mlock2");
    t[326] = Some("sys_copy_file_range");
    t[327] = Some("sys_preadv2");
    t[328] = Some("sys_pwritev2");
    t[329] = Some("sys_pkey_mprotect");
    t[330] = Some("sys_pkey_alloc");
    t[331] = Some("sys_pkey_free");
    t[332] = Some("sys_statx");
    t[333] = Some("sys_io_pgetevents");
    t[334] = Some("sys_rseq");
    t[335] = Some("sys_uretprobe");
    t[336] = Some("sys_uprobe");
    t[424] = Some("sys_pidfd_send_signal");
    t[425] = Some("sys_io_uring_setup");
    t[426] = Some("sys_io_uring_enter");
    t[427] = Some("sys_io_uring_register");
    t[428] = Some("sys_open_tree");
    t[429] = Some("sys_move_mount");
    t[430] = Some("sys_fsopen");
    t[431] = Some("sys_fsconfig");
    t[432] = Some("sys_fsmount");
    t[433] = Some("sys_fspick");
    t[434] = Some("sys_pidfd_open");
    t[435] = Some("sys_clone3");
    t[436] = Some("sys_close_range");
    t[437] = Some("sys_openat2");
    t[438] = Some("sys_pidfd_getfd");
    t[439] = Some("sys_faccessat2");
    t[440] = Some("sys_process_madvise");
    t[441] = Some("sys_epoll_pwait2");
    t[442] = Some("sys_mount_setattr");
    t[443] = Some("sys_quotactl_fd");
    t[444] = Some("sys_landlock_create_ruleset");
    t[445] = Some("sys_landlock_add_rule");
    t[446] = Some("sys_landlock_restrict_self");
    t[447] = Some("sys_memfd_secret");
    t[448] = Some("sys_process_mrelease");
    t[449] = Some("sys_futex_waitv");
    t[450] = Some("sys_set_mempolicy_home_node");
    t[451] = Some("sys_cachestat");
    t[452] = Some("sys_fchmodat2");
    t[453] = Some("sys_map_shadow_stack");
    t[454] = Some("sys_futex_wake");
    t[455] = Some("sys_futex_wait");
    t[456] = Some("sys_futex_requeue");
    t[457] = Some("sys_statmount");
    t[458] = Some("sys_listmount");
    t[459] = Some("sys_lsm_get_self_attr");
    t[460] = Some("sys_lsm_set_self_attr");
    t[461] = Some("sys_lsm_list_modules");
    t[462] = Some("sys_mseal");
    t[463] = Some("sys_setxattrat");
    t[464] = Some("sys_getxattrat");
    t[465] = Some("sys_listxattrat");
    t[466] = Some("sys_removexattrat");
    t[467] = Some("sys_open_tree_attr");
    t[468] = Some("sys_file_getattr");
    t[469] = Some("sys_file_setattr");
    t[470] = Some("sys_listns");
    t[471] = Some("sys_rseq_slice_yield");
    t[472] = Some("sys_fchroot");
    t
};

/// By i386 number, the x86-64 one (`NO_TWIN`: none).
const IA32: [u16; crate::MAX_SYSCALLS] = {
    let mut t = [NO_TWIN; crate::MAX_SYSCALLS];
    t[0] = 219;
    t[1] = 60;
    t[2] = 57;
    t[3] = 0;
    t[4] = 1;
    t[5] = 2;
    t[6] = 3;
    t[7] = 61;
    t[8] = 85;
    t[9] = 86;
    t[10] = 87;
    t[11] = 59;
    t[12] = 80;
    t[14] = 133;
    t[15] = 90;
    t[16] = 94;
    t[18] = 4;
    t[19] = 8;
    t[20] = 39;
    t[21] = 165;
    t[22] = 166;
    t[23] = 105;
    t[24] = 102;
    t[26] = 101;
    t[27] = 37;
    t[28] = 5;
    t[29] = 34;
    t[30] = 132;
    t[33] = 21;
    t[36] = 162;
    t[37] = 62;
    t[38] = 82;
    t[39] = 83;
    t[40] = 84;
    t[41] = 32;
    t[42] = 22;
    t[43] = 100;
    t[45] = 12;
    t[46] = 106;
    t[47] = 104;
    t[49] = 107;
    t[50] = 108;
    t[51] = 163;
    t[52] = 166;
    t[54] = 16;
    t[55] = 72;
    t[57] = 109;
    t[59] = 63;
    t[60] = 95;
    t[61] = 161;
    t[62] = 136;
    t[63] = 33;
    t[64] = 110;
    t[65] = 111;
    t[66] = 112;
    t[70] = 113;
    t[71] = 114;
    t[74] = 170;
    t[75] = 160;
    t[77] = 98;
    t[78] = 96;
    t[79] = 164;
    t[82] = 23;
    t[83] = 88;
    t[84] = 6;
    t[85] = 89;
    t[87] = 167;
    t[88] = 169;
    t[90] = 9;
    t[91] = 11;
    t[92] = 76;
    t[93] = 77;
    t[94] = 91;
    t[95] = 93;
    t[96] = 140;
    t[97] = 141;
    t[99] = 137;
    t[100] = 138;
    t[101] = 173;
    t[103] = 103;
    t[104] = 38;
    t[105] = 36;
    t[106] = 4;
    t[107] = 6;
    t[108] = 5;
    t[109] = 63;
    t[110] = 172;
    t[111] = 153;
    t[114] = 61;
    t[115] = 168;
    t[116] = 99;
    t[118] = 74;
    t[120] = 56;
    t[121] = 171;
    t[122] = 63;
    t[123] = 154;
    t[125] = 10;
    t[128] = 175;
    t[129] = 176;
    t[131] = 179;
    t[132] = 121;
    t[133] = 81;
    t[135] = 139;
    t[136] = 135;
    t[138] = 122;
    t[139] = 123;
    t[140] = 8;
    t[141] = 78;
    t[142] = 23;
    t[143] = 73;
    t[144] = 26;
    t[145] = 19;
    t[146] = 20;
    t[147] = 124;
    t[148] = 75;
    t[150] = 149;
    t[151] = 150;
    t[152] = 151;
    t[153] = 152;
    t[154] = 142;
    t[155] = 143;
    t[156] = 144;
    t[157] = 145;
    t[158] = 24;
    t[159] = 146;
    t[160] = 147;
    t[163] = 25;
    t[164] = 117;
    t[165] = 118;
    t[168] = 7;
    t[170] = 119;
    t[171] = 120;
    t[172] = 157;
    t[173] = 15;
    t[174] = 13;
    t[175] = 14;
    t[176] = 127;
    t[178] = 129;
    t[179] = 130;
    t[180] = 17;
    t[181] = 18;
    t[182] = 92;
    t[183] = 79;
    t[184] = 125;
    t[185] = 126;
    t[186] = 131;
    t[187] = 40;
    t[190] = 58;
    t[191] = 97;
    t[192] = 9;
    t[193] = 76;
    t[194] = 77;
    t[195] = 4;
    t[196] = 6;
    t[197] = 5;
    t[198] = 94;
    t[199] = 102;
    t[200] = 104;
    t[201] = 107;
    t[202] = 108;
    t[203] = 113;
    t[204] = 114;
    t[205] = 115;
    t[206] = 116;
    t[207] = 93;
    t[208] = 117;
    t[209] = 118;
    t[210] = 119;
    t[211] = 120;
    t[212] = 92;
    t[213] = 105;
    t[214] = 106;
    t[215] = 122;
    t[216] = 123;
    t[217] = 155;
    t[218] = 27;
    t[219] = 28;
    t[220] = 217;
    t[221] = 72;
    t[224] = 186;
    t[226] = 188;
    t[227] = 189;
    t[228] = 190;
    t[229] = 191;
    t[230] = 192;
    t[231] = 193;
    t[232] = 194;
    t[233] = 195;
    t[234] = 196;
    t[235] = 197;
    t[236] = 198;
    t[237] = 199;
    t[238] = 200;
    t[239] = 40;
    t[241] = 203;
    t[242] = 204;
    t[245] = 206;
    t[246] = 207;
    t[248] = 209;
    t[249] = 210;
    t[252] = 231;
    t[254] = 213;
    t[255] = 233;
    t[256] = 232;
    t[257] = 216;
    t[258] = 218;
    t[259] = 222;
    t[262] = 225;
    t[263] = 226;
    t[264] = 227;
    t[270] = 234;
    t[271] = 235;
    t[274] = 237;
    t[275] = 239;
    t[276] = 238;
    t[277] = 240;
    t[278] = 241;
    t[281] = 244;
    t[282] = 245;
    t[283] = 246;
    t[284] = 247;
    t[286] = 248;
    t[287] = 249;
    t[288] = 250;
    t[289] = 251;
    t[290] = 252;
    t[291] = 253;
    t[292] = 254;
    t[293] = 255;
    t[294] = 256;
    t[295] = 257;
    t[296] = 258;
    t[297] = 259;
    t[298] = 260;
    t[299] = 261;
    t[300] = 262;
    t[301] = 263;
    t[302] = 264;
    t[303] = 265;
    t[304] = 266;
    t[305] = 267;
    t[306] = 268;
    t[307] = 269;
    t[310] = 272;
    t[311] = 273;
    t[312] = 274;
    t[313] = 275;
    t[315] = 276;
    t[316] = 278;
    t[317] = 279;
    t[318] = 309;
    t[319] = 281;
    t[320] = 280;
    t[321] = 282;
    t[322] = 283;
    t[323] = 284;
    t[324] = 285;
    t[327] = 289;
    t[328] = 290;
    t[329] = 291;
    t[330] = 292;
    t[331] = 293;
    t[332] = 294;
    t[333] = 295;
    t[334] = 296;
    t[335] = 297;
    t[336] = 298;
    t[338] = 300;
    t[339] = 301;
    t[340] = 302;
    t[341] = 303;
    t[342] = 304;
    t[344] = 306;
    t[345] = 307;
    t[346] = 308;
    t[347] = 310;
    t[348] = 311;
    t[349] = 312;
    t[350] = 313;
    t[351] = 314;
    t[352] = 315;
    t[353] = 316;
    t[354] = 317;
    t[355] = 318;
    t[356] = 319;
    t[357] = 321;
    t[358] = 322;
    t[359] = 41;
    t[360] = 53;
    t[361] = 49;
    t[362] = 42;
    t[363] = 50;
    t[364] = 288;
    t[365] = 55;
    t[366] = 54;
    t[367] = 51;
    t[368] = 52;
    t[369] = 44;
    t[370] = 46;
    t[371] = 45;
    t[372] = 47;
    t[373] = 48;
    t[374] = 323;
    t[375] = 324;
    t[376] = 325;
    t[377] = 326;
    t[378] = 327;
    t[379] = 328;
    t[380] = 329;
    t[381] = 330;
    t[382] = 331;
    t[383] = 332;
    t[384] = 158;
    t[386] = 334;
    t[393] = 64;
    t[394] = 66;
    t[395] = 29;
    t[396] = 31;
    t[397] = 30;
    t[398] = 67;
    t[399] = 68;
    t[400] = 69;
    t[401] = 70;
    t[402] = 71;
    t[403] = 228;
    t[404] = 227;
    t[405] = 305;
    t[406] = 229;
    t[407] = 230;
    t[408] = 224;
    t[409] = 223;
    t[410] = 287;
    t[411] = 286;
    t[412] = 280;
    t[413] = 270;
    t[414] = 271;
    t[416] = 333;
    t[417] = 299;
    t[418] = 242;
    t[419] = 243;
    t[420] = 220;
    t[421] = 128;
    t[422] = 202;
    t[423] = 148;
    t[424] = 424;
    t[425] = 425;
    t[426] = 426;
    t[427] = 427;
    t[428] = 428;
    t[429] = 429;
    t[430] = 430;
    t[431] = 431;
    t[432] = 432;
    t[433] = 433;
    t[434] = 434;
    t[435] = 435;
    t[436] = 436;
    t[437] = 437;
    t[438] = 438;
    t[439] = 439;
    t[440] = 440;
    t[441] = 441;
    t[442] = 442;
    t[443] = 443;
    t[444] = 444;
    t[445] = 445;
    t[446] = 446;
    t[447] = 447;
    t[448] = 448;
    t[449] = 449;
    t[450] = 450;
    t[451] = 451;
    t[452] = 452;
    t[453] = 453;
    t[454] = 454;
    t[455] = 455;
    t[456] = 456;
    t[457] = 457;
    t[458] = 458;
    t[459] = 459;
    t[460] = 460;
    t[461] = 461;
    t[462] = 462;
    t[463] = 463;
    t[464] = 464;
    t[465] = 465;
    t[466] = 466;
    t[467] = 467;
    t[468] = 468;
    t[469] = 469;
    t[470] = 470;
    t[471] = 471;
    t[472] = 472;
    t
};

/// By x32 number (without `X32_SYSCALL_BIT`), the x86-64 one.
const X32: [u16; 548] = {
    let mut t = [NO_TWIN; 548];
    t[0] = 0;
    t[1] = 1;
    t[2] = 2;
    t[3] = 3;
    t[4] = 4;
    t[5] = 5;
    t[6] = 6;
    t[7] = 7;
    t[8] = 8;
    t[9] = 9;
    t[10] = 10;
    t[11] = 11;
    t[12] = 12;
    t[14] = 14;
    t[17] = 17;
    t[18] = 18;
    t[21] = 21;
    t[22] = 22;
    t[23] = 23;
    t[24] = 24;
    t[25] = 25;
    t[26] = 26;
    t[27] = 27;
    t[28] = 28;
    t[29] = 29;
    t[30] = 30;
    t[31] = 31;
    t[32] = 32;
    t[33] = 33;
    t[34] = 34;
    t[35] = 35;
    t[36] = 36;
    t[37] = 37;
    t[38] = 38;
    t[39] = 39;
    t[40] = 40;
    t[41] = 41;
    t[42] = 42;
    t[43] = 43;
    t[44] = 44;
    t[48] = 48;
    t[49] = 49;
    t[50] = 50;
    t[51] = 51;
    t[52] = 52;
    t[53] = 53;
    t[56] = 56;
    t[57] = 57;
    t[58] = 58;
    t[60] = 60;
    t[61] = 61;
    t[62] = 62;
    t[63] = 63;
    t[64] = 64;
    t[65] = 65;
    t[66] = 66;
    t[67] = 67;
    t[68] = 68;
    t[69] = 69;
    t[70] = 70;
    t[71] = 71;
    t[72] = 72;
    t[73] = 73;
    t[74] = 74;
    t[75] = 75;
    t[76] = 76;
    t[77] = 77;
    t[78] = 78;
    t[79] = 79;
    t[80] = 80;
    t[81] = 81;
    t[82] = 82;
    t[83] = 83;
    t[84] = 84;
    t[85] = 85;
    t[86] = 86;
    t[87] = 87;
    t[88] = 88;
    t[89] = 89;
    t[90] = 90;
    t[91] = 91;
    t[92] = 92;
    t[93] = 93;
    t[94] = 94;
    t[95] = 95;
    t[96] = 96;
    t[97] = 97;
    t[98] = 98;
    t[99] = 99;
    t[100] = 100;
    t[102] = 102;
    t[103] = 103;
    t[104] = 104;
    t[105] = 105;
    t[106] = 106;
    t[107] = 107;
    t[108] = 108;
    t[109] = 109;
    t[110] = 110;
    t[111] = 111;
    t[112] = 112;
    t[113] = 113;
    t[114] = 114;
    t[115] = 115;
    t[116] = 116;
    t[117] = 117;
    t[118] = 118;
    t[119] = 119;
    t[120] = 120;
    t[121] = 121;
    t[122] = 122;
    t[123] = 123;
    t[124] = 124;
    t[125] = 125;
    t[126] = 126;
    t[130] = 130;
    t[132] = 132;
    t[133] = 133;
    t[135] = 135;
    t[136] = 136;
    t[137] = 137;
    t[138] = 138;
    t[139] = 139;
    t[140] = 140;
    t[141] = 141;
    t[142] = 142;
    t[143] = 143;
    t[144] = 144;
    t[145] = 145;
    t[146] = 146;
    t[147] = 147;
    t[148] = 148;
    t[149] = 149;
    t[150] = 150;
    t[151] = 151;
    t[152] = 152;
    t[153] = 153;
    t[154] = 154;
    t[155] = 155;
    t[157] = 157;
    t[158] = 158;
    t[159] = 159;
    t[160] = 160;
    t[161] = 161;
    t[162] = 162;
    t[163] = 163;
    t[164] = 164;
    t[165] = 165;
    t[166] = 166;
    t[167] = 167;
    t[168] = 168;
    t[169] = 169;
    t[170] = 170;
    t[171] = 171;
    t[172] = 172;
    t[173] = 173;
    t[175] = 175;
    t[176] = 176;
    t[179] = 179;
    t[186] = 186;
    t[187] = 187;
    t[188] = 188;
    t[189] = 189;
    t[190] = 190;
    t[191] = 191;
    t[192] = 192;
    t[193] = 193;
    t[194] = 194;
    t[195] = 195;
    t[196] = 196;
    t[197] = 197;
    t[198] = 198;
    t[199] = 199;
    t[200] = 200;
    t[201] = 201;
    t[202] = 202;
    t[203] = 203;
    t[204] = 204;
    t[207] = 207;
    t[208] = 208;
    t[210] = 210;
    t[213] = 213;
    t[216] = 216;
    t[217] = 217;
    t[218] = 218;
    t[219] = 219;
    t[220] = 220;
    t[221] = 221;
    t[223] = 223;
    t[224] = 224;
    t[225] = 225;
    t[226] = 226;
    t[227] = 227;
    t[228] = 228;
    t[229] = 229;
    t[230] = 230;
    t[231] = 231;
    t[232] = 232;
    t[233] = 233;
    t[234] = 234;
    t[235] = 235;
    t[237] = 237;
    t[238] = 238;
    t[239] = 239;
    t[240] = 240;
    t[241] = 241;
    t[242] = 242;
    t[243] = 243;
    t[245] = 245;
    t[248] = 248;
    t[249] = 249;
    t[250] = 250;
    t[251] = 251;
    t[252] = 252;
    t[253] = 253;
    t[254] = 254;
    t[255] = 255;
    t[256] = 256;
    t[257] = 257;
    t[258] = 258;
    t[259] = 259;
    t[260] = 260;
    t[261] = 261;
    t[262] = 262;
    t[263] = 263;
    t[264] = 264;
    t[265] = 265;
    t[266] = 266;
    t[267] = 267;
    t[268] = 268;
    t[269] = 269;
    t[270] = 270;
    t[271] = 271;
    t[272] = 272;
    t[275] = 275;
    t[276] = 276;
    t[277] = 277;
    t[280] = 280;
    t[281] = 281;
    t[282] = 282;
    t[283] = 283;
    t[284] = 284;
    t[285] = 285;
    t[286] = 286;
    t[287] = 287;
    t[288] = 288;
    t[289] = 289;
    t[290] = 290;
    t[291] = 291;
    t[292] = 292;
    t[293] = 293;
    t[294] = 294;
    t[298] = 298;
    t[300] = 300;
    t[301] = 301;
    t[302] = 302;
    t[303] = 303;
    t[304] = 304;
    t[305] = 305;
    t[306] = 306;
    t[308] = 308;
    t[309] = 309;
    t[312] = 312;
    t[313] = 313;
    t[314] = 314;
    t[315] = 315;
    t[316] = 316;
    t[317] = 317;
    t[318] = 318;
    t[319] = 319;
    t[320] = 320;
    t[321] = 321;
    t[323] = 323;
    t[324] = 324;
    t[325] = 325;
    t[326] = 326;
    t[329] = 329;
    t[330] = 330;
    t[331] = 331;
    t[332] = 332;
    t[333] = 333;
    t[334] = 334;
    t[335] = 335;
    t[336] = 336;
    t[424] = 424;
    t[425] = 425;
    t[426] = 426;
    t[427] = 427;
    t[428] = 428;
    t[429] = 429;
    t[430] = 430;
    t[431] = 431;
    t[432] = 432;
    t[433] = 433;
    t[434] = 434;
    t[435] = 435;
    t[436] = 436;
    t[437] = 437;
    t[438] = 438;
    t[439] = 439;
    t[440] = 440;
    t[441] = 441;
    t[442] = 442;
    t[443] = 443;
    t[444] = 444;
    t[445] = 445;
    t[446] = 446;
    t[447] = 447;
    t[448] = 448;
    t[449] = 449;
    t[450] = 450;
    t[451] = 451;
    t[452] = 452;
    t[453] = 453;
    t[454] = 454;
    t[455] = 455;
    t[456] = 456;
    t[457] = 457;
    t[458] = 458;
    t[459] = 459;
    t[460] = 460;
    t[461] = 461;
    t[462] = 462;
    t[463] = 463;
    t[464] = 464;
    t[465] = 465;
    t[466] = 466;
    t[467] = 467;
    t[468] = 468;
    t[469] = 469;
    t[470] = 470;
    t[471] = 471;
    t[472] = 472;
    t[512] = 13;
    t[513] = 15;
    t[514] = 16;
    t[515] = 19;
    t[516] = 20;
    t[517] = 45;
    t[518] = 46;
    t[519] = 47;
    t[520] = 59;
    t[521] = 101;
    t[522] = 127;
    t[523] = 128;
    t[524] = 129;
    t[525] = 131;
    t[526] = 222;
    t[527] = 244;
    t[528] = 246;
    t[529] = 247;
    t[530] = 273;
    t[531] = 274;
    t[532] = 278;
    t[533] = 279;
    t[534] = 295;
    t[535] = 296;
    t[536] = 297;
    t[537] = 299;
    t[538] = 307;
    t[539] = 310;
    t[540] = 311;
    t[541] = 54;
    t[542] = 55;
    t[543] = 206;
    t[544] = 209;
    t[545] = 322;
    t[546] = 327;
    t[547] = 328;
    t
};

/// (x86-64 number, entry function) of x32's own.
const X32_ENTRIES: &[(u16, &str)] = &[
    (13, "compat_sys_rt_sigaction"),
    (15, "compat_sys_x32_rt_sigreturn"),
    (16, "compat_sys_ioctl"),
    (45, "compat_sys_recvfrom"),
    (46, "compat_sys_sendmsg"),
    (47, "compat_sys_recvmsg"),
    (59, "compat_sys_execve"),
    (101, "compat_sys_ptrace"),
    (127, "compat_sys_rt_sigpending"),
    (128, "compat_sys_rt_sigtimedwait_time64"),
    (129, "compat_sys_rt_sigqueueinfo"),
    (131, "compat_sys_sigaltstack"),
    (206, "compat_sys_io_setup"),
    (209, "compat_sys_io_submit"),
    (222, "compat_sys_timer_create"),
    (244, "compat_sys_mq_notify"),
    (246, "compat_sys_kexec_load"),
    (247, "compat_sys_waitid"),
    (273, "compat_sys_set_robust_list"),
    (274, "compat_sys_get_robust_list"),
    (295, "compat_sys_preadv64"),
    (296, "compat_sys_pwritev64"),
    (297, "compat_sys_rt_tgsigqueueinfo"),
    (299, "compat_sys_recvmmsg_time64"),
    (307, "compat_sys_sendmmsg"),
    (322, "compat_sys_execveat"),
    (327, "compat_sys_preadv64v2"),
    (328, "compat_sys_pwritev64v2"),
];

/// (i386 number, entry function) of the twins with a function of their own.
const IA32_ENTRIES: &[(u16, &str)] = &[
    (1, "sys_exit"),
    (3, "sys_read"),
    (4, "sys_write"),
    (5, "compat_sys_open"),
    (6, "sys_close"),
    (7, "sys_waitpid"),
    (8, "sys_creat"),
    (9, "sys_link"),
    (10, "sys_unlink"),
    (11, "compat_sys_execve"),
    (12, "sys_chdir"),
    (14, "sys_mknod"),
    (15, "sys_chmod"),
    (16, "sys_lchown16"),
    (18, "sys_stat"),
    (19, "compat_sys_lseek"),
    (21, "sys_mount"),
    (22, "sys_oldumount"),
    (23, "sys_setuid16"),
    (24, "sys_getuid16"),
    (26, "compat_sys_ptrace"),
    (27, "sys_alarm"),
    (28, "sys_fstat"),
    (30, "sys_utime32"),
    (33, "sys_access"),
    (37, "sys_kill"),
    (38, "sys_rename"),
    (39, "sys_mkdir"),
    (40, "sys_rmdir"),
    (41, "sys_dup"),
    (42, "sys_pipe"),
    (43, "compat_sys_times"),
    (45, "sys_brk"),
    (46, "sys_setgid16"),
    (47, "sys_getgid16"),
    (49, "sys_geteuid16"),
    (50, "sys_getegid16"),
    (51, "sys_acct"),
    (52, "sys_umount"),
    (54, "compat_sys_ioctl"),
    (55, "compat_sys_fcntl64"),
    (57, "sys_setpgid"),
    (59, "sys_olduname"),
    (60, "sys_umask"),
    (61, "sys_chroot"),
    (62, "compat_sys_ustat"),
    (63, "sys_dup2"),
    (70, "sys_setreuid16"),
    (71, "sys_setregid16"),
    (74, "sys_sethostname"),
    (75, "compat_sys_setrlimit"),
    (77, "compat_sys_getrusage"),
    (78, "compat_sys_gettimeofday"),
    (79, "compat_sys_settimeofday"),
    (82, "compat_sys_old_select"),
    (83, "sys_symlink"),
    (84, "sys_lstat"),
    (85, "sys_readlink"),
    (87, "sys_swapon"),
    (88, "sys_reboot"),
    (90, "compat_sys_ia32_mmap"),
    (91, "sys_munmap"),
    (92, "compat_sys_truncate"),
    (93, "compat_sys_ftruncate"),
    (94, "sys_fchmod"),
    (95, "sys_fchown16"),
    (96, "sys_getpriority"),
    (97, "sys_setpriority"),
    (99, "compat_sys_statfs"),
    (100, "compat_sys_fstatfs"),
    (101, "sys_ioperm"),
    (103, "sys_syslog"),
    (104, "compat_sys_setitimer"),
    (105, "compat_sys_getitimer"),
    (106, "compat_sys_newstat"),
    (107, "compat_sys_newlstat"),
    (108, "compat_sys_newfstat"),
    (109, "sys_uname"),
    (110, "sys_iopl"),
    (114, "compat_sys_wait4"),
    (115, "sys_swapoff"),
    (116, "compat_sys_sysinfo"),
    (118, "sys_fsync"),
    (120, "compat_sys_ia32_clone"),
    (121, "sys_setdomainname"),
    (122, "sys_newuname"),
    (123, "sys_modify_ldt"),
    (125, "sys_mprotect"),
    (128, "sys_init_module"),
    (129, "sys_delete_module"),
    (131, "sys_quotactl"),
    (132, "sys_getpgid"),
    (133, "sys_fchdir"),
    (135, "sys_sysfs"),
    (136, "sys_personality"),
    (138, "sys_setfsuid16"),
    (139, "sys_setfsgid16"),
    (140, "sys_llseek"),
    (141, "compat_sys_getdents"),
    (142, "compat_sys_select"),
    (143, "sys_flock"),
    (144, "sys_msync"),
    (145, "sys_readv"),
    (146, "sys_writev"),
    (147, "sys_getsid"),
    (148, "sys_fdatasync"),
    (150, "sys_mlock"),
    (151, "sys_munlock"),
    (152, "sys_mlockall"),
    (154, "sys_sched_setparam"),
    (155, "sys_sched_getparam"),
    (156, "sys_sched_setscheduler"),
    (157, "sys_sched_getscheduler"),
    (159, "sys_sched_get_priority_max"),
    (160, "sys_sched_get_priority_min"),
    (163, "sys_mremap"),
    (164, "sys_setresuid16"),
    (165, "sys_getresuid16"),
    (168, "sys_poll"),
    (170, "sys_setresgid16"),
    (171, "sys_getresgid16"),
    (172, "sys_prctl"),
    (173, "compat_sys_rt_sigreturn"),
    (174, "compat_sys_rt_sigaction"),
    (175, "compat_sys_rt_sigprocmask"),
    (176, "compat_sys_rt_sigpending"),
    (178, "compat_sys_rt_sigqueueinfo"),
    (179, "compat_sys_rt_sigsuspend"),
    (180, "sys_ia32_pread64"),
    (181, "sys_ia32_pwrite64"),
    (182, "sys_chown16"),
    (183, "sys_getcwd"),
    (184, "sys_capget"),
    (185, "sys_capset"),
    (186, "compat_sys_sigaltstack"),
    (187, "compat_sys_sendfile"),
    (191, "compat_sys_getrlimit"),
    (192, "sys_mmap_pgoff"),
    (193, "sys_ia32_truncate64"),
    (194, "sys_ia32_ftruncate64"),
    (195, "compat_sys_ia32_stat64"),
    (196, "compat_sys_ia32_lstat64"),
    (197, "compat_sys_ia32_fstat64"),
    (198, "sys_lchown"),
    (203, "sys_setreuid"),
    (204, "sys_setregid"),
    (205, "sys_getgroups"),
    (206, "sys_setgroups"),
    (207, "sys_fchown"),
    (208, "sys_setresuid"),
    (209, "sys_getresuid"),
    (210, "sys_setresgid"),
    (211, "sys_getresgid"),
    (212, "sys_chown"),
    (213, "sys_setuid"),
    (214, "sys_setgid"),
    (215, "sys_setfsuid"),
    (216, "sys_setfsgid"),
    (217, "sys_pivot_root"),
    (218, "sys_mincore"),
    (219, "sys_madvise"),
    (220, "sys_getdents64"),
    (226, "sys_setxattr"),
    (227, "sys_lsetxattr"),
    (228, "sys_fsetxattr"),
    (229, "sys_getxattr"),
    (230, "sys_lgetxattr"),
    (231, "sys_fgetxattr"),
    (232, "sys_listxattr"),
    (233, "sys_llistxattr"),
    (234, "sys_flistxattr"),
    (235, "sys_removexattr"),
    (236, "sys_lremovexattr"),
    (237, "sys_fremovexattr"),
    (238, "sys_tkill"),
    (239, "sys_sendfile64"),
    (241, "compat_sys_sched_setaffinity"),
    (242, "compat_sys_sched_getaffinity"),
    (245, "compat_sys_io_setup"),
    (246, "sys_io_destroy"),
    (248, "compat_sys_io_submit"),
    (249, "sys_io_cancel"),
    (252, "sys_exit_group"),
    (254, "sys_epoll_create"),
    (255, "sys_epoll_ctl"),
    (256, "sys_epoll_wait"),
    (257, "sys_remap_file_pages"),
    (258, "sys_set_tid_address"),
    (259, "compat_sys_timer_create"),
    (262, "sys_timer_getoverrun"),
    (263, "sys_timer_delete"),
    (264, "sys_clock_settime32"),
    (270, "sys_tgkill"),
    (271, "sys_utimes_time32"),
    (274, "sys_mbind"),
    (275, "sys_get_mempolicy"),
    (276, "sys_set_mempolicy"),
    (277, "compat_sys_mq_open"),
    (278, "sys_mq_unlink"),
    (281, "compat_sys_mq_notify"),
    (282, "compat_sys_mq_getsetattr"),
    (283, "compat_sys_kexec_load"),
    (284, "compat_sys_waitid"),
    (286, "sys_add_key"),
    (287, "sys_request_key"),
    (288, "compat_sys_keyctl"),
    (289, "sys_ioprio_set"),
    (290, "sys_ioprio_get"),
    (292, "sys_inotify_add_watch"),
    (293, "sys_inotify_rm_watch"),
    (294, "sys_migrate_pages"),
    (295, "compat_sys_openat"),
    (296, "sys_mkdirat"),
    (297, "sys_mknodat"),
    (298, "sys_fchownat"),
    (299, "sys_futimesat_time32"),
    (300, "compat_sys_ia32_fstatat64"),
    (301, "sys_unlinkat"),
    (302, "sys_renameat"),
    (303, "sys_linkat"),
    (304, "sys_symlinkat"),
    (305, "sys_readlinkat"),
    (306, "sys_fchmodat"),
    (307, "sys_faccessat"),
    (310, "sys_unshare"),
    (311, "compat_sys_set_robust_list"),
    (312, "compat_sys_get_robust_list"),
    (313, "sys_splice"),
    (315, "sys_tee"),
    (316, "sys_vmsplice"),
    (317, "sys_move_pages"),
    (318, "sys_getcpu"),
    (319, "sys_epoll_pwait"),
    (320, "sys_utimensat_time32"),
    (321, "compat_sys_signalfd"),
    (322, "sys_timerfd_create"),
    (323, "sys_eventfd"),
    (324, "sys_ia32_fallocate"),
    (327, "compat_sys_signalfd4"),
    (328, "sys_eventfd2"),
    (329, "sys_epoll_create1"),
    (330, "sys_dup3"),
    (331, "sys_pipe2"),
    (332, "sys_inotify_init1"),
    (333, "compat_sys_preadv"),
    (334, "compat_sys_pwritev"),
    (335, "compat_sys_rt_tgsigqueueinfo"),
    (336, "sys_perf_event_open"),
    (338, "sys_fanotify_init"),
    (339, "compat_sys_fanotify_mark"),
    (340, "sys_prlimit64"),
    (341, "sys_name_to_handle_at"),
    (342, "compat_sys_open_by_handle_at"),
    (344, "sys_syncfs"),
    (345, "compat_sys_sendmmsg"),
    (346, "sys_setns"),
    (347, "sys_process_vm_readv"),
    (348, "sys_process_vm_writev"),
    (349, "sys_kcmp"),
    (350, "sys_finit_module"),
    (351, "sys_sched_setattr"),
    (352, "sys_sched_getattr"),
    (353, "sys_renameat2"),
    (354, "sys_seccomp"),
    (355, "sys_getrandom"),
    (356, "sys_memfd_create"),
    (357, "sys_bpf"),
    (358, "compat_sys_execveat"),
    (359, "sys_socket"),
    (360, "sys_socketpair"),
    (361, "sys_bind"),
    (362, "sys_connect"),
    (363, "sys_listen"),
    (364, "sys_accept4"),
    (365, "sys_getsockopt"),
    (366, "sys_setsockopt"),
    (367, "sys_getsockname"),
    (368, "sys_getpeername"),
    (369, "sys_sendto"),
    (370, "compat_sys_sendmsg"),
    (371, "compat_sys_recvfrom"),
    (372, "compat_sys_recvmsg"),
    (373, "sys_shutdown"),
    (374, "sys_userfaultfd"),
    (375, "sys_membarrier"),
    (376, "sys_mlock2"),
    (377, "sys_copy_file_range"),
    (378, "compat_sys_preadv2"),
    (379, "compat_sys_pwritev2"),
    (380, "sys_pkey_mprotect"),
    (381, "sys_pkey_alloc"),
    (382, "sys_pkey_free"),
    (383, "sys_statx"),
    (384, "sys_arch_prctl"),
    (386, "sys_rseq"),
    (393, "sys_semget"),
    (394, "compat_sys_semctl"),
    (395, "sys_shmget"),
    (396, "compat_sys_shmctl"),
    (397, "compat_sys_shmat"),
    (398, "sys_shmdt"),
    (399, "sys_msgget"),
    (400, "compat_sys_msgsnd"),
    (401, "compat_sys_msgrcv"),
    (402, "compat_sys_msgctl"),
    (403, "sys_clock_gettime"),
    (404, "sys_clock_settime"),
    (405, "sys_clock_adjtime"),
    (406, "sys_clock_getres"),
    (407, "sys_clock_nanosleep"),
    (408, "sys_timer_gettime"),
    (409, "sys_timer_settime"),
    (410, "sys_timerfd_gettime"),
    (411, "sys_timerfd_settime"),
    (412, "sys_utimensat"),
    (413, "compat_sys_pselect6_time64"),
    (414, "compat_sys_ppoll_time64"),
    (416, "compat_sys_io_pgetevents_time64"),
    (417, "compat_sys_recvmmsg_time64"),
    (418, "sys_mq_timedsend"),
    (419, "sys_mq_timedreceive"),
    (420, "sys_semtimedop"),
    (421, "compat_sys_rt_sigtimedwait_time64"),
    (422, "sys_futex"),
    (423, "sys_sched_rr_get_interval"),
    (424, "sys_pidfd_send_signal"),
    (425, "sys_io_uring_setup"),
    (426, "sys_io_uring_enter"),
    (427, "sys_io_uring_register"),
    (428, "sys_open_tree"),
    (429, "sys_move_mount"),
    (430, "sys_fsopen"),
    (431, "sys_fsconfig"),
    (432, "sys_fsmount"),
    (433, "sys_fspick"),
    (434, "sys_pidfd_open"),
    (435, "sys_clone3"),
    (436, "sys_close_range"),
    (437, "sys_openat2"),
    (438, "sys_pidfd_getfd"),
    (439, "sys_faccessat2"),
    (440, "sys_process_madvise"),
    (441, "compat_sys_epoll_pwait2"),
    (442, "sys_mount_setattr"),
    (443, "sys_quotactl_fd"),
    (444, "sys_landlock_create_ruleset"),
    (445, "sys_landlock_add_rule"),
    (446, "sys_landlock_restrict_self"),
    (447, "sys_memfd_secret"),
    (448, "sys_process_mrelease"),
    (449, "sys_futex_waitv"),
    (450, "sys_set_mempolicy_home_node"),
    (451, "sys_cachestat"),
    (452, "sys_fchmodat2"),
    (453, "sys_map_shadow_stack"),
    (454, "sys_futex_wake"),
    (455, "sys_futex_wait"),
    (456, "sys_futex_requeue"),
    (457, "sys_statmount"),
    (458, "sys_listmount"),
    (459, "sys_lsm_get_self_attr"),
    (460, "sys_lsm_set_self_attr"),
    (461, "sys_lsm_list_modules"),
    (462, "sys_mseal"),
    (463, "sys_setxattrat"),
    (464, "sys_getxattrat"),
    (465, "sys_listxattrat"),
    (466, "sys_removexattrat"),
    (467, "sys_open_tree_attr"),
    (468, "sys_file_getattr"),
    (469, "sys_file_setattr"),
    (470, "sys_listns"),
    (472, "sys_fchroot"),
];

// Written by hand from here on: scripts/gen-syscalls.py keeps it.

/// i386's ipc (row 117 of its table): one syscall for System V IPC, the
/// call's number in the low 16 bits of its first argument (a version in
/// the high 16) and the call's arguments in the others (`first`, `second`,
/// `third`, `ptr`, `fifth`), for semctl and version 0 of msgrcv partly in
/// user memory at `ptr`. It has no twin; each call is an x86-64 syscall
/// (`ipc`).
pub const IA32_IPC: usize = 117;

/// ipc's entry function (`__ia32_` and this).
pub const IA32_IPC_ENTRY: &str = "compat_sys_ipc";

// ipc's calls (linux/ipc.h).
const IPC_SEMOP: u32 = 1;
const IPC_SEMGET: u32 = 2;
const IPC_SEMCTL: u32 = 3;
const IPC_SEMTIMEDOP: u32 = 4;
const IPC_MSGSND: u32 = 11;
const IPC_MSGRCV: u32 = 12;
const IPC_MSGGET: u32 = 13;
const IPC_MSGCTL: u32 = 14;
const IPC_SHMAT: u32 = 21;
const IPC_SHMDT: u32 = 22;
const IPC_SHMGET: u32 = 23;
const IPC_SHMCTL: u32 = 24;

/// By ipc call: the x86-64 syscall it is.
const IPCS: [(u32, u32); 12] = [
    (IPC_SEMOP, 65),
    (IPC_SEMGET, 64),
    (IPC_SEMCTL, 66),
    (IPC_SEMTIMEDOP, 220),
    (IPC_MSGSND, 69),
    (IPC_MSGRCV, 70),
    (IPC_MSGGET, 68),
    (IPC_MSGCTL, 71),
    (IPC_SHMAT, 30),
    (IPC_SHMDT, 67),
    (IPC_SHMGET, 29),
    (IPC_SHMCTL, 31),
];

/// The call of ipc's first argument: its low 16 bits, without the version.
const fn ipc_call(first: u32) -> u32 {
    first & 0xffff
}

/// The x86-64 syscall that ipc's `call` (its first argument, version
/// included) is.
pub const fn ipc(call: u32) -> Option<u32> {
    let mut i = 0;
    while i < IPCS.len() {
        if IPCS[i].0 == ipc_call(call) {
            return Some(IPCS[i].1);
        }
        i += 1;
    }
    None
}

/// The x86-64 syscalls that ipc's calls are.
pub fn ipcs() -> impl Iterator<Item = u32> {
    IPCS.iter().map(|&(_, nr)| nr)
}

/// ipc's version 0 of msgrcv takes the buffer and the type from a
/// structure at `ptr` (`compat_ipc_kludge`).
const fn ipc_msgrcv_kludge(call: u32) -> bool {
    ipc_call(call) == IPC_MSGRCV && call >> 16 == 0
}

/// The arguments of ipc's call, as its x86-64 syscall takes them: from the
/// registers (`regs`: call, first, second, third, ptr, fifth) and, where
/// the call takes some from memory (`ia32_args_in_memory`), from the words
/// read there (`words`).
fn ipc_args(regs: [u32; 6], words: [u32; 6]) -> [u64; 6] {
    let [call, first, second, third, ptr, fifth] = regs.map(u64::from);
    // A `long` of the 32-bit ABI (msgrcv's type).
    let long = |word: u32| word as i32 as i64 as u64;
    match ipc_call(regs[0]) {
        IPC_SEMOP | IPC_SHMAT => [first, ptr, second, 0, 0, 0],
        IPC_SEMTIMEDOP => [first, ptr, second, fifth, 0, 0],
        IPC_SEMGET | IPC_SHMGET => [first, second, third, 0, 0, 0],
        // The fourth (the `semun` union's value) from memory.
        IPC_SEMCTL => [first, second, third, words[0].into(), 0, 0],
        IPC_MSGSND => [first, ptr, second, third, 0, 0],
        IPC_MSGRCV if ipc_msgrcv_kludge(regs[0]) => [first, words[0].into(), second, long(words[1]), third, 0],
        IPC_MSGRCV => [first, ptr, second, long(regs[5]), third, 0],
        IPC_MSGGET => [first, second, 0, 0, 0, 0],
        IPC_MSGCTL | IPC_SHMCTL => [first, second, ptr, 0, 0, 0],
        IPC_SHMDT => [ptr, 0, 0, 0, 0, 0],
        _ => [call, first, second, third, ptr, fifth],
    }
}

/// The arguments of i386 syscall `nr` in the order and widths of its x86-64
/// twin's, from the registers it was made with (bx, cx, dx, si, di, bp).
pub fn ia32_args(nr: usize, regs: [u32; 6]) -> [u64; 6] {
    let r = regs.map(u64::from);
    // A 64-bit value in two registers, the low half first.
    let joined = |lo: usize| r[lo] | r[lo + 1] << 32;
    match nr {
        // pread64 and pwrite64 (fd, buf, count, offset).
        180 | 181 => [r[0], r[1], r[2], joined(3), 0, 0],
        // truncate64 and ftruncate64 (path or fd, length).
        193 | 194 => [r[0], joined(1), 0, 0, 0, 0],
        // fallocate (fd, mode, offset, length).
        324 => [r[0], r[1], joined(2), joined(4), 0, 0],
        // _llseek (fd, offset high, offset low, result, whence): lseek's
        // (fd, offset, whence), the new offset written to `result` (the
        // result is 0, not the offset).
        140 => [r[0], r[1] << 32 | r[2], r[4], 0, 0, 0],
        // mmap2: the offset in 4 KiB pages, as mmap's in bytes.
        192 => [r[0], r[1], r[2], r[3], r[4], r[5] << 12],
        // umount: umount2 without flags; waitpid: wait4 without rusage.
        22 => [r[0], 0, 0, 0, 0, 0],
        7 => [r[0], r[1], r[2], 0, 0, 0],
        IA32_IPC => ipc_args(regs, [0; 6]),
        _ => r,
    }
}

/// Where i386 syscall `nr`'s arguments are when they are not all in its
/// registers (`regs`: bx, cx, dx, si, di, bp): the address of that many
/// 32-bit words in the task's memory, which `ia32_args_from_memory` puts
/// in the x86-64 twin's order. socketcall's call takes its arguments from
/// the array at cx; the old mmap (90) and select (82) from the structure
/// at bx (`mmap_arg_struct`: addr, len, prot, flags, fd, offset in bytes;
/// `sel_arg_struct`: n, inp, outp, exp, tvp); ipc's semctl its fourth
/// from the word at di, its msgrcv of version 0 the buffer and the type
/// from the two there.
pub fn ia32_args_in_memory(nr: usize, regs: [u32; 6]) -> Option<(u32, usize)> {
    match nr {
        IA32_SOCKETCALL => socketcall(regs[0]).map(|(_, words)| (regs[1], words)),
        90 => Some((regs[0], 6)),
        82 => Some((regs[0], 5)),
        IA32_IPC if ipc_call(regs[0]) == IPC_SEMCTL => Some((regs[4], 1)),
        IA32_IPC if ipc_msgrcv_kludge(regs[0]) => Some((regs[4], 2)),
        _ => None,
    }
}

/// The arguments of i386 syscall `nr`, one that `ia32_args_in_memory`
/// names a place in memory for, from its registers and the `words` read
/// there (zeros for those that could not be).
pub fn ia32_args_from_memory(nr: usize, regs: [u32; 6], words: [u32; 6]) -> [u64; 6] {
    match nr {
        IA32_IPC => ipc_args(regs, words),
        _ => words.map(u64::from),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_numbers() {
        assert_eq!(name(0), Some("read"));
        assert_eq!(name(59), Some("execve"));
        assert_eq!(number("openat"), Some(crate::nr::OPENAT));
        assert_eq!(number("openat2"), Some(crate::nr::OPENAT2));
        assert_eq!(name(400), None);
    }

    #[test]
    fn decoded_syscalls_have_the_names_the_abi_says() {
        for (nr, want) in [
            (crate::nr::EXECVE, "execve"),
            (crate::nr::CONNECT, "connect"),
            (crate::nr::RENAMEAT2, "renameat2"),
            (crate::nr::MEMFD_CREATE, "memfd_create"),
            (crate::nr::FCHMODAT2, "fchmodat2"),
            (crate::nr::CHDIR, "chdir"),
        ] {
            assert_eq!(name(nr), Some(want));
        }
    }

    #[test]
    fn i386_syscalls_are_their_x86_64_twins() {
        let twin = |nr| ia32_to_x86_64(nr).and_then(name);
        for (i386, x86_64) in [(5, "open"), (11, "execve"), (64, "getppid"), (120, "clone"), (295, "openat")] {
            assert_eq!(twin(i386), Some(x86_64));
        }
        // The 16- and 32-bit-id calls are both setuid.
        assert_eq!((twin(23), twin(213)), (Some("setuid"), Some("setuid")));
        // By another entry function: other structures, or arguments rearranged.
        for (i386, x86_64) in [(195, "stat"), (300, "newfstatat"), (221, "fcntl"), (180, "pread64"), (192, "mmap")] {
            assert_eq!(twin(i386), Some(x86_64));
        }
        // With the arguments in memory: the old mmap and select.
        assert_eq!((twin(90), twin(82), twin(142)), (Some("mmap"), Some("select"), Some("select")));
        // The old unames, on older structures: x86-64's 59 is execve.
        assert_eq!((twin(59), twin(109), twin(122)), (Some("uname"), Some("uname"), Some("uname")));
        // No twin: socketcall's and ipc's multiplexing, numbers past the table.
        for i386 in [102, 117, 511, 512, usize::MAX] {
            assert_eq!(twin(i386), None, "{i386}");
        }
    }

    #[test]
    fn i386_arguments_are_put_in_their_twins_order() {
        let regs = [1, 2, 3, 4, 5, 6];
        let high = |lo: u64| lo | (lo + 1) << 32;
        for (i386, x86_64, args) in [
            (180, "pread64", [1, 2, 3, high(4), 0, 0]),
            (181, "pwrite64", [1, 2, 3, high(4), 0, 0]),
            (193, "truncate", [1, high(2), 0, 0, 0, 0]),
            (194, "ftruncate", [1, high(2), 0, 0, 0, 0]),
            (324, "fallocate", [1, 2, high(3), high(5), 0, 0]),
            (192, "mmap", [1, 2, 3, 4, 5, 6 << 12]),
            (22, "umount2", [1, 0, 0, 0, 0, 0]),
            (140, "lseek", [1, 2 << 32 | 3, 5, 0, 0, 0]),
            (7, "wait4", [1, 2, 3, 0, 0, 0]),
            (5, "open", [1, 2, 3, 4, 5, 6]),
        ] {
            assert_eq!(ia32_to_x86_64(i386).and_then(name), Some(x86_64));
            assert_eq!(ia32_args(i386, regs), args, "{x86_64}");
        }
        // Registers are 32 bits: no sign is extended.
        assert_eq!(ia32_args(300, [(-100i32) as u32, 0, 0, 0, 0, 0])[0], 0xffff_ff9c);
    }

    #[test]
    fn x32_syscalls_are_their_x86_64_twins() {
        let twin = |nr| x32_to_x86_64(X32_SYSCALL_BIT | nr).and_then(name);
        // Shared numbers, x32's own from 512, and x86-64's own (not x32 calls).
        assert_eq!((twin(2), twin(257)), (Some("open"), Some("openat")));
        assert_eq!((twin(520), twin(545)), (Some("execve"), Some("execveat")));
        assert_eq!((twin(59), twin(13), twin(548)), (None, None, None));
        assert_eq!(x32_to_x86_64(2), None, "no x32 bit");
        assert!(x32_entries().any(|e| e == (crate::nr::EXECVE, "compat_sys_execve")));
        // An entry function x86-64's syscall has too is hooked once, as x86-64's.
        assert!(x32_entries().all(|(nr, entry)| entry != "sys_readv" && Some(entry) != self::entry(nr)));
    }

    #[test]
    fn some_i386_arguments_are_in_memory() {
        let regs = [3, 0x1000, 7, 8, 9, 10];
        assert_eq!(ia32_args_in_memory(IA32_SOCKETCALL, regs), Some((0x1000, 3)), "connect's three");
        assert_eq!(ia32_args_in_memory(IA32_SOCKETCALL, [0, 0x1000, 0, 0, 0, 0]), None, "no call 0");
        assert_eq!(ia32_args_in_memory(90, regs), Some((3, 6)));
        assert_eq!(ia32_args_in_memory(82, regs), Some((3, 5)));
        assert_eq!(ia32_args_in_memory(192, regs), None, "mmap2's are in registers");
        assert_eq!(ia32_args_from_memory(90, regs, [1, 2, 3, 4, 5, 6]), [1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn ipc_calls_are_x86_64_syscalls() {
        let twin = |call| ipc(call).and_then(name);
        for (call, x86_64) in [(1, "semop"), (3, "semctl"), (4, "semtimedop"), (12, "msgrcv"), (21, "shmat")] {
            assert_eq!(twin(call), Some(x86_64));
        }
        assert_eq!(twin(2 << 16 | 23), Some("shmget"), "a version in the high bits");
        assert_eq!((ipc(0), ipc(5), ipc(25)), (None, None, None));
        assert_eq!(ipcs().filter_map(name).count(), 12);
        // (call, first, second, third, ptr, fifth)
        let regs = |call| [call, 2, 3, 4, 0x5000, (-6i32) as u32];
        for (call, args) in [
            (1, [2, 0x5000, 3, 0, 0, 0]),
            (4, [2, 0x5000, 3, 0xffff_fffa, 0, 0]),
            (2, [2, 3, 4, 0, 0, 0]),
            (11, [2, 0x5000, 3, 4, 0, 0]),
            // msgrcv's type is a `long`: its sign extended, as the kernel does.
            (1 << 16 | 12, [2, 0x5000, 3, -6i64 as u64, 4, 0]),
            (13, [2, 3, 0, 0, 0, 0]),
            (14, [2, 3, 0x5000, 0, 0, 0]),
            (21, [2, 0x5000, 3, 0, 0, 0]),
            (22, [0x5000, 0, 0, 0, 0, 0]),
        ] {
            assert_eq!(ia32_args_in_memory(IA32_IPC, regs(call)), None, "{call:#x}");
            assert_eq!(ia32_args(IA32_IPC, regs(call)), args, "{call:#x}");
        }
        // semctl's fourth, and an old msgrcv's buffer and type, from memory.
        assert_eq!(ia32_args_in_memory(IA32_IPC, regs(3)), Some((0x5000, 1)));
        assert_eq!(ia32_args_from_memory(IA32_IPC, regs(3), [9, 0, 0, 0, 0, 0]), [2, 3, 4, 9, 0, 0]);
        assert_eq!(ia32_args_in_memory(IA32_IPC, regs(12)), Some((0x5000, 2)));
        let kludge = [0x7000, (-2i32) as u32, 0, 0, 0, 0];
        assert_eq!(ia32_args_from_memory(IA32_IPC, regs(12), kludge), [2, 0x7000, 3, -2i64 as u64, 4, 0]);
    }

    #[test]
    fn socketcalls_are_x86_64_syscalls() {
        assert_eq!(socketcall(3), Some((crate::nr::CONNECT, 3)));
        assert_eq!(socketcall(18), Some((crate::nr::ACCEPT4, 4)));
        // send is sendto without an address.
        assert_eq!(socketcall(9).map(|(nr, args)| (name(nr), args)), Some((Some("sendto"), 4)));
        assert_eq!((socketcall(0), socketcall(21)), (None, None));
        assert_eq!(socketcalls().count(), 20);
    }

    #[test]
    fn hooks_name_entry_functions() {
        assert_eq!(entry(crate::nr::OPENAT), Some("sys_openat"));
        assert_eq!(entry(number("stat").unwrap()), Some("sys_newstat"));
        assert_eq!(entry(number("uselib").unwrap()), None, "no entry function: nothing to hook");
        assert!(ia32_entries().any(|t| t == (11, crate::nr::EXECVE, "compat_sys_execve")));
        assert!(ia32_entries().any(|t| t == (5, 2, "compat_sys_open")));
        for (i, (_, _, entry)) in ia32_entries().enumerate() {
            assert!(ia32_entries().skip(i + 1).all(|(_, _, other)| other != entry), "{entry} hooked twice");
        }
        // getppid's `__ia32_` function is its `__x64_` one; getuid16's is its own.
        assert!(ia32_entries().all(|(i386, _, _)| i386 != 64));
        assert!(ia32_entries().any(|t| t == (24, 102, "sys_getuid16")));
    }
}
