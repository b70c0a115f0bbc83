//! `osprey run --no-kernel` as a Kubernetes audit receiver: the webhook over a
//! real socket, and the audit log file source across a restart.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{tmpdir, traces, Osprey};

#[test]
fn webhook_accepts_event_lists_and_rejects_bad_input() {
    let dir = tmpdir("webhook");
    let config = dir.join("osprey.yaml");
    std::fs::write(&config, "http:\n  token: s3cret\n  max_body_bytes: 200000\n").unwrap();
    let osprey = Osprey::start(&config);
    let tok = Some("s3cret");
    // Health is open (probes carry no token); everything else needs it.
    assert_eq!(osprey.request("GET", "/healthz", tok, b"").0, 200);
    assert_eq!(osprey.request("GET", "/healthz", None, b""), (200, r#"{"status":"ok"}"#.into()));
    assert_eq!(osprey.request("GET", "/metrics", None, b"").0, 401);
    assert_eq!(osprey.request("GET", "/api/alerts", Some("wrong"), b"").0, 401);

    // What kube-apiserver's webhook backend sends: an EventList.
    let items: Vec<String> = ["create_nginx_pod_privileged", "exec_pod", "create_nginx_pod_unprivileged", "fal_01_003"]
        .iter()
        .map(|t| std::fs::read_to_string(traces().join(format!("{t}.json"))).unwrap())
        .collect();
    let list = format!(r#"{{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{}]}}"#, items.join(","));
    let (status, body) = osprey.request("POST", "/k8s-audit", tok, list.as_bytes());
    assert_eq!(status, 200, "{body}");
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!((body["events"].as_u64(), body["skipped"].as_u64()), (Some(3), Some(1)));

    let (status, body) = osprey.request("POST", "/k8s-audit", tok, b"{\"kind\": \"EventList\", ");
    assert_eq!(status, 400);
    assert!(body.contains("invalid JSON"), "{body}");
    assert_eq!(osprey.request("POST", "/k8s-audit", tok, &vec![b' '; 300_000]).0, 413);
    assert_eq!(osprey.request("POST", "/k8s-audit", None, list.as_bytes()).0, 401);
    assert_eq!(osprey.request("GET", "/nope", tok, b"").0, 404);
    let (status, metrics) = osprey.request("GET", "/metrics", tok, b"");
    assert_eq!(status, 200);
    for line in [
        "osprey_k8s_audit_requests_total 3",
        "osprey_k8s_audit_events_total 3",
        "osprey_k8s_audit_rejected_total 2",
        "osprey_k8s_audit_skipped_total 1",
        "osprey_alerts_total{priority=\"Warning\",rule=\"Osprey K8s Privileged Pod Created\",source=\"k8s_audit\"} 1",
    ] {
        assert!(metrics.lines().any(|l| l == line), "missing '{line}' in:\n{metrics}");
    }
    assert!(!metrics.contains("s3cret"));

    let (alerts, err) = osprey.stop();
    let rules: Vec<&str> = alerts.iter().map(|a| a["rule"].as_str().unwrap()).collect();
    assert_eq!(rules, ["Osprey K8s Privileged Pod Created", "Osprey K8s Exec Into Pod"], "{err}");
    assert!(alerts.iter().all(|a| a["source"] == "k8s_audit"));
    assert!(err.contains("1 requests") || err.contains("requests"), "{err}");
    assert!(!err.contains("s3cret"), "the token must not be logged");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A JSON-lines body with a broken line: every valid line is evaluated, the
/// broken one named; thousands of items left out make one log line.
#[test]
fn a_broken_line_does_not_lose_its_batch() {
    let dir = tmpdir("brokenline");
    let config = dir.join("osprey.yaml");
    std::fs::write(&config, "{}\n").unwrap();
    let osprey = Osprey::start(&config);
    let line = |t: &str| {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(traces().join(format!("{t}.json"))).unwrap()).unwrap();
        v.to_string()
    };
    let body = format!(
        "{}\n{{\"kind\": \"Event\", \"verb\n{}\n",
        line("create_nginx_pod_privileged"),
        line("create_nginx_pod_hostnetwork")
    );
    let (status, reply) = osprey.request("POST", "/k8s-audit", None, body.as_bytes());
    assert_eq!(status, 200, "{reply}");
    let reply: serde_json::Value = serde_json::from_str(&reply).unwrap();
    assert_eq!((reply["events"].as_u64(), reply["broken"].as_u64()), (Some(2), Some(1)), "{reply}");
    assert!(reply["reasons"][0].as_str().unwrap().starts_with("line 2: invalid JSON"), "{reply}");

    let junk: String = (0..20_000).map(|i| if i % 2 == 0 { "{\"kind\":\"Pod\"}\n" } else { "x\n" }).collect();
    let (status, reply) = osprey.request("POST", "/k8s-audit", None, junk.as_bytes());
    assert_eq!(status, 200, "{reply}");
    let (_, metrics) = osprey.request("GET", "/metrics", None, b"");
    assert!(metrics.lines().any(|l| l == "osprey_k8s_audit_broken_lines_total 10001"), "{metrics}");
    assert!(metrics.lines().any(|l| l == "osprey_k8s_audit_skipped_total 10000"), "{metrics}");

    let (alerts, err) = osprey.stop();
    let rules: Vec<&str> = alerts.iter().map(|a| a["rule"].as_str().unwrap()).collect();
    assert_eq!(rules, ["Osprey K8s Privileged Pod Created", "Osprey K8s Host Namespace Pod Created"], "{err}");
    let logged: Vec<&str> = err.lines().filter(|l| l.starts_with("osprey: k8s-audit:")).collect();
    assert_eq!(logged.len(), 2, "one line per request: {err}");
    assert!(logged[1].contains("10000 items skipped, 10000 lines broken"), "{}", logged[1]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn remote_listen_without_token_is_refused() {
    let dir = tmpdir("remote");
    let config = dir.join("osprey.yaml");
    std::fs::write(&config, "http:\n  listen: 0.0.0.0:0\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_osprey"))
        .args(["run", "--no-kernel", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a loopback address"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn audit_log_file_is_followed_across_restarts() {
    let dir = tmpdir("auditfile");
    let log = dir.join("audit.log");
    let config = dir.join("osprey.yaml");
    std::fs::write(
        &config,
        format!("k8s_audit:\n  file: {}\n  position_file: {}\n", log.display(), dir.join("audit.pos").display()),
    )
    .unwrap();
    let line = |t: &str| {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(traces().join(format!("{t}.json"))).unwrap()).unwrap();
        format!("{v}\n")
    };
    let wait_for = |osprey: &Osprey, n: usize| {
        // The tail polls every 200 ms; wait for the position to cover n lines.
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if std::fs::read_to_string(dir.join("audit.pos")).is_ok_and(|p| {
                p.split_whitespace().nth(1).and_then(|o| o.parse::<u64>().ok())
                    == Some(std::fs::metadata(&log).unwrap().len())
            }) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = (osprey, n);
        panic!("audit file not consumed in time");
    };
    // A broken line (a torn write) costs only itself.
    std::fs::write(&log, format!("{{\"kind\":\"Ev\n{}", line("create_nginx_pod_privileged"))).unwrap();
    let osprey = Osprey::start(&config);
    wait_for(&osprey, 1);
    let (first, err) = osprey.stop();
    assert!(err.contains("2 new lines, 0 items skipped, 1 lines broken: new line 1: invalid JSON"), "{err}");
    // While stopped, the log grows; after the restart only the new line counts.
    std::fs::OpenOptions::new()
        .append(true)
        .open(&log)
        .unwrap()
        .write_all(line("create_nginx_pod_hostnetwork").as_bytes())
        .unwrap();
    let osprey = Osprey::start(&config);
    wait_for(&osprey, 2);
    let (second, _) = osprey.stop();
    let names = |v: &[serde_json::Value]| v.iter().map(|a| a["rule"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    assert_eq!(names(&first), ["Osprey K8s Privileged Pod Created"]);
    assert_eq!(names(&second), ["Osprey K8s Host Namespace Pod Created"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn webhook_over_tls() {
    let dir = tmpdir("tls");
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let ok = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(Stdio::null())
        .status()
        .expect("openssl is installed");
    assert!(ok.success());
    let config = dir.join("osprey.yaml");
    std::fs::write(&config, format!("http:\n  tls:\n    cert: {}\n    key: {}\n", cert.display(), key.display()))
        .unwrap();
    let osprey = Osprey::start(&config);
    let trace = traces().join("create_nginx_pod_privileged.json");
    let curl = |args: &[&str]| {
        let out = Command::new("curl").args(["-s", "--cacert"]).arg(&cert).args(args).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let port = osprey.addr.rsplit(':').next().unwrap().to_string();
    let base = format!("https://localhost:{port}");
    assert_eq!(curl(&[&format!("{base}/healthz")]), r#"{"status":"ok"}"#);
    let body = curl(&["-XPOST", "--data-binary", &format!("@{}", trace.display()), &format!("{base}/k8s-audit")]);
    assert_eq!(body, r#"{"events":1,"skipped":0,"broken":0,"reasons":[]}"#);
    // Plain HTTP to the TLS port gets nothing useful.
    assert_eq!(curl(&[&format!("http://localhost:{port}/healthz")]), "");
    let (alerts, _) = osprey.stop();
    assert_eq!(alerts.len(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn alert_api_filters_pages_and_counts() {
    let dir = tmpdir("api");
    let config = dir.join("osprey.yaml");
    std::fs::write(&config, "stdout_output: {enabled: false}\n").unwrap();
    let osprey = Osprey::start(&config);
    for trace in ["create_nginx_pod_privileged", "create_nginx_pod_hostnetwork", "exec_pod", "delete_secret"] {
        let body = std::fs::read(traces().join(format!("{trace}.json"))).unwrap();
        assert_eq!(osprey.request("POST", "/k8s-audit", None, &body).0, 200);
    }
    let get = |path: &str| {
        let (status, body) = osprey.request("GET", path, None, b"");
        assert_eq!(status, 200, "{path}: {body}");
        serde_json::from_str::<serde_json::Value>(&body).unwrap()
    };
    let all = get("/api/alerts");
    assert_eq!(all["total"], 4);
    assert_eq!(all["alerts"][0]["rule"], "Osprey K8s Secret Deleted", "newest first");
    assert_eq!(get("/api/alerts?priority=warning")["total"], 2);
    assert_eq!(get("/api/alerts?rule=Osprey+K8s+Exec+Into+Pod")["total"], 1);
    assert_eq!(get("/api/alerts?namespace=default&q=privileged")["total"], 1);
    assert_eq!(get("/api/alerts?limit=1&offset=3")["alerts"][0]["rule"], "Osprey K8s Privileged Pod Created");
    assert_eq!(get("/api/alerts?source=syscall")["total"], 0);
    let stats = get("/api/stats");
    assert_eq!((stats["total"].as_u64(), stats["by_source"]["k8s_audit"].as_u64()), (Some(4), Some(4)));
    assert_eq!(stats["by_priority"]["Warning"], 2);
    let rules = get("/api/rules");
    let exec = rules.as_array().unwrap().iter().find(|r| r["name"] == "Osprey K8s Exec Into Pod").unwrap();
    assert_eq!((exec["hits"].as_u64(), exec["source"].as_str()), (Some(1), Some("k8s_audit")));
    let (status, body) = osprey.request("GET", "/api/alerts?priority=loud", None, b"");
    assert_eq!(status, 400);
    assert!(body.contains("priority"), "{body}");
    osprey.stop();
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The web UI in a real headless Chromium (Debian's package, installed by
/// Osprey with the three alerts the UI tests look at.
fn ui_with_three_alerts(dir: &Path) -> Osprey {
    let config = dir.join("osprey.yaml");
    std::fs::write(&config, "stdout_output: {enabled: false}\n").unwrap();
    let osprey = Osprey::start(&config);
    for trace in ["create_nginx_pod_privileged", "exec_pod", "delete_secret"] {
        let body = std::fs::read(traces().join(format!("{trace}.json"))).unwrap();
        assert_eq!(osprey.request("POST", "/k8s-audit", None, &body).0, 200);
    }
    osprey
}

/// scripts/test.sh): it loads, runs its script, fills the table from the API
/// with the filter from its URL, and renders (screenshot kept as an artifact).
#[test]
fn web_ui_in_headless_chromium() {
    let chromium = Path::new("/usr/bin/chromium");
    assert!(chromium.exists(), "chromium missing: scripts/test.sh installs Debian's chromium package");
    let dir = tmpdir("ui");
    let osprey = ui_with_three_alerts(&dir);
    let run = |url: &str, extra: &[&str]| {
        let out = Command::new(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--virtual-time-budget=5000",
                "--window-size=1400,900",
            ])
            .arg(format!("--user-data-dir={}", dir.join("profile").display()))
            .args(extra)
            .arg(url)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let base = format!("http://{}/", osprey.addr);
    // #live=0: an open event stream would keep headless Chromium from settling.
    let dom = run(&format!("{base}?priority=Notice#live=0"), &["--dump-dom"]);
    assert!(dom.contains("<h1>OSPREY</h1>"), "page did not load: {}", &dom[..dom.len().min(500)]);
    assert!(
        dom.contains("Osprey K8s Privileged Pod Created") && dom.contains("Osprey K8s Exec Into Pod"),
        "table empty"
    );
    assert!(dom.contains("3 of 3 alerts"), "paging line missing");
    let filtered = run(&format!("{base}?rule=Osprey+K8s+Secret+Deleted#live=0"), &["--dump-dom"]);
    assert!(filtered.contains("1 of 1 alerts"), "filter from the URL not applied");
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("osprey-ui.png");
    run(&format!("{base}#live=0"), &[&format!("--screenshot={}", shot.display())]);
    assert!(std::fs::metadata(&shot).is_ok_and(|m| m.len() > 10_000), "no screenshot");
    osprey.stop();
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A user's session in the UI, driven by Playwright in Debian's Chromium:
/// filters typed and clicked, an alert's detail opened, a new alert arriving
/// live, the rules tab. Screenshots of each step are kept as artifacts.
#[test]
fn web_ui_clicked_through_with_playwright() {
    let module = std::env::var("PLAYWRIGHT_CORE")
        .unwrap_or_else(|_| "/var/cache/osprey/node/node_modules/playwright-core".into());
    assert!(Path::new(&module).exists(), "{module} missing: scripts/test.sh installs playwright-core from npm");
    let dir = tmpdir("ui-clicks");
    let osprey = ui_with_three_alerts(&dir);
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("osprey-ui-clicks");
    std::fs::create_dir_all(&shots).unwrap();
    let out = Command::new("node")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ui_clicks.cjs"))
        .arg(format!("http://{}/", osprey.addr))
        .arg(&shots)
        .arg(traces().join("delete_secret.json"))
        .env("PLAYWRIGHT_CORE", &module)
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && stdout.contains("ui: ok"), "{stdout}{stderr}");
    assert!(std::fs::metadata(shots.join("5-rules.png")).is_ok_and(|m| m.len() > 10_000), "no screenshots");
    osprey.stop();
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `/api/alerts/stream` pushes matching alerts as server-sent events.
#[test]
fn alert_stream_pushes_matching_alerts() {
    use std::io::Read;
    let dir = tmpdir("sse");
    let config = dir.join("osprey.yaml");
    std::fs::write(&config, "stdout_output: {enabled: false}\n").unwrap();
    let osprey = Osprey::start(&config);
    let mut sse = std::net::TcpStream::connect(&osprey.addr).unwrap();
    write!(sse, "GET /api/alerts/stream?priority=warning HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    sse.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut got = String::new();
    let mut buf = [0u8; 4096];
    while !got.contains("\r\n\r\n") {
        let n = sse.read(&mut buf).unwrap();
        got.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    assert!(got.contains("content-type: text/event-stream"), "{got}");
    for trace in ["exec_pod", "create_nginx_pod_privileged"] {
        let body = std::fs::read(traces().join(format!("{trace}.json"))).unwrap();
        assert_eq!(osprey.request("POST", "/k8s-audit", None, &body).0, 200);
    }
    while !got.contains("Privileged Pod") {
        let n = sse.read(&mut buf).unwrap();
        assert!(n > 0, "stream closed");
        got.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    assert!(got.contains("data: {") && !got.contains("Exec Into Pod"), "the Notice alert is filtered out: {got}");
    drop(sse);
    osprey.stop();
    std::fs::remove_dir_all(&dir).unwrap();
}
