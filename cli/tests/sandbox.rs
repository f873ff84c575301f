//! The sandbox EUM of local mode: numbers learnt from replayed EUM events send, others are
//! refused with the linked list (not an operator alert) until linked by hand; and operator
//! commands that refuse before any call.

use std::path::PathBuf;

use serde_json::Value;

mod support;
use support::{json_of, root, wapipe};

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wapipe-{name}-{}", std::process::id()));
    let _fresh = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn numbers_learnt_from_replayed_events_send_and_unknown_ones_are_refused_with_the_list() {
    let dir = temp("sandbox-phones");
    let state = dir.join("s.json");
    // A captured EUM event from another number (its envelope names it): EUM has it linked.
    let sample = root().join("events/example-sqs-eum-text.json");
    let text = std::fs::read_to_string(&sample).unwrap().replace("106540352242922", "729155140271006");
    let mine = dir.join("mine.json");
    std::fs::write(&mine, text).unwrap();
    assert_eq!(wapipe(&state, &["replay", mine.to_str().unwrap()]).0, 0);
    let phones = json_of(&state, &["sandbox", "phones", "list", "--json"]);
    let ids: Vec<&str> =
        phones["phones"].as_array().unwrap().iter().map(|p| p["meta_phone_number_id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"729155140271006"), "{phones}");

    let mut req: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("examples/send/text.json")).unwrap()).unwrap();
    req["from"] = "729155140271006".into();
    let file = dir.join("text.json");
    std::fs::write(&file, req.to_string()).unwrap();
    let (code, out, err) = wapipe(&state, &["send", "--file", file.to_str().unwrap(), "--open-window", "--wait", "2"]);
    assert_eq!(code, 0, "a learnt number sends: {out}{err}");

    req["from"] = "555000111".into();
    req["request_id"] = "from-an-unlinked-number".into();
    std::fs::write(&file, req.to_string()).unwrap();
    let (code, out, err) =
        wapipe(&state, &["send", "--file", file.to_str().unwrap(), "--open-window", "--wait", "2", "--json"]);
    assert_eq!(code, 3, "{out}{err}");
    assert!(out.contains("unknown_sender") && out.contains("linked: 106540352242922, 729155140271006"), "{out}");
    assert!(!out.contains("\"alert\":true") && !out.contains("\"alert\": true"), "not an operator alert: {out}");

    // Linked by hand, it sends.
    let (code, _, err) = wapipe(&state, &["sandbox", "phones", "add", "555000111", "--waba-id", "102290129340398"]);
    assert_eq!(code, 0, "{err}");
    req["request_id"] = "from-a-number-linked-by-hand".into();
    std::fs::write(&file, req.to_string()).unwrap();
    let (code, out, err) = wapipe(&state, &["send", "--file", file.to_str().unwrap(), "--open-window", "--wait", "2"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(wapipe(&state, &["sandbox", "phones", "add", "not-digits", "--waba-id", "1"]).0, 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn disassociation_refuses_without_confirm_and_says_what_stops() {
    let dir = temp("disassociate");
    let (code, out, err) = wapipe(&dir.join("s.json"), &["phones", "disassociate", "--waba-id", "waba-1"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("--confirm") && err.contains("event publishing"), "{err}");
    let (code, _, err) = wapipe(&dir.join("s.json"), &["tags", "add", "arn:aws:sns:x:1:t", "a=b"]);
    assert_eq!(code, 1, "not a WABA or number ARN, refused before any call: {err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_replayed_handover_failed_event_ends_a_local_send_failed_once() {
    let dir = temp("sandbox-handover");
    let state = dir.join("s.json");
    let text = root().join("examples/send/text.json");
    let (code, out, err) = wapipe(&state, &["send", "--file", text.to_str().unwrap(), "--open-window", "--wait", "2"]);
    assert_eq!(code, 0, "{out}{err}");
    // EUM's own event, as EumEventsRule delivers it from the default bus.
    let event = serde_json::json!({"version": "0", "id": "e-1", "source": "aws.social-messaging",
        "detail-type": "WhatsApp Message Handover Failed", "account": "123456789012", "region": "ap-south-1",
        "detail": {"messageId": "m-1", "bizOpaqueCallbackData": "wapipe:sample-text",
                   "errors": [{"code": 131026, "title": "Message undeliverable"}]}});
    let file = dir.join("handover.json");
    std::fs::write(&file, event.to_string()).unwrap();
    let first = json_of(&state, &["replay", file.to_str().unwrap(), "--json"]);
    assert_eq!(first["eum_events"], 1, "{first}");
    assert_eq!(first["consumer_events"]["whatsapp.send.failed"], 1, "{first}");
    assert_eq!(first["parked"], serde_json::json!([]), "not parked by ingest: {first}");
    // Again: the request is already failed, nothing more is published.
    let again = json_of(&state, &["replay", file.to_str().unwrap(), "--json"]);
    assert_eq!(again["consumer_events"].get("whatsapp.send.failed"), None, "{again}");
    // An event EUM's consumer does not read is parked with its reason, by that consumer.
    let odd = dir.join("odd.json");
    let mut unknown = event.clone();
    unknown["detail-type"] = "WhatsApp Something New".into();
    std::fs::write(&odd, unknown.to_string()).unwrap();
    let parked = json_of(&state, &["replay", odd.to_str().unwrap(), "--json"]);
    assert_eq!(parked["parked"][0]["source"], "send-worker (EUM events)", "{parked}");
    assert!(parked["parked"][0]["reason"].as_str().unwrap_or_default().contains("WhatsApp Something New"), "{parked}");
    let _ = std::fs::remove_dir_all(&dir);
}
