//! The consumer runtime's promise for ingest: whatever the concurrency, a batch of sample
//! records (with repeats: redeliveries inside a batch) leaves the same table and publishes the
//! same events as the same batch handled one contact at a time.

mod support;

use proptest::prelude::*;
use support::*;
use wapipe_core::app::consumer::Options;
use wapipe_core::testing::{arb_concurrency, end_state};
use webhook_ingest::RecordIn;

const SAMPLES: &[&str] = &[
    "example-sqs-eum-text.json",
    "example-sqs-eum-text-reply.json",
    "example-sqs-eum-reaction.json",
    "example-sqs-eum-status-delivered.json",
    "example-sqs-eum-status-read.json",
    "example-sqs-eum-image.json",
    "example-sqs-eum-edit.json",
    "example-sqs-eum-revoke.json",
    "example-sqs-eum-batch.json",
    "example-sqs-eum-phone-number-quality-update.json",
];

fn pool() -> Vec<RecordIn> {
    SAMPLES.iter().flat_map(|s| records(s)).collect()
}

fn run(picks: &[usize], concurrency: usize) -> (Vec<serde_json::Value>, Vec<String>) {
    let pool = pool();
    let batch: Vec<RecordIn> = picks.iter().map(|&i| pool[i % pool.len()].clone()).collect();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let (mut ingest, store, bus) = ingest();
        ingest.config.run = Options { concurrency };
        let report = ingest.handle_batch(&batch).await;
        assert!(report.failures().is_empty(), "{report:?}");
        end_state(store.snapshot(), bus.events(), &[])
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]
    #[test]
    fn any_concurrency_ends_like_one_at_a_time(
        picks in prop::collection::vec(0usize..64, 1..10),
        concurrency in arb_concurrency(),
    ) {
        prop_assert_eq!(run(&picks, concurrency), run(&picks, 1));
    }
}
