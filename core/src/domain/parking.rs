//! Parking a poison record (docs/ARCHITECTURE.md §2): a record that can never succeed is kept in the
//! table with its body and reason (`PARKED#{source}`), a `whatsapp.ingest.rejected` event names
//! it, and the record is acknowledged. Shared by every SQS consumer so all park alike.
//!
//! As an [`IngestPlan`]: the parked item is written first (`before`), the event is published, then the
//! mark (`after`). The mark is keyed by the body's hash, so a redelivery (or another copy of the
//! same poison body) is not parked twice.

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::events::{event_id, rfc3339, DomainEvent, Envelope, EventType};
use super::ingest_plan::IngestPlan;
use super::keys;
use crate::domain::table::{Item, Write};

/// A record to park.
#[derive(Clone, Debug)]
pub struct Poison<'a> {
    /// The function or queue parking it (`PARKED#{source}`).
    pub source: &'a str,
    /// SQS message id (stable across redeliveries) or a caller-chosen id.
    pub record_id: &'a str,
    /// The record's body as received; stored whole, and its SHA-256 keys the mark (one park per distinct body).
    pub body: &'a str,
    /// Why it can never succeed: layer, field and problem.
    pub reason: &'a str,
    /// When the record was first sent (keys the parked item deterministically).
    pub sent_at: Option<OffsetDateTime>,
}

/// The unit that parks `p`; its mark lives `mark_ttl_secs`.
pub fn park_unit(p: &Poison<'_>, now: OffsetDateTime, mark_ttl_secs: i64) -> IngestPlan {
    let digest = crate::domain::events::hex_prefix(&Sha256::digest(p.body.as_bytes()));
    let at = rfc3339(p.sent_at.unwrap_or(now));
    let key = keys::parked(p.source, &at, p.record_id);
    let item = Item::new(key.pk.clone(), key.sk.clone())
        .with("source", p.source)
        .with("record_id", p.record_id)
        .with("reason", p.reason)
        .with("body", p.body)
        .with("body_sha256", digest.as_str())
        .with("attempts", 1)
        .with("parked_at", rfc3339(now));
    let mut fields = Map::new();
    fields.insert("source".into(), Value::from(p.source));
    fields.insert("record_id".into(), Value::from(p.record_id));
    fields.insert("reason".into(), Value::from(p.reason));
    fields.insert("parked_key".into(), json!({"pk": key.pk, "sk": key.sk}));
    let event = DomainEvent::new(
        EventType::IngestRejected,
        Envelope {
            event_id: event_id(EventType::IngestRejected, &[p.source, &digest]),
            occurred_at: now,
            waba_id: "",
            phone_number_id: "",
        },
        fields,
    );
    let mark = keys::seen(&format!("parked:{}:{digest}", p.source));
    let expires = now.unix_timestamp().saturating_add(mark_ttl_secs);
    IngestPlan {
        label: format!("parked record {}", p.record_id),
        mark: mark.clone(),
        before: vec![Write::put(item)],
        events: vec![event],
        after: vec![Write::put(Item::new(mark.pk, mark.sk).with(keys::EXPIRES_AT, expires))],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parks_with_body_reason_and_a_catalogued_event() {
        let now = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let p = Poison { source: "status-tracker", record_id: "m1", body: "{", reason: "bad", sent_at: None };
        let u = park_unit(&p, now, 60);
        assert_eq!(u.mark, park_unit(&Poison { record_id: "m2", ..p.clone() }, now, 60).mark, "keyed by body");
        let Write::Put { item, .. } = &u.before[0] else { panic!("a put") };
        assert_eq!(item.pk, "PARKED#status-tracker");
        assert_eq!(item.get_str("body"), Some("{"));
        crate::domain::event_catalogue::validate(&u.events[0]).unwrap();
    }
}
