//! Fields other than `messages` (docs/PROTOCOL.md §3.6, flows, name and capability updates, unknown).

use serde_json::{json, Value};

use super::tests::*;
use crate::domain::events::EventType;
use crate::domain::ingest_plan::IngestPlan;
use crate::domain::keys;

fn one(field: &str, value: Value) -> IngestPlan {
    let u = only(&field_entry(field, value));
    assert_eq!(u.mark, keys::seen(&format!("{field}:{}", event(&u, 0).event_id())));
    assert!(u.before.is_empty());
    assert_eq!(after_item(&u).get_i64(keys::EXPIRES_AT), Some(NOW + 3600));
    u
}

fn detail(u: &IngestPlan) -> &serde_json::Map<String, Value> {
    &event(u, 0).detail
}

#[test]
fn template_status_update() {
    let u = one(
        "message_template_status_update",
        json!({"event": "REJECTED", "message_template_id": 1_689_556_908_129_832_u64, "message_template_name": "order_confirmation",
               "message_template_language": "en_US", "message_template_category": "UTILITY", "reason": "INVALID_FORMAT",
               "rejection_info": {"reason": "bad", "recommendation": "fix"}}),
    );
    let e = event(&u, 0);
    assert_eq!(e.detail_type, EventType::TemplateUpdated);
    let d = &e.detail;
    assert_eq!(d["change"], "status");
    assert_eq!(d["template_id"], "1689556908129832");
    assert_eq!((d["template_name"].as_str(), d["language"].as_str()), (Some("order_confirmation"), Some("en_US")));
    assert_eq!(
        (d["event"].as_str(), d["category"].as_str(), d["reason"].as_str()),
        (Some("REJECTED"), Some("UTILITY"), Some("INVALID_FORMAT"))
    );
    assert_eq!(d["rejection_info"], json!({"reason": "bad", "recommendation": "fix"}));
    assert_eq!((d["waba_id"].as_str(), d["phone_number_id"].as_str()), (Some(WABA), Some("ctx-phone")));
    assert_eq!(d["occurred_at"], "2024-11-07T17:20:00Z");
}

#[test]
fn template_quality_category_and_components_updates() {
    let ids = json!({"message_template_id": 806_312_974_732_579_u64, "message_template_name": "welcome_template", "message_template_language": "en_US"});
    let with = |extra: Value| {
        let mut v = ids.clone();
        v.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        v
    };
    let u = one(
        "message_template_quality_update",
        with(json!({"previous_quality_score": "GREEN", "new_quality_score": "YELLOW"})),
    );
    assert_eq!(
        (detail(&u)["change"].as_str(), detail(&u)["new_quality_score"].as_str()),
        (Some("quality"), Some("YELLOW"))
    );
    assert_eq!(detail(&u)["previous_quality_score"], "GREEN");
    let u = one(
        "template_category_update",
        with(json!({"previous_category": "UTILITY", "new_category": "MARKETING", "correct_category": "MARKETING"})),
    );
    assert_eq!(
        (detail(&u)["change"].as_str(), detail(&u)["new_category"].as_str()),
        (Some("category"), Some("MARKETING"))
    );
    let u = one(
        "message_template_components_update",
        with(
            json!({"message_template_element": "Hi {{1}}!", "message_template_title": "T", "message_template_footer": "F",
                     "message_template_buttons": [{"message_template_button_type": "URL", "message_template_button_text": "Go", "message_template_button_url": "https://x"}]}),
        ),
    );
    let d = detail(&u);
    assert_eq!(
        (d["change"].as_str(), d["element"].as_str(), d["title"].as_str()),
        (Some("components"), Some("Hi {{1}}!"), Some("T"))
    );
    assert_eq!(d["buttons"][0]["message_template_button_type"], "URL");
    assert_eq!(d["template_id"], "806312974732579");
    // A template change without its name is malformed.
    let e = fail(&field_entry(
        "message_template_quality_update",
        json!({"message_template_id": 1, "message_template_language": "en"}),
    ));
    assert_eq!(e.field.as_deref(), Some("changes[0].value.message_template_name"));
}

#[test]
fn phone_quality_and_name() {
    let u = one(
        "phone_number_quality_update",
        json!({"display_phone_number": "15550783881", "event": "DOWNGRADE", "old_limit": "TIER_2K", "current_limit": "TIER_250", "max_daily_conversations_per_business": "TIER_250"}),
    );
    assert_eq!(event(&u, 0).detail_type, EventType::PhoneQuality);
    let d = detail(&u);
    assert_eq!(
        (d["event"].as_str(), d["old_limit"].as_str(), d["current_limit"].as_str()),
        (Some("DOWNGRADE"), Some("TIER_2K"), Some("TIER_250"))
    );
    assert_eq!(
        (d["display_phone_number"].as_str(), d["max_daily_conversations_per_business"].as_str()),
        (Some("15550783881"), Some("TIER_250"))
    );
    let u = one(
        "phone_number_name_update",
        json!({"display_phone_number": "15550783881", "decision": "APPROVED", "requested_verified_name": "Acme", "rejection_reason": "NONE"}),
    );
    assert_eq!(event(&u, 0).detail_type, EventType::PhoneName);
    assert_eq!(
        (detail(&u)["decision"].as_str(), detail(&u)["requested_verified_name"].as_str()),
        (Some("APPROVED"), Some("Acme"))
    );
}

/// `account_alerts` is its own typed event (docs/PROTOCOL.md §10.7): every value kept as sent,
/// an alert type or severity Meta adds later included, and what is not modelled kept in `extra`.
#[test]
fn account_alerts_become_account_alert_events_whatever_their_values() {
    let u = one(
        "account_alerts",
        json!({"entity_type": "PHONE_NUMBER", "entity_id": 106540352242922_u64,
               "alert_info": {"alert_severity": "CRITICAL", "alert_status": "ACTIVE", "alert_type": "SOMETHING_NEW",
                              "alert_description": "A new kind of alert", "alert_id": "a-1"},
               "region": "EU"}),
    );
    let d = detail(&u);
    assert_eq!(event(&u, 0).detail_type, EventType::AccountAlert);
    assert_eq!((d["entity_type"].as_str(), d["entity_id"].as_str()), (Some("PHONE_NUMBER"), Some("106540352242922")));
    assert_eq!((d["alert_type"].as_str(), d["alert_severity"].as_str()), (Some("SOMETHING_NEW"), Some("CRITICAL")));
    assert_eq!(d["alert_status"], "ACTIVE");
    assert_eq!(d["extra"], json!({"region": "EU", "alert_info": {"alert_id": "a-1"}}));
    // Nothing but the entity: still an alert, with what there is.
    let bare = one("account_alerts", json!({"entity_type": "BUSINESS", "entity_id": "42"}));
    assert_eq!(event(&bare, 0).detail_type, EventType::AccountAlert);
    assert!(!detail(&bare).contains_key("alert_type"));
    assert_ne!(bare.mark, u.mark, "different alerts are different units");
}

#[test]
fn account_and_capability_updates() {
    let u = one(
        "account_update",
        json!({"event": "ACCOUNT_RESTRICTION", "phone_number": "15550783881",
               "restriction_info": [{"restriction_type": "RESTRICTED_BIZ_INITIATED_MESSAGING", "expiration": 1_641_330_498}],
               "violation_info": {"violation_type": "ADULT"}, "ban_info": {"waba_ban_state": ["SCHEDULE_FOR_DISABLE"], "waba_ban_date": "April 17, 2025"},
               "waba_info": {"waba_id": "1", "owner_business_id": "2"}, "lock_info": {"expiration": 1}}),
    );
    let d = detail(&u);
    assert_eq!(event(&u, 0).detail_type, EventType::AccountUpdated);
    assert_eq!((d["change"].as_str(), d["event"].as_str()), (Some("account_update"), Some("ACCOUNT_RESTRICTION")));
    assert_eq!(d["restriction_info"][0]["expiration"], 1_641_330_498);
    assert_eq!(d["violation_info"]["violation_type"], "ADULT");
    assert_eq!(d["ban_info"]["waba_ban_state"], json!(["SCHEDULE_FOR_DISABLE"]));
    assert_eq!(d["waba_info"]["owner_business_id"], "2");
    assert_eq!(d["extra"], json!({"lock_info": {"expiration": 1}}));
    let u = one(
        "business_capability_update",
        json!({"max_daily_conversation_per_phone": 1000, "max_phone_numbers_per_business": 2}),
    );
    let d = detail(&u);
    assert_eq!(event(&u, 0).detail_type, EventType::AccountUpdated);
    assert_eq!(
        (d["change"].as_str(), d["max_daily_conversation_per_phone"].as_i64()),
        (Some("business_capability_update"), Some(1000))
    );
    assert_eq!(d["max_phone_numbers_per_business"], 2);
    assert!(!d.contains_key("extra") && !d.contains_key("event"));
}

#[test]
fn user_preferences_one_event_each() {
    let v = json!({"messaging_product": "whatsapp", "metadata": {"display_phone_number": "1", "phone_number_id": PHONE},
                   "contacts": [{"wa_id": "16505551234", "user_id": "US.9", "profile": {"name": "A"}}],
                   "user_preferences": [
                       {"wa_id": "16505551234", "detail": "User requested to stop marketing messages", "category": "marketing_messages", "value": "stop", "timestamp": 1_731_705_721},
                       {"wa_id": "16505551235", "category": "marketing_messages", "value": "resume", "timestamp": "1731705722"}]});
    let u = only(&field_entry("user_preferences", v));
    assert_eq!(u.events.len(), 2);
    let d = &event(&u, 0).detail;
    assert_eq!(event(&u, 0).detail_type, EventType::UserPreferences);
    assert_eq!(
        (d["wa_id"].as_str(), d["user_id"].as_str(), d["value"].as_str()),
        (Some("16505551234"), Some("US.9"), Some("stop"))
    );
    assert_eq!((d["timestamp"].as_i64(), d["phone_number_id"].as_str()), (Some(1_731_705_721), Some(PHONE)));
    assert_eq!(d["occurred_at"], "2024-11-15T21:22:01Z");
    assert_eq!(event(&u, 1).detail["value"], "resume");
    assert!(u.mark.pk.starts_with("SEEN#user_preferences:"));
    // The opt-out state lands on each contact's window item before the events go out; one
    // write per preference plus the mark keeps within two writes per event.
    assert_eq!(u.before.len(), 2);
    let crate::domain::table::Write::Update { pk, updates, cond, .. } = &u.before[0] else { panic!("an update") };
    assert_eq!(pk, &keys::contact_window(PHONE, "16505551234").pk);
    assert!(updates.contains(&crate::domain::table::Update::Set("marketing_opt_out".into(), json!(true))));
    assert_eq!(cond, &Some(crate::domain::table::Cond::missing_or_lt("marketing_pref_at", 1_731_705_721)));
    let crate::domain::table::Write::Update { updates, .. } = &u.before[1] else { panic!("an update") };
    assert!(updates.contains(&crate::domain::table::Update::Set("marketing_opt_out".into(), json!(false))));
}

#[test]
fn payment_configuration_and_flows() {
    let u = one(
        "payment_configuration_update",
        json!({"configuration_name": "cfg", "provider_name": "razorpay", "provider_mid": "m1", "status": "Active",
               "created_timestamp": 1_746_500_000, "updated_timestamp": "1746500001"}),
    );
    assert_eq!(event(&u, 0).detail_type, EventType::PaymentConfiguration);
    let d = detail(&u);
    assert_eq!((d["provider_name"].as_str(), d["updated_timestamp"].as_i64()), (Some("razorpay"), Some(1_746_500_001)));
    let u = one(
        "flows",
        json!({"event": "FLOW_STATUS_CHANGE", "message": "Flow X changed status from DRAFT to PUBLISHED", "flow_id": 7_788,
               "old_status": "DRAFT", "new_status": "PUBLISHED"}),
    );
    assert_eq!(event(&u, 0).detail_type, EventType::FlowUpdated);
    let d = detail(&u);
    assert_eq!((d["flow_id"].as_str(), d["new_status"].as_str()), (Some("7788"), Some("PUBLISHED")));
    let u = one(
        "flows",
        json!({"event": "ENDPOINT_ERROR_RATE", "flow_id": "1", "alert_state": "ACTIVATED", "alert_severity": "CRITICAL",
               "error_rate": 0.35, "threshold": 0.1, "errors": [{"error_type": "TIMEOUT", "error_count": 5}]}),
    );
    let d = detail(&u);
    assert_eq!(d["alert_state"], "ACTIVATED");
    assert_eq!(d["extra"]["error_rate"], 0.35);
    assert_eq!(d["extra"]["errors"][0]["error_type"], "TIMEOUT");
}

#[test]
fn unknown_fields_are_kept_whole() {
    let v = json!({"messaging_product": "whatsapp", "metadata": {"phone_number_id": PHONE}, "future": [{"id": "c1", "event": "connect"}]});
    let u = one("some_future_field", v.clone());
    let e = event(&u, 0);
    assert_eq!(e.detail_type, EventType::WebhookUnknown);
    assert_eq!(
        (e.detail["field"].as_str(), e.detail["phone_number_id"].as_str()),
        (Some("some_future_field"), Some(PHONE))
    );
    assert_eq!(e.detail["value"], v);
    let u = one("brand_new_field", json!([1, 2]));
    assert_eq!(detail(&u)["value"], json!([1, 2]));
    let u = only(&json!({"id": WABA, "changes": [{"field": "nothing"}]}));
    assert!(!detail(&u).contains_key("value"));
}

#[test]
fn change_ids_collide_on_redelivery_only() {
    let a = json!({"event": "FLAGGED", "display_phone_number": "1", "current_limit": "TIER_2K"});
    let reordered: Value =
        serde_json::from_str(r#"{"current_limit":"TIER_2K","display_phone_number":"1","event":"FLAGGED"}"#).unwrap();
    let id = |entry: &Value| only(entry).events[0].event_id().to_string();
    let base = id(&field_entry("phone_number_quality_update", a.clone()));
    assert_eq!(base, id(&field_entry("phone_number_quality_update", reordered)));
    assert_ne!(
        base,
        id(&field_entry("phone_number_quality_update", json!({"event": "UNFLAGGED", "display_phone_number": "1"})))
    );
    let mut other_waba = field_entry("phone_number_quality_update", a.clone());
    other_waba["id"] = json!("999");
    assert_ne!(base, id(&other_waba));
    let mut later = field_entry("phone_number_quality_update", a);
    later["time"] = json!(1_731_000_001);
    assert_ne!(base, id(&later));
}

#[test]
fn oversized_unknown_values_go_on_the_seen_item() {
    let mut c = ctx();
    c.max_inline_raw_bytes = 100;
    let v = json!({"blob": "y".repeat(500)});
    let units = run_with(&field_entry("some_future_field", v), &c);
    let u = &units[0];
    assert_eq!(event(u, 0).detail["value"], json!({"stored_at": u.mark.pk}));
    assert!(after_item(u).get_str("raw").unwrap().contains(&"y".repeat(500)));
}
