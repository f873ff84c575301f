//! The `fake-eum` binary run as a separate process: SDK traffic, the `/_fake/` control API over HTTP
//! and the `--record` JSON-lines file.

mod support;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::json;
use support::{blob, client, raw_http, text_message};
use wapipe_fake_eum::{read_record_file, DEFAULT_PHONE_ID};

/// Kills (by its own handle) and reaps the child on drop.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn temp_file(name: &str) -> PathBuf {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    std::env::temp_dir().join(format!("fake-eum-{name}-{}-{nanos}.jsonl", std::process::id()))
}

/// Starts the binary and returns it with the endpoint it printed.
async fn spawn(args: &[&str]) -> (ChildGuard, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fake-eum"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn fake-eum");
    let stdout = child.stdout.take().expect("stdout");
    let guard = ChildGuard(child);
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).map(|_| line)
    });
    let line = tokio::time::timeout(Duration::from_secs(30), line).await.expect("startup timeout").unwrap().unwrap();
    let endpoint = line.trim().strip_prefix("fake-eum listening on ").expect("banner").to_string();
    assert!(endpoint.starts_with("http://127.0.0.1:"), "{endpoint}");
    (guard, endpoint)
}

#[tokio::test]
async fn binary_serves_sdk_control_api_and_record_file() {
    let record = temp_file("record");
    let record_arg = record.to_string_lossy().into_owned();
    let (_child, ep) = spawn(&["--listen", "127.0.0.1:0", "--record", &record_arg]).await;
    let sdk = client(&ep);

    let fault = json!({"kind": "failWhen", "operation": "SendWhatsAppMessage",
        "match": {"field": "to", "equals": "+15550001234"},
        "error": {"errorType": "ValidationException", "message": "(#131026) Message undeliverable"}});
    let r = raw_http(&ep, "POST", "/_fake/faults", Some(&fault.to_string())).await;
    assert_eq!(r.status, 200, "{}", r.body);

    let send = |to: &'static str| {
        sdk.send_whats_app_message()
            .origination_phone_number_id(DEFAULT_PHONE_ID)
            .message(blob(&text_message(to, "from another process")))
            .meta_api_version("v20.0")
            .send()
    };
    let ok = send("+15550005678").await.expect("send");
    let err = send("+15550001234").await.expect_err("undeliverable").into_service_error();
    assert!(err.is_validation_exception(), "{err:?}");

    let reqs = raw_http(&ep, "GET", "/_fake/requests", None).await.json();
    let reqs = reqs.as_array().expect("array");
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0]["operation"], "SendWhatsAppMessage");
    assert_eq!(reqs[0]["decoded"], text_message("+15550005678", "from another process"));
    assert_eq!(reqs[1]["status"], 400);
    let sent = raw_http(&ep, "GET", "/_fake/sent", None).await.json();
    assert_eq!(sent.as_array().map(Vec::len), Some(1));

    let lines = read_record_file(&record).expect("record file");
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0].decoded.as_ref().and_then(|d| d["to"].as_str()), Some("+15550005678"));
    assert_eq!((lines[0].status, lines[1].status), (200, 400));
    assert_eq!(lines[1].error_type.as_deref(), Some("ValidationException"));
    assert!(ok.message_id().is_some());

    assert_eq!(raw_http(&ep, "POST", "/_fake/reset", None).await.status, 200);
    assert_eq!(raw_http(&ep, "GET", "/_fake/requests", None).await.json(), json!([]));
    send("+15550001234").await.expect("fault gone after reset");
    assert_eq!(read_record_file(&record).expect("record file").len(), 3, "the file keeps growing across resets");
    let _ = std::fs::remove_file(&record);
}

#[tokio::test]
async fn binary_refuses_non_loopback_addresses() {
    for addr in ["0.0.0.0:0", "192.0.2.10:8080"] {
        let out = Command::new(env!("CARGO_BIN_EXE_fake-eum")).args(["--listen", addr]).output().expect("run");
        assert_eq!(out.status.code(), Some(2), "{addr}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("non-loopback"));
        assert!(out.stdout.is_empty());
    }
}
