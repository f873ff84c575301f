//! The payment ledger through the DynamoDB adapter on the emulator: 20 refund requests race on
//! one captured order (distinct keys, some repeated, together far more than was captured). The
//! transactions must let through exactly what fits, never reserve more than the capture, and
//! leave one refund per key.
//!
//! `eval "$(scripts/emulator.sh env)" && cargo test -p wapipe-tests --test payments`

use std::sync::Arc;

use payment_processor::{Config, Outcome, Processor, RecordIn};
use serde_json::{json, Map, Value};
use wapipe_core::app::publish::RetryPolicy;
use wapipe_core::aws::DynamoStore;
use wapipe_core::domain::events::{event_id, eventbridge_body, from_epoch_secs, DomainEvent, Envelope, EventType};
use wapipe_core::domain::keys;
use wapipe_core::domain::outbound::parse_request_value;
use wapipe_core::domain::payments::order::{create_order, new_order, order_details_of};
use wapipe_core::memory::MemoryBus;
use wapipe_core::ports::gateway::ManualGateway;
use wapipe_core::ports::{FixedClock, Query, Store};
use wapipe_tests::{create_table, emulator_config, require_emulator};

const T0: i64 = 1_758_182_494;
const TOTAL: i64 = 45_000;
const REFERENCE: &str = "order-race";

fn body(t: EventType, fields: Value) -> String {
    let f: Map<String, Value> = match fields {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    let at = from_epoch_secs(T0).expect("time");
    let id = event_id(t, &[&Value::Object(f.clone()).to_string()]);
    let e = DomainEvent::new(t, Envelope { event_id: id, occurred_at: at, waba_id: "w", phone_number_id: "p" }, f);
    eventbridge_body(&e, "000000000000", "ap-south-1", at)
}

type EmulatorProcessor = Processor<DynamoStore, Arc<MemoryBus>, FixedClock, ManualGateway>;

async fn deliver(p: &EmulatorProcessor, body: String) -> Outcome {
    // As SQS would: a record that asks to be retried comes back (bounded).
    let mut last = Outcome::Retry { error: "not run".into() };
    for n in 1..=20 {
        let r = RecordIn { id: format!("r{n}"), body: body.clone(), receive_count: n, ..Default::default() };
        last = p.handle_batch(&[r]).await.outcomes.remove(0).1;
        if !matches!(last, Outcome::Retry { .. }) {
            break;
        }
    }
    last
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_refunds_never_reserve_more_than_the_capture() {
    let Some(endpoint) = require_emulator() else { return };
    let sdk = emulator_config(&endpoint).await;
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    let table = create_table(&client).await;
    let config = Config { publish: RetryPolicy::immediate(3), max_attempts: 16, ..Config::default() };
    let p: Arc<EmulatorProcessor> = Arc::new(Processor::new(
        DynamoStore::new(client, table),
        Arc::new(MemoryBus::new()),
        FixedClock(from_epoch_secs(T0 + 60).expect("time")),
        None,
        config,
    ));
    let mut v: Value = serde_json::from_str(include_str!("../../examples/send/order-details.json")).expect("example");
    v["message"]["interactive"]["action"]["parameters"]["reference_id"] = REFERENCE.into();
    v["message"]["interactive"]["action"]["parameters"]["total_amount"]["value"] = TOTAL.into();
    let req = parse_request_value(v).expect("request");
    let order = new_order(&req, order_details_of(&req).expect("order_details"), "p", "w", T0).expect("order");
    p.store.write(create_order(order)).await.expect("order written");
    let capture = json!({"reference_id": REFERENCE, "status": "captured", "timestamp": T0,
        "amount": {"value": TOTAL, "offset": 100}, "currency": "INR", "transaction": {"id": "pay_1", "type": "razorpay"}});
    assert!(matches!(deliver(&p, body(EventType::PaymentUpdated, capture)).await, Outcome::Done { .. }));

    // 20 requests of 4 000 (80 000 asked for 45 000 captured); keys k0..k15, k0..k3 sent twice.
    let mut tasks = Vec::new();
    for i in 0..20 {
        let key = format!("k{}", i % 16);
        let b = body(EventType::RefundRequested, json!({"reference_id": REFERENCE, "key": key, "amount": 4_000}));
        let p = p.clone();
        tasks.push((key, tokio::spawn(async move { deliver(&p, b).await })));
    }
    let mut outcomes = Vec::new();
    for (key, t) in tasks {
        outcomes.push((key, t.await.expect("task")));
    }

    let k = keys::payment(REFERENCE);
    let o = p.store.get(&k.pk, &k.sk).await.expect("get").expect("order");
    let n = |f: &str| o.get_i64(f).expect(f);
    let refunds = p
        .store
        .query(Query::table(keys::payment_partition(REFERENCE), keys::REFUND_PREFIX))
        .await
        .expect("query")
        .items;
    let sum: i64 = refunds.iter().map(|r| r.get_i64("amount").unwrap_or(0)).sum();
    assert_eq!(n("captured"), TOTAL);
    assert!(n("reserved") <= TOTAL, "reserved {} of {TOTAL}", n("reserved"));
    assert_eq!(n("reserved"), sum, "the ledger is the sum of its refunds");
    assert_eq!(n("reserved") + n("remaining"), TOTAL);
    assert_eq!(refunds.len(), 11, "45 000 / 4 000: exactly 11 fit, one item per key");
    for (key, outcome) in &outcomes {
        let has_refund = refunds.iter().any(|r| r.get_str("key") == Some(key.as_str()));
        match outcome {
            Outcome::Done { .. } => assert!(has_refund, "{key}: accepted without a refund item"),
            Outcome::Rejected { reason } => {
                assert_eq!(reason, "refund_exceeds_remaining");
                assert!(!has_refund, "{key}: refused yet refunded");
            }
            other => panic!("{key}: {other:?}"),
        }
    }
}
