//! The consumer runtime's promise for payments: whatever the concurrency, the inputs of one
//! order run in arrival order, and the ledger, the orders and the published events equal those
//! of the same batch handled one record at a time.

mod support;

use proptest::prelude::*;
use support::*;
use wapipe_core::app::consumer::Options;
use wapipe_core::testing::{arb_concurrency, end_state, records};

fn input(order: usize, kind: usize) -> String {
    let r = format!("conc-{order}");
    match kind {
        0 => webhook(&r, "captured", TOTAL, None),
        1 => webhook(&r, "failed", TOTAL, None),
        2 => refund_cmd(&r, "a", TOTAL / 3),
        3 => refund_cmd(&r, "b", TOTAL / 2),
        _ => webhook(&r, "captured", TOTAL + 1, None),
    }
}

fn run(batch: &[(usize, usize)], concurrency: usize) -> ((Vec<serde_json::Value>, Vec<String>), Vec<String>) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let mut p = processor(Some(std::sync::Arc::new(FakeGateway::default())));
        p.config.run = Options { concurrency };
        for o in 0..3 {
            seed_order(&p, &format!("conc-{o}"), "INR", None).await;
        }
        let bodies: Vec<String> = batch.iter().map(|&(o, k)| input(o, k)).collect();
        let report = p.handle_batch(&records(&bodies)).await;
        (end_state(p.store.snapshot(), p.bus.events(), &[]), report.failures())
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn any_concurrency_ends_like_one_at_a_time(
        batch in prop::collection::vec((0usize..3, 0usize..5), 1..10),
        concurrency in arb_concurrency(),
    ) {
        prop_assert_eq!(run(&batch, concurrency), run(&batch, 1));
    }
}
