//! The BUTTONS component: counts per type, grouping, and each kind's fields (URL, phone,
//! copy code, OTP, flow).

use serde_json::Value;

use super::{parameters, Checker};

pub const BUTTONS_MAX: usize = 10;
pub const CARD_BUTTONS_MAX: usize = 2;
const TEXT_MAX: usize = 25;
const COPY_CODE_MAX: usize = 15;
/// Android app signature hash length (Meta: 11 characters).
const SIGNATURE_HASH_LEN: usize = 11;
/// Every button type Meta lists (docs/PROTOCOL.md §10.8), compared upper-cased.
const TYPES: [&str; 12] = [
    "QUICK_REPLY",
    "URL",
    "PHONE_NUMBER",
    "COPY_CODE",
    "OTP",
    "FLOW",
    "CATALOG",
    "MPM",
    "SPM",
    "VOICE_CALL",
    "APP",
    "REQUEST_CONTACT_INFO",
];
/// (type, at most this many in one template).
const MAX_PER_TYPE: [(&str, usize); 9] = [
    ("URL", 2),
    ("PHONE_NUMBER", 1),
    ("COPY_CODE", 1),
    ("OTP", 1),
    ("FLOW", 1),
    ("CATALOG", 1),
    ("MPM", 1),
    ("SPM", 1),
    ("VOICE_CALL", 1),
];
const OTP_TYPES: [&str; 3] = ["COPY_CODE", "ONE_TAP", "ZERO_TAP"];

/// The types of a BUTTONS component's buttons, upper-cased, in order.
pub(crate) fn types(comp: &Value) -> Vec<String> {
    comp.get("buttons")
        .and_then(Value::as_array)
        .map(|b| b.iter().map(|x| x.get("type").and_then(Value::as_str).unwrap_or("").to_ascii_uppercase()).collect())
        .unwrap_or_default()
}

pub(crate) fn check(c: &mut Checker, path: &str, comp: &Value, card: bool) {
    let list_path = format!("{path}.buttons");
    let Some(list) = comp.get("buttons").and_then(Value::as_array) else {
        c.error(&list_path, "required: an array of buttons");
        return;
    };
    let max = if card { CARD_BUTTONS_MAX } else { BUTTONS_MAX };
    if list.is_empty() || list.len() > max {
        c.error(&list_path, format!("{} buttons; 1 to {max}", list.len()));
        return;
    }
    let kinds = types(comp);
    for (t, most) in MAX_PER_TYPE {
        let n = kinds.iter().filter(|k| *k == t).count();
        if n > most {
            c.error(&list_path, format!("{n} {t} buttons; at most {most}"));
        }
    }
    // Quick replies must sit together (before or after the other buttons).
    let first = kinds.iter().position(|k| k == "QUICK_REPLY");
    let last = kinds.iter().rposition(|k| k == "QUICK_REPLY");
    if let (Some(a), Some(b)) = (first, last) {
        if kinds.iter().take(b + 1).skip(a).any(|k| k != "QUICK_REPLY") {
            c.error(&list_path, "QUICK_REPLY buttons must be grouped together");
        }
    }
    if c.category == "AUTHENTICATION" && !(kinds.len() == 1 && kinds.first().is_some_and(|k| k == "OTP")) {
        c.error(&list_path, "an authentication template has exactly one OTP button");
    }
    for (i, b) in list.iter().enumerate() {
        let p = format!("{list_path}[{i}]");
        let Some(t) = b.get("type").and_then(Value::as_str).map(str::to_ascii_uppercase) else {
            c.error(&format!("{p}.type"), format!("required: one of {}", TYPES.join(", ")));
            continue;
        };
        if !TYPES.contains(&t.as_str()) {
            c.error(&format!("{p}.type"), format!("`{t}`: one of {}", TYPES.join(", ")));
            continue;
        }
        match t.as_str() {
            "OTP" => otp(c, &p, b),
            "COPY_CODE" => copy_code(c, &p, b),
            _ => {
                if let Some(text) = c.string(b, &p, "text") {
                    c.max_len(&format!("{p}.text"), text, TEXT_MAX);
                }
            }
        }
        match t.as_str() {
            "URL" => url(c, &p, b),
            "PHONE_NUMBER" => phone(c, &p, b),
            "FLOW" => flow(c, &p, b),
            _ => {}
        }
    }
}

fn url(c: &mut Checker, p: &str, b: &Value) {
    let Some(u) = c.string(b, p, "url") else { return };
    let up = format!("{p}.url");
    if !u.starts_with("https://") && !u.starts_with("http://") {
        c.error(&up, "must be an http(s) URL");
    }
    let params = parameters(u);
    if params.len() > 1 {
        c.error(&up, "at most one parameter, at the end of the URL");
    } else if params.len() == 1 {
        if !u.trim_end().ends_with("}}") {
            c.error(&up, "the parameter must be at the end of the URL");
        }
        let ok = b
            .get("example")
            .and_then(Value::as_array)
            .is_some_and(|a| a.len() == 1 && a.first().is_some_and(Value::is_string));
        if !ok {
            c.error(&format!("{p}.example"), "a URL with a parameter needs one example: [\"https://…/full-url\"]");
        }
    }
}

fn phone(c: &mut Checker, p: &str, b: &Value) {
    let Some(n) = c.string(b, p, "phone_number") else { return };
    let digits = n.trim_start_matches('+');
    if digits.is_empty() || digits.len() > 20 || !digits.chars().all(|ch| ch.is_ascii_digit()) {
        c.error(&format!("{p}.phone_number"), "an international number: + and up to 20 digits");
    }
}

fn copy_code(c: &mut Checker, p: &str, b: &Value) {
    match b.get("example").and_then(Value::as_str) {
        Some(e) if !e.is_empty() => c.max_len(&format!("{p}.example"), e, COPY_CODE_MAX),
        _ => c.error(&format!("{p}.example"), "required: an example code (at most 15 characters)"),
    }
}

fn flow(c: &mut Checker, p: &str, b: &Value) {
    let given: Vec<&str> = ["flow_id", "flow_name", "flow_json"].into_iter().filter(|k| b.get(*k).is_some()).collect();
    if given.len() != 1 {
        c.error(p, format!("exactly one of flow_id, flow_name, flow_json (got {})", given.len()));
    }
    if let Some(a) = b.get("flow_action") {
        if !matches!(a.as_str(), Some("navigate" | "data_exchange")) {
            c.error(&format!("{p}.flow_action"), "`navigate` or `data_exchange`");
        }
    }
}

fn otp(c: &mut Checker, p: &str, b: &Value) {
    if c.category != "AUTHENTICATION" {
        c.error(&format!("{p}.type"), "OTP buttons belong to AUTHENTICATION templates");
    }
    let Some(kind) = c.string(b, p, "otp_type").map(str::to_ascii_uppercase) else { return };
    if !OTP_TYPES.contains(&kind.as_str()) {
        c.error(&format!("{p}.otp_type"), format!("`{kind}`: one of {}", OTP_TYPES.join(", ")));
        return;
    }
    if kind == "COPY_CODE" {
        return;
    }
    let apps_path = format!("{p}.supported_apps");
    match b.get("supported_apps").and_then(Value::as_array) {
        Some(apps) if !apps.is_empty() => {
            for (i, app) in apps.iter().enumerate() {
                let ap = format!("{apps_path}[{i}]");
                c.string(app, &ap, "package_name");
                if let Some(h) = c.string(app, &ap, "signature_hash") {
                    if h.chars().count() != SIGNATURE_HASH_LEN {
                        c.error(&format!("{ap}.signature_hash"), "the app signature hash has 11 characters");
                    }
                }
            }
        }
        _ => c.error(&apps_path, format!("{kind} needs the Android apps: [{{\"package_name\", \"signature_hash\"}}]")),
    }
    if kind == "ZERO_TAP" && b.get("zero_tap_terms_accepted") != Some(&Value::Bool(true)) {
        c.error(&format!("{p}.zero_tap_terms_accepted"), "must be true (Meta's zero-tap terms)");
    }
}
