//! `osprey config check` names what is wrong, and accepts a good file.

use std::process::Command;

/// A directory of its own holding `yaml` as osprey.yaml (tests run in parallel).
fn scratch(yaml: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    static MADE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = MADE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("osprey-cfg-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("osprey.yaml");
    std::fs::write(&path, yaml).unwrap();
    (dir, path)
}

fn check(yaml: &str) -> (bool, String) {
    let (dir, path) = scratch(yaml);
    let out = Command::new(env!("CARGO_BIN_EXE_osprey")).args(["config", "check"]).arg(&path).output().unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
}

#[test]
fn config_check_reports_keys_values_and_missing_settings() {
    let (ok, out) = check("priority: warning\nstdout_output: {enabled: true}\nhttp: {listen: '127.0.0.1:9000'}\n");
    assert!(ok, "{out}");
    assert!(out.contains("ok:"), "{out}");
    let (ok, out) = check("json_outptu: true\n");
    assert!(!ok && out.contains("unknown field `json_outptu`") && out.ends_with(" at line 1 column 1\n"), "{out}");
    let (ok, out) = check("priority: loud\n");
    assert!(!ok && out.contains("priority: 'loud' is not a priority (emergency … debug) at line 1"), "{out}");
    let (ok, out) = check("file_output: {enabled: true}\n");
    assert!(!ok && out.contains("file_output.filename: required when file_output is enabled at line 1"), "{out}");
    let (ok, out) = check("syslog_output: {enabled: true, address: 'carrier-pigeon'}\n");
    assert!(!ok && out.contains("syslog_output.address: syslog address 'carrier-pigeon'"), "{out}");
    let (ok, out) = check("rules_files: [/nonexistent/rules.yaml]\n");
    assert!(!ok && out.contains("/nonexistent/rules.yaml") && out.contains("cannot read"), "{out}");
}

/// What `osprey run` refuses, `config check` refuses too, with the same
/// words, naming the key and its line.
#[test]
fn config_check_refuses_what_run_refuses() {
    let cases = [
        ("json_output: true\nhttp:\n  listen: 0.0.0.0:0\n", "http.listen: 0.0.0.0:0 is not a loopback address", 3),
        ("http:\n  token: ''\n", "http.token: is empty", 2),
        ("http:\n  tls: {cert: /nonexistent/cert.pem, key: /nonexistent/key.pem}\n", "http.tls.cert: reading", 2),
        ("syslog_output:\n  enabled: true\n  address: udp://127.0.0.1:99999\n", "syslog_output.address:", 3),
    ];
    for (yaml, reason, line) in cases {
        let (ok, out) = check(yaml);
        assert!(!ok && out.contains(reason) && out.contains(&format!(" at line {line} column ")), "{yaml}: {out}");
        let (ok, ran) = run(yaml);
        assert!(!ok && ran.contains(reason), "osprey run accepted {yaml}: {ran}");
    }
}

/// `osprey run --no-kernel` with `yaml`: whether it started, and its
/// stderr (it is stopped at once when it did start).
fn run(yaml: &str) -> (bool, String) {
    let (dir, path) = scratch(yaml);
    let mut child = Command::new(env!("CARGO_BIN_EXE_osprey"))
        .args(["run", "--no-kernel", "--config"])
        .arg(&path)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let started = loop {
        if child.try_wait().unwrap().is_some() {
            break false;
        }
        if std::time::Instant::now() > deadline {
            break true;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    (started, String::from_utf8_lossy(&out.stderr).into_owned())
}
