//! State: what the kernel records do not repeat on every event — the process
//! tree, each process's descriptors, users and groups — kept current from the
//! event stream and bootstrapped from /proc for what started before Osprey.

mod containerd;
pub mod containers;
mod cri;
mod docker;
pub mod grpc;
pub mod procfs;
pub mod runtimes;
pub mod users;

use compact_str::{format_compact, CompactString};
use nix::libc;
use rustc_hash::FxHashMap as HashMap;
use std::net::SocketAddr;

use crate::decode::render::addr_text;
use crate::event::{Arg, Event, Kind, Name, TaskName};

/// What a thread (and its process) is, as far as rules care.
#[derive(Debug, Clone, Default)]
pub struct Thread {
    pub tid: u32,
    pub pid: u32,
    pub ppid: u32,
    pub comm: TaskName,
    /// argv[0].
    pub exe: String,
    /// The executable's resolved path.
    pub exepath: String,
    pub args: Vec<CompactString>,
    pub cwd: String,
    pub uid: u32,
    pub gid: u32,
    pub loginuid: i64,
    pub start_ns: u64,
    pub sid: u32,
    pub pgid: u32,
    pub tty: u32,
    pub env: Vec<CompactString>,
    pub cgroup_id: u64,
    /// Whether `cgroup_id` was found in the cgroup hierarchy yet.
    pub cgroup_resolved: bool,
    /// The container the thread runs in; `None` on the host.
    pub container: Option<std::sync::Arc<containers::Container>>,
    /// Capabilities as of the last exec (or /proc at start).
    pub caps: Option<Caps>,
    /// The executable's inode as of the last exec (or /proc at start).
    pub exe_inode: Option<ExeInode>,
    /// `shared_abi::EXE_*` bits the kernel reported at exec.
    pub exe_flags: Option<u32>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Caps {
    pub inheritable: u64,
    pub permitted: u64,
    pub effective: u64,
}

impl Caps {
    /// The sets an exec or capset exit carries (`None` without the kernel's
    /// facts).
    fn from_event(ev: &Event) -> Option<Self> {
        let hex = |name: Name| ev.arg(name).and_then(Arg::spelt);
        Some(Caps {
            inheritable: hex(Name::CapInheritable)?,
            permitted: hex(Name::CapPermitted)?,
            effective: hex(Name::CapEffective)?,
        })
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExeInode {
    pub ino: u64,
    pub ctime_ns: u64,
    pub mtime_ns: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FdKind {
    File,
    Directory,
    Ipv4,
    Ipv6,
    Unix,
    Pipe,
    Event,
    Signalfd,
    Eventpoll,
    Inotify,
    Timerfd,
    Netlink,
    Memfd,
    /// Last: the rules count the kinds up to it (`Descriptor::COUNT`).
    Other,
}

impl FdKind {
    pub fn name(self) -> &'static str {
        match self {
            FdKind::File => "file",
            FdKind::Directory => "directory",
            FdKind::Ipv4 => "ipv4",
            FdKind::Ipv6 => "ipv6",
            FdKind::Unix => "unix",
            FdKind::Pipe => "pipe",
            FdKind::Event => "event",
            FdKind::Signalfd => "signalfd",
            FdKind::Eventpoll => "eventpoll",
            FdKind::Inotify => "inotify",
            FdKind::Timerfd => "timerfd",
            FdKind::Netlink => "netlink",
            FdKind::Memfd => "memfd",
            FdKind::Other => "other",
        }
    }

    pub fn typechar(self) -> &'static str {
        match self {
            FdKind::File | FdKind::Directory => "f",
            FdKind::Ipv4 => "4",
            FdKind::Ipv6 => "6",
            FdKind::Unix => "u",
            FdKind::Pipe => "p",
            FdKind::Event => "e",
            FdKind::Signalfd => "s",
            FdKind::Eventpoll => "l",
            FdKind::Inotify => "i",
            FdKind::Timerfd => "t",
            FdKind::Netlink => "n",
            FdKind::Memfd => "m",
            FdKind::Other => "o",
        }
    }

    pub fn is_ip(self) -> bool {
        matches!(self, FdKind::Ipv4 | FdKind::Ipv6)
    }
}

/// One open file descriptor.
#[derive(Debug, Clone)]
pub struct Fd {
    pub kind: FdKind,
    /// Absolute path for files; for sockets see `Fd::name`. Inline up to 24
    /// bytes: most opens then store their paths without allocating.
    pub path: CompactString,
    /// The path as the process passed it.
    pub nameraw: CompactString,
    /// `tcp`, `udp`, `raw` for IP sockets.
    pub l4proto: Option<&'static str>,
    pub local: Option<SocketAddr>,
    pub remote: Option<SocketAddr>,
    pub is_server: bool,
    pub connected: bool,
    pub cloexec: bool,
}

impl Fd {
    fn file(kind: FdKind, path: CompactString, nameraw: CompactString, cloexec: bool) -> Self {
        Fd {
            kind,
            path,
            nameraw,
            l4proto: None,
            local: None,
            remote: None,
            is_server: false,
            connected: false,
            cloexec,
        }
    }

    /// Falco's `fd.name`: the path, or `client->server` for connected sockets.
    pub fn name(&self) -> std::borrow::Cow<'_, str> {
        if !self.kind.is_ip() {
            return self.path.as_str().into();
        }
        let (c, s) = self.client_server();
        match (c, s) {
            (Some(c), Some(s)) => format!("{}->{}", addr_text(&c), addr_text(&s)).into(),
            (None, Some(s)) => format!("->{}", addr_text(&s)).into(),
            (Some(c), None) => addr_text(&c).into(),
            (None, None) => "".into(),
        }
    }

    /// (client, server) ends.
    pub fn client_server(&self) -> (Option<SocketAddr>, Option<SocketAddr>) {
        if self.is_server {
            (self.remote, self.local)
        } else {
            (self.local, self.remote)
        }
    }
}

/// How long before its parent's return from clone a child's own first event
/// can come (the merge orders records by time, and the child runs on
/// another CPU as soon as it exists): far less than this, while thread ids
/// take far longer to come round again.
const CLONE_RACE_NS: u64 = 1_000_000_000;

#[derive(Debug, Default)]
pub struct State {
    pub threads: HashMap<u32, Thread>,
    /// Descriptors per process (thread group).
    pub fds: HashMap<u32, HashMap<i64, Fd>>,
    /// The descriptor a close just removed, so rules on that close still see it.
    pub closed: Option<(u32, i64, Fd)>,
    /// Threads dropped because the table was full.
    pub evictions: u64,
    /// Threads forgotten because they were gone from /proc (their exit
    /// record was lost to a full ring).
    pub forgotten: u64,
    /// Threads found gone at the last sweep: forgotten if still gone at the
    /// next (by then no record of theirs can still be on its way).
    gone_at_last_sweep: std::collections::HashSet<u32>,
    pub max_threads: usize,
    pub users: users::Users,
    /// Each container's own users and groups, read through the root of one
    /// of its processes once it has exec'd inside (live capture only).
    pub container_users: HashMap<String, users::Users>,
    pub hostname: String,
    /// Resolves cgroup ids to containers (live capture only).
    pub containers: Option<containers::Containers>,
    /// Container metadata from the runtimes' APIs (live capture only).
    pub runtimes: Option<runtimes::RuntimeApis>,
}

impl State {
    pub fn new(max_threads: usize) -> Self {
        Self { max_threads, hostname: hostname(), ..Default::default() }
    }

    /// The users and groups a thread sees: its container's when known.
    pub fn users_of(&self, thread: Option<&Thread>) -> &users::Users {
        thread.and_then(|t| t.container.as_ref()).and_then(|c| self.container_users.get(&c.id)).unwrap_or(&self.users)
    }

    /// Re-reads the user and group files that changed.
    pub fn refresh_users(&mut self) {
        self.users.refresh();
        self.container_users.values_mut().for_each(users::Users::refresh);
    }

    /// Forgets the threads whose exit was never seen: gone from `proc` (the
    /// /proc the live threads are in) at two sweeps in a row. A process's
    /// descriptors go with its last thread. Live capture only.
    pub fn sweep_exited(&mut self, proc: &std::path::Path) {
        let gone: std::collections::HashSet<u32> =
            self.threads.keys().copied().filter(|tid| !proc.join(tid.to_string()).exists()).collect();
        let forget: Vec<u32> = gone.intersection(&self.gone_at_last_sweep).copied().collect();
        for tid in &forget {
            self.threads.remove(tid);
        }
        self.forgotten += forget.len() as u64;
        let processes: std::collections::HashSet<u32> = self.threads.values().map(|t| t.pid).collect();
        self.fds.retain(|pid, _| processes.contains(pid));
        self.gone_at_last_sweep = gone;
    }

    pub fn thread(&self, tid: u32) -> Option<&Thread> {
        self.threads.get(&tid)
    }

    /// The process (thread group leader, or any of its threads).
    pub fn process(&self, pid: u32) -> Option<&Thread> {
        self.threads.get(&pid)
    }

    pub fn fd(&self, pid: u32, fd: i64) -> Option<&Fd> {
        self.fds.get(&pid).and_then(|t| t.get(&fd)).or(match &self.closed {
            Some((p, n, f)) if *p == pid && *n == fd => Some(f),
            _ => None,
        })
    }

    /// Resolves `path` as the process would (relative to `dirfd` or its cwd).
    pub fn resolve_path(&self, ev: &Event, path: &CompactString, dirfd: Option<i64>) -> CompactString {
        if path.starts_with('/') || path.is_empty() {
            return normalize(path);
        }
        let base = match dirfd {
            Some(fd) if fd != -100 => self.fd(ev.pid, fd).map(|f| f.path.clone()),
            _ => None,
        }
        .or_else(|| self.thread(ev.tid).map(|t| CompactString::new(&t.cwd)).filter(|c| !c.is_empty()));
        match base {
            Some(b) => normalize(&format_compact!("{b}/{path}")),
            None => path.clone(),
        }
    }

    /// Makes the event's thread known and current: one lookup when it is
    /// known already (every event but a thread's first).
    fn ensure_thread(&mut self, ev: &Event) {
        if let Some(t) = self.threads.get_mut(&ev.tid) {
            Self::observe(t, ev, &mut self.containers, &self.runtimes);
            return;
        }
        if self.threads.len() >= self.max_threads.max(1) {
            // Bounded memory: drop the oldest-started thread.
            if let Some(victim) = self.threads.values().min_by_key(|t| t.start_ns).map(|t| t.tid) {
                self.threads.remove(&victim);
                self.evictions += 1;
            }
        }
        // First sight of this thread: inherit from its process or parent.
        let mut t = self.threads.get(&ev.pid).or_else(|| self.threads.get(&ev.ppid)).cloned().unwrap_or_default();
        t.start_ns = ev.ts_ns;
        let t = self.threads.entry(ev.tid).or_insert(t);
        Self::observe(t, ev, &mut self.containers, &self.runtimes);
    }

    /// What every event says of its thread: ids, name, credentials, cgroup.
    fn observe(
        t: &mut Thread,
        ev: &Event,
        containers: &mut Option<containers::Containers>,
        runtimes: &Option<runtimes::RuntimeApis>,
    ) {
        t.tid = ev.tid;
        t.pid = ev.pid;
        t.ppid = ev.ppid;
        t.comm = ev.comm;
        t.uid = ev.uid;
        t.gid = ev.gid;
        t.loginuid = ev.loginuid;
        if let Some(id) = &ev.container_id {
            // Recorded events say which container they came from.
            if t.container.as_ref().is_none_or(|c| &c.id != id) {
                t.container = (id != "host").then(|| {
                    std::sync::Arc::new(containers::Container {
                        id: id.clone(),
                        runtime: "unknown",
                        cgroup: String::new(),
                        namespace: None,
                    })
                });
            }
        } else if (t.cgroup_id != ev.cgroup_id || !t.cgroup_resolved) && containers.is_some() {
            t.cgroup_id = ev.cgroup_id;
            let resolved = containers.as_mut().and_then(|c| c.resolve(ev.cgroup_id));
            t.cgroup_resolved = resolved.is_some();
            t.container = resolved.flatten();
            if let (Some(c), Some(api)) = (&t.container, runtimes) {
                api.request(c);
            }
        }
    }

    /// Applies an event. Call before evaluating rules on it (Falco's parsers
    /// run before its filters).
    pub fn update(&mut self, ev: &Event) {
        self.closed = None;
        if ev.kind == Kind::ProcExit {
            self.threads.remove(&ev.tid);
            if ev.tid == ev.pid {
                self.fds.remove(&ev.pid);
            }
            return;
        }
        self.ensure_thread(ev);
        let Kind::Syscall(nr) = ev.kind else { return };
        let Some(res) = ev.res else { return };
        if res < 0 {
            return;
        }
        let int = |name: Name| ev.arg(name).and_then(Arg::as_int);
        let text = |name: Name| ev.arg(name).map(Arg::render);
        let spelt = |name: Name| ev.arg(name).and_then(Arg::spelt);
        match nr {
            // execve, execveat: the new image.
            59 | 322 => {
                let t = self.threads.get_mut(&ev.tid).expect("ensured");
                if let Some(Arg::Str(exe)) = ev.arg(Name::Exe) {
                    overwrite(&mut t.exe, exe);
                }
                if let Some(Arg::List(args)) = ev.arg(Name::Args) {
                    t.args.clone_from(args);
                }
                // The old image's environment is gone with it.
                match ev.arg(Name::Env) {
                    Some(Arg::List(env)) => t.env.clone_from(env),
                    _ => t.env.clear(),
                }
                if let Some(p) = text(Name::TrustedExepath) {
                    overwrite(&mut t.exepath, &p);
                }
                if let Some(c) = text(Name::Cwd) {
                    overwrite(&mut t.cwd, &c);
                }
                t.caps = Caps::from_event(ev);
                t.exe_inode = match (int(Name::ExeIno), int(Name::ExeInoCtime), int(Name::ExeInoMtime)) {
                    (Some(ino), Some(ctime), Some(mtime)) => {
                        Some(ExeInode { ino: ino as u64, ctime_ns: ctime as u64, mtime_ns: mtime as u64 })
                    }
                    _ => None,
                };
                t.exe_flags = spelt(Name::Flags).map(|bits| bits as u32);
                let unread = t
                    .container
                    .clone()
                    .filter(|c| self.containers.is_some() && !self.container_users.contains_key(&c.id));
                if let Some(c) = unread {
                    let root = std::path::PathBuf::from(format!("/proc/{}/root", ev.pid));
                    // The runtime's own execs in the container's cgroup happen
                    // before it switches root: wait for one under the new root.
                    if !same_file(&root, "/proc/1/root".as_ref()) {
                        self.container_users.insert(c.id.clone(), users::Users::load(&root));
                    }
                }
                if let Some(fds) = self.fds.get_mut(&ev.pid) {
                    fds.retain(|_, f| !f.cloexec);
                }
            }
            // clone, fork, vfork, clone3 in the parent: the child inherits.
            56 | 57 | 58 | 435 if res > 0 => {
                let child_tid = res as u32;
                let thread = spelt(Name::Flags).is_some_and(|f| f & libc::CLONE_THREAD as u64 != 0);
                // On another CPU the child can run, even exec, before its
                // parent's return reaches us: its entry, made from its own
                // first event (with this parent's state), is then newer than
                // a copy of the parent, and its descriptors win over the
                // inherited ones. An entry left by an earlier thread with
                // this id is older: ids are not reused within `CLONE_RACE_NS`.
                let ran_first =
                    self.threads.get(&child_tid).is_some_and(|c| ev.ts_ns.saturating_sub(c.start_ns) < CLONE_RACE_NS);
                if let Some(inherited) = self.fds.get(&ev.pid).filter(|_| !thread).cloned() {
                    match self.fds.get_mut(&child_tid).filter(|_| ran_first) {
                        Some(own) => inherited.into_iter().for_each(|(fd, f)| {
                            own.entry(fd).or_insert(f);
                        }),
                        None => {
                            self.fds.insert(child_tid, inherited);
                        }
                    }
                }
                if !ran_first {
                    let mut child = self.threads.get(&ev.tid).cloned().unwrap_or_default();
                    child.tid = child_tid;
                    child.start_ns = ev.ts_ns;
                    if thread {
                        child.pid = ev.pid;
                    } else {
                        child.ppid = ev.pid;
                        child.pid = child_tid;
                    }
                    self.threads.insert(child_tid, child);
                }
            }
            // open, openat, openat2, creat, memfd_create
            2 | 257 | 437 | 85 | 319 => {
                // Cloned, not rendered and copied: inline text is one move.
                let raw = match ev.arg(Name::Name) {
                    Some(Arg::Str(name)) => name.clone(),
                    other => other.map(Arg::render).unwrap_or_default().as_ref().into(),
                };
                let flags = spelt(Name::Flags).unwrap_or_default();
                let has = |flag: i32| flags & flag as u64 != 0;
                let (kind, path) = if nr == 319 {
                    (FdKind::Memfd, format_compact!("memfd:{raw}"))
                } else {
                    let kind = if has(libc::O_DIRECTORY) { FdKind::Directory } else { FdKind::File };
                    // The file the kernel opened, else the caller's path
                    // resolved here (the kernel's was too long to record).
                    let path = match ev.arg(Name::KernelPath) {
                        Some(Arg::Str(opened)) if !opened.is_empty() => opened.clone(),
                        _ => self.resolve_path(ev, &raw, int(Name::Dirfd)),
                    };
                    (kind, path)
                };
                let cloexec = has(libc::O_CLOEXEC);
                self.fds.entry(ev.pid).or_default().insert(res, Fd::file(kind, path, raw, cloexec));
            }
            // capset: this thread's sets changed.
            126 => {
                if let Some(caps) = Caps::from_event(ev) {
                    self.threads.get_mut(&ev.tid).expect("ensured").caps = Some(caps);
                }
            }
            // socket
            41 => {
                let kind = match spelt(Name::Domain).map(|n| n as i32) {
                    Some(libc::AF_INET) => FdKind::Ipv4,
                    Some(libc::AF_INET6) => FdKind::Ipv6,
                    Some(libc::AF_UNIX) => FdKind::Unix,
                    Some(libc::AF_NETLINK) => FdKind::Netlink,
                    _ => FdKind::Other,
                };
                let ty = int(Name::Type).unwrap_or_default() as i32;
                let l4proto = kind.is_ip().then_some(match ty & 0xf {
                    libc::SOCK_STREAM => "tcp",
                    libc::SOCK_DGRAM => "udp",
                    _ => "raw",
                });
                let cloexec = ty & libc::SOCK_CLOEXEC != 0;
                let mut fd = Fd::file(kind, CompactString::default(), CompactString::default(), cloexec);
                fd.l4proto = l4proto;
                self.fds.entry(ev.pid).or_default().insert(res, fd);
            }
            // connect, bind
            42 | 49 => {
                let (Some(fdn), Some(addr)) = (int(Name::Fd), ev.arg(Name::Addr)) else {
                    return;
                };
                let fds = self.fds.entry(ev.pid).or_default();
                let fd = fds.entry(fdn).or_insert_with(|| {
                    Fd::file(FdKind::Other, CompactString::default(), CompactString::default(), false)
                });
                match addr.addr() {
                    Some(sa) if nr == 42 => {
                        fd.remote = Some(sa);
                        fd.connected = true;
                    }
                    Some(sa) => {
                        fd.local = Some(sa);
                        fd.is_server = true;
                    }
                    None => {
                        fd.kind = FdKind::Unix;
                        fd.path = addr.render().into();
                        fd.connected = nr == 42;
                    }
                }
                if fd.kind == FdKind::Other {
                    fd.kind = match fd.remote.or(fd.local) {
                        Some(SocketAddr::V4(_)) => FdKind::Ipv4,
                        Some(SocketAddr::V6(_)) => FdKind::Ipv6,
                        None => FdKind::Unix,
                    };
                }
            }
            // accept, accept4: a new connected descriptor
            43 | 288 => {
                let listener = int(Name::ListenFd).and_then(|l| self.fd(ev.pid, l).cloned());
                let mut fd = listener.unwrap_or_else(|| {
                    Fd::file(FdKind::Ipv4, CompactString::default(), CompactString::default(), false)
                });
                fd.remote = ev.arg(Name::Addr).and_then(Arg::addr);
                fd.is_server = true;
                fd.connected = true;
                self.fds.entry(ev.pid).or_default().insert(res, fd);
            }
            // close
            3 => {
                if let Some(n) = int(Name::Fd) {
                    if let Some(fd) = self.fds.get_mut(&ev.pid).and_then(|t| t.remove(&n)) {
                        self.closed = Some((ev.pid, n, fd));
                    }
                }
            }
            // dup, dup2, dup3, fcntl(F_DUPFD / F_DUPFD_CLOEXEC)
            32 | 33 | 292 | 72 => {
                let old = if nr == 72 { int(Name::Fd) } else { int(Name::Oldfd) };
                if nr == 72 && !matches!(int(Name::Cmd), Some(0) | Some(1030)) {
                    return;
                }
                if let Some(fd) = old.and_then(|o| self.fd(ev.pid, o).cloned()) {
                    self.fds.entry(ev.pid).or_default().insert(res, fd);
                }
            }
            // pipe, pipe2
            22 | 293 => {
                for name in [Name::Fd1, Name::Fd2] {
                    if let Some(n) = int(name) {
                        self.fds
                            .entry(ev.pid)
                            .or_default()
                            .insert(n, Fd::file(FdKind::Pipe, "pipe".into(), CompactString::default(), false));
                    }
                }
            }
            // chdir, fchdir
            80 | 81 => {
                let dir = if nr == 80 {
                    text(Name::Path).map(|p| self.resolve_path(ev, &p.as_ref().into(), None))
                } else {
                    int(Name::Fd).and_then(|f| self.fd(ev.pid, f)).map(|f| f.path.clone())
                };
                if let Some(dir) = dir {
                    self.threads.get_mut(&ev.tid).expect("ensured").cwd = dir.into_string();
                }
            }
            // setsid, setpgid
            112 => {
                let t = self.threads.get_mut(&ev.tid).expect("ensured");
                t.sid = t.pid;
                t.pgid = t.pid;
            }
            109 => {
                let pid = int(Name::Pid).filter(|p| *p != 0).unwrap_or(ev.pid as i64) as u32;
                let pgid = int(Name::Pgid).filter(|p| *p != 0).map_or(pid, |p| p as u32);
                if let Some(t) = self.threads.get_mut(&pid) {
                    t.pgid = pgid;
                }
            }
            _ => {}
        }
    }

    /// Ancestors of `tid`'s process, nearest first (parent, grandparent…).
    pub fn ancestors(&self, tid: u32) -> Vec<&Thread> {
        let mut out = Vec::new();
        let mut cur = self.thread(tid).map(|t| t.ppid);
        while let Some(ppid) = cur {
            if ppid == 0 || out.len() >= 64 {
                break;
            }
            let Some(p) = self.process(ppid) else { break };
            out.push(p);
            cur = Some(p.ppid).filter(|pp| *pp != p.pid);
        }
        out
    }
}

fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => (a.dev(), a.ino()) == (b.dev(), b.ino()),
        _ => true,
    }
}

/// Replaces `text` in the storage it has (`replace_range`'s splice costs
/// more than the copy).
fn overwrite(text: &mut String, with: &str) {
    text.clear();
    text.push_str(with);
}

/// Lexically normalizes an absolute path (`.`, `..`, duplicate slashes).
/// Most paths are normal already: the result is then a clone, which for
/// inline text is one move rather than a copy of its bytes.
pub fn normalize(path: &CompactString) -> CompactString {
    if is_clean(path) {
        return path.clone();
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    let mut out = CompactString::default();
    for part in &parts {
        out.push('/');
        out.push_str(part);
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// Absolute, no empty, `.` or `..` component, no trailing slash: most paths
/// are, and then normalizing is a copy.
fn is_clean(path: &str) -> bool {
    path == "/" || shared_abi::is_normal_absolute(path.as_bytes())
}

pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname").map(|h| h.trim().to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::spelling::Spelling::*;
    use crate::event::{Dir, Event};
    use shared_abi::SyscallTable;

    fn ev(nr: u32, tid: u32, ppid: u32, res: i64, args: Vec<(Name, Arg)>) -> Event {
        Event {
            num: 0,
            ts_ns: 1,
            kind: Kind::Syscall(nr),
            dir: Dir::Exit,
            table: SyscallTable::X86_64,
            from_32bit_program: false,
            cpu: 0,
            res: Some(res),
            tid,
            pid: tid,
            ppid,
            vtid: tid,
            vpid: tid,
            comm: "bash".into(),
            uid: 0,
            gid: 0,
            loginuid: -1,
            cgroup_id: 0,
            container_id: None,
            args: args.into_iter().collect(),
        }
    }

    #[test]
    fn process_tree_files_and_sockets() {
        let mut s = State::new(100);
        s.update(&ev(
            59,
            10,
            1,
            0,
            vec![
                (Name::Exe, Arg::Str("bash".into())),
                (Name::Args, Arg::List(vec![])),
                (Name::Cwd, Arg::Str("/root".into())),
                (Name::TrustedExepath, Arg::Str("/usr/bin/bash".into())),
                (Name::Flags, Arg::Spelt((shared_abi::EXE_WRITABLE | shared_abi::EXE_UPPER_LAYER).into(), ExeFlags)),
                (Name::CapInheritable, Arg::Spelt(0, FalcoHex)),
                (Name::CapPermitted, Arg::Spelt(1 << 21, FalcoHex)),
                (Name::CapEffective, Arg::Spelt(1 << 21, FalcoHex)),
                (Name::ExeIno, Arg::Int(77)),
                (Name::ExeInoCtime, Arg::Int(5)),
                (Name::ExeInoMtime, Arg::Int(6)),
            ],
        ));
        s.update(&ev(57, 10, 1, 11, vec![]));
        let child = s.thread(11).unwrap();
        assert_eq!(child.exe_flags, Some(shared_abi::EXE_WRITABLE | shared_abi::EXE_UPPER_LAYER));
        assert_eq!(child.caps, Some(Caps { inheritable: 0, permitted: 1 << 21, effective: 1 << 21 }));
        assert_eq!(child.exe_inode, Some(ExeInode { ino: 77, ctime_ns: 5, mtime_ns: 6 }));
        // The child drops every capability: capset replaces its sets.
        let dropped = vec![
            (Name::CapInheritable, Arg::Spelt(0, FalcoHex)),
            (Name::CapPermitted, Arg::Spelt(0, FalcoHex)),
            (Name::CapEffective, Arg::Spelt(0, FalcoHex)),
        ];
        s.update(&ev(126, 11, 10, 0, dropped));
        assert_eq!(s.thread(11).unwrap().caps, Some(Caps::default()));
        assert_eq!(s.thread(10).unwrap().caps.map(|c| c.effective), Some(1 << 21), "the parent keeps its own");
        s.update(&ev(126, 11, 10, 0, vec![]));
        assert_eq!(s.thread(11).unwrap().caps, Some(Caps::default()), "a capset without facts changes nothing");
        s.update(&ev(
            257,
            11,
            10,
            3,
            vec![
                (Name::Dirfd, Arg::Int(-100)),
                (Name::Name, Arg::Str("../etc/./shadow".into())),
                (Name::Flags, Arg::Spelt(0, OpenFlags)),
            ],
        ));
        assert_eq!(s.fd(11, 3).unwrap().path, "/etc/shadow");
        assert_eq!(normalize(&"/a/./b//c/../d/".into()), "/a/b/d");
        assert_eq!(normalize(&"/usr/lib/x.so".into()), "/usr/lib/x.so");
        assert_eq!(normalize(&"/".into()), "/");
        assert_eq!(normalize(&"/a/".into()), "/a");
        assert_eq!(normalize(&"/..".into()), "/");
        assert_eq!(normalize(&"/a/.b/..c".into()), "/a/.b/..c");
        assert!(is_clean("/a/.b") && !is_clean("/a/.") && !is_clean("a/b") && !is_clean("//a"));
        assert_eq!(s.ancestors(11)[0].exepath, "/usr/bin/bash");
        s.update(&ev(41, 11, 10, 4, vec![(Name::Domain, Arg::Spelt(2, Family)), (Name::Type, Arg::Int(1))]));
        s.update(&ev(
            42,
            11,
            10,
            0,
            vec![(Name::Fd, Arg::Int(4)), (Name::Addr, Arg::Addr("10.0.0.1:443".parse().unwrap()))],
        ));
        let fd = s.fd(11, 4).unwrap();
        assert_eq!((fd.kind, fd.l4proto, fd.name().as_ref()), (FdKind::Ipv4, Some("tcp"), "->10.0.0.1:443"));
        s.update(&ev(33, 11, 10, 1, vec![(Name::Oldfd, Arg::Int(4)), (Name::Newfd, Arg::Int(1))]));
        assert!(s.fd(11, 1).unwrap().connected);
        s.update(&ev(3, 11, 10, 0, vec![(Name::Fd, Arg::Int(3))]));
        assert_eq!(s.fd(11, 3).unwrap().path, "/etc/shadow", "visible to rules on the close itself");
        s.update(&ev(39, 11, 10, 11, vec![]));
        assert!(s.fd(11, 3).is_none());
    }

    #[test]
    fn a_child_that_ran_before_its_parents_return_keeps_what_it_did() {
        let mut s = State::new(100);
        let at = |mut e: Event, ts_ns: u64| {
            e.ts_ns = ts_ns;
            e
        };
        let exec = |tid, args: &[&str]| {
            let list = args.iter().map(|a| (*a).into()).collect();
            ev(59, tid, 1, 0, vec![(Name::Exe, Arg::Str("x".into())), (Name::Args, Arg::List(list))])
        };
        s.update(&at(exec(10, &["-c", "script"]), 100));
        let open = |tid, fd, name: &str| {
            ev(257, tid, 10, fd, vec![(Name::Dirfd, Arg::Int(-100)), (Name::Name, Arg::Str(name.into()))])
        };
        s.update(&at(open(10, 3, "/inherited"), 200));
        // The child's own return from fork, exec and open, then the parent's return.
        s.update(&at(ev(57, 11, 10, 0, vec![]), 300));
        s.update(&at(exec(11, &["app.py"]), 400));
        s.update(&at(open(11, 4, "/own"), 500));
        s.update(&at(ev(57, 10, 1, 11, vec![]), 600));
        let child = s.thread(11).unwrap();
        assert_eq!((child.args.as_slice(), child.pid, child.ppid), (&["app.py".into()][..], 11, 10));
        let fds = &s.fds[&11];
        assert_eq!((fds[&3].path.as_str(), fds[&4].path.as_str()), ("/inherited", "/own"));
        // An entry an earlier thread 12 left (its exit lost) is replaced.
        s.update(&at(exec(12, &["old"]), 700));
        s.update(&at(ev(57, 10, 1, 12, vec![]), 700 + CLONE_RACE_NS));
        assert_eq!(s.thread(12).unwrap().args, ["-c", "script"]);
    }

    #[test]
    fn an_opened_file_is_named_by_the_kernel_not_by_the_callers_memory() {
        let mut s = State::new(100);
        let open = |fd, name: &str, kernel: &str| {
            let mut args = vec![(Name::Dirfd, Arg::Int(-100)), (Name::Name, Arg::Str(name.into()))];
            args.push((Name::KernelPath, Arg::Str(kernel.into())));
            ev(257, 10, 1, fd, args)
        };
        // Another thread rewrote the path after the kernel read it.
        s.update(&open(3, "/tmp/harmls", "/etc/shadow"));
        let fd = s.fd(10, 3).unwrap();
        assert_eq!((fd.path.as_str(), fd.nameraw.as_str()), ("/etc/shadow", "/tmp/harmls"));
        // The kernel's path too long to record: the caller's, resolved.
        s.update(&open(4, "/etc/./hosts", ""));
        assert_eq!(s.fd(10, 4).unwrap().path, "/etc/hosts");
    }

    #[test]
    fn table_is_bounded() {
        let mut s = State::new(2);
        for tid in 1..=5 {
            s.update(&ev(39, tid, 0, 0, vec![]));
        }
        assert_eq!(s.threads.len(), 2);
        assert_eq!(s.evictions, 3);
    }

    #[test]
    fn threads_whose_exit_was_lost_are_forgotten_at_the_second_sweep() {
        let proc = std::env::temp_dir().join(format!("osprey-proc-{}", std::process::id()));
        std::fs::create_dir_all(proc.join("10")).unwrap();
        let mut s = State::new(100);
        s.update(&ev(57, 10, 1, 11, vec![]));
        s.update(&ev(257, 11, 1, 3, vec![(Name::Dirfd, Arg::Int(-100)), (Name::Name, Arg::Str("/x".into()))]));
        assert!(s.thread(11).is_some() && s.fd(11, 3).is_some());
        // 11 exited, its procexit record lost: gone from /proc.
        s.sweep_exited(&proc);
        assert!(s.thread(11).is_some(), "not at the first sweep: records may still be on their way");
        s.sweep_exited(&proc);
        assert!(s.thread(11).is_none() && s.fd(11, 3).is_none());
        assert!(s.thread(10).is_some(), "a live thread stays");
        assert_eq!(s.forgotten, 1);
        std::fs::remove_dir_all(&proc).unwrap();
    }
}
