//! Field values of syscall events: from the event itself, then the process,
//! descriptor and user state.

use smallvec::SmallVec;
use std::borrow::Cow;
use std::cell::OnceCell;
use std::net::SocketAddr;

use super::compile::{Descriptor, Field, FieldValues, OpenMode, Outcome, Place};
use super::condition::Transformer;
use super::fields::FieldId as F;
use super::value::Val;
use crate::decode::render::time_of_day;
use crate::decode::spelling::{capability_names, Spelling};
use crate::event::{Arg, Event, Kind, Name};
use std::sync::Arc;

use crate::state::containers::Container;
use crate::state::runtimes::{Metadata, Mount};
use crate::state::{Caps, Fd, State, Thread};

/// One syscall event seen through the state.
pub struct SyscallFields<'a> {
    ev: &'a Event,
    state: &'a State,
    /// Looked up once per event: most rules ask about the same thread and fd.
    thread: OnceCell<Option<&'a Thread>>,
    fd_num: OnceCell<Option<i64>>,
    fd: OnceCell<Option<&'a Fd>>,
    /// The descriptor's path split once: rules on opens ask for both parts.
    fd_path_parts: OnceCell<Option<(&'a str, &'a str)>>,
    /// Open flags parsed once: several rules test them on every open.
    open: OnceCell<Option<OpenFlags>>,
}

#[derive(Clone, Copy)]
struct OpenFlags {
    mode: OpenMode,
    create: bool,
}

impl OpenFlags {
    fn from_bits(bits: u64) -> Self {
        OpenFlags { mode: OpenMode::of_flags(bits), create: bits & nix::libc::O_CREAT as u64 != 0 }
    }
}

/// Syscalls whose `name`/`path` argument names a file (for `fs.path.name`,
/// `evt.is_open_*`).
fn is_open_family(ev: &Event) -> bool {
    matches!(ev.kind, Kind::Syscall(nr) if super::open_filter::OPEN_SYSCALLS.contains(&nr))
}

impl<'a> SyscallFields<'a> {
    pub fn new(ev: &'a Event, state: &'a State) -> Self {
        Self {
            ev,
            state,
            thread: OnceCell::new(),
            fd_num: OnceCell::new(),
            fd: OnceCell::new(),
            fd_path_parts: OnceCell::new(),
            open: OnceCell::new(),
        }
    }

    fn thread(&self) -> Option<&'a Thread> {
        *self.thread.get_or_init(|| self.state.thread(self.ev.tid))
    }

    fn parent(&self) -> Option<&'a Thread> {
        self.state.process(self.ev.ppid)
    }

    /// The descriptor this event is about: the one it returned (open, socket,
    /// accept) or the one it names.
    fn fd_num(&self) -> Option<i64> {
        *self.fd_num.get_or_init(|| {
            let ev = self.ev;
            // dup family: the descriptor being duplicated, as in Falco.
            let key = if matches!(ev.kind, Kind::Syscall(32 | 33 | 292)) { Name::Oldfd } else { Name::Fd };
            // A capture may leave out a returned descriptor: it is the
            // result (as the rules' programs assume).
            let returned = || match ev.kind {
                Kind::Syscall(nr) if crate::decode::render::fd_is_return(nr) => ev.res,
                _ => None,
            };
            ev.arg(key).and_then(Arg::as_int).or_else(returned).filter(|n| *n >= 0)
        })
    }

    fn fd(&self) -> Option<&'a Fd> {
        *self.fd.get_or_init(|| self.state.fd(self.ev.pid, self.fd_num()?))
    }

    fn ancestor(&self, index: Option<usize>, get: impl Fn(&Thread) -> String) -> Val<'a> {
        let ancestors = self.state.ancestors(self.ev.tid);
        match index {
            Some(0) => self.thread().map_or_else(Val::default, |t| Val::str(get(t))),
            Some(n) => ancestors.get(n - 1).map_or_else(Val::default, |t| Val::str(get(t))),
            None => Val::List(ancestors.iter().map(|t| Cow::Owned(get(t))).collect()),
        }
    }

    fn caps(&self, pick: fn(&Caps) -> u64) -> Val<'a> {
        self.thread().and_then(|t| t.caps.as_ref()).map_or_else(Val::default, |c| Val::str(capability_names(pick(c))))
    }

    fn users(&self) -> &'a crate::state::users::Users {
        self.state.users_of(self.thread())
    }

    /// Falco's text for a user or group id argument: the name, `<NA>` when
    /// none is known, `<NONE>` for -1 (an id left unchanged).
    fn id_name(&self, id: u64, spelling: Spelling) -> String {
        let Ok(id) = u32::try_from(id) else { return "<NA>".into() };
        if id == u32::MAX {
            return "<NONE>".into();
        }
        let name = match spelling {
            Spelling::Uid => self.users().user(id).map(|u| u.name.as_str()),
            _ => self.users().group(id),
        };
        name.unwrap_or("<NA>").to_string()
    }

    fn container(&self) -> Option<&'a Container> {
        self.thread().and_then(|t| t.container.as_deref())
    }

    fn metadata(&self) -> Option<Arc<Metadata>> {
        let c = self.container()?;
        self.state.runtimes.as_ref()?.get(&c.id)
    }

    /// The mount a `container.mount*[key]` field names: by index, or by a
    /// source path (a glob).
    fn mount(&self, field: &Field) -> Option<Mount> {
        let meta = self.metadata()?;
        let key = field.arg.as_deref().unwrap_or_default();
        match field.index {
            Some(i) => meta.mounts.get(i).cloned(),
            None => meta.mounts.iter().find(|m| super::value::glob_match(key, &m.source)).cloned(),
        }
    }

    fn k8s_label(&self, key: &str) -> Val<'a> {
        self.metadata().and_then(|m| m.label(key).map(str::to_string)).map_or_else(Val::default, Val::str)
    }

    fn cmdline(t: &Thread) -> String {
        if t.args.is_empty() {
            t.comm.to_string()
        } else {
            format!("{} {}", t.comm, t.args.join(" "))
        }
    }

    fn ends(&self, pick: fn(&Fd) -> Option<SocketAddr>) -> Val<'a> {
        self.fd().filter(|f| f.kind.is_ip()).and_then(pick).map_or_else(Val::default, |a| Val::Ip(a.ip()))
    }

    fn port(&self, pick: fn(&Fd) -> Option<SocketAddr>) -> Val<'a> {
        self.fd().filter(|f| f.kind.is_ip()).and_then(pick).map_or_else(Val::default, |a| Val::Int(a.port().into()))
    }

    /// The known ends of an IP socket (`fd.ip`, `fd.port`: either end matches).
    fn both_ends(&self) -> SmallVec<[SocketAddr; 2]> {
        self.fd()
            .filter(|f| f.kind.is_ip())
            .map(|f| [f.local, f.remote].into_iter().flatten().collect())
            .unwrap_or_default()
    }

    /// The path a filesystem syscall names, resolved.
    fn fs_path(&self) -> Option<String> {
        let ev = self.ev;
        let names = [Name::Name, Name::Path, Name::Filename, Name::Pathname, Name::Oldpath];
        let raw = names.into_iter().find_map(|k| match ev.arg(k) {
            Some(Arg::Str(s)) => Some(s),
            _ => None,
        })?;
        let dirfd =
            [Name::Dirfd, Name::Olddirfd, Name::Olddir].into_iter().find_map(|k| ev.arg(k).and_then(Arg::as_int));
        Some(self.state.resolve_path(ev, raw, dirfd).into_string())
    }

    /// The fd's path split at its last `/` (directory, file name).
    fn fd_path_parts(&self) -> Option<(&'a str, &'a str)> {
        *self.fd_path_parts.get_or_init(|| {
            let path = &self.fd().filter(|f| !f.kind.is_ip())?.path;
            // A byte scan: paths are short.
            let slash = path.bytes().rposition(|b| b == b'/')?;
            Some((&path[..slash], &path[slash + 1..]))
        })
    }

    fn open_flags(&self) -> Option<OpenFlags> {
        *self.open.get_or_init(|| {
            let bits = self.ev.arg(Name::Flags).and_then(Arg::spelt);
            bits.filter(|_| is_open_family(self.ev)).map(OpenFlags::from_bits)
        })
    }

    fn raw(&self, field: &Field) -> Val<'a> {
        let ev = self.ev;
        let t = self.thread();
        let opt = |s: Option<String>| Val::opt_str(s);
        match field.info.id {
            F::EvtNum => Val::Int(ev.num as i64),
            F::EvtTime => Val::str(time_of_day(ev.ts_ns)),
            F::EvtRawtime => Val::Int(ev.ts_ns as i64),
            F::EvtDatetime => Val::str(super::time::datetime(ev.ts_ns)),
            F::EvtType => Val::str(ev.type_name()),
            F::EvtDir => Val::str(if ev.is_exit() { "<" } else { ">" }),
            F::EvtCpu => Val::Int(ev.cpu.into()),
            F::EvtRes => ev.res.map_or_else(Val::default, |r| Val::str(crate::decode::spelling::result_name(r))),
            F::EvtRawres => ev.res.map_or_else(Val::default, Val::Int),
            F::EvtFailed => Val::Bool(ev.res.is_some_and(|r| r < 0)),
            F::EvtArgs => {
                Val::str(ev.args.iter().map(|(k, v)| format!("{k}={}", v.render())).collect::<Vec<_>>().join(" "))
            }
            F::EvtArg | F::EvtRawarg => {
                let arg = match (field.index, field.param) {
                    (Some(i), _) => ev.args.get(i).map(|(_, v)| v),
                    (None, Some(name)) => ev.arg(name),
                    (None, None) => None,
                };
                arg.map_or_else(Val::default, |a| match a {
                    Arg::Int(n) => Val::Int(*n),
                    Arg::Spelt(n, _) if field.info.id == F::EvtRawarg => Val::Int(*n as i64),
                    Arg::Spelt(id, spelling @ (Spelling::Uid | Spelling::Gid)) => {
                        Val::str(self.id_name(*id, *spelling))
                    }
                    other => Val::str(other.render().into_owned()),
                })
            }
            F::EvtBuffer => Val::None,
            F::EvtIsOpenRead => Val::Bool(self.open_mode().reads()),
            F::EvtIsOpenWrite => Val::Bool(self.open_mode().writes()),
            F::EvtIsOpenExec => Val::Bool(
                self.open_flags().is_some_and(|f| f.create)
                    && ev.arg(Name::Mode).and_then(Arg::spelt).is_some_and(|m| m & 0o111 != 0),
            ),
            F::EvtHostname => Val::str(self.state.hostname.as_str()),
            F::EvtSource => Val::str("syscall"),
            F::SyscallTable => Val::str(ev.table.name()),
            F::SyscallProgramIs32bit => Val::Bool(ev.from_32bit_program),
            F::ProcPid => Val::Int(ev.pid.into()),
            F::ProcVpid => Val::Int(ev.vpid.into()),
            F::ProcPpid => Val::Int(ev.ppid.into()),
            F::ProcName => Val::str(ev.comm.as_str()),
            F::ProcExe => t.map_or_else(Val::default, |t| Val::str(t.exe.as_str())),
            F::ProcExepath => t.map_or_else(Val::default, |t| Val::str(t.exepath.as_str())),
            F::ProcArgs => t.map_or_else(Val::default, |t| Val::str(t.args.join(" "))),
            F::ProcCmdline => t.map_or_else(Val::default, |t| Val::str(Self::cmdline(t))),
            F::ProcCwd => t.filter(|t| !t.cwd.is_empty()).map_or_else(Val::default, |t| Val::str(t.cwd.as_str())),
            F::ProcEnv => match (t, field.arg.as_deref()) {
                (Some(t), Some(key)) => {
                    opt(t.env.iter().find_map(|e| e.strip_prefix(key)?.strip_prefix('=').map(str::to_string)))
                }
                (Some(t), None) if !t.env.is_empty() => Val::str(t.env.join(" ")),
                _ => Val::None,
            },
            F::ProcTty => t.map_or_else(Val::default, |t| Val::Int(t.tty.into())),
            F::ProcDuration => t.map_or_else(Val::default, |t| Val::Int(ev.ts_ns.saturating_sub(t.start_ns) as i64)),
            F::ProcStartTs => t.map_or_else(Val::default, |t| Val::Int(t.start_ns as i64)),
            F::ProcPname => self.parent().map_or_else(Val::default, |p| Val::str(p.comm.as_str())),
            F::ProcPexe => self.parent().map_or_else(Val::default, |p| Val::str(p.exe.as_str())),
            F::ProcPexepath => self.parent().map_or_else(Val::default, |p| Val::str(p.exepath.as_str())),
            F::ProcPcmdline => self.parent().map_or_else(Val::default, |p| Val::str(Self::cmdline(p))),
            F::ProcAname => self.ancestor(field.index, |t| t.comm.to_string()),
            F::ProcApid => self.ancestor(field.index, |t| t.pid.to_string()),
            F::ProcAexe => self.ancestor(field.index, |t| t.exe.clone()),
            F::ProcAexepath => self.ancestor(field.index, |t| t.exepath.clone()),
            F::ProcSid => t.map_or_else(Val::default, |t| Val::Int(t.sid.into())),
            F::ProcSname => {
                t.and_then(|t| self.state.process(t.sid)).map_or_else(Val::default, |l| Val::str(l.comm.as_str()))
            }
            F::ProcVpgid => t.map_or_else(Val::default, |t| Val::Int(t.pgid.into())),
            F::ProcVpgidName => {
                t.and_then(|t| self.state.process(t.pgid)).map_or_else(Val::default, |l| Val::str(l.comm.as_str()))
            }
            F::ProcIsVpgidLeader => t.map_or_else(Val::default, |t| Val::Bool(t.pgid == t.pid)),
            F::ProcIsSidLeader => t.map_or_else(Val::default, |t| Val::Bool(t.sid == t.pid)),
            F::ProcIsExeFromMemfd => t.map_or_else(Val::default, |t| {
                Val::Bool(
                    t.exe_flags.is_some_and(|f| f & shared_abi::EXE_FROM_MEMFD != 0)
                        || t.exepath.starts_with("/memfd:"),
                )
            }),
            F::ProcIsExeUpperLayer => match t.and_then(|t| t.exe_flags) {
                Some(f) if f & shared_abi::EXE_LAYER_UNKNOWN != 0 => Val::None,
                Some(f) => Val::Bool(f & shared_abi::EXE_UPPER_LAYER != 0),
                None => Val::None,
            },
            F::ProcIsExeWritable => {
                t.and_then(|t| t.exe_flags).map_or_else(Val::default, |f| Val::Bool(f & shared_abi::EXE_WRITABLE != 0))
            }
            F::ProcExeIno => t.and_then(|t| t.exe_inode).map_or_else(Val::default, |i| Val::Int(i.ino as i64)),
            F::ProcExeInoCtime => {
                t.and_then(|t| t.exe_inode).map_or_else(Val::default, |i| Val::Int(i.ctime_ns as i64))
            }
            F::ProcExeInoMtime => {
                t.and_then(|t| t.exe_inode).map_or_else(Val::default, |i| Val::Int(i.mtime_ns as i64))
            }
            F::ProcExeInoCtimeDurationProcStart => t
                .and_then(|t| Some((t.start_ns, t.exe_inode?)))
                .map_or_else(Val::default, |(start, i)| Val::Int(start.saturating_sub(i.ctime_ns) as i64)),
            F::ThreadCapEffective => self.caps(|c| c.effective),
            F::ThreadCapPermitted => self.caps(|c| c.permitted),
            F::ThreadCapInheritable => self.caps(|c| c.inheritable),
            F::ThreadTid => Val::Int(ev.tid.into()),
            F::ThreadVtid => Val::Int(ev.vtid.into()),
            F::UserUid => Val::Int(ev.uid.into()),
            F::UserName => self.users().user(ev.uid).map_or_else(Val::default, |u| Val::str(u.name.as_str())),
            F::UserLoginuid => Val::Int(ev.loginuid),
            F::UserLoginname => match ev.loginuid {
                -1 => Val::None,
                l => self.state.users.user(l as u32).map_or_else(Val::default, |u| Val::str(u.name.as_str())),
            },
            F::UserHomedir => self.users().user(ev.uid).map_or_else(Val::default, |u| Val::str(u.home.as_str())),
            F::UserShell => self.users().user(ev.uid).map_or_else(Val::default, |u| Val::str(u.shell.as_str())),
            F::GroupGid => Val::Int(ev.gid.into()),
            F::GroupName => self.users().group(ev.gid).map_or_else(Val::default, Val::str),
            F::FdNum => self.fd_num().map_or_else(Val::default, Val::Int),
            F::FdType => self.fd().map_or_else(Val::default, |f| Val::str(f.kind.name())),
            F::FdTypechar => self.fd().map_or_else(Val::default, |f| Val::str(f.kind.typechar())),
            F::FdName => self.fd().map_or_else(Val::default, |f| Val::Str(f.name())),
            F::FdNameraw => self.fd().map_or_else(Val::default, |f| Val::str(f.nameraw.as_str())),
            F::FdDirectory => {
                self.fd_path_parts().map_or_else(Val::default, |(d, _)| Val::str(if d.is_empty() { "/" } else { d }))
            }
            F::FdFilename => self.fd_path_parts().map_or_else(Val::default, |(_, n)| Val::str(n)),
            F::FdCip | F::FdCnet => self.ends(|f| f.client_server().0),
            F::FdSip | F::FdSnet => self.ends(|f| f.client_server().1),
            F::FdLip | F::FdLnet => self.ends(|f| f.local),
            F::FdRip | F::FdRnet => self.ends(|f| f.remote),
            F::FdIp | F::FdNet => match self.both_ends() {
                ends if ends.is_empty() => Val::None,
                ends => Val::Ips(ends.iter().map(SocketAddr::ip).collect()),
            },
            F::FdCport => self.port(|f| f.client_server().0),
            F::FdSport => self.port(|f| f.client_server().1),
            F::FdLport => self.port(|f| f.local),
            F::FdRport => self.port(|f| f.remote),
            F::FdPort => match self.both_ends() {
                ends if ends.is_empty() => Val::None,
                ends => Val::Ints(ends.iter().map(|a| a.port().into()).collect()),
            },
            F::FdL4proto => self.fd().and_then(|f| f.l4proto).map_or_else(Val::default, Val::str),
            F::FdSockfamily => self
                .fd()
                .and_then(|f| match f.kind {
                    k if k.is_ip() => Some("ip"),
                    crate::state::FdKind::Unix => Some("unix"),
                    _ => None,
                })
                .map_or_else(Val::default, Val::str),
            F::FdIsServer => self.fd().map_or_else(Val::default, |f| Val::Bool(f.is_server)),
            F::FdConnected => self.fd().map_or_else(Val::default, |f| Val::Bool(f.connected)),
            F::FdNameChanged => Val::Bool(matches!(ev.kind, Kind::Syscall(42 | 49 | 43 | 288)) && ev.is_exit()),
            F::FdTypes => {
                let mut kinds: Vec<&str> = self
                    .state
                    .fds
                    .get(&ev.pid)
                    .map(|m| m.values().map(|f| f.kind.name()).collect())
                    .unwrap_or_default();
                kinds.sort_unstable();
                kinds.dedup();
                match field.index {
                    Some(i) => self.state.fd(ev.pid, i as i64).map_or_else(Val::default, |f| Val::str(f.kind.name())),
                    None => Val::List(kinds.into_iter().map(Cow::Borrowed).collect()),
                }
            }
            F::FdCipName | F::FdSipName | F::FdLipName | F::FdRipName => Val::None,
            F::FsPathName => opt(self.fs_path()),
            F::ContainerId => Val::str(self.container().map_or("host", |c| c.short_id())),
            F::ContainerFullId => Val::str(self.container().map_or("host", |c| c.id.as_str())),
            F::ContainerName => match self.container() {
                None => Val::str("host"),
                // containerd names a container by its id; CRI adds the Kubernetes name.
                Some(c) => match self.metadata() {
                    Some(m) => Val::str(m.label("io.kubernetes.container.name").unwrap_or(&c.id).to_string()),
                    None if c.runtime == "containerd" => Val::str(c.id.as_str()),
                    None => Val::None,
                },
            },
            F::ContainerType => self.container().map_or_else(Val::default, |c| Val::str(c.runtime)),
            F::ContainerImage => self.metadata().map_or_else(Val::default, |m| Val::str(m.image.clone())),
            F::ContainerImageRepository => {
                self.metadata().map_or_else(Val::default, |m| Val::str(image_parts(&m.image).0.to_string()))
            }
            F::ContainerImageTag => self
                .metadata()
                .and_then(|m| image_parts(&m.image).1.map(str::to_string))
                .map_or_else(Val::default, Val::str),
            F::ContainerImageDigest => self
                .metadata()
                .and_then(|m| image_parts(&m.image).2.map(str::to_string))
                .map_or_else(Val::default, Val::str),
            F::ContainerStartTs => self
                .metadata()
                .filter(|m| m.created_ns > 0)
                .map_or_else(Val::default, |m| Val::Int(m.created_ns as i64)),
            F::ContainerLabel => {
                let key = field.arg.as_deref().unwrap_or_default();
                self.metadata().and_then(|m| m.label(key).map(str::to_string)).map_or_else(Val::default, Val::str)
            }
            F::ContainerLabels => self.metadata().map_or_else(Val::default, |m| {
                let mut labels: Vec<String> = m.labels.iter().map(|(k, v)| format!("{k}:{v}")).collect();
                labels.sort();
                Val::str(labels.join(","))
            }),
            F::K8sPodName => self.k8s_label("io.kubernetes.pod.name"),
            F::K8sNsName => self.k8s_label("io.kubernetes.pod.namespace"),
            F::K8sPodUid => self.k8s_label("io.kubernetes.pod.uid"),
            F::ContainerPrivileged => self.metadata().and_then(|m| m.privileged).map_or_else(Val::default, Val::Bool),
            F::ContainerMounts => self
                .metadata()
                .filter(|m| m.privileged.is_some())
                .map_or_else(Val::default, |m| Val::str(m.mounts.iter().map(mount_text).collect::<Vec<_>>().join(","))),
            F::ContainerMount => self.mount(field).map_or_else(Val::default, |m| Val::str(mount_text(&m))),
            F::ContainerMountDest => self.mount(field).map_or_else(Val::default, |m| Val::str(m.dest)),
            F::K8sPodLabel => {
                let key = field.arg.as_deref().unwrap_or_default();
                self.metadata().and_then(|m| m.pod_labels.get(key).cloned()).map_or_else(Val::default, Val::str)
            }
            F::K8sPodLabels => self.metadata().filter(|m| !m.pod_labels.is_empty()).map_or_else(Val::default, |m| {
                let mut labels: Vec<String> = m.pod_labels.iter().map(|(k, v)| format!("{k}:{v}")).collect();
                labels.sort();
                Val::str(labels.join(","))
            }),
            // Audit fields never apply to syscall events (the compiler rejects them).
            _ => Val::None,
        }
    }
}

impl FieldValues for SyscallFields<'_> {
    fn kind(&self) -> Option<Kind> {
        Some(self.ev.kind)
    }

    fn outcome(&self) -> Outcome {
        Outcome::of(self.ev.res)
    }

    fn open_mode(&self) -> OpenMode {
        self.open_flags().map_or(OpenMode::Unknown, |f| f.mode)
    }

    fn place(&self) -> Place {
        if self.container().is_some() {
            Place::Container
        } else {
            Place::Host
        }
    }

    fn descriptor(&self) -> Descriptor {
        self.fd().map_or(Descriptor::Missing, |f| Descriptor::Of(f.kind))
    }

    fn value(&self, field: &Field) -> Val<'_> {
        let mut v = self.raw(field);
        for t in &field.transformers {
            v = transform(v, *t);
        }
        v
    }
}

/// Falco's `source:dest:mode:rdrw:propagation` (OCI mounts have no mode).
fn mount_text(m: &Mount) -> String {
    format!("{}:{}::{}:{}", m.source, m.dest, m.rw, m.propagation)
}

/// `repo:tag@digest` → (repo, tag, digest).
fn image_parts(image: &str) -> (&str, Option<&str>, Option<&str>) {
    let (name, digest) = match image.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (image, None),
    };
    match name.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (repo, Some(tag), digest),
        _ => (name, None, digest),
    }
}

/// Applies a transformer (`tolower(proc.name)`…).
pub fn transform(v: Val<'_>, t: Transformer) -> Val<'_> {
    let map = |v: Val<'_>, f: &dyn Fn(&str) -> String| -> Val<'static> {
        match v {
            Val::None => Val::None,
            many @ (Val::List(_) | Val::Ips(_) | Val::Ints(_)) => {
                Val::List(many.texts().map(|s| Cow::Owned(f(&s))).collect())
            }
            other => Val::Str(Cow::Owned(f(&other.render()))),
        }
    };
    match t {
        Transformer::ToLower => map(v, &|s| s.to_lowercase()),
        Transformer::ToUpper => map(v, &|s| s.to_uppercase()),
        Transformer::Basename => map(v, &|s| s.rsplit('/').next().unwrap_or_default().to_string()),
        Transformer::B64 => map(v, &|s| {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD
                .decode(s.trim())
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default()
        }),
        Transformer::Len => match v {
            Val::None => Val::None,
            many @ (Val::List(_) | Val::Ips(_) | Val::Ints(_)) => Val::Int(many.count() as i64),
            other => Val::Int(other.render().chars().count() as i64),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::fields::lookup;

    /// `name`, or `name[arg]`, as the condition parser splits it.
    fn field(spelled: &str) -> Field {
        let (name, arg) = match spelled.split_once('[') {
            Some((name, rest)) => (name, rest.strip_suffix(']')),
            None => (spelled, None),
        };
        let (info, arg) = lookup(name, arg).expect(spelled);
        Field::new(info, arg, Vec::new())
    }

    /// An openat of /etc/shadow returning 3, from a capture that leaves out
    /// the returned descriptor.
    fn open_without_fd() -> Event {
        Event::from_json(&serde_json::json!({
            "evt.rawtime": 1, "evt.type": "openat", "evt.dir": "<", "evt.rawres": 3,
            "proc.pid": 7, "thread.tid": 7, "proc.ppid": 1, "proc.name": "cat", "user.uid": 0, "group.gid": 0,
            "evt.args": {"dirfd": -100, "name": "/etc/shadow", "flags": "O_RDONLY"}
        }))
        .expect("a valid event")
    }

    #[test]
    fn parameters_by_name_or_position() {
        let (ev, state) = (open_without_fd(), State::new(16));
        let fields = SyscallFields::new(&ev, &state);
        let text = |name: &str| fields.value(&field(name)).render().into_owned();
        assert_eq!(text("evt.arg.name"), "/etc/shadow");
        assert_eq!(text("evt.arg[name]"), "/etc/shadow");
        assert_eq!(text("evt.arg[0]"), "-100");
        assert_eq!(text("evt.arg.flags"), "O_RDONLY");
        assert_eq!(text("evt.rawarg.flags"), "0", "the number behind the names");
        assert!(fields.value(&field("evt.arg.colour")).is_none());
        assert!(fields.value(&field("evt.arg[9]")).is_none());
    }

    /// Arguments a Falco rule compares as text read as Falco renders them;
    /// `evt.rawarg` gives the number behind them.
    #[test]
    fn spelt_arguments_read_as_falco_renders_them() {
        let root = std::env::temp_dir().join(format!("osprey-ids-{}", std::process::id()));
        std::fs::create_dir_all(root.join("etc")).unwrap();
        std::fs::write(root.join("etc/passwd"), "www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n").unwrap();
        std::fs::write(root.join("etc/group"), "www-data:x:33:\n").unwrap();
        let mut state = State::new(16);
        state.users = crate::state::users::Users::load(&root);
        std::fs::remove_dir_all(&root).unwrap();
        let event = |ty: &str, args: serde_json::Value| {
            Event::from_json(&serde_json::json!({
                "evt.rawtime": 1, "evt.type": ty, "evt.dir": "<", "evt.rawres": 0,
                "proc.pid": 7, "thread.tid": 7, "proc.name": "x", "user.uid": 0, "group.gid": 0, "evt.args": args
            }))
            .expect("a valid event")
        };
        let cases = [
            (event("ptrace", serde_json::json!({"request": 16, "pid": 9})), "evt.arg.request", "PTRACE_ATTACH"),
            (
                event("chmod", serde_json::json!({"filename": "x", "mode": 0o2750})),
                "evt.arg.mode",
                "S_IXGRP|S_IRGRP|S_IXUSR|S_IWUSR|S_IRUSR|S_ISGID",
            ),
            (event("kill", serde_json::json!({"pid": 9, "sig": 9})), "evt.arg.sig", "SIGKILL"),
            (event("setuid", serde_json::json!({"uid": 33})), "evt.arg.uid", "www-data"),
            (event("setuid", serde_json::json!({"uid": 4000})), "evt.arg.uid", "<NA>"),
            (
                event("setresgid", serde_json::json!({"rgid": 4294967295u32, "egid": 33, "sgid": 33})),
                "evt.arg.rgid",
                "<NONE>",
            ),
            (
                event("setresgid", serde_json::json!({"rgid": 4294967295u32, "egid": 33, "sgid": 33})),
                "evt.arg.egid",
                "www-data",
            ),
            (event("setuid", serde_json::json!({"uid": 33})), "evt.rawarg.uid", "33"),
            (event("ptrace", serde_json::json!({"request": 16, "pid": 9})), "evt.rawarg.request", "16"),
        ];
        for (ev, name, text) in cases {
            let fields = SyscallFields::new(&ev, &state);
            assert_eq!(fields.value(&field(name)).render(), text, "{name}");
        }
    }

    #[test]
    fn a_returned_descriptor_left_out_is_the_result() {
        let (ev, state) = (open_without_fd(), State::new(16));
        assert_eq!(SyscallFields::new(&ev, &state).value(&field("fd.num")).render(), "3");
        let failed = Event { res: Some(-2), ..open_without_fd() };
        assert!(SyscallFields::new(&failed, &state).value(&field("fd.num")).is_none());
    }
}
