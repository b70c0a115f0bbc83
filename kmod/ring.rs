// SPDX-License-Identifier: GPL-2.0

//! The per-CPU rings the probes write records into, and the vmalloc areas
//! that the consumer maps.

use core::sync::atomic::{AtomicU64, Ordering};

use kernel::{error::to_result, ffi::c_ulong, mm::virt::VmaNew, prelude::*};

use crate::abi::{self, RecordHeader, RecordKind, RingHeader, PAGE_SIZE};
use crate::ffi;

/// A zeroed, user-mappable vmalloc area, freed on drop.
pub(crate) struct VmallocArea {
    ptr: *mut u8,
    len: usize,
}

impl VmallocArea {
    pub(crate) fn new(len: usize) -> Result<Self> {
        // SAFETY: plain allocation; the result is checked for NULL.
        let ptr = unsafe { ffi::vmalloc_user_noprof(len as c_ulong) }.cast::<u8>();
        if ptr.is_null() {
            return Err(ENOMEM);
        }
        Ok(Self { ptr, len })
    }

    pub(crate) fn as_ptr(&self) -> *mut u8 {
        self.ptr
    }

    /// Maps the whole area, from page `pgoff` of it, into `vma`.
    pub(crate) fn map(&self, vma: &VmaNew, pgoff: usize) -> Result {
        if vma.end() - vma.start() + pgoff * PAGE_SIZE > self.len {
            return Err(EINVAL);
        }
        // SAFETY: `vma` is being set up by mmap; the area came from
        // vmalloc_user, so it is page aligned and VM_USERMAP, and its size was
        // checked above. The area outlives every mapping: open files pin the
        // module, which frees it only at unload.
        to_result(unsafe {
            ffi::remap_vmalloc_range(vma.as_ptr().cast(), self.ptr.cast(), pgoff as c_ulong)
        })
    }
}

impl Drop for VmallocArea {
    fn drop(&mut self) {
        // SAFETY: `ptr` came from vmalloc_user and is freed once, here.
        unsafe { ffi::vfree(self.ptr.cast()) };
    }
}

/// One CPU's ring: a header page followed by `data_size` bytes of records.
pub(crate) struct Ring {
    area: VmallocArea,
    /// A power of two.
    data_size: usize,
}

impl Ring {
    pub(crate) fn new(cpu: u32, data_size: usize) -> Result<Self> {
        if !data_size.is_power_of_two() {
            return Err(EINVAL);
        }
        let area = VmallocArea::new(PAGE_SIZE + data_size)?;
        // SAFETY: the area is at least a page, zeroed, and not yet shared.
        unsafe {
            let hdr = area.ptr.cast::<RingHeader>();
            (*hdr).magic = abi::RING_MAGIC;
            (*hdr).abi_version = abi::ABI_VERSION;
            (*hdr).cpu = cpu;
            (*hdr).data_size = data_size as u64;
        }
        Ok(Self { area, data_size })
    }

    /// Maps the ring (its header page and data) into `vma`.
    pub(crate) fn map(&self, vma: &VmaNew) -> Result {
        self.area.map(vma, 0)
    }

    fn header(&self) -> *mut RingHeader {
        self.area.ptr.cast()
    }

    /// Reserves `max` contiguous bytes at the producer position, padding to the
    /// end of the data area first when they would not fit before it. Returns
    /// the record's address, or `None` when the ring is full.
    ///
    /// Must run with preemption disabled on this ring's CPU.
    #[inline(always)]
    pub(crate) fn reserve(&self, consumer_pos: u64, max: usize) -> Option<(*mut u8, u64)> {
        // SAFETY: only this CPU, with preemption off, writes `head`.
        let head_atomic = unsafe { AtomicU64::from_ptr(&raw mut (*self.header()).head) };
        let mut head = head_atomic.load(Ordering::Relaxed);
        let size = self.data_size as u64;
        // The consumer position is untrusted input: anything outside
        // [head - size, head] means "full", never an out-of-bounds write.
        let used = head.wrapping_sub(consumer_pos);
        // A mask, not `%`: the size is a power of two (`ring_pages` is checked
        // at load), and a division would be the costliest instruction here.
        let offset = (head & (size - 1)) as usize;
        let to_end = self.data_size - offset;
        let need = if max > to_end { to_end + max } else { max } as u64;
        if used > size || used + need > size {
            return None;
        }
        // SAFETY: `offset + to_end` is the end of the data area.
        let data = unsafe { self.area.ptr.add(PAGE_SIZE) };
        if max > to_end {
            let pad = RecordHeader {
                size: to_end as u32,
                kind: RecordKind::Pad as u16,
                ..Default::default()
            };
            // SAFETY: `to_end` >= 8 (all sizes are multiples of 8) and only
            // the leading `size`/`kind` fields are read by the consumer.
            unsafe { data.add(offset).cast::<[u8; 8]>().write(*pad_prefix(&pad)) };
            head += to_end as u64;
            head_atomic.store(head, Ordering::Release);
            return Some((data, head));
        }
        // SAFETY: `offset + max <= data_size` was checked above.
        Some((unsafe { data.add(offset) }, head))
    }

    /// Publishes a record of `size` bytes written at position `head`.
    pub(crate) fn commit(&self, head: u64, size: usize) {
        // SAFETY: as in `reserve`.
        let head_atomic = unsafe { AtomicU64::from_ptr(&raw mut (*self.header()).head) };
        head_atomic.store(head + size as u64, Ordering::Release);
    }
}

/// The first 8 bytes of a record header (`size`, `kind`, `cpu`).
fn pad_prefix(hdr: &RecordHeader) -> &[u8; 8] {
    // SAFETY: `RecordHeader` is `repr(C)` and starts with 8 bytes of integers.
    unsafe { &*(hdr as *const RecordHeader).cast::<[u8; 8]>() }
}
