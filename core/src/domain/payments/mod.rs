//! Payments (docs/PROTOCOL.md §6), pure: money in minor units, the order and refund state machines,
//! the ledger arithmetic as conditional writes, region and payment-type capabilities, and the
//! events the payment processor publishes.
//!
//! # The ledger invariant
//!
//! An order item `PAYMENT#{reference_id}`/`PAYMENT` keeps `captured` (minor units), `reserved`
//! (the sum of every refund not failed: requested, submitted or completed), `remaining`
//! (`captured − reserved`) and `refunded` (the completed part). DynamoDB conditions compare an
//! attribute with a constant, not with another attribute, so `remaining` is stored: a refund of
//! `a` is ONE transaction that conditions the order on `state = captured AND remaining ≥ a`,
//! adds `−a` to `remaining` and `a` to `reserved`, and puts `REFUND#{key}` only if it does not
//! exist. Two concurrent refunds can therefore never both take the last of the money, and the
//! same key can never create a second refund. A failed refund gives its reservation back in a
//! transaction conditioned on the refund's own state, so it happens once.
//!
//! # Order states
//!
//! `pending → captured | failed | mismatch`, and `failed → captured` (the payer tried again).
//! `captured` and `mismatch` absorb: a late `failed` or `pending` webhook cannot move them.
//! So the final state depends on which webhooks arrived, never on their order.

pub mod capability;
pub mod events;
pub mod ledger;
pub mod money;
pub mod order;

/// Attribute names of the order and refund items.
pub mod attr {
    /// The order's [`OrderState`] or the refund's [`RefundState`], as its name.
    pub const STATE: &str = "state";
    /// The order's ISO 4217 currency code (`INR`, `SGD`, `BRL`).
    pub const CURRENCY: &str = "currency";
    /// The order's total, in minor units.
    pub const TOTAL: &str = "total";
    /// The amount captured, in minor units: 0 until a matching capture, then the total.
    pub const CAPTURED: &str = "captured";
    /// The sum of the refunds not failed (requested, submitted or completed), in minor units.
    pub const RESERVED: &str = "reserved";
    /// `captured − reserved`, in minor units: what may still be refunded (stored: conditions compare constants).
    pub const REMAINING: &str = "remaining";
    /// The sum of the completed refunds, in minor units.
    pub const REFUNDED: &str = "refunded";
    /// The order's change counter: 1 at creation, plus one on every state or ledger change.
    pub const VERSION: &str = "version";
    /// When the item last changed, in epoch seconds.
    pub const UPDATED_AT: &str = "updated_at";
    /// A refund's amount, in minor units (also on a gateway refund item, when reported).
    pub const AMOUNT: &str = "amount";
    /// A refund's idempotency key (its sort key is `REFUND#{key}`).
    pub const KEY: &str = "key";
    /// The name of the gateway a refund goes to (`razorpay`, or `manual`).
    pub const GATEWAY: &str = "gateway";
    /// The gateway's own id of a refund, once known.
    pub const GATEWAY_REFUND_ID: &str = "gateway_refund_id";
    /// A refund's reason, when one was given: why it failed, or the operator's note of a settled refund.
    pub const REASON: &str = "reason";
}

/// An order's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OrderState {
    /// Created by the `order_details` send, no payment confirmed yet.
    Pending,
    /// A payment attempt failed; the payer may still try again (`failed → captured`).
    Failed,
    /// Paid: the amount and currency matched; the ledger is open for refunds.
    Captured,
    /// Money arrived that does not match the order (amount or currency): flagged for an
    /// operator, never counted as a normal capture.
    Mismatch,
}

impl OrderState {
    /// Every order state.
    pub const ALL: [OrderState; 4] =
        [OrderState::Pending, OrderState::Failed, OrderState::Captured, OrderState::Mismatch];

    /// The state's stored name: `pending`, `failed`, `captured` or `mismatch`.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderState::Pending => "pending",
            OrderState::Failed => "failed",
            OrderState::Captured => "captured",
            OrderState::Mismatch => "mismatch",
        }
    }

    /// The state of a stored name; `None` for any other string.
    pub fn parse(s: &str) -> Option<OrderState> {
        OrderState::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// The states this one may move to (see the module docs).
    pub fn may_become(self, next: OrderState) -> bool {
        matches!(
            (self, next),
            (OrderState::Pending, OrderState::Captured | OrderState::Failed | OrderState::Mismatch)
                | (OrderState::Failed, OrderState::Captured | OrderState::Mismatch)
        )
    }
}

/// A refund's state: `requested → submitted → completed | failed` (`requested → completed |
/// failed` when the gateway answers at once).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RefundState {
    /// Accepted and its amount reserved against the capture; not yet at the gateway.
    Requested,
    /// Handed to the gateway (or, with the manual gateway, waiting for an operator).
    Submitted,
    /// The money was returned; its amount is added to `refunded`.
    Completed,
    /// The refund failed; its reservation is given back to `remaining`.
    Failed,
}

impl RefundState {
    /// Every refund state.
    pub const ALL: [RefundState; 4] =
        [RefundState::Requested, RefundState::Submitted, RefundState::Completed, RefundState::Failed];

    /// The state's stored name: `requested`, `submitted`, `completed` or `failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            RefundState::Requested => "requested",
            RefundState::Submitted => "submitted",
            RefundState::Completed => "completed",
            RefundState::Failed => "failed",
        }
    }

    /// The state of a stored name; `None` for any other string.
    pub fn parse(s: &str) -> Option<RefundState> {
        RefundState::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Whether the refund can no longer move (`completed` or `failed`).
    pub fn is_terminal(self) -> bool {
        matches!(self, RefundState::Completed | RefundState::Failed)
    }

    /// The states a refund may come from to reach `self`.
    pub fn sources(self) -> &'static [RefundState] {
        match self {
            RefundState::Requested => &[],
            RefundState::Submitted => &[RefundState::Requested],
            RefundState::Completed | RefundState::Failed => &[RefundState::Requested, RefundState::Submitted],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captured_and_mismatch_absorb_and_names_round_trip() {
        for s in OrderState::ALL {
            assert_eq!(OrderState::parse(s.as_str()), Some(s));
            for t in OrderState::ALL {
                if matches!(s, OrderState::Captured | OrderState::Mismatch) {
                    assert!(!s.may_become(t), "{s:?} → {t:?}");
                }
            }
        }
        assert!(OrderState::Failed.may_become(OrderState::Captured));
        assert!(!OrderState::Failed.may_become(OrderState::Pending));
        for r in RefundState::ALL {
            assert_eq!(RefundState::parse(r.as_str()), Some(r));
            assert!(r.sources().iter().all(|s| !s.is_terminal()), "terminal refunds never move");
        }
    }
}
