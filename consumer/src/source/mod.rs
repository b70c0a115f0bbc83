//! Sources: where events come from — the kernel rings and capture files
//! (raw records in timestamp order), and the audit log file.

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

/// Where one record lies in `RecordBatch::bytes`, with its timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    ts_ns: u64,
    start: usize,
    len: usize,
}

impl RecordBatch {
    /// Appends a copy of `record` (its timestamp read from the header, 0 if short).
    pub fn push(&mut self, record: &[u8]) {
        let ts_ns = shared_abi::read_pod::<shared_abi::RecordHeader>(record).map_or(0, |h| h.ts_ns);
        self.spans.push(Span { ts_ns, start: self.bytes.len(), len: record.len() });
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

    #[cfg(test)]
    pub fn timestamps(&self) -> impl Iterator<Item = u64> + '_ {
        self.spans.iter().map(|s| s.ts_ns)
    }
}

/// A source of raw records.
pub trait EventSource {
    /// Appends the records that are ready to `out`, oldest first. Returns
    /// `false` once the source is exhausted and `out` got its last records.
    fn poll(&mut self, out: &mut RecordBatch) -> anyhow::Result<bool>;
}
