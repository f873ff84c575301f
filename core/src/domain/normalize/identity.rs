//! Who a user is: the links between a phone `wa_id`, a business-scoped user id (BSUID), a
//! parent BSUID and a username (docs/PROTOCOL.md §10.1), learnt from every webhook that carries
//! more than one of them, with history kept.
//!
//! Fields read here: `user_id_update` (a user's BSUID changed) and `business_username_update`
//! (the business number's own username). [`links`] is what the other readers call when a
//! webhook names a user by several ids (`smb_app_state_sync`, inbound messages).
//!
//! Writes, all idempotent and order-free: `IDENTITY#{bsuid}/CURRENT` takes the phone and parent
//! first seen and the newest username; `IDENTITY#{bsuid}/OBS#…` keeps each combination of ids seen, with when it was first seen;
//! `IDENTITY#WA#{wa_id}/CURRENT` points the phone at the BSUID seen latest.

use serde_json::Value;

use super::common::{change_phone, content_hash, loose_i64, loose_str, rest_of, Scope};
use crate::domain::envelope::DecodeError;
use crate::domain::events::EventType;
use crate::domain::ingest_plan::{fields, IngestPlan};
use crate::domain::keys;
use crate::domain::table::{Cond, Update, Write};

/// One observation of a user's ids.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Seen<'a> {
    /// The BSUID (`user_id`), the key of the identity.
    pub user_id: &'a str,
    /// The phone `wa_id`, when the webhook carried it.
    pub wa_id: Option<&'a str>,
    /// The parent BSUID, when parent BSUIDs are enabled.
    pub parent_user_id: Option<&'a str>,
    /// The username, when the user adopted one.
    pub username: Option<&'a str>,
    /// When the webhook says this was true (epoch seconds).
    pub secs: i64,
    /// What told us (`messages`, `user_id_update`, …), kept on the observation.
    pub source: &'a str,
}

/// The writes that record one observation. Nothing when it links no two ids (a BSUID alone
/// teaches nothing the message does not already say).
pub fn links(seen: &Seen<'_>) -> Vec<Write> {
    if seen.user_id.is_empty() || (seen.wa_id.is_none() && seen.parent_user_id.is_none() && seen.username.is_none()) {
        return Vec::new();
    }
    let current = keys::identity(seen.user_id);
    // A BSUID's phone and parent do not change (a new phone gets a new BSUID): the first seen stays.
    let mut once = vec![Update::SetIfMissing("user_id".into(), seen.user_id.into())];
    for (attr, v) in [("wa_id", seen.wa_id), ("parent_user_id", seen.parent_user_id)] {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            once.push(Update::SetIfMissing(attr.into(), v.into()));
        }
    }
    let observed = serde_json::json!([seen.user_id, seen.wa_id, seen.parent_user_id, seen.username]);
    let id = content_hash(&observed);
    let at = keys::identity_observation(seen.user_id, &id);
    let mut first =
        vec![Update::Set("source".into(), seen.source.into()), Update::Set("first_at".into(), seen.secs.into())];
    for (attr, v) in [("wa_id", seen.wa_id), ("parent_user_id", seen.parent_user_id), ("username", seen.username)] {
        if let Some(v) = v {
            first.push(Update::SetIfMissing(attr.into(), v.into()));
        }
    }
    // The earliest sighting wins: `first_at` only moves back.
    let earliest =
        Cond::Or(vec![Cond::AttrMissing("first_at".into()), Cond::AttrGt("first_at".into(), seen.secs.into())]);
    let mut writes = vec![
        Write::Update { pk: current.pk.clone(), sk: current.sk.clone(), updates: once, cond: None },
        Write::Update { pk: at.pk, sk: at.sk, updates: first, cond: Some(earliest) },
    ];
    // A username can change: the newest wins, guarded by its own time.
    if let Some(name) = seen.username.filter(|v| !v.is_empty()) {
        writes.push(Write::Update {
            pk: current.pk,
            sk: current.sk,
            updates: vec![
                Update::Set("username".into(), name.into()),
                Update::Set("username_at".into(), seen.secs.into()),
            ],
            cond: Some(Cond::missing_or_lt("username_at", seen.secs)),
        });
    }
    if let Some(wa) = seen.wa_id.filter(|w| !w.is_empty()) {
        let k = keys::identity_of_phone(wa);
        writes.push(Write::Update {
            pk: k.pk,
            sk: k.sk,
            updates: vec![
                Update::Set("user_id".into(), seen.user_id.into()),
                Update::Set("at".into(), seen.secs.into()),
            ],
            cond: Some(Cond::missing_or_lt("at", seen.secs)),
        });
    }
    writes
}

/// A user's BSUID changed from `previous` to `current`: the new one takes the phone and parent,
/// the old one records what replaced it (the newest change wins).
pub(super) fn changed(
    previous: Option<&str>,
    current: &str,
    wa_id: Option<&str>,
    parent: Option<&str>,
    secs: i64,
    source: &str,
) -> Vec<Write> {
    let mut writes = links(&Seen { user_id: current, wa_id, parent_user_id: parent, username: None, secs, source });
    if let Some(prev) = previous.filter(|p| !p.is_empty() && *p != current) {
        let k = keys::identity(prev);
        writes.push(Write::Update {
            pk: k.pk,
            sk: k.sk,
            updates: vec![
                Update::SetIfMissing("user_id".into(), prev.into()),
                Update::Set("replaced_by".into(), current.into()),
                Update::Set("replaced_at".into(), secs.into()),
            ],
            cond: Some(Cond::missing_or_lt("replaced_at", secs)),
        });
    }
    writes
}

/// `user_id_update`: one `whatsapp.user.id-changed` per element; the new BSUID inherits the
/// phone and parent, the old one records what replaced it.
pub(super) fn user_id_update(s: &Scope<'_>, raw: &Value, out: &mut Vec<IngestPlan>) -> Result<(), DecodeError> {
    if !raw.is_object() {
        return Err(s.err(".value", "expected an object"));
    }
    let phone = change_phone(s, raw);
    for item in raw.get("user_id_update").and_then(Value::as_array).into_iter().flatten() {
        let pair = |k: &str, which: &str| item.get(k).and_then(|p| loose_str(p, which));
        let (previous, current) = (pair("user_id", "previous"), pair("user_id", "current"));
        let (parent_previous, parent_current) = (pair("parent_user_id", "previous"), pair("parent_user_id", "current"));
        let wa_id = loose_str(item, "wa_id");
        let ts = loose_i64(item, "timestamp");
        let secs = s.secs(ts);
        let v = |o: &Option<String>| o.as_deref().map(Value::from).unwrap_or(Value::Null);
        let f = fields([
            ("wa_id", v(&wa_id)),
            ("previous_user_id", v(&previous)),
            ("user_id", v(&current)),
            ("previous_parent_user_id", v(&parent_previous)),
            ("parent_user_id", v(&parent_current)),
            ("detail", item.get("detail").cloned().unwrap_or(Value::Null)),
            ("timestamp", ts.map(Value::from).unwrap_or(Value::Null)),
            ("extra", rest_of(item, &["wa_id", "user_id", "parent_user_id", "detail", "timestamp"])),
        ]);
        let ids = [previous.as_deref().unwrap_or_default(), current.as_deref().unwrap_or_default()];
        let mut unit = s.item_unit(EventType::UserIdChanged, phone, &ids, item, ts, f);
        if let Some(cur) = current.as_deref() {
            unit.before =
                changed(previous.as_deref(), cur, wa_id.as_deref(), parent_current.as_deref(), secs, "user_id_update");
        }
        out.push(unit);
    }
    Ok(())
}

/// `business_username_update`: the business number's username was approved, reserved or deleted.
pub(super) fn business_username(s: &Scope<'_>, raw: &Value, out: &mut Vec<IngestPlan>) -> Result<(), DecodeError> {
    if !raw.is_object() {
        return Err(s.err(".value", "expected an object"));
    }
    let phone = change_phone(s, raw);
    let text = |k: &str| loose_str(raw, k).map(Value::from).unwrap_or(Value::Null);
    let f = fields([
        ("display_phone_number", text("display_phone_number")),
        ("username", text("username")),
        ("status", text("status")),
        ("extra", rest_of(raw, &["display_phone_number", "username", "status", "metadata", "messaging_product"])),
    ]);
    let time = s.time_part();
    out.push(s.item_unit(EventType::PhoneUsername, phone, &[&time], raw, None, f));
    Ok(())
}
