# Real actions whose decoded events test_capture_basics checks.
set -e
cat /etc/shadow >/dev/null
sh -c 'exec /bin/true a b'
cd /tmp
touch osprey-probe
chmod 4755 osprey-probe
mv osprey-probe osprey-renamed
rm osprey-renamed
mkdir osprey-dir && rmdir osprey-dir
python3 - <<'PY'
import socket, threading
srv = socket.socket(); srv.bind(("127.0.0.1", 8080)); srv.listen(1)
t = threading.Thread(target=lambda: srv.accept()[0].close()); t.start()
c = socket.create_connection(("127.0.0.1", 8080)); c.close(); t.join()
PY
python3 - <<'PY'
import ctypes, struct
libc = ctypes.CDLL(None, use_errno=True)
how = ctypes.create_string_buffer(struct.pack("QQQ", 0o2000000, 0, 0))  # O_RDONLY|O_CLOEXEC
fd = libc.syscall(437, -100, b"/etc/hostname", how, 24)
assert fd >= 0, ctypes.get_errno()
PY
unshare -U true
# capset: drop every capability but CAP_KILL (bit 5) in all three sets.
python3 - <<'PY'
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this thread
data = (ctypes.c_uint32 * 6)(1 << 5, 1 << 5, 1 << 5, 0, 0, 0)  # effective, permitted, inheritable x2
assert libc.syscall(126, header, data) == 0, ctypes.get_errno()
PY
# Numbers that are no syscall (ENOSYS), one with openat's low 16 bits (the
# probes test that byte): none is recorded as an openat.
python3 - <<'PY'
import ctypes, errno
libc = ctypes.CDLL(None, use_errno=True)
for nr in (1 << 16 | 257, 0x7fff << 16 | 257, 1000, -1):
    assert libc.syscall(nr, -100, b"/osprey-no-syscall", 0) == -1 and ctypes.get_errno() == errno.ENOSYS, nr
PY
(exit 3) || true
sh -c 'exit 7' || true
# A syscall outside the interest set: must not appear.
getent passwd root >/dev/null
