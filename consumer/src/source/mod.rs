//! Sources: where events come from — the kernel rings and capture files
//! (raw records in timestamp order), and the audit log file.

pub mod audit_file;
pub mod capture_file;
pub mod kernel;

/// One record as the producer wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRecord {
    pub ts_ns: u64,
    pub bytes: Vec<u8>,
}

impl RawRecord {
    /// Wraps record bytes, reading the timestamp from the header (0 if short).
    pub fn new(bytes: Vec<u8>) -> Self {
        let ts_ns = shared_abi::read_pod::<shared_abi::RecordHeader>(&bytes).map_or(0, |h| h.ts_ns);
        Self { ts_ns, bytes }
    }
}

/// A source of raw records.
pub trait EventSource {
    /// Appends the records that are ready to `out`, oldest first. Returns
    /// `false` once the source is exhausted and `out` got its last records.
    fn poll(&mut self, out: &mut Vec<RawRecord>) -> anyhow::Result<bool>;
}
