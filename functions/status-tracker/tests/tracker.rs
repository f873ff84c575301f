//! The handler on in-memory adapters: the cases the issue names, parking, transient failures,
//! clicks, pricing, and the Lambda wiring.

mod support;

use std::sync::Arc;

use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use serde_json::json;
use status_tracker::lambda::handle_sqs;
use status_tracker::{Config, Outcome, Tracker};
use support::*;
use wapipe_core::app::consumer::Record;
use wapipe_core::app::publish::RetryPolicy;
use wapipe_core::domain::event_catalogue;
use wapipe_core::domain::events::EventType;
use wapipe_core::domain::status::pricing::RateCard;
use wapipe_core::domain::status::view::{MessageView, PricingRow, TemplateRow};
use wapipe_core::memory::{MemoryBus, MemoryStore};
use wapipe_core::ports::{FixedClock, Item, Store};

async fn msg(t: &MemTracker, wamid: &str) -> Item {
    t.store.get(&format!("MSG#{wamid}"), "MSG").await.unwrap().expect("message record")
}

async fn feed(t: &MemTracker, events: &[wapipe_core::domain::events::DomainEvent]) -> Vec<Outcome> {
    run_queue(t, events.iter().map(body).collect(), |_| async {}).await
}

async fn template_row(t: &MemTracker) -> TemplateRow {
    let (rows, _) = analytics(&t.store).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    TemplateRow::from_item(&rows[0]).unwrap()
}

#[tokio::test]
async fn failed_after_delivered_is_terminal_and_keeps_both() {
    let t = tracker();
    t.store.write(send_write("r1")).await.unwrap();
    let w = "wamid.F";
    feed(&t, &[status_event(w, "sent", T0, Some("r1")), status_event(w, "delivered", T0 + 3, Some("r1"))]).await;
    feed(&t, &[status_event(w, "failed", T0 + 9, Some("r1")), status_event(w, "failed", T0 + 9, Some("r1"))]).await;
    let v = MessageView::from_item(&msg(&t, w).await);
    assert_eq!(v.status.as_deref(), Some("failed"));
    assert_eq!((v.timestamps["delivered"].as_i64(), v.timestamps["failed"].as_i64()), (Some(T0 + 3), Some(T0 + 9)));
    assert_eq!(v.errors[0]["code"], 131026);
    assert_eq!(v.errors[0]["retryable"], false);
    // A late `read` after the failure still records its time, and does not revive the message.
    feed(&t, &[status_event(w, "read", T0 + 30, Some("r1"))]).await;
    let v = MessageView::from_item(&msg(&t, w).await);
    assert_eq!((v.status.as_deref(), v.timestamps["read"].as_i64()), (Some("failed"), Some(T0 + 30)));
    let row = template_row(&t).await;
    assert_eq!((row.sent, row.delivered, row.read, row.failed), (1, 1, 1, 1));
    let failed: Vec<_> = t.bus.events().into_iter().filter(|e| e.detail_type == EventType::MessageFailed).collect();
    assert_eq!(failed.len(), 1, "one event per failure, the duplicate publishes nothing");
    event_catalogue::validate(&failed[0]).unwrap();
    assert_eq!(failed[0].detail["request_id"], "r1");
    assert_eq!(failed[0].detail["errors"][0]["meaning"].as_str().map(|m| m.contains("undeliverable")), Some(true));
}

#[tokio::test]
async fn read_before_sent_ends_read_with_every_time() {
    let t = tracker();
    t.store.write(send_write("r2")).await.unwrap();
    let w = "wamid.R";
    feed(&t, &[status_event(w, "read", T0 + 40, Some("r2")), status_event(w, "sent", T0, Some("r2"))]).await;
    feed(&t, &[status_event(w, "delivered", T0 + 3, Some("r2"))]).await;
    let m = msg(&t, w).await;
    let v = MessageView::from_item(&m);
    assert_eq!(v.status.as_deref(), Some("read"));
    assert_eq!(m.get_i64("rank"), Some(4));
    let ts: Vec<_> = ["sent", "delivered", "read"].iter().map(|k| v.timestamps[*k].as_i64()).collect();
    assert_eq!(ts, vec![Some(T0), Some(T0 + 3), Some(T0 + 40)]);
    assert_eq!(v.timeline.iter().map(|e| e.status).collect::<Vec<_>>(), vec!["sent", "delivered", "read"]);
    let row = template_row(&t).await;
    assert_eq!((row.sent, row.delivered, row.read, row.failed), (1, 1, 1, 0));
}

#[tokio::test]
async fn a_status_for_an_unknown_wamid_creates_the_record_and_joins_the_send_record_later() {
    let t = tracker();
    let w = "wamid.U";
    // No send record yet: the status is recorded, and the SQS record is retried for the join.
    let first = t.handle_batch(&[record("a", body(&status_event(w, "delivered", T0 + 3, Some("r3"))), 1)]).await;
    assert!(matches!(first.outcomes[0].1, Outcome::Retry { .. }), "{first:?}");
    assert_eq!(first.failures(), vec!["a".to_string()]);
    let m = msg(&t, w).await;
    assert_eq!((m.get_str("status"), m.get_str("request_id")), (Some("delivered"), Some("r3")));
    assert!(analytics(&t.store).await.0.is_empty(), "nothing counted before the join");
    let send = t.store.get("SEND#r3", "SEND").await.unwrap().unwrap();
    assert_eq!(send.get_str("wamid"), Some(w), "the wamid is on the send record, whichever came first");
    // The send worker writes its record (an update, keeping `wamid`); the redelivery joins.
    t.store.write(send_write("r3")).await.unwrap();
    let again = t.handle_batch(&[record("a", body(&status_event(w, "delivered", T0 + 3, Some("r3"))), 2)]).await;
    assert!(matches!(again.outcomes[0].1, Outcome::Done { changed: true, .. }), "{again:?}");
    let v = MessageView::from_item(&msg(&t, w).await);
    assert!(v.linked);
    assert_eq!(v.template.as_ref().and_then(|t| t.get("name")).and_then(|n| n.as_str()), Some("order_update"));
    assert_eq!(t.store.get("SEND#r3", "SEND").await.unwrap().unwrap().get_str("state"), Some("accepted"));
    let row = template_row(&t).await;
    assert_eq!((row.sent, row.delivered), (0, 1));
    // Later statuses count directly; a third copy changes nothing.
    feed(&t, &[status_event(w, "sent", T0, Some("r3")), status_event(w, "delivered", T0 + 3, Some("r3"))]).await;
    let row = template_row(&t).await;
    assert_eq!((row.sent, row.delivered), (1, 1));
}

#[tokio::test]
async fn a_send_record_that_never_comes_is_waited_for_a_bounded_number_of_receives() {
    let t = tracker();
    let outcomes = feed(&t, &[status_event("wamid.N", "sent", T0, Some("never"))]).await;
    assert!(matches!(outcomes[..], [Outcome::Done { .. }]), "{outcomes:?}");
    assert_eq!(msg(&t, "wamid.N").await.get_str("status"), Some("sent"));
    // Foreign callback data (not wapipe's) is kept and never waited for.
    let e = status_event("wamid.X", "sent", T0, None);
    let mut e2 = e.clone();
    e2.detail.insert("biz_opaque_callback_data".into(), "someone-else".into());
    let r = t.handle_batch(&[record("x", body(&e2), 1)]).await;
    assert!(matches!(r.outcomes[0].1, Outcome::Done { .. }));
    assert_eq!(msg(&t, "wamid.X").await.get_str("biz_opaque_callback_data"), Some("someone-else"));
}

#[tokio::test]
async fn template_clicks_count_once_per_reply_and_only_for_template_sends() {
    let t = tracker();
    t.store.write(send_write("r4")).await.unwrap();
    feed(&t, &[status_event("wamid.T", "sent", T0, Some("r4"))]).await;
    let click = reply_event("wamid.IN1", "button", T0 + 60, Some("wamid.T"));
    let outcomes = feed(&t, &[click.clone(), click.clone()]).await;
    assert!(matches!(outcomes[0], Outcome::Done { changed: true, .. }));
    assert!(matches!(outcomes[1], Outcome::Done { changed: false, .. }), "the duplicate: {outcomes:?}");
    feed(&t, &[reply_event("wamid.IN2", "interactive", T0 + 70, Some("wamid.T"))]).await;
    let ignored = feed(
        &t,
        &[
            reply_event("wamid.IN3", "text", T0, Some("wamid.T")),
            reply_event("wamid.IN4", "button", T0, None),
            reply_event("wamid.IN5", "button", T0, Some("wamid.UNKNOWN")),
        ],
    )
    .await;
    assert!(ignored.iter().all(|o| matches!(o, Outcome::Ignored { .. })), "{ignored:?}");
    assert_eq!((template_row(&t).await.clicks, msg(&t, "wamid.T").await.get_i64("clicks")), (2, Some(2)));
}

#[tokio::test]
async fn delivered_messages_are_priced_from_the_rate_card_once() {
    let card = RateCard::parse(include_str!("../../../docs/rate-card.example.json")).unwrap();
    let config = Config { rate_card: Some(Arc::new(card)), publish: RetryPolicy::immediate(1), ..Config::default() };
    let t = Tracker::new(Arc::new(MemoryStore::new()), Arc::new(MemoryBus::new()), FixedClock(at(T0)), config);
    let d = status_event("wamid.P", "delivered", T0 + 3, None);
    feed(&t, &[d.clone(), status_event("wamid.P", "read", T0 + 9, None), d]).await;
    let (_, rows) = analytics(&t.store).await;
    let row = PricingRow::from_item(&rows[0]).unwrap();
    assert_eq!((row.category.as_str(), row.messages, row.billable, row.unpriced), ("marketing", 1, 1, 0));
    assert_eq!((row.estimated_cost, row.currency.as_deref()), (Some(0.01), Some("USD")), "91 marketing");
    assert_eq!(row.rate_card.as_deref(), Some("example-0"));
}

#[tokio::test]
async fn poison_records_are_parked_once_and_named() {
    let t = tracker();
    let mut no_wamid = status_event("w", "sent", T0, None);
    no_wamid.detail.remove("wamid");
    let bodies = ["{not json", &body(&no_wamid), &body(&no_wamid).replace("\"wapipe\"", "\"elsewhere\"")];
    for (i, b) in bodies.iter().enumerate() {
        let r = t.handle_batch(&[record(&format!("p{i}"), b.to_string(), 1)]).await;
        let Outcome::Parked { reason } = &r.outcomes[0].1 else { panic!("parked: {r:?}") };
        assert!(reason.contains(if i == 1 { "`wamid`" } else { "EventBridge" }), "{reason}");
    }
    let again = t.handle_batch(&[record("p0", bodies[0].to_string(), 2)]).await;
    assert!(matches!(again.outcomes[0].1, Outcome::Parked { .. }));
    let parked = partition(&t.store, "PARKED#status-tracker").await;
    assert_eq!(parked.len(), 3);
    let rejected: Vec<_> = t.bus.events().into_iter().filter(|e| e.detail_type == EventType::IngestRejected).collect();
    assert_eq!(rejected.len(), 3, "the redelivered poison is not announced twice");
    for e in &rejected {
        event_catalogue::validate(e).unwrap();
        assert_eq!(e.detail["source"], "status-tracker");
    }
}

#[tokio::test]
async fn transient_failures_retry_only_their_record() {
    let t = tracker();
    t.store.faults().fail_key("MSG#wamid.BAD");
    let r = t
        .handle_batch(&[
            record("bad", body(&status_event("wamid.BAD", "sent", T0, None)), 1),
            record("good", body(&status_event("wamid.GOOD", "sent", T0, None)), 1),
        ])
        .await;
    assert_eq!(r.failures(), vec!["bad".to_string()]);
    t.store.faults().clear();
    // The bus refusing the failed event: the status is not recorded, so the retry publishes it.
    t.bus.faults().fail_entries_matching("whatsapp.message.failed");
    let f = record("f", body(&status_event("wamid.GOOD", "failed", T0 + 5, None)), 1);
    assert_eq!(t.handle_batch(std::slice::from_ref(&f)).await.failures(), vec!["f".to_string()]);
    assert_eq!(msg(&t, "wamid.GOOD").await.get_str("status"), Some("sent"));
    t.bus.faults().clear();
    assert!(t.handle_batch(&[f]).await.failures().is_empty());
    assert_eq!(msg(&t, "wamid.GOOD").await.get_str("status"), Some("failed"));
}

#[tokio::test]
async fn unknown_statuses_and_other_events_are_acknowledged() {
    let t = tracker();
    let r = t.handle_batch(&[record("n", body(&status_event("wamid.Z", "reached_mars", T0, None)), 1)]).await;
    assert!(matches!(r.outcomes[0].1, Outcome::Ignored { .. }));
    assert!(t.store.get("MSG#wamid.Z", "MSG").await.unwrap().is_none());
}

#[tokio::test]
async fn lambda_sqs_event_reports_partial_failures_and_reads_receive_counts() {
    let t = tracker();
    t.store.faults().fail_key("MSG#wamid.BAD");
    let message = |id: &str, wamid: &str| -> SqsMessage {
        serde_json::from_value(json!({
            "messageId": id, "body": body(&status_event(wamid, "sent", T0, None)),
            "attributes": {"ApproximateReceiveCount": "4", "SentTimestamp": "1758171396000"}
        }))
        .unwrap()
    };
    let mut event = SqsEvent::default();
    event.records = vec![message("ok", "wamid.OK"), message("bad", "wamid.BAD")];
    assert_eq!(Record::from_message(0, &event.records[0]).receive_count, 4);
    let resp = handle_sqs(&t, event).await;
    let ids: Vec<_> = resp.batch_item_failures.iter().map(|f| f.item_identifier.clone()).collect();
    assert_eq!(ids, vec!["bad".to_string()]);
}

#[tokio::test]
async fn the_join_links_the_wamid_to_the_flow_session_of_a_flow_message() {
    use wapipe_core::domain::flows::token::{issue_flow_token, FlowTokenSpec};
    use wapipe_core::ports::{Update, Write};
    let t = tracker();
    let spec = FlowTokenSpec {
        flow: "1234567890",
        phone_number_id: PHONE,
        recipient: RECIPIENT,
        request_id: Some("rf"),
        wamid: None,
        token: Some("tok-9"),
        ttl: None,
    };
    let issued = issue_flow_token(&spec, at(T0)).unwrap();
    t.store.write(issued.write).await.unwrap();
    for (rid, token) in [("rf", "tok-9"), ("rg", "tok-none")] {
        t.store.write(send_write(rid)).await.unwrap();
        let k = wapipe_core::domain::keys::send_request(rid);
        let set = Update::Set("flow_token".into(), token.into());
        t.store.write(Write::Update { pk: k.pk, sk: k.sk, updates: vec![set], cond: None }).await.unwrap();
    }
    feed(&t, &[status_event("wamid.FLOW", "sent", T0, Some("rf")), status_event("wamid.G", "sent", T0, Some("rg"))])
        .await;
    let s = t.store.get("FLOW#tok-9", "SESSION").await.unwrap().expect("session");
    assert_eq!(s.get_str("wamid"), Some("wamid.FLOW"));
    assert_eq!(s.get_str("state"), Some("issued"));
    assert!(
        t.store.get("FLOW#tok-none", "SESSION").await.unwrap().is_none(),
        "no session created for a token without one"
    );
    assert_eq!(msg(&t, "wamid.G").await.attrs.get("linked"), Some(&json!(true)));
}

#[tokio::test]
async fn the_lambda_input_is_a_sweep_or_an_sqs_event_and_nothing_else() {
    use status_tracker::lambda::{handle, InvokeError};
    use wapipe_core::app::feed::FeedCheck;
    use wapipe_core::domain::feed::{Seen, Side};
    let mut t = tracker();
    t.config.feed = FeedCheck::on();
    // A status the SNS feed reported an hour ago, never seen on EventBridge.
    let seen = Seen {
        side: Side::Sns,
        eum_message_id: "m-1",
        status: "read",
        at: T0,
        wamid: Some("wamid.X"),
        phone_number_id: Some(PHONE),
    };
    wapipe_core::app::feed::observe(&t.store, &t.config.feed, &seen).await.unwrap();
    let report = handle(&t, json!({"sweep": {}})).await.unwrap();
    assert_eq!((report["feed_gaps"].as_u64(), report["missing_on_eventbridge"].as_u64()), (Some(1), Some(1)));
    let gaps: Vec<_> = t.bus.events().into_iter().filter(|e| e.detail_type == EventType::FeedGap).collect();
    assert_eq!(gaps.len(), 1);
    event_catalogue::validate(&gaps[0]).unwrap();
    let batch = handle(&t, json!({"Records": []})).await.unwrap();
    assert_eq!(batch["batchItemFailures"], json!([]));
    assert!(matches!(handle(&t, json!({"nope": 1})).await, Err(InvokeError::Input(_))));
}
