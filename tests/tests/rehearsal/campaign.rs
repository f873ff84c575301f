//! The campaign case: 2,000 template send requests to distinct recipients put on the deployed
//! stack's send queue, with the fake EUM answering every SendWhatsAppMessage after 150 ms.
//! The stack's own event source mapping (batch size, window, concurrency of the template)
//! drives the send function; the case checks that EUM saw exactly one send per request, none
//! twice, and reports the rate the emulator reached.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{json, Value};
use time::OffsetDateTime;

use super::cases::PHONE;
use super::World;

/// Requests in the campaign.
pub const SENDS: usize = 2_000;
/// How long the fake EUM takes to answer one send.
const EUM_LATENCY: Duration = Duration::from_millis(150);
/// Bounded: the campaign gives up after this long (at 20 sends/s it would still finish).
const DEADLINE: Duration = Duration::from_secs(240);

fn recipient(i: usize) -> String {
    format!("91{:010}", 6_000_000_000u64 + i as u64)
}

/// Puts the campaign on the send queue, waits for EUM to have seen all of it, and returns
/// the figures for the rehearsal report.
pub async fn campaign(w: &World) -> Value {
    let run = OffsetDateTime::now_utc().unix_timestamp();
    let bodies: Vec<String> = (0..SENDS)
        .map(|i| {
            json!({"request_id": format!("campaign-{run}-{i}"), "from": PHONE, "to": format!("+{}", recipient(i)),
                   "message": {"type": "template",
                               "template": {"name": "order_update", "language": {"code": "en_US"}}}})
            .to_string()
        })
        .collect();
    let wanted: BTreeSet<String> = (0..SENDS).map(recipient).collect();
    w.fake_eum.add_latency("SendWhatsAppMessage", EUM_LATENCY);
    let started = Instant::now();
    // SendMessageBatch of 10, eight requests in flight: the whole backlog is queued in a few
    // seconds, before the function has drained much of it.
    let batches: Vec<Vec<String>> = bodies.chunks(10).map(<[String]>::to_vec).collect();
    futures_util::stream::iter(batches.into_iter().enumerate())
        .for_each_concurrent(8, |(n, chunk)| async move {
            let entries = chunk.iter().enumerate().map(|(i, body)| {
                aws_sdk_sqs::types::SendMessageBatchRequestEntry::builder()
                    .id(format!("m{n}-{i}"))
                    .message_body(body)
                    .build()
                    .expect("batch entry")
            });
            let out = w
                .sqs
                .send_message_batch()
                .queue_url(&w.send_queue)
                .set_entries(Some(entries.collect()))
                .send()
                .await
                .expect("SendMessageBatch");
            assert!(out.failed().is_empty(), "SendMessageBatch refused entries: {:?}", out.failed());
        })
        .await;
    let queued_ms = started.elapsed().as_millis() as u64;
    // Bounded wait until EUM has seen a send to every recipient of the campaign.
    let seen = loop {
        let seen = campaign_sends(w, &wanted);
        let reached: BTreeSet<&String> = seen.iter().map(|(to, _)| to).collect();
        if reached.len() == SENDS || started.elapsed() > DEADLINE {
            break seen;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let elapsed_ms = started.elapsed().as_millis() as u64;
    // Anything still in flight after the last first send would show up as a duplicate: give
    // the queue a moment to settle, then count again.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let seen = if seen.len() < SENDS { seen } else { campaign_sends(w, &wanted) };
    w.fake_eum.clear_faults();

    let mut per_recipient: BTreeMap<&str, usize> = BTreeMap::new();
    for (to, _) in &seen {
        *per_recipient.entry(to.as_str()).or_default() += 1;
    }
    let duplicates: usize = per_recipient.values().map(|n| n.saturating_sub(1)).sum();
    let missing = SENDS - per_recipient.len();
    let mut at: Vec<u64> = seen.iter().map(|(_, ms)| *ms).collect();
    at.sort_unstable();
    let (first, last) = (at.first().copied().unwrap_or(0), at.last().copied().unwrap_or(0));
    let mut per_second: BTreeMap<u64, usize> = BTreeMap::new();
    for ms in &at {
        *per_second.entry(ms / 1000).or_default() += 1;
    }
    let span_ms = last.saturating_sub(first).max(1);
    let figures = json!({
        "requests": SENDS,
        "sends": seen.len(),
        "duplicates": duplicates,
        "missing": missing,
        "queued_ms": queued_ms,
        "first_to_last_send_ms": span_ms,
        "wall_ms": elapsed_ms,
        "sends_per_second": (seen.len().saturating_sub(1)) as f64 * 1000.0 / span_ms as f64,
        "max_in_one_second": per_second.values().max().copied().unwrap_or(0),
        "eum_latency_ms": EUM_LATENCY.as_millis() as u64,
    });
    eprintln!("campaign through the deployed stack: {figures}");
    assert_eq!((missing, duplicates), (0, 0), "exactly one send per campaign request: {figures}");
    assert_eq!(seen.len(), SENDS, "{figures}");
    figures
}

/// The successful SendWhatsAppMessage calls to the campaign's recipients, as (recipient, time
/// the fake EUM received the call in ms).
fn campaign_sends(w: &World, wanted: &BTreeSet<String>) -> Vec<(String, u64)> {
    w.fake_eum
        .requests_for("SendWhatsAppMessage")
        .into_iter()
        .filter(|r| r.succeeded())
        .filter_map(|r| {
            let to = r.decoded.as_ref()?.get("to")?.as_str()?.trim_start_matches('+').to_string();
            wanted.contains(&to).then_some((to, r.received_at_ms))
        })
        .collect()
}
