use serde_json::{json, Value};

use super::*;

fn utility() -> Value {
    json!({"name": "order_update", "language": "en_US", "category": "UTILITY",
           "components": [
             {"type": "HEADER", "format": "TEXT", "text": "Order {{1}}", "example": {"header_text": ["42"]}},
             {"type": "BODY", "text": "Hi {{1}}, your order #{{2}} has shipped.", "example": {"body_text": [["Ada", "42"]]}},
             {"type": "FOOTER", "text": "Thanks"},
             {"type": "BUTTONS", "buttons": [
                {"type": "QUICK_REPLY", "text": "Stop"}, {"type": "QUICK_REPLY", "text": "More"},
                {"type": "URL", "text": "Track", "url": "https://x.example/t/{{1}}", "example": ["https://x.example/t/42"]},
                {"type": "PHONE_NUMBER", "text": "Call", "phone_number": "+15555550100"}]}]})
}

fn named() -> Value {
    json!({"name": "welcome", "language": "en_US", "category": "MARKETING", "parameter_format": "named",
           "components": [{"type": "BODY", "text": "Hello {{first_name}}, welcome to {{shop}}!",
             "example": {"body_text_named_params": [{"param_name": "first_name", "example": "Ada"},
                                                    {"param_name": "shop", "example": "Acme"}]}}]})
}

fn otp(kind: &str) -> Value {
    let mut button = json!({"type": "OTP", "otp_type": kind, "text": "Copy Code"});
    if kind != "COPY_CODE" {
        button["supported_apps"] = json!([{"package_name": "com.example.app", "signature_hash": "K8a/AINcGX7"}]);
    }
    if kind == "ZERO_TAP" {
        button["zero_tap_terms_accepted"] = json!(true);
    }
    json!({"name": "auth_code", "language": "en_US", "category": "AUTHENTICATION", "message_send_ttl_seconds": 60,
           "components": [{"type": "BODY", "add_security_recommendation": true},
                          {"type": "FOOTER", "code_expiration_minutes": 5},
                          {"type": "BUTTONS", "buttons": [button]}]})
}

fn card(format: &str) -> Value {
    json!({"components": [
        {"type": "HEADER", "format": format, "example": {"header_handle": ["4::aGk=:ARb1"]}},
        {"type": "BODY", "text": "Card {{1}} text", "example": {"body_text": [["one"]]}},
        {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "Buy"},
                                        {"type": "URL", "text": "See", "url": "https://x.example"}]}]})
}

fn carousel() -> Value {
    json!({"name": "summer", "language": "en_US", "category": "MARKETING",
           "components": [{"type": "BODY", "text": "Our picks for {{1}}.", "example": {"body_text": [["you"]]}},
                          {"type": "CAROUSEL", "cards": [card("IMAGE"), card("IMAGE")]}]})
}

fn lto() -> Value {
    json!({"name": "flash_sale", "language": "en_US", "category": "MARKETING",
           "components": [{"type": "LIMITED_TIME_OFFER", "limited_time_offer": {"text": "Expiring offer!", "has_expiration": true}},
                          {"type": "BODY", "text": "Good news, {{1}}! Use the code.", "example": {"body_text": [["Ada"]]}},
                          {"type": "BUTTONS", "buttons": [{"type": "COPY_CODE", "example": "CARIBE25"},
                                                          {"type": "URL", "text": "Book", "url": "https://x.example"}]}]})
}

fn paths(v: &Value) -> Vec<String> {
    match validate(v) {
        Ok(d) => panic!("expected problems, got {d:?}"),
        Err(p) => p.into_iter().map(|p| p.path).collect(),
    }
}

/// The definition with `f` applied, and the single problem path it must produce.
fn refused(mut v: Value, f: impl FnOnce(&mut Value), expect: &str) {
    f(&mut v);
    let got = paths(&v);
    assert!(got.iter().any(|p| p == expect), "expected a problem at {expect}, got {got:?}");
}

#[test]
fn valid_definitions_of_every_kind_pass() {
    for (v, format) in [
        (utility(), "positional"),
        (named(), "named"),
        (otp("COPY_CODE"), "positional"),
        (otp("ONE_TAP"), "positional"),
        (otp("ZERO_TAP"), "positional"),
        (carousel(), "positional"),
        (lto(), "positional"),
    ] {
        let d = validate(&v).unwrap_or_else(|p| panic!("{v}: {p:?}"));
        assert_eq!(d.parameter_format, format);
        assert_eq!(d.name, v["name"]);
    }
}

#[test]
fn top_level_problems_name_their_field() {
    assert_eq!(validate_text("{").unwrap_err()[0].path, "$");
    refused(utility(), |v| v["name"] = json!("Order Update"), "$.name");
    refused(utility(), |v| v["category"] = json!("PROMO"), "$.category");
    refused(utility(), |v| v.as_object_mut().unwrap().remove("language").map(drop).unwrap_or(()), "$.language");
    refused(utility(), |v| v["components"] = json!([]), "$.components");
    refused(utility(), |v| v["parameter_format"] = json!("both"), "$.parameter_format");
}

#[test]
fn component_problems_name_their_path() {
    refused(utility(), |v| v["components"][2]["type"] = json!("BODY"), "$.components[2].type");
    refused(utility(), |v| v["components"][0]["format"] = json!("HOLOGRAM"), "$.components[0].format");
    refused(utility(), |v| v["components"][0]["text"] = json!("{{1}} and {{2}}"), "$.components[0].text");
    refused(utility(), |v| v["components"][2]["text"] = json!("x".repeat(61)), "$.components[2].text");
    refused(utility(), |v| v["components"][1]["text"] = json!("a".repeat(1025)), "$.components[1].text");
    refused(
        utility(),
        |v| v["components"][0] = json!({"type": "HEADER", "format": "IMAGE"}),
        "$.components[0].example.header_handle",
    );
}

#[test]
fn positional_and_named_parameters_need_order_and_examples() {
    refused(
        utility(),
        |v| v["components"][1]["text"] = json!("Hi {{1}}, order {{3}} shipped."),
        "$.components[1].text",
    );
    refused(
        utility(),
        |v| v["components"][1]["example"] = json!({"body_text": [["Ada"]]}),
        "$.components[1].example.body_text",
    );
    refused(utility(), |v| v["components"][1]["text"] = json!("Hi {{1}}, {{name}} shipped."), "$.components[1].text");
    refused(utility(), |v| v["components"][1]["text"] = json!("{{1}}, your order {{2}}"), "$.components[1].text");
    // Named parameters without parameter_format, and a named parameter without its example.
    refused(named(), |v| drop(v.as_object_mut().unwrap().remove("parameter_format")), "$.components[0].text");
    refused(
        named(),
        |v| {
            v["components"][0]["example"]["body_text_named_params"] =
                json!([{"param_name": "first_name", "example": "Ada"}])
        },
        "$.components[0].example.body_text_named_params",
    );
    refused(named(), |v| v["components"][0]["text"] = json!("Hello {{1}} there"), "$.components[0].text");
}

#[test]
fn button_counts_and_fields_are_checked() {
    let eleven: Vec<Value> = (0..11).map(|i| json!({"type": "QUICK_REPLY", "text": format!("b{i}")})).collect();
    refused(utility(), |v| v["components"][3]["buttons"] = json!(eleven), "$.components[3].buttons");
    let urls = json!([{"type": "URL", "text": "a", "url": "https://a"}, {"type": "URL", "text": "b", "url": "https://b"},
                      {"type": "URL", "text": "c", "url": "https://c"}]);
    refused(utility(), |v| v["components"][3]["buttons"] = urls, "$.components[3].buttons");
    let split = json!([{"type": "QUICK_REPLY", "text": "a"}, {"type": "URL", "text": "b", "url": "https://b"},
                       {"type": "QUICK_REPLY", "text": "c"}]);
    refused(utility(), |v| v["components"][3]["buttons"] = split, "$.components[3].buttons");
    refused(
        utility(),
        |v| v["components"][3]["buttons"][2]["url"] = json!("ftp://x"),
        "$.components[3].buttons[2].url",
    );
    refused(
        utility(),
        |v| drop(v["components"][3]["buttons"][2].as_object_mut().unwrap().remove("example")),
        "$.components[3].buttons[2].example",
    );
    refused(
        utility(),
        |v| v["components"][3]["buttons"][3]["phone_number"] = json!("call me"),
        "$.components[3].buttons[3].phone_number",
    );
    refused(
        utility(),
        |v| v["components"][3]["buttons"][0]["text"] = json!("x".repeat(26)),
        "$.components[3].buttons[0].text",
    );
    refused(
        lto(),
        |v| v["components"][2]["buttons"][0]["example"] = json!("X".repeat(16)),
        "$.components[2].buttons[0].example",
    );
    let flow = json!([{"type": "FLOW", "text": "Book", "flow_id": "1", "flow_name": "x", "flow_action": "jump"}]);
    refused(utility(), |v| v["components"][3]["buttons"] = flow.clone(), "$.components[3].buttons[0]");
    refused(utility(), |v| v["components"][3]["buttons"] = flow, "$.components[3].buttons[0].flow_action");
}

#[test]
fn otp_kinds_are_checked() {
    refused(
        otp("COPY_CODE"),
        |v| v["components"][2]["buttons"][0]["otp_type"] = json!("TWO_TAP"),
        "$.components[2].buttons[0].otp_type",
    );
    refused(
        otp("ONE_TAP"),
        |v| drop(v["components"][2]["buttons"][0].as_object_mut().unwrap().remove("supported_apps")),
        "$.components[2].buttons[0].supported_apps",
    );
    refused(
        otp("ONE_TAP"),
        |v| v["components"][2]["buttons"][0]["supported_apps"][0]["signature_hash"] = json!("short"),
        "$.components[2].buttons[0].supported_apps[0].signature_hash",
    );
    refused(
        otp("ZERO_TAP"),
        |v| v["components"][2]["buttons"][0]["zero_tap_terms_accepted"] = json!(false),
        "$.components[2].buttons[0].zero_tap_terms_accepted",
    );
    refused(
        otp("COPY_CODE"),
        |v| v["components"][1]["code_expiration_minutes"] = json!(120),
        "$.components[1].code_expiration_minutes",
    );
    refused(otp("COPY_CODE"), |v| v["components"][0]["text"] = json!("Your code"), "$.components[0].text");
    // An OTP button outside an authentication template, and other buttons inside one.
    refused(
        utility(),
        |v| v["components"][3]["buttons"][3] = json!({"type": "OTP", "otp_type": "COPY_CODE"}),
        "$.components[3].buttons[3].type",
    );
    refused(
        otp("COPY_CODE"),
        |v| v["components"][2]["buttons"] = json!([{"type": "QUICK_REPLY", "text": "x"}]),
        "$.components[2].buttons",
    );
}

#[test]
fn carousel_cards_are_checked() {
    let eleven: Vec<Value> = (0..11).map(|_| card("IMAGE")).collect();
    refused(carousel(), |v| v["components"][1]["cards"] = json!(eleven), "$.components[1].cards");
    refused(carousel(), |v| v["components"][1]["cards"][1] = card("VIDEO"), "$.components[1].cards[1]");
    refused(
        carousel(),
        |v| v["components"][1]["cards"][0]["components"][0]["format"] = json!("TEXT"),
        "$.components[1].cards[0].components[0].format",
    );
    refused(
        carousel(),
        |v| v["components"][1]["cards"][0]["components"][1]["text"] = json!(format!("a {{{{1}}}} {}", "b".repeat(160))),
        "$.components[1].cards[0].components[1].text",
    );
    let three = json!([{"type": "QUICK_REPLY", "text": "a"}, {"type": "QUICK_REPLY", "text": "b"}, {"type": "QUICK_REPLY", "text": "c"}]);
    refused(
        carousel(),
        |v| v["components"][1]["cards"][0]["components"][2]["buttons"] = three,
        "$.components[1].cards[0].components[2].buttons",
    );
}

#[test]
fn limited_time_offers_are_checked() {
    refused(
        lto(),
        |v| v["components"][0]["limited_time_offer"]["text"] = json!("x".repeat(17)),
        "$.components[0].limited_time_offer.text",
    );
    refused(lto(), |v| v["category"] = json!("UTILITY"), "$.category");
    refused(
        lto(),
        |v| v["components"].as_array_mut().unwrap().push(json!({"type": "FOOTER", "text": "f"})),
        "$.components",
    );
    refused(
        lto(),
        |v| v["components"][0] = json!({"type": "LIMITED_TIME_OFFER"}),
        "$.components[0].limited_time_offer",
    );
}

#[test]
fn update_components_are_checked_the_same_way() {
    let comps = utility()["components"].clone();
    assert!(validate_components(&comps, "UTILITY", "positional").is_ok());
    let bad = json!([{"type": "BODY", "text": "Hi {{1}} there"}]);
    assert_eq!(
        validate_components(&bad, "UTILITY", "positional").unwrap_err()[0].path,
        "$.components[0].example.body_text"
    );
    assert_eq!(parameters("a {{1}} b {{ x }} {{"), vec!["1".to_string(), "x".to_string()]);
}

/// The definitions in `examples/templates/` (also the benchmark's inputs) are valid.
pub const EXAMPLES: &[(&str, &str)] = &[
    ("order-update-utility", include_str!("../../../../examples/templates/order-update-utility.json")),
    ("welcome-named", include_str!("../../../../examples/templates/welcome-named.json")),
    ("auth-one-tap", include_str!("../../../../examples/templates/auth-one-tap.json")),
    ("summer-carousel", include_str!("../../../../examples/templates/summer-carousel.json")),
    ("flash-sale-lto", include_str!("../../../../examples/templates/flash-sale-lto.json")),
];

#[test]
fn the_example_definitions_are_valid() {
    for (name, text) in EXAMPLES {
        let d = validate_text(text).unwrap_or_else(|p| panic!("{name}: {p:?}"));
        assert!(!d.name.is_empty());
    }
}

/// The fixtures of `examples/meta/` with their sources in its SOURCES.md: (file name, text).
pub(crate) fn meta_fixtures(kind: &str) -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/meta");
    let sources = std::fs::read_to_string(root.join("SOURCES.md")).unwrap();
    let mut out: Vec<(String, String)> = std::fs::read_dir(root.join(kind))
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            assert!(sources.contains(&format!("`{kind}/{name}`")), "{kind}/{name} names its source in SOURCES.md");
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    out.sort();
    out
}

/// wapipe never refuses what Meta accepts: every template shaped after Meta's published
/// examples (SPM, product cards, MPM, catalog, location headers, call permission requests,
/// names in any case) validates.
#[test]
fn every_published_meta_template_validates() {
    let fixtures = meta_fixtures("templates");
    assert!(fixtures.len() >= 7, "{} fixtures", fixtures.len());
    for (name, text) in fixtures {
        if let Err(problems) = validate_text(&text) {
            panic!("{name}: {}", problems.iter().map(Problem::to_string).collect::<Vec<_>>().join("; "));
        }
    }
}

#[test]
fn product_cards_need_no_body_but_media_cards_do_and_unknown_kinds_are_named() {
    let card = |header: Value, with_body: bool| {
        let mut comps = vec![
            header,
            json!({"type": "BUTTONS", "buttons": [{"type": "URL", "text": "Buy", "url": "https://x.example/p"}]}),
        ];
        if with_body {
            comps.insert(1, json!({"type": "BODY", "text": "A plant"}));
        }
        json!({"components": comps})
    };
    let carousel = |cards: Vec<Value>| {
        json!({"name": "c", "language": "en_US", "category": "MARKETING", "components": [
            {"type": "BODY", "text": "Our plants"}, {"type": "CAROUSEL", "cards": cards}]})
    };
    let product = json!({"type": "HEADER", "format": "PRODUCT"});
    assert!(validate(&carousel(vec![card(product.clone(), false), card(product, false)])).is_ok());
    let image = json!({"type": "HEADER", "format": "IMAGE", "example": {"header_handle": ["4::aW"]}});
    let problems = validate(&carousel(vec![card(image, false)])).unwrap_err();
    assert!(problems.iter().any(|p| p.path == "$.components[1].cards[0].components" && p.message.contains("BODY")));
    let mut odd = carousel(vec![card(json!({"type": "HEADER", "format": "PRODUCT"}), false)]);
    odd["components"][1]["cards"][0]["components"][1]["buttons"][0]["type"] = json!("TELEPORT");
    let problems = validate(&odd).unwrap_err();
    assert!(problems.iter().any(|p| p.path.ends_with("buttons[0].type") && p.message.contains("SPM")), "{problems:?}");
}
