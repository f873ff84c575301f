//! Parsing a send request with field paths in every error: the message object is dispatched
//! on its `type` (and `interactive.type`) by hand, so serde's errors below carry the path from
//! the request's root (`message.interactive.action.buttons[0].reply: missing field \`title\``).

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::interactive::{self, Interactive};
use super::validate::FieldError;
use super::{OutboundMessage, RecipientType, SendOptions, SendRequest, TYPES};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    request_id: String,
    from: String,
    to: String,
    message: Value,
    #[serde(default)]
    recipient_type: RecipientType,
    #[serde(default)]
    options: SendOptions,
}

/// Parse a send request from its JSON text.
pub fn parse_request(body: &str) -> Result<SendRequest, FieldError> {
    let v: Value = serde_json::from_str(body).map_err(|e| FieldError::new("request", format!("invalid JSON: {e}")))?;
    parse_request_value(v)
}

/// Parse a send request from a JSON value.
pub fn parse_request_value(v: Value) -> Result<SendRequest, FieldError> {
    if !v.is_object() {
        return Err(FieldError::new("request", "must be a JSON object"));
    }
    let raw: Raw = typed("", v)?;
    let message = parse_message(raw.message)?;
    Ok(SendRequest {
        request_id: raw.request_id,
        from: raw.from,
        to: raw.to,
        recipient_type: raw.recipient_type,
        message,
        options: raw.options,
        contact: None,
    })
}

/// serde with the path prefixed; an empty prefix means the request's root.
fn typed<T: DeserializeOwned>(prefix: &str, v: Value) -> Result<T, FieldError> {
    serde_path_to_error::deserialize(v).map_err(|e| {
        let inner = e.path().to_string();
        let path = match (prefix.is_empty(), inner.as_str()) {
            (true, ".") | (true, "") => "request".to_string(),
            (true, p) => p.to_string(),
            (false, ".") | (false, "") => prefix.to_string(),
            (false, p) if p.starts_with('[') => format!("{prefix}{p}"),
            (false, p) => format!("{prefix}.{p}"),
        };
        FieldError::new(path, e.into_inner().to_string())
    })
}

/// Take the `type` string out of an object, and the object.
fn tagged(path: &str, v: Value, allowed: &[&str]) -> Result<(String, Map<String, Value>), FieldError> {
    let Value::Object(mut obj) = v else {
        return Err(FieldError::new(path, "must be a JSON object"));
    };
    let kind = match obj.remove("type") {
        Some(Value::String(s)) => s,
        Some(_) => return Err(FieldError::new(format!("{path}.type"), "must be a string")),
        None => return Err(FieldError::new(format!("{path}.type"), "required")),
    };
    if !allowed.contains(&kind.as_str()) {
        return Err(FieldError::new(format!("{path}.type"), format!("one of {}", allowed.join(", "))));
    }
    Ok((kind, obj))
}

fn parse_message(v: Value) -> Result<OutboundMessage, FieldError> {
    let (kind, mut obj) = tagged("message", v, TYPES)?;
    let content = obj.remove(&kind).ok_or_else(|| FieldError::new(format!("message.{kind}"), "required"))?;
    if let Some(extra) = obj.keys().next() {
        return Err(FieldError::new(format!("message.{extra}"), format!("unknown field for a {kind} message")));
    }
    let p = format!("message.{kind}");
    Ok(match kind.as_str() {
        "text" => OutboundMessage::Text { text: typed(&p, content)? },
        "image" => OutboundMessage::Image { image: typed(&p, content)? },
        "video" => OutboundMessage::Video { video: typed(&p, content)? },
        "audio" => OutboundMessage::Audio { audio: typed(&p, content)? },
        "document" => OutboundMessage::Document { document: typed(&p, content)? },
        "sticker" => OutboundMessage::Sticker { sticker: typed(&p, content)? },
        "location" => OutboundMessage::Location { location: typed(&p, content)? },
        "contacts" => OutboundMessage::Contacts { contacts: typed(&p, content)? },
        "reaction" => OutboundMessage::Reaction { reaction: typed(&p, content)? },
        "template" => OutboundMessage::Template { template: typed(&p, content)? },
        "read" => OutboundMessage::Read { read: typed(&p, content)? },
        _ => OutboundMessage::Interactive { interactive: Box::new(parse_interactive(content)?) },
    })
}

fn parse_interactive(v: Value) -> Result<Interactive, FieldError> {
    const P: &str = "message.interactive";
    let (kind, obj) = tagged(P, v, interactive::TYPES)?;
    let v = Value::Object(obj);
    let mut m = match kind.as_str() {
        "button" => Interactive::Button(typed(P, v)?),
        "list" => Interactive::List(typed(P, v)?),
        "cta_url" => Interactive::CtaUrl(typed(P, v)?),
        "flow" => Interactive::Flow(typed(P, v)?),
        "address_message" => Interactive::AddressMessage(typed(P, v)?),
        "location_request_message" => Interactive::LocationRequestMessage(typed(P, v)?),
        "call_permission_request" => Interactive::CallPermissionRequest(typed(P, v)?),
        "product" => Interactive::Product(typed(P, v)?),
        "product_list" => Interactive::ProductList(typed(P, v)?),
        "catalog_message" => Interactive::CatalogMessage(typed(P, v)?),
        "order_details" => Interactive::OrderDetails(Box::new(typed(P, v)?)),
        _ => Interactive::OrderStatus(typed(P, v)?),
    };
    fill_action_name(&mut m);
    Ok(m)
}

/// Actions whose `name` is fixed by the type get it when the caller left it out.
fn fill_action_name(m: &mut Interactive) {
    let (name, expected) = match m {
        Interactive::CtaUrl(x) => (&mut x.action.name, "cta_url"),
        Interactive::Flow(x) => (&mut x.action.name, "flow"),
        Interactive::AddressMessage(x) => (&mut x.action.name, "address_message"),
        Interactive::LocationRequestMessage(x) => (&mut x.action.name, "send_location"),
        Interactive::CallPermissionRequest(x) => (&mut x.action.name, "call_permission_request"),
        Interactive::CatalogMessage(x) => (&mut x.action.name, "catalog_message"),
        Interactive::OrderDetails(x) => (&mut x.action.name, "review_and_pay"),
        Interactive::OrderStatus(x) => (&mut x.action.name, "review_order"),
        Interactive::Button(_) | Interactive::List(_) | Interactive::Product(_) | Interactive::ProductList(_) => return,
    };
    if name.is_empty() {
        *name = expected.to_string();
    }
}
