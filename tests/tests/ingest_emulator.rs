//! webhook-ingest through the AWS adapters on the emulator: the same samples delivered three
//! times, shuffled, leave the same table state as one in-order delivery on the in-memory
//! adapters, and publish each domain event exactly once to the real bus.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use wapipe_core::app::publish::RetryPolicy;
use wapipe_core::aws::convert::av_to_item;
use wapipe_core::aws::{DynamoStore, EventBridgeBus};
use wapipe_core::domain::envelope::lambda_event_bodies;
use wapipe_core::memory::{MemoryBus, MemoryStore};
use wapipe_core::ports::{FixedClock, Item};
use wapipe_tests::{create_bus_to_queue, create_table, emulator_config, read_envelopes, require_emulator};
use webhook_ingest::{Config, Ingest, Outcome, RecordIn};

fn samples() -> Vec<RecordIn> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../events");
    let manifest: BTreeMap<String, Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let mut out = Vec::new();
    for rel in manifest.keys() {
        let text = std::fs::read_to_string(dir.join(rel)).unwrap();
        match lambda_event_bodies(&text) {
            Ok(Some(bodies)) => {
                for (i, (id, body)) in bodies.into_iter().enumerate() {
                    out.push(RecordIn { id: format!("{rel}#{i}:{id}"), body, sent_at: None, ..Default::default() });
                }
            }
            _ => out.push(RecordIn { id: rel.clone(), body: text, sent_at: None, ..Default::default() }),
        }
    }
    out
}

fn shuffled(items: &[RecordIn], seed: u64) -> Vec<RecordIn> {
    let mut v = items.to_vec();
    let mut x = seed;
    for i in (1..v.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.swap(i, (x % (i as u64 + 1)) as usize);
    }
    v
}

fn config() -> Config {
    Config { publish: RetryPolicy::immediate(4), ..Config::default() }
}

fn clock() -> FixedClock {
    FixedClock(time::OffsetDateTime::from_unix_timestamp(1_760_000_000).unwrap())
}

/// DynamoDB normalises numbers (2.0 comes back as 2): compare numbers as f64.
fn normalised(items: Vec<Item>) -> Vec<Value> {
    fn norm(v: Value) -> Value {
        match v {
            Value::Number(n) => n.as_f64().map(Value::from).unwrap_or(Value::Number(n)),
            Value::Array(a) => Value::Array(a.into_iter().map(norm).collect()),
            Value::Object(o) => Value::Object(o.into_iter().map(|(k, v)| (k, norm(v))).collect()),
            other => other,
        }
    }
    let mut out: Vec<Value> = items.into_iter().map(|i| norm(serde_json::to_value(i).unwrap())).collect();
    out.sort_by_key(|v| format!("{}/{}", v["pk"], v["sk"]));
    out
}

async fn scan(client: &aws_sdk_dynamodb::Client, table: &str) -> Vec<Item> {
    let mut items = Vec::new();
    let mut start = None;
    for _ in 0..1000 {
        let page = client.scan().table_name(table).set_exclusive_start_key(start).send().await.expect("Scan");
        for m in page.items() {
            items.push(av_to_item(m).expect("item"));
        }
        start = page.last_evaluated_key().cloned();
        if start.is_none() {
            break;
        }
    }
    items
}

#[tokio::test]
async fn triple_shuffled_delivery_on_the_emulator_matches_one_delivery_and_publishes_once() {
    let Some(endpoint) = require_emulator() else { return };
    let conf = emulator_config(&endpoint).await;
    let ddb = aws_sdk_dynamodb::Client::new(&conf);
    let eb = aws_sdk_eventbridge::Client::new(&conf);
    let sqs = aws_sdk_sqs::Client::new(&conf);
    let table = create_table(&ddb).await;
    let route = create_bus_to_queue(&eb, &sqs).await;

    let records = samples();
    // Reference: one in-order delivery on the in-memory adapters.
    let (mstore, mbus) = (Arc::new(MemoryStore::new()), Arc::new(MemoryBus::new()));
    let reference = Ingest::new(mstore.clone(), mbus.clone(), clock(), config());
    for chunk in records.chunks(10) {
        assert!(reference.handle_batch(chunk).await.failures().is_empty());
    }

    let ingest = Ingest::new(
        DynamoStore::new(ddb.clone(), table.clone()),
        EventBridgeBus::new(eb.clone(), route.bus_name.clone()),
        clock(),
        config(),
    );
    let (mut parked, mut newly_parked) = (0, 0);
    for seed in [3u64, 1009, 77777] {
        for chunk in shuffled(&records, seed).chunks(10) {
            let report = ingest.handle_batch(chunk).await;
            assert!(report.failures().is_empty(), "no transient failures on the emulator: {report:?}");
            for (_, o) in &report.outcomes {
                if let Outcome::Parked { published, .. } = o {
                    parked += 1;
                    newly_parked += usize::from(!published.is_empty());
                }
            }
        }
    }
    assert_eq!(parked, 9, "each delivery of the three bad samples ends parked");
    assert_eq!(newly_parked, 3, "but each is parked and announced once");

    assert_eq!(normalised(scan(&ddb, &table).await), normalised(mstore.snapshot()), "same table state");

    let want = mbus.events().len();
    let got = read_envelopes(&sqs, &route.queue_url, want, Duration::from_secs(30)).await;
    // Anything published twice would still be arriving: give it a moment.
    let extra = read_envelopes(&sqs, &route.queue_url, 1, Duration::from_secs(2)).await;
    assert!(extra.is_empty(), "nothing beyond one copy of each event: {extra:?}");
    assert_eq!(got.len(), want);
    let ids: HashSet<String> = got.iter().map(|e| e["detail"]["event_id"].as_str().unwrap().to_string()).collect();
    assert_eq!(ids.len(), want, "each event once");
    let mem_ids: HashSet<String> = mbus.events().iter().map(|e| e.event_id().to_string()).collect();
    assert_eq!(ids, mem_ids, "the same events as the in-memory run");
    assert!(got.iter().all(|e| e["source"] == "wapipe"));
}
