//! Observations from the three sources, history rows, and `whatsapp.quality.changed`.
//!
//! - EUM snapshot (a phone's detail): `rating`, `display_name`, `status` (the WABA's
//!   registration status: EUM has no per-number status).
//! - `whatsapp.phone.quality` (`phone_number_quality_update`): `tier` (the portfolio limit,
//!   else `current_limit`), `flagged` (FLAGGED / UNFLAGGED), `throughput` (THROUGHPUT_UPGRADE).
//! - `whatsapp.template.updated`: the template cache ([`super::template`]).
//! - `whatsapp.account.updated` (`account_update`, `business_capability_update`): the WABA's
//!   `ban_state`, `restrictions` (with their types and expiry), `violation`, `volume_tier`,
//!   `mm_lite` (terms signed), `partner` (added, removed with the disconnection reason) and
//!   `portfolio_limit` (the portfolio's messaging limit, int or `TIER_*`), under `ACCOUNT#{waba}`.

use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::merge::{FieldChange, Observed};
use super::template::TemplateObservation;
use super::{Rating, Source, Tier};
use crate::domain::events::{event_id, rfc3339, DomainEvent, Envelope, EventType};
use crate::domain::keys::{self, Key};
use crate::domain::table::Item;

/// Phone fields whose change is announced; the others are recorded only.
pub const PHONE_CHANGE_FIELDS: &[&str] = &["rating", "tier", "flagged", "throughput"];
/// Account fields whose change is announced.
pub const ACCOUNT_CHANGE_FIELDS: &[&str] =
    &["ban_state", "restrictions", "violation", "volume_tier", "mm_lite", "partner", "portfolio_limit"];

/// A webhook event's subject and time.
#[derive(Clone, Debug, PartialEq)]
pub struct EventFacts {
    /// Meta's WhatsApp Business Account id (`waba_id`); empty when absent.
    pub waba_id: String,
    /// Meta's phone number id (`phone_number_id`); empty when absent.
    pub phone_number_id: String,
    /// When Meta observed it (`occurred_at`): the merge orders fields by this time.
    pub occurred_at: OffsetDateTime,
    /// Meta's `event` (DOWNGRADE, FLAGGED, PAUSED, ACCOUNT_RESTRICTION, …).
    pub event: Option<String>,
    /// The wapipe event's `event_id`; empty when absent.
    pub event_id: String,
}

fn text(detail: &Map<String, Value>, field: &str) -> Option<String> {
    detail.get(field).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

fn required(detail: &Map<String, Value>, field: &str) -> Result<String, String> {
    text(detail, field).ok_or_else(|| format!("field `detail.{field}`: missing or empty"))
}

/// The common fields of a wapipe event detail.
pub fn event_facts(detail: &Map<String, Value>) -> Result<EventFacts, String> {
    let at = required(detail, "occurred_at")?;
    let occurred_at = OffsetDateTime::parse(&at, &Rfc3339)
        .map_err(|e| format!("field `detail.occurred_at`: not RFC 3339 ({e}): {at:?}"))?;
    Ok(EventFacts {
        waba_id: text(detail, "waba_id").unwrap_or_default(),
        phone_number_id: text(detail, "phone_number_id").unwrap_or_default(),
        occurred_at,
        event: text(detail, "event").map(|e| e.to_ascii_uppercase()),
        event_id: text(detail, "event_id").unwrap_or_default(),
    })
}

/// A time for history sort keys: RFC 3339 UTC with exactly three fraction digits, so keys sort
/// in time order (plain RFC 3339 puts `…:29Z` after `…:29.5Z`).
pub fn sort_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let (y, mo, d) = (t.year(), u8::from(t.month()), t.day());
    let (h, mi, s, ms) = (t.hour(), t.minute(), t.second(), t.millisecond());
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}Z")
}

/// Epoch milliseconds of `t`, the unit of the merge's `{field}_at` timestamps.
pub fn at_ms(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

/// A phone's state as an EUM snapshot sees it: its `qualityRating` and verified display name
/// (as the accounts port reads them), and its WABA's registration status.
pub fn snapshot_observed(quality_rating: &str, display_name: &str, waba_status: &str, at: OffsetDateTime) -> Observed {
    let opt = |s: &str| if s.trim().is_empty() { Value::Null } else { Value::from(s.trim()) };
    Observed {
        at_ms: at_ms(at),
        fields: vec![
            ("rating", Rating::parse(quality_rating).as_str().into()),
            ("display_name", opt(display_name)),
            ("status", opt(waba_status)),
        ],
    }
}

/// `whatsapp.phone.quality` → what it says about the number.
pub fn phone_quality_observed(detail: &Map<String, Value>) -> Result<(EventFacts, Observed), String> {
    let facts = event_facts(detail)?;
    if facts.phone_number_id.is_empty() {
        return Err("field `detail.phone_number_id`: missing or empty".into());
    }
    let tier = text(detail, "max_daily_conversations_per_business")
        .or_else(|| text(detail, "current_limit"))
        .filter(|t| Tier::parse(t).is_some())
        .map(|t| t.to_ascii_uppercase());
    let (flagged, throughput) = match facts.event.as_deref() {
        Some("FLAGGED") => (Value::Bool(true), Value::Null),
        Some("UNFLAGGED") => (Value::Bool(false), Value::Null),
        Some("THROUGHPUT_UPGRADE") => (Value::Null, Value::from("HIGH")),
        _ => (Value::Null, Value::Null),
    };
    let obs = Observed {
        at_ms: at_ms(facts.occurred_at),
        fields: vec![("tier", tier.map_or(Value::Null, Value::from)), ("flagged", flagged), ("throughput", throughput)],
    };
    Ok((facts, obs))
}

/// `whatsapp.template.updated` → a template observation (a components change observes no
/// tracked field: it is recorded in the history only).
pub fn template_observation(detail: &Map<String, Value>) -> Result<(EventFacts, TemplateObservation), String> {
    let facts = event_facts(detail)?;
    if facts.waba_id.is_empty() {
        return Err("field `detail.waba_id`: missing or empty".into());
    }
    let change = required(detail, "change")?;
    let mut obs = TemplateObservation {
        waba_id: facts.waba_id.clone(),
        name: required(detail, "template_name")?,
        language: required(detail, "language")?,
        template_id: text(detail, "template_id"),
        source: Source::Webhook,
        observed_at: facts.occurred_at,
        status: None,
        quality: None,
        category: None,
    };
    match change.as_str() {
        "status" => {
            obs.status = Some(facts.event.clone().ok_or("field `detail.event`: missing on a status change")?);
            obs.category = text(detail, "category");
        }
        "quality" => obs.quality = Some(required(detail, "new_quality_score")?),
        "category" => obs.category = Some(required(detail, "new_category")?),
        "components" => {}
        other => return Err(format!("field `detail.change`: unknown template change {other:?}")),
    }
    Ok((facts, obs))
}

/// `whatsapp.account.updated` → the WABA's restrictions and ban state; `None` for a
/// `business_capability_update` or an event that says nothing about them (history only).
pub fn account_observed(detail: &Map<String, Value>) -> Result<(EventFacts, Observed), String> {
    let facts = event_facts(detail)?;
    if facts.waba_id.is_empty() {
        return Err("field `detail.waba_id`: missing or empty".into());
    }
    let ban = detail.get("ban_info").and_then(|b| b.get("waba_ban_state")).and_then(Value::as_str);
    let violation = detail.get("violation_info").and_then(|v| v.get("violation_type")).and_then(Value::as_str);
    let restrictions = detail.get("restriction_info").filter(|r| r.is_array()).cloned();
    let extra = |k: &str| detail.get("extra").and_then(|e| e.get(k)).filter(|v| !v.is_null()).cloned();
    let event = facts.event.as_deref().unwrap_or_default();
    // Partner changes (PARTNER_ADDED, PARTNER_REMOVED with its disconnection reason, …).
    let partner = event.starts_with("PARTNER_").then(|| {
        let mut m = Map::new();
        m.insert("event".into(), event.into());
        for (k, v) in
            [("waba_info", detail.get("waba_info").cloned()), ("disconnection_info", extra("disconnection_info"))]
        {
            if let Some(v) = v.filter(|v| !v.is_null()) {
                m.insert(k.into(), v);
            }
        }
        Value::Object(m)
    });
    let mm_lite = (event == "MM_LITE_TERMS_SIGNED").then(|| Value::from("SIGNED"));
    let limit = detail.get("max_daily_conversations_per_business").and_then(portfolio_limit);
    let obs = Observed {
        at_ms: at_ms(facts.occurred_at),
        fields: vec![
            ("ban_state", ban.map_or(Value::Null, Value::from)),
            ("restrictions", restrictions.unwrap_or(Value::Null)),
            ("violation", violation.map_or(Value::Null, Value::from)),
            ("volume_tier", extra("volume_tier_info").unwrap_or(Value::Null)),
            ("mm_lite", mm_lite.unwrap_or(Value::Null)),
            ("partner", partner.unwrap_or(Value::Null)),
            ("portfolio_limit", limit.map_or(Value::Null, Value::from)),
        ],
    };
    Ok((facts, obs))
}

/// The business portfolio's messaging limit (since October 2025) as a tier name, from either
/// form Meta sends: `TIER_2K` as is, or the integer (`2000` → `TIER_2K`, `-1` → `TIER_UNLIMITED`);
/// another number is kept as its text.
pub fn portfolio_limit(v: &Value) -> Option<String> {
    let n = match v {
        Value::String(s) if s.trim().parse::<i64>().is_err() => return Some(s.trim().to_ascii_uppercase()),
        Value::String(s) => s.trim().parse::<i64>().ok()?,
        Value::Number(n) => n.as_i64()?,
        _ => return None,
    };
    Some(match n {
        -1 => "TIER_UNLIMITED".into(),
        250 => "TIER_250".into(),
        1000 => "TIER_1K".into(),
        2000 => "TIER_2K".into(),
        10_000 => "TIER_10K".into(),
        100_000 => "TIER_100K".into(),
        other => other.to_string(),
    })
}

/// One history row: the merged state right after the observation, where it came from, and
/// which fields it observed. Keyed by the observation's time and id, so writing it again
/// (a redelivery) puts the same row.
pub struct HistoryRow<'a> {
    /// Where the row goes: a history key (`AT#{time}#{id}` beside the merged item).
    pub key: Key,
    /// When the observation was made; stored as `at` (RFC 3339).
    pub at: OffsetDateTime,
    /// Where the observation came from.
    pub source: Source,
    /// What happened: Meta's `event` (e.g. `DOWNGRADE`), the kind of change, or `SNAPSHOT`; stored as `event`.
    pub event: Option<&'a str>,
    /// The merged state right after the observation; its tracked fields are copied into the row.
    pub state: &'a Item,
    /// The observation; the names of the fields it set are listed in the row's `observed`.
    pub observed: &'a Observed,
    /// The row's TTL (`expires_at`), in epoch seconds.
    pub expires_at: i64,
}

/// State fields copied into history rows.
const ROW_FIELDS: &[&str] = &[
    "rating",
    "tier",
    "flagged",
    "throughput",
    "display_name",
    "status",
    "quality",
    "category",
    "ban_state",
    "restrictions",
    "violation",
    "volume_tier",
    "mm_lite",
    "partner",
    "portfolio_limit",
];

/// The history item of `row`: time, source, event, the merged fields and the observed field names.
pub fn history_item(row: &HistoryRow<'_>) -> Item {
    let mut item = Item::new(row.key.pk.clone(), row.key.sk.clone())
        .with("at", rfc3339(row.at))
        .with("source", row.source.as_str())
        .with(keys::EXPIRES_AT, row.expires_at);
    if let Some(e) = row.event {
        item = item.with("event", e);
    }
    for f in ROW_FIELDS {
        if let Some(v) = row.state.attrs.get(*f).filter(|v| !v.is_null()) {
            item.attrs.insert((*f).to_string(), v.clone());
        }
    }
    let observed: Vec<Value> =
        row.observed.fields.iter().filter(|(_, v)| !v.is_null()).map(|(f, _)| Value::from(*f)).collect();
    item.with("observed", observed)
}

/// A short id for a history row of one observation.
pub fn row_id(parts: &[&str]) -> String {
    event_id(EventType::QualityChanged, parts)[..12].to_string()
}

/// What changed, for `whatsapp.quality.changed`.
#[derive(Clone, Debug)]
pub struct Subject<'a> {
    /// `phone` | `template` | `account`.
    pub kind: &'static str,
    /// Meta's WhatsApp Business Account id of the subject.
    pub waba_id: &'a str,
    /// Meta's phone number id: the number for a phone subject, else the event's own (often empty).
    pub phone_number_id: &'a str,
    /// `(template name, language)` of a template subject.
    pub template: Option<(&'a str, &'a str)>,
}

/// Better or worse, for ratings and tiers.
fn direction(field: &str, old: Option<&Value>, new: &Value) -> Option<&'static str> {
    let old = old?.as_str()?;
    let new = new.as_str()?;
    let ord = match field {
        "rating" | "quality" => Rating::parse(new).rank().cmp(&Rating::parse(old).rank()),
        "tier" => Tier::parse(new)?.cmp(&Tier::parse(old)?),
        _ => return None,
    };
    match ord {
        std::cmp::Ordering::Greater => Some("up"),
        std::cmp::Ordering::Less => Some("down"),
        std::cmp::Ordering::Equal => None,
    }
}

/// One `whatsapp.quality.changed` per changed field. The id is deterministic (subject, field,
/// new value, observation time), so a re-published event is recognisable.
pub fn changed_event(
    subject: &Subject<'_>,
    change: &FieldChange,
    source: Source,
    observed_at: OffsetDateTime,
) -> DomainEvent {
    let (name, lang) = subject.template.unwrap_or(("", ""));
    let at = rfc3339(observed_at);
    let new_s = change.new.to_string();
    let id = event_id(
        EventType::QualityChanged,
        &[subject.kind, subject.waba_id, subject.phone_number_id, name, lang, change.field, &new_s, &at],
    );
    let mut fields = Map::new();
    fields.insert("subject".into(), subject.kind.into());
    fields.insert("field".into(), change.field.into());
    if let Some(old) = &change.old {
        fields.insert("old".into(), old.clone());
    }
    fields.insert("new".into(), change.new.clone());
    if let Some(d) = direction(change.field, change.old.as_ref(), &change.new) {
        fields.insert("direction".into(), d.into());
    }
    fields.insert("source".into(), source.as_str().into());
    if let Some((n, l)) = subject.template {
        fields.insert("template_name".into(), n.into());
        fields.insert("language".into(), l.into());
    }
    DomainEvent::new(
        EventType::QualityChanged,
        Envelope {
            event_id: id,
            occurred_at: observed_at,
            waba_id: subject.waba_id,
            phone_number_id: subject.phone_number_id,
        },
        fields,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn detail(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn phone_quality_events_observe_tier_flag_and_throughput() {
        let d = detail(json!({"occurred_at": "2024-11-07T17:20:00Z", "phone_number_id": "P", "waba_id": "W",
            "event": "DOWNGRADE", "current_limit": "TIER_250", "old_limit": "TIER_2K"}));
        let (f, o) = phone_quality_observed(&d).unwrap();
        assert_eq!(f.event.as_deref(), Some("DOWNGRADE"));
        assert_eq!(o.fields[0], ("tier", json!("TIER_250")));
        assert!(o.fields[1].1.is_null());
        let d = detail(json!({"occurred_at": "2024-11-07T17:20:00Z", "phone_number_id": "P", "event": "flagged"}));
        assert_eq!(phone_quality_observed(&d).unwrap().1.fields[1], ("flagged", json!(true)));
        let bad = detail(json!({"occurred_at": "yesterday", "phone_number_id": "P"}));
        assert!(phone_quality_observed(&bad).unwrap_err().contains("occurred_at"));
        let no_phone = detail(json!({"occurred_at": "2024-11-07T17:20:00Z"}));
        assert!(phone_quality_observed(&no_phone).unwrap_err().contains("phone_number_id"));
    }

    #[test]
    fn template_events_map_each_change() {
        let base = json!({"occurred_at": "2024-11-07T17:20:00Z", "waba_id": "W", "template_name": "t",
            "language": "en_US", "template_id": "1"});
        let mut d = detail(base.clone());
        d.insert("change".into(), json!("status"));
        d.insert("event".into(), json!("PAUSED"));
        assert_eq!(template_observation(&d).unwrap().1.status.as_deref(), Some("PAUSED"));
        let mut d = detail(base.clone());
        d.insert("change".into(), json!("quality"));
        d.insert("new_quality_score".into(), json!("RED"));
        assert_eq!(template_observation(&d).unwrap().1.quality.as_deref(), Some("RED"));
        let mut d = detail(base);
        d.insert("change".into(), json!("quality"));
        assert!(template_observation(&d).unwrap_err().contains("new_quality_score"));
    }

    #[test]
    fn account_updates_keep_what_changes_what_a_business_may_do() {
        let base = json!({"occurred_at": "2026-09-11T10:00:00Z", "waba_id": "W"});
        let field = |d: Value, name: &str| {
            let (_, o) = account_observed(&detail(d)).unwrap();
            o.fields.into_iter().find(|(f, _)| *f == name).map(|(_, v)| v).unwrap()
        };
        let mut d = base.clone();
        d["event"] = json!("VOLUME_BASED_PRICING_TIER_UPDATE");
        d["extra"] = json!({"volume_tier_info": {"tier": "0:250000", "pricing_category": "UTILITY", "effective_month": "2026-10"}});
        assert_eq!(field(d, "volume_tier")["tier"], "0:250000");
        let mut d = base.clone();
        d["event"] = json!("PARTNER_REMOVED");
        d["waba_info"] = json!({"waba_id": "W", "partner_app_id": "A"});
        d["extra"] = json!({"disconnection_info": {"reason": "PRIMARY_INACTIVITY", "initiated_by": "SYSTEM"}});
        let p = field(d, "partner");
        assert_eq!(
            (p["event"].as_str(), p["disconnection_info"]["reason"].as_str()),
            (Some("PARTNER_REMOVED"), Some("PRIMARY_INACTIVITY"))
        );
        let mut d = base.clone();
        d["event"] = json!("MM_LITE_TERMS_SIGNED");
        assert_eq!(field(d, "mm_lite"), "SIGNED");
        // The portfolio limit, in both of Meta's forms.
        for (v, want) in [
            (json!(2000), "TIER_2K"),
            (json!("TIER_10K"), "TIER_10K"),
            (json!(-1), "TIER_UNLIMITED"),
            (json!("100000"), "TIER_100K"),
            (json!(777), "777"),
        ] {
            let mut d = base.clone();
            d["change"] = json!("business_capability_update");
            d["max_daily_conversations_per_business"] = v;
            assert_eq!(field(d, "portfolio_limit"), want);
        }
        assert!(field(base, "partner").is_null(), "nothing observed, nothing merged");
    }

    #[test]
    fn sort_times_order_like_the_times() {
        let t = |ns: i128| sort_time(OffsetDateTime::from_unix_timestamp_nanos(ns).unwrap());
        let whole = t(1_700_000_000_000_000_000);
        let half = t(1_700_000_000_500_000_000);
        assert_eq!(whole, "2023-11-14T22:13:20.000Z");
        assert!(whole < half && half < t(1_700_000_001_000_000_000));
        assert!(OffsetDateTime::parse(&half, &Rfc3339).is_ok());
    }

    #[test]
    fn changed_events_are_catalogued_and_directed() {
        let at = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let s = Subject { kind: "phone", waba_id: "W", phone_number_id: "P", template: None };
        let c = FieldChange { field: "tier", old: Some(json!("TIER_2K")), new: json!("TIER_250") };
        let e = changed_event(&s, &c, Source::Webhook, at);
        crate::domain::event_catalogue::validate(&e).unwrap();
        assert_eq!(e.detail["direction"], json!("down"));
        assert_eq!(e.event_id(), changed_event(&s, &c, Source::Webhook, at).event_id());
        let t = Subject { kind: "template", waba_id: "W", phone_number_id: "", template: Some(("t", "en_US")) };
        let c = FieldChange { field: "status", old: None, new: json!("PAUSED") };
        let e = changed_event(&t, &c, Source::Webhook, at);
        crate::domain::event_catalogue::validate(&e).unwrap();
        assert!(!e.detail.contains_key("old") && !e.detail.contains_key("direction"));
    }
}
