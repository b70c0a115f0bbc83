//! Field values of Kubernetes audit events (`ka.*`, `jevt.*`), with the
//! meaning Falco's k8saudit plugin gives them.

use std::borrow::Cow;

use serde_json::Value;

use super::compile::{Field, FieldValues};
use super::fields::FieldId as F;
use super::syscall::transform;
use super::value::Val;
use crate::audit::AuditEvent;

pub struct AuditFields<'a> {
    pub ev: &'a AuditEvent,
}

fn text(v: &Value) -> Cow<'_, str> {
    match v {
        Value::String(s) => Cow::Borrowed(s),
        other => Cow::Owned(other.to_string()),
    }
}

/// `repo/image:tag@digest` → `repo/image`.
fn repository(image: &str) -> String {
    let no_digest = image.split('@').next().unwrap_or(image);
    match no_digest.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => repo.to_string(),
        _ => no_digest.to_string(),
    }
}

impl<'a> AuditFields<'a> {
    fn at(&self, pointer: &str) -> Option<&'a Value> {
        self.ev.json.pointer(pointer).filter(|v| !v.is_null())
    }

    fn str_at(&self, pointer: &str) -> Val<'a> {
        self.at(pointer).map_or_else(Val::default, |v| Val::Str(text(v)))
    }

    /// One value per element of the array at `array`, taken at `inner`
    /// (`missing` when absent), or element `index` only.
    fn each(
        &self,
        array: &str,
        inner: &str,
        missing: Option<&'static str>,
        index: Option<usize>,
        map: fn(&str) -> String,
    ) -> Val<'a> {
        let Some(items) = self.at(array).and_then(Value::as_array) else {
            return Val::None;
        };
        let values: Vec<Cow<'a, str>> = items
            .iter()
            .filter_map(|item| match item.pointer(inner).filter(|v| !v.is_null()) {
                Some(v) => Some(Cow::Owned(map(&text(v)))),
                None => missing.map(Cow::Borrowed),
            })
            .collect();
        match index {
            Some(i) => values.into_iter().nth(i).map_or_else(Val::default, Val::Str),
            None => Val::List(values),
        }
    }

    fn containers(
        &self,
        kind: &str,
        inner: &str,
        missing: Option<&'static str>,
        index: Option<usize>,
        map: fn(&str) -> String,
    ) -> Val<'a> {
        self.each(&format!("/requestObject/spec/{kind}"), inner, missing, index, map)
    }

    fn flatten(&self, array: &str, inner: &str, index: Option<usize>) -> Val<'a> {
        let Some(items) = self.at(array).and_then(Value::as_array) else {
            return Val::None;
        };
        let values: Vec<Cow<'a, str>> =
            items.iter().filter_map(|r| r.pointer(inner).and_then(Value::as_array)).flatten().map(text).collect();
        match index {
            Some(i) => values.into_iter().nth(i).map_or_else(Val::default, Val::Str),
            None => Val::List(values),
        }
    }

    fn uri_param(&self, key: &str) -> Val<'a> {
        let Some(uri) = self.at("/requestURI").and_then(Value::as_str) else {
            return Val::None;
        };
        let Some((_, query)) = uri.split_once('?') else {
            return Val::None;
        };
        let values: Vec<String> = query
            .split('&')
            .filter_map(|kv| kv.split_once('=').or(Some((kv, ""))))
            .filter(|(k, _)| *k == key)
            .map(|(_, v)| percent_decode(v))
            .collect();
        if values.is_empty() {
            Val::None
        } else {
            Val::str(values.join(" "))
        }
    }

    fn raw(&self, field: &Field) -> Val<'a> {
        let ident = |s: &str| s.to_string();
        let idx = field.index;
        match field.info.id {
            F::KaAuditid => self.str_at("/auditID"),
            F::KaStage => self.str_at("/stage"),
            F::KaAuthDecision => self.str_at("/annotations/authorization.k8s.io~1decision"),
            F::KaAuthReason => self.str_at("/annotations/authorization.k8s.io~1reason"),
            F::KaUserName => self.str_at("/user/username"),
            F::KaUserGroups => self.flatten_list("/user/groups"),
            F::KaImpuserName => self.str_at("/impersonatedUser/username"),
            F::KaVerb => self.str_at("/verb"),
            F::KaUri => self.str_at("/requestURI"),
            F::KaUriParam => self.uri_param(field.arg.as_deref().unwrap_or_default()),
            F::KaUseragent => self.str_at("/userAgent"),
            F::KaSourceips => self.flatten_list("/sourceIPs"),
            F::KaTargetName => self.str_at("/objectRef/name"),
            F::KaTargetNamespace => self.str_at("/objectRef/namespace"),
            F::KaTargetResource => self.str_at("/objectRef/resource"),
            F::KaTargetSubresource => self.str_at("/objectRef/subresource"),
            F::KaReqBindingSubjects => self.each("/requestObject/subjects", "/name", None, None, ident),
            F::KaReqBindingRole => self.str_at("/requestObject/roleRef/name"),
            F::KaReqBindingSubjectHasName => {
                let want = field.arg.as_deref().unwrap_or_default();
                match self.at("/requestObject/subjects").and_then(Value::as_array) {
                    Some(subjects) => {
                        Val::Bool(subjects.iter().any(|s| s.get("name").and_then(Value::as_str) == Some(want)))
                    }
                    None => Val::None,
                }
            }
            F::KaReqConfigmapName => self.str_at("/requestObject/metadata/name"),
            F::KaReqConfigmapObj => {
                self.at("/requestObject/data").map_or_else(Val::default, |d| Val::str(d.to_string()))
            }
            F::KaReqPodContainersImage => self.containers("containers", "/image", None, idx, ident),
            F::KaReqPodContainersImageRepository => self.containers("containers", "/image", None, idx, repository),
            F::KaReqPodContainersPrivileged => {
                self.containers("containers", "/securityContext/privileged", Some("false"), idx, ident)
            }
            F::KaReqPodContainersAddCapabilities => self.flatten_caps(idx),
            F::KaReqPodContainersHostPort => self.flatten("/requestObject/spec/containers", "/ports", idx).hostports(),
            F::KaReqPodInitContainersImage => self.containers("initContainers", "/image", None, idx, ident),
            F::KaReqPodInitContainersPrivileged => {
                self.containers("initContainers", "/securityContext/privileged", Some("false"), idx, ident)
            }
            F::KaReqPodEphemeralContainersImage => self.containers("ephemeralContainers", "/image", None, idx, ident),
            F::KaReqPodEphemeralContainersPrivileged => {
                self.containers("ephemeralContainers", "/securityContext/privileged", Some("false"), idx, ident)
            }
            F::KaReqPodHostIpc => self.str_at("/requestObject/spec/hostIPC"),
            F::KaReqPodHostNetwork | F::KaReqContainerHostNetwork => self.str_at("/requestObject/spec/hostNetwork"),
            F::KaReqPodHostPid => self.str_at("/requestObject/spec/hostPID"),
            F::KaReqPodVolumesHostpath => self.each("/requestObject/spec/volumes", "/hostPath/path", None, idx, ident),
            F::KaReqPodRunAsUser => self
                .at("/requestObject/spec/securityContext/runAsUser")
                .and_then(Value::as_i64)
                .map_or_else(Val::default, Val::Int),
            F::KaReqContainerImage => self.containers("containers", "/image", None, Some(0), ident),
            F::KaReqContainerImageRepository => self.containers("containers", "/image", None, Some(0), repository),
            F::KaReqContainerPrivileged => {
                match self.containers("containers", "/securityContext/privileged", Some("false"), None, ident) {
                    Val::List(l) => Val::Bool(l.iter().any(|p| p == "true")),
                    other => other,
                }
            }
            F::KaReqRoleRules => match self.at("/requestObject/rules").and_then(Value::as_array) {
                Some(rules) => Val::List(rules.iter().map(|r| Cow::Owned(r.to_string())).collect()),
                None => Val::None,
            },
            F::KaReqRoleRulesVerbs => self.flatten("/requestObject/rules", "/verbs", idx),
            F::KaReqRoleRulesApiGroups => self.flatten("/requestObject/rules", "/apiGroups", idx),
            F::KaReqRoleRulesNonResourceUrls => self.flatten("/requestObject/rules", "/nonResourceURLs", idx),
            F::KaReqContainerHostIpc => self.str_at("/requestObject/spec/hostIPC"),
            F::KaReqContainerHostPid => self.str_at("/requestObject/spec/hostPID"),
            F::KaReqContainerHostPort => self.flatten("/requestObject/spec/containers", "/ports", idx).hostports(),
            F::KaReqPodContainersAllowPrivilegeEscalation => {
                self.containers("containers", "/securityContext/allowPrivilegeEscalation", Some("false"), idx, ident)
            }
            F::KaReqPodContainersReadWriteFs => {
                // Missing readOnlyRootFilesystem means a writable root.
                self.containers("containers", "/securityContext/readOnlyRootFilesystem", Some("true"), idx, |ro| {
                    (ro != "true").to_string()
                })
            }
            F::KaReqPodContainersRunAsUser => self.run_as("runAsUser", idx),
            F::KaReqPodContainersRunAsGroup => self.run_as("runAsGroup", idx),
            F::KaReqPodContainersProcMount => {
                self.containers("containers", "/securityContext/procMount", None, idx, ident)
            }
            F::KaReqSecCtxFsGroup => self.str_at("/requestObject/spec/securityContext/fsGroup"),
            F::KaReqSecCtxSupplementalGroups => {
                self.flatten_list("/requestObject/spec/securityContext/supplementalGroups")
            }
            F::KaReqSecCtxAddedCapabilities => self.flatten_caps(None),
            F::KaReqVolumeFlexvolumeDrivers => {
                self.each("/requestObject/spec/volumes", "/flexVolume/driver", None, None, ident)
            }
            F::KaReqVolumeTypes => match self.at("/requestObject/spec/volumes").and_then(Value::as_array) {
                Some(volumes) => Val::List(
                    volumes
                        .iter()
                        .filter_map(Value::as_object)
                        .flat_map(|v| v.keys().filter(|k| *k != "name").map(|k| Cow::Owned(k.clone())))
                        .collect(),
                ),
                None => Val::None,
            },
            F::KaReqRoleRulesResources => self.flatten("/requestObject/rules", "/resources", idx),
            F::KaReqServiceType => self.str_at("/requestObject/spec/type"),
            F::KaReqServicePorts => match self.at("/requestObject/spec/ports").and_then(Value::as_array) {
                Some(ports) => Val::List(ports.iter().map(|p| Cow::Owned(p.to_string())).collect()),
                None => Val::None,
            },
            F::KaReqVolumeHostpath => {
                let want = field.arg.as_deref().unwrap_or_default();
                match self.each("/requestObject/spec/volumes", "/hostPath/path", None, None, ident) {
                    Val::List(paths) => Val::Bool(paths.iter().any(|p| p.starts_with(want))),
                    other => other,
                }
            }
            F::KaRespName => self.str_at("/responseObject/metadata/name"),
            F::KaResponseCode => self.str_at("/responseStatus/code"),
            F::KaResponseReason => self.str_at("/responseStatus/reason"),
            F::JevtValue => {
                let pointer = field.arg.as_deref().unwrap_or_default();
                self.str_at(pointer)
            }
            F::JevtObj => Val::str(self.ev.json.to_string()),
            F::JevtTime => self.str_at("/stageTimestamp"),
            F::JevtRawtime => Val::Int(self.ev.ts_ns as i64),
            F::EvtTime => Val::str(crate::decode::render::time_of_day(self.ev.ts_ns)),
            // Syscall fields never apply here (the compiler rejects them).
            _ => Val::None,
        }
    }

    fn flatten_list(&self, pointer: &str) -> Val<'a> {
        match self.at(pointer).and_then(Value::as_array) {
            Some(items) => Val::List(items.iter().map(text).collect()),
            None => Val::None,
        }
    }

    /// A container's runAsUser/runAsGroup, the pod's as default, else 0.
    fn run_as(&self, key: &str, index: Option<usize>) -> Val<'a> {
        let Some(containers) = self.at("/requestObject/spec/containers").and_then(Value::as_array) else {
            return Val::None;
        };
        let pod = self.at(&format!("/requestObject/spec/securityContext/{key}"));
        let values: Vec<Cow<'a, str>> = containers
            .iter()
            .map(|c| {
                let v = c.pointer(&format!("/securityContext/{key}")).filter(|v| !v.is_null()).or(pod);
                Cow::Owned(v.map_or_else(|| "0".to_string(), |v| text(v).into_owned()))
            })
            .collect();
        match index {
            Some(i) => values.into_iter().nth(i).map_or_else(Val::default, Val::Str),
            None => Val::List(values),
        }
    }

    fn flatten_caps(&self, index: Option<usize>) -> Val<'a> {
        self.flatten("/requestObject/spec/containers", "/securityContext/capabilities/add", index)
    }
}

trait HostPorts {
    fn hostports(self) -> Self;
}

impl HostPorts for Val<'_> {
    /// Port objects (as JSON text) → their hostPort values.
    fn hostports(self) -> Self {
        match self {
            Val::List(ports) => Val::List(
                ports
                    .iter()
                    .filter_map(|p| {
                        serde_json::from_str::<Value>(p).ok()?.get("hostPort").map(|h| Cow::Owned(h.to_string()))
                    })
                    .collect(),
            ),
            other => other,
        }
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"), 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                    }
                    Err(_) => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl FieldValues for AuditFields<'_> {
    fn value(&self, field: &Field) -> Val<'_> {
        let mut v = self.raw(field);
        for t in &field.transformers {
            v = transform(v, *t);
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(ev: &AuditEvent, name: &str, arg: Option<&str>) -> String {
        let (info, arg) = crate::rules::fields::lookup(name, arg).expect(name);
        let field = Field::new(info, arg, vec![]);
        AuditFields { ev }.value(&field).render().into_owned()
    }

    #[test]
    fn pod_security_context_fields() {
        let ev = AuditEvent::from_value(serde_json::json!({
            "kind": "Event", "apiVersion": "audit.k8s.io/v1", "auditID": "x", "verb": "create",
            "stageTimestamp": "2024-01-01T00:00:00Z",
            "requestURI": "/api/v1/namespaces/a/pods/p/exec?command=sh&command=-c&container=c",
            "requestObject": {"spec": {
                "securityContext": {"runAsUser": 1000, "fsGroup": 2000, "supplementalGroups": [3, 4]},
                "containers": [
                    {"image": "reg:5000/app:1", "securityContext": {"runAsUser": 0, "allowPrivilegeEscalation": true,
                     "capabilities": {"add": ["NET_ADMIN"]}, "readOnlyRootFilesystem": true}},
                    {"image": "nginx@sha256:ab", "ports": [{"containerPort": 80, "hostPort": 8080}]}
                ],
                "volumes": [{"name": "h", "hostPath": {"path": "/etc"}}, {"name": "c", "configMap": {"name": "x"}}]
            }}
        }))
        .unwrap();
        assert_eq!(value(&ev, "ka.req.pod.containers.run_as_user", None), "(0,1000)");
        assert_eq!(value(&ev, "ka.req.pod.containers.allow_privilege_escalation", Some("0")), "true");
        assert_eq!(value(&ev, "ka.req.pod.containers.read_write_fs", None), "(false,true)");
        assert_eq!(value(&ev, "ka.req.sec_ctx.fs_group", None), "2000");
        assert_eq!(value(&ev, "ka.req.sec_ctx.supplemental_groups", None), "(3,4)");
        assert_eq!(value(&ev, "ka.req.sec_ctx.added_capabilities", None), "NET_ADMIN");
        assert_eq!(value(&ev, "ka.req.pod.containers.image.repository", None), "(reg:5000/app,nginx)");
        assert_eq!(value(&ev, "ka.req.container.host_port", None), "8080");
        assert_eq!(value(&ev, "ka.req.volume_types", None), "(hostPath,configMap)");
        assert_eq!(value(&ev, "ka.req.volume.hostpath", Some("/etc")), "true");
        assert_eq!(value(&ev, "ka.uri.param", Some("command")), "sh -c");
        assert_eq!(value(&ev, "jevt.value", Some("/requestObject/spec/securityContext/runAsUser")), "1000");
        assert_eq!(value(&ev, "ka.target.name", None), "<NA>");
    }

    #[test]
    fn repositories_and_uri_params() {
        assert_eq!(repository("nginx"), "nginx");
        assert_eq!(repository("nginx:1.25"), "nginx");
        assert_eq!(repository("localhost:5000/app:v1"), "localhost:5000/app");
        assert_eq!(repository("quay.io/x/y@sha256:abc"), "quay.io/x/y");
        assert_eq!(percent_decode("ls%20-l+x%"), "ls -l x%");
    }
}
