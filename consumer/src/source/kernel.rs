//! The kernel source: `/dev/osprey`'s per-CPU rings, mapped read-only,
//! merged into timestamp order and read in place.

use std::fs::{File, OpenOptions};
use std::os::fd::AsRawFd;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{bail, Context, Result};
use memmap2::{Mmap, MmapMut, MmapOptions};
use shared_abi::{
    ContainerFilter, DeviceInfo, DeviceStats, Interest, OpenFilter, RingHeader, RingStats, RingStatsQuery,
    SyscallStats, ABI_VERSION, CONSUMER_SLOT_SIZE, PAGE_SIZE, RING_MAGIC,
};

use super::RecordSink;
use crate::decode::record_len;

nix::ioctl_read_bad!(ioc_get_info, shared_abi::IOCTL_GET_INFO, DeviceInfo);
nix::ioctl_read_bad!(ioc_get_stats, shared_abi::IOCTL_GET_STATS, DeviceStats);
nix::ioctl_read_bad!(ioc_get_syscall_stats, shared_abi::IOCTL_GET_SYSCALL_STATS, SyscallStats);
nix::ioctl_readwrite_bad!(ioc_get_ring_stats, shared_abi::IOCTL_GET_RING_STATS, RingStatsQuery);
nix::ioctl_write_ptr_bad!(ioc_set_interest, shared_abi::IOCTL_SET_INTEREST, Interest);
nix::ioctl_write_ptr_bad!(ioc_set_open_filter, shared_abi::IOCTL_SET_OPEN_FILTER, OpenFilter);
nix::ioctl_write_ptr_bad!(ioc_set_container_filter, shared_abi::IOCTL_SET_CONTAINER_FILTER, ContainerFilter);
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

    pub fn set_open_filter(&self, filter: &OpenFilter) -> Result<()> {
        // SAFETY: the ioctl reads an OpenFilter from the pointer.
        unsafe { ioc_set_open_filter(self.file.as_raw_fd(), filter) }.context("OSPREY_IOCTL_SET_OPEN_FILTER")?;
        Ok(())
    }

    pub fn set_container_filter(&self, filter: &ContainerFilter) -> Result<()> {
        // SAFETY: the ioctl reads a ContainerFilter from the pointer.
        unsafe { ioc_set_container_filter(self.file.as_raw_fd(), filter) }
            .context("OSPREY_IOCTL_SET_CONTAINER_FILTER")?;
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

    /// The ring's data area (after its header page).
    fn data(&self, cpu: usize) -> &[u8] {
        &self.rings[cpu][PAGE_SIZE..]
    }

    /// One drain round: hands the records written so far to `sink`, oldest
    /// first across CPUs, as they lie in the mapping (nothing is copied),
    /// then releases their space. Returns how many were handed over.
    ///
    /// Order: each ring is in time order (a record is stamped and written on
    /// its CPU with preemption off), so the round merges the rings' heads.
    /// Every head is read twice: the round hands over everything up to the
    /// first reading, plus whatever up to the second is older. A record that
    /// caused another (a parent's syscall before its child's, a thread's
    /// syscall before it migrated) was published before the other was
    /// written, so before the second reading of its own ring: it is never
    /// handed over after what it caused. What lies past the first reading
    /// and is newer stays in the ring for the next round (microseconds of
    /// records). With `flush`, everything there is goes.
    pub fn drain(
        &self,
        flush: bool,
        sink: &mut dyn FnMut(&[u8]) -> Result<()>,
        decode_errors: &mut u64,
    ) -> Result<u64> {
        let first: Vec<u64> = (0..self.rings.len()).map(|cpu| self.head(cpu).load(Ordering::Acquire)).collect();
        let mut readers: Vec<RingReader<'_>> = first
            .iter()
            .enumerate()
            .map(|(cpu, &first)| {
                let end = if flush { first } else { self.head(cpu).load(Ordering::Acquire) };
                RingReader::new(self.data(cpu), self.tail(cpu).load(Ordering::Relaxed), first, end)
            })
            .collect();
        let mut release = |readers: &[RingReader<'_>]| {
            for (cpu, reader) in readers.iter().enumerate() {
                self.tail(cpu).store(reader.position(), Ordering::Release);
            }
        };
        let merged = merge(&mut readers, sink, decode_errors, &mut release);
        release(&readers);
        merged
    }
}

/// The records of one ring between its consumer position and a head
/// reading, read in place.
pub struct RingReader<'a> {
    data: &'a [u8],
    pos: u64,
    /// The head at the round's first reading: the round hands over all before it.
    first: u64,
    /// The head at the second reading: records up to it may be handed over.
    end: u64,
    /// The next record's place and length once found (`peek`).
    next: Option<(usize, usize)>,
}

impl<'a> RingReader<'a> {
    /// `data` is the ring's data area; positions grow forever and wrap at its length.
    pub fn new(data: &'a [u8], pos: u64, first: u64, end: u64) -> Self {
        Self { data, pos, first, end: end.max(first), next: None }
    }

    /// Where the consumer stands: everything before is handed over.
    pub fn position(&self) -> u64 {
        self.pos
    }

    fn behind_first(&self) -> bool {
        self.pos < self.first
    }

    /// The next record's timestamp, stepping over padding. A record whose
    /// size is impossible makes the rest of the ring unreadable: skipped,
    /// one decode error.
    fn peek(&mut self, decode_errors: &mut u64) -> Option<u64> {
        while self.pos < self.end {
            let off = (self.pos % self.data.len() as u64) as usize;
            let available = ((self.end - self.pos) as usize).min(self.data.len() - off);
            let Ok(len) = record_len(&self.data[off..], available) else {
                *decode_errors += 1;
                self.pos = self.end;
                break;
            };
            let bytes = &self.data[off..off + len];
            // Padding can be shorter than a header: only its kind is read.
            if u16::from_ne_bytes([bytes[4], bytes[5]]) == shared_abi::RecordKind::Pad as u16 {
                self.pos += len as u64;
                continue;
            }
            self.next = Some((off, len));
            // A record too short for a header goes on to decode, which reports it.
            const TS: std::ops::Range<usize> = {
                let at = std::mem::offset_of!(shared_abi::RecordHeader, ts_ns);
                at..at + 8
            };
            return Some(bytes.get(TS).map_or(0, |ts| u64::from_ne_bytes(ts.try_into().expect("8 bytes"))));
        }
        self.next = None;
        None
    }
}

/// Records handed over between two calls of `merge`'s `release`: the space
/// of a long round goes back to the producers as the round goes, not only
/// at its end, without a store to their cache line per record.
const RELEASE_EVERY: u64 = 256;

/// Hands the records of `rings` to `sink` in timestamp order (ties: lower
/// ring first) until every ring has passed its first head reading; see
/// `Device::drain`. Calls `release` every `RELEASE_EVERY` records (the
/// sink is done with everything before the readers' positions). Returns how
/// many were handed over; the positions say how far each ring was consumed
/// (also after an error).
pub fn merge(
    rings: &mut [RingReader<'_>],
    sink: &mut dyn FnMut(&[u8]) -> Result<()>,
    decode_errors: &mut u64,
    release: &mut dyn FnMut(&[RingReader<'_>]),
) -> Result<u64> {
    use std::cmp::Reverse;
    let mut heads = std::collections::BinaryHeap::with_capacity(rings.len());
    let mut behind = 0usize;
    for (i, ring) in rings.iter_mut().enumerate() {
        if let Some(ts) = ring.peek(decode_errors) {
            heads.push(Reverse((ts, i)));
        }
        behind += usize::from(ring.behind_first());
    }
    let mut handed = 0;
    while behind > 0 {
        let Some(mut top) = heads.peek_mut() else { break };
        let Reverse((_, i)) = *top;
        let ring = &mut rings[i];
        let (off, len) = ring.next.expect("a ring in the heap has its next record");
        let was_behind = ring.behind_first();
        sink(&ring.data[off..off + len])?;
        ring.pos += len as u64;
        handed += 1;
        // The ring's next record takes its place (one sift instead of a pop and a push).
        match ring.peek(decode_errors) {
            Some(ts) => *top = Reverse((ts, i)),
            None => drop(std::collections::binary_heap::PeekMut::pop(top)),
        }
        behind -= usize::from(was_behind && !ring.behind_first());
        if handed % RELEASE_EVERY == 0 {
            release(rings);
        }
    }
    Ok(handed)
}

/// The rings as an event source; `finish` stops capture and drains the rest.
pub struct KernelSource<'d> {
    /// Borrowed: other threads may use the device too (stats, interest).
    pub device: &'d Device,
    stopping: bool,
    pub decode_errors: u64,
}

impl<'d> KernelSource<'d> {
    pub fn new(device: &'d Device) -> Self {
        Self { device, stopping: false, decode_errors: 0 }
    }

    /// After this, the drain stops capture, drains what is left and ends.
    pub fn finish(&mut self) {
        self.stopping = true;
    }

    /// Drains the rings until `tick` (called every round; it may do periodic
    /// work) returns true, then stops capture and drains the rest. `sink`
    /// gets every record, oldest first, in place in the ring. Empty rings
    /// back off from 0.5 ms to 5 ms between polls.
    pub fn drain_until(&mut self, mut tick: impl FnMut(&Self) -> bool, sink: &mut dyn RecordSink) -> Result<()> {
        const MIN_IDLE: std::time::Duration = std::time::Duration::from_micros(500);
        const MAX_IDLE: std::time::Duration = std::time::Duration::from_millis(5);
        let mut idle = MIN_IDLE;
        loop {
            if tick(self) {
                self.finish();
            }
            if self.stopping {
                self.device.stop()?;
                // Let probes that were running finish their writes.
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            let handed =
                self.device.drain(self.stopping, &mut |record| sink.record(record), &mut self.decode_errors)?;
            if handed > 0 {
                sink.round_end()?;
                idle = MIN_IDLE;
            } else if !self.stopping {
                std::thread::sleep(idle);
                idle = (idle * 2).min(MAX_IDLE);
            }
            if self.stopping {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{decode, encode, Record};
    use shared_abi::{RecordHeader, RecordKind};

    /// A record stamped `ts` carrying `tag` as its exit code.
    fn rec(ts: u64, tag: i32) -> Vec<u8> {
        encode::process_exit(RecordHeader { ts_ns: ts, ..Default::default() }, tag)
    }

    fn pad(len: usize) -> Vec<u8> {
        let mut bytes = vec![0u8; len];
        bytes[..4].copy_from_slice(&(len as u32).to_ne_bytes());
        bytes[4..6].copy_from_slice(&(RecordKind::Pad as u16).to_ne_bytes());
        bytes
    }

    /// A ring's data area holding `records` back to back from position 0.
    fn ring(records: &[Vec<u8>]) -> Vec<u8> {
        records.concat()
    }

    fn tag(bytes: &[u8]) -> i32 {
        match decode(bytes) {
            Ok(Some(Record::ProcessExit(p))) => p.exit_code,
            other => panic!("{other:?}"),
        }
    }

    /// Merges the rings, whose first head readings are `first` and whose
    /// second are their ends; returns the tags in order and the positions.
    fn run(rings: &[Vec<u8>], first: &[u64]) -> (Vec<i32>, Vec<u64>, u64) {
        let mut readers: Vec<RingReader<'_>> =
            rings.iter().zip(first).map(|(r, &f)| RingReader::new(r, 0, f, r.len() as u64)).collect();
        let (mut tags, mut errors) = (Vec::new(), 0);
        merge(
            &mut readers,
            &mut |bytes| {
                tags.push(tag(bytes));
                Ok(())
            },
            &mut errors,
            &mut |_| {},
        )
        .unwrap();
        (tags, readers.iter().map(RingReader::position).collect(), errors)
    }

    #[test]
    fn merges_rings_in_time_order_in_place() {
        let a = ring(&[rec(5, 1), pad(8), rec(30, 2)]);
        let b = ring(&[rec(3, 3), rec(25, 4), rec(40, 5)]);
        let (tags, positions, errors) = run(&[a.clone(), b.clone()], &[a.len() as u64, b.len() as u64]);
        assert_eq!(tags, [3, 1, 4, 2, 5]);
        assert_eq!(positions, [a.len() as u64, b.len() as u64]);
        assert_eq!(errors, 0);
    }

    #[test]
    fn gives_space_back_as_a_long_round_goes() {
        let records: Vec<Vec<u8>> = (0..600).map(|i| rec(i, i as i32)).collect();
        let len = records[0].len() as u64;
        let data = ring(&records);
        let mut readers = [RingReader::new(&data, 0, data.len() as u64, data.len() as u64)];
        let mut released = Vec::new();
        let handed =
            merge(&mut readers, &mut |_| Ok(()), &mut 0, &mut |r| released.push(r[0].position() / len)).unwrap();
        assert_eq!(handed, 600);
        assert_eq!(released, [RELEASE_EVERY, 2 * RELEASE_EVERY]);
    }

    #[test]
    fn hands_over_what_the_first_reading_saw_and_older_records_seen_since() {
        // Ring b's first reading saw its record at 25; ring a published its
        // record at 20 only before the second reading: it goes first, in
        // this round. Ring a's record at 30 is newer than all the first
        // readings saw: it waits for the next round, in the ring.
        let (r20, r30) = (rec(20, 1), rec(30, 2));
        let a = ring(&[r20.clone(), r30]);
        let b = ring(&[rec(25, 3)]);
        let (tags, positions, _) = run(&[a, b.clone()], &[0, b.len() as u64]);
        assert_eq!(tags, [1, 3]);
        assert_eq!(positions, [r20.len() as u64, b.len() as u64]);
    }

    #[test]
    fn a_corrupt_record_skips_the_rest_of_its_ring_only() {
        let mut bad = rec(10, 9);
        bad[..4].copy_from_slice(&3u32.to_ne_bytes());
        let a = ring(&[rec(1, 1), bad, rec(20, 2)]);
        let b = ring(&[rec(5, 3), rec(15, 4)]);
        let (tags, positions, errors) = run(&[a.clone(), b.clone()], &[a.len() as u64, b.len() as u64]);
        assert_eq!(tags, [1, 3, 4]);
        assert_eq!(positions, [a.len() as u64, b.len() as u64]);
        assert_eq!(errors, 1);
    }

    #[test]
    fn reads_across_the_wrap_and_stops_where_a_sink_fails() {
        // Positions grow past the area's length; the producer pads to its end.
        let (r1, r2, r3) = (rec(1, 1), rec(2, 2), rec(3, 3));
        let len = r1.len();
        let size = 3 * len + 16;
        let data = [r2, r3, r1, pad(16)].concat();
        assert_eq!(data.len(), size);
        // Consumed up to the record at 1; the producer wrote it, padded to the
        // end, wrapped and wrote the records at 2 and 3.
        let start = (size + 2 * len) as u64;
        let end = (2 * size + 2 * len) as u64;
        let mut reader = [RingReader::new(&data, start, end, end)];
        let mut tags = Vec::new();
        let failed = merge(
            &mut reader,
            &mut |bytes| {
                tags.push(tag(bytes));
                if tags.len() == 2 {
                    anyhow::bail!("sink full");
                }
                Ok(())
            },
            &mut 0,
            &mut |_| {},
        );
        assert_eq!(failed.unwrap_err().to_string(), "sink full");
        assert_eq!(tags, [1, 2]);
        // The record the sink failed on stays in the ring, as does the next.
        assert_eq!(reader[0].position(), 2 * size as u64);
    }
}
