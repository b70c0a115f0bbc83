//! Falco's k8s audit ruleset over the 48 real audit events it was tested with.

use std::path::{Path, PathBuf};

use osprey::audit;
use osprey::commands::engine_setup::{build_engine, RuleOptions};
use osprey::pipeline::AuditPipeline;
use osprey::rules::fields::Source;

fn k8s() -> PathBuf {
    std::env::var_os("OSPREY_COMPAT")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/compat"))
        .join("k8s-audit")
}

/// Rules fired (all matches) by `trace` with the ruleset plus `extra` files.
fn fired(trace: &str, extra: &[&str]) -> Vec<String> {
    let mut rules = vec![k8s().join("k8s_audit_rules.yaml")];
    rules.extend(extra.iter().map(|f| k8s().join("test-rules").join(f)));
    let engine = build_engine(&RuleOptions { rules, all_matches: true }, None, Source::K8sAudit).expect("rules load");
    let mut p = AuditPipeline::new(engine, "test".into());
    let text = std::fs::read_to_string(k8s().join("traces").join(format!("{trace}.json"))).unwrap();
    let parsed = audit::parse(&text).expect("trace parses");
    let mut out = Vec::new();
    for ev in &parsed.events {
        p.process(ev, |a| {
            if !out.contains(&a.rule) {
                out.push(a.rule)
            }
        });
    }
    out.sort();
    out
}

/// What a Falco user expects each trace to raise with the stock ruleset.
const EXPECTED: &[(&str, &[&str])] = &[
    (
        "anonymous_creates_namespace_foo",
        &["Anonymous Request Allowed", "Create Disallowed Namespace", "K8s Namespace Created"],
    ),
    ("attach_cluster_admin_role", &["Attach to cluster-admin Role", "K8s ClusterRoleBinding Created"]),
    ("attach_pod", &["Attach/Exec Pod"]),
    ("create_cluster_role_pod_exec", &["ClusterRole With Pod Exec Created", "K8s ClusterRole Created"]),
    ("create_cluster_role_wildcard_resources", &["ClusterRole With Wildcard Created", "K8s ClusterRole Created"]),
    ("create_cluster_role_wildcard_verbs", &["ClusterRole With Wildcard Created", "K8s ClusterRole Created"]),
    ("create_cluster_role_write_privileges", &["ClusterRole With Write Privileges Created", "K8s ClusterRole Created"]),
    ("create_clusterrole", &["K8s ClusterRole Created"]),
    ("create_clusterrolebinding", &["K8s ClusterRoleBinding Created"]),
    ("create_configmap", &["K8s ConfigMap Created"]),
    ("create_configmap_no_sensitive_values", &["K8s ConfigMap Created"]),
    (
        "create_configmap_sensitive_values",
        &["Create/Modify Configmap With Private Credentials", "K8s ConfigMap Created"],
    ),
    ("create_deployment", &["K8s Deployment Created"]),
    ("create_kube_system_secret", &[]),
    ("create_nginx_pod_hostnetwork", &["Create HostNetwork Pod"]),
    ("create_nginx_pod_no_secctx_1st_container_privileged_2nd_container", &["Create Privileged Pod"]),
    ("create_nginx_pod_nohostnetwork", &[]),
    ("create_nginx_pod_privileged", &["Create Privileged Pod"]),
    ("create_nginx_pod_privileged_2nd_container", &["Create Privileged Pod"]),
    ("create_nginx_pod_sensitive_mount", &["Create Sensitive Mount Pod"]),
    ("create_nginx_pod_sensitive_mount_2nd_container", &["Create Sensitive Mount Pod"]),
    ("create_nginx_pod_unprivileged", &[]),
    ("create_nginx_pod_unsensitive_mount", &[]),
    ("create_nginx_service_nodeport", &["Create NodePort Service", "K8s Service Created"]),
    ("create_nginx_service_nonodeport", &["K8s Service Created"]),
    ("create_pod_kube_public_namespace", &["Pod Created in Kube Namespace"]),
    ("create_pod_kube_system_namespace", &["Pod Created in Kube Namespace"]),
    ("create_secret", &["K8s Secret Created"]),
    ("create_service", &["K8s Service Created"]),
    ("create_service_account_token_secret", &[]),
    ("create_serviceaccount", &["K8s Serviceaccount Created"]),
    (
        "create_serviceaccount_kube_public_namespace",
        &["K8s Serviceaccount Created", "Service Account Created in Kube Namespace"],
    ),
    (
        "create_serviceaccount_kube_system_namespace",
        &["K8s Serviceaccount Created", "Service Account Created in Kube Namespace"],
    ),
    ("delete_cluster_role_kube_aggregator", &["K8s ClusterRole Deleted", "System ClusterRole Modified/Deleted"]),
    ("delete_clusterrole", &["K8s ClusterRole Deleted"]),
    ("delete_clusterrolebinding", &["K8s ClusterRoleBinding Deleted"]),
    ("delete_configmap", &["K8s ConfigMap Deleted"]),
    ("delete_deployment", &["K8s Deployment Deleted"]),
    ("delete_namespace_foo", &["K8s Namespace Deleted"]),
    ("delete_secret", &["K8s Secret Deleted"]),
    ("delete_service", &["K8s Service Deleted"]),
    ("delete_serviceaccount", &["K8s Serviceaccount Deleted"]),
    ("exec_pod", &["Attach/Exec Pod"]),
    // Not an audit event ({"kind": 0}): skipped, nothing raised.
    ("fal_01_003", &[]),
    ("minikube_creates_namespace_foo", &["Create Disallowed Namespace", "K8s Namespace Created"]),
    ("modify_cluster_role_node_problem_detector", &["System ClusterRole Modified/Deleted"]),
    (
        "some-user_creates_namespace_foo",
        &["Create Disallowed Namespace", "Disallowed K8s User", "K8s Namespace Created"],
    ),
];

#[test]
fn every_trace_raises_what_falco_users_expect() {
    let traces = std::fs::read_dir(k8s().join("traces")).unwrap().count();
    assert_eq!(traces, EXPECTED.len(), "a trace without an expectation");
    for (trace, want) in EXPECTED {
        let mut want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
        want.sort();
        assert_eq!(fired(trace, &[]), want, "trace {trace}");
    }
}

#[test]
fn allow_lists_silence_what_they_allow() {
    let has = |v: &[String], r: &str| v.iter().any(|x| x == r);
    assert!(!has(
        &fired("some-user_creates_namespace_foo", &["allow_namespace_foo.yaml"]),
        "Create Disallowed Namespace"
    ));
    assert!(!has(&fired("some-user_creates_namespace_foo", &["allow_user_some-user.yaml"]), "Disallowed K8s User"));
    assert!(!has(&fired("create_nginx_pod_unprivileged", &["allow_nginx_container.yaml"]), "Create Disallowed Pod"));
    assert!(has(
        &fired("create_nginx_pod_unprivileged", &["allow_only_apache_container.yaml"]),
        "Create Disallowed Pod"
    ));
    assert!(!has(&fired("create_configmap", &["disallow_kactivity.yaml"]), "K8s ConfigMap Created"));
    assert!(has(&fired("create_configmap", &["single_rule_with_json_pointer.yaml"]), "json_pointer_example"));
}

#[test]
fn older_engine_v4_ruleset_and_its_allow_lists() {
    let v4 = |trace: &str, extra: Option<&str>| {
        let mut rules = vec![k8s().join("test-rules/engine_v4_k8s_audit_rules.yaml")];
        rules.extend(extra.map(|f| k8s().join("test-rules/engine_v4").join(f)));
        let engine = build_engine(&RuleOptions { rules, all_matches: true }, None, Source::K8sAudit).unwrap();
        let mut p = AuditPipeline::new(engine, "t".into());
        let text = std::fs::read_to_string(k8s().join("traces").join(format!("{trace}.json"))).unwrap();
        let mut out = Vec::new();
        for ev in &audit::parse(&text).unwrap().events {
            p.process(ev, |a| out.push(a.rule));
        }
        out
    };
    assert!(v4("create_nginx_pod_privileged", None).contains(&"Create Privileged Pod".to_string()));
    assert!(v4("create_nginx_pod_hostnetwork", None).contains(&"Create HostNetwork Pod".to_string()));
    assert!(!v4("create_nginx_pod_unprivileged", Some("allow_nginx_container.yaml"))
        .contains(&"Create Disallowed Pod".to_string()));
    assert!(v4("create_nginx_pod_unprivileged", Some("allow_only_apache_container.yaml"))
        .contains(&"Create Disallowed Pod".to_string()));
}
