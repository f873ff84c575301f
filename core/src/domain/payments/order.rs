//! The order item: built from an `order_details` send request (by the send worker, before the
//! EUM call, so a payment webhook always finds its order), and read back as an [`OrderView`].

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::attr;
use super::capability::{configuration_of, kind_of, PaymentKind};
use super::money::to_minor;
use super::{OrderState, RefundState};
use crate::domain::keys;
use crate::domain::outbound::interactive::Interactive;
use crate::domain::outbound::payments::OrderDetailsParams;
use crate::domain::outbound::{OutboundMessage, SendRequest};
use crate::domain::table::{Cond, Item, Write};

/// Attribute holding the hash of the order's content (a same-content retry is a no-op).
pub const CONTENT_SHA256: &str = "content_sha256";

/// The `order_details` parameters of a send request, if it is one.
pub fn order_details_of(req: &SendRequest) -> Option<&OrderDetailsParams> {
    match &req.message {
        OutboundMessage::Interactive { interactive } => match interactive.as_ref() {
            Interactive::OrderDetails(od) => Some(&od.action.parameters),
            _ => None,
        },
        _ => None,
    }
}

/// The GSI1 partition listing orders in one state.
pub fn order_index(state: OrderState) -> String {
    crate::domain::keys::order_state_index(state.as_str())
}

/// The GSI1 partition listing refunds in one state.
pub fn refund_index(state: RefundState) -> String {
    crate::domain::keys::refund_state_index(state.as_str())
}

/// GSI1 sort key: the time the item entered its state, then its id (oldest first).
pub fn index_sort(epoch_secs: i64, id: &str) -> String {
    keys::timeline_sort(epoch_secs, id)
}

/// The new order item for an `order_details` send request, `pending`, with its ledger at zero.
/// `Err` names the field when the amount cannot be kept in minor units.
pub fn new_order(
    req: &SendRequest,
    p: &OrderDetailsParams,
    phone_number_id: &str,
    waba_id: &str,
    now_secs: i64,
) -> Result<Item, String> {
    let total = to_minor(p.total_amount.value, p.total_amount.offset)
        .map_err(|e| format!("action.parameters.total_amount: {e}"))?;
    let kind = kind_of(p);
    let content = serde_json::to_vec(p).map_err(|e| format!("order_details: {e}"))?;
    let sha = hex::encode(Sha256::digest(&content));
    let key = keys::payment(&p.reference_id);
    let items: Vec<Value> = p
        .order
        .items
        .iter()
        .map(|i| json!({"retailer_id": i.retailer_id, "name": i.name, "quantity": i.quantity}))
        .collect();
    Ok(Item::new(key.pk, key.sk)
        .with("reference_id", p.reference_id.as_str())
        .with(attr::STATE, OrderState::Pending.as_str())
        .with(attr::CURRENCY, p.currency.as_str())
        .with(attr::TOTAL, total)
        .with(attr::CAPTURED, 0)
        .with(attr::RESERVED, 0)
        .with(attr::REMAINING, 0)
        .with(attr::REFUNDED, 0)
        .with(attr::VERSION, 1)
        .with("kind", kind.as_str())
        .with("region", kind.region(&p.currency))
        .with("configuration", configuration_of(p))
        .with("items", Value::Array(items))
        .with("to", req.to.as_str())
        .with("request_id", req.request_id.as_str())
        .with("phone_number_id", phone_number_id)
        .with("waba_id", waba_id)
        .with(CONTENT_SHA256, sha)
        .with("created_at", now_secs)
        .with(attr::UPDATED_AT, now_secs)
        .with(keys::GSI1PK, order_index(OrderState::Pending))
        .with(keys::GSI1SK, index_sort(now_secs, &p.reference_id)))
}

/// Create the order only if no order has this reference id.
pub fn create_order(item: Item) -> Write {
    Write::put_if(item, Cond::ItemMissing)
}

/// The same order again (a retried send): same content hash.
pub fn same_order(existing: &Item, new: &Item) -> bool {
    existing.get_str(CONTENT_SHA256).is_some() && existing.get_str(CONTENT_SHA256) == new.get_str(CONTENT_SHA256)
}

/// An order as the processor reads it.
#[derive(Clone, Debug, PartialEq)]
pub struct OrderView {
    /// The order's `reference_id`, from its `order_details` (its key is `PAYMENT#{reference_id}`).
    pub reference_id: String,
    /// Where the order stands.
    pub state: OrderState,
    /// ISO 4217 currency code of the order (`INR`, `SGD`, `BRL`).
    pub currency: String,
    /// The order's total, in minor units.
    pub total: i64,
    /// The amount captured, in minor units (0 until a matching capture).
    pub captured: i64,
    /// The sum of the refunds not failed, in minor units.
    pub reserved: i64,
    /// What may still be refunded (`captured − reserved`), in minor units.
    pub remaining: i64,
    /// The sum of the completed refunds, in minor units.
    pub refunded: i64,
    /// How the order is paid, which decides what settles it.
    pub kind: PaymentKind,
    /// The payment configuration the order names; selects the refund gateway (empty when none).
    pub configuration: String,
    /// The recipient the `order_details` was sent to, as the send request's `to`.
    pub to: String,
    /// Meta's phone number id of the business number that sent the order.
    pub phone_number_id: String,
    /// Meta's WhatsApp Business Account id of that number.
    pub waba_id: String,
    /// The gateway transaction of the capture (`transaction.id`, `transaction.type`).
    pub transaction_id: Option<String>,
    /// The gateway named by the capture's `transaction.type` (e.g. `razorpay`, `upi`).
    pub gateway_type: Option<String>,
    /// When the order last changed, in epoch seconds (0 when absent).
    pub updated_at: i64,
}

impl OrderView {
    /// Read an order item; `Err` when its `state` or `kind` is missing or unknown.
    pub fn from_item(item: &Item) -> Result<OrderView, String> {
        let s = |n: &str| item.get_str(n).unwrap_or_default().to_string();
        let n = |n: &str| item.get_i64(n).unwrap_or(0);
        let state = item.get_str(attr::STATE).and_then(OrderState::parse).ok_or("order: field `state` invalid")?;
        let kind = item.get_str("kind").and_then(PaymentKind::parse).ok_or("order: field `kind` invalid")?;
        let txn = item.attrs.get("transaction");
        let txn_str = |f: &str| txn.and_then(|t| t.get(f)).and_then(Value::as_str).map(str::to_string);
        Ok(OrderView {
            reference_id: s("reference_id"),
            state,
            currency: s(attr::CURRENCY),
            total: n(attr::TOTAL),
            captured: n(attr::CAPTURED),
            reserved: n(attr::RESERVED),
            remaining: n(attr::REMAINING),
            refunded: n(attr::REFUNDED),
            kind,
            configuration: s("configuration"),
            to: s("to"),
            phone_number_id: s("phone_number_id"),
            waba_id: s("waba_id"),
            transaction_id: txn_str("id"),
            gateway_type: txn_str("type"),
            updated_at: n(attr::UPDATED_AT),
        })
    }
}

/// A refund as the processor reads it.
#[derive(Clone, Debug, PartialEq)]
pub struct RefundView {
    /// The refund's idempotency key, chosen by the requester.
    pub key: String,
    /// The amount to refund, in minor units.
    pub amount: i64,
    /// Where the refund stands.
    pub state: RefundState,
    /// The gateway the refund goes to (`razorpay` or `manual`); empty when absent.
    pub gateway: String,
    /// The gateway's own refund id, once known.
    pub gateway_refund_id: Option<String>,
    /// Why it failed, or the operator's note when it was settled by hand; `None` when none was given.
    pub reason: Option<String>,
    /// When the refund last changed, in epoch seconds (0 when absent).
    pub updated_at: i64,
}

impl RefundView {
    /// Read a refund item; `Err` when its `amount` is missing or its `state` is missing or unknown.
    pub fn from_item(item: &Item) -> Result<RefundView, String> {
        Ok(RefundView {
            key: item.get_str(attr::KEY).unwrap_or_default().to_string(),
            amount: item.get_i64(attr::AMOUNT).ok_or("refund: field `amount` missing")?,
            state: item.get_str(attr::STATE).and_then(RefundState::parse).ok_or("refund: field `state` invalid")?,
            gateway: item.get_str(attr::GATEWAY).unwrap_or_default().to_string(),
            gateway_refund_id: item.get_str(attr::GATEWAY_REFUND_ID).map(str::to_string),
            reason: item.get_str(attr::REASON).map(str::to_string),
            updated_at: item.get_i64(attr::UPDATED_AT).unwrap_or(0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::outbound::parse_request_value;

    fn request(reference: &str, total: i64) -> SendRequest {
        let mut v: Value = serde_json::from_str(include_str!("../../../../examples/send/order-details.json")).unwrap();
        let p = &mut v["message"]["interactive"]["action"]["parameters"];
        p["reference_id"] = reference.into();
        p["total_amount"]["value"] = total.into();
        parse_request_value(v).unwrap()
    }

    #[test]
    fn builds_a_pending_order_and_tells_retries_from_reuse() {
        let req = request("order-42", 1100);
        let p = order_details_of(&req).unwrap();
        let item = new_order(&req, p, "106", "102", 1_700_000_000).unwrap();
        let view = OrderView::from_item(&item).unwrap();
        assert_eq!((view.state, view.total, view.remaining), (OrderState::Pending, 1100, 0));
        assert_eq!(view.kind, PaymentKind::IndiaGateway);
        assert_eq!(item.pk, "PAYMENT#order-42");
        let again = new_order(&req, p, "106", "102", 1_700_000_999).unwrap();
        assert!(same_order(&item, &again), "a retry (later) is the same order");
        let other = request("order-42", 1200);
        let other_item = new_order(&other, order_details_of(&other).unwrap(), "106", "102", 1).unwrap();
        assert!(!same_order(&item, &other_item));
    }
}
