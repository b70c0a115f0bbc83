//! Container metadata from containerd's API (gRPC over its Unix socket):
//! image and labels, which carry the Kubernetes pod name, namespace and uid
//! for CRI containers (`io.kubernetes.pod.*`).
//!
//! Lookups run on a background thread; events never wait. Until an answer
//! arrives (or when there is none), the metadata fields read `<NA>`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Mutex};

use anyhow::{anyhow, bail, Context, Result};
use rustc_hash::FxHashMap;

/// What the runtime knows about a container.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    pub image: String,
    pub labels: HashMap<String, String>,
    pub created_ns: u64,
}

impl Metadata {
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels.get(key).map(String::as_str)
    }
}

// The messages of containerd.services.containers.v1 that Osprey reads; field
// numbers are containerd's wire contract, unknown fields are skipped.
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
    #[prost(message, optional, tag = "8")]
    created_at: Option<Timestamp>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct Timestamp {
    #[prost(int64, tag = "1")]
    seconds: i64,
    #[prost(int32, tag = "2")]
    nanos: i32,
}

/// One unary gRPC call over HTTP/2 on a Unix socket.
async fn get_container(socket: &PathBuf, namespace: &str, id: &str) -> Result<Metadata> {
    use prost::Message;
    let stream =
        tokio::net::UnixStream::connect(socket).await.with_context(|| format!("connecting {}", socket.display()))?;
    let (client, conn) = h2::client::handshake(stream).await.context("HTTP/2 handshake with containerd")?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let mut client = client.ready().await?;
    let request = http::Request::builder()
        .method("POST")
        .uri("http://containerd/containerd.services.containers.v1.Containers/Get")
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .header("containerd-namespace", namespace)
        .body(())?;
    let (response, mut send) = client.send_request(request, false)?;
    let msg = GetContainerRequest { id: id.to_string() }.encode_to_vec();
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
    }
    let trailers = body.trailers().await?.unwrap_or_default();
    let status = trailers.get("grpc-status").or_else(|| head.headers.get("grpc-status"));
    if let Some(status) = status.and_then(|s| s.to_str().ok()).filter(|s| *s != "0") {
        let message = trailers.get("grpc-message").and_then(|m| m.to_str().ok()).unwrap_or_default();
        bail!("containerd: grpc status {status}: {message}");
    }
    if data.len() < 5 {
        bail!("containerd: short gRPC reply");
    }
    let len = u32::from_be_bytes(data[1..5].try_into().expect("4 bytes")) as usize;
    let reply =
        GetContainerResponse::decode(data.get(5..5 + len).ok_or_else(|| anyhow!("containerd: truncated reply"))?)?;
    let c = reply.container.ok_or_else(|| anyhow!("containerd: reply without a container"))?;
    let created_ns = c.created_at.map_or(0, |t| t.seconds as u64 * 1_000_000_000 + t.nanos as u64);
    Ok(Metadata { image: c.image, labels: c.labels, created_ns })
}

/// Asynchronous, cached metadata lookups.
pub struct Containerd {
    cache: Arc<Mutex<FxHashMap<String, Arc<Metadata>>>>,
    requests: Sender<(String, String)>,
    asked: Mutex<rustc_hash::FxHashSet<String>>,
}

impl std::fmt::Debug for Containerd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Containerd")
    }
}

impl Containerd {
    /// Starts the lookup thread for the socket at `socket`.
    pub fn start(socket: PathBuf) -> Self {
        let cache: Arc<Mutex<FxHashMap<String, Arc<Metadata>>>> = Arc::default();
        let (requests, rx) = channel::<(String, String)>();
        let fill = cache.clone();
        std::thread::Builder::new()
            .name("osprey-containerd".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime");
                for (namespace, id) in rx {
                    // A container may need a moment to be registered: retry briefly.
                    for attempt in 0..5 {
                        match rt.block_on(get_container(&socket, &namespace, &id)) {
                            Ok(meta) => {
                                fill.lock().unwrap_or_else(|e| e.into_inner()).insert(id.clone(), Arc::new(meta));
                                break;
                            }
                            Err(e) if attempt == 4 => eprintln!("osprey: container {id}: {e:#}"),
                            Err(_) => std::thread::sleep(std::time::Duration::from_millis(100 << attempt)),
                        }
                    }
                }
            })
            .expect("spawn containerd thread");
        Self { cache, requests, asked: Mutex::default() }
    }

    /// Asks once for a container's metadata (answered later, into the cache).
    pub fn request(&self, namespace: &str, id: &str) {
        if self.asked.lock().unwrap_or_else(|e| e.into_inner()).insert(id.to_string()) {
            let _ = self.requests.send((namespace.to_string(), id.to_string()));
        }
    }

    pub fn get(&self, id: &str) -> Option<Arc<Metadata>> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner()).get(id).cloned()
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
            created_at: Some(Timestamp { seconds: 2, nanos: 5 }),
        };
        let bytes = GetContainerResponse { container: Some(c.clone()) }.encode_to_vec();
        assert_eq!(GetContainerResponse::decode(bytes.as_slice()).unwrap().container, Some(c));
    }
}
