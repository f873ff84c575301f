//! The events catalogue: `docs/events.json`, the document of every detail-type wapipe
//! publishes (description, producer, consumers, `detail` fields, one complete example).
//!
//! [`validate`] checks an event against it: a known detail-type, every required field present
//! with its type, and no field the catalogue does not list — so code and document cannot drift.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::events::{DomainEvent, EventType, SCHEMA_VERSION, SOURCE};

/// The catalogue document, as shipped.
pub const DOCUMENT: &str = include_str!("../../../docs/events.json");

/// The parsed `docs/events.json`: every detail-type wapipe publishes, with its fields.
#[derive(Clone, Debug, Deserialize)]
pub struct Catalogue {
    /// The EventBridge `source` of every event; must equal [`SOURCE`] (`wapipe`).
    pub source: String,
    /// The `detail` layout version; must equal [`SCHEMA_VERSION`].
    pub schema: u64,
    /// Fields every `detail` carries (`schema`, `event_id`, `occurred_at`, …).
    pub common_fields: BTreeMap<String, FieldSpec>,
    /// By detail-type.
    pub events: BTreeMap<String, EventSpec>,
}

/// The catalogue entry of one detail-type.
#[derive(Clone, Debug, Deserialize)]
pub struct EventSpec {
    /// What the event means and when it is published; must not be blank.
    pub description: String,
    /// The function that publishes it (e.g. `webhook-ingest`); must not be empty.
    pub producer: String,
    /// Who reads it, wapipe functions or outside systems, in words; at least one.
    pub consumers: Vec<String>,
    /// The type-specific fields of `detail`.
    pub fields: BTreeMap<String, FieldSpec>,
    /// One complete `detail`.
    pub example: Map<String, Value>,
}

/// One field of `detail`: its JSON type, whether it is required, and what it means.
#[derive(Clone, Debug, Deserialize)]
pub struct FieldSpec {
    /// The JSON type(s) the value may take (`type` in the document).
    #[serde(rename = "type")]
    pub kind: FieldType,
    /// Whether every event of the type must carry the field (ignored for a spilled event's type-specific fields).
    pub required: bool,
    /// What the field holds; must not be blank.
    pub description: String,
}

/// One JSON type, or a list of the types a field may take.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum FieldType {
    /// A single JSON type name: `string`, `number`, `integer`, `boolean`, `object` or `array`.
    One(String),
    /// Any of several JSON type names (a JSON array in the document).
    Any(Vec<String>),
}

impl FieldType {
    fn names(&self) -> &[String] {
        match self {
            FieldType::One(t) => std::slice::from_ref(t),
            FieldType::Any(ts) => ts,
        }
    }

    /// Whether `v` has one of the named JSON types (`integer`: a number without fraction; an unknown name accepts
    /// nothing).
    pub fn accepts(&self, v: &Value) -> bool {
        self.names().iter().any(|t| match t.as_str() {
            "string" => v.is_string(),
            "number" => v.is_number(),
            "integer" => v.is_i64() || v.is_u64(),
            "boolean" => v.is_boolean(),
            "object" => v.is_object(),
            "array" => v.is_array(),
            _ => false,
        })
    }
}

impl std::fmt::Display for FieldType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.names().join("|"))
    }
}

/// The parsed catalogue (parsed once).
pub fn catalogue() -> Result<&'static Catalogue, String> {
    static PARSED: OnceLock<Result<Catalogue, String>> = OnceLock::new();
    PARSED
        .get_or_init(|| serde_json::from_str(DOCUMENT).map_err(|e| format!("docs/events.json: {e}")))
        .as_ref()
        .map_err(Clone::clone)
}

/// Check one event against the catalogue.
pub fn validate(event: &DomainEvent) -> Result<(), String> {
    let cat = catalogue()?;
    let name = event.detail_type.as_str();
    let spec = cat.events.get(name).ok_or_else(|| format!("{name}: not in the catalogue"))?;
    check_detail(name, cat, spec, &event.detail)
}

fn check_detail(name: &str, cat: &Catalogue, spec: &EventSpec, detail: &Map<String, Value>) -> Result<(), String> {
    // A spilled event (too large for PutEvents) carries only the common fields and a reference.
    let spilled = detail.contains_key("detail_ref");
    let required = cat.common_fields.iter().chain(spec.fields.iter().filter(|_| !spilled));
    for (field, f) in required {
        if f.required && !detail.contains_key(field) {
            return Err(format!("{name}: required field `{field}` is missing"));
        }
    }
    for (field, v) in detail {
        let f = spec
            .fields
            .get(field)
            .or_else(|| cat.common_fields.get(field))
            .ok_or_else(|| format!("{name}: field `{field}` is not in the catalogue"))?;
        if !f.kind.accepts(v) {
            return Err(format!("{name}: field `{field}` should be {}, got {v}", f.kind));
        }
    }
    if detail.get("schema").and_then(Value::as_u64) != Some(SCHEMA_VERSION) {
        return Err(format!("{name}: `schema` is not {SCHEMA_VERSION}"));
    }
    let at = detail.get("occurred_at").and_then(Value::as_str).unwrap_or_default();
    if OffsetDateTime::parse(at, &Rfc3339).is_err() {
        return Err(format!("{name}: `occurred_at` {at:?} is not RFC 3339"));
    }
    Ok(())
}

/// The catalogue's own consistency, for tests and the CLI: every [`EventType`] is documented
/// and nothing else is, and each example validates.
pub fn self_check() -> Result<(), String> {
    let cat = catalogue()?;
    if cat.source != SOURCE || cat.schema != SCHEMA_VERSION {
        return Err(format!("source/schema {}/{} do not match the code", cat.source, cat.schema));
    }
    for t in EventType::ALL {
        if !cat.events.contains_key(t.as_str()) {
            return Err(format!("{t}: no catalogue entry"));
        }
    }
    for (name, spec) in &cat.events {
        let t = EventType::parse(name).ok_or_else(|| format!("{name}: catalogued but not an EventType"))?;
        if spec.description.trim().is_empty() || spec.consumers.is_empty() || spec.producer.is_empty() {
            return Err(format!("{name}: description, producer and consumers are required"));
        }
        for (field, f) in &spec.fields {
            if f.description.trim().is_empty() || f.kind.names().is_empty() {
                return Err(format!("{name}: field `{field}` needs a type and a description"));
            }
            if cat.common_fields.contains_key(field) {
                return Err(format!("{name}: field `{field}` repeats a common field"));
            }
            if !spec.example.contains_key(field) && f.required {
                return Err(format!("{name}: the example lacks required field `{field}`"));
            }
        }
        validate(&DomainEvent { detail_type: t, detail: spec.example.clone() }).map_err(|e| format!("example: {e}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::events::{from_epoch_secs, Envelope};
    use serde_json::json;

    fn event(t: EventType, fields: Value) -> DomainEvent {
        let Value::Object(fields) = fields else { panic!("fields must be an object") };
        let common = Envelope {
            event_id: "e1".into(),
            occurred_at: from_epoch_secs(1_700_000_000).unwrap(),
            waba_id: "w",
            phone_number_id: "p",
        };
        DomainEvent::new(t, common, fields)
    }

    #[test]
    fn every_event_type_is_catalogued_and_every_example_validates() {
        self_check().unwrap();
        let cat = catalogue().unwrap();
        assert_eq!(cat.events.len(), EventType::ALL.len());
        for t in EventType::ALL {
            assert!(cat.events.contains_key(t.as_str()), "{t}");
        }
    }

    #[test]
    fn validate_rejects_drift() {
        let ok = json!({"wamid": "wamid.1", "status": "sent", "timestamp": 1_700_000_000});
        validate(&event(EventType::MessageStatus, ok.clone())).unwrap();
        // A field the catalogue does not list.
        let mut extra = ok.clone();
        extra["surprise"] = json!(1);
        let e = validate(&event(EventType::MessageStatus, extra)).unwrap_err();
        assert!(e.contains("`surprise` is not in the catalogue"), "{e}");
        // A required field missing.
        let e = validate(&event(EventType::MessageStatus, json!({"wamid": "w", "timestamp": 1}))).unwrap_err();
        assert!(e.contains("`status` is missing"), "{e}");
        // The wrong type.
        let mut wrong = ok.clone();
        wrong["timestamp"] = json!("1700000000");
        let e = validate(&event(EventType::MessageStatus, wrong)).unwrap_err();
        assert!(e.contains("`timestamp` should be integer"), "{e}");
        // A common field broken.
        let mut ev = event(EventType::MessageStatus, ok);
        ev.detail.insert("occurred_at".into(), json!("yesterday"));
        assert!(validate(&ev).unwrap_err().contains("occurred_at"));
        ev.detail.remove("occurred_at");
        assert!(validate(&ev).unwrap_err().contains("`occurred_at` is missing"));
    }

    #[test]
    fn field_types() {
        let t = |s: &str| FieldType::One(s.into());
        assert!(t("integer").accepts(&json!(3)));
        assert!(!t("integer").accepts(&json!(3.5)));
        assert!(t("number").accepts(&json!(3.5)));
        assert!(!t("string").accepts(&Value::Null));
        assert!(FieldType::Any(vec!["object".into(), "string".into()]).accepts(&json!("x")));
        assert!(!t("mystery").accepts(&json!("x")));
    }
}
