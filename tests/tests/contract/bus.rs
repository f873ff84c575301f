//! Bus cases: a bus plus a way to read back what reached its consumers.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use serde_json::{json, Map, Value};
use wapipe_core::aws::EventBridgeBus;
use wapipe_core::domain::events::{DomainEvent, EventType, SOURCE};
use wapipe_core::memory::MemoryBus;
use wapipe_core::ports::{Bus, EntryResult, PortResult};
use wapipe_tests::read_envelopes;

/// (source, detail-type, detail) of a delivered event.
pub type Delivered = (String, String, Value);

pub trait ReadBack: Bus {
    fn read_back(&self, n: usize, timeout: Duration) -> impl Future<Output = Vec<Delivered>>;
}

impl ReadBack for MemoryBus {
    async fn read_back(&self, _n: usize, _timeout: Duration) -> Vec<Delivered> {
        self.take_events()
            .into_iter()
            .map(|e| (SOURCE.to_string(), e.detail_type.as_str().to_string(), Value::Object(e.detail)))
            .collect()
    }
}

/// The EventBridge adapter on the emulator, with the queue its `source: wapipe` rule targets.
pub struct EmulatorBus {
    pub bus: EventBridgeBus,
    pub sqs: aws_sdk_sqs::Client,
    pub queue_url: String,
}

impl Bus for EmulatorBus {
    fn put_events(&self, events: &[DomainEvent]) -> impl Future<Output = PortResult<Vec<EntryResult>>> + Send {
        self.bus.put_events(events)
    }
}

impl ReadBack for EmulatorBus {
    async fn read_back(&self, n: usize, timeout: Duration) -> Vec<Delivered> {
        read_envelopes(&self.sqs, &self.queue_url, n, timeout)
            .await
            .into_iter()
            .map(|env| {
                let s = env["source"].as_str().unwrap_or_default().to_string();
                let t = env["detail-type"].as_str().unwrap_or_default().to_string();
                (s, t, env["detail"].clone())
            })
            .collect()
    }
}

fn event(i: usize) -> DomainEvent {
    let t = EventType::ALL[i % EventType::ALL.len()];
    let mut detail = Map::new();
    detail.insert("schema".into(), json!(1));
    detail.insert("event_id".into(), json!(format!("ev-{i}")));
    detail.insert("waba_id".into(), json!("waba-1"));
    detail.insert("nested".into(), json!({"i": i, "list": [1, "x", null, true], "f": 0.25}));
    DomainEvent { detail_type: t, detail }
}

pub async fn bus_publishes_ten<B: ReadBack>(b: B) {
    let events: Vec<DomainEvent> = (0..10).map(event).collect();
    let results = b.put_events(&events).await.expect("put_events");
    assert_eq!(results, vec![EntryResult::Ok; 10]);
    let got = b.read_back(10, Duration::from_secs(15)).await;
    assert_eq!(got.len(), 10, "all ten delivered");
    let by_id: BTreeMap<String, Delivered> =
        got.into_iter().map(|d| (d.2["event_id"].as_str().unwrap_or_default().to_string(), d)).collect();
    for e in &events {
        let (source, detail_type, detail) = by_id.get(e.event_id()).expect("event delivered");
        assert_eq!(source, SOURCE);
        assert_eq!(detail_type, e.detail_type.as_str());
        assert_eq!(detail, &Value::Object(e.detail.clone()));
    }
}

pub async fn bus_rejects_eleven<B: ReadBack>(b: B) {
    let events: Vec<DomainEvent> = (0..11).map(event).collect();
    let err = b.put_events(&events).await.expect_err("11 entries are rejected");
    assert!(!err.is_retryable(), "{err}");
    assert!(b.read_back(1, Duration::from_secs(2)).await.is_empty(), "none published");
    assert_eq!(b.put_events(&[]).await, Ok(vec![]));
}
