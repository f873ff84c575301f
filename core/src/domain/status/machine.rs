//! The status machine: from one status and a snapshot of the message record (and of its send
//! record, once known), the writes that apply it, guarded by conditions on exactly the facts
//! the plan relied on. If any changed in between (a concurrent status of the same message),
//! the write fails as a whole and the handler re-reads and re-plans; so the end state does not
//! depend on arrival order or on interleaving.
//!
//! What a status plans, on `MSG#{wamid}`:
//! - new (its `{status}_at` missing): `SET {status}_at` under `attribute_not_exists({status}_at)`;
//!   when its rank is above the snapshot's, also `SET status, rank` under `rank < r` (or
//!   missing). A rank at or below the snapshot's never moves it back; no condition is needed
//!   for that decision since ranks only grow.
//! - duplicate (`{status}_at` present): nothing, unless the send record can now be joined.
//! - the join (docs/ARCHITECTURE.md §4): the request id from `biz_opaque_callback_data` is recorded and
//!   `wamid` added to `SEND#{request_id}` (if missing); once the send record exists, its
//!   template fields are copied and `linked` set, under `attribute_not_exists(linked)`. Every
//!   status already recorded is counted then, under `attribute_not_exists` of the statuses not
//!   yet recorded (so none slips in uncounted); an unjoined plan is guarded by
//!   `attribute_not_exists(linked)` (so none is recorded uncounted after a join).
//! - counters: template counters for a joined template message, the pricing row on `delivered`;
//!   each flag set under `attribute_not_exists(flag)` in the same transaction as its `ADD`.

use serde_json::{Map, Value};

use super::analytics::{pricing_row, template_row, Template};
use super::pricing::{billing, RateCard};
use super::{
    day_of, explain_errors, Counter, Kind, StatusInput, CALLBACK_DATA, CONVERSATION, COUNTED_PRICING, DIRECTION,
    ERRORS, LINKED, LINK_FIELDS, OUTBOUND, PHONE_NUMBER_ID, PRICING, RANK, RECIPIENT_ID, STATUS, WABA_ID, WAMID,
    WARNINGS,
};
use crate::domain::events::{event_id, from_epoch_secs, DomainEvent, Envelope, EventType};
use crate::domain::keys::{self, GSI1PK, GSI1SK};
use crate::domain::send_record::{self, REQUEST_ID};
use crate::domain::table::{Cond, Item, Update, Write};

/// The writes (one conditional update, or one transaction) and events of one status.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    /// Empty: nothing to do (a duplicate, or a status string wapipe does not know).
    pub writes: Vec<Write>,
    /// Published before the writes (deterministic ids), so a crash in between re-publishes.
    pub events: Vec<DomainEvent>,
    /// The status was new for this message.
    pub recorded: bool,
    /// The send record is joined by this plan.
    pub linked: bool,
    /// Template counters this plan moves.
    pub counted: Vec<Counter>,
    /// The message is counted on its pricing row by this plan.
    pub priced: bool,
    /// The message names a send request whose record is not there yet.
    pub link_pending: bool,
}

fn has(msg: Option<&Item>, attr: &str) -> bool {
    msg.is_some_and(|m| m.attrs.contains_key(attr))
}

/// A send record the message can be joined with: written by the send worker (not only the
/// `wamid` this tracker may have added first).
pub fn joinable(send: &Item) -> bool {
    [send_record::STATE, send_record::MESSAGE_TYPE, send_record::TEMPLATE_NAME]
        .iter()
        .any(|a| send.attrs.contains_key(*a))
}

/// Plan one status. `msg` is `MSG#{wamid}` as read; `send` is the send record of the message's
/// request id (read only while the message is not joined); `card` prices delivered messages.
pub fn plan_status(input: &StatusInput, msg: Option<&Item>, send: Option<&Item>, card: Option<&RateCard>) -> Plan {
    let mut plan = Plan::default();
    let Some(kind) = input.kind else { return plan };
    let mut u: Vec<Update> = Vec::new();
    let mut c: Vec<Cond> = Vec::new();
    let mut others: Vec<Write> = Vec::new();
    let ts = input.timestamp;
    let new = !has(msg, kind.at_attr());

    if new {
        plan.recorded = true;
        u.push(Update::Set(kind.at_attr().into(), ts.into()));
        c.push(Cond::AttrMissing(kind.at_attr().into()));
        if let Some(r) = kind.rank() {
            if msg.and_then(|m| m.get_i64(RANK)).is_none_or(|cur| cur < r) {
                u.push(Update::Set(STATUS.into(), kind.current().into()));
                u.push(Update::Set(RANK.into(), r.into()));
                c.push(Cond::missing_or_lt(RANK, r));
            }
        }
        descriptive(input, kind, msg, &mut u);
    }

    // The join with the send record.
    let request_id = msg.and_then(|m| m.get_str(REQUEST_ID)).or(input.request_id());
    let linked_before = msg.and_then(|m| m.attrs.get(LINKED)) == Some(&Value::Bool(true));
    let link_now = !linked_before && request_id.is_some() && send.is_some_and(joinable);
    if let Some(rid) = request_id {
        if !has(msg, REQUEST_ID) {
            u.push(Update::SetIfMissing(REQUEST_ID.into(), rid.into()));
        }
        // `wamid` on the send record: with the first status that names it, and again at the
        // join if the send record lacks it.
        let send_lacks = send.is_none_or(|s| !s.attrs.contains_key(send_record::WAMID));
        if !has(msg, REQUEST_ID) || (link_now && send_lacks) {
            let k = keys::send_request(rid);
            let wamid = Update::SetIfMissing(send_record::WAMID.into(), input.wamid.as_str().into());
            others.push(Write::Update { pk: k.pk, sk: k.sk, updates: vec![wamid], cond: None });
        }
    }
    let template_source = if link_now { send } else { msg.filter(|_| linked_before) };
    if link_now {
        if let Some(s) = send {
            for f in LINK_FIELDS {
                if let Some(v) = s.attrs.get(*f) {
                    u.push(Update::Set((*f).into(), v.clone()));
                }
            }
        }
        u.push(Update::Set(LINKED.into(), true.into()));
        plan.linked = true;
    }
    if !linked_before {
        c.push(Cond::AttrMissing(LINKED.into()));
        plan.link_pending = request_id.is_some() && !link_now;
    }

    // The timestamp of each status once this plan is applied.
    let at = |k: Kind| -> Option<i64> {
        if k == kind && new {
            Some(ts)
        } else {
            msg.and_then(|m| m.get_i64(k.at_attr()))
        }
    };
    let waba = msg.and_then(|m| m.get_str(WABA_ID)).filter(|w| !w.is_empty()).unwrap_or(&input.waba_id);
    if let Some(t) = template_source.and_then(|s| Template::of(s, waba)) {
        let candidates: &[Counter] = match (link_now, new, kind.counter()) {
            (true, _, _) => Counter::ALL,
            (false, true, Some(ctr)) => &[ctr],
            _ => &[],
        };
        let mut by_day: Vec<(String, Vec<(&str, i64)>)> = Vec::new();
        for ctr in candidates {
            if has(msg, ctr.flag()) {
                continue;
            }
            let Some(when) = ctr.kinds().iter().find_map(|k| at(*k)) else { continue };
            u.push(Update::Set(ctr.flag().into(), true.into()));
            c.push(Cond::AttrMissing(ctr.flag().into()));
            plan.counted.push(*ctr);
            let day = day_of(when);
            match by_day.iter_mut().find(|(d, _)| *d == day) {
                Some((_, adds)) => adds.push((ctr.name(), 1)),
                None => by_day.push((day, vec![(ctr.name(), 1)])),
            }
        }
        if link_now {
            // Counted now: every recorded status. Guard that no other is recorded meanwhile.
            for k in Counter::ALL.iter().flat_map(|ctr| ctr.kinds()) {
                if at(*k).is_none() {
                    c.push(Cond::AttrMissing(k.at_attr().into()));
                }
            }
        }
        others.extend(by_day.iter().map(|(day, adds)| template_row(&t, day, adds)));
    }

    // Pricing analytics: a message is billed when delivered (PMP), counted once.
    if kind == Kind::Delivered && new && !has(msg, COUNTED_PRICING) {
        let pricing = input.pricing.as_ref().or_else(|| msg.and_then(|m| m.attrs.get(PRICING)));
        if let Some(p) = pricing {
            let recipient = input.recipient_id.as_deref().or_else(|| msg.and_then(|m| m.get_str(RECIPIENT_ID)));
            others.push(pricing_row(waba, &day_of(ts), &billing(p), recipient, card));
            u.push(Update::Set(COUNTED_PRICING.into(), true.into()));
            c.push(Cond::AttrMissing(COUNTED_PRICING.into()));
            plan.priced = true;
        }
    }

    if new && kind == Kind::Failed {
        plan.events.push(failed_event(input, request_id, template_source.and_then(|s| s.get_str("template_name"))));
    }
    if u.is_empty() {
        return Plan { link_pending: plan.link_pending, ..Plan::default() };
    }
    let key = keys::message(&input.wamid);
    let cond = (!c.is_empty()).then_some(Cond::And(c));
    plan.writes.push(Write::Update { pk: key.pk, sk: key.sk, updates: u, cond });
    plan.writes.extend(others);
    plan
}

/// Attributes that describe the message rather than move it: set once, from the first status
/// that carries them, plus the status's own errors and the contact timeline (from `sent`).
fn descriptive(input: &StatusInput, kind: Kind, msg: Option<&Item>, u: &mut Vec<Update>) {
    let mut once = |attr: &str, v: Option<Value>| {
        if let Some(v) = v.filter(|_| !has(msg, attr)) {
            u.push(Update::SetIfMissing(attr.into(), v));
        }
    };
    let text = |s: &str| (!s.is_empty()).then(|| Value::from(s));
    once(DIRECTION, Some(OUTBOUND.into()));
    once(WAMID, Some(input.wamid.as_str().into()));
    once(WABA_ID, text(&input.waba_id));
    once(PHONE_NUMBER_ID, text(&input.phone_number_id));
    once(RECIPIENT_ID, input.recipient_id.as_deref().map(Value::from));
    once(CALLBACK_DATA, input.callback_data.as_deref().map(Value::from));
    once(PRICING, input.pricing.clone());
    once(CONVERSATION, input.conversation.clone());
    match kind {
        Kind::Failed => once(ERRORS, Some(explain_errors(&input.errors))),
        Kind::Warning if !input.errors.is_empty() => once(WARNINGS, Some(explain_errors(&input.errors))),
        Kind::Sent => {
            if let (false, Some(r)) = (input.phone_number_id.is_empty(), input.recipient_id.as_deref()) {
                once(GSI1PK, Some(keys::contact_timeline(&input.phone_number_id, r).into()));
                once(GSI1SK, Some(keys::timeline_sort(input.timestamp, &input.wamid).into()));
            }
        }
        _ => {}
    }
}

/// `whatsapp.message.failed`: the errors explained, the request and template when known.
fn failed_event(input: &StatusInput, request_id: Option<&str>, template: Option<&str>) -> DomainEvent {
    let mut f = Map::new();
    f.insert("wamid".into(), input.wamid.as_str().into());
    if let Some(r) = request_id {
        f.insert("request_id".into(), r.into());
    }
    if let Some(r) = &input.recipient_id {
        f.insert("recipient_id".into(), r.as_str().into());
    }
    f.insert("timestamp".into(), input.timestamp.into());
    if let Some(t) = template {
        f.insert("template_name".into(), t.into());
    }
    f.insert("errors".into(), explain_errors(&input.errors));
    let ts = input.timestamp.to_string();
    let common = Envelope {
        event_id: event_id(EventType::MessageFailed, &[&input.wamid, &ts]),
        occurred_at: from_epoch_secs(input.timestamp).unwrap_or(time::OffsetDateTime::UNIX_EPOCH),
        waba_id: &input.waba_id,
        phone_number_id: &input.phone_number_id,
    };
    DomainEvent::new(EventType::MessageFailed, common, f)
}
