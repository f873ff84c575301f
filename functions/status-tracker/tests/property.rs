//! The property: for random permutations of a message's statuses, with random
//! duplicates and the send record appearing at a random point (before, between or after the
//! statuses), the final message record (status, every timestamp, errors), the send record, every
//! analytics counter and the published failures equal those of in-order delivery with the send
//! record written first — and every counter that moves, moves exactly once.

mod support;

use std::collections::BTreeSet;

use proptest::prelude::*;
use support::*;
use wapipe_core::domain::events::EventType;
use wapipe_core::domain::status::view::TemplateRow;
use wapipe_core::ports::{Item, Store};

const WAMID: &str = "wamid.PROP";
const REQUEST: &str = "req-prop";

/// The statuses a message can get, in the order Meta sends them, with their times.
const STATUSES: &[(&str, i64)] =
    &[("sent", 0), ("warning", 2), ("delivered", 3), ("read", 40), ("failed", 50), ("played", 95), ("deleted", 600)];

#[derive(Debug, PartialEq)]
struct Outcome {
    msg: Item,
    send: Item,
    templates: Vec<Item>,
    pricing: Vec<Item>,
    failures: BTreeSet<String>,
}

fn bodies(indexes: &[usize]) -> Vec<String> {
    indexes.iter().map(|&i| body(&status_event(WAMID, STATUSES[i].0, T0 + STATUSES[i].1, Some(REQUEST)))).collect()
}

/// Run the statuses through the handler (as SQS would deliver them), with the send worker
/// writing its record before the `send_at`-th receive.
fn run(indexes: &[usize], send_at: usize) -> Outcome {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let t = tracker();
        let store = t.store.clone();
        run_queue(&t, bodies(indexes), |step| {
            let store = store.clone();
            async move {
                if step == send_at {
                    store.write(send_write(REQUEST)).await.expect("send record");
                }
            }
        })
        .await;
        let get = |pk: String, sk: &'static str| {
            let store = t.store.clone();
            async move { store.get(&pk, sk).await.expect("get").expect("item") }
        };
        let (templates, pricing) = analytics(&t.store).await;
        let failures = t
            .bus
            .events()
            .into_iter()
            .filter(|e| e.detail_type == EventType::MessageFailed)
            .map(|e| e.event_id().to_string())
            .collect();
        Outcome {
            msg: get(format!("MSG#{WAMID}"), "MSG").await,
            send: get(format!("SEND#{REQUEST}"), "SEND").await,
            templates,
            pricing,
            failures,
        }
    })
}

/// A subset of the statuses (sent always), shuffled, with duplicates, and where the send
/// record lands.
fn scenario() -> impl Strategy<Value = (Vec<usize>, Vec<usize>, usize)> {
    proptest::collection::vec(any::<bool>(), STATUSES.len()).prop_flat_map(|keep| {
        let chosen: Vec<usize> = (0..STATUSES.len()).filter(|&i| i == 0 || keep[i]).collect();
        let n = chosen.len();
        let dups = proptest::collection::vec(proptest::sample::select(chosen.clone()), 0..=n);
        (
            Just(chosen.clone()),
            (Just(chosen), dups).prop_flat_map(|(c, d)| {
                let all: Vec<usize> = c.into_iter().chain(d).collect();
                Just(all).prop_shuffle()
            }),
        )
            .prop_flat_map(|(chosen, shuffled)| {
                let len = shuffled.len();
                (Just(chosen), Just(shuffled), 0..=len)
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn any_order_with_duplicates_and_a_late_send_record_ends_as_in_order((chosen, delivered, send_at) in scenario()) {
        let expected = run(&chosen, 0);
        let got = run(&delivered, send_at);
        prop_assert_eq!(&got, &expected);

        // Each counter moved exactly once (ADD 1 is their only change), or not at all.
        let row = TemplateRow::from_item(&expected.templates[0]).expect("a template row");
        let has = |names: &[&str]| names.iter().any(|n| chosen.iter().any(|&i| STATUSES[i].0 == *n));
        prop_assert_eq!(row.sent, 1);
        prop_assert_eq!(row.delivered, i64::from(has(&["delivered"])));
        prop_assert_eq!(row.read, i64::from(has(&["read", "played"])));
        prop_assert_eq!(row.failed, i64::from(has(&["failed"])));
        prop_assert_eq!(expected.failures.len(), usize::from(has(&["failed"])));
        let billed: i64 = expected.pricing.iter().filter_map(|p| p.get_i64("messages")).sum();
        prop_assert_eq!(billed, i64::from(has(&["delivered"])));

        // The machine itself: the highest rank seen, every status's own time.
        let top = if has(&["failed"]) { "failed" } else if has(&["read", "played"]) { "read" }
            else if has(&["delivered"]) { "delivered" } else { "sent" };
        prop_assert_eq!(got.msg.get_str("status"), Some(top));
        for &i in &chosen {
            let (name, dt) = STATUSES[i];
            prop_assert_eq!(got.msg.get_i64(&format!("{name}_at")), Some(T0 + dt));
        }
    }
}

#[test]
fn the_property_can_fail() {
    // Guard against a vacuous comparison: different inputs give different outcomes.
    assert_ne!(run(&[0, 2], 0), run(&[0], 0));
    assert_ne!(run(&[0, 2], 0).templates, run(&[0, 2], 99).templates, "no join, no template counters");
}
