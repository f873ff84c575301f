//! Helpers shared by the integration tests: a real SDK client pointed at the fake, and a tiny raw
//! HTTP/1.1 client for the control API.
#![allow(dead_code)]

use std::time::Duration;

use aws_sdk_socialmessaging::config::retry::RetryConfig;
use aws_sdk_socialmessaging::config::{BehaviorVersion, Builder, Credentials, Region};
use aws_sdk_socialmessaging::primitives::Blob;
use aws_sdk_socialmessaging::Client;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn config(endpoint: &str) -> Builder {
    Builder::new()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new("ap-south-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "static"))
}

/// SDK client with the default retry policy (3 attempts) but a short initial backoff so retrying
/// tests stay fast.
pub fn client(endpoint: &str) -> Client {
    let retry = RetryConfig::standard().with_max_attempts(3).with_initial_backoff(Duration::from_millis(10));
    Client::from_conf(config(endpoint).retry_config(retry).build())
}

/// SDK client with the SDK's default configuration untouched (default retry strategy and backoff).
pub fn client_sdk_defaults(endpoint: &str) -> Client {
    Client::from_conf(config(endpoint).build())
}

/// A Meta text message (docs/PROTOCOL.md §5.2).
pub fn text_message(to: &str, body: &str) -> Value {
    json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, "type": "text",
           "text": {"preview_url": false, "body": body}})
}

/// The `message` blob for a JSON value.
pub fn blob(v: &Value) -> Blob {
    Blob::new(serde_json::to_vec(v).expect("json"))
}

/// A raw HTTP/1.1 response.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// One HTTP/1.1 request over a fresh TcpStream with `Connection: close` (bounded by a 10 s timeout).
pub async fn raw_http(endpoint: &str, method: &str, path: &str, body: Option<&str>) -> RawResponse {
    let host = endpoint.trim_start_matches("http://");
    let fut = async {
        let mut stream = TcpStream::connect(host).await.expect("connect");
        let body = body.unwrap_or("");
        let req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(req.as_bytes()).await.expect("write");
        let mut buf = Vec::new();
        stream.read_to_end(&mut buf).await.expect("read");
        buf
    };
    let buf = tokio::time::timeout(Duration::from_secs(10), fut).await.expect("raw http timed out");
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("http response head");
    let mut lines = head.lines();
    let status_line = lines.next().expect("status line");
    let status = status_line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).expect("status");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect::<Vec<_>>();
    let chunked = headers.iter().any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let body = if chunked { dechunk(body) } else { body.to_string() };
    RawResponse { status, headers, body }
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    for _ in 0..10_000 {
        let Some((size, rest)) = s.split_once("\r\n") else { break };
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}
