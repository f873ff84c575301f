//! The ledger as conditional writes: every transition is one conditional update or one
//! transaction, conditioned on the state it leaves, so a duplicate or a concurrent delivery
//! finds the condition false and changes nothing (see the module docs of `payments`).

use serde_json::Value;

use super::order::{index_sort, order_index, refund_index, OrderView, RefundView};
use super::{attr, OrderState, RefundState};
use crate::domain::keys;
use crate::domain::table::{Cond, Item, Update, Write};

/// A payment status, as a webhook or a `mark-paid` command reports it.
#[derive(Clone, Debug, PartialEq)]
pub struct Settlement {
    /// The state the report asks for: `captured`, `failed` or `pending` (`mark-paid` is a capture).
    pub status: OrderState,
    /// The amount paid, minor units; `None` when not reported.
    pub amount: Option<i64>,
    /// The ISO 4217 currency paid (`INR`, …); `None` when not reported.
    pub currency: Option<String>,
    /// The gateway transaction (`{id, type, method, error, …}`), or the PSP reference.
    pub transaction: Option<Value>,
}

/// What a settlement does to an order.
#[derive(Clone, Debug, PartialEq)]
pub enum SettlePlan {
    /// The order already is there, or may not move there (a late `failed` after a capture).
    Unchanged,
    /// Move the order; `mismatch` says why the capture is flagged instead of accepted.
    Move {
        /// The state the order moves to ([`OrderState::Mismatch`] for a capture that does not match).
        next: OrderState,
        /// The order update, conditioned on the state the order leaves.
        write: Write,
        /// Why a capture is flagged (what was paid against the order's total); `None` otherwise.
        mismatch: Option<String>,
    },
}

fn state_is(state: OrderState) -> Cond {
    Cond::AttrEq(attr::STATE.into(), state.as_str().into())
}

/// Plan a settlement: a capture is checked against the order's amount and currency.
pub fn settle(order: &OrderView, s: &Settlement, now_secs: i64) -> SettlePlan {
    let mut next = s.status;
    let mut mismatch = None;
    if s.status == OrderState::Captured {
        let currency_ok = s.currency.as_deref().is_none_or(|c| c == order.currency);
        let amount_ok = s.amount.is_none_or(|a| a == order.total);
        if !currency_ok || !amount_ok {
            next = OrderState::Mismatch;
            mismatch = Some(format!(
                "paid {} {} for an order of {} {}",
                s.amount.map(|a| a.to_string()).unwrap_or_else(|| "?".into()),
                s.currency.as_deref().unwrap_or("?"),
                order.total,
                order.currency
            ));
        }
    }
    if !order.state.may_become(next) {
        return SettlePlan::Unchanged;
    }
    let key = keys::payment(&order.reference_id);
    let mut updates = vec![
        Update::Set(attr::STATE.into(), next.as_str().into()),
        Update::Set(attr::UPDATED_AT.into(), now_secs.into()),
        Update::Set(keys::GSI1PK.into(), order_index(next).into()),
        Update::Set(keys::GSI1SK.into(), index_sort(now_secs, &order.reference_id).into()),
        Update::Add(attr::VERSION.into(), 1),
    ];
    if let Some(t) = &s.transaction {
        updates.push(Update::Set("transaction".into(), t.clone()));
    }
    match next {
        // Only a matching capture opens the ledger for refunds.
        OrderState::Captured => {
            updates.push(Update::Set(attr::CAPTURED.into(), order.total.into()));
            updates.push(Update::Set(attr::REMAINING.into(), order.total.into()));
        }
        OrderState::Mismatch => {
            updates.push(Update::Set("paid_amount".into(), s.amount.into()));
            updates.push(Update::Set("paid_currency".into(), s.currency.clone().into()));
            updates.push(Update::Set("mismatch".into(), mismatch.clone().into()));
        }
        _ => {}
    }
    let write = Write::Update { pk: key.pk, sk: key.sk, updates, cond: Some(state_is(order.state)) };
    SettlePlan::Move { next, write, mismatch }
}

/// The refund request as ONE transaction: reserve `amount` on a captured order with at least
/// that much remaining, and create `REFUND#{key}` only if it does not exist.
pub fn request_refund(reference_id: &str, key: &str, amount: i64, gateway: &str, now_secs: i64) -> Vec<Write> {
    let order = keys::payment(reference_id);
    let refund = keys::refund(reference_id, key);
    let reserve = Write::Update {
        pk: order.pk,
        sk: order.sk,
        updates: vec![
            Update::Add(attr::REMAINING.into(), -amount),
            Update::Add(attr::RESERVED.into(), amount),
            Update::Add(attr::VERSION.into(), 1),
        ],
        cond: Some(Cond::And(vec![
            state_is(OrderState::Captured),
            Cond::AttrExists(attr::REMAINING.into()),
            Cond::Not(Box::new(Cond::AttrLt(attr::REMAINING.into(), amount.into()))),
        ])),
    };
    let item = Item::new(refund.pk, refund.sk)
        .with("reference_id", reference_id)
        .with(attr::KEY, key)
        .with(attr::AMOUNT, amount)
        .with(attr::STATE, RefundState::Requested.as_str())
        .with(attr::GATEWAY, gateway)
        .with("requested_at", now_secs)
        .with(attr::UPDATED_AT, now_secs)
        .with(keys::GSI1PK, refund_index(RefundState::Requested))
        .with(keys::GSI1SK, index_sort(now_secs, &format!("{reference_id}#{key}")));
    vec![reserve, Write::put_if(item, Cond::ItemMissing)]
}

/// Why a refund request was not applied, decided from what is in the table now.
#[derive(Clone, Debug, PartialEq)]
pub enum RefundRefusal {
    /// The key exists with the same amount: the request was already accepted.
    AlreadyRequested(RefundView),
    /// Can never succeed: a reason code and a sentence.
    Rejected {
        /// The `whatsapp.payment.rejected` reason code, e.g. `key_reused` or `refund_exceeds_remaining`.
        code: &'static str,
        /// The reason in a sentence, for people.
        message: String,
    },
    /// The state changed between the write and the read (a concurrent request): try again.
    Conflict,
}

/// Explain a failed refund transaction.
pub fn refusal(order: Option<&OrderView>, existing: Option<&RefundView>, key: &str, amount: i64) -> RefundRefusal {
    if let Some(r) = existing {
        if r.amount == amount {
            return RefundRefusal::AlreadyRequested(r.clone());
        }
        return RefundRefusal::Rejected {
            code: "key_reused",
            message: format!("refund key {key} was used for {} (now {amount})", r.amount),
        };
    }
    let Some(o) = order else {
        return RefundRefusal::Rejected { code: "unknown_reference", message: "no order has this reference id".into() };
    };
    let reject = |code, message: String| RefundRefusal::Rejected { code, message };
    match o.state {
        OrderState::Failed => reject("refund_on_failed_payment", "the payment failed: nothing to refund".into()),
        OrderState::Pending => reject("payment_not_captured", "the payment is not captured yet".into()),
        OrderState::Mismatch => {
            reject("payment_mismatch", "the payment does not match its order: an operator must settle it".into())
        }
        OrderState::Captured if amount > o.remaining => reject(
            "refund_exceeds_remaining",
            format!("{amount} exceeds the {} {} remaining of {} captured", o.remaining, o.currency, o.captured),
        ),
        OrderState::Captured => RefundRefusal::Conflict,
    }
}

/// Is this refund request well formed?
pub fn check_request(key: &str, amount: i64) -> Result<(), (&'static str, String)> {
    if key.trim().is_empty() || key.len() > 128 || key.contains('#') {
        return Err(("invalid", "field `key`: 1–128 characters, no `#`".into()));
    }
    if amount <= 0 {
        return Err(("invalid", format!("field `amount`: must be a positive number of minor units, got {amount}")));
    }
    Ok(())
}

/// Move a refund to `next` (from one of `next.sources()`), with the ledger effect:
/// completed adds to `refunded`, failed gives the reservation back. `None` when `next` cannot
/// follow the refund's current state (already there, or terminal).
pub fn move_refund(
    reference_id: &str,
    refund: &RefundView,
    next: RefundState,
    gateway_refund_id: Option<&str>,
    reason: Option<&str>,
    now_secs: i64,
) -> Option<Vec<Write>> {
    if !next.sources().contains(&refund.state) {
        return None;
    }
    let k = keys::refund(reference_id, &refund.key);
    let from = Cond::Or(next.sources().iter().map(|s| Cond::AttrEq(attr::STATE.into(), s.as_str().into())).collect());
    let mut updates = vec![
        Update::Set(attr::STATE.into(), next.as_str().into()),
        Update::Set(attr::UPDATED_AT.into(), now_secs.into()),
        Update::Set(keys::GSI1PK.into(), refund_index(next).into()),
        Update::Set(keys::GSI1SK.into(), index_sort(now_secs, &format!("{reference_id}#{}", refund.key)).into()),
    ];
    if let Some(id) = gateway_refund_id {
        updates.push(Update::Set(attr::GATEWAY_REFUND_ID.into(), id.into()));
    }
    if let Some(r) = reason {
        updates.push(Update::Set(attr::REASON.into(), r.into()));
    }
    let mut writes = vec![Write::Update { pk: k.pk, sk: k.sk, updates, cond: Some(from) }];
    let order = keys::payment(reference_id);
    let ledger = match next {
        RefundState::Completed => vec![Update::Add(attr::REFUNDED.into(), refund.amount)],
        RefundState::Failed => {
            vec![Update::Add(attr::REMAINING.into(), refund.amount), Update::Add(attr::RESERVED.into(), -refund.amount)]
        }
        _ => Vec::new(),
    };
    if !ledger.is_empty() {
        let mut updates = ledger;
        updates.push(Update::Add(attr::VERSION.into(), 1));
        writes.push(Write::Update { pk: order.pk, sk: order.sk, updates, cond: Some(Cond::ItemExists) });
    }
    Some(writes)
}

/// A gateway refund seen in a payment webhook (`refunds[]`), kept beside the order so that a
/// webhook that arrives before the gateway's answer is recorded is applied when it is.
/// Terminal statuses are never overwritten.
pub fn note_gateway_refund(reference_id: &str, gateway_refund_id: &str, status: &str, amount: Option<i64>) -> Write {
    let k = keys::gateway_refund(reference_id, gateway_refund_id);
    let item = Item::new(k.pk, k.sk)
        .with("gateway_refund_id", gateway_refund_id)
        .with("status", status)
        .with(attr::AMOUNT, amount);
    Write::put_if(item, Cond::Or(vec![Cond::ItemMissing, Cond::AttrEq("status".into(), "pending".into())]))
}

/// The refund state a gateway or webhook status means (`pending` and unknown words: none).
pub fn refund_state_of(status: &str) -> Option<RefundState> {
    match status {
        "completed" | "processed" | "success" => Some(RefundState::Completed),
        "failed" => Some(RefundState::Failed),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::payments::capability::PaymentKind;
    use crate::memory::MemoryStore;
    use crate::ports::{Store, TransactOutcome};
    use proptest::prelude::*;

    fn order(state: OrderState) -> OrderView {
        OrderView {
            reference_id: "r".into(),
            state,
            currency: "INR".into(),
            total: 1000,
            captured: 0,
            reserved: 0,
            remaining: 0,
            refunded: 0,
            kind: PaymentKind::IndiaGateway,
            configuration: "c".into(),
            to: "+91".into(),
            phone_number_id: "p".into(),
            waba_id: "w".into(),
            transaction_id: None,
            gateway_type: None,
            updated_at: 0,
        }
    }

    fn paid(status: OrderState, amount: i64) -> Settlement {
        Settlement { status, amount: Some(amount), currency: Some("INR".into()), transaction: None }
    }

    #[test]
    fn a_capture_is_checked_against_the_order() {
        let o = order(OrderState::Pending);
        assert!(matches!(
            settle(&o, &paid(OrderState::Captured, 1000), 1),
            SettlePlan::Move { next: OrderState::Captured, mismatch: None, .. }
        ));
        let SettlePlan::Move { next, mismatch, .. } = settle(&o, &paid(OrderState::Captured, 999), 1) else { panic!() };
        assert_eq!(next, OrderState::Mismatch);
        assert!(mismatch.is_some_and(|m| m.contains("999")));
        let usd = Settlement { currency: Some("USD".into()), ..paid(OrderState::Captured, 1000) };
        assert!(matches!(settle(&o, &usd, 1), SettlePlan::Move { next: OrderState::Mismatch, .. }));
        assert_eq!(settle(&order(OrderState::Captured), &paid(OrderState::Failed, 1000), 1), SettlePlan::Unchanged);
    }

    #[test]
    fn refusals_name_their_reason() {
        let r = |o: Option<&OrderView>, amount| match refusal(o, None, "k", amount) {
            RefundRefusal::Rejected { code, .. } => code,
            other => panic!("{other:?}"),
        };
        assert_eq!(r(None, 1), "unknown_reference");
        assert_eq!(r(Some(&order(OrderState::Failed)), 1), "refund_on_failed_payment");
        assert_eq!(r(Some(&order(OrderState::Pending)), 1), "payment_not_captured");
        let mut o = order(OrderState::Captured);
        o.remaining = 10;
        assert_eq!(r(Some(&o), 11), "refund_exceeds_remaining");
        assert_eq!(refusal(Some(&o), None, "k", 10), RefundRefusal::Conflict, "fits now: a concurrent change");
        let existing = RefundView {
            key: "k".into(),
            amount: 5,
            state: RefundState::Requested,
            gateway: "manual".into(),
            gateway_refund_id: None,
            reason: None,
            updated_at: 0,
        };
        assert!(matches!(refusal(Some(&o), Some(&existing), "k", 5), RefundRefusal::AlreadyRequested(_)));
        assert!(matches!(
            refusal(Some(&o), Some(&existing), "k", 6),
            RefundRefusal::Rejected { code: "key_reused", .. }
        ));
        assert!(check_request("", 1).is_err() && check_request("a#b", 1).is_err() && check_request("k", 0).is_err());
    }

    proptest! {
        /// The order state machine: whatever order the statuses arrive in (duplicates
        /// included), the final state is the same.
        #[test]
        fn settlement_order_does_not_matter(statuses in prop::collection::vec(0usize..3, 0..8)) {
            let all = [OrderState::Pending, OrderState::Failed, OrderState::Captured];
            let run = |seq: &[usize]| {
                let mut o = order(OrderState::Pending);
                for &i in seq {
                    if let SettlePlan::Move { next, .. } = settle(&o, &paid(all[i], 1000), 1) {
                        o.state = next;
                    }
                }
                o.state
            };
            let mut reversed = statuses.clone();
            reversed.reverse();
            let mut sorted = statuses.clone();
            sorted.sort();
            prop_assert_eq!(run(&statuses), run(&reversed));
            prop_assert_eq!(run(&statuses), run(&sorted));
        }

        /// The ledger arithmetic on the store's own condition evaluation: any sequence of
        /// requests and outcomes keeps `reserved + remaining = captured`, `reserved ≤
        /// captured`, and one refund per key.
        #[test]
        fn the_ledger_never_overspends(ops in prop::collection::vec((0usize..4, 1i64..600, 0u8..3), 1..16)) {
            let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
            rt.block_on(async {
                let store = MemoryStore::new();
                let k = keys::payment("r");
                let item = Item::new(k.pk.clone(), k.sk.clone())
                    .with(attr::STATE, "captured").with(attr::CAPTURED, 1000).with(attr::REMAINING, 1000)
                    .with(attr::RESERVED, 0).with(attr::REFUNDED, 0);
                store.write(Write::put(item)).await.unwrap();
                for (key, amount, outcome) in ops {
                    let key = format!("k{key}");
                    let applied = store.transact(request_refund("r", &key, amount, "manual", 1)).await.unwrap();
                    let rk = keys::refund("r", &key);
                    let refund = RefundView::from_item(&store.get(&rk.pk, &rk.sk).await.unwrap().unwrap_or_else(|| Item::new("", "").with(attr::AMOUNT, 0).with(attr::STATE, "failed"))).unwrap();
                    if applied == TransactOutcome::Applied {
                        let next = [RefundState::Submitted, RefundState::Completed, RefundState::Failed][outcome as usize];
                        if let Some(w) = move_refund("r", &refund, next, None, None, 2) {
                            store.transact(w).await.unwrap();
                        }
                    }
                    let o = store.get(&k.pk, &k.sk).await.unwrap().unwrap();
                    let n = |f: &str| o.get_i64(f).unwrap();
                    assert_eq!(n(attr::RESERVED) + n(attr::REMAINING), 1000);
                    assert!(n(attr::RESERVED) <= 1000 && n(attr::REFUNDED) <= n(attr::RESERVED));
                }
            });
        }
    }
}
