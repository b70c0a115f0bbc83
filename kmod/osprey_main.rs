// SPDX-License-Identifier: GPL-2.0

//! Osprey's capture module.
//!
//! Probes on the `sys_enter`/`sys_exit` and `sched_process_exit` tracepoints
//! (or, with `per_syscall_hooks`, function hooks on the entry points of the
//! syscalls of interest plus `sys_exit` for those syscalls' returns only)
//! write fixed-layout records (see `shared-abi`) into per-CPU rings. The single
//! consumer of `/dev/osprey` maps the rings read-only plus one page of read
//! positions it may write, chooses the syscalls it wants with an ioctl, and
//! starts capture. Nothing in a probe blocks: a full ring counts a drop.
//!
//! Atomics: what the probes and the record path touch is a `core` atomic,
//! one instruction, where a `kernel::sync::atomic` access is a call to a C
//! helper in a kernel built without `CONFIG_RUST_INLINE_HELPERS` (any
//! gcc-built one). So are the words that C or the consumer's mapping lay
//! out (a task's flags, the hooks' `active`, a ring's head), reached with
//! `from_ptr`, and the `u8` and bitwise ones, which the kernel crate lacks.
//! The rest uses `kernel::sync::atomic`.

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use kernel::{
    prelude::*,
    sync::{atomic::Atomic, Arc},
    task::CurrentTask,
    uaccess::UserSliceWriter,
};

// shared-abi's sources, formatted with the workspace's settings, not the
// kernel's: rustfmt leaves them to `cargo fmt`.
#[path = "../shared-abi/src/abi.rs"]
#[allow(dead_code, unreachable_pub)]
#[rustfmt::skip]
mod abi;
#[path = "../shared-abi/src/syscalls.rs"]
#[allow(dead_code, unreachable_pub)]
#[rustfmt::skip]
mod syscalls;

mod capture;
mod counters;
mod device;
mod ffi;
mod hooks;
mod interest;
mod probes;
mod ring;
mod syscall;

use abi::{
    ContainerFilter, DeviceInfo, DeviceStats, Interest, RingStats, SyscallOutcome, INTEREST_WORDS,
    MAX_SYSCALLS, PAGE_SIZE,
};
use counters::{PerCpuCounters, COLUMNS};
use device::{ConsumerProcess, Device};
use hooks::SyscallHooks;
use interest::{HostCgroups, InterestBits, OpenFilterSlot, INTEREST};
use probes::Probes;
use ring::{Ring, VmallocArea};

module! {
    type: Osprey,
    name: "osprey",
    authors: ["The Osprey developers"],
    description: "Osprey runtime security sensor: syscall capture into per-CPU rings",
    license: "GPL",
    params: {
        ring_pages: u32 {
            default: 256,
            description: "Data pages per CPU ring (a power of two, 8..=65536; 1 GiB in all at most)",
        },
        probe_floor: bool {
            default: false,
            description: "Probes return at once (measures the tracepoint mechanism alone)",
        },
        per_syscall_hooks: bool {
            default: true,
            description: "Hook only the syscalls of interest (ftrace on their entry points) \
                instead of sending every syscall through the sys_enter/sys_exit tracepoints \
                (stands aside within a second while another syscall tracer is present)",
        },
    },
}

/// Everything the probes and the consumer share; lives until module unload.
/// The fields a probe reads are `core` atomics (see the crate's doc).
struct Shared {
    /// First, so that it is dropped (and its handlers waited for) before
    /// anything they use.
    hooks: Option<SyscallHooks>,
    rings: KVec<Ring>,
    counters: PerCpuCounters,
    /// One cache line per CPU: the consumer's read position (untrusted).
    consumer_area: VmallocArea,
    consumer_pages: u32,
    data_size: usize,
    /// Whether the probes count and record (never with `probe_floor`).
    capturing: AtomicBool,
    /// Whether `/dev/osprey` is open (it has one consumer at a time).
    attached: Atomic<bool>,
    /// The consumer's own syscalls are not captured (they would feed back):
    /// its process, as the `struct pid` it holds a reference on, so that
    /// another process given the same number later is still seen.
    consumer: ConsumerProcess,
    probe_floor: bool,
    interest_flags: AtomicU64,
    open_filter: OpenFilterSlot,
    /// Syscalls delivered only from cgroups not in `host_cgroups`.
    container_only: InterestBits,
    host_cgroups: HostCgroups,
}

// SAFETY: the raw pointers are to vmalloc and per-CPU areas owned by
// `Shared`; concurrent access follows the ring protocol (one producer per CPU
// with preemption disabled) and counters are per-CPU, read racily by design.
// The hooks' C side serialises changes with its own mutex.
unsafe impl Send for Shared {}
// SAFETY: see above.
unsafe impl Sync for Shared {}

impl Shared {
    fn new(
        nr_rings: u32,
        data_pages: u32,
        probe_floor: bool,
        per_syscall_hooks: bool,
    ) -> Result<Self> {
        let data_size = data_pages as usize * PAGE_SIZE;
        let mut rings = KVec::with_capacity(nr_rings as usize, GFP_KERNEL)?;
        for cpu in 0..nr_rings {
            rings.push(Ring::new(cpu, data_size)?, GFP_KERNEL)?;
        }
        let consumer_pages = abi::consumer_area_pages(nr_rings);
        Ok(Self {
            hooks: if per_syscall_hooks {
                Some(SyscallHooks::new()?)
            } else {
                None
            },
            rings,
            counters: PerCpuCounters::new()?,
            consumer_area: VmallocArea::new(consumer_pages as usize * PAGE_SIZE)?,
            consumer_pages,
            data_size,
            capturing: AtomicBool::new(false),
            attached: Atomic::new(false),
            consumer: ConsumerProcess::new(),
            probe_floor,
            interest_flags: AtomicU64::new(0),
            open_filter: OpenFilterSlot::new(),
            container_only: InterestBits::default(),
            host_cgroups: HostCgroups::new()?,
        })
    }

    fn info(&self) -> DeviceInfo {
        DeviceInfo {
            abi_version: abi::ABI_VERSION,
            nr_rings: self.rings.len() as u32,
            data_size: self.data_size as u64,
            consumer_area_pages: self.consumer_pages,
            page_size: PAGE_SIZE as u32,
            max_syscalls: abi::MAX_SYSCALLS as u32,
            _reserved: 0,
        }
    }

    fn consumer_pos(&self, cpu: usize) -> u64 {
        // SAFETY: slot `cpu` lies inside the consumer area (sized for every ring).
        let slot = unsafe {
            self.consumer_area
                .as_ptr()
                .add(cpu * abi::CONSUMER_SLOT_SIZE)
        };
        // SAFETY: the slot is 8-byte aligned and lives as long as `self`.
        unsafe { AtomicU64::from_ptr(slot.cast()) }.load(Ordering::Acquire)
    }

    /// Delivers what `interest` wants from now on. With the hooks, every
    /// task goes to the tracepoints before the map changes and the new set
    /// is hooked after: a syscall the new set wants and the old one did not
    /// hook is never missed in between.
    fn set_interest(&self, interest: &Interest) {
        if let Some(hooks) = &self.hooks {
            hooks.unhook();
        }
        INTEREST.set(interest);
        self.interest_flags.store(interest.flags, Ordering::Release);
        if let Some(hooks) = &self.hooks {
            if let Err(e) = hooks.hook(interest, self) {
                pr_warn!("per-syscall hooks unavailable ({:?}): every syscall goes through the tracepoints\n", e);
            }
        }
    }

    /// Installs the consumer's container filter; `None` delivers every cgroup.
    fn set_container_filter(&self, filter: Option<&ContainerFilter>) {
        match filter {
            Some(filter) => {
                let hosts = (filter.hosts as usize).min(abi::HOST_CGROUPS);
                self.host_cgroups.set(&filter.host_cgroups[..hosts]);
                self.container_only.set(&filter.kinds);
            }
            None => {
                self.container_only.set(&[0; INTEREST_WORDS]);
                self.host_cgroups.set(&[]);
            }
        }
    }

    /// Whether the hooks carry the syscalls' entries (and only their tasks
    /// reach the syscall tracepoints).
    #[inline(always)]
    fn hooked(&self) -> bool {
        self.hooks
            .as_ref()
            .is_some_and(|hooks| hooks.active(Ordering::Relaxed))
    }

    /// `hooked`, read after the caller's last atomic operation (a load of
    /// the total order of `SeqCst` operations, a plain load on x86-64).
    #[inline(always)]
    fn hooked_now(&self) -> bool {
        self.hooks
            .as_ref()
            .is_some_and(|hooks| hooks.active(Ordering::SeqCst))
    }

    fn stats(&self) -> DeviceStats {
        let total = (0..self.rings.len())
            .map(|cpu| self.counters.cpu_stats(cpu))
            .fold(RingStats::default(), |total, cpu| total + cpu);
        DeviceStats {
            total,
            capturing: self.capturing.load(Ordering::Relaxed) as u32,
            hooked: self.hooked() as u32,
        }
    }

    #[inline(always)]
    fn capturing(&self) -> bool {
        self.capturing.load(Ordering::Relaxed)
    }

    /// Whether `task` is the consumer (its syscalls would feed back).
    #[inline(always)]
    fn is_consumer(&self, task: &CurrentTask) -> bool {
        self.consumer.is(task)
    }

    /// Writes the per-syscall counters, summed over CPUs, as a `SyscallStats`
    /// (in pieces: the whole is too big for the kernel stack).
    fn write_syscall_stats(&self, out: &mut UserSliceWriter) -> Result {
        const PIECE: usize = 64;
        const _: () = assert!(MAX_SYSCALLS % PIECE == 0);
        for outcome in [
            SyscallOutcome::Delivered,
            SyscallOutcome::Filtered,
            SyscallOutcome::Dropped,
        ] {
            for start in (0..MAX_SYSCALLS).step_by(PIECE) {
                let mut piece = [0u64; PIECE];
                for counters in (0..self.rings.len()).filter_map(|cpu| self.counters.of_cpu(cpu)) {
                    for (i, sum) in piece.iter_mut().enumerate() {
                        *sum += counters.get(outcome as usize * COLUMNS + start + i);
                    }
                }
                out.write(&piece)?;
            }
        }
        Ok(())
    }
}

struct Osprey {
    // Dropped in this order: no new opens, then no running probe, then the rings.
    _device: Pin<KBox<Device>>,
    _probes: Probes,
}

impl kernel::Module for Osprey {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let pages = module_parameters::ring_pages.value();
        if !pages.is_power_of_two() || !(abi::MIN_RING_PAGES..=65536).contains(&pages) {
            pr_err!(
                "ring_pages={} must be a power of two from {} to 65536\n",
                pages,
                abi::MIN_RING_PAGES
            );
            return Err(EINVAL);
        }
        let nr_rings = kernel::cpu::nr_cpu_ids();
        let ring_bytes = u64::from(pages) * PAGE_SIZE as u64 * u64::from(nr_rings);
        if ring_bytes > abi::MAX_RING_BYTES {
            pr_err!(
                "ring_pages={} on {} CPUs is {} MiB of rings, over the {} MiB limit\n",
                pages,
                nr_rings,
                ring_bytes >> 20,
                abi::MAX_RING_BYTES >> 20
            );
            return Err(EINVAL);
        }
        let floor = module_parameters::probe_floor.value();
        let hooked = module_parameters::per_syscall_hooks.value() && !floor;
        let shared = Arc::new(Shared::new(nr_rings, pages, floor, hooked)?, GFP_KERNEL)?;
        let probes = Probes::register(shared.clone())?;
        // Nothing hooked until a consumer says what it wants.
        shared.set_interest(&Interest::default());
        let device = KBox::pin_init(Device::new(shared.clone()), GFP_KERNEL)?;
        pr_info!(
            "abi {}, {} rings of {} KiB{}\n",
            abi::ABI_VERSION,
            nr_rings,
            pages as usize * PAGE_SIZE / 1024,
            if floor {
                ", probe_floor"
            } else if hooked {
                ", per-syscall hooks"
            } else {
                ""
            }
        );
        Ok(Self {
            _device: device,
            _probes: probes,
        })
    }
}
