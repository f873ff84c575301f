//! Usernames and BSUIDs (docs/PROTOCOL.md §10.1): a user seen by phone and then addressed by
//! BSUID is one contact, with one window, one opt-out and one pair pacing budget; a BSUID goes
//! to EUM as `recipient`; authentication templates to a BSUID are refused before any call.
//!
//! The table state comes from real webhooks through `normalize`, as webhook-ingest writes it.

mod support;

use std::sync::Arc;
use std::time::Duration;

use send_worker::{Config, Outcome, RecordIn};
use serde_json::{json, Value};
use support::*;
use wapipe_core::domain::envelope::EumContext;
use wapipe_core::domain::ingest_plan::NormalizeContext;
use wapipe_core::domain::normalize::normalize;
use wapipe_core::memory::Sandbox;
use wapipe_core::ports::messaging::Messaging;
use wapipe_core::ports::{Clock, Store};
use wapipe_fake_eum::{FakeEum, DEFAULT_META_PHONE_ID};

const BSUID: &str = "IN.13491208655302741918";

/// Apply one webhook change to the table as webhook-ingest does (every unit's writes).
async fn ingest<M: Messaging>(e: &Env<M>, phone: &str, field: &str, mut value: Value) {
    value["messaging_product"] = json!("whatsapp");
    value["metadata"] = json!({"display_phone_number": "918041234567", "phone_number_id": phone});
    let entry = json!({"id": WABA, "changes": [{"field": field, "value": value}]});
    let context = EumContext::default();
    let ctx = NormalizeContext::new(&context, e.clock.now());
    for unit in normalize(&entry.to_string(), &ctx).expect("normalize") {
        for w in unit.before.into_iter().chain(unit.after) {
            e.store.write(w).await.expect("write");
        }
    }
}

/// The user writes from the phone; the webhook names both the phone and the BSUID (as every
/// webhook does since April 2026).
async fn user_wrote_by_phone<M: Messaging>(e: &Env<M>, phone: &str, ago: i64) {
    let ts = (e.clock.now().unix_timestamp() - ago).to_string();
    let value = json!({
        "contacts": [{"profile": {"name": "Asha"}, "wa_id": WA_ID, "user_id": BSUID}],
        "messages": [{"from": WA_ID, "from_user_id": BSUID, "id": format!("wamid.IN{ago}"), "timestamp": ts,
            "type": "text", "text": {"body": "hi"}}]});
    ingest(e, phone, "messages", value).await;
}

fn to_bsuid(body: &str, to: &str) -> String {
    let mut v: Value = serde_json::from_str(body).expect("body");
    v["to"] = json!(to);
    v.to_string()
}

fn rule(out: &Outcome) -> Option<&str> {
    match out {
        Outcome::Rejected { rule, .. } => Some(rule),
        _ => None,
    }
}

#[tokio::test]
async fn a_user_seen_by_phone_then_addressed_by_bsuid_is_one_contact() {
    let e =
        env_with(Arc::new(Sandbox::new()), Config { pair_interval: Duration::from_secs(6), pair_burst: 1, ..config() });
    // No webhook yet: the BSUID has no window, so free-form text is refused.
    let out = e.run(&to_bsuid(&text("b0"), BSUID)).await;
    assert_eq!(rule(&out), Some("template_required"), "{out:?}");

    // One window: the phone's message opens it for the BSUID too.
    user_wrote_by_phone(&e, PHONE, 60).await;
    let out = e.run(&to_bsuid(&text("b1"), BSUID)).await;
    assert!(matches!(out, Outcome::Accepted { .. }), "{out:?}");

    // One pacing budget: the pair slot the BSUID send took holds the phone send back.
    let out = e.run(&text("p1")).await;
    assert!(matches!(out, Outcome::Retry { ref error, .. } if error == "paced"), "{out:?}");
    e.clock.advance(Duration::from_secs(7));

    // One opt-out: the user stops marketing by phone; marketing to the BSUID is refused.
    let pref = json!({"contacts": [{"wa_id": WA_ID, "user_id": BSUID}], "user_preferences": [{"wa_id": WA_ID,
        "detail": "stop", "category": "marketing_messages", "value": "stop",
        "timestamp": e.clock.now().unix_timestamp() - 1}]});
    ingest(&e, PHONE, "user_preferences", pref).await;
    let out = e.run(&to_bsuid(&template("m1", "promo", Some("MARKETING")), BSUID)).await;
    assert_eq!(rule(&out), Some("opted_out"), "{out:?}");
    let out = e.run(&template("m2", "promo", Some("MARKETING"))).await;
    assert_eq!(rule(&out), Some("opted_out"), "and by phone: {out:?}");
}

#[tokio::test]
async fn a_window_opened_by_bsuid_alone_counts_for_the_resolved_contact() {
    let e = env();
    // Seen once by phone 3 days ago (window closed), then by BSUID alone (phone hidden) just now.
    user_wrote_by_phone(&e, PHONE, 3 * 86_400).await;
    let ts = (e.clock.now().unix_timestamp() - 30).to_string();
    let value = json!({"contacts": [{"profile": {"username": "@asha"}, "user_id": BSUID}],
        "messages": [{"from_user_id": BSUID, "id": "wamid.B1", "timestamp": ts, "type": "text", "text": {"body": "hi"}}]});
    ingest(&e, PHONE, "messages", value).await;
    let out = e.run(&to_bsuid(&text("w1"), BSUID)).await;
    assert!(matches!(out, Outcome::Accepted { .. }), "the later of the two windows: {out:?}");
}

#[tokio::test]
async fn a_bsuid_reaches_eum_as_recipient_and_otp_templates_to_it_are_refused_first() {
    let fake = FakeEum::start().await;
    let e = env_with(eum_messaging(&fake), config());
    user_wrote_by_phone(&e, DEFAULT_META_PHONE_ID, 60).await;
    let body = json!({"request_id": "r1", "from": DEFAULT_META_PHONE_ID, "to": BSUID,
        "message": {"type": "text", "text": {"body": "Your order shipped"}}});
    let out = e.run(&body.to_string()).await;
    assert!(matches!(out, Outcome::Accepted { .. }), "{out:?}");
    let sent = fake.sent();
    let wire = &sent.last().expect("sent").message;
    assert_eq!(wire["recipient"], BSUID, "{wire}");
    assert!(wire.get("to").is_none(), "`to` would win over `recipient`: {wire}");
    assert_eq!(wire["recipient_type"], "individual");

    let otp = json!({"request_id": "otp1", "from": DEFAULT_META_PHONE_ID, "to": BSUID, "options": {"category": "AUTHENTICATION"},
        "message": {"type": "template", "template": {"name": "login_code", "language": {"code": "en_US"}, "components": [
            {"type": "body", "parameters": [{"type": "text", "text": "123456"}]},
            {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "123456"}]}]}}});
    let out = e.run(&otp.to_string()).await;
    assert_eq!(rule(&out), Some("bsuid_not_supported"), "{out:?}");
    assert_eq!(fake.sent().len(), 1, "no call for the OTP");
    // The same template to the phone goes.
    let mut by_phone = otp.clone();
    by_phone["request_id"] = json!("otp2");
    by_phone["to"] = json!(TO);
    assert!(matches!(e.run(&by_phone.to_string()).await, Outcome::Accepted { .. }));
}

#[tokio::test]
async fn every_request_of_a_batch_to_a_bsuid_is_resolved() {
    let e = env();
    user_wrote_by_phone(&e, PHONE, 60).await;
    let batch: Vec<RecordIn> = ["a", "b", "c"]
        .iter()
        .map(|id| RecordIn { id: id.to_string(), body: to_bsuid(&text(id), BSUID), ..Default::default() })
        .collect();
    let report = e.worker.handle_batch(&batch).await;
    assert!(report.outcomes.iter().all(|(_, o)| matches!(o, Outcome::Accepted { .. })), "{:?}", report.outcomes);
}
