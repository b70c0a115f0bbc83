//! `osprey.yaml`: the configuration file. Unknown keys and bad values are
//! errors that name the file, the key and the reason.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Deserialize;

use crate::rules::engine::Matching;
use crate::rules::loader::Priority;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Rule files, loaded in order (Falco's `rules_files`; `rules_file` accepted).
    #[serde(default, alias = "rules_file")]
    pub rules_files: Vec<PathBuf>,
    /// Alerts as JSON lines (true) or text (false).
    #[serde(default = "yes")]
    pub json_output: bool,
    /// Minimum priority of the rules loaded (Falco's `priority`).
    #[serde(default = "debug", deserialize_with = "priority")]
    pub priority: Priority,
    /// `first` (Falco's default) or `all` matching rules per event.
    #[serde(default)]
    pub rule_matching: Matching,
    /// The host's root as Osprey sees it: `/` on the host; in a pod with
    /// hostPID, `/proc/1/root`. Users, cgroups and the runtime sockets are
    /// found under it.
    #[serde(default = "root")]
    pub host_root: PathBuf,
    /// containerd's API socket, for container images and Kubernetes labels.
    #[serde(default = "containerd_socket")]
    pub containerd_socket: PathBuf,
    /// Docker's API socket, for containers Docker runs.
    #[serde(default = "docker_socket")]
    pub docker_socket: PathBuf,
    /// CRI-O's socket (any CRI runtime's), for containers CRI-O runs.
    #[serde(default = "crio_socket")]
    pub crio_socket: PathBuf,
    /// Podman's API service socket, for containers Podman runs.
    #[serde(default = "podman_socket")]
    pub podman_socket: PathBuf,
    /// Most threads the process table holds before evicting the oldest.
    #[serde(default = "max_threads")]
    pub max_threads: usize,
    /// Drop `output` from JSON alerts when false.
    #[serde(default = "yes")]
    pub json_include_output_property: bool,
    /// Drop `tags` from JSON alerts when false.
    #[serde(default = "yes")]
    pub json_include_tags_property: bool,
    #[serde(default)]
    pub stdout_output: crate::output::StdoutConfig,
    #[serde(default)]
    pub file_output: crate::output::FileConfig,
    #[serde(default)]
    pub syslog_output: crate::output::SyslogConfig,
    #[serde(default)]
    pub program_output: crate::output::ProgramConfig,
    #[serde(default)]
    pub http_output: crate::output::HttpConfig,
    /// Built-in router destinations (Slack, Loki, NATS, SQS…): see docs/outputs.md.
    #[serde(default)]
    pub router: Vec<crate::output::router::RouteConfig>,
    /// Alerts kept in memory for the HTTP API (`/api/alerts`).
    #[serde(default = "store_capacity")]
    pub alert_store_capacity: usize,
    /// Keep alerts in this database file (redb) so the UI survives restarts.
    #[serde(default)]
    pub alert_store_path: Option<PathBuf>,
    /// Alerts older than this are deleted from the database.
    #[serde(default = "retention_hours")]
    pub alert_store_retention_hours: u64,
    /// Alerts each non-stdout output may hold queued before it drops.
    #[serde(default = "queue_capacity")]
    pub outputs_queue_capacity: usize,
    /// The HTTP server (health, audit webhook).
    #[serde(default)]
    pub http: crate::server::HttpConfig,
    /// Kubernetes audit events: the webhook and/or a log file to tail.
    #[serde(default)]
    pub k8s_audit: AuditConfig,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditConfig {
    /// Accept audit events at POST /k8s-audit.
    #[serde(default = "yes")]
    pub webhook: bool,
    /// An audit log backend file (JSON lines) to follow.
    #[serde(default)]
    pub file: Option<PathBuf>,
    /// Where the read position of `file` is kept across restarts.
    #[serde(default)]
    pub position_file: Option<PathBuf>,
}

impl Default for AuditConfig {
    fn default() -> Self {
        serde_norway::from_str("{}").expect("defaults deserialize")
    }
}

pub(crate) fn yes() -> bool {
    true
}

fn debug() -> Priority {
    Priority::Debug
}

fn root() -> PathBuf {
    "/".into()
}

fn docker_socket() -> PathBuf {
    "/var/run/docker.sock".into()
}

fn crio_socket() -> PathBuf {
    "/run/crio/crio.sock".into()
}

fn podman_socket() -> PathBuf {
    "/run/podman/podman.sock".into()
}

fn containerd_socket() -> PathBuf {
    "/run/containerd/containerd.sock".into()
}

fn store_capacity() -> usize {
    10_000
}

fn queue_capacity() -> usize {
    10_000
}

fn retention_hours() -> u64 {
    24 * 7
}

fn max_threads() -> usize {
    262_144
}

pub(crate) fn priority<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Priority, D::Error> {
    let s = String::deserialize(d)?;
    Priority::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("'{s}' is not a priority (emergency … debug)")))
}

impl Default for Config {
    fn default() -> Self {
        serde_norway::from_str("{}").expect("defaults deserialize")
    }
}

impl Config {
    /// A host path (absolute) under `host_root`.
    pub fn host_path(&self, path: &Path) -> PathBuf {
        self.host_root.join(path.strip_prefix("/").unwrap_or(path))
    }

    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading config {}", path.display()))?;
        if text.trim().is_empty() {
            return Ok(Self::default());
        }
        serde_norway::from_str(&text).with_context(|| format!("config {}", path.display()))
    }
}

/// `osprey config check`: parses the file, then checks what `osprey run`
/// would build from it (rules, outputs).
pub fn check(path: &Path) -> Result<()> {
    let config = Config::load(path)?;
    let rules = crate::commands::rules::load_rules_with_defaults(&config.rules_files)?;
    let store = std::sync::Arc::new(crate::output::store::AlertStore::new(1));
    let reopen = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    crate::output::from_config(&config, "check", reopen, store)?.flush();
    println!("ok: {} ({} rules)", path.display(), rules.len());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_errors() {
        let c = Config::default();
        assert!(c.json_output);
        assert_eq!(c.rule_matching, Matching::First);
        let c: Config =
            serde_norway::from_str("priority: WARNING\nrule_matching: all\nrules_file: [a.yaml]\n").unwrap();
        assert_eq!((c.priority, c.rule_matching, c.rules_files.len()), (Priority::Warning, Matching::All, 1));
        let err = serde_norway::from_str::<Config>("json_outptu: true\n").unwrap_err().to_string();
        assert!(err.contains("json_outptu"), "{err}");
        let err = serde_norway::from_str::<Config>("priority: loud\n").unwrap_err().to_string();
        assert!(err.contains("'loud' is not a priority"), "{err}");
    }
}
