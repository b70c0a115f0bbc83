//! Bootstrapping state from /proc: processes and descriptors that existed
//! before Osprey attached.

use compact_str::CompactString;
use std::net::SocketAddr;
use std::path::Path;

use super::{Caps, ExeInode, Fd, FdKind, State, Thread};

/// Adds every process (and thread) under `proc_root` and its descriptors.
pub fn bootstrap(state: &mut State, proc_root: &Path) {
    let Ok(dir) = std::fs::read_dir(proc_root) else {
        return;
    };
    let boot_ns = boot_time_ns(proc_root);
    for entry in dir.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let base = entry.path();
        let Some(leader) = read_thread(&base, pid, pid, boot_ns) else {
            continue;
        };
        state.fds.insert(pid, read_fds(&base));
        if let Ok(tasks) = std::fs::read_dir(base.join("task")) {
            for t in tasks.flatten() {
                let Some(tid) = t.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                    continue;
                };
                if tid != pid {
                    let mut th = leader.clone();
                    th.tid = tid;
                    state.threads.insert(tid, th);
                }
            }
        }
        state.threads.insert(pid, leader);
    }
}

fn read_thread(base: &Path, pid: u32, tid: u32, boot_ns: u64) -> Option<Thread> {
    let stat = std::fs::read_to_string(base.join("stat")).ok()?;
    // comm may contain spaces and parentheses: split at the last ')'.
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let comm = stat[open + 1..close].to_string();
    let rest: Vec<&str> = stat[close + 2..].split_whitespace().collect();
    let num = |i: usize| rest.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    let (ppid, pgid, sid, tty) = (num(1) as u32, num(2) as u32, num(3) as u32, num(4) as u32);
    let start_ticks = num(19);
    let cmdline = std::fs::read(base.join("cmdline")).unwrap_or_default();
    let mut argv: Vec<CompactString> =
        cmdline.split(|b| *b == 0).filter(|s| !s.is_empty()).map(|s| String::from_utf8_lossy(s).into()).collect();
    let exe = if argv.is_empty() { comm.clone() } else { argv.remove(0).into_string() };
    let status = std::fs::read_to_string(base.join("status")).unwrap_or_default();
    let id_line = |key: &str| {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let loginuid = std::fs::read_to_string(base.join("loginuid"))
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok())
        .map_or(-1, |u| u as i32 as i64);
    let link =
        |name: &str| std::fs::read_link(base.join(name)).map(|p| p.to_string_lossy().into_owned()).unwrap_or_default();
    let cap_line = |key: &str| {
        status.lines().find_map(|l| l.strip_prefix(key)).and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
    };
    let caps = match (cap_line("CapInh:"), cap_line("CapPrm:"), cap_line("CapEff:")) {
        (Some(inheritable), Some(permitted), Some(effective)) => Some(Caps { inheritable, permitted, effective }),
        _ => None,
    };
    let exe_inode = std::fs::metadata(base.join("exe")).ok().map(|m| {
        use std::os::unix::fs::MetadataExt;
        let ns = |secs: i64, nsecs: i64| (secs as u64).saturating_mul(1_000_000_000).saturating_add(nsecs as u64);
        ExeInode { ino: m.ino(), ctime_ns: ns(m.ctime(), m.ctime_nsec()), mtime_ns: ns(m.mtime(), m.mtime_nsec()) }
    });
    Some(Thread {
        tid,
        pid,
        ppid,
        comm: comm.as_str().into(),
        exe,
        exepath: link("exe").trim_end_matches(" (deleted)").to_string(),
        args: argv,
        cwd: link("cwd"),
        uid: id_line("Uid:"),
        gid: id_line("Gid:"),
        loginuid,
        start_ns: boot_ns + start_ticks * 10_000_000,
        sid,
        pgid,
        tty,
        env: Vec::new(),
        // Resolved from the first event's cgroup id.
        cgroup_id: 0,
        cgroup_resolved: false,
        container: None,
        caps,
        exe_inode,
        // Only the kernel knows the layer and memfd origin; writability
        // depends on the task's credentials.
        exe_flags: None,
    })
}

fn read_fds(base: &Path) -> rustc_hash::FxHashMap<i64, Fd> {
    let mut out = rustc_hash::FxHashMap::default();
    let Ok(dir) = std::fs::read_dir(base.join("fd")) else {
        return out;
    };
    for entry in dir.flatten() {
        let Some(n) = entry.file_name().to_str().and_then(|s| s.parse::<i64>().ok()) else {
            continue;
        };
        let Ok(target) = std::fs::read_link(entry.path()) else {
            continue;
        };
        let target = target.to_string_lossy().into_owned();
        let kind = if target.starts_with("socket:") {
            FdKind::Unix
        } else if target.starts_with("pipe:") {
            FdKind::Pipe
        } else if target.starts_with("anon_inode:[eventfd]") {
            FdKind::Event
        } else if target.starts_with("anon_inode:[eventpoll]") {
            FdKind::Eventpoll
        } else if target.starts_with("anon_inode:inotify") {
            FdKind::Inotify
        } else if target.starts_with("anon_inode:[timerfd]") {
            FdKind::Timerfd
        } else if target.starts_with("anon_inode:[signalfd]") {
            FdKind::Signalfd
        } else if target.starts_with("/memfd:") {
            FdKind::Memfd
        } else if target.starts_with('/') {
            if std::fs::metadata(&target).is_ok_and(|m| m.is_dir()) {
                FdKind::Directory
            } else {
                FdKind::File
            }
        } else {
            FdKind::Other
        };
        let fd = Fd {
            kind,
            path: target.as_str().into(),
            nameraw: target.into(),
            l4proto: None,
            local: None::<SocketAddr>,
            remote: None,
            is_server: false,
            connected: false,
            cloexec: false,
        };
        out.insert(n, fd);
    }
    out
}

/// Boot time in ns since the epoch, from /proc/stat's btime.
fn boot_time_ns(proc_root: &Path) -> u64 {
    std::fs::read_to_string(proc_root.join("stat"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("btime ")).and_then(|l| l[6..].trim().parse::<u64>().ok()))
        .map_or(0, |s| s * 1_000_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bootstraps_this_process() {
        let mut state = State::new(100_000);
        bootstrap(&mut state, Path::new("/proc"));
        let me = std::process::id();
        let t = state.thread(me).expect("own process");
        assert_eq!(t.pid, me);
        assert!(!t.exepath.is_empty());
        assert!(t.caps.is_some() && t.exe_inode.is_some_and(|i| i.ino > 0 && i.mtime_ns > 0));
        assert!(state.fds.get(&me).is_some_and(|f| !f.is_empty()));
        assert!(state.ancestors(me).iter().any(|a| a.pid == 1) || state.thread(1).is_none());
    }
}
