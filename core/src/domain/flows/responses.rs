//! Flow responses: the `whatsapp.flow.completed` event (ingest's reading of the `nfm_reply`)
//! stored beside its session (`FLOW#{token}` / `RESPONSE#{ts}#{wamid}`), and listed by token or,
//! through GSI1 (`FLOWRESP#{flow}`), by flow.

use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::domain::events::{rfc3339, DomainEvent, EventType};
use crate::domain::keys;
use crate::domain::table::{Cond, Item, Write};

/// A completed flow's reply, read from its event.
#[derive(Clone, Debug, PartialEq)]
pub struct FlowReply {
    /// The `flow_token` from the response, which names the session (`FLOW#{token}`).
    pub token: String,
    /// Meta's id of the reply message; part of the response item's sort key.
    pub wamid: String,
    /// The user's `wa_id` (no `+`), when the event has one.
    pub from: Option<String>,
    /// Meta's phone number id of the business number; empty when unknown.
    pub phone_number_id: String,
    /// Meta's WhatsApp Business Account id; empty when unknown.
    pub waba_id: String,
    /// When the reply was sent (the event's `occurred_at`).
    pub occurred_at: OffsetDateTime,
    /// The parsed `response_json` (or its text, or `{stored_at}` when ingest kept it aside).
    pub response: Value,
    /// The wamid of the flow message this replies to, when the event has one.
    pub context_wamid: Option<String>,
}

/// Why a `flow.completed` event cannot be stored.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    /// The event is of another detail-type (named).
    #[error("not a whatsapp.flow.completed event but {0}")]
    WrongType(String),
    /// A required field (named) is missing, empty or of the wrong type.
    #[error("whatsapp.flow.completed: field `{0}` is missing or not a string")]
    Field(&'static str),
    /// The flow had no token in its response: nothing to join it to.
    #[error("whatsapp.flow.completed has no flow_token")]
    NoToken,
}

/// Read a `whatsapp.flow.completed` event.
pub fn reply_from_event(e: &DomainEvent) -> Result<FlowReply, ReplyError> {
    if e.detail_type != EventType::FlowCompleted {
        return Err(ReplyError::WrongType(e.detail_type.as_str().into()));
    }
    let s = |name: &'static str| e.detail.get(name).and_then(Value::as_str);
    let need =
        |name: &'static str| s(name).filter(|v| !v.is_empty()).map(str::to_string).ok_or(ReplyError::Field(name));
    let token = s("flow_token").filter(|t| !t.is_empty()).ok_or(ReplyError::NoToken)?.to_string();
    let occurred_at = s("occurred_at")
        .and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok())
        .ok_or(ReplyError::Field("occurred_at"))?;
    Ok(FlowReply {
        token,
        wamid: need("wamid")?,
        from: s("from").map(str::to_string),
        phone_number_id: s("phone_number_id").unwrap_or_default().to_string(),
        waba_id: s("waba_id").unwrap_or_default().to_string(),
        occurred_at,
        response: e.detail.get("response").cloned().unwrap_or(Value::Null),
        context_wamid: s("context_wamid").map(str::to_string),
    })
}

/// The response item (put once: a redelivered event is a no-op). `flow` is the session's
/// flow, when the token has a session; it indexes the response for listing by flow.
pub fn response_write(r: &FlowReply, flow: Option<&str>, now: OffsetDateTime) -> Write {
    let at = rfc3339(r.occurred_at);
    let key = keys::flow_response(&r.token, &at, &r.wamid);
    let mut item = Item::new(key.pk, key.sk)
        .with("flow_token", r.token.as_str())
        .with("wamid", r.wamid.as_str())
        .with("phone_number_id", r.phone_number_id.as_str())
        .with("waba_id", r.waba_id.as_str())
        .with("occurred_at", at.as_str())
        .with("stored_at", rfc3339(now))
        .with("response", r.response.clone());
    for (name, v) in [("from", r.from.as_deref()), ("context_wamid", r.context_wamid.as_deref())] {
        if let Some(v) = v {
            item.attrs.insert(name.into(), v.into());
        }
    }
    if let Some(flow) = flow {
        item.attrs.insert("flow".into(), flow.into());
        item.attrs.insert(keys::GSI1PK.into(), keys::flow_responses_of(flow).into());
        item.attrs.insert(keys::GSI1SK.into(), format!("{at}#{}", r.token).into());
    }
    Write::put_if(item, Cond::ItemMissing)
}

/// A stored response as JSON for tooling: its attributes without the index keys.
pub fn response_json(item: &Item) -> Value {
    let mut attrs = item.attrs.clone();
    attrs.remove(keys::GSI1PK);
    attrs.remove(keys::GSI1SK);
    Value::Object(attrs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::events::{Envelope, EventType};
    use serde_json::json;

    fn event(detail: Value) -> DomainEvent {
        let common = Envelope {
            event_id: "e1".into(),
            occurred_at: OffsetDateTime::from_unix_timestamp(1_758_171_394).unwrap(),
            waba_id: "w",
            phone_number_id: "p",
        };
        let Value::Object(fields) = detail else { unreachable!() };
        DomainEvent::new(EventType::FlowCompleted, common, fields)
    }

    #[test]
    fn a_completion_becomes_a_response_joined_to_its_flow() {
        let e = event(json!({"wamid": "wamid.IN", "from": "393", "flow_token": "tok",
            "response": {"flow_token": "tok", "rating": "4"}, "record_key": "MSG#wamid.IN"}));
        crate::domain::event_catalogue::validate(&e).unwrap();
        let r = reply_from_event(&e).unwrap();
        let now = r.occurred_at;
        let Write::Put { item, cond } = response_write(&r, Some("1234"), now) else { panic!("a put") };
        assert_eq!(cond, Some(Cond::ItemMissing));
        assert_eq!((item.pk.as_str(), item.sk.as_str()), ("FLOW#tok", "RESPONSE#2025-09-18T04:56:34Z#wamid.IN"));
        assert_eq!(item.get_str(keys::GSI1PK), Some("FLOWRESP#1234"));
        assert_eq!(response_json(&item)["response"]["rating"], "4");
        let Write::Put { item, .. } = response_write(&r, None, now) else { panic!("a put") };
        assert!(item.get_str(keys::GSI1PK).is_none(), "no session: listed by token only");
    }

    #[test]
    fn events_without_a_token_or_of_another_type_are_refused() {
        let e = event(json!({"wamid": "w", "response": {}, "record_key": "MSG#w"}));
        assert_eq!(reply_from_event(&e), Err(ReplyError::NoToken));
        let e = event(json!({"flow_token": "t", "response": {}, "record_key": "MSG#w"}));
        assert_eq!(reply_from_event(&e), Err(ReplyError::Field("wamid")));
        let mut e = event(json!({"wamid": "w", "flow_token": "t"}));
        e.detail_type = EventType::MessageReceived;
        assert!(matches!(reply_from_event(&e), Err(ReplyError::WrongType(_))));
    }
}
