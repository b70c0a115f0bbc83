//! Message brokers spoken to directly over TCP: NATS (and JetStream, with a
//! publish acknowledgement), Redis (list or stream) and MQTT 3.1.1 (QoS 1).
//! Each keeps one connection and reconnects after an error.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};

use super::{expand_target, Destination};
use crate::rules::engine::Alert;

const TIMEOUT: Duration = Duration::from_secs(5);

fn connect(address: &str) -> Result<(BufReader<TcpStream>, TcpStream)> {
    let stream = TcpStream::connect(address).with_context(|| format!("connecting {address}"))?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    stream.set_nodelay(true)?;
    Ok((BufReader::new(stream.try_clone()?), stream))
}

fn json(alert: &Alert) -> String {
    serde_json::to_string(alert).expect("alerts serialize")
}

/// A connection made on first use and dropped on error (the next delivery,
/// or the retry, reconnects).
struct Link<C> {
    conn: Option<C>,
}

impl<C> Link<C> {
    fn with(&mut self, open: impl FnOnce() -> Result<C>, use_it: impl FnOnce(&mut C) -> Result<()>) -> Result<()> {
        if self.conn.is_none() {
            self.conn = Some(open()?);
        }
        let result = use_it(self.conn.as_mut().expect("opened above"));
        if result.is_err() {
            self.conn = None;
        }
        result
    }
}

struct NatsConn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    inbox: String,
    next_reply: u64,
}

impl NatsConn {
    fn open(address: &str, jetstream: bool) -> Result<Self> {
        let (mut reader, mut writer) = connect(address)?;
        let mut info = String::new();
        reader.read_line(&mut info)?;
        if !info.starts_with("INFO ") {
            bail!("NATS: expected INFO, got {info:?}");
        }
        let connect = serde_json::json!({"verbose": false, "pedantic": false, "name": "osprey", "lang": "rust",
            "version": env!("CARGO_PKG_VERSION"), "protocol": 1});
        write!(writer, "CONNECT {connect}\r\n")?;
        let inbox = format!("_INBOX.osprey.{}", std::process::id());
        if jetstream {
            write!(writer, "SUB {inbox}.* 1\r\n")?;
        }
        let mut conn = Self { reader, writer, inbox, next_reply: 0 };
        conn.ping()?;
        Ok(conn)
    }

    /// PING and wait for PONG: the server has processed everything before.
    fn ping(&mut self) -> Result<()> {
        self.writer.write_all(b"PING\r\n")?;
        loop {
            match self.read_op()?.as_str() {
                "PONG" => return Ok(()),
                op if op.starts_with("-ERR") => bail!("NATS: {op}"),
                _ => {}
            }
        }
    }

    /// The next protocol line, answering the server's own PINGs.
    fn read_op(&mut self) -> Result<String> {
        loop {
            let mut line = String::new();
            if self.reader.read_line(&mut line)? == 0 {
                bail!("NATS: connection closed");
            }
            let line = line.trim_end().to_string();
            if line == "PING" {
                self.writer.write_all(b"PONG\r\n")?;
                continue;
            }
            return Ok(line);
        }
    }

    fn publish(&mut self, subject: &str, reply: Option<&str>, payload: &str) -> Result<()> {
        let reply = reply.map(|r| format!(" {r}")).unwrap_or_default();
        write!(self.writer, "PUB {subject}{reply} {}\r\n{payload}\r\n", payload.len())?;
        Ok(())
    }

    /// Publishes to a JetStream stream and waits for its acknowledgement.
    fn publish_acked(&mut self, subject: &str, payload: &str) -> Result<()> {
        self.next_reply += 1;
        let reply = format!("{}.{}", self.inbox, self.next_reply);
        self.publish(subject, Some(&reply), payload)?;
        loop {
            let op = self.read_op()?;
            if let Some(rest) = op.strip_prefix("MSG ") {
                let parts: Vec<&str> = rest.split(' ').collect();
                let len: usize = parts.last().and_then(|n| n.parse().ok()).context("NATS: bad MSG line")?;
                let mut body = vec![0; len + 2];
                self.reader.read_exact(&mut body)?;
                if parts.first() != Some(&reply.as_str()) {
                    continue;
                }
                let ack: serde_json::Value = serde_json::from_slice(&body[..len])?;
                if ack.get("error").is_some() || ack.get("stream").is_none() {
                    bail!("JetStream: {ack}");
                }
                return Ok(());
            }
            if op.starts_with("-ERR") {
                bail!("NATS: {op}");
            }
        }
    }
}

pub struct Nats {
    address: String,
    subject: String,
    jetstream: bool,
    link: Link<NatsConn>,
}

impl Nats {
    pub fn new(address: &str, subject: &str, jetstream: bool) -> Self {
        Self { address: address.into(), subject: subject.into(), jetstream, link: Link { conn: None } }
    }
}

impl Destination for Nats {
    fn deliver(&mut self, alerts: &[Alert]) -> Result<()> {
        let (address, jetstream) = (self.address.clone(), self.jetstream);
        let subject = &self.subject;
        self.link.with(
            || NatsConn::open(&address, jetstream),
            |conn| {
                for a in alerts {
                    let subject = expand_target(subject, a);
                    if jetstream {
                        conn.publish_acked(&subject, &json(a))?;
                    } else {
                        conn.publish(&subject, None, &json(a))?;
                    }
                }
                // Core NATS acknowledges nothing: a PING round trip proves the
                // server took the messages (or reports an error).
                if jetstream {
                    Ok(())
                } else {
                    conn.ping()
                }
            },
        )
    }
}

/// Redis: `RPUSH key alert` or `XADD key * alert <json>`.
pub struct Redis {
    address: String,
    key: String,
    stream: bool,
    link: Link<(BufReader<TcpStream>, TcpStream)>,
}

impl Redis {
    pub fn new(address: &str, key: &str, stream: bool) -> Self {
        Self { address: address.into(), key: key.into(), stream, link: Link { conn: None } }
    }
}

/// A command as a RESP array of bulk strings.
fn resp(parts: &[&str]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", parts.len()).into_bytes();
    for p in parts {
        out.extend_from_slice(format!("${}\r\n", p.len()).as_bytes());
        out.extend_from_slice(p.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out
}

impl Destination for Redis {
    fn deliver(&mut self, alerts: &[Alert]) -> Result<()> {
        let address = self.address.clone();
        let (key, stream) = (&self.key, self.stream);
        self.link.with(
            || connect(&address),
            |(reader, writer)| {
                for a in alerts {
                    let key = expand_target(key, a);
                    let payload = json(a);
                    let command = if stream {
                        resp(&["XADD", &key, "*", "alert", &payload])
                    } else {
                        resp(&["RPUSH", &key, &payload])
                    };
                    writer.write_all(&command)?;
                    let mut reply = String::new();
                    reader.read_line(&mut reply)?;
                    match reply.as_bytes().first() {
                        Some(b':') => {}
                        Some(b'$') => {
                            // XADD answers with the entry id as a bulk string.
                            let mut id = String::new();
                            reader.read_line(&mut id)?;
                        }
                        _ => bail!("Redis: {}", reply.trim_end()),
                    }
                }
                Ok(())
            },
        )
    }
}

/// MQTT 3.1.1 over TCP, publishing with QoS 1 (the broker acknowledges).
pub struct Mqtt {
    address: String,
    topic: String,
    next_id: u16,
    link: Link<(BufReader<TcpStream>, TcpStream)>,
}

impl Mqtt {
    pub fn new(address: &str, topic: &str) -> Self {
        Self { address: address.into(), topic: topic.into(), next_id: 0, link: Link { conn: None } }
    }
}

/// A packet: fixed header byte, remaining length (varint), body.
fn mqtt_packet(first: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![first];
    let mut len = body.len();
    loop {
        let mut byte = (len % 128) as u8;
        len /= 128;
        if len > 0 {
            byte |= 0x80;
        }
        out.push(byte);
        if len == 0 {
            break;
        }
    }
    out.extend_from_slice(body);
    out
}

fn mqtt_string(s: &str) -> Vec<u8> {
    let mut out = (s.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(s.as_bytes());
    out
}

fn mqtt_connect(address: &str) -> Result<(BufReader<TcpStream>, TcpStream)> {
    let (mut reader, mut writer) = connect(address)?;
    let mut body = mqtt_string("MQTT");
    body.extend_from_slice(&[4, 0x02, 0, 60]); // level 4, clean session, keepalive 60 s
    body.extend(mqtt_string(&format!("osprey-{}", std::process::id())));
    writer.write_all(&mqtt_packet(0x10, &body))?;
    let mut connack = [0u8; 4];
    reader.read_exact(&mut connack)?;
    if connack[0] != 0x20 || connack[3] != 0 {
        bail!("MQTT: connection refused (CONNACK {connack:?})");
    }
    Ok((reader, writer))
}

impl Destination for Mqtt {
    fn deliver(&mut self, alerts: &[Alert]) -> Result<()> {
        let address = self.address.clone();
        let topic = &self.topic;
        let next_id = &mut self.next_id;
        self.link.with(
            || mqtt_connect(&address),
            |(reader, writer)| {
                for a in alerts {
                    *next_id = next_id.wrapping_add(1).max(1);
                    let mut body = mqtt_string(&expand_target(topic, a));
                    body.extend_from_slice(&next_id.to_be_bytes());
                    body.extend_from_slice(json(a).as_bytes());
                    writer.write_all(&mqtt_packet(0x32, &body))?; // PUBLISH, QoS 1
                    let mut puback = [0u8; 4];
                    reader.read_exact(&mut puback)?;
                    if puback[0] != 0x40 || puback[2..4] != next_id.to_be_bytes() {
                        return Err(anyhow!("MQTT: unexpected reply {puback:?} to PUBLISH"));
                    }
                }
                Ok(())
            },
        )
    }
}
