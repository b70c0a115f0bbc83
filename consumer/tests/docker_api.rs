//! Container metadata through the Docker Engine API, from the two engines
//! that serve it: a real Docker daemon (Debian's docker.io) and Podman's API
//! service (Debian's podman), each installed by scripts/test.sh and started
//! here on a private socket: image, labels, creation time, privileged flag,
//! mounts and a pod's sandbox labels.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use osprey::state::containers::Container;
use osprey::state::runtimes::{RuntimeApis, Sockets};
use serde_json::{json, Value};

/// An engine on a private socket and directories, stopped when the test
/// ends.
struct Engine {
    child: Child,
    dir: PathBuf,
    socket: PathBuf,
}

impl Engine {
    fn docker() -> Self {
        Self::start("dockerd", "/usr/sbin/dockerd", |dir, socket| {
            let d = |p: &str| dir.join(p).display().to_string();
            let mut c = Command::new("/usr/sbin/dockerd");
            c.args(["--data-root", &d("root"), "--exec-root", &d("exec"), "--pidfile", &d("pid")])
                .args(["-H", &format!("unix://{}", socket.display())])
                .args(["--iptables=false", "--ip6tables=false", "--bridge=none", "--storage-driver=vfs"]);
            c
        })
    }

    fn podman() -> Self {
        Self::start("podman", "/usr/bin/podman", |dir, socket| {
            let d = |p: &str| dir.join(p).display().to_string();
            let mut c = Command::new("/usr/bin/podman");
            c.args(["--root", &d("root"), "--runroot", &d("run"), "--tmpdir", &d("tmp")])
                .args(["--storage-driver", "vfs", "--cgroup-manager", "cgroupfs", "--events-backend", "file"])
                .args(["system", "service", "--time=0", &format!("unix://{}", socket.display())]);
            c
        })
    }

    fn start(name: &str, binary: &str, command: impl Fn(&Path, &Path) -> Command) -> Self {
        assert!(Path::new(binary).exists(), "{binary} missing: scripts/test.sh installs it");
        let dir = std::env::temp_dir().join(format!("osprey-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let socket = dir.join("api.sock");
        let child = command(&dir, &socket)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("engine.log")).unwrap())
            .spawn()
            .unwrap();
        let engine = Engine { child, dir, socket };
        let deadline = Instant::now() + Duration::from_secs(60);
        while engine.api("GET", "/_ping", None).is_none() {
            assert!(Instant::now() < deadline, "{name} did not start: {}", engine.log());
            std::thread::sleep(Duration::from_millis(200));
        }
        engine
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("engine.log")).unwrap_or_default()
    }

    /// One API call through curl; the reply body, or None if it failed.
    fn api(&self, method: &str, path: &str, body: Option<(&str, &[u8])>) -> Option<String> {
        let mut c = Command::new("curl");
        c.args(["-sf", "--unix-socket"]).arg(&self.socket).args(["-X", method]);
        if let Some((ctype, data)) = body {
            let file = self.dir.join("body");
            std::fs::write(&file, data).unwrap();
            c.args(["-H", &format!("Content-Type: {ctype}"), "--data-binary"]).arg(format!("@{}", file.display()));
        }
        let out = c.arg(format!("http://docker{path}")).output().unwrap();
        out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn create(&self, name: &str, config: Value) -> String {
        let reply = self
            .api(
                "POST",
                &format!("/containers/create?name={name}"),
                Some(("application/json", config.to_string().as_bytes())),
            )
            .unwrap_or_else(|| panic!("creating {name} failed: {}", self.log()));
        serde_json::from_str::<Value>(&reply).unwrap()["Id"].as_str().unwrap().to_string()
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn docker_containers_get_their_metadata() {
    metadata_through(Engine::docker(), "docker");
}

#[test]
fn podman_containers_get_their_metadata() {
    metadata_through(Engine::podman(), "podman");
}

/// Creates a pod's sandbox and a container in it (created, not started:
/// the API answers the same) and checks what Osprey's lookup reads.
fn metadata_through(engine: Engine, runtime: &'static str) {
    // An image from an (empty) tarball: no registry needed.
    let empty = tar_with_one_file();
    assert!(
        engine
            .api("POST", "/images/create?fromSrc=-&repo=osprey/empty&tag=latest", Some(("application/x-tar", &empty)))
            .is_some(),
        "import failed: {}",
        engine.log()
    );
    let sandbox = engine.create(
        "osprey-sandbox",
        json!({"Image": "osprey/empty", "Cmd": ["/pause"],
               "Labels": {"app": "web", "io.kubernetes.docker.type": "podsandbox"},
               "HostConfig": {"NetworkMode": "none"}}),
    );
    let id = engine.create(
        "osprey-app",
        json!({"Image": "osprey/empty", "Cmd": ["/app"],
               "Labels": {"io.kubernetes.pod.name": "P", "io.kubernetes.pod.namespace": "N",
                          "io.kubernetes.sandbox.id": sandbox},
               "HostConfig": {"Privileged": true, "Binds": ["/var/log:/host/log:ro"], "NetworkMode": "none"}}),
    );
    let none = engine.dir.join("none.sock");
    let apis = RuntimeApis::start(Sockets {
        containerd: none.clone(),
        crio: none.clone(),
        docker: if runtime == "docker" { engine.socket.clone() } else { none.clone() },
        podman: if runtime == "podman" { engine.socket.clone() } else { none },
    });
    let scope = if runtime == "docker" { "docker" } else { "libpod" };
    let container =
        Container { id: id.clone(), runtime, cgroup: format!("/system.slice/{scope}-{id}.scope"), namespace: None };
    apis.request(&container);
    let deadline = Instant::now() + Duration::from_secs(20);
    let meta = loop {
        if let Some(m) = apis.get(&id) {
            break m;
        }
        assert!(Instant::now() < deadline, "no metadata for {id}");
        std::thread::sleep(Duration::from_millis(50));
    };
    // Podman names the image fully (docker.io/...).
    assert!(meta.image.ends_with("osprey/empty:latest") || meta.image == "osprey/empty", "{}", meta.image);
    assert_eq!(
        (meta.label("io.kubernetes.pod.name"), meta.label("io.kubernetes.pod.namespace")),
        (Some("P"), Some("N"))
    );
    assert_eq!(meta.privileged, Some(true));
    let log = meta.mounts.iter().find(|m| m.dest == "/host/log").expect("the bind mount");
    assert_eq!((log.source.as_str(), log.rw), ("/var/log", false));
    assert!(meta.created_ns > 1_700_000_000_000_000_000, "{}", meta.created_ns);
    assert_eq!(meta.pod_labels.get("app").map(String::as_str), Some("web"));
    assert!(!meta.pod_labels.keys().any(|k| k.starts_with("io.kubernetes.")), "{:?}", meta.pod_labels);
}

/// A tar archive with one small file (Docker will not import an empty one).
fn tar_with_one_file() -> Vec<u8> {
    let mut header = [0u8; 512];
    header[..4].copy_from_slice(b"hold");
    header[100..107].copy_from_slice(b"0000644");
    header[108..115].copy_from_slice(b"0000000");
    header[116..123].copy_from_slice(b"0000000");
    header[124..135].copy_from_slice(b"00000000002");
    header[136..147].copy_from_slice(b"14410352000");
    header[156] = b'0';
    header[257..263].copy_from_slice(b"ustar\0");
    header[263..265].copy_from_slice(b"00");
    header[148..156].copy_from_slice(b"        ");
    let sum: u32 = header.iter().map(|b| *b as u32).sum();
    header[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
    let mut tar = header.to_vec();
    let mut data = [0u8; 512];
    data[..2].copy_from_slice(b"x\n");
    tar.extend_from_slice(&data);
    tar.extend_from_slice(&[0u8; 1024]);
    tar
}
