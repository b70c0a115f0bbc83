//! Containers from cgroups: the kernel record carries the task's cgroup v2 id
//! (the inode of its cgroupfs directory); the directory's path names the
//! container for every common runtime.

use std::collections::VecDeque;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustc_hash::FxHashMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    /// The full id (64 hex characters for most runtimes, a name for `ctr`).
    pub id: String,
    pub runtime: &'static str,
    pub cgroup: String,
    /// The containerd namespace, when containerd runs it.
    pub namespace: Option<String>,
}

impl Container {
    /// Falco's `container.id`: the first 12 characters.
    pub fn short_id(&self) -> &str {
        &self.id[..self.id.len().min(12)]
    }
}

/// containerd namespaces whose `/<namespace>/<id>` cgroups hold containers.
const CONTAINERD_NAMESPACES: &[&str] = &["default", "k8s.io", "moby", "buildkit"];

/// The container a cgroup path belongs to, if any.
pub fn from_cgroup_path(path: &str) -> Option<Container> {
    let last = path.rsplit('/').next()?;
    let hex64 = |s: &str| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit());
    let scoped = [("docker-", "docker"), ("cri-containerd-", "containerd"), ("crio-", "cri-o"), ("libpod-", "podman")];
    for (prefix, runtime) in scoped {
        if let Some(id) = last.strip_prefix(prefix).and_then(|s| s.strip_suffix(".scope")) {
            if hex64(id) {
                let namespace = (runtime == "containerd").then(|| "k8s.io".to_string());
                return Some(Container { id: id.into(), runtime, cgroup: path.into(), namespace });
            }
        }
    }
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    // cgroupfs driver: /docker/<id>, /kubepods/.../<id>, /machine.slice/libpod-…
    if hex64(last) {
        let runtime = match parts.first() {
            Some(&"docker") => "docker",
            Some(p) if p.starts_with("kubepods") => "containerd",
            _ => "unknown",
        };
        let namespace = (runtime == "containerd").then(|| "k8s.io".to_string());
        return Some(Container { id: last.into(), runtime, cgroup: path.into(), namespace });
    }
    // ctr and nerdctl without systemd: /<namespace>/<id>
    if parts.len() == 2 && CONTAINERD_NAMESPACES.contains(&parts[0]) && !parts[1].is_empty() {
        return Some(Container {
            id: parts[1].into(),
            runtime: "containerd",
            cgroup: path.into(),
            namespace: Some(parts[0].into()),
        });
    }
    None
}

/// cgroup id → container, learned by walking the cgroup v2 hierarchy.
#[derive(Debug)]
pub struct Containers {
    root: PathBuf,
    known: FxHashMap<u64, Option<Arc<Container>>>,
    last_scan: Option<Instant>,
    /// Shortest time between two walks triggered by unknown ids.
    min_rescan: Duration,
}

impl Containers {
    pub fn new(root: &Path) -> Self {
        Self { root: root.into(), known: FxHashMap::default(), last_scan: None, min_rescan: Duration::from_millis(50) }
    }

    /// Containers known (distinct cgroups that belong to one).
    pub fn len(&self) -> usize {
        self.known.values().filter(|c| c.is_some()).count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The container of cgroup `id`: `Some(None)` on the host, `None` while
    /// the id is unknown (a cgroup created since the last walk; walks happen
    /// at most once per interval, so ask again on later events).
    pub fn resolve(&mut self, id: u64) -> Option<Option<Arc<Container>>> {
        if let Some(known) = self.known.get(&id) {
            return Some(known.clone());
        }
        if self.last_scan.is_none_or(|t| t.elapsed() >= self.min_rescan) {
            self.scan();
        }
        self.known.get(&id).cloned()
    }

    fn scan(&mut self) {
        self.last_scan = Some(Instant::now());
        let mut queue = VecDeque::from([self.root.clone()]);
        while let Some(dir) = queue.pop_front() {
            let Ok(meta) = std::fs::metadata(&dir) else { continue };
            let rel = dir.strip_prefix(&self.root).map(|p| format!("/{}", p.display())).unwrap_or_default();
            self.known.insert(meta.ino(), from_cgroup_path(&rel).map(Arc::new));
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            for e in entries.flatten() {
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    queue.push_back(e.path());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "8f1d9c5b3a2e4f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4";

    #[test]
    fn runtimes_by_path() {
        let c = from_cgroup_path(&format!("/system.slice/docker-{ID}.scope")).unwrap();
        assert_eq!((c.runtime, c.short_id()), ("docker", &ID[..12]));
        let k8s =
            format!("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/cri-containerd-{ID}.scope");
        assert_eq!(from_cgroup_path(&k8s).unwrap().runtime, "containerd");
        assert_eq!(from_cgroup_path(&format!("/machine.slice/libpod-{ID}.scope")).unwrap().runtime, "podman");
        assert_eq!(from_cgroup_path(&format!("/kubepods/besteffort/pod9/{ID}")).unwrap().id, ID);
        assert_eq!(from_cgroup_path("/default/web-1").unwrap().id, "web-1");
        assert!(from_cgroup_path("/system.slice/ssh.service").is_none());
        assert!(from_cgroup_path("/").is_none());
        assert!(from_cgroup_path("/user.slice/user-0.slice").is_none());
    }

    #[test]
    fn resolves_ids_by_walking_a_hierarchy() {
        let root = std::env::temp_dir().join(format!("osprey-cg-{}", std::process::id()));
        let dir = root.join("default").join("c1");
        std::fs::create_dir_all(&dir).unwrap();
        let ino = std::fs::metadata(&dir).unwrap().ino();
        let mut c = Containers::new(&root);
        assert_eq!(c.resolve(ino).unwrap().unwrap().id, "c1");
        let host = std::fs::metadata(root.join("default")).unwrap().ino();
        assert_eq!(c.resolve(host), Some(None));
        // A cgroup created after the last walk is unknown, then found.
        let late = root.join("default").join("c2");
        std::fs::create_dir_all(&late).unwrap();
        let late_ino = std::fs::metadata(&late).unwrap().ino();
        c.min_rescan = Duration::ZERO;
        assert_eq!(c.resolve(late_ino).unwrap().unwrap().id, "c2");
        std::fs::remove_dir_all(&root).unwrap();
    }
}
