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
