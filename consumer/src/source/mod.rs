//! Sources: where events come from — the kernel rings (records read in
//! place, in timestamp order), capture files (records in batches) and the
//! audit log file.

pub mod audit_file;
pub mod capture_file;
pub mod kernel;

/// Records as the producer wrote them, packed back to back in one buffer
/// that is reused: filling a batch allocates only while it grows past the
/// largest it has been, never per record.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RecordBatch {
    bytes: Vec<u8>,
    spans: Vec<Span>,
}

/// Where one record lies in `RecordBatch::bytes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: usize,
    len: usize,
}

impl RecordBatch {
    /// Appends a copy of `record`.
    pub fn push(&mut self, record: &[u8]) {
        self.spans.push(Span { start: self.bytes.len(), len: record.len() });
        self.bytes.extend_from_slice(record);
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    pub fn clear(&mut self) {
        self.bytes.clear();
        self.spans.clear();
    }

    /// The records, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &[u8]> + '_ {
        self.spans.iter().map(|s| &self.bytes[s.start..s.start + s.len])
    }
}

/// Where the kernel source hands its records, oldest first. `record` sees
/// the bytes in the ring itself, valid only during the call: what is kept
/// must be decoded or copied.
pub trait RecordSink {
    fn record(&mut self, bytes: &[u8]) -> anyhow::Result<()>;
    /// Every record of a drain round has been handed over.
    fn round_end(&mut self) -> anyhow::Result<()>;
}

/// A source of raw records read in batches (capture files).
pub trait EventSource {
    /// Appends the records that are ready to `out`, oldest first. Returns
    /// `false` once the source is exhausted and `out` got its last records.
    fn poll(&mut self, out: &mut RecordBatch) -> anyhow::Result<bool>;
}
