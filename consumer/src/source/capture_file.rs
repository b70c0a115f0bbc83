//! Capture files: a header, then raw records exactly as the kernel wrote them.
//!
//! Layout: magic `OSPREYCAP\0` (10 bytes), 2 reserved bytes, the ABI version
//! (u32, native endian), the boot clock's offset to wall time when the file
//! was made (u64 ns, `WallClock`: records carry boot-clock times), then
//! records back to back, each 8-byte sized.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::Path;

use anyhow::{bail, Context, Result};

use super::{EventSource, RecordBatch};
use crate::decode::{record_len, WallClock};

const MAGIC: &[u8; 10] = b"OSPREYCAP\0";
const HEADER: usize = 24;

pub struct CaptureWriter {
    out: BufWriter<File>,
}

impl CaptureWriter {
    /// A new capture file whose records' times `clock` makes wall times.
    pub fn create(path: &Path, clock: WallClock) -> Result<Self> {
        let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
        let mut out = BufWriter::new(file);
        out.write_all(MAGIC)?;
        out.write_all(&[0, 0])?;
        out.write_all(&shared_abi::ABI_VERSION.to_ne_bytes())?;
        out.write_all(&clock.boot_to_wall_ns.to_ne_bytes())?;
        Ok(Self { out })
    }

    pub fn write(&mut self, record: &[u8]) -> Result<()> {
        self.out.write_all(record)?;
        Ok(())
    }

    pub fn finish(mut self) -> Result<()> {
        self.out.flush()?;
        Ok(())
    }
}

/// Bytes read from a capture file at a time: at least two of the largest
/// records (`record_len` refuses more than 1 MiB), so that a record cut at a
/// chunk's end always fits whole once the rest is read.
const CHUNK: usize = 2 << 20;

/// Reads a capture file back in chunks and hands each record over where it
/// lies in the chunk, as the ring path does (no copy per record); a
/// truncated or corrupt record ends it with an error that gives the byte
/// offset.
pub struct CaptureReader {
    file: File,
    name: String,
    clock: WallClock,
    /// Read and not yet handed over: `buf[start..end]`.
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// The file offset of `buf[start]`.
    offset: u64,
    eof: bool,
}

impl CaptureReader {
    pub fn open(path: &Path) -> Result<Self> {
        let name = path.display().to_string();
        let mut file = File::open(path).with_context(|| format!("opening {name}"))?;
        let mut header = [0u8; HEADER];
        file.read_exact(&mut header).with_context(|| format!("{name}: too short for a capture header"))?;
        if &header[..10] != MAGIC {
            bail!("{name}: not an Osprey capture file (bad magic)");
        }
        let abi = u32::from_ne_bytes(header[12..16].try_into().expect("4 bytes"));
        if abi != shared_abi::ABI_VERSION {
            bail!("{name}: written with ABI v{abi}, this osprey reads v{}", shared_abi::ABI_VERSION);
        }
        let clock = WallClock { boot_to_wall_ns: u64::from_ne_bytes(header[16..24].try_into().expect("8 bytes")) };
        Ok(Self { file, name, clock, buf: vec![0; CHUNK], start: 0, end: 0, offset: HEADER as u64, eof: false })
    }

    /// What makes the records' times wall times.
    pub fn clock(&self) -> WallClock {
        self.clock
    }

    /// Reads on, then calls `each` with every whole record read, in order;
    /// `false` once the file is done.
    pub fn read_records(&mut self, mut each: impl FnMut(&[u8])) -> Result<bool> {
        self.buf.copy_within(self.start..self.end, 0);
        self.end -= self.start;
        self.start = 0;
        while !self.eof && self.end < self.buf.len() {
            match self.file.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(n) => self.end += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e).with_context(|| self.at("reading")),
            }
        }
        loop {
            let rest = &self.buf[self.start..self.end];
            if rest.len() < 8 {
                if self.eof && !rest.is_empty() {
                    bail!("{}", self.at("truncated record header"));
                }
                break;
            }
            let len = match record_len(rest, usize::MAX) {
                Ok(len) => len,
                Err(e) => bail!("{}", self.at(&e.to_string())),
            };
            if rest.len() < len {
                if self.eof {
                    bail!("{}", self.at("truncated record"));
                }
                break;
            }
            each(&rest[..len]);
            self.start += len;
            self.offset += len as u64;
        }
        Ok(!(self.eof && self.start == self.end))
    }

    fn at(&self, what: &str) -> String {
        format!("{}: byte {}: {what}", self.name, self.offset)
    }
}

impl EventSource for CaptureReader {
    fn poll(&mut self, out: &mut RecordBatch) -> Result<bool> {
        self.read_records(|record| out.push(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::encode;
    use shared_abi::{BlobKind, RecordHeader};

    #[test]
    fn capture_files_round_trip_and_reject_garbage() {
        let dir = std::env::temp_dir().join(format!("osprey-cap-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.cap");
        let records = [
            encode::syscall(
                RecordHeader { ts_ns: 1, ..Default::default() },
                true,
                2,
                3,
                [0; 6],
                &[(BlobKind::Str, 0, 0, b"/etc/passwd")],
            ),
            encode::process_exit(RecordHeader { ts_ns: 2, ..Default::default() }, 0),
        ];
        let clock = WallClock { boot_to_wall_ns: 1_700_000_000_000_000_000 };
        let mut w = CaptureWriter::create(&path, clock).unwrap();
        for r in &records {
            w.write(r).unwrap();
        }
        w.finish().unwrap();
        let mut reader = CaptureReader::open(&path).unwrap();
        assert_eq!(reader.clock(), clock, "the file keeps the clocks' offset");
        let mut out = RecordBatch::default();
        while reader.poll(&mut out).unwrap() {}
        assert!(out.iter().eq(records.iter().map(Vec::as_slice)));

        // Enough records to cross chunk boundaries, then one cut short.
        let many: Vec<&[u8]> = records.iter().map(Vec::as_slice).cycle().take(3 * CHUNK / 100).collect();
        let mut w = CaptureWriter::create(&path, WallClock::default()).unwrap();
        for r in &many {
            w.write(r).unwrap();
        }
        w.write(&records[0][..records[0].len() - 8]).unwrap();
        w.finish().unwrap();
        let mut reader = CaptureReader::open(&path).unwrap();
        let mut read = Vec::new();
        let err = loop {
            match reader.read_records(|r| read.push(r.to_vec())) {
                Ok(true) => {}
                Ok(false) => panic!("the cut record went unnoticed"),
                Err(e) => break e.to_string(),
            }
        };
        assert!(read.iter().map(Vec::as_slice).eq(many.iter().copied()), "every whole record, in order");
        let at = HEADER + many.iter().map(|r| r.len()).sum::<usize>();
        assert!(err.contains(&format!("byte {at}: truncated record")), "{err}");

        std::fs::write(&path, b"not a capture file at all").unwrap();
        let err = CaptureReader::open(&path).err().unwrap().to_string();
        assert!(err.contains("bad magic"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
