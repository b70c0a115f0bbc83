//! A real Prometheus (Debian's package, installed by scripts/test.sh) scrapes
//! `/metrics` and the test reads Osprey's metrics back through its API.

mod common;
#[path = "support/server.rs"]
mod server;

use std::process::Command;

use common::{tmpdir, traces, Osprey};

#[test]
fn prometheus_scrapes_osprey() {
    let dir = tmpdir("prom");
    let config = dir.join("osprey.yaml");
    std::fs::write(&config, "stdout_output: {enabled: false}\n").unwrap();
    let osprey = Osprey::start(&config);
    let body = std::fs::read(traces().join("create_nginx_pod_privileged.json")).unwrap();
    assert_eq!(osprey.request("POST", "/k8s-audit", None, &body).0, 200);

    let port = server::free_port();
    let prom_config = dir.join("prometheus.yml");
    std::fs::write(
        &prom_config,
        format!(
            "global: {{scrape_interval: 1s}}\nscrape_configs:\n  - job_name: osprey\n    static_configs:\n      - targets: ['{}']\n",
            osprey.addr
        ),
    )
    .unwrap();
    let prom = server::spawn(
        "/usr/bin/prometheus",
        &[
            &format!("--config.file={}", prom_config.display()),
            &format!("--storage.tsdb.path={}", dir.join("tsdb").display()),
            &format!("--web.listen-address=127.0.0.1:{port}"),
        ],
    );
    let query = |q: &str| -> Option<serde_json::Value> {
        let out = Command::new("curl")
            .args(["-sf", "--get", "--data-urlencode"])
            .arg(format!("query={q}"))
            .arg(format!("http://127.0.0.1:{port}/api/v1/query"))
            .output()
            .ok()?;
        serde_json::from_slice(&out.stdout).ok()
    };
    let mut value = None;
    server::wait_until("Prometheus to scrape Osprey", || {
        value = query("osprey_k8s_audit_events_total")
            .and_then(|v| v["data"]["result"][0]["value"][1].as_str().map(str::to_string));
        value.is_some()
    });
    assert_eq!(value.as_deref(), Some("1"));
    let alerts = query("osprey_alerts_total{rule=\"Osprey K8s Privileged Pod Created\"}").unwrap();
    assert_eq!(alerts["data"]["result"][0]["value"][1], "1", "{alerts}");
    drop(prom);
    osprey.stop();
    std::fs::remove_dir_all(&dir).unwrap();
}
