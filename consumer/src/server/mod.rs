//! The HTTP server (tokio + hyper): `/healthz`, `/metrics`, the alert API
//! (`/api/alerts`, `/api/stats`, `/api/rules`) and the Kubernetes audit
//! webhook `POST /k8s-audit`. Loopback by default; a bearer token guards it,
//! and a non-loopback address without a token is refused unless allowed.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{bail, Context, Result};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use serde::Deserialize;

use crate::config::Invalid;
use crate::metrics::METRICS;
use crate::output::Outputs;
use crate::pipeline::AuditPipeline;

mod grpc;

/// The web UI: one self-contained page (no CDN; works offline).
const UI: &str = include_str!("../../ui/index.html");

fn default_listen() -> SocketAddr {
    "127.0.0.1:8765".parse().expect("valid address")
}

fn default_max_body() -> usize {
    16 << 20
}

fn default_max_bytes_in_flight() -> usize {
    64 << 20
}

fn default_max_connections() -> usize {
    256
}

fn default_timeout_seconds() -> u64 {
    10
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// Serve HTTP at all.
    #[serde(default = "crate::config::yes")]
    pub enabled: bool,
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// Requests must carry `Authorization: Bearer <token>` when set.
    #[serde(default)]
    pub token: Option<String>,
    /// Largest request body accepted (413 above it).
    #[serde(default = "default_max_body")]
    pub max_body_bytes: usize,
    /// Bytes of request bodies held at once across all requests; a body
    /// that would pass it is refused with 429 and `Retry-After`.
    #[serde(default = "default_max_bytes_in_flight")]
    pub max_bytes_in_flight: usize,
    /// Allow a non-loopback `listen` without a token.
    #[serde(default)]
    pub allow_unauthenticated_remote: bool,
    /// Serve HTTPS with this certificate chain and key (PEM files).
    #[serde(default)]
    pub tls: Option<TlsConfig>,
    /// Connections open at once; at the cap a new one closes the oldest
    /// that has not sent a request yet.
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// Time a connection has to send a request's headers: the first (TLS
    /// handshake included) and, on HTTP/1.1 keep-alive, each next one.
    #[serde(default = "default_timeout_seconds")]
    pub header_read_timeout_seconds: u64,
    /// Time a TLS handshake may take.
    #[serde(default = "default_timeout_seconds")]
    pub tls_handshake_timeout_seconds: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    pub cert: std::path::PathBuf,
    pub key: std::path::PathBuf,
}

impl TlsConfig {
    /// The acceptor for these files; an error names the key (`cert`, `key`)
    /// whose file is missing or unusable.
    fn acceptor(&self) -> Result<tokio_rustls::TlsAcceptor, Invalid> {
        let read = |key: &str, p: &std::path::Path| {
            std::fs::read(p).map_err(|e| Invalid::new(key, format!("reading {}: {e}", p.display())))
        };
        let certs = rustls_pemfile::certs(&mut read("cert", &self.cert)?.as_slice())
            .collect::<Result<Vec<_>, _>>()
            .ok()
            .filter(|certs| !certs.is_empty())
            .ok_or_else(|| Invalid::new("cert", format!("{}: no PEM certificate in it", self.cert.display())))?;
        let key = rustls_pemfile::private_key(&mut read("key", &self.key)?.as_slice())
            .ok()
            .flatten()
            .ok_or_else(|| Invalid::new("key", format!("{}: no PEM private key in it", self.key.display())))?;
        let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
            tokio_rustls::rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| Invalid::new("cert", e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| Invalid::new("key", format!("does not form a usable pair with the certificate: {e}")))?;
        // HTTP/2 for gRPC clients, HTTP/1.1 for browsers and curl.
        let mut config = config;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config)))
    }
}

impl HttpConfig {
    /// What `spawn` would refuse; keys are relative to `http`.
    pub fn problems(&self) -> Vec<Invalid> {
        let mut found = Vec::new();
        match self.token.as_deref() {
            Some("") => found.push(Invalid::new("token", "is empty: set a long random token, or remove the key")),
            // Anything else cannot travel in an Authorization header.
            Some(t) if !t.bytes().all(|b| b.is_ascii_graphic()) => {
                found.push(Invalid::new("token", "must be printable ASCII without spaces"))
            }
            _ => {}
        }
        if !self.listen.ip().is_loopback() && self.token.is_none() && !self.allow_unauthenticated_remote {
            found.push(Invalid::new(
                "listen",
                format!(
                    "{} is not a loopback address and http.token is not set: \
                     set a token, or http.allow_unauthenticated_remote: true",
                    self.listen
                ),
            ));
        }
        if self.max_bytes_in_flight < self.max_body_bytes {
            // A body between the two would be refused for ever.
            found.push(Invalid::new(
                "max_bytes_in_flight",
                format!("must be at least http.max_body_bytes ({})", self.max_body_bytes),
            ));
        }
        if let Some(Err(p)) = self.tls.as_ref().map(TlsConfig::acceptor) {
            found.push(p.under("tls"));
        }
        let positive = [
            ("max_connections", self.max_connections as u64),
            ("header_read_timeout_seconds", self.header_read_timeout_seconds),
            ("tls_handshake_timeout_seconds", self.tls_handshake_timeout_seconds),
        ];
        for (key, value) in positive {
            if value == 0 {
                found.push(Invalid::new(key, "must be at least 1"));
            }
        }
        found
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        serde_norway::from_str("{}").expect("defaults deserialize")
    }
}

/// Where a reload reports: a summary of what is loaded now, or the errors
/// that kept the old rules in place.
pub type ReloadReply = std::sync::mpsc::Sender<Result<String, String>>;

/// Audit events in, alerts out.
pub struct AuditIngest {
    pipeline: Mutex<AuditPipeline>,
    outputs: Arc<Outputs>,
}

impl AuditIngest {
    pub fn new(pipeline: AuditPipeline, outputs: Arc<Outputs>) -> Self {
        Self { pipeline: Mutex::new(pipeline), outputs }
    }

    /// Swaps in newly loaded audit rules.
    pub fn set_engine(&self, engine: crate::rules::engine::Engine) {
        self.pipeline.lock().unwrap_or_else(|e| e.into_inner()).engine = engine;
    }

    /// Evaluates every audit event in `text`, each as soon as it is parsed;
    /// returns how many there were and what was left out. Nothing is logged
    /// here: callers log one line per request or per poll.
    pub fn ingest(&self, text: &str) -> Result<(usize, crate::audit::LeftOut), String> {
        let mut events = 0;
        // Locked per event: bodies are parsed in parallel, evaluated in turn.
        let left_out = crate::audit::parse_each(text, |ev| {
            events += 1;
            let mut pipeline = self.pipeline.lock().unwrap_or_else(|e| e.into_inner());
            pipeline.process(&ev, |alert| self.outputs.emit(&alert));
        })
        .inspect_err(|_| METRICS.audit_rejected.inc())?;
        METRICS.audit_events.inc_by(events as u64);
        METRICS.audit_skipped.inc_by(left_out.skipped as u64);
        METRICS.audit_broken_lines.inc_by(left_out.broken as u64);
        Ok((events, left_out))
    }
}

/// A loaded rule as `/api/rules` shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RuleInfo {
    pub name: String,
    pub desc: String,
    pub priority: &'static str,
    pub source: &'static str,
    pub enabled: bool,
    pub tags: Vec<String>,
    #[serde(skip)]
    pub hits: Option<prometheus::IntCounter>,
}

/// What the handlers share.
pub struct ServerState {
    pub config: HttpConfig,
    pub audit: Option<Arc<AuditIngest>>,
    pub store: Arc<crate::output::store::AlertStore>,
    /// Replaced when rules are reloaded.
    pub rules: Mutex<Vec<RuleInfo>>,
    /// Where `POST /api/reload` asks `osprey run` to reload (and waits for
    /// the outcome); `None` where nothing reloads (replay).
    pub reload: Option<std::sync::mpsc::Sender<ReloadReply>>,
    /// Set once capture is attached and rules are loaded.
    pub ready: AtomicBool,
}

/// Checks the config, binds, and serves on a thread of its own. Returns the
/// bound address (useful with port 0).
pub fn spawn(state: Arc<ServerState>) -> Result<SocketAddr> {
    let cfg = &state.config;
    let problems: Vec<String> = cfg.problems().into_iter().map(|p| p.under("http").to_string()).collect();
    if !problems.is_empty() {
        bail!("{}", problems.join("\n"));
    }
    let tls = cfg.tls.as_ref().map(TlsConfig::acceptor).transpose().map_err(|p| p.under("http.tls"))?;
    let listener =
        std::net::TcpListener::bind(cfg.listen).with_context(|| format!("binding http.listen {}", cfg.listen))?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    std::thread::Builder::new().name("osprey-http".into()).spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime");
        rt.block_on(serve(listener, tls, state));
    })?;
    Ok(addr)
}

/// The connections open now, at most `cap`. A connection that has not
/// sent a request yet (headers under way, TLS handshake) can be closed to
/// make room: at the cap a new connection closes the oldest such one, so
/// that a flood of half-open requests cannot keep a health probe out. When
/// every open connection is serving requests, the new one is closed.
struct Slots {
    cap: usize,
    open: Mutex<std::collections::VecDeque<Arc<Slot>>>,
}

#[derive(Default)]
struct Slot {
    /// A request has reached the handlers.
    started: AtomicBool,
    /// Closes the connection.
    close: tokio::sync::Notify,
}

impl Slots {
    fn admit(&self) -> Option<Arc<Slot>> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if open.len() >= self.cap {
            let oldest_idle = open.iter().position(|s| !s.started.load(Ordering::Acquire))?;
            let evicted = open.remove(oldest_idle).expect("a position in range");
            evicted.close.notify_one();
            METRICS.http_connections_closed.with_label_values(&["evicted"]).inc();
        }
        let slot = Arc::new(Slot::default());
        open.push_back(slot.clone());
        METRICS.http_connections.set(open.len() as i64);
        Some(slot)
    }

    fn release(&self, slot: &Arc<Slot>) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.retain(|s| !Arc::ptr_eq(s, slot));
        METRICS.http_connections.set(open.len() as i64);
    }
}

/// How long the accept loop waits after a failed accept: at the descriptor
/// limit (`EMFILE`) accepting again at once would spin; doubling up to a
/// second lets connections close meanwhile.
fn accept_backoff(failures: u32) -> std::time::Duration {
    std::time::Duration::from_millis(10u64 << failures.min(7)).min(std::time::Duration::from_secs(1))
}

async fn serve(listener: std::net::TcpListener, tls: Option<tokio_rustls::TlsAcceptor>, state: Arc<ServerState>) {
    let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
    let slots = Arc::new(Slots { cap: state.config.max_connections, open: Mutex::default() });
    let bodies = Arc::new(BodyBudget { max: state.config.max_bytes_in_flight, held: AtomicUsize::new(0) });
    let mut failures = 0u32;
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                if failures == 0 {
                    eprintln!("osprey: http: accepting a connection: {e}; backing off");
                }
                METRICS.http_accept_errors.inc();
                tokio::time::sleep(accept_backoff(failures)).await;
                failures = failures.saturating_add(1);
                continue;
            }
        };
        failures = 0;
        let Some(slot) = slots.admit() else {
            METRICS.http_connections_closed.with_label_values(&["refused"]).inc();
            continue;
        };
        let header_timeout = std::time::Duration::from_secs(state.config.header_read_timeout_seconds);
        let (state, tls, slots, bodies) = (state.clone(), tls.clone(), slots.clone(), bodies.clone());
        tokio::spawn(async move {
            tokio::select! {
                () = connection(stream, tls, state, slot.clone(), bodies) => {}
                () = slot.close.notified() => {}
                () = first_request_deadline(&slot, header_timeout) => {
                    METRICS.http_connections_closed.with_label_values(&["timeout"]).inc();
                }
            }
            slots.release(&slot);
        });
    }
}

/// Ends when `timeout` has passed without a request reaching the handlers:
/// hyper times out the headers of HTTP/1.1 requests, but not the wait
/// before the first bytes, the protocol detection or a TLS handshake.
async fn first_request_deadline(slot: &Slot, timeout: std::time::Duration) {
    tokio::time::sleep(timeout).await;
    if slot.started.load(Ordering::Acquire) {
        std::future::pending::<()>().await;
    }
}

/// Serves one connection: TLS if configured, then HTTP/1.1 or HTTP/2.
async fn connection(
    stream: tokio::net::TcpStream,
    tls: Option<tokio_rustls::TlsAcceptor>,
    state: Arc<ServerState>,
    slot: Arc<Slot>,
    bodies: Arc<BodyBudget>,
) {
    let cfg = &state.config;
    let header_timeout = std::time::Duration::from_secs(cfg.header_read_timeout_seconds);
    let handshake_timeout = std::time::Duration::from_secs(cfg.tls_handshake_timeout_seconds);
    let service_state = state.clone();
    let service = hyper::service::service_fn(move |req| {
        slot.started.store(true, Ordering::Release);
        handle(req, service_state.clone(), bodies.clone())
    });
    // HTTP/1.1, or HTTP/2 (gRPC) by prior knowledge or ALPN.
    let mut http = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
    http.http1().timer(hyper_util::rt::TokioTimer::new()).header_read_timeout(header_timeout);
    // An idle HTTP/2 connection is pinged; one that does not answer is closed.
    http.http2()
        .timer(hyper_util::rt::TokioTimer::new())
        .keep_alive_interval(Some(header_timeout))
        .keep_alive_timeout(header_timeout);
    match tls {
        Some(acceptor) => {
            // A failed or slow handshake only ends this connection.
            let Ok(Ok(stream)) = tokio::time::timeout(handshake_timeout, acceptor.accept(stream)).await else {
                METRICS.http_connections_closed.with_label_values(&["tls"]).inc();
                return;
            };
            let _ = http.serve_connection(hyper_util::rt::TokioIo::new(stream), service).await;
        }
        None => {
            let _ = http.serve_connection(hyper_util::rt::TokioIo::new(stream), service).await;
        }
    }
}
pub(crate) type Body = http_body_util::combinators::BoxBody<Bytes, Infallible>;

/// Bytes of request bodies held at once, across all requests.
struct BodyBudget {
    max: usize,
    held: AtomicUsize,
}

/// One request's share of the budget, given back when dropped: once the
/// body is refused, or evaluated and freed.
struct Held {
    budget: Arc<BodyBudget>,
    bytes: usize,
}

impl Held {
    fn new(budget: Arc<BodyBudget>) -> Self {
        Self { budget, bytes: 0 }
    }

    /// Holds `to` bytes in all; false, holding no more, when the budget
    /// has no room for them.
    fn grow_to(&mut self, to: usize) -> bool {
        let more = to.saturating_sub(self.bytes);
        if more == 0 {
            return true;
        }
        let max = self.budget.max;
        let taken = self
            .budget
            .held
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |held| held.checked_add(more).filter(|&n| n <= max))
            .is_ok();
        if taken {
            self.bytes = to;
            METRICS.http_body_bytes_in_flight.add(more as i64);
        }
        taken
    }

    fn release(&mut self) {
        self.budget.held.fetch_sub(self.bytes, Ordering::AcqRel);
        METRICS.http_body_bytes_in_flight.sub(self.bytes as i64);
        self.bytes = 0;
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.release();
    }
}

/// Why a request body was not kept.
#[derive(Debug, PartialEq)]
enum Refused {
    /// Larger than `http.max_body_bytes`.
    TooLarge,
    /// It would pass `http.max_bytes_in_flight`: try again later.
    Busy,
    /// The connection failed, or the body stopped arriving.
    Broken,
}

/// The request body, its bytes held in `held`. It is counted from its
/// Content-Length when it has one (refused at once when that does not fit),
/// else as it arrives. A body refused is still read and discarded up to
/// four times `max`: closing with unread data makes the kernel reset the
/// connection, and the client may then lose the answer before reading it
/// (HTTP's "lingering close"). Beyond that, the connection is closed
/// regardless. A body that sends nothing for `idle` is dropped, so that a
/// stalled client cannot keep its share.
async fn read_limited(
    mut body: Incoming,
    max: usize,
    held: &mut Held,
    idle: std::time::Duration,
) -> Result<Bytes, Refused> {
    use hyper::body::Body as _;
    let mut kept = Vec::new();
    let mut refused = None;
    if let Some(declared) = body.size_hint().exact() {
        let declared = usize::try_from(declared).unwrap_or(usize::MAX);
        if declared > max {
            refused = Some(Refused::TooLarge);
        } else if held.grow_to(declared) {
            kept.reserve_exact(declared);
        } else {
            refused = Some(Refused::Busy);
        }
    }
    let mut seen = 0usize;
    loop {
        let frame = match tokio::time::timeout(idle, body.frame()).await {
            Ok(Some(Ok(frame))) => frame,
            Ok(None) => break,
            // A broken body is refused, never half-used.
            Ok(Some(Err(_))) | Err(_) => return Err(Refused::Broken),
        };
        let Some(data) = frame.data_ref() else { continue };
        seen += data.len();
        if refused.is_none() {
            if seen > max {
                refused = Some(Refused::TooLarge);
            } else if !held.grow_to(seen) {
                refused = Some(Refused::Busy);
            } else {
                kept.extend_from_slice(data);
                continue;
            }
            kept = Vec::new();
            held.release();
        }
        if seen > max.saturating_mul(4) {
            break;
        }
    }
    match refused {
        Some(why) => Err(why),
        None => Ok(kept.into()),
    }
}

fn reply(status: StatusCode, body: serde_json::Value) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())).boxed())
        .expect("valid response")
}

/// 429 with `Retry-After`: what kube-apiserver's webhook backend retries
/// (with back-off), so a refused batch is sent again, not lost.
fn busy(max: usize) -> Response<Body> {
    let mut response = reply(
        StatusCode::TOO_MANY_REQUESTS,
        serde_json::json!({"error": format!("busy: bodies in flight would pass http.max_bytes_in_flight ({max}); retry")}),
    );
    response.headers_mut().insert(hyper::header::RETRY_AFTER, hyper::header::HeaderValue::from_static("1"));
    response
}

/// Server-sent events: one `data:` line of JSON per new alert that matches.
fn alert_stream(state: &ServerState, query: crate::output::store::Query) -> Response<Body> {
    use tokio::sync::broadcast::error::RecvError;
    let rx = state.store.subscribe();
    let events = futures_util::stream::unfold((rx, query), |(mut rx, query)| async move {
        loop {
            match rx.recv().await {
                Ok(a) if query.matches(&a) => {
                    let line = format!("data: {}\n\n", serde_json::to_string(&*a).unwrap_or_default());
                    return Some((Ok(hyper::body::Frame::data(Bytes::from(line))), (rx, query)));
                }
                Ok(_) | Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return None,
            }
        }
    });
    Response::builder()
        .header("content-type", "text/event-stream")
        .header("cache-control", "no-cache")
        .body(http_body_util::StreamBody::new(events).boxed())
        .expect("valid response")
}

fn authorized(req: &Request<Incoming>, token: &Option<String>) -> bool {
    let Some(token) = token else { return true };
    let got = req.headers().get(hyper::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    got.and_then(|v| v.strip_prefix("Bearer ")).is_some_and(|t| constant_time_eq(t.as_bytes(), token.as_bytes()))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `/healthz`: 200 once capture is attached and rules are loaded, 503 before.
fn health(state: &ServerState) -> Response<Body> {
    if state.ready.load(Ordering::Acquire) {
        reply(StatusCode::OK, serde_json::json!({"status": "ok"}))
    } else {
        reply(StatusCode::SERVICE_UNAVAILABLE, serde_json::json!({"status": "starting"}))
    }
}

async fn handle(
    req: Request<Incoming>,
    state: Arc<ServerState>,
    bodies: Arc<BodyBudget>,
) -> Result<Response<Body>, Infallible> {
    use serde_json::json;
    // The UI page holds no data: it reads the token from its URL fragment
    // (#token=…) and sends it with every API call.
    if req.method() == Method::GET && req.uri().path() == "/" {
        return Ok(Response::builder()
            .header("content-type", "text/html; charset=utf-8")
            .body(Full::new(Bytes::from_static(UI.as_bytes())).boxed())
            .expect("valid response"));
    }
    // Health holds nothing secret either: probes (a kubelet's) reach it
    // without the token, so no pod spec has to carry it.
    if req.method() == Method::GET && req.uri().path() == "/healthz" {
        return Ok(health(&state));
    }
    if !authorized(&req, &state.config.token) {
        return Ok(reply(StatusCode::UNAUTHORIZED, json!({"error": "missing or wrong bearer token"})));
    }
    let path = req.uri().path().to_string();
    if req.method() == Method::POST && path.starts_with(grpc::SERVICE) {
        return Ok(grpc::handle(req, state).await);
    }
    Ok(match (req.method(), path.as_str()) {
        (&Method::GET, "/metrics") => Response::builder()
            .header("content-type", "text/plain; version=0.0.4")
            .body(Full::new(Bytes::from(METRICS.render())).boxed())
            .expect("valid response"),
        (&Method::GET, "/api/alerts/stream") => {
            match crate::output::store::Query::parse(req.uri().query().unwrap_or_default()) {
                Ok(q) => alert_stream(&state, q),
                Err(e) => reply(StatusCode::BAD_REQUEST, json!({"error": e})),
            }
        }
        (&Method::GET, "/api/alerts" | "/api/stats") => {
            let query = req.uri().query().unwrap_or_default();
            match crate::output::store::Query::parse(query) {
                Ok(q) if path == "/api/alerts" => reply(StatusCode::OK, json!(state.store.query(&q))),
                Ok(q) => reply(StatusCode::OK, json!(state.store.stats(&q))),
                Err(e) => reply(StatusCode::BAD_REQUEST, json!({"error": e})),
            }
        }
        (&Method::GET, "/api/rules") => {
            let rules: Vec<serde_json::Value> = state
                .rules
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .map(|r| {
                    let mut v = json!(r);
                    v["hits"] = json!(r.hits.as_ref().map_or(0, |h| h.get()));
                    v
                })
                .collect();
            reply(StatusCode::OK, json!(rules))
        }
        (&Method::POST, "/api/reload") => {
            let Some(requests) = state.reload.clone() else {
                return Ok(reply(StatusCode::NOT_FOUND, json!({"error": "nothing to reload here"})));
            };
            let (tx, rx) = std::sync::mpsc::channel();
            if requests.send(tx).is_err() {
                return Ok(reply(StatusCode::SERVICE_UNAVAILABLE, json!({"error": "osprey is stopping"})));
            }
            let outcome =
                tokio::task::spawn_blocking(move || rx.recv_timeout(std::time::Duration::from_secs(60))).await;
            match outcome {
                Ok(Ok(Ok(loaded))) => reply(StatusCode::OK, json!({"status": "reloaded", "loaded": loaded})),
                Ok(Ok(Err(errors))) => {
                    reply(StatusCode::BAD_REQUEST, json!({"error": errors, "status": "kept the rules already loaded"}))
                }
                _ => reply(StatusCode::SERVICE_UNAVAILABLE, json!({"error": "no answer from the rule loader"})),
            }
        }
        (&Method::POST, "/k8s-audit") => {
            let Some(audit) = state.audit.clone() else {
                return Ok(reply(StatusCode::NOT_FOUND, json!({"error": "k8s audit source disabled"})));
            };
            METRICS.audit_requests.inc();
            let max = state.config.max_body_bytes;
            let idle = std::time::Duration::from_secs(state.config.header_read_timeout_seconds);
            let mut held = Held::new(bodies);
            let body = match read_limited(req.into_body(), max, &mut held, idle).await {
                Ok(body) => body,
                Err(Refused::Busy) => {
                    METRICS.audit_refused.with_label_values(&["busy"]).inc();
                    return Ok(busy(state.config.max_bytes_in_flight));
                }
                Err(why) => {
                    METRICS.audit_rejected.inc();
                    let error = if why == Refused::TooLarge {
                        (StatusCode::PAYLOAD_TOO_LARGE, format!("body larger than http.max_body_bytes ({max})"))
                    } else {
                        (StatusCode::BAD_REQUEST, "body broken off".to_string())
                    };
                    return Ok(reply(error.0, json!({"error": error.1})));
                }
            };
            // Evaluation is synchronous; keep it off the reactor. The body
            // is held (and counted) until it has been evaluated.
            let ingest = move || {
                let text = std::str::from_utf8(&body).map_err(|_| "body is not UTF-8".to_string());
                let outcome = text.inspect_err(|_| METRICS.audit_rejected.inc()).and_then(|t| audit.ingest(t));
                drop((body, held));
                outcome
            };
            match tokio::task::spawn_blocking(ingest).await {
                Ok(Ok((events, left_out))) => {
                    if !left_out.is_empty() {
                        eprintln!("osprey: k8s-audit: {events} events evaluated, {left_out}");
                    }
                    reply(
                        StatusCode::OK,
                        json!({"events": events, "skipped": left_out.skipped, "broken": left_out.broken,
                               "reasons": left_out.reasons}),
                    )
                }
                Ok(Err(reason)) => reply(StatusCode::BAD_REQUEST, json!({"error": reason})),
                Err(_) => reply(StatusCode::INTERNAL_SERVER_ERROR, json!({"error": "audit ingest failed"})),
            }
        }
        _ => reply(StatusCode::NOT_FOUND, json!({"error": format!("no route for {} {path}", req.method())})),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_accepts_back_off_up_to_a_second() {
        let waits: Vec<u64> =
            [0, 1, 2, 6, 7, 30, u32::MAX].iter().map(|&n| accept_backoff(n).as_millis() as u64).collect();
        assert_eq!(waits, [10, 20, 40, 640, 1000, 1000, 1000]);
    }

    #[test]
    fn bodies_in_flight_stay_within_the_budget_and_are_given_back() {
        let budget = Arc::new(BodyBudget { max: 100, held: AtomicUsize::new(0) });
        let (mut a, mut b) = (Held::new(budget.clone()), Held::new(budget.clone()));
        assert!(a.grow_to(60) && a.grow_to(60) && a.grow_to(70));
        assert!(!b.grow_to(31), "past the budget: refused");
        assert_eq!((b.bytes, budget.held.load(Ordering::Acquire)), (0, 70));
        assert!(b.grow_to(30));
        drop(a);
        assert_eq!(budget.held.load(Ordering::Acquire), 30);
        b.release();
        drop(b);
        assert_eq!(budget.held.load(Ordering::Acquire), 0);
    }

    #[test]
    fn a_budget_below_the_largest_body_is_refused() {
        let cfg: HttpConfig = serde_norway::from_str("max_body_bytes: 1000\nmax_bytes_in_flight: 999\n").unwrap();
        let problems: Vec<String> = cfg.problems().iter().map(|p| p.to_string()).collect();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("max_bytes_in_flight") && problems[0].contains("1000"), "{problems:?}");
        assert!(HttpConfig::default().problems().is_empty());
    }

    #[test]
    fn at_the_cap_the_oldest_connection_without_a_request_makes_room() {
        let slots = Slots { cap: 2, open: Mutex::default() };
        let (serving, waiting) = (slots.admit().unwrap(), slots.admit().unwrap());
        serving.started.store(true, Ordering::Release);
        let newcomer = slots.admit().expect("room made");
        assert!(!Arc::ptr_eq(&newcomer, &waiting));
        // The evicted one is told to close, even before it waits for it.
        let notified = waiting.close.notified();
        futures_util::pin_mut!(notified);
        assert!(futures_util::FutureExt::now_or_never(notified).is_some());
        newcomer.started.store(true, Ordering::Release);
        assert!(slots.admit().is_none(), "every connection is serving: the new one is refused");
        slots.release(&serving);
        assert!(slots.admit().is_some());
    }
}
