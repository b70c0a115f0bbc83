# x32 syscalls (the VM boots with syscall.x32=y): x86-64's registers, 32-bit
# pointers, numbers with bit 30 set. Shared calls keep x86-64's numbers,
# x32's own start at 512 (execve is 520). Each must come out as the x86-64
# syscall it is; x86-64's own execve number (59) is not an x32 call.
set -u
python3 - <<'PY'
import ctypes, mmap, os, struct
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
MAP_32BIT = 0x40  # x32 takes 32-bit pointers
page = libc.mmap(None, 4096, mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC,
                 mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | MAP_32BIT, -1, 0)
assert page not in (None, ctypes.c_void_p(-1).value) and page < 1 << 32, page
code = bytes([
    0x89, 0xf8,        # mov eax, edi: the number
    0x48, 0x89, 0xf7,  # mov rdi, rsi: the arguments
    0x48, 0x89, 0xd6,  # mov rsi, rdx
    0x48, 0x89, 0xca,  # mov rdx, rcx
    0x0f, 0x05,        # syscall
    0xc3,              # ret
])
ctypes.memmove(page, code, len(code))
x32 = ctypes.CFUNCTYPE(ctypes.c_long, ctypes.c_long, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong)(page)
X32 = 0x40000000
free = page + 256


def low(data):
    """`data` copied below 4 GiB; its address."""
    global free
    at = free
    ctypes.memmove(at, data, len(data))
    free += (len(data) + 7) & ~7
    return at


print("x32 getppid returned", x32(X32 | 110, 0, 0, 0), "ppid", os.getppid())
print("x32 open returned", x32(X32 | 2, low(b"/osprey-x32-marker\0"), os.O_RDONLY, 0))
argv = [low(b"x32-argv0\0"), low(b"x32-arg1\0"), 0]
print("x32 execve returned", x32(X32 | 520, low(b"/osprey-x32-missing\0"), low(struct.pack("<3I", *argv)), 0))
print("x32 59 returned", x32(X32 | 59, low(b"/bin/true\0"), 0, 0))
try:
    os.open("/osprey-native-marker", os.O_RDONLY)
except FileNotFoundError:
    pass
PY
