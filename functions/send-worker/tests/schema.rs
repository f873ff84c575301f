//! `docs/send-request.schema.json` against the sample requests and the model: every sample
//! validates, violating inputs fail, and the schema's kinds and key limits are the model's.
//!
//! The validator here implements the JSON Schema keywords the document uses (type, properties,
//! required, additionalProperties, enum, const, items, min/maxItems, min/maxLength, pattern,
//! minimum, maximum, maxProperties, oneOf, $ref) and fails on any other, so the document
//! cannot grow a keyword this test would silently ignore.

use regex::Regex;
use serde_json::{json, Value};
use wapipe_core::domain::outbound::{interactive, limits, parse_request_value, TYPES};

fn schema() -> Value {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/send-request.schema.json");
    serde_json::from_str(&std::fs::read_to_string(p).expect("schema")).expect("schema JSON")
}

const IGNORED: &[&str] = &["$schema", "$id", "title", "description", "$defs", "format"];

fn resolve<'a>(root: &'a Value, s: &'a Value) -> &'a Value {
    match s.get("$ref").and_then(Value::as_str) {
        Some(r) => root.pointer(r.trim_start_matches('#')).unwrap_or_else(|| panic!("bad $ref {r}")),
        None => s,
    }
}

fn type_ok(t: &str, v: &Value) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        other => panic!("type {other}"),
    }
}

/// Errors as `path: keyword`.
fn check(root: &Value, s: &Value, v: &Value, path: &str, errs: &mut Vec<String>) {
    let s = resolve(root, s);
    let Some(obj) = s.as_object() else { return };
    for (k, kv) in obj {
        let mut fail = |what: &str| errs.push(format!("{path}: {what}"));
        match k.as_str() {
            k if IGNORED.contains(&k) => {}
            "$ref" => {}
            "type" => {
                if !type_ok(kv.as_str().unwrap_or_default(), v) {
                    fail("type");
                }
            }
            "const" if v != kv => fail("const"),
            "enum" if !kv.as_array().is_some_and(|a| a.contains(v)) => fail("enum"),
            "minLength" | "maxLength" => {
                if let Some(s) = v.as_str() {
                    let n = s.chars().count() as u64;
                    let lim = kv.as_u64().unwrap_or_default();
                    if (k == "minLength" && n < lim) || (k == "maxLength" && n > lim) {
                        fail(k);
                    }
                }
            }
            "pattern" => {
                if let Some(s) = v.as_str() {
                    if !Regex::new(kv.as_str().unwrap_or_default()).expect("pattern").is_match(s) {
                        fail("pattern");
                    }
                }
            }
            "minimum" | "maximum" => {
                if let (Some(n), Some(lim)) = (v.as_f64(), kv.as_f64()) {
                    if (k == "minimum" && n < lim) || (k == "maximum" && n > lim) {
                        fail(k);
                    }
                }
            }
            "minItems" | "maxItems" => {
                if let Some(a) = v.as_array() {
                    let lim = kv.as_u64().unwrap_or_default() as usize;
                    if (k == "minItems" && a.len() < lim) || (k == "maxItems" && a.len() > lim) {
                        fail(k);
                    }
                }
            }
            "maxProperties" if v.as_object().is_some_and(|o| o.len() as u64 > kv.as_u64().unwrap_or_default()) => {
                fail("maxProperties")
            }
            "required" => {
                for r in kv.as_array().into_iter().flatten().filter_map(Value::as_str) {
                    if v.is_object() && v.get(r).is_none() {
                        errs.push(format!("{path}.{r}: required"));
                    }
                }
            }
            "properties" => {
                if let Some(o) = v.as_object() {
                    for (name, sub) in kv.as_object().into_iter().flatten() {
                        if let Some(x) = o.get(name) {
                            check(root, sub, x, &format!("{path}.{name}"), errs);
                        }
                    }
                }
            }
            "additionalProperties" => {
                let known = obj.get("properties").and_then(Value::as_object);
                for (name, x) in v.as_object().into_iter().flatten() {
                    if known.is_some_and(|p| p.contains_key(name)) {
                        continue;
                    }
                    match kv {
                        Value::Bool(false) => errs.push(format!("{path}.{name}: additionalProperties")),
                        Value::Bool(true) => {}
                        sub => check(root, sub, x, &format!("{path}.{name}"), errs),
                    }
                }
            }
            "items" => {
                for (i, x) in v.as_array().into_iter().flatten().enumerate() {
                    check(root, kv, x, &format!("{path}[{i}]"), errs);
                }
            }
            "oneOf" => {
                let mut matched = Vec::new();
                let mut inner = Vec::new();
                for (i, sub) in kv.as_array().into_iter().flatten().enumerate() {
                    let mut e = Vec::new();
                    check(root, sub, v, path, &mut e);
                    if e.is_empty() {
                        matched.push(i);
                    } else {
                        inner.push(e);
                    }
                }
                if matched.len() != 1 {
                    let best = inner.iter().min_by_key(|e| e.len()).cloned().unwrap_or_default();
                    errs.push(format!("{path}: oneOf matched {} ({})", matched.len(), best.join("; ")));
                }
            }
            "const" | "enum" | "maxProperties" => {}
            other => panic!("the schema uses `{other}`, which this test's validator does not implement"),
        }
    }
}

fn errors(v: &Value) -> Vec<String> {
    let root = schema();
    let mut errs = Vec::new();
    check(&root, &root, v, "request", &mut errs);
    errs
}

fn samples() -> Vec<(String, Value)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/send");
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("examples/send").filter_map(Result::ok) {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "json") {
            let v = serde_json::from_str(&std::fs::read_to_string(&p).expect("read")).expect("JSON");
            out.push((p.display().to_string(), v));
        }
    }
    out
}

#[test]
fn every_sample_request_validates_against_the_schema_and_the_model() {
    let all = samples();
    assert!(all.len() >= 30);
    for (name, v) in all {
        assert_eq!(errors(&v), Vec::<String>::new(), "{name}");
        parse_request_value(v).and_then(|r| r.validate()).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn violations_fail_the_schema_too() {
    let base = samples().into_iter().find(|(n, _)| n.ends_with("/interactive-button.json")).expect("sample").1;
    let mut v = base.clone();
    let b = v["message"]["interactive"]["action"]["buttons"][0].clone();
    v["message"]["interactive"]["action"]["buttons"] = json!([b.clone(), b.clone(), b.clone(), b]);
    assert!(!errors(&v).is_empty());
    let mut v = base.clone();
    v["to"] = json!("919876543210");
    assert!(errors(&v).iter().any(|e| e.contains("request.to: pattern")), "{:?}", errors(&v));
    // The schema and the model agree on every recipient: phones, BSUIDs, parent BSUIDs.
    for (to, ok) in [
        ("+919876543210", true),
        ("US.13491208655302741918", true),
        ("US.ENT.11815799212886844830", true),
        ("BR.a1B2", true),
        ("us.1", false),
        ("US.1.2", false),
        ("US.", false),
        ("+0123456789", false),
    ] {
        let mut v = base.clone();
        v["to"] = json!(to);
        assert_eq!(errors(&v).is_empty(), ok, "schema, {to}");
        assert_eq!(parse_request_value(v).and_then(|r| r.validate()).is_ok(), ok, "model, {to}");
    }
    // A group: its id, and no interactive message.
    let mut v = base.clone();
    v["recipient_type"] = json!("group");
    v["to"] = json!("Y2FwaV9ncm91cDox");
    assert!(errors(&v).iter().any(|e| e.contains("request.message.type")), "{:?}", errors(&v));
    assert!(parse_request_value(v.clone()).and_then(|r| r.validate()).is_err());
    v["message"] = json!({"type": "text", "text": {"body": "hi"}});
    assert_eq!(errors(&v), Vec::<String>::new());
    parse_request_value(v).and_then(|r| r.validate()).expect("a group text");
    let mut v = base;
    v["message"]["interactive"]["body"]["text"] = json!("x".repeat(limits::INTERACTIVE_BODY + 1));
    assert!(!errors(&v).is_empty());
}

/// The `const` of `type` in each branch of a `oneOf` definition.
fn kinds(def: &Value, key: &str) -> Vec<String> {
    let mut out: Vec<String> = def["oneOf"]
        .as_array()
        .expect("oneOf")
        .iter()
        .filter_map(|b| b.pointer(&format!("/properties/{key}/const")).and_then(Value::as_str).map(str::to_string))
        .collect();
    out.sort();
    out
}

#[test]
fn the_schema_and_the_model_agree_on_kinds_and_limits() {
    let s = schema();
    let mut model: Vec<String> = TYPES.iter().map(|t| t.to_string()).collect();
    model.sort();
    assert_eq!(kinds(&s["$defs"]["message"], "type"), model);
    let mut model: Vec<String> = interactive::TYPES.iter().map(|t| t.to_string()).collect();
    model.sort();
    assert_eq!(kinds(&s["$defs"]["interactive"], "type"), model);
    let limit = |p: &str| s.pointer(p).and_then(Value::as_u64).unwrap_or_else(|| panic!("{p}")) as usize;
    assert_eq!(limit("/$defs/message/oneOf/0/properties/text/properties/body/maxLength"), limits::TEXT_BODY);
    assert_eq!(limit("/$defs/media/properties/caption/maxLength"), limits::CAPTION);
    assert_eq!(limit("/$defs/body/properties/text/maxLength"), limits::INTERACTIVE_BODY);
    assert_eq!(limit("/$defs/footer/properties/text/maxLength"), limits::FOOTER);
    let button = "/$defs/interactive/oneOf/0/properties/action/properties/buttons";
    assert_eq!(limit(&format!("{button}/maxItems")), limits::REPLY_BUTTONS);
    assert_eq!(limit(&format!("{button}/items/properties/reply/properties/title/maxLength")), limits::BUTTON_TITLE);
    assert_eq!(limit(&format!("{button}/items/properties/reply/properties/id/maxLength")), limits::BUTTON_ID);
    assert_eq!(limit("/$defs/component/oneOf/4/properties/cards/maxItems"), limits::CAROUSEL_CARDS);
    assert_eq!(limit("/properties/request_id/maxLength"), limits::CALLBACK_DATA - "wapipe:".len());
}
