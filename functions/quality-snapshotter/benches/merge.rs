//! Quality webhooks merged per second in-process (in-memory store and bus): each iteration
//! runs 100 `whatsapp.phone.quality` events (50 numbers, an upgrade then a later downgrade
//! each) through the SQS path: parse, read LATEST, plan the ordered merge, history row,
//! `whatsapp.quality.changed`, conditional write. And the same batch again (duplicates: read
//! and history row only, no event, no LATEST write).
//!
//! `cargo bench -p quality-snapshotter --bench merge`; criterion reports elements (events) per second.

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use quality_snapshotter::{Config, RecordIn, Snapshotter};
use serde_json::json;
use time::OffsetDateTime;
use wapipe_core::app::publish::RetryPolicy;
use wapipe_core::domain::events::{eventbridge_body, DomainEvent, Envelope, EventType};
use wapipe_core::memory::{MemoryBus, MemoryStore, SandboxAccounts};
use wapipe_core::ports::FixedClock;

const PHONES: usize = 50;
const T0: i64 = 1_790_000_000;
type S = Snapshotter<Arc<MemoryStore>, Arc<MemoryBus>, SandboxAccounts, FixedClock>;

fn records() -> Vec<RecordIn> {
    let mut out = Vec::new();
    for p in 0..PHONES {
        let phone = format!("{}", 700_000 + p);
        for (dt, ev, tier) in [(0, "UPGRADE", "TIER_2K"), (60, "DOWNGRADE", "TIER_250")] {
            let at = OffsetDateTime::from_unix_timestamp(T0 + dt).expect("time");
            let fields = json!({"event": ev, "current_limit": tier}).as_object().cloned().unwrap_or_default();
            let e = DomainEvent::new(
                EventType::PhoneQuality,
                Envelope { event_id: format!("{phone}{ev}"), occurred_at: at, waba_id: "139", phone_number_id: &phone },
                fields,
            );
            out.push(RecordIn {
                id: format!("{phone}-{ev}"),
                body: eventbridge_body(&e, "0", "local", at),
                receive_count: 1,
                sent_at: None,
                ..Default::default()
            });
        }
    }
    out
}

fn snapshotter() -> S {
    let config = Config { publish: RetryPolicy::immediate(1), ..Config::default() };
    let clock = FixedClock(OffsetDateTime::from_unix_timestamp(T0 + 120).expect("time"));
    Snapshotter::new(Arc::new(MemoryStore::new()), Arc::new(MemoryBus::new()), SandboxAccounts::new(&[]), clock, config)
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
    let input = records();
    let mut g = c.benchmark_group("quality_merge");
    g.throughput(Throughput::Elements(input.len() as u64));
    g.bench_function("webhooks_100", |b| {
        b.iter_batched(
            snapshotter,
            |s| assert!(rt.block_on(s.handle_batch(&input)).failures().is_empty()),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("duplicates_100", |b| {
        b.iter_batched(
            || {
                let s = snapshotter();
                rt.block_on(s.handle_batch(&input));
                s
            },
            |s| assert!(rt.block_on(s.handle_batch(&input)).failures().is_empty()),
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
