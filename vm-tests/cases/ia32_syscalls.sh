# 32-bit syscalls, whose numbers and argument registers are i386's: from a
# 64-bit process by `int $0x80`, and from a 32-bit program. Read as x86-64's,
# i386's olduname (59) would be an execve that never happened (a
# "successful" one: olduname returns 0); the others must come out as the
# x86-64 syscalls they are, arguments and buffers included (a 64-bit value
# split over two registers joined, an offset in pages in bytes). Then a native openat, to show the
# capture was on.
set -u
python3 - <<'PY'
import os, socket, struct, subprocess, sys
sys.path.insert(0, "/io")
from low_memory import ELF32_TEXT, LowMemory, elf32, into_64bit_code, syscall64
memory = LowMemory()
int80 = memory.int80()
low = memory.copy
print("ia32 olduname returned", int80(59, low(bytes(512)), 0, 0))
print("ia32 getppid returned", int80(64, 0, 0, 0), "ppid", os.getppid())
print("ia32 open returned", int80(5, low(b"/osprey-ia32-marker\0"), os.O_RDONLY, 0))
argv = [low(b"ia32-argv0\0"), low(b"ia32-arg1\0"), 0]
print("ia32 execve returned", int80(11, low(b"/osprey-ia32-missing\0"), low(struct.pack("<3I", *argv)), 0))
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen()
port = listener.getsockname()[1]
fd = int80(359, socket.AF_INET, socket.SOCK_STREAM, 0)
addr = struct.pack("<H", socket.AF_INET) + struct.pack(">H4s", port, socket.inet_aton("127.0.0.1")) + bytes(8)
print("ia32 connect returned", int80(362, fd, low(addr), len(addr)), "port", port)
os.close(fd)
# The same through socketcall (102), as 32-bit glibc makes them: the call's
# number, then a pointer to its arguments.
SYS_SOCKET, SYS_CONNECT = 1, 3
fd = int80(102, SYS_SOCKET, low(struct.pack("<3I", socket.AF_INET, socket.SOCK_STREAM, 0)), 0)
print("ia32 socketcall connect returned", int80(102, SYS_CONNECT, low(struct.pack("<3I", fd, low(addr), len(addr))), 0))
os.close(fd)
# Calls whose x86-64 twin enters by another function: stat64 (another
# structure), fcntl64, pread64 (its offset in two registers), mmap2 (its
# offset in pages), umount (umount2 without flags), _llseek (lseek).
print("ia32 stat64 returned", int80(195, low(b"/osprey-ia32-stat64\0"), low(bytes(128))))
fd = os.open("/dev/zero", os.O_RDONLY)
F_DUPFD = 0
print("ia32 fcntl64 returned", int80(221, fd, F_DUPFD, 100), "fd", fd)
print("ia32 pread64 returned", int80(180, fd, low(bytes(8)), 4, 5, 1))
PROT_READ, MAP_PRIVATE = 1, 2
print("ia32 mmap2 returned", int80(192, 0, 4096, PROT_READ, MAP_PRIVATE, fd, 1) & 0xffffffff)
print("ia32 umount returned", int80(22, low(b"/osprey-ia32-umount\0")))
SEEK_SET = 0
print("ia32 _llseek returned", int80(140, fd, 0, 4096, low(bytes(8)), SEEK_SET))
# The old mmap and select: their arguments in a structure in memory (the
# mmap's offset in bytes; select of no descriptors with a zero timeout).
old_mmap = low(struct.pack("<6I", 0, 4096, PROT_READ, MAP_PRIVATE, fd, 2 * 4096))
print("ia32 old mmap returned", int80(90, old_mmap) & 0xffffffff)
timeout = low(bytes(8))
print("ia32 old select returned", int80(82, low(struct.pack("<5I", 7, 0, 0, 0, timeout))), "timeout", timeout)
# System V IPC through ipc (117), as 32-bit glibc makes it: the call's
# number, then its arguments; semctl's fourth, and the buffer and type of a
# msgrcv of version 0, in memory.
IPC_PRIVATE, IPC_CREAT, IPC_NOWAIT, IPC_RMID, SETVAL = 0, 0o1000, 0o4000, 0, 16
SEMGET, SEMCTL, MSGSND, MSGRCV, MSGGET, MSGCTL = 2, 3, 11, 12, 13, 14
semid = int80(117, SEMGET, IPC_PRIVATE, 1, IPC_CREAT | 0o600)
print("ia32 ipc semctl returned", int80(117, SEMCTL, semid, 0, SETVAL, low(struct.pack("<I", 7))), "semid", semid)
msqid = int80(117, MSGGET, IPC_PRIVATE, IPC_CREAT | 0o600)
print("ia32 ipc msgsnd returned", int80(117, MSGSND, msqid, 5, 0, low(struct.pack("<i", 5) + b"hello")))
buffer = low(bytes(4 + 5))
print("ia32 ipc msgrcv returned", int80(117, MSGRCV, msqid, 5, IPC_NOWAIT, low(struct.pack("<Ii", buffer, -10))),
      "msqid", msqid, "buffer", buffer)
int80(117, SEMCTL, semid, 0, IPC_RMID, low(bytes(4)))
int80(117, MSGCTL, msqid, IPC_RMID, 0, 0)

# A 32-bit program: open and getppid as i386 machine code, then a jump into
# 64-bit code (as a 32-bit program may, to slip past what watches i386's
# table) for an x86-64 open and exit_group.
marker, gate_marker = b"/osprey-elf32-marker\0", b"/osprey-elf32-gate-marker\0"


def program(data_at):
    code32 = (b"\xb8\x05\x00\x00\x00\xbb" + struct.pack("<I", data_at) + b"\x31\xc9\xcd\x80"  # open(path, 0)
              + b"\xb8\x40\x00\x00\x00\xcd\x80")                                             # getppid()
    return (code32 + into_64bit_code(ELF32_TEXT + len(code32))
            + syscall64(2, data_at + len(marker), 0) + syscall64(231, 0))                    # open, exit_group(0)


elf32("/tmp/osprey-elf32", program, marker + gate_marker)
print("elf32 exited", subprocess.run(["/tmp/osprey-elf32", "elf32-arg"]).returncode)
try:
    os.open("/osprey-native-marker", os.O_RDONLY)
except FileNotFoundError:
    pass
PY
