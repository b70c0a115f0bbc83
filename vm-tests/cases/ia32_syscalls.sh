# A 64-bit process making 32-bit syscalls (`int $0x80`), whose numbers are
# the i386 table's: i386's 59 is olduname, x86-64's is execve. A module
# reading the number as x86-64's reports an execve that never happened (a
# "successful" one: olduname returns 0). Then a native openat, to show the
# capture was on.
set -u
python3 - <<'PY'
import ctypes, mmap, os
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
MAP_32BIT = 0x40  # 32-bit syscalls take 32-bit pointers
page = libc.mmap(None, 4096, mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC,
                 mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | MAP_32BIT, -1, 0)
assert page not in (None, ctypes.c_void_p(-1).value) and page < 1 << 32, page
code = bytes([
    0x53,        # push rbx
    0x89, 0xf8,  # mov eax, edi: the i386 number
    0x89, 0xf3,  # mov ebx, esi: its first argument
    0xcd, 0x80,  # int 0x80
    0x5b,        # pop rbx
    0xc3,        # ret
])
ctypes.memmove(page, code, len(code))
int80 = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_long, ctypes.c_ulong)(page)
print("ia32 olduname returned", int80(59, page + 2048))
print("ia32 getppid returned", int80(64, 0), "ppid", os.getppid())
try:
    os.open("/osprey-native-marker", os.O_RDONLY)
except FileNotFoundError:
    pass
PY
