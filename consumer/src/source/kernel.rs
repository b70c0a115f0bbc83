//! The kernel source: `/dev/osprey`'s per-CPU rings, mapped read-only, merged
//! into timestamp order within a bounded window.

use std::fs::{File, OpenOptions};
use std::os::fd::AsRawFd;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{bail, Context, Result};
use memmap2::{Mmap, MmapMut, MmapOptions};
use shared_abi::{
    DeviceInfo, DeviceStats, Interest, RingHeader, RingStats, RingStatsQuery, SyscallStats, ABI_VERSION,
    CONSUMER_SLOT_SIZE, PAGE_SIZE, RING_MAGIC,
};

use super::{EventSource, RecordBatch};
use crate::decode::record_len;

nix::ioctl_read_bad!(ioc_get_info, shared_abi::IOCTL_GET_INFO, DeviceInfo);
nix::ioctl_read_bad!(ioc_get_stats, shared_abi::IOCTL_GET_STATS, DeviceStats);
nix::ioctl_read_bad!(ioc_get_syscall_stats, shared_abi::IOCTL_GET_SYSCALL_STATS, SyscallStats);
nix::ioctl_readwrite_bad!(ioc_get_ring_stats, shared_abi::IOCTL_GET_RING_STATS, RingStatsQuery);
nix::ioctl_write_ptr_bad!(ioc_set_interest, shared_abi::IOCTL_SET_INTEREST, Interest);
nix::ioctl_none_bad!(ioc_start, shared_abi::IOCTL_START);
nix::ioctl_none_bad!(ioc_stop, shared_abi::IOCTL_STOP);

/// An attached `/dev/osprey`: the device, its consumer area and every ring.
pub struct Device {
    file: File,
    info: DeviceInfo,
    consumer_area: MmapMut,
    rings: Vec<Mmap>,
}

impl Device {
    /// Opens the device, checks the ABI version and maps every ring.
    pub fn open(path: &Path) -> Result<Self> {
        let file =
            OpenOptions::new().read(true).write(true).open(path).with_context(|| {
                format!("opening {} (is the osprey module loaded, and are you root?)", path.display())
            })?;
        let mut info = DeviceInfo::default();
        // SAFETY: the ioctl writes a DeviceInfo into `info`.
        unsafe { ioc_get_info(file.as_raw_fd(), &mut info) }.context("OSPREY_IOCTL_GET_INFO")?;
        if info.abi_version != ABI_VERSION {
            bail!(
                "the loaded module speaks ABI v{} but this osprey speaks v{}: rebuild one of them",
                info.abi_version,
                ABI_VERSION
            );
        }
        if info.page_size as usize != PAGE_SIZE || info.data_size == 0 || info.data_size % PAGE_SIZE as u64 != 0 {
            bail!("module reports an unusable ring geometry: {info:?}");
        }
        // SAFETY: the consumer area is ours to write; the kernel only reads it.
        let consumer_area =
            unsafe { MmapOptions::new().len(info.consumer_area_pages as usize * PAGE_SIZE).map_mut(&file) }
                .context("mapping the consumer area")?;
        let mut rings = Vec::with_capacity(info.nr_rings as usize);
        for cpu in 0..info.nr_rings {
            // SAFETY: a read-only shared mapping of kernel memory that stays
            // valid while `file` is open; the kernel writes it concurrently,
            // which the ring protocol (head acquire/release) accounts for.
            let map =
                unsafe { MmapOptions::new().offset(info.ring_offset(cpu)).len(info.ring_len() as usize).map(&file) }
                    .with_context(|| format!("mapping ring {cpu}"))?;
            let magic = u32::from_ne_bytes(map[..4].try_into().expect("4 bytes"));
            if magic != RING_MAGIC {
                bail!("ring {cpu} has a bad magic {magic:#x}");
            }
            rings.push(map);
        }
        let device = Self { file, info, consumer_area, rings };
        // Start at the current producer positions: what is older is stale.
        for cpu in 0..device.rings.len() {
            device.tail(cpu).store(device.head(cpu).load(Ordering::Acquire), Ordering::Release);
        }
        Ok(device)
    }

    pub fn info(&self) -> &DeviceInfo {
        &self.info
    }

    pub fn set_interest(&self, interest: &Interest) -> Result<()> {
        // SAFETY: the ioctl reads an Interest from the pointer.
        unsafe { ioc_set_interest(self.file.as_raw_fd(), interest) }.context("OSPREY_IOCTL_SET_INTEREST")?;
        Ok(())
    }

    pub fn start(&self) -> Result<()> {
        // SAFETY: argument-less ioctl on our device.
        unsafe { ioc_start(self.file.as_raw_fd()) }.context("OSPREY_IOCTL_START")?;
        Ok(())
    }

    pub fn stop(&self) -> Result<()> {
        // SAFETY: argument-less ioctl on our device.
        unsafe { ioc_stop(self.file.as_raw_fd()) }.context("OSPREY_IOCTL_STOP")?;
        Ok(())
    }

    pub fn stats(&self) -> Result<DeviceStats> {
        let mut stats = DeviceStats::default();
        // SAFETY: the ioctl writes a DeviceStats into `stats`.
        unsafe { ioc_get_stats(self.file.as_raw_fd(), &mut stats) }.context("OSPREY_IOCTL_GET_STATS")?;
        Ok(stats)
    }

    /// Per-syscall counters, summed over CPUs.
    fn syscall_stats(&self) -> Result<Box<SyscallStats>> {
        let mut stats = Box::<SyscallStats>::default();
        // SAFETY: the ioctl writes a SyscallStats into `stats`.
        unsafe { ioc_get_syscall_stats(self.file.as_raw_fd(), &mut *stats) }
            .context("OSPREY_IOCTL_GET_SYSCALL_STATS")?;
        Ok(stats)
    }

    /// The syscalls with any event since the module loaded, by name, with
    /// their `[delivered, filtered, dropped]` counts.
    pub fn syscalls_seen(&self) -> Result<Vec<(String, [u64; 3])>> {
        let s = self.syscall_stats()?;
        Ok((0..shared_abi::MAX_SYSCALLS)
            .map(|nr| (nr, [s.delivered[nr], s.filtered[nr], s.dropped[nr]]))
            .filter(|(_, counts)| counts.iter().any(|c| *c != 0))
            .map(|(nr, counts)| {
                let name =
                    shared_abi::syscalls::name(nr as u32).map_or_else(|| format!("syscall_{nr}"), str::to_string);
                (name, counts)
            })
            .collect())
    }

    /// Counters of one CPU.
    pub fn ring_stats(&self, cpu: usize) -> Result<RingStats> {
        let mut query = RingStatsQuery { cpu: cpu as u32, ..Default::default() };
        // SAFETY: the ioctl reads the query's `cpu` and writes a RingStatsQuery back.
        unsafe { ioc_get_ring_stats(self.file.as_raw_fd(), &mut query) }.context("OSPREY_IOCTL_GET_RING_STATS")?;
        Ok(query.stats)
    }

    /// The share of `cpu`'s ring written and not yet drained.
    pub fn ring_fill(&self, cpu: usize) -> f64 {
        let used = self.head(cpu).load(Ordering::Acquire).saturating_sub(self.tail(cpu).load(Ordering::Acquire));
        used as f64 / self.info.data_size as f64
    }

    pub fn nr_rings(&self) -> usize {
        self.rings.len()
    }

    fn head(&self, cpu: usize) -> &AtomicU64 {
        let off = std::mem::offset_of!(RingHeader, head);
        // SAFETY: `head` is an aligned u64 inside the mapped header page, and
        // the producer updates it atomically.
        unsafe { AtomicU64::from_ptr(self.rings[cpu].as_ptr().add(off) as *mut u64) }
    }

    fn tail(&self, cpu: usize) -> &AtomicU64 {
        // SAFETY: slot `cpu` lies inside the consumer area, 64-byte aligned.
        unsafe { AtomicU64::from_ptr(self.consumer_area.as_ptr().add(cpu * CONSUMER_SLOT_SIZE) as *mut u64) }
    }

    /// Hands every complete record of `cpu`'s ring to `each` (which copies
    /// what it keeps) and releases the space. A corrupt record skips the rest
    /// of what is there and counts one decode error.
    pub fn drain(&self, cpu: usize, mut each: impl FnMut(&[u8]), decode_errors: &mut u64) {
        let head = self.head(cpu).load(Ordering::Acquire);
        let tail_slot = self.tail(cpu);
        let mut tail = tail_slot.load(Ordering::Relaxed);
        let size = self.info.data_size;
        let data = &self.rings[cpu][PAGE_SIZE..];
        while tail < head {
            let off = (tail % size) as usize;
            let available = ((head - tail) as usize).min(data.len() - off);
            match record_len(&data[off..], available) {
                Ok(len) => {
                    let bytes = &data[off..off + len];
                    if u16::from_ne_bytes([bytes[4], bytes[5]]) != shared_abi::RecordKind::Pad as u16 {
                        each(bytes);
                    }
                    tail += len as u64;
                }
                Err(_) => {
                    *decode_errors += 1;
                    tail = head;
                }
            }
        }
        tail_slot.store(tail, Ordering::Release);
    }
}

/// Puts records from several CPUs into timestamp order. A record is released
/// once a record `window_ns` newer has been seen (or at `flush`), so a CPU
/// that publishes late still gets merged in order. Records wait in one
/// reused buffer; the space of released ones is reclaimed once it is more
/// than half of it, so each record is copied a bounded number of times and
/// nothing is allocated per record.
pub struct Merger {
    pending: RecordBatch,
    /// Bytes of `pending` that belong to records already released.
    released_bytes: usize,
    spare: RecordBatch,
    newest: u64,
    window_ns: u64,
}

impl Merger {
    pub fn new(window_ns: u64) -> Self {
        Self { pending: RecordBatch::default(), released_bytes: 0, spare: RecordBatch::default(), newest: 0, window_ns }
    }

    pub fn push(&mut self, record: &[u8]) {
        self.pending.push(record);
        let ts = self.pending.spans.last().map_or(0, |s| s.ts_ns);
        self.newest = self.newest.max(ts);
    }

    /// Moves the records older than the window to `out`, oldest first.
    pub fn release(&mut self, out: &mut RecordBatch) {
        self.take(out, self.newest.saturating_sub(self.window_ns));
    }

    pub fn flush(&mut self, out: &mut RecordBatch) {
        self.take(out, u64::MAX);
    }

    fn take(&mut self, out: &mut RecordBatch, cutoff: u64) {
        // Arrival order breaks ties (`start` grows with it), without the
        // allocation of a stable sort.
        self.pending.spans.sort_unstable_by_key(|s| (s.ts_ns, s.start));
        let ready = self.pending.spans.partition_point(|s| s.ts_ns <= cutoff);
        for span in &self.pending.spans[..ready] {
            out.push(&self.pending.bytes[span.start..span.start + span.len]);
            self.released_bytes += span.len;
        }
        self.pending.spans.drain(..ready);
        if self.pending.spans.is_empty() {
            self.pending.clear();
            self.released_bytes = 0;
        } else if self.released_bytes > self.pending.bytes.len() / 2 {
            self.spare.clear();
            for record in self.pending.iter() {
                self.spare.push(record);
            }
            std::mem::swap(&mut self.pending, &mut self.spare);
            self.released_bytes = 0;
        }
    }
}

/// The rings as an event source; `finish` stops capture and drains the rest.
pub struct KernelSource<'d> {
    /// Borrowed: other threads may use the device too (stats, interest).
    pub device: &'d Device,
    merger: Merger,
    stopping: bool,
    pub decode_errors: u64,
}

impl<'d> KernelSource<'d> {
    pub fn new(device: &'d Device) -> Self {
        Self { device, merger: Merger::new(50_000_000), stopping: false, decode_errors: 0 }
    }

    /// After this, `poll` stops capture, drains what is left and ends.
    pub fn finish(&mut self) {
        self.stopping = true;
    }

    /// Drains the rings until `tick` (called every round; it may do periodic
    /// work) returns true, then stops capture and drains the rest. `handle`
    /// gets each non-empty batch, oldest first. Empty rings back off from
    /// 0.5 ms to 5 ms between polls.
    pub fn drain_until(
        &mut self,
        mut tick: impl FnMut(&Self) -> bool,
        mut handle: impl FnMut(&RecordBatch) -> Result<()>,
    ) -> Result<()> {
        const MIN_IDLE: std::time::Duration = std::time::Duration::from_micros(500);
        const MAX_IDLE: std::time::Duration = std::time::Duration::from_millis(5);
        let mut batch = RecordBatch::default();
        let mut idle = MIN_IDLE;
        loop {
            if tick(self) {
                self.finish();
            }
            let more = self.poll(&mut batch)?;
            if batch.is_empty() && more {
                std::thread::sleep(idle);
                idle = (idle * 2).min(MAX_IDLE);
                continue;
            }
            idle = MIN_IDLE;
            handle(&batch)?;
            batch.clear();
            if !more {
                return Ok(());
            }
        }
    }
}

impl EventSource for KernelSource<'_> {
    fn poll(&mut self, out: &mut RecordBatch) -> Result<bool> {
        if self.stopping {
            self.device.stop()?;
            // Let probes that were running finish their writes.
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        for cpu in 0..self.device.nr_rings() {
            self.device.drain(cpu, |record| self.merger.push(record), &mut self.decode_errors);
        }
        if self.stopping {
            self.merger.flush(out);
            return Ok(false);
        }
        self.merger.release(out);
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{decode, encode, Record};
    use shared_abi::RecordHeader;

    /// A record stamped `ts` carrying `tag` as its exit code.
    fn rec(ts: u64, tag: i32) -> Vec<u8> {
        encode::process_exit(RecordHeader { ts_ns: ts, ..Default::default() }, tag)
    }

    fn tags(batch: &RecordBatch) -> Vec<i32> {
        batch
            .iter()
            .map(|bytes| match decode(bytes) {
                Ok(Some(Record::ProcessExit(p))) => p.exit_code,
                other => panic!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn merger_orders_across_cpus_within_the_window() {
        let mut m = Merger::new(10);
        let mut out = RecordBatch::default();
        for (ts, tag) in [(5, 1), (30, 2), (3, 3), (25, 4)] {
            m.push(&rec(ts, tag));
        }
        m.release(&mut out);
        assert_eq!(out.timestamps().collect::<Vec<_>>(), [3, 5]);
        m.push(&rec(21, 5));
        m.flush(&mut out);
        assert_eq!(out.timestamps().collect::<Vec<_>>(), [3, 5, 21, 25, 30]);
        assert_eq!(tags(&out), [3, 1, 5, 4, 2]);
    }

    #[test]
    fn merger_keeps_every_record_intact_across_reclaims_and_ties_in_arrival_order() {
        let mut m = Merger::new(100);
        let mut out = RecordBatch::default();
        let mut expected = Vec::new();
        for round in 0..50i32 {
            for i in 0..20i32 {
                let tag = round * 20 + i;
                // Two records per timestamp: ties must keep arrival order.
                m.push(&rec((tag / 2) as u64 * 10, tag));
                expected.push(tag);
            }
            m.release(&mut out);
        }
        m.flush(&mut out);
        assert_eq!(tags(&out), expected);
        assert!(m.pending.is_empty() && m.released_bytes == 0);
    }
}
