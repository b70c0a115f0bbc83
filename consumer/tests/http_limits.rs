//! The HTTP server under a flood of connections that never finish a
//! request, with a low descriptor limit: health keeps answering, the
//! server closes what it holds, and the accept loop does not spin.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{tmpdir, Osprey};

/// CPU time (user + system) the process has used, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after_name = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

/// A request that never ends: headers started, never finished.
fn half_open(addr: &str) -> Option<TcpStream> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").ok()?;
    Some(s)
}

/// Whether the server closed `s` (EOF or reset) within `within`.
fn closed_by_server(s: &mut TcpStream, within: Duration) -> bool {
    s.set_read_timeout(Some(within)).unwrap();
    let mut buf = [0u8; 256];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                return false
            }
            Err(_) => return true,
        }
    }
}

#[test]
fn half_open_floods_do_not_take_the_server_down() {
    let dir = tmpdir("http-flood");
    let config = dir.join("osprey.yaml");
    std::fs::write(&config, "http:\n  max_connections: 100\n  header_read_timeout_seconds: 2\n").unwrap();
    let osprey = Osprey::start_with_fd_limit(&config, 256);
    let pid = osprey.child.id();
    let ticks_before = cpu_ticks(pid);
    let start = Instant::now();

    // 600 half-open requests, more than the cap and than the descriptors
    // osprey has; re-opened as the server closes them, for 60 s.
    let mut held: Vec<TcpStream> = (0..600).filter_map(|_| half_open(&osprey.addr)).collect();
    let mut slowest = Duration::ZERO;
    while start.elapsed() < Duration::from_secs(60) {
        let asked = Instant::now();
        let (status, body) = osprey.request("GET", "/healthz", None, b"");
        slowest = slowest.max(asked.elapsed());
        assert_eq!((status, body.as_str()), (200, r#"{"status":"ok"}"#));
        held.retain_mut(|s| !closed_by_server(s, Duration::from_millis(1)));
        held.extend((held.len()..600).filter_map(|_| half_open(&osprey.addr)));
        std::thread::sleep(Duration::from_millis(200));
    }
    // Answered at once (milliseconds); the bound is generous because the
    // test shares two cores with the rest of the suite.
    assert!(slowest < Duration::from_secs(3), "/healthz took {slowest:?}");

    // Every connection still held is closed by the server within the
    // header timeout (2 s), with margin.
    let mut left: Vec<TcpStream> = held.into_iter().collect();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !left.is_empty() && Instant::now() < deadline {
        left.retain_mut(|s| !closed_by_server(s, Duration::from_millis(10)));
    }
    assert!(left.is_empty(), "{} connections still open after the header timeout", left.len());

    // The accept loop did not spin: CPU well under one core over the run.
    let ticks = cpu_ticks(pid) - ticks_before;
    let tick_hz = 100;
    let busy = ticks as f64 / tick_hz as f64 / start.elapsed().as_secs_f64();
    assert!(busy < 0.5, "osprey used {:.0} % of a core", busy * 100.0);

    let (_, metrics) = osprey.request("GET", "/metrics", None, b"");
    let closed = |reason: &str| {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(&format!("osprey_http_connections_closed_total{{reason=\"{reason}\"}} ")))
            .map_or(0, |n| n.parse::<u64>().unwrap())
    };
    assert!(closed("evicted") + closed("timeout") >= 500, "{metrics}");
    eprintln!(
        "slowest /healthz {slowest:?}; CPU {:.1} % of a core; closed: {} evicted, {} timed out, {} refused",
        busy * 100.0,
        closed("evicted"),
        closed("timeout"),
        closed("refused")
    );
    osprey.stop();
    std::fs::remove_dir_all(&dir).unwrap();
}
