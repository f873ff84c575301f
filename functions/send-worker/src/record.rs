//! The send record `SEND#{request_id}` (attributes per `send_record`): the claim, the ledger
//! and the terminal event. Every write is an `Update` (never a `Put`), so the `wamid` the
//! status tracker adds is never clobbered.

use serde_json::{Map, Value};
use time::OffsetDateTime;
use wapipe_core::domain::events::{rfc3339, DomainEvent, EventType};
use wapipe_core::domain::keys;
use wapipe_core::domain::send_record as sr;
use wapipe_core::ports::{Cond, Item, Update, Write};

// Attributes beyond `send_record`'s shared ones (which the status tracker also reads).
/// EUM calls claimed for the request so far (each claim adds 1).
pub const ATTEMPTS: &str = "attempts";
/// Epoch seconds until which the claim's holder may call EUM; removed once the call's
/// outcome is recorded.
pub const LEASE_UNTIL: &str = "lease_until";
/// The claim's holder, unique per delivery attempt (`{len}#{seq}@{epoch ms}`); the
/// `retrying` and `unknown` writes are conditional on it.
pub const OWNER: &str = "owner";
/// Epoch seconds when a call ended without an answer; `unknown_grace` counts from it.
pub const UNKNOWN_SINCE: &str = "unknown_since";
/// Hex SHA-256 of the request's JSON: the same `request_id` with another request is
/// rejected (`request_id_reused`).
pub const REQUEST_SHA256: &str = "request_sha256";
/// The Cloud API message JSON sent to EUM (kept when at most 64 KiB).
pub const MESSAGE_JSON: &str = "message_json";
/// The reason of the last failed call (transient or final).
pub const LAST_ERROR: &str = "last_error";
/// A rejection's rule (`invalid`, `template_required`, `opted_out`, …).
pub const RULE: &str = "rule";
/// A rejection's reason, in words.
pub const REASON: &str = "reason";
/// Detail-type of the terminal event, written with the terminal state.
pub const EVENT_TYPE: &str = "event_type";
/// The terminal event's detail, kept so a redelivery publishes it again with the same id.
pub const EVENT: &str = "event";
/// `true` once the terminal event was published; `false` while it may still have to be.
pub const PUBLISHED: &str = "published";
/// The request's `options.tags`, carried by every event of the request.
pub const TAGS: &str = "tags";
/// The flow token of an interactive flow message (its session is `FLOW#{token}`), saved with
/// the claim so a retry of the request sends and binds the same token.
pub const FLOW_TOKEN: &str = "flow_token";

/// `state` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// A worker holds the claim and is calling EUM (until `lease_until`).
    Sending,
    /// The last call had no answer: the message may have been sent; never re-sent blind.
    Unknown,
    /// The last call failed transiently; the next delivery may claim it again.
    Retrying,
    /// EUM accepted the message (`SendWhatsAppMessage` answered), or a status linked a wamid
    /// after an unknown outcome.
    Accepted,
    /// Refused before any call (validation or a guard): nothing was sent.
    Rejected,
    /// Refused for good by EUM or Meta, attempts exhausted, or an unknown outcome no status
    /// resolved within `unknown_grace`.
    Failed,
}

impl State {
    /// The `state` attribute's value (`sending`, `unknown`, `retrying`, `accepted`, `rejected`,
    /// `failed`).
    pub fn as_str(self) -> &'static str {
        match self {
            State::Sending => "sending",
            State::Unknown => "unknown",
            State::Retrying => "retrying",
            State::Accepted => "accepted",
            State::Rejected => "rejected",
            State::Failed => "failed",
        }
    }
    /// The state an attribute value names; `None` for any other word.
    pub fn parse(s: &str) -> Option<State> {
        [State::Sending, State::Unknown, State::Retrying, State::Accepted, State::Rejected, State::Failed]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
    /// Accepted, rejected or failed: the request is done; a redelivery is a duplicate.
    pub fn is_terminal(self) -> bool {
        matches!(self, State::Accepted | State::Rejected | State::Failed)
    }
}

/// What the worker read of a send record.
#[derive(Clone, Debug, PartialEq)]
pub struct Existing {
    /// `state`; `None` when the record has none (e.g. only the wamid a status linked first).
    pub state: Option<State>,
    /// EUM calls claimed so far (0 when absent).
    pub attempts: i64,
    /// Epoch seconds the current claim holds until (0 when absent).
    pub lease_until: i64,
    /// Epoch seconds of the call that ended without an answer, if any.
    pub unknown_since: Option<i64>,
    /// Meta's wamid, once a status linked it: proof the message went out.
    pub wamid: Option<String>,
    /// Hash of the request that first used this `request_id`.
    pub request_sha256: Option<String>,
    /// EUM's message id, once accepted.
    pub eum_message_id: Option<String>,
    /// The flow token an earlier attempt issued.
    pub flow_token: Option<String>,
    /// The terminal event, when recorded and not yet known to be published.
    pub unpublished: Option<DomainEvent>,
}

impl Existing {
    /// Read a `SEND#{request_id}` item; missing or malformed attributes read as absent.
    pub fn from_item(item: &Item) -> Existing {
        let event = match (item.get_str(EVENT_TYPE).and_then(EventType::parse), item.attrs.get(EVENT)) {
            (Some(t), Some(Value::Object(d))) => Some(DomainEvent { detail_type: t, detail: d.clone() }),
            _ => None,
        };
        let published = item.attrs.get(PUBLISHED).and_then(Value::as_bool).unwrap_or(false);
        Existing {
            state: item.get_str(sr::STATE).and_then(State::parse),
            attempts: item.get_i64(ATTEMPTS).unwrap_or(0),
            lease_until: item.get_i64(LEASE_UNTIL).unwrap_or(0),
            unknown_since: item.get_i64(UNKNOWN_SINCE),
            wamid: item.get_str(sr::WAMID).filter(|w| !w.is_empty()).map(str::to_string),
            request_sha256: item.get_str(REQUEST_SHA256).map(str::to_string),
            eum_message_id: item.get_str(sr::EUM_MESSAGE_ID).map(str::to_string),
            flow_token: item.get_str(FLOW_TOKEN).filter(|t| !t.is_empty()).map(str::to_string),
            unpublished: if published { None } else { event },
        }
    }
}

/// The request's facts recorded once (first claim or rejection).
#[derive(Clone, Debug, Default)]
pub struct Facts {
    /// The request's `to` (the recipient's number).
    pub to: String,
    /// Meta phone number id of the sender (not written when empty).
    pub phone_number_id: String,
    /// Meta WABA id of the sender (not written when empty).
    pub waba_id: String,
    /// The message kind (`text`, `interactive.button`, `template`, …).
    pub message_type: String,
    /// Template name, for templates.
    pub template_name: Option<String>,
    /// Template language code, for templates.
    pub template_language: Option<String>,
    /// The category the guards settled on (the template state cache, else
    /// `options.category`), when known.
    pub template_category: Option<String>,
    /// Hex SHA-256 of the request's JSON ([`REQUEST_SHA256`]).
    pub request_sha256: String,
    /// The Cloud API JSON to send; `None` over 64 KiB.
    pub message_json: Option<String>,
    /// The request's `options.tags`; `None` when it has none.
    pub tags: Option<Value>,
    /// The flow token sent (interactive flow messages).
    pub flow_token: Option<String>,
    /// The order's reference id (`order_details` messages).
    pub order_reference_id: Option<String>,
}

impl Facts {
    fn updates(&self, now: OffsetDateTime) -> Vec<Update> {
        let mut u = vec![
            Update::SetIfMissing(sr::TO.into(), self.to.clone().into()),
            Update::SetIfMissing(sr::MESSAGE_TYPE.into(), self.message_type.clone().into()),
            Update::SetIfMissing(REQUEST_SHA256.into(), self.request_sha256.clone().into()),
            Update::SetIfMissing(sr::REQUESTED_AT.into(), rfc3339(now).into()),
        ];
        let opt = [
            (sr::PHONE_NUMBER_ID, Some(&self.phone_number_id).filter(|s| !s.is_empty())),
            (sr::WABA_ID, Some(&self.waba_id).filter(|s| !s.is_empty())),
            (sr::TEMPLATE_NAME, self.template_name.as_ref()),
            (sr::TEMPLATE_LANGUAGE, self.template_language.as_ref()),
            (sr::TEMPLATE_CATEGORY, self.template_category.as_ref()),
            (MESSAGE_JSON, self.message_json.as_ref()),
            (FLOW_TOKEN, self.flow_token.as_ref()),
            (sr::ORDER_REFERENCE_ID, self.order_reference_id.as_ref()),
        ];
        for (name, v) in opt {
            if let Some(v) = v {
                u.push(Update::SetIfMissing(name.into(), v.clone().into()));
            }
        }
        if let Some(t) = &self.tags {
            u.push(Update::SetIfMissing(TAGS.into(), t.clone()));
        }
        u
    }
}

fn key(request_id: &str) -> (String, String) {
    let k = keys::send_request(request_id);
    (k.pk, k.sk)
}

/// Claim the request for one EUM call: from no record, or from `retrying` at `attempts`.
pub fn claim(
    request_id: &str,
    facts: &Facts,
    seen_attempts: Option<i64>,
    owner: &str,
    lease_until: i64,
    now: OffsetDateTime,
) -> Write {
    let (pk, sk) = key(request_id);
    let mut updates = facts.updates(now);
    updates.push(Update::Set(sr::STATE.into(), State::Sending.as_str().into()));
    updates.push(Update::Set(OWNER.into(), owner.into()));
    updates.push(Update::Set(LEASE_UNTIL.into(), lease_until.into()));
    updates.push(Update::Add(ATTEMPTS.into(), 1));
    let cond = match seen_attempts {
        None => Cond::AttrMissing(sr::STATE.into()),
        Some(n) => Cond::And(vec![
            Cond::AttrEq(sr::STATE.into(), State::Retrying.as_str().into()),
            Cond::Or(vec![Cond::AttrMissing(ATTEMPTS.into()), Cond::AttrEq(ATTEMPTS.into(), n.into())]),
        ]),
    };
    Write::Update { pk, sk, updates, cond: Some(cond) }
}

/// A terminal state with its event (published afterwards, then [`mark_published`]).
/// `guard`: the condition (rejections must not overwrite a record another delivery owns).
pub fn terminal(
    request_id: &str,
    state: State,
    event: &DomainEvent,
    extra: Vec<Update>,
    facts: Option<&Facts>,
    guard: Option<Cond>,
    now: OffsetDateTime,
) -> Write {
    let (pk, sk) = key(request_id);
    let mut updates = facts.map(|f| f.updates(now)).unwrap_or_default();
    updates.push(Update::Set(sr::STATE.into(), state.as_str().into()));
    updates.push(Update::Set(EVENT_TYPE.into(), event.detail_type.as_str().into()));
    updates.push(Update::Set(EVENT.into(), Value::Object(event.detail.clone())));
    updates.push(Update::Set(PUBLISHED.into(), false.into()));
    updates.push(Update::Remove(LEASE_UNTIL.into()));
    updates.extend(extra);
    Write::Update { pk, sk, updates, cond: guard }
}

/// Rejections apply to a new request or one waiting to retry, never over another outcome.
pub fn rejection_guard() -> Cond {
    Cond::Or(vec![Cond::AttrMissing(sr::STATE.into()), Cond::AttrEq(sr::STATE.into(), State::Retrying.as_str().into())])
}

/// Set `published = true` once the terminal event is out (only on an existing record), so a
/// redelivery does not publish it again.
pub fn mark_published(request_id: &str) -> Write {
    let (pk, sk) = key(request_id);
    Write::Update { pk, sk, updates: vec![Update::Set(PUBLISHED.into(), true.into())], cond: Some(Cond::ItemExists) }
}

/// After a transient failure: wait for the next delivery.
pub fn retrying(request_id: &str, owner: &str, error: &str) -> Write {
    let (pk, sk) = key(request_id);
    Write::Update {
        pk,
        sk,
        updates: vec![
            Update::Set(sr::STATE.into(), State::Retrying.as_str().into()),
            Update::Set(LAST_ERROR.into(), error.into()),
            Update::Remove(LEASE_UNTIL.into()),
        ],
        cond: Some(Cond::AttrEq(OWNER.into(), owner.into())),
    }
}

/// After a call without an answer: the message may have been sent.
pub fn unknown(request_id: &str, owner: &str, error: &str, now: OffsetDateTime) -> Write {
    let (pk, sk) = key(request_id);
    Write::Update {
        pk,
        sk,
        updates: vec![
            Update::Set(sr::STATE.into(), State::Unknown.as_str().into()),
            Update::Set(LAST_ERROR.into(), error.into()),
            Update::Set(UNKNOWN_SINCE.into(), now.unix_timestamp().into()),
            Update::Remove(LEASE_UNTIL.into()),
        ],
        cond: Some(Cond::AttrEq(OWNER.into(), owner.into())),
    }
}

/// Event fields common to a request's events.
pub fn tags_field(tags: &Option<Value>, fields: &mut Map<String, Value>) {
    if let Some(t) = tags {
        fields.insert("tags".into(), t.clone());
    }
}
