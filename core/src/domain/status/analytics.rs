//! Analytics rows and their writes: per template, language and day (`TEMPLATE#…` / `DAY#…`)
//! and per WABA, day and pricing category (`PRICING#…` / `DAY#…#{category}`). Every row is
//! also on GSI1 under `ANALYTICS#{kind}#{day}` so one day is listed with one query.
//!
//! Counters only move by `ADD 1` inside the transaction that sets the message's "counted" flag
//! under the condition that the flag was missing, so each moves at most once per message.
//! Template clicks are counted from inbound `button` / `interactive` replies whose context is a
//! template send; a click's own dedupe mark (`SEEN#click:{wamid}`) is in the same transaction.

use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::pricing::{Billing, RateCard};
use super::{day_of, CLICKS, LINKED, WABA_ID};
use crate::domain::keys::{self, EXPIRES_AT, GSI1PK, GSI1SK};
use crate::domain::send_record::{REQUEST_ID, TEMPLATE_CATEGORY, TEMPLATE_LANGUAGE, TEMPLATE_NAME};
use crate::domain::table::{Cond, Item, Update, Write};

/// GSI1 kinds of analytics rows.
pub const TEMPLATE_ROWS: &str = "TEMPLATE";
/// Pricing day rows (`PRICING#{waba}` / `DAY#{date}#{category}`), listed by GSI1 `ANALYTICS#PRICING#{day}`.
pub const PRICING_ROWS: &str = "PRICING";

// Attributes of analytics rows (template counters are `Counter::name`s and `clicks`).
/// The row's UTC day, `YYYY-MM-DD`.
pub const DAY: &str = "day";
/// A pricing row's category, lower case (`marketing`, `utility`, `service`, …; `unknown` when absent).
pub const CATEGORY: &str = "category";
/// A pricing row's count of delivered messages.
pub const MESSAGES: &str = "messages";
/// How many of those messages were billable.
pub const BILLABLE: &str = "billable";
/// How many billable messages the rate card had no price for (or no card was loaded).
pub const UNPRICED: &str = "unpriced";
/// The estimated cost of the billable messages, in micro-units (millionths) of `currency`.
pub const COST_MICROS: &str = "cost_micros";
/// The rate card's currency code, set when a cost is added.
pub const CURRENCY: &str = "currency";
/// The version of the rate card that priced the row's latest cost.
pub const RATE_CARD: &str = "rate_card";

/// A template as a message record (or a send record) names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    /// Meta's WhatsApp Business Account id (the message's, as statuses report it).
    pub waba_id: String,
    /// The template's name.
    pub name: String,
    /// The template's language code.
    pub language: String,
    /// The template's category, when the record names one.
    pub category: Option<String>,
}

impl Template {
    /// The template of an item with `template_name` and `template_language`; `waba_id` is the
    /// message's WABA (the one statuses report).
    pub fn of(item: &Item, waba_id: &str) -> Option<Template> {
        let s = |a: &str| item.get_str(a).filter(|s| !s.is_empty()).map(str::to_string);
        Some(Template {
            waba_id: waba_id.to_string(),
            name: s(TEMPLATE_NAME)?,
            language: s(TEMPLATE_LANGUAGE)?,
            category: s(TEMPLATE_CATEGORY),
        })
    }
}

/// `ADD` these counters on a template's day row (created on first use).
pub fn template_row(t: &Template, day: &str, adds: &[(&str, i64)]) -> Write {
    let key = keys::template_day(&t.waba_id, &t.name, &t.language, day);
    let mut updates: Vec<Update> = adds.iter().map(|(name, n)| Update::Add((*name).to_string(), *n)).collect();
    updates.extend([
        Update::SetIfMissing(WABA_ID.into(), t.waba_id.as_str().into()),
        Update::SetIfMissing(TEMPLATE_NAME.into(), t.name.as_str().into()),
        Update::SetIfMissing(TEMPLATE_LANGUAGE.into(), t.language.as_str().into()),
        Update::SetIfMissing(DAY.into(), day.into()),
        Update::SetIfMissing(GSI1PK.into(), keys::analytics_day(TEMPLATE_ROWS, day).into()),
        Update::SetIfMissing(GSI1SK.into(), format!("{}#{}#{}", t.waba_id, t.name, t.language).into()),
    ]);
    if let Some(c) = &t.category {
        updates.push(Update::SetIfMissing(TEMPLATE_CATEGORY.into(), c.as_str().into()));
    }
    Write::Update { pk: key.pk, sk: key.sk, updates, cond: None }
}

/// One delivered message on its WABA's pricing row for the day: `messages`, `billable`, and the
/// estimated cost (or `unpriced` when the card has no price for it).
pub fn pricing_row(
    waba_id: &str,
    day: &str,
    billing: &Billing,
    recipient: Option<&str>,
    card: Option<&RateCard>,
) -> Write {
    let key = keys::pricing_day(waba_id, day, &billing.category);
    let mut updates = vec![
        Update::Add(MESSAGES.into(), 1),
        Update::Add(BILLABLE.into(), i64::from(billing.billable)),
        Update::SetIfMissing(WABA_ID.into(), waba_id.into()),
        Update::SetIfMissing(DAY.into(), day.into()),
        Update::SetIfMissing(CATEGORY.into(), billing.category.as_str().into()),
        Update::SetIfMissing(GSI1PK.into(), keys::analytics_day(PRICING_ROWS, day).into()),
        Update::SetIfMissing(GSI1SK.into(), format!("{waba_id}#{}", billing.category).into()),
    ];
    if billing.billable {
        match card.map(|c| (c, c.price_micros(recipient, &billing.category))) {
            Some((c, Some(micros))) => updates.extend([
                Update::Add(COST_MICROS.into(), micros),
                Update::Set(CURRENCY.into(), c.currency.as_str().into()),
                Update::Set(RATE_CARD.into(), c.version.as_str().into()),
            ]),
            _ => updates.push(Update::Add(UNPRICED.into(), 1)),
        }
    }
    Write::Update { pk: key.pk, sk: key.sk, updates, cond: None }
}

/// A `whatsapp.message.received` reply that may be a template click.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClickInput {
    /// The inbound reply.
    pub wamid: String,
    /// The message it replies to.
    pub context_wamid: String,
    /// Epoch seconds of the reply (its `timestamp`); its UTC day is the click's day.
    pub timestamp: i64,
    /// Meta's WhatsApp Business Account id of the reply; empty when absent.
    pub waba_id: String,
}

impl ClickInput {
    /// `None` unless the message is a `button` or `interactive` reply with a context.
    pub fn from_detail(d: &Map<String, Value>) -> Option<ClickInput> {
        let s = |v: Option<&Value>| v.and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string);
        let kind = s(d.get("type"))?;
        if kind != "button" && kind != "interactive" {
            return None;
        }
        Some(ClickInput {
            wamid: s(d.get("wamid"))?,
            context_wamid: s(d.get("context").and_then(|c| c.get("message_id")))?,
            timestamp: d.get("timestamp").and_then(Value::as_i64)?,
            waba_id: s(d.get("waba_id")).unwrap_or_default(),
        })
    }

    /// The click's dedupe mark.
    pub fn mark(&self) -> keys::Key {
        keys::seen(&format!("click:{}", self.wamid))
    }
}

/// What to do with a reply.
#[derive(Clone, Debug, PartialEq)]
pub enum ClickPlan {
    /// Not a click on a template send (no such message, or not a template).
    Ignore(&'static str),
    /// The replied-to message names a send request whose record is not joined yet.
    LinkPending,
    /// One transaction: the click's mark (condition: missing), the message's `clicks`, the
    /// template day row's `clicks`. A failed condition means the click was counted before.
    Count(Vec<Write>),
}

/// Plan a click from the replied-to message record (`MSG#{context_wamid}`).
pub fn plan_click(click: &ClickInput, replied_to: Option<&Item>, now: OffsetDateTime, mark_ttl_secs: i64) -> ClickPlan {
    let Some(msg) = replied_to else { return ClickPlan::Ignore("the replied-to message is not known") };
    if msg.attrs.get(LINKED) != Some(&Value::Bool(true)) {
        return match msg.get_str(REQUEST_ID) {
            Some(_) => ClickPlan::LinkPending,
            None => ClickPlan::Ignore("the replied-to message was not sent through wapipe"),
        };
    }
    let waba = msg.get_str(WABA_ID).filter(|w| !w.is_empty()).unwrap_or(&click.waba_id);
    let Some(template) = Template::of(msg, waba) else {
        return ClickPlan::Ignore("the replied-to message is not a template");
    };
    let mark = click.mark();
    let expires = now.unix_timestamp().saturating_add(mark_ttl_secs);
    let mark_item = Item::new(mark.pk, mark.sk).with(EXPIRES_AT, expires);
    let msg_key = keys::message(&click.context_wamid);
    ClickPlan::Count(vec![
        Write::put_if(mark_item, Cond::ItemMissing),
        Write::Update { pk: msg_key.pk, sk: msg_key.sk, updates: vec![Update::Add(CLICKS.into(), 1)], cond: None },
        template_row(&template, &day_of(click.timestamp), &[(CLICKS, 1)]),
    ])
}
