//! Parking a message the drainer gave up on, and un-parking it.
//!
//! Order (as `wapipe_core::domain::parking`): the parked item, the event, then the mark
//! (`SEEN#parked:dlq:{queue}:{message id}`, the SQS message id being stable while the message
//! sits in the DLQ); only after all three is the message deleted from the DLQ. A crash anywhere
//! re-parks on the next run, skipping what the mark says is done.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};
use time::OffsetDateTime;
use wapipe_core::domain::events::{event_id, rfc3339, DomainEvent, Envelope, EventType};
use wapipe_core::domain::ingest_plan::IngestPlan;
use wapipe_core::domain::keys::{self, Key};
use wapipe_core::ports::{Cond, Item, OutgoingMessage, PortError, Query, Queue, QueueMessage, Store, Write};

use crate::{QueuePair, LAST_ERROR_ATTR, REPLAYS_ATTR, UNPARKED_ATTR};

/// The parked partition's source name of a queue pair.
pub fn parked_source(queue: &str) -> String {
    format!("dlq:{queue}")
}

/// The last error known for a message: a consumer's attribute, else what the DLQ tells.
pub fn last_error(m: &QueueMessage, replays: u32) -> String {
    match m.attributes.get(LAST_ERROR_ATTR).filter(|e| !e.trim().is_empty()) {
        Some(e) => e.clone(),
        None => {
            format!("dead-lettered again after {replays} replays (received {} times from the DLQ)", m.receive_count)
        }
    }
}

/// The unit that parks `m` from `pair` after `replays` replays.
pub fn park_unit(
    pair: &QueuePair,
    m: &QueueMessage,
    replays: u32,
    now: OffsetDateTime,
    mark_ttl_secs: i64,
) -> IngestPlan {
    let source = parked_source(&pair.name);
    let key = keys::parked(&source, &rfc3339(now), &m.message_id);
    let error = last_error(m, replays);
    let reason = format!("replayed {replays} times without success: {error}");
    let attributes: Map<String, Value> =
        m.attributes.iter().map(|(k, v)| (k.clone(), Value::from(v.as_str()))).collect();
    let item = Item::new(key.pk.clone(), key.sk.clone())
        .with("source", source.as_str())
        .with("queue", pair.name.as_str())
        .with("source_url", pair.source_url.as_str())
        .with("dlq_url", pair.dlq_url.as_str())
        .with("record_id", m.message_id.as_str())
        .with("body", m.body.as_str())
        .with("attributes", Value::Object(attributes))
        .with("attempts", replays)
        .with("receive_count", m.receive_count)
        .with("last_error", error.as_str())
        .with("reason", reason.as_str())
        .with("parked_at", rfc3339(now));
    let mut fields = Map::new();
    fields.insert("queue".into(), pair.name.as_str().into());
    fields.insert("record_id".into(), m.message_id.as_str().into());
    fields.insert("attempts".into(), replays.into());
    fields.insert("reason".into(), reason.into());
    fields.insert("parked_key".into(), json!({"pk": key.pk, "sk": key.sk}));
    let event = DomainEvent::new(
        EventType::MessageParked,
        Envelope {
            event_id: event_id(EventType::MessageParked, &[&pair.name, &m.message_id]),
            occurred_at: now,
            waba_id: "",
            phone_number_id: "",
        },
        fields,
    );
    let mark = keys::seen(&format!("parked:{source}:{}", m.message_id));
    let expires = now.unix_timestamp().saturating_add(mark_ttl_secs);
    IngestPlan {
        label: format!("parked DLQ message {}", m.message_id),
        mark: mark.clone(),
        before: vec![Write::put_if(item, Cond::ItemMissing)],
        events: vec![event],
        after: vec![Write::put(Item::new(mark.pk, mark.sk).with(keys::EXPIRES_AT, expires))],
    }
}

/// Parked messages of a queue pair, oldest first (at most `limit`).
pub async fn list_parked<S: Store>(store: &S, queue: &str, limit: usize) -> Result<Vec<Item>, PortError> {
    let mut out = Vec::new();
    let mut q = Query::table(keys::parked_partition(&parked_source(queue)), "");
    // Bounded: at most 100 pages.
    for _ in 0..100 {
        q.limit = Some(limit.saturating_sub(out.len()).clamp(1, 100));
        let page = store.query(q.clone()).await?;
        out.extend(page.items);
        match page.cursor {
            Some(c) if out.len() < limit => q.cursor = Some(c),
            _ => break,
        }
    }
    out.truncate(limit);
    Ok(out)
}

/// Why an unpark did not happen.
#[derive(Debug, thiserror::Error)]
pub enum UnparkError {
    /// No parked item at this key (already unparked, or a wrong key).
    #[error("no parked message at {0}")]
    NotFound(Key),
    /// The parked item lacks an attribute the unpark needs (an item not written by the drainer).
    #[error("parked item {key}: field `{field}` missing")]
    Malformed {
        /// The parked item's key.
        key: Key,
        /// The attribute missing or not a string (`body` or `source_url`).
        field: &'static str,
    },
    /// The table read, the send to the source queue or the delete of the parked item failed.
    #[error(transparent)]
    Port(#[from] PortError),
}

/// Re-drive one parked message to its source queue (replay count reset, `wapipe-unparked`
/// set), then delete the parked item. Send first: a crash in between leaves the parked item,
/// and a second unpark sends a duplicate the consumer's idempotency absorbs.
pub async fn unpark<S: Store, Q: Queue>(store: &S, queue: &Q, key: &Key) -> Result<String, UnparkError> {
    let item = store.get(&key.pk, &key.sk).await?.ok_or_else(|| UnparkError::NotFound(key.clone()))?;
    let field = |f: &'static str| {
        item.get_str(f).map(str::to_string).ok_or(UnparkError::Malformed { key: key.clone(), field: f })
    };
    let (body, url) = (field("body")?, field("source_url")?);
    let mut attributes: BTreeMap<String, String> = item
        .attrs
        .get("attributes")
        .and_then(Value::as_object)
        .map(|m| m.iter().filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string()))).collect())
        .unwrap_or_default();
    attributes.remove(REPLAYS_ATTR);
    attributes.insert(UNPARKED_ATTR.into(), "1".into());
    let id = queue.send(&url, OutgoingMessage { body, delay: None, attributes }).await?;
    store.write(Write::Delete { pk: key.pk.clone(), sk: key.sk.clone(), cond: None }).await?;
    Ok(id)
}
