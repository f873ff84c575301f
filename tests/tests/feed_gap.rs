//! The feed reconciliation end to end, on one in-memory table (docs/feeds.md): the send
//! worker sends, webhook-ingest reads the SNS feed's statuses (EUM envelopes), the status
//! tracker applies them, the send worker reads EUM's EventBridge statuses, and the tracker's
//! sweep reports what only one feed saw: one `whatsapp.feed.gap` each way, none when both
//! arrive, none before the threshold.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use send_worker::SendWorker;
use serde_json::json;
use status_tracker::Tracker;
use time::OffsetDateTime;
use wapipe_core::app::consumer::Record;
use wapipe_core::app::feed::FeedCheck;
use wapipe_core::app::publish::RetryPolicy;
use wapipe_core::domain::event_catalogue;
use wapipe_core::domain::events::{eventbridge_body, EventType};
use wapipe_core::domain::keys;
use wapipe_core::memory::{MemoryBus, MemoryQueue, MemoryStore, Sandbox};
use wapipe_core::ports::{Clock, Item, Store, Write};
use webhook_ingest::Ingest;

const PHONE: &str = "106540352242922";
const WABA: &str = "102290129340398";
const WA_ID: &str = "919876543210";
const T0: i64 = 1_758_180_000;

#[derive(Clone)]
struct TestClock(Arc<Mutex<OffsetDateTime>>);

impl Clock for TestClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap()
    }
}

impl TestClock {
    fn advance(&self, secs: u64) {
        *self.0.lock().unwrap() += Duration::from_secs(secs);
    }
}

type S = Arc<MemoryStore>;
type B = Arc<MemoryBus>;

struct Stack {
    store: S,
    bus: B,
    clock: TestClock,
    ingest: Ingest<S, B, TestClock>,
    tracker: Tracker<S, B, TestClock>,
    worker: SendWorker<S, B, Arc<Sandbox>, Arc<MemoryQueue>, TestClock>,
}

fn stack() -> Stack {
    let (store, bus) = (Arc::new(MemoryStore::new()), Arc::new(MemoryBus::new()));
    let clock = TestClock(Arc::new(Mutex::new(OffsetDateTime::from_unix_timestamp(T0).unwrap())));
    let ingest = Ingest::new(store.clone(), bus.clone(), clock.clone(), webhook_ingest::Config::default());
    let tracker_config = status_tracker::Config {
        feed: FeedCheck::on(),
        publish: RetryPolicy::immediate(2),
        link_wait_receives: 1,
        ..status_tracker::Config::default()
    };
    let tracker = Tracker::new(store.clone(), bus.clone(), clock.clone(), tracker_config);
    let worker_config = send_worker::Config {
        feed: FeedCheck::on(),
        jitter: 0.0,
        pair_interval: Duration::ZERO,
        publish: RetryPolicy::immediate(2),
        ..send_worker::Config::default()
    };
    let worker = SendWorker::new(
        store.clone(),
        bus.clone(),
        Arc::new(Sandbox::new()),
        Arc::new(MemoryQueue::new()),
        clock.clone(),
        worker_config,
    );
    Stack { store, bus, clock, ingest, tracker, worker }
}

fn record(body: String) -> Record {
    Record { id: "r".into(), body, receive_count: 1, ..Record::default() }
}

impl Stack {
    /// A text to the user (inside their window); EUM's message id.
    async fn send(&self, request_id: &str) -> String {
        let k = keys::contact_window(PHONE, WA_ID);
        let window = Item::new(k.pk, k.sk).with("last_inbound_at", T0 - 60);
        self.store.write(Write::put(window)).await.unwrap();
        let body = json!({"request_id": request_id, "from": PHONE, "to": format!("+{WA_ID}"),
            "message": {"type": "text", "text": {"body": "Hello"}}});
        self.worker.handle_batch(&[record(body.to_string())]).await;
        let k = keys::send_request(request_id);
        let rec = self.store.get(&k.pk, &k.sk).await.unwrap().expect("send record");
        assert_eq!(rec.get_str("state"), Some("accepted"));
        rec.get_str("eum_message_id").expect("EUM id").to_string()
    }

    /// A status through the SNS feed: the EUM envelope (with its `messageId` when `eum_id` is
    /// given) → ingest → the tracker.
    async fn sns(&self, request_id: &str, wamid: &str, status: &str, eum_id: Option<&str>) {
        let ts = self.clock.now().unix_timestamp().to_string();
        let entry = json!({"id": WABA, "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "918041234567", "phone_number_id": PHONE},
            "statuses": [{"id": wamid, "status": status, "timestamp": ts, "recipient_id": WA_ID,
                          "biz_opaque_callback_data": format!("wapipe:{request_id}")}]}}]});
        let mut envelope = json!({
            "context": {"MetaWabaIds": [{"wabaId": WABA, "arn": "arn:aws:social-messaging:ap-south-1:123456789012:waba/a"}],
                        "MetaPhoneNumberIds": [{"metaPhoneNumberId": PHONE,
                            "arn": "arn:aws:social-messaging:ap-south-1:123456789012:phone-number-id/b"}]},
            "whatsAppWebhookEntry": entry.to_string(),
            "aws_account_id": "123456789012",
            "message_timestamp": "2025-09-18T04:56:36.684321927Z"});
        if let Some(id) = eum_id {
            envelope["messageId"] = json!(id);
        }
        let before = self.bus.count();
        self.ingest.handle_batch(&[record(envelope.to_string())]).await;
        let statuses: Vec<_> = self.bus.events()[before..]
            .iter()
            .filter(|e| e.detail_type == EventType::MessageStatus)
            .map(|e| record(eventbridge_body(e, "123456789012", "ap-south-1", self.clock.now())))
            .collect();
        assert_eq!(statuses.len(), 1, "ingest published the status");
        let report = self.tracker.handle_batch(&statuses).await;
        assert!(report.failures().is_empty(), "{report:?}");
    }

    /// A status through EUM's EventBridge feed → the send worker's EUM events queue.
    async fn eventbridge(&self, eum_id: &str, status: &str) {
        let kind = format!("WhatsApp Message {}{}", status[..1].to_uppercase(), &status[1..]);
        let body = json!({"version": "0", "id": format!("eb-{eum_id}-{status}"), "source": "aws.social-messaging",
            "detail-type": kind, "account": "123456789012", "region": "ap-south-1",
            "detail": {"wabaId": WABA, "originationPhoneNumberId": PHONE, "messageId": eum_id,
                       "status": status, "eventTimestamp": self.clock.now().unix_timestamp().to_string()}});
        let report = self.worker.handle_eum_batch(&[record(body.to_string())]).await;
        assert!(report.failures().is_empty(), "{report:?}");
    }

    fn gaps(&self) -> Vec<serde_json::Value> {
        let gaps: Vec<_> = self.bus.events().into_iter().filter(|e| e.detail_type == EventType::FeedGap).collect();
        for g in &gaps {
            event_catalogue::validate(g).unwrap_or_else(|e| panic!("{e}: {:?}", g.detail));
        }
        gaps.into_iter().map(|g| serde_json::Value::Object(g.detail)).collect()
    }
}

#[tokio::test]
async fn one_gap_each_way_and_none_when_both_feeds_arrive() {
    let s = stack();
    let eum = s.send("r-1").await;
    // `sent`: both feeds, the SNS one keyed by the envelope's messageId.
    s.sns("r-1", "wamid.A", "sent", Some(&eum)).await;
    s.eventbridge(&eum, "sent").await;
    // `delivered`: EventBridge first, then SNS with no messageId: the message record knows
    // its EUM id from the join.
    s.eventbridge(&eum, "delivered").await;
    s.sns("r-1", "wamid.A", "delivered", None).await;
    // `read` on the SNS feed only; `failed` is never reported; and on EventBridge only, a
    // second message's `delivered`.
    s.sns("r-1", "wamid.A", "read", None).await;
    let eum2 = s.send("r-2").await;
    s.sns("r-2", "wamid.B", "sent", Some(&eum2)).await;
    s.eventbridge(&eum2, "sent").await;
    s.eventbridge(&eum2, "delivered").await;

    // Before the threshold: nothing.
    s.clock.advance(600);
    assert_eq!(s.tracker.sweep().await.unwrap().gaps, 0);
    assert!(s.gaps().is_empty());

    s.clock.advance(400);
    let report = s.tracker.sweep().await.unwrap();
    assert_eq!((report.gaps, report.missing_on_eventbridge, report.missing_on_sns), (2, 1, 1), "{report:?}");
    let mut gaps = s.gaps();
    gaps.sort_by_key(|g| g["missing_on"].as_str().unwrap_or_default().to_string());
    assert_eq!(
        (gaps[0]["missing_on"].as_str(), gaps[0]["status"].as_str(), gaps[0]["eum_message_id"].as_str()),
        (Some("eventbridge"), Some("read"), Some(eum.as_str()))
    );
    assert_eq!(gaps[0]["wamid"], "wamid.A");
    assert_eq!(
        (gaps[1]["missing_on"].as_str(), gaps[1]["status"].as_str(), gaps[1]["request_id"].as_str()),
        (Some("sns"), Some("delivered"), Some("r-2"))
    );
    // Once: the next sweep finds nothing more.
    s.clock.advance(3600);
    assert_eq!(s.tracker.sweep().await.unwrap(), Default::default());
    assert_eq!(s.gaps().len(), 2);
}

#[tokio::test]
async fn with_the_check_off_nothing_is_recorded() {
    let mut s = stack();
    s.tracker.config.feed = FeedCheck::default();
    let eum = s.send("r-1").await;
    s.sns("r-1", "wamid.A", "sent", Some(&eum)).await;
    let feed_items = s.store.snapshot().into_iter().filter(|i| i.pk.starts_with("FEED#")).count();
    assert_eq!(feed_items, 0);
    s.clock.advance(10_000);
    assert_eq!(s.tracker.sweep().await.unwrap().gaps, 0);
}
