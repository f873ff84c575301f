//! Error classification of the AWS adapters against real failures: an endpoint that refuses
//! connections (no emulator needed) and missing resources on the emulator.

use std::time::Duration;

use wapipe_core::aws::{sdk_config_for_endpoint, DynamoStore, EventBridgeBus, SqsQueue};
use wapipe_core::domain::events::{DomainEvent, EventType};
use wapipe_core::ports::{Bus, OutgoingMessage, PortError, Queue, Store};
use wapipe_tests::{emulator_config, require_emulator, REGION};

fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

fn assert_transient<T: std::fmt::Debug>(r: Result<T, PortError>) {
    match r {
        Err(PortError::Transient { .. }) => {}
        other => panic!("expected a transient error, got {other:?}"),
    }
}

fn assert_permanent<T: std::fmt::Debug>(r: Result<T, PortError>) {
    match r {
        Err(PortError::Permanent { .. }) => {}
        other => panic!("expected a permanent error, got {other:?}"),
    }
}

#[tokio::test]
async fn refused_connections_are_transient() {
    let conf = sdk_config_for_endpoint(&format!("http://127.0.0.1:{}", closed_port()), REGION).await;
    let no_retry = aws_sdk_dynamodb::config::retry::RetryConfig::disabled();
    let ddb = aws_sdk_dynamodb::config::Builder::from(&conf).retry_config(no_retry.clone()).build();
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(ddb), "t");
    assert_transient(store.get("a", "b").await);
    let sqs = aws_sdk_sqs::config::Builder::from(&conf).retry_config(no_retry.clone()).build();
    let queue = SqsQueue::new(aws_sdk_sqs::Client::from_conf(sqs));
    assert_transient(queue.receive("http://127.0.0.1:1/000000000000/q", 1, Duration::ZERO).await);
    let eb = aws_sdk_eventbridge::config::Builder::from(&conf).retry_config(no_retry).build();
    let bus = EventBridgeBus::new(aws_sdk_eventbridge::Client::from_conf(eb), "b");
    let ev = DomainEvent { detail_type: EventType::MessageReceived, detail: serde_json::Map::new() };
    assert_transient(bus.put_events(&[ev]).await);
}

#[tokio::test]
async fn missing_resources_are_permanent() {
    let Some(endpoint) = require_emulator() else { return };
    let conf = emulator_config(&endpoint).await;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&conf), "wapipe-no-such-table");
    assert_permanent(store.get("a", "b").await);
    let queue = SqsQueue::new(aws_sdk_sqs::Client::new(&conf));
    let url = format!("{endpoint}/000000000000/wapipe-no-such-queue");
    let msg = OutgoingMessage { body: "x".into(), ..Default::default() };
    assert_permanent(queue.send(&url, msg).await);
}
