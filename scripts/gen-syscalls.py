#!/usr/bin/env python3
"""Writes shared-abi/src/syscalls.rs from a kernel tree's x86 syscall tables.

    scripts/gen-syscalls.py KERNEL_TREE [--check]

The tables (arch/x86/entry/syscalls/syscall_{64,32}.tbl) give each syscall's
number, name and entry function (include/uapi/linux/net.h and net/compat.c
give i386's socketcall's calls). An i386 syscall (`int $0x80`, or any 32-bit
process) is recorded as its x86-64 twin:

- the x86-64 syscall with the same entry function: the same arguments in
  the same order. The 16-bit-id variants of the old i386 calls
  (`sys_setuid16`, ...) are their 32-bit-id counterparts, an id of -1 then
  reading as 65535. i386's clone has its last two arguments (tls,
  child_tid) swapped, which no parameter Falco gives of clone shows.
- or the one `I386_AS` names (stat64 is stat, pread64's offset is split).

Anything else (calls a 64-bit kernel runs as ENOSYS, old calls without an
x86-64 counterpart) has no twin and is left out; socketcall has none either,
but each of its calls is one (as each of ipc's is: the hand-written part). `sys_ni_syscall` is no entry function: it is
ENOSYS for every number it stands for. A syscall without arguments has one
function under its `__x64_` and `__ia32_` names (read from the sources'
`SYSCALL_DEFINE0`s): only the first is hooked. x32 (syscall_64.tbl's "x32"
rows and the "common" rows it shares) is x86-64's syscalls under the same
numbers, and for its own rows (512 on) the x86-64 syscall of the same name.

The file ends with a part written by hand (after `HAND_WRITTEN`), which the
script keeps. With --check, says whether the committed file is what the
tree gives.
"""
import pathlib
import re
import sys

MAX_SYSCALLS = 512
# i386 syscalls that are x86-64 ones by another entry function: the same
# call on structures of another layout (which Osprey does not decode), or
# with arguments that `ia32_args` (in the written-by-hand part of the file)
# rearranges: 64-bit values split over two registers, an offset in pages,
# an argument the x86-64 call has and the i386 one lacks; or that
# `ia32_args_in_memory` finds in a structure in the task's memory (the old
# mmap and select, i386's 90 and 82).
I386_AS = {
    "oldstat": "stat", "oldfstat": "fstat", "oldlstat": "lstat",
    "stat64": "stat", "lstat64": "lstat", "fstat64": "fstat", "fstatat64": "newfstatat",
    "fcntl64": "fcntl", "sendfile": "sendfile",
    "utime": "utime", "utimes": "utimes", "futimesat": "futimesat", "utimensat": "utimensat",
    "clock_settime": "clock_settime",
    "umount": "umount2", "waitpid": "wait4",
    "pread64": "pread64", "pwrite64": "pwrite64", "truncate64": "truncate", "ftruncate64": "ftruncate",
    "fallocate": "fallocate", "mmap2": "mmap", "_llseek": "lseek",
    "mmap": "mmap", "select": "select", "oldolduname": "uname", "olduname": "uname",
}
HAND_WRITTEN = "// Written by hand from here on: scripts/gen-syscalls.py keeps it."
OUT = pathlib.Path(__file__).resolve().parent.parent / "shared-abi/src/syscalls.rs"


def table(path, abis):
    """(number, name, entry or None, compat entry or None) of the rows for `abis`."""
    rows = []
    for line in path.read_text().splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) < 3 or fields[1] not in abis:
            continue
        entry = fields[3] if len(fields) > 3 and fields[3] != "sys_ni_syscall" else None
        compat = fields[4] if len(fields) > 4 and fields[4] != "-" else None
        rows.append((int(fields[0]), fields[2], entry, compat))
    return rows


def without_arguments(tree):
    """Functions of syscalls declared without arguments (`sys_getppid`,
    `compat_sys_x32_rt_sigreturn`): their `__x64_` and `__ia32_` entry
    points are one function under two names. Other architectures' files
    are not read."""
    tree = pathlib.Path(tree)
    found = set()
    for path in tree.rglob("*.c"):
        parts = path.relative_to(tree).parts
        if parts[0] in ("tools", "Documentation", "samples", "scripts"):
            continue
        if parts[0] == "arch" and (parts[1] != "x86" or parts[2] == "um"):
            continue
        text = path.read_bytes()
        if b"DEFINE0(" in text:
            for m in re.finditer(rb"^(COMPAT_)?SYSCALL_DEFINE0\((\w+)\)", text, re.M):
                found.add(("compat_sys_" if m[1] else "sys_") + m[2].decode())
    return found


def generate(tree):
    tables = pathlib.Path(tree) / "arch/x86/entry/syscalls"
    x86_64 = [r for r in table(tables / "syscall_64.tbl", {"common", "64"}) if r[0] < MAX_SYSCALLS]
    i386 = table(tables / "syscall_32.tbl", {"i386"})
    by_entry = {entry: nr for nr, _, entry, _ in x86_64 if entry}
    twins = []
    by_name = {name: nr for nr, name, _, _ in x86_64}
    for nr, name, entry, compat in i386:
        if not entry or compat == "sys_ni_syscall":
            continue
        if entry.endswith("16") and entry not in ("sys_getgroups16", "sys_setgroups16"):
            entry_64 = entry[: -len("16")]
        else:
            entry_64 = entry
        if entry_64 in by_entry:
            twins.append((nr, by_entry[entry_64], compat or entry))
        elif name in I386_AS:
            twins.append((nr, by_name[I386_AS[name]], compat or entry))
    assert all(nr < MAX_SYSCALLS for nr, _, _ in twins)
    # A twin without arguments enters by its x86-64 twin's function, under
    # another name: it is hooked there, once.
    one_function = without_arguments(tree)
    entry_of = {nr: entry for nr, _, entry, _ in x86_64}
    own_entry = [t for t in twins if not (t[2] in one_function and t[2] == entry_of[t[1]])]
    # Two i386 numbers may enter by one function (fcntl and fcntl64), a
    # twin of one x86-64 syscall: it is hooked once.
    kept = {}
    for nr, nr_64, entry in own_entry:
        assert kept.setdefault(entry, (nr, nr_64, entry))[1] == nr_64, entry
    own_entry = list(kept.values())
    socketcall = next(row for row in i386 if row[1] == "socketcall")
    # x32: the common rows are x86-64's syscalls under their own numbers;
    # its own rows (512 on) are the x86-64 syscalls of their names.
    x32_rows = table(tables / "syscall_64.tbl", {"common", "x32"})
    x32 = {nr: nr if nr < MAX_SYSCALLS else by_name[name] for nr, name, entry, _ in x32_rows if entry}
    entries_64 = {entry for _, _, entry, _ in x86_64}
    x32_entries = sorted((by_name[name], entry) for nr, name, entry, _ in x32_rows
                         if nr >= MAX_SYSCALLS and entry and entry not in entries_64)
    # x32's own and i386's entry points share no function.
    assert not {e for _, e in x32_entries} & {e for _, _, e in own_entry} & one_function
    # send and recv are sendto and recvfrom without an address.
    alias = {"send": "sendto", "recv": "recvfrom"}
    calls = {}
    for line in (pathlib.Path(tree) / "include/uapi/linux/net.h").read_text().splitlines():
        m = re.match(r"#define SYS_(\w+)\s+(\d+)", line)
        if m:
            name = m[1].lower()
            calls[int(m[2])] = by_name[alias.get(name, name)]
    compat = (pathlib.Path(tree) / "net/compat.c").read_text()
    nas = [int(n) for n in re.findall(r"AL\((\d)\)", compat[compat.index("nas[") :].split(";")[0])]
    assert sorted(calls) == list(range(1, len(nas))), (calls, nas)

    out = [
        "//! System calls by number: x86-64's names and entry functions, and the",
        "//! i386 syscalls (`int $0x80`, 32-bit processes) that are x86-64 ones.",
        "//! Written by `scripts/gen-syscalls.py` from the kernel's `syscall_64.tbl`",
        "//! and `syscall_32.tbl`; change the script, not this file.",
        "",
        "/// Name of syscall `nr`, if it has one.",
        "pub fn name(nr: u32) -> Option<&'static str> {",
        "    NAMES.get(nr as usize).copied().flatten()",
        "}",
        "",
        "/// Number of the syscall called `name`.",
        "pub fn number(name: &str) -> Option<u32> {",
        "    NAMES.iter().position(|n| *n == Some(name)).map(|nr| nr as u32)",
        "}",
        "",
        "/// Every named syscall as (number, name).",
        "pub fn all() -> impl Iterator<Item = (u32, &'static str)> {",
        "    NAMES.iter().enumerate().filter_map(|(nr, n)| n.map(|n| (nr as u32, n)))",
        "}",
        "",
    ]
    out += [
        "/// The kernel function syscall `nr` enters by (`sys_newstat` for `stat`):",
        "/// its per-syscall hook is on `__x64_` and this.",
        "pub fn entry(nr: u32) -> Option<&'static str> {",
        "    ENTRIES.get(nr as usize).copied().flatten()",
        "}",
        "",
        "/// The x86-64 syscall that i386 syscall `nr` is, if any: the same entry",
        "/// function, or the same call with arguments `ia32_args` puts in order.",
        "pub const fn ia32_to_x86_64(nr: usize) -> Option<u32> {",
        "    if nr >= crate::MAX_SYSCALLS || IA32[nr] == NO_TWIN {",
        "        return None;",
        "    }",
        "    Some(IA32[nr] as u32)",
        "}",
        "",
        "/// i386's syscalls that are x86-64 ones and enter by a function of their",
        "/// own, as (i386 number, x86-64 number, entry function: its hook is on",
        "/// `__ia32_` and this). The others, those without arguments, enter by",
        "/// their twin's function under another name (`__ia32_sys_getppid` is",
        "/// `__x64_sys_getppid`).",
        "pub fn ia32_entries() -> impl Iterator<Item = (u32, u32, &'static str)> {",
        "    IA32_ENTRIES.iter().filter_map(|&(nr, entry)| Some((nr as u32, ia32_to_x86_64(nr as usize)?, entry)))",
        "}",
        "",
        "/// i386's socketcall: one syscall for the socket calls, the call's number",
        "/// in its first argument and the call's arguments in user memory at its",
        "/// second, 4 bytes each. It has no twin; each call is an x86-64 syscall.",
        f"pub const IA32_SOCKETCALL: usize = {socketcall[0]};",
        "",
        "/// socketcall's entry function (`__ia32_` and this).",
        f'pub const IA32_SOCKETCALL_ENTRY: &str = "{socketcall[3] or socketcall[2]}";',
        "",
        "/// The x86-64 syscall that socketcall's `call` is, and how many arguments",
        "/// it takes.",
        "pub const fn socketcall(call: u32) -> Option<(u32, usize)> {",
        "    if call == 0 || call as usize >= SOCKETCALLS.len() {",
        "        return None;",
        "    }",
        "    let (nr, args) = SOCKETCALLS[call as usize];",
        "    Some((nr as u32, args as usize))",
        "}",
        "",
        "/// The x86-64 syscalls that socketcall's calls are.",
        "pub fn socketcalls() -> impl Iterator<Item = u32> {",
        "    (1..SOCKETCALLS.len() as u32).filter_map(|call| Some(socketcall(call)?.0))",
        "}",
        "",
        "/// x32 (32-bit pointers, x86-64's registers): its syscalls are numbered",
        "/// with this bit set.",
        "pub const X32_SYSCALL_BIT: u32 = 0x4000_0000;",
        "",
        "/// The x86-64 syscall that x32 syscall `nr` (`X32_SYSCALL_BIT` set) is:",
        "/// the same number for the rows the two share, the one of the same name",
        "/// for x32's own (512 on: `execve` 520 is execve).",
        "pub const fn x32_to_x86_64(nr: u32) -> Option<u32> {",
        "    let nr = (nr ^ X32_SYSCALL_BIT) as usize;",
        "    if nr >= X32.len() || X32[nr] == NO_TWIN {",
        "        return None;",
        "    }",
        "    Some(X32[nr] as u32)",
        "}",
        "",
        "/// x32's syscalls that enter by a function of their own, as (x86-64",
        "/// number, entry function: its hook is on `__x64_` and this); the",
        "/// others enter by the x86-64 syscall's.",
        "pub fn x32_entries() -> impl Iterator<Item = (u32, &'static str)> {",
        "    X32_ENTRIES.iter().map(|&(nr, entry)| (nr as u32, entry))",
        "}",
        "",
        "const NO_TWIN: u16 = u16::MAX;",
        "",
        "/// By socketcall number (none is 0): the x86-64 number and the argument count.",
        f"const SOCKETCALLS: [(u16, u8); {len(nas)}] = [",
        "    (0, 0),",
    ]
    out += [f"    ({calls[call]}, {nas[call]})," for call in range(1, len(nas))]
    out += [
        "];",
        "",
        "const NAMES: [Option<&str>; crate::MAX_SYSCALLS] = {",
        "    let mut t = [None; crate::MAX_SYSCALLS];",
    ]
    out += [f'    t[{nr}] = Some("{name}");' for nr, name, _, _ in x86_64]
    out += ["    t", "};", ""]
    out += [
        "/// Entry functions by x86-64 number.",
        "const ENTRIES: [Option<&str>; crate::MAX_SYSCALLS] = {",
        "    let mut t = [None; crate::MAX_SYSCALLS];",
    ]
    out += [f'    t[{nr}] = Some("{entry}");' for nr, _, entry, _ in x86_64 if entry]
    out += ["    t", "};", ""]
    out += [
        "/// By i386 number, the x86-64 one (`NO_TWIN`: none).",
        "const IA32: [u16; crate::MAX_SYSCALLS] = {",
        "    let mut t = [NO_TWIN; crate::MAX_SYSCALLS];",
    ]
    out += [f"    t[{nr}] = {nr_64};" for nr, nr_64, _ in twins]
    out += ["    t", "};", ""]
    out += [
        "/// By x32 number (without `X32_SYSCALL_BIT`), the x86-64 one.",
        f"const X32: [u16; {max(x32) + 1}] = {{",
        f"    let mut t = [NO_TWIN; {max(x32) + 1}];",
    ]
    out += [f"    t[{nr}] = {nr_64};" for nr, nr_64 in sorted(x32.items())]
    out += ["    t", "};", ""]
    out += ["/// (x86-64 number, entry function) of x32's own.", "const X32_ENTRIES: &[(u16, &str)] = &["]
    out += [f'    ({nr}, "{entry}"),' for nr, entry in x32_entries]
    out += ["];", ""]
    out += [
        "/// (i386 number, entry function) of the twins with a function of their own.",
        "const IA32_ENTRIES: &[(u16, &str)] = &[",
    ]
    out += [f'    ({nr}, "{entry}"),' for nr, _, entry in own_entry]
    out += ["];", ""]
    return "\n".join(out)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    text = generate(sys.argv[1])
    old = OUT.read_text()
    body = old[: old.index(HAND_WRITTEN)]
    if "--check" in sys.argv[2:]:
        if body.rstrip() != text.rstrip():
            sys.exit(f"{OUT} is not what {sys.argv[1]} gives: run scripts/gen-syscalls.py {sys.argv[1]}")
        return
    OUT.write_text(text.rstrip() + "\n\n" + old[len(body):])


if __name__ == "__main__":
    main()
