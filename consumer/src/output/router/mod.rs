//! The built-in router (what Falcosidekick does, inside Osprey): each
//! configured destination gets the alerts at or above its `minimumpriority`,
//! through its own bounded queue and thread, in batches where its API takes
//! them, retried with exponential backoff and jitter. Counters per
//! destination: `osprey_output_total{output="<name>", outcome="sent|failed|dropped"}`.

mod aws;
mod brokers;
mod http;
mod kafka;

use std::collections::BTreeMap;
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use serde::Deserialize;

use super::Output;
use crate::metrics::METRICS;
use crate::rules::engine::Alert;
use crate::rules::loader::Priority;

/// One kind of destination: turns a batch of alerts into one delivery.
pub trait Destination: Send + 'static {
    /// Delivers `alerts` (at most `max_batch()` of them); an error is retried.
    fn deliver(&mut self, alerts: &[Alert]) -> Result<()>;

    /// Most alerts one delivery carries (1 where the API takes one at a time).
    fn max_batch(&self) -> usize {
        1
    }
}

/// Which service a route delivers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Webhook,
    Slack,
    Mattermost,
    Teams,
    Discord,
    Loki,
    Elasticsearch,
    Alertmanager,
    Nats,
    Jetstream,
    Kafka,
    Redis,
    Mqtt,
    Sns,
    Sqs,
    Syslog,
}

/// One entry of `router:` in osprey.yaml. Which keys apply depends on `type`;
/// `build` names what is missing.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteConfig {
    #[serde(rename = "type")]
    pub kind: Kind,
    /// Name in metrics and logs (default: the type).
    #[serde(default)]
    pub name: Option<String>,
    /// Least severe priority delivered.
    #[serde(default = "debug", deserialize_with = "crate::config::priority")]
    pub minimumpriority: Priority,
    /// HTTP destinations: the webhook URL, or the service's base URL (Loki,
    /// Elasticsearch, Alertmanager).
    #[serde(default)]
    pub url: Option<String>,
    /// Extra HTTP headers (an API key, basic auth…).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// NATS, Redis, MQTT: `host:port`; Kafka: bootstrap brokers, comma-separated;
    /// syslog: `/dev/log`, `udp://host:port` or `tcp://host:port`.
    #[serde(default)]
    pub address: Option<String>,
    /// NATS/JetStream subject, Kafka or MQTT topic, Redis key. May use `{priority}`,
    /// `{rule}`, `{source}` and `{hostname}`.
    #[serde(default)]
    pub target: Option<String>,
    /// syslog: `rfc5424` (the default) or `rfc3164`.
    #[serde(default)]
    pub syslog_format: Option<String>,
    /// Redis: `list` (RPUSH, the default) or `stream` (XADD).
    #[serde(default)]
    pub redis_type: Option<String>,
    /// Elasticsearch: index prefix; alerts go to `<prefix>-YYYY.MM.DD`.
    #[serde(default)]
    pub index: Option<String>,
    /// AWS: region, credentials, the SNS topic ARN or SQS queue URL, and an
    /// endpoint override (a local or compatible service).
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub access_key_id: Option<String>,
    #[serde(default)]
    pub secret_access_key: Option<String>,
    #[serde(default)]
    pub topic_arn: Option<String>,
    #[serde(default)]
    pub queue_url: Option<String>,
    #[serde(default)]
    pub endpoint: Option<String>,
    /// Fields added to every alert's `output_fields` (Falcosidekick's customfields).
    #[serde(default)]
    pub custom_fields: BTreeMap<String, String>,
    /// Most alerts per delivery where the API takes batches (Loki,
    /// Elasticsearch, Alertmanager, Kafka).
    #[serde(default = "batch_size")]
    pub batch_size: usize,
    /// Alerts queued before this destination drops (default: outputs_queue_capacity).
    #[serde(default)]
    pub queue_capacity: Option<usize>,
}

fn debug() -> Priority {
    Priority::Debug
}
fn batch_size() -> usize {
    50
}

impl RouteConfig {
    pub fn name(&self) -> String {
        self.name.clone().unwrap_or_else(|| format!("{:?}", self.kind).to_lowercase())
    }

    fn required<'a>(&self, value: &'a Option<String>, key: &str) -> Result<&'a str> {
        match value.as_deref() {
            Some(v) if !v.is_empty() => Ok(v),
            _ => bail!("router '{}' ({:?}): '{key}' is required", self.name(), self.kind),
        }
    }

    fn destination(&self) -> Result<Box<dyn Destination>> {
        let batch = self.batch_size.max(1);
        Ok(match self.kind {
            Kind::Webhook | Kind::Slack | Kind::Mattermost | Kind::Teams | Kind::Discord => {
                Box::new(http::Webhook::new(self.kind, self.required(&self.url, "url")?, &self.headers))
            }
            Kind::Loki => Box::new(http::Loki::new(self.required(&self.url, "url")?, &self.headers, batch)),
            Kind::Elasticsearch => Box::new(http::Elasticsearch::new(
                self.required(&self.url, "url")?,
                self.index.as_deref().unwrap_or("osprey"),
                &self.headers,
                batch,
            )),
            Kind::Alertmanager => {
                Box::new(http::Alertmanager::new(self.required(&self.url, "url")?, &self.headers, batch))
            }
            Kind::Nats | Kind::Jetstream => Box::new(brokers::Nats::new(
                self.required(&self.address, "address")?,
                self.target.as_deref().unwrap_or("osprey.alerts"),
                self.kind == Kind::Jetstream,
            )),
            Kind::Kafka => Box::new(kafka::Kafka::new(
                self.required(&self.address, "address")?,
                self.target.as_deref().unwrap_or("osprey-alerts"),
                batch,
            )?),
            Kind::Redis => Box::new(brokers::Redis::new(
                self.required(&self.address, "address")?,
                self.target.as_deref().unwrap_or("osprey:alerts"),
                match self.redis_type.as_deref().unwrap_or("list") {
                    "list" => false,
                    "stream" => true,
                    other => bail!("router '{}': redis_type '{other}' is not 'list' or 'stream'", self.name()),
                },
            )),
            Kind::Mqtt => Box::new(brokers::Mqtt::new(
                self.required(&self.address, "address")?,
                self.target.as_deref().unwrap_or("osprey/alerts"),
            )),
            Kind::Syslog => {
                let hostname = crate::state::hostname();
                let format = self.syslog_format.as_deref().unwrap_or("rfc5424");
                let sink =
                    super::sinks::SyslogSink::new(self.required(&self.address, "address")?, format, 16, hostname)
                        .map_err(|e| anyhow::anyhow!("router '{}': {e}", self.name()))?;
                Box::new(SinkDestination(sink))
            }
            Kind::Sns | Kind::Sqs => {
                let credentials = aws::Credentials {
                    region: self.required(&self.region, "region")?.to_string(),
                    access_key_id: self.required(&self.access_key_id, "access_key_id")?.to_string(),
                    secret_access_key: self.required(&self.secret_access_key, "secret_access_key")?.to_string(),
                };
                if self.kind == Kind::Sns {
                    let arn = self.required(&self.topic_arn, "topic_arn")?;
                    Box::new(aws::Sns::new(credentials, arn, self.endpoint.as_deref()))
                } else {
                    let url = self.required(&self.queue_url, "queue_url")?;
                    Box::new(aws::Sqs::new(credentials, url, self.endpoint.as_deref()))
                }
            }
        })
    }
}

/// One of Falco's output sinks as a router destination (the JSON alert per message).
struct SinkDestination<S>(S);

impl<S: super::Sink> Destination for SinkDestination<S> {
    fn deliver(&mut self, alerts: &[Alert]) -> Result<()> {
        for a in alerts {
            self.0.deliver(&serde_json::to_string(a)?)?;
        }
        Ok(())
    }
}

/// Attempts per delivery, and the first backoff (doubled each retry).
const ATTEMPTS: u32 = 4;
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
/// How long a worker waits for more alerts to fill a batch.
const LINGER: Duration = Duration::from_millis(200);

/// A destination behind its priority filter, bounded queue and worker thread.
pub struct Route {
    name: String,
    minimum: Priority,
    custom_fields: BTreeMap<String, String>,
    tx: Mutex<Option<SyncSender<Alert>>>,
    worker: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Route {
    pub fn start(config: &RouteConfig, default_capacity: usize) -> Result<Self> {
        let name = config.name();
        let destination = config.destination()?;
        let (tx, rx) = sync_channel::<Alert>(config.queue_capacity.unwrap_or(default_capacity).max(1));
        let worker_name = name.clone();
        let worker = std::thread::Builder::new()
            .name(format!("osprey-route-{name}"))
            .spawn(move || run_worker(&worker_name, destination, &rx))?;
        Ok(Self {
            name,
            minimum: config.minimumpriority,
            custom_fields: config.custom_fields.clone(),
            tx: Mutex::new(Some(tx)),
            worker: Mutex::new(Some(worker)),
        })
    }
}

fn run_worker(name: &str, mut destination: Box<dyn Destination>, rx: &Receiver<Alert>) {
    let max = destination.max_batch();
    let mut jitter = Jitter::seeded();
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        let deadline = Instant::now() + LINGER;
        while batch.len() < max {
            match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(alert) => batch.push(alert),
                Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        let mut backoff = FIRST_BACKOFF;
        let mut outcome = "failed";
        for attempt in 1..=ATTEMPTS {
            match destination.deliver(&batch) {
                Ok(()) => {
                    outcome = "sent";
                    break;
                }
                Err(e) if attempt == ATTEMPTS => {
                    eprintln!("osprey: router '{name}': giving up on {} alert(s): {e:#}", batch.len())
                }
                Err(_) => {
                    std::thread::sleep(backoff + jitter.upto(backoff / 2));
                    backoff *= 2;
                }
            }
        }
        METRICS.outputs.with_label_values(&[name, outcome]).inc_by(batch.len() as u64);
    }
}

/// Cheap randomness for backoff jitter (xorshift, seeded from the clock).
struct Jitter(u64);

impl Jitter {
    fn seeded() -> Self {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_nanos());
        Self((nanos as u64) | 1)
    }

    fn upto(&mut self, max: Duration) -> Duration {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        Duration::from_nanos(self.0 % (max.as_nanos() as u64).max(1))
    }
}

impl Output for Route {
    fn emit(&self, alert: &Alert) {
        if alert.priority > self.minimum {
            return;
        }
        let tx = self.tx.lock().unwrap_or_else(|e| e.into_inner());
        let Some(tx) = tx.as_ref() else { return };
        let mut alert = alert.clone();
        for (k, v) in &self.custom_fields {
            alert.output_fields.insert(k.clone(), v.clone().into());
        }
        if let Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) = tx.try_send(alert) {
            METRICS.outputs.with_label_values(&[&self.name, "dropped"]).inc();
        }
    }

    /// Closes the queue and waits until what is queued is delivered (or given up).
    fn flush(&self) {
        self.tx.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(w) = self.worker.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = w.join();
        }
    }

    fn name(&self) -> &str {
        &self.name
    }
}

/// Expands `{priority}`, `{rule}`, `{source}`, `{hostname}` in a target.
fn expand_target(template: &str, alert: &Alert) -> String {
    template
        .replace("{priority}", &alert.priority.as_str().to_lowercase())
        .replace("{rule}", &alert.rule.replace(' ', "_"))
        .replace("{source}", alert.source)
        .replace("{hostname}", &alert.hostname)
}

/// The Unix time of an alert in ns (from its RFC 3339 `time`).
fn alert_ns(alert: &Alert) -> u64 {
    crate::rules::time::parse_rfc3339(&alert.time).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn alert(priority: Priority, rule: &str) -> Alert {
        Alert {
            hostname: "node-1".into(),
            output: format!("12:00:00.000000000: {} {rule} happened", priority.as_str()),
            output_fields: [("proc.name".to_string(), serde_json::json!("cat"))].into_iter().collect(),
            priority,
            rule: rule.into(),
            source: "syscall",
            tags: vec!["host".into()],
            time: "2026-11-28T12:00:00.000000001Z".into(),
        }
    }

    struct Flaky {
        failures: u32,
        seen: std::sync::Arc<Mutex<Vec<usize>>>,
    }

    impl Destination for Flaky {
        fn deliver(&mut self, alerts: &[Alert]) -> Result<()> {
            if self.failures > 0 {
                self.failures -= 1;
                bail!("not yet");
            }
            self.seen.lock().unwrap().push(alerts.len());
            Ok(())
        }

        fn max_batch(&self) -> usize {
            10
        }
    }

    #[test]
    fn retries_then_delivers_in_batches() {
        let seen = std::sync::Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = sync_channel(100);
        for _ in 0..25 {
            tx.send(alert(Priority::Warning, "r")).unwrap();
        }
        drop(tx);
        run_worker("test-flaky", Box::new(Flaky { failures: 2, seen: seen.clone() }), &rx);
        assert_eq!(*seen.lock().unwrap(), vec![10, 10, 5]);
        assert_eq!(METRICS.outputs.with_label_values(&["test-flaky", "sent"]).get(), 25);
    }

    #[test]
    fn a_dead_destination_fills_its_queue_and_drops_without_blocking() {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let config: RouteConfig = serde_norway::from_str(&format!(
            "{{type: webhook, name: test-dead, url: 'http://127.0.0.1:{port}/', queue_capacity: 2}}"
        ))
        .unwrap();
        let route = Route::start(&config, 100).unwrap();
        let start = Instant::now();
        for _ in 0..1000 {
            route.emit(&alert(Priority::Warning, "r"));
        }
        assert!(start.elapsed() < Duration::from_millis(500), "emit blocked: {:?}", start.elapsed());
        let dropped = METRICS.outputs.with_label_values(&["test-dead", "dropped"]).get();
        assert!(dropped >= 997, "dropped {dropped}");
        route.flush();
        let failed = METRICS.outputs.with_label_values(&["test-dead", "failed"]).get();
        assert_eq!(dropped + failed, 1000, "every alert is counted once");
    }

    #[test]
    fn targets_expand_and_configs_name_what_is_missing() {
        let a = alert(Priority::Critical, "Shell in container");
        assert_eq!(expand_target("osprey.{priority}.{rule}", &a), "osprey.critical.Shell_in_container");
        let c: RouteConfig = serde_norway::from_str("type: slack").unwrap();
        let err = c.destination().err().unwrap().to_string();
        assert!(err.contains("'url' is required") && err.contains("slack"), "{err}");
        let bad: Result<RouteConfig, _> = serde_norway::from_str("type: pager");
        assert!(bad.is_err());
        let bad: Result<RouteConfig, _> = serde_norway::from_str("type: slack\nminimumpriority: loud");
        assert!(bad.unwrap_err().to_string().contains("not a priority"));
    }
}
