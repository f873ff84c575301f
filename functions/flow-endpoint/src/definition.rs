//! Declarative flow definitions (`flows/<name>.json`): for each screen and action, the next
//! screen (or completion) and the data to return, with values taken from the request, the
//! session, or the table.
//!
//! ```json
//! { "name": "appointment", "flows": ["<meta flow id>", "appointment"],
//!   "init": { "screen": "FIRST", "data": { "items": { "$lookup": "departments", "default": [] } } },
//!   "screens": {
//!     "FIRST": { "data_exchange": [
//!         { "when": [{ "field": "data.department", "present": false }],
//!           "screen": "FIRST", "data": { "error_message": "Pick a department" } },
//!         { "screen": "LAST", "data": { "department": { "$from": "data.department" } } } ],
//!       "back": { "screen": "FIRST" } },
//!     "LAST": { "data_exchange": [ { "complete": true, "params": { "d": { "$from": "data.department" } } } ] } } }
//! ```
//!
//! Values: any JSON is a literal, except objects with one of these keys (plus `default`):
//! `$from` (a path: `data.<field>…`, `session.<flow|recipient|phone_number_id|wamid|request_id>`,
//! `flow_token`, `screen`, `action`), `$template` (a string with `{path}` placeholders),
//! `$lookup` (every item of `FLOWDATA#<table>`, as a list of objects with `id` = the sort key),
//! `$get` (`{table, key, attr?}`: one item, or one attribute of it; `key` is a template).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};

/// A flow definition as written.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    /// The definition's name, used in error messages; also a flow id it serves (non-empty).
    pub name: String,
    /// The Meta flow ids (or flow names) whose sessions this definition serves; its `name`
    /// always counts as one.
    #[serde(default)]
    pub flows: Vec<String>,
    /// The answer to `INIT` (the flow opened with `flow_action: data_exchange`).
    pub init: Option<Outcome>,
    /// The rules per screen id (the `screen` a request comes from); a screen without rules
    /// answers only `BACK` (with itself).
    #[serde(default)]
    pub screens: BTreeMap<String, ScreenRules>,
    /// Shown (encrypted, with HTTP 427) when the token is unknown, expired or used.
    #[serde(default)]
    pub expired_message: Option<String>,
}

/// How one screen answers `data_exchange` (and `navigate`) and `BACK`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ScreenRules {
    /// Tried in order; the first whose `when` holds answers.
    #[serde(default)]
    pub data_exchange: Vec<Rule>,
    /// The answer to `BACK` on this screen (`refresh_on_back`); default: the same screen, no data.
    #[serde(default)]
    pub back: Option<Outcome>,
}

/// One `data_exchange` rule: conditions and, flattened beside them, the outcome.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Rule {
    /// Conditions that must all hold; none means the rule always applies.
    #[serde(default)]
    pub when: Vec<Condition>,
    /// Where the step leads when the conditions hold.
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// Where a step leads: a screen with its data, or the end of the flow.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
pub struct Outcome {
    /// The next screen's id (never `SUCCESS`: use `complete`); exclusive with `complete`.
    #[serde(default)]
    pub screen: Option<String>,
    /// Close the flow (`SUCCESS`); `params` go to `extension_message_response.params`.
    #[serde(default)]
    pub complete: bool,
    /// The next screen's `data`, values evaluated (literals or `$from`, `$template`, `$lookup`,
    /// `$get` expressions, see the module docs).
    #[serde(default)]
    pub data: Map<String, Value>,
    /// On completion, the values (evaluated like `data`) sent back in the `nfm_reply`; the
    /// flow token is added.
    #[serde(default)]
    pub params: Map<String, Value>,
}

/// A test on a value of the step; every test given must hold.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// A path, as `$from` takes it.
    pub field: String,
    /// When set, the value at `field` must equal this JSON value exactly (an absent field is `null`).
    #[serde(default)]
    pub equals: Option<Value>,
    /// `true`: the field is present and not empty; `false`: missing, null or "".
    #[serde(default)]
    pub present: Option<bool>,
}

/// A definition that cannot be used, with the place of the problem.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("flow definition {name}: {path}: {problem}")]
pub struct DefinitionError {
    /// The definition's `name` (`?` when the JSON did not parse).
    pub name: String,
    /// Where in the definition: a field path such as `screens.FIRST.data_exchange[0].data.x`,
    /// or the line and column of a JSON syntax error.
    pub path: String,
    /// What is wrong there.
    pub problem: String,
}

/// The first segment a value path may start with (`data.<field>`, `session.<field>`, or one
/// of `flow_token`, `screen`, `action` alone).
pub const PATH_ROOTS: &[&str] = &["data", "session", "flow_token", "screen", "action"];
const SESSION_FIELDS: &[&str] = &["flow", "recipient", "phone_number_id", "wamid", "request_id"];
const EXPRESSIONS: &[&str] = &["$from", "$template", "$lookup", "$get"];

impl Definition {
    /// Parse and check a definition.
    pub fn parse(text: &str) -> Result<Definition, DefinitionError> {
        let def: Definition = serde_json::from_str(text).map_err(|e| DefinitionError {
            name: "?".into(),
            path: format!("line {} column {}", e.line(), e.column()),
            problem: e.to_string(),
        })?;
        def.check()?;
        Ok(def)
    }

    /// The flows this definition serves: its `flows` and its `name`.
    pub fn serves(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.name.as_str()).chain(self.flows.iter().map(String::as_str))
    }

    /// Every outcome names a screen or completes (not both); every expression is well formed.
    pub fn check(&self) -> Result<(), DefinitionError> {
        let err = |path: String, problem: String| DefinitionError { name: self.name.clone(), path, problem };
        if self.name.trim().is_empty() {
            return Err(err("name".into(), "required".into()));
        }
        let mut outcomes: Vec<(String, &Outcome, &[Condition])> = Vec::new();
        if let Some(i) = &self.init {
            outcomes.push(("init".into(), i, &[]));
        }
        for (screen, rules) in &self.screens {
            for (i, r) in rules.data_exchange.iter().enumerate() {
                outcomes.push((format!("screens.{screen}.data_exchange[{i}]"), &r.outcome, &r.when));
            }
            if let Some(b) = &rules.back {
                outcomes.push((format!("screens.{screen}.back"), b, &[]));
            }
        }
        for (path, o, when) in outcomes {
            match (&o.screen, o.complete) {
                (Some(_), true) => return Err(err(path, "`screen` and `complete` exclude each other".into())),
                (None, false) => return Err(err(path, "needs a `screen` or `\"complete\": true`".into())),
                (Some(s), false) if s == "SUCCESS" => {
                    return Err(err(path, "`SUCCESS` is reserved: use `\"complete\": true`".into()))
                }
                _ => {}
            }
            for (k, v) in o.data.iter().chain(o.params.iter()) {
                check_value(v).map_err(|p| err(format!("{path}.{k}"), p))?;
            }
            for (i, c) in when.iter().enumerate() {
                check_path(&c.field).map_err(|p| err(format!("{path}.when[{i}].field"), p))?;
            }
        }
        Ok(())
    }
}

/// Check a value's expressions (recursively).
fn check_value(v: &Value) -> Result<(), String> {
    match v {
        Value::Array(a) => a.iter().try_for_each(check_value),
        Value::Object(o) => match expression(o) {
            Some(("$from", Value::String(p))) => check_path(p),
            Some(("$template", Value::String(t))) => placeholders(t).try_for_each(check_path),
            Some(("$lookup", Value::String(t))) if !t.is_empty() => Ok(()),
            Some(("$get", Value::Object(g))) => match (g.get("table"), g.get("key")) {
                (Some(Value::String(_)), Some(Value::String(k))) => placeholders(k).try_for_each(check_path),
                _ => Err("`$get` needs `table` and `key` strings".into()),
            },
            Some((name, _)) => Err(format!("`{name}` has the wrong form")),
            None => o.values().try_for_each(check_value),
        }
        .and_then(|()| o.get("default").map_or(Ok(()), check_value)),
        _ => Ok(()),
    }
}

/// The expression an object is, if any: `(key, argument)`.
pub fn expression(o: &Map<String, Value>) -> Option<(&'static str, &Value)> {
    EXPRESSIONS.iter().find_map(|k| o.get(*k).map(|v| (*k, v)))
}

/// A path must start at a known root; `session.` paths name a session field.
pub fn check_path(p: &str) -> Result<(), String> {
    let mut parts = p.split('.');
    match (parts.next(), parts.next()) {
        (Some("data"), Some(f)) if !f.is_empty() => Ok(()),
        (Some("session"), Some(f)) if SESSION_FIELDS.contains(&f) => Ok(()),
        (Some("flow_token" | "screen" | "action"), None) => Ok(()),
        _ => Err(format!("`{p}` is not a path (data.<field>, session.<{}>, {PATH_ROOTS:?})", SESSION_FIELDS.join("|"))),
    }
}

/// The `{path}` placeholders of a template.
pub fn placeholders(t: &str) -> impl Iterator<Item = &str> {
    t.split('{').skip(1).filter_map(|rest| rest.split_once('}').map(|(p, _)| p.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = include_str!("../../../flows/appointment.json");

    #[test]
    fn the_shipped_example_parses() {
        let d = Definition::parse(EXAMPLE).unwrap();
        assert_eq!(d.name, "appointment");
        assert!(d.serves().any(|f| f == "appointment"));
        assert!(d.screens.contains_key("SUMMARY"));
    }

    #[test]
    fn bad_definitions_name_the_place() {
        let e = Definition::parse(r#"{"name":"x","init":{"data":{}}}"#).unwrap_err();
        assert_eq!(e.path, "init");
        let e = Definition::parse(r#"{"name":"x","init":{"screen":"SUCCESS"}}"#).unwrap_err();
        assert!(e.problem.contains("reserved"));
        let e = Definition::parse(r#"{"name":"x","init":{"screen":"A","complete":true}}"#).unwrap_err();
        assert!(e.problem.contains("exclude"));
        let bad_path =
            r#"{"name":"x","screens":{"A":{"data_exchange":[{"screen":"B","data":{"v":{"$from":"secret.x"}}}]}}}"#;
        let e = Definition::parse(bad_path).unwrap_err();
        assert_eq!(e.path, "screens.A.data_exchange[0].v");
        let bad_get = r#"{"name":"x","init":{"screen":"A","data":{"v":{"$get":{"table":"t"}}}}}"#;
        assert!(Definition::parse(bad_get).unwrap_err().problem.contains("$get"));
        let bad_when = r#"{"name":"x","screens":{"A":{"data_exchange":[{"when":[{"field":"nope"}],"screen":"B"}]}}}"#;
        assert!(Definition::parse(bad_when).unwrap_err().path.ends_with("when[0].field"));
        assert!(Definition::parse(r#"{"name":"x","surprise":1}"#).is_err(), "unknown fields are refused");
        let tpl = r#"{"name":"x","init":{"screen":"A","data":{"v":{"$template":"Hi {session.nope}"}}}}"#;
        assert!(Definition::parse(tpl).is_err());
    }

    #[test]
    fn placeholders_are_found() {
        let p: Vec<_> = placeholders("a {data.x} b {session.flow}{flow_token} {unclosed").collect();
        assert_eq!(p, ["data.x", "session.flow", "flow_token"]);
    }
}
