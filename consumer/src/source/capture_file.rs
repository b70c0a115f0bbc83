//! Capture files: a header, then raw records exactly as the kernel wrote them.
//!
//! Layout: magic `OSPREYCAP\0` (10 bytes), 2 reserved bytes, the ABI version
//! (u32, native endian), then records back to back, each 8-byte sized.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;

use anyhow::{bail, Context, Result};

use super::{EventSource, RecordBatch};
use crate::decode::record_len;

const MAGIC: &[u8; 10] = b"OSPREYCAP\0";

pub struct CaptureWriter {
    out: BufWriter<File>,
}

impl CaptureWriter {
    pub fn create(path: &Path) -> Result<Self> {
        let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
        let mut out = BufWriter::new(file);
        out.write_all(MAGIC)?;
        out.write_all(&[0, 0])?;
        out.write_all(&shared_abi::ABI_VERSION.to_ne_bytes())?;
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

/// Reads a capture file back; a truncated or corrupt record ends it with an
/// error that gives the byte offset.
pub struct CaptureReader {
    input: BufReader<File>,
    offset: u64,
    name: String,
    /// The record being read, reused.
    record: Vec<u8>,
}

impl CaptureReader {
    pub fn open(path: &Path) -> Result<Self> {
        let name = path.display().to_string();
        let file = File::open(path).with_context(|| format!("opening {name}"))?;
        let mut input = BufReader::new(file);
        let mut header = [0u8; 16];
        input.read_exact(&mut header).with_context(|| format!("{name}: too short for a capture header"))?;
        if &header[..10] != MAGIC {
            bail!("{name}: not an Osprey capture file (bad magic)");
        }
        let abi = u32::from_ne_bytes(header[12..16].try_into().expect("4 bytes"));
        if abi != shared_abi::ABI_VERSION {
            bail!("{name}: written with ABI v{abi}, this osprey reads v{}", shared_abi::ABI_VERSION);
        }
        Ok(Self { input, offset: 16, name, record: Vec::new() })
    }

    /// Reads the next record into `self.record`; `false` at the end of the file.
    fn next_record(&mut self) -> Result<bool> {
        let mut prefix = [0u8; 8];
        match self.input.read(&mut prefix[..1])? {
            0 => return Ok(false),
            _ => self.input.read_exact(&mut prefix[1..]).with_context(|| self.at("truncated record header"))?,
        }
        let len = record_len(&prefix, usize::MAX).map_err(|e| anyhow::anyhow!("{}", self.at(&e.to_string())))?;
        self.record.clear();
        self.record.extend_from_slice(&prefix);
        self.record.resize(len, 0);
        self.input.read_exact(&mut self.record[8..]).with_context(|| self.at("truncated record"))?;
        self.offset += len as u64;
        Ok(true)
    }

    fn at(&self, what: &str) -> String {
        format!("{}: byte {}: {what}", self.name, self.offset)
    }
}

impl EventSource for CaptureReader {
    fn poll(&mut self, out: &mut RecordBatch) -> Result<bool> {
        for _ in 0..4096 {
            if !self.next_record()? {
                return Ok(false);
            }
            out.push(&self.record);
        }
        Ok(true)
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
        let mut w = CaptureWriter::create(&path).unwrap();
        for r in &records {
            w.write(r).unwrap();
        }
        w.finish().unwrap();
        let mut reader = CaptureReader::open(&path).unwrap();
        let mut out = RecordBatch::default();
        while reader.poll(&mut out).unwrap() {}
        assert!(out.iter().eq(records.iter().map(Vec::as_slice)));

        std::fs::write(&path, b"not a capture file at all").unwrap();
        let err = CaptureReader::open(&path).err().unwrap().to_string();
        assert!(err.contains("bad magic"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
