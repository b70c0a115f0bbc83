//! Falco's names for numbers: flag bits (`O_RDONLY|O_CLOEXEC`), enumerations
//! (`PTRACE_ATTACH`, `SIGKILL`, `AF_INET`), the number formats of its event
//! table (octal modes, upper-case hex), errno and capability names.
//!
//! Values are the kernel's (x86-64 uapi); the text is Falco's, names in the
//! order Falco prints them, so that a rule comparing an argument as text
//! (`evt.arg.request contains PTRACE_ATTACH`, `evt.arg.mode contains
//! S_ISUID`) matches what it matches under Falco.

use std::borrow::Cow;

use compact_str::CompactString;
use shared_abi::{EXE_FROM_MEMFD, EXE_LAYER_UNKNOWN, EXE_LOWER_LAYER, EXE_UPPER_LAYER, EXE_WRITABLE};

/// How Falco spells a number. Decoding keeps the number (`Arg::Spelt`):
/// spelling costs more than the rest of decoding, the state and most rules
/// want the bits, and most events are never printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spelling {
    /// Open flags with the access mode among them: `O_TRUNC|O_CREAT|O_WRONLY`.
    OpenFlags,
    /// dup3's flags: `O_CLOEXEC`, or `O_NONE`.
    DupFlags,
    CloneFlags,
    /// Falco's `PPM_EXE_*` names without the prefix.
    ExeFlags,
    /// chmod's mode as permission bit names, lowest first (`S_IXOTH|…|S_ISUID`).
    ChmodMode,
    /// mount's flags without the `MS_` prefix (`RDONLY|NOSUID`).
    MountFlags,
    /// umount2's flags (`FORCE|DETACH`).
    UmountFlags,
    UnlinkatFlags,
    LinkatFlags,
    FchownatFlags,
    RenameFlags,
    /// openat2's `resolve` (`RESOLVE_BENEATH`).
    ResolveFlags,
    MemfdFlags,
    DeleteModuleFlags,
    FinitModuleFlags,
    /// `AF_INET`; `AF_LOCAL|AF_UNIX` where names share the value.
    Family,
    /// `PTRACE_ATTACH`, `PTRACE_UNKNOWN` when unnamed.
    PtraceRequest,
    /// `F_DUPFD`, `UNKNOWN` when unnamed.
    FcntlCommand,
    Signal,
    BpfCommand,
    PrctlOption,
    /// A user id that a rule field reads as the user's name (set*uid's
    /// arguments); the number elsewhere.
    Uid,
    /// A group id, likewise.
    Gid,
    /// Osprey's `0x`-prefixed hex, for registers of syscalls without a table.
    Hex,
    /// Falco's hex: upper-case digits, no prefix.
    FalcoHex,
    /// The permission bits in octal with a leading 0 (`0` when none).
    Mode,
}

/// A table of names and the values they name.
type Table = &'static [(u64, &'static str)];

/// How a table's names apply to a number.
enum Names {
    /// Each name whose bits are all set, in table order.
    Bits(Table),
    /// Each name equal to the value (aliases print together); `unknown`
    /// when none is.
    Exact(Table, Option<&'static str>),
}

impl Spelling {
    /// The text: the names, or the number when none applies (in decimal,
    /// as Falco prints an unnamed flag set or enumeration).
    pub fn spell(self, n: u64) -> CompactString {
        self.name(n).unwrap_or_else(|| radix("", n, 10))
    }

    /// The spelling, `None` where Falco prints the bare number (written to
    /// JSON as one).
    pub fn name(self, n: u64) -> Option<CompactString> {
        let text = match self {
            Spelling::OpenFlags => {
                let access = ACCESS_MODES.get((n & 3) as usize).map_or("O_RDWR", |(_, name)| *name);
                join(bits(n, OPEN_FLAGS_BEFORE_ACCESS).chain([access]).chain(bits(n, OPEN_FLAGS_AFTER_ACCESS)))
            }
            Spelling::DupFlags if n == 0 => "O_NONE".into(),
            Spelling::MountFlags if n & MS_MGC_MSK == MS_MGC_VAL => return Spelling::MountFlags.name(n & !MS_MGC_MSK),
            Spelling::Hex => radix("0x", n, 16),
            Spelling::FalcoHex => radix("", n, 16).to_ascii_uppercase(),
            Spelling::Mode => match n & 0o7777 {
                0 => "0".into(),
                m => radix("0", m, 8),
            },
            _ => match self.names() {
                Some(Names::Bits(table)) => join(bits(n, table)),
                Some(Names::Exact(table, unknown)) => {
                    let named = join(table.iter().filter(|(v, _)| *v == n).map(|(_, name)| *name));
                    match unknown {
                        Some(unknown) if named.is_empty() => unknown.into(),
                        _ => named,
                    }
                }
                None => return None,
            },
        };
        (!text.is_empty()).then_some(text)
    }

    /// The names behind the spellings that are a table lookup.
    fn names(self) -> Option<Names> {
        use Names::*;
        Some(match self {
            Spelling::DupFlags => Bits(&[(0o2000000, "O_CLOEXEC")]),
            Spelling::CloneFlags => Bits(CLONE_FLAGS),
            Spelling::ExeFlags => Bits(EXE_FLAGS),
            Spelling::ChmodMode => Bits(CHMOD_MODE),
            Spelling::MountFlags => Bits(MOUNT_FLAGS),
            Spelling::UmountFlags => Bits(&[(1, "FORCE"), (2, "DETACH"), (4, "EXPIRE"), (8, "NOFOLLOW")]),
            Spelling::UnlinkatFlags => Bits(&[(0x200, "AT_REMOVEDIR")]),
            Spelling::LinkatFlags => Bits(&[(0x400, "AT_SYMLINK_FOLLOW"), (0x1000, "AT_EMPTY_PATH")]),
            Spelling::FchownatFlags => Bits(&[(0x100, "AT_SYMLINK_NOFOLLOW"), (0x1000, "AT_EMPTY_PATH")]),
            Spelling::RenameFlags => Bits(&[(1, "RENAME_NOREPLACE"), (2, "RENAME_EXCHANGE"), (4, "RENAME_WHITEOUT")]),
            Spelling::ResolveFlags => Bits(RESOLVE_FLAGS),
            Spelling::MemfdFlags => Bits(&[(1, "MFD_CLOEXEC"), (2, "MFD_ALLOW_SEALING"), (4, "MFD_HUGETLB")]),
            Spelling::DeleteModuleFlags => Bits(&[(0o4000, "O_NONBLOCK"), (0o1000, "O_TRUNC")]),
            Spelling::FinitModuleFlags => Bits(&[
                (1, "MODULE_INIT_IGNORE_MODVERSIONS"),
                (2, "MODULE_INIT_IGNORE_VERMAGIC"),
                (4, "MODULE_INIT_COMPRESSED_FILE"),
            ]),
            Spelling::Family => Exact(FAMILIES, None),
            Spelling::PtraceRequest => Exact(PTRACE_REQUESTS, Some("PTRACE_UNKNOWN")),
            Spelling::FcntlCommand => Exact(FCNTL_COMMANDS, Some("UNKNOWN")),
            Spelling::Signal => Exact(SIGNALS, None),
            Spelling::BpfCommand => Exact(BPF_COMMANDS, None),
            Spelling::PrctlOption => Exact(PRCTL_OPTIONS, None),
            Spelling::OpenFlags
            | Spelling::Uid
            | Spelling::Gid
            | Spelling::Hex
            | Spelling::FalcoHex
            | Spelling::Mode => return None,
        })
    }

    /// The number back from its spelling (a JSON capture), `None` when the
    /// text is not one. A name that stands for unnamed values
    /// (`PTRACE_UNKNOWN`) does not read back.
    pub fn read(self, text: &str) -> Option<u64> {
        let names = |tables: &[Table]| {
            text.split('|').filter(|name| !name.is_empty()).try_fold(0, |bits, name| {
                tables.iter().copied().flatten().find(|(_, n)| *n == name).map(|(bit, _)| bits | bit)
            })
        };
        match self {
            Spelling::OpenFlags => {
                names(&[ACCESS_MODES, OPEN_FLAGS_BEFORE_ACCESS, OPEN_FLAGS_AFTER_ACCESS]).filter(|_| !text.is_empty())
            }
            Spelling::DupFlags if text == "O_NONE" => Some(0),
            Spelling::Hex => u64::from_str_radix(text.strip_prefix("0x")?, 16).ok(),
            Spelling::FalcoHex => u64::from_str_radix(text, 16).ok(),
            Spelling::Mode => u64::from_str_radix(text, 8).ok(),
            // Octal as `Mode` writes it, read too: captures of chmod written
            // before its mode was spelt as names.
            Spelling::ChmodMode if text.starts_with('0') => u64::from_str_radix(text, 8).ok(),
            Spelling::Uid | Spelling::Gid => text.parse().ok(),
            _ => match self.names()? {
                Names::Bits(table) | Names::Exact(table, _) => {
                    names(&[table]).filter(|_| !text.is_empty()).or_else(|| text.parse().ok())
                }
            },
        }
    }
}

/// The names in `table` whose bits are all set in `value`.
fn bits(value: u64, table: Table) -> impl Iterator<Item = &'static str> {
    table.iter().filter(move |(bit, _)| value & bit == *bit).map(|(_, name)| *name)
}

/// Names joined by `|`, built in place (inline up to 24 bytes).
fn join<'a>(names: impl IntoIterator<Item = &'a str>) -> CompactString {
    let mut out = CompactString::default();
    for name in names {
        if !out.is_empty() {
            out.push('|');
        }
        out.push_str(name);
    }
    out
}

/// `n` in base `base` (up to 16, lowercase digits) after `prefix`, written
/// out: the formatting machinery costs hundreds of instructions per number.
fn radix(prefix: &str, mut n: u64, base: u64) -> CompactString {
    let mut digits = [0u8; 64];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b"0123456789abcdef"[(n % base) as usize];
        n /= base;
        if n == 0 {
            break;
        }
    }
    let mut s = CompactString::from(prefix);
    // Digits are ASCII.
    s.push_str(std::str::from_utf8(&digits[at..]).unwrap_or_default());
    s
}

const ACCESS_MODES: Table = &[(0, "O_RDONLY"), (1, "O_WRONLY"), (2, "O_RDWR")];

/// The open flags Falco names, in its order around the access mode; then
/// those it does not name (spelt here too).
const OPEN_FLAGS_BEFORE_ACCESS: Table = &[
    (0o100000, "O_LARGEFILE"),
    (0o200000, "O_DIRECTORY"),
    (0o40000, "O_DIRECT"),
    (0o1000, "O_TRUNC"),
    (0o4010000, "O_SYNC"),
    (0o4000, "O_NONBLOCK"),
    (0o200, "O_EXCL"),
    (0o10000, "O_DSYNC"),
    (0o2000, "O_APPEND"),
    (0o100, "O_CREAT"),
];
const OPEN_FLAGS_AFTER_ACCESS: Table = &[
    (0o2000000, "O_CLOEXEC"),
    (0o20200000, "O_TMPFILE"),
    (0o400, "O_NOCTTY"),
    (0o20000, "O_ASYNC"),
    (0o400000, "O_NOFOLLOW"),
    (0o1000000, "O_NOATIME"),
    (0o10000000, "O_PATH"),
];

/// Clone flags in Falco's order; then those it does not name.
const CLONE_FLAGS: Table = &[
    (0x400, "CLONE_FILES"),
    (0x200, "CLONE_FS"),
    (0x80000000, "CLONE_IO"),
    (0x8000000, "CLONE_NEWIPC"),
    (0x40000000, "CLONE_NEWNET"),
    (0x20000, "CLONE_NEWNS"),
    (0x20000000, "CLONE_NEWPID"),
    (0x4000000, "CLONE_NEWUTS"),
    (0x8000, "CLONE_PARENT"),
    (0x100000, "CLONE_PARENT_SETTID"),
    (0x2000, "CLONE_PTRACE"),
    (0x800, "CLONE_SIGHAND"),
    (0x40000, "CLONE_SYSVSEM"),
    (0x10000, "CLONE_THREAD"),
    (0x800000, "CLONE_UNTRACED"),
    (0x100, "CLONE_VM"),
    (0x10000000, "CLONE_NEWUSER"),
    (0x200000, "CLONE_CHILD_CLEARTID"),
    (0x1000000, "CLONE_CHILD_SETTID"),
    (0x80000, "CLONE_SETTLS"),
    (0x4000, "CLONE_VFORK"),
    (0x2000000, "CLONE_NEWCGROUP"),
    (0x80, "CLONE_NEWTIME"),
    (0x1000, "CLONE_PIDFD"),
];

const EXE_FLAGS: Table = &[
    (EXE_WRITABLE as u64, "EXE_WRITABLE"),
    (EXE_UPPER_LAYER as u64, "EXE_UPPER_LAYER"),
    (EXE_FROM_MEMFD as u64, "EXE_FROM_MEMFD"),
    (EXE_LOWER_LAYER as u64, "EXE_LOWER_LAYER"),
    (EXE_LAYER_UNKNOWN as u64, "EXE_LAYER_UNKNOWN"),
];

const CHMOD_MODE: Table = &[
    (0o1, "S_IXOTH"),
    (0o2, "S_IWOTH"),
    (0o4, "S_IROTH"),
    (0o10, "S_IXGRP"),
    (0o20, "S_IWGRP"),
    (0o40, "S_IRGRP"),
    (0o100, "S_IXUSR"),
    (0o200, "S_IWUSR"),
    (0o400, "S_IRUSR"),
    (0o1000, "S_ISVTX"),
    (0o2000, "S_ISGID"),
    (0o4000, "S_ISUID"),
];

/// mount's old magic number in the flags' upper half, which carries no flag.
const MS_MGC_MSK: u64 = 0xffff_0000;
const MS_MGC_VAL: u64 = 0xc0ed_0000;

const MOUNT_FLAGS: Table = &[
    (1, "RDONLY"),
    (2, "NOSUID"),
    (4, "NODEV"),
    (8, "NOEXEC"),
    (16, "SYNCHRONOUS"),
    (32, "REMOUNT"),
    (64, "MANDLOCK"),
    (128, "DIRSYNC"),
    (1 << 10, "NOATIME"),
    (1 << 11, "NODIRATIME"),
    (1 << 12, "BIND"),
    (1 << 13, "MOVE"),
    (1 << 14, "REC"),
    (1 << 15, "SILENT"),
    (1 << 16, "POSIXACL"),
    (1 << 17, "UNBINDABLE"),
    (1 << 18, "PRIVATE"),
    (1 << 19, "SLAVE"),
    (1 << 20, "SHARED"),
    (1 << 21, "RELATIME"),
    (1 << 22, "KERNMOUNT"),
    (1 << 23, "I_VERSION"),
    (1 << 24, "STRICTATIME"),
    (1 << 25, "LAZYTIME"),
    (1 << 28, "NOSEC"),
    (1 << 29, "BORN"),
    (1 << 30, "ACTIVE"),
    (1 << 31, "NOUSER"),
];

const RESOLVE_FLAGS: Table = &[
    (0x08, "RESOLVE_BENEATH"),
    (0x10, "RESOLVE_IN_ROOT"),
    (0x02, "RESOLVE_NO_MAGICLINKS"),
    (0x04, "RESOLVE_NO_SYMLINKS"),
    (0x01, "RESOLVE_NO_XDEV"),
    (0x20, "RESOLVE_CACHED"),
];

/// Address families; where two names share a value both print, in this order.
const FAMILIES: Table = &[
    (0, "AF_UNSPEC"),
    (1, "AF_LOCAL"),
    (1, "AF_UNIX"),
    (2, "AF_INET"),
    (3, "AF_AX25"),
    (4, "AF_IPX"),
    (5, "AF_APPLETALK"),
    (6, "AF_NETROM"),
    (7, "AF_BRIDGE"),
    (8, "AF_ATMPVC"),
    (9, "AF_X25"),
    (10, "AF_INET6"),
    (11, "AF_ROSE"),
    (12, "AF_DECnet"),
    (13, "AF_NETBEUI"),
    (14, "AF_SECURITY"),
    (15, "AF_KEY"),
    (16, "AF_ROUTE"),
    (16, "AF_NETLINK"),
    (17, "AF_PACKET"),
    (18, "AF_ASH"),
    (19, "AF_ECONET"),
    (20, "AF_ATMSVC"),
    (21, "AF_RDS"),
    (22, "AF_SNA"),
    (23, "AF_IRDA"),
    (24, "AF_PPPOX"),
    (25, "AF_WANPIPE"),
    (26, "AF_LLC"),
    (29, "AF_CAN"),
    (30, "AF_TIPC"),
    (31, "AF_BLUETOOTH"),
    (32, "AF_IUCV"),
    (33, "AF_RXRPC"),
    (34, "AF_ISDN"),
    (35, "AF_PHONET"),
    (36, "AF_IEEE802154"),
    (37, "AF_CAIF"),
    (38, "AF_ALG"),
    (39, "AF_NFC"),
];

const PTRACE_REQUESTS: Table = &[
    (0, "PTRACE_TRACEME"),
    (1, "PTRACE_PEEKTEXT"),
    (2, "PTRACE_PEEKDATA"),
    (3, "PTRACE_PEEKUSR"),
    (4, "PTRACE_POKETEXT"),
    (5, "PTRACE_POKEDATA"),
    (6, "PTRACE_POKEUSR"),
    (7, "PTRACE_CONT"),
    (8, "PTRACE_KILL"),
    (9, "PTRACE_SINGLESTEP"),
    (12, "PTRACE_GETREGS"),
    (13, "PTRACE_SETREGS"),
    (14, "PTRACE_GETFPREGS"),
    (15, "PTRACE_SETFPREGS"),
    (16, "PTRACE_ATTACH"),
    (17, "PTRACE_DETACH"),
    (18, "PTRACE_GETFPXREGS"),
    (19, "PTRACE_SETFPXREGS"),
    (21, "PTRACE_OLDSETOPTIONS"),
    (24, "PTRACE_SYSCALL"),
    (25, "PTRACE_GET_THREAD_AREA"),
    (26, "PTRACE_SET_THREAD_AREA"),
    (30, "PTRACE_ARCH_PRCTL"),
    (31, "PTRACE_SYSEMU"),
    (32, "PTRACE_SYSEMU_SINGLESTEP"),
    (33, "PTRACE_SINGLEBLOCK"),
    (0x4200, "PTRACE_SETOPTIONS"),
    (0x4201, "PTRACE_GETEVENTMSG"),
    (0x4202, "PTRACE_GETSIGINFO"),
    (0x4203, "PTRACE_SETSIGINFO"),
    (0x4204, "PTRACE_GETREGSET"),
    (0x4205, "PTRACE_SETREGSET"),
    (0x4206, "PTRACE_SEIZE"),
    (0x4207, "PTRACE_INTERRUPT"),
    (0x4208, "PTRACE_LISTEN"),
    (0x4209, "PTRACE_PEEKSIGINFO"),
    (0x420a, "PTRACE_GETSIGMASK"),
    (0x420b, "PTRACE_SETSIGMASK"),
];

const FCNTL_COMMANDS: Table = &[
    (0, "F_DUPFD"),
    (1, "F_GETFD"),
    (2, "F_SETFD"),
    (3, "F_GETFL"),
    (4, "F_SETFL"),
    (5, "F_GETLK"),
    (6, "F_SETLK"),
    (7, "F_SETLKW"),
    (8, "F_SETOWN"),
    (9, "F_GETOWN"),
    (10, "F_SETSIG"),
    (11, "F_GETSIG"),
    (15, "F_SETOWN_EX"),
    (16, "F_GETOWN_EX"),
    (36, "F_OFD_GETLK"),
    (37, "F_OFD_SETLK"),
    (38, "F_OFD_SETLKW"),
    (1024, "F_SETLEASE"),
    (1025, "F_GETLEASE"),
    (1026, "F_NOTIFY"),
    (1029, "F_CANCELLK"),
    (1030, "F_DUPFD_CLOEXEC"),
    (1031, "F_SETPIPE_SZ"),
    (1032, "F_GETPIPE_SZ"),
];

const SIGNALS: Table = &[
    (1, "SIGHUP"),
    (2, "SIGINT"),
    (3, "SIGQUIT"),
    (4, "SIGILL"),
    (5, "SIGTRAP"),
    (6, "SIGABRT"),
    (7, "SIGBUS"),
    (8, "SIGFPE"),
    (9, "SIGKILL"),
    (10, "SIGUSR1"),
    (11, "SIGSEGV"),
    (12, "SIGUSR2"),
    (13, "SIGPIPE"),
    (14, "SIGALRM"),
    (15, "SIGTERM"),
    (16, "SIGSTKFLT"),
    (17, "SIGCHLD"),
    (18, "SIGCONT"),
    (19, "SIGSTOP"),
    (20, "SIGTSTP"),
    (21, "SIGTTIN"),
    (22, "SIGTTOU"),
    (23, "SIGURG"),
    (24, "SIGXCPU"),
    (25, "SIGXFSZ"),
    (26, "SIGVTALRM"),
    (27, "SIGPROF"),
    (28, "SIGWINCH"),
    (29, "SIGIO"),
    (30, "SIGPWR"),
    (31, "SIGSYS"),
];

/// bpf's commands; `BPF_PROG_RUN` is the newer name of `BPF_PROG_TEST_RUN`.
const BPF_COMMANDS: Table = &[
    (0, "BPF_MAP_CREATE"),
    (1, "BPF_MAP_LOOKUP_ELEM"),
    (2, "BPF_MAP_UPDATE_ELEM"),
    (3, "BPF_MAP_DELETE_ELEM"),
    (4, "BPF_MAP_GET_NEXT_KEY"),
    (5, "BPF_PROG_LOAD"),
    (6, "BPF_OBJ_PIN"),
    (7, "BPF_OBJ_GET"),
    (8, "BPF_PROG_ATTACH"),
    (9, "BPF_PROG_DETACH"),
    (10, "BPF_PROG_TEST_RUN"),
    (10, "BPF_PROG_RUN"),
    (11, "BPF_PROG_GET_NEXT_ID"),
    (12, "BPF_MAP_GET_NEXT_ID"),
    (13, "BPF_PROG_GET_FD_BY_ID"),
    (14, "BPF_MAP_GET_FD_BY_ID"),
    (15, "BPF_OBJ_GET_INFO_BY_FD"),
    (16, "BPF_PROG_QUERY"),
    (17, "BPF_RAW_TRACEPOINT_OPEN"),
    (18, "BPF_BTF_LOAD"),
    (19, "BPF_BTF_GET_FD_BY_ID"),
    (20, "BPF_TASK_FD_QUERY"),
    (21, "BPF_MAP_LOOKUP_AND_DELETE_ELEM"),
    (22, "BPF_MAP_FREEZE"),
    (23, "BPF_BTF_GET_NEXT_ID"),
    (24, "BPF_MAP_LOOKUP_BATCH"),
    (25, "BPF_MAP_LOOKUP_AND_DELETE_BATCH"),
    (26, "BPF_MAP_UPDATE_BATCH"),
    (27, "BPF_MAP_DELETE_BATCH"),
    (28, "BPF_LINK_CREATE"),
    (29, "BPF_LINK_UPDATE"),
    (30, "BPF_LINK_GET_FD_BY_ID"),
    (31, "BPF_LINK_GET_NEXT_ID"),
    (32, "BPF_ENABLE_STATS"),
    (33, "BPF_ITER_CREATE"),
    (34, "BPF_LINK_DETACH"),
    (35, "BPF_PROG_BIND_MAP"),
];

const PRCTL_OPTIONS: Table = &[
    (3, "PR_GET_DUMPABLE"),
    (4, "PR_SET_DUMPABLE"),
    (7, "PR_GET_KEEPCAPS"),
    (8, "PR_SET_KEEPCAPS"),
    (15, "PR_SET_NAME"),
    (16, "PR_GET_NAME"),
    (21, "PR_GET_SECCOMP"),
    (22, "PR_SET_SECCOMP"),
    (23, "PR_CAPBSET_READ"),
    (24, "PR_CAPBSET_DROP"),
    (27, "PR_GET_SECUREBITS"),
    (28, "PR_SET_SECUREBITS"),
    (33, "PR_MCE_KILL"),
    (35, "PR_SET_MM"),
    (36, "PR_SET_CHILD_SUBREAPER"),
    (37, "PR_GET_CHILD_SUBREAPER"),
    (38, "PR_SET_NO_NEW_PRIVS"),
    (39, "PR_GET_NO_NEW_PRIVS"),
    (40, "PR_GET_TID_ADDRESS"),
    (41, "PR_SET_THP_DISABLE"),
    (42, "PR_GET_THP_DISABLE"),
    (47, "PR_CAP_AMBIENT"),
];

const ERRNO_NAMES: &[(i64, &str)] = &[
    (1, "EPERM"),
    (2, "ENOENT"),
    (3, "ESRCH"),
    (4, "EINTR"),
    (5, "EIO"),
    (6, "ENXIO"),
    (7, "E2BIG"),
    (8, "ENOEXEC"),
    (9, "EBADF"),
    (10, "ECHILD"),
    (11, "EAGAIN"),
    (12, "ENOMEM"),
    (13, "EACCES"),
    (14, "EFAULT"),
    (15, "ENOTBLK"),
    (16, "EBUSY"),
    (17, "EEXIST"),
    (18, "EXDEV"),
    (19, "ENODEV"),
    (20, "ENOTDIR"),
    (21, "EISDIR"),
    (22, "EINVAL"),
    (23, "ENFILE"),
    (24, "EMFILE"),
    (25, "ENOTTY"),
    (26, "ETXTBSY"),
    (27, "EFBIG"),
    (28, "ENOSPC"),
    (29, "ESPIPE"),
    (30, "EROFS"),
    (31, "EMLINK"),
    (32, "EPIPE"),
    (33, "EDOM"),
    (34, "ERANGE"),
    (35, "EDEADLK"),
    (36, "ENAMETOOLONG"),
    (37, "ENOLCK"),
    (38, "ENOSYS"),
    (39, "ENOTEMPTY"),
    (40, "ELOOP"),
    (42, "ENOMSG"),
    (43, "EIDRM"),
    (44, "ECHRNG"),
    (45, "EL2NSYNC"),
    (46, "EL3HLT"),
    (47, "EL3RST"),
    (48, "ELNRNG"),
    (49, "EUNATCH"),
    (50, "ENOCSI"),
    (51, "EL2HLT"),
    (52, "EBADE"),
    (53, "EBADR"),
    (54, "EXFULL"),
    (55, "ENOANO"),
    (56, "EBADRQC"),
    (57, "EBADSLT"),
    (59, "EBFONT"),
    (60, "ENOSTR"),
    (61, "ENODATA"),
    (62, "ETIME"),
    (63, "ENOSR"),
    (64, "ENONET"),
    (65, "ENOPKG"),
    (66, "EREMOTE"),
    (67, "ENOLINK"),
    (68, "EADV"),
    (69, "ESRMNT"),
    (70, "ECOMM"),
    (71, "EPROTO"),
    (72, "EMULTIHOP"),
    (73, "EDOTDOT"),
    (74, "EBADMSG"),
    (75, "EOVERFLOW"),
    (76, "ENOTUNIQ"),
    (77, "EBADFD"),
    (78, "EREMCHG"),
    (79, "ELIBACC"),
    (80, "ELIBBAD"),
    (81, "ELIBSCN"),
    (82, "ELIBMAX"),
    (83, "ELIBEXEC"),
    (84, "EILSEQ"),
    (85, "ERESTART"),
    (86, "ESTRPIPE"),
    (87, "EUSERS"),
    (88, "ENOTSOCK"),
    (89, "EDESTADDRREQ"),
    (90, "EMSGSIZE"),
    (91, "EPROTOTYPE"),
    (92, "ENOPROTOOPT"),
    (93, "EPROTONOSUPPORT"),
    (94, "ESOCKTNOSUPPORT"),
    (95, "EOPNOTSUPP"),
    (96, "EPFNOSUPPORT"),
    (97, "EAFNOSUPPORT"),
    (98, "EADDRINUSE"),
    (99, "EADDRNOTAVAIL"),
    (100, "ENETDOWN"),
    (101, "ENETUNREACH"),
    (102, "ENETRESET"),
    (103, "ECONNABORTED"),
    (104, "ECONNRESET"),
    (105, "ENOBUFS"),
    (106, "EISCONN"),
    (107, "ENOTCONN"),
    (108, "ESHUTDOWN"),
    (109, "ETOOMANYREFS"),
    (110, "ETIMEDOUT"),
    (111, "ECONNREFUSED"),
    (112, "EHOSTDOWN"),
    (113, "EHOSTUNREACH"),
    (114, "EALREADY"),
    (115, "EINPROGRESS"),
    (116, "ESTALE"),
    (117, "EUCLEAN"),
    (118, "ENOTNAM"),
    (119, "ENAVAIL"),
    (120, "EISNAM"),
    (121, "EREMOTEIO"),
    (122, "EDQUOT"),
    (123, "ENOMEDIUM"),
    (124, "EMEDIUMTYPE"),
    (125, "ECANCELED"),
    (126, "ENOKEY"),
    (127, "EKEYEXPIRED"),
    (128, "EKEYREVOKED"),
    (129, "EKEYREJECTED"),
    (130, "EOWNERDEAD"),
    (131, "ENOTRECOVERABLE"),
    (132, "ERFKILL"),
    (133, "EHWPOISON"),
];

/// Falco's `evt.res`: SUCCESS, or the errno name of a negative return.
pub fn result_name(ret: i64) -> String {
    if ret >= 0 {
        return "SUCCESS".into();
    }
    ERRNO_NAMES.iter().find(|(n, _)| *n == -ret).map_or_else(|| ret.to_string(), |(_, name)| (*name).to_string())
}

/// Capability names by bit number (`include/uapi/linux/capability.h`).
const CAPABILITIES: [&str; 41] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

/// Falco's rendering of a capability set: names separated by spaces.
pub fn capability_names(bits: u64) -> String {
    let mut names: Vec<Cow<'static, str>> = Vec::new();
    for bit in (0..64).filter(|b| bits & (1 << b) != 0) {
        names.push(CAPABILITIES.get(bit).map_or_else(|| format!("CAP_{bit}").into(), |n| Cow::Borrowed(*n)));
    }
    names.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_render_as_the_formatter_would() {
        for n in [0u64, 1, 7, 8, 0o644, 0o7777, 255, 65535, u64::MAX] {
            assert_eq!(radix("0x", n, 16), format!("{n:#x}"));
            assert_eq!(radix("0", n, 8), format!("0{n:o}"));
            assert_eq!(radix("", n, 10), n.to_string());
            assert_eq!(Spelling::FalcoHex.spell(n), format!("{n:X}"));
        }
    }

    #[test]
    fn results_and_capabilities() {
        assert_eq!(result_name(-2), "ENOENT");
        assert_eq!(result_name(-11), "EAGAIN");
        assert_eq!(result_name(0), "SUCCESS");
        assert_eq!(capability_names(0), "");
        assert_eq!(capability_names(1 << 21 | 1 << 0 | 1 << 40), "CAP_CHOWN CAP_SYS_ADMIN CAP_CHECKPOINT_RESTORE");
    }

    /// The texts Falco's rules compare, as Falco prints them.
    #[test]
    fn names_read_as_falco_prints_them() {
        use Spelling::*;
        let cases: &[(Spelling, u64, &str)] = &[
            (OpenFlags, 0o2000000, "O_RDONLY|O_CLOEXEC"),
            (OpenFlags, 0o1101, "O_TRUNC|O_CREAT|O_WRONLY"),
            (OpenFlags, 0o4010002, "O_SYNC|O_DSYNC|O_RDWR"),
            (DupFlags, 0, "O_NONE"),
            (DupFlags, 0o2000000, "O_CLOEXEC"),
            (CloneFlags, 0x10000000, "CLONE_NEWUSER"),
            (CloneFlags, 0x10000 | 0x100 | 0x800, "CLONE_SIGHAND|CLONE_THREAD|CLONE_VM"),
            (CloneFlags, 0, "0"),
            (ChmodMode, 0o4755, "S_IXOTH|S_IROTH|S_IXGRP|S_IRGRP|S_IXUSR|S_IWUSR|S_IRUSR|S_ISUID"),
            (ChmodMode, 0o2000, "S_ISGID"),
            (ChmodMode, 0, "0"),
            (MountFlags, 0xc0ed_0000 | 1 | 2, "RDONLY|NOSUID"),
            (MountFlags, 1 << 12 | 1 << 14, "BIND|REC"),
            (UmountFlags, 2, "DETACH"),
            (UnlinkatFlags, 0x200, "AT_REMOVEDIR"),
            (UnlinkatFlags, 0, "0"),
            (ResolveFlags, 0x08 | 0x01, "RESOLVE_BENEATH|RESOLVE_NO_XDEV"),
            (Family, 2, "AF_INET"),
            (Family, 1, "AF_LOCAL|AF_UNIX"),
            (Family, 17, "AF_PACKET"),
            (Family, 45, "45"),
            (PtraceRequest, 16, "PTRACE_ATTACH"),
            (PtraceRequest, 0x4206, "PTRACE_SEIZE"),
            (PtraceRequest, 0x420e, "PTRACE_UNKNOWN"),
            (FcntlCommand, 1030, "F_DUPFD_CLOEXEC"),
            (FcntlCommand, 99, "UNKNOWN"),
            (Signal, 9, "SIGKILL"),
            (Signal, 40, "40"),
            (BpfCommand, 5, "BPF_PROG_LOAD"),
            (BpfCommand, 10, "BPF_PROG_TEST_RUN|BPF_PROG_RUN"),
            (PrctlOption, 15, "PR_SET_NAME"),
            (MemfdFlags, 1 | 2, "MFD_CLOEXEC|MFD_ALLOW_SEALING"),
            (FinitModuleFlags, 2, "MODULE_INIT_IGNORE_VERMAGIC"),
            (DeleteModuleFlags, 0o4000 | 0o1000, "O_NONBLOCK|O_TRUNC"),
            (FalcoHex, 0o755, "1ED"),
            (Mode, 0o644, "0644"),
            (Mode, 0, "0"),
        ];
        for (spelling, n, text) in cases {
            assert_eq!(spelling.spell(*n), *text, "{spelling:?} {n:#x}");
        }
    }

    #[test]
    fn spellings_read_back() {
        use Spelling::*;
        let cases = [
            (OpenFlags, 0o2101),
            (OpenFlags, 0),
            (DupFlags, 0),
            (DupFlags, 0o2000000),
            (CloneFlags, 0x10000 | 0x100),
            (CloneFlags, 0),
            (ExeFlags, (EXE_WRITABLE | EXE_UPPER_LAYER).into()),
            (ChmodMode, 0o4755),
            (ChmodMode, 0),
            (MountFlags, 1 << 12 | 1 << 14),
            (Hex, 0x1ff_ffff_ffff),
            (FalcoHex, 0x1ff_ffff_ffff),
            (Mode, 0o755),
            (Mode, 0),
            (Family, 10),
            (Family, 1),
            (Family, 45),
            (PtraceRequest, 16),
            (FcntlCommand, 3),
            (Signal, 15),
            (BpfCommand, 10),
            (PrctlOption, 38),
        ];
        for (spelling, n) in cases {
            assert_eq!(spelling.read(&spelling.spell(n)), Some(n), "{spelling:?} {n:#o} {}", spelling.spell(n));
        }
        assert_eq!(OpenFlags.read("O_RDONLY|O_BOGUS"), None);
        assert_eq!(Hex.read("12"), None);
        assert_eq!(PtraceRequest.read("PTRACE_UNKNOWN"), None);
        assert_eq!(ChmodMode.read("04755"), Some(0o4755));
    }
}
