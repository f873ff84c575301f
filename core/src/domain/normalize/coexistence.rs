//! Coexistence: a number used both in the WhatsApp Business app and through the Cloud API
//! (docs/PROTOCOL.md §10.3).
//!
//! - `smb_message_echoes`: each echo is a message the business sent from the app. It becomes
//!   `whatsapp.message.echoed` and an **outbound** message record (`source: business_app`) that
//!   the status machine then moves like any other. An `edit` echo sets the original's edited
//!   content (the newest edit wins) and a `revoke` echo marks it revoked; each writes attributes
//!   of its own, so echo, edit and revoke in any order end in the same record.
//! - `history`: each chunk is stored whole in the table, in parts under the item limit
//!   ([`keys::history_part`]), idempotently by phase, chunk order and content; the event
//!   `whatsapp.history.progress` carries only counts and progress.
//! - `smb_app_state_sync`: each contact change becomes `whatsapp.contact.synced` and feeds the
//!   identity links ([`super::identity::links`]).
//!
//! Any of the three marks the number as a coexistence number ([`keys::coexistence`]): the send
//! worker then paces it at Meta's fixed 20 messages/s.

use serde_json::Value;

use super::common::{change_phone, content_hash, loose_any, loose_i64, loose_str, rest_of, Scope};
use super::identity::{links, Seen};
use crate::domain::envelope::DecodeError;
use crate::domain::events::EventType;
use crate::domain::ingest_plan::{fields, IngestPlan};
use crate::domain::keys;
use crate::domain::status::{DIRECTION, OUTBOUND};
use crate::domain::table::{Cond, Item, Update, Write};

/// The source recorded on messages sent from the WhatsApp Business app.
pub const BUSINESS_APP: &str = "business_app";

/// The write that marks `phone` as a coexistence number (idempotent, whatever the order).
fn coexistence_mark(phone: &str) -> Write {
    let k = keys::coexistence(phone);
    Write::Update { pk: k.pk, sk: k.sk, updates: vec![Update::Set("coexistence".into(), true.into())], cond: None }
}

/// Parts of a stored history chunk stay below DynamoDB's 400 KB item limit.
const HISTORY_PART_BYTES: usize = 300 * 1024;

const ECHO_KEYS: &[&str] = &["id", "from", "to", "to_user_id", "to_parent_user_id", "timestamp", "type"];

fn object<'v>(s: &Scope<'_>, raw: &'v Value) -> Result<&'v Value, DecodeError> {
    if raw.is_object() {
        Ok(raw)
    } else {
        Err(s.err(".value", "expected an object"))
    }
}

/// `smb_message_echoes`: one unit per `message_echoes[]` element.
pub(super) fn echoes(s: &Scope<'_>, raw: &Value, out: &mut Vec<IngestPlan>) -> Result<(), DecodeError> {
    let raw = object(s, raw)?;
    let phone = change_phone(s, raw);
    for (i, echo) in raw.get("message_echoes").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let wamid = loose_str(echo, "id").ok_or_else(|| s.err(&format!(".value.message_echoes[{i}].id"), "missing"))?;
        let kind = loose_str(echo, "type").unwrap_or_else(|| "unknown".into());
        let ts = loose_i64(echo, "timestamp");
        let secs = s.secs(ts);
        let content = echo.get(kind.as_str()).cloned().unwrap_or(Value::Null);
        let original = loose_str(&content, "original_message_id");
        let text = |k: &str| loose_str(echo, k).map(Value::from).unwrap_or(Value::Null);
        let f = fields([
            ("wamid", wamid.as_str().into()),
            ("type", kind.as_str().into()),
            ("source", BUSINESS_APP.into()),
            ("from", text("from")),
            ("to", text("to")),
            ("to_user_id", text("to_user_id")),
            ("to_parent_user_id", text("to_parent_user_id")),
            ("timestamp", ts.map(Value::from).unwrap_or(Value::Null)),
            ("original_message_id", original.as_deref().map(Value::from).unwrap_or(Value::Null)),
            ("content", content.clone()),
            ("extra", rest_of(echo, &[ECHO_KEYS, &[kind.as_str()]].concat())),
        ]);
        let mut unit = s.item_unit(EventType::MessageEchoed, phone, &[&wamid], echo, ts, f);
        let recipient = loose_any(echo, &["to", "to_user_id"]);
        unit.before = match (kind.as_str(), original.as_deref()) {
            ("edit", Some(orig)) => {
                let mut u = outbound(s, phone, orig, None);
                u.push(Update::Set("edited_content".into(), content.get("message").cloned().unwrap_or(Value::Null)));
                u.push(Update::Set("edited_at".into(), secs.into()));
                u.push(Update::Set("edit_wamid".into(), wamid.as_str().into()));
                vec![update(orig, u, Some(Cond::missing_or_lt("edited_at", secs)))]
            }
            ("revoke", Some(orig)) => {
                let mut u = outbound(s, phone, orig, None);
                u.push(Update::SetIfMissing("revoked_at".into(), secs.into()));
                u.push(Update::SetIfMissing("revoke_wamid".into(), wamid.as_str().into()));
                vec![update(orig, u, None)]
            }
            _ => {
                let mut u = outbound(s, phone, &wamid, recipient.as_deref());
                u.push(Update::SetIfMissing("type".into(), kind.as_str().into()));
                u.push(Update::SetIfMissing("timestamp".into(), secs.into()));
                u.push(Update::SetIfMissing("content".into(), content));
                if let Some(r) = recipient.as_deref() {
                    u.push(Update::SetIfMissing(keys::GSI1PK.into(), keys::contact_timeline(phone, r).into()));
                    u.push(Update::SetIfMissing(keys::GSI1SK.into(), keys::timeline_sort(secs, &wamid).into()));
                }
                vec![update(&wamid, u, None)]
            }
        };
        unit.before.push(coexistence_mark(phone));
        out.push(unit);
    }
    Ok(())
}

/// What every echo sets once on the message record it touches.
fn outbound(s: &Scope<'_>, phone: &str, wamid: &str, recipient: Option<&str>) -> Vec<Update> {
    let mut u = vec![
        Update::SetIfMissing(DIRECTION.into(), OUTBOUND.into()),
        Update::SetIfMissing("source".into(), BUSINESS_APP.into()),
        Update::SetIfMissing("wamid".into(), wamid.into()),
        Update::SetIfMissing("phone_number_id".into(), phone.into()),
        Update::SetIfMissing("waba_id".into(), s.waba_id.into()),
    ];
    if let Some(r) = recipient {
        u.push(Update::SetIfMissing("recipient_id".into(), r.into()));
    }
    u
}

fn update(wamid: &str, updates: Vec<Update>, cond: Option<Cond>) -> Write {
    let k = keys::message(wamid);
    Write::Update { pk: k.pk, sk: k.sk, updates, cond }
}

/// `history`: one unit per `history[]` element, its JSON stored in parts before the event.
pub(super) fn history(s: &Scope<'_>, raw: &Value, out: &mut Vec<IngestPlan>) -> Result<(), DecodeError> {
    let raw = object(s, raw)?;
    let phone = change_phone(s, raw);
    for chunk in raw.get("history").and_then(Value::as_array).into_iter().flatten() {
        let meta = chunk.get("metadata").cloned().unwrap_or(Value::Null);
        let phase = loose_str(&meta, "phase");
        let order = loose_i64(&meta, "chunk_order");
        let progress = loose_i64(&meta, "progress");
        let threads = chunk.get("threads").and_then(Value::as_array);
        let messages: usize = threads
            .into_iter()
            .flatten()
            .map(|t| t.get("messages").and_then(Value::as_array).map_or(0, Vec::len))
            .sum();
        let text = chunk.to_string();
        let hash = content_hash(chunk);
        let phase_part = phase.clone().unwrap_or_else(|| "-".into());
        let parts = split(&text, HISTORY_PART_BYTES);
        let first = keys::history_part(phone, &phase_part, order.unwrap_or(0), &hash, 0);
        let f = fields([
            ("phase", phase.as_deref().map(Value::from).unwrap_or(Value::Null)),
            ("chunk_order", order.map(Value::from).unwrap_or(Value::Null)),
            ("progress", progress.map(Value::from).unwrap_or(Value::Null)),
            ("threads", threads.map_or(0, Vec::len).into()),
            ("messages", messages.into()),
            ("bytes", text.len().into()),
            ("parts", parts.len().into()),
            ("stored_at", format!("{}/{}", first.pk, first.sk).into()),
            ("errors", chunk.get("errors").cloned().unwrap_or(Value::Null)),
        ]);
        let mut unit = s.item_unit(EventType::HistoryProgress, phone, &[&phase_part], chunk, None, f);
        let count = parts.len();
        unit.before = parts
            .into_iter()
            .enumerate()
            .map(|(i, part)| {
                let k = keys::history_part(phone, &phase_part, order.unwrap_or(0), &hash, i);
                let mut item = Item::new(k.pk, k.sk).with("part", i).with("parts", count).with("raw", part);
                if let Some(p) = progress {
                    item = item.with("progress", p);
                }
                Write::put(item)
            })
            .collect();
        unit.before.push(coexistence_mark(phone));
        out.push(unit);
    }
    Ok(())
}

/// `text` in pieces of at most `max` bytes, cut on character boundaries; at least one piece.
fn split(text: &str, max: usize) -> Vec<String> {
    let mut parts = Vec::new();
    let mut rest = text;
    while rest.len() > max {
        let mut cut = max;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let (head, tail) = rest.split_at(cut);
        parts.push(head.to_string());
        rest = tail;
    }
    parts.push(rest.to_string());
    parts
}

/// `smb_app_state_sync`: one unit per `state_sync[]` element.
pub(super) fn state_sync(s: &Scope<'_>, raw: &Value, out: &mut Vec<IngestPlan>) -> Result<(), DecodeError> {
    let raw = object(s, raw)?;
    let phone = change_phone(s, raw);
    for item in raw.get("state_sync").and_then(Value::as_array).into_iter().flatten() {
        let contact = item.get("contact").cloned().unwrap_or(Value::Null);
        let c = |k: &str| loose_str(&contact, k);
        let ts = item.get("metadata").and_then(|m| loose_i64(m, "timestamp"));
        let secs = s.secs(ts);
        let v = |o: Option<String>| o.map(Value::from).unwrap_or(Value::Null);
        let (user_id, phone_number) = (c("user_id"), c("phone_number"));
        let f = fields([
            ("type", v(loose_str(item, "type"))),
            ("action", v(loose_str(item, "action"))),
            ("user_id", v(user_id.clone())),
            ("parent_user_id", v(c("parent_user_id"))),
            ("username", v(c("username"))),
            ("phone_number", v(phone_number.clone())),
            ("full_name", v(c("full_name"))),
            ("first_name", v(c("first_name"))),
            ("timestamp", ts.map(Value::from).unwrap_or(Value::Null)),
            ("extra", rest_of(item, &["type", "action", "contact", "metadata"])),
        ]);
        let ids = [user_id.as_deref().unwrap_or_default()];
        let mut unit = s.item_unit(EventType::ContactSynced, phone, &ids, item, ts, f);
        if let Some(uid) = user_id.as_deref() {
            let wa = phone_number.as_deref().map(|p| p.trim_start_matches('+'));
            let parent = c("parent_user_id");
            let username = c("username");
            unit.before = links(&Seen {
                user_id: uid,
                wa_id: wa,
                parent_user_id: parent.as_deref(),
                username: username.as_deref(),
                secs,
                source: "smb_app_state_sync",
            });
        }
        unit.before.push(coexistence_mark(phone));
        out.push(unit);
    }
    Ok(())
}
