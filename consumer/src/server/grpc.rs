//! The gRPC output (`proto/osprey/outputs/v1/outputs.proto`), served by the
//! HTTP server over HTTP/2: `Subscribe` streams new alerts, `Get` replays
//! what the alert store holds after an id.

use std::convert::Infallible;
use std::sync::Arc;

use http_body_util::{BodyExt, Limited};
use hyper::body::{Bytes, Frame, Incoming};
use hyper::{Request, Response};
use prost::Message;

use super::{Body, ServerState};
use crate::output::store::Stored;
use crate::rules::loader::Priority;

pub const SERVICE: &str = "/osprey.outputs.v1.Outputs/";

// The messages of outputs.proto; field numbers are the contract.
#[derive(Clone, PartialEq, prost::Message)]
struct SubscribeRequest {
    #[prost(string, tag = "1")]
    min_priority: String,
}

#[derive(Clone, PartialEq, prost::Message)]
struct GetRequest {
    #[prost(uint64, tag = "1")]
    since_id: u64,
    #[prost(uint32, tag = "2")]
    limit: u32,
    #[prost(string, tag = "3")]
    min_priority: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Alert {
    #[prost(uint64, tag = "1")]
    pub id: u64,
    #[prost(string, tag = "2")]
    pub time: String,
    #[prost(uint64, tag = "3")]
    pub time_unix_nano: u64,
    /// `Priority` enum: Falco's order, most severe (0) first.
    #[prost(int32, tag = "4")]
    pub priority: i32,
    #[prost(string, tag = "5")]
    pub rule: String,
    #[prost(string, tag = "6")]
    pub output: String,
    #[prost(map = "string, string", tag = "7")]
    pub output_fields: std::collections::HashMap<String, String>,
    #[prost(string, tag = "8")]
    pub source: String,
    #[prost(string, repeated, tag = "9")]
    pub tags: Vec<String>,
    #[prost(string, tag = "10")]
    pub hostname: String,
}

impl From<&Stored> for Alert {
    fn from(s: &Stored) -> Self {
        let a = &s.alert;
        Alert {
            id: s.id,
            time: a.time.clone(),
            time_unix_nano: s.ts_ns,
            priority: a.priority as i32,
            rule: a.rule.clone(),
            output: a.output.clone(),
            output_fields: a
                .output_fields
                .iter()
                .map(|(k, v)| {
                    let text = match v {
                        serde_json::Value::String(s) => s.clone(),
                        serde_json::Value::Null => "<NA>".into(),
                        other => other.to_string(),
                    };
                    (k.clone(), text)
                })
                .collect(),
            source: a.source.to_string(),
            tags: a.tags.clone(),
            hostname: a.hostname.clone(),
        }
    }
}

/// A message with gRPC's 5-byte prefix (uncompressed, length).
fn frame(msg: &impl Message) -> Bytes {
    let body = msg.encode_to_vec();
    let mut out = Vec::with_capacity(5 + body.len());
    out.push(0);
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    out.extend_from_slice(&body);
    out.into()
}

/// gRPC status trailers (0 = OK; 3 = INVALID_ARGUMENT, 12 = UNIMPLEMENTED…).
fn trailers(code: u32, message: &str) -> Frame<Bytes> {
    let mut t = hyper::HeaderMap::new();
    t.insert("grpc-status", code.into());
    if !message.is_empty() {
        t.insert("grpc-message", message.replace(['\r', '\n'], " ").parse().expect("ASCII message"));
    }
    Frame::trailers(t)
}

fn response(
    frames: impl futures_util::Stream<Item = Result<Frame<Bytes>, Infallible>> + Send + Sync + 'static,
) -> Response<Body> {
    Response::builder()
        .header("content-type", "application/grpc")
        .body(http_body_util::StreamBody::new(frames).boxed())
        .expect("valid response")
}

fn error(code: u32, message: &str) -> Response<Body> {
    response(futures_util::stream::iter([Ok(trailers(code, message))]))
}

/// The request message: one length-prefixed message in the body.
async fn read_request<M: Message + Default>(req: Request<Incoming>, max: usize) -> Result<M, String> {
    let body = Limited::new(req.into_body(), max).collect().await.map_err(|_| "request too large".to_string())?;
    let bytes = body.to_bytes();
    if bytes.is_empty() {
        return Ok(M::default());
    }
    if bytes.len() < 5 || bytes[0] != 0 {
        return Err("expected one uncompressed gRPC message".into());
    }
    let len = u32::from_be_bytes(bytes[1..5].try_into().expect("4 bytes")) as usize;
    let msg = bytes.get(5..5 + len).ok_or("truncated gRPC message")?;
    M::decode(msg).map_err(|e| format!("bad request message: {e}"))
}

/// The request message and the minimum priority it names, or the
/// INVALID_ARGUMENT response saying what is wrong.
async fn request_and_minimum<M: Message + Default>(
    req: Request<Incoming>,
    max: usize,
    minimum: fn(&M) -> &String,
) -> Result<(M, Priority), Response<Body>> {
    let request: M = read_request(req, max).await.map_err(|e| error(3, &e))?;
    let priority = min_priority(minimum(&request)).map_err(|e| error(3, &e))?;
    Ok((request, priority))
}

fn min_priority(text: &str) -> Result<Priority, String> {
    if text.is_empty() {
        return Ok(Priority::Debug);
    }
    Priority::parse(text).ok_or_else(|| format!("min_priority '{text}' is not a priority"))
}

/// The largest gRPC request body: a `GetRequest` or `SubscribeRequest` is a
/// few bytes.
const MAX_REQUEST_BYTES: usize = 64 << 10;

pub async fn handle(req: Request<Incoming>, state: Arc<ServerState>) -> Response<Body> {
    let method = req.uri().path().strip_prefix(SERVICE).unwrap_or_default().to_string();
    // Requests carry a few small fields; they are held outside the body budget.
    let max = state.config.max_body_bytes.min(MAX_REQUEST_BYTES);
    match method.as_str() {
        "Get" => {
            let (request, minimum) = match request_and_minimum(req, max, |r: &GetRequest| &r.min_priority).await {
                Ok(parsed) => parsed,
                Err(response) => return response,
            };
            let limit = if request.limit == 0 { usize::MAX } else { request.limit as usize };
            let alerts: Vec<Result<Frame<Bytes>, Infallible>> = state
                .store
                .after(request.since_id)
                .iter()
                .filter(|s| s.alert.priority <= minimum)
                .take(limit)
                .map(|s| Ok(Frame::data(frame(&Alert::from(s)))))
                .chain([Ok(trailers(0, ""))])
                .collect();
            response(futures_util::stream::iter(alerts))
        }
        "Subscribe" => {
            use tokio::sync::broadcast::error::RecvError;
            let minimum = match request_and_minimum(req, max, |r: &SubscribeRequest| &r.min_priority).await {
                Ok((_, minimum)) => minimum,
                Err(response) => return response,
            };
            let rx = state.store.subscribe();
            let alerts = futures_util::stream::unfold(rx, move |mut rx| async move {
                loop {
                    match rx.recv().await {
                        Ok(s) if s.alert.priority <= minimum => {
                            return Some((Ok(Frame::data(frame(&Alert::from(&*s)))), rx));
                        }
                        Ok(_) | Err(RecvError::Lagged(_)) => continue,
                        Err(RecvError::Closed) => return None,
                    }
                }
            });
            response(alerts)
        }
        other => error(12, &format!("unknown method '{other}'")),
    }
}
