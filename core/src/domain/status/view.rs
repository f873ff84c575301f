//! Reading the tracker's items back: a message's timeline and the analytics rows, as the CLI
//! prints them (`wapipe status`, `wapipe analytics`).

use serde::Serialize;
use serde_json::{Map, Value};

use super::analytics::{BILLABLE, CATEGORY, COST_MICROS, CURRENCY, DAY, MESSAGES, RATE_CARD, UNPRICED};
use super::{Counter, Kind, CLICKS, ERRORS, LINKED, PRICING, RECIPIENT_ID, STATUS, WABA_ID, WAMID, WARNINGS};
use crate::domain::keys;
use crate::domain::send_record::{MESSAGE_TYPE, REQUEST_ID, TEMPLATE_CATEGORY, TEMPLATE_LANGUAGE, TEMPLATE_NAME};
use crate::domain::table::Item;

/// One message's state. `timestamps` holds every status as epoch seconds (`null` when not
/// seen); `timeline` lists the seen ones in time order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MessageView {
    pub wamid: String,
    /// `null` when only timeline statuses (deleted, warning) were seen.
    pub status: Option<String>,
    pub timestamps: Map<String, Value>,
    pub timeline: Vec<TimelineEntry>,
    pub errors: Vec<Value>,
    pub warnings: Vec<Value>,
    pub request_id: Option<String>,
    pub linked: bool,
    pub message_type: Option<String>,
    pub template: Option<Map<String, Value>>,
    pub recipient_id: Option<String>,
    pub waba_id: Option<String>,
    pub pricing: Option<Value>,
    pub clicks: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TimelineEntry {
    pub status: &'static str,
    pub at: i64,
}

fn opt(item: &Item, a: &str) -> Option<String> {
    item.get_str(a).map(str::to_string)
}

fn list(item: &Item, a: &str) -> Vec<Value> {
    item.attrs.get(a).and_then(Value::as_array).cloned().unwrap_or_default()
}

impl MessageView {
    pub fn from_item(item: &Item) -> MessageView {
        let mut timestamps = Map::new();
        let mut timeline = Vec::new();
        for k in Kind::ALL {
            let at = item.get_i64(k.at_attr());
            timestamps.insert(k.as_str().into(), at.map_or(Value::Null, Value::from));
            if let Some(at) = at {
                timeline.push(TimelineEntry { status: k.as_str(), at });
            }
        }
        timeline.sort_by_key(|e| (e.at, Kind::parse(e.status)));
        let template = opt(item, TEMPLATE_NAME).map(|name| {
            let mut t = Map::new();
            t.insert("name".into(), name.into());
            for (k, a) in [("language", TEMPLATE_LANGUAGE), ("category", TEMPLATE_CATEGORY)] {
                if let Some(v) = item.attrs.get(a) {
                    t.insert(k.into(), v.clone());
                }
            }
            t
        });
        MessageView {
            wamid: opt(item, WAMID).unwrap_or_else(|| keys::wamid_of(&item.pk).unwrap_or(&item.pk).to_string()),
            status: opt(item, STATUS),
            timestamps,
            timeline,
            errors: list(item, ERRORS),
            warnings: list(item, WARNINGS),
            request_id: opt(item, REQUEST_ID),
            linked: item.attrs.get(LINKED) == Some(&Value::Bool(true)),
            message_type: opt(item, MESSAGE_TYPE),
            template,
            recipient_id: opt(item, RECIPIENT_ID),
            waba_id: opt(item, WABA_ID),
            pricing: item.attrs.get(PRICING).cloned(),
            clicks: item.get_i64(CLICKS).unwrap_or(0),
        }
    }
}

/// A template's counters for one day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TemplateRow {
    pub day: String,
    pub waba_id: String,
    pub template_name: String,
    pub template_language: String,
    pub template_category: Option<String>,
    pub sent: i64,
    pub delivered: i64,
    pub read: i64,
    pub failed: i64,
    pub clicks: i64,
}

impl TemplateRow {
    pub fn from_item(item: &Item) -> Option<TemplateRow> {
        let n = |c: Counter| item.get_i64(c.name()).unwrap_or(0);
        Some(TemplateRow {
            day: opt(item, DAY)?,
            waba_id: opt(item, WABA_ID).unwrap_or_default(),
            template_name: opt(item, TEMPLATE_NAME)?,
            template_language: opt(item, TEMPLATE_LANGUAGE).unwrap_or_default(),
            template_category: opt(item, TEMPLATE_CATEGORY),
            sent: n(Counter::Sent),
            delivered: n(Counter::Delivered),
            read: n(Counter::Read),
            failed: n(Counter::Failed),
            clicks: item.get_i64(CLICKS).unwrap_or(0),
        })
    }
}

/// A WABA's delivered messages of one pricing category on one day, with the estimate.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PricingRow {
    pub day: String,
    pub waba_id: String,
    pub category: String,
    pub messages: i64,
    pub billable: i64,
    /// Billable messages the rate card has no price for.
    pub unpriced: i64,
    /// Estimated cost in `currency`, from `rate_card`; `null` without a card.
    pub estimated_cost: Option<f64>,
    pub currency: Option<String>,
    pub rate_card: Option<String>,
}

impl PricingRow {
    pub fn from_item(item: &Item) -> Option<PricingRow> {
        let micros = item.get_i64(COST_MICROS);
        Some(PricingRow {
            day: opt(item, DAY)?,
            waba_id: opt(item, WABA_ID).unwrap_or_default(),
            category: opt(item, CATEGORY)?,
            messages: item.get_i64(MESSAGES).unwrap_or(0),
            billable: item.get_i64(BILLABLE).unwrap_or(0),
            unpriced: item.get_i64(UNPRICED).unwrap_or(0),
            estimated_cost: micros.map(|m| m as f64 / 1_000_000.0),
            currency: opt(item, CURRENCY),
            rate_card: opt(item, RATE_CARD),
        })
    }
}
