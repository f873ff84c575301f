//! Shared test helpers: the sample events and their manifest, and a local ingest.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use wapipe_core::app::publish::RetryPolicy;
use wapipe_core::memory::{MemoryBus, MemoryStore};
use wapipe_core::ports::FixedClock;
use webhook_ingest::{Config, Ingest, RecordIn};

pub type TestIngest = Ingest<Arc<MemoryStore>, Arc<MemoryBus>, FixedClock>;

pub fn events_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events")
}

#[derive(Deserialize, Debug, Clone)]
pub struct Expect {
    pub records: usize,
    pub expect: BTreeMap<String, usize>,
    pub parked: usize,
}

/// `events/manifest.json`: relative path → what ingest must make of it.
pub fn manifest() -> BTreeMap<String, Expect> {
    let text = std::fs::read_to_string(events_dir().join("manifest.json")).expect("events/manifest.json");
    serde_json::from_str(&text).expect("manifest parses")
}

/// The records of a sample file (SQS or SNS Lambda event, or one bare body).
pub fn records(rel: &str) -> Vec<RecordIn> {
    let text = std::fs::read_to_string(events_dir().join(rel)).expect("sample file");
    match wapipe_core::domain::envelope::lambda_event_bodies(&text) {
        Ok(Some(bodies)) => bodies
            .into_iter()
            .enumerate()
            .map(|(i, (id, body))| RecordIn {
                id: format!("{rel}#{i}:{id}"),
                body,
                sent_at: None,
                ..Default::default()
            })
            .collect(),
        _ => vec![RecordIn { id: rel.to_string(), body: text, sent_at: None, ..Default::default() }],
    }
}

pub fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(1_760_000_000).expect("valid time")
}

pub fn ingest() -> (TestIngest, Arc<MemoryStore>, Arc<MemoryBus>) {
    let store = Arc::new(MemoryStore::new());
    let bus = Arc::new(MemoryBus::new());
    let config = Config { publish: RetryPolicy::immediate(3), ..Config::default() };
    (Ingest::new(store.clone(), bus.clone(), FixedClock(now()), config), store, bus)
}

/// Detail-type → count of the events on a bus.
pub fn counts(bus: &MemoryBus) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for e in bus.events() {
        *out.entry(e.detail_type.as_str().to_string()).or_insert(0) += 1;
    }
    out
}
