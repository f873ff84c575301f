//! CPU per ingested event (docs/ARCHITECTURE.md §9): three JSON layers decoded, normalised, deduped
//! and routed on in-memory adapters, against serde_json parsing the same bytes into a
//! `serde_json::Value` (the first layer only) — the budget is a ratio of at most 3.
//!
//! `cargo bench -p webhook-ingest --bench ingest`; the ratios are `ingest / serde_json_value`
//! (the outer body only) and `ingest / serde_json_value_three_layers` (every layer parsed into
//! `Value`), measured in the same run.

use std::sync::Arc;

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use wapipe_core::app::publish::RetryPolicy;
use wapipe_core::domain::envelope::decode_body;
use wapipe_core::domain::ingest_plan::NormalizeContext;
use wapipe_core::domain::normalize::normalize;
use wapipe_core::memory::{MemoryBus, MemoryStore};
use wapipe_core::ports::FixedClock;
use webhook_ingest::{Config, Ingest, RecordIn};

/// SQS bodies of a realistic mix: every sample in events/ (inbound, statuses, fields).
fn bodies() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("events/") {
        let p = entry.expect("entry").path();
        if p.extension().is_some_and(|x| x == "json") && p.file_name().is_some_and(|n| n != "manifest.json") {
            let text = std::fs::read_to_string(&p).expect("read");
            if let Ok(Some(b)) = wapipe_core::domain::envelope::lambda_event_bodies(&text) {
                out.extend(b.into_iter().map(|(_, body)| body));
            }
        }
    }
    out.sort();
    out
}

fn bench(c: &mut Criterion) {
    let bodies = bodies();
    let bytes: usize = bodies.iter().map(String::len).sum();
    let now = time::OffsetDateTime::from_unix_timestamp(1_760_000_000).expect("time");
    let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");

    let mut g = c.benchmark_group("per_event");
    g.throughput(Throughput::Elements(bodies.len() as u64));

    g.bench_function("serde_json_value", |b| {
        b.iter(|| {
            for body in &bodies {
                black_box(serde_json::from_str::<serde_json::Value>(black_box(body)).ok());
            }
        })
    });

    // The same bytes, all three layers (SNS notification, EUM event, webhook entry) parsed into
    // `Value`s: the JSON work any handler of these bodies must do.
    g.bench_function("serde_json_value_three_layers", |b| {
        b.iter(|| {
            for body in &bodies {
                let outer: serde_json::Value = serde_json::from_str(black_box(body)).unwrap_or_default();
                let eum = match outer.get("Message").and_then(|m| m.as_str()) {
                    Some(m) => serde_json::from_str::<serde_json::Value>(m).unwrap_or_default(),
                    None => outer,
                };
                if let Some(entry) = eum.get("whatsAppWebhookEntry").and_then(|e| e.as_str()) {
                    black_box(serde_json::from_str::<serde_json::Value>(entry).ok());
                }
            }
        })
    });

    g.bench_function("decode_and_normalize", |b| {
        b.iter(|| {
            for body in &bodies {
                if let Ok(inbound) = decode_body(black_box(body)) {
                    let ctx = NormalizeContext::new(&inbound.context, now);
                    for entry in &inbound.entries {
                        black_box(normalize(entry, &ctx).ok());
                    }
                }
            }
        })
    });

    let records: Vec<RecordIn> = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| RecordIn { id: format!("r{i}"), body: body.clone(), sent_at: None, ..Default::default() })
        .collect();
    g.bench_function("ingest", |b| {
        b.iter_batched(
            || {
                let config = Config { publish: RetryPolicy::immediate(1), ..Config::default() };
                Ingest::new(Arc::new(MemoryStore::new()), Arc::new(MemoryBus::new()), FixedClock(now), config)
            },
            |ingest| {
                rt.block_on(async {
                    for chunk in records.chunks(10) {
                        black_box(ingest.handle_batch(chunk).await);
                    }
                })
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
    eprintln!("{} bodies, {bytes} bytes per iteration", bodies.len());
}

criterion_group!(benches, bench);
criterion_main!(benches);
