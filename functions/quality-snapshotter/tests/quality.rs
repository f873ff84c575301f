//! The quality snapshotter end to end on in-memory adapters, with EUM either the fake EUM
//! server (through the real SDK client) or the sandbox: a scheduled snapshot, a downgrade
//! webhook, a template pause, duplicates and out-of-order deliveries, and the account history.

use std::sync::{Arc, Mutex};

use aws_sdk_socialmessaging::config::{BehaviorVersion, Credentials, Region};
use quality_snapshotter::{Config, Outcome, RecordIn, Snapshotter};
use serde_json::{json, Value};
use time::OffsetDateTime;
use wapipe_core::app::publish::RetryPolicy;
use wapipe_core::aws::EumAccounts;
use wapipe_core::domain::event_catalogue;
use wapipe_core::domain::events::{eventbridge_body, DomainEvent, Envelope, EventType};
use wapipe_core::domain::keys;
use wapipe_core::memory::{MemoryBus, MemoryStore, SandboxAccounts};
use wapipe_core::ports::accounts::Accounts;
use wapipe_core::ports::messaging::LinkedPhone;
use wapipe_core::ports::{Clock, Item, Query, Store};
use wapipe_fake_eum::{FakeEum, Phone, Waba};

const T0: i64 = 1_790_000_000;

#[derive(Clone, Debug)]
struct TestClock(Arc<Mutex<OffsetDateTime>>);

impl TestClock {
    fn at(secs: i64) -> TestClock {
        TestClock(Arc::new(Mutex::new(OffsetDateTime::from_unix_timestamp(secs).unwrap())))
    }
    fn set(&self, secs: i64) {
        *self.0.lock().unwrap() = OffsetDateTime::from_unix_timestamp(secs).unwrap();
    }
}

impl Clock for TestClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap()
    }
}

type Snap<A> = Snapshotter<Arc<MemoryStore>, Arc<MemoryBus>, A, TestClock>;

fn snapshotter<A: Accounts>(accounts: A) -> (Snap<A>, Arc<MemoryStore>, Arc<MemoryBus>, TestClock) {
    let store = Arc::new(MemoryStore::new());
    let bus = Arc::new(MemoryBus::new());
    let clock = TestClock::at(T0);
    let config = Config { publish: RetryPolicy::immediate(2), ..Config::default() };
    (Snapshotter::new(store.clone(), bus.clone(), accounts, clock.clone(), config), store, bus, clock)
}

fn eum(fake: &FakeEum) -> EumAccounts {
    let conf = aws_sdk_socialmessaging::config::Builder::new()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(fake.endpoint())
        .region(Region::new("ap-south-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "static"))
        .build();
    EumAccounts::new(aws_sdk_socialmessaging::Client::from_conf(conf))
}

async fn history(store: &MemoryStore, pk: &str) -> Vec<Item> {
    store.query(Query::table(pk, keys::HISTORY_PREFIX)).await.unwrap().items
}

async fn latest(store: &MemoryStore, phone: &str) -> Item {
    let k = keys::quality_latest(phone);
    store.get(&k.pk, &k.sk).await.unwrap().expect("LATEST")
}

fn changed(bus: &MemoryBus) -> Vec<DomainEvent> {
    let events = bus.events();
    for e in &events {
        event_catalogue::validate(e).unwrap();
    }
    events.into_iter().filter(|e| e.detail_type == EventType::QualityChanged).collect()
}

fn event(t: EventType, at: i64, waba: &str, phone: &str, fields: Value) -> RecordIn {
    let e = DomainEvent::new(
        t,
        Envelope {
            event_id: format!("{:032x}", at as u128 * 7 + fields.to_string().len() as u128),
            occurred_at: OffsetDateTime::from_unix_timestamp(at).unwrap(),
            waba_id: waba,
            phone_number_id: phone,
        },
        fields.as_object().cloned().unwrap(),
    );
    event_catalogue::validate(&e).unwrap();
    let body = eventbridge_body(&e, "123456789012", "ap-south-1", OffsetDateTime::from_unix_timestamp(at).unwrap());
    RecordIn { id: format!("m-{at}-{}", t.as_str()), body, receive_count: 1, ..Default::default() }
}

#[tokio::test]
async fn the_eum_adapter_pages_and_sends_the_documented_requests() {
    let fake = FakeEum::builder()
        .waba(Waba::new("waba-aaa", "111"))
        .waba(Waba::new("waba-bbb", "222"))
        .phone(Phone::new("phone-number-id-p1", "501", "+15550001").waba("waba-aaa").quality("YELLOW"))
        .start()
        .await;
    let a = eum(&fake);
    let p1 = a.list_wabas(None, Some(1)).await.unwrap();
    assert_eq!(p1.wabas.len(), 1);
    let token = p1.next_token.clone().expect("a second page");
    let p2 = a.list_wabas(Some(&token), Some(1)).await.unwrap();
    assert_eq!(p2.wabas[0].id, "waba-bbb");
    let lists = fake.requests_for("ListLinkedWhatsAppBusinessAccounts");
    assert_eq!(lists[0].path, "/v1/whatsapp/waba/list");
    assert_eq!(lists[0].query.get("maxResults").map(String::as_str), Some("1"));
    assert_eq!(lists[1].query.get("nextToken"), Some(&token));
    let w = a.get_waba("waba-aaa").await.unwrap();
    assert_eq!((w.summary.meta_waba_id.as_str(), w.phones.len()), ("111", 1));
    assert_eq!(w.phones[0].quality_rating, "YELLOW");
    let get = fake.requests_for("GetLinkedWhatsAppBusinessAccount");
    assert_eq!(
        (get[0].path.as_str(), get[0].query.get("id").map(String::as_str)),
        ("/v1/whatsapp/waba/details", Some("waba-aaa"))
    );
    let p = a.get_phone("phone-number-id-p1").await.unwrap();
    assert_eq!((p.phone.meta_phone_number_id.as_str(), p.linked_waba_id.as_str()), ("501", "waba-aaa"));
    let gp = fake.requests_for("GetLinkedWhatsAppBusinessAccountPhoneNumber");
    assert_eq!(gp[0].path, "/v1/whatsapp/waba/phone/details");
    assert_eq!(gp[0].query.get("id").map(String::as_str), Some("phone-number-id-p1"));
    let missing = a.get_phone("phone-number-id-nope").await.unwrap_err();
    assert_eq!(missing.exception, "ResourceNotFoundException");
    assert!(a.list_wabas(None, Some(0)).await.is_err(), "maxResults out of range is refused before the call");
}

#[tokio::test]
async fn a_scheduled_snapshot_against_fake_eum_records_history_and_announces_a_downgrade() {
    let fake = FakeEum::builder()
        .waba(Waba::new("waba-aaa", "111"))
        .phone(Phone::new("phone-number-id-p1", "501", "+15550001").waba("waba-aaa"))
        .phone(Phone::new("phone-number-id-p2", "502", "+15550002").waba("waba-aaa").quality("YELLOW"))
        .start()
        .await;
    let (s, store, bus, clock) = snapshotter(eum(&fake));
    let r1 = s.snapshot_all().await;
    assert_eq!((r1.wabas, r1.phones, r1.snapshots, r1.changes), (1, 2, 2, 0), "{r1:?}");
    assert!(changed(&bus).is_empty(), "a first snapshot is a first sight, not a change");
    assert_eq!(latest(&store, "501").await.get_str("rating"), Some("GREEN"));
    assert_eq!(latest(&store, "502").await.get_str("display_name"), Some("Wapipe Test"));

    assert!(fake.phone_quality("phone-number-id-p1", "RED"));
    clock.set(T0 + 3600);
    let r2 = s.snapshot_all().await;
    assert_eq!(r2.changes, 1);
    let ev = changed(&bus);
    assert_eq!(ev.len(), 1);
    let d = &ev[0].detail;
    assert_eq!(
        (d["subject"].clone(), d["field"].clone(), d["old"].clone(), d["new"].clone()),
        (json!("phone"), json!("rating"), json!("GREEN"), json!("RED"))
    );
    assert_eq!(
        (d["direction"].clone(), d["source"].clone(), d["phone_number_id"].clone(), d["waba_id"].clone()),
        (json!("down"), json!("snapshot"), json!("501"), json!("111"))
    );
    let h = history(&store, "QUALITY#501").await;
    let ratings: Vec<_> = h.iter().map(|i| i.get_str("rating").unwrap_or_default().to_string()).collect();
    assert_eq!(ratings, ["GREEN", "RED"]);
    assert!(h.iter().all(|i| i.get_i64(keys::EXPIRES_AT) > Some(T0 + 3600)), "history rows expire");
    // The same state again: a new history row, no event.
    clock.set(T0 + 7200);
    assert_eq!(s.snapshot_all().await.changes, 0);
    assert_eq!(changed(&bus).len(), 1);
    assert_eq!(history(&store, "QUALITY#501").await.len(), 3);
}

#[tokio::test]
async fn a_downgrade_webhook_and_flagging_merge_with_snapshots_in_observation_order() {
    let phones = [LinkedPhone {
        eum_phone_number_id: "phone-number-id-x".into(),
        arn: "arn:x".into(),
        meta_phone_number_id: "729".into(),
        waba_id: "139".into(),
    }];
    let (s, store, bus, clock) = snapshotter(SandboxAccounts::new(&phones));
    clock.set(T0 + 100);
    s.snapshot_all().await;
    let up =
        event(EventType::PhoneQuality, T0 + 200, "139", "729", json!({"event": "UPGRADE", "current_limit": "TIER_2K"}));
    let down = event(
        EventType::PhoneQuality,
        T0 + 300,
        "139",
        "729",
        json!({"event": "DOWNGRADE", "current_limit": "TIER_250", "old_limit": "TIER_2K"}),
    );
    let flag = event(EventType::PhoneQuality, T0 + 250, "139", "729", json!({"event": "FLAGGED"}));
    // Out of order and duplicated: down first, then up (older), then down again, then the flag.
    let report = s.handle_batch(&[down.clone(), up.clone(), down.clone(), flag.clone(), flag]).await;
    assert!(report.failures().is_empty());
    let l = latest(&store, "729").await;
    assert_eq!(l.get_str("tier"), Some("TIER_250"), "the older upgrade never overwrites the newer downgrade");
    assert_eq!(l.attrs.get("flagged"), Some(&json!(true)));
    assert_eq!(l.get_str("rating"), Some("GREEN"), "the snapshot's rating stays");
    let ev = changed(&bus);
    let fields: Vec<_> =
        ev.iter().map(|e| (e.detail["field"].clone(), e.detail.get("old").cloned(), e.detail["new"].clone())).collect();
    assert_eq!(fields, vec![(json!("tier"), None, json!("TIER_250")), (json!("flagged"), None, json!(true))]);
    let h = history(&store, "QUALITY#729").await;
    let events: Vec<_> = h.iter().map(|i| i.get_str("event").unwrap_or_default().to_string()).collect();
    assert_eq!(
        events,
        ["SNAPSHOT", "UPGRADE", "FLAGGED", "DOWNGRADE"],
        "history in observation order, one row per observation"
    );
    assert_eq!(h[3].get_str("tier"), Some("TIER_250"));
}

#[tokio::test]
async fn a_template_pause_is_cached_for_the_send_worker_and_announced_once() {
    let (s, store, bus, _) = snapshotter(SandboxAccounts::new(&[]));
    let t = |at: i64, change: &str, extra: Value| {
        let mut f = json!({"change": change, "template_id": "1689", "template_name": "promo", "language": "en_US"});
        for (k, v) in extra.as_object().unwrap() {
            f[k] = v.clone();
        }
        event(EventType::TemplateUpdated, at, "139", "729", f)
    };
    let approved = t(T0, "status", json!({"event": "APPROVED", "category": "MARKETING"}));
    let paused = t(T0 + 60, "status", json!({"event": "PAUSED", "other_info": {"title": "t", "description": "d"}}));
    let quality = t(T0 + 30, "quality", json!({"previous_quality_score": "GREEN", "new_quality_score": "RED"}));
    let out = s.handle_batch(&[approved, paused.clone(), quality, paused]).await;
    assert!(out.failures().is_empty());
    let k = keys::template_state("139", "promo", "en_US");
    let cache = store.get(&k.pk, &k.sk).await.unwrap().unwrap();
    assert_eq!(
        (cache.get_str("status"), cache.get_str("category"), cache.get_str("quality")),
        (Some("PAUSED"), Some("MARKETING"), Some("RED"))
    );
    let ev = changed(&bus);
    let fields: Vec<_> =
        ev.iter().map(|e| (e.detail["field"].clone(), e.detail.get("old").cloned(), e.detail["new"].clone())).collect();
    assert_eq!(
        fields,
        vec![
            (json!("status"), None, json!("APPROVED")),
            (json!("category"), None, json!("MARKETING")),
            (json!("status"), Some(json!("APPROVED")), json!("PAUSED")),
            (json!("quality"), None, json!("RED")),
        ]
    );
    assert_eq!(ev[3].detail["template_name"], json!("promo"));
    assert_eq!(history(&store, &k.pk).await.len(), 3, "the duplicate pause re-writes its own row");
}

#[tokio::test]
async fn account_bans_are_kept_under_the_waba_and_bad_bodies_are_parked() {
    let (s, store, bus, _) = snapshotter(SandboxAccounts::new(&[]));
    let ban = event(
        EventType::AccountUpdated,
        T0,
        "139",
        "",
        json!({"change": "account_update", "event": "DISABLED_UPDATE", "ban_info": {"waba_ban_state": "SCHEDULE_FOR_DISABLE", "waba_ban_date": "April 17, 2025"}}),
    );
    let restrict = event(
        EventType::AccountUpdated,
        T0 + 10,
        "139",
        "",
        json!({"change": "account_update", "event": "ACCOUNT_RESTRICTION", "restriction_info": [{"restriction_type": "RESTRICTED_BIZ_INITIATED_MESSAGING", "expiration": 1731600000}]}),
    );
    let bad = RecordIn { id: "bad".into(), body: "{not json".into(), receive_count: 1, ..Default::default() };
    let missing = event(EventType::PhoneQuality, T0, "139", "", json!({"event": "FLAGGED"}));
    let out = s.handle_batch(&[ban, restrict, bad, missing]).await;
    assert!(out.failures().is_empty());
    assert!(matches!(&out.outcomes[2].1, Outcome::Parked { .. }));
    let Outcome::Parked { reason } = &out.outcomes[3].1 else { panic!("parked: {:?}", out.outcomes[3]) };
    assert!(reason.contains("phone_number_id"), "{reason}");
    let k = keys::account_latest("139");
    let acct = store.get(&k.pk, &k.sk).await.unwrap().unwrap();
    assert_eq!(acct.get_str("ban_state"), Some("SCHEDULE_FOR_DISABLE"));
    assert!(acct.attrs["restrictions"].is_array());
    assert_eq!(history(&store, "ACCOUNT#139").await.len(), 2);
    let fields: Vec<_> = changed(&bus).iter().map(|e| e.detail["field"].clone()).collect();
    assert_eq!(fields, vec![json!("ban_state"), json!("restrictions")]);
    assert_eq!(
        store.query(Query::table(keys::parked_partition("quality-snapshotter"), "")).await.unwrap().items.len(),
        2
    );
}

#[tokio::test]
async fn the_lambda_handler_takes_both_inputs() {
    let phones = [LinkedPhone {
        eum_phone_number_id: "phone-number-id-x".into(),
        arn: "arn:x".into(),
        meta_phone_number_id: "729".into(),
        waba_id: "139".into(),
    }];
    let (s, store, _, _) = snapshotter(SandboxAccounts::new(&phones));
    let scheduled = json!({"version": "0", "source": "aws.events", "detail-type": "Scheduled Event", "detail": {}});
    let report = quality_snapshotter::lambda::handle(&s, scheduled).await.unwrap();
    assert_eq!(report["snapshots"], json!(1));
    assert_eq!(latest(&store, "729").await.get_str("rating"), Some("GREEN"));
    let sqs = json!({"Records": [{"messageId": "m1", "body": "{}", "attributes": {}, "messageAttributes": {}}]});
    let resp = quality_snapshotter::lambda::handle(&s, sqs).await.unwrap();
    assert_eq!(resp["batchItemFailures"], json!([]), "an unusable body is parked, not retried");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_duplicate_deliveries_announce_one_change_id() {
    let phones = [LinkedPhone {
        eum_phone_number_id: "phone-number-id-x".into(),
        arn: "arn:x".into(),
        meta_phone_number_id: "729".into(),
        waba_id: "139".into(),
    }];
    let (s, store, bus, _) = snapshotter(SandboxAccounts::new(&phones));
    let s = Arc::new(s);
    let up = event(EventType::PhoneQuality, T0, "139", "729", json!({"event": "UPGRADE", "current_limit": "TIER_2K"}));
    s.handle_batch(&[up]).await;
    let down = event(
        EventType::PhoneQuality,
        T0 + 60,
        "139",
        "729",
        json!({"event": "DOWNGRADE", "current_limit": "TIER_250", "old_limit": "TIER_2K"}),
    );
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (s, d) = (s.clone(), down.clone());
        tasks.push(tokio::spawn(async move { s.handle_batch(&[d]).await }));
    }
    for t in tasks {
        assert!(t.await.unwrap().failures().is_empty());
    }
    let downs: Vec<_> = changed(&bus).into_iter().filter(|e| e.detail["new"] == json!("TIER_250")).collect();
    assert!(!downs.is_empty());
    let ids: std::collections::BTreeSet<_> = downs.iter().map(|e| e.event_id().to_string()).collect();
    assert_eq!(ids.len(), 1, "one change, one event id (re-publications are recognisable duplicates)");
    let l = latest(&store, "729").await;
    assert_eq!(l.get_str("tier"), Some("TIER_250"));
    assert_eq!(l.get_i64("version"), Some(2), "the change was written once");
}

mod concurrency {
    //! The consumer runtime's promise for the snapshotter: whatever the concurrency, one
    //! number's observations merge in arrival order, and the latest state, the history and the
    //! announcements equal those of the same batch handled one record at a time.
    use super::*;
    use proptest::prelude::*;
    use wapipe_core::app::consumer::Options;
    use wapipe_core::testing::{arb_concurrency, end_state};

    const EVENTS: &[(&str, &str)] =
        &[("FLAGGED", "TIER_1K"), ("UNFLAGGED", "TIER_1K"), ("UPGRADE", "TIER_10K"), ("DOWNGRADE", "TIER_250")];

    fn run(batch: &[(usize, usize, i64)], concurrency: usize) -> (Vec<Value>, Vec<String>) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async {
            let (mut s, store, bus, _) = snapshotter(SandboxAccounts::new(&[]));
            s.config.run = Options { concurrency };
            let records: Vec<RecordIn> = batch
                .iter()
                .enumerate()
                .map(|(i, &(phone, ev, at))| {
                    let (name, limit) = EVENTS[ev];
                    let mut r = event(
                        EventType::PhoneQuality,
                        1_758_000_000 + at,
                        "139",
                        &format!("10654035224292{phone}"),
                        json!({"event": name, "current_limit": limit}),
                    );
                    r.id = format!("m{i}");
                    r
                })
                .collect();
            let report = s.handle_batch(&records).await;
            assert!(report.failures().is_empty(), "{report:?}");
            end_state(store.snapshot(), bus.events(), &[])
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn any_concurrency_ends_like_one_at_a_time(
            batch in prop::collection::vec((0usize..3, 0usize..EVENTS.len(), 0i64..5), 1..10),
            concurrency in arb_concurrency(),
        ) {
            prop_assert_eq!(run(&batch, concurrency), run(&batch, 1));
        }
    }
}
