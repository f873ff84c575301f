//! Builders shared by the processor's tests: orders, webhooks and commands as the
//! EventBridge rule delivers them, and an in-memory gateway with fault injection.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use payment_processor::{Config, Outcome, Processor, RecordIn};
use serde_json::{json, Map, Value};
use wapipe_core::app::publish::RetryPolicy;
use wapipe_core::domain::event_catalogue;
use wapipe_core::domain::events::{event_id, eventbridge_body, from_epoch_secs, DomainEvent, Envelope, EventType};
use wapipe_core::domain::outbound::parse_request_value;
use wapipe_core::domain::payments::order::{create_order, new_order, order_details_of};
use wapipe_core::memory::{MemoryBus, MemoryStore};
use wapipe_core::ports::gateway::{Gateway, GatewayError, GatewayStatus, RefundAnswer, RefundCall};
use wapipe_core::ports::{FixedClock, Store};

pub const T0: i64 = 1_758_182_494;
pub const TOTAL: i64 = 45_000;

/// A gateway in memory: idempotent by key like a real adapter; `lose_next` makes the next call
/// create the refund and then lose the answer; `fail_next` refuses.
#[derive(Default)]
pub struct FakeGateway {
    pub refunds: Mutex<BTreeMap<String, (String, i64)>>,
    pub creations: AtomicU32,
    pub lose_next: AtomicU32,
    pub refuse_next: AtomicU32,
    pub processed: bool,
}

impl Gateway for FakeGateway {
    fn name(&self) -> &'static str {
        "razorpay"
    }
    async fn refund(&self, call: &RefundCall) -> Result<RefundAnswer, GatewayError> {
        if self.refuse_next.load(Ordering::SeqCst) > 0 {
            self.refuse_next.fetch_sub(1, Ordering::SeqCst);
            return Err(GatewayError::Permanent { gateway: "razorpay", message: "BAD_REQUEST_ERROR".into() });
        }
        let status = if self.processed { GatewayStatus::Processed } else { GatewayStatus::Pending };
        let mut map = self.refunds.lock().unwrap();
        let id = format!("rfnd_{}", call.key);
        if !map.contains_key(&call.key) {
            self.creations.fetch_add(1, Ordering::SeqCst);
            map.insert(call.key.clone(), (id.clone(), call.amount));
        }
        if self.lose_next.load(Ordering::SeqCst) > 0 {
            self.lose_next.fetch_sub(1, Ordering::SeqCst);
            return Err(GatewayError::Retryable { gateway: "razorpay", message: "answer lost".into() });
        }
        Ok(RefundAnswer::Gateway { id, status, amount: call.amount })
    }
}

pub type MemProcessor = Processor<Arc<MemoryStore>, Arc<MemoryBus>, FixedClock, Arc<FakeGateway>>;

pub fn processor(gateway: Option<Arc<FakeGateway>>) -> MemProcessor {
    let config = Config {
        publish: RetryPolicy::immediate(2),
        gateway_configurations: ["main-upi".to_string()].into_iter().collect(),
        ..Config::default()
    };
    Processor::new(Arc::new(MemoryStore::new()), Arc::new(MemoryBus::new()), FixedClock(at(T0 + 60)), gateway, config)
}

pub fn at(secs: i64) -> time::OffsetDateTime {
    from_epoch_secs(secs).expect("time")
}

/// Create the order the send worker would, from `examples/send/order-details.json` with
/// `reference` and a total of `TOTAL` (currency `currency`, settings replaced by `settings`).
pub async fn seed_order(p: &MemProcessor, reference: &str, currency: &str, settings: Option<Value>) {
    let mut v: Value = serde_json::from_str(include_str!("../../../../examples/send/order-details.json")).unwrap();
    let params = &mut v["message"]["interactive"]["action"]["parameters"];
    params["reference_id"] = reference.into();
    params["currency"] = currency.into();
    params["total_amount"]["value"] = TOTAL.into();
    if let Some(s) = settings {
        params["payment_settings"] = s;
        params.as_object_mut().unwrap().remove("payment_configuration");
        params.as_object_mut().unwrap().remove("payment_type");
    }
    let req = parse_request_value(v).unwrap();
    let item = new_order(&req, order_details_of(&req).unwrap(), "106540352242922", "102290129340398", T0 - 60).unwrap();
    p.store.write(create_order(item)).await.unwrap();
}

fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

pub fn body(t: EventType, fields: Value) -> String {
    let b = raw_body(t, fields);
    let e = wapipe_core::domain::events::parse_eventbridge_body(&b).expect("a body");
    event_catalogue::validate(&e).expect("inputs follow the catalogue");
    b
}

/// An input as the rule delivers it, not checked against the catalogue (malformed inputs).
pub fn raw_body(t: EventType, fields: Value) -> String {
    let f = object(fields);
    let id = event_id(t, &[&Value::Object(f.clone()).to_string()]);
    let e = DomainEvent::new(
        t,
        Envelope { event_id: id, occurred_at: at(T0), waba_id: "102290129340398", phone_number_id: "106540352242922" },
        f,
    );
    eventbridge_body(&e, "123456789012", "ap-south-1", at(T0))
}

/// A payment status webhook (`whatsapp.payment.updated`) for `reference`.
pub fn webhook(reference: &str, status: &str, amount: i64, refunds: Option<Value>) -> String {
    let mut f = json!({"reference_id": reference, "status": status, "timestamp": T0,
        "amount": {"value": amount, "offset": 100}, "currency": "INR",
        "transaction": {"id": "pay_29QQoUBi66xm2f", "type": "razorpay",
            "status": if status == "captured" { "success" } else { status }}});
    if let Some(r) = refunds {
        f["refunds"] = r;
    }
    body(EventType::PaymentUpdated, f)
}

pub fn refund_cmd(reference: &str, key: &str, amount: i64) -> String {
    body(EventType::RefundRequested, json!({"reference_id": reference, "key": key, "amount": amount}))
}

pub fn settled_cmd(reference: &str, key: &str, outcome: &str) -> String {
    body(EventType::RefundSettled, json!({"reference_id": reference, "key": key, "outcome": outcome}))
}

pub fn mark_paid_cmd(reference: &str, amount: i64, currency: &str) -> String {
    body(
        EventType::PaymentMarkPaid,
        json!({"reference_id": reference, "psp_reference": "E2E-1", "amount": amount,
        "currency": currency}),
    )
}

static SEQ: AtomicU32 = AtomicU32::new(0);

pub async fn run(p: &MemProcessor, body: String) -> Outcome {
    run_n(p, body, 99).await
}

/// Deliver `body` as its `receive_count`-th receive.
pub async fn run_n(p: &MemProcessor, body: String, receive_count: u32) -> Outcome {
    let id = format!("m{}", SEQ.fetch_add(1, Ordering::SeqCst));
    let r = RecordIn { id, body, receive_count, sent_at: Some(at(T0)), ..Default::default() };
    let outcome = p.handle_batch(&[r]).await.outcomes.remove(0).1;
    for e in p.bus.events() {
        event_catalogue::validate(&e).unwrap_or_else(|err| panic!("{}: {err}", e.detail_type));
    }
    outcome
}

/// The rejection reasons published so far.
pub fn rejections(p: &MemProcessor) -> Vec<String> {
    p.bus
        .events()
        .iter()
        .filter(|e| e.detail_type == EventType::PaymentRejected)
        .map(|e| e.detail["reason"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// The order's ledger: (state, captured, reserved, remaining, refunded).
pub async fn ledger(p: &MemProcessor, reference: &str) -> (String, i64, i64, i64, i64) {
    let k = wapipe_core::domain::keys::payment(reference);
    let o = p.store.get(&k.pk, &k.sk).await.unwrap().expect("order");
    let n = |f: &str| o.get_i64(f).unwrap_or(-1);
    (o.get_str("state").unwrap().to_string(), n("captured"), n("reserved"), n("remaining"), n("refunded"))
}
