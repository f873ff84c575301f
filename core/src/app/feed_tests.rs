use super::*;
use crate::domain::events::EventType;
use crate::domain::feed::{EB_AT, SNS_AT};
use crate::memory::{MemoryBus, MemoryStore};

const T0: i64 = 1_758_172_294;

fn at(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(secs).unwrap()
}

fn seen(side: Side, id: &'static str, status: &'static str, t: i64) -> Seen<'static> {
    Seen { side, eum_message_id: id, status, at: t, wamid: None, phone_number_id: Some("574") }
}

fn open_entries(store: &MemoryStore) -> Vec<Item> {
    store
        .snapshot()
        .into_iter()
        .filter(|i| i.get_str(keys::GSI1PK).is_some_and(|p| p.starts_with("FEEDOPEN#")))
        .collect()
}

async fn sweep_at(store: &MemoryStore, bus: &MemoryBus, t: i64) -> SweepReport {
    sweep(store, bus, &FeedCheck::on(), &RetryPolicy::default(), at(t)).await.unwrap()
}

/// A send record of this stack, accepted as EUM message `eum`, and its message record with
/// the statuses the SNS feed brought.
async fn sent(store: &MemoryStore, eum: &str, wamid: &str, sns_statuses: &[&str]) {
    let k = keys::send_request("r-1");
    let send = Item::new(k.pk, k.sk)
        .with(send_record::REQUEST_ID, "r-1")
        .with(send_record::WAMID, wamid)
        .with(keys::GSI1PK, keys::eum_message_index(eum))
        .with(keys::GSI1SK, "SEND");
    let m = keys::message(wamid);
    let mut msg = Item::new(m.pk, m.sk);
    for s in sns_statuses {
        msg = msg.with(&format!("{s}_at"), T0);
    }
    futures_util::future::join_all([send, msg].map(|i| store.write(crate::domain::table::Write::put(i)))).await;
}

#[tokio::test]
async fn both_feeds_in_either_order_leave_nothing_open_and_no_gap() {
    let (store, bus) = (MemoryStore::new(), MemoryBus::new());
    let check = FeedCheck::on();
    observe(&store, &check, &seen(Side::Sns, "m-1", "delivered", T0)).await.unwrap();
    assert_eq!(open_entries(&store).len(), 1, "the first side opens the entry");
    observe(&store, &check, &seen(Side::EventBridge, "m-1", "delivered", T0 + 2)).await.unwrap();
    observe(&store, &check, &seen(Side::EventBridge, "m-2", "read", T0)).await.unwrap();
    observe(&store, &check, &seen(Side::Sns, "m-2", "read", T0 + 1)).await.unwrap();
    // A redelivered sighting after both changes nothing.
    observe(&store, &check, &seen(Side::Sns, "m-1", "delivered", T0 + 3)).await.unwrap();
    assert!(open_entries(&store).is_empty(), "the second side closes it: {:?}", open_entries(&store));
    let report = sweep_at(&store, &bus, T0 + 10_000).await;
    assert_eq!(report, SweepReport::default());
    assert!(bus.events().is_empty());
    let item = store.snapshot().into_iter().find(|i| i.pk == "FEED#m-1").unwrap();
    assert!(item.get_i64(SNS_AT).is_some() && item.get_i64(EB_AT).is_some());
}

#[tokio::test]
async fn a_status_on_the_sns_feed_only_is_one_gap_after_the_threshold() {
    let (store, bus) = (MemoryStore::new(), MemoryBus::new());
    observe(&store, &FeedCheck::on(), &seen(Side::Sns, "m-1", "sent", T0)).await.unwrap();
    assert_eq!(sweep_at(&store, &bus, T0 + 899).await.gaps, 0, "not due before the threshold");
    let report = sweep_at(&store, &bus, T0 + 900).await;
    assert_eq!((report.gaps, report.missing_on_eventbridge), (1, 1));
    let events = bus.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].detail_type, EventType::FeedGap);
    assert_eq!(events[0].detail["missing_on"], "eventbridge");
    assert_eq!(events[0].detail["phone_number_id"], "574");
    // Settled: the next sweep publishes nothing more, and a late EventBridge event closes
    // nothing new.
    assert_eq!(sweep_at(&store, &bus, T0 + 2000).await.gaps, 0);
    observe(&store, &FeedCheck::on(), &seen(Side::EventBridge, "m-1", "sent", T0 + 2001)).await.unwrap();
    assert!(open_entries(&store).is_empty());
    assert_eq!(bus.events().len(), 1);
}

#[tokio::test]
async fn an_eventbridge_status_with_no_sns_counterpart_is_a_gap_naming_the_request() {
    let (store, bus) = (MemoryStore::new(), MemoryBus::new());
    sent(&store, "m-1", "wamid.A", &["sent"]).await;
    observe(&store, &FeedCheck::on(), &seen(Side::EventBridge, "m-1", "delivered", T0)).await.unwrap();
    let report = sweep_at(&store, &bus, T0 + 1000).await;
    assert_eq!((report.gaps, report.missing_on_sns), (1, 1));
    let e = &bus.events()[0];
    assert_eq!(e.detail["missing_on"], "sns");
    assert_eq!(e.detail["request_id"], "r-1");
    assert_eq!(e.detail["status"], "delivered");
}

#[tokio::test]
async fn an_eventbridge_status_the_message_record_has_or_of_a_foreign_send_is_no_gap() {
    let (store, bus) = (MemoryStore::new(), MemoryBus::new());
    // The SNS status arrived before the message knew its EUM id: its record has it.
    sent(&store, "m-1", "wamid.A", &["sent", "delivered"]).await;
    observe(&store, &FeedCheck::on(), &seen(Side::EventBridge, "m-1", "delivered", T0)).await.unwrap();
    // No send of this stack has EUM id m-9.
    observe(&store, &FeedCheck::on(), &seen(Side::EventBridge, "m-9", "read", T0)).await.unwrap();
    let report = sweep_at(&store, &bus, T0 + 1000).await;
    assert_eq!((report.gaps, report.matched, report.foreign), (0, 1, 1));
    assert!(bus.events().is_empty());
    assert!(open_entries(&store).is_empty());
}

#[tokio::test]
async fn an_unchecked_sighting_writes_nothing() {
    let store = MemoryStore::new();
    let off = FeedCheck::default();
    observe(&store, &off, &seen(Side::Sns, "m-1", "sent", T0)).await.unwrap();
    observe(&store, &FeedCheck::on(), &seen(Side::Sns, "m-1", "played", T0)).await.unwrap();
    observe(&store, &FeedCheck::on(), &seen(Side::Sns, "", "sent", T0)).await.unwrap();
    assert!(store.is_empty());
}

#[tokio::test]
async fn a_sweep_takes_at_most_its_limit_and_says_so() {
    let (store, bus) = (MemoryStore::new(), MemoryBus::new());
    let ids: Vec<String> = (0..40).map(|i| format!("m-{i}")).collect();
    for id in &ids {
        let s =
            Seen { side: Side::Sns, eum_message_id: id, status: "sent", at: T0, wamid: None, phone_number_id: None };
        observe(&store, &FeedCheck::on(), &s).await.unwrap();
    }
    let small = FeedCheck { sweep_limit: 16, ..FeedCheck::on() };
    let first = sweep(&store, &bus, &small, &RetryPolicy::default(), at(T0 + 1000)).await.unwrap();
    assert!(first.gaps <= 16 && first.gaps > 0, "{first:?}");
    let mut total = first.gaps;
    for _ in 0..10 {
        total += sweep(&store, &bus, &small, &RetryPolicy::default(), at(T0 + 1000)).await.unwrap().gaps;
    }
    assert_eq!(total, 40, "every entry reported once over the sweeps");
    assert_eq!(bus.events().len(), 40);
}
