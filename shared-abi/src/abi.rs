// The wire contract between the Osprey kernel module and its consumer.
//
// This file is compiled twice: as the `shared_abi` crate (consumer side) and,
// through a `#[path]` module in `kmod/osprey.rs`, inside the kernel module.
// It therefore holds no crate-level attributes and uses nothing beyond `core`.
//
// Layout of one CPU's ring as mapped by the consumer:
//
//   page 0          RingHeader   (read-only: written by the producer only)
//   pages 1..=N     data         (read-only: records, 8-byte aligned)
//
// plus, at mmap offset 0, the consumer area: one cache line per CPU holding the
// consumer's read position. That area is the only memory the consumer may write.
// A record never wraps: when it would not fit before the end of the data area,
// the producer writes a `PAD` record to the end and continues at offset 0.

/// Bumped on any change to a layout, constant or ioctl below.
pub const ABI_VERSION: u32 = 8;

/// Name of the misc device, under `/dev`.
pub const DEVICE_NAME: &str = "osprey";

pub const PAGE_SIZE: usize = 4096;

/// `RingHeader::magic`: "OSPR".
pub const RING_MAGIC: u32 = 0x5250_534f;

/// Process names are copied like the kernel's `TASK_COMM_LEN`.
pub const COMM_LEN: usize = 16;

/// System call numbers the interest bitmap covers (x86-64 uses < 470).
pub const MAX_SYSCALLS: usize = 512;
pub const INTEREST_WORDS: usize = MAX_SYSCALLS / 64;

/// Every record starts at, and has a size that is a multiple of, this.
pub const RECORD_ALIGN: usize = 8;

/// Size of one consumer-area slot: a cache line, so CPUs do not share one.
pub const CONSUMER_SLOT_SIZE: usize = 64;

/// Most inline buffers one syscall record carries (rename: two paths; execve:
/// exe, argv, cwd, exec facts, environment).
pub const MAX_BLOBS: usize = 5;

/// Capacity of one inline buffer; longer data is cut and flagged `TRUNCATED`.
pub const PATH_CAP: usize = 1024;
pub const ARGS_CAP: usize = 2048;
pub const SOCKADDR_CAP: usize = 128;

/// An upper bound of the largest record the producer can write (a syscall
/// record with every buffer argument-list-sized).
pub const MAX_RECORD_SIZE: usize = size_of::<SyscallRecord>() + MAX_BLOBS * ARGS_CAP;

/// Fewest data pages a ring may have (`ring_pages`): a power of two holding
/// two of the largest records, so that one always fits after the padding a
/// record that would cross the ring's end leaves.
pub const MIN_RING_PAGES: u32 = (2 * MAX_RECORD_SIZE).div_ceil(PAGE_SIZE).next_power_of_two() as u32;

/// Most bytes of ring data the module allocates over all CPUs.
pub const MAX_RING_BYTES: u64 = 1 << 30;

/// What a record is.
#[repr(u16)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordKind {
    /// Filler to the end of the data area; skip it and continue at offset 0.
    Pad = 0,
    SyscallEnter = 1,
    SyscallExit = 2,
    ProcessExit = 3,
}

impl RecordKind {
    pub const fn from_raw(raw: u16) -> Option<Self> {
        match raw {
            0 => Some(Self::Pad),
            1 => Some(Self::SyscallEnter),
            2 => Some(Self::SyscallExit),
            3 => Some(Self::ProcessExit),
            _ => None,
        }
    }
}

/// Common prefix of every record: who did what, where and when.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RecordHeader {
    /// Total size in bytes, header and inline buffers included, multiple of 8.
    pub size: u32,
    /// A `RecordKind`.
    pub kind: u16,
    pub cpu: u16,
    /// Boot-clock time (`CLOCK_BOOTTIME`, ns): never steps, so records of
    /// all CPUs merge in the order they happened. The consumer adds the wall
    /// clock's offset from it.
    pub ts_ns: u64,
    pub tid: u32,
    pub pid: u32,
    pub ppid: u32,
    pub uid: u32,
    pub gid: u32,
    /// Login uid (`u32::MAX` when unset), as audit sees it.
    pub loginuid: u32,
    /// Id of the task's cgroup v2 (the inode number of its directory).
    pub cgroup_id: u64,
    /// NUL-padded task name.
    pub comm: [u8; COMM_LEN],
    /// Thread and process ids as the task's own pid namespace numbers them
    /// (a container's init is 1).
    pub vtid: u32,
    pub vpid: u32,
}

/// What an inline buffer holds.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlobKind {
    /// A NUL-free string copied from a user pointer argument (a path, a name).
    Str = 1,
    /// NUL-separated strings (an argument vector).
    Args = 2,
    /// A socket address (`struct sockaddr_*`): after a successful connect
    /// or accept the peer's as the kernel holds it, else as the caller
    /// passed it (bind, a failed connect: user memory).
    Sockaddr = 3,
    /// The executable's path, resolved by the kernel after a successful exec.
    Exe = 4,
    /// The working directory, resolved by the kernel.
    Cwd = 5,
    /// Two `i32` file descriptors written by the syscall (pipe, socketpair).
    FdPair = 6,
    /// A fixed-size structure copied from a user pointer (openat2's `open_how`).
    Struct = 7,
    /// An `ExecFacts`: what the kernel knows of the new image after exec.
    ExecFacts = 8,
    /// NUL-separated `NAME=value` strings: the new image's environment.
    Env = 9,
    /// After a successful open: the path of the file it returned, as the
    /// kernel resolved it (the descriptor's file, from the task's root),
    /// never read again from user memory that another thread may rewrite.
    OpenedPath = 10,
}

impl BlobKind {
    pub const fn from_raw(raw: u8) -> Option<Self> {
        match raw {
            1 => Some(Self::Str),
            2 => Some(Self::Args),
            3 => Some(Self::Sockaddr),
            4 => Some(Self::Exe),
            5 => Some(Self::Cwd),
            6 => Some(Self::FdPair),
            7 => Some(Self::Struct),
            8 => Some(Self::ExecFacts),
            9 => Some(Self::Env),
            10 => Some(Self::OpenedPath),
            _ => None,
        }
    }
}

/// `BlobDesc::flags`: the data was longer than the buffer and was cut.
pub const BLOB_TRUNCATED: u8 = 1 << 0;
/// `BlobDesc::flags`: the user pointer faulted; `len` bytes were read before.
pub const BLOB_FAULT: u8 = 1 << 1;

/// Where one inline buffer of a syscall record is.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BlobDesc {
    /// Offset from the start of the record.
    pub offset: u16,
    pub len: u16,
    /// Index of the syscall argument it was read from (0-5).
    pub arg: u8,
    /// A `BlobKind`; 0 for an unused slot.
    pub kind: u8,
    pub flags: u8,
    pub _reserved: u8,
}

/// `SyscallRecord::flags`: the syscall, of any table, was made by a 32-bit
/// program (`TIF_ADDR32`).
pub const SYSCALL_FROM_32BIT_PROGRAM: u8 = 1;

/// The syscall table a task made a syscall through (`SyscallRecord::table`).
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyscallTable {
    X86_64 = 0,
    /// A 32-bit process's, or `int $0x80`.
    I386 = 1,
    /// x86-64's registers and 32-bit pointers.
    X32 = 2,
}

impl SyscallTable {
    pub const fn from_raw(raw: u8) -> Option<Self> {
        match raw {
            0 => Some(Self::X86_64),
            1 => Some(Self::I386),
            2 => Some(Self::X32),
            _ => None,
        }
    }

    pub const fn name(self) -> &'static str {
        match self {
            Self::X86_64 => "x86_64",
            Self::I386 => "i386",
            Self::X32 => "x32",
        }
    }

    /// The table `name` names.
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::X86_64, Self::I386, Self::X32].into_iter().find(|t| t.name() == name)
    }
}

/// A system call, at entry (arguments only) or at exit (arguments, return
/// value and decoded user memory). Inline buffers follow the fixed part.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SyscallRecord {
    pub hdr: RecordHeader,
    /// System call number (x86-64).
    pub nr: u32,
    /// Used entries of `blobs`.
    pub nblobs: u16,
    /// The `SyscallTable` the task made it through; `nr` and `args` are the
    /// x86-64 syscall's whichever.
    pub table: u8,
    /// `SYSCALL_*` flags.
    pub flags: u8,
    /// Return value (0 in enter records).
    pub ret: i64,
    /// Raw argument registers.
    pub args: [u64; 6],
    pub blobs: [BlobDesc; MAX_BLOBS],
}

/// `ExecFacts::flags`: the task's credentials may write the executable.
pub const EXE_WRITABLE: u32 = 1 << 0;
/// `ExecFacts::flags`: the executable is on overlayfs, in its upper
/// (container-writable) layer: created or modified after the image was built.
pub const EXE_UPPER_LAYER: u32 = 1 << 1;
/// `ExecFacts::flags`: the executable is on overlayfs, in a lower layer only.
pub const EXE_LOWER_LAYER: u32 = 1 << 2;
/// `ExecFacts::flags`: the executable is an unlinked `memfd_create` file.
pub const EXE_FROM_MEMFD: u32 = 1 << 3;
/// `ExecFacts::flags`: the module could not tell the overlayfs layer (built
/// against a tree without overlayfs's private header).
pub const EXE_LAYER_UNKNOWN: u32 = 1 << 4;

/// After a successful exec: the task's capabilities and its new executable's
/// inode, which userspace cannot reconstruct reliably afterwards.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExecFacts {
    pub cap_inheritable: u64,
    pub cap_permitted: u64,
    pub cap_effective: u64,
    pub exe_ino: u64,
    /// Inode change and modification times, ns since the Unix epoch.
    pub exe_ctime_ns: u64,
    pub exe_mtime_ns: u64,
    /// `EXE_*` bits.
    pub flags: u32,
    pub _reserved: u32,
}

/// A process (thread group leader or thread) ended.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProcessExitRecord {
    pub hdr: RecordHeader,
    /// `task->exit_code`: status << 8, or the terminating signal.
    pub exit_code: i32,
    /// Non-zero when the whole thread group is gone.
    pub group_dead: u32,
}

/// Page 0 of each CPU's ring. The producer alone writes it.
#[repr(C)]
#[derive(Debug)]
pub struct RingHeader {
    pub magic: u32,
    pub abi_version: u32,
    pub cpu: u32,
    pub _reserved: u32,
    /// Size of the data area in bytes (a power of two times the page size).
    pub data_size: u64,
    /// Bytes ever written; data offset is `head % data_size`. Published with
    /// release ordering after the record is complete.
    pub head: u64,
}

/// Event counters (of one CPU, or of all): `seen = delivered + filtered +
/// dropped` for events seen while capture was on. The module keeps them in
/// per-CPU memory, not in the mapped ring header: a filtered event then costs
/// one unlocked increment (`IOCTL_GET_RING_STATS` reads one CPU's).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RingStats {
    /// Events the probes saw while capture was on.
    pub seen: u64,
    /// Events written to the ring.
    pub delivered: u64,
    /// Events not of interest or rejected by an in-kernel predicate, never
    /// written.
    pub filtered: u64,
    /// Events lost because the ring was full.
    pub dropped: u64,
    /// Delivered records with at least one inline buffer not recorded whole:
    /// cut at its capacity (`BLOB_TRUNCATED`) or unreadable (`BLOB_FAULT`).
    pub truncated: u64,
}

impl RingStats {
    fn zip(self, other: Self, op: fn(u64, u64) -> u64) -> Self {
        Self {
            seen: op(self.seen, other.seen),
            delivered: op(self.delivered, other.delivered),
            filtered: op(self.filtered, other.filtered),
            dropped: op(self.dropped, other.dropped),
            truncated: op(self.truncated, other.truncated),
        }
    }
}

/// Totals over CPUs.
impl core::ops::Add for RingStats {
    type Output = Self;
    fn add(self, other: Self) -> Self {
        self.zip(other, u64::wrapping_add)
    }
}

/// What happened between two readings of the same counters.
impl core::ops::Sub for RingStats {
    type Output = Self;
    fn sub(self, earlier: Self) -> Self {
        self.zip(earlier, u64::wrapping_sub)
    }
}

/// Answer of `IOCTL_GET_INFO`: what the consumer needs to map the rings.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeviceInfo {
    pub abi_version: u32,
    /// Number of rings (`nr_cpu_ids`); ring `i` belongs to CPU `i`.
    pub nr_rings: u32,
    /// Data bytes per ring.
    pub data_size: u64,
    /// Pages of the consumer area at mmap offset 0.
    pub consumer_area_pages: u32,
    pub page_size: u32,
    pub max_syscalls: u32,
    pub _reserved: u32,
}

impl DeviceInfo {
    /// mmap offset (bytes) of CPU `cpu`'s ring: header page then data.
    pub const fn ring_offset(&self, cpu: u32) -> u64 {
        let ring_pages = 1 + self.data_size / PAGE_SIZE as u64;
        (self.consumer_area_pages as u64 + cpu as u64 * ring_pages) * PAGE_SIZE as u64
    }

    /// Length of one ring's mapping.
    pub const fn ring_len(&self) -> u64 {
        PAGE_SIZE as u64 + self.data_size
    }
}

/// Pages of the consumer area for `nr_rings` rings.
pub const fn consumer_area_pages(nr_rings: u32) -> u32 {
    let bytes = nr_rings as usize * CONSUMER_SLOT_SIZE;
    bytes.div_ceil(PAGE_SIZE) as u32
}

/// `Interest::flags`: deliver process-exit records.
pub const INTEREST_PROCEXIT: u64 = 1 << 0;
/// `Interest::flags`: successful exec exits carry the new environment (only
/// when a rule reads it: it costs a copy of up to `ARGS_CAP` bytes per exec).
pub const INTEREST_EXEC_ENV: u64 = 1 << 1;
/// Every valid `Interest::flags` bit.
pub const INTEREST_FLAGS: u64 = INTEREST_PROCEXIT | INTEREST_EXEC_ENV;

/// `Interest::probe_flags`: deliver the syscall's entry.
pub const PROBE_ENTER: u8 = 1 << 0;
/// `Interest::probe_flags`: deliver its exit when it succeeded.
pub const PROBE_EXIT_SUCCEEDED: u8 = 1 << 1;
/// `Interest::probe_flags`: deliver its exit when it failed.
pub const PROBE_EXIT_FAILED: u8 = 1 << 2;

/// Argument of `IOCTL_SET_INTEREST`: bit `nr` set = deliver that syscall.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Interest {
    pub enter: [u64; INTEREST_WORDS],
    pub exit: [u64; INTEREST_WORDS],
    /// In-kernel predicate: bit `nr` set = deliver that syscall's exit only
    /// when it succeeded (a failure is counted as filtered).
    pub exit_success_only: [u64; INTEREST_WORDS],
    pub flags: u64,
}

impl Interest {
    /// Everything: every syscall in both directions, and process exits.
    pub const fn all() -> Self {
        Self {
            enter: [u64::MAX; INTEREST_WORDS],
            exit: [u64::MAX; INTEREST_WORDS],
            exit_success_only: [0; INTEREST_WORDS],
            flags: INTEREST_PROCEXIT,
        }
    }

    pub fn set(&mut self, nr: usize, enter: bool, exit: bool) {
        if nr < MAX_SYSCALLS {
            if enter {
                self.enter[nr / 64] |= 1 << (nr % 64);
            }
            if exit {
                self.exit[nr / 64] |= 1 << (nr % 64);
            }
        }
    }

    /// Delivers syscall `nr`'s exit only when it succeeded.
    pub fn set_success_only(&mut self, nr: usize) {
        if nr < MAX_SYSCALLS {
            self.exit_success_only[nr / 64] |= 1 << (nr % 64);
        }
    }

    pub const fn wants(words: &[u64; INTEREST_WORDS], nr: usize) -> bool {
        nr < MAX_SYSCALLS && words[nr / 64] & (1 << (nr % 64)) != 0
    }

    /// What is delivered of syscall `nr`, as `PROBE_*` bits: the module's
    /// probes test one such byte per syscall rather than three bitmaps.
    pub const fn probe_flags(&self, nr: usize) -> u8 {
        let mut flags = 0;
        if Self::wants(&self.enter, nr) {
            flags |= PROBE_ENTER;
        }
        if Self::wants(&self.exit, nr) {
            flags |= PROBE_EXIT_SUCCEEDED;
            if !Self::wants(&self.exit_success_only, nr) {
                flags |= PROBE_EXIT_FAILED;
            }
        }
        flags
    }
}

/// Clauses an `OpenFilter` holds at most.
pub const OPEN_FILTER_CLAUSES: usize = 16;
/// Bytes of an `OpenFilter`'s strings.
pub const OPEN_FILTER_TEXT: usize = 3072;
/// `OpenFilter::flags`: the closes of regular files still linked in the
/// filesystem, and of devices, are dropped too (their opens were dropped or
/// leave the consumer an entry it may keep). Needs the per-syscall hooks,
/// which see the descriptor before it is closed.
pub const OPEN_FILTER_CLOSES: u32 = 1 << 0;
/// `OpenClause::classes` bit of `creat` (which takes no flags); bits 0..=3
/// are the access mode `flags & O_ACCMODE` of open, openat and openat2.
pub const OPEN_CLASS_CREAT: u32 = 4;

/// Strings `start..end` of `OpenFilter::text`, separated by NUL bytes;
/// an empty range puts no constraint on the path.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TextRange {
    pub start: u16,
    pub end: u16,
}

/// One way an open can satisfy the rules: every constraint holds.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpenClause {
    /// Bit `class` set: opens of that class (see `OPEN_CLASS_CREAT`) qualify.
    pub classes: u32,
    /// The path starts with one of these.
    pub prefixes: TextRange,
    /// The path ends with one of these.
    pub suffixes: TextRange,
    /// The path contains one of these.
    pub infixes: TextRange,
    /// The process name (`comm`) is one of these.
    pub comms: TextRange,
}

/// Argument of `IOCTL_SET_OPEN_FILTER`, an in-kernel predicate on the
/// successful exits of open, openat, openat2 and creat. With `clauses` > 0
/// such an exit is delivered only when the opened file is a directory (the
/// consumer resolves relative paths against directories), the path is not
/// in normal absolute form (the consumer normalizes it; the kernel does not
/// try), or one of the clauses holds. `clauses` = 0 delivers every open.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenFilter {
    pub clauses: u32,
    /// `OPEN_FILTER_CLOSES`, with `clauses` > 0.
    pub flags: u32,
    pub clause: [OpenClause; OPEN_FILTER_CLAUSES],
    pub text: [u8; OPEN_FILTER_TEXT],
}

impl OpenFilter {
    /// Delivers every open.
    pub const fn off() -> Self {
        Self {
            clauses: 0,
            flags: 0,
            clause: [OpenClause {
                classes: 0,
                prefixes: TextRange { start: 0, end: 0 },
                suffixes: TextRange { start: 0, end: 0 },
                infixes: TextRange { start: 0, end: 0 },
                comms: TextRange { start: 0, end: 0 },
            }; OPEN_FILTER_CLAUSES],
            text: [0; OPEN_FILTER_TEXT],
        }
    }

    /// Appends a clause: opens of `classes` whose path starts with one of
    /// `strings[0]`, ends with one of `strings[1]` and contains one of
    /// `strings[2]`, by a process named one of `strings[3]` (each: none puts
    /// no constraint). `false`, and the filter unchanged, when it does not fit.
    pub fn push(&mut self, classes: u32, strings: [&[&[u8]]; 4]) -> bool {
        let n = self.clauses as usize;
        if n >= OPEN_FILTER_CLAUSES {
            return false;
        }
        let mut at = self.clause[..n].iter().map(|c| c.comms.end).max().unwrap_or(0) as usize;
        let [prefixes, suffixes, infixes, comms] = strings;
        let (Some(prefixes), Some(suffixes), Some(infixes), Some(comms)) = (
            self.put(&mut at, prefixes),
            self.put(&mut at, suffixes),
            self.put(&mut at, infixes),
            self.put(&mut at, comms),
        ) else {
            return false;
        };
        self.clause[n] = OpenClause { classes, prefixes, suffixes, infixes, comms };
        self.clauses += 1;
        true
    }

    /// Writes `strings` at `*at`, separated by NULs, and moves `*at` past them.
    fn put(&mut self, at: &mut usize, strings: &[&[u8]]) -> Option<TextRange> {
        let start = *at;
        let mut end = start;
        for (i, s) in strings.iter().enumerate() {
            let sep = (i > 0) as usize;
            let dst = self.text.get_mut(end..end + sep + s.len())?;
            dst[sep..].copy_from_slice(s);
            end += sep + s.len();
        }
        *at = end;
        Some(TextRange { start: start as u16, end: end as u16 })
    }

    /// Whether a successful open of `path` (as the caller passed it, whole)
    /// in access class `class` by a process named `comm` is delivered, the
    /// file not being a directory. A malformed filter (ranges outside
    /// `text`) delivers rather than drops.
    pub fn delivers(&self, path: &[u8], class: u32, comm: &[u8]) -> bool {
        if self.clauses == 0 || !is_normal_absolute(path) {
            return true;
        }
        let clauses = &self.clause[..(self.clauses as usize).min(OPEN_FILTER_CLAUSES)];
        clauses.iter().any(|c| {
            c.classes & (1 << class.min(31)) != 0
                && self.any_string(c.prefixes, |p| path.starts_with(p))
                && self.any_string(c.suffixes, |s| path.ends_with(s))
                && self.any_string(c.infixes, |s| contains(path, s))
                && self.any_string(c.comms, |s| s == comm)
        })
    }

    fn any_string(&self, range: TextRange, test: impl Fn(&[u8]) -> bool) -> bool {
        if range.start >= range.end {
            return true;
        }
        match self.text.get(range.start as usize..range.end as usize) {
            Some(strings) => strings.split(|b| *b == 0).any(test),
            None => true,
        }
    }
}

/// Whether `needle` occurs in `haystack`. The first byte is compared before
/// the rest: most positions differ there, and a slice comparison is a call.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    match needle.first() {
        None => true,
        Some(first) => haystack.windows(needle.len()).any(|w| w[0] == *first && w == needle),
    }
}

/// Absolute, and no empty, `.` or `..` component: the path the consumer
/// reports for it (`fd.name`) is the path itself.
pub fn is_normal_absolute(path: &[u8]) -> bool {
    // The probes and the consumer's state both ask this per open. Such a
    // component can only start where a `/` is followed by `/` or `.`, or
    // ends the path: most paths have neither, which a scan eight bytes at a
    // time shows; the others are read component by component.
    match path {
        [b'/', .., last] if *last != b'/' && !has_slash_before_dot_or_slash(path) => true,
        [b'/', rest @ ..] => components_are_named(rest),
        _ => false,
    }
}

/// Whether the components of a path after its leading `/` are all named.
fn components_are_named(rest: &[u8]) -> bool {
    // `run` counts the dots a component starts with, up to NAMED once it has
    // another byte or a third dot; a component that ends at 0, 1 or 2 dots
    // is empty, `.` or `..`.
    const NAMED: u8 = 3;
    let mut run = 0;
    for &b in rest {
        run = match b {
            b'/' if run < NAMED => return false,
            b'/' => 0,
            b'.' if run < NAMED => run + 1,
            _ => NAMED,
        };
    }
    run == NAMED
}

/// Whether some `/` in `path` is followed by `/` or `.`. Out of line:
/// inlined into the module's capture path, it cost every captured syscall
/// ~6 instructions per record in spilled registers.
#[inline(never)]
fn has_slash_before_dot_or_slash(path: &[u8]) -> bool {
    const fn splat(b: u8) -> u64 {
        u64::from_ne_bytes([b; 8])
    }
    // The high bit of each byte of `x` that is `b` (exact: no borrow
    // crosses into the next byte).
    const fn bytes_equal(x: u64, b: u8) -> u64 {
        let y = x ^ splat(b);
        !(((y & splat(0x7f)) + splat(0x7f)) | y) & splat(0x80)
    }
    let mut rest = path;
    // Byte i of `next` is the byte after byte i of `here`. '.' and '/'
    // differ in the low bit only.
    while let (Some(here), Some(next)) = (rest.first_chunk::<8>(), rest.get(1..).and_then(<[u8]>::first_chunk::<8>)) {
        let slashes = bytes_equal(u64::from_ne_bytes(*here), b'/');
        if slashes & bytes_equal(u64::from_ne_bytes(*next) | splat(1), b'/') != 0 {
            return true;
        }
        rest = rest.get(8..).unwrap_or_default();
    }
    rest.windows(2).any(|pair| matches!(pair, [b'/', next] if next | 1 == b'/'))
}

/// The `OpenClause::classes` bit an open-family syscall's flags put it in;
/// `how_flags` is openat2's `open_how.flags`. `None` for other syscalls.
pub const fn open_class(nr: u32, args: &[u64; 6], how_flags: Option<u64>) -> Option<u32> {
    const O_ACCMODE: u64 = 3;
    match nr {
        nr::OPEN => Some((args[1] & O_ACCMODE) as u32),
        nr::OPENAT => Some((args[2] & O_ACCMODE) as u32),
        nr::OPENAT2 => match how_flags {
            Some(flags) => Some((flags & O_ACCMODE) as u32),
            None => None,
        },
        nr::CREAT => Some(OPEN_CLASS_CREAT),
        _ => None,
    }
}

/// Host cgroups a `ContainerFilter` holds at most.
pub const HOST_CGROUPS: usize = 256;

/// Argument of `IOCTL_SET_CONTAINER_FILTER`, an in-kernel predicate for the
/// syscalls only rules about containers read: an event of one of `kinds`
/// (either direction) is dropped when the task's cgroup v2 id is one of
/// `host_cgroups`, the cgroups the consumer found to hold host processes.
/// Every other cgroup, a container's or one the consumer has not seen, is
/// delivered, so the consumer's own view decides; and as the kernel never
/// reuses a cgroup id, an id once a host's stays one.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContainerFilter {
    /// Bit `nr` set: syscall `nr` is container-only.
    pub kinds: [u64; INTEREST_WORDS],
    /// Entries of `host_cgroups` in use, sorted ascending.
    pub hosts: u32,
    pub _reserved: u32,
    pub host_cgroups: [u64; HOST_CGROUPS],
}

impl ContainerFilter {
    /// Delivers everything.
    pub const fn off() -> Self {
        Self { kinds: [0; INTEREST_WORDS], hosts: 0, _reserved: 0, host_cgroups: [0; HOST_CGROUPS] }
    }

    /// Container-only `kinds` (syscall numbers), dropped in `hosts` (sorted
    /// here; past `HOST_CGROUPS`, the first in the order given are kept).
    pub fn new(kinds: impl IntoIterator<Item = u32>, hosts: impl IntoIterator<Item = u64>) -> Self {
        let mut filter = Self::off();
        for nr in kinds.into_iter().map(|nr| nr as usize).filter(|nr| *nr < MAX_SYSCALLS) {
            filter.kinds[nr / 64] |= 1 << (nr % 64);
        }
        for id in hosts.into_iter().take(HOST_CGROUPS) {
            filter.host_cgroups[filter.hosts as usize] = id;
            filter.hosts += 1;
        }
        filter.host_cgroups[..filter.hosts as usize].sort_unstable();
        filter
    }

    /// Whether an event of syscall `nr` by a task in cgroup `cgroup` is dropped.
    pub fn drops(&self, nr: u32, cgroup: u64) -> bool {
        let hosts = (self.hosts as usize).min(HOST_CGROUPS);
        Interest::wants(&self.kinds, nr as usize) && sorted_contains(hosts, |i| self.host_cgroups[i], cgroup)
    }
}

/// Whether `id` is among the `len` values `at` reads, sorted ascending
/// (binary search). Values replaced during the search may make it miss one,
/// never find one that none of them held: the kernel reads a filter the
/// consumer may be replacing, and there a miss only delivers an event.
pub fn sorted_contains(len: usize, at: impl Fn(usize) -> u64, id: u64) -> bool {
    let (mut lo, mut hi) = (0, len);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let v = at(mid);
        if v == id {
            return true;
        }
        if v < id {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    false
}

/// Aggregate counters returned by `IOCTL_GET_STATS`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeviceStats {
    pub total: RingStats,
    /// Non-zero while capture is on.
    pub capturing: u32,
    /// Non-zero while per-syscall hooks carry the syscalls (else the global
    /// syscall tracepoints carry every syscall of every task).
    pub hooked: u32,
}

/// Per-syscall counters returned by `IOCTL_GET_SYSCALL_STATS`, summed over
/// CPUs: events (enter and exit) of each syscall number while capture was on.
/// `seen` of a syscall is the sum of the three.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyscallStats {
    pub delivered: [u64; MAX_SYSCALLS],
    pub filtered: [u64; MAX_SYSCALLS],
    pub dropped: [u64; MAX_SYSCALLS],
}

impl Default for SyscallStats {
    fn default() -> Self {
        Self { delivered: [0; MAX_SYSCALLS], filtered: [0; MAX_SYSCALLS], dropped: [0; MAX_SYSCALLS] }
    }
}

/// Argument and answer of `IOCTL_GET_RING_STATS`: the caller sets `cpu`, the
/// module fills `stats` with that CPU's counters.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RingStatsQuery {
    pub cpu: u32,
    pub _reserved: u32,
    pub stats: RingStats,
}

/// Which per-syscall counter an event went to (the row of `SyscallStats`).
#[repr(usize)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyscallOutcome {
    Delivered = 0,
    Filtered = 1,
    Dropped = 2,
}

// ioctl numbers, encoded as the kernel's _IOR/_IOW/_IO macros do on x86-64.
const IOC_WRITE: u32 = 1;
const IOC_READ: u32 = 2;
const fn ioc(dir: u32, nr: u32, size: usize) -> u32 {
    (dir << 30) | ((size as u32) << 16) | ((IOCTL_TYPE as u32) << 8) | nr
}

/// The ioctl "type" byte: 'O'.
pub const IOCTL_TYPE: u8 = b'O';
pub const IOCTL_GET_INFO: u32 = ioc(IOC_READ, 1, size_of::<DeviceInfo>());
pub const IOCTL_SET_INTEREST: u32 = ioc(IOC_WRITE, 2, size_of::<Interest>());
pub const IOCTL_START: u32 = ioc(0, 3, 0);
pub const IOCTL_STOP: u32 = ioc(0, 4, 0);
pub const IOCTL_GET_STATS: u32 = ioc(IOC_READ, 5, size_of::<DeviceStats>());
pub const IOCTL_GET_SYSCALL_STATS: u32 = ioc(IOC_READ, 6, size_of::<SyscallStats>());
pub const IOCTL_GET_RING_STATS: u32 = ioc(IOC_READ | IOC_WRITE, 7, size_of::<RingStatsQuery>());
pub const IOCTL_SET_OPEN_FILTER: u32 = ioc(IOC_WRITE, 8, size_of::<OpenFilter>());
pub const IOCTL_SET_CONTAINER_FILTER: u32 = ioc(IOC_WRITE, 9, size_of::<ContainerFilter>());

// Layout checks: both sides fail to compile if any of these change by accident.
const _: () = {
    use core::mem::{align_of, offset_of};
    assert!(size_of::<RecordHeader>() == 72);
    // Three rows of MAX_SYSCALLS counters; an ioctl size has 14 bits.
    assert!(size_of::<SyscallStats>() == 3 * MAX_SYSCALLS * 8);
    assert!(size_of::<SyscallStats>() < 1 << 14);
    assert!(offset_of!(RecordHeader, ts_ns) == 8);
    assert!(offset_of!(RecordHeader, tid) == 16);
    assert!(offset_of!(RecordHeader, cgroup_id) == 40);
    assert!(offset_of!(RecordHeader, comm) == 48);
    assert!(size_of::<BlobDesc>() == 8);
    assert!(offset_of!(RecordHeader, vtid) == 64);
    assert!(size_of::<SyscallRecord>() == 176);
    assert!(offset_of!(SyscallRecord, nr) == 72);
    assert!(offset_of!(SyscallRecord, ret) == 80);
    assert!(offset_of!(SyscallRecord, args) == 88);
    assert!(offset_of!(SyscallRecord, blobs) == 136);
    assert!(size_of::<SyscallRecord>() % RECORD_ALIGN == 0);
    assert!(size_of::<ProcessExitRecord>() == 80);
    assert!(size_of::<ExecFacts>() == 56);
    assert!(offset_of!(ExecFacts, flags) == 48);
    assert!(align_of::<SyscallRecord>() == 8);
    assert!(size_of::<RingStats>() == 40);
    assert!(offset_of!(RingHeader, head) == 24);
    assert!(size_of::<RingHeader>() == 32);
    assert!(size_of::<RingStatsQuery>() == 48);
    assert!(offset_of!(RingStatsQuery, stats) == 8);
    assert!(size_of::<DeviceInfo>() == 32);
    assert!(size_of::<Interest>() == 200);
    assert!(size_of::<DeviceStats>() == 48);
    assert!(MAX_RECORD_SIZE <= u16::MAX as usize);
    assert!(size_of::<OpenClause>() == 20);
    assert!(offset_of!(OpenFilter, clause) == 8);
    assert!(offset_of!(OpenFilter, text) == 8 + 20 * OPEN_FILTER_CLAUSES);
    assert!(size_of::<OpenFilter>() == 8 + 20 * OPEN_FILTER_CLAUSES + OPEN_FILTER_TEXT);
    assert!(size_of::<OpenFilter>() < 1 << 14);
    assert!(OPEN_FILTER_TEXT <= u16::MAX as usize);
    assert!(offset_of!(ContainerFilter, hosts) == 8 * INTEREST_WORDS);
    assert!(offset_of!(ContainerFilter, host_cgroups) == 8 * INTEREST_WORDS + 8);
    assert!(size_of::<ContainerFilter>() == 8 * INTEREST_WORDS + 8 + 8 * HOST_CGROUPS);
    assert!(size_of::<ContainerFilter>() < 1 << 14);
    assert!(IOCTL_GET_INFO == 0x8020_4f01);
};

/// x86-64 numbers of the system calls whose user memory the producer decodes.
pub mod nr {
    pub const OPEN: u32 = 2;
    pub const CLOSE: u32 = 3;
    pub const PIPE: u32 = 22;
    pub const CONNECT: u32 = 42;
    pub const ACCEPT: u32 = 43;
    pub const BIND: u32 = 49;
    pub const SOCKETPAIR: u32 = 53;
    pub const EXECVE: u32 = 59;
    pub const CAPSET: u32 = 126;
    pub const RENAME: u32 = 82;
    pub const MKDIR: u32 = 83;
    pub const RMDIR: u32 = 84;
    pub const CREAT: u32 = 85;
    pub const LINK: u32 = 86;
    pub const UNLINK: u32 = 87;
    pub const SYMLINK: u32 = 88;
    pub const CHMOD: u32 = 90;
    pub const CHOWN: u32 = 92;
    pub const LCHOWN: u32 = 94;
    pub const CHDIR: u32 = 80;
    pub const CHROOT: u32 = 161;
    pub const MOUNT: u32 = 165;
    pub const UMOUNT2: u32 = 166;
    pub const INIT_MODULE: u32 = 175;
    pub const DELETE_MODULE: u32 = 176;
    pub const OPENAT: u32 = 257;
    pub const MKDIRAT: u32 = 258;
    pub const FCHOWNAT: u32 = 260;
    pub const UNLINKAT: u32 = 263;
    pub const RENAMEAT: u32 = 264;
    pub const LINKAT: u32 = 265;
    pub const SYMLINKAT: u32 = 266;
    pub const FCHMODAT: u32 = 268;
    pub const ACCEPT4: u32 = 288;
    pub const PIPE2: u32 = 293;
    pub const RENAMEAT2: u32 = 316;
    pub const MEMFD_CREATE: u32 = 319;
    pub const EXECVEAT: u32 = 322;
    pub const OPENAT2: u32 = 437;
    pub const FCHMODAT2: u32 = 452;
}

/// Size of `struct open_how` (flags, mode, resolve: three u64).
pub const OPEN_HOW_SIZE: u8 = 24;

/// How the producer fills one inline buffer of an exit record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Capture {
    None,
    /// The NUL-terminated string at the user pointer in argument `arg`.
    Str { arg: u8 },
    /// The array of string pointers at argument `arg` (an argv).
    Args { arg: u8 },
    /// A `struct sockaddr` at argument `arg`, its length in argument `len_arg`.
    Sockaddr { arg: u8, len_arg: u8 },
    /// A `struct sockaddr` the kernel wrote at argument `arg`, its length in the
    /// `socklen_t` that argument `len_ptr_arg` points to (accept).
    SockaddrOut { arg: u8, len_ptr_arg: u8 },
    /// The two file descriptors the kernel wrote at argument `arg`.
    FdPair { arg: u8 },
    /// `len` bytes of the structure argument `arg` points to.
    Struct { arg: u8, len: u8 },
    /// After a successful exec: the new executable's path.
    Exe,
    /// After a successful exec: the new image's argument area.
    ExecArgs,
    /// The task's working directory.
    Cwd,
    /// After a successful exec or capset: capabilities and executable inode
    /// facts.
    ExecFacts,
    /// After a successful exec: the new image's environment area.
    ExecEnv,
    /// After a successful open: the returned descriptor's path.
    OpenedPath,
    /// After a successful connect or accept: the peer's address as the
    /// kernel holds it (`getpeername` of `socket`'s socket), in the place of
    /// the caller's `struct sockaddr`, which another thread can rewrite
    /// meanwhile. When the kernel has none any more (the peer already
    /// gone), the caller's, read as `user` says.
    Peer { socket: PeerSocket, user: &'static Capture },
}

/// Which descriptor's socket a `Capture::Peer` asks about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeerSocket {
    /// The syscall's first argument (connect's).
    Arg0,
    /// The descriptor the syscall returned (accept's).
    Returned,
}

/// Where connect and bind take their address, and accept writes its.
const ADDRESS_IN: Capture = Capture::Sockaddr { arg: 1, len_arg: 2 };
const ADDRESS_OUT: Capture = Capture::SockaddrOut { arg: 1, len_ptr_arg: 2 };

const NONE: Capture = Capture::None;
const fn caps1(a: Capture) -> [Capture; MAX_BLOBS] {
    [a, NONE, NONE, NONE, NONE]
}
const fn caps2(a: Capture, b: Capture) -> [Capture; MAX_BLOBS] {
    [a, b, NONE, NONE, NONE]
}
const fn str_arg(arg: u8) -> Capture {
    Capture::Str { arg }
}

/// What the exit record of syscall `nr` carries, given its return value `ret`
/// and the consumer's `Interest::flags`. Enter records carry raw arguments only.
/// The captures fill the slots from the first: after a `None`, only `None`s
/// (the module tells a record without buffers by its first slot).
pub const fn exit_captures(nr: u32, ret: i64, flags: u64) -> [Capture; MAX_BLOBS] {
    match nr {
        // A successful exec replaced the caller's memory: describe the new
        // image instead of the (gone) argument pointers.
        nr::EXECVE | nr::EXECVEAT if ret == 0 => {
            let env = if flags & INTEREST_EXEC_ENV != 0 { Capture::ExecEnv } else { NONE };
            [Capture::Exe, Capture::ExecArgs, Capture::Cwd, Capture::ExecFacts, env]
        }
        // The capabilities as they now are (the arguments are user pointers).
        nr::CAPSET if ret == 0 => caps1(Capture::ExecFacts),
        nr::EXECVE => caps2(str_arg(0), Capture::Args { arg: 1 }),
        nr::EXECVEAT => caps2(str_arg(1), Capture::Args { arg: 2 }),
        // A successful open: the path the kernel opened besides the one the
        // caller passed (which its other threads can rewrite meanwhile).
        nr::OPEN | nr::CREAT if ret >= 0 => caps2(str_arg(0), Capture::OpenedPath),
        nr::OPENAT if ret >= 0 => caps2(str_arg(1), Capture::OpenedPath),
        nr::OPENAT2 if ret >= 0 => {
            [str_arg(1), Capture::Struct { arg: 2, len: OPEN_HOW_SIZE }, Capture::OpenedPath, NONE, NONE]
        }
        nr::OPEN | nr::CREAT | nr::MKDIR | nr::RMDIR | nr::UNLINK | nr::CHMOD | nr::CHOWN
        | nr::LCHOWN | nr::CHDIR | nr::CHROOT | nr::UMOUNT2 | nr::MEMFD_CREATE
        | nr::DELETE_MODULE => caps1(str_arg(0)),
        nr::OPENAT2 => caps2(str_arg(1), Capture::Struct { arg: 2, len: OPEN_HOW_SIZE }),
        nr::OPENAT | nr::MKDIRAT | nr::FCHOWNAT | nr::UNLINKAT | nr::FCHMODAT
        | nr::FCHMODAT2 => caps1(str_arg(1)),
        nr::RENAME | nr::LINK | nr::SYMLINK => caps2(str_arg(0), str_arg(1)),
        nr::RENAMEAT | nr::RENAMEAT2 | nr::LINKAT => caps2(str_arg(1), str_arg(3)),
        nr::SYMLINKAT => caps2(str_arg(0), str_arg(2)),
        nr::MOUNT => [str_arg(0), str_arg(1), str_arg(2), NONE, NONE],
        nr::INIT_MODULE => caps1(str_arg(2)),
        nr::CONNECT if ret == 0 => caps1(Capture::Peer { socket: PeerSocket::Arg0, user: &ADDRESS_IN }),
        nr::CONNECT | nr::BIND => caps1(ADDRESS_IN),
        nr::ACCEPT | nr::ACCEPT4 if ret >= 0 => {
            caps1(Capture::Peer { socket: PeerSocket::Returned, user: &ADDRESS_OUT })
        }
        nr::PIPE | nr::PIPE2 if ret == 0 => caps1(Capture::FdPair { arg: 0 }),
        nr::SOCKETPAIR if ret == 0 => caps1(Capture::FdPair { arg: 3 }),
        _ => [Capture::None; MAX_BLOBS],
    }
}

/// Whether some exit of syscall `nr` carries a buffer, whatever it returns
/// and whatever the flags: one bit test where `exit_captures` is a tree of
/// comparisons, so that the exits of the others skip it.
pub const fn exit_may_capture(nr: u32) -> bool {
    (nr as usize) < MAX_SYSCALLS && EXITS_CAPTURING[nr as usize / 64] & 1 << (nr % 64) != 0
}

const EXITS_CAPTURING: [u64; INTEREST_WORDS] = {
    let mut set = [0u64; INTEREST_WORDS];
    let mut nr = 0;
    while nr < MAX_SYSCALLS as u32 {
        // A return value of each kind: failure, zero, a descriptor.
        let rets = [-1i64, 0, 3];
        let mut i = 0;
        while i < rets.len() {
            if !matches!(exit_captures(nr, rets[i], INTEREST_FLAGS)[0], Capture::None) {
                set[nr as usize / 64] |= 1 << (nr % 64);
            }
            i += 1;
        }
        nr += 1;
    }
    set
};

/// Upper bound of the inline bytes `capture` adds to a record.
pub const fn capture_cap(capture: Capture) -> usize {
    match capture {
        Capture::None => 0,
        Capture::Str { .. } | Capture::Exe | Capture::Cwd | Capture::OpenedPath => PATH_CAP,
        Capture::Args { .. } | Capture::ExecArgs | Capture::ExecEnv => ARGS_CAP,
        Capture::Sockaddr { .. } | Capture::SockaddrOut { .. } | Capture::Peer { .. } => SOCKADDR_CAP,
        Capture::FdPair { .. } => 8,
        Capture::Struct { len, .. } => len as usize,
        Capture::ExecFacts => size_of::<ExecFacts>(),
    }
}

/// The blob kind a capture produces.
pub const fn capture_kind(capture: Capture) -> BlobKind {
    match capture {
        Capture::None | Capture::Str { .. } => BlobKind::Str,
        Capture::Args { .. } | Capture::ExecArgs => BlobKind::Args,
        Capture::Sockaddr { .. } | Capture::SockaddrOut { .. } | Capture::Peer { .. } => BlobKind::Sockaddr,
        Capture::FdPair { .. } => BlobKind::FdPair,
        Capture::Struct { .. } => BlobKind::Struct,
        Capture::Exe => BlobKind::Exe,
        Capture::Cwd => BlobKind::Cwd,
        Capture::ExecFacts => BlobKind::ExecFacts,
        Capture::ExecEnv => BlobKind::Env,
        Capture::OpenedPath => BlobKind::OpenedPath,
    }
}

/// Rounds `n` up to the record alignment.
pub const fn align_record(n: usize) -> usize {
    (n + RECORD_ALIGN - 1) & !(RECORD_ALIGN - 1)
}
