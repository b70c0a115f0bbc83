//! The gRPC output against a real gRPC client: Python's grpcio, with stubs
//! generated from `proto/osprey/outputs/v1/outputs.proto` (PyPI packages
//! installed by scripts/test.sh).

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{traces, Osprey};

fn client(addr: &str, token: &str, args: &[&str]) -> Command {
    let mut c = Command::new("python3");
    c.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/grpc_client.py")).args([addr, token]).args(args);
    c
}

/// Python's repr of the alert dict → the fields the test reads.
fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let start = line.find(&format!("'{key}': '"))? + key.len() + 5;
    line[start..].split('\'').next()
}

#[test]
fn grpc_clients_subscribe_and_poll_alerts() {
    let dir = std::env::temp_dir().join(format!("osprey-grpc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("osprey.yaml");
    std::fs::write(&config, "stdout_output: {enabled: false}\nhttp: {token: s3cret}\n").unwrap();
    let osprey = Osprey::start(&config);
    let event = std::fs::read(traces().join("create_nginx_pod_hostnetwork.json")).unwrap();
    let post = || {
        let (status, reply) = osprey.request("POST", "/k8s-audit", Some("s3cret"), &event);
        assert_eq!(status, 200, "{reply}");
    };
    // Subscribe: alerts raised while the stream is open arrive on it. The
    // subscription is in place once the client is connected: keep raising
    // until the first one comes through.
    let mut sub = client(&osprey.addr, "s3cret", &["subscribe", "1"]).stdout(Stdio::piped()).spawn().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = sub.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let _ = tx.send(line.unwrap());
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let line = loop {
        assert!(Instant::now() < deadline, "no alert on the gRPC stream");
        post();
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(500)) {
            break line;
        }
    };
    assert_eq!(field(&line, "rule"), Some("Osprey K8s Host Namespace Pod Created"), "{line}");
    assert_eq!(field(&line, "priority"), Some("WARNING"), "{line}");
    assert_eq!(field(&line, "source"), Some("k8s_audit"), "{line}");
    assert!(line.contains("'output_fields': {") && line.contains("'time': '20"), "{line}");
    assert!(sub.wait().unwrap().success());
    // Get: everything the store holds after an id, oldest first.
    let out = client(&osprey.addr, "s3cret", &["get", "0"]).output().unwrap();
    let got = String::from_utf8(out.stdout).unwrap();
    let ids: Vec<u64> = got.lines().filter_map(|l| field(l, "id")?.parse().ok()).collect();
    assert!(!ids.is_empty() && ids.windows(2).all(|w| w[0] < w[1]), "{got}");
    let last = ids.last().unwrap().to_string();
    let out = client(&osprey.addr, "s3cret", &["get", &last]).output().unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "", "nothing after the last id");
    // The bearer token guards gRPC as it guards HTTP.
    let out = client(&osprey.addr, "wrong", &["get", "0"]).output().unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), "error: UNAUTHENTICATED");
    osprey.stop();
    std::fs::remove_dir_all(&dir).unwrap();
}
