//! Decode: raw ring records → typed, validated views.
//!
//! Input bytes come from the kernel (or a capture file) and are not trusted:
//! every size, offset and kind is checked, and a bad record is an error that
//! names what is wrong, never a panic.

pub mod render;
pub mod spelling;

use std::ops::Deref;

use shared_abi::{
    read_pod, view_pod, BlobDesc, BlobKind, ProcessExitRecord, RecordHeader, RecordKind, SyscallRecord, SyscallTable,
    MAX_BLOBS, MAX_RECORD_SIZE, RECORD_ALIGN,
};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    #[error("record of {got} bytes is shorter than its {need}-byte fixed part")]
    Short { got: usize, need: usize },
    #[error("record size field {size} disagrees with its {len} bytes")]
    SizeMismatch { size: u32, len: usize },
    #[error("record size {0} is not a positive multiple of 8 up to the maximum")]
    BadSize(u32),
    #[error("unknown record kind {0}")]
    UnknownKind(u16),
    #[error("syscall record claims {0} buffers (at most 3)")]
    TooManyBlobs(u16),
    #[error("buffer {index} ({offset}+{len}) lies outside the {size}-byte record")]
    BlobOutOfBounds { index: usize, offset: u16, len: u16, size: u32 },
    #[error("buffer {index} has unknown kind {kind}")]
    UnknownBlobKind { index: usize, kind: u8 },
    #[error("syscall record names unknown syscall table {0}")]
    UnknownTable(u8),
}

/// Checks a record's leading size field and returns the record's length, so a
/// reader can step over it. `available` is how many bytes follow.
pub fn record_len(prefix: &[u8], available: usize) -> Result<usize, DecodeError> {
    let size = prefix
        .get(..4)
        .map(|b| u32::from_ne_bytes(b.try_into().expect("4 bytes")))
        .ok_or(DecodeError::Short { got: prefix.len(), need: 4 })?;
    let len = size as usize;
    if len < RECORD_ALIGN || len % RECORD_ALIGN != 0 || len > MAX_RECORD_SIZE.max(1 << 20) {
        return Err(DecodeError::BadSize(size));
    }
    if len > available {
        return Err(DecodeError::SizeMismatch { size, len: available });
    }
    Ok(len)
}

/// Turns record times into wall time. The module stamps records with the
/// boot clock (`CLOCK_BOOTTIME`), which never steps, so that the rings merge
/// in the order things happened; an event's time is that plus the wall
/// clock's offset from it, read as the records are decoded: after the wall
/// clock is set, events carry the new wall time and keep their order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WallClock {
    /// `CLOCK_REALTIME - CLOCK_BOOTTIME`, in ns (0: times are wall times).
    pub boot_to_wall_ns: u64,
}

impl WallClock {
    /// The clocks' offset now.
    pub fn now() -> Self {
        use nix::time::{clock_gettime, ClockId};
        let ns = |clock| {
            clock_gettime(clock).map_or(0, |t| (t.tv_sec() as u64).wrapping_mul(1_000_000_000) + t.tv_nsec() as u64)
        };
        let boot = ns(ClockId::CLOCK_BOOTTIME);
        Self { boot_to_wall_ns: ns(ClockId::CLOCK_REALTIME).wrapping_sub(boot) }
    }

    /// The wall time of boot-clock time `boot_ns`.
    pub fn wall_ns(self, boot_ns: u64) -> u64 {
        boot_ns.wrapping_add(self.boot_to_wall_ns)
    }
}

/// One decoded record, a view of its bytes.
#[derive(Debug, Clone)]
pub enum Record<'a> {
    Syscall(Syscall<'a>),
    ProcessExit(Fixed<'a, ProcessExitRecord>),
}

/// A record's fixed part: read in place where the bytes are aligned for it
/// (a ring's records always are), else copied into a box. A pointer either
/// way: decoding moves it, never the fixed part itself.
#[derive(Debug, Clone)]
pub enum Fixed<'a, T> {
    InPlace(&'a T),
    Copied(Box<T>),
}

impl<T> Deref for Fixed<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        match self {
            Fixed::InPlace(fixed) => fixed,
            Fixed::Copied(fixed) => fixed,
        }
    }
}

impl Record<'_> {
    pub fn header(&self) -> &RecordHeader {
        match self {
            Record::Syscall(s) => &s.rec.hdr,
            Record::ProcessExit(p) => &p.hdr,
        }
    }
}

/// A syscall record and its inline buffers (described by `rec.blobs`,
/// checked by `decode`, viewed on demand: most records have one or none).
#[derive(Debug, Clone)]
pub struct Syscall<'a> {
    pub rec: Fixed<'a, SyscallRecord>,
    pub exit: bool,
    /// The table the task made the syscall through.
    pub table: SyscallTable,
    bytes: &'a [u8],
}

impl<'a> Syscall<'a> {
    /// Whether the program that made this syscall, of any table, is a 32-bit one.
    pub fn from_32bit_program(&self) -> bool {
        self.rec.flags & shared_abi::SYSCALL_FROM_32BIT_PROGRAM != 0
    }

    /// The record's buffer descriptors in use.
    fn descs(&self) -> &[BlobDesc] {
        self.rec.blobs.get(..self.rec.nblobs as usize).unwrap_or_default()
    }

    /// The buffer a descriptor describes (`decode` checked its kind and bounds).
    fn view(&self, desc: &BlobDesc) -> Option<Blob<'a>> {
        let start = desc.offset as usize;
        Some(Blob {
            kind: BlobKind::from_raw(desc.kind)?,
            arg: desc.arg,
            flags: desc.flags,
            data: self.bytes.get(start..start + desc.len as usize)?,
        })
    }

    /// The buffers the kernel cut short or could not read, in order.
    pub fn cut_short(&self) -> impl Iterator<Item = Blob<'a>> + '_ {
        let problems = shared_abi::BLOB_TRUNCATED | shared_abi::BLOB_FAULT;
        self.descs().iter().filter(move |d| d.flags & problems != 0).filter_map(|d| self.view(d))
    }

    /// The first buffer of `kind` read from argument `arg` (any argument for
    /// `None`). Descriptors are matched before any buffer is viewed: exec
    /// parameters look up buffers the record may not have.
    pub fn blob(&self, kind: BlobKind, arg: Option<u8>) -> Option<Blob<'a>> {
        let desc = self.descs().iter().find(|d| d.kind == kind as u8 && arg.is_none_or(|a| a == d.arg))?;
        self.view(desc)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Blob<'a> {
    pub kind: BlobKind,
    pub arg: u8,
    pub flags: u8,
    pub data: &'a [u8],
}

impl Blob<'_> {
    pub fn faulted(&self) -> bool {
        self.flags & shared_abi::BLOB_FAULT != 0
    }
}

/// Decodes one record; `bytes` is exactly the record (see `record_len`).
/// Returns `Ok(None)` for padding.
pub fn decode(bytes: &[u8]) -> Result<Option<Record<'_>>, DecodeError> {
    let hdr: RecordHeader =
        read_pod(bytes).ok_or(DecodeError::Short { got: bytes.len(), need: size_of::<RecordHeader>() })?;
    if hdr.size as usize != bytes.len() {
        return Err(DecodeError::SizeMismatch { size: hdr.size, len: bytes.len() });
    }
    match RecordKind::from_raw(hdr.kind) {
        Some(RecordKind::Pad) => Ok(None),
        Some(RecordKind::SyscallEnter) => decode_syscall(bytes, false).map(Some),
        Some(RecordKind::SyscallExit) => decode_syscall(bytes, true).map(Some),
        Some(RecordKind::ProcessExit) => fixed_part(bytes).map(|r| Some(Record::ProcessExit(r))),
        None => Err(DecodeError::UnknownKind(hdr.kind)),
    }
}

fn decode_syscall(bytes: &[u8], exit: bool) -> Result<Record<'_>, DecodeError> {
    let rec: Fixed<'_, SyscallRecord> = fixed_part(bytes)?;
    if rec.nblobs as usize > MAX_BLOBS {
        return Err(DecodeError::TooManyBlobs(rec.nblobs));
    }
    let table = SyscallTable::from_raw(rec.table).ok_or(DecodeError::UnknownTable(rec.table))?;
    for (index, desc) in rec.blobs.iter().take(rec.nblobs as usize).enumerate() {
        let start = desc.offset as usize;
        let end = start + desc.len as usize;
        if start < size_of::<SyscallRecord>() || end > bytes.len() {
            return Err(DecodeError::BlobOutOfBounds { index, offset: desc.offset, len: desc.len, size: rec.hdr.size });
        }
        BlobKind::from_raw(desc.kind).ok_or(DecodeError::UnknownBlobKind { index, kind: desc.kind })?;
    }
    Ok(Record::Syscall(Syscall { rec, exit, table, bytes }))
}

fn fixed_part<T: shared_abi::Pod>(bytes: &[u8]) -> Result<Fixed<'_, T>, DecodeError> {
    match view_pod(bytes) {
        Some(view) => Ok(Fixed::InPlace(view)),
        None => read_pod(bytes)
            .map(|copy| Fixed::Copied(Box::new(copy)))
            .ok_or(DecodeError::Short { got: bytes.len(), need: size_of::<T>() }),
    }
}

/// Builds records the way the kernel lays them out: for tests and benchmarks.
pub mod encode {
    use shared_abi::{
        align_record, pod_bytes, BlobDesc, BlobKind, ProcessExitRecord, RecordHeader, RecordKind, SyscallRecord,
    };

    pub fn syscall(
        mut hdr: RecordHeader,
        exit: bool,
        nr: u32,
        ret: i64,
        args: [u64; 6],
        blobs: &[(BlobKind, u8, u8, &[u8])],
    ) -> Vec<u8> {
        let mut rec = SyscallRecord { nr, ret, args, nblobs: blobs.len() as u16, ..Default::default() };
        let mut data = Vec::new();
        let mut cursor = size_of::<SyscallRecord>();
        for (i, (kind, arg, flags, bytes)) in blobs.iter().enumerate() {
            rec.blobs[i] = BlobDesc {
                offset: cursor as u16,
                len: bytes.len() as u16,
                arg: *arg,
                kind: *kind as u8,
                flags: *flags,
                _reserved: 0,
            };
            data.extend_from_slice(bytes);
            let aligned = align_record(cursor + bytes.len());
            data.resize(aligned - size_of::<SyscallRecord>(), 0);
            cursor = aligned;
        }
        hdr.kind = if exit { RecordKind::SyscallExit } else { RecordKind::SyscallEnter } as u16;
        hdr.size = cursor as u32;
        rec.hdr = hdr;
        let mut out = pod_bytes(&rec).to_vec();
        out.extend_from_slice(&data);
        out
    }

    pub fn process_exit(mut hdr: RecordHeader, exit_code: i32) -> Vec<u8> {
        hdr.kind = RecordKind::ProcessExit as u16;
        hdr.size = size_of::<ProcessExitRecord>() as u32;
        pod_bytes(&ProcessExitRecord { hdr, exit_code, group_dead: 1 }).to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use shared_abi::{nr, BLOB_TRUNCATED};

    fn hdr() -> RecordHeader {
        let mut comm = [0u8; 16];
        comm[..3].copy_from_slice(b"cat");
        RecordHeader {
            cpu: 1,
            ts_ns: 42,
            tid: 7,
            pid: 7,
            ppid: 1,
            uid: 0,
            gid: 0,
            cgroup_id: 9,
            comm,
            ..Default::default()
        }
    }

    #[test]
    fn wall_clock_turns_boot_times_into_wall_times() {
        use nix::time::{clock_gettime, ClockId};
        let boot = clock_gettime(ClockId::CLOCK_BOOTTIME).unwrap();
        let boot = boot.tv_sec() as u64 * 1_000_000_000 + boot.tv_nsec() as u64;
        let wall = WallClock::now().wall_ns(boot);
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
        assert!(now.abs_diff(wall) < 5_000_000_000, "{wall} vs {now}");
        assert_eq!(WallClock::default().wall_ns(42), 42);
    }

    #[test]
    fn syscall_exit_round_trips_with_buffers() {
        let bytes = encode::syscall(
            hdr(),
            true,
            nr::RENAMEAT2,
            0,
            [1, 2, 3, 4, 5, 6],
            &[(BlobKind::Str, 1, 0, b"/tmp/a"), (BlobKind::Str, 3, BLOB_TRUNCATED, b"/tmp/bb")],
        );
        assert_eq!(bytes.len() % 8, 0);
        assert_eq!(record_len(&bytes, bytes.len()), Ok(bytes.len()));
        let Some(Record::Syscall(s)) = decode(&bytes).unwrap() else { panic!("not a syscall") };
        assert!(s.exit);
        assert_eq!(s.rec.nr, nr::RENAMEAT2);
        assert_eq!(s.rec.args, [1, 2, 3, 4, 5, 6]);
        assert_eq!(s.rec.hdr.comm[..3], *b"cat");
        let b = s.blob(BlobKind::Str, Some(3)).unwrap();
        assert_eq!(b.data, b"/tmp/bb");
        assert_eq!(s.cut_short().collect::<Vec<_>>(), [b], "the truncated one only");
        assert_eq!(s.blob(BlobKind::Str, Some(1)).unwrap().data, b"/tmp/a");
    }

    #[test]
    fn aligned_records_are_read_in_place_and_others_copied() {
        let bytes = encode::syscall(hdr(), true, nr::OPENAT, 3, [0; 6], &[(BlobKind::Str, 1, 0, b"/etc/hosts")]);
        // A copy of the record `shift` bytes past an 8-byte boundary (a
        // ring's records all start at one).
        let placed = |shift: usize| {
            let mut buf = vec![0u8; bytes.len() + 16];
            let start = buf.as_ptr().align_offset(8) + shift;
            buf[start..start + bytes.len()].copy_from_slice(&bytes);
            (buf, start)
        };
        let (aligned, at) = placed(0);
        let Some(Record::Syscall(in_place)) = decode(&aligned[at..at + bytes.len()]).unwrap() else { panic!() };
        assert!(matches!(in_place.rec, Fixed::InPlace(_)));
        let (shifted, at) = placed(1);
        let Some(Record::Syscall(copied)) = decode(&shifted[at..at + bytes.len()]).unwrap() else { panic!() };
        assert!(matches!(copied.rec, Fixed::Copied(_)));
        assert_eq!(*copied.rec, *in_place.rec);
        assert_eq!(copied.blob(BlobKind::Str, None), in_place.blob(BlobKind::Str, None));
    }

    #[test]
    fn syscall_enter_round_trips() {
        let bytes = encode::syscall(hdr(), false, 110, 0, [0; 6], &[]);
        let Some(Record::Syscall(s)) = decode(&bytes).unwrap() else { panic!() };
        assert!(!s.exit);
        assert_eq!(s.rec.hdr.size as usize, size_of::<SyscallRecord>());
    }

    #[test]
    fn the_syscall_table_is_read_and_checked() {
        let mut bytes = encode::syscall(hdr(), false, 110, 0, [0; 6], &[]);
        let Some(Record::Syscall(s)) = decode(&bytes).unwrap() else { panic!() };
        assert_eq!(s.table, SyscallTable::X86_64);
        let at = std::mem::offset_of!(SyscallRecord, table);
        bytes[at] = SyscallTable::I386 as u8;
        let Some(Record::Syscall(s)) = decode(&bytes).unwrap() else { panic!() };
        assert_eq!(s.table, SyscallTable::I386);
        bytes[at] = 7;
        assert!(matches!(decode(&bytes), Err(DecodeError::UnknownTable(7))));
    }

    #[test]
    fn process_exit_round_trips() {
        let bytes = encode::process_exit(hdr(), 256);
        let Some(Record::ProcessExit(p)) = decode(&bytes).unwrap() else { panic!() };
        assert_eq!(p.exit_code, 256);
        assert_eq!(p.hdr.pid, 7);
    }

    #[test]
    fn padding_decodes_to_nothing() {
        let size = size_of::<RecordHeader>();
        let mut pad = vec![0u8; size];
        pad[..4].copy_from_slice(&(size as u32).to_ne_bytes());
        assert_eq!(decode(&pad).unwrap().map(|_| ()), None);
    }

    #[test]
    fn lying_lengths_are_rejected() {
        let mut bytes = encode::syscall(hdr(), true, nr::OPENAT, 3, [0; 6], &[(BlobKind::Str, 1, 0, b"/etc")]);
        // Buffer length pointing past the record.
        let len_at = std::mem::offset_of!(SyscallRecord, blobs) + std::mem::offset_of!(shared_abi::BlobDesc, len);
        bytes[len_at..len_at + 2].copy_from_slice(&4000u16.to_ne_bytes());
        assert!(matches!(decode(&bytes), Err(DecodeError::BlobOutOfBounds { .. })));
        let mut bytes = encode::syscall(hdr(), true, nr::OPENAT, 3, [0; 6], &[]);
        bytes[0..4].copy_from_slice(&9999u32.to_ne_bytes());
        assert!(matches!(decode(&bytes), Err(DecodeError::SizeMismatch { .. })));
        assert_eq!(record_len(&[3, 0, 0, 0], 100), Err(DecodeError::BadSize(3)));
        assert!(record_len(&[0, 1, 0, 0], 8).is_err());
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            if let Ok(len) = record_len(&bytes, bytes.len()) {
                let _ = decode(&bytes[..len]);
            }
            let _ = decode(&bytes);
        }
    }
}
