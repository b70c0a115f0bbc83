"""Memory below 4 GiB for the cases that make 32-bit syscalls (i386's
`int $0x80`, x32's): they take 32-bit pointers. Machine code to make the
syscalls goes on an executable page there, and data is copied after it.
And 32-bit programs: ELF32 executables of i386 machine code."""
import ctypes
import mmap
import os
import struct

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


ELF32_BASE = 0x08048000
# Where an `elf32` program's text is loaded: after the ELF and program headers.
ELF32_TEXT = ELF32_BASE + 52 + 32


def elf32(path, code, data):
    """Writes an executable at `path`: an ELF32 of one segment running i386
    machine code from ELF32_TEXT, `data` right after it. `code` gives the
    machine code for the address `data` is at (its length the same for any)."""
    text = code(ELF32_TEXT + len(code(0))) + data
    size = 52 + 32 + len(text)
    elf = (b"\x7fELF\x01\x01\x01" + bytes(9)
           + struct.pack("<HHIIIIIHHHHHH", 2, 3, 1, ELF32_TEXT, 52, 0, 0, 52, 32, 1, 0, 0, 0)
           + struct.pack("<IIIIIIII", 1, 0, ELF32_BASE, ELF32_BASE, size, size, 5, 0x1000)
           + text)
    with open(path, "wb") as f:
        f.write(elf)
    os.chmod(path, 0o755)


def into_64bit_code(at):
    """i386 machine code, placed at `at`, that far-jumps to the 64-bit code
    right after it: Linux's 64-bit user code segment (0x33) is open to
    every process, a 32-bit one included."""
    return b"\xea" + struct.pack("<IH", at + 7, 0x33)


def syscall64(nr, *args):
    """x86-64 machine code making syscall `nr` with up to three 32-bit
    arguments (in edi, esi, edx: their registers zero-extended)."""
    code = b"\xb8" + struct.pack("<I", nr)
    for opcode, arg in zip((b"\xbf", b"\xbe", b"\xba"), args):
        code += opcode + struct.pack("<I", arg)
    return code + b"\x0f\x05"
