//! x86-64 system call names by number, as in the kernel's `syscall_64.tbl`
//! (common and 64-bit entries).

/// Name of syscall `nr`, if it has one.
pub fn name(nr: u32) -> Option<&'static str> {
    NAMES.get(nr as usize).copied().flatten()
}

/// Number of the syscall called `name`.
pub fn number(name: &str) -> Option<u32> {
    NAMES
        .iter()
        .position(|n| *n == Some(name))
        .map(|nr| nr as u32)
}

/// Every named syscall as (number, name).
pub fn all() -> impl Iterator<Item = (u32, &'static str)> {
    NAMES
        .iter()
        .enumerate()
        .filter_map(|(nr, n)| n.map(|n| (nr as u32, n)))
}

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
}
