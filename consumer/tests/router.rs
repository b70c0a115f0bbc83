//! The router against real services on loopback: nats-server (with
//! JetStream), redis-server, mosquitto, Prometheus Alertmanager (Debian
//! packages) and moto's SNS/SQS (PyPI), installed by scripts/test.sh; and a
//! local HTTP receiver that checks each chat/log service's documented payload.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

#[path = "support/server.rs"]
mod server;
use server::{free_port, spawn, wait_until};

fn listening(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).is_ok()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("osprey-router-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `osprey alert test --config CONFIG`: (success, stderr).
fn alert_test(config: &Path, output: Option<&str>) -> (bool, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_osprey"));
    cmd.args(["alert", "test", "--config"]).arg(config);
    if let Some(o) = output {
        cmd.args(["--output", o]);
    }
    let out = cmd.output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[path = "support/http_receiver.rs"]
mod http_receiver;
use http_receiver::Received;

fn http_receiver() -> (u16, Received) {
    let (port, got, _) = http_receiver::start(true);
    (port, got)
}

fn body_for(got: &Received, path: &str) -> Value {
    let got = got.lock().unwrap();
    let (_, _, body) = got.iter().find(|(p, _, _)| p == path).unwrap_or_else(|| panic!("nothing POSTed to {path}"));
    serde_json::from_str(body).unwrap_or(Value::String(body.clone()))
}

#[test]
fn chat_and_log_services_get_their_documented_payloads() {
    let dir = temp_dir("http");
    let (port, got) = http_receiver();
    let base = format!("http://127.0.0.1:{port}");
    let syslog = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    syslog.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let syslog_port = syslog.local_addr().unwrap().port();
    let config = dir.join("osprey.yaml");
    std::fs::write(
        &config,
        format!(
            "stdout_output: {{enabled: false}}\nrouter:\n\
             - {{type: webhook, url: '{base}/hook', custom_fields: {{cluster: lab}}, headers: {{X-Api-Key: k1}}}}\n\
             - {{type: slack, url: '{base}/slack'}}\n\
             - {{type: mattermost, url: '{base}/mattermost'}}\n\
             - {{type: teams, url: '{base}/teams'}}\n\
             - {{type: discord, url: '{base}/discord'}}\n\
             - {{type: loki, url: '{base}'}}\n\
             - {{type: elasticsearch, url: '{base}', index: sec}}\n\
             - {{type: webhook, name: pager, url: '{base}/pager', minimumpriority: critical}}\n\
             - {{type: syslog, address: 'udp://127.0.0.1:{syslog_port}', syslog_format: rfc3164}}\n"
        ),
    )
    .unwrap();
    let (ok, err) = alert_test(&config, None);
    assert!(ok, "{err}");
    // Falco's alert, with the custom field added.
    let hook = body_for(&got, "/hook");
    assert_eq!((hook["rule"].as_str(), hook["priority"].as_str()), (Some("Test rule"), Some("Debug")));
    assert_eq!(hook["output_fields"]["cluster"], "lab");
    assert!(hook["time"].as_str().unwrap().ends_with('Z') && hook["output"].as_str().unwrap().contains("test alert"));
    // Slack (and Mattermost): text plus an attachment with colour and fields.
    for path in ["/slack", "/mattermost"] {
        let m = body_for(&got, path);
        assert!(m["text"].is_string(), "{m}");
        let att = &m["attachments"][0];
        assert!(
            att["color"].as_str().unwrap().starts_with('#') && att["title"].as_str().unwrap().contains("Test rule")
        );
        assert!(att["fields"].as_array().unwrap().iter().all(|f| f["title"].is_string() && f["value"].is_string()));
    }
    // Teams: a message carrying an Adaptive Card.
    let t = body_for(&got, "/teams");
    assert_eq!(t["type"], "message");
    assert_eq!(t["attachments"][0]["contentType"], "application/vnd.microsoft.card.adaptive");
    let card = &t["attachments"][0]["content"];
    assert_eq!(card["type"], "AdaptiveCard");
    assert!(card["body"].as_array().unwrap().iter().all(|b| b["type"].is_string()));
    // Discord: content and an embed within Discord's limits.
    let d = body_for(&got, "/discord");
    assert!(d["content"].as_str().unwrap().len() <= 2000);
    let e = &d["embeds"][0];
    assert!(e["title"].is_string() && e["description"].is_string() && e["color"].is_u64());
    assert!(e["fields"].as_array().unwrap().len() <= 25);
    // Loki's push API: streams of string labels and [ns, line] values.
    let l = body_for(&got, "/loki/api/v1/push");
    let stream = &l["streams"][0];
    assert!(stream["stream"].as_object().unwrap().values().all(Value::is_string));
    let value = &stream["values"][0];
    assert!(value[0].as_str().unwrap().parse::<u64>().unwrap() > 1_700_000_000_000_000_000);
    assert_eq!(serde_json::from_str::<Value>(value[1].as_str().unwrap()).unwrap()["rule"], "Test rule");
    // Elasticsearch bulk: NDJSON action + document, index per day.
    let bulk = got.lock().unwrap().iter().find(|(p, _, _)| p == "/_bulk").cloned().unwrap();
    assert_eq!(bulk.1, "application/x-ndjson");
    let lines: Vec<Value> = bulk.2.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let index = lines[0]["index"]["_index"].as_str().unwrap();
    assert!(index.starts_with("sec-20") && index.len() == "sec-2026.11.28".len(), "{index}");
    assert!(lines[1]["@timestamp"].is_string() && lines[1]["rule"] == "Test rule");
    // syslog (RFC 3164 over UDP): priority local0.debug, the JSON alert as message.
    let mut datagram = [0u8; 65536];
    let n = syslog.recv(&mut datagram).unwrap();
    let message = String::from_utf8_lossy(&datagram[..n]);
    assert!(message.starts_with("<135>") && message.contains("\"rule\":\"Test rule\""), "{message}");
    // minimumpriority: the Debug test alert does not reach a critical-only route.
    assert!(!got.lock().unwrap().iter().any(|(p, _, _)| p == "/pager"));
    // --output picks one destination; an unknown name is an error naming the choices.
    got.lock().unwrap().clear();
    assert!(alert_test(&config, Some("discord")).0);
    assert!(got.lock().unwrap().iter().all(|(p, _, _)| p == "/discord"));
    let (ok, err) = alert_test(&config, Some("nope"));
    assert!(!ok && err.contains("no such output") && err.contains("slack"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A minimal NATS client for the test side: request/reply and subscriptions.
struct NatsClient {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl NatsClient {
    fn connect(port: u16) -> Self {
        let writer = TcpStream::connect(("127.0.0.1", port)).unwrap();
        writer.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let mut reader = BufReader::new(writer.try_clone().unwrap());
        let mut info = String::new();
        reader.read_line(&mut info).unwrap();
        let mut c = NatsClient { reader, writer };
        c.send("CONNECT {\"verbose\":false}\r\nPING\r\n");
        assert_eq!(c.next_line(), "PONG");
        c
    }

    fn send(&mut self, s: &str) {
        self.writer.write_all(s.as_bytes()).unwrap();
    }

    fn next_line(&mut self) -> String {
        let mut l = String::new();
        self.reader.read_line(&mut l).unwrap();
        l.trim_end().to_string()
    }

    /// The payload of the next MSG.
    fn next_msg(&mut self) -> String {
        loop {
            let line = self.next_line();
            if line == "PING" {
                self.send("PONG\r\n");
                continue;
            }
            if let Some(rest) = line.strip_prefix("MSG ") {
                let len: usize = rest.rsplit(' ').next().unwrap().parse().unwrap();
                let mut body = vec![0; len + 2];
                self.reader.read_exact(&mut body).unwrap();
                return String::from_utf8_lossy(&body[..len]).into_owned();
            }
        }
    }

    fn request(&mut self, subject: &str, payload: &str) -> Value {
        self.send(&format!("SUB _INBOX.test 9\r\nPUB {subject} _INBOX.test {}\r\n{payload}\r\n", payload.len()));
        let reply = serde_json::from_str(&self.next_msg()).unwrap();
        self.send("UNSUB 9\r\n");
        reply
    }
}

/// Waits for one MQTT message on `topic` (QoS 0 subscription) in a thread.
fn mqtt_subscribe(port: u16, topic: &str) -> std::thread::JoinHandle<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let string = |v: &str| [(v.len() as u16).to_be_bytes().to_vec(), v.as_bytes().to_vec()].concat();
    let connect = [string("MQTT"), vec![4, 2, 0, 60], string("osprey-test-sub")].concat();
    s.write_all(&[&[0x10, connect.len() as u8][..], &connect].concat()).unwrap();
    let mut connack = [0; 4];
    s.read_exact(&mut connack).unwrap();
    let sub = [vec![0, 1], string(topic), vec![0]].concat();
    s.write_all(&[&[0x82, sub.len() as u8][..], &sub].concat()).unwrap();
    let mut suback = [0; 5];
    s.read_exact(&mut suback).unwrap();
    std::thread::spawn(move || {
        let mut head = [0u8; 1];
        s.read_exact(&mut head).unwrap();
        let (mut len, mut shift) = (0usize, 0);
        loop {
            let mut b = [0u8; 1];
            s.read_exact(&mut b).unwrap();
            len |= ((b[0] & 0x7f) as usize) << shift;
            shift += 7;
            if b[0] & 0x80 == 0 {
                break;
            }
        }
        let mut body = vec![0; len];
        s.read_exact(&mut body).unwrap();
        let topic_len = u16::from_be_bytes([body[0], body[1]]) as usize;
        String::from_utf8_lossy(&body[2 + topic_len..]).into_owned()
    })
}

#[test]
fn brokers_alertmanager_and_aws_receive_alerts() {
    let dir = temp_dir("brokers");
    let d = |p: &str| dir.join(p).display().to_string();
    let (nats, redis, mqtt, am, moto) = (free_port(), free_port(), free_port(), free_port(), free_port());
    let _nats = spawn("/usr/sbin/nats-server", &["-a", "127.0.0.1", "-p", &nats.to_string(), "-js", "-sd", &d("js")]);
    let _redis = spawn(
        "/usr/bin/redis-server",
        &["--port", &redis.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", &d("")],
    );
    std::fs::write(dir.join("mosquitto.conf"), format!("listener {mqtt} 127.0.0.1\nallow_anonymous true\n")).unwrap();
    let _mosquitto = spawn("/usr/sbin/mosquitto", &["-c", &d("mosquitto.conf")]);
    std::fs::write(dir.join("am.yml"), "route:\n  receiver: none\nreceivers:\n  - name: none\n").unwrap();
    let _am = spawn(
        "/usr/bin/prometheus-alertmanager",
        &[
            "--config.file",
            &d("am.yml"),
            "--storage.path",
            &d("am"),
            "--web.listen-address",
            &format!("127.0.0.1:{am}"),
            "--cluster.listen-address",
            "",
        ],
    );
    let _moto = spawn("python3", &["-m", "moto.server", "-H", "127.0.0.1", "-p", &moto.to_string()]);
    for (what, port) in
        [("nats-server", nats), ("redis", redis), ("mosquitto", mqtt), ("alertmanager", am), ("moto", moto)]
    {
        wait_until(what, || listening(port));
    }
    // JetStream needs a stream for the subject; core NATS a live subscriber.
    let mut js = NatsClient::connect(nats);
    let created = js.request("$JS.API.STREAM.CREATE.OSPREY", r#"{"name":"OSPREY","subjects":["osprey.js.>"]}"#);
    assert!(created.get("error").is_none(), "{created}");
    let mut sub = NatsClient::connect(nats);
    sub.send("SUB osprey.alerts 1\r\nPING\r\n");
    assert_eq!(sub.next_line(), "PONG");
    let mqtt_msg = mqtt_subscribe(mqtt, "osprey/debug");
    let aws = |args: &[&str]| {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/aws.py");
        let out =
            Command::new("python3").arg(script).arg(format!("http://127.0.0.1:{moto}")).args(args).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let setup = aws(&["setup"]);
    let [topic, direct, fanout]: [&str; 3] = setup.lines().collect::<Vec<_>>().try_into().unwrap();
    let aws_keys = "region: eu-west-1, access_key_id: testing, secret_access_key: testing";
    let config = dir.join("osprey.yaml");
    std::fs::write(
        &config,
        format!(
            "stdout_output: {{enabled: false}}\nrouter:\n\
             - {{type: nats, address: '127.0.0.1:{nats}'}}\n\
             - {{type: jetstream, address: '127.0.0.1:{nats}', target: 'osprey.js.{{priority}}'}}\n\
             - {{type: redis, address: '127.0.0.1:{redis}'}}\n\
             - {{type: redis, name: redis-stream, address: '127.0.0.1:{redis}', redis_type: stream, target: 'osprey:stream'}}\n\
             - {{type: mqtt, address: '127.0.0.1:{mqtt}', target: 'osprey/{{priority}}'}}\n\
             - {{type: alertmanager, url: 'http://127.0.0.1:{am}'}}\n\
             - {{type: sns, topic_arn: '{topic}', endpoint: 'http://127.0.0.1:{moto}', {aws_keys}}}\n\
             - {{type: sqs, queue_url: '{direct}', endpoint: 'http://127.0.0.1:{moto}', {aws_keys}}}\n"
        ),
    )
    .unwrap();
    let (ok, err) = alert_test(&config, None);
    assert!(ok, "{err}");
    let rule = |json: &str| serde_json::from_str::<Value>(json).unwrap()["rule"].as_str().unwrap().to_string();
    assert_eq!(rule(&sub.next_msg()), "Test rule");
    let info = js.request("$JS.API.STREAM.INFO.OSPREY", "");
    assert_eq!(info["state"]["messages"], 1, "{info}");
    let redis_cli = |args: &[&str]| {
        let out = Command::new("redis-cli").args(["-p", &redis.to_string()]).args(args).output().unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(rule(redis_cli(&["LPOP", "osprey:alerts"]).trim()), "Test rule");
    assert!(redis_cli(&["XRANGE", "osprey:stream", "-", "+"]).contains("Test rule"));
    assert_eq!(rule(&mqtt_msg.join().unwrap()), "Test rule");
    let alerts: Value = ureq_get(&format!("http://127.0.0.1:{am}/api/v2/alerts"));
    let names: Vec<&str> =
        alerts.as_array().unwrap().iter().filter_map(|a| a["labels"]["alertname"].as_str()).collect();
    assert_eq!(names, ["Test rule"], "{alerts}");
    assert_eq!(rule(aws(&["read", direct]).trim()), "Test rule");
    assert_eq!(rule(aws(&["read", fanout]).trim()), "Test rule");
    std::fs::remove_dir_all(&dir).unwrap();
}

fn ureq_get(url: &str) -> Value {
    let out = Command::new("curl").args(["-sf", url]).output().unwrap();
    assert!(out.status.success(), "GET {url}");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A dead destination neither blocks the others nor loses alerts silently.
#[test]
fn a_dead_destination_drops_and_counts_without_blocking() {
    let dir = temp_dir("dead");
    let (port, got) = http_receiver();
    let dead = free_port();
    let config = dir.join("osprey.yaml");
    std::fs::write(
        &config,
        format!(
            "stdout_output: {{enabled: false}}\nrouter:\n\
             - {{type: webhook, name: dead, url: 'http://127.0.0.1:{dead}/x', queue_capacity: 2}}\n\
             - {{type: webhook, name: alive, url: 'http://127.0.0.1:{port}/alive'}}\n"
        ),
    )
    .unwrap();
    let (ok, err) = alert_test(&config, None);
    assert!(!ok && err.contains("could not be delivered to: dead"), "{err}");
    assert!(got.lock().unwrap().iter().any(|(p, _, _)| p == "/alive"), "the live destination still got it");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Kafka, against tansu (a Kafka-protocol broker from crates.io, built by
/// scripts/test.sh): alerts produced to a topic are read back with a Kafka
/// client.
#[test]
fn kafka_broker_receives_alerts() {
    use rskafka::client::partition::{OffsetAt, UnknownTopicHandling};
    let tansu = std::env::var("OSPREY_TANSU").unwrap_or_else(|_| "/var/cache/osprey/tools/bin/tansu".into());
    assert!(Path::new(&tansu).exists(), "{tansu} missing: scripts/test.sh builds it (cargo install tansu)");
    let dir = temp_dir("kafka");
    let port = free_port();
    let url = format!("tcp://127.0.0.1:{port}");
    let _broker = spawn(
        &tansu,
        &["broker", "--listener-url", &url, "--advertised-listener-url", &url, "--storage-engine", "memory://tansu/"],
    );
    wait_until("tansu", || listening(port));
    let broker = format!("127.0.0.1:{port}");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let client = rt.block_on(rskafka::client::ClientBuilder::new(vec![broker.clone()]).build()).unwrap();
    rt.block_on(client.controller_client().unwrap().create_topic("osprey-alerts", 1, 1, 5_000)).unwrap();
    let config = dir.join("osprey.yaml");
    std::fs::write(
        &config,
        format!("stdout_output: {{enabled: false}}\nrouter:\n- {{type: kafka, address: '{broker}'}}\n"),
    )
    .unwrap();
    let (ok, err) = alert_test(&config, None);
    assert!(ok, "{err}");
    let partition = rt.block_on(client.partition_client("osprey-alerts", 0, UnknownTopicHandling::Retry)).unwrap();
    let start = rt.block_on(partition.get_offset(OffsetAt::Earliest)).unwrap();
    let (records, _) = rt.block_on(partition.fetch_records(start, 1..1_000_000, 5_000)).unwrap();
    assert_eq!(records.len(), 1, "one test alert");
    let record = &records[0].record;
    assert_eq!(record.key.as_deref(), Some(&b"Test rule"[..]));
    let alert: Value = serde_json::from_slice(record.value.as_deref().unwrap()).unwrap();
    assert_eq!(alert["rule"], "Test rule");
    std::fs::remove_dir_all(&dir).unwrap();
}
