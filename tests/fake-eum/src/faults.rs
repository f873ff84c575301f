//! Fault injection: fail the next N calls, fail calls whose decoded message matches, add latency.
//!
//! JSON form (body of `POST /_fake/faults`, one object or an array of them):
//! ```json
//! {"kind":"failNext","operation":"SendWhatsAppMessage","count":2,
//!  "error":{"status":429,"errorType":"ThrottledRequestException","message":"Rate exceeded"}}
//! {"kind":"failWhen","operation":"SendWhatsAppMessage","match":{"field":"to","equals":"+919999999999"},
//!  "error":{"errorType":"ValidationException","message":"(#131026) Message undeliverable"}}
//! {"kind":"latency","operation":"*","millis":250}
//! ```
//! `operation` omitted, `"*"` or `"any"` means every API operation. `error.status` may be omitted:
//! it is then derived from `errorType`.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::EumError;

/// Upper bound for injected latency per request, so a typo cannot hang a test run.
pub const MAX_LATENCY: Duration = Duration::from_secs(60);

/// Which operations a fault applies to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpFilter {
    /// Every API operation (not the control API, not unknown routes).
    Any,
    /// One operation by name, e.g. `SendWhatsAppMessage`.
    Named(String),
}

impl OpFilter {
    /// `"*"`, `"any"` and `""` mean [`OpFilter::Any`]; anything else is an operation name.
    pub fn parse(op: &str) -> Self {
        match op.trim() {
            "" | "*" | "any" | "Any" => OpFilter::Any,
            name => OpFilter::Named(name.to_string()),
        }
    }

    /// True when the filter selects `operation`.
    pub fn matches(&self, operation: &str) -> bool {
        match self {
            OpFilter::Any => true,
            OpFilter::Named(n) => n == operation,
        }
    }
}

impl From<&str> for OpFilter {
    fn from(s: &str) -> Self {
        OpFilter::parse(s)
    }
}

/// A predicate on the decoded blob of a request (for SendWhatsAppMessage: the Meta message JSON;
/// for operations without a blob: the JSON body, then the query parameters as an object).
#[derive(Clone)]
pub enum MessageMatch {
    /// The value at `field` equals `equals`. `field` is a JSON pointer (`/text/body`) or a dotted
    /// path (`text.body`, `to`).
    FieldEquals {
        /// Where to look.
        field: String,
        /// The value to compare with.
        equals: Value,
    },
    /// An arbitrary predicate (in-process only).
    Custom(Arc<dyn Fn(&Value) -> bool + Send + Sync>),
}

impl std::fmt::Debug for MessageMatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MessageMatch::FieldEquals { field, equals } => write!(f, "FieldEquals({field} == {equals})"),
            MessageMatch::Custom(_) => f.write_str("Custom(..)"),
        }
    }
}

impl MessageMatch {
    /// `field` equals `value` (see [`MessageMatch::FieldEquals`]).
    pub fn field_equals(field: impl Into<String>, value: impl Into<Value>) -> Self {
        MessageMatch::FieldEquals { field: field.into(), equals: value.into() }
    }

    /// The recipient (`to`) equals `number`.
    pub fn to(number: &str) -> Self {
        Self::field_equals("to", number)
    }

    /// Any predicate on the decoded JSON.
    pub fn custom(f: impl Fn(&Value) -> bool + Send + Sync + 'static) -> Self {
        MessageMatch::Custom(Arc::new(f))
    }

    /// Evaluates the predicate.
    pub fn matches(&self, decoded: &Value) -> bool {
        match self {
            MessageMatch::FieldEquals { field, equals } => lookup(decoded, field) == Some(equals),
            MessageMatch::Custom(f) => f(decoded),
        }
    }

    fn to_json(&self) -> Value {
        match self {
            MessageMatch::FieldEquals { field, equals } => serde_json::json!({"field": field, "equals": equals}),
            MessageMatch::Custom(_) => serde_json::json!({"custom": true}),
        }
    }
}

/// Looks up a JSON pointer or dotted path.
fn lookup<'a>(v: &'a Value, field: &str) -> Option<&'a Value> {
    if field.starts_with('/') {
        return v.pointer(field);
    }
    field.split('.').try_fold(v, |cur, part| match cur {
        Value::Array(items) => part.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => cur.get(part),
    })
}

/// What a fault does.
#[derive(Clone, Debug)]
pub enum FaultKind {
    /// Answer the next `remaining` matching calls with `error`.
    FailNext {
        /// Calls still to fail; the fault is dropped when it reaches 0.
        remaining: u32,
        /// The error to answer with.
        error: EumError,
    },
    /// Answer every matching call whose decoded JSON satisfies `matcher` with `error`.
    FailWhen {
        /// The predicate.
        matcher: MessageMatch,
        /// The error to answer with.
        error: EumError,
    },
    /// Delay every matching call (capped at [`MAX_LATENCY`]).
    Latency(Duration),
}

/// One injected fault.
#[derive(Clone, Debug)]
pub struct Fault {
    /// Which operations it applies to.
    pub operation: OpFilter,
    /// What it does.
    pub kind: FaultKind,
}

impl Fault {
    /// Fail the next `count` calls of `operation` with `error`.
    pub fn fail_next(operation: impl Into<OpFilter>, count: u32, error: EumError) -> Self {
        Fault { operation: operation.into(), kind: FaultKind::FailNext { remaining: count, error: error.normalized() } }
    }

    /// Fail every call of `operation` whose decoded JSON matches.
    pub fn fail_when(operation: impl Into<OpFilter>, matcher: MessageMatch, error: EumError) -> Self {
        Fault { operation: operation.into(), kind: FaultKind::FailWhen { matcher, error: error.normalized() } }
    }

    /// Delay every call of `operation`.
    pub fn latency(operation: impl Into<OpFilter>, delay: Duration) -> Self {
        Fault { operation: operation.into(), kind: FaultKind::Latency(delay.min(MAX_LATENCY)) }
    }

    /// The fault in its JSON form (custom predicates show as `{"custom":true}`).
    pub fn to_json(&self) -> Value {
        let operation = match &self.operation {
            OpFilter::Any => "*".to_string(),
            OpFilter::Named(n) => n.clone(),
        };
        match &self.kind {
            FaultKind::FailNext { remaining, error } => {
                serde_json::json!({"kind": "failNext", "operation": operation, "count": remaining, "error": error})
            }
            FaultKind::FailWhen { matcher, error } => serde_json::json!({
                "kind": "failWhen", "operation": operation, "match": matcher.to_json(), "error": error
            }),
            FaultKind::Latency(d) => {
                serde_json::json!({"kind": "latency", "operation": operation, "millis": d.as_millis() as u64})
            }
        }
    }
}

/// JSON shape of a fault (control API).
#[derive(Debug, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase", deny_unknown_fields)]
pub enum FaultSpec {
    /// See [`Fault::fail_next`].
    #[serde(rename_all = "camelCase")]
    FailNext {
        #[serde(default)]
        operation: Option<String>,
        count: u32,
        error: EumError,
    },
    /// See [`Fault::fail_when`].
    #[serde(rename_all = "camelCase")]
    FailWhen {
        #[serde(default)]
        operation: Option<String>,
        #[serde(rename = "match")]
        matcher: MatchSpec,
        error: EumError,
    },
    /// See [`Fault::latency`].
    #[serde(rename_all = "camelCase")]
    Latency {
        #[serde(default)]
        operation: Option<String>,
        millis: u64,
    },
}

/// JSON shape of a [`MessageMatch::FieldEquals`].
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MatchSpec {
    /// JSON pointer or dotted path.
    pub field: String,
    /// Expected value.
    pub equals: Value,
}

impl From<FaultSpec> for Fault {
    fn from(spec: FaultSpec) -> Self {
        let op = |o: Option<String>| OpFilter::parse(o.as_deref().unwrap_or("*"));
        match spec {
            FaultSpec::FailNext { operation, count, error } => Fault::fail_next(op(operation), count, error),
            FaultSpec::FailWhen { operation, matcher, error } => {
                Fault::fail_when(op(operation), MessageMatch::field_equals(matcher.field, matcher.equals), error)
            }
            FaultSpec::Latency { operation, millis } => Fault::latency(op(operation), Duration::from_millis(millis)),
        }
    }
}

/// Parses the body of `POST /_fake/faults`: one fault object or an array of them.
pub fn parse_faults(body: &[u8]) -> Result<Vec<Fault>, String> {
    let value: Value = serde_json::from_slice(body).map_err(|e| format!("body is not JSON: {e}"))?;
    let specs: Vec<FaultSpec> = match value {
        Value::Array(_) => serde_json::from_value(value),
        other => serde_json::from_value(other).map(|one| vec![one]),
    }
    .map_err(|e| format!("bad fault: {e}"))?;
    Ok(specs.into_iter().map(Fault::from).collect())
}

/// Outcome of applying the faults to one request.
#[derive(Debug, Default)]
pub struct Verdict {
    /// Total latency to add.
    pub delay: Duration,
    /// The error to answer with instead of handling the request.
    pub error: Option<EumError>,
}

/// Evaluates (and consumes `FailNext` budget of) the fault list for one request. `subject` is the
/// decoded blob (or body) the `FailWhen` predicates see.
pub fn evaluate(faults: &mut Vec<Fault>, operation: &str, subject: &Value) -> Verdict {
    let mut verdict = Verdict::default();
    for fault in faults.iter_mut().filter(|f| f.operation.matches(operation)) {
        match &mut fault.kind {
            FaultKind::Latency(d) => verdict.delay = (verdict.delay + *d).min(MAX_LATENCY),
            FaultKind::FailNext { remaining, error } => {
                if verdict.error.is_none() && *remaining > 0 {
                    *remaining -= 1;
                    verdict.error = Some(error.clone());
                }
            }
            FaultKind::FailWhen { matcher, error } => {
                if verdict.error.is_none() && matcher.matches(subject) {
                    verdict.error = Some(error.clone());
                }
            }
        }
    }
    faults.retain(|f| !matches!(f.kind, FaultKind::FailNext { remaining: 0, .. }));
    verdict
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_all_json_forms() {
        let body = json!([
            {"kind": "failNext", "operation": "SendWhatsAppMessage", "count": 2,
             "error": {"errorType": "ThrottledRequestException", "message": "Rate exceeded"}},
            {"kind": "failWhen", "match": {"field": "text.body", "equals": "boom"},
             "error": {"status": 502, "errorType": "DependencyException"}},
            {"kind": "latency", "operation": "*", "millis": 999999999}
        ]);
        let faults = parse_faults(body.to_string().as_bytes()).unwrap();
        assert_eq!(faults.len(), 3);
        assert_eq!(faults[0].to_json()["error"]["status"], 429);
        assert_eq!(faults[1].operation, OpFilter::Any);
        assert!(matches!(faults[2].kind, FaultKind::Latency(d) if d == MAX_LATENCY));
        let one = parse_faults(br#"{"kind":"latency","millis":5}"#).unwrap();
        assert_eq!(one.len(), 1);
        for bad in [&b"nope"[..], br#"{"kind":"latency"}"#, br#"{"kind":"latency","millis":1,"extra":1}"#, b"[1]"] {
            assert!(parse_faults(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn evaluate_consumes_fail_next_and_matches_predicates() {
        let mut faults = vec![
            Fault::fail_next("SendWhatsAppMessage", 1, EumError::throttled()),
            Fault::fail_when("*", MessageMatch::field_equals("/text/body", "boom"), EumError::internal()),
            Fault::latency("SendWhatsAppMessage", Duration::from_millis(5)),
        ];
        let msg = json!({"to": "+1", "text": {"body": "boom"}});
        let v = evaluate(&mut faults, "SendWhatsAppMessage", &msg);
        assert_eq!(v.error.map(|e| e.status), Some(429));
        assert_eq!(v.delay, Duration::from_millis(5));
        assert_eq!(faults.len(), 2, "spent failNext removed");
        let v = evaluate(&mut faults, "GetWhatsAppFlow", &msg);
        assert_eq!((v.error.map(|e| e.status), v.delay), (Some(500), Duration::ZERO));
        let v = evaluate(&mut faults, "GetWhatsAppFlow", &json!({"text": {"body": "fine"}}));
        assert!(v.error.is_none());
        assert!(MessageMatch::field_equals("a.1", 2).matches(&json!({"a": [1, 2]})));
    }
}
