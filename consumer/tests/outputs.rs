//! Falco's built-in outputs from `osprey run`: file (with SIGHUP reopen),
//! program, syslog over UDP and HTTP POST, all fed by audit alerts.

mod common;
#[path = "support/server.rs"]
mod server;
use server::wait_until;

use std::io::{Read, Write};
use std::net::{TcpListener, UdpSocket};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{traces, Osprey};

fn post(osprey: &Osprey, body: &[u8]) {
    let (status, reply) = osprey.request("POST", "/k8s-audit", None, body);
    assert_eq!(status, 200, "{reply}");
}

fn lines(path: &Path) -> usize {
    std::fs::read_to_string(path).map_or(0, |s| s.lines().count())
}

#[test]
fn file_program_syslog_and_http_outputs() {
    let dir = std::env::temp_dir().join(format!("osprey-outputs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (file, piped) = (dir.join("alerts.json"), dir.join("piped.json"));
    let syslog = UdpSocket::bind("127.0.0.1:0").unwrap();
    syslog.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let http = TcpListener::bind("127.0.0.1:0").unwrap();
    let config = dir.join("osprey.yaml");
    std::fs::write(
        &config,
        format!(
            "stdout_output: {{enabled: false}}\n\
             file_output: {{enabled: true, keep_alive: true, filename: {}}}\n\
             program_output: {{enabled: true, keep_alive: true, program: 'cat >> {}'}}\n\
             syslog_output: {{enabled: true, address: 'udp://{}', format: rfc5424}}\n\
             http_output: {{enabled: true, url: 'http://{}/alerts'}}\n",
            file.display(),
            piped.display(),
            syslog.local_addr().unwrap(),
            http.local_addr().unwrap()
        ),
    )
    .unwrap();
    let osprey = Osprey::start(&config);
    let event = std::fs::read(traces().join("create_nginx_pod_privileged.json")).unwrap();
    post(&osprey, &event);

    // HTTP: one POST with the JSON alert.
    let (mut conn, _) = http.accept().unwrap();
    let mut req = Vec::new();
    let mut buf = [0u8; 8192];
    while !String::from_utf8_lossy(&req).contains("\"rule\"") || !req.ends_with(b"}") {
        let n = conn.read(&mut buf).unwrap();
        assert!(n > 0);
        req.extend_from_slice(&buf[..n]);
    }
    let req = String::from_utf8_lossy(&req).to_string();
    assert!(req.starts_with("POST /alerts HTTP/1.1"), "{req}");
    assert!(req.to_lowercase().contains("content-type: application/json"));
    assert!(req.contains("\"rule\":\"Osprey K8s Privileged Pod Created\""));
    conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").unwrap();
    drop(conn);

    // Syslog: RFC 5424 with local0.warning (16*8+4 = 132).
    let mut msg = [0u8; 65536];
    let n = syslog.recv(&mut msg).unwrap();
    let msg = String::from_utf8_lossy(&msg[..n]).to_string();
    assert!(msg.starts_with("<132>1 "), "{msg}");
    assert!(msg.contains(" osprey ") && msg.contains("Osprey K8s Privileged Pod Created"), "{msg}");

    // File and program outputs.
    wait_until("the file output", || lines(&file) == 1);
    wait_until("the program output", || lines(&piped) == 1);

    // Rotation: move the file away, SIGHUP, and the next alert lands in a new file.
    std::fs::rename(&file, dir.join("alerts.json.1")).unwrap();
    Command::new("kill").args(["-HUP", &osprey.child.id().to_string()]).status().unwrap();
    std::thread::sleep(Duration::from_millis(100));
    post(&osprey, &event);
    let _ = http.accept().map(|(mut c, _)| {
        let _ = c.read(&mut buf);
        let _ = c.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    });
    wait_until("the reopened file", || lines(&file) == 1);
    assert_eq!(lines(&dir.join("alerts.json.1")), 1);
    wait_until("the second piped alert", || lines(&piped) == 2);

    osprey.stop();
    let alert: serde_json::Value = serde_json::from_str(std::fs::read_to_string(&file).unwrap().trim()).unwrap();
    assert_eq!(alert["source"], "k8s_audit");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A real rsyslogd (Debian's package, installed by scripts/test.sh) receives
/// the syslog output over TCP (octet-counted) and writes the message.
#[test]
fn rsyslog_receives_alerts_over_tcp() {
    let dir = std::env::temp_dir().join(format!("osprey-rsyslog-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (received, port_file) = (dir.join("received.log"), dir.join("port"));
    // rsyslogd picks its port and writes it down: a free port picked here
    // could be another test's before rsyslogd bound it.
    let conf = dir.join("rsyslog.conf");
    std::fs::write(
        &conf,
        format!(
            "global(workDirectory=\"{d}\")\nmodule(load=\"imtcp\")\n\
             input(type=\"imtcp\" port=\"0\" address=\"127.0.0.1\" listenPortFileName=\"{p}\")\n\
             template(name=\"raw\" type=\"string\" string=\"%syslogfacility-text%.%syslogseverity-text% %programname% %msg%\\n\")\n\
             *.* action(type=\"omfile\" file=\"{f}\" template=\"raw\")\n",
            d = dir.display(),
            p = port_file.display(),
            f = received.display()
        ),
    )
    .unwrap();
    let pid_file = dir.join("rsyslog.pid");
    let rsyslog =
        server::spawn("/usr/sbin/rsyslogd", &["-n", "-f", conf.to_str().unwrap(), "-i", pid_file.to_str().unwrap()]);
    let mut port = 0u16;
    wait_until("rsyslogd to listen", || {
        port = std::fs::read_to_string(&port_file).ok().and_then(|p| p.trim().parse().ok()).unwrap_or(0);
        port != 0
    });
    let config = dir.join("osprey.yaml");
    std::fs::write(
        &config,
        format!(
            "stdout_output: {{enabled: false}}\nsyslog_output: {{enabled: true, address: 'tcp://127.0.0.1:{port}'}}\n"
        ),
    )
    .unwrap();
    let osprey = Osprey::start(&config);
    post(&osprey, &std::fs::read(traces().join("create_nginx_pod_hostnetwork.json")).unwrap());
    wait_until("rsyslog to write the alert", || {
        std::fs::read_to_string(&received).is_ok_and(|s| s.contains("Osprey K8s Host Namespace Pod Created"))
    });
    let got = std::fs::read_to_string(&received).unwrap();
    let ours = got.lines().find(|l| l.contains("Host Namespace")).unwrap();
    assert!(ours.starts_with("local0.warning osprey "), "{ours}");
    osprey.stop();
    drop(rsyslog);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// With `json_output: false`, a field carrying a newline, an ANSI sequence
/// and a NUL still gives one alert line, its control characters spelt out.
#[test]
fn text_alerts_cannot_be_forged_through_event_fields() {
    let dir = common::tmpdir("text-forgery");
    let (file, config) = (dir.join("alerts.txt"), dir.join("osprey.yaml"));
    std::fs::write(
        &config,
        format!(
            "json_output: false\nstdout_output: {{enabled: false}}\n\
             file_output: {{enabled: true, filename: {}}}\n",
            file.display()
        ),
    )
    .unwrap();
    let osprey = Osprey::start(&config);
    let uri = "/api/v1/secrets\n12:00:00.000000000: Critical forged alert\r\u{1b}[2J\u{0}";
    let event = serde_json::json!({
        "kind": "Event", "apiVersion": "audit.k8s.io/v1", "auditID": "forged", "stage": "ResponseComplete",
        "verb": "get", "requestURI": uri, "stageTimestamp": "2024-01-01T00:00:00Z",
        "user": {"username": "system:anonymous", "groups": ["system:unauthenticated"]},
        "annotations": {"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": "RBAC"},
    });
    post(&osprey, event.to_string().as_bytes());
    wait_until("the text alert", || lines(&file) >= 1);
    osprey.stop();
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text.lines().count(), 1, "{text:?}");
    assert!(!text.trim_end_matches('\n').contains(|c: char| c.is_control()), "{text:?}");
    assert!(text.contains("Anonymous request allowed"), "{text}");
    assert!(text.contains(r"uri=/api/v1/secrets\n12:00:00.000000000: Critical forged alert\r\x1b[2J\0"), "{text}");
    std::fs::remove_dir_all(&dir).unwrap();
}
