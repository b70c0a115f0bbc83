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
        """`code` (x86-64 machine code taking a syscall number and up to six
        arguments, System V's way) as a Python function; arguments not
        given are 0."""
        raw = ctypes.CFUNCTYPE(restype, ctypes.c_long, *[ctypes.c_ulong] * 6)(self.copy(code))
        return lambda nr, *args: raw(nr, *args, *[0] * (6 - len(args)))

    def int80(self):
        """i386's syscalls by `int $0x80`, as a function of the number and
        the arguments (in ebx, ecx, edx, esi, edi, ebp)."""
        return self.function(bytes([
            0x53,                    # push rbx
            0x55,                    # push rbp
            0x89, 0xf8,              # mov eax, edi: the i386 number
            0x89, 0xf3,              # mov ebx, esi: its arguments
            0x41, 0x89, 0xca,        # mov r10d, ecx
            0x89, 0xd1,              # mov ecx, edx
            0x44, 0x89, 0xd2,        # mov edx, r10d
            0x44, 0x89, 0xc6,        # mov esi, r8d
            0x44, 0x89, 0xcf,        # mov edi, r9d
            0x8b, 0x6c, 0x24, 0x18,  # mov ebp, [rsp+24]: the seventh, on the stack
            0xcd, 0x80,              # int 0x80
            0x5d,                    # pop rbp
            0x5b,                    # pop rbx
            0xc3,                    # ret
        ]), ctypes.c_int)
