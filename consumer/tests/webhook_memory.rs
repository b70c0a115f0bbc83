//! The audit webhook's memory under large bodies: six 15 MB `EventList`s
//! at once, sent the way kube-apiserver's webhook backend sends them (a
//! refused batch is sent again after `Retry-After`), keep the osprey
//! process's peak RSS within 256 MiB, and every event is evaluated.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use common::{tmpdir, traces, Osprey};

const BODY_BYTES: usize = 15_000_000;
const BODIES: usize = 6;
/// Every this many items, one that raises an alert.
const ALERT_EVERY: usize = 100;

/// Peak resident set size of `pid` (VmHWM), in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// A compact `EventList` of about `BODY_BYTES`: unprivileged pod creations,
/// every `ALERT_EVERY`th one privileged. Returns it and its item count.
fn event_list() -> (Vec<u8>, usize) {
    let item = |t: &str| {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(traces().join(format!("{t}.json"))).unwrap()).unwrap();
        v.to_string()
    };
    let (quiet, loud) = (item("create_nginx_pod_unprivileged"), item("create_nginx_pod_privileged"));
    let mut body = String::from(r#"{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":["#);
    let mut n = 0;
    while body.len() + loud.len() + 2 < BODY_BYTES {
        if n > 0 {
            body.push(',');
        }
        body.push_str(if n % ALERT_EVERY == 0 { &loud } else { &quiet });
        n += 1;
    }
    body.push_str("]}");
    (body.into_bytes(), n)
}

/// One POST /k8s-audit: (status, Retry-After seconds, body). `headers_sent`
/// is waited on between the headers and the body.
fn post(addr: &str, body: &[u8], headers_sent: Option<&Barrier>) -> std::io::Result<(u16, Option<u64>, String)> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(120)))?;
    s.set_write_timeout(Some(Duration::from_secs(120)))?;
    write!(s, "POST /k8s-audit HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len())?;
    if let Some(barrier) = headers_sent {
        barrier.wait();
    }
    s.write_all(body)?;
    let mut resp = String::new();
    s.read_to_string(&mut resp)?;
    let (head, reply) = resp.split_once("\r\n\r\n").unwrap_or((&resp, ""));
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let retry_after = head
        .lines()
        .find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("retry-after")))
        .and_then(|(_, v)| v.trim().parse().ok());
    Ok((status, retry_after, reply.to_string()))
}

/// Posts `body` until it is taken, as the API server's webhook backend
/// does: a 429 is sent again after its Retry-After (a reset connection
/// too). Returns the final reply and how many times it was refused. The
/// first attempt's body waits on `headers_sent`.
fn post_retrying(addr: &str, body: &[u8], until: Instant, mut headers_sent: Option<&Barrier>) -> (u16, String, usize) {
    let mut refused = 0;
    loop {
        assert!(Instant::now() < until, "body not taken in time ({refused} refusals)");
        match post(addr, body, headers_sent.take()) {
            Ok((429, retry_after, _)) => {
                refused += 1;
                let wait = retry_after.expect("a 429 says when to retry");
                std::thread::sleep(Duration::from_secs(wait));
            }
            Ok((status, _, reply)) => return (status, reply, refused),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => std::thread::sleep(Duration::from_secs(1)),
            Err(e) => panic!("posting: {e}"),
        }
    }
}

fn metric(metrics: &str, name: &str) -> u64 {
    metrics.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok()).unwrap_or(0)
}

#[test]
fn six_concurrent_15_mb_event_lists_stay_within_256_mib() {
    let dir = tmpdir("webhook-memory");
    let config = dir.join("osprey.yaml");
    std::fs::write(&config, "stdout_output: {enabled: false}\n").unwrap();
    let osprey = Osprey::start(&config);
    let pid = osprey.child.id();
    let (body, items) = event_list();
    let alerts_per_body = items.div_ceil(ALERT_EVERY);
    let idle = peak_rss_kib(pid);
    // Generous: two shared cores, and a debug build parses slowly.
    let until = Instant::now() + Duration::from_secs(300);

    // One body alone fits the budget: never refused.
    let (status, reply, refused) = post_retrying(&osprey.addr, &body, until, None);
    assert_eq!((status, refused), (200, 0), "{reply}");
    let one = peak_rss_kib(pid);

    // Six at once, their headers all sent before any body: six bodies pass
    // the budget (64 MiB), so some are refused and sent again.
    let headers_sent = Barrier::new(BODIES);
    let replies: Vec<(u16, String, usize)> = std::thread::scope(|s| {
        let threads: Vec<_> =
            (0..BODIES).map(|_| s.spawn(|| post_retrying(&osprey.addr, &body, until, Some(&headers_sent)))).collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let six = peak_rss_kib(pid);
    for (status, reply, _) in &replies {
        assert_eq!(*status, 200, "{reply}");
        let reply: serde_json::Value = serde_json::from_str(reply).unwrap();
        assert_eq!(reply["events"].as_u64(), Some(items as u64), "{reply}");
    }
    let refused: usize = replies.iter().map(|r| r.2).sum();

    let (_, metrics) = osprey.request("GET", "/metrics", None, b"");
    let evaluated = (BODIES + 1) * items;
    assert_eq!(metric(&metrics, "osprey_k8s_audit_events_total"), evaluated as u64, "{metrics}");
    assert_eq!(metric(&metrics, "osprey_events_total{source=\"k8s_audit\"}"), evaluated as u64);
    let alerts =
        "osprey_alerts_total{priority=\"Warning\",rule=\"Osprey K8s Privileged Pod Created\",source=\"k8s_audit\"}";
    assert_eq!(metric(&metrics, alerts), ((BODIES + 1) * alerts_per_body) as u64);
    assert!(refused >= 1, "six bodies at once pass the budget, yet none was refused");
    assert_eq!(metric(&metrics, "osprey_k8s_audit_refused_total{reason=\"busy\"}"), refused as u64);
    // Every body, refused or evaluated, has given its share back.
    assert_eq!(metric(&metrics, "osprey_http_body_bytes_in_flight"), 0);
    eprintln!(
        "{items} items per body ({} bytes); peak RSS: idle {} MiB, one body {} MiB, six at once {} MiB; {refused} refusals",
        body.len(),
        idle / 1024,
        one / 1024,
        six / 1024
    );
    assert!(six <= 256 * 1024, "peak RSS {} MiB with {BODIES} bodies at once", six / 1024);
    osprey.stop();
    std::fs::remove_dir_all(&dir).unwrap();
}
