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

/// The EventBridge `source` of every wapipe event.
pub const SOURCE: &str = "wapipe";
/// The layout version of `detail`, carried in its `schema` field.
pub const SCHEMA_VERSION: u64 = 1;

macro_rules! event_types {
    ($($(#[$doc:meta])* $variant:ident => $name:literal),+ $(,)?) => {
        /// Every detail-type wapipe publishes.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum EventType {
            $($(#[$doc])* #[serde(rename = $name)] $variant,)+
        }

        impl EventType {
            /// Every detail-type, in declaration order.
            pub const ALL: &'static [EventType] = &[$(EventType::$variant,)+];

            /// The detail-type string, e.g. `whatsapp.message.received`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(EventType::$variant => $name,)+
                }
            }

            /// The [`EventType`] of a detail-type string; `None` for a string that is not one of wapipe's.
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
    /// A WhatsApp user sent a message to a business number (webhook-ingest).
    MessageReceived => "whatsapp.message.received",
    /// Meta reported a status of an outbound message: sent, delivered, read, failed, … (webhook-ingest).
    MessageStatus => "whatsapp.message.status",
    /// An outbound message failed; once per message, with its errors explained (status-tracker).
    MessageFailed => "whatsapp.message.failed",
    /// A user completed a WhatsApp Flow (an `nfm_reply` named `flow`) (webhook-ingest).
    FlowCompleted => "whatsapp.flow.completed",
    /// A flow changed status or raised an endpoint health alert (`flows` field) (webhook-ingest).
    FlowUpdated => "whatsapp.flow.updated",
    /// A user submitted an address (an `nfm_reply` named `address_message`, India) (webhook-ingest).
    AddressReceived => "whatsapp.address.received",
    /// A payment status webhook (`statuses[]` with `type: "payment"`, India) (webhook-ingest).
    PaymentUpdated => "whatsapp.payment.updated",
    /// A payment configuration of the WABA changed (`payment_configuration_update`) (webhook-ingest).
    PaymentConfiguration => "whatsapp.payment.configuration",
    /// A message template's status, quality, category or components changed (webhook-ingest).
    TemplateUpdated => "whatsapp.template.updated",
    /// A business number's quality or messaging limit changed (`phone_number_quality_update`) (webhook-ingest).
    PhoneQuality => "whatsapp.phone.quality",
    /// The review of a display name request (`phone_number_name_update`) (webhook-ingest).
    PhoneName => "whatsapp.phone.name",
    /// The WABA changed: `account_update` or `business_capability_update` (webhook-ingest).
    AccountUpdated => "whatsapp.account.updated",
    /// An alert about the business, a number or its status (`account_alerts`) (webhook-ingest).
    AccountAlert => "whatsapp.account.alert",
    /// A user stopped, resumed or signed up to marketing messages (`user_preferences`) (webhook-ingest).
    UserPreferences => "whatsapp.user.preferences",
    /// A call began: a user called the business, or a business-initiated call was answered (`calls`, `connect`) (webhook-ingest).
    CallConnect => "whatsapp.call.connect",
    /// A business-initiated call rang, was accepted or rejected (`calls`, `statuses[]`) (webhook-ingest).
    CallStatus => "whatsapp.call.status",
    /// A call ended, completed or failed, with its duration (`calls`, `terminate`) (webhook-ingest).
    CallTerminated => "whatsapp.call.terminated",
    /// A message the business sent from the WhatsApp Business app, or its edit or revoke (`smb_message_echoes`) (webhook-ingest).
    MessageEchoed => "whatsapp.message.echoed",
    /// A chunk of a coexistence number's chat history arrived and was stored (`history`) (webhook-ingest).
    HistoryProgress => "whatsapp.history.progress",
    /// A contact was added, edited or removed in the WhatsApp Business app (`smb_app_state_sync`) (webhook-ingest).
    ContactSynced => "whatsapp.contact.synced",
    /// A user's business-scoped user id changed (`user_id_update`) (webhook-ingest).
    UserIdChanged => "whatsapp.user.id-changed",
    /// A business number's username was approved, reserved or deleted (`business_username_update`) (webhook-ingest).
    PhoneUsername => "whatsapp.phone.username",
    /// A group was created or deleted (`group_lifecycle_update`) (webhook-ingest).
    GroupLifecycle => "whatsapp.group.lifecycle",
    /// Participants joined, left or asked to join a group (`group_participants_update`) (webhook-ingest).
    GroupParticipants => "whatsapp.group.participants",
    /// A group's subject, description or picture changed (`group_settings_update`) (webhook-ingest).
    GroupSettings => "whatsapp.group.settings",
    /// A group was suspended or its suspension cleared (`group_status_update`) (webhook-ingest).
    GroupStatus => "whatsapp.group.status",
    /// Value-level errors Meta reported in a `messages` change, not tied to one message (webhook-ingest).
    WebhookErrors => "whatsapp.webhook.errors",
    /// A webhook change wapipe does not read, kept whole so nothing is dropped (webhook-ingest).
    WebhookUnknown => "whatsapp.webhook.unknown",
    /// An inbound record that can never be processed was parked and acknowledged.
    IngestRejected => "whatsapp.ingest.rejected",
    /// A request to send one WhatsApp message (docs/ARCHITECTURE.md §4), from other systems or payment-processor.
    SendRequested => "whatsapp.send.requested",
    /// EUM accepted a send request's message; at most one per `request_id` (send-worker).
    SendAccepted => "whatsapp.send.accepted",
    /// A send request refused before any call: invalid, outside the window, opted out, … (send-worker).
    SendRejected => "whatsapp.send.rejected",
    /// EUM or Meta refused a send request's message for good (send-worker).
    SendFailed => "whatsapp.send.failed",
    // Payments (payment-processor): outcomes, rejections, reconciliation; commands it consumes.
    /// An order is paid: a matching `captured` webhook or a `payment.mark-paid` command.
    PaymentCaptured => "whatsapp.payment.captured",
    /// A payment attempt for an order failed; a later capture still moves the order.
    PaymentFailed => "whatsapp.payment.failed",
    /// A payment webhook or payments command that cannot be applied, with a reason code.
    PaymentRejected => "whatsapp.payment.rejected",
    /// The sweep found an order still pending, or a refund still requested or submitted, past the threshold.
    PaymentStale => "whatsapp.payment.stale",
    /// Command: the PSP confirmed payment of an order WhatsApp reports no status for (Pix, boleto, links).
    PaymentMarkPaid => "whatsapp.payment.mark-paid",
    /// Command: refund part or all of a captured order, idempotent by its `key`.
    RefundRequested => "whatsapp.refund.requested",
    /// A refund moved: requested, submitted, completed or failed.
    RefundUpdated => "whatsapp.refund.updated",
    /// Command: a refund's outcome learnt outside the gateway API (a finished manual refund).
    RefundSettled => "whatsapp.refund.settled",
    // Operations (dlq-drainer, quality-snapshotter).
    /// The dlq-drainer parked a dead-lettered message after its replays.
    MessageParked => "whatsapp.message.parked",
    /// A number's, template's or WABA's quality state really changed, with old and new values.
    QualityChanged => "whatsapp.quality.changed",
    /// A status one of EUM's two feeds (SNS, EventBridge) reported and the other did not, past the threshold (status-tracker sweep).
    FeedGap => "whatsapp.feed.gap",
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One domain event, ready for `PutEvents`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DomainEvent {
    /// The EventBridge `detail-type`.
    pub detail_type: EventType,
    /// The EventBridge `detail`: the common fields (`schema`, `event_id`, …) then the type's own.
    pub detail: Map<String, Value>,
}

/// The ids every event carries; the rest of `detail` is type-specific.
#[derive(Clone, Debug, PartialEq)]
pub struct Envelope<'a> {
    /// The deterministic event id (32 hex characters, see [`event_id`]).
    pub event_id: String,
    /// When what the event reports happened; `occurred_at` in `detail` (RFC 3339, UTC).
    pub occurred_at: OffsetDateTime,
    /// Meta's WhatsApp Business Account id; empty when unknown.
    pub waba_id: &'a str,
    /// Meta's phone number id of the business number; empty when unknown.
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

    /// The `event_id` of `detail`; empty when it has none.
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
