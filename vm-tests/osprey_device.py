"""/dev/osprey's ioctls from Python, for the VM cases that drive the module
directly (shared-abi's layouts, by hand: the cases check the module against
them). Importable in the guest from /io."""
import fcntl
import os
import struct

MAX_SYSCALLS = 512
WORDS = MAX_SYSCALLS // 64
INTEREST_SIZE = 3 * WORDS * 8 + 8
OPEN_FILTER_SIZE = 8 + 16 * 20 + 3072
OPEN_FILTER_CLOSES = 1
OPENAT, CLOSE = 257, 3


def ioc(direction, nr, size):
    return (direction << 30) | (size << 16) | (ord("O") << 8) | nr


GET_INFO = ioc(2, 1, 32)
SET_INTEREST = ioc(1, 2, INTEREST_SIZE)
START = ioc(0, 3, 0)
GET_SYSCALL_STATS = ioc(2, 6, 3 * MAX_SYSCALLS * 8)
SET_OPEN_FILTER = ioc(1, 8, OPEN_FILTER_SIZE)


def interest(exits=(), flags=0):
    """An Interest asking for the exits of the syscalls `exits`."""
    words = [0] * (3 * WORDS)
    for nr in exits:
        words[WORDS + nr // 64] |= 1 << (nr % 64)
    return bytearray(struct.pack(f"{3 * WORDS}QQ", *words, flags))


def open_filter(clauses=0, flags=0, body=b""):
    """An OpenFilter: `clauses`, `flags`, then `body` (clauses and text)."""
    data = struct.pack("II", clauses, flags) + body
    return bytearray(data + bytes(OPEN_FILTER_SIZE - len(data)))


def attach(exits=(), flags=0):
    """Opens the device, asks for `exits` and starts capture: the calling
    process is then the consumer."""
    fd = os.open("/dev/osprey", os.O_RDWR)
    fcntl.ioctl(fd, SET_INTEREST, interest(exits, flags))
    fcntl.ioctl(fd, START, 0)
    return fd


def syscall_counts(fd, nr):
    """(delivered, filtered, dropped) of syscall `nr` since the module loaded."""
    stats = bytearray(3 * MAX_SYSCALLS * 8)
    fcntl.ioctl(fd, GET_SYSCALL_STATS, stats)
    return tuple(struct.unpack_from("Q", stats, (row * MAX_SYSCALLS + nr) * 8)[0] for row in range(3))
