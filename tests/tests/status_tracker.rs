//! The status tracker through the AWS adapters on the emulator: for a fixed set of orders (with
//! duplicates, and the send record landing late), two handlers race on the same wamid at once;
//! the conditional writes and transactions must leave the message record, the send record and
//! every analytics row exactly as in-order delivery leaves them on the in-memory store, and
//! publish `whatsapp.message.failed` through EventBridge once.
//!
//! `scripts/emulator.sh start && eval "$(scripts/emulator.sh env)" &&
//!  cargo test -p wapipe-tests --test status_tracker; scripts/emulator.sh stop`

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Map, Value};
use status_tracker::{Config, Outcome, RecordIn, Tracker};
use wapipe_core::app::publish::RetryPolicy;
use wapipe_core::aws::{DynamoStore, EventBridgeBus};
use wapipe_core::domain::events::{event_id, eventbridge_body, from_epoch_secs, DomainEvent, Envelope, EventType};
use wapipe_core::domain::keys;
use wapipe_core::domain::send_record;
use wapipe_core::memory::{MemoryBus, MemoryStore};
use wapipe_core::ports::{Bus, FixedClock, Item, Query, Store, Update, Write};
use wapipe_tests::{create_bus_to_queue, create_table, emulator_config, read_envelopes, require_emulator};

const T0: i64 = 1_758_171_395;
const WABA: &str = "1393727385109399";
const REPEAT: usize = 4;

/// name, seconds after T0
const STATUSES: &[(&str, i64)] =
    &[("sent", 0), ("warning", 2), ("delivered", 3), ("read", 40), ("failed", 50), ("played", 95), ("deleted", 600)];

fn status_body(wamid: &str, request_id: &str, i: usize) -> String {
    let (status, dt) = STATUSES[i];
    let ts = T0 + dt;
    let mut f: Map<String, Value> = Map::new();
    f.insert("wamid".into(), wamid.into());
    f.insert("status".into(), status.into());
    f.insert("timestamp".into(), ts.into());
    f.insert("recipient_id".into(), "919876543210".into());
    f.insert("biz_opaque_callback_data".into(), send_record::callback_data(request_id).into());
    match status {
        "failed" => {
            f.insert("errors".into(), json!([{"code": 131049, "title": "Not delivered to protect the ecosystem"}]));
        }
        "sent" | "delivered" | "read" => {
            let p = json!({"billable": true, "pricing_model": "PMP", "category": "utility", "type": "regular"});
            f.insert("pricing".into(), p);
        }
        _ => {}
    }
    let at = from_epoch_secs(ts).expect("time");
    let ts_text = ts.to_string();
    let common = Envelope {
        event_id: event_id(EventType::MessageStatus, &[wamid, status, &ts_text, ""]),
        occurred_at: at,
        waba_id: WABA,
        phone_number_id: "729155140271006",
    };
    eventbridge_body(&DomainEvent::new(EventType::MessageStatus, common, f), "000000000000", "ap-south-1", at)
}

/// One template per message, so each message's counters have their own row.
fn template(request_id: &str) -> String {
    format!("delivery_update_{}", request_id.replace('-', "_"))
}

fn send_write(request_id: &str) -> Write {
    let k = keys::send_request(request_id);
    let set = |a: &str, v: &str| Update::Set(a.into(), v.into());
    Write::Update {
        pk: k.pk,
        sk: k.sk,
        updates: vec![
            set(send_record::STATE, "sending"),
            set(send_record::MESSAGE_TYPE, "template"),
            set(send_record::TEMPLATE_NAME, &template(request_id)),
            set(send_record::TEMPLATE_LANGUAGE, "en"),
        ],
        cond: None,
    }
}

fn config() -> Config {
    Config { publish: RetryPolicy::immediate(4), max_attempts: 16, ..Config::default() }
}

/// Deliver bodies as SQS would: a record that fails comes back later, its receive count up.
/// Records still failing after `rounds` receives are returned (left "on the queue").
async fn drive<S: Store, B: Bus>(
    t: &Tracker<S, B, FixedClock>,
    bodies: Vec<(String, u32)>,
    rounds: u32,
) -> Vec<(String, u32)> {
    let mut q: VecDeque<(String, u32)> = bodies.into();
    let mut left = Vec::new();
    let mut n = 0;
    while let Some((body, count)) = q.pop_front() {
        n += 1;
        let r = RecordIn { id: format!("r{n}"), body: body.clone(), receive_count: count, ..Default::default() };
        let report = t.handle_batch(&[r]).await;
        if matches!(report.outcomes[0].1, Outcome::Retry { .. }) {
            if count < rounds {
                q.push_back((body, count + 1));
            } else {
                left.push((body, count + 1));
            }
        }
    }
    left
}

/// What the tracker leaves: message record, send record, analytics rows.
async fn state<S: Store>(s: &S, wamid: &str, request_id: &str) -> (Option<Item>, Option<Item>, Vec<Item>, Vec<Item>) {
    let q = |pk: String| Query::table(pk, "");
    let m = keys::message(wamid);
    let k = keys::send_request(request_id);
    let templates = s.query(q(format!("TEMPLATE#{WABA}#{}#en", template(request_id)))).await.expect("query").items;
    let pricing = s.query(q(format!("PRICING#{WABA}"))).await.expect("query").items;
    (s.get(&m.pk, &m.sk).await.expect("get"), s.get(&k.pk, &k.sk).await.expect("get"), templates, pricing)
}

/// In-order delivery, send record first, on the in-memory store: the expected end state.
async fn expected(
    statuses: &[usize],
    wamid: &str,
    request_id: &str,
) -> (Option<Item>, Option<Item>, Vec<Item>, Vec<Item>) {
    let store = Arc::new(MemoryStore::new());
    let t = Tracker::new(store.clone(), Arc::new(MemoryBus::new()), FixedClock(at()), config());
    store.write(send_write(request_id)).await.expect("send record");
    let mut in_order: Vec<usize> = statuses.to_vec();
    in_order.sort_by_key(|&i| STATUSES[i].1);
    let left = drive(&t, in_order.iter().map(|&i| (status_body(wamid, request_id, i), 1)).collect(), 3).await;
    assert!(left.is_empty());
    state(&store, wamid, request_id).await
}

fn at() -> time::OffsetDateTime {
    from_epoch_secs(T0 + 3600).expect("time")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_handlers_racing_on_one_wamid_end_as_in_order() {
    let Some(endpoint) = require_emulator() else { return };
    let conf = emulator_config(&endpoint).await;
    let ddb = aws_sdk_dynamodb::Client::new(&conf);
    let eb = aws_sdk_eventbridge::Client::new(&conf);
    let sqs = aws_sdk_sqs::Client::new(&conf);
    let store = DynamoStore::new(ddb.clone(), create_table(&ddb).await);
    let route = create_bus_to_queue(&eb, &sqs).await;
    let bus = EventBridgeBus::new(eb, route.bus_name.clone());
    let a = Tracker::new(store.clone(), bus.clone(), FixedClock(at()), config());
    let b = Tracker::new(store.clone(), bus, FixedClock(at()), config());

    // (statuses of the message, indexes into STATUSES, in arrival order; send record late?)
    let orders: &[(&[usize], bool)] = &[
        (&[0, 2, 3], false),
        (&[3, 0, 2, 3, 0], false),
        (&[6, 4, 2, 0, 1, 3, 5], false),
        (&[2, 5, 1, 0, 3, 4, 6, 2], true),
        (&[3, 2, 0, 3], true),
    ];
    let mut failures = 0;
    // Each order raced REPEAT times (fresh wamids): interleavings differ from run to run.
    for (n, (order, late)) in orders.iter().cycle().take(orders.len() * REPEAT).enumerate() {
        let wamid = format!("wamid.RACE{n}");
        let request_id = format!("race-{n}");
        let mut all: Vec<usize> = order.to_vec();
        all.sort_unstable();
        all.dedup();
        let bodies = |idx: &[usize]| -> Vec<(String, u32)> {
            idx.iter().map(|&i| (status_body(&wamid, &request_id, i), 1)).collect()
        };
        // Both handlers get every status: A in the given order, B reversed (maximal overlap).
        let reversed: Vec<usize> = order.iter().rev().copied().collect();
        if *late {
            // Phase 1: the send record is not there; records wait (left on the queue).
            let half = order.len() / 2;
            let (pa, pb) = tokio::join!(drive(&a, bodies(&order[..half]), 1), drive(&b, bodies(&reversed[..half]), 1));
            assert!(!pa.is_empty() || !pb.is_empty(), "order {n}: records wait for the send record");
            store.write(send_write(&request_id)).await.expect("send record");
            // Phase 2: the rest, and the waiting records come back.
            let mut qa = bodies(&order[half..]);
            qa.extend(pa);
            let mut qb = bodies(&reversed[half..]);
            qb.extend(pb);
            let (la, lb) = tokio::join!(drive(&a, qa, 3), drive(&b, qb, 3));
            assert!(la.is_empty() && lb.is_empty(), "order {n}: everything done");
        } else {
            store.write(send_write(&request_id)).await.expect("send record");
            let (la, lb) = tokio::join!(drive(&a, bodies(order), 3), drive(&b, bodies(&reversed), 3));
            assert!(la.is_empty() && lb.is_empty(), "order {n}: everything done");
        }
        let got = state(&store, &wamid, &request_id).await;
        let want = expected(&all, &wamid, &request_id).await;
        assert_eq!(got.0, want.0, "order {n}: message record");
        assert_eq!(got.1, want.1, "order {n}: send record");
        assert_eq!(got.2, want.2, "order {n}: template rows");
        if n == 0 {
            assert_eq!(got.3, want.3, "order {n}: pricing rows");
        }
        let row = &got.2[0];
        for (counter, names) in [
            ("sent", &["sent"][..]),
            ("delivered", &["delivered"]),
            ("read", &["read", "played"]),
            ("failed", &["failed"]),
        ] {
            let seen = all.iter().any(|&i| names.contains(&STATUSES[i].0));
            assert_eq!(row.get_i64(counter), seen.then_some(1), "order {n}: {counter} moved exactly once");
        }
        failures += usize::from(all.contains(&4));
    }
    // Pricing rows accumulate across the orders on one table: one delivered message each.
    let (_, _, _, pricing) = state(&store, "wamid.none", "none").await;
    let delivered: i64 = pricing.iter().filter_map(|p| p.get_i64("messages")).sum();
    assert_eq!(delivered, (orders.len() * REPEAT) as i64);

    // Every failure reached EventBridge (the two racing handlers may both publish it, with the
    // same deterministic id; one distinct id per failed message).
    let envelopes = read_envelopes(&sqs, &route.queue_url, failures, Duration::from_secs(20)).await;
    let mut ids: Vec<String> = envelopes
        .iter()
        .filter(|e| e["detail-type"] == "whatsapp.message.failed")
        .filter_map(|e| e["detail"]["event_id"].as_str().map(str::to_string))
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), failures, "{envelopes:?}");
}
