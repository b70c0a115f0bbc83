//! An HTTP/1.1 receiver for tests and benches: records every request
//! (path, content-type, body) and answers 200 with the body Elasticsearch's
//! bulk API answers. Keeps connections alive.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// Requests received: (path, content-type, body).
pub type Received = Arc<Mutex<Vec<(String, String, String)>>>;

/// Starts the receiver; `record: false` only counts requests (for benches).
pub fn start(record: bool) -> (u16, Received, Arc<std::sync::atomic::AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let got: Received = Arc::default();
    let count = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let (sink, counter) = (got.clone(), count.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (sink, counter) = (sink.clone(), counter.clone());
            std::thread::spawn(move || {
                let mut writer = stream.try_clone().unwrap();
                let mut reader = BufReader::new(stream);
                loop {
                    let mut request_line = String::new();
                    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
                        return;
                    }
                    let path = request_line.split_whitespace().nth(1).unwrap_or_default().to_string();
                    let (mut len, mut ctype) = (0, String::new());
                    loop {
                        let mut h = String::new();
                        if reader.read_line(&mut h).unwrap_or(0) == 0 {
                            return;
                        }
                        let h = h.trim_end();
                        if h.is_empty() {
                            break;
                        }
                        if let Some((k, v)) = h.split_once(':') {
                            match k.to_ascii_lowercase().as_str() {
                                "content-length" => len = v.trim().parse().unwrap_or(0),
                                "content-type" => ctype = v.trim().to_string(),
                                _ => {}
                            }
                        }
                    }
                    let mut body = vec![0; len];
                    if reader.read_exact(&mut body).is_err() {
                        return;
                    }
                    counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if record {
                        sink.lock().unwrap().push((path, ctype, String::from_utf8_lossy(&body).into_owned()));
                    }
                    let reply = r#"{"errors":false,"items":[]}"#;
                    let head = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{reply}",
                        reply.len()
                    );
                    if writer.write_all(head.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    (port, got, count)
}
