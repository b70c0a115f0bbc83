//! gRPC over HTTP/2 on a Unix socket, as the container runtimes serve their
//! APIs: just enough of the protocol for unary and server-streaming calls.
//! Messages are prost structs declared next to the API that uses them.

use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};

/// One call; `on_message` gets each reply message (one for unary calls, a
/// stream for server-streaming ones). `headers` go with the request (e.g.
/// containerd's namespace).
pub async fn call(
    socket: &Path,
    headers: &[(&str, &str)],
    method: &str,
    request: impl prost::Message,
    mut on_message: impl FnMut(&[u8]) -> Result<()>,
) -> Result<()> {
    let stream =
        tokio::net::UnixStream::connect(socket).await.with_context(|| format!("connecting {}", socket.display()))?;
    let (client, conn) = h2::client::handshake(stream).await.context("HTTP/2 handshake")?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let mut client = client.ready().await?;
    let mut request_head = http::Request::builder()
        .method("POST")
        .uri(format!("http://localhost/{method}"))
        .header("content-type", "application/grpc")
        .header("te", "trailers");
    for (name, value) in headers {
        request_head = request_head.header(*name, *value);
    }
    let (response, mut send) = client.send_request(request_head.body(())?, false)?;
    let msg = request.encode_to_vec();
    let mut framed = Vec::with_capacity(5 + msg.len());
    framed.push(0);
    framed.extend_from_slice(&(msg.len() as u32).to_be_bytes());
    framed.extend_from_slice(&msg);
    send.send_data(framed.into(), true)?;
    let response = response.await?;
    let (head, mut body) = response.into_parts();
    let mut data = Vec::new();
    while let Some(chunk) = body.data().await {
        let chunk = chunk?;
        let _ = body.flow_control().release_capacity(chunk.len());
        data.extend_from_slice(&chunk);
        // Each complete length-prefixed message, as soon as it is in.
        while data.len() >= 5 {
            let len = u32::from_be_bytes(data[1..5].try_into().expect("4 bytes")) as usize;
            if data.len() < 5 + len {
                break;
            }
            on_message(&data[5..5 + len])?;
            data.drain(..5 + len);
        }
    }
    // A failed call may answer with headers only ("trailers-only").
    let trailers = body.trailers().await?.unwrap_or_default();
    let field = |name: &str| trailers.get(name).or_else(|| head.headers.get(name)).and_then(|v| v.to_str().ok());
    if let Some(status) = field("grpc-status").filter(|s| *s != "0") {
        let message = percent_decode(field("grpc-message").unwrap_or_default());
        bail!("{method}: grpc status {status}: {message}");
    }
    Ok(())
}

/// A unary call: one request, one reply.
pub async fn unary<Reply: prost::Message + Default>(
    socket: &Path,
    headers: &[(&str, &str)],
    method: &str,
    request: impl prost::Message,
) -> Result<Reply> {
    let mut reply = None;
    call(socket, headers, method, request, |m| {
        reply = Some(Reply::decode(m)?);
        Ok(())
    })
    .await?;
    reply.ok_or_else(|| anyhow!("{method}: no reply message"))
}

/// gRPC percent-encodes `grpc-message`.
fn percent_decode(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        let hex = |c: Option<u8>| c.and_then(|c| (c as char).to_digit(16));
        if b == b'%' {
            let mut ahead = bytes.clone();
            if let (Some(hi), Some(lo)) = (hex(ahead.next()), hex(ahead.next())) {
                out.push((hi * 16 + lo) as u8);
                bytes = ahead;
                continue;
            }
        }
        out.push(b);
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn grpc_messages_are_percent_decoded() {
        assert_eq!(super::percent_decode("no%20such%20container: %E2%9C%93 %zz%"), "no such container: \u{2713} %zz%");
    }
}
