//! The `wapipe` binary, end to end: replay reports, state files, exit codes, the dev server.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

fn wapipe() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_wapipe"));
    c.env_remove("WAPIPE_APP_SECRET").env_remove("WAPIPE_VERIFY_TOKEN");
    c
}

fn events_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../events")
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wapipe-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_file(&dir);
    dir
}

/// Totals the manifest promises for the whole folder.
fn manifest_totals() -> (u64, BTreeMap<String, u64>, u64) {
    let m: BTreeMap<String, Value> =
        serde_json::from_str(&std::fs::read_to_string(events_dir().join("manifest.json")).unwrap()).unwrap();
    let (mut records, mut events, mut parked) = (0, BTreeMap::new(), 0);
    for e in m.values() {
        records += e["records"].as_u64().unwrap();
        parked += e["parked"].as_u64().unwrap();
        for (k, v) in e["expect"].as_object().unwrap() {
            *events.entry(k.clone()).or_insert(0) += v.as_u64().unwrap();
        }
    }
    (records, events, parked)
}

fn replay_json(args: &[&str]) -> (Value, i32) {
    let out = wapipe().args(args).output().unwrap();
    let code = out.status.code().unwrap_or(-1);
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)));
    (v, code)
}

#[test]
fn replay_of_the_samples_matches_the_manifest() {
    let (records, events, parked) = manifest_totals();
    let (v, code) = replay_json(&["replay", events_dir().to_str().unwrap(), "--json"]);
    assert_eq!(code, 0);
    assert_eq!(v["records"], records);
    let got: BTreeMap<String, u64> =
        v["events"].as_object().unwrap().iter().map(|(k, n)| (k.clone(), n.as_u64().unwrap())).collect();
    assert_eq!(got, events);
    let p = v["parked"].as_array().unwrap();
    assert_eq!(p.len() as u64, parked);
    for row in p {
        assert_eq!(row["source"], "webhook-ingest");
        assert!(row["reason"].as_str().unwrap().contains(':'), "a reason that names the layer: {row}");
    }
}

#[test]
fn state_chains_commands_and_a_second_replay_is_all_duplicates() {
    let state = tmp("state.json");
    let dir = events_dir();
    let (first, _) = replay_json(&["--state", state.to_str().unwrap(), "replay", dir.to_str().unwrap(), "--json"]);
    assert!(state.exists());
    // The global flag also works after the subcommand.
    let (second, code) = replay_json(&["replay", dir.to_str().unwrap(), "--json", "--state", state.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(second["events"], json!({}), "nothing is published twice");
    assert_eq!(second["duplicates"], first["units"]);
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    let (_, events, _) = manifest_totals();
    // Ingest's events as the manifest says, plus what the consumers published in-process: the
    // status tracker (the failed status sample), the quality snapshotter (the quality and
    // template samples), the payment processor (the payment sample has no order: rejected).
    let saved = saved["events"].as_array().unwrap();
    let count = |t: &str| saved.iter().filter(|e| e["detail_type"] == t).count() as u64;
    let consumers = ["whatsapp.message.failed", "whatsapp.quality.changed", "whatsapp.payment.rejected"];
    for t in consumers {
        assert!(count(t) >= 1, "{t}: the samples reached its consumer in local mode");
    }
    let by_consumers: u64 = consumers.iter().map(|t| count(t)).sum();
    assert_eq!(saved.len() as u64 - by_consumers, events.values().sum::<u64>());
    // The summary reports the consumers' answers apart from ingest's events.
    for t in consumers {
        assert_eq!(first["consumer_events"][t].as_u64(), Some(count(t)), "{t} in the summary");
    }
    assert_eq!(second["consumer_events"], json!({}), "a second replay makes the consumers publish nothing");
    let _ = std::fs::remove_file(state);
}

#[test]
fn bad_input_exits_non_zero_with_a_clear_error() {
    let out = wapipe().args(["replay", "/definitely/not/here"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/definitely/not/here"));

    let broken = tmp("broken-state.json");
    std::fs::write(&broken, "{nope").unwrap();
    let out = wapipe().args(["--state", broken.to_str().unwrap(), "replay", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not wapipe state"));
    let _ = std::fs::remove_file(broken);

    let bad = events_dir().join("bad");
    let out = wapipe().args(["replay", bad.to_str().unwrap(), "--strict"]).output().unwrap();
    assert_eq!(out.status.code(), Some(7), "--strict fails on parked records (exit::PARKED)");
}

#[test]
fn dev_refuses_non_loopback_addresses() {
    let out = wapipe().args(["dev", "--listen", "0.0.0.0:0"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("loopback"));
}

/// A child process killed on drop.
struct Server(Child, String);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_dev(extra: &[&str]) -> Server {
    let mut child = wapipe()
        .args(["dev", "--listen", "127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line.trim().rsplit("http://").next().unwrap().to_string();
    assert!(addr.starts_with("127.0.0.1:"), "{line}");
    Server(child, addr)
}

/// Minimal HTTP/1.1 client: (status, body).
fn http(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut req =
        format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let status = resp.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = resp.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

#[test]
fn dev_serves_the_eum_calls_local_mode_made() {
    let state = tmp("sandbox-calls.json");
    let text = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/send/text.json");
    let out = wapipe()
        .arg("--state")
        .arg(&state)
        .args(["send", "--file", text.to_str().unwrap(), "--open-window", "--wait", "2"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let server = start_dev(&["--state", state.to_str().unwrap()]);
    let (status, body) = http(&server.1, "GET", "/sandbox/calls?op=SendWhatsAppMessage", &[], "");
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["count"], 1, "{v}");
    let call = &v["calls"][0];
    assert_eq!(call["input"]["message"]["to"], "+919876543210", "the decoded message as sent: {call}");
    assert!(call["output"]["messageId"].is_string(), "{call}");
    let (_, none) = http(&server.1, "GET", "/sandbox/calls?op=SendWhatsAppConversionEvent", &[], "");
    assert_eq!(serde_json::from_str::<Value>(&none).unwrap()["count"], 0);
    drop(server);
    let _ = std::fs::remove_file(&state);
}

fn wait_for_events(addr: &str, n: usize) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, body) = http(addr, "GET", "/events", &[], "");
        let v: Value = serde_json::from_str(&body).unwrap();
        if v["total"].as_u64().unwrap() as usize >= n || Instant::now() > deadline {
            return v;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// The SQS body (SNS notification) of a sample.
fn sample_body(name: &str) -> String {
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(events_dir().join(name)).unwrap()).unwrap();
    doc["Records"][0]["body"].as_str().unwrap().to_string()
}

#[test]
fn dev_server_ingests_eum_bodies_and_signed_meta_webhooks() {
    let secret = "dev-secret";
    let server = start_dev(&["--app-secret", secret, "--verify-token", "vt"]);
    let addr = server.1.as_str();
    assert_eq!(http(addr, "GET", "/health", &[], "").0, 200);

    // EUM path: the SNS notification as the topic delivers it.
    let (code, _) =
        http(addr, "POST", "/eum", &[("content-type", "application/json")], &sample_body("example-sqs-eum-text.json"));
    assert_eq!(code, 202);
    let v = wait_for_events(addr, 1);
    assert_eq!(v["events"][0]["detail-type"], "whatsapp.message.received");

    // Direct Meta webhook: verification, then a signed body, then a tampered one.
    let (code, body) = http(addr, "GET", "/webhook?hub.mode=subscribe&hub.verify_token=vt&hub.challenge=77", &[], "");
    assert_eq!((code, body.as_str()), (200, "77"));
    assert_eq!(http(addr, "GET", "/webhook?hub.mode=subscribe&hub.verify_token=no&hub.challenge=77", &[], "").0, 403);
    let meta = std::fs::read_to_string(events_dir().join("meta-webhook-text.json")).unwrap();
    let sig = wapipe_sign(secret, &meta);
    let (code, _) = http(addr, "POST", "/webhook", &[("x-hub-signature-256", &sig)], &meta);
    assert_eq!(code, 200);
    let v = wait_for_events(addr, 2);
    assert_eq!(v["total"], 2);
    let tampered = meta.replacen("whatsapp", "whatsapq", 1);
    assert_eq!(http(addr, "POST", "/webhook", &[("x-hub-signature-256", &sig)], &tampered).0, 401);
    assert_eq!(http(addr, "POST", "/webhook", &[], &meta).0, 401);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(wait_for_events(addr, 2)["total"], 2, "refused bodies never reach ingest");
}

/// `wapipe sign` is the tool users have for this; the test uses it too.
fn wapipe_sign(secret: &str, body: &str) -> String {
    let mut child =
        wapipe().args(["sign", "--secret", secret, "-"]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(body.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn ingest_only_replay_runs_no_consumer() {
    let dir = events_dir();
    let count_msgs = |state: &Path| {
        let saved: Value = serde_json::from_str(&std::fs::read_to_string(state).unwrap()).unwrap();
        let msgs = saved["items"].as_array().unwrap().iter().filter(|i| i["pk"].as_str().unwrap().starts_with("MSG#"));
        // Inbound records, and the outbound ones ingest writes itself: Business app echoes, and
        // call permission replies linked to their request.
        msgs.filter(|i| {
            i["direction"] == "in" || i["source"] == "business_app" || i.get("call_permission_reply").is_some()
        })
        .count()
    };
    let (full_state, only_state) = (tmp("full.json"), tmp("only.json"));
    let (full, _) = replay_json(&["--state", full_state.to_str().unwrap(), "replay", dir.to_str().unwrap(), "--json"]);
    let (only, code) = replay_json(&[
        "--state",
        only_state.to_str().unwrap(),
        "replay",
        dir.to_str().unwrap(),
        "--json",
        "--ingest-only",
    ]);
    assert_eq!(code, 0);
    // Ingest publishes the same events either way...
    assert_eq!(only["events"], full["events"]);
    // ...but only inbound messages (and echoes) have records without the status tracker.
    let inbound = only["events"]["whatsapp.message.received"].as_u64().unwrap() as usize;
    let all_msgs = |state: &Path| {
        let saved: Value = serde_json::from_str(&std::fs::read_to_string(state).unwrap()).unwrap();
        saved["items"].as_array().unwrap().iter().filter(|i| i["pk"].as_str().unwrap().starts_with("MSG#")).count()
    };
    assert_eq!(
        count_msgs(&only_state),
        inbound + 2,
        "one app-sent echo (its edit and revoke joined), one request replied to"
    );
    assert_eq!(all_msgs(&only_state), count_msgs(&only_state));
    assert!(all_msgs(&full_state) > all_msgs(&only_state), "the tracker records outbound statuses");
    let _ = std::fs::remove_file(full_state);
    let _ = std::fs::remove_file(only_state);
}

#[test]
fn replayed_calls_and_groups_are_listed() {
    let state = tmp("calls.json");
    let s = state.to_str().unwrap();
    let (_, code) = replay_json(&["--state", s, "replay", events_dir().to_str().unwrap(), "--json"]);
    assert_eq!(code, 0);
    let phone = "106540352242922";
    let (calls, code) = replay_json(&["--state", s, "calling", "calls", "--phone-number-id", phone, "--json"]);
    assert_eq!(code, 0);
    let calls = calls["calls"].as_array().unwrap();
    // The samples: one user-initiated call connected, one ringing, one completed (events/call-*).
    let mut states: Vec<&str> = calls.iter().map(|c| c["state"].as_str().unwrap()).collect();
    states.sort_unstable();
    assert_eq!(states, ["COMPLETED", "RINGING", "RINGING"]);
    let done = calls.iter().find(|c| c["state"] == "COMPLETED").unwrap();
    let id = done["call_id"].as_str().unwrap();
    let (one, code) = replay_json(&["--state", s, "calling", "show", id, "--phone-number-id", phone, "--json"]);
    assert_eq!(code, 0);
    assert_eq!((one["duration"].as_i64(), one["end_status"].as_str()), (Some(58), Some("COMPLETED")));
    let missing =
        wapipe().args(["--state", s, "calling", "show", "wacid.nope", "--phone-number-id", phone]).output().unwrap();
    assert_eq!(missing.status.code(), Some(4), "not found");
    let (groups, code) = replay_json(&["--state", s, "groups", "list", "--phone-number-id", phone, "--json"]);
    assert_eq!(code, 0);
    let g = &groups["groups"][0];
    assert_eq!((g["subject"].as_str(), g["suspended"].as_bool()), (Some("Delivery slots (Mon)"), Some(true)));
    assert_eq!(g["members"], json!(["919812345678"]));
    let _ = std::fs::remove_file(state);
}
