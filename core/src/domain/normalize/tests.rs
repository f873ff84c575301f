//! Shared test helpers, malformed entries, and property tests (no input panics).

use proptest::prelude::*;
use serde_json::{json, Value};

use super::normalize;
use crate::domain::envelope::{DecodeError, EumContext, Layer, PhoneRef, WabaRef};
use crate::domain::event_catalogue;
use crate::domain::events::{from_epoch_secs, DomainEvent};
use crate::domain::ingest_plan::{IngestPlan, NormalizeContext};
use crate::domain::table::{Item, Write};

pub const WABA: &str = "1393727385109399";
pub const PHONE: &str = "729155140271006";
pub const FROM: &str = "393462454282";
/// The processing time of every test context.
pub const NOW: i64 = 1_760_000_000;
pub const TS: i64 = 1_758_171_394;

pub fn ctx() -> NormalizeContext<'static> {
    let context: &'static EumContext = Box::leak(Box::new(EumContext {
        wabas: vec![WabaRef { waba_id: "ctx-waba".into(), arn: "arn:waba".into() }],
        phones: vec![PhoneRef { meta_phone_number_id: "ctx-phone".into(), arn: "arn:phone".into() }],
    }));
    let mut c = NormalizeContext::new(context, from_epoch_secs(NOW).unwrap());
    c.seen_ttl_secs = 3600;
    c.message_ttl_secs = Some(86_400);
    c
}

/// Normalize, and check what must hold of every result: every event validates against the
/// catalogue, stays small, has a unique id; every unit writes its mark after publishing.
pub fn run_with(entry: &Value, ctx: &NormalizeContext<'_>) -> Vec<IngestPlan> {
    let units = normalize(&entry.to_string(), ctx).unwrap_or_else(|e| panic!("{e}: {entry}"));
    check(&units);
    units
}

pub fn run(entry: &Value) -> Vec<IngestPlan> {
    run_with(entry, &ctx())
}

pub fn check(units: &[IngestPlan]) {
    // An id may repeat only where the webhook repeats itself (same mark: a duplicate).
    let mut ids = std::collections::HashMap::new();
    for u in units {
        assert!(
            u.after.iter().any(|w| w.key() == (u.mark.pk.as_str(), u.mark.sk.as_str())),
            "{} writes no mark",
            u.label
        );
        for e in &u.events {
            event_catalogue::validate(e).unwrap_or_else(|err| panic!("{err}\n{}", e.detail_json()));
            assert!(e.detail_json().len() < 200 * 1024);
            let mark = ids.entry(e.event_id().to_string()).or_insert(&u.mark);
            assert_eq!(*mark, &u.mark, "event id reused across different units ({})", u.label);
        }
    }
}

pub fn fail(entry: &Value) -> DecodeError {
    let e = normalize(&entry.to_string(), &ctx()).expect_err("should fail");
    assert_eq!(e.layer, Layer::WebhookEntry);
    e
}

/// An entry with one `messages` change whose value has `extra` merged in.
pub fn messages_entry(extra: Value) -> Value {
    let mut value = json!({
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "393404534569", "phone_number_id": PHONE},
    });
    if let (Some(v), Value::Object(extra)) = (value.as_object_mut(), extra) {
        v.extend(extra);
    }
    json!({"id": WABA, "changes": [{"value": value, "field": "messages"}]})
}

/// An entry with one change of `field`.
pub fn field_entry(field: &str, value: Value) -> Value {
    json!({"id": WABA, "time": 1_731_000_000, "changes": [{"field": field, "value": value}]})
}

/// The one unit of an entry.
pub fn only(entry: &Value) -> IngestPlan {
    let mut units = run(entry);
    assert_eq!(units.len(), 1, "{units:#?}");
    units.remove(0)
}

pub fn event(u: &IngestPlan, i: usize) -> &DomainEvent {
    u.events.get(i).unwrap_or_else(|| panic!("no event {i} in {u:#?}"))
}

/// The item of the unit's only `after` write.
pub fn after_item(u: &IngestPlan) -> &Item {
    match u.after.as_slice() {
        [Write::Put { item, cond: None }] => item,
        other => panic!("expected one unconditional put, got {other:#?}"),
    }
}

#[test]
fn malformed_entries_name_the_field() {
    assert_eq!(normalize("not json", &ctx()).unwrap_err().field, None);
    assert_eq!(normalize("[1]", &ctx()).unwrap_err().field, None);
    assert_eq!(normalize("{\"id\": 1", &ctx()).unwrap_err().field, None);
    assert_eq!(fail(&json!({"id": WABA})).field.as_deref(), Some("changes"));
    assert_eq!(fail(&json!({"id": WABA, "changes": 3})).field.as_deref(), Some("changes"));
    assert_eq!(fail(&json!({"id": {"x": 1}, "changes": []})).field.as_deref(), Some("id"));
    let e = fail(&json!({"id": WABA, "changes": [{"field": "flows", "value": {}}, {"value": {}}]}));
    assert_eq!((e.field.as_deref(), e.message.as_str()), (Some("changes[1].field"), "missing"));
    let e = fail(&json!({"id": WABA, "changes": [{"field": "x", "value": {}}, {"field": ["x"], "value": {}}]}));
    assert_eq!(e.field.as_deref(), Some("changes[1].field"));
    let e = fail(&json!({"id": WABA, "changes": [{"field": "account_update"}]}));
    assert_eq!(e.field.as_deref(), Some("changes[0].value"));

    let text = |id: Option<&str>| {
        let mut m = json!({"from": FROM, "timestamp": "1", "type": "text", "text": {"body": "x"}});
        if let Some(id) = id {
            m["id"] = id.into();
        }
        m
    };
    let e = fail(&messages_entry(json!({"messages": [text(Some("wamid.A")), text(None)]})));
    assert_eq!((e.field.as_deref(), e.message.as_str()), (Some("changes[0].value.messages[1].id"), "missing"));
    assert!(e.to_string().starts_with("webhook entry: field `changes[0].value.messages[1].id`"));
    let mut no_meta = messages_entry(json!({"messages": [text(Some("wamid.A"))]}));
    no_meta["changes"][0]["value"]["metadata"] = json!({"display_phone_number": "1"});
    assert_eq!(fail(&no_meta).field.as_deref(), Some("changes[0].value.metadata.phone_number_id"));
    let e = fail(&messages_entry(json!({"messages": [{"id": "w", "from": FROM, "type": "text", "text": "hi"}]})));
    assert_eq!(e.field.as_deref(), Some("changes[0].value.messages[0].text"));
    let e = fail(&messages_entry(json!({"messages": [{"id": "w", "from": FROM, "text": {"body": "x"}}]})));
    assert_eq!(e.field.as_deref(), Some("changes[0].value.messages[0].type"));
    let e = fail(&messages_entry(json!({"messages": [{"id": "w", "type": "text"}]})));
    assert_eq!(e.field.as_deref(), Some("changes[0].value.messages[0].from"));
    let e = fail(&messages_entry(json!({"messages": [5]})));
    assert_eq!((e.field.as_deref(), e.message.as_str()), (Some("changes[0].value.messages[0]"), "expected an object"));
    let st = json!({"id": "w", "status": "sent", "timestamp": "1", "recipient_id": FROM});
    let bad = json!({"id": "w", "status": "sent", "pricing": {"billable": "yes"}});
    let e = fail(&messages_entry(json!({"statuses": [st.clone(), st.clone(), bad]})));
    assert_eq!(e.field.as_deref(), Some("changes[0].value.statuses[2]"));
    assert!(e.message.contains("invalid type"), "{e}");
    let e = fail(&messages_entry(json!({"statuses": [st, {"id": "w2", "timestamp": "1"}]})));
    assert_eq!(e.field.as_deref(), Some("changes[0].value.statuses[1].status"));
    let e = fail(&messages_entry(json!({"contacts": {"wa_id": FROM}})));
    assert_eq!(e.field.as_deref(), Some("changes[0].value.contacts"));
}

/// JSON steered towards the names the webhook model reads.
fn arb_json() -> impl Strategy<Value = Value> {
    crate::testing::arb_json(&[
        "id",
        "type",
        "messages",
        "statuses",
        "metadata",
        "phone_number_id",
        "text",
        "flow",
        "payment",
        "{\"flow_token\":1}",
        "1700000000",
    ])
}

/// Valid entries of many shapes, for mutation.
fn fixtures() -> Vec<Value> {
    let mut v = vec![
        super::messages_tests::fixture_all_types(),
        super::statuses_tests::fixture_statuses(),
        field_entry(
            "message_template_status_update",
            json!({"event": "APPROVED", "message_template_id": 1_689_556_908_129_832_u64, "message_template_name": "order_confirmation", "message_template_language": "en_US", "message_template_category": "UTILITY", "reason": "NONE"}),
        ),
        field_entry(
            "account_update",
            json!({"event": "ACCOUNT_RESTRICTION", "restriction_info": [{"restriction_type": "RESTRICTED_BIZ_INITIATED_MESSAGING", "expiration": 1_731_600_000}]}),
        ),
        field_entry(
            "user_preferences",
            json!({"metadata": {"phone_number_id": PHONE}, "user_preferences": [{"wa_id": FROM, "detail": "User requested to stop marketing messages", "category": "marketing_messages", "value": "stop", "timestamp": 1_731_705_721}]}),
        ),
        field_entry(
            "flows",
            json!({"event": "ENDPOINT_ERROR_RATE", "message": "Endpoint error rate has reached the 10% threshold", "flow_id": "1234567890", "alert_state": "ACTIVATED", "alert_severity": "CRITICAL", "error_rate": 0.12, "threshold": 0.1}),
        ),
    ];
    v.push(field_entry("calls", json!({"messaging_product": "whatsapp", "metadata": {"phone_number_id": PHONE}, "calls": [{"id": "wacid.ABGG", "from": FROM, "event": "connect", "timestamp": "1758171400", "direction": "USER_INITIATED"}]})));
    v
}

/// Every leaf path of a JSON value.
fn leaves(v: &Value, path: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    match v {
        Value::Object(m) if !m.is_empty() => m.iter().for_each(|(k, c)| {
            path.push(k.as_str().into());
            leaves(c, path, out);
            path.pop();
        }),
        Value::Array(a) if !a.is_empty() => a.iter().enumerate().for_each(|(i, c)| {
            path.push(i.into());
            leaves(c, path, out);
            path.pop();
        }),
        _ => out.push(path.clone()),
    }
}

fn replace(v: &mut Value, path: &[Value], with: Value) {
    let mut at = v;
    for seg in path {
        at = match seg {
            Value::String(k) => &mut at[k.as_str()],
            _ => &mut at[seg.as_u64().unwrap_or(0) as usize],
        };
    }
    *at = with;
}

fn never_panics(text: &str) {
    if let Ok(units) = normalize(text, &ctx()) {
        check(&units);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_strings_never_panic(s in ".{0,200}") {
        never_panics(&s);
    }

    #[test]
    fn arbitrary_json_never_panics(v in arb_json(), field in prop_oneof![
        Just("messages"), Just("user_preferences"), Just("message_template_status_update"),
        Just("account_update"), Just("flows"), Just("nope")]) {
        never_panics(&v.to_string());
        never_panics(&json!({"id": "1", "changes": [{"field": field, "value": v}]}).to_string());
        never_panics(&messages_entry(json!({"messages": [v.clone()], "statuses": [v]})).to_string());
    }

    #[test]
    fn mutated_valid_entries_never_panic(pick in any::<prop::sample::Index>(), leaf in any::<prop::sample::Index>(), with in arb_json()) {
        let all = fixtures();
        let mut entry = pick.get(&all).clone();
        let mut paths = Vec::new();
        leaves(&entry, &mut Vec::new(), &mut paths);
        let path: &Vec<Value> = leaf.get(paths.as_slice());
        replace(&mut entry, path, with);
        never_panics(&entry.to_string());
    }
}

#[test]
fn fixtures_are_valid() {
    for f in fixtures() {
        assert!(!run(&f).is_empty());
    }
}
