//! The send worker's domain events (docs/events.json): one terminal event per request id, with
//! a deterministic `event_id`, so a re-published duplicate is recognisable downstream.

use serde_json::{Map, Value};
use time::OffsetDateTime;
use wapipe_core::domain::events::{event_id, DomainEvent, Envelope, EventType};
use wapipe_core::ports::messaging::MessagingError;

/// What the events of one request share.
#[derive(Clone, Debug, Default)]
pub struct Ctx {
    pub request_id: Option<String>,
    pub waba_id: String,
    pub phone_number_id: String,
    pub wa_id: Option<String>,
    pub message_type: Option<String>,
    pub template_name: Option<String>,
    pub template_language: Option<String>,
    pub category: Option<String>,
    pub tags: Option<Value>,
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
    pub reason: String,
    pub exception: String,
    pub code: Option<i64>,
    pub retry: &'static str,
    pub alert: bool,
}

impl FailedWhy {
    pub fn from_error(e: &MessagingError) -> FailedWhy {
        let retry = match e.retry() {
            wapipe_core::domain::meta_errors::Retry::Backoff => "backoff",
            wapipe_core::domain::meta_errors::Retry::PairRate => "pair_rate",
            wapipe_core::domain::meta_errors::Retry::Later => "later",
            wapipe_core::domain::meta_errors::Retry::Never => "never",
        };
        FailedWhy { reason: e.reason(), exception: e.exception.clone(), code: e.meta_code, retry, alert: e.alert() }
    }

    pub fn own(exception: &str, reason: String) -> FailedWhy {
        FailedWhy { reason, exception: exception.into(), code: None, retry: "never", alert: false }
    }
}
