//! Docker's Engine API (HTTP over its Unix socket): `GET /containers/{id}/json`
//! for the image, labels, creation time, privileged flag and mounts; for a
//! Kubernetes pod run through Docker, the pod's labels from its sandbox.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{bail, Context, Result};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use serde::Deserialize;

use super::runtimes::{pod_labels, Metadata, Mount};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Inspect {
    created: String,
    config: InspectConfig,
    host_config: HostConfig,
    #[serde(default)]
    mounts: Vec<InspectMount>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct InspectConfig {
    image: String,
    #[serde(default)]
    labels: Option<HashMap<String, String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct HostConfig {
    #[serde(default)]
    privileged: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct InspectMount {
    #[serde(default)]
    source: String,
    destination: String,
    #[serde(rename = "RW", default)]
    rw: bool,
    #[serde(default)]
    propagation: String,
}

async fn get(socket: &Path, path: &str) -> Result<Inspect> {
    let stream =
        tokio::net::UnixStream::connect(socket).await.with_context(|| format!("connecting {}", socket.display()))?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let request = http::Request::get(path).header("host", "docker").body(Empty::<Bytes>::new())?;
    let response = sender.send_request(request).await?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    if !status.is_success() {
        bail!("docker: GET {path}: {status}: {}", String::from_utf8_lossy(&body).trim());
    }
    serde_json::from_slice(&body).with_context(|| format!("docker: GET {path}: unexpected reply"))
}

pub(super) async fn inspect(socket: &Path, id: &str) -> Result<Metadata> {
    let c = get(socket, &format!("/containers/{id}/json")).await?;
    let created_ns = crate::rules::time::parse_rfc3339(&c.created).unwrap_or(0);
    let labels = c.config.labels.unwrap_or_default();
    let mut meta = Metadata {
        image: c.config.image,
        created_ns,
        privileged: Some(c.host_config.privileged),
        mounts: c
            .mounts
            .into_iter()
            .map(|m| Mount { source: m.source, dest: m.destination, rw: m.rw, propagation: m.propagation })
            .collect(),
        ..Default::default()
    };
    // dockershim put a pod's labels on its sandbox container.
    if let Some(sandbox) = labels.get("io.kubernetes.sandbox.id").filter(|s| *s != id) {
        let pod = get(socket, &format!("/containers/{sandbox}/json")).await?;
        meta.pod_labels = pod_labels(pod.config.labels.unwrap_or_default());
    }
    meta.labels = labels;
    Ok(meta)
}
