//! Helpers shared by the integration tests that run `osprey run --no-kernel`.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub struct Osprey {
    pub child: Child,
    pub addr: String,
    stderr: BufReader<std::process::ChildStderr>,
}

impl Osprey {
    /// Starts it and waits until it is ready: it listens before it is, and
    /// a request in between gets `{"status":"starting"}`.
    pub fn start(config: &Path) -> Self {
        Self::start_in(Command::new(env!("CARGO_BIN_EXE_osprey")), config)
    }

    /// `start`, with at most `fds` open descriptors (`ulimit -n`).
    pub fn start_with_fd_limit(config: &Path, fds: u32) -> Self {
        let mut command = Command::new("sh");
        command.args(["-c", &format!("ulimit -n {fds} && exec \"$0\" \"$@\""), env!("CARGO_BIN_EXE_osprey")]);
        Self::start_in(command, config)
    }

    fn start_in(mut command: Command, config: &Path) -> Self {
        static STARTED: AtomicUsize = AtomicUsize::new(0);
        let ready = std::env::temp_dir().join(format!(
            "osprey-ready-{}-{}",
            std::process::id(),
            STARTED.fetch_add(1, Ordering::Relaxed)
        ));
        let mut child = command
            .args(["run", "--no-kernel", "--listen", "127.0.0.1:0", "--config"])
            .arg(config)
            .arg("--ready-file")
            .arg(&ready)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut addr = String::new();
        let mut line = String::new();
        while stderr.read_line(&mut line).unwrap() > 0 {
            if let Some(a) = line.trim().strip_prefix("osprey: http listening on ") {
                addr = a.to_string();
                break;
            }
            line.clear();
        }
        assert!(!addr.is_empty(), "no listen address");
        let deadline = Instant::now() + Duration::from_secs(30);
        while !ready.exists() {
            assert!(child.try_wait().unwrap().is_none(), "osprey exited before it was ready");
            assert!(Instant::now() < deadline, "osprey not ready within 30 s");
            std::thread::sleep(Duration::from_millis(10));
        }
        std::fs::remove_file(&ready).unwrap();
        Osprey { child, addr, stderr }
    }

    /// (status, body) of one request.
    pub fn request(&self, method: &str, path: &str, token: Option<&str>, body: &[u8]) -> (u16, String) {
        let mut s = TcpStream::connect(&self.addr).unwrap();
        let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: x\r\n{auth}Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .unwrap();
        s.write_all(body).unwrap();
        let mut resp = String::new();
        s.read_to_string(&mut resp).unwrap();
        let status = resp.split_whitespace().nth(1).unwrap().parse().unwrap();
        (status, resp.split("\r\n\r\n").nth(1).unwrap_or_default().to_string())
    }

    /// Stops it and returns (alerts, stderr).
    pub fn stop(mut self) -> (Vec<serde_json::Value>, String) {
        interrupt(self.child.id());
        let mut out = String::new();
        self.child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
        let mut err = String::new();
        self.stderr.read_to_string(&mut err).unwrap();
        self.child.wait().unwrap();
        (out.lines().map(|l| serde_json::from_str(l).unwrap()).collect(), err)
    }
}

/// A failed test must not leave osprey running.
impl Drop for Osprey {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn interrupt(pid: u32) {
    Command::new("kill").args(["-INT", &pid.to_string()]).status().unwrap();
}

pub fn traces() -> PathBuf {
    std::env::var_os("OSPREY_COMPAT")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/compat"))
        .join("k8s-audit/traces")
}

pub fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("osprey-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}
