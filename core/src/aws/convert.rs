//! JSON values ⇄ DynamoDB attribute values, and items ⇄ attribute maps.
//!
//! string→S, number→N, bool→BOOL, null→NULL, array→L, object→M. Reading back also accepts
//! the set types (SS, NS → arrays); binary attributes are not part of wapipe's model.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{Map, Number, Value};

use crate::domain::keys::{PK, SK};
use crate::ports::Item;

/// An item or key as the SDK takes it: attribute name → value.
pub type AvMap = HashMap<String, AttributeValue>;

/// A JSON value as a DynamoDB attribute value (the mapping of the module docs).
pub fn to_av(v: &Value) -> AttributeValue {
    match v {
        Value::Null => AttributeValue::Null(true),
        Value::Bool(b) => AttributeValue::Bool(*b),
        Value::Number(n) => AttributeValue::N(n.to_string()),
        Value::String(s) => AttributeValue::S(s.clone()),
        Value::Array(a) => AttributeValue::L(a.iter().map(to_av).collect()),
        Value::Object(o) => AttributeValue::M(o.iter().map(|(k, v)| (k.clone(), to_av(v))).collect()),
    }
}

fn number(s: &str) -> Result<Number, String> {
    // DynamoDB returns numbers in canonical form ("1", "1.5", "1E+100"); serde_json reads all.
    if let Ok(i) = s.parse::<i64>() {
        return Ok(i.into());
    }
    if let Ok(u) = s.parse::<u64>() {
        return Ok(u.into());
    }
    s.parse::<f64>().ok().and_then(Number::from_f64).ok_or_else(|| format!("number {s:?} is not representable"))
}

/// An attribute value as JSON; an error for a binary attribute or a number JSON cannot hold.
pub fn from_av(av: &AttributeValue) -> Result<Value, String> {
    Ok(match av {
        AttributeValue::Null(_) => Value::Null,
        AttributeValue::Bool(b) => Value::Bool(*b),
        AttributeValue::N(n) => Value::Number(number(n)?),
        AttributeValue::S(s) => Value::String(s.clone()),
        AttributeValue::L(l) => Value::Array(l.iter().map(from_av).collect::<Result<_, _>>()?),
        AttributeValue::M(m) => Value::Object(from_av_map(m)?),
        AttributeValue::Ss(ss) => Value::Array(ss.iter().cloned().map(Value::String).collect()),
        AttributeValue::Ns(ns) => {
            Value::Array(ns.iter().map(|n| number(n).map(Value::Number)).collect::<Result<_, _>>()?)
        }
        other => return Err(format!("unsupported attribute type {other:?}")),
    })
}

/// An attribute map (an `M` value, or a whole item) as a JSON object.
pub fn from_av_map(m: &AvMap) -> Result<Map<String, Value>, String> {
    m.iter().map(|(k, v)| Ok((k.clone(), from_av(v)?))).collect()
}

/// An item as `PutItem` takes it: its attributes, with `pk` and `sk` from the item's key.
pub fn item_to_av(item: &Item) -> AvMap {
    let mut m: AvMap =
        item.attrs.iter().filter(|(k, _)| *k != PK && *k != SK).map(|(k, v)| (k.clone(), to_av(v))).collect();
    m.insert(PK.into(), AttributeValue::S(item.pk.clone()));
    m.insert(SK.into(), AttributeValue::S(item.sk.clone()));
    m
}

/// The key map (`pk`, `sk`) of `GetItem`, `UpdateItem` and `DeleteItem`.
pub fn key_av(pk: &str, sk: &str) -> AvMap {
    HashMap::from([(PK.to_string(), AttributeValue::S(pk.into())), (SK.to_string(), AttributeValue::S(sk.into()))])
}

/// A map read from DynamoDB as an item; an error without string `pk` and `sk`, or with an
/// attribute [`from_av`] refuses.
pub fn av_to_item(m: &AvMap) -> Result<Item, String> {
    let key = |name: &str| match m.get(name) {
        Some(AttributeValue::S(s)) => Ok(s.clone()),
        _ => Err(format!("item without a string {name}")),
    };
    let mut item = Item::new(key(PK)?, key(SK)?);
    for (k, v) in m {
        if k != PK && k != SK {
            item.attrs.insert(k.clone(), from_av(v)?);
        }
    }
    Ok(item)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn round_trips_every_json_type() {
        let v = json!({
            "s": "text", "empty": "", "i": -42, "u": u64::MAX, "f": 2.5, "big": 1e100, "t": true, "n": null,
            "a": [1, "x", [false, null], {"k": 0.1}], "o": {"nested": {"deeper": [1, 2, 3]}}
        });
        assert_eq!(from_av(&to_av(&v)).unwrap(), v);
        assert!(matches!(to_av(&json!(7)), AttributeValue::N(ref n) if n == "7"));
        assert!(matches!(to_av(&json!(null)), AttributeValue::Null(true)));
    }

    #[test]
    fn items_carry_their_keys() {
        let item = Item::new("MSG#1", "MSG").with("status", "sent").with("rank", 2);
        let m = item_to_av(&item);
        assert_eq!(m.get("pk"), Some(&AttributeValue::S("MSG#1".into())));
        assert_eq!(av_to_item(&m).unwrap(), item);
        assert!(av_to_item(&HashMap::new()).is_err());
    }

    #[test]
    fn reads_sets_and_canonical_numbers() {
        assert_eq!(from_av(&AttributeValue::Ns(vec!["1".into(), "2.5".into()])).unwrap(), json!([1, 2.5]));
        assert_eq!(from_av(&AttributeValue::N("1E+2".into())).unwrap(), json!(100.0));
        assert!(from_av(&AttributeValue::N("x".into())).is_err());
    }

    proptest! {
        #[test]
        fn json_round_trips(v in crate::testing::arb_json(&["S", "N", "M", "L", ""])) {
            prop_assert_eq!(from_av(&to_av(&v)).unwrap(), v);
        }
    }
}
