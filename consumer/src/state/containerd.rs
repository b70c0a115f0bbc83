//! containerd's API (gRPC over its Unix socket): image, labels (which carry
//! the Kubernetes pod name, namespace and uid for CRI containers,
//! `io.kubernetes.pod.*`), the OCI spec (privilege, mounts) and the pod's
//! sandbox; and its event stream, to look containers up as they are created.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::mpsc::Sender;

use anyhow::{anyhow, bail, Context, Result};

use super::runtimes::{pod_labels, Lookup, Metadata, Mount};

impl Metadata {
    /// Reads what Osprey uses of an OCI runtime spec (JSON).
    fn apply_spec(&mut self, spec: &[u8]) -> Result<Option<String>> {
        let spec: serde_json::Value = serde_json::from_slice(spec).context("OCI spec is not JSON")?;
        let bounding: Vec<&str> = spec
            .pointer("/process/capabilities/bounding")
            .and_then(|b| b.as_array())
            .map(|b| b.iter().filter_map(|c| c.as_str()).collect())
            .unwrap_or_default();
        self.privileged = Some(all_capabilities().iter().all(|c| bounding.contains(&c.as_str())));
        self.mounts = spec
            .get("mounts")
            .and_then(|m| m.as_array())
            .into_iter()
            .flatten()
            .map(|m| {
                let text = |key: &str| m.get(key).and_then(|v| v.as_str()).unwrap_or_default().to_string();
                let options: Vec<&str> = m
                    .get("options")
                    .and_then(|o| o.as_array())
                    .into_iter()
                    .flatten()
                    .filter_map(|o| o.as_str())
                    .collect();
                let propagation = options
                    .iter()
                    .find(|o| matches!(**o, "private" | "rprivate" | "shared" | "rshared" | "slave" | "rslave"))
                    .map_or(String::new(), |o| o.to_string());
                Mount { source: text("source"), dest: text("destination"), rw: !options.contains(&"ro"), propagation }
            })
            .collect();
        Ok(spec.pointer("/annotations/io.kubernetes.cri.sandbox-id").and_then(|v| v.as_str()).map(str::to_string))
    }
}

/// The capabilities of the running kernel (`CAP_CHOWN`..`cap_last_cap`).
fn all_capabilities() -> Vec<String> {
    let last = std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
        .ok()
        .and_then(|s| s.trim().parse::<usize>().ok())
        .unwrap_or(40);
    let names = crate::decode::render::capability_names(u64::MAX >> (63 - last.min(63)));
    names.split(' ').map(str::to_string).collect()
}

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

/// A gRPC call over HTTP/2 on a Unix socket; `on_message` gets each reply
/// message (one for unary calls, a stream for server-streaming ones).
async fn grpc_call(
    socket: &PathBuf,
    namespace: &str,
    method: &str,
    request: impl prost::Message,
    mut on_message: impl FnMut(&[u8]) -> Result<()>,
) -> Result<()> {
    let stream =
        tokio::net::UnixStream::connect(socket).await.with_context(|| format!("connecting {}", socket.display()))?;
    let (client, conn) = h2::client::handshake(stream).await.context("HTTP/2 handshake with containerd")?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let mut client = client.ready().await?;
    let request_head = http::Request::builder()
        .method("POST")
        .uri(format!("http://containerd/{method}"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .header("containerd-namespace", namespace)
        .body(())?;
    let (response, mut send) = client.send_request(request_head, false)?;
    let msg = request.encode_to_vec();
    let mut framed = Vec::with_capacity(5 + msg.len());
    framed.push(0);
    framed.extend_from_slice(&(msg.len() as u32).to_be_bytes());
    framed.extend_from_slice(&msg);
    send.send_data(framed.into(), true)?;
    let response = response.await?;
    let (head, mut body) = response.into_parts();
    let mut data = Vec::new();
    while let Some(chunk) = body.data().await {
        let chunk = chunk?;
        let _ = body.flow_control().release_capacity(chunk.len());
        data.extend_from_slice(&chunk);
        // Each complete length-prefixed message, as soon as it is in.
        while data.len() >= 5 {
            let len = u32::from_be_bytes(data[1..5].try_into().expect("4 bytes")) as usize;
            if data.len() < 5 + len {
                break;
            }
            on_message(&data[5..5 + len])?;
            data.drain(..5 + len);
        }
    }
    let trailers = body.trailers().await?.unwrap_or_default();
    let status = trailers.get("grpc-status").or_else(|| head.headers.get("grpc-status"));
    if let Some(status) = status.and_then(|s| s.to_str().ok()).filter(|s| *s != "0") {
        let message = trailers.get("grpc-message").and_then(|m| m.to_str().ok()).unwrap_or_default();
        bail!("containerd: grpc status {status}: {message}");
    }
    Ok(())
}

async fn get_container_msg(socket: &PathBuf, namespace: &str, id: &str) -> Result<ContainerMsg> {
    use prost::Message;
    let mut reply = None;
    grpc_call(
        socket,
        namespace,
        "containerd.services.containers.v1.Containers/Get",
        GetContainerRequest { id: id.to_string() },
        |m| {
            reply = Some(GetContainerResponse::decode(m)?);
            Ok(())
        },
    )
    .await?;
    reply.and_then(|r| r.container).ok_or_else(|| anyhow!("containerd: reply without a container"))
}

/// A container's metadata, with its pod's labels when it belongs to a CRI sandbox.
pub(super) async fn get_container(socket: &PathBuf, namespace: &str, id: &str) -> Result<Metadata> {
    let c = get_container_msg(socket, namespace, id).await?;
    let created_ns = c.created_at.map_or(0, |t| t.seconds as u64 * 1_000_000_000 + t.nanos as u64);
    let mut meta = Metadata { image: c.image, labels: c.labels, created_ns, ..Default::default() };
    let sandbox = match &c.spec {
        Some(spec) => meta.apply_spec(&spec.value).with_context(|| format!("container {id}"))?,
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
        let _ = rt.block_on(grpc_call(&socket, "", "containerd.services.events.v1.Events/Subscribe", request, |m| {
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
    fn oci_spec_gives_privilege_mounts_and_sandbox() {
        let all: Vec<String> = all_capabilities();
        let spec = serde_json::json!({
            "process": {"capabilities": {"bounding": all}},
            "mounts": [
                {"destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid"]},
                {"destination": "/host/log", "source": "/var/log", "options": ["rbind", "ro", "rprivate"]},
            ],
            "annotations": {"io.kubernetes.cri.sandbox-id": "sb1"},
        });
        let mut m = Metadata::default();
        assert_eq!(m.apply_spec(spec.to_string().as_bytes()).unwrap(), Some("sb1".into()));
        assert_eq!(m.privileged, Some(true));
        assert_eq!(
            m.mounts[1],
            Mount { source: "/var/log".into(), dest: "/host/log".into(), rw: false, propagation: "rprivate".into() }
        );
        let default_caps = serde_json::json!({"process": {"capabilities": {"bounding": ["CAP_CHOWN", "CAP_KILL"]}}});
        assert_eq!(m.apply_spec(default_caps.to_string().as_bytes()).unwrap(), None);
        assert_eq!(m.privileged, Some(false));
        assert!(m.apply_spec(b"not json").is_err());
    }

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
