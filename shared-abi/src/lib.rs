//! Osprey's wire contract: record layouts, the ring header, ioctls and the ABI
//! version, shared verbatim with the kernel module (see `abi.rs`).
#![no_std]

include!("abi.rs");

pub mod syscalls;

/// Plain-old-data wire types: every byte pattern of the right size is a value.
///
/// # Safety
/// Implement only for `repr(C)` types made of integers, without padding.
pub unsafe trait Pod: Copy + 'static {}

// SAFETY: all are `repr(C)` integer aggregates without padding (sizes asserted in abi.rs).
unsafe impl Pod for RecordHeader {}
// SAFETY: as above.
unsafe impl Pod for BlobDesc {}
// SAFETY: as above.
unsafe impl Pod for SyscallRecord {}
// SAFETY: as above.
unsafe impl Pod for ProcessExitRecord {}
// SAFETY: as above.
unsafe impl Pod for RingStats {}
// SAFETY: as above.
unsafe impl Pod for RingStatsQuery {}
// SAFETY: as above.
unsafe impl Pod for DeviceInfo {}
// SAFETY: as above.
unsafe impl Pod for DeviceStats {}
// SAFETY: as above.
unsafe impl Pod for Interest {}
// SAFETY: as above.
unsafe impl Pod for ExecFacts {}

/// Reads a `T` from the start of `bytes` (any alignment); `None` if too short.
pub fn read_pod<T: Pod>(bytes: &[u8]) -> Option<T> {
    if bytes.len() < size_of::<T>() {
        return None;
    }
    // SAFETY: `bytes` holds at least size_of::<T>() bytes and `T: Pod` accepts
    // any bit pattern; read_unaligned has no alignment requirement.
    Some(unsafe { bytes.as_ptr().cast::<T>().read_unaligned() })
}

/// The bytes of a wire value, as the producer lays them out.
pub fn pod_bytes<T: Pod>(value: &T) -> &[u8] {
    // SAFETY: `T: Pod` has no padding, so all size_of::<T>() bytes are initialised.
    unsafe { core::slice::from_raw_parts((value as *const T).cast::<u8>(), size_of::<T>()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_stats_add_and_subtract_counter_by_counter() {
        let a = RingStats { seen: 10, delivered: 6, filtered: 3, dropped: 1, truncated: 2 };
        let b = RingStats { seen: 4, delivered: 1, filtered: 2, dropped: 1, truncated: 0 };
        assert_eq!(a + b, RingStats { seen: 14, delivered: 7, filtered: 5, dropped: 2, truncated: 2 });
        assert_eq!(a + b - b, a);
    }
}
