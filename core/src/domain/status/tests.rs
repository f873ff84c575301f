//! The planner on snapshots (pure); end-to-end orders, races and counters are tested on the
//! handler (functions/status-tracker/tests) and on the emulator (tests/tests/status_tracker.rs).

use serde_json::{json, Map, Value};

use super::analytics::{plan_click, ClickInput, ClickPlan};
use super::machine::plan_status;
use super::*;
use crate::domain::event_catalogue;
use crate::memory::MemoryStore;
use crate::ports::{Item, Store, TransactOutcome, Write, WriteOutcome};

const T: i64 = 1_758_171_395;

fn input(status: &str, ts: i64, extra: Value) -> StatusInput {
    let mut d: Map<String, Value> = match json!({
        "event_id": "e", "wamid": "wamid.A", "status": status, "timestamp": ts, "waba_id": "W", "phone_number_id": "P",
        "recipient_id": "919876543210", "biz_opaque_callback_data": "wapipe:req-1"
    }) {
        Value::Object(m) => m,
        _ => unreachable!(),
    };
    if let Value::Object(e) = extra {
        d.extend(e);
    }
    StatusInput::from_detail(&d).unwrap()
}

fn send_record() -> Item {
    Item::new("SEND#req-1", "SEND")
        .with("state", "accepted")
        .with("message_type", "template")
        .with("template_name", "order_update")
        .with("template_language", "en_US")
}

/// Apply a plan to a memory store, as the handler does.
async fn apply(store: &MemoryStore, writes: Vec<Write>) -> bool {
    match writes.len() {
        0 => true,
        1 => store.write(writes.into_iter().next().unwrap()).await.unwrap() == WriteOutcome::Applied,
        _ => store.transact(writes).await.unwrap() == TransactOutcome::Applied,
    }
}

async fn msg(store: &MemoryStore) -> Option<Item> {
    store.get("MSG#wamid.A", "MSG").await.unwrap()
}

#[test]
fn ranks_and_names() {
    assert!(Kind::Sent.rank() < Kind::Delivered.rank() && Kind::Delivered.rank() < Kind::Read.rank());
    assert_eq!(Kind::Played.rank(), Kind::Read.rank());
    assert_eq!(Kind::Played.current(), "read");
    assert!(Kind::Failed.rank() > Kind::Read.rank(), "failed is terminal");
    assert_eq!(Kind::Deleted.rank(), None);
    assert_eq!(Kind::parse("nope"), None);
    assert_eq!(day_of(T), "2025-09-18");
}

#[test]
fn input_errors_name_the_field() {
    let mut d = Map::new();
    d.insert("wamid".into(), "w".into());
    assert_eq!(StatusInput::from_detail(&d).unwrap_err().field, "status");
    d.insert("status".into(), "sent".into());
    d.insert("timestamp".into(), "soon".into());
    assert_eq!(StatusInput::from_detail(&d).unwrap_err().field, "timestamp");
}

#[test]
fn errors_are_explained_from_the_one_table() {
    let e = explain_errors(&[json!({"code": 131056, "title": "t"}), json!({"code": 42}), json!("odd")]);
    assert_eq!(e[0]["retry"], "pair_rate");
    assert_eq!(e[0]["retryable"], true);
    assert_eq!(e[0]["title"], "t");
    assert_eq!(e[1]["retryable"], false, "unknown codes are permanent");
    assert_eq!(e[2]["raw"], "odd");
}

#[tokio::test]
async fn late_status_records_its_time_without_moving_back_and_duplicates_plan_nothing() {
    let s = MemoryStore::new();
    let read = input("read", T + 40, json!({}));
    assert!(apply(&s, plan_status(&read, None, None, None).writes).await);
    let delivered = input("delivered", T + 3, json!({}));
    let p = plan_status(&delivered, msg(&s).await.as_ref(), None, None);
    assert!(p.recorded && p.link_pending);
    assert!(apply(&s, p.writes).await);
    let m = msg(&s).await.unwrap();
    assert_eq!((m.get_str("status"), m.get_i64("rank")), (Some("read"), Some(4)));
    assert_eq!(m.get_i64("delivered_at"), Some(T + 3));
    assert!(plan_status(&delivered, Some(&m), None, None).writes.is_empty(), "a duplicate writes nothing");
    assert!(plan_status(&input("mystery", T, json!({})), Some(&m), None, None).writes.is_empty());
}

#[tokio::test]
async fn a_stale_snapshot_fails_its_condition() {
    let s = MemoryStore::new();
    let sent = plan_status(&input("sent", T, json!({})), None, None, None);
    let delivered = plan_status(&input("delivered", T + 3, json!({})), None, None, None);
    assert!(apply(&s, delivered.writes).await);
    // Planned from "nothing yet": its rank move is no longer true, so nothing is written.
    assert!(!apply(&s, sent.writes).await);
    let fresh = plan_status(&input("sent", T, json!({})), msg(&s).await.as_ref(), None, None);
    assert!(apply(&s, fresh.writes).await);
    let m = msg(&s).await.unwrap();
    assert_eq!((m.get_str("status"), m.get_i64("sent_at")), (Some("delivered"), Some(T)));
}

#[tokio::test]
async fn joining_late_counts_every_recorded_status_once() {
    let s = MemoryStore::new();
    for (st, dt) in [("sent", 0), ("delivered", 3)] {
        let p = plan_status(&input(st, T + dt, json!({})), msg(&s).await.as_ref(), None, None);
        assert!(p.counted.is_empty());
        assert!(apply(&s, p.writes).await);
    }
    // The send worker writes its record with an update (send_record.rs), keeping `wamid`.
    let w = send_record();
    let updates = w.attrs.iter().map(|(k, v)| crate::domain::table::Update::Set(k.clone(), v.clone())).collect();
    s.write(Write::Update { pk: w.pk, sk: w.sk, updates, cond: None }).await.unwrap();
    let send = s.get("SEND#req-1", "SEND").await.unwrap();
    // A redelivered duplicate joins and counts what was recorded.
    let p = plan_status(&input("delivered", T + 3, json!({})), msg(&s).await.as_ref(), send.as_ref(), None);
    assert!(p.linked && !p.recorded);
    assert_eq!(p.counted, vec![Counter::Sent, Counter::Delivered]);
    assert!(apply(&s, p.writes).await);
    let row = s.get("TEMPLATE#W#order_update#en_US", "DAY#2025-09-18").await.unwrap().unwrap();
    assert_eq!((row.get_i64("sent"), row.get_i64("delivered"), row.get_i64("read")), (Some(1), Some(1), None));
    assert_eq!(s.get("SEND#req-1", "SEND").await.unwrap().unwrap().get_str("wamid"), Some("wamid.A"));
    let m = msg(&s).await.unwrap();
    let p = plan_status(&input("read", T + 9, json!({})), Some(&m), None, None);
    assert_eq!(p.counted, vec![Counter::Read]);
}

#[test]
fn failed_publishes_a_catalogued_event_with_explained_errors() {
    let errors = json!({"errors": [{"code": 131026, "title": "Message undeliverable"}]});
    let p = plan_status(&input("failed", T, errors), None, Some(&send_record()), None);
    assert_eq!(p.events.len(), 1);
    let e = &p.events[0];
    event_catalogue::validate(e).unwrap();
    assert_eq!(e.detail["request_id"], "req-1");
    assert_eq!(e.detail["template_name"], "order_update");
    assert_eq!(e.detail["errors"][0]["retry"], "never");
}

#[tokio::test]
async fn clicks_need_a_joined_template_and_count_once() {
    let s = MemoryStore::new();
    let d = |ctx: &str| -> Map<String, Value> {
        match json!({"wamid": "wamid.IN", "type": "button", "timestamp": T, "waba_id": "W",
                     "context": {"message_id": ctx}})
        {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    };
    let click = ClickInput::from_detail(&d("wamid.A")).unwrap();
    let now = time::OffsetDateTime::UNIX_EPOCH;
    assert!(matches!(plan_click(&click, None, now, 60), ClickPlan::Ignore(_)));
    let unjoined = Item::new("MSG#wamid.A", "MSG").with("request_id", "req-1");
    assert_eq!(plan_click(&click, Some(&unjoined), now, 60), ClickPlan::LinkPending);
    let joined = unjoined.with("linked", true).with("template_name", "order_update").with("template_language", "en_US");
    let ClickPlan::Count(w) = plan_click(&click, Some(&joined), now, 60) else { panic!("counted") };
    assert!(apply(&s, w.clone()).await);
    assert!(!apply(&s, w).await, "the second time the mark stops it");
    let mut text = d("wamid.A");
    text.insert("type".into(), "text".into());
    assert_eq!(ClickInput::from_detail(&text), None);
    text.insert("type".into(), "interactive".into());
    text.remove("context");
    assert_eq!(ClickInput::from_detail(&text), None, "no context, no click");
}
