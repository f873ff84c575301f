//! The processor's inputs, parsed from event details; errors name the field.

use serde_json::{Map, Value};

use wapipe_core::domain::payments::money::minor_from_json;
use wapipe_core::domain::payments::OrderState;

fn s<'a>(d: &'a Map<String, Value>, f: &'static str) -> Result<&'a str, String> {
    d.get(f).and_then(Value::as_str).filter(|v| !v.is_empty()).ok_or_else(|| format!("field `{f}`: missing"))
}

fn opt_s(d: &Map<String, Value>, f: &str) -> Option<String> {
    d.get(f).and_then(Value::as_str).filter(|v| !v.is_empty()).map(str::to_string)
}

/// A gateway refund reported in a payment webhook (`transaction.refunds[]`).
#[derive(Clone, Debug, PartialEq)]
pub struct WebhookRefund {
    /// The gateway's refund id (required; it joins the wapipe refund that recorded it).
    pub id: String,
    /// The gateway's status word as sent (`pending` when absent); `completed`, `processed`,
    /// `success` and `failed` finish the matching wapipe refund, others are only noted.
    pub status: String,
    /// Refunded amount in minor units (from Meta's `{value, offset}`), when sent.
    pub amount: Option<i64>,
}

/// `whatsapp.payment.updated`.
#[derive(Clone, Debug, PartialEq)]
pub struct PaymentUpdate {
    /// The order's reference id (`order_details.reference_id`): the `PAYMENT#` partition.
    pub reference_id: String,
    /// `None`: a status word wapipe does not know (kept, not applied).
    pub status: Option<OrderState>,
    /// The top-level `status` word as received.
    pub status_text: String,
    /// Amount paid in minor units (from Meta's `{value, offset}`), checked against the order
    /// (a capture that differs is flagged, not accepted); `None` when absent.
    pub amount: Option<i64>,
    /// ISO 4217 currency paid (`INR`), checked against the order; `None` when absent.
    pub currency: Option<String>,
    /// The gateway transaction object (`{id, type, status, method, error, …}`), kept on the
    /// order; `None` when absent or not an object.
    pub transaction: Option<Value>,
    /// Gateway refunds the webhook reports (`refunds[]`); empty when none.
    pub refunds: Vec<WebhookRefund>,
}

impl PaymentUpdate {
    /// Parse a `whatsapp.payment.updated` detail; the error names the missing or bad field
    /// (the record is then parked).
    pub fn from_detail(d: &Map<String, Value>) -> Result<PaymentUpdate, String> {
        let status_text = s(d, "status")?.to_string();
        let status = match status_text.as_str() {
            "captured" => Some(OrderState::Captured),
            "failed" => Some(OrderState::Failed),
            "pending" => Some(OrderState::Pending),
            _ => None,
        };
        let amount = match d.get("amount").filter(|a| !a.is_null()) {
            Some(a) => Some(minor_from_json(a).map_err(|e| format!("field `amount`: {e}"))?),
            None => None,
        };
        let mut refunds = Vec::new();
        if let Some(list) = d.get("refunds").and_then(Value::as_array) {
            for (i, r) in list.iter().enumerate() {
                let id = r.get("id").and_then(Value::as_str).filter(|v| !v.is_empty());
                let id = id.ok_or_else(|| format!("field `refunds[{i}].id`: missing"))?;
                let amount = match r.get("amount").filter(|a| !a.is_null()) {
                    Some(a) => Some(minor_from_json(a).map_err(|e| format!("field `refunds[{i}].amount`: {e}"))?),
                    None => None,
                };
                let status = r.get("status").and_then(Value::as_str).unwrap_or("pending").to_string();
                refunds.push(WebhookRefund { id: id.to_string(), status, amount });
            }
        }
        Ok(PaymentUpdate {
            reference_id: s(d, "reference_id")?.to_string(),
            status,
            status_text,
            amount,
            currency: opt_s(d, "currency"),
            transaction: d.get("transaction").filter(|t| t.is_object()).cloned(),
            refunds,
        })
    }
}

/// `whatsapp.refund.requested`.
#[derive(Clone, Debug, PartialEq)]
pub struct RefundRequest {
    /// The order to refund.
    pub reference_id: String,
    /// The caller's idempotency key (`REFUND#{key}`): the same key and amount again is a no-op,
    /// another amount a rejection.
    pub key: String,
    /// Amount to refund in minor units (paise, cents); all refunds together never exceed the
    /// capture.
    pub amount: i64,
    /// Free text kept with the refund, when given.
    pub reason: Option<String>,
}

impl RefundRequest {
    /// Parse a `whatsapp.refund.requested` detail (`amount` must be an integer); the error names
    /// the field.
    pub fn from_detail(d: &Map<String, Value>) -> Result<RefundRequest, String> {
        let amount = d.get("amount").and_then(Value::as_i64).ok_or("field `amount`: missing or not an integer")?;
        Ok(RefundRequest {
            reference_id: s(d, "reference_id")?.to_string(),
            key: s(d, "key")?.to_string(),
            amount,
            reason: opt_s(d, "reason"),
        })
    }
}

/// `whatsapp.payment.mark-paid`.
#[derive(Clone, Debug, PartialEq)]
pub struct MarkPaid {
    /// The order paid outside WhatsApp's webhook (Pix, boleto, payment link).
    pub reference_id: String,
    /// The payment service provider's payment id, kept as the order's transaction.
    pub psp_reference: String,
    /// Amount paid in minor units, checked against the order when given.
    pub amount: Option<i64>,
    /// ISO 4217 currency paid, checked against the order when given.
    pub currency: Option<String>,
}

impl MarkPaid {
    /// Parse a `whatsapp.payment.mark-paid` detail; the error names the field.
    pub fn from_detail(d: &Map<String, Value>) -> Result<MarkPaid, String> {
        let amount = match d.get("amount").filter(|a| !a.is_null()) {
            Some(a) => Some(a.as_i64().ok_or("field `amount`: not an integer (minor units)")?),
            None => None,
        };
        Ok(MarkPaid {
            reference_id: s(d, "reference_id")?.to_string(),
            psp_reference: s(d, "psp_reference")?.to_string(),
            amount,
            currency: opt_s(d, "currency"),
        })
    }
}

/// `whatsapp.refund.settled`.
#[derive(Clone, Debug, PartialEq)]
pub struct RefundSettled {
    /// The refund's order.
    pub reference_id: String,
    /// The refund's idempotency key.
    pub key: String,
    /// `outcome`: `true` for `completed`, `false` for `failed`.
    pub completed: bool,
    /// The gateway's or bank's refund reference, when known.
    pub gateway_refund_id: Option<String>,
    /// The operator's note, kept with the refund.
    pub note: Option<String>,
}

impl RefundSettled {
    /// Parse a `whatsapp.refund.settled` detail; `outcome` must be `completed` or `failed`.
    pub fn from_detail(d: &Map<String, Value>) -> Result<RefundSettled, String> {
        let completed = match s(d, "outcome")? {
            "completed" => true,
            "failed" => false,
            other => return Err(format!("field `outcome`: completed or failed, got {other:?}")),
        };
        Ok(RefundSettled {
            reference_id: s(d, "reference_id")?.to_string(),
            key: s(d, "key")?.to_string(),
            completed,
            gateway_refund_id: opt_s(d, "gateway_refund_id"),
            note: opt_s(d, "note"),
        })
    }
}
