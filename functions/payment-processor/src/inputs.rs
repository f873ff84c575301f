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
    pub id: String,
    pub status: String,
    pub amount: Option<i64>,
}

/// `whatsapp.payment.updated`.
#[derive(Clone, Debug, PartialEq)]
pub struct PaymentUpdate {
    pub reference_id: String,
    /// `None`: a status word wapipe does not know (kept, not applied).
    pub status: Option<OrderState>,
    pub status_text: String,
    pub amount: Option<i64>,
    pub currency: Option<String>,
    pub transaction: Option<Value>,
    pub refunds: Vec<WebhookRefund>,
}

impl PaymentUpdate {
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
    pub reference_id: String,
    pub key: String,
    pub amount: i64,
    pub reason: Option<String>,
}

impl RefundRequest {
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
    pub reference_id: String,
    pub psp_reference: String,
    pub amount: Option<i64>,
    pub currency: Option<String>,
}

impl MarkPaid {
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
    pub reference_id: String,
    pub key: String,
    pub completed: bool,
    pub gateway_refund_id: Option<String>,
    pub note: Option<String>,
}

impl RefundSettled {
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
