//! Statuses, payment statuses and value-level errors (docs/PROTOCOL.md §3.4, §6.2, §3.5).

use serde_json::{json, Value};

use super::tests::*;
use crate::domain::events::{event_id, EventType};
use crate::domain::ingest_plan::IngestPlan;
use crate::domain::keys;

fn status(status: &str, extra: Value) -> Value {
    let mut s = json!({"id": "wamid.OUT", "status": status, "timestamp": "1758171395", "recipient_id": FROM});
    if let (Some(s), Value::Object(extra)) = (s.as_object_mut(), extra) {
        s.extend(extra);
    }
    s
}

fn one_status(s: Value) -> IngestPlan {
    only(&messages_entry(json!({"statuses": [s]})))
}

pub fn fixture_statuses() -> Value {
    messages_entry(json!({"statuses": [
        status("sent", json!({"pricing": {"billable": true, "pricing_model": "CBP", "category": "service"},
                               "conversation": {"id": "c1", "expiration_timestamp": "1758257795", "origin": {"type": "service"}}})),
        status("failed", json!({"errors": [{"code": 131026, "title": "Message undeliverable"}]})),
        payment_status(),
    ]}))
}

#[test]
fn sent_status_with_conversation_and_pricing() {
    let u = one_status(status(
        "sent",
        json!({"biz_opaque_callback_data": "req-1",
               "conversation": {"id": "c1", "expiration_timestamp": "1758257795", "origin": {"type": "service"}},
               "pricing": {"billable": true, "pricing_model": "CBP", "category": "service"}}),
    ));
    assert_eq!(u.mark, keys::seen("status:wamid.OUT:sent:1758171395"));
    assert!(u.before.is_empty());
    let item = after_item(&u);
    assert_eq!((item.pk.as_str(), item.sk.as_str()), (u.mark.pk.as_str(), "SEEN"));
    assert_eq!(item.get_i64(keys::EXPIRES_AT), Some(NOW + 3600));
    assert_eq!(item.attrs.len(), 1);
    let e = event(&u, 0);
    assert_eq!(e.detail_type, EventType::MessageStatus);
    assert_eq!(e.event_id(), event_id(EventType::MessageStatus, &["wamid.OUT", "sent", "1758171395", ""]));
    let d = &e.detail;
    assert_eq!(d["occurred_at"], "2025-09-18T04:56:35Z");
    assert_eq!(
        (d["wamid"].as_str(), d["status"].as_str(), d["timestamp"].as_i64()),
        (Some("wamid.OUT"), Some("sent"), Some(1_758_171_395))
    );
    assert_eq!(d["recipient_id"], FROM);
    assert_eq!(d["biz_opaque_callback_data"], "req-1");
    assert_eq!(d["conversation"], json!({"id": "c1", "expiration_timestamp": 1_758_257_795, "origin_type": "service"}));
    assert_eq!(d["pricing"], json!({"billable": true, "pricing_model": "CBP", "category": "service"}));
    assert!(!d.contains_key("errors") && !d.contains_key("recipient_type"));
}

#[test]
fn every_status_kind_including_unknown_strings() {
    for s in ["delivered", "read", "played", "deleted", "warning", "something_new"] {
        let u = one_status(status(s, json!({})));
        assert_eq!(event(&u, 0).detail["status"], s);
        assert_eq!(u.mark, keys::seen(&format!("status:wamid.OUT:{s}:1758171395")));
    }
}

#[test]
fn failed_status_with_errors_and_pmp_pricing() {
    let errors = json!([{"code": 131026, "title": "Message undeliverable", "message": "Message undeliverable",
                         "error_data": {"details": "Receiver is incapable"}, "href": "https://developers.facebook.com/docs"}]);
    let d = event(&one_status(status("failed", json!({"errors": errors}))), 0).detail.clone();
    assert_eq!(
        d["errors"],
        json!([{"code": 131026, "title": "Message undeliverable", "message": "Message undeliverable",
                "details": "Receiver is incapable", "href": "https://developers.facebook.com/docs"}])
    );
    let pmp = json!({"pricing": {"billable": true, "pricing_model": "PMP", "category": "utility", "type": "regular"}});
    let d = event(&one_status(status("delivered", pmp)), 0).detail.clone();
    assert_eq!(
        d["pricing"],
        json!({"billable": true, "pricing_model": "PMP", "category": "utility", "type": "regular"})
    );
    assert!(!d.contains_key("conversation"));
}

#[test]
fn group_statuses_are_per_participant() {
    let a =
        status("read", json!({"recipient_type": "group", "recipient_id": "120363", "recipient_participant_id": "111"}));
    let b =
        status("read", json!({"recipient_type": "group", "recipient_id": "120363", "recipient_participant_id": "222"}));
    let units = run(&messages_entry(json!({"statuses": [a, b]})));
    assert_eq!(units.len(), 2);
    assert_eq!(units[0].mark, keys::seen("status:wamid.OUT:read:1758171395:111"));
    assert_ne!(units[0].mark, units[1].mark);
    assert_eq!(event(&units[1], 0).detail["recipient_type"], "group");
    assert_eq!(event(&units[1], 0).detail["recipient_participant_id"], "222");
}

#[test]
fn bsuid_recipient() {
    let mut s = status("delivered", json!({"recipient_user_id": "US.1", "parent_recipient_user_id": "US.P"}));
    s.as_object_mut().unwrap().remove("recipient_id");
    let d = event(&one_status(s), 0).detail.clone();
    assert_eq!((d["recipient_user_id"].as_str(), d["parent_recipient_user_id"].as_str()), (Some("US.1"), Some("US.P")));
    assert!(!d.contains_key("recipient_id"));
}

/// Both spellings Meta has used for the parent BSUID and the group participant are read, and
/// a status that carries both is still one status, never a decoding error.
#[test]
fn either_spelling_of_the_parent_bsuid_and_the_participant_is_read() {
    let mut s = status(
        "read",
        json!({"recipient_user_id": "US.1", "recipient_parent_user_id": "US.ENT.P",
               "recipient_type": "group", "participant_recipient_id": "333"}),
    );
    s.as_object_mut().unwrap().remove("recipient_id");
    let u = one_status(s.clone());
    let d = &event(&u, 0).detail;
    assert_eq!(d["parent_recipient_user_id"], "US.ENT.P");
    assert_eq!(d["recipient_participant_id"], "333");
    assert_eq!(u.mark, keys::seen("status:wamid.OUT:read:1758171395:333"), "the participant is part of the identity");
    s["parent_recipient_user_id"] = json!("US.ENT.P");
    s["recipient_participant_id"] = json!("333");
    let both = one_status(s);
    assert_eq!(both.mark, u.mark);
    assert_eq!(event(&both, 0).detail["parent_recipient_user_id"], "US.ENT.P");
}

fn payment_status() -> Value {
    json!({"id": "wamid.ORDER", "from": "919876543210", "type": "payment", "status": "captured", "timestamp": "1746500010",
           "payment": {"reference_id": "ref-1", "amount": {"value": 45000, "offset": 100}, "currency": "INR", "receipt": "",
               "transaction": {"id": "order_SdrcSSqobZ7voR", "type": "razorpay", "status": "success",
                   "created_timestamp": 1_746_500_000, "updated_timestamp": 1_746_500_005,
                   "amount": {"value": 45000, "offset": 100}, "currency": "INR", "method": {"type": "upi"}}}})
}

#[test]
fn payment_status_becomes_payment_updated() {
    let u = one_status(payment_status());
    assert_eq!(u.events.len(), 1);
    let e = event(&u, 0);
    assert_eq!(e.detail_type, EventType::PaymentUpdated);
    assert_eq!(u.mark, keys::seen(&format!("payment:{}", e.event_id())));
    let d = &e.detail;
    assert_eq!(
        (d["reference_id"].as_str(), d["status"].as_str(), d["wamid"].as_str()),
        (Some("ref-1"), Some("captured"), Some("wamid.ORDER"))
    );
    assert_eq!(d["amount"], json!({"value": 45000, "offset": 100}));
    assert_eq!(
        (d["currency"].as_str(), d["from"].as_str(), d["timestamp"].as_i64()),
        (Some("INR"), Some("919876543210"), Some(1_746_500_010))
    );
    assert_eq!(d["transaction"]["id"], "order_SdrcSSqobZ7voR");
    assert_eq!(d["transaction"]["method"], json!({"type": "upi"}));
    assert!(!d.contains_key("refunds"));
    // A later webhook reporting a refund is a different event; a redelivery is the same one.
    let mut refunded = payment_status();
    refunded["payment"]["transaction"]["refunds"] = json!([{"id": "rfnd_1", "amount": {"value": 45000, "offset": 100}, "speed_processed": "normal", "status": "completed"}]);
    let r = one_status(refunded);
    assert_ne!(event(&r, 0).event_id(), e.event_id());
    assert_ne!(r.mark, u.mark);
    assert_eq!(event(&r, 0).detail["refunds"][0]["id"], "rfnd_1");
    assert!(event(&r, 0).detail["transaction"].get("refunds").is_none());
    assert_eq!(one_status(payment_status()).events, u.events);
    // A payment status without its reference is malformed.
    let mut bad = payment_status();
    bad["payment"].as_object_mut().unwrap().remove("reference_id");
    let err = fail(&messages_entry(json!({"statuses": [bad]})));
    assert_eq!(err.field.as_deref(), Some("changes[0].value.statuses[0].payment.reference_id"));
}

#[test]
fn value_level_errors() {
    let errors = json!([{"code": 131000, "title": "Something went wrong", "message": "Something went wrong",
                         "error_data": {"details": "Unknown error"}}]);
    let u = only(&messages_entry(json!({"errors": errors})));
    let e = event(&u, 0);
    assert_eq!(e.detail_type, EventType::WebhookErrors);
    assert_eq!(u.mark, keys::seen(&format!("errors:{}", e.event_id())));
    assert_eq!(
        e.detail["errors"][0],
        json!({"code": 131000, "title": "Something went wrong", "message": "Something went wrong", "details": "Unknown error"})
    );
    assert_eq!(e.detail["phone_number_id"], PHONE);
    // The same errors redelivered: same event id.
    assert_eq!(only(&messages_entry(json!({"errors": errors}))).events, u.events);
}

#[test]
fn a_messages_value_with_nothing_known_is_kept_as_unknown() {
    let u = only(&messages_entry(json!({"contacts": [{"wa_id": FROM}], "calls_preview": [1]})));
    let e = event(&u, 0);
    assert_eq!(e.detail_type, EventType::WebhookUnknown);
    assert_eq!(e.detail["field"], "messages");
    assert_eq!(e.detail["value"]["calls_preview"], json!([1]));
}

#[test]
fn messages_and_statuses_in_one_entry_keep_their_order() {
    let m = json!({"from": FROM, "id": "wamid.IN", "timestamp": "1758171394", "type": "text", "text": {"body": "x"}});
    let mut entry = messages_entry(json!({"messages": [m]}));
    let second = messages_entry(json!({"statuses": [status("read", json!({}))]}))["changes"][0].clone();
    entry["changes"].as_array_mut().unwrap().push(second);
    let units = run(&entry);
    assert_eq!(
        units.iter().map(|u| u.label.as_str()).collect::<Vec<_>>(),
        ["message wamid.IN", "status wamid.OUT read"]
    );
}

#[test]
fn a_status_repeated_in_one_entry_repeats_its_mark() {
    let units = run(&messages_entry(json!({"statuses": [status("read", json!({})), status("read", json!({}))]})));
    assert_eq!(units.len(), 2);
    assert_eq!(units[0].mark, units[1].mark);
    assert_eq!(units[0].events, units[1].events);
}

#[test]
fn the_envelopes_eum_message_id_names_a_status_only_when_it_is_alone() {
    let mut c = ctx();
    c.eum_message_id = Some("4bee7d29-70f5-4a49-b84e-facf4424fe58");
    let alone = run_with(&messages_entry(json!({"statuses": [status("delivered", json!({}))]})), &c);
    assert_eq!(event(&alone[0], 0).detail["eum_message_id"], "4bee7d29-70f5-4a49-b84e-facf4424fe58");
    let two =
        run_with(&messages_entry(json!({"statuses": [status("sent", json!({})), status("read", json!({}))]})), &c);
    assert_eq!(two.len(), 2);
    assert!(two.iter().all(|u| event(u, 0).detail.get("eum_message_id").is_none()), "which of the two is unknown");
    let without = run(&messages_entry(json!({"statuses": [status("read", json!({}))]})));
    assert!(event(&without[0], 0).detail.get("eum_message_id").is_none());
}
