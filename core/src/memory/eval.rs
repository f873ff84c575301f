//! DynamoDB semantics for the in-memory store: conditions, comparisons and updates.

use std::cmp::Ordering;

use serde_json::{Number, Value};

use crate::domain::keys::{PK, SK};
use crate::ports::{Attrs, Cond, Item, Update};

/// An attribute of an item, including its key attributes.
fn attr<'a>(item: &'a Item, name: &str) -> Option<std::borrow::Cow<'a, Value>> {
    use std::borrow::Cow;
    match name {
        PK => Some(Cow::Owned(Value::String(item.pk.clone()))),
        SK => Some(Cow::Owned(Value::String(item.sk.clone()))),
        _ => item.attrs.get(name).map(Cow::Borrowed),
    }
}

/// Evaluate `cond` against the current item (`None` when it does not exist), as DynamoDB does:
/// a comparison involving a missing attribute or values of different types is false.
pub(crate) fn eval(cond: &Cond, item: Option<&Item>) -> bool {
    match cond {
        Cond::ItemExists => item.is_some(),
        Cond::ItemMissing => item.is_none(),
        Cond::AttrExists(a) => item.and_then(|i| attr(i, a)).is_some(),
        Cond::AttrMissing(a) => item.and_then(|i| attr(i, a)).is_none(),
        Cond::AttrEq(a, v) => item.and_then(|i| attr(i, a)).is_some_and(|x| values_eq(&x, v)),
        // Rendered as `NOT (a = v)` on DynamoDB: true when the attribute is missing.
        Cond::AttrNe(a, v) => !item.and_then(|i| attr(i, a)).is_some_and(|x| values_eq(&x, v)),
        Cond::AttrLt(a, v) => item.and_then(|i| attr(i, a)).and_then(|x| compare(&x, v)) == Some(Ordering::Less),
        Cond::AttrGt(a, v) => item.and_then(|i| attr(i, a)).and_then(|x| compare(&x, v)) == Some(Ordering::Greater),
        Cond::And(cs) => cs.iter().all(|c| eval(c, item)),
        Cond::Or(cs) => cs.iter().any(|c| eval(c, item)),
        Cond::Not(c) => !eval(c, item),
    }
}

/// Order of two scalars of the same type: numbers numerically, strings by their UTF-8 bytes.
/// `None` for other types or mixed types (the comparison is then false).
pub(crate) fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => Some(cmp_numbers(x, y)),
        (Value::String(x), Value::String(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        _ => None,
    }
}

fn as_i128(n: &Number) -> Option<i128> {
    n.as_i64().map(i128::from).or_else(|| n.as_u64().map(i128::from))
}

fn cmp_numbers(x: &Number, y: &Number) -> Ordering {
    match (as_i128(x), as_i128(y)) {
        (Some(a), Some(b)) => a.cmp(&b),
        _ => {
            let a = x.as_f64().unwrap_or(f64::NAN);
            let b = y.as_f64().unwrap_or(f64::NAN);
            a.partial_cmp(&b).unwrap_or(Ordering::Equal)
        }
    }
}

/// Equality as DynamoDB sees it: numbers by value (1 == 1.0), containers element-wise.
pub(crate) fn values_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => cmp_numbers(x, y) == Ordering::Equal,
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| values_eq(p, q)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| values_eq(v, w)))
        }
        _ => a == b,
    }
}

/// Apply updates to the attributes of an item (a new one starts empty). Errors are
/// DynamoDB's validation errors: updating a key attribute, or `ADD` to a non-number.
pub(crate) fn apply_updates(attrs: &mut Attrs, updates: &[Update]) -> Result<(), String> {
    for u in updates {
        let name = match u {
            Update::Set(a, _) | Update::SetIfMissing(a, _) | Update::Add(a, _) | Update::Remove(a) => a,
        };
        if name == PK || name == SK {
            return Err(format!("ValidationException: cannot update key attribute {name}"));
        }
        match u {
            Update::Set(a, v) => {
                attrs.insert(a.clone(), v.clone());
            }
            Update::SetIfMissing(a, v) => {
                attrs.entry(a.clone()).or_insert_with(|| v.clone());
            }
            Update::Add(a, n) => {
                let next = match attrs.get(a) {
                    None => Number::from(*n),
                    Some(Value::Number(cur)) => {
                        add(cur, *n).ok_or_else(|| format!("ValidationException: ADD overflows attribute {a}"))?
                    }
                    Some(_) => return Err(format!("ValidationException: ADD to non-number attribute {a}")),
                };
                attrs.insert(a.clone(), Value::Number(next));
            }
            Update::Remove(a) => {
                attrs.remove(a);
            }
        }
    }
    Ok(())
}

fn add(cur: &Number, n: i64) -> Option<Number> {
    if let Some(c) = as_i128(cur) {
        let sum = c.checked_add(i128::from(n))?;
        if let Ok(v) = i64::try_from(sum) {
            return Some(Number::from(v));
        }
        return u64::try_from(sum).ok().map(Number::from);
    }
    Number::from_f64(cur.as_f64()? + n as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn item() -> Item {
        Item::new("P", "S").with("n", 9).with("s", "b").with("f", 1.5).with("o", json!({"a": [1, 2]}))
    }

    #[test]
    fn comparisons_follow_dynamodb() {
        let i = item();
        assert!(eval(&Cond::AttrLt("n".into(), json!(10)), Some(&i)), "numeric, not lexical");
        assert!(!eval(&Cond::AttrLt("n".into(), json!("10")), Some(&i)), "mixed types are false");
        assert!(!eval(&Cond::AttrLt("missing".into(), json!(10)), Some(&i)));
        assert!(!eval(&Cond::AttrGt("missing".into(), json!(10)), Some(&i)));
        assert!(eval(&Cond::AttrGt("f".into(), json!(1)), Some(&i)));
        assert!(eval(&Cond::AttrEq("f".into(), json!(1.5)), Some(&i)));
        assert!(eval(&Cond::AttrEq("n".into(), json!(9.0)), Some(&i)));
        assert!(eval(&Cond::AttrLt("s".into(), json!("c")), Some(&i)));
        assert!(eval(&Cond::AttrNe("missing".into(), json!(1)), Some(&i)));
        assert!(eval(&Cond::AttrEq("o".into(), json!({"a": [1.0, 2]})), Some(&i)));
        assert!(eval(&Cond::AttrEq("pk".into(), json!("P")), Some(&i)));
        assert!(eval(&Cond::missing_or_lt("n", 10), Some(&i)));
        assert!(eval(&Cond::missing_or_lt("n", 10), None));
        assert!(!eval(&Cond::ItemExists, None));
        assert!(eval(&Cond::And(vec![]), None));
        assert!(!eval(&Cond::Or(vec![]), None));
    }

    #[test]
    fn updates() {
        let mut a = Attrs::new();
        apply_updates(
            &mut a,
            &[
                Update::Add("c".into(), 2),
                Update::Add("c".into(), 3),
                Update::SetIfMissing("first".into(), json!("x")),
                Update::SetIfMissing("first".into(), json!("y")),
                Update::Set("gone".into(), json!(1)),
                Update::Remove("gone".into()),
            ],
        )
        .unwrap();
        assert_eq!(Value::Object(a.clone()), json!({"c": 5, "first": "x"}));
        assert!(apply_updates(&mut a, &[Update::Add("first".into(), 1)]).is_err());
        assert!(apply_updates(&mut a, &[Update::Set("pk".into(), json!("x"))]).is_err());
        a.insert("big".into(), json!(i64::MAX));
        assert!(apply_updates(&mut a, &[Update::Add("big".into(), 1)]).is_ok());
        assert_eq!(a["big"], json!(i64::MAX as u64 + 1));
    }
}
