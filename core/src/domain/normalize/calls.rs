//! The `calls` field (docs/PROTOCOL.md §10.2): `calls[]` (connect, terminate) and `statuses[]`
//! (RINGING, ACCEPTED, REJECTED of business-initiated calls) become `whatsapp.call.*` events,
//! one unit each, and move the call record [`keys::call`].
//!
//! The record is written so that any order of delivery, duplicates included, ends in the same
//! item: each webhook sets only its own attributes (once), and the `state` moves forward only,
//! guarded by its rank (RINGING 1, ACCEPTED/REJECTED 2, COMPLETED/FAILED 3).
//!
//! Every enum is open: an `event` or `status` Meta adds later is published as sent and leaves the
//! state where it is.
//!
//! Replies to call permission requests (a `messages` webhook) are linked here too
//! ([`permission_reply`]): on the request's message record and as the user's permission.

use serde_json::{Map, Value};

use super::common::{change_phone, errors_json, loose_any, loose_i64, loose_str, rest_of, Scope};
use crate::domain::envelope::DecodeError;
use crate::domain::events::EventType;
use crate::domain::ingest_plan::{fields, IngestPlan};
use crate::domain::keys;
use crate::domain::table::{Cond, Update, Write};
use crate::domain::webhook::WebhookError;

/// The members of a `calls[]` element read into the event; the rest is kept under `extra`.
const CALL_KEYS: &[&str] = &[
    "id",
    "event",
    "direction",
    "from",
    "to",
    "from_user_id",
    "from_parent_user_id",
    "to_user_id",
    "to_parent_user_id",
    "timestamp",
    "status",
    "start_time",
    "end_time",
    "duration",
    "biz_opaque_callback_data",
    "cta_payload",
    "session",
    "errors",
];

/// The members of a call `statuses[]` element read into the event.
const STATUS_KEYS: &[&str] = &[
    "id",
    "type",
    "status",
    "timestamp",
    "recipient_id",
    "recipient_user_id",
    "recipient_parent_user_id",
    "parent_recipient_user_id",
    "biz_opaque_callback_data",
    "errors",
];

/// How far a call state is along RINGING → ACCEPTED/REJECTED → COMPLETED/FAILED; 0 for a state
/// this table does not know (recorded as an attribute, never as the state).
pub fn state_rank(state: &str) -> i64 {
    match state.to_ascii_uppercase().as_str() {
        "RINGING" => 1,
        "ACCEPTED" | "REJECTED" => 2,
        "COMPLETED" | "FAILED" => 3,
        _ => 0,
    }
}

pub(super) fn calls(s: &Scope<'_>, raw: &Value, out: &mut Vec<IngestPlan>) -> Result<(), DecodeError> {
    if !raw.is_object() {
        return Err(s.err(".value", "expected an object"));
    }
    let phone = change_phone(s, raw);
    let errors = value_errors(raw);
    for (i, call) in raw.get("calls").and_then(Value::as_array).into_iter().flatten().enumerate() {
        out.push(call_unit(s, phone, call, &errors).ok_or_else(|| s.err(&format!(".value.calls[{i}].id"), "missing"))?);
    }
    for (i, st) in raw.get("statuses").and_then(Value::as_array).into_iter().flatten().enumerate() {
        out.push(status_unit(s, phone, st).ok_or_else(|| s.err(&format!(".value.statuses[{i}].id"), "missing"))?);
    }
    Ok(())
}

/// `value.errors[]`, flattened as every event carries them; `Null` when there are none.
fn value_errors(raw: &Value) -> Value {
    match raw.get("errors").map(|e| serde_json::from_value::<Vec<WebhookError>>(e.clone())) {
        Some(Ok(list)) if !list.is_empty() => errors_json(&list),
        Some(Err(_)) => raw.get("errors").cloned().unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

fn call_unit(s: &Scope<'_>, phone: &str, call: &Value, errors: &Value) -> Option<IngestPlan> {
    let wacid = loose_str(call, "id")?;
    let event = loose_str(call, "event").unwrap_or_default();
    let ts = loose_i64(call, "timestamp");
    let t = match event.to_ascii_lowercase().as_str() {
        "connect" => EventType::CallConnect,
        "terminate" => EventType::CallTerminated,
        _ => EventType::CallStatus,
    };
    let text = |k: &str| loose_str(call, k).map(Value::from).unwrap_or(Value::Null);
    let int = |k: &str| loose_i64(call, k).map(Value::from).unwrap_or(Value::Null);
    let status = loose_str(call, "status");
    let f = fields([
        ("call_id", wacid.as_str().into()),
        ("event", if event.is_empty() { Value::Null } else { event.as_str().into() }),
        ("direction", text("direction")),
        ("from", text("from")),
        ("to", text("to")),
        ("from_user_id", text("from_user_id")),
        ("from_parent_user_id", text("from_parent_user_id")),
        ("to_user_id", text("to_user_id")),
        ("to_parent_user_id", text("to_parent_user_id")),
        ("timestamp", int("timestamp")),
        ("status", status.as_deref().map(Value::from).unwrap_or(Value::Null)),
        ("start_time", int("start_time")),
        ("end_time", int("end_time")),
        ("duration", int("duration")),
        ("biz_opaque_callback_data", text("biz_opaque_callback_data")),
        ("cta_payload", text("cta_payload")),
        ("session", call.get("session").cloned().unwrap_or(Value::Null)),
        ("errors", call.get("errors").cloned().unwrap_or_else(|| errors.clone())),
        ("extra", rest_of(call, CALL_KEYS)),
    ]);
    let secs = s.secs(ts);
    let mut once: Vec<(String, Value)> = Vec::new();
    let mut state = None;
    match t {
        EventType::CallConnect => {
            for k in
                ["direction", "from", "to", "from_user_id", "to_user_id", "from_parent_user_id", "to_parent_user_id"]
            {
                once.push((k.into(), text(k)));
            }
            once.push(("connected_at".into(), secs.into()));
            state = Some("RINGING".to_string());
        }
        EventType::CallTerminated => {
            for k in ["start_time", "end_time", "duration"] {
                once.push((k.into(), int(k)));
            }
            once.push(("terminated_at".into(), secs.into()));
            once.push(("end_status".into(), status.as_deref().map(Value::from).unwrap_or(Value::Null)));
            // A terminate without a status still ends the call.
            state = Some(status.clone().filter(|s| state_rank(s) == 3).unwrap_or_else(|| "COMPLETED".into()));
        }
        _ => {}
    }
    once.push(("biz_opaque_callback_data".into(), text("biz_opaque_callback_data")));
    let mut unit = s.item_unit(t, phone, &[&wacid], call, ts, f);
    unit.before = record_writes(s, phone, &wacid, once, state.as_deref());
    Some(unit)
}

fn status_unit(s: &Scope<'_>, phone: &str, st: &Value) -> Option<IngestPlan> {
    let wacid = loose_str(st, "id")?;
    let status = loose_str(st, "status");
    let ts = loose_i64(st, "timestamp");
    let text = |k: &[&str]| loose_any(st, k).map(Value::from).unwrap_or(Value::Null);
    let f = fields([
        ("call_id", wacid.as_str().into()),
        ("status", status.as_deref().map(Value::from).unwrap_or(Value::Null)),
        ("timestamp", ts.map(Value::from).unwrap_or(Value::Null)),
        ("recipient_id", text(&["recipient_id"])),
        ("recipient_user_id", text(&["recipient_user_id"])),
        ("recipient_parent_user_id", text(&["recipient_parent_user_id", "parent_recipient_user_id"])),
        ("biz_opaque_callback_data", text(&["biz_opaque_callback_data"])),
        ("errors", st.get("errors").cloned().unwrap_or(Value::Null)),
        ("extra", rest_of(st, STATUS_KEYS)),
    ]);
    let secs = s.secs(ts);
    let mut once = vec![("biz_opaque_callback_data".to_string(), text(&["biz_opaque_callback_data"]))];
    let known = status.as_deref().filter(|s| state_rank(s) > 0);
    if let Some(st) = &status {
        // `ringing_at`, `accepted_at`, …: when each status first arrived, known or not.
        let attr: String = st.to_ascii_lowercase().chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        if !attr.is_empty() {
            once.push((format!("{attr}_at"), secs.into()));
        }
    }
    let mut unit = s.item_unit(EventType::CallStatus, phone, &[&wacid], st, ts, f);
    unit.before = record_writes(s, phone, &wacid, once, known);
    Some(unit)
}

/// The call record's writes: the attributes this webhook owns, each set once; then the state,
/// only if it moves forward.
fn record_writes(
    s: &Scope<'_>,
    phone: &str,
    wacid: &str,
    once: Vec<(String, Value)>,
    state: Option<&str>,
) -> Vec<Write> {
    let k = keys::call(phone, wacid);
    let mut updates: Vec<Update> = vec![
        Update::SetIfMissing("call_id".into(), wacid.into()),
        Update::SetIfMissing("phone_number_id".into(), phone.into()),
        Update::SetIfMissing("waba_id".into(), s.waba_id.into()),
    ];
    updates.extend(once.into_iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| Update::SetIfMissing(k, v)));
    let mut writes = vec![Write::Update { pk: k.pk.clone(), sk: k.sk.clone(), updates, cond: None }];
    if let Some(state) = state {
        let rank = state_rank(state);
        writes.push(Write::Update {
            pk: k.pk,
            sk: k.sk,
            updates: vec![
                Update::Set("state".into(), state.to_ascii_uppercase().into()),
                Update::Set("state_rank".into(), rank.into()),
            ],
            cond: Some(Cond::missing_or_lt("state_rank", rank)),
        });
    }
    writes
}

/// A user's answer to a call permission request (`interactive.call_permission_reply`).
pub struct PermissionReply<'a> {
    /// The business number (Meta phone number id).
    pub phone: &'a str,
    /// The user: `wa_id`, else BSUID.
    pub user: &'a str,
    /// The reply's own wamid.
    pub wamid: &'a str,
    /// The request it answers (`context.id`), when given.
    pub request_wamid: Option<&'a str>,
    /// `accept` | `reject` (open).
    pub response: Option<&'a str>,
    /// When a temporary permission ends (epoch seconds).
    pub expiration: Option<i64>,
    /// True for a permission that does not expire.
    pub is_permanent: Option<bool>,
    /// When the user answered (epoch seconds).
    pub secs: i64,
}

/// The writes of a permission reply: the reply linked on the request's message record (each
/// reply once, the newest as `call_permission`), and the user's permission under
/// [`keys::call_permission`], the newest answer winning.
pub(super) fn permission_reply(r: &PermissionReply<'_>) -> Vec<Write> {
    let mut answer = serde_json::Map::new();
    answer.insert("reply_wamid".into(), r.wamid.into());
    answer.insert("at".into(), r.secs.into());
    if let Some(v) = r.response {
        answer.insert("response".into(), v.into());
    }
    if let Some(t) = r.expiration {
        answer.insert("expiration".into(), t.into());
    }
    if let Some(p) = r.is_permanent {
        answer.insert("is_permanent".into(), p.into());
    }
    let answer = Value::Object(answer);
    let newest = |pk: String, sk: String, attr: &str| Write::Update {
        pk,
        sk,
        updates: vec![Update::Set(attr.into(), answer.clone()), Update::Set(format!("{attr}_at"), r.secs.into())],
        cond: Some(Cond::missing_or_lt(&format!("{attr}_at"), r.secs)),
    };
    let k = keys::call_permission(r.phone, r.user);
    let mut writes = vec![newest(k.pk, k.sk, "permission")];
    if let Some(req) = r.request_wamid {
        let m = keys::message(req);
        writes.push(newest(m.pk, m.sk, "call_permission_reply"));
    }
    writes
}

/// The call record's fields as `wapipe calling` shows them (an item read back).
pub fn record_view(item: &crate::domain::table::Item) -> Map<String, Value> {
    let mut m: Map<String, Value> = item.attrs.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    m.remove("state_rank");
    m
}
