//! `osprey config check` names what is wrong, and accepts a good file.

use std::process::Command;

fn check(yaml: &str) -> (bool, String) {
    let dir = std::env::temp_dir().join(format!("osprey-cfg-{}-{}", std::process::id(), yaml.len()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("osprey.yaml");
    std::fs::write(&path, yaml).unwrap();
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
    assert!(!ok && out.contains("unknown field `json_outptu`"), "{out}");
    let (ok, out) = check("priority: loud\n");
    assert!(!ok && out.contains("'loud' is not a priority"), "{out}");
    let (ok, out) = check("file_output: {enabled: true}\n");
    assert!(!ok && out.contains("file_output.filename is required"), "{out}");
    let (ok, out) = check("syslog_output: {enabled: true, address: 'carrier-pigeon'}\n");
    assert!(!ok && out.contains("syslog_output: syslog address 'carrier-pigeon'"), "{out}");
    let (ok, out) = check("rules_files: [/nonexistent/rules.yaml]\n");
    assert!(!ok && out.contains("/nonexistent/rules.yaml") && out.contains("cannot read"), "{out}");
}
