//! The plan for one unit of ingest work (one inbound message, one status, or one non-message
//! field change), as `normalize` derives it from a webhook entry.
//!
//! Ingest runs a unit in this order, which is what makes redelivery safe:
//! 1. read `mark`: present means the unit was fully processed before → skip (duplicate);
//! 2. `before`: idempotent state writes that consumers of the events may read (the contact
//!    window must be open before a `message.received` consumer replies);
//! 3. publish `events` (deterministic `event_id`s);
//! 4. `after`: the record and the mark. A crash before this re-runs 2–4 on redelivery: the
//!    event is published again with the same id, never lost.

use serde_json::Value;
use time::OffsetDateTime;

use super::envelope::EumContext;
use super::events::DomainEvent;
use super::keys::Key;
use crate::domain::table::Write;

/// One unit of ingest work: its mark, the writes around its events, and the events (see the module docs).
#[derive(Clone, Debug, PartialEq)]
pub struct IngestPlan {
    /// What this unit is, for logs and summaries (e.g. `message wamid.X`); no personal data.
    pub label: String,
    /// The item whose existence means "done".
    pub mark: Key,
    /// Idempotent state writes run before publishing, which consumers may read (e.g. the contact's 24-hour window).
    pub before: Vec<Write>,
    /// The domain events to publish, each with a deterministic `event_id`.
    pub events: Vec<DomainEvent>,
    /// Writes after publishing; includes the write of `mark`.
    pub after: Vec<Write>,
}

/// What `normalize` needs besides the entry.
#[derive(Clone, Debug)]
pub struct NormalizeContext<'a> {
    /// The EUM envelope context (empty for direct Meta webhooks).
    pub context: &'a EumContext,
    /// Processing time: used for TTLs and when the webhook carries no time.
    pub now: OffsetDateTime,
    /// How long dedupe marks live (seconds).
    pub seen_ttl_secs: i64,
    /// Retention of inbound message records (seconds); `None` keeps them.
    pub message_ttl_secs: Option<i64>,
    /// Raw JSON kept in an event above this size is replaced by the table key that holds it.
    pub max_inline_raw_bytes: usize,
    /// EUM's `messageId` of the envelope, when it carried one entry: a status that is the
    /// entry's only element carries it (the feed reconciliation's key, docs/feeds.md).
    pub eum_message_id: Option<&'a str>,
}

impl<'a> NormalizeContext<'a> {
    /// A context with the defaults: marks kept 7 days, message records kept, raw JSON inlined up to 64 KiB.
    pub fn new(context: &'a EumContext, now: OffsetDateTime) -> Self {
        NormalizeContext {
            context,
            now,
            seen_ttl_secs: 7 * 24 * 3600,
            message_ttl_secs: None,
            max_inline_raw_bytes: 64 * 1024,
            eum_message_id: None,
        }
    }
}

/// Convenience for building `Map`s of event fields.
pub fn fields<const N: usize>(pairs: [(&str, Value); N]) -> serde_json::Map<String, Value> {
    pairs.into_iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.to_string(), v)).collect()
}
