//! Builders shared by the tracker's tests and its bench: status and reply events as an
//! EventBridge rule delivers them, the send worker's record, and a simulated SQS queue.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::sync::Arc;

use serde_json::{json, Map, Value};
use status_tracker::{Config, Outcome, RecordIn, Tracker};
use wapipe_core::app::publish::RetryPolicy;
use wapipe_core::domain::events::{event_id, eventbridge_body, from_epoch_secs, DomainEvent, Envelope, EventType};
use wapipe_core::domain::send_record;
use wapipe_core::memory::{MemoryBus, MemoryStore};
use wapipe_core::ports::{FixedClock, Item, Query, Store, Update, Write};

pub const T0: i64 = 1_758_171_395;
pub const WABA: &str = "1393727385109399";
pub const PHONE: &str = "729155140271006";
pub const RECIPIENT: &str = "919876543210";

pub type MemTracker = Tracker<Arc<MemoryStore>, Arc<MemoryBus>, FixedClock>;

pub fn tracker() -> MemTracker {
    let config = Config { publish: RetryPolicy::immediate(2), ..Config::default() };
    Tracker::new(Arc::new(MemoryStore::new()), Arc::new(MemoryBus::new()), FixedClock(at(T0 + 3600)), config)
}

pub fn at(secs: i64) -> time::OffsetDateTime {
    from_epoch_secs(secs).expect("time")
}

fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// A `whatsapp.message.status` event as ingest publishes it.
pub fn status_event(wamid: &str, status: &str, ts: i64, request_id: Option<&str>) -> DomainEvent {
    let mut f = object(json!({"wamid": wamid, "status": status, "timestamp": ts, "recipient_id": RECIPIENT}));
    if let Some(r) = request_id {
        f.insert("biz_opaque_callback_data".into(), send_record::callback_data(r).into());
    }
    match status {
        "failed" => {
            let e = json!([{"code": 131026, "title": "Message undeliverable", "message": "Message undeliverable",
                            "details": "Message Undeliverable.", "href": "https://developers.facebook.com/"}]);
            f.insert("errors".into(), e);
        }
        "warning" => {
            f.insert("errors".into(), json!([{"code": 131000, "title": "Something went wrong"}]));
        }
        "sent" | "delivered" | "read" => {
            let p = json!({"billable": true, "pricing_model": "PMP", "category": "marketing", "type": "regular"});
            f.insert("pricing".into(), p);
        }
        _ => {}
    }
    let ts_text = ts.to_string();
    let common = Envelope {
        event_id: event_id(EventType::MessageStatus, &[wamid, status, &ts_text, ""]),
        occurred_at: at(ts),
        waba_id: WABA,
        phone_number_id: PHONE,
    };
    DomainEvent::new(EventType::MessageStatus, common, f)
}

/// A `whatsapp.message.received` reply of `kind` (button, interactive, text) to `context`.
pub fn reply_event(wamid: &str, kind: &str, ts: i64, context: Option<&str>) -> DomainEvent {
    let mut f = object(json!({"wamid": wamid, "from": RECIPIENT, "type": kind, "timestamp": ts,
                              "content": {"text": "Yes", "payload": "YES"}, "record_key": format!("MSG#{wamid}")}));
    if let Some(c) = context {
        f.insert("context".into(), json!({"message_id": c, "from": "15550100"}));
    }
    let common = Envelope {
        event_id: event_id(EventType::MessageReceived, &[wamid]),
        occurred_at: at(ts),
        waba_id: WABA,
        phone_number_id: PHONE,
    };
    DomainEvent::new(EventType::MessageReceived, common, f)
}

pub fn body(e: &DomainEvent) -> String {
    eventbridge_body(e, "123456789012", "ap-south-1", at(T0))
}

pub fn record(id: &str, body: String, receive_count: u32) -> RecordIn {
    RecordIn { id: id.to_string(), body, receive_count, sent_at: Some(at(T0)), ..Default::default() }
}

/// The send worker's record of a template send, written as it writes it (an update).
pub fn send_write(request_id: &str) -> Write {
    let k = wapipe_core::domain::keys::send_request(request_id);
    let set = |a: &str, v: &str| Update::Set(a.into(), v.into());
    Write::Update {
        pk: k.pk,
        sk: k.sk,
        updates: vec![
            set(send_record::STATE, "accepted"),
            set(send_record::MESSAGE_TYPE, "template"),
            set(send_record::TEMPLATE_NAME, "order_update"),
            set(send_record::TEMPLATE_LANGUAGE, "en_US"),
            set(send_record::TEMPLATE_CATEGORY, "UTILITY"),
        ],
        cond: None,
    }
}

/// Every item of a partition.
pub async fn partition<S: Store>(store: &S, pk: &str) -> Vec<Item> {
    store.query(Query::table(pk, "")).await.expect("query").items
}

/// The analytics state: the template's rows and the WABA's pricing rows.
pub async fn analytics<S: Store>(store: &S) -> (Vec<Item>, Vec<Item>) {
    (
        partition(store, &format!("TEMPLATE#{WABA}#order_update#en_US")).await,
        partition(store, &format!("PRICING#{WABA}")).await,
    )
}

/// SQS as the tracker sees it: a record that fails comes back later with its receive count
/// up. `on_step(i)` runs before the i-th receive (e.g. the send worker writing its record).
pub async fn run_queue<F, Fut>(t: &MemTracker, bodies: Vec<String>, mut on_step: F) -> Vec<Outcome>
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut q: VecDeque<(String, String, u32)> =
        bodies.into_iter().enumerate().map(|(i, b)| (format!("m{i}"), b, 1)).collect();
    let mut outcomes = Vec::new();
    let mut step = 0;
    while let Some((id, b, n)) = q.pop_front() {
        on_step(step).await;
        step += 1;
        assert!(step < 10_000, "the queue must drain");
        let report = t.handle_batch(&[record(&id, b.clone(), n)]).await;
        let outcome = report.outcomes.into_iter().next().map(|(_, o)| o).expect("an outcome");
        if matches!(outcome, Outcome::Retry { .. }) {
            q.push_back((id, b, n + 1));
        } else {
            outcomes.push(outcome);
        }
    }
    outcomes
}
