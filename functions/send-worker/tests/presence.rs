//! Read receipts and the typing indicator (docs/PROTOCOL.md §10.4), through the real SDK client
//! to the fake EUM server: a `read` request, `options.mark_read` on a reply, Meta's 30 days.

mod support;

use send_worker::Outcome;
use serde_json::{json, Value};
use support::*;
use wapipe_core::domain::keys;
use wapipe_core::ports::{Clock, Item, Store, Write};
use wapipe_fake_eum::{EumError, FakeEum, DEFAULT_META_PHONE_ID};

/// An inbound message record as ingest writes it, `age` seconds old.
async fn inbound<M: wapipe_core::ports::messaging::Messaging>(e: &Env<M>, wamid: &str, age: i64) {
    let k = keys::message(wamid);
    let ts = e.clock.now().unix_timestamp() - age;
    let item = Item::new(k.pk, k.sk).with("direction", "in").with("timestamp", ts);
    e.store.write(Write::put(item)).await.expect("record");
}

fn read(id: &str, wamid: &str) -> String {
    json!({"request_id": id, "from": DEFAULT_META_PHONE_ID, "to": TO,
           "message": {"type": "read", "read": {"message_id": wamid, "typing_indicator": true}}})
    .to_string()
}

fn reply(id: &str, mark: &str) -> String {
    json!({"request_id": id, "from": DEFAULT_META_PHONE_ID, "to": TO, "options": {"reply_to": mark, "mark_read": mark},
           "message": {"type": "text", "text": {"body": "On it"}}})
    .to_string()
}

const DAY: i64 = 86_400;

#[tokio::test]
async fn a_read_receipt_needs_no_window_but_meta_s_30_days() {
    let fake = FakeEum::start().await;
    let e = env_with(eum_messaging(&fake), config());
    // The user wrote 29 days ago: the window is long closed, the receipt still goes.
    inbound(&e, "wamid.OLD29", 29 * DAY).await;
    let out = e.run(&read("r1", "wamid.OLD29")).await;
    assert!(matches!(out, Outcome::Accepted { .. }), "{out:?}");
    let wire = fake.sent().last().expect("sent").message.clone();
    assert_eq!(
        wire,
        json!({"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.OLD29", "typing_indicator": {"type": "text"}})
    );
    // 31 days: refused before any call.
    inbound(&e, "wamid.OLD31", 31 * DAY).await;
    let out = e.run(&read("r2", "wamid.OLD31")).await;
    assert!(matches!(&out, Outcome::Rejected { rule, .. } if rule == "read_too_old"), "{out:?}");
    assert_eq!(fake.sent().len(), 1);
}

#[tokio::test]
async fn a_reply_with_mark_read_marks_the_message_and_types_first() {
    let fake = FakeEum::start().await;
    let e = env_with(eum_messaging(&fake), config());
    e.user_wrote(DEFAULT_META_PHONE_ID, 60).await;
    inbound(&e, "wamid.NEW", 60).await;
    let out = e.run(&reply("m1", "wamid.NEW")).await;
    assert!(matches!(out, Outcome::Accepted { .. }), "{out:?}");
    let sent: Vec<Value> = fake.sent().into_iter().map(|s| s.message).collect();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!((sent[0]["status"].as_str(), sent[0]["message_id"].as_str()), (Some("read"), Some("wamid.NEW")));
    assert_eq!(sent[0]["typing_indicator"], json!({"type": "text"}));
    assert_eq!(
        (sent[1]["text"]["body"].as_str(), sent[1]["context"]["message_id"].as_str()),
        (Some("On it"), Some("wamid.NEW"))
    );

    // A failed receipt does not hold the reply back.
    fake.fail_next("SendWhatsAppMessage", 1, EumError::throttled());
    let out = e.run(&reply("m2", "wamid.NEW")).await;
    assert!(matches!(out, Outcome::Accepted { .. }), "{out:?}");
    assert_eq!(fake.sent().len(), 3, "the reply went; the receipt did not");

    // A message past Meta's 30 days is not marked; the reply goes alone.
    inbound(&e, "wamid.ANCIENT", 40 * DAY).await;
    let out = e.run(&reply("m3", "wamid.ANCIENT")).await;
    assert!(matches!(out, Outcome::Accepted { .. }), "{out:?}");
    let last: Vec<Value> = fake.sent().into_iter().skip(3).map(|s| s.message).collect();
    assert_eq!(last.len(), 1);
    assert_eq!(last[0]["type"], "text");
}

#[test]
fn mark_read_is_not_for_a_read_receipt() {
    let mut v: Value = serde_json::from_str(&read("r3", "wamid.X")).unwrap();
    v["options"] = json!({"mark_read": "wamid.X"});
    let e = wapipe_core::domain::outbound::parse_request_value(v).unwrap().validate().unwrap_err();
    assert_eq!(e.path, "options.mark_read");
}
