//! The drainer on in-memory adapters, with the real send worker as the consumer: a replayed
//! send request is sent once, a crash between re-send and delete loses nothing and sends
//! nothing twice, a poison message is parked after N replays with its reason, a dry run moves
//! nothing, and an operator can un-park.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use dlq_drainer::drain::DrainRequest;
use dlq_drainer::park::{list_parked, unpark};
use dlq_drainer::{Action, Config, Drainer, QueuePair, REPLAYS_ATTR, UNPARKED_ATTR};
use send_worker::{Outcome, RecordIn, SendWorker};
use serde_json::json;
use time::OffsetDateTime;
use wapipe_core::app::publish::RetryPolicy;
use wapipe_core::domain::event_catalogue;
use wapipe_core::domain::events::EventType;
use wapipe_core::domain::keys::Key;
use wapipe_core::memory::{MemoryBus, MemoryQueue, MemoryStore, Sandbox};
use wapipe_core::ports::{FixedClock, OutgoingMessage, Queue, QueueDepth};

const DLQ: &str = "mem://send-worker-dlq";
const SRC: &str = "mem://send-worker";
const PHONE: &str = "106540352242922";

struct Env {
    queue: Arc<MemoryQueue>,
    store: Arc<MemoryStore>,
    bus: Arc<MemoryBus>,
    drainer: Drainer<Arc<MemoryQueue>, Arc<MemoryStore>, Arc<MemoryBus>, FixedClock>,
    worker: SendWorker<Arc<MemoryStore>, Arc<MemoryBus>, Arc<Sandbox>, Arc<MemoryQueue>, FixedClock>,
    sandbox: Arc<Sandbox>,
}

fn env(initial: Duration, max_replays: u32) -> Env {
    let queue = Arc::new(MemoryQueue::new());
    queue.create_queue(DLQ, Duration::from_millis(100));
    queue.create_queue(SRC, Duration::from_millis(100));
    let store = Arc::new(MemoryStore::new());
    let bus = Arc::new(MemoryBus::new());
    let clock = FixedClock(OffsetDateTime::from_unix_timestamp(1_790_000_000).unwrap());
    let config = Config {
        pairs: vec![QueuePair { name: "send-worker".into(), dlq_url: DLQ.into(), source_url: SRC.into() }],
        max_replays,
        backoff_initial: initial,
        jitter: 0.0,
        receive_wait: Duration::ZERO,
        publish: RetryPolicy::immediate(2),
        ..Config::default()
    };
    let drainer = Drainer::new(queue.clone(), store.clone(), bus.clone(), clock, config);
    let sandbox = Arc::new(Sandbox::new());
    let wc = send_worker::Config {
        publish: RetryPolicy::immediate(2),
        pair_interval: Duration::ZERO,
        ..send_worker::Config::default()
    };
    let worker = SendWorker::new(store.clone(), bus.clone(), sandbox.clone(), queue.clone(), clock, wc);
    Env { queue, store, bus, drainer, worker, sandbox }
}

fn send_request(id: &str) -> String {
    json!({"request_id": id, "from": PHONE, "to": "+919876543210",
        "message": {"type": "template", "template": {"name": "order_update", "language": {"code": "en_US"}}},
        "options": {"category": "utility"}})
    .to_string()
}

async fn put(q: &MemoryQueue, url: &str, body: &str, attrs: &[(&str, &str)]) {
    let attributes: BTreeMap<String, String> = attrs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    q.send(url, OutgoingMessage { body: body.into(), delay: None, attributes }).await.unwrap();
}

/// The send worker consumes whatever is visible on its queue (as its Lambda would).
async fn consume(e: &Env) -> Vec<Outcome> {
    let mut out = Vec::new();
    for _ in 0..20 {
        let got = e.queue.receive(SRC, 10, Duration::from_millis(50)).await.unwrap();
        if got.is_empty() {
            break;
        }
        for m in got {
            let r = RecordIn::new(m.message_id.clone(), m.body.clone());
            out.extend(e.worker.handle_batch(&[r]).await.outcomes.into_iter().map(|(_, o)| o));
            e.queue.delete(SRC, &m.receipt_handle).await.unwrap();
        }
    }
    out
}

fn drain(dry_run: bool) -> DrainRequest {
    DrainRequest { dry_run, ..DrainRequest::default() }
}

#[tokio::test]
async fn a_replayed_send_request_is_sent_once_with_its_replay_count_and_delay() {
    let e = env(Duration::from_secs(1), 3);
    put(&e.queue, DLQ, &send_request("r1"), &[("tenant", "t1")]).await;
    let report = e.drainer.run(&drain(false), &|_, _| {}).await.unwrap();
    let q = &report.queues[0];
    assert_eq!((q.received, q.replayed, q.parked, q.failed), (1, 1, 0, 0));
    assert_eq!(q.messages[0].action, Action::Replay { replay: 1, delay_secs: 1 });
    assert_eq!(e.queue.len(DLQ), 0, "deleted after the re-send");
    assert_eq!(
        e.queue.depth(SRC).await.unwrap(),
        QueueDepth { visible: 0, in_flight: 0, delayed: 1 },
        "delayed by the backoff"
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let m = e.queue.receive(SRC, 10, Duration::ZERO).await.unwrap();
    assert_eq!(m[0].attributes.get(REPLAYS_ATTR).map(String::as_str), Some("1"));
    assert_eq!(m[0].attributes.get("tenant").map(String::as_str), Some("t1"), "original attributes carried");
    e.queue.change_visibility(SRC, &m[0].receipt_handle, Duration::ZERO).await.unwrap();
    let outcomes = consume(&e).await;
    assert!(matches!(outcomes.as_slice(), [Outcome::Accepted { .. }]), "{outcomes:?}");
    assert_eq!(e.sandbox.sends().len(), 1);
}

#[tokio::test]
async fn a_crash_between_resend_and_delete_neither_loses_nor_sends_twice() {
    let e = env(Duration::ZERO, 3);
    put(&e.queue, DLQ, &send_request("r2"), &[]).await;
    // The delete after the re-send fails (the process "dies" there).
    e.queue.faults().fail_nth_call("delete", 1, false);
    let r1 = e.drainer.run(&drain(false), &|_, _| {}).await.unwrap();
    assert_eq!(r1.queues[0].failed, 1);
    assert!(r1.queues[0].messages[0].error.as_deref().unwrap_or_default().contains("copy stays"));
    assert_eq!(e.queue.len(DLQ), 1, "not lost: still in the DLQ");
    assert_eq!(e.queue.len(SRC), 1, "and re-sent once");
    // The consumer sends it.
    let first = consume(&e).await;
    assert!(matches!(first.as_slice(), [Outcome::Accepted { .. }]), "{first:?}");
    // The next run replays the leftover copy; the consumer recognises it.
    tokio::time::sleep(Duration::from_millis(150)).await;
    let r2 = e.drainer.run(&drain(false), &|_, _| {}).await.unwrap();
    assert_eq!((r2.queues[0].replayed, r2.queues[0].failed), (1, 0));
    assert_eq!(e.queue.len(DLQ), 0);
    let second = consume(&e).await;
    assert!(matches!(second.as_slice(), [Outcome::Duplicate { .. }]), "{second:?}");
    assert_eq!(e.sandbox.sends().len(), 1, "one WhatsApp message for two deliveries");
}

#[tokio::test]
async fn a_poison_message_is_parked_after_n_replays_with_its_reason() {
    let e = env(Duration::ZERO, 2);
    put(&e.queue, DLQ, "{\"not\": \"a send request\"", &[("wapipe-last-error", "consumer crashed: boom")]).await;
    let mut seen = Vec::new();
    for round in 0..3 {
        let r = e.drainer.run(&drain(false), &|q, m| assert_eq!(q, "send-worker", "{m:?}")).await.unwrap();
        seen.push(r.queues[0].messages[0].action.clone());
        if round < 2 {
            // The consumer fails again and SQS dead-letters it (attributes kept).
            let m = e.queue.receive(SRC, 10, Duration::ZERO).await.unwrap();
            assert_eq!(m.len(), 1);
            let attrs: Vec<(&str, &str)> = m[0].attributes.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            put(&e.queue, DLQ, &m[0].body, &attrs).await;
            e.queue.delete(SRC, &m[0].receipt_handle).await.unwrap();
        }
    }
    assert!(matches!(seen[0], Action::Replay { replay: 1, .. }) && matches!(seen[1], Action::Replay { replay: 2, .. }));
    let Action::Park { reason } = &seen[2] else { panic!("parked: {seen:?}") };
    assert!(reason.contains("boom"), "{reason}");
    assert_eq!((e.queue.len(DLQ), e.queue.len(SRC)), (0, 0));
    let parked = list_parked(&*e.store, "send-worker", 10).await.unwrap();
    assert_eq!(parked.len(), 1);
    let p = &parked[0];
    assert_eq!(p.get_str("body"), Some("{\"not\": \"a send request\""));
    assert_eq!((p.get_i64("attempts"), p.get_str("source_url")), (Some(2), Some(SRC)));
    assert!(p.get_str("last_error").unwrap_or_default().contains("boom"));
    let events: Vec<_> = e.bus.events().into_iter().filter(|ev| ev.detail_type == EventType::MessageParked).collect();
    assert_eq!(events.len(), 1);
    event_catalogue::validate(&events[0]).unwrap();
    assert_eq!(events[0].detail["attempts"], json!(2));
    // An operator re-drives it: back on the source queue, replay count reset, item gone.
    let key = Key { pk: p.pk.clone(), sk: p.sk.clone() };
    unpark(&*e.store, &*e.queue, &key).await.unwrap();
    let back = e.queue.receive(SRC, 10, Duration::ZERO).await.unwrap();
    assert_eq!(back[0].attributes.get(UNPARKED_ATTR).map(String::as_str), Some("1"));
    assert!(!back[0].attributes.contains_key(REPLAYS_ATTR));
    assert!(list_parked(&*e.store, "send-worker", 10).await.unwrap().is_empty());
    assert!(unpark(&*e.store, &*e.queue, &key).await.is_err(), "nothing left to unpark");
}

#[tokio::test]
async fn a_dry_run_moves_nothing_and_says_what_would_move() {
    let e = env(Duration::from_secs(30), 2);
    put(&e.queue, DLQ, &send_request("d1"), &[]).await;
    put(&e.queue, DLQ, &send_request("d2"), &[(REPLAYS_ATTR, "1")]).await;
    put(&e.queue, DLQ, "poison", &[(REPLAYS_ATTR, "2")]).await;
    let r = e.drainer.run(&drain(true), &|_, _| {}).await.unwrap();
    let actions: Vec<_> = r.queues[0].messages.iter().map(|m| m.action.clone()).collect();
    assert_eq!(actions[0], Action::Replay { replay: 1, delay_secs: 30 });
    assert_eq!(actions[1], Action::Replay { replay: 2, delay_secs: 60 });
    assert!(matches!(actions[2], Action::Park { .. }));
    assert_eq!(
        e.queue.depth(DLQ).await.unwrap(),
        QueueDepth { visible: 3, in_flight: 0, delayed: 0 },
        "all visible again"
    );
    assert_eq!(e.queue.len(SRC), 0);
    assert!(e.bus.events().is_empty());
    assert!(e.store.is_empty());
    // An unknown queue name is refused, naming the field.
    let bad = DrainRequest { queues: vec!["nope".into()], ..DrainRequest::default() };
    assert!(e.drainer.run(&bad, &|_, _| {}).await.unwrap_err().contains("queues"));
}
