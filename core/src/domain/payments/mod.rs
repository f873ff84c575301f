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
    pub const STATE: &str = "state";
    pub const CURRENCY: &str = "currency";
    pub const TOTAL: &str = "total";
    pub const CAPTURED: &str = "captured";
    pub const RESERVED: &str = "reserved";
    pub const REMAINING: &str = "remaining";
    pub const REFUNDED: &str = "refunded";
    pub const VERSION: &str = "version";
    pub const UPDATED_AT: &str = "updated_at";
    pub const AMOUNT: &str = "amount";
    pub const KEY: &str = "key";
    pub const GATEWAY: &str = "gateway";
    pub const GATEWAY_REFUND_ID: &str = "gateway_refund_id";
    pub const REASON: &str = "reason";
}

/// An order's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OrderState {
    Pending,
    Failed,
    Captured,
    /// Money arrived that does not match the order (amount or currency): flagged for an
    /// operator, never counted as a normal capture.
    Mismatch,
}

impl OrderState {
    pub const ALL: [OrderState; 4] =
        [OrderState::Pending, OrderState::Failed, OrderState::Captured, OrderState::Mismatch];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderState::Pending => "pending",
            OrderState::Failed => "failed",
            OrderState::Captured => "captured",
            OrderState::Mismatch => "mismatch",
        }
    }

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
    Requested,
    Submitted,
    Completed,
    Failed,
}

impl RefundState {
    pub const ALL: [RefundState; 4] =
        [RefundState::Requested, RefundState::Submitted, RefundState::Completed, RefundState::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            RefundState::Requested => "requested",
            RefundState::Submitted => "submitted",
            RefundState::Completed => "completed",
            RefundState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<RefundState> {
        RefundState::ALL.into_iter().find(|st| st.as_str() == s)
    }

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
