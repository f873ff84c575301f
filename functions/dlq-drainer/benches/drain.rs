//! DLQ messages replayed per second in-process (in-memory queue, store and bus): each
//! iteration drains a DLQ of 100 messages back to its source (receive 10, send with the
//! backoff delay and the replay attribute, delete), and separately parks 100 messages that
//! used up their replays (parked item, `whatsapp.message.parked`, mark, delete).
//!
//! `cargo bench -p dlq-drainer --bench drain`; criterion reports elements (messages) per second.

use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use dlq_drainer::drain::DrainRequest;
use dlq_drainer::{Config, Drainer, QueuePair, REPLAYS_ATTR};
use time::OffsetDateTime;
use wapipe_core::app::publish::RetryPolicy;
use wapipe_core::memory::{MemoryBus, MemoryQueue, MemoryStore};
use wapipe_core::ports::{FixedClock, OutgoingMessage, Queue};

const N: usize = 100;
type D = Drainer<Arc<MemoryQueue>, Arc<MemoryStore>, Arc<MemoryBus>, FixedClock>;

fn setup(rt: &tokio::runtime::Runtime, replays: u32) -> (D, Arc<MemoryQueue>) {
    let queue = Arc::new(MemoryQueue::new());
    let pair = QueuePair { name: "q".into(), dlq_url: "mem://dlq".into(), source_url: "mem://src".into() };
    rt.block_on(async {
        for i in 0..N {
            let attributes = [(REPLAYS_ATTR.to_string(), replays.to_string())].into();
            let m = OutgoingMessage { body: format!("{{\"n\":{i}}}"), delay: None, attributes };
            queue.send(&pair.dlq_url, m).await.expect("send");
        }
    });
    let config = Config {
        pairs: vec![pair],
        max_messages: N,
        receive_wait: Duration::ZERO,
        jitter: 0.0,
        publish: RetryPolicy::immediate(1),
        ..Config::default()
    };
    let clock = FixedClock(OffsetDateTime::from_unix_timestamp(1_790_000_000).expect("time"));
    let d = Drainer::new(queue.clone(), Arc::new(MemoryStore::new()), Arc::new(MemoryBus::new()), clock, config);
    (d, queue)
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().expect("runtime");
    let mut g = c.benchmark_group("dlq_drain");
    g.throughput(Throughput::Elements(N as u64));
    let req = DrainRequest::default();
    g.bench_function("replay_100", |b| {
        b.iter_batched(
            || setup(&rt, 0),
            |(d, q)| {
                let r = rt.block_on(d.run(&req, &|_, _| {})).expect("run");
                assert_eq!((r.queues[0].replayed, q.len("mem://dlq")), (N, 0));
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("park_100", |b| {
        b.iter_batched(
            || setup(&rt, 3),
            |(d, _)| {
                let r = rt.block_on(d.run(&req, &|_, _| {})).expect("run");
                assert_eq!(r.queues[0].parked, N);
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
