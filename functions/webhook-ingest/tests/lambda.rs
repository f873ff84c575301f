//! The Lambda entry: one binary, two triggers, and the partial-batch response format.

mod support;

use std::sync::Arc;

use serde_json::{json, Value};
use support::*;
use wapipe_core::memory::MemoryQueue;
use webhook_ingest::lambda::handle_event;
use webhook_ingest::WebhookReceiver;

fn receiver() -> WebhookReceiver<Arc<MemoryQueue>> {
    WebhookReceiver { queue: Arc::new(MemoryQueue::new()), queue_url: "q".into(), app_secret: None, verify_token: None }
}

fn sqs_event(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(events_dir().join(name)).unwrap()).unwrap()
}

#[tokio::test]
async fn an_sqs_event_answers_with_batch_item_failures() {
    let (ingest, store, _bus) = ingest();
    let out = handle_event(&ingest, &receiver(), sqs_event("example-sqs-eum-batch.json")).await.unwrap();
    assert_eq!(out, json!({"batchItemFailures": []}));

    // Throttle the contact windows: the inbound-message records fail, by their messageId.
    let (ingest, store2, _bus) = support::ingest();
    store2.faults().fail_key("CONTACT#");
    let event = sqs_event("example-sqs-eum-batch.json");
    let out = handle_event(&ingest, &receiver(), event.clone()).await.unwrap();
    let failed: Vec<&str> =
        out["batchItemFailures"].as_array().unwrap().iter().map(|f| f["itemIdentifier"].as_str().unwrap()).collect();
    assert!(!failed.is_empty());
    let ids: Vec<&str> =
        event["Records"].as_array().unwrap().iter().map(|r| r["messageId"].as_str().unwrap()).collect();
    assert!(failed.iter().all(|f| ids.contains(f)), "failures name SQS message ids: {failed:?}");
    assert!(failed.len() < ids.len());
    assert!(!store.snapshot().is_empty());
}

#[tokio::test]
async fn other_events_are_refused_with_a_clear_error() {
    let (ingest, _store, _bus) = ingest();
    let err = handle_event(&ingest, &receiver(), json!({"hello": "world"})).await.unwrap_err();
    assert!(err.to_string().contains("expected an SQS event or a Function URL request"));
    let err = handle_event(&ingest, &receiver(), json!({"Records": 5})).await.unwrap_err();
    assert!(err.to_string().starts_with("unsupported event: SQS event"));
}
