//! Server processes for tests: a port to give each, a wait for it to be
//! ready, and a guard that kills it when the test ends, even when it fails
//! (left running, it would hold the test harness's output open).

// Each test binary that includes this file uses a part of it.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

pub struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `program` (installed by scripts/test.sh) with its output discarded.
pub fn spawn(program: &str, args: &[&str]) -> Server {
    assert!(Path::new(program).exists() || program == "python3", "{program} missing: scripts/test.sh installs it");
    Server(Command::new(program).args(args).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap())
}

/// A port for a server that is told which one to bind. A port found by
/// binding port 0 is an ephemeral one, which a parallel test's bind to port 0
/// or outgoing connection can take before the server binds it. These come
/// from just below the kernel's ephemeral range, which neither ever uses,
/// each handed out once per test process.
pub fn free_port() -> u16 {
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let ephemeral_low: u16 = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|range| range.split_whitespace().next()?.parse().ok())
        .unwrap_or(32768);
    const SPAN: u16 = 8192;
    // Test binaries run one after another; the pid keeps a later one off the
    // ports a server of an earlier one may still be closing.
    let start = (std::process::id() % u32::from(SPAN)) as u16;
    loop {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        assert!(n < SPAN, "no free port below {ephemeral_low}");
        let port = ephemeral_low - SPAN + (start + n) % SPAN;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// Polls `ready` until it holds, failing the test after 60 s.
pub fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
