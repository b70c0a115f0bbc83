//! containerd's API (gRPC over its Unix socket): image, labels (which carry
//! the Kubernetes pod name, namespace and uid for CRI containers,
//! `io.kubernetes.pod.*`), the OCI spec (privilege, mounts) and the pod's
//! sandbox; and its event stream, to look containers up as they are created.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;

use anyhow::{anyhow, bail, Context, Result};

use super::grpc;
use super::runtimes::{pod_labels, Lookup, Metadata};

// The messages of containerd's API that Osprey reads; field numbers are
// containerd's wire contract, unknown fields are skipped.
#[derive(Clone, PartialEq, prost::Message)]
struct GetContainerRequest {
    #[prost(string, tag = "1")]
    id: String,
}

#[derive(Clone, PartialEq, prost::Message)]
struct GetContainerResponse {
    #[prost(message, optional, tag = "1")]
    container: Option<ContainerMsg>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct ContainerMsg {
    #[prost(string, tag = "1")]
    id: String,
    #[prost(map = "string, string", tag = "2")]
    labels: HashMap<String, String>,
    #[prost(string, tag = "3")]
    image: String,
    #[prost(message, optional, tag = "5")]
    spec: Option<Any>,
    #[prost(message, optional, tag = "8")]
    created_at: Option<Timestamp>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct Any {
    #[prost(string, tag = "1")]
    type_url: String,
    #[prost(bytes = "vec", tag = "2")]
    value: Vec<u8>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct Timestamp {
    #[prost(int64, tag = "1")]
    seconds: i64,
    #[prost(int32, tag = "2")]
    nanos: i32,
}

#[derive(Clone, PartialEq, prost::Message)]
struct SubscribeRequest {
    #[prost(string, repeated, tag = "1")]
    filters: Vec<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct Envelope {
    #[prost(string, tag = "2")]
    namespace: String,
    #[prost(string, tag = "3")]
    topic: String,
    #[prost(message, optional, tag = "4")]
    event: Option<Any>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct ContainerCreate {
    #[prost(string, tag = "1")]
    id: String,
}

async fn get_container_msg(socket: &Path, namespace: &str, id: &str) -> Result<ContainerMsg> {
    let reply: GetContainerResponse = grpc::unary(
        socket,
        &[("containerd-namespace", namespace)],
        "containerd.services.containers.v1.Containers/Get",
        GetContainerRequest { id: id.to_string() },
    )
    .await?;
    reply.container.ok_or_else(|| anyhow!("containerd: reply without a container"))
}

/// A container's metadata, with its pod's labels when it belongs to a CRI sandbox.
pub(super) async fn get_container(socket: &Path, namespace: &str, id: &str) -> Result<Metadata> {
    let c = get_container_msg(socket, namespace, id).await?;
    let created_ns = c.created_at.map_or(0, |t| t.seconds as u64 * 1_000_000_000 + t.nanos as u64);
    let mut meta = Metadata { image: c.image, labels: c.labels, created_ns, ..Default::default() };
    let sandbox = match &c.spec {
        Some(spec) => {
            let spec: serde_json::Value =
                serde_json::from_slice(&spec.value).with_context(|| format!("container {id}: OCI spec is not JSON"))?;
            meta.apply_spec(&spec)
        }
        None => None,
    };
    if let Some(sandbox) = sandbox.filter(|s| s != id) {
        let pod = get_container_msg(socket, namespace, &sandbox).await?;
        meta.pod_labels = pod_labels(pod.labels);
    }
    Ok(meta)
}

/// Follows containerd's container-create events so that metadata is fetched
/// before the container's first process runs. Reconnects until the lookup
/// side is gone.
pub(super) fn follow_creates(socket: PathBuf, lookups: Sender<Lookup>) {
    use prost::Message;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime");
    let mut stopping = false;
    while !stopping {
        let request = SubscribeRequest { filters: vec!["topic==\"/containers/create\"".into()] };
        let _ = rt.block_on(grpc::call(&socket, &[], "containerd.services.events.v1.Events/Subscribe", request, |m| {
            let envelope = Envelope::decode(m)?;
            if let Some(event) = envelope.event.filter(|_| envelope.topic == "/containers/create") {
                let created = ContainerCreate::decode(event.value.as_slice())?;
                if lookups.send(Lookup::Containerd { namespace: envelope.namespace, id: created.id }).is_err() {
                    stopping = true;
                    bail!("stopping");
                }
            }
            Ok(())
        }));
        // Not running yet, or restarted: try again shortly.
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    #[test]
    fn container_messages_round_trip() {
        let c = ContainerMsg {
            id: "c1".into(),
            labels: [("io.kubernetes.pod.name".to_string(), "web".to_string())].into(),
            image: "docker.io/library/nginx:1.25".into(),
            spec: None,
            created_at: Some(Timestamp { seconds: 2, nanos: 5 }),
        };
        let bytes = GetContainerResponse { container: Some(c.clone()) }.encode_to_vec();
        assert_eq!(GetContainerResponse::decode(bytes.as_slice()).unwrap().container, Some(c));
    }
}
