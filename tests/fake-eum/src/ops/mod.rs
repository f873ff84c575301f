//! Operation handlers. Each takes the parsed request and the locked state and returns the JSON
//! output shape or an [`EumError`].

pub mod calling;
pub mod conversions;
pub mod flows;
pub mod messaging;
pub mod tags;
pub mod templates;
pub mod waba;

use std::collections::BTreeMap;

use serde_json::Value;

use crate::error::EumError;
use crate::record::Blob;

/// A parsed API request.
#[derive(Debug)]
pub struct Req {
    /// Percent-decoded query parameters.
    pub query: BTreeMap<String, String>,
    /// The JSON body, if any.
    pub body: Option<Value>,
    /// The blob member found in the body and its decoding.
    pub blob: Option<(&'static str, Blob)>,
}

/// The restJson1-style message for a missing required member.
pub fn missing(member: &str) -> EumError {
    EumError::validation(format!(
        "1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"
    ))
}

/// The restJson1-style message for a member at `path` (e.g. `callSettings.callHours.timezone`)
/// that is present but breaks `constraint`.
pub fn invalid(path: &str, value: &Value, constraint: &str) -> EumError {
    let shown = match value {
        Value::String(s) => format!(" '{s}'"),
        Value::Null => " null".to_string(),
        Value::Array(_) | Value::Object(_) => String::new(),
        other => format!(" '{other}'"),
    };
    EumError::validation(format!(
        "1 validation error detected: Value{shown} at '{path}' failed to satisfy constraint: {constraint}"
    ))
}

/// A string of `min..=max` characters at `path` (`value` must be present: see [`missing`]).
pub fn check_str<'a>(path: &str, value: &'a Value, min: usize, max: usize) -> Result<&'a str, EumError> {
    let s = value.as_str().ok_or_else(|| invalid(path, value, "Member must be a string"))?;
    let n = s.chars().count();
    if n < min || n > max {
        return Err(invalid(path, value, &format!("Member must have length between {min} and {max}")));
    }
    Ok(s)
}

impl Req {
    /// A string member of the body.
    pub fn body_str(&self, key: &str) -> Option<&str> {
        self.body.as_ref().and_then(|b| b.get(key)).and_then(Value::as_str)
    }

    /// A member of the body.
    pub fn body_value(&self, key: &str) -> Option<&Value> {
        self.body.as_ref().and_then(|b| b.get(key)).filter(|v| !v.is_null())
    }

    /// A boolean member of the body (false when absent).
    pub fn body_bool(&self, key: &str) -> bool {
        self.body_value(key).and_then(Value::as_bool).unwrap_or(false)
    }

    /// A required, non-empty string member of the body.
    pub fn body_required(&self, key: &str) -> Result<&str, EumError> {
        self.body_str(key).filter(|s| !s.is_empty()).ok_or_else(|| missing(key))
    }

    /// A query parameter.
    pub fn query_str(&self, key: &str) -> Option<&str> {
        self.query.get(key).map(String::as_str)
    }

    /// A required, non-empty query parameter.
    pub fn query_required(&self, key: &str) -> Result<&str, EumError> {
        self.query_str(key).filter(|s| !s.is_empty()).ok_or_else(|| missing(key))
    }

    /// A boolean query parameter (`true`/`false`; absent = false).
    pub fn query_bool(&self, key: &str) -> Result<bool, EumError> {
        match self.query_str(key) {
            None => Ok(false),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
            Some(v) => Err(EumError::validation(format!("Invalid boolean for {key}: {v}"))),
        }
    }

    /// The decoding of blob `member` (Missing when the body has no such member).
    pub fn blob(&self, member: &str) -> &Blob {
        match &self.blob {
            Some((m, b)) if *m == member => b,
            _ => &Blob::Missing,
        }
    }

    /// The blob `member` as JSON, or a ValidationException naming what is wrong with it.
    pub fn blob_json(&self, member: &str) -> Result<&Value, EumError> {
        match self.blob(member) {
            Blob::Json(v) => Ok(v),
            Blob::Missing => Err(missing(member)),
            Blob::NotBase64 => Err(EumError::validation(format!("{member} is not valid base64"))),
            Blob::Text(_) | Blob::Binary => Err(EumError::validation(format!("{member} is not valid JSON"))),
        }
    }
}

/// An empty JSON object (operations without output members).
pub fn empty() -> Value {
    Value::Object(serde_json::Map::new())
}
