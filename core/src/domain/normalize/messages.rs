//! The `messages` field: its value, statuses, payment statuses and value-level errors.

use serde_json::{json, Value};

use super::common::{clean, content_hash, decode, errors_json, nonempty, store_raw, wa_id, Scope};
use super::{fields, message};
use crate::domain::envelope::DecodeError;
use crate::domain::events::{event_id, EventType};
use crate::domain::ingest_plan::{fields, IngestPlan};
use crate::domain::keys;
use crate::domain::webhook::{epoch_secs, to_json, MessagesValue, Status, WebhookError};

/// A `messages` change: one unit per message and per status, one for value-level errors.
pub(super) fn messages(s: &Scope<'_>, text: &str, out: &mut Vec<IngestPlan>) -> Result<(), DecodeError> {
    let path = format!("{}.value", s.path);
    let check = |t: &str| serde_json::from_str::<MessagesValue<'_>>(t).err().map(|e| clean(&e));
    let value: MessagesValue<'_> = decode(text, &path, &check)?;
    let phone = match value.metadata.as_ref().and_then(|m| m.phone_number_id.as_deref()) {
        Some(p) if !p.is_empty() => p,
        _ => return Err(s.err(".value.metadata.phone_number_id", "missing")),
    };
    let contacts = value.contacts.as_deref().unwrap_or_default();
    let before = out.len();
    for (i, raw) in value.messages.iter().flatten().enumerate() {
        out.push(message::unit(s, phone, contacts, i, raw.get())?);
    }
    // The envelope's EUM message id names a status only when that status is all it carries.
    let statuses = value.statuses.as_deref().unwrap_or_default();
    let alone = statuses.len() == 1 && value.messages.as_ref().is_none_or(|m| m.is_empty());
    let eum_id = s.ctx.eum_message_id.filter(|id| alone && !id.is_empty());
    for (i, st) in statuses.iter().enumerate() {
        out.push(status(s, phone, i, st, eum_id)?);
    }
    if let Some(errors) = value.errors.as_deref().filter(|e| !e.is_empty()) {
        out.push(value_errors(s, phone, errors));
    }
    if out.len() == before {
        // Nothing this model knows how to read: keep it whole rather than drop it.
        let raw: Value = serde_json::from_str(text).unwrap_or(Value::Null);
        out.push(fields::unknown(s, text, &raw));
    }
    Ok(())
}

fn status(s: &Scope<'_>, phone: &str, i: usize, st: &Status, eum_id: Option<&str>) -> Result<IngestPlan, DecodeError> {
    let rel = format!(".value.statuses[{i}]");
    if st.kind.as_deref() == Some("payment") {
        return payment(s, phone, &rel, st);
    }
    let wamid = nonempty(st.id.as_deref()).ok_or_else(|| s.err(&format!("{rel}.id"), "missing"))?;
    let status = nonempty(st.status.as_deref()).ok_or_else(|| s.err(&format!("{rel}.status"), "missing"))?;
    let ts_text = st.timestamp.as_deref().unwrap_or_default();
    let secs = s.secs(epoch_secs(ts_text));
    // Both spellings Meta uses are read; the first one present wins.
    let participant_field = st.recipient_participant_id.as_ref().or(st.participant_recipient_id.as_ref());
    let parent_user = st.parent_recipient_user_id.as_ref().or(st.recipient_parent_user_id.as_ref());
    let participant = participant_field.map(|p| &p.0[..]).unwrap_or_default();
    // Group statuses come once per participant: the participant is part of the identity.
    let mut mark = format!("status:{wamid}:{status}:{ts_text}");
    if !participant.is_empty() {
        mark.push(':');
        mark.push_str(participant);
    }
    let id = event_id(EventType::MessageStatus, &[wamid, status, ts_text, participant]);
    let conversation = st.conversation.as_ref().map(|c| {
        Value::Object(fields([
            ("id", to_json(&c.id)),
            ("expiration_timestamp", c.expiration_timestamp.as_deref().and_then(epoch_secs).into()),
            ("origin_type", to_json(&c.origin.as_ref().and_then(|o| o.kind.as_ref()))),
        ]))
    });
    let pricing = st.pricing.as_ref().map(|p| {
        Value::Object(fields([
            ("billable", to_json(&p.billable)),
            ("pricing_model", to_json(&p.pricing_model)),
            ("category", to_json(&p.category)),
            ("type", to_json(&p.kind)),
        ]))
    });
    let detail = fields([
        ("wamid", wamid.into()),
        ("status", status.into()),
        ("timestamp", secs.into()),
        ("recipient_id", st.recipient_id.as_deref().map(wa_id).into()),
        ("recipient_user_id", to_json(&st.recipient_user_id)),
        ("parent_recipient_user_id", to_json(&parent_user)),
        ("recipient_type", to_json(&st.recipient_type)),
        ("recipient_participant_id", to_json(&participant_field)),
        ("biz_opaque_callback_data", to_json(&st.biz_opaque_callback_data)),
        ("conversation", conversation.into()),
        ("pricing", pricing.into()),
        ("errors", st.errors.as_deref().map(errors_json).into()),
        ("eum_message_id", eum_id.into()),
    ]);
    let event = s.event(EventType::MessageStatus, id, secs, phone, detail);
    let mut unit = s.seen_unit(format!("status {wamid} {status}"), keys::seen(&mark), vec![event]);
    // A `sent` status to one user names both the phone and the BSUID: the identity learns the
    // link once per message (not on every status: three writes each at campaign scale).
    let to_user = st.recipient_type.as_deref() != Some("group") && status == "sent";
    if let (true, Some(phone_id), Some(user)) =
        (to_user, nonempty(st.recipient_id.as_deref()).map(wa_id), nonempty(st.recipient_user_id.as_deref()))
    {
        unit.before = super::identity::links(&super::identity::Seen {
            user_id: user,
            wa_id: Some(phone_id),
            parent_user_id: nonempty(parent_user.map(|p| &p.0[..])),
            username: None,
            secs,
            source: "statuses",
        });
    }
    Ok(unit)
}

/// A payment status (`type: "payment"`, docs/PROTOCOL.md §6.2) → `whatsapp.payment.updated`.
fn payment(s: &Scope<'_>, phone: &str, rel: &str, st: &Status) -> Result<IngestPlan, DecodeError> {
    let p = st.payment.as_ref().ok_or_else(|| s.err(&format!("{rel}.payment"), "missing"))?;
    let reference =
        nonempty(p.reference_id.as_deref()).ok_or_else(|| s.err(&format!("{rel}.payment.reference_id"), "missing"))?;
    let status = nonempty(st.status.as_deref()).ok_or_else(|| s.err(&format!("{rel}.status"), "missing"))?;
    let ts_text = st.timestamp.as_deref().unwrap_or_default();
    let secs = s.secs(epoch_secs(ts_text));
    // A later webhook for the same payment (a refund, a transaction update) differs in content.
    let hash = content_hash(&to_json(st));
    let id = event_id(EventType::PaymentUpdated, &[reference, status, ts_text, &hash]);
    let transaction = p.transaction.as_ref().map(|t| {
        let mut t = t.clone();
        t.refunds = None;
        to_json(&t)
    });
    let refunds = p.transaction.as_ref().and_then(|t| t.refunds.as_ref()).map(to_json);
    let detail = fields([
        ("wamid", to_json(&st.id)),
        ("reference_id", reference.into()),
        ("status", status.into()),
        ("amount", to_json(&p.amount)),
        ("currency", to_json(&p.currency)),
        ("receipt", to_json(&p.receipt)),
        ("transaction", transaction.into()),
        ("refunds", refunds.into()),
        ("from", st.from.as_deref().map(wa_id).into()),
        ("timestamp", secs.into()),
    ]);
    let event = s.event(EventType::PaymentUpdated, id.clone(), secs, phone, detail);
    Ok(s.seen_unit(format!("payment {status}"), keys::seen(&format!("payment:{id}")), vec![event]))
}

/// Value-level errors (system or app problems, no message or status) → `whatsapp.webhook.errors`.
fn value_errors(s: &Scope<'_>, phone: &str, errors: &[WebhookError]) -> IngestPlan {
    let list = errors_json(errors);
    let hash = content_hash(&list);
    let id = event_id(EventType::WebhookErrors, &[s.waba_id, phone, &s.time_part(), &hash]);
    let mark = keys::seen(&format!("errors:{id}"));
    let mut list = list;
    let mut raw = None;
    if list.to_string().len() > s.ctx.max_inline_raw_bytes {
        raw = Some(list.to_string());
        list = json!({ "stored_at": mark.pk });
    }
    let secs = s.secs(None);
    let detail = fields([("errors", list)]);
    let event = s.event(EventType::WebhookErrors, id, secs, phone, detail);
    let mut unit = s.seen_unit(format!("errors {}", errors.len()), mark, vec![event]);
    if let Some(raw) = raw {
        store_raw(&mut unit, raw);
    }
    unit
}
