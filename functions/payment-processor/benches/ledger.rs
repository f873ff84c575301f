//! Payment inputs handled per second in-process (in-memory store and bus, the in-memory gateway
//! of the tests): each iteration captures 50 orders (`whatsapp.payment.updated`: parse, amount
//! check, conditional update, `payment.captured`, the `order_status` send request), then asks
//! two refunds on each (`whatsapp.refund.requested`: the reserving transaction, the gateway
//! call, `refund.updated`), then delivers every refund command again (duplicates: read, no
//! write, re-announce). Orders are seeded outside the measurement.
//!
//! `cargo bench -p payment-processor --bench ledger`; criterion reports inputs per second.

#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use payment_processor::RecordIn;
use support::{processor, refund_cmd, seed_order, webhook, FakeGateway, MemProcessor, TOTAL};

const ORDERS: usize = 50;

fn records(bodies: Vec<String>) -> Vec<RecordIn> {
    bodies
        .into_iter()
        .enumerate()
        .map(|(i, body)| RecordIn { id: format!("m{i}"), body, receive_count: 1, ..Default::default() })
        .collect()
}

fn reference(i: usize) -> String {
    format!("bench-order-{i}")
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let captures = records((0..ORDERS).map(|i| webhook(&reference(i), "captured", TOTAL, None)).collect());
    let refunds = records(
        (0..ORDERS)
            .flat_map(|i| {
                let r = reference(i);
                [refund_cmd(&r, "a", TOTAL / 3), refund_cmd(&r, "b", TOTAL / 3)]
            })
            .collect(),
    );
    let setup = || {
        let p = processor(Some(Arc::new(FakeGateway::default())));
        rt.block_on(async {
            for i in 0..ORDERS {
                seed_order(&p, &reference(i), "INR", None).await;
            }
        });
        p
    };
    let mut g = c.benchmark_group("payments");
    g.throughput(Throughput::Elements((captures.len() + 2 * refunds.len()) as u64));
    g.bench_function("capture_refund_redeliver", |b| {
        b.iter_batched(
            setup,
            |p: MemProcessor| {
                rt.block_on(async {
                    // Batches of 10, as the event source mapping delivers them.
                    for batch in captures.chunks(10).chain(refunds.chunks(10)).chain(refunds.chunks(10)) {
                        let report = p.handle_batch(batch).await;
                        assert!(report.failures().is_empty(), "a bench input failed");
                    }
                })
            },
            BatchSize::LargeInput,
        )
    });
    // The floor, for a ratio in the same run: parsing the same bodies into `serde_json::Value`.
    g.bench_function("parse_only", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for r in captures.iter().chain(refunds.iter()).chain(refunds.iter()) {
                let v: serde_json::Value = serde_json::from_str(&r.body).expect("json");
                n += v.as_object().map_or(0, |o| o.len());
            }
            n
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
