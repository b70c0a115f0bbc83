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
// SAFETY: as above.
unsafe impl Pod for OpenFilter {}
// SAFETY: as above.
unsafe impl Pod for ContainerFilter {}

/// Reads a `T` from the start of `bytes` (any alignment); `None` if too short.
pub fn read_pod<T: Pod>(bytes: &[u8]) -> Option<T> {
    if bytes.len() < size_of::<T>() {
        return None;
    }
    // SAFETY: `bytes` holds at least size_of::<T>() bytes and `T: Pod` accepts
    // any bit pattern; read_unaligned has no alignment requirement.
    Some(unsafe { bytes.as_ptr().cast::<T>().read_unaligned() })
}

/// Views a `T` at the start of `bytes` without copying it; `None` if
/// `bytes` is too short or not aligned for `T` (then `read_pod` copies).
pub fn view_pod<T: Pod>(bytes: &[u8]) -> Option<&T> {
    if bytes.len() < size_of::<T>() || bytes.as_ptr().align_offset(align_of::<T>()) != 0 {
        return None;
    }
    // SAFETY: `bytes` holds at least size_of::<T>() bytes at an address
    // aligned for `T`, `T: Pod` accepts any bit pattern, and the returned
    // borrow keeps `bytes` borrowed for as long as the view lives.
    Some(unsafe { &*bytes.as_ptr().cast::<T>() })
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

    #[test]
    fn the_smallest_ring_holds_two_of_the_largest_records() {
        let data = MIN_RING_PAGES as usize * PAGE_SIZE;
        assert!(MIN_RING_PAGES.is_power_of_two() && data >= 2 * MAX_RECORD_SIZE);
        assert!(data / 2 < 2 * MAX_RECORD_SIZE, "not the smallest power of two");
        // Every capture set fits the bound the minimum is computed from.
        for nr in 0..MAX_SYSCALLS as u32 {
            let caps = exit_captures(nr, 0, INTEREST_FLAGS).iter().map(|c| capture_cap(*c)).sum::<usize>();
            assert!(size_of::<SyscallRecord>() + caps <= MAX_RECORD_SIZE, "{nr}");
        }
    }

    #[test]
    fn probe_flags_say_which_directions_and_results_are_delivered() {
        let mut interest = Interest::default();
        interest.set(nr::OPENAT as usize, false, true);
        interest.set(nr::CLOSE as usize, false, true);
        interest.set_success_only(nr::CLOSE as usize);
        interest.set(nr::EXECVE as usize, true, true);
        let getppid = 110;
        interest.set_success_only(getppid);
        let flags = |nr: u32| interest.probe_flags(nr as usize);
        assert_eq!(flags(nr::OPENAT), PROBE_EXIT_SUCCEEDED | PROBE_EXIT_FAILED);
        assert_eq!(flags(nr::CLOSE), PROBE_EXIT_SUCCEEDED);
        assert_eq!(flags(nr::EXECVE), PROBE_ENTER | PROBE_EXIT_SUCCEEDED | PROBE_EXIT_FAILED);
        // Success-only without the exit delivers nothing.
        assert_eq!(interest.probe_flags(getppid), 0);
        assert_eq!(interest.probe_flags(MAX_SYSCALLS), 0);
        let all = Interest::all();
        assert!(
            (0..MAX_SYSCALLS).all(|nr| all.probe_flags(nr) == PROBE_ENTER | PROBE_EXIT_SUCCEEDED | PROBE_EXIT_FAILED)
        );
    }

    #[test]
    fn exit_captures_fill_the_slots_from_the_first() {
        for nr in 0..MAX_SYSCALLS as u32 {
            for (ret, flags) in [(-1, 0), (0, 0), (3, 0), (0, INTEREST_EXEC_ENV)] {
                let captures = exit_captures(nr, ret, flags);
                let used = captures.iter().take_while(|c| **c != Capture::None).count();
                assert!(captures[used..].iter().all(|c| *c == Capture::None), "{nr} {ret}: {captures:?}");
            }
        }
        assert_eq!(exit_captures(nr::EXECVE, 0, INTEREST_EXEC_ENV)[4], Capture::ExecEnv);
    }

    #[test]
    fn exits_that_may_capture_are_exactly_those_with_buffers() {
        for nr in 0..MAX_SYSCALLS as u32 + 2 {
            let some = [i64::MIN, i64::MAX].into_iter().chain(-4096..=4096).any(|ret| {
                [0, INTEREST_EXEC_ENV].into_iter().any(|flags| exit_captures(nr, ret, flags)[0] != Capture::None)
            });
            assert_eq!(exit_may_capture(nr), some, "{nr}");
        }
        assert!(exit_may_capture(nr::OPENAT) && exit_may_capture(nr::PIPE) && !exit_may_capture(nr::CLOSE));
    }

    #[test]
    fn an_open_filter_delivers_what_a_clause_admits_and_what_it_cannot_judge() {
        let mut f = OpenFilter::off();
        let sh = b"sh";
        assert!(f.delivers(b"/anything", 1, sh));
        assert!(f.push(1 << 1 | 1 << 2, [&[b"/etc/", b"/var/log"], &[], &[], &[]]));
        assert!(f.push(1 << OPEN_CLASS_CREAT, [&[], &[b"/release_agent"], &[], &[]]));
        assert!(f.push(1, [&[b"/home/"], &[], &[b"/.ssh/", b"id_rsa"], &[]]));
        assert!(f.push(1, [&[], &[], &[], &[b"tar", b"scp"]]));
        assert_eq!(f.clauses, 4);
        assert!(f.delivers(b"/etc/shadow", 1, sh));
        assert!(f.delivers(b"/var/log/syslog", 2, sh));
        assert!(!f.delivers(b"/etc/shadow", 0, sh), "read-only: no clause admits the class");
        assert!(!f.delivers(b"/tmp/x", 1, sh));
        assert!(f.delivers(b"/sys/fs/cgroup/x/release_agent", OPEN_CLASS_CREAT, sh));
        assert!(!f.delivers(b"/sys/fs/cgroup/x/release_agent", 1, sh));
        assert!(f.delivers(b"/home/u/.ssh/config", 0, sh));
        assert!(f.delivers(b"/home/u/id_rsa.pub", 0, sh));
        assert!(!f.delivers(b"/home/u/.bashrc", 0, sh));
        assert!(!f.delivers(b"/root/.ssh/id_rsa", 0, sh));
        assert!(f.delivers(b"/srv/data", 0, b"tar"));
        assert!(!f.delivers(b"/srv/data", 0, b"tarx"));
        // Paths only the consumer can resolve.
        for path in [&b"etc/shadow"[..], b"/tmp/../etc/shadow", b"/tmp//x", b"/tmp/./x", b"/tmp/x/", b""] {
            assert!(f.delivers(path, 0, sh), "{path:?}");
        }
    }

    #[test]
    fn an_open_filter_refuses_what_does_not_fit_and_delivers_when_malformed() {
        let mut f = OpenFilter::off();
        let long = [b'a'; OPEN_FILTER_TEXT + 1];
        assert!(!f.push(1, [&[], &[], &[&long[..]], &[]]));
        assert_eq!(f.clauses, 0);
        for _ in 0..OPEN_FILTER_CLAUSES {
            assert!(f.push(1, [&[b"/x"], &[], &[], &[]]));
        }
        assert!(!f.push(1, [&[b"/x"], &[], &[], &[]]));
        assert!(!f.delivers(b"/y", 0, b"sh"));
        f.clause[0] = OpenClause { classes: 1, prefixes: TextRange { start: 10, end: 60000 }, ..Default::default() };
        assert!(f.delivers(b"/y", 0, b"sh"));
    }

    #[test]
    fn a_container_filter_drops_its_kinds_in_host_cgroups_only() {
        let f = ContainerFilter::new([nr::MOUNT, 308], [90, 7, 1000, 7]);
        assert_eq!(&f.host_cgroups[..f.hosts as usize], &[7, 7, 90, 1000]);
        for host in [7, 90, 1000] {
            assert!(f.drops(nr::MOUNT, host) && f.drops(308, host));
        }
        assert!(!f.drops(nr::MOUNT, 8), "a cgroup not known as a host's is delivered");
        assert!(!f.drops(nr::OPENAT, 7), "other syscalls are delivered");
        assert!(!ContainerFilter::off().drops(nr::MOUNT, 0));
        let full = ContainerFilter::new([nr::MOUNT], (1..=HOST_CGROUPS as u64 + 10).rev());
        assert_eq!(full.hosts as usize, HOST_CGROUPS);
        assert!(full.drops(nr::MOUNT, HOST_CGROUPS as u64 + 10) && !full.drops(nr::MOUNT, 1));
    }

    #[test]
    fn a_sorted_search_under_replacement_never_finds_what_no_version_held() {
        let old = [2u64, 4, 6, 8, 10, 12, 14];
        let new = [1u64, 3, 5, 7, 9, 11, 13];
        // Every mix of the two versions, entry by entry, as a probe may read
        // a filter being rewritten.
        for mask in 0u32..1 << old.len() {
            let at = |i: usize| if mask & (1 << i) != 0 { new[i] } else { old[i] };
            for id in 0..16 {
                if sorted_contains(old.len(), at, id) {
                    assert!(old.contains(&id) || new.contains(&id), "{id} with mask {mask:b}");
                }
            }
        }
        for id in old {
            assert!(sorted_contains(old.len(), |i| old[i], id));
        }
    }

    #[test]
    fn normal_absolute_paths_have_no_empty_dot_or_dotdot_component() {
        for path in ["/etc", "/etc/shadow", "/a/.b/..c/...", "/.x", "/x.", "/a/b.c/d..e"] {
            assert!(is_normal_absolute(path.as_bytes()), "{path}");
        }
        for path in ["", "/", "etc", "//etc", "/etc/", "/etc//x", "/./x", "/x/.", "/x/..", "/../x", "/a/./b", "/a/../b"]
        {
            assert!(!is_normal_absolute(path.as_bytes()), "{path}");
        }
    }

    #[test]
    fn normal_absolute_reads_as_its_definition_for_every_short_path() {
        let by_definition = |path: &[u8]| match path.split_first() {
            Some((b'/', rest)) => rest.split(|b| *b == b'/').all(|c| !matches!(c, b"" | b"." | b"..")),
            _ => false,
        };
        // Every path of up to 9 bytes over '/', '.' and one other byte, alone
        // and after each of "/a" to "/aaaaaaaa", so that every pair of
        // bytes is seen on both sides of the scan's word boundaries.
        const LONGEST: usize = 9;
        let mut path = [0u8; 10 + LONGEST];
        for pad in [0, 2, 3, 4, 5, 6, 7, 8, 9, 10] {
            path[..pad].copy_from_slice(&b"/aaaaaaaaa"[..pad]);
            for len in 0..=LONGEST as u32 {
                for mut n in 0..3usize.pow(len) {
                    for b in &mut path[pad..pad + len as usize] {
                        *b = b"/.a"[n % 3];
                        n /= 3;
                    }
                    let path = &path[..pad + len as usize];
                    assert_eq!(is_normal_absolute(path), by_definition(path), "{:?}", core::str::from_utf8(path));
                }
            }
        }
    }

    #[test]
    fn open_classes_follow_the_access_mode() {
        let args = |flags: u64| [0, flags, flags, 0, 0, 0];
        assert_eq!(open_class(nr::OPEN, &args(0o1101), None), Some(1));
        assert_eq!(open_class(nr::OPENAT, &args(2), None), Some(2));
        assert_eq!(open_class(nr::OPENAT2, &args(0), Some(0o100001)), Some(1));
        assert_eq!(open_class(nr::OPENAT2, &args(0), None), None);
        assert_eq!(open_class(nr::CREAT, &args(0), None), Some(OPEN_CLASS_CREAT));
        assert_eq!(open_class(0, &args(0), None), None);
    }
}
