//! Every sample request in `examples/send/` (one per kind) parses, validates and serialises to
//! exactly the Cloud API JSON: the request's `message` inside the envelope of docs/PROTOCOL.md §5.1.
//! And the samples cover every type, interactive type, template component, button and
//! parameter kind of the model.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::{json, Value};

use super::interactive::TYPES as INTERACTIVE_TYPES;
use super::*;
use crate::domain::send_record::callback_data;

pub(super) fn samples() -> Vec<(String, Value)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/send");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("examples/send") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "json") {
            let text = std::fs::read_to_string(&path).expect("read sample");
            let v: Value = serde_json::from_str(&text).expect("sample JSON");
            out.push((path.file_name().unwrap_or_default().to_string_lossy().into_owned(), v));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(out.len() >= 30, "samples missing: {}", out.len());
    out
}

use crate::testing::expected_cloud_json;

#[test]
fn every_sample_serialises_to_the_exact_cloud_api_json() {
    for (name, sample) in samples() {
        let req = parse_request_value(sample.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
        req.validate().unwrap_or_else(|e| panic!("{name}: {e}"));
        let cb = callback_data(&req.request_id);
        let bytes = req.cloud_json(Some(&cb)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let got: Value = serde_json::from_slice(&bytes).expect("JSON");
        assert_eq!(got, expected_cloud_json(&sample), "{name}");
    }
}

#[test]
fn samples_cover_every_kind_of_the_model() {
    let mut types = BTreeSet::new();
    let mut interactive = BTreeSet::new();
    let mut components = BTreeSet::new();
    let mut buttons = BTreeSet::new();
    let mut params = BTreeSet::new();
    let mut media_by = BTreeSet::new();
    for (_, s) in samples() {
        let m = &s["message"];
        let t = m["type"].as_str().unwrap_or_default().to_string();
        if let Some(o) = m[&t].as_object() {
            for k in ["id", "link"] {
                if o.contains_key(k) {
                    media_by.insert(format!("{t}.{k}"));
                }
            }
        }
        if t == "interactive" {
            interactive.insert(m["interactive"]["type"].as_str().unwrap_or_default().to_string());
        }
        let mut stack: Vec<&Value> = m.pointer("/template/components").into_iter().collect();
        while let Some(v) = stack.pop() {
            for c in v.as_array().into_iter().flatten() {
                components.insert(c["type"].as_str().unwrap_or_default().to_string());
                if let Some(b) = c["sub_type"].as_str() {
                    buttons.insert(b.to_ascii_lowercase());
                }
                for p in c["parameters"].as_array().into_iter().flatten() {
                    params.insert(p["type"].as_str().unwrap_or_default().to_string());
                }
                for card in c["cards"].as_array().into_iter().flatten() {
                    stack.push(&card["components"]);
                }
            }
        }
        types.insert(t);
    }
    assert_eq!(types, TYPES.iter().map(|s| s.to_string()).collect());
    assert_eq!(interactive, INTERACTIVE_TYPES.iter().map(|s| s.to_string()).collect());
    let all = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(components, all(&["header", "body", "button", "limited_time_offer", "carousel"]));
    assert_eq!(buttons, all(&["quick_reply", "url", "copy_code", "flow", "catalog", "mpm"]));
    let want = all(&[
        "text",
        "currency",
        "date_time",
        "image",
        "video",
        "document",
        "location",
        "product",
        "payload",
        "coupon_code",
        "action",
        "limited_time_offer",
    ]);
    assert_eq!(params, want);
    for m in ["image.id", "image.link", "video.link", "audio.id", "document.link", "sticker.id"] {
        assert!(media_by.contains(m), "no sample sends {m}");
    }
}

#[test]
fn omitted_fixed_action_names_are_filled_in() {
    let v = json!({"request_id": "r", "from": "1", "to": "+919876543210", "message": {"type": "interactive",
        "interactive": {"type": "location_request_message", "body": {"text": "Where?"}, "action": {}}}});
    let req = parse_request_value(v).unwrap();
    req.validate().unwrap();
    let got: Value = serde_json::from_slice(&req.cloud_json(None).unwrap()).unwrap();
    assert_eq!(got["interactive"]["action"], json!({"name": "send_location"}));
    assert!(got.get("biz_opaque_callback_data").is_none());
}

#[test]
fn kinds_and_window_needs() {
    let text = parse_request(include_str!("../../../../examples/send/text.json")).unwrap();
    assert_eq!((text.message.kind(), text.message.needs_window()), ("text".to_string(), true));
    let list = parse_request(include_str!("../../../../examples/send/interactive-list.json")).unwrap();
    assert_eq!(list.message.kind(), "interactive.list");
    let t = parse_request(include_str!("../../../../examples/send/template-copy-code.json")).unwrap();
    assert!(!t.message.needs_window());
    assert_eq!(t.options.category, Some(Category::Marketing));
}

#[test]
fn a_bsuid_recipient_is_sent_as_recipient_not_to() {
    let base =
        json!({"request_id": "b1", "from": "106540352242922", "message": {"type": "text", "text": {"body": "hi"}}});
    for bsuid in ["US.13491208655302741918", "US.ENT.11815799212886844830", "BR.a1B2c3"] {
        let mut v = base.clone();
        v["to"] = bsuid.into();
        let req = parse_request_value(v).unwrap();
        req.validate().unwrap_or_else(|e| panic!("{bsuid}: {e}"));
        assert!(req.to_bsuid());
        let wire: Value = serde_json::from_slice(&req.cloud_json(None).unwrap()).unwrap();
        assert_eq!(wire["recipient"], bsuid);
        assert!(wire.get("to").is_none(), "{wire}");
        assert_eq!(req.contact_id(), bsuid, "unresolved, the BSUID is the contact");
    }
    let mut v = base.clone();
    v["to"] = "+919876543210".into();
    let req = parse_request_value(v).unwrap();
    let wire: Value = serde_json::from_slice(&req.cloud_json(None).unwrap()).unwrap();
    assert_eq!((wire["to"].as_str(), wire.get("recipient")), (Some("+919876543210"), None));
    assert_eq!(req.contact_id(), "919876543210");
    for bad in ["us.123", "USA.123", "US.", "US.12-3", "US.ENT.", &format!("US.{}", "1".repeat(129)), "919876543210"] {
        let mut v = base.clone();
        v["to"] = bad.into();
        let e = parse_request_value(v).unwrap().validate().unwrap_err();
        assert_eq!(e.path, "to", "{bad}");
        assert!(e.limit.contains("business-scoped user id"), "{e}");
    }
}

#[test]
fn group_sends_allow_only_what_meta_delivers_to_groups() {
    const GROUP: &str = "Y2FwaV9ncm91cDoxNjMxNTU1MTExMToxMjAzNjM0MDQ2OTQyMzM4MjAZD";
    let mut checked = 0;
    for (name, mut sample) in samples() {
        sample["to"] = GROUP.into();
        sample["recipient_type"] = "group".into();
        let req = parse_request_value(sample.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let kind = sample["message"]["type"].as_str().unwrap_or_default();
        let commerce = sample["message"]["template"]["components"].as_array().is_some_and(|c| {
            c.iter().any(|c| {
                c["type"] == "carousel" || matches!(c["sub_type"].as_str(), Some("CATALOG" | "catalog" | "mpm"))
            })
        });
        let auth = sample
            .pointer("/options/category")
            .and_then(Value::as_str)
            .is_some_and(|c| c.eq_ignore_ascii_case("authentication"));
        match req.validate() {
            Ok(()) => {
                assert!(GROUP_TYPES.contains(&kind) && !commerce && !auth, "{name} must be refused for a group");
                let wire: Value = serde_json::from_slice(&req.cloud_json(None).unwrap()).unwrap();
                assert_eq!(
                    (wire["recipient_type"].as_str(), wire["to"].as_str()),
                    (Some("group"), Some(GROUP)),
                    "{name}"
                );
                checked += 1;
            }
            Err(e) => {
                assert!(!GROUP_TYPES.contains(&kind) || commerce || auth, "{name}: {e}");
                assert!(e.path == "message.type" || e.path.starts_with("message.template"), "{name}: {e}");
            }
        }
    }
    assert!(checked >= 5, "{checked}");
    let bad = json!({"request_id": "g", "from": "1", "to": "not a group id!", "recipient_type": "group",
        "message": {"type": "text", "text": {"body": "hi"}}});
    assert_eq!(parse_request_value(bad).unwrap().validate().unwrap_err().path, "to");
}
