//! The consumer runtime's promise for flow completions: whatever the concurrency, one token's
//! completions are stored in arrival order, and the responses, the closed sessions and what was
//! parked equal those of the same batch handled one record at a time.

use std::sync::Arc;

use flow_endpoint::Completions;
use proptest::prelude::*;
use serde_json::json;
use time::OffsetDateTime;
use wapipe_core::app::publish::RetryPolicy;
use wapipe_core::domain::events::{eventbridge_body, DomainEvent, Envelope, EventType};
use wapipe_core::domain::flows::token::{issue_flow_token, FlowTokenSpec};
use wapipe_core::memory::{MemoryBus, MemoryStore};
use wapipe_core::ports::{FixedClock, Store};
use wapipe_core::testing::{arb_concurrency, end_state, records};

fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_760_000_000).expect("time")
}

fn completion(token: usize, reply: usize) -> String {
    let fields = json!({"wamid": format!("wamid.R{token}{reply}"), "from": "919876543210",
        "flow_token": format!("wapipe-ft-tok{token}aaaaaaaaaaaaaaaa"), "response": {"pick": reply}});
    let common =
        Envelope { event_id: format!("e{token}{reply}"), occurred_at: t0(), waba_id: "W", phone_number_id: "P" };
    let e = DomainEvent::new(EventType::FlowCompleted, common, fields.as_object().cloned().unwrap_or_default());
    eventbridge_body(&e, "000000000000", "local", t0())
}

fn run(batch: &[(usize, usize)], concurrency: usize) -> (Vec<serde_json::Value>, Vec<String>) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let (store, bus) = (Arc::new(MemoryStore::new()), Arc::new(MemoryBus::new()));
        for t in 0..2 {
            let token = format!("wapipe-ft-tok{t}aaaaaaaaaaaaaaaa");
            let spec = FlowTokenSpec {
                flow: "csat",
                phone_number_id: "P",
                recipient: "919876543210",
                request_id: None,
                wamid: None,
                token: Some(&token),
                ttl: None,
            };
            let issued = issue_flow_token(&spec, t0()).expect("token");
            store.write(issued.write).await.expect("session");
        }
        let mut c = Completions::new(store.clone(), bus.clone(), FixedClock(t0()));
        c.publish = RetryPolicy::immediate(2);
        c.run = wapipe_core::app::consumer::Options { concurrency };
        let mut bodies: Vec<String> = batch.iter().map(|&(t, r)| completion(t, r)).collect();
        bodies.push("{not an event".into());
        assert!(c.handle_batch(&records(&bodies)).await.is_empty());
        end_state(store.snapshot(), bus.events(), &[])
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]
    #[test]
    fn any_concurrency_ends_like_one_at_a_time(
        batch in prop::collection::vec((0usize..3, 0usize..3), 1..9),
        concurrency in arb_concurrency(),
    ) {
        prop_assert_eq!(run(&batch, concurrency), run(&batch, 1));
    }
}
