//! Destinations reached by an HTTP POST: chat webhooks (Slack, Mattermost,
//! Microsoft Teams, Discord), a generic webhook, Grafana Loki's push API,
//! Elasticsearch/OpenSearch's bulk API and Alertmanager's v2 API.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{anyhow, Result};
use serde_json::{json, Value};

use super::{alert_ns, Destination, Kind};
use crate::rules::engine::Alert;
use crate::rules::loader::Priority;

/// POSTs bodies to one URL with the configured headers.
struct Poster {
    url: String,
    headers: Vec<(String, String)>,
    agent: ureq::Agent,
}

impl Poster {
    fn new(url: &str, headers: &BTreeMap<String, String>) -> Self {
        let agent = ureq::Agent::config_builder().timeout_global(Some(Duration::from_secs(10))).build().new_agent();
        Self { url: url.to_string(), headers: headers.clone().into_iter().collect(), agent }
    }

    fn post(&self, path: &str, content_type: &str, body: &str) -> Result<()> {
        let url = format!("{}{path}", self.url.trim_end_matches('/'));
        let shown = super::super::redact_url(&url);
        let mut request = self.agent.post(&url).header("content-type", content_type);
        for (k, v) in &self.headers {
            request = request.header(k, v);
        }
        let mut response = request.send(body).map_err(|e| anyhow!("POST {shown}: {e}"))?;
        // Elasticsearch answers 200 with per-item errors.
        if path == "/_bulk" {
            let text = response.body_mut().read_to_string().map_err(|e| anyhow!("POST {shown}: {e}"))?;
            let reply: Value = serde_json::from_str(&text).map_err(|e| anyhow!("POST {shown}: reply: {e}"))?;
            if reply["errors"] == json!(true) {
                return Err(anyhow!("POST {shown}: bulk items failed: {reply}"));
            }
        }
        Ok(())
    }
}

/// The colour chat services show for a priority.
fn color(priority: Priority) -> u32 {
    match priority {
        Priority::Emergency | Priority::Alert | Priority::Critical | Priority::Error => 0xe01e5a,
        Priority::Warning => 0xecb22e,
        Priority::Notice => 0x2eb67d,
        Priority::Informational | Priority::Debug => 0x36c5f0,
    }
}

fn field_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "<NA>".into(),
        other => other.to_string(),
    }
}

/// Chat and generic webhooks: one message per alert, in each service's format.
pub struct Webhook {
    kind: Kind,
    poster: Poster,
}

impl Webhook {
    pub fn new(kind: Kind, url: &str, headers: &BTreeMap<String, String>) -> Self {
        Self { kind, poster: Poster::new(url, headers) }
    }

    /// The body for `alert` as the service documents its incoming webhooks.
    pub fn payload(kind: Kind, alert: &Alert) -> Value {
        let title = format!("{} | {}", alert.priority.as_str(), alert.rule);
        let fields: Vec<(&String, String)> = alert.output_fields.iter().map(|(k, v)| (k, field_text(v))).collect();
        match kind {
            // Slack's attachments; Mattermost accepts the same shape.
            Kind::Slack | Kind::Mattermost => json!({
                "text": alert.output,
                "attachments": [{
                    "color": format!("#{:06x}", color(alert.priority)),
                    "title": title,
                    "fields": fields.iter().map(|(k, v)| json!({"title": k, "value": v, "short": true})).collect::<Vec<_>>(),
                    "footer": format!("osprey on {}", alert.hostname),
                    "ts": alert_ns(alert) / 1_000_000_000,
                }],
            }),
            // A Teams workflow webhook takes an Adaptive Card in a message.
            Kind::Teams => json!({
                "type": "message",
                "attachments": [{
                    "contentType": "application/vnd.microsoft.card.adaptive",
                    "contentUrl": null,
                    "content": {
                        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                        "type": "AdaptiveCard",
                        "version": "1.4",
                        "body": [
                            {"type": "TextBlock", "size": "Medium", "weight": "Bolder", "text": title},
                            {"type": "TextBlock", "wrap": true, "text": alert.output},
                            {"type": "FactSet", "facts": fields.iter().map(|(k, v)| json!({"title": k, "value": v})).collect::<Vec<_>>()},
                        ],
                    },
                }],
            }),
            Kind::Discord => json!({
                "content": format!("**{title}**"),
                "embeds": [{
                    "title": alert.rule,
                    "description": alert.output,
                    "color": color(alert.priority),
                    "timestamp": alert.time,
                    "footer": {"text": format!("osprey on {}", alert.hostname)},
                    // Discord takes at most 25 fields.
                    "fields": fields.iter().take(25).map(|(k, v)| json!({"name": k, "value": v, "inline": true})).collect::<Vec<_>>(),
                }],
            }),
            _ => serde_json::to_value(alert).expect("alerts serialize"),
        }
    }
}

impl Destination for Webhook {
    fn deliver(&mut self, alerts: &[Alert]) -> Result<()> {
        alerts
            .iter()
            .try_for_each(|a| self.poster.post("", "application/json", &Self::payload(self.kind, a).to_string()))
    }
}

/// Grafana Loki: `POST /loki/api/v1/push`, one stream per label set.
pub struct Loki {
    poster: Poster,
    batch: usize,
}

impl Loki {
    pub fn new(url: &str, headers: &BTreeMap<String, String>, batch: usize) -> Self {
        Self { poster: Poster::new(url, headers), batch }
    }

    pub fn payload(alerts: &[Alert]) -> Value {
        let mut streams: BTreeMap<String, (Value, Vec<Value>)> = BTreeMap::new();
        for a in alerts {
            let labels = json!({
                "job": "osprey",
                "source": a.source,
                "priority": a.priority.as_str().to_lowercase(),
                "rule": a.rule,
                "hostname": a.hostname,
            });
            let line = serde_json::to_string(a).expect("alerts serialize");
            let entry = streams.entry(labels.to_string()).or_insert_with(|| (labels, Vec::new()));
            entry.1.push(json!([alert_ns(a).to_string(), line]));
        }
        json!({"streams": streams.into_values().map(|(stream, values)| json!({"stream": stream, "values": values})).collect::<Vec<_>>()})
    }
}

impl Destination for Loki {
    fn deliver(&mut self, alerts: &[Alert]) -> Result<()> {
        self.poster.post("/loki/api/v1/push", "application/json", &Self::payload(alerts).to_string())
    }

    fn max_batch(&self) -> usize {
        self.batch
    }
}

/// Elasticsearch / OpenSearch: `POST /_bulk`, one index per day.
pub struct Elasticsearch {
    poster: Poster,
    prefix: String,
    batch: usize,
}

impl Elasticsearch {
    pub fn new(url: &str, prefix: &str, headers: &BTreeMap<String, String>, batch: usize) -> Self {
        Self { poster: Poster::new(url, headers), prefix: prefix.to_string(), batch }
    }

    /// NDJSON: an action line then the document, per alert.
    pub fn payload(prefix: &str, alerts: &[Alert]) -> String {
        let mut body = String::new();
        for a in alerts {
            let day = a.time.get(..10).unwrap_or("1970-01-01").replace('-', ".");
            body.push_str(&json!({"index": {"_index": format!("{prefix}-{day}")}}).to_string());
            body.push('\n');
            let mut doc = serde_json::to_value(a).expect("alerts serialize");
            doc["@timestamp"] = json!(a.time);
            body.push_str(&doc.to_string());
            body.push('\n');
        }
        body
    }
}

impl Destination for Elasticsearch {
    fn deliver(&mut self, alerts: &[Alert]) -> Result<()> {
        self.poster.post("/_bulk", "application/x-ndjson", &Self::payload(&self.prefix, alerts))
    }

    fn max_batch(&self) -> usize {
        self.batch
    }
}

/// Prometheus Alertmanager: `POST /api/v2/alerts`.
pub struct Alertmanager {
    poster: Poster,
    batch: usize,
}

impl Alertmanager {
    pub fn new(url: &str, headers: &BTreeMap<String, String>, batch: usize) -> Self {
        Self { poster: Poster::new(url, headers), batch }
    }

    pub fn payload(alerts: &[Alert]) -> Value {
        Value::Array(
            alerts
                .iter()
                .map(|a| {
                    let mut labels = json!({
                        "alertname": a.rule,
                        "source": a.source,
                        "priority": a.priority.as_str().to_lowercase(),
                        "hostname": a.hostname,
                    });
                    // Identifying fields become labels (Alertmanager groups by them).
                    for key in ["container.id", "k8s.ns.name", "k8s.pod.name", "proc.name"] {
                        if let Some(Value::String(v)) = a.output_fields.get(key) {
                            labels[key.replace('.', "_")] = json!(v);
                        }
                    }
                    json!({
                        "labels": labels,
                        "annotations": {"summary": a.rule, "description": a.output},
                        "startsAt": a.time,
                    })
                })
                .collect(),
        )
    }
}

impl Destination for Alertmanager {
    fn deliver(&mut self, alerts: &[Alert]) -> Result<()> {
        self.poster.post("/api/v2/alerts", "application/json", &Self::payload(alerts).to_string())
    }

    fn max_batch(&self) -> usize {
        self.batch
    }
}
