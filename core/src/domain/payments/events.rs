//! The events the payment processor publishes. Ids are deterministic over the transition they
//! report, so a redelivered input re-publishes the same ids and consumers can drop duplicates.

use serde_json::{json, Map, Value};
use time::OffsetDateTime;

use super::order::{OrderView, RefundView};
use crate::domain::events::{event_id, DomainEvent, Envelope, EventType};

fn event(t: EventType, id_parts: &[&str], waba: &str, phone: &str, now: OffsetDateTime, f: Value) -> DomainEvent {
    let fields = match f {
        Value::Object(m) => m.into_iter().filter(|(_, v)| !v.is_null()).collect(),
        _ => Map::new(),
    };
    let common = Envelope { event_id: event_id(t, id_parts), occurred_at: now, waba_id: waba, phone_number_id: phone };
    DomainEvent::new(t, common, fields)
}

/// `whatsapp.payment.captured`; `source` is `webhook` or `mark-paid`.
pub fn captured(o: &OrderView, source: &str, transaction: Option<&Value>, now: OffsetDateTime) -> DomainEvent {
    let f = json!({"reference_id": o.reference_id, "amount": o.total, "currency": o.currency,
        "source": source, "transaction": transaction, "kind": o.kind.as_str()});
    event(EventType::PaymentCaptured, &[&o.reference_id], &o.waba_id, &o.phone_number_id, now, f)
}

/// `whatsapp.payment.failed`; one per failed transaction (the payer may try again).
pub fn failed(o: &OrderView, transaction: Option<&Value>, now: OffsetDateTime) -> DomainEvent {
    let txn_id = transaction.and_then(|t| t.get("id")).and_then(Value::as_str).unwrap_or_default();
    let error = transaction.and_then(|t| t.get("error")).filter(|e| e.is_object());
    let f = json!({"reference_id": o.reference_id, "currency": o.currency, "transaction": transaction,
        "error": error});
    event(EventType::PaymentFailed, &[&o.reference_id, txn_id], &o.waba_id, &o.phone_number_id, now, f)
}

/// What a rejection is about.
#[derive(Clone, Debug, Default)]
pub struct Subject<'a> {
    /// The input's detail-type (`whatsapp.payment.updated`, `whatsapp.refund.requested`, …).
    pub input: &'a str,
    /// The input's own event id (rejections of distinct inputs are distinct events).
    pub input_id: &'a str,
    /// The order's `reference_id`, when the input names one.
    pub reference_id: Option<&'a str>,
    /// The refund's idempotency key, when the input is about a refund.
    pub key: Option<&'a str>,
    /// The amount the input carried, in minor units, when it had one.
    pub amount: Option<i64>,
    /// Meta's WhatsApp Business Account id for the event; empty when unknown.
    pub waba_id: &'a str,
    /// Meta's phone number id for the event; empty when unknown.
    pub phone_number_id: &'a str,
}

/// `whatsapp.payment.rejected`: a webhook or command that cannot be applied, with a reason code.
pub fn rejected(s: &Subject<'_>, code: &str, message: &str, now: OffsetDateTime) -> DomainEvent {
    let f = json!({"reason": code, "message": message, "input": s.input, "reference_id": s.reference_id,
        "key": s.key, "amount": s.amount});
    let parts = [s.input, s.input_id, s.reference_id.unwrap_or_default(), s.key.unwrap_or_default(), code];
    event(EventType::PaymentRejected, &parts, s.waba_id, s.phone_number_id, now, f)
}

/// `whatsapp.refund.updated`: a refund entered `r.state`.
pub fn refund_updated(o: &OrderView, r: &RefundView, now: OffsetDateTime) -> DomainEvent {
    let f = json!({"reference_id": o.reference_id, "key": r.key, "amount": r.amount, "currency": o.currency,
        "state": r.state.as_str(), "gateway": r.gateway, "gateway_refund_id": r.gateway_refund_id,
        "reason": r.reason});
    let parts = [o.reference_id.as_str(), r.key.as_str(), r.state.as_str()];
    event(EventType::RefundUpdated, &parts, &o.waba_id, &o.phone_number_id, now, f)
}

/// `whatsapp.payment.stale`: an order or refund stuck in `state` since `since` (epoch secs).
pub fn stale(
    item: &str,
    reference_id: &str,
    key: Option<&str>,
    state: &str,
    since: i64,
    now: OffsetDateTime,
) -> DomainEvent {
    let age = now.unix_timestamp().saturating_sub(since).max(0);
    let f = json!({"item": item, "reference_id": reference_id, "key": key, "state": state, "since": since,
        "age_secs": age});
    let since_s = since.to_string();
    let parts = [item, reference_id, key.unwrap_or_default(), state, since_s.as_str()];
    event(EventType::PaymentStale, &parts, "", "", now, f)
}

/// The `order_status` send request for a settled order (`whatsapp.send.requested`), with a
/// deterministic request id so the send worker sends it once.
pub fn order_status_request(o: &OrderView, status: &str, text: &str, now: OffsetDateTime) -> DomainEvent {
    let request_id = format!("order-status-{}-{status}", o.reference_id);
    let request = json!({
        "request_id": request_id,
        "from": o.phone_number_id,
        "to": o.to,
        "message": {"type": "interactive", "interactive": {"type": "order_status",
            "body": {"text": text},
            "action": {"name": "review_order", "parameters": {"reference_id": o.reference_id,
                "order": {"status": status}}}}}
    });
    event(EventType::SendRequested, &[&request_id], &o.waba_id, &o.phone_number_id, now, json!({"request": request}))
}
