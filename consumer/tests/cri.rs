//! Container metadata through the Kubernetes CRI (`runtime.v1`), the API
//! CRI-O serves. The CRI server here is containerd's own CRI plugin
//! (Debian's containerd, started by the test on private directories): the
//! test creates a pod sandbox and a container the way the kubelet does and
//! checks what Osprey's CRI lookup reads back.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use osprey::state::containers::Container;
use osprey::state::grpc;
use osprey::state::runtimes::{RuntimeApis, Sockets};

const SANDBOX_IMAGE: &str = "docker.io/osprey/pause:1";
const APP_IMAGE: &str = "docker.io/osprey/app:1";

/// containerd with its CRI plugin on a private socket, stopped (with its
/// shims' containers) when the test ends.
struct Containerd {
    child: Child,
    dir: PathBuf,
    socket: PathBuf,
}

impl Containerd {
    fn start() -> Self {
        assert!(Path::new("/usr/bin/containerd").exists(), "containerd missing: scripts/test.sh installs it");
        let dir = std::env::temp_dir().join(format!("osprey-cri-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let socket = dir.join("containerd.sock");
        let d = |p: &str| dir.join(p).display().to_string();
        let config = format!(
            r#"version = 2
root = "{root}"
state = "{state}"
[grpc]
  address = "{socket}"
[ttrpc]
  address = "{socket}.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "{opt}"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{SANDBOX_IMAGE}"
  # The sandbox may not lower its OOM score below ours here.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "native"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "{cni}"
    conf_dir = "{cni}"
"#,
            root = d("root"),
            state = d("state"),
            socket = socket.display(),
            opt = d("opt"),
            cni = d("cni"),
        );
        std::fs::write(dir.join("config.toml"), config).unwrap();
        let child = Command::new("/usr/bin/containerd")
            .arg("--config")
            .arg(dir.join("config.toml"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("containerd.log")).unwrap())
            .spawn()
            .unwrap();
        let containerd = Containerd { child, dir, socket };
        let deadline = Instant::now() + Duration::from_secs(60);
        while !containerd.ctr(&["version"]) {
            assert!(Instant::now() < deadline, "containerd did not start: {}", containerd.log());
            std::thread::sleep(Duration::from_millis(200));
        }
        containerd
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("containerd.log")).unwrap_or_default()
    }

    fn ctr(&self, args: &[&str]) -> bool {
        Command::new("ctr")
            .arg("--address")
            .arg(&self.socket)
            .args(["--namespace", "k8s.io"])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// Imports a busybox image built by scripts/build-test-image.py.
    fn import_image(&self, name: &str, cmd: &[&str]) {
        let tar = self.dir.join(format!("{}.tar", name.replace(['/', ':'], "_")));
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/build-test-image.py");
        let built = Command::new("python3").arg(script).arg("/bin/busybox").arg(&tar).arg(name).args(cmd).status();
        assert!(built.is_ok_and(|s| s.success()), "building {name} (needs busybox-static)");
        let tar = tar.display().to_string();
        assert!(self.ctr(&["images", "import", "--snapshotter", "native", &tar]), "importing {name}");
    }

    async fn call<Reply: prost::Message + Default>(&self, method: &str, request: impl prost::Message) -> Reply {
        let method = format!("runtime.v1.RuntimeService/{method}");
        match grpc::unary(&self.socket, &[], &method, request).await {
            Ok(reply) => reply,
            Err(e) => panic!("{method}: {e:#}\n{}", self.log()),
        }
    }
}

impl Drop for Containerd {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let _ = self.child.wait();
        // The sandbox runs under a shim that outlives containerd.
        let shims = format!("containerd-shim.*{}", self.dir.display());
        let _ = Command::new("pkill").args(["-KILL", "-f", &shims]).status();
        // A killed shim's mounts go away shortly after it.
        for _ in 0..50 {
            if std::fs::remove_dir_all(&self.dir).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

// What the kubelet sends, reduced to what this test sets; field numbers are
// CRI's.
#[derive(Clone, PartialEq, prost::Message)]
struct RunPodSandboxRequest {
    #[prost(message, optional, tag = "1")]
    config: Option<PodSandboxConfig>,
}

/// RunPodSandbox's reply; StopPodSandbox's and RemovePodSandbox's request.
#[derive(Clone, PartialEq, prost::Message)]
struct PodSandboxRef {
    #[prost(string, tag = "1")]
    pod_sandbox_id: String,
}

#[derive(Clone, PartialEq, prost::Message)]
struct Empty {}

#[derive(Clone, PartialEq, prost::Message)]
struct PodSandboxConfig {
    #[prost(message, optional, tag = "1")]
    metadata: Option<PodSandboxMetadata>,
    #[prost(map = "string, string", tag = "6")]
    labels: HashMap<String, String>,
    #[prost(message, optional, tag = "8")]
    linux: Option<LinuxPodSandboxConfig>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct PodSandboxMetadata {
    #[prost(string, tag = "1")]
    name: String,
    #[prost(string, tag = "2")]
    uid: String,
    #[prost(string, tag = "3")]
    namespace: String,
}

#[derive(Clone, PartialEq, prost::Message)]
struct LinuxPodSandboxConfig {
    #[prost(message, optional, tag = "2")]
    security_context: Option<LinuxSandboxSecurityContext>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct LinuxSandboxSecurityContext {
    #[prost(message, optional, tag = "1")]
    namespace_options: Option<NamespaceOption>,
    #[prost(bool, tag = "6")]
    privileged: bool,
}

/// Modes: 0 pod, 1 container, 2 node.
#[derive(Clone, PartialEq, prost::Message)]
struct NamespaceOption {
    #[prost(int32, tag = "1")]
    network: i32,
    #[prost(int32, tag = "2")]
    pid: i32,
    #[prost(int32, tag = "3")]
    ipc: i32,
}

#[derive(Clone, PartialEq, prost::Message)]
struct CreateContainerRequest {
    #[prost(string, tag = "1")]
    pod_sandbox_id: String,
    #[prost(message, optional, tag = "2")]
    config: Option<ContainerConfig>,
    #[prost(message, optional, tag = "3")]
    sandbox_config: Option<PodSandboxConfig>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct CreateContainerResponse {
    #[prost(string, tag = "1")]
    container_id: String,
}

#[derive(Clone, PartialEq, prost::Message)]
struct ContainerConfig {
    #[prost(message, optional, tag = "1")]
    metadata: Option<ContainerMetadata>,
    #[prost(message, optional, tag = "2")]
    image: Option<ImageSpec>,
    #[prost(string, repeated, tag = "3")]
    command: Vec<String>,
    #[prost(message, repeated, tag = "7")]
    mounts: Vec<Mount>,
    #[prost(map = "string, string", tag = "9")]
    labels: HashMap<String, String>,
    #[prost(message, optional, tag = "15")]
    linux: Option<LinuxContainerConfig>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct ContainerMetadata {
    #[prost(string, tag = "1")]
    name: String,
}

#[derive(Clone, PartialEq, prost::Message)]
struct ImageSpec {
    #[prost(string, tag = "1")]
    image: String,
}

#[derive(Clone, PartialEq, prost::Message)]
struct Mount {
    #[prost(string, tag = "1")]
    container_path: String,
    #[prost(string, tag = "2")]
    host_path: String,
    #[prost(bool, tag = "3")]
    readonly: bool,
}

#[derive(Clone, PartialEq, prost::Message)]
struct LinuxContainerConfig {
    #[prost(message, optional, tag = "2")]
    security_context: Option<LinuxContainerSecurityContext>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct LinuxContainerSecurityContext {
    #[prost(bool, tag = "2")]
    privileged: bool,
    #[prost(message, optional, tag = "3")]
    namespace_options: Option<NamespaceOption>,
}

fn labels(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[tokio::test]
async fn cri_containers_get_their_metadata() {
    let containerd = Containerd::start();
    containerd.import_image(SANDBOX_IMAGE, &["/bin/sleep", "3600"]);
    containerd.import_image(APP_IMAGE, &[]);
    // Host namespaces: no CNI network needed.
    let node = NamespaceOption { network: 2, pid: 2, ipc: 2 };
    let sandbox_config = PodSandboxConfig {
        metadata: Some(PodSandboxMetadata { name: "web-0".into(), uid: "uid-1".into(), namespace: "shop".into() }),
        labels: labels(&[
            ("app", "web"),
            ("io.kubernetes.pod.name", "web-0"),
            ("io.kubernetes.pod.namespace", "shop"),
            ("io.kubernetes.pod.uid", "uid-1"),
        ]),
        linux: Some(LinuxPodSandboxConfig {
            security_context: Some(LinuxSandboxSecurityContext {
                namespace_options: Some(node.clone()),
                privileged: true,
            }),
        }),
    };
    let sandbox: PodSandboxRef =
        containerd.call("RunPodSandbox", RunPodSandboxRequest { config: Some(sandbox_config.clone()) }).await;
    let created: CreateContainerResponse = containerd
        .call(
            "CreateContainer",
            CreateContainerRequest {
                pod_sandbox_id: sandbox.pod_sandbox_id.clone(),
                config: Some(ContainerConfig {
                    metadata: Some(ContainerMetadata { name: "app".into() }),
                    image: Some(ImageSpec { image: APP_IMAGE.into() }),
                    command: vec!["/bin/sleep".into(), "60".into()],
                    mounts: vec![Mount {
                        container_path: "/host/log".into(),
                        host_path: "/var/log".into(),
                        readonly: true,
                    }],
                    labels: labels(&[
                        ("io.kubernetes.pod.name", "web-0"),
                        ("io.kubernetes.pod.namespace", "shop"),
                        ("io.kubernetes.pod.uid", "uid-1"),
                        ("io.kubernetes.container.name", "app"),
                    ]),
                    linux: Some(LinuxContainerConfig {
                        security_context: Some(LinuxContainerSecurityContext {
                            privileged: true,
                            namespace_options: Some(node),
                        }),
                    }),
                }),
                sandbox_config: Some(sandbox_config),
            },
        )
        .await;
    let id = created.container_id;

    let none = containerd.dir.join("none.sock");
    let apis = RuntimeApis::start(Sockets {
        containerd: none.clone(),
        crio: containerd.socket.clone(),
        docker: none.clone(),
        podman: none,
    });
    let container = Container {
        id: id.clone(),
        runtime: "cri-o",
        cgroup: format!("/kubepods.slice/crio-{id}.scope"),
        namespace: None,
    };
    apis.request(&container);
    let deadline = Instant::now() + Duration::from_secs(20);
    let meta = loop {
        if let Some(m) = apis.get(&id) {
            break m;
        }
        assert!(Instant::now() < deadline, "no metadata for {id}: {}", containerd.log());
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(meta.image, APP_IMAGE);
    assert_eq!(
        (meta.label("io.kubernetes.pod.name"), meta.label("io.kubernetes.pod.namespace")),
        (Some("web-0"), Some("shop"))
    );
    assert_eq!(meta.privileged, Some(true));
    let log = meta.mounts.iter().find(|m| m.dest == "/host/log").expect("the host mount");
    assert_eq!((log.source.as_str(), log.rw, log.propagation.as_str()), ("/var/log", false, "rprivate"));
    assert!(meta.created_ns > 1_700_000_000_000_000_000, "{}", meta.created_ns);
    assert_eq!(meta.pod_labels, labels(&[("app", "web")]));

    let stop = PodSandboxRef { pod_sandbox_id: sandbox.pod_sandbox_id };
    let _: Empty = containerd.call("StopPodSandbox", stop.clone()).await;
    let _: Empty = containerd.call("RemovePodSandbox", stop).await;
}
