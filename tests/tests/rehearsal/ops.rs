//! The rehearsal cases of the operations functions:
//! - dlq-drainer: a status event put on the status tracker's DLQ of the deployed stack is
//!   replayed by an invocation of the drainer (as its schedule would) and ends processed once:
//!   its MSG record written, the DLQ and the source queue empty;
//! - quality-snapshotter: invoked with the schedule's input, it snapshots the fake EUM
//!   server's linked number; after the fake lowers the number's rating, the next scheduled run
//!   stores the new rating and publishes `whatsapp.quality.changed` (GREEN → RED).

use std::time::Duration;

use aws_sdk_sqs::types::QueueAttributeName;
use serde_json::{json, Value};
use time::OffsetDateTime;
use wapipe_core::domain::event_catalogue::catalogue;
use wapipe_core::domain::events::{eventbridge_body, DomainEvent, EventType};
use wapipe_core::domain::keys;

use super::cases::{EUM_PHONE_ID, PHONE};
use super::{http, stack, wait_for_event, wait_for_item, World};

/// Invoke a deployed function (Lambda `Invoke`, RequestResponse) and return its JSON answer.
async fn invoke(w: &World, function: &str, payload: &Value) -> Value {
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential=test/20260101/{}/lambda/aws4_request, SignedHeaders=host, Signature=0",
        wapipe_tests::REGION
    );
    let path = format!("/2015-03-31/functions/{function}/invocations");
    let body = payload.to_string();
    let r = http::request(
        &w.endpoint,
        "POST",
        &path,
        &[("Authorization", &auth), ("Content-Type", "application/json")],
        body.as_bytes(),
        Duration::from_secs(120),
    )
    .await
    .unwrap_or_else(|e| panic!("Invoke {function}: {e}"));
    assert_eq!(r.status, 200, "Invoke {function}: {}", r.text());
    serde_json::from_slice(&r.body).unwrap_or_else(|e| panic!("Invoke {function}: not JSON ({e}): {}", r.text()))
}

async fn depth(w: &World, url: &str) -> u64 {
    let attrs = w
        .sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesDelayed)
        .send()
        .await
        .expect("GetQueueAttributes");
    attrs.attributes().map(|a| a.values().filter_map(|v| v.parse::<u64>().ok()).sum()).unwrap_or(u64::MAX)
}

/// A status event for a fresh wamid, as the StatusRule delivers it to the tracker's queue.
fn status_body(wamid: &str) -> String {
    let cat = catalogue().expect("catalogue");
    let mut detail = cat.events["whatsapp.message.status"].example.clone();
    detail.insert("wamid".into(), json!(wamid));
    detail.insert("event_id".into(), json!(format!("{:032x}", wamid.len() as u128 + 7)));
    let event = DomainEvent { detail_type: EventType::MessageStatus, detail };
    eventbridge_body(&event, "000000000000", wapipe_tests::REGION, OffsetDateTime::now_utc())
}

pub async fn dlq_replay(w: &World, deployed: &stack::Deployed) {
    let dlq = deployed.output("StatusTrackerDlqUrl");
    let source = deployed.output("StatusTrackerQueueUrl");
    let wamid = format!("wamid.DLQ{}", OffsetDateTime::now_utc().unix_timestamp_nanos());
    w.sqs.send_message().queue_url(&dlq).message_body(status_body(&wamid)).send().await.expect("SendMessage to DLQ");
    let drainer = deployed.output("DlqDrainerFunctionName");
    // A dry run first: it says what would move and moves nothing.
    let dry = invoke(w, &drainer, &json!({"queues": ["status-tracker"], "dry_run": true})).await;
    assert_eq!(dry["queues"][0]["replayed"], json!(1), "{dry}");
    assert_eq!(depth(w, &dlq).await, 1, "the dry run left the message in the DLQ");
    // `delay_secs: 0`: an operator's "replay now" (the schedule's first delay is 30 s).
    let report = invoke(w, &drainer, &json!({"queues": ["status-tracker"], "max_messages": 10, "delay_secs": 0})).await;
    let q = &report["queues"][0];
    assert_eq!(
        (q["received"].clone(), q["replayed"].clone(), q["failed"].clone()),
        (json!(1), json!(1), json!(0)),
        "{report}"
    );
    assert_eq!((q["messages"][0]["replay"].clone(), q["messages"][0]["delay_secs"].clone()), (json!(1), json!(0)));
    let delay = q["messages"][0]["delay_secs"].as_u64().unwrap_or(0);
    // The replay waits out its backoff delay on the source queue, then the tracker takes it.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(delay + 45);
    let key = keys::message(&wamid);
    loop {
        let got = w
            .ddb
            .get_item()
            .table_name(&w.table)
            .key(keys::PK, aws_sdk_dynamodb::types::AttributeValue::S(key.pk.clone()))
            .key(keys::SK, aws_sdk_dynamodb::types::AttributeValue::S(key.sk.clone()))
            .send()
            .await
            .expect("GetItem");
        if let Some(item) = got.item() {
            assert_eq!(item.get("status").and_then(|v| v.as_s().ok()).map(String::as_str), Some("sent"));
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the replayed status was never processed");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while depth(w, &dlq).await + depth(w, &source).await > 0 {
        assert!(tokio::time::Instant::now() < deadline, "the replayed message is still on a queue");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

pub async fn scheduled_snapshot(w: &World, deployed: &stack::Deployed) {
    let function = deployed.output("QualitySnapshotterFunctionName");
    let schedule = json!({"version": "0", "id": "rehearsal", "detail-type": "Scheduled Event", "source": "aws.events",
        "account": "000000000000", "time": "2026-01-01T00:00:00Z", "region": wapipe_tests::REGION, "resources": [], "detail": {}});
    let first = invoke(w, &function, &schedule).await;
    assert!(first["snapshots"].as_u64().unwrap_or(0) >= 1, "{first}");
    assert_eq!(first["errors"], json!([]), "{first}");
    let latest = wait_for_item(w, &keys::quality_latest(PHONE)).await;
    assert_eq!(latest.get("rating").and_then(|v| v.as_s().ok()).map(String::as_str), Some("GREEN"));
    assert!(w.fake_eum.phone_quality(EUM_PHONE_ID, "RED"), "the fake knows the number");
    let second = invoke(w, &function, &schedule).await;
    assert_eq!(second["changes"], json!(1), "{second}");
    let e = wait_for_event(w, "whatsapp.quality.changed", |d| d["phone_number_id"] == PHONE).await;
    let d = &e["detail"];
    assert_eq!(
        (d["field"].clone(), d["old"].clone(), d["new"].clone()),
        (json!("rating"), json!("GREEN"), json!("RED")),
        "{e}"
    );
    let requests = w.fake_eum.requests_for("GetLinkedWhatsAppBusinessAccount");
    assert!(requests.len() >= 2 && requests.iter().all(|r| r.query.contains_key("id")), "{requests:?}");
    assert!(w.fake_eum.phone_quality(EUM_PHONE_ID, "GREEN"));
}
