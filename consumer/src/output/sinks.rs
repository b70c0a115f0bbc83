//! The blocking destinations behind `Queued`: file, program, syslog, HTTP.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::net::{TcpStream, UdpSocket};
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::Sink;
use crate::config::Invalid;

/// Appends lines to a file; `reopen` (set on SIGHUP) makes it reopen the path
/// before the next write, so logrotate can move the old file away.
pub struct FileSink {
    path: PathBuf,
    keep_alive: bool,
    file: Option<File>,
    reopen: Arc<AtomicBool>,
}

impl FileSink {
    pub fn new(path: PathBuf, keep_alive: bool, reopen: Arc<AtomicBool>) -> Self {
        Self { path, keep_alive, file: None, reopen }
    }
}

impl Sink for FileSink {
    fn deliver(&mut self, line: &str) -> io::Result<()> {
        if self.reopen.swap(false, Ordering::AcqRel) || !self.keep_alive {
            self.file = None;
        }
        if self.file.is_none() {
            self.file = Some(OpenOptions::new().create(true).append(true).open(&self.path)?);
        }
        let file = self.file.as_mut().expect("opened");
        file.write_all(format!("{line}\n").as_bytes())
    }
}

/// Pipes lines into `sh -c PROGRAM`, restarting it when it has exited.
pub struct ProgramSink {
    program: String,
    keep_alive: bool,
    child: Option<(Child, ChildStdin)>,
}

impl ProgramSink {
    pub fn new(program: String, keep_alive: bool) -> Self {
        Self { program, keep_alive, child: None }
    }

    fn close(&mut self) {
        if let Some((mut child, stdin)) = self.child.take() {
            drop(stdin);
            let _ = child.wait();
        }
    }
}

impl Sink for ProgramSink {
    fn deliver(&mut self, line: &str) -> io::Result<()> {
        if let Some((child, _)) = self.child.as_mut() {
            if child.try_wait()?.is_some() {
                self.child = None;
            }
        }
        if self.child.is_none() {
            let mut child = Command::new("/bin/sh").arg("-c").arg(&self.program).stdin(Stdio::piped()).spawn()?;
            let stdin = child.stdin.take().expect("piped");
            self.child = Some((child, stdin));
        }
        let result = self.child.as_mut().expect("started").1.write_all(format!("{line}\n").as_bytes());
        if result.is_err() || !self.keep_alive {
            // Without keep_alive Falco runs the program once per alert.
            self.close();
        }
        result
    }
}

impl Drop for ProgramSink {
    fn drop(&mut self) {
        self.close();
    }
}

enum SyslogTransport {
    Unix(PathBuf),
    Udp(String),
    Tcp(String),
}

/// Syslog over a Unix socket, UDP or TCP (octet-counted framing), RFC 5424
/// or RFC 3164.
pub struct SyslogSink {
    transport: SyslogTransport,
    rfc5424: bool,
    facility: u8,
    hostname: String,
    tcp: Option<TcpStream>,
}

impl SyslogSink {
    /// The sink `syslog_output` describes; an error names the key that is
    /// wrong (`address`, `format`, `facility`).
    pub fn new(address: &str, format: &str, facility: u8, hostname: String) -> Result<Self, Invalid> {
        let network = |a: &str| match a.rsplit_once(':').map(|(host, port)| (host, port.parse::<u16>())) {
            Some((host, Ok(port))) if !host.is_empty() && port != 0 => Ok(a.to_string()),
            _ => Err(Invalid::new("address", format!("'{address}': want host:port with a port in 1..=65535"))),
        };
        let transport = if let Some(a) = address.strip_prefix("udp://") {
            SyslogTransport::Udp(network(a)?)
        } else if let Some(a) = address.strip_prefix("tcp://") {
            SyslogTransport::Tcp(network(a)?)
        } else if address.starts_with('/') {
            SyslogTransport::Unix(address.into())
        } else {
            return Err(Invalid::new(
                "address",
                format!("syslog address '{address}': use /path, udp://host:port or tcp://host:port"),
            ));
        };
        let rfc5424 = match format {
            "rfc5424" => true,
            "rfc3164" => false,
            other => return Err(Invalid::new("format", format!("syslog format '{other}': use rfc5424 or rfc3164"))),
        };
        if facility > 23 {
            return Err(Invalid::new("facility", format!("syslog facility {facility}: must be 0..=23")));
        }
        let hostname = super::escape_controls(&hostname).into_owned();
        Ok(Self { transport, rfc5424, facility, hostname, tcp: None })
    }

    /// One syslog message for an alert line (JSON or text). Control
    /// characters are spelt out whatever the line's format: a receiver that
    /// splits on newlines (UDP, RFC 3164 files) must see one message.
    pub fn message(&self, line: &str) -> String {
        let line = super::escape_controls(line);
        let severity = syslog_severity(&line);
        let pri = u16::from(self.facility) * 8 + u16::from(severity);
        let now = crate::rules::time::rfc3339(
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64),
        );
        if self.rfc5424 {
            format!("<{pri}>1 {now} {} osprey {} - - {line}", self.hostname, std::process::id())
        } else {
            // RFC 3164 wants "Mmm dd hh:mm:ss"; the ISO time is accepted by rsyslog too.
            format!("<{pri}>{} {} osprey[{}]: {line}", &now[..19], self.hostname, std::process::id())
        }
    }
}

/// Syslog severity for the alert's priority (they share the scale).
fn syslog_severity(line: &str) -> u8 {
    const NAMES: [&str; 8] = ["Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug"];
    NAMES
        .iter()
        .position(|n| line.contains(&format!("\"priority\":\"{n}\"")) || line.contains(&format!(": {n} ")))
        .unwrap_or(5) as u8
}

impl Sink for SyslogSink {
    fn deliver(&mut self, line: &str) -> io::Result<()> {
        let msg = self.message(line);
        match &self.transport {
            SyslogTransport::Unix(path) => UnixDatagram::unbound()?.send_to(msg.as_bytes(), path).map(drop),
            SyslogTransport::Udp(addr) => UdpSocket::bind("0.0.0.0:0")?.send_to(msg.as_bytes(), addr).map(drop),
            SyslogTransport::Tcp(addr) => {
                if self.tcp.is_none() {
                    self.tcp = Some(TcpStream::connect(addr)?);
                }
                let framed = format!("{} {msg}", msg.len());
                let result = self.tcp.as_mut().expect("connected").write_all(framed.as_bytes());
                if result.is_err() {
                    self.tcp = None;
                }
                result
            }
        }
    }
}

/// POSTs each JSON alert; failures are retried with exponential backoff
/// and jitter a few times before counting as failed.
pub struct HttpSink {
    url: String,
    agent: ureq::Agent,
    user_agent: String,
}

impl HttpSink {
    pub fn new(url: String, user_agent: Option<String>) -> Self {
        let agent = ureq::Agent::config_builder().timeout_global(Some(Duration::from_secs(10))).build().new_agent();
        Self { url, agent, user_agent: user_agent.unwrap_or_else(|| format!("osprey/{}", env!("CARGO_PKG_VERSION"))) }
    }
}

impl Sink for HttpSink {
    fn deliver(&mut self, line: &str) -> io::Result<()> {
        let mut delay = Duration::from_millis(100);
        let mut last = String::new();
        for _ in 0..4 {
            let sent = self
                .agent
                .post(&self.url)
                .header("content-type", "application/json")
                .header("user-agent", &self.user_agent)
                .send(line);
            match sent {
                Ok(_) => return Ok(()),
                Err(e) => last = e.to_string(),
            }
            let jitter = Duration::from_millis(u64::from(std::process::id() % 50));
            std::thread::sleep(delay + jitter);
            delay *= 2;
        }
        Err(io::Error::other(format!("POST {}: {last}", super::redact_url(&self.url))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syslog_settings_name_the_key_that_is_wrong() {
        let key = |address: &str, format: &str, facility: u8| {
            SyslogSink::new(address, format, facility, String::new()).err().map(|e| e.key)
        };
        assert_eq!(key("udp://127.0.0.1:514", "rfc5424", 16), None);
        assert_eq!(key("tcp://[::1]:6514", "rfc3164", 0), None);
        assert_eq!(key("udp://127.0.0.1:99999", "rfc5424", 16).as_deref(), Some("address"));
        assert_eq!(key("tcp://nohostport", "rfc5424", 16).as_deref(), Some("address"));
        assert_eq!(key("udp://:514", "rfc5424", 16).as_deref(), Some("address"));
        assert_eq!(key("carrier-pigeon", "rfc5424", 16).as_deref(), Some("address"));
        assert_eq!(key("/dev/log", "rfc1149", 16).as_deref(), Some("format"));
        assert_eq!(key("/dev/log", "rfc5424", 24).as_deref(), Some("facility"));
    }

    #[test]
    fn syslog_messages_hold_no_control_characters() {
        for format in ["rfc5424", "rfc3164"] {
            let sink = SyslogSink::new("udp://127.0.0.1:9", format, 16, "node\n1".into()).unwrap();
            let msg = sink.message("12:00:00.000000000: Warning uri=/a\nforged\x1b[2J\0");
            assert!(!msg.contains(|c: char| c.is_control()), "{msg:?}");
            assert!(msg.ends_with("Warning uri=/a\\nforged\\x1b[2J\\0") && msg.contains("node\\n1"), "{msg}");
            assert!(msg.starts_with("<132>"), "the severity is still read: {msg}");
        }
    }
}
