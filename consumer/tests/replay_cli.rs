//! `osprey replay` end to end: JSON-lines input, alerts out, bad input named.

use std::io::Write;
use std::process::{Command, Stdio};

fn replay(input: &str, extra: &[&str]) -> (String, String, bool) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_osprey"))
        .args(["replay", "--input", "-"])
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // osprey may exit before reading it all (a rule error): that is fine.
    let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
    let out = child.wait_with_output().unwrap();
    (String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap(), out.status.success())
}

const SHADOW: &str = r#"{"evt.rawtime":1700000000000000000,"evt.type":"execve","evt.dir":"<","evt.rawres":0,"proc.pid":7,"thread.tid":7,"proc.ppid":1,"proc.name":"cat","user.uid":0,"group.gid":0,"evt.args":{"exe":"cat","args":["/etc/shadow"],"cwd":"/","trusted_exepath":"/usr/bin/cat"}}
{"evt.rawtime":1700000000000001000,"evt.type":"openat","evt.dir":"<","evt.rawres":3,"proc.pid":7,"thread.tid":7,"proc.ppid":1,"proc.name":"cat","user.uid":0,"group.gid":0,"evt.args":{"fd":3,"dirfd":-100,"name":"/etc/shadow","flags":"O_RDONLY","mode":"0"}}
"#;

#[test]
fn alerts_are_falco_json() {
    let (out, err, ok) = replay(SHADOW, &[]);
    assert!(ok, "{err}");
    let alert: serde_json::Value = serde_json::from_str(out.lines().next().expect("one alert")).unwrap();
    assert_eq!(alert["rule"], "Osprey Shadow File Read");
    assert_eq!(alert["priority"], "Warning");
    assert_eq!(alert["source"], "syscall");
    assert_eq!(alert["time"], "2023-11-14T22:13:20.000001000Z");
    assert_eq!(alert["output_fields"]["fd.name"], "/etc/shadow");
    assert_eq!(alert["output_fields"]["proc.cmdline"], "cat /etc/shadow");
    assert!(alert["output"]
        .as_str()
        .unwrap()
        .starts_with("22:13:20.000001000: Warning Sensitive credential file read"));
    assert!(alert["tags"].as_array().unwrap().iter().any(|t| t == "T1003.008"));
    assert!(alert["hostname"].is_string());
    assert!(err.contains("replay: 2 events, 1 alerts, 0 skipped"), "{err}");
}

#[test]
fn bad_lines_are_named_and_skipped() {
    let input = format!("not json\n{{\"evt.type\":\"bogus\",\"evt.dir\":\"<\"}}\n{SHADOW}");
    let (out, err, ok) = replay(&input, &[]);
    assert!(ok);
    assert!(err.contains("-:1: skipping event"), "{err}");
    assert!(err.contains("-:2: skipping event: field 'evt.type': unknown event type 'bogus'"), "{err}");
    assert_eq!(out.lines().count(), 1);
}

#[test]
fn broken_rule_files_fail_with_reasons() {
    let dir = std::env::temp_dir().join(format!("osprey-replay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.yaml");
    std::fs::write(&bad, "- rule: r\n  desc: d\n  condition: proc.nam = x\n  output: o\n  priority: info\n").unwrap();
    let (_, err, ok) = replay(SHADOW, &["--rules", bad.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("bad.yaml:1:1: error: rule 'r': 'proc.nam' is not a supported filter field"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `--serve` keeps the API and UI up after the replay, holding its alerts.
#[test]
fn replay_serve_exposes_the_alerts() {
    use std::io::{BufRead, Read};
    let dir = std::env::temp_dir().join(format!("osprey-serve-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("events.jsonl");
    std::fs::write(&input, SHADOW).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_osprey"))
        .args(["replay", "--input"])
        .arg(&input)
        .args(["--serve", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let addr = std::io::BufReader::new(child.stderr.take().unwrap())
        .lines()
        .map_while(Result::ok)
        .find_map(|line| {
            let served = line.strip_prefix("osprey: serving the replayed alerts on http://")?;
            Some(served.split_once('/')?.0.to_string())
        })
        .expect("replay --serve never said where it listens");
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    write!(s, "GET /api/alerts HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    let mut body = String::new();
    s.read_to_string(&mut body).unwrap();
    assert!(body.contains("\"total\":1") && body.contains("Osprey Shadow File Read"), "{body}");
    Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(child.wait().unwrap().success());
    std::fs::remove_dir_all(&dir).unwrap();
}
