//! Component checks: header, body, footer, carousel, limited-time offer, and parameters with
//! their examples.

use serde_json::Value;

use super::{buttons, parameters, Checker, BODY_MAX, FOOTER_MAX, HEADER_TEXT_MAX};

/// Component types and header formats Meta lists (docs/PROTOCOL.md §10.8), compared upper-cased.
const KINDS: [&str; 7] =
    ["HEADER", "BODY", "FOOTER", "BUTTONS", "CAROUSEL", "LIMITED_TIME_OFFER", "CALL_PERMISSION_REQUEST"];
const HEADER_FORMATS: [&str; 7] = ["TEXT", "IMAGE", "VIDEO", "GIF", "DOCUMENT", "LOCATION", "PRODUCT"];
/// A carousel card's body (Meta: 160 characters) and card count.
const CARD_BODY_MAX: usize = 160;
const CARDS_MAX: usize = 10;
const LTO_TEXT_MAX: usize = 16;

fn kind(v: &Value) -> Option<String> {
    v.get("type").and_then(Value::as_str).map(str::to_ascii_uppercase)
}

/// The components of a definition (or of a carousel card when `card` is true).
pub(crate) fn check_all(c: &mut Checker, list: &[Value]) {
    let mut seen: Vec<String> = Vec::new();
    for (i, comp) in list.iter().enumerate() {
        let path = format!("$.components[{i}]");
        let Some(k) = kind(comp) else {
            c.error(&format!("{path}.type"), format!("required: one of {}", KINDS.join(", ")));
            continue;
        };
        if !KINDS.contains(&k.as_str()) {
            c.error(&format!("{path}.type"), format!("`{k}`: one of {}", KINDS.join(", ")));
            continue;
        }
        if seen.contains(&k) {
            c.error(&format!("{path}.type"), format!("a second {k}: at most one of each component"));
            continue;
        }
        seen.push(k.clone());
        match k.as_str() {
            "HEADER" => header(c, &path, comp),
            "BODY" => body(c, &path, comp, BODY_MAX),
            "FOOTER" => footer(c, &path, comp),
            "BUTTONS" => buttons::check(c, &path, comp, false),
            "CAROUSEL" => carousel(c, &path, comp),
            "LIMITED_TIME_OFFER" => limited_time_offer(c, &path, comp),
            // The call permission request component carries nothing to check (docs/PROTOCOL.md §10.2).
            _ => {}
        }
    }
    let has = |k: &str| seen.iter().any(|s| s == k);
    if !has("BODY") {
        c.error("$.components", "a BODY component is required");
    }
    if c.category == "AUTHENTICATION" {
        if has("HEADER") {
            c.error("$.components", "authentication templates have no HEADER");
        }
        if !has("BUTTONS") {
            c.error("$.components", "authentication templates need a BUTTONS component with one OTP button");
        }
    }
    if has("LIMITED_TIME_OFFER") {
        if c.category != "MARKETING" {
            c.error("$.category", "limited-time offers are MARKETING templates");
        }
        if has("FOOTER") {
            c.error("$.components", "a limited-time offer template has no FOOTER");
        }
        if !has("BUTTONS") {
            c.error("$.components", "a limited-time offer needs buttons (COPY_CODE and/or URL)");
        }
    }
}

fn header(c: &mut Checker, path: &str, comp: &Value) {
    let Some(format) = c.string(comp, path, "format").map(str::to_ascii_uppercase) else { return };
    if !HEADER_FORMATS.contains(&format.as_str()) {
        c.error(&format!("{path}.format"), format!("`{format}`: one of {}", HEADER_FORMATS.join(", ")));
        return;
    }
    match format.as_str() {
        "TEXT" => {
            let Some(text) = c.string(comp, path, "text") else { return };
            c.max_len(&format!("{path}.text"), text, HEADER_TEXT_MAX);
            let params = parameters(text);
            if params.len() > 1 {
                c.error(&format!("{path}.text"), format!("{} parameters; a header has at most one", params.len()));
                return;
            }
            examples(c, path, comp, &params, "header_text", "header_text_named_params", false);
        }
        "IMAGE" | "VIDEO" | "GIF" | "DOCUMENT" => media_example(c, path, comp, &format),
        _ => {}
    }
}

/// Media headers need an example handle (from `CreateWhatsAppMessageTemplateMedia`).
fn media_example(c: &mut Checker, path: &str, comp: &Value, format: &str) {
    let handles = comp.get("example").and_then(|e| e.get("header_handle")).and_then(Value::as_array);
    match handles {
        Some(h) if !h.is_empty() && h.iter().all(|x| x.as_str().is_some_and(|s| !s.is_empty())) => {}
        _ => c.error(
            &format!("{path}.example.header_handle"),
            format!("a {format} header needs an example handle: `wapipe templates media --s3 s3://…` gives one"),
        ),
    }
}

fn body(c: &mut Checker, path: &str, comp: &Value, max: usize) {
    if c.category == "AUTHENTICATION" {
        if comp.get("text").is_some() {
            c.error(&format!("{path}.text"), "authentication templates take no body text (Meta writes it)");
        }
        if let Some(v) = comp.get("add_security_recommendation") {
            if !v.is_boolean() {
                c.error(&format!("{path}.add_security_recommendation"), "must be true or false");
            }
        }
        return;
    }
    let Some(text) = c.string(comp, path, "text") else { return };
    c.max_len(&format!("{path}.text"), text, max);
    let params = parameters(text);
    if !params.is_empty() && (text.trim_start().starts_with("{{") || text.trim_end().ends_with("}}")) {
        c.error(&format!("{path}.text"), "a parameter may not start or end the body (Meta rejects it)");
    }
    examples(c, path, comp, &params, "body_text", "body_text_named_params", true);
}

fn footer(c: &mut Checker, path: &str, comp: &Value) {
    if c.category == "AUTHENTICATION" {
        if let Some(m) = comp.get("code_expiration_minutes") {
            if !m.as_u64().is_some_and(|n| (1..=90).contains(&n)) {
                c.error(&format!("{path}.code_expiration_minutes"), "an integer from 1 to 90");
            }
        }
        return;
    }
    let Some(text) = c.string(comp, path, "text") else { return };
    c.max_len(&format!("{path}.text"), text, FOOTER_MAX);
    if !parameters(text).is_empty() {
        c.error(&format!("{path}.text"), "a footer has no parameters");
    }
}

fn is_named(p: &str) -> bool {
    p.chars().next().is_some_and(|ch| ch.is_ascii_lowercase())
        && p.chars().all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_')
}

/// Parameters of a text and their examples: positional `{{1}}…{{n}}` in order with
/// `example.<positional>` (`[[…]]` for a body, `[…]` for a header), or named with
/// `example.<named>` = `[{"param_name", "example"}]`.
fn examples(c: &mut Checker, path: &str, comp: &Value, params: &[String], positional: &str, named: &str, nested: bool) {
    if params.is_empty() {
        return;
    }
    let text_path = format!("{path}.text");
    let all_numbers = params.iter().all(|p| p.parse::<u32>().is_ok());
    let all_named = params.iter().all(|p| is_named(p));
    if !all_numbers && !all_named {
        c.error(&text_path, "parameters are either all positional ({{1}}) or all named ({{first_name}}, lowercase)");
        return;
    }
    if all_numbers && c.format == "named" {
        c.error(&text_path, "parameter_format is `named`: use {{name}} parameters");
        return;
    }
    if all_named && c.format != "named" {
        c.error(&text_path, "named parameters need \"parameter_format\": \"named\" on the template");
        return;
    }
    let example = comp.get("example");
    if all_numbers {
        let mut distinct: Vec<u32> = params.iter().filter_map(|p| p.parse().ok()).collect();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.iter().enumerate().any(|(i, n)| *n as usize != i + 1) {
            c.error(
                &text_path,
                format!("positional parameters must be {{{{1}}}} to {{{{{}}}}} in sequence", distinct.len()),
            );
            return;
        }
        let values = example.and_then(|e| e.get(positional)).and_then(|v| if nested { v.get(0) } else { Some(v) });
        let count = values.and_then(Value::as_array).map(|a| a.iter().filter(|x| x.as_str().is_some()).count());
        let expath = format!("{path}.example.{positional}");
        match count {
            None => c.error(&expath, format!("{} example value(s) required for the parameters", distinct.len())),
            Some(n) if n != distinct.len() => {
                c.error(&expath, format!("{n} example value(s) for {} parameter(s)", distinct.len()))
            }
            _ => {}
        }
    } else {
        let expath = format!("{path}.example.{named}");
        let list = example.and_then(|e| e.get(named)).and_then(Value::as_array);
        let Some(list) = list else {
            c.error(&expath, "an example for each named parameter is required: [{\"param_name\", \"example\"}]");
            return;
        };
        for p in params {
            let found = list.iter().any(|e| {
                e.get("param_name").and_then(Value::as_str) == Some(p)
                    && e.get("example").and_then(Value::as_str).is_some_and(|s| !s.is_empty())
            });
            if !found {
                c.error(&expath, format!("no example for parameter `{p}`"));
            }
        }
    }
}

fn carousel(c: &mut Checker, path: &str, comp: &Value) {
    let cards_path = format!("{path}.cards");
    let Some(cards) = comp.get("cards").and_then(Value::as_array) else {
        c.error(&cards_path, "required: an array of cards");
        return;
    };
    if cards.is_empty() || cards.len() > CARDS_MAX {
        c.error(&cards_path, format!("{} cards; 1 to {CARDS_MAX}", cards.len()));
        return;
    }
    let mut shape: Option<(String, Vec<String>)> = None;
    for (j, card) in cards.iter().enumerate() {
        let card_path = format!("{cards_path}[{j}]");
        let Some(list) = card.get("components").and_then(Value::as_array) else {
            c.error(&format!("{card_path}.components"), "required: the card's HEADER, BODY and BUTTONS");
            continue;
        };
        let mut header_format = String::new();
        let mut button_types = Vec::new();
        let mut has_body = false;
        for (k, cc) in list.iter().enumerate() {
            let p = format!("{card_path}.components[{k}]");
            match kind(cc).as_deref() {
                Some("HEADER") => {
                    header_format = cc.get("format").and_then(Value::as_str).unwrap_or("").to_ascii_uppercase();
                    match header_format.as_str() {
                        "IMAGE" | "VIDEO" => media_example(c, &p, cc, &header_format),
                        // A product card: the product is named when the template is sent.
                        "PRODUCT" => {}
                        _ => c.error(&format!("{p}.format"), "a card header is IMAGE, VIDEO or PRODUCT"),
                    }
                }
                Some("BODY") => {
                    has_body = true;
                    body(c, &p, cc, CARD_BODY_MAX);
                }
                Some("BUTTONS") => {
                    buttons::check(c, &p, cc, true);
                    button_types = buttons::types(cc);
                }
                other => c.error(&format!("{p}.type"), format!("{other:?}: a card has HEADER, BODY, BUTTONS")),
            }
        }
        if header_format.is_empty() {
            c.error(&format!("{card_path}.components"), "a card needs an IMAGE, VIDEO or PRODUCT HEADER");
        }
        // Product cards may leave the body out; media cards carry one.
        if !has_body && header_format != "PRODUCT" {
            c.error(&format!("{card_path}.components"), "a media card needs a BODY");
        }
        if button_types.is_empty() {
            c.error(&format!("{card_path}.components"), "a card needs 1 or 2 buttons");
        }
        match &shape {
            None => shape = Some((header_format, button_types)),
            Some((h, b)) if *h != header_format || *b != button_types => c.error(
                &card_path,
                "every card must have the same header format and the same buttons as the first card",
            ),
            Some(_) => {}
        }
    }
}

fn limited_time_offer(c: &mut Checker, path: &str, comp: &Value) {
    let lto_path = format!("{path}.limited_time_offer");
    let Some(lto) = comp.get("limited_time_offer").filter(|v| v.is_object()) else {
        c.error(&lto_path, "required: {\"text\", \"has_expiration\"}");
        return;
    };
    if let Some(text) = c.string(lto, &lto_path, "text") {
        c.max_len(&format!("{lto_path}.text"), text, LTO_TEXT_MAX);
    }
    if lto.get("has_expiration").is_some_and(|v| !v.is_boolean()) {
        c.error(&format!("{lto_path}.has_expiration"), "must be true or false");
    }
}
