//! Property: any interleaving and duplication of payment webhooks, refund commands and gateway
//! answers (lost ones included) never reserves more than was captured, never creates a key's
//! refund twice at the gateway, and ends in the same state as in-order delivery.

mod support;

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use payment_processor::Outcome;
use proptest::prelude::*;
use serde_json::json;
use support::*;
use wapipe_core::domain::keys;
use wapipe_core::ports::Store;

const REF: &str = "order-p";

#[derive(Clone, Debug)]
struct Case {
    /// (key index, amount) of each refund command: their sum never exceeds the capture.
    refunds: Vec<(usize, i64)>,
    /// Gateway outcome reported later by a webhook, per refund: completed (true) / failed.
    webhook_outcomes: Vec<Option<bool>>,
    with_failed_attempt: bool,
    /// Delivery order (a permutation of the inputs, duplicates included).
    order: Vec<usize>,
    duplicates: Vec<usize>,
    lost_answers: u32,
}

fn case() -> impl Strategy<Value = Case> {
    (1usize..4, any::<bool>(), 0u32..3).prop_flat_map(|(n, failed, lost)| {
        let amounts = prop::collection::vec(1i64..=TOTAL / 4, n);
        let outcomes = prop::collection::vec(prop::option::of(any::<bool>()), n);
        (amounts, outcomes, Just(failed), Just(lost), Just(n)).prop_flat_map(|(amounts, outcomes, failed, lost, n)| {
            let inputs = 1 + usize::from(failed) + n + 1;
            let dups = prop::collection::vec(0..inputs, 0..4);
            (Just(amounts), Just(outcomes), Just(failed), Just(lost), dups, Just(inputs))
                .prop_flat_map(|(a, o, f, l, d, inputs)| {
                    let total = inputs + d.len();
                    let perm = Just((0..total).collect::<Vec<_>>()).prop_shuffle();
                    (Just(a), Just(o), Just(f), Just(l), Just(d), perm)
                })
                .prop_map(move |(a, o, f, l, d, perm)| Case {
                    refunds: a.into_iter().enumerate().collect(),
                    webhook_outcomes: o,
                    with_failed_attempt: f,
                    order: perm,
                    duplicates: d,
                    lost_answers: l,
                })
        })
    })
}

/// The inputs of a case, in their natural order.
fn inputs(c: &Case) -> Vec<String> {
    let mut v = Vec::new();
    if c.with_failed_attempt {
        v.push(webhook(REF, "failed", TOTAL, None));
    }
    v.push(webhook(REF, "captured", TOTAL, None));
    for (k, amount) in &c.refunds {
        v.push(refund_cmd(REF, &format!("k{k}"), *amount));
    }
    let list: Vec<_> = c
        .refunds
        .iter()
        .zip(&c.webhook_outcomes)
        .filter_map(|((k, amount), o)| {
            o.map(|done| {
                json!({"id": format!("rfnd_k{k}"), "amount": {"value": amount, "offset": 100},
                "status": if done { "completed" } else { "failed" }})
            })
        })
        .collect();
    v.push(webhook(REF, "captured", TOTAL, Some(json!(list))));
    v
}

type Final = ((String, i64, i64, i64, i64), Vec<(String, String)>);

async fn final_state(p: &MemProcessor) -> Final {
    let page = p
        .store
        .query(wapipe_core::ports::Query::table(keys::payment_partition(REF), keys::REFUND_PREFIX))
        .await
        .unwrap();
    let refunds =
        page.items.iter().map(|i| (i.sk.clone(), i.get_str("state").unwrap_or_default().to_string())).collect();
    (ledger(p, REF).await, refunds)
}

/// Deliver like SQS: a retried record comes back (receive count + 1), bounded.
async fn deliver(p: &MemProcessor, bodies: Vec<String>) {
    let mut queue: VecDeque<(String, u32)> = bodies.into_iter().map(|b| (b, 1)).collect();
    for _ in 0..500 {
        let Some((body, n)) = queue.pop_front() else { return };
        let out = run_n(p, body.clone(), n).await;
        let (_, captured, reserved, remaining, _) = ledger(p, REF).await;
        assert!(reserved <= captured && remaining >= 0, "reserved {reserved} of {captured}");
        if matches!(out, Outcome::Retry { .. }) {
            queue.push_back((body, n + 1));
        }
    }
    panic!("delivery did not settle");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
    #[test]
    fn any_interleaving_ends_like_in_order_delivery(c in case()) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let natural = inputs(&c);
            let reference = {
                let p = processor(Some(Arc::new(FakeGateway::default())));
                seed_order(&p, REF, "INR", None).await;
                deliver(&p, natural.clone()).await;
                final_state(&p).await
            };
            let gw = Arc::new(FakeGateway::default());
            gw.lose_next.store(c.lost_answers, Ordering::SeqCst);
            let p = processor(Some(gw.clone()));
            seed_order(&p, REF, "INR", None).await;
            let mut all = natural.clone();
            all.extend(c.duplicates.iter().map(|&i| natural[i].clone()));
            let shuffled: Vec<String> = c.order.iter().map(|&i| all[i].clone()).collect();
            deliver(&p, shuffled).await;
            let got = final_state(&p).await;
            assert_eq!(got, reference, "case {c:?}");
            assert_eq!(gw.creations.load(Ordering::SeqCst) as usize, c.refunds.len(), "one gateway refund per key");
        });
    }

    #[test]
    fn oversubscribed_refunds_never_exceed_the_capture(amounts in prop::collection::vec(1i64..TOTAL, 1..8), seed in any::<u64>()) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let p = processor(Some(Arc::new(FakeGateway::default())));
            seed_order(&p, REF, "INR", None).await;
            let mut bodies = vec![webhook(REF, "captured", TOTAL, None)];
            bodies.extend(amounts.iter().enumerate().map(|(i, a)| refund_cmd(REF, &format!("k{i}"), *a)));
            let n = bodies.len();
            bodies.rotate_left((seed as usize) % n);
            deliver(&p, bodies).await;
            let (_, captured, reserved, remaining, _) = ledger(&p, REF).await;
            assert_eq!(captured, TOTAL);
            assert_eq!(reserved + remaining, captured);
            let accepted: i64 = final_state(&p).await.1.len() as i64;
            assert!(accepted <= amounts.len() as i64);
        });
    }
}
