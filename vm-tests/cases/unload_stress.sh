# rmmod while a consumer is attached must fail cleanly (the module is in use),
# then load/unload cycles with consumers attaching and detaching, each one
# reported as it ends (the harness fails a test on a stall, not on its length).
set -u
fail() { echo "FAIL: $*"; exit 1; }
/io/osprey capture --ready-file /run/ready >/dev/null 2>/tmp/c.err &
pid=$!
wait_ready $pid /run/ready /tmp/c.err || fail "the consumer did not start"
rmmod osprey 2>/tmp/rmmod.err && fail "rmmod succeeded with a consumer attached"
grep -q "in use" /tmp/rmmod.err || fail "unexpected rmmod error: $(cat /tmp/rmmod.err)"
# A second consumer is refused while the first holds the device.
/io/osprey capture --duration 0.1 >/dev/null 2>/tmp/second.err && fail "second consumer attached"
grep -q "busy" /tmp/second.err || fail "second open: $(cat /tmp/second.err)"
kill -KILL $pid; wait $pid 2>/dev/null
# A consumer killed mid-read leaves nothing behind: the next one attaches.
/io/osprey capture --duration 0.2 >/dev/null 2>/tmp/restart.err || fail "restart after SIGKILL: $(cat /tmp/restart.err)"
# The device refuses misuse: root-only, rings never writable, bad ioctls.
[ "$(stat -c %a /dev/osprey)" = 600 ] || fail "/dev/osprey mode $(stat -c %a /dev/osprey)"
PYTHONPATH=/io python3 - <<'PY' || fail "device misuse accepted"
import ctypes, errno, fcntl, mmap, os, struct
from osprey_device import GET_INFO, OPEN_FILTER_SIZE, SET_OPEN_FILTER, ioc, open_filter
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
fd = os.open("/dev/osprey", os.O_RDWR)
info = bytearray(32)                                   # DeviceInfo
fcntl.ioctl(fd, GET_INFO, info)
_, nr_rings, data_size, consumer_pages, page, _, _ = struct.unpack("IIQIIII", info)
ring_at, ring_len = consumer_pages * page, page + data_size
def mmap_errno(prot):
    addr = libc.mmap(None, ring_len, prot, mmap.MAP_SHARED, fd, ring_at)
    return ctypes.get_errno() if addr in (None, ctypes.c_void_p(-1).value) else addr
assert mmap_errno(mmap.PROT_READ | mmap.PROT_WRITE) == errno.EPERM, "ring mapped writable"
addr = mmap_errno(mmap.PROT_READ)
assert addr > 4096, f"read-only ring mapping failed: {addr}"
assert libc.mprotect(ctypes.c_void_p(addr), ring_len, mmap.PROT_READ | mmap.PROT_WRITE) != 0
assert ctypes.get_errno() == errno.EACCES, "ring made writable by mprotect"
def ioctl_errno(cmd, arg):
    try:
        fcntl.ioctl(fd, cmd, arg)
    except OSError as e:
        return e.errno
    return 0
bad_flags = bytes(192) + struct.pack("Q", 1 << 63)   # Interest with an unknown flag
assert ioctl_errno(ioc(1, 2, 200), bad_flags) == errno.EINVAL, "unknown interest flag accepted"
assert ioctl_errno(ioc(2, 1, 16), bytearray(16)) == errno.ENOTTY, "short GET_INFO accepted"
assert ioctl_errno(ioc(0, 99, 0), 0) == errno.ENOTTY, "unknown ioctl accepted"
# An open filter with a clause count and string ranges past its arrays is
# taken (the module then delivers rather than drops), replaced, and freed.
hostile = open_filter(1000, 0, struct.pack("I8H", 0xffffffff, 10, 60000, 5, 2, 3000, 4000, 0, 0))
assert ioctl_errno(SET_OPEN_FILTER, hostile) == 0, "hostile open filter refused"
assert ioctl_errno(SET_OPEN_FILTER, bytearray(OPEN_FILTER_SIZE)) == 0, "open filter not turned off"
print("device misuse refused")
PY
rmmod osprey || fail "rmmod after consumer death"
cycles=40
for i in $(seq 1 $cycles); do
  insmod /io/osprey.ko ring_pages=16 || fail "insmod cycle $i"
  /io/osprey capture --duration 0.2 >/dev/null 2>/dev/null || fail "capture cycle $i"
  ls / >/dev/null
  rmmod osprey || fail "rmmod cycle $i"
  echo "cycle $i/$cycles"
done
insmod /io/osprey.ko ring_pages=3 2>/dev/null && fail "ring_pages=3 accepted"
# Too small to hold two of the largest records: refused with the minimum.
insmod /io/osprey.ko ring_pages=4 2>/dev/null && fail "ring_pages=4 accepted"
dmesg | grep -q "ring_pages=4 must be a power of two from 8 to 65536" || fail "no message naming the minimum"
dmesg | grep -E "WARNING|BUG|Oops|Call Trace|UBSAN|KASAN" && fail "kernel complained"
echo "unload stress ok"
