//! Message template *definitions* (Meta's `POST /<WABA>/message_templates` body, which EUM's
//! `CreateWhatsAppMessageTemplate` carries as `templateDefinition`, docs/PROTOCOL.md §2.3, §5.4), checked
//! before any call so a bad definition is refused with the JSON path of each problem instead of
//! a round trip to Meta and a rejection days later.
//!
//! What is checked: the name, language and category; one component of each kind, a BODY;
//! header formats and their examples; body/header/footer lengths; parameters — positional
//! (`{{1}}`, `{{2}}` … in order) or named (`{{first_name}}`), never mixed, matching
//! `parameter_format`, with an example value for each; buttons (at most 10, per-type counts,
//! quick replies grouped, URL and phone fields, copy-code examples, flow buttons); OTP buttons of
//! authentication templates (copy-code, one-tap, zero-tap with their app lists and terms);
//! carousel cards (count, same shape on every card); limited-time offers.

mod buttons;
mod components;
#[cfg(test)]
pub(crate) mod tests;

use serde::Serialize;
use serde_json::Value;

/// One problem of a definition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// JSON path of the value concerned (`$` is the document): `$.components[2].buttons[0].otp_type`.
    pub path: String,
    /// What is wrong and what is allowed, for people.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// What a valid definition is, in short.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Definition {
    /// The template name: lowercase letters, digits and underscores, at most [`NAME_MAX`] characters.
    pub name: String,
    /// The language code, as given (e.g. `en_US`).
    pub language: String,
    /// The category, upper case: one of [`CATEGORIES`].
    pub category: String,
    /// `positional` (Meta's default) or `named`.
    pub parameter_format: String,
}

/// The categories a definition may name (case-insensitive in the input).
pub const CATEGORIES: [&str; 3] = ["MARKETING", "UTILITY", "AUTHENTICATION"];
/// Meta's limits for template creation.
pub const NAME_MAX: usize = 512;
/// Most characters in a BODY text.
pub const BODY_MAX: usize = 1024;
/// Most characters in a TEXT header.
pub const HEADER_TEXT_MAX: usize = 60;
/// Most characters in a FOOTER text.
pub const FOOTER_MAX: usize = 60;

/// Problems collected while walking a definition.
#[derive(Default)]
pub(crate) struct Checker {
    pub problems: Vec<Problem>,
    /// `named` or `positional`.
    pub format: String,
    pub category: String,
}

impl Checker {
    pub fn error(&mut self, path: &str, message: impl Into<String>) {
        self.problems.push(Problem { path: path.to_string(), message: message.into() });
    }

    /// The string at `v[key]`, or an error naming `path.key`.
    pub fn string<'a>(&mut self, v: &'a Value, path: &str, key: &str) -> Option<&'a str> {
        match v.get(key) {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s),
            Some(Value::String(_)) => {
                self.error(&format!("{path}.{key}"), "must not be empty");
                None
            }
            Some(_) => {
                self.error(&format!("{path}.{key}"), "must be a string");
                None
            }
            None => {
                self.error(&format!("{path}.{key}"), "required");
                None
            }
        }
    }

    /// Length in characters, checked against `max`.
    pub fn max_len(&mut self, path: &str, text: &str, max: usize) {
        let n = text.chars().count();
        if n > max {
            self.error(path, format!("{n} characters; at most {max}"));
        }
    }
}

/// Check a definition given as text.
pub fn validate_text(text: &str) -> Result<Definition, Vec<Problem>> {
    match serde_json::from_str::<Value>(text) {
        Ok(v) => validate(&v),
        Err(e) => Err(vec![Problem { path: "$".into(), message: format!("not JSON: {e}") }]),
    }
}

/// Check a definition; every problem with its JSON path, or what it defines.
pub fn validate(v: &Value) -> Result<Definition, Vec<Problem>> {
    let mut c = Checker::default();
    if !v.is_object() {
        c.error("$", "expected an object");
        return Err(c.problems);
    }
    let name = c.string(v, "$", "name").map(str::to_string).unwrap_or_default();
    if !name.is_empty() {
        if !name.chars().all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_') {
            c.error("$.name", format!("`{name}`: use lowercase letters, digits and underscores"));
        }
        c.max_len("$.name", &name, NAME_MAX);
    }
    let language = c.string(v, "$", "language").map(str::to_string).unwrap_or_default();
    let category = c.string(v, "$", "category").map(str::to_ascii_uppercase).unwrap_or_default();
    if !category.is_empty() && !CATEGORIES.contains(&category.as_str()) {
        c.error("$.category", format!("`{category}`: one of {}", CATEGORIES.join(", ")));
    }
    c.category = category.clone();
    c.format = match v.get("parameter_format") {
        None => "positional".into(),
        Some(Value::String(s)) if s == "named" || s == "positional" => s.clone(),
        Some(_) => {
            c.error("$.parameter_format", "`named` or `positional`");
            "positional".into()
        }
    };
    match v.get("components") {
        Some(Value::Array(list)) if !list.is_empty() => components::check_all(&mut c, list),
        Some(Value::Array(_)) => c.error("$.components", "must not be empty (a BODY is required)"),
        Some(_) => c.error("$.components", "must be an array"),
        None => c.error("$.components", "required"),
    }
    if c.problems.is_empty() {
        Ok(Definition { name, language, category, parameter_format: c.format })
    } else {
        Err(c.problems)
    }
}

/// Check the components of an update (`UpdateWhatsAppMessageTemplate`'s `templateComponents`)
/// as if they were a definition's, for a template of `category`.
pub fn validate_components(components: &Value, category: &str, parameter_format: &str) -> Result<(), Vec<Problem>> {
    let mut c =
        Checker { category: category.to_ascii_uppercase(), format: parameter_format.to_string(), ..Checker::default() };
    match components {
        Value::Array(list) if !list.is_empty() => components::check_all(&mut c, list),
        _ => c.error("$.components", "must be a non-empty array"),
    }
    if c.problems.is_empty() {
        Ok(())
    } else {
        Err(c.problems)
    }
}

/// The `{{…}}` parameters of a text, in order of appearance.
pub fn parameters(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    // Bounded by the text length: each turn consumes at least the `{{`.
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                out.push(after[..end].trim().to_string());
                rest = &after[end + 2..];
            }
            None => break,
        }
    }
    out
}
