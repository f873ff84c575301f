//! Test support shared by the crates' tests (feature `testing`; always on in this crate's
//! own tests).

use proptest::prelude::*;
use serde_json::Value;

/// JSON values of any shape, a few levels deep. `words` are used both as string leaves and as
/// object keys, so a caller can steer values towards the field names its decoder looks for.
/// Floats stay within ±1e9 so values also survive DynamoDB's number format.
pub fn arb_json(words: &'static [&'static str]) -> impl Strategy<Value = Value> {
    let word = proptest::sample::select(if words.is_empty() { &["x"][..] } else { words });
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1e9f64..1e9).prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
        word.clone().prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        let key = prop_oneof!["[a-z_]{1,10}", word.clone().prop_map(str::to_string)];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(key, inner, 0..6).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// What a consumer run left behind, comparable across runs: every item (without the
/// attributes named in `ignore`, such as a claim's owner token) and every published event,
/// sorted, as JSON.
pub fn end_state(
    items: Vec<crate::ports::Item>,
    events: Vec<crate::domain::events::DomainEvent>,
    ignore: &[&str],
) -> (Vec<Value>, Vec<String>) {
    let items = items
        .into_iter()
        .map(|mut i| {
            for a in ignore {
                i.attrs.remove(*a);
            }
            serde_json::to_value(&i).unwrap_or(Value::Null)
        })
        .collect();
    let mut events: Vec<String> = events.iter().map(|e| format!("{} {}", e.detail_type, e.detail_json())).collect();
    events.sort();
    (items, events)
}

/// Records with ids `m0`, `m1`, … and these bodies, first deliveries.
pub fn records(bodies: &[String]) -> Vec<crate::app::consumer::Record> {
    bodies
        .iter()
        .enumerate()
        .map(|(i, b)| crate::app::consumer::Record {
            receive_count: 1,
            ..crate::app::consumer::Record::new(format!("m{i}"), b.clone())
        })
        .collect()
}

/// A strategy for the runtime's concurrency: one at a time (0 is "every key at once").
pub fn arb_concurrency() -> impl Strategy<Value = usize> {
    prop_oneof![Just(0usize), 2usize..8]
}

/// What EUM must receive for a sample send request of `examples/send/`, stated from the
/// protocol (docs/PROTOCOL.md §5.1, §10.1, §10.4), not from the serialiser: the envelope
/// (`to`, or `recipient` for a BSUID), the reply context, `biz_opaque_callback_data`
/// (`wapipe:<request_id>`), then the message as given; a read receipt is no message and has
/// only `status`, `message_id` and the typing indicator.
#[allow(clippy::indexing_slicing, reason = "test support: serde_json's Index answers Null for what is missing")]
pub fn expected_cloud_json(sample: &Value) -> Value {
    use serde_json::json;
    if sample["message"]["type"] == "read" {
        let r = &sample["message"]["read"];
        let mut want = json!({"messaging_product": "whatsapp", "status": "read", "message_id": r["message_id"]});
        if r["typing_indicator"] == true {
            want["typing_indicator"] = json!({"type": "text"});
        }
        return want;
    }
    let to = sample["to"].as_str().unwrap_or_default();
    let bsuid = crate::domain::outbound::validate::is_bsuid(to);
    let mut want = json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "biz_opaque_callback_data": format!("wapipe:{}", sample["request_id"].as_str().unwrap_or_default()),
    });
    want[if bsuid { "recipient" } else { "to" }] = json!(to);
    if let Some(reply) = sample.pointer("/options/reply_to") {
        want["context"] = json!({ "message_id": reply });
    }
    if let (Some(w), Some(m)) = (want.as_object_mut(), sample["message"].as_object()) {
        for (k, v) in m {
            w.insert(k.clone(), v.clone());
        }
    }
    want
}
