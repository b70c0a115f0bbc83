//! Container metadata from the runtimes' APIs: containerd (gRPC) and Docker
//! (HTTP), over their Unix sockets. Lookups run on a background thread and
//! are cached; events never wait. Until an answer arrives (or when there is
//! none), the metadata fields read `<NA>`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Mutex};

use rustc_hash::FxHashMap;

use super::containers::Container;
use super::{containerd, docker};

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
    Docker { id: String },
}

impl Lookup {
    fn id(&self) -> &str {
        match self {
            Lookup::Containerd { id, .. } | Lookup::Docker { id } => id,
        }
    }
}

/// The runtimes' sockets.
#[derive(Debug, Clone)]
pub struct Sockets {
    pub containerd: PathBuf,
    pub docker: PathBuf,
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
                        let answer = rt.block_on(async {
                            match &lookup {
                                Lookup::Containerd { namespace, id } => {
                                    containerd::get_container(&sockets.containerd, namespace, id).await
                                }
                                Lookup::Docker { id } => docker::inspect(&sockets.docker, id).await,
                            }
                        });
                        match answer {
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
