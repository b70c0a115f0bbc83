"""Memory below 4 GiB for the cases that make 32-bit syscalls (i386's
`int $0x80`, x32's): they take 32-bit pointers. Machine code to make the
syscalls goes on an executable page there, and data is copied after it."""
import ctypes
import mmap

MAP_32BIT = 0x40


class LowMemory:
    def __init__(self):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.mmap.restype = ctypes.c_void_p
        libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                              ctypes.c_long]
        page = libc.mmap(None, 4096, mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC,
                         mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | MAP_32BIT, -1, 0)
        assert page not in (None, ctypes.c_void_p(-1).value) and page < 1 << 32, page
        self.page = page
        self.free = page

    def copy(self, data):
        """`data` copied below 4 GiB; its address."""
        at = self.free
        assert at + len(data) <= self.page + 4096, "out of low memory"
        ctypes.memmove(at, data, len(data))
        self.free += (len(data) + 7) & ~7
        return at

    def function(self, code, restype):
        """`code` (x86-64 machine code taking three arguments after the
        syscall number, System V's way) as a Python function."""
        at = self.copy(code)
        return ctypes.CFUNCTYPE(restype, ctypes.c_long, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong)(at)
