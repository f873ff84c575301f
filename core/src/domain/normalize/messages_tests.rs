//! Inbound message shapes of docs/PROTOCOL.md §3.2–§3.3.

use serde_json::{json, Value};

use super::tests::*;
use crate::domain::events::{event_id, EventType};
use crate::domain::ingest_plan::IngestPlan;
use crate::domain::keys;
use crate::domain::table::{Cond, Update, Write};

/// A message of `kind` with its object, from FROM at TS.
fn msg(kind: &str, object: Value) -> Value {
    let mut m = json!({"from": FROM, "id": format!("wamid.{kind}"), "timestamp": TS.to_string(), "type": kind});
    if !object.is_null() {
        m[kind] = object;
    }
    m
}

fn entry_of(messages: Vec<Value>) -> Value {
    messages_entry(json!({
        "contacts": [{"profile": {"name": "Francesco"}, "wa_id": FROM}],
        "messages": messages,
    }))
}

fn one(m: Value) -> IngestPlan {
    only(&entry_of(vec![m]))
}

fn content(u: &IngestPlan) -> &Value {
    &event(u, 0).detail["content"]
}

pub fn fixture_all_types() -> Value {
    entry_of(vec![
        msg("text", json!({"body": "Prva"})),
        msg("audio", json!({"id": "m1", "mime_type": "audio/ogg; codecs=opus", "sha256": "h", "voice": true})),
        msg("reaction", json!({"message_id": "wamid.R", "emoji": ""})),
        msg(
            "interactive",
            json!({"type": "nfm_reply", "nfm_reply": {"name": "flow", "body": "Sent", "response_json": "{\"flow_token\":\"AQAAAAACS5FpgQ_cAAAAAD0QI3s.\",\"cs_rating\":\"4\",\"comment\":\"Quick delivery\"}"}}),
        ),
        msg("location", json!({"latitude": 45.1, "longitude": 9.2, "name": "Casa"})),
        msg("system", json!({"body": "changed", "type": "user_changed_number", "new_wa_id": "39111"})),
    ])
}

#[test]
fn text_message_opens_the_window_publishes_and_records() {
    let raw = msg("text", json!({"body": "Prva"}));
    let u = one(raw.clone());
    assert_eq!(u.label, "message wamid.text");
    assert_eq!(u.mark, keys::message("wamid.text"));
    let window = keys::contact_window(PHONE, FROM);
    assert_eq!(
        u.before,
        vec![Write::Update {
            pk: window.pk,
            sk: window.sk,
            updates: vec![
                Update::Set("last_inbound_at".into(), TS.into()),
                Update::Set("last_wamid".into(), "wamid.text".into())
            ],
            cond: Some(Cond::missing_or_lt("last_inbound_at", TS)),
        }]
    );
    assert_eq!(u.events.len(), 1);
    let e = event(&u, 0);
    assert_eq!(e.detail_type, EventType::MessageReceived);
    assert_eq!(e.event_id(), event_id(EventType::MessageReceived, &["wamid.text"]));
    let d = &e.detail;
    assert_eq!(d["occurred_at"], "2025-09-18T04:56:34Z");
    assert_eq!((d["waba_id"].as_str(), d["phone_number_id"].as_str()), (Some(WABA), Some(PHONE)));
    assert_eq!((d["wamid"].as_str(), d["from"].as_str()), (Some("wamid.text"), Some(FROM)));
    assert_eq!((d["contact_name"].as_str(), d["type"].as_str()), (Some("Francesco"), Some("text")));
    assert_eq!(d["timestamp"], TS);
    assert_eq!(d["content"], json!({"body": "Prva"}));
    assert_eq!(d["record_key"], "MSG#wamid.text");
    assert!(!d.contains_key("context") && !d.contains_key("from_user_id") && !d.contains_key("unknown_type"));
    let item = after_item(&u);
    assert_eq!((item.pk.as_str(), item.sk.as_str()), ("MSG#wamid.text", "MSG"));
    assert_eq!(item.get_str("direction"), Some("in"));
    assert_eq!(item.get_str("type"), Some("text"));
    assert_eq!(item.get_str("from"), Some(FROM));
    assert_eq!(item.get_i64("timestamp"), Some(TS));
    assert_eq!(item.get_str("phone_number_id"), Some(PHONE));
    assert_eq!(item.get_str("waba_id"), Some(WABA));
    assert_eq!(item.attrs["content"], json!({"body": "Prva"}));
    assert_eq!(serde_json::from_str::<Value>(item.get_str("raw").unwrap()).unwrap(), raw);
    assert_eq!(item.get_str(keys::GSI1PK), Some(keys::contact_timeline(PHONE, FROM).as_str()));
    assert_eq!(item.get_str(keys::GSI1SK), Some(keys::timeline_sort(TS, "wamid.text").as_str()));
    assert_eq!(item.get_str("received_at"), Some("2025-10-09T08:53:20Z"));
    assert_eq!(item.get_i64(keys::EXPIRES_AT), Some(NOW + 86_400));
}

#[test]
fn media_messages() {
    let u = one(msg(
        "image",
        json!({"id": "i1", "mime_type": "image/jpeg", "sha256": "s", "caption": "c", "url": "https://x"}),
    ));
    assert_eq!(
        *content(&u),
        json!({"media_id": "i1", "mime_type": "image/jpeg", "sha256": "s", "caption": "c", "url": "https://x"})
    );
    let u = one(msg("video", json!({"id": "v1", "mime_type": "video/mp4", "sha256": "s"})));
    assert_eq!(content(&u)["media_id"], "v1");
    let u = one(msg("audio", json!({"id": "a1", "mime_type": "audio/ogg; codecs=opus", "sha256": "s", "voice": true})));
    assert_eq!((content(&u)["voice"].as_bool(), content(&u)["media_id"].as_str()), (Some(true), Some("a1")));
    let u =
        one(msg("document", json!({"id": "d1", "mime_type": "application/pdf", "sha256": "s", "filename": "f.pdf"})));
    assert_eq!(content(&u)["filename"], "f.pdf");
    let u = one(msg("sticker", json!({"id": "s1", "mime_type": "image/webp", "sha256": "s", "animated": true})));
    assert_eq!(content(&u)["animated"], true);
    assert_eq!(event(&u, 0).detail["type"], "sticker");
}

#[test]
fn location_and_contacts() {
    let u = one(msg(
        "location",
        json!({"latitude": "45.5", "longitude": 9.25, "name": "Casa", "address": "Via X", "url": "u"}),
    ));
    assert_eq!(
        *content(&u),
        json!({"latitude": 45.5, "longitude": 9.25, "name": "Casa", "address": "Via X", "url": "u"})
    );
    let card = json!({"name": {"formatted_name": "Ada L", "first_name": "Ada"}, "phones": [{"phone": "+1 555", "wa_id": "1555", "type": "CELL"}],
                      "emails": [{"email": "a@x", "type": "WORK"}], "org": {"company": "C"}, "birthday": "1815-12-10"});
    let u = one(msg("contacts", json!([card])));
    assert_eq!(content(&u)["contacts"][0]["name"]["formatted_name"], "Ada L");
    assert_eq!(content(&u)["contacts"][0]["phones"][0]["type"], "CELL");
    assert_eq!(content(&u)["contacts"][0]["birthday"], "1815-12-10");
}

#[test]
fn reactions_and_their_removal() {
    let u = one(msg("reaction", json!({"message_id": "wamid.O", "emoji": "👍"})));
    assert_eq!(*content(&u), json!({"message_id": "wamid.O", "emoji": "👍", "removed": false}));
    assert_eq!(u.before.len(), 1, "reactions open the window");
    let u = one(msg("reaction", json!({"message_id": "wamid.O", "emoji": ""})));
    assert_eq!(*content(&u), json!({"message_id": "wamid.O", "emoji": "", "removed": true}));
    let u = one(msg("reaction", json!({"message_id": "wamid.O"})));
    assert_eq!(content(&u)["removed"], true);
}

#[test]
fn interactive_replies() {
    let u = one(msg("interactive", json!({"type": "button_reply", "button_reply": {"id": "b1", "title": "Yes"}})));
    assert_eq!(*content(&u), json!({"reply_type": "button_reply", "id": "b1", "title": "Yes"}));
    let u = one(msg(
        "interactive",
        json!({"type": "list_reply", "list_reply": {"id": "r1", "title": "T", "description": "D"}}),
    ));
    assert_eq!(*content(&u), json!({"reply_type": "list_reply", "id": "r1", "title": "T", "description": "D"}));
    let cp = json!({"type": "call_permission_reply", "call_permission_reply": {"response": "accept", "is_permanent": false, "expiration_timestamp": 1_749_000_000, "response_source": "user_action"}});
    let u = one(msg("interactive", cp));
    assert_eq!(
        *content(&u),
        json!({"reply_type": "call_permission_reply", "response": "accept", "is_permanent": false, "expiration_timestamp": 1_749_000_000, "response_source": "user_action"})
    );
    let u = one(msg("interactive", json!({"type": "mystery_reply", "mystery_reply": {"a": 1}})));
    assert_eq!(content(&u)["interactive"]["mystery_reply"], json!({"a": 1}));
}

fn nfm(name: &str, response_json: &str) -> Value {
    let mut m = msg(
        "interactive",
        json!({"type": "nfm_reply", "nfm_reply": {"name": name, "body": "Sent", "response_json": response_json}}),
    );
    m["context"] = json!({"from": "393404534569", "id": "wamid.FLOWMSG"});
    m
}

#[test]
fn flow_completion_also_publishes_flow_completed() {
    let u = one(nfm("flow", r#"{"flow_token":"AQAA","cs_rating":"0","screen_0_a":["x"]}"#));
    assert_eq!(u.events.len(), 2);
    assert_eq!(content(&u)["response"]["cs_rating"], "0");
    let f = event(&u, 1);
    assert_eq!(f.detail_type, EventType::FlowCompleted);
    assert_eq!(f.event_id(), event_id(EventType::FlowCompleted, &["wamid.interactive"]));
    assert_eq!(f.detail["flow_token"], "AQAA");
    assert_eq!(f.detail["response"], json!({"flow_token": "AQAA", "cs_rating": "0", "screen_0_a": ["x"]}));
    assert_eq!(f.detail["context_wamid"], "wamid.FLOWMSG");
    assert_eq!(f.detail["from"], FROM);
    assert!(!f.detail.contains_key("response_error"));
    // Without a token, and with a response that is not JSON.
    let u = one(nfm("flow", r#"{"a":1}"#));
    assert!(!event(&u, 1).detail.contains_key("flow_token"));
    let u = one(nfm("flow", "not json"));
    let f = event(&u, 1);
    assert_eq!(f.detail["response"], "not json");
    assert!(f.detail["response_error"].as_str().unwrap().contains("not valid JSON"));
    assert!(content(&u)["response_error"].is_string());
}

#[test]
fn address_reply_also_publishes_address_received() {
    let rj = r#"{"saved_address_id":12,"values":{"name":"A","phone_number":"919","in_pin_code":"400063","city":"Mumbai","address":"X"}}"#;
    let u = one(nfm("address_message", rj));
    assert_eq!(u.events.len(), 2);
    let a = event(&u, 1);
    assert_eq!(a.detail_type, EventType::AddressReceived);
    assert_eq!(a.detail["address"]["in_pin_code"], "400063");
    assert_eq!(a.detail["saved_address_id"], "12");
    // Another nfm name: only message.received.
    assert_eq!(one(nfm("other", "{}")).events.len(), 1);
}

#[test]
fn button_order_and_edit() {
    let mut b = msg("button", json!({"text": "Stop", "payload": "STOP_PROMO"}));
    b["context"] = json!({"from": "393404534569", "id": "wamid.TPL"});
    let u = one(b);
    assert_eq!(*content(&u), json!({"text": "Stop", "payload": "STOP_PROMO"}));
    assert_eq!(event(&u, 0).detail["context"], json!({"message_id": "wamid.TPL", "from": "393404534569"}));
    let order = json!({"catalog_id": "c1", "text": "hi", "product_items": [{"product_retailer_id": "p1", "quantity": "2", "item_price": 10.5, "currency": "EUR"}]});
    let u = one(msg("order", order));
    assert_eq!(
        content(&u)["product_items"][0],
        json!({"product_retailer_id": "p1", "quantity": 2, "item_price": 10.5, "currency": "EUR"})
    );
    let u = one(msg(
        "edit",
        json!({"original_message_id": "wamid.OLD", "message": {"type": "text", "text": {"body": "fixed"}}}),
    ));
    assert_eq!(*content(&u), json!({"original_message_id": "wamid.OLD", "type": "text", "content": {"body": "fixed"}}));
    assert_eq!(u.before.len(), 1, "an edit is the user writing");
}

#[test]
fn system_and_revoke_do_not_open_the_window() {
    let sys = json!({"body": "User A changed from 393462454282 to 393462454283", "type": "user_changed_number", "new_wa_id": "393462454283"});
    let u = one(msg("system", sys));
    assert!(u.before.is_empty());
    assert_eq!(content(&u)["type"], "user_changed_number");
    assert_eq!(content(&u)["new_wa_id"], "393462454283");
    let u = one(msg("revoke", json!({"original_message_id": "wamid.GONE"})));
    assert!(u.before.is_empty());
    assert_eq!(*content(&u), json!({"original_message_id": "wamid.GONE"}));
    // The record is still written.
    assert_eq!(after_item(&u).get_str("type"), Some("revoke"));
}

#[test]
fn unsupported_unknown_and_new_types() {
    let errors = json!([{"code": 131051, "title": "Message type unknown", "message": "Message type unknown", "error_data": {"details": "Message type is currently not supported."}}]);
    let mut m = msg("unsupported", json!({"type": "poll"}));
    m["errors"] = errors.clone();
    let u = one(m);
    let expect = json!({"code": 131051, "title": "Message type unknown", "message": "Message type unknown", "details": "Message type is currently not supported."});
    assert_eq!(*content(&u), json!({"errors": [expect], "unsupported_type": "poll"}));
    assert!(!event(&u, 0).detail.contains_key("errors"));
    assert_eq!(u.before.len(), 1);
    let mut m = msg("unknown", Value::Null);
    m["errors"] = json!([{"code": 130501, "title": "Unsupported message type"}]);
    assert_eq!(content(&one(m))["errors"][0]["code"], 130501);
    let u = one(msg("poll_vote", json!({"poll_id": "p", "options": [1, 2]})));
    let d = &event(&u, 0).detail;
    assert_eq!((d["type"].as_str(), d["unknown_type"].as_bool()), (Some("poll_vote"), Some(true)));
    assert_eq!(d["content"], json!({"poll_id": "p", "options": [1, 2]}));
    // No object under the type's name: the whole raw message.
    let u = one(msg("brand_new", Value::Null));
    assert_eq!(content(&u)["id"], "wamid.brand_new");
}

#[test]
fn request_welcome_opens_the_window() {
    let u = one(msg("request_welcome", Value::Null));
    assert_eq!(*content(&u), json!({}));
    assert_eq!(u.before.len(), 1);
}

#[test]
fn context_referral_identity_and_forwarding() {
    let mut m = msg("text", json!({"body": "about this"}));
    m["context"] = json!({"forwarded": true, "frequently_forwarded": true, "referred_product": {"catalog_id": "c", "product_retailer_id": "p"}});
    m["referral"] = json!({"source_url": "https://fb.me/x", "source_id": "ad1", "source_type": "ad", "headline": "H", "ctwa_clid": "clid", "welcome_message": {"text": "Hi"}});
    m["identity"] = json!({"acknowledged": true, "created_timestamp": "1700000000", "hash": "h"});
    let u = one(m);
    let d = &event(&u, 0).detail;
    assert_eq!(
        d["context"],
        json!({"forwarded": true, "frequently_forwarded": true, "referred_product": {"catalog_id": "c", "product_retailer_id": "p"}})
    );
    assert_eq!(d["referral"]["ctwa_clid"], "clid");
    assert_eq!(d["referral"]["welcome_message"]["text"], "Hi");
    assert_eq!(d["identity"]["hash"], "h");
}

#[test]
fn bsuid_only_sender_is_keyed_by_user_id() {
    let entry = messages_entry(json!({
        "contacts": [{"profile": {"name": "Kerry", "username": "kerry.k"}, "user_id": "US.13491208655302741918", "parent_user_id": "US.P1"}],
        "messages": [{"from_user_id": "US.13491208655302741918", "id": "wamid.B", "timestamp": TS.to_string(), "type": "text", "text": {"body": "hi"}}],
    }));
    let u = only(&entry);
    let d = &event(&u, 0).detail;
    assert!(!d.contains_key("from"));
    assert_eq!(d["from_user_id"], "US.13491208655302741918");
    assert_eq!(d["from_parent_user_id"], "US.P1");
    assert_eq!((d["contact_name"].as_str(), d["contact_username"].as_str()), (Some("Kerry"), Some("kerry.k")));
    assert_eq!(u.before[0].key().0, keys::contact_window(PHONE, "US.13491208655302741918").pk);
    let item = after_item(&u);
    assert_eq!(item.get_str(keys::GSI1PK), Some(keys::contact_timeline(PHONE, "US.13491208655302741918").as_str()));
    assert_eq!(item.get_str("from"), None);
    assert_eq!(item.get_str("from_user_id"), Some("US.13491208655302741918"));
}

#[test]
fn group_messages_carry_group_id_and_do_not_open_a_window() {
    let mut m = msg("text", json!({"body": "hi all"}));
    m["group_id"] = json!("120363000000000000");
    let u = one(m);
    assert_eq!(event(&u, 0).detail["group_id"], "120363000000000000");
    assert!(u.before.is_empty());
    assert_eq!(after_item(&u).get_str("group_id"), Some("120363000000000000"));
}

#[test]
fn several_messages_several_contacts_and_time_fallbacks() {
    let entry = messages_entry(json!({
        "contacts": [{"profile": {"name": "A"}, "wa_id": "111"}, {"profile": {"name": "B"}, "wa_id": "222"}],
        "messages": [
            {"from": "+222", "id": "wamid.1", "timestamp": "1758171394", "type": "text", "text": {"body": "b"}},
            {"from": "111", "id": "wamid.2", "type": "text", "text": {"body": "a"}},
        ],
    }));
    let units = run(&entry);
    assert_eq!(units.len(), 2);
    assert_eq!(event(&units[0], 0).detail["contact_name"], "B");
    assert_eq!(event(&units[0], 0).detail["from"], "222");
    assert_eq!(event(&units[1], 0).detail["contact_name"], "A");
    // No timestamp and no entry time: processing time.
    assert_eq!(event(&units[1], 0).detail["timestamp"], NOW);
    let mut with_time = entry.clone();
    with_time["time"] = json!(1_758_000_000);
    assert_eq!(event(&run(&with_time)[1], 0).detail["timestamp"], 1_758_000_000);
    // Identical redelivery: identical units.
    assert_eq!(run(&entry), run(&entry));
}

#[test]
fn waba_and_phone_fall_back_to_the_eum_context() {
    let mut entry = entry_of(vec![msg("text", json!({"body": "x"}))]);
    entry.as_object_mut().unwrap().remove("id");
    let u = only(&entry);
    assert_eq!(event(&u, 0).detail["waba_id"], "ctx-waba");
}

#[test]
fn oversized_messages_are_referenced_not_inlined() {
    let big = "x".repeat(2_000);
    let mut c = ctx();
    c.max_inline_raw_bytes = 1_000;
    c.message_ttl_secs = None;
    let units = run_with(&entry_of(vec![nfm("flow", &format!("{{\"flow_token\":\"T\",\"big\":\"{big}\"}}"))]), &c);
    let u = &units[0];
    assert_eq!(content(u), &json!({"stored_at": "MSG#wamid.interactive"}));
    assert_eq!(event(u, 1).detail["response"], json!({"stored_at": "MSG#wamid.interactive"}));
    assert_eq!(event(u, 1).detail["flow_token"], "T");
    let item = after_item(u);
    assert!(item.get_str("raw").unwrap().contains(&big));
    assert!(!item.attrs.contains_key("content") && !item.attrs.contains_key(keys::EXPIRES_AT));
}
