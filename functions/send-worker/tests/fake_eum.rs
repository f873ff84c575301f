//! Through the real `aws-sdk-socialmessaging` client to the fake EUM Social server: for every
//! kind, the exact JSON the server decoded; throttling then success; a validation error.

mod support;

use std::time::Duration;

use send_worker::Outcome;
use serde_json::{json, Value};
use support::*;
use wapipe_core::domain::events::EventType;
use wapipe_fake_eum::{EumError, FakeEum, DEFAULT_META_PHONE_ID, DEFAULT_META_WABA_ID, DEFAULT_PHONE_ID};

fn samples() -> Vec<(String, Value)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/send");
    let mut out: Vec<(String, Value)> = std::fs::read_dir(dir)
        .expect("examples/send")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let v = serde_json::from_str(&std::fs::read_to_string(&p).expect("read")).expect("JSON");
            (p.file_name().unwrap_or_default().to_string_lossy().into_owned(), v)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[tokio::test]
async fn every_kind_reaches_eum_as_the_exact_cloud_api_json() {
    let fake = FakeEum::start().await;
    let e = env_with(eum_messaging(&fake), config());
    e.user_wrote(DEFAULT_META_PHONE_ID, 60).await;
    let all = samples();
    assert!(all.len() >= 30);
    for (name, mut s) in all {
        s["from"] = json!(DEFAULT_META_PHONE_ID);
        let out = e.run(&s.to_string()).await;
        assert!(matches!(out, Outcome::Accepted { .. }), "{name}: {out:?}");
        let sent = fake.sent();
        let last = sent.last().expect("a send");
        assert_eq!(last.origination_phone_number_id, DEFAULT_PHONE_ID, "{name}: EUM's id, resolved from Meta's");
        assert_eq!(last.meta_api_version, "v20.0");
        let want = wapipe_core::testing::expected_cloud_json(&s);
        assert_eq!(last.message, want, "{name}");
    }
    let accepted = e.events_of(EventType::SendAccepted);
    assert_eq!(accepted.len(), fake.sent().len());
    assert!(accepted.iter().all(|ev| ev.detail["waba_id"] == DEFAULT_META_WABA_ID));
}

#[tokio::test]
async fn throttled_by_eum_then_sent_once_with_growing_delays() {
    let fake = FakeEum::start().await;
    fake.fail_next("SendWhatsAppMessage", 2, EumError::throttled());
    let e = env_with(eum_messaging(&fake), config());
    e.user_wrote(DEFAULT_META_PHONE_ID, 60).await;
    let body = json!({"request_id": "th1", "from": DEFAULT_META_PHONE_ID, "to": TO,
                      "message": {"type": "text", "text": {"body": "hi"}}})
    .to_string();
    let mut delays = Vec::new();
    loop {
        match e.run(&body).await {
            Outcome::Retry { delay, error, .. } => {
                assert!(error.contains("ThrottledRequestException"), "{error}");
                delays.push(delay);
            }
            Outcome::Accepted { .. } => break,
            other => panic!("{other:?}"),
        }
        assert!(delays.len() < 5);
    }
    assert_eq!(delays, vec![Duration::from_millis(20), Duration::from_millis(40)]);
    assert_eq!(fake.requests_for("SendWhatsAppMessage").len(), 3, "two throttled calls and one that sent");
    assert_eq!(fake.sent_messages().len(), 1);
}

#[tokio::test]
async fn a_validation_error_from_eum_is_recorded_failed_and_not_retried() {
    let fake = FakeEum::start().await;
    fake.fail_next("SendWhatsAppMessage", 1, EumError::meta(131_008, "Required parameter is missing"));
    let e = env_with(eum_messaging(&fake), config());
    e.user_wrote(DEFAULT_META_PHONE_ID, 60).await;
    let body = json!({"request_id": "v1", "from": DEFAULT_META_PHONE_ID, "to": TO,
                      "message": {"type": "text", "text": {"body": "hi"}}})
    .to_string();
    let out = e.run(&body).await;
    assert!(matches!(&out, Outcome::Failed { reason, .. } if reason.starts_with("131008")), "{out:?}");
    assert_eq!(e.record("v1").await.unwrap().get_str("state"), Some("failed"));
    let ev = e.events_of(EventType::SendFailed);
    assert_eq!(
        (ev[0].detail["exception"].as_str(), ev[0].detail["error_code"].as_i64()),
        (Some("ValidationException"), Some(131_008))
    );
    assert!(matches!(e.run(&body).await, Outcome::Duplicate { .. }));
    assert_eq!(fake.requests_for("SendWhatsAppMessage").len(), 1, "never called again");
}

#[tokio::test]
async fn an_unknown_sender_is_rejected_without_a_send() {
    let fake = FakeEum::start().await;
    let e = env_with(eum_messaging(&fake), config());
    let body =
        json!({"request_id": "s1", "from": "999999", "to": TO, "message": {"type": "text", "text": {"body": "hi"}}});
    let out = e.run(&body.to_string()).await;
    assert!(matches!(&out, Outcome::Rejected { rule, .. } if rule == "unknown_sender"), "{out:?}");
    assert!(fake.requests_for("SendWhatsAppMessage").is_empty());
}

#[tokio::test]
async fn a_group_send_reaches_eum_with_recipient_type_group_and_needs_no_window() {
    let fake = FakeEum::start().await;
    let e = env_with(eum_messaging(&fake), config());
    let group = "Y2FwaV9ncm91cDoxNjMxNTU1MTExMToxMjAzNjM0MDQ2OTQyMzM4MjAZD";
    let body = json!({"request_id": "g1", "from": DEFAULT_META_PHONE_ID, "to": group, "recipient_type": "group",
        "message": {"type": "text", "text": {"body": "Slots for Monday are open"}}});
    let out = e.run(&body.to_string()).await;
    assert!(matches!(out, Outcome::Accepted { .. }), "{out:?}");
    let wire = fake.sent().last().expect("sent").message.clone();
    assert_eq!((wire["recipient_type"].as_str(), wire["to"].as_str()), (Some("group"), Some(group)));
    let mut buttons = body.clone();
    buttons["request_id"] = json!("g2");
    buttons["message"] = sample("interactive-button.json")["message"].clone();
    let out = e.run(&buttons.to_string()).await;
    assert!(
        matches!(&out, Outcome::Rejected { rule, reason, .. } if rule == "invalid" && reason.contains("message.type")),
        "{out:?}"
    );
    assert_eq!(fake.sent().len(), 1, "nothing sent for the refused kind");
}
