//! The 2026 platform fields (docs/PROTOCOL.md §10): calls, coexistence, groups, identity.
//! The record tests apply the units' writes to the in-memory store in every order, duplicates
//! included, and compare what is left.

use serde_json::{json, Value};

use super::tests::*;
use crate::domain::events::EventType;
use crate::domain::ingest_plan::IngestPlan;
use crate::domain::keys;
use crate::domain::table::{Item, Write};
use crate::memory::MemoryStore;
use crate::ports::Store;

fn meta() -> Value {
    json!({"display_phone_number": "16505551111", "phone_number_id": PHONE})
}

fn units(field: &str, mut value: Value) -> Vec<IngestPlan> {
    if let Some(v) = value.as_object_mut() {
        v.insert("messaging_product".into(), "whatsapp".into());
        v.insert("metadata".into(), meta());
    }
    run(&field_entry(field, value))
}

fn types(units: &[IngestPlan]) -> Vec<EventType> {
    units.iter().flat_map(|u| &u.events).map(|e| e.detail_type).collect()
}

/// Every write of the units (before and after), applied in order to a new store.
async fn apply(order: &[&IngestPlan]) -> Vec<Item> {
    let store = MemoryStore::new();
    for u in order {
        for w in u.before.iter().chain(&u.after) {
            store.write(w.clone()).await.unwrap();
        }
    }
    let mut items = store.snapshot();
    // SEEN marks carry an expiry computed from now; they are the same in every order anyway.
    items.retain(|i| !i.pk.starts_with("SEEN#"));
    items
}

/// Every permutation of `units`, each also with its first unit delivered twice.
async fn same_end_state(units: &[IngestPlan]) -> Vec<Item> {
    let mut orders: Vec<Vec<&IngestPlan>> = Vec::new();
    permute(&mut units.iter().collect::<Vec<_>>(), 0, &mut orders);
    let first = apply(&orders[0]).await;
    for order in &orders {
        assert_eq!(apply(order).await, first, "order {:?}", order.iter().map(|u| &u.label).collect::<Vec<_>>());
        let mut twice = order.clone();
        twice.push(order[0]);
        twice.insert(1, order[0]);
        assert_eq!(apply(&twice).await, first);
    }
    first
}

fn permute<'a>(v: &mut Vec<&'a IngestPlan>, k: usize, out: &mut Vec<Vec<&'a IngestPlan>>) {
    if k == v.len() {
        out.push(v.clone());
        return;
    }
    for i in k..v.len() {
        v.swap(k, i);
        permute(v, k + 1, out);
        v.swap(k, i);
    }
}

fn item<'a>(items: &'a [Item], key: &keys::Key) -> &'a Item {
    items.iter().find(|i| i.pk == key.pk && i.sk == key.sk).unwrap_or_else(|| panic!("no {key} in {items:#?}"))
}

const WACID: &str = "wacid.HBgLMTY1MDM4Nzk0MzkVAgARGBJDQjZCMzlEQUE4OTJBMTE4RTUA";

fn call_units() -> Vec<IngestPlan> {
    let connect = units(
        "calls",
        json!({"calls": [{"id": WACID, "from": "16315553601", "to": "16505551111", "event": "connect",
            "timestamp": "1758171394", "direction": "BUSINESS_INITIATED",
            "session": {"sdp_type": "answer", "sdp": "v=0"}, "biz_opaque_callback_data": "order-12853"}]}),
    );
    let ringing = units(
        "calls",
        json!({"statuses": [{"id": WACID, "type": "call", "status": "RINGING", "timestamp": 1_758_171_390,
            "recipient_user_id": "US.13491208655302741918", "parent_recipient_user_id": "US.ENT.118"}]}),
    );
    let accepted = units(
        "calls",
        json!({"statuses": [{"id": WACID, "type": "call", "status": "ACCEPTED", "timestamp": "1758171396"}]}),
    );
    let terminate = units(
        "calls",
        json!({"calls": [{"id": WACID, "event": "terminate", "status": "COMPLETED", "direction": "BUSINESS_INITIATED",
            "start_time": "1758171396", "end_time": "1758171456", "duration": 60, "timestamp": 1_758_171_456}]}),
    );
    [connect, ringing, accepted, terminate].into_iter().flatten().collect()
}

#[test]
fn calls_become_call_events_with_their_fields() {
    let all = call_units();
    assert_eq!(
        types(&all),
        [EventType::CallConnect, EventType::CallStatus, EventType::CallStatus, EventType::CallTerminated]
    );
    let connect = &event(&all[0], 0).detail;
    assert_eq!(connect["call_id"], WACID);
    assert_eq!(connect["direction"], "BUSINESS_INITIATED");
    assert_eq!(connect["session"]["sdp_type"], "answer");
    assert_eq!(connect["timestamp"], 1_758_171_394);
    let ringing = &event(&all[1], 0).detail;
    assert_eq!(ringing["status"], "RINGING");
    assert_eq!(ringing["recipient_parent_user_id"], "US.ENT.118", "the old spelling is read");
    let end = &event(&all[3], 0).detail;
    assert_eq!((end["duration"].as_i64(), end["start_time"].as_i64()), (Some(60), Some(1_758_171_396)));
    assert_eq!(all[3].mark, keys::seen(&format!("calls:{}", event(&all[3], 0).event_id())));
}

#[tokio::test]
async fn a_call_sequence_in_any_order_ends_in_the_same_record() {
    let items = same_end_state(&call_units()).await;
    let call = item(&items, &keys::call(PHONE, WACID));
    assert_eq!(call.get_str("state"), Some("COMPLETED"));
    assert_eq!(call.get_str("direction"), Some("BUSINESS_INITIATED"));
    assert_eq!(call.get_i64("duration"), Some(60));
    assert_eq!(call.get_i64("ringing_at"), Some(1_758_171_390));
    assert_eq!(call.get_i64("accepted_at"), Some(1_758_171_396));
    assert_eq!(call.get_str("biz_opaque_callback_data"), Some("order-12853"));
}

#[tokio::test]
async fn a_rejected_call_never_goes_back_to_ringing() {
    let rejected = units("calls", json!({"statuses": [{"id": WACID, "status": "REJECTED", "timestamp": 5}]}));
    let ringing = units("calls", json!({"statuses": [{"id": WACID, "status": "RINGING", "timestamp": 4}]}));
    let items = apply(&[&rejected[0], &ringing[0]]).await;
    assert_eq!(item(&items, &keys::call(PHONE, WACID)).get_str("state"), Some("REJECTED"));
}

#[test]
fn call_enums_are_open_and_a_call_needs_an_id() {
    let u = units("calls", json!({"calls": [{"id": "wacid.X", "event": "transfer", "timestamp": "12"}]}));
    assert_eq!(types(&u), [EventType::CallStatus]);
    assert_eq!(event(&u[0], 0).detail["event"], "transfer");
    // Only the attributes of the record are written, never a state it does not know.
    assert!(u[0].before.iter().all(|w| !matches!(w, Write::Update { updates, .. }
        if updates.iter().any(|x| matches!(x, crate::domain::table::Update::Set(a, _) if a == "state")))));
    let e = fail(&field_entry("calls", json!({"calls": [{"event": "connect"}]})));
    assert_eq!(e.field.as_deref(), Some("changes[0].value.calls[0].id"));
    let e = fail(&field_entry("calls", json!([1, 2])));
    assert_eq!(e.field.as_deref(), Some("changes[0].value"));
}

const ECHO: &str = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGCBFQ0hPMDAx";

fn echo_units() -> Vec<IngestPlan> {
    let echo = |e: Value| {
        units(
            "smb_message_echoes",
            json!({"contacts": [{"user_id": "US.134", "wa_id": "16315551181"}], "message_echoes": [e]}),
        )
    };
    let sent = echo(json!({"from": "16505551111", "to": "16315551181", "to_user_id": "US.134", "id": ECHO,
        "timestamp": "1739321024", "type": "text", "text": {"body": "Your order shipped"}}));
    let edit = echo(
        json!({"from": "16505551111", "to_user_id": "US.134", "id": "wamid.EDIT1", "timestamp": "1739321030",
        "type": "edit", "edit": {"original_message_id": ECHO, "message": {"type": "text", "text": {"body": "Your order shipped today"}}}}),
    );
    let edit2 = echo(
        json!({"from": "16505551111", "to_user_id": "US.134", "id": "wamid.EDIT2", "timestamp": "1739321040",
        "type": "edit", "edit": {"original_message_id": ECHO, "message": {"type": "text", "text": {"body": "Shipped at 10:00"}}}}),
    );
    let revoke = echo(json!({"from": "16505551111", "id": "wamid.REVOKE", "timestamp": 1_739_321_050,
        "type": "revoke", "revoke": {"original_message_id": ECHO}}));
    [sent, edit, edit2, revoke].into_iter().flatten().collect()
}

#[test]
fn echoes_are_outbound_messages_from_the_business_app() {
    let all = echo_units();
    assert_eq!(types(&all), [EventType::MessageEchoed; 4]);
    let d = &event(&all[0], 0).detail;
    assert_eq!((d["source"].as_str(), d["type"].as_str()), (Some("business_app"), Some("text")));
    assert_eq!(d["content"]["body"], "Your order shipped");
    assert_eq!(event(&all[3], 0).detail["original_message_id"], ECHO);
}

#[tokio::test]
async fn an_echo_its_edits_and_its_revoke_in_any_order_end_in_the_same_record() {
    let items = same_end_state(&echo_units()).await;
    let m = item(&items, &keys::message(ECHO));
    assert_eq!(m.get_str("direction"), Some("outbound"));
    assert_eq!(m.get_str("source"), Some("business_app"));
    assert_eq!(m.attrs["content"]["body"], "Your order shipped");
    assert_eq!(m.attrs["edited_content"]["text"]["body"], "Shipped at 10:00", "the newest edit wins");
    assert_eq!(m.get_i64("revoked_at"), Some(1_739_321_050));
    assert_eq!(m.get_str("recipient_id"), Some("16315551181"));
    assert_eq!(items.iter().filter(|i| i.pk.starts_with("MSG#")).count(), 1, "edits and revokes touch the original");
}

fn history_chunk(messages: usize, body: &str) -> Value {
    let msgs: Vec<Value> = (0..messages)
        .map(|i| {
            json!({"from": "16315551181", "id": format!("wamid.H{i}"), "timestamp": "1739230000",
            "type": "text", "text": {"body": body}, "history_context": {"status": "READ"}})
        })
        .collect();
    json!({"history": [{"metadata": {"phase": 0, "chunk_order": "2", "progress": "55"},
        "threads": [{"id": "16315551181", "context": {"user_id": "US.134"}, "messages": msgs}]}]})
}

#[test]
fn a_history_chunk_is_stored_in_parts_and_reported_by_counts() {
    let u = units("history", history_chunk(3, "hi"));
    assert_eq!(types(&u), [EventType::HistoryProgress]);
    let d = &event(&u[0], 0).detail;
    assert_eq!(
        (d["phase"].as_str(), d["chunk_order"].as_i64(), d["progress"].as_i64()),
        (Some("0"), Some(2), Some(55))
    );
    assert_eq!((d["threads"].as_i64(), d["messages"].as_i64(), d["parts"].as_i64()), (Some(1), Some(3), Some(1)));
    assert!(!event(&u[0], 0).detail_json().contains("history_context"), "no message in the event");
    let Write::Put { item, .. } = &u[0].before[0] else { panic!("{:?}", u[0].before) };
    assert!(item.pk.starts_with("HISTORY#") && item.sk.starts_with("0#0000000002#"));
    let stored: Value = serde_json::from_str(item.get_str("raw").unwrap()).unwrap();
    assert_eq!(stored["threads"][0]["messages"][2]["id"], "wamid.H2");

    // Thousands of messages: several parts, each under the item limit, that join to the chunk.
    let big = units("history", history_chunk(4000, "a long message body é"));
    let parts: Vec<&str> = big[0]
        .before
        .iter()
        .filter_map(|w| match w {
            Write::Put { item, .. } => Some(item.get_str("raw").unwrap()),
            _ => None,
        })
        .collect();
    assert!(
        big[0].before.iter().any(|w| w.key() == (keys::coexistence(PHONE).pk.as_str(), "COEXISTENCE")),
        "the number is marked"
    );
    assert!(parts.len() > 1 && parts.iter().all(|p| p.len() <= 300 * 1024));
    let joined: Value = serde_json::from_str(&parts.concat()).unwrap();
    assert_eq!(joined["threads"][0]["messages"].as_array().map(Vec::len), Some(4000));
    assert_eq!(event(&big[0], 0).detail["parts"].as_u64(), Some(parts.len() as u64));
}

#[tokio::test]
async fn state_sync_and_user_id_updates_link_one_identity() {
    let sync = units(
        "smb_app_state_sync",
        json!({"state_sync": [{"type": "contact", "action": "add", "metadata": {"timestamp": "1739321024"},
            "contact": {"full_name": "Sheena Nelson", "phone_number": "+16315551181", "user_id": "US.134", "username": "@sheena"}}]}),
    );
    assert_eq!(types(&sync), [EventType::ContactSynced]);
    assert_eq!(event(&sync[0], 0).detail["full_name"], "Sheena Nelson");
    let changed = units(
        "user_id_update",
        json!({"user_id_update": [{"wa_id": "16315551181", "detail": "changed", "timestamp": 1_739_400_000,
            "user_id": {"previous": "US.134", "current": "US.999"}}]}),
    );
    assert_eq!(types(&changed), [EventType::UserIdChanged]);
    let items = same_end_state(&[sync, changed].concat()).await;
    let old = item(&items, &keys::identity("US.134"));
    assert_eq!((old.get_str("wa_id"), old.get_str("username")), (Some("16315551181"), Some("@sheena")));
    assert_eq!(old.get_str("replaced_by"), Some("US.999"));
    assert_eq!(item(&items, &keys::identity("US.999")).get_str("wa_id"), Some("16315551181"));
    assert_eq!(item(&items, &keys::identity_of_phone("16315551181")).get_str("user_id"), Some("US.999"), "the newest");
}

#[test]
fn an_inbound_message_with_phone_and_bsuid_links_them_after_the_window() {
    let u = only(&messages_entry(json!({
        "contacts": [{"profile": {"name": "Sheena", "username": "@sheena"}, "wa_id": FROM, "user_id": "US.134"}],
        "messages": [{"from": FROM, "from_user_id": "US.134", "id": "wamid.IN1", "timestamp": "1758171394",
            "type": "text", "text": {"body": "hi"}}]})));
    assert_eq!(u.before[0].key().0, keys::contact_window(PHONE, FROM).pk, "the window keeps the ordering key");
    assert!(u.before.iter().any(|w| w.key().0 == keys::identity("US.134").pk));
    // A BSUID alone links nothing.
    let lone = only(&messages_entry(json!({
        "contacts": [{"user_id": "US.134"}],
        "messages": [{"from_user_id": "US.134", "id": "wamid.IN2", "timestamp": "1758171394", "type": "text", "text": {"body": "hi"}}]})));
    assert!(lone.before.iter().all(|w| !w.key().0.starts_with("IDENTITY#")));
}

const GROUP: &str = "Y2FwaV9ncm91cDoxNjMxNTU1MTExMToxMjAzNjM0MDQ2OTQyMzM4MjAZD";

#[tokio::test]
async fn group_webhooks_become_group_events_and_keep_the_record() {
    let g = |field: &str, v: Value| units(field, json!({"groups": [v]}));
    let all: Vec<IngestPlan> = [
        g(
            "group_lifecycle_update",
            json!({"timestamp": "1758171000", "group_id": GROUP, "type": "group_create",
            "subject": "Order 12853", "invite_link": "https://chat.whatsapp.com/x", "request_id": "r1"}),
        ),
        g(
            "group_participants_update",
            json!({"timestamp": 1_758_171_100, "group_id": GROUP, "type": "group_participants_add",
            "reason": "invite_link", "added_participants": [{"wa_id": "16315551181", "user_id": "US.134"}]}),
        ),
        g(
            "group_participants_update",
            json!({"timestamp": 1_758_171_200, "group_id": GROUP, "type": "group_participants_remove",
            "initiated_by": "participant", "removed_participants": [{"user_id": "US.134"}]}),
        ),
        g(
            "group_settings_update",
            json!({"timestamp": 1_758_171_300, "group_id": GROUP, "type": "group_settings_update",
            "group_subject": {"text": "Order 12853 resolved", "update_successful": true}}),
        ),
        g("group_status_update", json!({"timestamp": 1_758_171_400, "group_id": GROUP, "type": "group_suspend"})),
    ]
    .concat();
    assert_eq!(
        types(&all),
        [
            EventType::GroupLifecycle,
            EventType::GroupParticipants,
            EventType::GroupParticipants,
            EventType::GroupSettings,
            EventType::GroupStatus
        ]
    );
    assert_eq!(event(&all[1], 0).detail["added_participants"][0]["user_id"], "US.134");
    let items = same_end_state(&all).await;
    let rec = item(&items, &keys::group(PHONE, GROUP));
    assert_eq!(rec.get_str("lifecycle"), Some("created"));
    assert_eq!(rec.get_str("live_subject"), Some("Order 12853 resolved"));
    assert_eq!(rec.attrs.get("suspended"), Some(&Value::Bool(true)));
    assert_eq!(item(&items, &keys::group_member(PHONE, GROUP, "US.134")).get_str("state"), Some("removed"));
}

#[test]
fn business_username_updates_are_typed() {
    let u = units(
        "business_username_update",
        json!({"display_phone_number": "16505551111", "username": "@ex", "status": "approved"}),
    );
    assert_eq!(types(&u), [EventType::PhoneUsername]);
    assert_eq!(event(&u[0], 0).detail["status"], "approved");
    // A 2026 field with no element to read is kept whole, never dropped.
    assert_eq!(types(&units("calls", json!({"future": 1}))), [EventType::WebhookUnknown]);
}

#[tokio::test]
async fn a_call_permission_reply_is_linked_to_its_request_and_the_newest_answer_wins() {
    let reply = |id: &str, ts: i64, response: &str, exp: Value| {
        only(&messages_entry(json!({
            "contacts": [{"wa_id": FROM, "user_id": "US.134"}],
            "messages": [{"from": FROM, "id": id, "timestamp": ts.to_string(), "type": "interactive",
                "context": {"from": "16505551111", "id": "wamid.CPR1"},
                "interactive": {"type": "call_permission_reply", "call_permission_reply":
                    {"response": response, "expiration_timestamp": exp, "response_source": "user_action"}}}]})))
    };
    // The expiration as an integer (pywa's fixture) and as a string (Meta's doc).
    let accepted = reply("wamid.R1", 1_758_171_400, "accept", json!(1_758_776_200));
    let rejected = reply("wamid.R2", 1_758_171_500, "reject", json!("1758776300"));
    let items = same_end_state(&[accepted, rejected]).await;
    let request = item(&items, &keys::message("wamid.CPR1"));
    assert_eq!(request.attrs["call_permission_reply"]["response"], "reject", "the newest answer");
    let p = item(&items, &keys::call_permission(PHONE, FROM));
    assert_eq!(
        (p.attrs["permission"]["response"].as_str(), p.attrs["permission"]["expiration"].as_i64()),
        (Some("reject"), Some(1_758_776_300))
    );
}

#[tokio::test]
async fn a_system_user_id_change_links_the_old_bsuid_to_the_new() {
    let u = only(&messages_entry(json!({
        "contacts": [{"profile": {"name": "Meera"}, "user_id": "US.OLD1"}],
        "messages": [{"from_user_id": "US.OLD1", "id": "wamid.SYS1", "timestamp": "1758171394", "type": "system",
            "system": {"body": "changed", "type": "user_changed_user_id", "user_id": "US.NEW1"}}]})));
    assert_eq!(types(std::slice::from_ref(&u)), [EventType::MessageReceived]);
    let items = apply(&[&u]).await;
    assert_eq!(item(&items, &keys::identity("US.OLD1")).get_str("replaced_by"), Some("US.NEW1"));
    assert!(u.before.iter().all(|w| !w.key().0.starts_with("CONTACT#")), "a system message opens no window");
}

#[tokio::test]
async fn a_sent_status_links_the_recipients_phone_and_bsuid_once_per_message() {
    let status = |st: &str, ts: i64| {
        only(&messages_entry(json!({"statuses": [{"id": "wamid.OUT1", "status": st, "timestamp": ts.to_string(),
            "recipient_id": FROM, "recipient_user_id": "US.555", "recipient_parent_user_id": "US.ENT.9"}]})))
    };
    let sent = status("sent", 10);
    let items = apply(&[&sent]).await;
    let id = item(&items, &keys::identity("US.555"));
    assert_eq!((id.get_str("wa_id"), id.get_str("parent_user_id")), (Some(FROM), Some("US.ENT.9")));
    assert_eq!(item(&items, &keys::identity_of_phone(FROM)).get_str("user_id"), Some("US.555"));
    assert!(status("delivered", 11).before.is_empty(), "later statuses write nothing more");
    let group = only(&messages_entry(json!({"statuses": [{"id": "wamid.G1", "status": "sent", "timestamp": "12",
        "recipient_id": "GROUP1", "recipient_type": "group", "recipient_user_id": "US.555"}]})));
    assert!(group.before.is_empty(), "a group is not a user");
}
