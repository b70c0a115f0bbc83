//! Hot reload: `POST /api/reload` and SIGHUP load changed rules into a
//! running `osprey run`; a broken rule file is rejected with its errors and
//! the rules already loaded stay active.

mod common;

use std::time::{Duration, Instant};

use common::{traces, Osprey};

fn rule(name: &str, condition: &str) -> String {
    format!(
        "- rule: {name}\n  desc: test\n  condition: {condition}\n  output: \"{name} %ka.verb\"\n  priority: WARNING\n  source: k8s_audit\n"
    )
}

#[test]
fn rules_reload_on_request_and_sighup_and_bad_files_change_nothing() {
    let dir = std::env::temp_dir().join(format!("osprey-reload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let rules = dir.join("rules.yaml");
    std::fs::write(&rules, rule("Reload Test A", "ka.verb=create")).unwrap();
    let config = dir.join("osprey.yaml");
    std::fs::write(&config, format!("stdout_output: {{enabled: false}}\nrules_files: [{}]\n", rules.display()))
        .unwrap();
    let osprey = Osprey::start(&config);
    let event = std::fs::read(traces().join("create_nginx_pod_hostnetwork.json")).unwrap();
    let hits = |name: &str| {
        osprey.request("POST", "/k8s-audit", None, &event);
        let (_, body) = osprey.request("GET", &format!("/api/alerts?rule={}", name.replace(' ', "+")), None, b"");
        serde_json::from_str::<serde_json::Value>(&body).unwrap()["total"].as_u64().unwrap()
    };
    assert_eq!(hits("Reload Test A"), 1);

    std::fs::write(&rules, rule("Reload Test B", "ka.verb=create")).unwrap();
    let (status, body) = osprey.request("POST", "/api/reload", None, b"");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("1 k8s audit rules"), "{body}");
    assert_eq!(hits("Reload Test B"), 1);
    let (_, rules_now) = osprey.request("GET", "/api/rules", None, b"");
    assert!(rules_now.contains("Reload Test B") && !rules_now.contains("Reload Test A"), "{rules_now}");

    // A broken file: rejected with the file and the reason; B keeps firing.
    std::fs::write(&rules, rule("Reload Test C", "ka.verb = = create")).unwrap();
    let (status, body) = osprey.request("POST", "/api/reload", None, b"");
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("rules.yaml") && body.contains("Reload Test C"), "{body}");
    assert_eq!(hits("Reload Test B"), 2, "the old rules stay active");

    // SIGHUP does the same.
    std::fs::write(&rules, rule("Reload Test D", "ka.verb=create")).unwrap();
    std::process::Command::new("kill").args(["-HUP", &osprey.child.id().to_string()]).status().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !osprey.request("GET", "/api/rules", None, b"").1.contains("Reload Test D") {
        assert!(Instant::now() < deadline, "SIGHUP did not reload");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(hits("Reload Test D"), 1);
    let (_, err) = osprey.stop();
    assert!(err.contains("osprey: reloaded: 0 syscall rules, 1 k8s audit rules"), "{err}");
    assert!(err.contains("reload failed, the rules already loaded stay active"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
