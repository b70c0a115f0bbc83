//! Rendering decoded records as Falco renders events: syscall names, `evt.dir`,
//! `evt.res` as SUCCESS or an errno name, and arguments under Falco's parameter
//! names with flags spelt out (`O_RDONLY|O_CLOEXEC`), addresses as `ip:port`.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use compact_str::{format_compact, CompactString};

use shared_abi::{nr, syscalls, BlobKind, ExecFacts};

use super::spelling::Spelling;
use super::Syscall;
use crate::event::{Arg, Args, Name};

/// Where a parameter's value comes from.
#[derive(Clone, Copy)]
enum Src {
    Arg(usize),
    Ret,
    Blob(BlobKind, u8),
    /// The first string of the (exec) argument area.
    ArgvHead,
    /// The rest of the argument area.
    ArgvTail,
    /// The environment area (when the consumer asked for it).
    Env,
    /// Element `i` of a written file-descriptor pair.
    FdPair(usize),
    /// The u64 at index `i` of a copied structure.
    StructWord(usize),
    /// A fact of the new image after exec.
    Exec(Fact),
}

/// The parts of `ExecFacts`.
#[derive(Clone, Copy)]
enum Fact {
    CapInheritable,
    CapPermitted,
    CapEffective,
    Ino,
    Ctime,
    Mtime,
    Flags,
}

/// How a parameter's raw value is turned into an `Arg`.
#[derive(Clone, Copy)]
enum Fmt {
    Int,
    Uint,
    Uint64,
    Str,
    StrList,
    Sockaddr,
    Spelt(Spelling),
}

type Param = (Name, Src, Fmt);

const fn a(i: usize) -> Src {
    Src::Arg(i)
}
const fn s(i: u8) -> Src {
    Src::Blob(BlobKind::Str, i)
}
const OPENED_PATH: Src = Src::Blob(BlobKind::OpenedPath, 0);

/// Whether syscall `nr`'s exit reports its new descriptor as the return
/// value (so a failed one has no `fd.num`).
pub fn fd_is_return(nr: u32) -> bool {
    params(nr).iter().any(|(name, src, _)| *name == Name::Fd && matches!(src, Src::Ret))
}

/// Whether the exit of `nr` names a descriptor it did not create (`fd`,
/// dup's `oldfd`): the one `fd.*` fields look up in the table.
pub fn names_descriptor(nr: u32) -> bool {
    params(nr).iter().any(|(name, src, _)| matches!(name, Name::Fd | Name::Oldfd) && !matches!(src, Src::Ret))
}

/// Falco's parameter names for the syscalls Osprey decodes (exit direction;
/// enter records render the `Arg` ones).
fn params(nr: u32) -> &'static [Param] {
    use Fmt::*;
    use Spelling::*;
    match nr {
        // `name` is what the caller passed (user memory, which its other
        // threads can rewrite); `kernel_path`, after a successful open, the
        // file the kernel opened.
        nr::OPEN => {
            const {
                &[
                    (Name::Fd, Src::Ret, Int),
                    (Name::Name, s(0), Str),
                    (Name::Flags, a(1), Spelt(OpenFlags)),
                    (Name::Mode, a(2), Spelt(Mode)),
                    (Name::KernelPath, OPENED_PATH, Str),
                ]
            }
        }
        nr::CREAT => {
            const {
                &[
                    (Name::Fd, Src::Ret, Int),
                    (Name::Name, s(0), Str),
                    (Name::Mode, a(1), Spelt(Mode)),
                    (Name::KernelPath, OPENED_PATH, Str),
                ]
            }
        }
        nr::OPENAT => {
            const {
                &[
                    (Name::Fd, Src::Ret, Int),
                    (Name::Dirfd, a(0), Int),
                    (Name::Name, s(1), Str),
                    (Name::Flags, a(2), Spelt(OpenFlags)),
                    (Name::Mode, a(3), Spelt(Mode)),
                    (Name::KernelPath, OPENED_PATH, Str),
                ]
            }
        }
        nr::OPENAT2 => {
            const {
                &[
                    (Name::Fd, Src::Ret, Int),
                    (Name::Dirfd, a(0), Int),
                    (Name::Name, s(1), Str),
                    (Name::Flags, Src::StructWord(0), Spelt(OpenFlags)),
                    (Name::Mode, Src::StructWord(1), Spelt(Mode)),
                    (Name::Resolve, Src::StructWord(2), Spelt(ResolveFlags)),
                    (Name::KernelPath, OPENED_PATH, Str),
                ]
            }
        }
        nr::EXECVE | nr::EXECVEAT => {
            const {
                &[
                    (Name::Res, Src::Ret, Int),
                    (Name::Exe, Src::ArgvHead, Str),
                    (Name::Args, Src::ArgvTail, StrList),
                    (Name::Cwd, Src::Blob(BlobKind::Cwd, 0), Str),
                    (Name::TrustedExepath, Src::Blob(BlobKind::Exe, 0), Str),
                    (Name::Env, Src::Env, StrList),
                    (Name::Flags, Src::Exec(Fact::Flags), Spelt(ExeFlags)),
                    (Name::CapInheritable, Src::Exec(Fact::CapInheritable), Spelt(FalcoHex)),
                    (Name::CapPermitted, Src::Exec(Fact::CapPermitted), Spelt(FalcoHex)),
                    (Name::CapEffective, Src::Exec(Fact::CapEffective), Spelt(FalcoHex)),
                    (Name::ExeIno, Src::Exec(Fact::Ino), Uint64),
                    (Name::ExeInoCtime, Src::Exec(Fact::Ctime), Uint64),
                    (Name::ExeInoMtime, Src::Exec(Fact::Mtime), Uint64),
                ]
            }
        }
        nr::CONNECT | nr::BIND => {
            const {
                &[
                    (Name::Res, Src::Ret, Int),
                    (Name::Fd, a(0), Int),
                    (Name::Addr, Src::Blob(BlobKind::Sockaddr, 1), Sockaddr),
                ]
            }
        }
        nr::ACCEPT | nr::ACCEPT4 => {
            const {
                &[
                    (Name::Fd, Src::Ret, Int),
                    (Name::ListenFd, a(0), Int),
                    (Name::Addr, Src::Blob(BlobKind::Sockaddr, 1), Sockaddr),
                ]
            }
        }
        41 => {
            const {
                &[
                    (Name::Fd, Src::Ret, Int),
                    (Name::Domain, a(0), Spelt(Family)),
                    (Name::Type, a(1), Uint),
                    (Name::Proto, a(2), Int),
                ]
            }
        }
        50 => const { &[(Name::Res, Src::Ret, Int), (Name::Fd, a(0), Int), (Name::Backlog, a(1), Int)] },
        3 => const { &[(Name::Res, Src::Ret, Int), (Name::Fd, a(0), Int)] },
        32 => const { &[(Name::Res, Src::Ret, Int), (Name::Oldfd, a(0), Int)] },
        33 => const { &[(Name::Res, Src::Ret, Int), (Name::Oldfd, a(0), Int), (Name::Newfd, a(1), Int)] },
        292 => {
            const {
                &[
                    (Name::Res, Src::Ret, Int),
                    (Name::Oldfd, a(0), Int),
                    (Name::Newfd, a(1), Int),
                    (Name::Flags, a(2), Spelt(DupFlags)),
                ]
            }
        }
        nr::PIPE | nr::PIPE2 => {
            const { &[(Name::Res, Src::Ret, Int), (Name::Fd1, Src::FdPair(0), Int), (Name::Fd2, Src::FdPair(1), Int)] }
        }
        72 => {
            const {
                &[
                    (Name::Res, Src::Ret, Int),
                    (Name::Fd, a(0), Int),
                    (Name::Cmd, a(1), Spelt(FcntlCommand)),
                    (Name::Arg, a(2), Spelt(FalcoHex)),
                ]
            }
        }
        nr::UNLINK | nr::RMDIR | nr::CHDIR | nr::CHROOT => {
            const { &[(Name::Res, Src::Ret, Int), (Name::Path, s(0), Str)] }
        }
        nr::UNLINKAT => {
            const {
                &[
                    (Name::Res, Src::Ret, Int),
                    (Name::Dirfd, a(0), Int),
                    (Name::Name, s(1), Str),
                    (Name::Flags, a(2), Spelt(UnlinkatFlags)),
                ]
            }
        }
        nr::MKDIR => {
            const { &[(Name::Res, Src::Ret, Int), (Name::Path, s(0), Str), (Name::Mode, a(1), Spelt(FalcoHex))] }
        }
        nr::MKDIRAT => {
            const {
                &[
                    (Name::Res, Src::Ret, Int),
                    (Name::Dirfd, a(0), Int),
                    (Name::Path, s(1), Str),
                    (Name::Mode, a(2), Spelt(FalcoHex)),
                ]
            }
        }
        nr::RENAME | nr::LINK => {
            const { &[(Name::Res, Src::Ret, Int), (Name::Oldpath, s(0), Str), (Name::Newpath, s(1), Str)] }
        }
        nr::RENAMEAT => {
            const {
                &[
                    (Name::Res, Src::Ret, Int),
                    (Name::Olddirfd, a(0), Int),
                    (Name::Oldpath, s(1), Str),
                    (Name::Newdirfd, a(2), Int),
                    (Name::Newpath, s(3), Str),
                ]
            }
        }
        nr::RENAMEAT2 => {
            const {
                &[
                    (Name::Res, Src::Ret, Int),
                    (Name::Olddirfd, a(0), Int),
                    (Name::Oldpath, s(1), Str),
                    (Name::Newdirfd, a(2), Int),
                    (Name::Newpath, s(3), Str),
                    (Name::Flags, a(4), Spelt(RenameFlags)),
                ]
            }
        }
        nr::LINKAT => {
            const {
                &[
                    (Name::Res, Src::Ret, Int),
                    (Name::Olddir, a(0), Int),
                    (Name::Oldpath, s(1), Str),
                    (Name::Newdir, a(2), Int),
                    (Name::Newpath, s(3), Str),
                    (Name::Flags, a(4), Spelt(LinkatFlags)),
                ]
            }
        }
        nr::SYMLINK => const { &[(Name::Res, Src::Ret, Int), (Name::Target, s(0), Str), (Name::Linkpath, s(1), Str)] },
        nr::SYMLINKAT => {
            const {
                &[
                    (Name::Res, Src::Ret, Int),
                    (Name::Target, s(0), Str),
                    (Name::Linkdirfd, a(1), Int),
                    (Name::Linkpath, s(2), Str),
                ]
            }
        }
        nr::CHMOD => {
            const { &[(Name::Res, Src::Ret, Int), (Name::Filename, s(0), Str), (Name::Mode, a(1), Spelt(ChmodMode))] }
        }
        91 => const { &[(Name::Res, Src::Ret, Int), (Name::Fd, a(0), Int), (Name::Mode, a(1), Spelt(ChmodMode))] },
        nr::FCHMODAT | nr::FCHMODAT2 => {
            const {
                &[
                    (Name::Res, Src::Ret, Int),
                    (Name::Dirfd, a(0), Int),
                    (Name::Filename, s(1), Str),
                    (Name::Mode, a(2), Spelt(ChmodMode)),
                ]
            }
        }
        nr::CHOWN | nr::LCHOWN => {
            const { &[(Name::Res, Src::Ret, Int), (Name::Path, s(0), Str), (Name::Uid, a(1), Int), (Name::Gid, a(2), Int)] }
        }
        nr::FCHOWNAT => {
            const {
                &[
                    (Name::Res, Src::Ret, Int),
                    (Name::Dirfd, a(0), Int),
                    (Name::Pathname, s(1), Str),
                    (Name::Uid, a(2), Int),
                    (Name::Gid, a(3), Int),
                    (Name::Flags, a(4), Spelt(FchownatFlags)),
                ]
            }
        }
        105 => const { &[(Name::Res, Src::Ret, Int), (Name::Uid, a(0), Spelt(Uid))] },
        106 => const { &[(Name::Res, Src::Ret, Int), (Name::Gid, a(0), Spelt(Gid))] },
        117 => {
            const {
                &[
                    (Name::Res, Src::Ret, Int),
                    (Name::Ruid, a(0), Spelt(Uid)),
                    (Name::Euid, a(1), Spelt(Uid)),
                    (Name::Suid, a(2), Spelt(Uid)),
                ]
            }
        }
        119 => {
            const {
                &[
                    (Name::Res, Src::Ret, Int),
                    (Name::Rgid, a(0), Spelt(Gid)),
                    (Name::Egid, a(1), Spelt(Gid)),
                    (Name::Sgid, a(2), Spelt(Gid)),
                ]
            }
        }
        nr::CAPSET => {
            const {
                &[
                    (Name::Res, Src::Ret, Int),
                    (Name::CapInheritable, Src::Exec(Fact::CapInheritable), Spelt(FalcoHex)),
                    (Name::CapPermitted, Src::Exec(Fact::CapPermitted), Spelt(FalcoHex)),
                    (Name::CapEffective, Src::Exec(Fact::CapEffective), Spelt(FalcoHex)),
                ]
            }
        }
        308 => const { &[(Name::Res, Src::Ret, Int), (Name::Fd, a(0), Int), (Name::Nstype, a(1), Spelt(CloneFlags))] },
        272 => const { &[(Name::Res, Src::Ret, Int), (Name::Flags, a(0), Spelt(CloneFlags))] },
        101 => {
            const { &[(Name::Res, Src::Ret, Int), (Name::Request, a(0), Spelt(PtraceRequest)), (Name::Pid, a(1), Int)] }
        }
        nr::MOUNT => {
            const {
                &[
                    (Name::Res, Src::Ret, Int),
                    (Name::Dev, s(0), Str),
                    (Name::Dir, s(1), Str),
                    (Name::Type, s(2), Str),
                    (Name::Flags, a(3), Spelt(MountFlags)),
                ]
            }
        }
        nr::UMOUNT2 => {
            const { &[(Name::Res, Src::Ret, Int), (Name::Name, s(0), Str), (Name::Flags, a(1), Spelt(UmountFlags))] }
        }
        56 => const { &[(Name::Res, Src::Ret, Int), (Name::Flags, a(0), Spelt(CloneFlags))] },
        435 => const { &[(Name::Res, Src::Ret, Int), (Name::ClArgs, a(0), Spelt(Hex)), (Name::Size, a(1), Uint)] },
        57 | 58 => const { &[(Name::Res, Src::Ret, Int)] },
        62 => const { &[(Name::Res, Src::Ret, Int), (Name::Pid, a(0), Int), (Name::Sig, a(1), Spelt(Signal))] },
        nr::MEMFD_CREATE => {
            const { &[(Name::Fd, Src::Ret, Int), (Name::Name, s(0), Str), (Name::Flags, a(1), Spelt(MemfdFlags))] }
        }
        nr::INIT_MODULE => {
            const { &[(Name::Res, Src::Ret, Int), (Name::Length, a(1), Uint), (Name::Uargs, s(2), Str)] }
        }
        313 => {
            const { &[(Name::Res, Src::Ret, Int), (Name::Fd, a(0), Int), (Name::Flags, a(2), Spelt(FinitModuleFlags))] }
        }
        nr::DELETE_MODULE => {
            const { &[(Name::Res, Src::Ret, Int), (Name::Name, s(0), Str), (Name::Flags, a(1), Spelt(DeleteModuleFlags))] }
        }
        321 => const { &[(Name::Res, Src::Ret, Int), (Name::Cmd, a(0), Spelt(BpfCommand))] },
        157 => {
            const { &[(Name::Res, Src::Ret, Int), (Name::Option, a(0), Spelt(PrctlOption)), (Name::Arg2, a(1), Spelt(Hex))] }
        }
        // Calls on an existing descriptor: the fd lets state and rules find it.
        0 | 1 => const { &[(Name::Res, Src::Ret, Int), (Name::Fd, a(0), Int), (Name::Size, a(2), Uint)] },
        17 | 18 => {
            const {
                &[
                    (Name::Res, Src::Ret, Int),
                    (Name::Fd, a(0), Int),
                    (Name::Size, a(2), Uint),
                    (Name::Pos, a(3), Uint64),
                ]
            }
        }
        5 | 8 | 16 | 19 | 20 | 44 | 45 | 46 | 47 | 48 | 51 | 52 | 54 | 55 | 73 | 74 | 75 | 77 | 78 | 81 | 93 | 138
        | 217 | 295 | 296 | 299 | 307 => const { &[(Name::Res, Src::Ret, Int), (Name::Fd, a(0), Int)] },
        109 => const { &[(Name::Res, Src::Ret, Int), (Name::Pid, a(0), Int), (Name::Pgid, a(1), Int)] },
        112 => const { &[(Name::Res, Src::Ret, Int)] },
        _ => &[],
    }
}

/// An IPv4/IPv6 socket address as `Arg::Addr`; a Unix socket's path as
/// text (`@name` when abstract).
fn sockaddr(bytes: &[u8]) -> Option<Arg> {
    let family = u16::from_ne_bytes(bytes.get(..2)?.try_into().ok()?);
    let port = || bytes.get(2..4).map(|p| u16::from_be_bytes([p[0], p[1]]));
    match family {
        1 => {
            let path = bytes.get(2..).unwrap_or_default();
            Some(Arg::Str(match path.first() {
                Some(0) => format_compact!("@{}", lossy_until_nul(&path[1..])),
                _ => lossy_until_nul(path),
            }))
        }
        2 => {
            let ip: [u8; 4] = bytes.get(4..8)?.try_into().ok()?;
            Some(Arg::Addr(SocketAddr::new(Ipv4Addr::from(ip).into(), port()?)))
        }
        10 => {
            let ip: [u8; 16] = bytes.get(8..24)?.try_into().ok()?;
            Some(Arg::Addr(SocketAddr::new(Ipv6Addr::from(ip).into(), port()?)))
        }
        _ => None,
    }
}

/// Falco's spelling of an endpoint: `ip:port`, IPv6 without brackets.
pub fn addr_text(addr: &SocketAddr) -> CompactString {
    format_compact!("{}:{}", addr.ip(), addr.port())
}

/// An endpoint from Falco's spelling (or std's `[ip]:port`).
pub fn read_addr(text: &str) -> Option<SocketAddr> {
    let (ip, port) = text.rsplit_once(':')?;
    let ip = ip.strip_prefix('[').and_then(|ip| ip.strip_suffix(']')).unwrap_or(ip);
    Some(SocketAddr::new(ip.parse().ok()?, port.parse().ok()?))
}

fn lossy_until_nul(bytes: &[u8]) -> CompactString {
    let end = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
    lossy(&bytes[..end])
}

/// Bytes as text, invalid UTF-8 replaced (the common valid case is one
/// check and a copy, inline up to 24 bytes).
fn lossy(bytes: &[u8]) -> CompactString {
    // Task names and most paths are ASCII: a byte test is cheaper than
    // UTF-8 validation's setup on strings this short.
    if bytes.is_ascii() {
        // SAFETY: ASCII bytes are valid UTF-8.
        return CompactString::new(unsafe { std::str::from_utf8_unchecked(bytes) });
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => CompactString::new(text),
        Err(_) => String::from_utf8_lossy(bytes).into(),
    }
}

/// The strings of an argument area (NUL-separated, possibly NUL-terminated).
fn split_args(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let data = data.strip_suffix(&[0]).unwrap_or(data);
    data.split(|b| *b == 0).take(if data.is_empty() { 0 } else { usize::MAX })
}

/// The strings of an argument or environment area from the `skip`th on.
fn strings(data: &[u8], skip: usize) -> Vec<CompactString> {
    split_args(data).skip(skip).map(lossy).collect()
}

/// The argument area: captured after exec, or from the argv pointer on failure.
fn argv<'a>(sc: &Syscall<'a>) -> &'a [u8] {
    sc.blob(BlobKind::Args, None).map_or(&[], |b| b.data)
}

/// A parameter's value from what the record holds besides the registers
/// (blobs: strings, addresses, exec facts…). `exec_facts` keeps the facts
/// once read: seven of an exec's parameters come from them. Out of line:
/// the register path is the hot one, and this one's frame would weigh on it.
#[inline(never)]
fn recorded_value(sc: &Syscall<'_>, src: Src, fmt: Fmt, exec_facts: &OnceCell<Option<ExecFacts>>) -> Option<Arg> {
    let raw = match src {
        // Read by `syscall_args` itself.
        Src::Arg(_) | Src::Ret => return None,
        Src::FdPair(i) => {
            let b = sc.blob(BlobKind::FdPair, None)?;
            let fd = b.data.get(i * 4..i * 4 + 4)?;
            return Some(Arg::Int(i32::from_ne_bytes(fd.try_into().ok()?).into()));
        }
        Src::Exec(fact) => {
            let f =
                exec_facts.get_or_init(|| shared_abi::read_pod(sc.blob(BlobKind::ExecFacts, None)?.data)).as_ref()?;
            match fact {
                Fact::CapInheritable => f.cap_inheritable,
                Fact::CapPermitted => f.cap_permitted,
                Fact::CapEffective => f.cap_effective,
                Fact::Ino => f.exe_ino,
                Fact::Ctime => f.exe_ctime_ns,
                Fact::Mtime => f.exe_mtime_ns,
                Fact::Flags => f.flags.into(),
            }
        }
        Src::StructWord(i) => {
            let word = sc.blob(BlobKind::Struct, None)?.data.get(i * 8..i * 8 + 8)?;
            u64::from_ne_bytes(word.try_into().ok()?)
        }
        Src::ArgvHead => {
            // After a failed exec, Falco reports the filename as the exe.
            let head = split_args(argv(sc)).next().map(lossy);
            return head.or_else(|| sc.blob(BlobKind::Str, None).map(|b| lossy(b.data))).map(Arg::Str);
        }
        Src::ArgvTail => return Some(Arg::List(strings(argv(sc), 1))),
        Src::Env => return sc.blob(BlobKind::Env, None).map(|b| Arg::List(strings(b.data, 0))),
        Src::Blob(kind, arg) => {
            let arg = (kind == BlobKind::Str || kind == BlobKind::Sockaddr).then_some(arg);
            let blob = sc.blob(kind, arg)?;
            return match fmt {
                Fmt::Sockaddr => sockaddr(blob.data),
                _ => Some(Arg::Str(lossy(blob.data))),
            };
        }
    };
    Some(number(raw, fmt))
}

/// A register, return value or recorded word as its parameter's number
/// (the tables give such sources number formats only: a text format reads
/// as the plain number).
fn number(raw: u64, fmt: Fmt) -> Arg {
    match fmt {
        Fmt::Int => Arg::Int(raw as i64 as i32 as i64),
        Fmt::Uint => Arg::Int((raw as u32).into()),
        // An id is 32 bits; the register's upper half is not part of it.
        Fmt::Spelt(id @ (Spelling::Uid | Spelling::Gid)) => Arg::Spelt(raw as u32 as u64, id),
        Fmt::Spelt(spelling) => Arg::Spelt(raw, spelling),
        Fmt::Uint64 | Fmt::Str | Fmt::StrList | Fmt::Sockaddr => Arg::Int(raw as i64),
    }
}

/// Falco's `evt.type` for a syscall number (`syscall_N` when unnamed).
pub fn syscall_name(nr: u32) -> Cow<'static, str> {
    syscalls::name(nr).map_or_else(|| format!("syscall_{nr}").into(), Cow::Borrowed)
}

/// The syscall number for an `evt.type` name (also `syscall_N`).
pub fn syscall_number(name: &str) -> Option<u32> {
    syscalls::number(name).or_else(|| name.strip_prefix("syscall_")?.parse().ok())
}

/// Appends the decoded parameters by Falco name, or the raw registers for
/// syscalls without a parameter table, to `args` (the event's own list:
/// building in place spares copying it).
pub fn syscall_args(sc: &Syscall<'_>, args: &mut Args) {
    let table = params(sc.rec.nr);
    if table.is_empty() {
        if sc.exit {
            args.push((Name::Res, Arg::Int(sc.rec.ret)));
        } else {
            for (name, v) in Name::REGISTERS.into_iter().zip(sc.rec.args) {
                args.push((name, Arg::Spelt(v, Spelling::Hex)));
            }
        }
        return;
    }
    let exec_facts = OnceCell::new();
    for (name, src, fmt) in table {
        let raw = match src {
            Src::Arg(i) => sc.rec.args[*i],
            _ if !sc.exit => continue,
            Src::Ret => sc.rec.ret as u64,
            _ => {
                if let Some(value) = recorded_value(sc, *src, *fmt, &exec_facts) {
                    args.push((*name, value));
                }
                continue;
            }
        };
        args.push((*name, number(raw, *fmt)));
    }
    for blob in sc.cut_short() {
        if let Some(name) = Name::copy_problem(blob.arg, blob.faulted()) {
            args.push((name, Arg::Bool(true)));
        }
    }
}

/// Gives the arguments of a JSON capture the types decoding gives them
/// (spelt numbers, addresses) where their text reads back or they are
/// written as numbers.
pub fn retype(nr: u32, args: &mut Args) {
    let table = params(nr);
    for (name, arg) in args.iter_mut() {
        let fmt = if table.is_empty() {
            Name::REGISTERS.contains(name).then_some(Fmt::Spelt(Spelling::Hex))
        } else {
            table.iter().find(|(n, _, _)| n == name).map(|(_, _, fmt)| *fmt)
        };
        let typed = match (fmt, &*arg) {
            (Some(Fmt::Spelt(spelling)), Arg::Str(text)) => spelling.read(text).map(|n| Arg::Spelt(n, spelling)),
            (Some(Fmt::Spelt(spelling)), Arg::Int(n)) => Some(Arg::Spelt(*n as u64, spelling)),
            (Some(Fmt::Sockaddr), Arg::Str(text)) => read_addr(text).map(Arg::Addr),
            _ => None,
        };
        if let Some(typed) = typed {
            *arg = typed;
        }
    }
}

/// Falco's `evt.time`: wall-clock time of day with nanoseconds (UTC).
pub fn time_of_day(ts_ns: u64) -> String {
    let secs = ts_ns / 1_000_000_000;
    let (h, m, s) = ((secs / 3600) % 24, (secs / 60) % 60, secs % 60);
    format!("{h:02}:{m:02}:{s:02}.{:09}", ts_ns % 1_000_000_000)
}

#[cfg(test)]
mod tests {
    use super::super::{decode, encode, WallClock};
    use super::*;
    use crate::event::Event;
    use serde_json::{json, Value};
    use shared_abi::{RecordHeader, EXE_UPPER_LAYER, EXE_WRITABLE};

    fn render(bytes: &[u8]) -> Value {
        Event::from_record(1, &decode(bytes).unwrap().unwrap(), WallClock::default()).to_json()
    }

    #[test]
    fn text_is_kept_when_valid_and_replaced_where_not() {
        assert_eq!(lossy(b"/etc/hosts"), "/etc/hosts");
        assert_eq!(
            lossy("/tmp/café-ünïcode-long-enough-to-spill".as_bytes()),
            "/tmp/café-ünïcode-long-enough-to-spill"
        );
        assert_eq!(lossy(b"/tmp/\xffx"), "/tmp/\u{fffd}x");
        assert_eq!(lossy_until_nul(b"caf\xc3\xa9\0junk"), "café");
    }

    #[test]
    fn number_sources_have_number_formats() {
        for nr in 0..shared_abi::MAX_SYSCALLS as u32 {
            for (name, src, fmt) in params(nr) {
                let number_source =
                    matches!(src, Src::Arg(_) | Src::Ret | Src::FdPair(_) | Src::StructWord(_) | Src::Exec(_));
                let number_format = matches!(fmt, Fmt::Int | Fmt::Uint | Fmt::Uint64 | Fmt::Spelt(_));
                assert!(!number_source || number_format, "syscall {nr} parameter {name}");
            }
        }
    }

    #[test]
    fn registers_of_syscalls_without_a_table_show_in_hex_and_read_back() {
        let getppid = syscall_number("getppid").unwrap();
        assert!(params(getppid).is_empty());
        let bytes = encode::syscall(RecordHeader::default(), false, getppid, 0, [1, 0xff, 0, 0, 0, 7], &[]);
        let ev = Event::from_record(1, &decode(&bytes).unwrap().unwrap(), WallClock::default());
        assert_eq!(ev.arg(Name::Arg1), Some(&Arg::Spelt(0xff, Spelling::Hex)));
        let v = ev.to_json();
        assert_eq!(v["evt.args"]["arg1"], "0xff");
        assert_eq!(v["evt.args"]["arg5"], "0x7");
        assert_eq!(Event::from_json(&v).unwrap(), ev);
    }

    #[test]
    fn file_positions_keep_64_bits() {
        let pread64 = syscall_number("pread64").unwrap();
        let bytes = encode::syscall(RecordHeader::default(), true, pread64, 4, [3, 0, 4, 1 << 32 | 5, 0, 0], &[]);
        let ev = Event::from_record(1, &decode(&bytes).unwrap().unwrap(), WallClock::default());
        assert_eq!(ev.arg(Name::Pos), Some(&Arg::Int(1 << 32 | 5)));
    }

    #[test]
    fn openat_exit_uses_falco_names() {
        let bytes = encode::syscall(
            RecordHeader { pid: 5, tid: 5, ..Default::default() },
            true,
            nr::OPENAT,
            3,
            [(-100i64) as u64, 0, 0o2000000, 0, 0, 0],
            &[(BlobKind::Str, 1, 0, b"/etc/shadow")],
        );
        let v = render(&bytes);
        assert_eq!(v["evt.type"], "openat");
        assert_eq!(v["evt.dir"], "<");
        assert_eq!(v["evt.res"], "SUCCESS");
        assert_eq!(v["evt.args"]["fd"], 3);
        assert_eq!(v["evt.args"]["dirfd"], -100);
        assert_eq!(v["evt.args"]["name"], "/etc/shadow");
        assert_eq!(v["evt.args"]["flags"], "O_RDONLY|O_CLOEXEC");
    }

    #[test]
    fn execve_exit_splits_exe_and_args() {
        let facts = ExecFacts {
            cap_effective: 0x1ff_ffff_ffff,
            cap_permitted: 0x1ff_ffff_ffff,
            exe_ino: 1234,
            exe_mtime_ns: 1_700_000_000_000_000_001,
            flags: EXE_WRITABLE | EXE_UPPER_LAYER,
            ..Default::default()
        };
        let bytes = encode::syscall(
            RecordHeader::default(),
            true,
            nr::EXECVE,
            0,
            [0; 6],
            &[
                (BlobKind::Exe, 0, 0, b"/usr/bin/true"),
                (BlobKind::Args, 0, 0, b"/bin/true\0a\0b\0"),
                (BlobKind::Cwd, 0, 0, b"/root"),
                (BlobKind::ExecFacts, 0, 0, shared_abi::pod_bytes(&facts)),
                (BlobKind::Env, 0, 0, b"PATH=/bin\0HOME=/root\0"),
            ],
        );
        let v = render(&bytes);
        assert_eq!(v["evt.args"]["env"], json!(["PATH=/bin", "HOME=/root"]));
        assert_eq!(v["evt.args"]["flags"], "EXE_WRITABLE|EXE_UPPER_LAYER");
        assert_eq!(v["evt.args"]["cap_effective"], "1FFFFFFFFFF");
        assert_eq!(v["evt.args"]["cap_inheritable"], "0");
        assert_eq!(v["evt.args"]["exe_ino"], 1234);
        assert_eq!(v["evt.args"]["exe_ino_mtime"], 1_700_000_000_000_000_001u64);
        assert_eq!(v["evt.args"]["exe"], "/bin/true");
        assert_eq!(v["evt.args"]["args"], json!(["a", "b"]));
        assert_eq!(v["evt.args"]["trusted_exepath"], "/usr/bin/true");
        assert_eq!(v["evt.args"]["cwd"], "/root");
    }

    #[test]
    fn socket_addresses() {
        let text = |bytes: &[u8]| sockaddr(bytes).map(|a| a.render().into_owned());
        let mut v4 = vec![2, 0, 0x1f, 0x90, 127, 0, 0, 1];
        v4.resize(16, 0);
        assert_eq!(text(&v4).as_deref(), Some("127.0.0.1:8080"));
        assert_eq!(text(&[2u8, 0, 0, 0, 0, 0, 0, 0]).as_deref(), Some("0.0.0.0:0"));
        let mut v6 = vec![10, 0, 0, 80, 0, 0, 0, 0];
        v6.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
        assert_eq!(text(&v6).as_deref(), Some("::1:80"));
        assert_eq!(read_addr("::1:80"), Some(SocketAddr::new(Ipv6Addr::LOCALHOST.into(), 80)));
        assert_eq!(read_addr("[::1]:80"), read_addr("::1:80"));
        assert_eq!(text(b"\x01\x00/run/x.sock\0").as_deref(), Some("/run/x.sock"));
        assert_eq!(text(b"\x01\x00\0abs").as_deref(), Some("@abs"));
        assert_eq!(sockaddr(b"\x02"), None);
    }
}
