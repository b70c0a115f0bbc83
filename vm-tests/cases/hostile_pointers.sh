# Syscalls with user pointers that fault (NULL, a kernel address, an unmapped
# page) in each decoded argument, and strings longer than the buffers.
set -u
python3 - <<'PY'
import ctypes, os, subprocess
libc = ctypes.CDLL(None, use_errno=True)
sc = libc.syscall
sc.restype = ctypes.c_long
AT_FDCWD = -100
for p in (0, 0xffffffff81000000, 0x1000):
    bad = ctypes.c_void_p(p)
    sc(257, AT_FDCWD, bad, 0, 0)                        # openat: path
    sc(437, AT_FDCWD, b"/tmp", bad, 24)                 # openat2: open_how
    sc(82, bad, bad)                                    # rename: both paths
    sc(42, -1, bad, 16)                                 # connect: sockaddr
    if p:  # a NULL argv is an empty one: the exec would succeed
        sc(59, b"/bin/true", bad, None)                 # execve: argv array
        argv = (ctypes.c_void_p * 3)(ctypes.cast(ctypes.c_char_p(b"/bin/true"), ctypes.c_void_p), bad, None)
        sc(59, b"/bin/true", argv, None)                # execve: one argv pointer
# Longer than the buffers: a 5000-byte path, a 10 kB argument list.
sc(257, AT_FDCWD, b"/tmp/" + b"a" * 5000, 0, 0)
subprocess.run(["/bin/true"] + ["x" * 100] * 100)
print("hostile inputs done")
PY
