//! The consumer runtime's promise for the tracker: however many messages of a batch run at
//! once, the statuses of one message are applied in arrival order, and the final table and the
//! published events equal those of the same batch handled one record at a time.

mod support;

use proptest::prelude::*;
use support::*;
use wapipe_core::app::consumer::Options;
use wapipe_core::ports::Store;
use wapipe_core::testing::{arb_concurrency, end_state, records};

const STATUSES: &[&str] = &["sent", "delivered", "read", "failed", "deleted"];

fn run(batch: &[(usize, usize)], concurrency: usize) -> (Vec<serde_json::Value>, Vec<String>) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let mut t = tracker();
        t.config.run = Options { concurrency };
        for m in 0..3 {
            t.store.write(send_write(&format!("req-{m}"))).await.expect("send record");
        }
        let bodies: Vec<String> = batch
            .iter()
            .map(|&(m, s)| {
                let rid = format!("req-{m}");
                body(&status_event(&format!("wamid.C{m}"), STATUSES[s], T0 + s as i64, Some(&rid)))
            })
            .collect();
        let report = t.handle_batch(&records(&bodies)).await;
        assert!(report.failures().is_empty(), "{report:?}");
        end_state(t.store.snapshot(), t.bus.events(), &[])
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn any_concurrency_ends_like_one_at_a_time(
        batch in prop::collection::vec((0usize..3, 0usize..STATUSES.len()), 1..10),
        concurrency in arb_concurrency(),
    ) {
        prop_assert_eq!(run(&batch, concurrency), run(&batch, 1));
    }
}
