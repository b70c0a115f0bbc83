//! The field catalogue: every field a condition or output may name, with
//! Falco's name, type, argument and meaning. An unknown field is a load error.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldType {
    Str,
    Int,
    Bool,
    /// An IP address; compared against an address or a CIDR network.
    Ip,
    /// Nanoseconds (timestamps and durations).
    Ns,
    /// Several strings (ancestors, container images…).
    List,
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FieldType::Str => "string",
            FieldType::Int => "number",
            FieldType::Bool => "bool",
            FieldType::Ip => "ipaddr",
            FieldType::Ns => "ns",
            FieldType::List => "list",
        })
    }
}

/// Whether the field takes `[arg]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgReq {
    None,
    /// `[N]` optional (ancestors: without it, any ancestor).
    OptionalIndex,
    /// `[key]` required (an env var, a label, a JSON pointer…).
    Key,
    /// `[key]` optional.
    OptionalKey,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    Syscall,
    K8sAudit,
}

impl Source {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "syscall" => Some(Source::Syscall),
            "k8s_audit" => Some(Source::K8sAudit),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Source::Syscall => "syscall",
            Source::K8sAudit => "k8s_audit",
        }
    }
}

#[derive(Debug)]
pub struct FieldInfo {
    pub id: FieldId,
    pub name: &'static str,
    pub ty: FieldType,
    pub arg: ArgReq,
    pub desc: &'static str,
}

impl FieldInfo {
    pub fn source(&self) -> Source {
        if self.name.starts_with("ka.") || self.name.starts_with("jevt.") {
            Source::K8sAudit
        } else {
            Source::Syscall
        }
    }
}

macro_rules! catalogue {
    ($( $id:ident $name:literal $ty:ident $arg:ident $desc:literal; )*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum FieldId { $($id),* }

        pub static CATALOGUE: &[FieldInfo] = &[
            $( FieldInfo { id: FieldId::$id, name: $name, ty: FieldType::$ty, arg: ArgReq::$arg, desc: $desc } ),*
        ];
    };
}

catalogue! {
    EvtNum "evt.num" Int None "Sequence number of the event.";
    EvtTime "evt.time" Str None "Wall-clock time of day of the event, HH:MM:SS.nnnnnnnnn (UTC).";
    EvtRawtime "evt.rawtime" Ns None "Event timestamp, ns since the Unix epoch.";
    EvtDatetime "evt.datetime" Str None "Event date and time, YYYY-MM-DD HH:MM:SS.nnnnnnnnn (UTC).";
    EvtType "evt.type" Str None "Event type: the syscall name (open, execve…) or procexit.";
    EvtDir "evt.dir" Str None "Direction: '>' for syscall entry, '<' for exit.";
    EvtCpu "evt.cpu" Int None "CPU the event happened on.";
    EvtRes "evt.res" Str None "Result of an exit event: SUCCESS or the errno name (ENOENT…).";
    EvtRawres "evt.rawres" Int None "Raw return value of an exit event.";
    EvtFailed "evt.failed" Bool None "True for exit events that returned an error.";
    EvtArgs "evt.args" Str None "All event arguments as name=value pairs.";
    EvtArg "evt.arg" Str Key "One argument by name (evt.arg.name or evt.arg[name]) or position (evt.arg[0]), as Falco renders it (flag and enumeration names, user names for set*id ids).";
    EvtRawarg "evt.rawarg" Str Key "One argument by name, unrendered: the number behind a spelt argument.";
    EvtBuffer "evt.buffer" Str None "Data buffer of read/write events (not captured by Osprey: always <NA>).";
    EvtIsOpenRead "evt.is_open_read" Bool None "An open-family event that opened for reading.";
    EvtIsOpenWrite "evt.is_open_write" Bool None "An open-family event that opened for writing.";
    EvtIsOpenExec "evt.is_open_exec" Bool None "An open-family event that created an executable file.";
    EvtHostname "evt.hostname" Str None "Host name of the machine Osprey runs on.";
    EvtSource "evt.source" Str None "Event source: syscall or k8s_audit.";
    SyscallTable "syscall.table" Str None "Table the syscall was made through: x86_64, i386 (a 32-bit program, or int 0x80) or x32; its evt.type and arguments are the x86-64 syscall's. Osprey's own field.";
    SyscallProgramIs32bit "syscall.program_is_32bit" Bool None "Whether the program that made the syscall is a 32-bit one (a 32-bit address space), whatever the table: with x86_64, a 32-bit program that jumped into 64-bit code to make it. Osprey's own field.";
    ProcPid "proc.pid" Int None "Process id (thread group id).";
    ProcVpid "proc.vpid" Int None "Process id as seen in its own pid namespace.";
    ProcPpid "proc.ppid" Int None "Parent process id.";
    ProcName "proc.name" Str None "Process name (the kernel's comm, as after exec).";
    ProcExe "proc.exe" Str None "First command-line argument (argv[0]) of the process.";
    ProcExepath "proc.exepath" Str None "Full path of the process executable, resolved by the kernel.";
    ProcArgs "proc.args" Str None "Command-line arguments after argv[0], joined by spaces.";
    ProcCmdline "proc.cmdline" Str None "Process name and arguments: 'name arg1 arg2'.";
    ProcCwd "proc.cwd" Str None "Current working directory.";
    ProcEnv "proc.env" Str OptionalKey "Environment (proc.env[NAME] for one variable) when known.";
    ProcTty "proc.tty" Int None "Controlling terminal (0 when none).";
    ProcDuration "proc.duration" Ns None "Nanoseconds since the process started.";
    ProcStartTs "proc.start_ts" Ns None "Process start time, ns since the Unix epoch.";
    ProcPname "proc.pname" Str None "Parent process name.";
    ProcPexe "proc.pexe" Str None "Parent's argv[0].";
    ProcPexepath "proc.pexepath" Str None "Parent's executable path.";
    ProcPcmdline "proc.pcmdline" Str None "Parent's command line.";
    ProcAname "proc.aname" List OptionalIndex "Ancestor names: proc.aname[1] is the parent, [2] the grandparent…; without an index, any ancestor.";
    ProcApid "proc.apid" List OptionalIndex "Ancestor pids, indexed like proc.aname.";
    ProcAexe "proc.aexe" List OptionalIndex "Ancestors' argv[0], indexed like proc.aname.";
    ProcAexepath "proc.aexepath" List OptionalIndex "Ancestors' executable paths, indexed like proc.aname.";
    ProcSid "proc.sid" Int None "Session id.";
    ProcSname "proc.sname" Str None "Name of the session leader.";
    ProcVpgid "proc.vpgid" Int None "Process group id, as seen in the process's pid namespace.";
    ProcVpgidName "proc.vpgid.name" Str None "Name of the process group leader.";
    ProcIsVpgidLeader "proc.is_vpgid_leader" Bool None "The process leads its process group.";
    ProcIsSidLeader "proc.is_sid_leader" Bool None "The process leads its session.";
    ProcIsExeFromMemfd "proc.is_exe_from_memfd" Bool None "The executable was a memfd (fileless execution).";
    ProcIsExeUpperLayer "proc.is_exe_upper_layer" Bool None "The executable lives in an overlayfs upper layer (written in the container).";
    ProcIsExeWritable "proc.is_exe_writable" Bool None "The executable is writable by the process's user.";
    ProcExeIno "proc.exe_ino" Int None "Inode number of the executable.";
    ProcExeInoCtime "proc.exe_ino.ctime" Ns None "Change time of the executable's inode.";
    ProcExeInoMtime "proc.exe_ino.mtime" Ns None "Modification time of the executable's inode.";
    ProcExeInoCtimeDurationProcStart "proc.exe_ino.ctime_duration_proc_start" Ns None "ns between the executable's inode change and process start.";
    ThreadTid "thread.tid" Int None "Thread id.";
    ThreadVtid "thread.vtid" Int None "Thread id in its pid namespace.";
    ThreadCapEffective "thread.cap_effective" Str None "Effective capabilities (CAP_X CAP_Y…).";
    ThreadCapPermitted "thread.cap_permitted" Str None "Permitted capabilities.";
    ThreadCapInheritable "thread.cap_inheritable" Str None "Inheritable capabilities.";
    UserUid "user.uid" Int None "Real user id.";
    UserName "user.name" Str None "User name (from /etc/passwd).";
    UserLoginuid "user.loginuid" Int None "Audit login uid (-1 when unset).";
    UserLoginname "user.loginname" Str None "Name of the login uid.";
    UserHomedir "user.homedir" Str None "Home directory of the user.";
    UserShell "user.shell" Str None "Login shell of the user.";
    GroupGid "group.gid" Int None "Real group id.";
    GroupName "group.name" Str None "Group name (from /etc/group).";
    FdNum "fd.num" Int None "The file descriptor the event is about.";
    FdType "fd.type" Str None "Descriptor type: file, directory, ipv4, ipv6, unix, pipe, event, signalfd, eventpoll, inotify, timerfd, netlink, memfd.";
    FdTypechar "fd.typechar" Str None "Type as one letter: f file, 4 ipv4, 6 ipv6, u unix, p pipe, e event, s signalfd, l eventpoll, i inotify, t timerfd, n netlink, m memfd.";
    FdName "fd.name" Str None "Full name: absolute path for files, ip:port->ip:port tuple for sockets.";
    FdNameraw "fd.nameraw" Str None "Name as the process passed it (before resolution).";
    FdDirectory "fd.directory" Str None "Directory part of a file descriptor's path.";
    FdFilename "fd.filename" Str None "File name part of a file descriptor's path.";
    FdIp "fd.ip" Ip None "Either end's IP address (matches client or server).";
    FdCip "fd.cip" Ip None "Client IP address.";
    FdSip "fd.sip" Ip None "Server IP address.";
    FdLip "fd.lip" Ip None "Local IP address.";
    FdRip "fd.rip" Ip None "Remote IP address.";
    FdPort "fd.port" Int None "Either end's port.";
    FdCport "fd.cport" Int None "Client port.";
    FdSport "fd.sport" Int None "Server port.";
    FdLport "fd.lport" Int None "Local port.";
    FdRport "fd.rport" Int None "Remote port.";
    FdL4proto "fd.l4proto" Str None "Transport protocol: tcp, udp, icmp or raw.";
    FdSockfamily "fd.sockfamily" Str None "Socket family: ip or unix.";
    FdIsServer "fd.is_server" Bool None "The process is the server end of the connection.";
    FdNet "fd.net" Ip None "Either end's IP, compared against a network (fd.net=10.0.0.0/8).";
    FdCnet "fd.cnet" Ip None "Client IP, compared against a network.";
    FdSnet "fd.snet" Ip None "Server IP, compared against a network.";
    FdLnet "fd.lnet" Ip None "Local IP, compared against a network.";
    FdRnet "fd.rnet" Ip None "Remote IP, compared against a network.";
    FdConnected "fd.connected" Bool None "The socket is connected.";
    FdNameChanged "fd.name_changed" Bool None "The event changed the descriptor's name (connect, bind…).";
    FdTypes "fd.types" List OptionalIndex "Types of the descriptors the process holds.";
    FdCipName "fd.cip.name" Str None "Domain name of the client IP (needs DNS state: <NA> in Osprey).";
    FdSipName "fd.sip.name" Str None "Domain name of the server IP (<NA> in Osprey).";
    FdLipName "fd.lip.name" Str None "Domain name of the local IP (<NA> in Osprey).";
    FdRipName "fd.rip.name" Str None "Domain name of the remote IP (<NA> in Osprey).";
    FsPathName "fs.path.name" Str None "Path a filesystem syscall acted on (absolute).";
    ContainerId "container.id" Str None "Container id (12 characters; 'host' outside containers).";
    ContainerFullId "container.full_id" Str None "Full container id.";
    ContainerName "container.name" Str None "Container name ('host' outside containers).";
    ContainerImage "container.image" Str None "Container image (repository:tag).";
    ContainerImageRepository "container.image.repository" Str None "Image repository.";
    ContainerImageTag "container.image.tag" Str None "Image tag.";
    ContainerImageDigest "container.image.digest" Str None "Image digest.";
    ContainerType "container.type" Str None "Container runtime: containerd, cri-o, docker, podman.";
    ContainerPrivileged "container.privileged" Bool None "The container runs privileged.";
    ContainerMounts "container.mounts" Str None "Mounts as source:dest:mode:rdwr:propagation, comma-separated.";
    ContainerMount "container.mount" Str Key "One mount by index or source path.";
    ContainerMountDest "container.mount.dest" Str Key "Destination of the mount whose source is the key.";
    ContainerStartTs "container.start_ts" Ns None "Container start time, ns since the Unix epoch.";
    ContainerLabel "container.label" Str Key "One container label.";
    ContainerLabels "container.labels" Str None "All container labels, key:value comma-separated.";
    K8sNsName "k8s.ns.name" Str None "Kubernetes namespace of the pod.";
    K8sPodName "k8s.pod.name" Str None "Kubernetes pod name.";
    K8sPodUid "k8s.pod.uid" Str None "Kubernetes pod uid.";
    K8sPodLabel "k8s.pod.label" Str Key "One pod label.";
    K8sPodLabels "k8s.pod.labels" Str None "All pod labels.";
    KaAuditid "ka.auditid" Str None "Audit event id.";
    KaStage "ka.stage" Str None "Audit stage (ResponseComplete…).";
    KaAuthDecision "ka.auth.decision" Str None "Authorization decision (allow/forbid).";
    KaAuthReason "ka.auth.reason" Str None "Authorization reason.";
    KaUserName "ka.user.name" Str None "User name performing the request.";
    KaUserGroups "ka.user.groups" List None "Groups of the user.";
    KaImpuserName "ka.impuser.name" Str None "Impersonated user name.";
    KaVerb "ka.verb" Str None "Action (get, create, delete…).";
    KaUri "ka.uri" Str None "Request URI.";
    KaUriParam "ka.uri.param" Str Key "One URI query parameter.";
    KaUseragent "ka.useragent" Str None "User agent of the client.";
    KaSourceips "ka.sourceips" List None "Source IPs of the request.";
    KaTargetName "ka.target.name" Str None "Target object name.";
    KaTargetNamespace "ka.target.namespace" Str None "Target object namespace.";
    KaTargetResource "ka.target.resource" Str None "Target object resource (pods, secrets…).";
    KaTargetSubresource "ka.target.subresource" Str None "Target object subresource (exec, attach…).";
    KaReqBindingSubjects "ka.req.binding.subjects" List None "Subjects of a role binding.";
    KaReqBindingRole "ka.req.binding.role" Str None "Role of a role binding.";
    KaReqBindingSubjectHasName "ka.req.binding.subject.has_name" Bool Key "A role binding subject has this name.";
    KaReqConfigmapName "ka.req.configmap.name" Str None "Name of a ConfigMap.";
    KaReqConfigmapObj "ka.req.configmap.obj" Str None "ConfigMap data as JSON.";
    KaReqPodContainersImage "ka.req.pod.containers.image" List OptionalIndex "Container images of a pod.";
    KaReqPodContainersImageRepository "ka.req.pod.containers.image.repository" List OptionalIndex "Image repositories of a pod's containers.";
    KaReqPodContainersPrivileged "ka.req.pod.containers.privileged" List OptionalIndex "Privileged flags of a pod's containers.";
    KaReqPodContainersAddCapabilities "ka.req.pod.containers.add_capabilities" List OptionalIndex "Capabilities added to a pod's containers.";
    KaReqPodContainersHostPort "ka.req.pod.containers.host_port" List OptionalIndex "Host ports of a pod's containers.";
    KaReqPodInitContainersImage "ka.req.pod.initContainers.image" List OptionalIndex "Images of a pod's init containers.";
    KaReqPodInitContainersPrivileged "ka.req.pod.initContainers.privileged" List OptionalIndex "Privileged flags of a pod's init containers.";
    KaReqPodEphemeralContainersImage "ka.req.pod.ephemeralContainers.image" List OptionalIndex "Images of a pod's ephemeral containers.";
    KaReqPodEphemeralContainersPrivileged "ka.req.pod.ephemeralContainers.privileged" List OptionalIndex "Privileged flags of a pod's ephemeral containers.";
    KaReqPodHostIpc "ka.req.pod.host_ipc" Str None "A pod's hostIPC setting.";
    KaReqPodHostNetwork "ka.req.pod.host_network" Str None "A pod's hostNetwork setting.";
    KaReqPodHostPid "ka.req.pod.host_pid" Str None "A pod's hostPID setting.";
    KaReqPodVolumesHostpath "ka.req.pod.volumes.hostpath" List OptionalIndex "Host paths of a pod's volumes.";
    KaReqPodRunAsUser "ka.req.pod.run_as_user" Int None "A pod's runAsUser.";
    KaReqContainerImage "ka.req.container.image" Str None "Image of a pod's first container.";
    KaReqContainerImageRepository "ka.req.container.image.repository" Str None "Image repository of a pod's first container.";
    KaReqContainerPrivileged "ka.req.container.privileged" Bool None "A pod's first container is privileged.";
    KaReqContainerHostNetwork "ka.req.container.host_network" Str None "hostNetwork of a pod (legacy name).";
    KaReqContainerHostIpc "ka.req.container.host_ipc" Str None "hostIPC of a pod (legacy name).";
    KaReqContainerHostPid "ka.req.container.host_pid" Str None "hostPID of a pod (legacy name).";
    KaReqContainerHostPort "ka.req.container.host_port" List OptionalIndex "hostPort values of a pod's containers (legacy name).";
    KaReqPodContainersAllowPrivilegeEscalation "ka.req.pod.containers.allow_privilege_escalation" List OptionalIndex "allowPrivilegeEscalation of a pod's containers (false when unset).";
    KaReqPodContainersReadWriteFs "ka.req.pod.containers.read_write_fs" List OptionalIndex "Whether each container lacks readOnlyRootFilesystem.";
    KaReqPodContainersRunAsUser "ka.req.pod.containers.run_as_user" List OptionalIndex "runAsUser of each container (the pod's securityContext as default, else 0).";
    KaReqPodContainersRunAsGroup "ka.req.pod.containers.run_as_group" List OptionalIndex "runAsGroup of each container (the pod's securityContext as default, else 0).";
    KaReqPodContainersProcMount "ka.req.pod.containers.proc_mount" List OptionalIndex "procMount of each container.";
    KaReqSecCtxFsGroup "ka.req.sec_ctx.fs_group" Str None "fsGroup of a pod's securityContext.";
    KaReqSecCtxSupplementalGroups "ka.req.sec_ctx.supplemental_groups" List None "supplementalGroups of a pod's securityContext.";
    KaReqSecCtxAddedCapabilities "ka.req.sec_ctx.added_capabilities" List None "Capabilities added to any of a pod's containers.";
    KaReqVolumeFlexvolumeDrivers "ka.req.volume.flexvolume_drivers" List None "Flexvolume drivers of a pod's volumes.";
    KaReqVolumeTypes "ka.req.volume_types" List None "Volume types of a pod's volumes (hostPath, configMap…).";
    KaReqRoleRulesApiGroups "ka.req.role.rules.apiGroups" List OptionalIndex "API groups of a role's rules.";
    KaReqRoleRulesNonResourceUrls "ka.req.role.rules.nonResourceURLs" List OptionalIndex "Non-resource URLs of a role's rules.";
    KaReqRoleRules "ka.req.role.rules" List None "Rules of a role, as JSON.";
    KaReqRoleRulesVerbs "ka.req.role.rules.verbs" List OptionalIndex "Verbs of a role's rules.";
    KaReqRoleRulesResources "ka.req.role.rules.resources" List OptionalIndex "Resources of a role's rules.";
    KaReqServiceType "ka.req.service.type" Str None "Type of a Service.";
    KaReqServicePorts "ka.req.service.ports" List None "Ports of a Service.";
    KaReqVolumeHostpath "ka.req.volume.hostpath" Bool Key "A pod mounts this host path (or one under it).";
    KaRespName "ka.resp.name" Str None "Name of the object in the response.";
    KaResponseCode "ka.response.code" Str None "HTTP response code.";
    KaResponseReason "ka.response.reason" Str None "Response reason.";
    JevtValue "jevt.value" Str Key "Value at a JSON pointer in the audit event (jevt.value[/user/username]).";
    JevtObj "jevt.obj" Str None "The whole audit event as JSON.";
    JevtTime "jevt.time" Str None "Event time (stageTimestamp) as a string.";
    JevtRawtime "jevt.rawtime" Ns None "Event time in ns since the Unix epoch.";
}

/// A resolved field name: the catalogue entry and its argument.
impl FieldId {
    /// The field's value comes from the descriptor table (the event's
    /// descriptor, or every descriptor of the process for `fd.types`).
    pub fn reads_descriptor_table(self) -> bool {
        use FieldId as F;
        self.socket_only()
            || matches!(
                self,
                F::FdType
                    | F::FdTypechar
                    | F::FdName
                    | F::FdNameraw
                    | F::FdDirectory
                    | F::FdFilename
                    | F::FdIsServer
                    | F::FdConnected
                    | F::FdTypes
            )
    }

    /// A descriptor field only sockets have a value for.
    pub fn socket_only(self) -> bool {
        use FieldId as F;
        matches!(
            self,
            F::FdIp
                | F::FdCip
                | F::FdSip
                | F::FdLip
                | F::FdRip
                | F::FdNet
                | F::FdCnet
                | F::FdSnet
                | F::FdLnet
                | F::FdRnet
                | F::FdPort
                | F::FdCport
                | F::FdSport
                | F::FdLport
                | F::FdRport
                | F::FdL4proto
                | F::FdSockfamily
                | F::FdCipName
                | F::FdSipName
                | F::FdLipName
                | F::FdRipName
        )
    }
}

pub fn lookup(name: &str, arg: Option<&str>) -> Option<(&'static FieldInfo, Option<String>)> {
    if let Some(info) = CATALOGUE.iter().find(|f| f.name == name) {
        return Some((info, arg.map(str::to_string)));
    }
    // evt.arg.NAME / evt.rawarg.NAME: the argument is part of the name.
    for prefix in ["evt.arg.", "evt.rawarg.", "k8s.pod.label.", "container.label."] {
        if let Some(rest) = name.strip_prefix(prefix) {
            if arg.is_none() && !rest.is_empty() {
                let base = &prefix[..prefix.len() - 1];
                return CATALOGUE.iter().find(|f| f.name == base).map(|f| (f, Some(rest.to_string())));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_described() {
        let mut names: Vec<_> = CATALOGUE.iter().map(|f| f.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CATALOGUE.len());
        assert!(CATALOGUE.iter().all(|f| f.desc.len() > 5));
    }

    #[test]
    fn lookups() {
        assert_eq!(lookup("proc.name", None).unwrap().0.id, FieldId::ProcName);
        let (f, arg) = lookup("evt.arg.flags", None).unwrap();
        assert_eq!((f.id, arg.as_deref()), (FieldId::EvtArg, Some("flags")));
        assert!(lookup("proc.nobody", None).is_none());
        assert_eq!(lookup("ka.verb", None).unwrap().0.source(), Source::K8sAudit);
    }
}
