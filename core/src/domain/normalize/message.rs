//! Inbound messages: the contact window (before), `message.received` and its companions
//! (events), the message record that is also the mark (after).

use serde_json::{json, Map, Value};

use super::common::{clean, decode, errors_json, nonempty, wa_id, Scope};
use crate::domain::envelope::DecodeError;
use crate::domain::events::{event_id, rfc3339, EventType};
use crate::domain::ingest_plan::{fields, IngestPlan};
use crate::domain::keys;
use crate::domain::table::{Cond, Item, Update, Write};
use crate::domain::webhook::{epoch_secs, to_json, Contact, Interactive, Media, Message, KNOWN_MESSAGE_TYPES};

/// Message types that do not open (or extend) the 24-hour customer service window.
///
/// Meta opens the window when the user sends a message. Every type the user actively sends
/// counts, reactions and edits included, and so do `unsupported` messages (the user did send
/// something, WhatsApp just cannot show it) and `request_welcome` (the user opened the chat).
/// `system` messages (number or identity changes) are notices from WhatsApp, and `revoke` is
/// the user deleting an earlier message: neither is the user writing to the business.
pub const NO_WINDOW_TYPES: &[&str] = &["system", "revoke"];

/// The JSON text of `response_json`, read.
struct Response {
    /// The object; or the text itself when it is not a JSON object.
    value: Value,
    error: Option<String>,
}

fn parse_response(text: Option<&str>) -> Response {
    let text = text.unwrap_or_default();
    match serde_json::from_str::<Value>(text) {
        Ok(v @ Value::Object(_)) => Response { value: v, error: None },
        Ok(_) => Response { value: text.into(), error: Some("response_json is not a JSON object".into()) },
        Err(e) => {
            Response { value: text.into(), error: Some(format!("response_json is not valid JSON: {}", clean(&e))) }
        }
    }
}

/// One inbound message → one unit. The sender is keyed by `wa_id`, or, for BSUID-only
/// (username) users who have none, by their `user_id`: the window and the timeline then live
/// under `CONTACT#{phone}#{user_id}` (BSUIDs contain a `.`, so they never collide with digits).
pub(super) fn unit(
    s: &Scope<'_>,
    phone: &str,
    contacts: &[Contact],
    i: usize,
    raw: &str,
) -> Result<IngestPlan, DecodeError> {
    let rel = format!(".value.messages[{i}]");
    let check = |t: &str| serde_json::from_str::<Message>(t).err().map(|e| clean(&e));
    let m: Message = decode(raw, &format!("{}{rel}", s.path), &check)?;
    let wamid = nonempty(m.id.as_deref()).ok_or_else(|| s.err(&format!("{rel}.id"), "missing"))?;
    let kind = nonempty(m.kind.as_deref()).ok_or_else(|| s.err(&format!("{rel}.type"), "missing"))?;
    let from_msg = nonempty(m.from.as_deref()).map(wa_id);
    let user_msg = nonempty(m.from_user_id.as_deref());
    let contact = find_contact(contacts, from_msg, user_msg);
    let from = from_msg.or_else(|| contact.and_then(|c| nonempty(c.wa_id.as_deref())).map(wa_id));
    let user_id = user_msg.or_else(|| contact.and_then(|c| nonempty(c.user_id.as_deref())));
    let who =
        from.or(user_id).ok_or_else(|| s.err(&format!("{rel}.from"), "missing (no from, from_user_id or contact)"))?;
    let secs = s.secs(m.timestamp.as_deref().and_then(epoch_secs));
    let record = keys::message(wamid);
    let oversized = raw.len() > s.ctx.max_inline_raw_bytes;
    let stored = || json!({ "stored_at": record.pk });

    let nfm =
        m.interactive.as_ref().filter(|i| i.kind.as_deref() == Some("nfm_reply")).and_then(|i| i.nfm_reply.as_ref());
    let response = nfm.map(|n| parse_response(n.response_json.as_deref()));
    let top = |key: &str| raw_at(raw, &[key]).unwrap_or_else(|| raw_at(raw, &[]).unwrap_or_default());
    let (content, unknown) = content(&m, kind, &top, response.as_ref());
    let context_wamid = m.context.as_ref().and_then(|c| c.id.as_deref());

    let profile = contact.and_then(|c| c.profile.as_ref());
    let detail = fields([
        ("wamid", wamid.into()),
        ("from", from.into()),
        ("from_user_id", user_id.into()),
        (
            "from_parent_user_id",
            to_json(&m.from_parent_user_id.as_ref().or(contact.and_then(|c| c.parent_user_id.as_ref()))),
        ),
        ("contact_name", to_json(&profile.and_then(|p| p.name.as_ref()))),
        ("contact_username", to_json(&profile.and_then(|p| p.username.as_ref()))),
        ("type", kind.into()),
        ("timestamp", secs.into()),
        ("content", if oversized { stored() } else { content.clone() }),
        ("unknown_type", unknown.then_some(true).into()),
        ("context", m.context.as_ref().map(context_json).into()),
        // Oversized: only the content's reference; everything else is in the record's raw JSON.
        ("referral", if oversized { Value::Null } else { to_json(&m.referral) }),
        ("identity", if oversized { Value::Null } else { to_json(&m.identity) }),
        ("group_id", to_json(&m.group_id)),
        ("errors", m.errors.as_deref().filter(|_| !matches!(kind, "unsupported" | "unknown")).map(errors_json).into()),
        ("record_key", record.pk.as_str().into()),
    ]);
    let mut events =
        vec![s.event(EventType::MessageReceived, event_id(EventType::MessageReceived, &[wamid]), secs, phone, detail)];

    if let (Some(n), Some(r)) = (nfm, response.as_ref()) {
        let common = [("wamid", Value::from(wamid)), ("from", from.into()), ("from_user_id", user_id.into())];
        let tail = [
            ("response_error", r.error.clone().into()),
            ("context_wamid", context_wamid.into()),
            ("record_key", record.pk.as_str().into()),
        ];
        match n.name.as_deref() {
            Some("flow") => {
                let token = r.value.get("flow_token").and_then(Value::as_str);
                let mut f = fields(common);
                f.extend(fields([
                    ("flow_token", token.into()),
                    ("response", if oversized { stored() } else { r.value.clone() }),
                ]));
                f.extend(fields(tail));
                let id = event_id(EventType::FlowCompleted, &[wamid]);
                events.push(s.event(EventType::FlowCompleted, id, secs, phone, f));
            }
            Some("address_message") => {
                let address = match r.value.get("values") {
                    _ if oversized => stored(),
                    Some(v) => v.clone(),
                    None => r.value.clone(),
                };
                let saved = r.value.get("saved_address_id").and_then(|v| match v {
                    Value::String(s) => Some(Value::String(s.clone())),
                    Value::Number(n) => Some(Value::String(n.to_string())),
                    _ => None,
                });
                let mut f = fields(common);
                f.extend(fields([("address", address), ("saved_address_id", saved.into())]));
                f.extend(fields(tail));
                let id = event_id(EventType::AddressReceived, &[wamid]);
                events.push(s.event(EventType::AddressReceived, id, secs, phone, f));
            }
            _ => {}
        }
    }

    let mut before = Vec::new();
    // Group messages do not open a 1:1 window with the participant.
    if !NO_WINDOW_TYPES.contains(&kind) && m.group_id.is_none() {
        let window = keys::contact_window(phone, who);
        before.push(Write::Update {
            pk: window.pk,
            sk: window.sk,
            updates: vec![
                Update::Set("last_inbound_at".into(), secs.into()),
                Update::Set("last_wamid".into(), wamid.into()),
            ],
            cond: Some(Cond::missing_or_lt("last_inbound_at", secs)),
        });
    }

    // A click-to-WhatsApp ad click: the newest is kept on the contact for the Conversions API.
    if let Some(r) = m.referral.as_ref() {
        if let Some(clid) = nonempty(r.ctwa_clid.as_deref()) {
            let k = keys::ctwa_click(phone, who);
            let mut updates = vec![
                Update::Set("ctwa_clid".into(), clid.into()),
                Update::Set("clicked_at".into(), secs.into()),
                Update::Set("wamid".into(), wamid.into()),
                Update::Set("waba_id".into(), s.waba_id.into()),
            ];
            for (attr, v) in
                [("source_id", &r.source_id), ("source_type", &r.source_type), ("source_url", &r.source_url)]
            {
                if let Some(v) = nonempty(v.as_deref()) {
                    updates.push(Update::Set(attr.into(), v.into()));
                }
            }
            before.push(Write::Update {
                pk: k.pk,
                sk: k.sk,
                updates,
                cond: Some(Cond::missing_or_lt("clicked_at", secs)),
            });
        }
    }
    // A reply to a call permission request: the request's record and the user's permission.
    if let Some(r) = m.interactive.as_ref().filter(|i| i.kind.as_deref() == Some("call_permission_reply")) {
        if let Some(reply) = r.call_permission_reply.as_ref() {
            before.extend(super::calls::permission_reply(&super::calls::PermissionReply {
                phone,
                user: who,
                wamid,
                request_wamid: context_wamid,
                response: reply.response.as_deref(),
                expiration: reply.expiration_timestamp.as_ref().map(|t| t.0),
                is_permanent: reply.is_permanent,
                secs,
            }));
        }
    }
    // System `user_changed_user_id`: the BSUID the user had and the one they have now.
    if let Some(sys) = m.system.as_ref().filter(|s| s.kind.as_deref() == Some("user_changed_user_id")) {
        if let Some(new) = nonempty(sys.user_id.as_deref()) {
            let previous = nonempty(sys.previous_user_id.as_deref()).or(user_id);
            let parent = nonempty(sys.parent_user_id.as_deref());
            before.extend(super::identity::changed(previous, new, from, parent, secs, "system"));
        }
    }
    // A message that names the user by phone and BSUID (or parent, or username) links them.
    if let Some(uid) = user_id {
        let parent = m.from_parent_user_id.as_deref().or(contact.and_then(|c| c.parent_user_id.as_deref()));
        before.extend(super::identity::links(&super::identity::Seen {
            user_id: uid,
            wa_id: from,
            parent_user_id: nonempty(parent),
            username: nonempty(profile.and_then(|p| p.username.as_deref())),
            secs,
            source: "messages",
        }));
    }

    let mut item = Item::new(record.pk.clone(), record.sk.clone())
        .with("direction", "in")
        .with("type", kind)
        .with("timestamp", secs)
        .with("phone_number_id", phone)
        .with("waba_id", s.waba_id)
        .with("raw", raw)
        .with(keys::GSI1PK, keys::contact_timeline(phone, who))
        .with(keys::GSI1SK, keys::timeline_sort(secs, wamid))
        .with("received_at", rfc3339(s.ctx.now));
    let optional = [
        ("from", from),
        ("from_user_id", user_id),
        ("group_id", m.group_id.as_deref()),
        ("context_wamid", context_wamid),
    ];
    for (name, v) in optional {
        if let Some(v) = v {
            item.attrs.insert(name.into(), v.into());
        }
    }
    if !oversized {
        item.attrs.insert("content".into(), content);
    }
    if let Some(ttl) = s.ctx.message_ttl_secs {
        item.attrs.insert(keys::EXPIRES_AT.into(), s.ctx.now.unix_timestamp().saturating_add(ttl).into());
    }
    Ok(IngestPlan { label: format!("message {wamid}"), mark: record, before, events, after: vec![Write::put(item)] })
}

fn find_contact<'c>(contacts: &'c [Contact], from: Option<&str>, user: Option<&str>) -> Option<&'c Contact> {
    let by_id = contacts.iter().find(|c| {
        (from.is_some() && c.wa_id.as_deref().map(wa_id) == from) || (user.is_some() && c.user_id.as_deref() == user)
    });
    by_id.or_else(|| match contacts {
        [only] if from.is_none() || only.wa_id.is_none() => Some(only),
        _ => None,
    })
}

fn context_json(c: &crate::domain::webhook::MessageContext) -> Value {
    Value::Object(fields([
        ("message_id", to_json(&c.id)),
        ("from", to_json(&c.from)),
        ("forwarded", to_json(&c.forwarded)),
        ("frequently_forwarded", to_json(&c.frequently_forwarded)),
        ("referred_product", to_json(&c.referred_product)),
    ]))
}

/// The raw JSON at `path` inside the message text (slow path: unknown types only).
fn raw_at(raw: &str, path: &[&str]) -> Option<Value> {
    let mut v: Value = serde_json::from_str(raw).ok()?;
    for key in path {
        v = v.as_object_mut()?.remove(*key)?;
    }
    Some(v)
}

fn object(v: Value) -> Value {
    if v.is_object() {
        v
    } else {
        Value::Object(Map::new())
    }
}

/// The type-specific content, normalised; `(raw object, true)` for types this model does not
/// know. `raw_of(key)` gives the message's raw JSON under `key`.
fn content(m: &Message, kind: &str, raw_of: &dyn Fn(&str) -> Value, response: Option<&Response>) -> (Value, bool) {
    let c = match kind {
        "text" => Value::Object(fields([("body", to_json(&m.text.as_ref().and_then(|t| t.body.as_ref())))])),
        "image" => media(m.image.as_ref()),
        "video" => media(m.video.as_ref()),
        "audio" => media(m.audio.as_ref()),
        "document" => media(m.document.as_ref()),
        "sticker" => media(m.sticker.as_ref()),
        "location" => to_json(&m.location),
        "contacts" => Value::Object(fields([("contacts", to_json(&m.contacts))])),
        "reaction" => {
            let r = m.reaction.as_ref();
            let emoji = r.and_then(|r| r.emoji.as_deref()).unwrap_or_default();
            Value::Object(fields([
                ("message_id", to_json(&r.and_then(|r| r.message_id.as_ref()))),
                ("emoji", emoji.into()),
                ("removed", emoji.is_empty().into()),
            ]))
        }
        "interactive" => interactive(m.interactive.as_ref(), raw_of, response),
        "button" => to_json(&m.button),
        "order" => to_json(&m.order),
        "system" => to_json(&m.system),
        "revoke" => to_json(&m.revoke),
        "edit" => {
            let e = m.edit.as_deref();
            let inner = e.and_then(|e| e.message.as_ref());
            let inner_kind = inner.and_then(|i| i.kind.as_deref()).unwrap_or_default();
            let inner_raw = |k: &str| raw_of("edit").get("message").and_then(|v| v.get(k)).cloned().unwrap_or_default();
            let inner_content = inner.map(|i| content(i, inner_kind, &inner_raw, None).0);
            Value::Object(fields([
                ("original_message_id", to_json(&e.and_then(|e| e.original_message_id.as_ref()))),
                ("type", nonempty(Some(inner_kind)).into()),
                ("content", inner_content.into()),
            ]))
        }
        "unsupported" | "unknown" => Value::Object(fields([
            ("errors", m.errors.as_deref().map(errors_json).into()),
            ("unsupported_type", to_json(&m.unsupported.as_ref().and_then(|u| u.kind.as_ref()))),
        ])),
        "request_welcome" => Value::Object(Map::new()),
        _ => {
            debug_assert!(!KNOWN_MESSAGE_TYPES.contains(&kind));
            return (object(raw_of(kind)), true);
        }
    };
    (object(c), false)
}

fn media(m: Option<&Media>) -> Value {
    let Some(m) = m else { return Value::Object(Map::new()) };
    Value::Object(fields([
        ("media_id", to_json(&m.id)),
        ("mime_type", to_json(&m.mime_type)),
        ("sha256", to_json(&m.sha256)),
        ("caption", to_json(&m.caption)),
        ("filename", to_json(&m.filename)),
        ("voice", to_json(&m.voice)),
        ("animated", to_json(&m.animated)),
        ("url", to_json(&m.url)),
    ]))
}

fn interactive(i: Option<&Interactive>, raw_of: &dyn Fn(&str) -> Value, response: Option<&Response>) -> Value {
    let Some(i) = i else { return Value::Object(Map::new()) };
    let t = i.kind.as_deref().unwrap_or_default();
    let reply = match t {
        "button_reply" => Some(&i.button_reply),
        "list_reply" => Some(&i.list_reply),
        _ => None,
    };
    if let Some(r) = reply {
        let r = r.as_ref();
        return Value::Object(fields([
            ("reply_type", t.into()),
            ("id", to_json(&r.and_then(|r| r.id.as_ref()))),
            ("title", to_json(&r.and_then(|r| r.title.as_ref()))),
            ("description", to_json(&r.and_then(|r| r.description.as_ref()))),
        ]));
    }
    match (t, i.nfm_reply.as_ref(), i.call_permission_reply.as_ref()) {
        ("nfm_reply", Some(n), _) => {
            let own;
            let r = match response {
                Some(r) => r,
                None => {
                    own = parse_response(n.response_json.as_deref());
                    &own
                }
            };
            Value::Object(fields([
                ("reply_type", t.into()),
                ("name", to_json(&n.name)),
                ("body", to_json(&n.body)),
                ("response", r.value.clone()),
                ("response_error", r.error.clone().into()),
            ]))
        }
        ("call_permission_reply", _, Some(c)) => Value::Object(fields([
            ("reply_type", t.into()),
            ("response", to_json(&c.response)),
            ("is_permanent", to_json(&c.is_permanent)),
            ("expiration_timestamp", to_json(&c.expiration_timestamp)),
            ("response_source", to_json(&c.response_source)),
        ])),
        _ => Value::Object(fields([("reply_type", t.into()), ("interactive", raw_of("interactive"))])),
    }
}
