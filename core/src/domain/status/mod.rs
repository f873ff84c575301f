//! The status of outbound messages (docs/ARCHITECTURE.md §2 status-tracker, docs/PROTOCOL.md §3.4): a monotonic
//! machine per wamid, template and pricing analytics, all derived from `whatsapp.message.status`
//! and `whatsapp.message.received` events. Pure: the handler reads the items, asks
//! [`machine::plan_status`] / [`analytics::plan_click`] for writes, and executes them.
//!
//! The machine, per wamid (item `MSG#{wamid}` / `MSG`):
//! - rank: accepted (1) < sent (2) < delivered (3) < read (4); `played` (voice) is read: same
//!   rank, current status `read`, its own `played_at`. `failed` (9) is terminal for delivery
//!   and keeps its errors. `deleted` and `warning` only add their timestamp (and warnings).
//! - every status records its own `{status}_at` (epoch seconds), even when it arrives after a
//!   higher one; `status`/`rank` only move forward. Both are enforced by the conditions of the
//!   planned write, not by arrival order: a plan is made from a snapshot of the item and its
//!   conditions fail if the facts it relied on changed (then the handler re-reads and re-plans).

pub mod analytics;
pub mod machine;
pub mod pricing;
pub mod view;

#[cfg(test)]
mod tests;

use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::meta_errors;
use super::send_record;

// Attributes of the outbound message record (besides `{status}_at`).
/// Which way the message went: [`OUTBOUND`] here; ingest writes `in` on inbound records.
pub const DIRECTION: &str = "direction";
/// The [`DIRECTION`] of a message wapipe sent.
pub const OUTBOUND: &str = "outbound";
/// Meta's message id.
pub const WAMID: &str = "wamid";
/// Meta's WhatsApp Business Account id of the sending number (also on analytics rows).
pub const WABA_ID: &str = "waba_id";
/// Meta's phone number id of the sending number.
pub const PHONE_NUMBER_ID: &str = "phone_number_id";
/// The recipient's `wa_id`, from the status's `recipient_id`.
pub const RECIPIENT_ID: &str = "recipient_id";
/// The current status: the highest-ranked one seen (`played` counts as `read`).
pub const STATUS: &str = "status";
/// The current status's rank (accepted 1, sent 2, delivered 3, read 4, failed 9).
pub const RANK: &str = "rank";
/// Errors of the `failed` status, explained (code, title, message, details, meaning, retry).
pub const ERRORS: &str = "errors";
/// Errors carried by a `warning` status.
pub const WARNINGS: &str = "warnings";
/// The status's `biz_opaque_callback_data`, as sent (`wapipe:<request_id>` for wapipe's sends).
pub const CALLBACK_DATA: &str = "biz_opaque_callback_data";
/// `{billable, pricing_model, category, type}` from the first status that carried it.
pub const PRICING: &str = "pricing";
/// The `conversation` object (`id`, `expiration_timestamp`, `origin`) from the first status that carried it.
pub const CONVERSATION: &str = "conversation";
/// `true` once the send record was joined (its template fields copied here).
pub const LINKED: &str = "linked";
/// Template clicks (quick-reply / button replies) on this message.
pub const CLICKS: &str = "clicks";
/// `true` once this message is counted in the pricing analytics.
pub const COUNTED_PRICING: &str = "counted_pricing";
/// Fields copied from the send record at link time.
pub const LINK_FIELDS: &[&str] = &[
    send_record::EUM_MESSAGE_ID,
    send_record::MESSAGE_TYPE,
    send_record::TEMPLATE_NAME,
    send_record::TEMPLATE_LANGUAGE,
    send_record::TEMPLATE_CATEGORY,
];

/// A status Meta reports (docs/PROTOCOL.md §3.4). Strings Meta adds later are not a `Kind`: the
/// tracker acknowledges them without a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// `accepted`: rank 1, below `sent`.
    Accepted,
    /// `sent`: Meta sent the message (rank 2).
    Sent,
    /// `delivered`: it reached the user's device (rank 3).
    Delivered,
    /// `read`: the user read it (rank 4).
    Read,
    /// `played`: the user played a voice message; counts as `read`, with its own `played_at`.
    Played,
    /// `failed`: terminal (rank 9), with its errors.
    Failed,
    /// `deleted`: timeline only; just its timestamp is recorded.
    Deleted,
    /// `warning`: timeline only; its timestamp and warnings (`errors[]`) are recorded.
    Warning,
}

impl Kind {
    /// Every known status.
    pub const ALL: &'static [Kind] = &[
        Kind::Accepted,
        Kind::Sent,
        Kind::Delivered,
        Kind::Read,
        Kind::Played,
        Kind::Failed,
        Kind::Deleted,
        Kind::Warning,
    ];

    /// The status of Meta's exact (lower-case) string; `None` for a string wapipe does not know.
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.iter().copied().find(|k| k.as_str() == s)
    }

    /// Meta's string for the status.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Accepted => "accepted",
            Kind::Sent => "sent",
            Kind::Delivered => "delivered",
            Kind::Read => "read",
            Kind::Played => "played",
            Kind::Failed => "failed",
            Kind::Deleted => "deleted",
            Kind::Warning => "warning",
        }
    }

    /// The rank this status moves the message to; `None` for timeline-only statuses.
    pub fn rank(self) -> Option<i64> {
        match self {
            Kind::Accepted => Some(1),
            Kind::Sent => Some(2),
            Kind::Delivered => Some(3),
            Kind::Read | Kind::Played => Some(4),
            Kind::Failed => Some(9),
            Kind::Deleted | Kind::Warning => None,
        }
    }

    /// The current status this one sets (`played` is `read`).
    pub fn current(self) -> &'static str {
        match self {
            Kind::Played => Kind::Read.as_str(),
            k => k.as_str(),
        }
    }

    /// The attribute holding this status's own timestamp.
    pub fn at_attr(self) -> &'static str {
        match self {
            Kind::Accepted => "accepted_at",
            Kind::Sent => "sent_at",
            Kind::Delivered => "delivered_at",
            Kind::Read => "read_at",
            Kind::Played => "played_at",
            Kind::Failed => "failed_at",
            Kind::Deleted => "deleted_at",
            Kind::Warning => "warning_at",
        }
    }

    /// The template counter this status moves (read and played both move `read`).
    pub fn counter(self) -> Option<Counter> {
        match self {
            Kind::Sent => Some(Counter::Sent),
            Kind::Delivered => Some(Counter::Delivered),
            Kind::Read | Kind::Played => Some(Counter::Read),
            Kind::Failed => Some(Counter::Failed),
            Kind::Accepted | Kind::Deleted | Kind::Warning => None,
        }
    }
}

/// A per-template daily counter moved by statuses, each at most once per message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Counter {
    /// Messages sent.
    Sent,
    /// Messages delivered.
    Delivered,
    /// Messages read (or played).
    Read,
    /// Messages failed.
    Failed,
}

impl Counter {
    /// Every counter.
    pub const ALL: &'static [Counter] = &[Counter::Sent, Counter::Delivered, Counter::Read, Counter::Failed];

    /// Attribute of the counter on the template day row.
    pub fn name(self) -> &'static str {
        match self {
            Counter::Sent => "sent",
            Counter::Delivered => "delivered",
            Counter::Read => "read",
            Counter::Failed => "failed",
        }
    }

    /// The message record's flag: set in the same transaction as the counter's increment.
    pub fn flag(self) -> &'static str {
        match self {
            Counter::Sent => "counted_sent",
            Counter::Delivered => "counted_delivered",
            Counter::Read => "counted_read",
            Counter::Failed => "counted_failed",
        }
    }

    /// The statuses that move it, in the order their timestamp is preferred.
    pub fn kinds(self) -> &'static [Kind] {
        match self {
            Counter::Sent => &[Kind::Sent],
            Counter::Delivered => &[Kind::Delivered],
            Counter::Read => &[Kind::Read, Kind::Played],
            Counter::Failed => &[Kind::Failed],
        }
    }
}

/// Why an event cannot be read as a status (names the field).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("message.status event: field `{field}`: {problem}")]
pub struct InputError {
    /// The `detail` field at fault (`wamid`, `status` or `timestamp`).
    pub field: &'static str,
    /// What is wrong with it.
    pub problem: String,
}

fn missing(field: &'static str) -> InputError {
    InputError { field, problem: "missing or not a non-empty string".into() }
}

/// One `whatsapp.message.status` event, as the tracker needs it.
#[derive(Clone, Debug, PartialEq)]
pub struct StatusInput {
    /// The event's `event_id`; empty when absent.
    pub event_id: String,
    /// Meta's id of the message the status is about.
    pub wamid: String,
    /// The status string as Meta sent it.
    pub status: String,
    /// `None` for a status string wapipe does not know.
    pub kind: Option<Kind>,
    /// The status's time, in epoch seconds.
    pub timestamp: i64,
    /// Meta's WhatsApp Business Account id; empty when absent.
    pub waba_id: String,
    /// Meta's phone number id of the sending number; empty when absent.
    pub phone_number_id: String,
    /// The recipient's `wa_id`, when the status names one; else its BSUID (`recipient_user_id`).
    pub recipient_id: Option<String>,
    /// The echoed `biz_opaque_callback_data`, when there is one.
    pub callback_data: Option<String>,
    /// The `pricing` object (`billable`, `pricing_model`, `category`, `type`), when the status carries one.
    pub pricing: Option<Value>,
    /// The `conversation` object, when the status carries one.
    pub conversation: Option<Value>,
    /// Meta's errors, as the event carries them.
    pub errors: Vec<Value>,
    /// EUM's message id, when the envelope named one for this status alone.
    pub eum_message_id: Option<String>,
}

fn str_field<'a>(d: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    d.get(name).and_then(Value::as_str).filter(|s| !s.is_empty())
}

impl StatusInput {
    /// Read a `whatsapp.message.status` event's `detail`; `wamid`, `status` and `timestamp` are required.
    pub fn from_detail(d: &Map<String, Value>) -> Result<StatusInput, InputError> {
        let wamid = str_field(d, "wamid").ok_or_else(|| missing("wamid"))?;
        let status = str_field(d, "status").ok_or_else(|| missing("status"))?;
        let timestamp = d
            .get("timestamp")
            .and_then(Value::as_i64)
            .filter(|t| OffsetDateTime::from_unix_timestamp(*t).is_ok())
            .ok_or(InputError { field: "timestamp", problem: "missing or not epoch seconds".into() })?;
        let errors = match d.get("errors") {
            Some(Value::Array(a)) => a.clone(),
            _ => Vec::new(),
        };
        Ok(StatusInput {
            event_id: str_field(d, "event_id").unwrap_or_default().to_string(),
            wamid: wamid.to_string(),
            status: status.to_string(),
            kind: Kind::parse(status),
            timestamp,
            waba_id: str_field(d, "waba_id").unwrap_or_default().to_string(),
            phone_number_id: str_field(d, "phone_number_id").unwrap_or_default().to_string(),
            // A send to a BSUID whose phone is hidden is reported by `recipient_user_id` alone.
            recipient_id: str_field(d, "recipient_id")
                .or_else(|| str_field(d, "recipient_user_id"))
                .map(str::to_string),
            callback_data: str_field(d, CALLBACK_DATA).map(str::to_string),
            pricing: d.get("pricing").filter(|v| v.is_object()).cloned(),
            conversation: d.get("conversation").filter(|v| v.is_object()).cloned(),
            errors,
            eum_message_id: str_field(d, "eum_message_id").map(str::to_string),
        })
    }

    /// The send request this status belongs to, when wapipe sent it.
    pub fn request_id(&self) -> Option<&str> {
        self.callback_data.as_deref().and_then(send_record::request_id_from_callback)
    }
}

/// Meta's errors explained from the one error table (`meta_errors`): each keeps code, title,
/// message, details and href, and gains `meaning`, `retry` (backoff | pair_rate | later |
/// never), `retryable` and `alert`.
pub fn explain_errors(errors: &[Value]) -> Value {
    Value::Array(
        errors
            .iter()
            .map(|e| {
                let mut out = match e {
                    Value::Object(m) => m.clone(),
                    other => {
                        let mut m = Map::new();
                        m.insert("raw".into(), other.clone());
                        m
                    }
                };
                let code = e.get("code").and_then(Value::as_i64);
                let known = code.and_then(meta_errors::lookup);
                let retry = code.map_or(meta_errors::Retry::Never, meta_errors::retry_for);
                let meaning = known.map_or("unknown error code: permanent until understood", |m| m.meaning);
                out.insert("meaning".into(), meaning.into());
                out.insert("retry".into(), serde_json::to_value(retry).unwrap_or(Value::Null));
                out.insert("retryable".into(), retry.is_retryable().into());
                out.insert("alert".into(), known.is_some_and(|m| m.alert).into());
                Value::Object(out)
            })
            .collect(),
    )
}

/// The UTC day (`YYYY-MM-DD`) of epoch seconds; analytics rows are per day.
pub fn day_of(epoch_secs: i64) -> String {
    match OffsetDateTime::from_unix_timestamp(epoch_secs) {
        Ok(t) => {
            let d = t.date();
            format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
        }
        Err(_) => "0000-00-00".to_string(),
    }
}
