//! Changes other than `messages`: one unit per change, marked `SEEN#{field}:{event_id}`.
//!
//! Their event ids hash the field, the WABA, the phone, the entry time, the natural ids and the
//! canonical value JSON: an identical redelivery gives the same id (and mark), a different
//! change a different one.

use serde_json::{json, Value};

use super::common::{clean, content_hash, decode, nonempty, store_raw, wa_id, Scope};
use super::{calls, coexistence, groups, identity};
use crate::domain::envelope::DecodeError;
use crate::domain::events::{event_id, EventType};
use crate::domain::ingest_plan::{fields, IngestPlan};
use crate::domain::keys;
use crate::domain::webhook::{
    epoch_secs, to_json, AccountUpdate, BusinessCapabilityUpdate, FlowsUpdate, PaymentConfigurationUpdate,
    PhoneNameUpdate, PhoneQualityUpdate, TemplateUpdate, UserPreferencesValue,
};

const TEMPLATE_FIELDS: &[(&str, &str)] = &[
    ("message_template_status_update", "status"),
    ("message_template_quality_update", "quality"),
    ("template_category_update", "category"),
    ("message_template_components_update", "components"),
];

const OTHER_FIELDS: &[&str] = &[
    "phone_number_quality_update",
    "phone_number_name_update",
    "account_update",
    "business_capability_update",
    "account_alerts",
    "user_preferences",
    "payment_configuration_update",
    "flows",
    // The 2026 platform (docs/PROTOCOL.md §10): read by their own modules.
    "calls",
    "smb_message_echoes",
    "history",
    "smb_app_state_sync",
    "user_id_update",
    "business_username_update",
    "group_lifecycle_update",
    "group_participants_update",
    "group_settings_update",
    "group_status_update",
];

/// Fields this module reads (besides `messages`); any other becomes `whatsapp.webhook.unknown`.
pub(super) fn is_known(field: &str) -> bool {
    field == "messages" || OTHER_FIELDS.contains(&field) || TEMPLATE_FIELDS.iter().any(|(f, _)| *f == field)
}

/// Parse `text` as `T` at `changes[i].value`.
macro_rules! read {
    ($s:expr, $text:expr, $ty:ty) => {{
        let check = |t: &str| serde_json::from_str::<$ty>(t).err().map(|e| clean(&e));
        decode::<$ty>($text, &format!("{}.value", $s.path), &check)
    }};
}

pub(super) fn change(s: &Scope<'_>, text: &str, out: &mut Vec<IngestPlan>) -> Result<(), DecodeError> {
    let raw: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    if !is_known(s.field) {
        out.push(unknown(s, text, &raw));
        return Ok(());
    }
    // The 2026 fields: one unit per element; a value with no element is kept whole as unknown.
    let before = out.len();
    let read = match s.field {
        "calls" => Some(calls::calls(s, &raw, out)),
        "smb_message_echoes" => Some(coexistence::echoes(s, &raw, out)),
        "history" => Some(coexistence::history(s, &raw, out)),
        "smb_app_state_sync" => Some(coexistence::state_sync(s, &raw, out)),
        "user_id_update" => Some(identity::user_id_update(s, &raw, out)),
        "business_username_update" => Some(identity::business_username(s, &raw, out)),
        f => groups::event_type(f).map(|t| groups::groups(s, t, &raw, out)),
    };
    if let Some(read) = read {
        read?;
        if out.len() == before {
            out.push(unknown(s, text, &raw));
        }
        return Ok(());
    }
    let hash = content_hash(&raw);
    let phone = raw.pointer("/metadata/phone_number_id").and_then(Value::as_str).filter(|p| !p.is_empty());
    let phone = phone.unwrap_or_else(|| s.fallback_phone());
    let one = |t: EventType, ids: &[&str], f| {
        let mut parts = vec![s.field, s.waba_id, phone];
        let time = s.time_part();
        parts.push(&time);
        parts.extend_from_slice(ids);
        parts.push(&hash);
        let id = event_id(t, &parts);
        let mark = keys::seen(&format!("{}:{id}", s.field));
        let event = s.event(t, id, s.secs(None), phone, f);
        s.seen_unit(format!("{} {}", s.field, t), mark, vec![event])
    };
    if let Some((_, change)) = TEMPLATE_FIELDS.iter().find(|(f, _)| *f == s.field) {
        let v = read!(s, text, TemplateUpdate)?;
        let id = need(s, "message_template_id", v.message_template_id.as_deref())?;
        let name = need(s, "message_template_name", v.message_template_name.as_deref())?;
        let language = need(s, "message_template_language", v.message_template_language.as_deref())?;
        let f = fields([
            ("change", (*change).into()),
            ("template_id", id.into()),
            ("template_name", name.into()),
            ("language", language.into()),
            ("category", to_json(&v.message_template_category)),
            ("event", to_json(&v.event)),
            ("reason", to_json(&v.reason)),
            ("rejection_info", to_json(&v.rejection_info)),
            ("other_info", to_json(&v.other_info)),
            ("disable_info", to_json(&v.disable_info)),
            ("previous_quality_score", to_json(&v.previous_quality_score)),
            ("new_quality_score", to_json(&v.new_quality_score)),
            ("previous_category", to_json(&v.previous_category)),
            ("new_category", to_json(&v.new_category)),
            ("correct_category", to_json(&v.correct_category)),
            ("element", to_json(&v.message_template_element)),
            ("title", to_json(&v.message_template_title)),
            ("footer", to_json(&v.message_template_footer)),
            ("buttons", to_json(&v.message_template_buttons)),
        ]);
        out.push(one(EventType::TemplateUpdated, &[id], f));
        return Ok(());
    }
    let unit = match s.field {
        "phone_number_quality_update" => {
            let v = read!(s, text, PhoneQualityUpdate)?;
            let f = match to_json(&v) {
                Value::Object(m) => m,
                _ => Default::default(),
            };
            one(EventType::PhoneQuality, &[], f)
        }
        "phone_number_name_update" => {
            let v = read!(s, text, PhoneNameUpdate)?;
            let f = match to_json(&v) {
                Value::Object(m) => m,
                _ => Default::default(),
            };
            one(EventType::PhoneName, &[], f)
        }
        "account_update" => {
            let v = read!(s, text, AccountUpdate)?;
            let f = fields([
                ("change", "account_update".into()),
                ("event", to_json(&v.event)),
                ("phone_number", to_json(&v.phone_number)),
                ("restriction_info", to_json(&v.restriction_info)),
                ("violation_info", to_json(&v.violation_info)),
                ("ban_info", to_json(&v.ban_info)),
                ("waba_info", to_json(&v.waba_info)),
                ("extra", extra(v.extra)),
            ]);
            one(EventType::AccountUpdated, &[], f)
        }
        "business_capability_update" => {
            let v = read!(s, text, BusinessCapabilityUpdate)?;
            let f = fields([
                ("change", "business_capability_update".into()),
                ("max_daily_conversation_per_phone", to_json(&v.max_daily_conversation_per_phone)),
                ("max_phone_numbers_per_business", to_json(&v.max_phone_numbers_per_business)),
                ("max_daily_conversations_per_business", to_json(&v.max_daily_conversations_per_business)),
                ("extra", extra(v.extra)),
            ]);
            one(EventType::AccountUpdated, &[], f)
        }
        "account_alerts" => {
            // Tolerant by design (docs/PROTOCOL.md §10.7): every field optional, every enum open,
            // everything else kept in `extra`.
            let mut rest = match raw.clone() {
                Value::Object(m) => m,
                _ => return Err(s.err(".value", "expected an object")),
            };
            let mut info = match rest.remove("alert_info") {
                Some(Value::Object(m)) => m,
                _ => Default::default(),
            };
            let text = |m: &mut serde_json::Map<String, Value>, k: &str| match m.remove(k) {
                Some(Value::String(v)) => Value::String(v),
                Some(Value::Number(n)) => Value::String(n.to_string()),
                _ => Value::Null,
            };
            let entity_type = text(&mut rest, "entity_type");
            let entity_id = text(&mut rest, "entity_id");
            let f = fields([
                ("entity_type", entity_type.clone()),
                ("entity_id", entity_id.clone()),
                ("alert_type", text(&mut info, "alert_type")),
                ("alert_severity", text(&mut info, "alert_severity")),
                ("alert_status", text(&mut info, "alert_status")),
                ("alert_description", text(&mut info, "alert_description")),
                ("extra", extra_of(rest, info)),
            ]);
            let ids = [entity_type.as_str().unwrap_or_default(), entity_id.as_str().unwrap_or_default()];
            one(EventType::AccountAlert, &ids, f)
        }
        "payment_configuration_update" => {
            let v = read!(s, text, PaymentConfigurationUpdate)?;
            let f = fields([
                ("configuration_name", to_json(&v.configuration_name)),
                ("provider_name", to_json(&v.provider_name)),
                ("provider_mid", to_json(&v.provider_mid)),
                ("status", to_json(&v.status)),
                ("created_timestamp", to_json(&v.created_timestamp)),
                ("updated_timestamp", to_json(&v.updated_timestamp)),
                ("extra", extra(v.extra)),
            ]);
            let name = v.configuration_name.as_deref().unwrap_or_default();
            one(EventType::PaymentConfiguration, &[name], f)
        }
        "flows" => {
            let v = read!(s, text, FlowsUpdate)?;
            let flow_id = v.flow_id.as_deref().unwrap_or_default().to_string();
            let f = fields([
                ("event", to_json(&v.event)),
                ("flow_id", to_json(&v.flow_id)),
                ("message", to_json(&v.message)),
                ("old_status", to_json(&v.old_status)),
                ("new_status", to_json(&v.new_status)),
                ("alert_state", to_json(&v.alert_state)),
                ("alert_severity", to_json(&v.alert_severity)),
                ("alert_status", to_json(&v.alert_status)),
                ("alert_description", to_json(&v.alert_description)),
                ("extra", extra(v.extra)),
            ]);
            one(EventType::FlowUpdated, &[&flow_id], f)
        }
        _ => return user_preferences(s, text, phone, &hash, out),
    };
    out.push(unit);
    Ok(())
}

/// `user_preferences`: one event per preference, in one unit.
fn user_preferences(
    s: &Scope<'_>,
    text: &str,
    phone: &str,
    hash: &str,
    out: &mut Vec<IngestPlan>,
) -> Result<(), DecodeError> {
    let v = read!(s, text, UserPreferencesValue)?;
    let t = EventType::UserPreferences;
    let mut events = Vec::new();
    let mut before = Vec::new();
    for (i, p) in v.user_preferences.iter().flatten().enumerate() {
        let who = nonempty(p.wa_id.as_deref()).map(wa_id);
        let user_id = nonempty(p.user_id.as_deref())
            .or_else(|| v.contacts.iter().flatten().find(|c| c.wa_id.as_deref().map(wa_id) == who)?.user_id.as_deref());
        let key = who.or(user_id).ok_or_else(|| s.err(&format!(".value.user_preferences[{i}].wa_id"), "missing"))?;
        let ts_text = p.timestamp.as_deref().unwrap_or_default();
        let secs = s.secs(epoch_secs(ts_text));
        let category = p.category.as_deref().unwrap_or_default();
        let value = p.value.as_deref().unwrap_or_default();
        let id = event_id(t, &[s.waba_id, phone, key, category, value, ts_text]);
        let f = fields([
            ("wa_id", who.into()),
            ("user_id", user_id.into()),
            ("category", category.into()),
            ("value", value.into()),
            ("detail", to_json(&p.detail)),
            ("timestamp", secs.into()),
        ]);
        events.push(s.event(t, id, secs, phone, f));
        if let Some(w) = opt_out_write(phone, key, category, value, secs) {
            before.push(w);
        }
    }
    let id = event_id(t, &[s.field, s.waba_id, phone, &s.time_part(), hash]);
    let mut unit =
        s.seen_unit(format!("user_preferences {}", events.len()), keys::seen(&format!("{}:{id}", s.field)), events);
    unit.before = before;
    out.push(unit);
    Ok(())
}

/// Marketing opt-out state on the contact window item (read by the send worker before any
/// marketing template): `marketing_opt_out` and the time it was set, newest wins.
fn opt_out_write(
    phone: &str,
    who: &str,
    category: &str,
    value: &str,
    secs: i64,
) -> Option<crate::domain::table::Write> {
    use crate::domain::table::{Cond, Update, Write};
    let opted_out = match (category, value) {
        ("marketing_messages", "stop") => true,
        ("marketing_messages", "resume" | "signup") => false,
        _ => return None,
    };
    let window = keys::contact_window(phone, who);
    Some(Write::Update {
        pk: window.pk,
        sk: window.sk,
        updates: vec![
            Update::Set("marketing_opt_out".into(), opted_out.into()),
            Update::Set("marketing_pref_at".into(), secs.into()),
        ],
        cond: Some(Cond::missing_or_lt("marketing_pref_at", secs)),
    })
}

/// A field this model does not read (anything new): kept whole.
pub(super) fn unknown(s: &Scope<'_>, text: &str, raw: &Value) -> IngestPlan {
    let t = EventType::WebhookUnknown;
    let phone = raw.pointer("/metadata/phone_number_id").and_then(Value::as_str).filter(|p| !p.is_empty());
    let phone = phone.unwrap_or_else(|| s.fallback_phone());
    let id = event_id(t, &[s.field, s.waba_id, phone, &s.time_part(), &content_hash(raw)]);
    let mark = keys::seen(&format!("{}:{id}", s.field));
    let oversized = text.len() > s.ctx.max_inline_raw_bytes;
    let value = if oversized { json!({ "stored_at": mark.pk }) } else { raw.clone() };
    let f = fields([("field", s.field.into()), ("value", value)]);
    let event = s.event(t, id, s.secs(None), phone, f);
    let mut unit = s.seen_unit(format!("unknown field {}", s.field), mark, vec![event]);
    if oversized {
        store_raw(&mut unit, text.to_string());
    }
    unit
}

fn need<'v>(s: &Scope<'_>, name: &str, v: Option<&'v str>) -> Result<&'v str, DecodeError> {
    nonempty(v).ok_or_else(|| s.err(&format!(".value.{name}"), "missing"))
}

/// What an `account_alerts` value carried beyond the fields read: the rest of the value and of
/// its `alert_info`, or nothing.
fn extra_of(rest: serde_json::Map<String, Value>, info: serde_json::Map<String, Value>) -> Value {
    let mut out = rest;
    if !info.is_empty() {
        out.insert("alert_info".into(), Value::Object(info));
    }
    extra(out)
}

fn extra(m: serde_json::Map<String, Value>) -> Value {
    if m.is_empty() {
        Value::Null
    } else {
        Value::Object(m)
    }
}
