//! Domain events published to the EventBridge bus (docs/ARCHITECTURE.md §3).
//!
//! `source` is always [`SOURCE`]; `detail-type` is one of [`EventType`]; `detail` is a JSON
//! object that always carries `schema`, `event_id`, `occurred_at`, `waba_id` and
//! `phone_number_id`, then the fields of its type (see `docs/events.json`, the catalogue).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

pub const SOURCE: &str = "wapipe";
pub const SCHEMA_VERSION: u64 = 1;

macro_rules! event_types {
    ($($variant:ident => $name:literal),+ $(,)?) => {
        /// Every detail-type wapipe publishes.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum EventType {
            $(#[serde(rename = $name)] $variant,)+
        }

        impl EventType {
            pub const ALL: &'static [EventType] = &[$(EventType::$variant,)+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(EventType::$variant => $name,)+
                }
            }

            pub fn parse(s: &str) -> Option<EventType> {
                match s {
                    $($name => Some(EventType::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

event_types! {
    MessageReceived => "whatsapp.message.received",
    MessageStatus => "whatsapp.message.status",
    MessageFailed => "whatsapp.message.failed",
    FlowCompleted => "whatsapp.flow.completed",
    FlowUpdated => "whatsapp.flow.updated",
    AddressReceived => "whatsapp.address.received",
    PaymentUpdated => "whatsapp.payment.updated",
    PaymentConfiguration => "whatsapp.payment.configuration",
    TemplateUpdated => "whatsapp.template.updated",
    PhoneQuality => "whatsapp.phone.quality",
    PhoneName => "whatsapp.phone.name",
    AccountUpdated => "whatsapp.account.updated",
    UserPreferences => "whatsapp.user.preferences",
    WebhookErrors => "whatsapp.webhook.errors",
    WebhookUnknown => "whatsapp.webhook.unknown",
    IngestRejected => "whatsapp.ingest.rejected",
    SendRequested => "whatsapp.send.requested",
    SendAccepted => "whatsapp.send.accepted",
    SendRejected => "whatsapp.send.rejected",
    SendFailed => "whatsapp.send.failed",
    // Payments (payment-processor): outcomes, rejections, reconciliation; commands it consumes.
    PaymentCaptured => "whatsapp.payment.captured",
    PaymentFailed => "whatsapp.payment.failed",
    PaymentRejected => "whatsapp.payment.rejected",
    PaymentStale => "whatsapp.payment.stale",
    PaymentMarkPaid => "whatsapp.payment.mark-paid",
    RefundRequested => "whatsapp.refund.requested",
    RefundUpdated => "whatsapp.refund.updated",
    RefundSettled => "whatsapp.refund.settled",
    // Operations (dlq-drainer, quality-snapshotter).
    MessageParked => "whatsapp.message.parked",
    QualityChanged => "whatsapp.quality.changed",
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One domain event, ready for `PutEvents`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DomainEvent {
    pub detail_type: EventType,
    pub detail: Map<String, Value>,
}

/// The ids every event carries; the rest of `detail` is type-specific.
#[derive(Clone, Debug, PartialEq)]
pub struct Envelope<'a> {
    pub event_id: String,
    pub occurred_at: OffsetDateTime,
    pub waba_id: &'a str,
    pub phone_number_id: &'a str,
}

impl DomainEvent {
    /// Build an event: the common fields first, then `fields` (which must not repeat them).
    pub fn new(detail_type: EventType, common: Envelope<'_>, fields: Map<String, Value>) -> DomainEvent {
        let mut detail = Map::with_capacity(fields.len() + 5);
        detail.insert("schema".into(), SCHEMA_VERSION.into());
        detail.insert("event_id".into(), common.event_id.into());
        detail.insert("occurred_at".into(), rfc3339(common.occurred_at).into());
        detail.insert("waba_id".into(), common.waba_id.into());
        detail.insert("phone_number_id".into(), common.phone_number_id.into());
        for (k, v) in fields {
            detail.entry(k).or_insert(v);
        }
        DomainEvent { detail_type, detail }
    }

    pub fn event_id(&self) -> &str {
        self.detail.get("event_id").and_then(Value::as_str).unwrap_or_default()
    }

    /// The `detail` as the JSON string EventBridge takes.
    pub fn detail_json(&self) -> String {
        // A map of JSON values always serialises.
        serde_json::to_string(&self.detail).unwrap_or_default()
    }

    /// The length in bytes of [`DomainEvent::detail_json`], counted without building it.
    pub fn detail_len(&self) -> usize {
        let mut count = ByteCount(0);
        // A map of JSON values always serialises, and counting cannot fail.
        let _ = serde_json::to_writer(&mut count, &self.detail);
        count.0
    }
}

/// An `io::Write` that only counts what is written to it.
struct ByteCount(usize);

impl std::io::Write for ByteCount {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Deterministic event id: the same webhook content always gives the same id, so a
/// re-published duplicate is recognisable downstream. 32 hex chars of SHA-256 over the
/// detail-type and the natural key parts.
pub fn event_id(detail_type: EventType, parts: &[&str]) -> String {
    let mut h = Sha256::new();
    h.update(detail_type.as_str().as_bytes());
    for p in parts {
        h.update([0x1f]);
        h.update(p.as_bytes());
    }
    hex_prefix(&h.finalize())
}

/// The first 16 bytes of a digest, in hex (32 characters).
pub fn hex_prefix(digest: &[u8]) -> String {
    hex::encode(digest.get(..16).unwrap_or(digest))
}

/// RFC 3339 in UTC, seconds precision when there are no sub-seconds.
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC).format(&Rfc3339).unwrap_or_else(|_| t.unix_timestamp().to_string())
}

/// Epoch seconds (Meta's timestamps are strings of these) to a time.
pub fn from_epoch_secs(secs: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(secs).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(*t));
            assert!(t.as_str().starts_with("whatsapp."));
            assert!(seen.insert(t.as_str()));
        }
    }

    #[test]
    fn event_ids_are_deterministic_and_separate_parts() {
        let a = event_id(EventType::MessageReceived, &["ab", "c"]);
        assert_eq!(a, event_id(EventType::MessageReceived, &["ab", "c"]));
        assert_ne!(a, event_id(EventType::MessageReceived, &["a", "bc"]));
        assert_ne!(a, event_id(EventType::MessageStatus, &["ab", "c"]));
        assert_eq!(a.len(), 32);
    }

    #[test]
    fn common_fields_come_first_and_win() {
        let mut f = Map::new();
        f.insert("event_id".into(), "spoof".into());
        f.insert("wamid".into(), "w".into());
        let e = DomainEvent::new(
            EventType::MessageReceived,
            Envelope {
                event_id: "id1".into(),
                occurred_at: from_epoch_secs(1_700_000_000).unwrap(),
                waba_id: "w1",
                phone_number_id: "p1",
            },
            f,
        );
        assert_eq!(e.event_id(), "id1");
        assert_eq!(e.detail["occurred_at"], "2023-11-14T22:13:20Z");
        assert_eq!(e.detail["wamid"], "w");
    }
}

/// What an EventBridge rule delivers to an SQS target: the whole event as JSON
/// (`{version, id, detail-type, source, account, time, region, resources, detail}`).
/// Local mode builds the same body, so consumers read one format everywhere.
pub fn eventbridge_body(event: &DomainEvent, account: &str, region: &str, time: OffsetDateTime) -> String {
    serde_json::json!({
        "version": "0",
        "id": event.event_id(),
        "detail-type": event.detail_type.as_str(),
        "source": SOURCE,
        "account": account,
        "time": rfc3339(time),
        "region": region,
        "resources": [],
        "detail": Value::Object(event.detail.clone()),
    })
    .to_string()
}

/// Why an SQS body is not a wapipe domain event.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("EventBridge event: {0}")]
pub struct EnvelopeError(pub String);

/// Parse an SQS body delivered by an EventBridge rule back into a domain event.
pub fn parse_eventbridge_body(body: &str) -> Result<DomainEvent, EnvelopeError> {
    #[derive(Deserialize)]
    struct Body {
        #[serde(rename = "detail-type")]
        detail_type: Option<String>,
        source: Option<String>,
        detail: Option<Value>,
    }
    let b: Body = serde_json::from_str(body).map_err(|e| EnvelopeError(format!("invalid JSON: {e}")))?;
    if b.source.as_deref() != Some(SOURCE) {
        return Err(EnvelopeError(format!("field `source`: expected `{SOURCE}`, got {:?}", b.source)));
    }
    let name = b.detail_type.ok_or_else(|| EnvelopeError("field `detail-type`: missing".into()))?;
    let detail_type =
        EventType::parse(&name).ok_or_else(|| EnvelopeError(format!("field `detail-type`: unknown `{name}`")))?;
    match b.detail {
        Some(Value::Object(detail)) => Ok(DomainEvent { detail_type, detail }),
        _ => Err(EnvelopeError("field `detail`: expected an object".into())),
    }
}

#[cfg(test)]
mod envelope_tests {
    use super::*;

    #[test]
    fn eventbridge_bodies_round_trip_and_reject_foreign_events() {
        let e = DomainEvent::new(
            EventType::MessageStatus,
            Envelope {
                event_id: "e1".into(),
                occurred_at: from_epoch_secs(1).unwrap(),
                waba_id: "w",
                phone_number_id: "p",
            },
            Map::new(),
        );
        let body = eventbridge_body(&e, "123456789012", "ap-south-1", from_epoch_secs(2).unwrap());
        assert_eq!(parse_eventbridge_body(&body), Ok(e));
        let foreign = body.replace("\"wapipe\"", "\"aws.social-messaging\"");
        assert!(parse_eventbridge_body(&foreign).unwrap_err().0.contains("source"));
        assert!(parse_eventbridge_body("{").is_err());
        let unknown = body.replace("whatsapp.message.status", "whatsapp.nope");
        assert!(parse_eventbridge_body(&unknown).unwrap_err().0.contains("detail-type"));
    }
}
