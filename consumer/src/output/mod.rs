//! Outputs: where alerts go. Falco's built-in outputs (stdout, file, syslog,
//! program, HTTP), configured with Falco's keys.
//!
//! Every destination but stdout sits behind its own bounded queue and worker
//! thread: a slow or dead destination fills its queue and drops (counted in
//! `osprey_output_total{outcome="dropped"}`); nothing else waits for it.

pub mod router;
pub mod sinks;
pub mod store;

use std::io::Write;
use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::sync::Mutex;

use serde::Deserialize;

use crate::metrics::METRICS;
use crate::rules::engine::Alert;

/// How alerts are spelt, as Falco's `json_output` and `json_include_*` say.
#[derive(Debug, Clone, Copy)]
pub struct Format {
    pub json: bool,
    pub include_output: bool,
    pub include_tags: bool,
}

impl Format {
    pub fn render(&self, alert: &Alert) -> String {
        if !self.json {
            return escape_controls(&alert.output).into_owned();
        }
        let mut v = serde_json::to_value(alert).expect("alerts serialize");
        let obj = v.as_object_mut().expect("an object");
        if !self.include_output {
            obj.remove("output");
        }
        if !self.include_tags {
            obj.remove("tags");
        }
        v.to_string()
    }
}

/// `text` with its control characters spelt out (`\n`, `\r`, `\0`, `\x1b`,
/// `\u{9b}`), tab excepted. Event fields are the attacker's to choose: raw,
/// a newline would start a forged alert line in a text output and an escape
/// sequence would drive the terminal showing it. JSON escapes them itself.
pub fn escape_controls(text: &str) -> std::borrow::Cow<'_, str> {
    use std::fmt::Write;
    let is_escaped = |c: char| c.is_control() && c != '\t';
    if !text.contains(is_escaped) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c if is_escaped(c) && c.is_ascii() => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if is_escaped(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.into()
}

/// A URL as logs may show it: scheme and host only, since webhook URLs carry
/// their secret in the path or query (Slack, Teams, Discord).
pub fn redact_url(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
            let host = authority.rsplit('@').next().unwrap_or(authority);
            let hidden = if rest.len() > authority.len() { "/…" } else { "" };
            format!("{scheme}://{host}{hidden}")
        }
        None => "<url>".into(),
    }
}

/// One alert destination.
pub trait Output: Send + Sync {
    /// The name `osprey alert test --output` and the metrics use.
    fn name(&self) -> &str;
    fn emit(&self, alert: &Alert);
    /// Called before exit: push out anything buffered.
    fn flush(&self) {}
}

/// Falco's stdout output.
pub struct Stdout {
    format: Format,
    out: Mutex<std::io::BufWriter<std::io::Stdout>>,
}

impl Stdout {
    pub fn new(format: Format) -> Self {
        Self { format, out: Mutex::new(std::io::BufWriter::new(std::io::stdout())) }
    }
}

impl Output for Stdout {
    fn name(&self) -> &str {
        "stdout"
    }

    fn emit(&self, alert: &Alert) {
        let line = self.format.render(alert);
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        let _ = writeln!(out, "{line}");
        // Alerts are rare and wanted at once.
        let _ = out.flush();
        METRICS.outputs.with_label_values(&["stdout", "sent"]).inc();
    }

    fn flush(&self) {
        let _ = self.out.lock().unwrap_or_else(|e| e.into_inner()).flush();
    }
}

/// A blocking destination, driven by a `Queued` worker.
pub trait Sink: Send + 'static {
    /// Delivers one rendered alert; an error is counted as failed.
    fn deliver(&mut self, line: &str) -> std::io::Result<()>;
}

/// A sink behind a bounded queue on its own thread.
pub struct Queued {
    name: &'static str,
    format: Format,
    tx: Mutex<Option<SyncSender<String>>>,
    worker: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Queued {
    pub fn new(name: &'static str, format: Format, capacity: usize, mut sink: impl Sink) -> Self {
        let (tx, rx) = sync_channel::<String>(capacity.max(1));
        let worker = std::thread::Builder::new()
            .name(format!("osprey-out-{name}"))
            .spawn(move || {
                for line in rx {
                    let outcome = match sink.deliver(&line) {
                        Ok(()) => "sent",
                        Err(e) => {
                            eprintln!("osprey: {name} output: {e}");
                            "failed"
                        }
                    };
                    METRICS.outputs.with_label_values(&[name, outcome]).inc();
                }
            })
            .expect("spawn output worker");
        Self { name, format, tx: Mutex::new(Some(tx)), worker: Mutex::new(Some(worker)) }
    }
}

impl Output for Queued {
    fn name(&self) -> &str {
        self.name
    }

    fn emit(&self, alert: &Alert) {
        let tx = self.tx.lock().unwrap_or_else(|e| e.into_inner());
        let Some(tx) = tx.as_ref() else { return };
        match tx.try_send(self.format.render(alert)) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                METRICS.outputs.with_label_values(&[self.name, "dropped"]).inc();
            }
        }
    }

    /// Closes the queue and waits for the worker to deliver what is queued.
    fn flush(&self) {
        self.tx.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(w) = self.worker.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = w.join();
        }
    }
}

/// Every configured output.
#[derive(Default)]
pub struct Outputs {
    outputs: Vec<Box<dyn Output>>,
}

impl Outputs {
    pub fn new(outputs: Vec<Box<dyn Output>>) -> Self {
        Self { outputs }
    }

    pub fn emit(&self, alert: &Alert) {
        for o in &self.outputs {
            o.emit(alert);
        }
    }

    pub fn names(&self) -> Vec<&str> {
        self.outputs.iter().map(|o| o.name()).collect()
    }

    /// Keeps the outputs named `name` only (for `osprey alert test --output`).
    pub fn retain_named(&mut self, name: &str) {
        self.outputs.retain(|o| o.name() == name);
    }

    pub fn flush(&self) {
        for o in &self.outputs {
            o.flush();
        }
    }
}

/// The outputs `config` enables. `reopen` is set on SIGHUP (file rotation).
pub fn from_config(
    config: &crate::config::Config,
    hostname: &str,
    reopen: std::sync::Arc<std::sync::atomic::AtomicBool>,
    store: std::sync::Arc<store::AlertStore>,
) -> anyhow::Result<Outputs> {
    use anyhow::Context;
    let format = Format {
        json: config.json_output,
        include_output: config.json_include_output_property,
        include_tags: config.json_include_tags_property,
    };
    let cap = config.outputs_queue_capacity;
    let mut outputs: Vec<Box<dyn Output>> = vec![Box::new(store)];
    if config.stdout_output.enabled {
        outputs.push(Box::new(Stdout::new(format)));
    }
    let f = &config.file_output;
    if f.enabled {
        let path = f.filename.clone().context("file_output.filename is required when file_output is enabled")?;
        outputs.push(Box::new(Queued::new("file", format, cap, sinks::FileSink::new(path, f.keep_alive, reopen))));
    }
    let s = &config.syslog_output;
    if s.enabled {
        let sink = sinks::SyslogSink::new(&s.address, &s.format, s.facility, hostname.to_string())
            .map_err(|e| e.under("syslog_output"))?;
        outputs.push(Box::new(Queued::new("syslog", format, cap, sink)));
    }
    let p = &config.program_output;
    if p.enabled {
        let program = p.program.clone().context("program_output.program is required when program_output is enabled")?;
        outputs.push(Box::new(Queued::new("program", format, cap, sinks::ProgramSink::new(program, p.keep_alive))));
    }
    let h = &config.http_output;
    if h.enabled {
        let url = h.url.clone().context("http_output.url is required when http_output is enabled")?;
        // HTTP receivers want JSON whatever json_output says.
        let json = Format { json: true, ..format };
        outputs.push(Box::new(Queued::new("http", json, cap, sinks::HttpSink::new(url, h.user_agent.clone()))));
    }
    for (i, route) in config.router.iter().enumerate() {
        let started = router::Route::start(route, cap).with_context(|| format!("router[{i}]"))?;
        outputs.push(Box::new(started));
    }
    Ok(Outputs::new(outputs))
}

fn yes() -> bool {
    true
}

/// `stdout_output`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StdoutConfig {
    #[serde(default = "yes")]
    pub enabled: bool,
}

impl Default for StdoutConfig {
    fn default() -> Self {
        Self { enabled: true }
    }
}

/// `file_output`: append to `filename`; SIGHUP reopens it (for logrotate).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    #[serde(default)]
    pub enabled: bool,
    /// Keep the file open between alerts (Falco's default is to reopen).
    #[serde(default)]
    pub keep_alive: bool,
    #[serde(default)]
    pub filename: Option<std::path::PathBuf>,
}

/// `syslog_output`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyslogConfig {
    #[serde(default)]
    pub enabled: bool,
    /// `/dev/log` (a Unix socket path), `udp://host:port` or `tcp://host:port`.
    #[serde(default = "default_syslog_address")]
    pub address: String,
    /// `rfc5424` or `rfc3164`.
    #[serde(default = "default_syslog_format")]
    pub format: String,
    /// Facility number (16 = local0).
    #[serde(default = "default_facility")]
    pub facility: u8,
}

fn default_syslog_address() -> String {
    "/dev/log".into()
}
fn default_syslog_format() -> String {
    "rfc5424".into()
}
fn default_facility() -> u8 {
    16
}

impl Default for SyslogConfig {
    fn default() -> Self {
        serde_norway::from_str("{}").expect("defaults deserialize")
    }
}

/// `program_output`: pipe alerts into a shell command, restarted if it exits.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgramConfig {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub keep_alive: bool,
    #[serde(default)]
    pub program: Option<String>,
}

/// `http_output`: POST each alert (JSON) to `url`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub user_agent: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::loader::Priority;

    fn alert() -> Alert {
        Alert {
            hostname: "h".into(),
            output: "12:00:00.000000000: Warning x".into(),
            output_fields: Default::default(),
            priority: Priority::Warning,
            rule: "r".into(),
            source: "syscall",
            tags: vec!["t".into()],
            time: "1970-01-01T00:00:00.000000000Z".into(),
        }
    }

    #[test]
    fn urls_in_logs_keep_their_secrets() {
        assert_eq!(redact_url("https://hooks.slack.com/services/T0/B0/XXXX"), "https://hooks.slack.com/…");
        assert_eq!(redact_url("http://user:pw@10.0.0.1:9200"), "http://10.0.0.1:9200");
        assert_eq!(redact_url("https://h/?token=s"), "https://h/…");
        assert_eq!(redact_url("not a url"), "<url>");
    }

    #[test]
    fn formats_follow_falco_options() {
        let f = Format { json: true, include_output: false, include_tags: true };
        let v: serde_json::Value = serde_json::from_str(&f.render(&alert())).unwrap();
        assert!(v.get("output").is_none() && v["tags"][0] == "t" && v["rule"] == "r");
        let f = Format { json: false, include_output: true, include_tags: true };
        assert_eq!(f.render(&alert()), "12:00:00.000000000: Warning x");
    }

    #[test]
    fn text_alerts_spell_out_control_characters() {
        let mut forged = alert();
        forged.output = "uri=/x\n12:00:00.000000000: Critical forged\r\x1b[31m\0\u{9b}\x7f\tend".into();
        let f = Format { json: false, include_output: true, include_tags: true };
        assert_eq!(f.render(&forged), "uri=/x\\n12:00:00.000000000: Critical forged\\r\\x1b[31m\\0\\u{9b}\\x7f\tend");
        // JSON keeps the value as it was; serde escapes it.
        let f = Format { json: true, include_output: true, include_tags: true };
        let v: serde_json::Value = serde_json::from_str(&f.render(&forged)).unwrap();
        assert_eq!(v["output"], forged.output.as_str());
        assert!(matches!(escape_controls("plain ünïcode"), std::borrow::Cow::Borrowed(_)));
    }

    struct Slow(std::sync::mpsc::Receiver<()>);
    impl Sink for Slow {
        fn deliver(&mut self, _: &str) -> std::io::Result<()> {
            let _ = self.0.recv();
            Ok(())
        }
    }

    #[test]
    fn a_stuck_destination_drops_instead_of_blocking() {
        let (release, gate) = std::sync::mpsc::channel();
        let q =
            Queued::new("test-slow", Format { json: true, include_output: true, include_tags: true }, 2, Slow(gate));
        let start = std::time::Instant::now();
        for _ in 0..100 {
            q.emit(&alert());
        }
        assert!(start.elapsed() < std::time::Duration::from_secs(1), "emit blocked");
        let dropped = METRICS.outputs.with_label_values(&["test-slow", "dropped"]).get();
        assert!(dropped >= 97, "dropped {dropped}");
        drop(release);
        q.flush();
    }
}
