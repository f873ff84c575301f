//! The send worker on the AWS adapters against the emulator: a request delivered many times at
//! once (concurrent invocations) sends one WhatsApp message, because the claim is a DynamoDB
//! conditional write; and the per-phone pacing budget holds across concurrent takers.
//! Skipped with a note without the emulator, failed in CI.

use std::sync::Arc;
use std::time::Duration;

use send_worker::{Config, Outcome, RecordIn, SendWorker};
use serde_json::json;
use wapipe_core::app::publish::RetryPolicy;
use wapipe_core::aws::{DynamoStore, SqsQueue};
use wapipe_core::domain::keys;
use wapipe_core::memory::{MemoryBus, Sandbox};
use wapipe_core::ports::{Clock, Item, Store, SystemClock, Write};
use wapipe_tests::{create_table, emulator_config, require_emulator};

const PHONE: &str = "106540352242922";

async fn store() -> Option<DynamoStore> {
    let conf = emulator_config(&require_emulator()?).await;
    let client = aws_sdk_dynamodb::Client::new(&conf);
    let table = create_table(&client).await;
    Some(DynamoStore::new(client, table))
}

#[tokio::test]
async fn emulator_concurrent_duplicates_send_once() {
    let Some(store) = store().await else { return };
    let conf = emulator_config(&require_emulator().unwrap_or_default()).await;
    let k = keys::contact_window(PHONE, "919876543210");
    let now = SystemClock.now().unix_timestamp();
    store.write(Write::put(Item::new(k.pk, k.sk).with("last_inbound_at", now - 60))).await.expect("window");
    let sandbox = Arc::new(Sandbox::new());
    let bus = Arc::new(MemoryBus::new());
    let config = Config { publish: RetryPolicy::immediate(2), pair_interval: Duration::ZERO, ..Config::default() };
    let worker = Arc::new(SendWorker::new(
        store.clone(),
        bus.clone(),
        sandbox.clone(),
        SqsQueue::from_conf(&conf),
        SystemClock,
        config,
    ));
    let body = json!({"request_id": "emu-dup", "from": PHONE, "to": "+919876543210",
                      "message": {"type": "text", "text": {"body": "once"}}})
    .to_string();
    let mut tasks = Vec::new();
    for i in 0..12 {
        let (w, b) = (worker.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            w.handle_batch(&[RecordIn { id: format!("m{i}"), body: b, ..RecordIn::default() }]).await
        }));
    }
    let mut accepted = 0;
    for t in tasks {
        for (_, o) in t.await.expect("task").outcomes {
            match o {
                Outcome::Accepted { .. } => accepted += 1,
                Outcome::Retry { .. } | Outcome::Duplicate { .. } => {}
                other => panic!("{other:?}"),
            }
        }
    }
    assert_eq!(accepted, 1);
    assert_eq!(sandbox.sends().len(), 1, "one WhatsApp message");
    let k = keys::send_request("emu-dup");
    let rec = store.get(&k.pk, &k.sk).await.expect("get").expect("record");
    assert_eq!(rec.get_str("state"), Some("accepted"));
    assert_eq!(rec.get_i64("attempts"), Some(1));
    // A later redelivery is a duplicate.
    let again = worker.handle_batch(&[RecordIn { id: "late".into(), body, ..RecordIn::default() }]).await;
    assert!(matches!(again.outcomes[0].1, Outcome::Duplicate { .. }), "{:?}", again.outcomes);
    assert_eq!(sandbox.sends().len(), 1);
}

#[tokio::test]
async fn emulator_phone_pacing_leases_hold_across_concurrent_takers() {
    let Some(store) = store().await else { return };
    let store = Arc::new(store);
    let mut tasks = Vec::new();
    for _ in 0..15 {
        let s = store.clone();
        tasks.push(tokio::spawn(async move { send_worker::pacing::lease(&*s, "P", 1_700_000_000, 3, 20, 60).await }));
    }
    let mut granted = 0;
    for t in tasks {
        granted += t.await.expect("task").expect("lease");
    }
    assert_eq!(granted, 20, "exactly the per-second budget is leased, in conditional blocks");
    let item = store.get("PACE#P", "SEC#1700000000").await.expect("get").expect("counter");
    assert_eq!(item.get_i64("n"), Some(20));
}
