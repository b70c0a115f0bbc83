//! The alert store: the last N alerts in memory, queried by the HTTP API
//! (`/api/alerts`, `/api/stats`), optionally kept in an embedded database
//! (redb) with a retention period so the UI survives restarts. It is an
//! output like any other.

use std::collections::{BTreeMap, VecDeque};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::Mutex;
use std::time::Duration;

use redb::{Database, ReadableTable, TableDefinition};

use serde::Serialize;

use super::Output;
use crate::rules::engine::Alert;
use crate::rules::loader::Priority;

#[derive(Debug, Clone, Serialize)]
pub struct Stored {
    /// Increasing from 1 for the life of the process.
    pub id: u64,
    /// ns since the epoch (from the alert's time).
    pub ts_ns: u64,
    #[serde(flatten)]
    pub alert: Alert,
}

/// Where an alert names its container, pod and namespace (syscall fields,
/// then audit fields).
const CONTAINER_FIELDS: &[&str] = &["container.id", "container.name"];
const POD_FIELDS: &[&str] = &["k8s.pod.name", "ka.target.name", "ka.resp.name"];
const NAMESPACE_FIELDS: &[&str] = &["k8s.ns.name", "ka.target.namespace"];

impl Stored {
    /// The first of `names` the alert's output has a text value for.
    fn field(&self, names: &[&str]) -> Option<&str> {
        names.iter().find_map(|n| self.alert.output_fields.get(*n)).and_then(|v| v.as_str())
    }
}

/// Filters of `/api/alerts` (all optional, combined with "and").
#[derive(Debug, Default, Clone)]
pub struct Query {
    pub since_ns: Option<u64>,
    pub until_ns: Option<u64>,
    /// At least this severe.
    pub min_priority: Option<Priority>,
    pub rule: Option<String>,
    pub source: Option<String>,
    pub tag: Option<String>,
    pub container: Option<String>,
    pub pod: Option<String>,
    pub namespace: Option<String>,
    /// Case-insensitive substring of the output.
    pub text: Option<String>,
    pub limit: usize,
    pub offset: usize,
}

impl Query {
    /// Parses a URL query string; the error names the bad parameter.
    pub fn parse(query: &str) -> Result<Self, String> {
        let mut q = Query { limit: 100, ..Default::default() };
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let v = url_decode(v);
            let num = |v: &str| v.parse::<u64>().map_err(|_| format!("query parameter '{k}': '{v}' is not a number"));
            match k {
                "since" => q.since_ns = Some(num(&v)?),
                "until" => q.until_ns = Some(num(&v)?),
                "priority" => {
                    q.min_priority = Some(
                        Priority::parse(&v)
                            .ok_or_else(|| format!("query parameter 'priority': '{v}' is not a priority"))?,
                    )
                }
                "rule" => q.rule = Some(v),
                "source" => q.source = Some(v),
                "tag" => q.tag = Some(v),
                "container" => q.container = Some(v),
                "pod" => q.pod = Some(v),
                "namespace" => q.namespace = Some(v),
                "q" => q.text = Some(v.to_lowercase()),
                "limit" => q.limit = (num(&v)? as usize).min(10_000),
                "offset" => q.offset = num(&v)? as usize,
                other => return Err(format!("unknown query parameter '{other}'")),
            }
        }
        Ok(q)
    }

    pub fn matches(&self, s: &Stored) -> bool {
        let a = &s.alert;
        self.since_ns.is_none_or(|t| s.ts_ns >= t)
            && self.until_ns.is_none_or(|t| s.ts_ns < t)
            && self.min_priority.is_none_or(|p| a.priority <= p)
            && self.rule.as_ref().is_none_or(|r| &a.rule == r)
            && self.source.as_ref().is_none_or(|src| a.source == src)
            && self.tag.as_ref().is_none_or(|t| a.tags.contains(t))
            && self.container.as_ref().is_none_or(|c| s.field(CONTAINER_FIELDS) == Some(c))
            && self.pod.as_ref().is_none_or(|p| s.field(POD_FIELDS) == Some(p))
            && self.namespace.as_ref().is_none_or(|n| s.field(NAMESPACE_FIELDS) == Some(n))
            && self.text.as_ref().is_none_or(|t| a.output.to_lowercase().contains(t))
    }
}

fn url_decode(s: &str) -> String {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
                if let Some(v) = hex {
                    out.push(v);
                    i += 2;
                } else {
                    out.push(b'%');
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[derive(Debug, Serialize)]
pub struct Page {
    pub total: usize,
    pub alerts: Vec<Stored>,
}

#[derive(Debug, Serialize, Default)]
pub struct Stats {
    pub total: usize,
    pub by_priority: BTreeMap<String, usize>,
    pub by_rule: BTreeMap<String, usize>,
    pub by_source: BTreeMap<String, usize>,
    /// Per container, pod and namespace the alerts name (`host` containers excluded).
    pub by_container: BTreeMap<String, usize>,
    pub by_pod: BTreeMap<String, usize>,
    pub by_namespace: BTreeMap<String, usize>,
    /// Alerts per minute (ns timestamp of the minute → count).
    pub per_minute: BTreeMap<u64, usize>,
}

/// The last `capacity` alerts, and a feed of new ones for live views.
pub struct AlertStore {
    capacity: usize,
    inner: Mutex<(u64, VecDeque<Stored>)>,
    live: tokio::sync::broadcast::Sender<std::sync::Arc<Stored>>,
    /// The database writer's queue, when alerts are persisted.
    persist: Mutex<Option<SyncSender<Stored>>>,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
}

/// Alerts by id, as JSON.
const ALERTS: TableDefinition<u64, &str> = TableDefinition::new("alerts");
/// Alerts the database writer may have queued before it drops.
const PERSIST_QUEUE: usize = 10_000;

impl AlertStore {
    pub fn new(capacity: usize) -> Self {
        let (live, _) = tokio::sync::broadcast::channel(1024);
        Self {
            capacity: capacity.max(1),
            inner: Mutex::new((0, VecDeque::new())),
            live,
            persist: Mutex::new(None),
            writer: Mutex::new(None),
        }
    }

    /// A store kept in the database at `path`: alerts older than `retention`
    /// are deleted (at open, then hourly), the newest `capacity` are loaded,
    /// and ids continue from the last one stored.
    pub fn open(capacity: usize, path: &std::path::Path, retention: Duration) -> anyhow::Result<Self> {
        use anyhow::Context;
        let db = Database::create(path).with_context(|| format!("alert_store_path {}", path.display()))?;
        prune(&db, retention).with_context(|| format!("alert_store_path {}: pruning", path.display()))?;
        let store = Self::new(capacity);
        {
            let read = db.begin_read()?;
            let mut inner = store.inner.lock().unwrap_or_else(|e| e.into_inner());
            if let Ok(table) = read.open_table(ALERTS) {
                for entry in table.iter()?.rev().take(store.capacity) {
                    let (_, json) = entry?;
                    match serde_json::from_str::<StoredJson>(json.value()) {
                        Ok(s) => inner.1.push_front(s.into()),
                        Err(e) => eprintln!("osprey: alert_store_path {}: skipping a bad entry: {e}", path.display()),
                    }
                }
                inner.0 = table.last()?.map_or(0, |(id, _)| id.value());
            }
        }
        let (tx, rx) = sync_channel::<Stored>(PERSIST_QUEUE);
        let writer = std::thread::Builder::new()
            .name("osprey-alert-db".into())
            .spawn(move || write_alerts(&db, &rx, retention))?;
        *store.persist.lock().unwrap_or_else(|e| e.into_inner()) = Some(tx);
        *store.writer.lock().unwrap_or_else(|e| e.into_inner()) = Some(writer);
        Ok(store)
    }

    /// New alerts as they are stored (a slow subscriber skips, never blocks).
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<std::sync::Arc<Stored>> {
        self.live.subscribe()
    }

    /// The alerts with an id above `id`, oldest first.
    pub fn after(&self, id: u64) -> Vec<Stored> {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.1.iter().filter(|s| s.id > id).cloned().collect()
    }

    /// Newest first.
    pub fn query(&self, q: &Query) -> Page {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let hits: Vec<&Stored> = inner.1.iter().rev().filter(|s| q.matches(s)).collect();
        Page { total: hits.len(), alerts: hits.into_iter().skip(q.offset).take(q.limit).cloned().collect() }
    }

    pub fn stats(&self, q: &Query) -> Stats {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let mut st = Stats::default();
        for s in inner.1.iter().filter(|s| q.matches(s)) {
            st.total += 1;
            *st.by_priority.entry(s.alert.priority.as_str().to_string()).or_default() += 1;
            *st.by_rule.entry(s.alert.rule.clone()).or_default() += 1;
            *st.by_source.entry(s.alert.source.to_string()).or_default() += 1;
            for (names, counts) in [
                (CONTAINER_FIELDS, &mut st.by_container),
                (POD_FIELDS, &mut st.by_pod),
                (NAMESPACE_FIELDS, &mut st.by_namespace),
            ] {
                if let Some(v) = s.field(names).filter(|v| !matches!(*v, "host" | "<NA>" | "")) {
                    *counts.entry(v.to_string()).or_default() += 1;
                }
            }
            *st.per_minute.entry(s.ts_ns - s.ts_ns % 60_000_000_000).or_default() += 1;
        }
        st
    }
}

/// A stored alert as the database keeps it (the alert's `source` is owned).
#[derive(serde::Deserialize)]
struct StoredJson {
    id: u64,
    ts_ns: u64,
    hostname: String,
    output: String,
    output_fields: serde_json::Map<String, serde_json::Value>,
    priority: String,
    rule: String,
    source: String,
    tags: Vec<String>,
    time: String,
}

impl From<StoredJson> for Stored {
    fn from(s: StoredJson) -> Self {
        let source = match s.source.as_str() {
            "k8s_audit" => "k8s_audit",
            _ => "syscall",
        };
        Stored {
            id: s.id,
            ts_ns: s.ts_ns,
            alert: Alert {
                hostname: s.hostname,
                output: s.output,
                output_fields: s.output_fields,
                priority: Priority::parse(&s.priority).unwrap_or(Priority::Debug),
                rule: s.rule,
                source,
                tags: s.tags,
                time: s.time,
            },
        }
    }
}

/// Deletes the alerts older than `retention`.
fn prune(db: &Database, retention: Duration) -> anyhow::Result<()> {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
    let cutoff = now.saturating_sub(retention.as_nanos() as u64);
    let write = db.begin_write()?;
    {
        let mut table = write.open_table(ALERTS)?;
        table.retain(|_, json| serde_json::from_str::<StoredJson>(json).is_ok_and(|s| s.ts_ns >= cutoff))?;
    }
    write.commit()?;
    Ok(())
}

/// The writer thread: each wake-up commits everything queued in one
/// transaction (one sync for a burst), and prunes hourly.
fn write_alerts(db: &Database, rx: &std::sync::mpsc::Receiver<Stored>, retention: Duration) {
    let mut pruned = std::time::Instant::now();
    while let Ok(first) = rx.recv() {
        let batch: Vec<Stored> = std::iter::once(first).chain(rx.try_iter()).collect();
        let result = (|| -> anyhow::Result<()> {
            let write = db.begin_write()?;
            {
                let mut table = write.open_table(ALERTS)?;
                for s in &batch {
                    table.insert(s.id, serde_json::to_string(s).unwrap_or_default().as_str())?;
                }
            }
            write.commit()?;
            if pruned.elapsed() > Duration::from_secs(3600) {
                pruned = std::time::Instant::now();
                prune(db, retention)?;
            }
            Ok(())
        })();
        let outcome = if result.is_ok() { "sent" } else { "failed" };
        if let Err(e) = result {
            eprintln!("osprey: alert store database: {e:#}");
        }
        crate::metrics::METRICS.outputs.with_label_values(&["store-db", outcome]).inc_by(batch.len() as u64);
    }
}

impl Output for std::sync::Arc<AlertStore> {
    fn name(&self) -> &str {
        "store"
    }

    /// Waits until the database has every alert.
    fn flush(&self) {
        self.persist.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(w) = self.writer.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = w.join();
        }
    }

    fn emit(&self, alert: &Alert) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.0 += 1;
        let id = inner.0;
        let ts_ns = crate::rules::time::parse_rfc3339(&alert.time).unwrap_or(0);
        if inner.1.len() == self.capacity {
            inner.1.pop_front();
        }
        let stored = Stored { id, ts_ns, alert: alert.clone() };
        let _ = self.live.send(std::sync::Arc::new(stored.clone()));
        if let Some(tx) = self.persist.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            if tx.try_send(stored.clone()).is_err() {
                crate::metrics::METRICS.outputs.with_label_values(&["store-db", "dropped"]).inc();
            }
        }
        inner.1.push_back(stored);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(rule: &str, priority: Priority, minute: u64, pod: &str) -> Alert {
        let mut fields = serde_json::Map::new();
        fields.insert("k8s.pod.name".into(), pod.into());
        Alert {
            hostname: "h".into(),
            output: format!("{rule} happened"),
            output_fields: fields,
            priority,
            rule: rule.into(),
            source: "syscall",
            tags: vec!["t1".into()],
            time: crate::rules::time::rfc3339(minute * 60_000_000_000 + 5),
        }
    }

    #[test]
    fn persisted_alerts_survive_a_restart_within_retention() {
        let dir = std::env::temp_dir().join(format!("osprey-store-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("alerts.redb");
        let now_minute = crate::rules::time::parse_rfc3339(&crate::rules::time::rfc3339(
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64,
        ))
        .unwrap()
            / 60_000_000_000;
        let week = Duration::from_secs(7 * 24 * 3600);
        let store = std::sync::Arc::new(AlertStore::open(2, &path, week).unwrap());
        store.emit(&alert("old", Priority::Notice, now_minute - 8 * 24 * 60, "p1"));
        store.emit(&alert("a", Priority::Notice, now_minute, "p1"));
        store.emit(&alert("b", Priority::Critical, now_minute, "p2"));
        store.flush();
        drop(store);
        let store = std::sync::Arc::new(AlertStore::open(10, &path, week).unwrap());
        let rules: Vec<String> =
            store.query(&Query::parse("").unwrap()).alerts.iter().map(|s| s.alert.rule.clone()).collect();
        assert_eq!(rules, ["b", "a"], "the 8-day-old alert is past retention");
        store.emit(&alert("c", Priority::Debug, now_minute, "p3"));
        let page = store.query(&Query::parse("limit=1").unwrap());
        assert_eq!((page.alerts[0].id, page.alerts[0].alert.priority), (4, Priority::Debug), "ids continue");
        store.flush();
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn bounded_filtered_and_paged() {
        let store = std::sync::Arc::new(AlertStore::new(3));
        store.emit(&alert("a", Priority::Notice, 1, "p1"));
        store.emit(&alert("b", Priority::Critical, 1, "p2"));
        store.emit(&alert("a", Priority::Warning, 2, "p1"));
        store.emit(&alert("c", Priority::Debug, 3, "p3"));
        let all = store.query(&Query::parse("").unwrap());
        assert_eq!(all.total, 3, "oldest evicted");
        assert_eq!(all.alerts[0].alert.rule, "c", "newest first");
        assert_eq!(all.alerts[0].id, 4);
        assert_eq!(store.query(&Query::parse("priority=warning").unwrap()).total, 2);
        assert_eq!(store.query(&Query::parse("rule=a&pod=p1").unwrap()).total, 1);
        assert_eq!(store.query(&Query::parse("q=B+HAPP").unwrap()).total, 1);
        assert_eq!(store.query(&Query::parse("limit=1&offset=1").unwrap()).alerts[0].alert.rule, "a");
        assert_eq!(store.query(&Query::parse(&format!("since={}", 2 * 60_000_000_000u64)).unwrap()).total, 2);
        let st = store.stats(&Query::default());
        assert_eq!((st.total, st.by_rule["a"], st.per_minute.len()), (3, 1, 3));
        assert_eq!((st.by_pod["p1"], st.by_pod["p3"], st.by_pod.len()), (1, 1, 3));
        assert!(Query::parse("priority=loud").unwrap_err().contains("priority"));
        assert!(Query::parse("bogus=1").unwrap_err().contains("bogus"));
    }
}
