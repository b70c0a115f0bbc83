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

/// A priority name. Checked inside the visitor, so that the YAML reader
/// adds the key and line to the error.
pub(crate) fn priority<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Priority, D::Error> {
    struct Name;
    impl serde::de::Visitor<'_> for Name {
        type Value = Priority;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a priority (emergency … debug)")
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Priority, E> {
            Priority::parse(s).ok_or_else(|| E::custom(format!("'{s}' is not a priority (emergency … debug)")))
        }
    }
    d.deserialize_str(Name)
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

    /// Reads, parses and checks `path` as `osprey run` and `osprey config
    /// check` both do: an error names each key that is wrong and its line.
    pub fn load(path: &Path) -> Result<Self> {
        Self::load_with(path, |_| {})
    }

    /// `load`, with `adjust` (command-line overrides) applied before the check.
    pub fn load_with(path: &Path, adjust: impl FnOnce(&mut Self)) -> Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading config {}", path.display()))?;
        let mut config = if text.trim().is_empty() {
            Self::default()
        } else {
            serde_norway::from_str(&text).map_err(|e| anyhow::anyhow!("config {}: {}", path.display(), located(&e)))?
        };
        adjust(&mut config);
        let problems = config.problems();
        if problems.is_empty() {
            return Ok(config);
        }
        let lines: Vec<String> =
            problems.iter().map(|p| format!("config {}: {p}{}", path.display(), at(&text, &p.key))).collect();
        anyhow::bail!("{}", lines.join("\n"))
    }

    /// What `osprey run` would refuse in settings that parsed: missing
    /// companions of an enabled output, the server's exposure and TLS files.
    pub fn problems(&self) -> Vec<Invalid> {
        let mut found = Vec::new();
        if self.http.enabled {
            found.extend(self.http.problems().into_iter().map(|p| p.under("http")));
        }
        let required = [
            (self.file_output.enabled && self.file_output.filename.is_none(), "file_output", "filename"),
            (self.program_output.enabled && self.program_output.program.is_none(), "program_output", "program"),
            (self.http_output.enabled && self.http_output.url.is_none(), "http_output", "url"),
        ];
        for (missing, output, key) in required {
            if missing {
                found.push(Invalid::new(format!("{output}.{key}"), format!("required when {output} is enabled")));
            }
        }
        let syslog = &self.syslog_output;
        if syslog.enabled {
            if let Err(p) =
                crate::output::sinks::SyslogSink::new(&syslog.address, &syslog.format, syslog.facility, String::new())
            {
                found.push(p.under("syslog_output"));
            }
        }
        found
    }
}

/// A setting `osprey run` would refuse: the key (dotted, `router[2].url`)
/// and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub key: String,
    pub reason: String,
}

impl Invalid {
    pub fn new(key: impl Into<String>, reason: impl Into<String>) -> Self {
        Self { key: key.into(), reason: reason.into() }
    }

    /// The same problem seen from the parent key: `tls.cert` under `http`.
    pub fn under(mut self, parent: &str) -> Self {
        self.key = format!("{parent}.{}", self.key);
        self
    }
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.key, self.reason)
    }
}

impl std::error::Error for Invalid {}

/// A parse error with its position, which the reader leaves out of its
/// message at the very start of the file.
fn located(e: &serde_norway::Error) -> String {
    match e.location() {
        Some(l) if !e.to_string().contains(" at line ") => format!("{e} at line {} column {}", l.line(), l.column()),
        _ => e.to_string(),
    }
}

/// " at line L column C": where `key` is in `text`, or the mapping that
/// lacks it; empty when the file does not say (a default).
fn at(text: &str, key: &str) -> String {
    locate(text, key).map_or_else(String::new, |(line, column)| format!(" at line {line} column {column}"))
}

/// The line and column of `key`'s value in the YAML `text` (dotted, with
/// `[i]` for list items), or of the innermost mapping or list on its way
/// that is there. The YAML reader itself finds it: a walk down the key
/// fails on purpose where it ends, and the reader marks that error with
/// its position, whatever the style (block or flow).
fn locate(text: &str, key: &str) -> Option<(usize, usize)> {
    let steps: Vec<Step> = key
        .split('.')
        .flat_map(|part| {
            let (name, index) = match part.split_once('[') {
                Some((name, rest)) => (name, rest.trim_end_matches(']').parse().ok()),
                None => (part, None),
            };
            std::iter::once(Step::Key(name)).chain(index.map(Step::Index))
        })
        .collect();
    let stop = serde::de::DeserializeSeed::deserialize(Walk(&steps), serde_norway::Deserializer::from_str(text));
    let location = stop.err()?.location()?;
    Some((location.line(), location.column()))
}

enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// Walks the YAML down `steps` and fails where they end (or where the next
/// step is not there), so that the error carries that position.
struct Walk<'a, 'b>(&'a [Step<'b>]);

impl<'de> serde::de::DeserializeSeed<'de> for Walk<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Walk<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("the key's value")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        if let [Step::Key(key), rest @ ..] = self.0 {
            while let Some(k) = map.next_key::<String>()? {
                if k == *key {
                    return map.next_value_seed(Walk(rest));
                }
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Err(serde::de::Error::custom("here"))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if let [Step::Index(index), rest @ ..] = self.0 {
            for _ in 0..*index {
                if seq.next_element::<serde::de::IgnoredAny>()?.is_none() {
                    break;
                }
            }
            seq.next_element_seed(Walk(rest))?;
        }
        Err(serde::de::Error::custom("here"))
    }
}

/// `osprey config check`: loads the file as `osprey run` does (the same
/// checks), then builds what `osprey run` would build from it (rules,
/// outputs).
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
        let err = serde_norway::from_str::<Config>("json_output: true\npriority: loud\n").unwrap_err().to_string();
        assert_eq!(err, "priority: 'loud' is not a priority (emergency … debug) at line 2 column 11");
    }

    #[test]
    fn keys_are_located_in_block_and_flow_styles() {
        let text = "json_output: false\nhttp:\n  listen: 0.0.0.0:1\n  tls: {cert: a.pem, key: b.pem}\n\
                    router:\n  - type: slack\n  - {type: loki, url: x}\nfile_output:\n  enabled: true\n";
        assert_eq!(locate(text, "http.listen"), Some((3, 11)));
        assert_eq!(locate(text, "http.tls.key"), Some((4, 27)));
        assert_eq!(locate(text, "router[1].url"), Some((7, 23)));
        // A missing key: the mapping that lacks it.
        assert_eq!(locate(text, "file_output.filename"), Some((9, 3)));
        assert_eq!(locate(text, "http.token"), Some((3, 3)));
        assert_eq!(locate(text, "router[5]"), Some((6, 3)));
        assert_eq!(at(text, "http.listen"), " at line 3 column 11");
    }

    #[test]
    fn what_run_refuses_is_named_by_key() {
        let problems = |yaml: &str| -> Vec<String> {
            serde_norway::from_str::<Config>(yaml).unwrap().problems().into_iter().map(|p| p.key).collect()
        };
        assert!(problems("http: {listen: '0.0.0.0:1', token: t0k3n}\n").is_empty());
        assert!(problems("http: {listen: '0.0.0.0:1', allow_unauthenticated_remote: true}\n").is_empty());
        assert!(problems("http: {enabled: false, listen: '0.0.0.0:1'}\n").is_empty());
        assert_eq!(problems("http: {listen: '0.0.0.0:1'}\n"), ["http.listen"]);
        assert_eq!(problems("http: {token: ''}\n"), ["http.token"]);
        assert_eq!(problems("http: {token: 'two words'}\n"), ["http.token"]);
        assert_eq!(problems("http: {tls: {cert: /nonexistent/c.pem, key: k.pem}}\n"), ["http.tls.cert"]);
        assert_eq!(problems("syslog_output: {enabled: true, address: 'udp://h:0'}\n"), ["syslog_output.address"]);
        assert_eq!(
            problems("file_output: {enabled: true}\nprogram_output: {enabled: true}\nhttp_output: {enabled: true}\n"),
            ["file_output.filename", "program_output.program", "http_output.url"]
        );
    }
}
