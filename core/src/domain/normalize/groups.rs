//! The four `group_*` fields (docs/PROTOCOL.md §10.5): every `value.groups[]` element becomes
//! one `whatsapp.group.*` event and updates the local group record (`wapipe groups`).
//!
//! | field | event | record |
//! |---|---|---|
//! | `group_lifecycle_update` | `whatsapp.group.lifecycle` | `lifecycle` (created/deleted), subject, invite link |
//! | `group_participants_update` | `whatsapp.group.participants` | one [`keys::group_member`] item per participant |
//! | `group_settings_update` | `whatsapp.group.settings` | the newest successful subject and description |
//! | `group_status_update` | `whatsapp.group.status` | `suspended` |
//!
//! Each record attribute is guarded by the time of the webhook that set it, so the newest
//! wins whatever the order of delivery. Every `type` is open: one Meta adds later is published
//! as sent and leaves the record alone.

use serde_json::Value;

use super::common::{change_phone, loose_i64, loose_str, rest_of, Scope};
use crate::domain::envelope::DecodeError;
use crate::domain::events::EventType;
use crate::domain::ingest_plan::{fields, IngestPlan};
use crate::domain::keys;
use crate::domain::table::{Cond, Update, Write};

/// The members of a `groups[]` element the events carry by name (docs/PROTOCOL.md §10.5).
const GROUP_KEYS: &[&str] = &[
    "request_id",
    "errors",
    "subject",
    "description",
    "invite_link",
    "join_approval_mode",
    "reason",
    "initiated_by",
    "added_participants",
    "removed_participants",
    "failed_participants",
    "join_request_id",
    "wa_id",
    "user_id",
    "parent_user_id",
    "username",
    "profile_picture",
    "group_subject",
    "group_description",
];

/// The event type of a `group_*` field; `None` for any other field.
pub(super) fn event_type(field: &str) -> Option<EventType> {
    Some(match field {
        "group_lifecycle_update" => EventType::GroupLifecycle,
        "group_participants_update" => EventType::GroupParticipants,
        "group_settings_update" => EventType::GroupSettings,
        "group_status_update" => EventType::GroupStatus,
        _ => return None,
    })
}

pub(super) fn groups(s: &Scope<'_>, t: EventType, raw: &Value, out: &mut Vec<IngestPlan>) -> Result<(), DecodeError> {
    if !raw.is_object() {
        return Err(s.err(".value", "expected an object"));
    }
    let phone = change_phone(s, raw);
    for (i, g) in raw.get("groups").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let Value::Object(members) = g else { return Err(s.err(&format!(".value.groups[{i}]"), "expected an object")) };
        let group_id =
            loose_str(g, "group_id").ok_or_else(|| s.err(&format!(".value.groups[{i}].group_id"), "missing"))?;
        let kind = loose_str(g, "type").unwrap_or_default();
        let ts = loose_i64(g, "timestamp");
        let secs = s.secs(ts);
        // The members of every known type, as sent; the timestamp as a number; the rest in `extra`.
        let mut f = fields([
            ("group_id", group_id.as_str().into()),
            ("type", if kind.is_empty() { Value::Null } else { kind.as_str().into() }),
            ("timestamp", ts.map(Value::from).unwrap_or(Value::Null)),
            ("extra", rest_of(g, &[GROUP_KEYS, &["group_id", "type", "timestamp"]].concat())),
        ]);
        for key in GROUP_KEYS {
            if let Some(v) = members.get(*key).filter(|v| !v.is_null()) {
                f.insert((*key).into(), v.clone());
            }
        }
        let mut unit = s.item_unit(t, phone, &[&group_id, &kind], g, ts, f);
        unit.before = record(s, phone, &group_id, &kind, g, secs);
        out.push(unit);
    }
    Ok(())
}

/// The group record's writes for one element; none for a failed request or an unknown type.
fn record(s: &Scope<'_>, phone: &str, group_id: &str, kind: &str, g: &Value, secs: i64) -> Vec<Write> {
    let k = keys::group(phone, group_id);
    let failed = g.get("errors").and_then(Value::as_array).is_some_and(|e| !e.is_empty());
    let newest = |attr: &str, updates: Vec<Update>| Write::Update {
        pk: k.pk.clone(),
        sk: k.sk.clone(),
        updates: [
            vec![
                Update::SetIfMissing("group_id".into(), group_id.into()),
                Update::SetIfMissing("phone_number_id".into(), phone.into()),
                Update::SetIfMissing("waba_id".into(), s.waba_id.into()),
            ],
            updates,
            vec![Update::Set(format!("{attr}_at"), secs.into())],
        ]
        .concat(),
        cond: Some(Cond::missing_or_lt(&format!("{attr}_at"), secs)),
    };
    let text = |v: &Value, key: &str| loose_str(v, key).map(Value::from);
    match kind {
        "group_create" | "group_delete" if !failed => {
            let state = if kind == "group_create" { "created" } else { "deleted" };
            let mut writes = vec![newest("lifecycle", vec![Update::Set("lifecycle".into(), state.into())])];
            let mut once = Vec::new();
            for key in ["invite_link", "join_approval_mode"] {
                if let Some(v) = text(g, key) {
                    once.push(Update::SetIfMissing(format!("live_{key}"), v));
                }
            }
            if !once.is_empty() {
                writes.push(Write::Update { pk: k.pk.clone(), sk: k.sk.clone(), updates: once, cond: None });
            }
            let mut named = Vec::new();
            for key in ["subject", "description"] {
                if let Some(v) = text(g, key) {
                    named.push(Update::Set(format!("live_{key}"), v));
                }
            }
            if !named.is_empty() {
                // Shared with settings updates: the newest subject wins, whoever set it.
                writes.push(newest("subject", named));
            }
            writes
        }
        "group_suspend" | "group_suspend_cleared" => {
            vec![newest("suspension", vec![Update::Set("suspended".into(), (kind == "group_suspend").into())])]
        }
        "group_settings_update" => {
            let mut u = Vec::new();
            for key in ["group_subject", "group_description"] {
                let Some(part) = g.get(key) else { continue };
                if part.get("update_successful").and_then(Value::as_bool) == Some(false) {
                    continue;
                }
                if let Some(v) = text(part, "text") {
                    u.push(Update::Set(format!("live_{}", key.trim_start_matches("group_")), v));
                }
            }
            if u.is_empty() {
                Vec::new()
            } else {
                vec![newest("subject", u)]
            }
        }
        "group_participants_add" | "group_participants_remove" => {
            let (list, state) = if kind == "group_participants_add" {
                ("added_participants", "member")
            } else {
                ("removed_participants", "removed")
            };
            g.get(list)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|p| {
                    let who =
                        loose_str(p, "user_id").or_else(|| loose_str(p, "wa_id")).or_else(|| loose_str(p, "input"))?;
                    let m = keys::group_member(phone, group_id, &who);
                    let mut ids = vec![Update::SetIfMissing("group_id".into(), group_id.into())];
                    for key in ["wa_id", "user_id", "parent_user_id", "username", "input"] {
                        if let Some(v) = text(p, key) {
                            ids.push(Update::SetIfMissing(key.into(), v));
                        }
                    }
                    let state = vec![Update::Set("state".into(), state.into()), Update::Set("at".into(), secs.into())];
                    Some([
                        Write::Update { pk: m.pk.clone(), sk: m.sk.clone(), updates: ids, cond: None },
                        Write::Update {
                            pk: m.pk,
                            sk: m.sk,
                            updates: state,
                            cond: Some(Cond::missing_or_lt("at", secs)),
                        },
                    ])
                })
                .flatten()
                .collect()
        }
        _ => Vec::new(),
    }
}
