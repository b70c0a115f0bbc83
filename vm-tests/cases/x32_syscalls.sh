# x32 syscalls (the VM boots with syscall.x32=y): x86-64's registers, 32-bit
# pointers, numbers with bit 30 set. Shared calls keep x86-64's numbers,
# x32's own start at 512 (execve is 520). Each must come out as the x86-64
# syscall it is; x86-64's own execve number (59) is not an x32 call.
set -u
python3 - <<'PY'
import ctypes, os, struct, sys
sys.path.insert(0, "/io")
from low_memory import LowMemory
memory = LowMemory()
x32 = memory.function(bytes([
    0x89, 0xf8,        # mov eax, edi: the number
    0x48, 0x89, 0xf7,  # mov rdi, rsi: the arguments
    0x48, 0x89, 0xd6,  # mov rsi, rdx
    0x48, 0x89, 0xca,  # mov rdx, rcx
    0x0f, 0x05,        # syscall
    0xc3,              # ret
]), ctypes.c_long)
X32 = 0x40000000
low = memory.copy
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
