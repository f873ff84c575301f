//! webhook-ingest on in-memory adapters: samples, redelivery, poison records, faults.

mod support;

use std::collections::{BTreeMap, HashSet};

use support::*;
use wapipe_core::domain::event_catalogue;
use wapipe_core::domain::keys;
use wapipe_core::ports::{Query, Store};
use webhook_ingest::{Outcome, RecordIn};

#[tokio::test]
async fn every_sample_gives_the_events_its_manifest_expects() {
    let manifest = manifest();
    assert!(manifest.len() >= 50, "the manifest lists every sample");
    for (rel, want) in &manifest {
        let (ingest, _store, bus) = ingest();
        let recs = records(rel);
        assert_eq!(recs.len(), want.records, "{rel}: record count");
        let report = ingest.handle_batch(&recs).await;
        assert!(report.failures().is_empty(), "{rel}: no transient failures: {report:?}");
        let parked = report.outcomes.iter().filter(|(_, o)| matches!(o, Outcome::Parked { .. })).count();
        assert_eq!(parked, want.parked, "{rel}: parked: {report:?}");
        assert_eq!(counts(&bus), want.expect, "{rel}: events by detail-type");
        for e in bus.events() {
            event_catalogue::validate(&e).unwrap_or_else(|err| panic!("{rel}: {} off-catalogue: {err}", e.detail_type));
        }
    }
}

#[tokio::test]
async fn every_sample_file_is_in_the_manifest() {
    let manifest = manifest();
    let mut files = Vec::new();
    fn walk(dir: &std::path::Path, base: &std::path::Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, base, out);
            } else if p.extension().is_some_and(|x| x == "json") && p.file_name().unwrap() != "manifest.json" {
                out.push(p.strip_prefix(base).unwrap().to_string_lossy().replace('\\', "/"));
            }
        }
    }
    walk(&events_dir(), &events_dir(), &mut files);
    for f in files {
        assert!(manifest.contains_key(&f), "{f} is missing from events/manifest.json");
    }
}

/// All samples, as one list of records.
fn all_records() -> Vec<RecordIn> {
    manifest().keys().flat_map(|rel| records(rel)).collect()
}

/// A deterministic shuffle (xorshift), so failures reproduce.
fn shuffled<T: Clone>(items: &[T], seed: u64) -> Vec<T> {
    let mut v = items.to_vec();
    let mut x = seed.max(1);
    for i in (1..v.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.swap(i, (x % (i as u64 + 1)) as usize);
    }
    v
}

#[tokio::test]
async fn triple_delivery_shuffled_leaves_the_same_state_and_publishes_once() {
    let recs = all_records();
    let (once, once_store, once_bus) = ingest();
    for chunk in recs.chunks(10) {
        assert!(once.handle_batch(chunk).await.failures().is_empty());
    }

    let (thrice, store, bus) = ingest();
    for seed in [7u64, 99, 12345] {
        for chunk in shuffled(&recs, seed).chunks(10) {
            assert!(thrice.handle_batch(chunk).await.failures().is_empty());
        }
    }
    assert_eq!(store.snapshot(), once_store.snapshot(), "same table state");
    let ids: Vec<String> = bus.events().iter().map(|e| e.event_id().to_string()).collect();
    let unique: HashSet<&String> = ids.iter().collect();
    if ids.len() != unique.len() {
        let mut seen = HashSet::new();
        for e in bus.events() {
            if !seen.insert(e.event_id().to_string()) {
                eprintln!("again: {} {}", e.detail_type, serde_json::Value::Object(e.detail.clone()));
            }
        }
    }
    assert_eq!(ids.len(), unique.len(), "each domain event published once");
    assert_eq!(counts(&bus), counts(&once_bus));
}

#[tokio::test]
async fn records_decoded_ahead_end_like_records_decoded_in_the_batch() {
    // Replay decodes some files on another thread (`decode_records`) and hands the result to
    // `handle_decoded`: the same table, the same events, the same outcomes as `handle_batch`,
    // with a poison record among them. A decoding that does not match the batch is redone.
    let mut recs = all_records();
    recs.insert(3, RecordIn { id: "poison".into(), body: "{not json".into(), ..RecordIn::default() });
    let (inline, inline_store, inline_bus) = ingest();
    let (ahead, ahead_store, ahead_bus) = ingest();
    for (n, chunk) in recs.chunks(10).enumerate() {
        let expected = inline.handle_batch(chunk).await;
        let decoded = webhook_ingest::decode_records(&ahead.config, chunk, now());
        let decoded = if n == 1 { decoded.into_iter().skip(1).collect() } else { decoded };
        let got = ahead.handle_decoded(chunk, decoded).await;
        assert_eq!(got.outcomes, expected.outcomes, "batch {n}");
    }
    assert_eq!(ahead_store.snapshot(), inline_store.snapshot(), "same table state");
    let ids = |bus: &wapipe_core::memory::MemoryBus| -> Vec<String> {
        bus.events().iter().map(|e| e.event_id().to_string()).collect()
    };
    assert_eq!(ids(&ahead_bus), ids(&inline_bus), "the same events, in the same order");
    assert!(counts(&ahead_bus).contains_key("whatsapp.ingest.rejected"), "the poison record was parked");
}

#[tokio::test]
async fn duplicates_inside_one_batch_count_once() {
    let rec = records("example-sqs-eum-text.json").remove(0);
    let batch = vec![rec.clone(), RecordIn { id: "copy".into(), ..rec }];
    let (ingest, _store, bus) = ingest();
    let report = ingest.handle_batch(&batch).await;
    assert_eq!(bus.events().len(), 1);
    assert!(matches!(report.outcomes[1].1, Outcome::Done { duplicates: 1, .. }), "{report:?}");
}

#[tokio::test]
async fn one_malformed_record_is_parked_and_the_rest_go_through() {
    let mut batch = records("example-sqs-eum-batch.json");
    let good = batch.len();
    batch.insert(
        2,
        RecordIn {
            id: "poison".into(),
            body: "{\"Type\":\"Notification\",\"Message\":\"{oops\"}".into(),
            sent_at: None,
            ..Default::default()
        },
    );
    let (ingest, store, bus) = ingest();
    let report = ingest.handle_batch(&batch).await;
    assert!(report.failures().is_empty(), "parked records are acknowledged");
    let (id, outcome) = &report.outcomes[2];
    assert_eq!(id, "poison");
    let Outcome::Parked { reason, .. } = outcome else { panic!("parked: {outcome:?}") };
    assert!(reason.starts_with("SNS notification: field `Message`"), "reason names layer and field: {reason}");
    let done = report.outcomes.iter().filter(|(_, o)| matches!(o, Outcome::Done { .. })).count();
    assert_eq!(done, good);

    let page = store.query(Query::table(keys::parked_partition("webhook-ingest"), "")).await.unwrap();
    assert_eq!(page.items.len(), 1);
    let parked = &page.items[0];
    assert_eq!(parked.get_str("reason"), Some(reason.as_str()));
    assert_eq!(parked.get_str("body"), Some(batch[2].body.as_str()), "the body is kept");
    let rejected: Vec<_> =
        bus.events().into_iter().filter(|e| e.detail_type.as_str() == "whatsapp.ingest.rejected").collect();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].detail["record_id"], "poison");
}

#[tokio::test]
async fn a_throttled_store_call_fails_only_the_records_it_touched() {
    let batch = records("example-sqs-eum-batch.json");
    let (ingest, store, bus) = ingest();
    // Every write to the contact-window partition is throttled: only inbound messages touch it.
    store.faults().fail_key("CONTACT#");
    let report = ingest.handle_batch(&batch).await;
    let failed: HashSet<String> = report.failures().into_iter().collect();
    assert!(!failed.is_empty(), "the throttled records are reported");
    assert!(failed.len() < batch.len(), "the others are not");
    for (id, o) in &report.outcomes {
        match o {
            Outcome::Retry { error } => assert!(error.contains("transient"), "{error}"),
            Outcome::Done { published, .. } => assert!(!published.is_empty(), "{id} published"),
            Outcome::Parked { .. } => panic!("nothing is parked for a throttle"),
        }
    }
    // Nothing of the failed records was published: their events come with the retry.
    let before = bus.events().len();
    store.faults().clear();
    let retry: Vec<RecordIn> = batch.iter().filter(|r| failed.contains(&r.id)).cloned().collect();
    let report = ingest.handle_batch(&retry).await;
    assert!(report.failures().is_empty());
    assert_eq!(bus.events().len(), before + failed.len(), "one event per retried message");
}

#[tokio::test]
async fn bus_entry_failures_fail_their_records_and_the_retry_publishes_once() {
    let batch = records("example-sqs-eum-batch.json");
    let (ingest, _store, bus) = ingest();
    bus.faults().fail_entries_matching("whatsapp.message.status");
    let report = ingest.handle_batch(&batch).await;
    let failed = report.failures();
    assert_eq!(failed.len(), 2, "the two status records: {report:?}");
    let first = counts(&bus);
    assert_eq!(first.get("whatsapp.message.status"), None);
    bus.faults().clear();
    let retry: Vec<RecordIn> = batch.iter().filter(|r| failed.contains(&r.id)).cloned().collect();
    assert!(ingest.handle_batch(&retry).await.failures().is_empty());
    // And a full redelivery of the batch publishes nothing more.
    assert!(ingest.handle_batch(&batch).await.failures().is_empty());
    let mut want = BTreeMap::new();
    want.insert("whatsapp.message.received".to_string(), 2);
    want.insert("whatsapp.message.status".to_string(), 2);
    want.insert("whatsapp.phone.quality".to_string(), 1);
    assert_eq!(counts(&bus), want);
}

#[tokio::test]
async fn inbound_message_writes_the_window_record_and_registry() {
    let (ingest, store, _bus) = ingest();
    let report = ingest.handle_batch(&records("example-sqs-eum-text.json")).await;
    assert!(report.failures().is_empty());
    let items = store.snapshot();
    let msg = items.iter().find(|i| i.pk.starts_with("MSG#")).expect("message record");
    assert_eq!(msg.get_str("direction"), Some("in"));
    let window = items.iter().find(|i| i.sk == "WINDOW").expect("contact window");
    assert!(window.get_i64("last_inbound_at").is_some());
    let phone = items.iter().find(|i| i.pk.starts_with("PHONE#")).expect("phone registry");
    assert!(phone.get_str("phone_arn").is_some_and(|a| a.contains("phone-number-id/")));
    // The writes budget: message record + window (+ the registry once per process).
    let again = ingest.handle_batch(&records("example-sqs-eum-text-reply.json")).await;
    assert!(again.failures().is_empty());
    assert_eq!(store.snapshot().len(), items.len() + 1, "a second message adds its record only");
}
