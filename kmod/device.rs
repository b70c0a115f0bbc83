// SPDX-License-Identifier: GPL-2.0

//! `/dev/osprey`, the consumer's device: who may attach, what it maps and
//! its ioctls.

use core::sync::atomic::{AtomicPtr, Ordering};

use kernel::{
    bindings, c_str,
    ffi::c_int,
    fs::File,
    ioctl::_IOC_SIZE,
    miscdevice::{MiscDevice, MiscDeviceOptions, MiscDeviceRegistration},
    mm::virt::VmaNew,
    new_mutex,
    prelude::*,
    sync::{atomic, Arc, Mutex},
    task::CurrentTask,
    transmute::{AsBytes, FromBytes},
    uaccess::{UserPtr, UserSlice},
};

use crate::abi::{
    self, ContainerFilter, DeviceInfo, DeviceStats, Interest, OpenFilter, RingStatsQuery, PAGE_SIZE,
};
use crate::ffi;
use crate::Shared;

// SAFETY: all-integer `repr(C)` types without padding (asserted in abi.rs):
// every byte pattern is a valid value and every byte is initialised.
unsafe impl FromBytes for Interest {}
// SAFETY: as above.
unsafe impl FromBytes for OpenFilter {}
// SAFETY: as above.
unsafe impl FromBytes for ContainerFilter {}
// SAFETY: as above.
unsafe impl AsBytes for DeviceInfo {}
// SAFETY: as above.
unsafe impl AsBytes for DeviceStats {}
// SAFETY: as above.
unsafe impl FromBytes for RingStatsQuery {}
// SAFETY: as above.
unsafe impl AsBytes for RingStatsQuery {}

/// The device node and the state its open files reach through `container_of`.
#[pin_data]
pub(crate) struct Device {
    shared: Arc<Shared>,
    #[pin]
    misc: MiscDeviceRegistration<Consumer>,
}

impl Device {
    /// Registers `/dev/osprey`, whose consumer shares `shared`.
    pub(crate) fn new(shared: Arc<Shared>) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            shared,
            misc <- MiscDeviceRegistration::register(MiscDeviceOptions { name: c_str!("osprey") }),
        })
    }
}

/// An open `/dev/osprey`: the one consumer.
#[pin_data]
struct Consumer {
    shared: Arc<Shared>,
    /// Held while an ioctl changes what the probes deliver (the interest,
    /// the hooks, the filters, capture on or off): two of the consumer's
    /// threads never interleave such changes.
    #[pin]
    programming: Mutex<()>,
}

#[vtable]
impl MiscDevice for Consumer {
    type Ptr = Pin<KBox<Self>>;

    fn open(_file: &File, misc: &MiscDeviceRegistration<Self>) -> Result<Pin<KBox<Self>>> {
        if !may_attach() {
            return Err(EPERM);
        }
        // SAFETY: every `MiscDeviceRegistration<Consumer>` is the `misc` field
        // of a `Device` (only `Device::new` creates one), which outlives opens.
        let device =
            unsafe { &*kernel::container_of!(core::ptr::from_ref(misc).cast_mut(), Device, misc) };
        let shared = device.shared.clone();
        if shared.attached.xchg(true, atomic::Full) {
            return Err(EBUSY);
        }
        let consumer = try_pin_init!(Self { shared, programming <- new_mutex!(()) });
        KBox::try_pin_init(consumer, GFP_KERNEL).inspect_err(|_| {
            device.shared.attached.store(false, atomic::Release);
        })
    }

    fn release(me: Pin<KBox<Self>>, _file: &File) {
        me.shared.capturing.store(false, Ordering::Release);
        me.shared.consumer.clear();
        me.shared.set_interest(&Interest::default());
        me.shared.open_filter.replace(None);
        me.shared.set_container_filter(None);
        me.shared.attached.store(false, atomic::Release);
    }

    fn mmap(me: Pin<&Consumer>, _file: &File, vma: &VmaNew) -> Result {
        let shared = &me.shared;
        // SAFETY: `vma` is a valid area being set up; reading its offset is fine.
        let pgoff = unsafe { (*vma.as_ptr()).vm_pgoff } as usize;
        let len = vma.end() - vma.start();
        let consumer_pages = shared.consumer_pages as usize;
        vma.set_dontcopy();
        if pgoff == 0 && len == consumer_pages * PAGE_SIZE {
            return shared.consumer_area.map(vma, 0);
        }
        // Rings are read-only for the consumer: it may not even mprotect them writable.
        if vma.writable() {
            return Err(EPERM);
        }
        vma.try_clear_maywrite()?;
        let ring_pages = 1 + shared.data_size / PAGE_SIZE;
        let index = pgoff.checked_sub(consumer_pages).ok_or(EINVAL)?;
        if index % ring_pages != 0 || len != ring_pages * PAGE_SIZE {
            return Err(EINVAL);
        }
        shared.rings.get(index / ring_pages).ok_or(EINVAL)?.map(vma)
    }

    fn ioctl(me: Pin<&Consumer>, _file: &File, cmd: u32, arg: usize) -> Result<isize> {
        let shared = &me.shared;
        let user = UserSlice::new(UserPtr::from_addr(arg), _IOC_SIZE(cmd));
        let _programming = match cmd {
            abi::IOCTL_GET_INFO
            | abi::IOCTL_GET_STATS
            | abi::IOCTL_GET_SYSCALL_STATS
            | abi::IOCTL_GET_RING_STATS => None,
            _ => Some(me.programming.lock()),
        };
        match cmd {
            abi::IOCTL_GET_INFO => user.writer().write(&shared.info())?,
            abi::IOCTL_GET_STATS => user.writer().write(&shared.stats())?,
            abi::IOCTL_GET_SYSCALL_STATS => shared.write_syscall_stats(&mut user.writer())?,
            abi::IOCTL_GET_RING_STATS => {
                let (mut reader, mut writer) = user.reader_writer();
                let mut query: RingStatsQuery = reader.read()?;
                if query.cpu as usize >= shared.rings.len() {
                    return Err(EINVAL);
                }
                query.stats = shared.counters.cpu_stats(query.cpu as usize);
                writer.write(&query)?;
            }
            abi::IOCTL_SET_INTEREST => {
                let interest: Interest = user.reader().read()?;
                if interest.flags & !abi::INTEREST_FLAGS != 0 {
                    return Err(EINVAL);
                }
                shared.set_interest(&interest);
            }
            abi::IOCTL_SET_OPEN_FILTER => {
                let filter = read_boxed::<OpenFilter>(user)?;
                shared
                    .open_filter
                    .replace((filter.clauses > 0).then_some(filter));
            }
            abi::IOCTL_SET_CONTAINER_FILTER => {
                let filter = read_boxed::<ContainerFilter>(user)?;
                shared.set_container_filter(Some(&filter));
            }
            abi::IOCTL_START => {
                // The process issuing the ioctl.
                shared.consumer.set_current();
                shared
                    .capturing
                    .store(!shared.probe_floor, Ordering::Release);
            }
            abi::IOCTL_STOP => shared.capturing.store(false, Ordering::Release),
            _ => return Err(ENOTTY),
        }
        Ok(0)
    }
}

/// Whether the current task may attach: it sees every process's syscalls
/// and can blind the sensor, so besides the device's mode it needs
/// `CAP_SYS_ADMIN`, or `CAP_PERFMON` (tracing) together with
/// `CAP_SYS_PTRACE` (reading other processes), in the initial user namespace.
fn may_attach() -> bool {
    // SAFETY: checks the current task's credentials; writes no audit
    // record for a denial (the one that passes may still be refused).
    let has = |cap: u32| unsafe { bindings::capable_noaudit(cap as c_int) };
    has(bindings::CAP_SYS_ADMIN) || has(bindings::CAP_PERFMON) && has(bindings::CAP_SYS_PTRACE)
}

/// The consumer's process: a counted reference on its `struct pid`, or null.
/// A `core` atomic: the record path compares with it (see the crate's doc).
pub(crate) struct ConsumerProcess(AtomicPtr<bindings::pid>);

impl ConsumerProcess {
    pub(crate) const fn new() -> Self {
        Self(AtomicPtr::new(core::ptr::null_mut()))
    }

    /// Whether `task` belongs to the consumer's process: one comparison of
    /// its thread group's `struct pid` with the one held.
    #[inline(always)]
    pub(crate) fn is(&self, task: &CurrentTask) -> bool {
        // SAFETY: the current task's `signal` lives as long as the task,
        // and its thread-group pid changes only when the task is released.
        let tgid =
            unsafe { (*(*task.as_ptr()).signal).pids[bindings::pid_type_PIDTYPE_TGID as usize] };
        tgid == self.0.load(Ordering::Relaxed)
    }

    /// Holds the current process's pid. A probe that still compares with
    /// the pid being replaced cannot match another process with it: a
    /// `struct pid` is freed only once no task uses it, and the task
    /// running the probe uses its own.
    pub(crate) fn set_current(&self) {
        // SAFETY: takes a reference on the current task's thread-group pid.
        let pid = unsafe { ffi::osprey_current_tgid_get() }.cast::<bindings::pid>();
        Self::put(self.0.swap(pid, Ordering::AcqRel));
    }

    pub(crate) fn clear(&self) {
        Self::put(self.0.swap(core::ptr::null_mut(), Ordering::AcqRel));
    }

    fn put(pid: *mut bindings::pid) {
        // SAFETY: `pid` is null or a reference taken by `set_current` and
        // given up once, here (put_pid ignores null).
        unsafe { bindings::put_pid(pid) };
    }
}

impl Drop for ConsumerProcess {
    fn drop(&mut self) {
        self.clear();
    }
}

/// Reads a `T` from user memory onto the heap (wire structs of kilobytes
/// are too big for the kernel stack).
fn read_boxed<T: FromBytes>(user: UserSlice) -> Result<KBox<T>> {
    let mut value = KBox::<T>::new_uninit(GFP_KERNEL)?;
    // SAFETY: the box holds size_of::<T>() bytes; viewing them as
    // uninitialised bytes is always valid.
    let bytes = unsafe {
        core::slice::from_raw_parts_mut(
            value.as_mut_ptr().cast::<core::mem::MaybeUninit<u8>>(),
            size_of::<T>(),
        )
    };
    user.reader().read_raw(bytes)?;
    // SAFETY: `read_raw` initialised every byte (it fails otherwise), and
    // any bytes are a `T` (`FromBytes`).
    Ok(unsafe { value.assume_init() })
}
