//! Test support: the worker on in-memory adapters and the sandbox, with a clock tests move.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use send_worker::{Config, Outcome, RecordIn, SendWorker};
use serde_json::{json, Value};
use time::OffsetDateTime;
use wapipe_core::app::publish::RetryPolicy;
use wapipe_core::domain::event_catalogue;
use wapipe_core::domain::events::{DomainEvent, EventType};
use wapipe_core::domain::keys;
use wapipe_core::memory::{MemoryBus, MemoryQueue, MemoryStore, Sandbox};
use wapipe_core::ports::messaging::Messaging;
use wapipe_core::ports::{Clock, Item, Store, Write};

pub const PHONE: &str = "106540352242922";
pub const WABA: &str = "102290129340398";
pub const TO: &str = "+919876543210";
pub const WA_ID: &str = "919876543210";
pub const T0: i64 = 1_758_180_000;

/// A clock the test moves.
#[derive(Clone, Debug)]
pub struct TestClock(pub Arc<Mutex<OffsetDateTime>>);

impl TestClock {
    pub fn at(secs: i64) -> TestClock {
        TestClock(Arc::new(Mutex::new(OffsetDateTime::from_unix_timestamp(secs).expect("time"))))
    }
    pub fn advance(&self, d: Duration) {
        let mut t = self.0.lock().expect("clock");
        *t += d;
    }
}

impl Clock for TestClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().expect("clock")
    }
}

pub type Worker<M> = SendWorker<Arc<MemoryStore>, Arc<MemoryBus>, M, Arc<MemoryQueue>, TestClock>;

/// Fast, deterministic tunables: no jitter, no pair limit unless a test sets one.
pub fn config() -> Config {
    Config {
        jitter: 0.0,
        backoff_initial: Duration::from_millis(20),
        pair_interval: Duration::ZERO,
        publish: RetryPolicy::immediate(2),
        ..Config::default()
    }
}

pub struct Env<M> {
    pub worker: Arc<Worker<M>>,
    pub store: Arc<MemoryStore>,
    pub bus: Arc<MemoryBus>,
    pub queue: Arc<MemoryQueue>,
    pub clock: TestClock,
}

pub fn env_with<M: Messaging>(messaging: M, config: Config) -> Env<M> {
    let store = Arc::new(MemoryStore::new());
    let bus = Arc::new(MemoryBus::new());
    let queue = Arc::new(MemoryQueue::new());
    let clock = TestClock::at(T0);
    let worker = SendWorker::new(store.clone(), bus.clone(), messaging, queue.clone(), clock.clone(), config);
    Env { worker: Arc::new(worker), store, bus, queue, clock }
}

pub fn env() -> Env<Arc<Sandbox>> {
    env_with(Arc::new(Sandbox::new()), config())
}

impl<M: Messaging> Env<M> {
    /// The user wrote `ago` seconds before now (ingest's contact window write).
    pub async fn user_wrote(&self, phone: &str, ago: i64) {
        let k = keys::contact_window(phone, WA_ID);
        let at = self.clock.now().unix_timestamp() - ago;
        let item = Item::new(k.pk, k.sk).with("last_inbound_at", at);
        self.store.write(Write::put(item)).await.expect("window");
    }

    pub async fn set(&self, key: keys::Key, attrs: Value) {
        let mut item = Item::new(key.pk, key.sk);
        if let Value::Object(m) = attrs {
            item.attrs = m;
        }
        self.store.write(Write::put(item)).await.expect("put");
    }

    pub async fn record(&self, request_id: &str) -> Option<Item> {
        let k = keys::send_request(request_id);
        self.store.get(&k.pk, &k.sk).await.expect("get")
    }

    pub async fn run(&self, body: &str) -> Outcome {
        let r = RecordIn { id: "m1".into(), body: body.into(), ..RecordIn::default() };
        let mut report = self.worker.handle_batch(&[r]).await;
        report.outcomes.remove(0).1
    }

    /// Every published event, each checked against the catalogue.
    pub fn events(&self) -> Vec<DomainEvent> {
        let events = self.bus.events();
        for e in &events {
            event_catalogue::validate(e).unwrap_or_else(|err| panic!("{err}: {:?}", e.detail));
        }
        events
    }

    pub fn events_of(&self, t: EventType) -> Vec<DomainEvent> {
        self.events().into_iter().filter(|e| e.detail_type == t).collect()
    }
}

pub fn request(request_id: &str, message: Value) -> String {
    json!({"request_id": request_id, "from": PHONE, "to": TO, "message": message}).to_string()
}

pub fn text(request_id: &str) -> String {
    request(request_id, json!({"type": "text", "text": {"body": "Hello"}}))
}

pub fn template(request_id: &str, name: &str, category: Option<&str>) -> String {
    let mut v = json!({"request_id": request_id, "from": PHONE, "to": TO,
        "message": {"type": "template", "template": {"name": name, "language": {"code": "en_US"}}}});
    if let Some(c) = category {
        v["options"] = json!({"category": c});
    }
    v.to_string()
}

pub fn sample(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/send").join(name);
    serde_json::from_str(&std::fs::read_to_string(path).expect("sample")).expect("JSON")
}

/// The real `aws-sdk-socialmessaging` client, pointed at the fake EUM server, retries off.
pub fn eum_messaging(fake: &wapipe_fake_eum::FakeEum) -> wapipe_core::aws::EumMessaging {
    use aws_sdk_socialmessaging::config::{BehaviorVersion, Credentials, Region};
    let conf = aws_sdk_socialmessaging::config::Builder::new()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(fake.endpoint())
        .region(Region::new("ap-south-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "static"))
        .retry_config(aws_sdk_socialmessaging::config::retry::RetryConfig::disabled())
        .build();
    wapipe_core::aws::EumMessaging::new(aws_sdk_socialmessaging::Client::from_conf(conf))
}
