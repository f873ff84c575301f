//! What the readers of every webhook field share: the [`Scope`] of one change, decoding with
//! precise error paths, content hashes for event ids, and small value helpers. Nothing here
//! imports a field reader, so the readers depend on this module and never on each other's
//! internals.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::domain::envelope::{DecodeError, Layer};
use crate::domain::events::{from_epoch_secs, DomainEvent, Envelope, EventType};
use crate::domain::ingest_plan::{fields, IngestPlan, NormalizeContext};
use crate::domain::keys::{self, Key};
use crate::domain::table::{Item, Write};
use crate::domain::webhook::{self, to_json, Entry, WebhookError};

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
    pub fn seen_unit(&self, label: String, mark: Key, events: Vec<DomainEvent>) -> IngestPlan {
        let after = vec![Write::put(self.seen_item(&mark))];
        IngestPlan { label, mark, before: Vec::new(), events, after }
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

pub(super) fn entry_error(text: &str, e: serde_json::Error) -> DecodeError {
    if e.is_syntax() || e.is_eof() {
        return DecodeError::new(Layer::WebhookEntry, None, format!("invalid JSON: {e}"));
    }
    let check = |s: &str| serde_json::from_str::<Entry<'_>>(s).err().map(|e| clean(&e));
    let (path, message, found) = locate(text, "", clean(&e), &check);
    // One level deeper inside a change: `changes[0].field`.
    if let (true, Some(change)) = (path.starts_with("changes["), found) {
        let check = |s: &str| serde_json::from_str::<webhook::Change<'_>>(s).err().map(|e| clean(&e));
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

/// Oversized raw JSON goes on the unit's SEEN item (attribute `raw`); the event names its key.
pub(super) fn store_raw(unit: &mut IngestPlan, raw: String) {
    if let Some(Write::Put { item, .. }) = unit.after.first_mut() {
        item.attrs.insert("raw".into(), raw.into());
    }
}

/// Meta errors, flattened: `{code, title, message, details, href}`.
pub(super) fn errors_json(errors: &[WebhookError]) -> Value {
    Value::Array(
        errors
            .iter()
            .map(|e| {
                Value::Object(fields([
                    ("code", to_json(&e.code)),
                    ("title", to_json(&e.title)),
                    ("message", to_json(&e.message)),
                    ("details", to_json(&e.error_data.as_ref().and_then(|d| d.details.as_ref()))),
                    ("href", to_json(&e.href)),
                ]))
            })
            .collect(),
    )
}

pub(super) fn nonempty(s: Option<&str>) -> Option<&str> {
    s.filter(|s| !s.is_empty())
}

/// `v[key]` read loosely, as the 2026 fields need (docs/PROTOCOL.md §10.0): a string as sent,
/// a number as its decimal text, anything else (or an empty string) `None`.
pub(super) fn loose_str(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `v[key]` as an integer, from a number or a string of digits (timestamps, counts).
pub(super) fn loose_i64(v: &Value, key: &str) -> Option<i64> {
    match v.get(key)? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => webhook::epoch_secs(s),
        _ => None,
    }
}

/// The first of `keys` that `v` carries, read with [`loose_str`] (fields with two spellings).
pub(super) fn loose_any(v: &Value, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| loose_str(v, k))
}

/// An object's members other than `known`, or `None` when there are none: what a reader of
/// an open shape keeps so that nothing Meta adds is lost.
pub(super) fn rest_of(v: &Value, known: &[&str]) -> Value {
    match v {
        Value::Object(m) => {
            let rest: Map<String, Value> =
                m.iter().filter(|(k, _)| !known.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect();
            if rest.is_empty() {
                Value::Null
            } else {
                Value::Object(rest)
            }
        }
        _ => Value::Null,
    }
}

/// The phone number id a change names in `metadata`, else the envelope's.
pub(super) fn change_phone<'a>(s: &'a Scope<'_>, raw: &'a Value) -> &'a str {
    raw.pointer("/metadata/phone_number_id")
        .and_then(Value::as_str)
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| s.fallback_phone())
}

impl Scope<'_> {
    /// One unit for one element of a change's array (`calls[2]`, `groups[0]`): its event id
    /// hashes the field, the WABA, the phone, `ids` and the element's canonical JSON, so a
    /// redelivered element gets the same id and mark, and another element another.
    pub fn item_unit(
        &self,
        t: EventType,
        phone: &str,
        ids: &[&str],
        item: &Value,
        own_secs: Option<i64>,
        f: Map<String, Value>,
    ) -> IngestPlan {
        let hash = content_hash(item);
        let mut parts = vec![self.field, self.waba_id, phone];
        parts.extend_from_slice(ids);
        parts.push(&hash);
        let id = crate::domain::events::event_id(t, &parts);
        let mark = keys::seen(&format!("{}:{id}", self.field));
        let event = self.event(t, id, self.secs(own_secs), phone, f);
        self.seen_unit(format!("{} {t}", self.field), mark, vec![event])
    }
}
