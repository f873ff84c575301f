//! The send worker's domain events (docs/events.json): one terminal event per request id, with
//! a deterministic `event_id`, so a re-published duplicate is recognisable downstream.

use serde_json::{Map, Value};
use time::OffsetDateTime;
use wapipe_core::domain::events::{event_id, DomainEvent, Envelope, EventType};
use wapipe_core::domain::send_record as sr;
use wapipe_core::ports::messaging::MessagingError;

/// What the events of one request share.
#[derive(Clone, Debug, Default)]
pub struct Ctx {
    /// The caller's idempotency key; `None` for a body without a usable one.
    pub request_id: Option<String>,
    /// Meta WABA id of the sender; empty when the sender was not resolved.
    pub waba_id: String,
    /// Meta phone number id of the sender; empty when the sender was not resolved.
    pub phone_number_id: String,
    /// The recipient's wa_id (no `+`), when known.
    pub wa_id: Option<String>,
    /// The message kind (`text`, `interactive.button`, `template`, …), when the message parsed.
    pub message_type: Option<String>,
    /// Template name, for templates.
    pub template_name: Option<String>,
    /// Template language code, for templates (only on `whatsapp.send.accepted`).
    pub template_language: Option<String>,
    /// Template category when known: `marketing`, `utility` or `authentication` (only on
    /// `whatsapp.send.accepted`).
    pub category: Option<String>,
    /// The request's `options.tags` (an object); `None` when it has none.
    pub tags: Option<Value>,
    /// The order's reference id, for an `order_details` message (only on
    /// `whatsapp.send.accepted`).
    pub order_reference_id: Option<String>,
}

impl Ctx {
    fn event(
        &self,
        t: EventType,
        id_parts: &[&str],
        now: OffsetDateTime,
        mut fields: Map<String, Value>,
    ) -> DomainEvent {
        let mut put = |k: &str, v: &Option<String>| {
            if let Some(v) = v {
                fields.insert(k.into(), Value::from(v.as_str()));
            }
        };
        put("request_id", &self.request_id);
        put("wa_id", &self.wa_id);
        put("message_type", &self.message_type);
        put("template_name", &self.template_name);
        if let Some(t) = &self.tags {
            fields.insert("tags".into(), t.clone());
        }
        let mut parts = vec![self.request_id.as_deref().unwrap_or_default()];
        parts.extend_from_slice(id_parts);
        let common = Envelope {
            event_id: event_id(t, &parts),
            occurred_at: now,
            waba_id: &self.waba_id,
            phone_number_id: &self.phone_number_id,
        };
        DomainEvent::new(t, common, fields)
    }

    /// `whatsapp.send.accepted`: EUM took the message as `eum_message_id` after `attempts` calls.
    pub fn accepted(&self, eum_message_id: &str, attempts: i64, now: OffsetDateTime) -> DomainEvent {
        let mut f = Map::new();
        f.insert("eum_message_id".into(), eum_message_id.into());
        f.insert("attempts".into(), attempts.into());
        if let Some(l) = &self.template_language {
            f.insert("template_language".into(), l.as_str().into());
        }
        if let Some(c) = &self.category {
            f.insert("category".into(), c.as_str().into());
        }
        if let Some(r) = &self.order_reference_id {
            f.insert(sr::ORDER_REFERENCE_ID.into(), r.as_str().into());
        }
        self.event(EventType::SendAccepted, &[], now, f)
    }

    /// `extra_id`: parts that make this rejection's id (e.g. the reused request's hash).
    pub fn rejected(
        &self,
        rule: &str,
        reason: &str,
        field: Option<&str>,
        extra_id: &[&str],
        now: OffsetDateTime,
    ) -> DomainEvent {
        let mut f = Map::new();
        f.insert("rule".into(), rule.into());
        f.insert("reason".into(), reason.into());
        if let Some(p) = field {
            f.insert("field".into(), p.into());
        }
        self.event(EventType::SendRejected, extra_id, now, f)
    }

    /// `whatsapp.send.failed`: refused for good, with why and after how many EUM calls.
    pub fn failed(&self, err: &FailedWhy, attempts: i64, now: OffsetDateTime) -> DomainEvent {
        let mut f = Map::new();
        f.insert("reason".into(), err.reason.as_str().into());
        f.insert("exception".into(), err.exception.as_str().into());
        if let Some(c) = err.code {
            f.insert("error_code".into(), c.into());
        }
        f.insert("retry".into(), err.retry.into());
        f.insert("alert".into(), err.alert.into());
        f.insert("attempts".into(), attempts.into());
        self.event(EventType::SendFailed, &[], now, f)
    }
}

/// Why a request failed for good.
#[derive(Clone, Debug, PartialEq)]
pub struct FailedWhy {
    /// Why, in words (Meta's code and meaning when known).
    pub reason: String,
    /// EUM's exception type (`ValidationException`, …), or `Timeout`, `NetworkError`,
    /// `AttemptsExhausted`, `OutcomeUnknown`.
    pub exception: String,
    /// Meta's error code, when EUM's message carried one.
    pub code: Option<i64>,
    /// The error table's advice (docs/PROTOCOL.md §7.4): `backoff`, `pair_rate`, `later` or `never`.
    pub retry: &'static str,
    /// Needs an operator (account, quality, billing): logged as an error and set on the event.
    pub alert: bool,
}

impl FailedWhy {
    /// From an EUM error, classified by Meta's error code table (docs/PROTOCOL.md §7.4).
    pub fn from_error(e: &MessagingError) -> FailedWhy {
        let retry = match e.retry() {
            wapipe_core::domain::meta_errors::Retry::Backoff => "backoff",
            wapipe_core::domain::meta_errors::Retry::PairRate => "pair_rate",
            wapipe_core::domain::meta_errors::Retry::Later => "later",
            wapipe_core::domain::meta_errors::Retry::Never => "never",
        };
        FailedWhy { reason: e.reason(), exception: e.exception.clone(), code: e.meta_code, retry, alert: e.alert() }
    }

    /// A failure wapipe decides itself (`AttemptsExhausted`, `OutcomeUnknown`): no Meta code,
    /// advice `never`, no alert.
    pub fn own(exception: &str, reason: String) -> FailedWhy {
        FailedWhy { reason, exception: exception.into(), code: None, retry: "never", alert: false }
    }
}
