//! The Kubernetes Container Runtime Interface (gRPC `runtime.v1`), as CRI-O
//! serves it (and containerd's CRI plugin): a container's image, labels,
//! creation time, mounts, privilege (from the verbose OCI spec) and its pod
//! sandbox's labels.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result};

use super::grpc;
use super::runtimes::{pod_labels, Metadata, Mount};

// The messages Osprey reads; field numbers are CRI's wire contract
// (k8s.io/cri-api runtime/v1), unknown fields are skipped.
#[derive(Clone, PartialEq, prost::Message)]
struct ContainerStatusRequest {
    #[prost(string, tag = "1")]
    container_id: String,
    #[prost(bool, tag = "2")]
    verbose: bool,
}

#[derive(Clone, PartialEq, prost::Message)]
struct ContainerStatusResponse {
    #[prost(message, optional, tag = "1")]
    status: Option<ContainerStatus>,
    /// With `verbose`: runtime-specific JSON under the key `info`.
    #[prost(map = "string, string", tag = "2")]
    info: HashMap<String, String>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct ContainerStatus {
    #[prost(string, tag = "1")]
    id: String,
    /// Nanoseconds since the epoch.
    #[prost(int64, tag = "4")]
    created_at: i64,
    #[prost(message, optional, tag = "8")]
    image: Option<ImageSpec>,
    #[prost(string, tag = "9")]
    image_ref: String,
    #[prost(map = "string, string", tag = "12")]
    labels: HashMap<String, String>,
    #[prost(message, repeated, tag = "14")]
    mounts: Vec<CriMount>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct ImageSpec {
    #[prost(string, tag = "1")]
    image: String,
}

#[derive(Clone, PartialEq, prost::Message)]
struct CriMount {
    #[prost(string, tag = "1")]
    container_path: String,
    #[prost(string, tag = "2")]
    host_path: String,
    #[prost(bool, tag = "3")]
    readonly: bool,
    /// 0 private, 1 host-to-container (rslave), 2 bidirectional (rshared).
    #[prost(int32, tag = "5")]
    propagation: i32,
}

#[derive(Clone, PartialEq, prost::Message)]
struct PodSandboxStatusRequest {
    #[prost(string, tag = "1")]
    pod_sandbox_id: String,
    #[prost(bool, tag = "2")]
    verbose: bool,
}

#[derive(Clone, PartialEq, prost::Message)]
struct PodSandboxStatusResponse {
    #[prost(message, optional, tag = "1")]
    status: Option<PodSandboxStatus>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct PodSandboxStatus {
    #[prost(string, tag = "1")]
    id: String,
    #[prost(map = "string, string", tag = "7")]
    labels: HashMap<String, String>,
}

const SERVICE: &str = "runtime.v1.RuntimeService";

/// A container's metadata from a CRI runtime, with its pod's labels.
pub(super) async fn container_status(socket: &Path, id: &str) -> Result<Metadata> {
    let reply: ContainerStatusResponse = grpc::unary(
        socket,
        &[],
        &format!("{SERVICE}/ContainerStatus"),
        ContainerStatusRequest { container_id: id.to_string(), verbose: true },
    )
    .await?;
    let status = reply.status.with_context(|| format!("CRI: no status for container {id}"))?;
    let mut meta = Metadata {
        image: status.image.map(|i| i.image).filter(|i| !i.is_empty()).unwrap_or(status.image_ref),
        created_ns: status.created_at.max(0) as u64,
        labels: status.labels,
        ..Default::default()
    };
    let sandbox = match reply.info.get("info") {
        Some(info) => meta.apply_verbose_info(info).with_context(|| format!("CRI: container {id}: verbose info"))?,
        None => None,
    };
    // The CRI mounts are the ones the pod asked for, as Falco shows them
    // (the OCI spec's also list the runtime's own /proc, /dev, ...).
    meta.mounts = status.mounts.into_iter().map(Mount::from).collect();
    if let Some(sandbox) = sandbox.filter(|s| s != id) {
        let pod: PodSandboxStatusResponse = grpc::unary(
            socket,
            &[],
            &format!("{SERVICE}/PodSandboxStatus"),
            PodSandboxStatusRequest { pod_sandbox_id: sandbox, verbose: false },
        )
        .await?;
        meta.pod_labels = pod_labels(pod.status.map(|s| s.labels).unwrap_or_default());
    }
    Ok(meta)
}

impl Metadata {
    /// Reads the verbose `info` JSON that CRI-O and containerd return: the
    /// sandbox id, the OCI spec and the privileged flag as asked (CRI-O's
    /// `privileged`, containerd's CRI `config`) — the flag wins over the
    /// spec's capabilities, which a runtime with fewer than all of them
    /// cannot fill.
    fn apply_verbose_info(&mut self, info: &str) -> Result<Option<String>> {
        let info: serde_json::Value = serde_json::from_str(info).context("not JSON")?;
        if let Some(spec) = info.get("runtimeSpec") {
            self.apply_spec(spec);
        }
        let asked = info.get("privileged").or_else(|| info.pointer("/config/linux/security_context/privileged"));
        if let Some(privileged) = asked.and_then(|p| p.as_bool()) {
            self.privileged = Some(privileged);
        }
        Ok(info.get("sandboxID").and_then(|s| s.as_str()).map(str::to_string))
    }
}

impl From<CriMount> for Mount {
    fn from(m: CriMount) -> Self {
        let propagation = match m.propagation {
            1 => "rslave",
            2 => "rshared",
            _ => "rprivate",
        };
        Mount { source: m.host_path, dest: m.container_path, rw: !m.readonly, propagation: propagation.into() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbose_info_gives_sandbox_and_privilege() {
        let crio = r#"{"sandboxID":"sb1","pid":42,"privileged":true,
            "runtimeSpec":{"process":{"capabilities":{"bounding":["CAP_CHOWN"]}}}}"#;
        let mut m = Metadata::default();
        assert_eq!(m.apply_verbose_info(crio).unwrap(), Some("sb1".into()));
        assert_eq!(m.privileged, Some(true), "CRI-O's own flag wins over the spec");
        let containerd = r#"{"sandboxID":"sb2","runtimeSpec":{"process":{"capabilities":{"bounding":["CAP_KILL"]}}}}"#;
        assert_eq!(m.apply_verbose_info(containerd).unwrap(), Some("sb2".into()));
        assert_eq!(m.privileged, Some(false));
        let asked = r#"{"sandboxID":"sb2","config":{"linux":{"security_context":{"privileged":true}}},
            "runtimeSpec":{"process":{"capabilities":{"bounding":["CAP_KILL"]}}}}"#;
        m.apply_verbose_info(asked).unwrap();
        assert_eq!(m.privileged, Some(true));
        assert!(m.apply_verbose_info("{").is_err());
    }

    #[test]
    fn cri_mounts_name_their_propagation() {
        let m = CriMount { container_path: "/d".into(), host_path: "/s".into(), readonly: true, propagation: 2 };
        assert_eq!(
            Mount::from(m),
            Mount { source: "/s".into(), dest: "/d".into(), rw: false, propagation: "rshared".into() }
        );
    }
}
