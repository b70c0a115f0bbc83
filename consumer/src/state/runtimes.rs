//! Container metadata from the runtimes' APIs over their Unix sockets:
//! containerd (its own gRPC API), CRI-O (the Kubernetes CRI), Docker and
//! Podman (the Docker Engine API, which Podman also serves). Lookups run on a background thread and
//! are cached; events never wait. Until an answer arrives (or when there is
//! none), the metadata fields read `<NA>`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Mutex};

use rustc_hash::FxHashMap;

use super::containers::Container;
use super::{containerd, cri, docker};

/// What the runtime knows about a container.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    pub image: String,
    pub labels: HashMap<String, String>,
    pub created_ns: u64,
    /// The container runs privileged (Docker's flag; for containerd, every
    /// capability in its OCI spec's bounding set). `None` when unknown.
    pub privileged: Option<bool>,
    pub mounts: Vec<Mount>,
    /// The pod's own labels (from its CRI sandbox), without the runtime's own.
    pub pod_labels: HashMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mount {
    pub source: String,
    pub dest: String,
    pub rw: bool,
    /// `rprivate`, `rshared`, ... (empty if not said).
    pub propagation: String,
}

impl Metadata {
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels.get(key).map(String::as_str)
    }
}

impl Metadata {
    /// Takes privilege and mounts from an OCI runtime spec; returns the
    /// CRI sandbox the container belongs to, if the spec names one.
    pub(super) fn apply_spec(&mut self, spec: &serde_json::Value) -> Option<String> {
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
        spec.pointer("/annotations/io.kubernetes.cri.sandbox-id").and_then(|v| v.as_str()).map(str::to_string)
    }
}

/// The capabilities of the running kernel (`CAP_CHOWN`..`cap_last_cap`).
fn all_capabilities() -> Vec<String> {
    let last = std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
        .ok()
        .and_then(|s| s.trim().parse::<usize>().ok())
        .unwrap_or(40);
    let names = crate::decode::spelling::capability_names(u64::MAX >> (63 - last.min(63)));
    names.split(' ').map(str::to_string).collect()
}

/// A pod's own labels from its sandbox's: without the runtime's and the
/// kubelet's bookkeeping labels.
pub(super) fn pod_labels(sandbox: HashMap<String, String>) -> HashMap<String, String> {
    const INTERNAL: &[&str] = &["io.kubernetes.", "io.cri-containerd.", "io.containerd.", "annotation.io.kubernetes."];
    sandbox.into_iter().filter(|(k, _)| !INTERNAL.iter().any(|p| k.starts_with(p))).collect()
}

/// A container to look up, by the API that knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Containerd { namespace: String, id: String },
    Cri { id: String },
    Docker { id: String },
    Podman { id: String },
}

impl Lookup {
    fn id(&self) -> &str {
        match self {
            Lookup::Containerd { id, .. } | Lookup::Cri { id } | Lookup::Docker { id } | Lookup::Podman { id } => id,
        }
    }

    async fn answer(&self, sockets: &Sockets) -> anyhow::Result<Metadata> {
        match self {
            Lookup::Containerd { namespace, id } => containerd::get_container(&sockets.containerd, namespace, id).await,
            Lookup::Cri { id } => cri::container_status(&sockets.crio, id).await,
            Lookup::Docker { id } => docker::inspect(&sockets.docker, id).await,
            Lookup::Podman { id } => docker::inspect(&sockets.podman, id).await,
        }
    }
}

/// The runtimes' sockets.
#[derive(Debug, Clone)]
pub struct Sockets {
    pub containerd: PathBuf,
    /// CRI-O's, or any CRI runtime's (`runtime.v1.RuntimeService`).
    pub crio: PathBuf,
    pub docker: PathBuf,
    /// Podman's API service (Docker-compatible).
    pub podman: PathBuf,
}

/// Asynchronous, cached metadata lookups.
pub struct RuntimeApis {
    cache: Arc<Mutex<FxHashMap<String, Arc<Metadata>>>>,
    requests: Sender<Lookup>,
    asked: Mutex<rustc_hash::FxHashSet<String>>,
}

impl std::fmt::Debug for RuntimeApis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RuntimeApis")
    }
}

impl RuntimeApis {
    /// Starts the lookup thread, and the follower of containerd's events.
    pub fn start(sockets: Sockets) -> Self {
        let cache: Arc<Mutex<FxHashMap<String, Arc<Metadata>>>> = Arc::default();
        let (requests, rx) = channel::<Lookup>();
        let fill = cache.clone();
        let follow = (sockets.containerd.clone(), requests.clone());
        std::thread::Builder::new()
            .name("osprey-containerd-events".into())
            .spawn(move || containerd::follow_creates(follow.0, follow.1))
            .expect("spawn containerd events thread");
        std::thread::Builder::new()
            .name("osprey-runtimes".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime");
                for lookup in rx {
                    let id = lookup.id().to_string();
                    if fill.lock().unwrap_or_else(|e| e.into_inner()).contains_key(&id) {
                        continue;
                    }
                    // A container may need a moment to be registered: retry briefly.
                    for attempt in 0..5 {
                        match rt.block_on(lookup.answer(&sockets)) {
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
            .expect("spawn runtime lookup thread");
        Self { cache, requests, asked: Mutex::default() }
    }

    /// Asks once for a container's metadata (answered later, into the
    /// cache), from the API of the runtime that runs it.
    pub fn request(&self, c: &Container) {
        let lookup = match (&c.namespace, c.runtime) {
            (Some(namespace), _) => Lookup::Containerd { namespace: namespace.clone(), id: c.id.clone() },
            (None, "docker") => Lookup::Docker { id: c.id.clone() },
            (None, "cri-o") => Lookup::Cri { id: c.id.clone() },
            (None, "podman") => Lookup::Podman { id: c.id.clone() },
            _ => return,
        };
        if self.asked.lock().unwrap_or_else(|e| e.into_inner()).insert(c.id.clone()) {
            let _ = self.requests.send(lookup);
        }
    }

    pub fn get(&self, id: &str) -> Option<Arc<Metadata>> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner()).get(id).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(m.apply_spec(&spec), Some("sb1".into()));
        assert_eq!(m.privileged, Some(true));
        assert_eq!(
            m.mounts[1],
            Mount { source: "/var/log".into(), dest: "/host/log".into(), rw: false, propagation: "rprivate".into() }
        );
        let default_caps = serde_json::json!({"process": {"capabilities": {"bounding": ["CAP_CHOWN", "CAP_KILL"]}}});
        assert_eq!(m.apply_spec(&default_caps), None);
        assert_eq!(m.privileged, Some(false));
    }
}
