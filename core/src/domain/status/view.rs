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
    /// Meta's message id (from the `wamid` attribute, else the item's key).
    pub wamid: String,
    /// `null` when only timeline statuses (deleted, warning) were seen.
    pub status: Option<String>,
    /// Every known status name → its epoch seconds, or `null` when not seen.
    pub timestamps: Map<String, Value>,
    /// The statuses seen, oldest first (ties in rank order).
    pub timeline: Vec<TimelineEntry>,
    /// The explained errors of a `failed` status; empty when none.
    pub errors: Vec<Value>,
    /// The explained errors carried by `warning` statuses; empty when none.
    pub warnings: Vec<Value>,
    /// The send request that sent the message, once joined by its callback data.
    pub request_id: Option<String>,
    /// Whether the send record was joined (its template fields copied onto the message).
    pub linked: bool,
    /// The message's kind, copied from the send record (`text`, `template`, …).
    pub message_type: Option<String>,
    /// `{name, language, category}` of a template message, from the send record.
    pub template: Option<Map<String, Value>>,
    /// The recipient's `wa_id`, from the statuses.
    pub recipient_id: Option<String>,
    /// Meta's WhatsApp Business Account id of the sending number.
    pub waba_id: Option<String>,
    /// The `pricing` object of the first status that carried one.
    pub pricing: Option<Value>,
    /// Template clicks (button and interactive replies) on this message.
    pub clicks: i64,
}

/// One status seen, at its time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TimelineEntry {
    /// The status name (`sent`, `delivered`, …).
    pub status: &'static str,
    /// Its time, in epoch seconds.
    pub at: i64,
}

fn opt(item: &Item, a: &str) -> Option<String> {
    item.get_str(a).map(str::to_string)
}

fn list(item: &Item, a: &str) -> Vec<Value> {
    item.attrs.get(a).and_then(Value::as_array).cloned().unwrap_or_default()
}

impl MessageView {
    /// Read a message record `MSG#{wamid}` / `MSG`; missing attributes read as empty.
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
    /// The UTC day, `YYYY-MM-DD`.
    pub day: String,
    /// Meta's WhatsApp Business Account id; empty when absent.
    pub waba_id: String,
    /// The template's name.
    pub template_name: String,
    /// The template's language code; empty when absent.
    pub template_language: String,
    /// The template's category, when known.
    pub template_category: Option<String>,
    /// Messages of the template whose `sent` status fell on that day.
    pub sent: i64,
    /// Those whose `delivered` status fell on that day.
    pub delivered: i64,
    /// Those whose `read` (or `played`) status fell on that day.
    pub read: i64,
    /// Those whose `failed` status fell on that day.
    pub failed: i64,
    /// Button and interactive replies to the template's messages, by the reply's day.
    pub clicks: i64,
}

impl TemplateRow {
    /// Read a template day row; `None` unless it has a `day` and a `template_name`.
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
    /// The UTC day, `YYYY-MM-DD`.
    pub day: String,
    /// Meta's WhatsApp Business Account id; empty when absent.
    pub waba_id: String,
    /// The pricing category, lower case (`marketing`, `utility`, `service`, …).
    pub category: String,
    /// Messages of the category delivered that day.
    pub messages: i64,
    /// How many of them were billable.
    pub billable: i64,
    /// Billable messages the rate card has no price for.
    pub unpriced: i64,
    /// Estimated cost in `currency`, from `rate_card`; `null` without a card.
    pub estimated_cost: Option<f64>,
    /// The rate card's currency, once a cost was estimated.
    pub currency: Option<String>,
    /// The version of the rate card that priced the row's latest cost.
    pub rate_card: Option<String>,
}

impl PricingRow {
    /// Read a pricing day row; `None` unless it has a `day` and a `category`.
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
