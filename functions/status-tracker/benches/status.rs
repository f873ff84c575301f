//! Status updates per second in-process (in-memory store and bus): each iteration runs a fresh
//! message's statuses through the handler as SQS batches of EventBridge bodies — parse, read,
//! plan, conditional write or transaction — for a template send joined to its send record
//! (counters and pricing move) and, separately, for duplicates (read only, no write).
//!
//! `cargo bench -p status-tracker --bench status`; criterion reports elements (statuses) per
//! second.

#[path = "../tests/support/mod.rs"]
mod support;

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use status_tracker::RecordIn;
use support::*;
use wapipe_core::ports::Store;

const MESSAGES: usize = 100;
const PER_MESSAGE: &[(&str, i64)] = &[("sent", 0), ("delivered", 3), ("read", 40)];

fn batches(tag: &str) -> Vec<Vec<RecordIn>> {
    let mut records = Vec::new();
    for m in 0..MESSAGES {
        let wamid = format!("wamid.{tag}{m}");
        // Out of order on purpose: sent, then read, then the late delivered.
        for &(s, dt) in PER_MESSAGE.iter().rev().cycle().skip(2).take(PER_MESSAGE.len()) {
            let b = body(&status_event(&wamid, s, T0 + dt, Some(&format!("req-{tag}{m}"))));
            records.push(record(&format!("{wamid}-{s}"), b, 1));
        }
    }
    records.chunks(10).map(<[RecordIn]>::to_vec).collect()
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
    let mut g = c.benchmark_group("status_updates");
    g.throughput(Throughput::Elements((MESSAGES * PER_MESSAGE.len()) as u64));
    let input = batches("b");

    g.bench_function("new_statuses_joined_template", |b| {
        b.iter_batched(
            || {
                let t = tracker();
                rt.block_on(async {
                    for m in 0..MESSAGES {
                        t.store.write(send_write(&format!("req-b{m}"))).await.expect("send record");
                    }
                });
                t
            },
            |t| {
                rt.block_on(async {
                    for batch in &input {
                        black_box(t.handle_batch(batch).await);
                    }
                })
            },
            BatchSize::LargeInput,
        )
    });

    g.bench_function("duplicate_statuses", |b| {
        let t = tracker();
        rt.block_on(async {
            for m in 0..MESSAGES {
                t.store.write(send_write(&format!("req-b{m}"))).await.expect("send record");
            }
            for batch in &input {
                t.handle_batch(batch).await;
            }
        });
        b.iter(|| {
            rt.block_on(async {
                for batch in &input {
                    black_box(t.handle_batch(batch).await);
                }
            })
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
