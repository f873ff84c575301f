//! `normalize`: one webhook entry → units of ingest work (see [`super::unit`]) → domain events.
//!
//! The entry is read once into the typed model of [`super::webhook`]; each change's `value`
//! and each inbound message stay borrowed raw JSON until their type is known.
//!
//! | change | unit | mark | events |
//! |---|---|---|---|
//! | `messages` / `messages[i]` | one per message | the message record `MSG#{wamid}` | message.received (+ flow.completed / address.received) |
//! | `messages` / `statuses[i]` | one per status | `SEEN#status:{wamid}:{status}:{ts}[:{participant}]` | message.status |
//! | `messages` / `statuses[i]`, `type: payment` | one per status | `SEEN#payment:{event_id}` | payment.updated |
//! | `messages` / `errors` | one | `SEEN#errors:{event_id}` | webhook.errors |
//! | any other known field | one per change | `SEEN#{field}:{event_id}` | see [`fields`] |
//! | unknown field | one per change | `SEEN#{field}:{event_id}` | webhook.unknown |
//!
//! Errors: a malformed entry is a [`DecodeError`] at [`Layer::WebhookEntry`] whose `field` is
//! the path of the offending value (`changes[0].value.messages[1].id`). Unknown fields,
//! message types and status strings are not errors.

mod fields;
mod message;
mod status;

#[cfg(test)]
mod fields_tests;
#[cfg(test)]
mod messages_tests;
#[cfg(test)]
mod statuses_tests;
#[cfg(test)]
mod tests;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::envelope::{DecodeError, Layer};
use super::events::{from_epoch_secs, DomainEvent, Envelope, EventType};
use super::keys::{self, Key};
use super::unit::{NormalizeContext, Unit};
use super::webhook::{epoch_secs, Entry};
use crate::ports::{Item, Write};

/// Read one webhook entry (the JSON text of one `entry` element) into units of work.
pub fn normalize(entry_json: &str, ctx: &NormalizeContext<'_>) -> Result<Vec<Unit>, DecodeError> {
    if !entry_json.trim_start().starts_with('{') {
        return Err(DecodeError::new(Layer::WebhookEntry, None, "expected a JSON object"));
    }
    let entry: Entry<'_> = serde_json::from_str(entry_json).map_err(|e| entry_error(entry_json, e))?;
    let changes = entry.changes.ok_or_else(|| err("changes", "missing"))?;
    let waba_id = match entry.id.as_deref() {
        Some(id) if !id.is_empty() => id,
        _ => ctx.context.wabas.first().map(|w| w.waba_id.as_str()).unwrap_or_default(),
    };
    let entry_time = entry.time.as_deref().and_then(epoch_secs);
    let mut units = Vec::with_capacity(changes.len());
    for (i, change) in changes.iter().enumerate() {
        let path = format!("changes[{i}]");
        let field = change.field.as_deref().ok_or_else(|| err(&format!("{path}.field"), "missing"))?;
        let scope = Scope { ctx, waba_id, entry_time, path, field };
        match change.value {
            Some(value) if field == "messages" => status::messages(&scope, value.get(), &mut units)?,
            Some(value) => fields::change(&scope, value.get(), &mut units)?,
            None if fields::is_known(field) => return Err(scope.err(".value", "missing")),
            None => units.push(fields::unknown(&scope, "null", &Value::Null)),
        }
    }
    Ok(units)
}

/// What every unit of one change shares.
pub(super) struct Scope<'s> {
    pub ctx: &'s NormalizeContext<'s>,
    pub waba_id: &'s str,
    /// The entry's `time`, epoch seconds.
    pub entry_time: Option<i64>,
    /// `changes[i]`
    pub path: String,
    pub field: &'s str,
}

impl Scope<'_> {
    /// An error at `self.path` + `rel` (`.value.messages[0].id`).
    pub fn err(&self, rel: &str, message: &str) -> DecodeError {
        err(&format!("{}{rel}", self.path), message)
    }

    /// The phone number id for changes that do not name one.
    pub fn fallback_phone(&self) -> &str {
        self.ctx.context.phones.first().map(|p| p.meta_phone_number_id.as_str()).unwrap_or_default()
    }

    /// Epoch seconds of the webhook itself: its own timestamp, else the entry time, else now.
    pub fn secs(&self, own: Option<i64>) -> i64 {
        own.filter(|s| from_epoch_secs(*s).is_some())
            .or(self.entry_time.filter(|s| from_epoch_secs(*s).is_some()))
            .unwrap_or_else(|| self.ctx.now.unix_timestamp())
    }

    pub fn at(&self, secs: i64) -> OffsetDateTime {
        from_epoch_secs(secs).unwrap_or(self.ctx.now)
    }

    pub fn event(&self, t: EventType, id: String, secs: i64, phone: &str, fields: Map<String, Value>) -> DomainEvent {
        let common =
            Envelope { event_id: id, occurred_at: self.at(secs), waba_id: self.waba_id, phone_number_id: phone };
        DomainEvent::new(t, common, fields)
    }

    /// The dedupe mark item of a unit that has no record of its own.
    pub fn seen_item(&self, mark: &Key) -> Item {
        let expires = self.ctx.now.unix_timestamp().saturating_add(self.ctx.seen_ttl_secs);
        Item::new(mark.pk.clone(), mark.sk.clone()).with(keys::EXPIRES_AT, expires)
    }

    /// A unit whose only `after` write is its SEEN mark.
    pub fn seen_unit(&self, label: String, mark: Key, events: Vec<DomainEvent>) -> Unit {
        let after = vec![Write::put(self.seen_item(&mark))];
        Unit { label, mark, before: Vec::new(), events, after }
    }

    /// The `entry.time` as an id part.
    pub fn time_part(&self) -> String {
        self.entry_time.map(|t| t.to_string()).unwrap_or_default()
    }
}

pub(super) fn err(path: &str, message: &str) -> DecodeError {
    DecodeError::new(Layer::WebhookEntry, Some(path), message)
}

/// `wa_id`s are digits without `+`.
pub(super) fn wa_id(s: &str) -> &str {
    s.strip_prefix('+').unwrap_or(s)
}

/// Parse `text` at `path` as `T`; on failure name the offending field (see [`locate`]).
pub(super) fn decode<'j, T: serde::Deserialize<'j>>(
    text: &'j str,
    path: &str,
    check: &dyn Fn(&str) -> Option<String>,
) -> Result<T, DecodeError> {
    if !text.trim_start().starts_with('{') {
        return Err(err(path, "expected an object"));
    }
    serde_json::from_str(text).map_err(|e| {
        let (p, m, _) = locate(text, path, clean(&e), check);
        err(&p, &m)
    })
}

fn entry_error(text: &str, e: serde_json::Error) -> DecodeError {
    if e.is_syntax() || e.is_eof() {
        return DecodeError::new(Layer::WebhookEntry, None, format!("invalid JSON: {e}"));
    }
    let check = |s: &str| serde_json::from_str::<Entry<'_>>(s).err().map(|e| clean(&e));
    let (path, message, found) = locate(text, "", clean(&e), &check);
    // One level deeper inside a change: `changes[0].field`.
    if let (true, Some(change)) = (path.starts_with("changes["), found) {
        let check = |s: &str| serde_json::from_str::<super::webhook::Change<'_>>(s).err().map(|e| clean(&e));
        let (path, message, _) = locate(&change.to_string(), &path, message, &check);
        return err(&path, &message);
    }
    if path.is_empty() {
        DecodeError::new(Layer::WebhookEntry, None, message)
    } else {
        err(&path, &message)
    }
}

/// Slow path, after a parse failed: find the first key of the object (and the first element
/// when its value is an array) that fails `check` on its own. The model's fields are all
/// optional, so a one-key object fails only because of that key. Returns the path, the
/// message and the offending value.
pub(super) fn locate(
    text: &str,
    path: &str,
    message: String,
    check: &dyn Fn(&str) -> Option<String>,
) -> (String, String, Option<Value>) {
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(text) else { return (path.into(), message, None) };
    let join = |k: &str| if path.is_empty() { k.to_string() } else { format!("{path}.{k}") };
    for (k, v) in map {
        let one = |v: Value| Value::Object(Map::from_iter([(k.clone(), v)])).to_string();
        let Some(m) = check(&one(v.clone())) else { continue };
        // Descend into an array only when the field is one (an empty array passes).
        if let (Value::Array(items), None) = (&v, check(&one(Value::Array(Vec::new())))) {
            let items = items.clone();
            for (i, item) in items.into_iter().enumerate() {
                if let Some(m) = check(&one(Value::Array(vec![item.clone()]))) {
                    return (format!("{}[{i}]", join(&k)), m, Some(item));
                }
            }
            return (join(&k), m, None);
        }
        return (join(&k), m, Some(v));
    }
    (path.into(), message, None)
}

/// A serde error without its `at line 1 column 9` (positions of the probe, not the input).
pub(super) fn clean(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rsplit_once(" at line ") {
        Some((head, _)) => head.to_string(),
        None => s,
    }
}

/// 32 hex chars of SHA-256 over the canonical form of `v` (object keys sorted), so the same
/// content hashes the same whatever the key order on the wire.
pub(super) fn content_hash(v: &Value) -> String {
    let mut h = Sha256::new();
    feed(&mut h, v);
    crate::domain::events::hex_prefix(&h.finalize())
}

fn feed(h: &mut Sha256, v: &Value) {
    match v {
        Value::Null => h.update(b"n"),
        Value::Bool(b) => h.update(if *b { b"t" } else { b"f" }),
        Value::Number(n) => {
            h.update(b"#");
            h.update(n.to_string().as_bytes());
            h.update(b";");
        }
        Value::String(s) => feed_str(h, s),
        Value::Array(items) => {
            h.update(b"[");
            items.iter().for_each(|i| feed(h, i));
            h.update(b"]");
        }
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            h.update(b"{");
            for (k, v) in entries {
                feed_str(h, k);
                feed(h, v);
            }
            h.update(b"}");
        }
    }
}

fn feed_str(h: &mut Sha256, s: &str) {
    h.update(b"\"");
    h.update((s.len() as u64).to_le_bytes());
    h.update(s.as_bytes());
}
