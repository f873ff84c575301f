//! Conversions (click-to-WhatsApp ads, docs/PROTOCOL.md §11.2): domain events turned into
//! Meta Conversions API events for the ad click that brought the contact.
//!
//! Ingest keeps the contact's newest `referral.ctwa_clid` (`keys::ctwa_click`). A [`Rules`]
//! table says which domain event becomes which Meta event (`whatsapp.payment.captured` →
//! `Purchase` by default). For each match, [`Conversions::handle`]:
//! 1. finds the contact and number (the order for a payment, the reply for a flow);
//! 2. reads the click, and stops unless the event happened within the attribution window
//!    after it ([`ATTRIBUTION_WINDOW_SECS`]);
//! 3. claims `CONVERSION#{clid}` / `{event}#{source}` in the table: a conversion already sent
//!    is never sent again;
//! 4. reads the WABA's dataset id, or creates it once through EUM and caches it;
//! 5. sends Meta's payload with a deterministic `event_id` (Meta deduplicates on it, so a
//!    resend after a lost answer counts once), then marks the claim `sent`.
//!
//! A permanent refusal marks the claim `failed` with its reason (kept, never retried); a
//! transient one is an error for the consumer to retry.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use time::OffsetDateTime;

use crate::domain::events::{rfc3339, DomainEvent, EventType};
use crate::domain::keys;
use crate::domain::meta_errors::Retry;
use crate::domain::payments::attr;
use crate::domain::send_record;
use crate::ports::conversions::ConversionsApi;
use crate::ports::messaging::MessagingError;
use crate::ports::{Cond, Item, PortError, Store, Update, Write};

/// Meta's attribution window for click-to-WhatsApp conversions: 7 days after the click
/// (docs/PROTOCOL.md §11.2, unverified for EUM).
pub const ATTRIBUTION_WINDOW_SECS: i64 = 7 * 24 * 3600;

/// The event names Meta accepts for `business_messaging` (unverified; others are sent with a
/// warning, never refused here).
pub const KNOWN_EVENT_NAMES: [&str; 5] = ["LeadSubmitted", "Purchase", "AddToCart", "InitiateCheckout", "ViewContent"];

/// The domain events a rule may start from: the ones routed to the consumer that runs
/// conversions (`routes::ROUTES`: `ConversionsRule`, and `CheckoutRule` for the accepted
/// `order_details` sends).
pub const SOURCES: [EventType; 3] = [EventType::PaymentCaptured, EventType::FlowCompleted, EventType::SendAccepted];

/// One mapping: this domain event becomes this Meta event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// The domain event (`whatsapp.payment.captured`, `whatsapp.flow.completed`, or
    /// `whatsapp.send.accepted` of an `order_details` message).
    pub on: String,
    /// Meta's event name (`Purchase`, `LeadSubmitted`, …).
    pub event_name: String,
    /// For `whatsapp.flow.completed`: only replies to this flow (the flow session's `flow`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow: Option<String>,
}

/// The mapping table (`WAPIPE_CONVERSIONS`, a JSON array of [`Rule`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rules(Vec<(EventType, Rule)>);

impl Default for Rules {
    /// `whatsapp.payment.captured` → `Purchase`.
    fn default() -> Rules {
        let rule = Rule { on: EventType::PaymentCaptured.as_str().into(), event_name: "Purchase".into(), flow: None };
        Rules(vec![(EventType::PaymentCaptured, rule)])
    }
}

impl Rules {
    /// No conversions at all.
    pub fn none() -> Rules {
        Rules(Vec::new())
    }

    /// Parses the JSON array; errors name the rule and field (`[1].on`).
    pub fn parse(text: &str) -> Result<Rules, ConversionsError> {
        let list: Vec<Rule> =
            serde_json::from_str(text).map_err(|e| ConversionsError::invalid("WAPIPE_CONVERSIONS", e.to_string()))?;
        let mut rules = Vec::new();
        for (i, r) in list.into_iter().enumerate() {
            let on = SOURCES.iter().copied().find(|t| t.as_str() == r.on).ok_or_else(|| {
                let names: Vec<&str> = SOURCES.iter().map(|t| t.as_str()).collect();
                ConversionsError::invalid(format!("[{i}].on"), format!("one of {}", names.join(", ")))
            })?;
            let name_ok = !r.event_name.is_empty()
                && r.event_name.len() <= 50
                && r.event_name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !name_ok {
                return Err(ConversionsError::invalid(format!("[{i}].event_name"), "a Meta event name, e.g. Purchase"));
            }
            if r.flow.is_some() && on != EventType::FlowCompleted {
                return Err(ConversionsError::invalid(format!("[{i}].flow"), "only for whatsapp.flow.completed"));
            }
            if !KNOWN_EVENT_NAMES.contains(&r.event_name.as_str()) {
                tracing::warn!(event_name = %r.event_name, "not an event name Meta is known to accept for business_messaging");
            }
            rules.push((on, r));
        }
        Ok(Rules(rules))
    }

    /// The rules that start from `t`.
    pub fn matching(&self, t: EventType) -> impl Iterator<Item = &Rule> {
        self.0.iter().filter(move |(on, _)| *on == t).map(|(_, r)| r)
    }

    /// Whether any rule exists.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// What happened to one rule of one event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Sent to Meta through EUM now.
    Sent {
        /// Meta's event name.
        event_name: String,
        /// The click it was attributed to.
        ctwa_clid: String,
    },
    /// Already sent for this click, event and source (a redelivery): nothing sent.
    Duplicate,
    /// The contact came from no ad click (or the event names no contact): nothing to report.
    NoClick,
    /// The click is older than the attribution window (or later than the event).
    OutsideWindow,
    /// A flow rule for another flow.
    OtherFlow,
    /// Meta or EUM refused for good; the claim keeps the reason.
    Failed {
        /// Why.
        reason: String,
    },
}

/// A conversion that could not be handled now.
#[derive(Debug, thiserror::Error)]
pub enum ConversionsError {
    /// Bad configuration or input; `field` names it.
    #[error("{field}: {message}")]
    Invalid {
        /// The field at fault.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The table failed ([`PortError`] keeps whether to retry).
    #[error(transparent)]
    Store(#[from] PortError),
    /// EUM failed transiently (permanent refusals become [`Outcome::Failed`]).
    #[error("EUM: {0}")]
    Eum(MessagingError),
}

impl ConversionsError {
    /// A [`ConversionsError::Invalid`].
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> ConversionsError {
        ConversionsError::Invalid { field: field.into(), message: message.into() }
    }

    /// Whether trying again can help.
    pub fn is_transient(&self) -> bool {
        match self {
            ConversionsError::Invalid { .. } => false,
            ConversionsError::Store(e) => e.is_retryable(),
            ConversionsError::Eum(_) => true,
        }
    }
}

/// Who and what one domain event is about.
struct Subject {
    phone: String,
    contact: String,
    source_id: String,
    value: Option<(f64, String)>,
    flow: Option<String>,
}

/// Conversions through one EUM client with one rule table.
#[derive(Debug)]
pub struct Conversions<V> {
    api: V,
    rules: Rules,
    window_secs: i64,
}

/// The deterministic `event_id` of a conversion: the same click, event and source give the same id.
pub fn conversion_event_id(ctwa_clid: &str, event_name: &str, source_id: &str) -> String {
    crate::domain::events::event_id(EventType::PaymentCaptured, &["conversion", ctwa_clid, event_name, source_id])
}

/// Minor units to the amount Meta's `custom_data.value` takes (ISO 4217 exponents).
pub fn major_units(minor: i64, currency: &str) -> f64 {
    let exponent = match currency {
        "JPY" | "KRW" | "VND" | "CLP" | "ISK" | "UGX" | "XAF" | "XOF" | "PYG" | "RWF" => 0,
        "BHD" | "KWD" | "OMR" | "JOD" | "TND" | "IQD" | "LYD" => 3,
        _ => 2,
    };
    minor as f64 / 10f64.powi(exponent)
}

/// When the converting event happened (Meta's `event_time`): a capture's gateway transaction
/// time when it has one (the payment, not its processing), else the event's `occurred_at`.
fn event_time(event: &DomainEvent, now: OffsetDateTime) -> i64 {
    let d = &event.detail;
    let txn = d.get("transaction").filter(|_| event.detail_type == EventType::PaymentCaptured);
    let txn_time = ["updated_timestamp", "created_timestamp"].iter().find_map(|k| {
        let v = txn?.get(*k)?;
        v.as_i64().or_else(|| v.as_str().and_then(|s| s.parse().ok()))
    });
    txn_time.unwrap_or_else(|| {
        text(d, "occurred_at")
            .and_then(|t| OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok())
            .unwrap_or(now)
            .unix_timestamp()
    })
}

fn text<'a>(d: &'a Map<String, Value>, f: &str) -> Option<&'a str> {
    d.get(f).and_then(Value::as_str).filter(|s| !s.is_empty())
}

impl<V: ConversionsApi> Conversions<V> {
    /// Conversions through `api` with `rules`, in Meta's attribution window.
    pub fn new(api: V, rules: Rules) -> Conversions<V> {
        Conversions { api, rules, window_secs: ATTRIBUTION_WINDOW_SECS }
    }

    /// Whether `t` starts any rule (the consumer skips the rest without a read).
    pub fn wants(&self, t: EventType) -> bool {
        self.rules.matching(t).next().is_some()
    }

    /// Every rule of the event, in order. `Err` only when the table or EUM failed transiently
    /// (retry the record: claims make the retry safe).
    pub async fn handle<S: Store>(
        &self,
        store: &S,
        event: &DomainEvent,
        now: OffsetDateTime,
    ) -> Result<Vec<Outcome>, ConversionsError> {
        let mut outcomes = Vec::new();
        let rules: Vec<&Rule> = self.rules.matching(event.detail_type).collect();
        if rules.is_empty() {
            return Ok(outcomes);
        }
        let Some(subject) = self.subject(store, event).await? else {
            return Ok(vec![Outcome::NoClick; rules.len()]);
        };
        let click_key = keys::ctwa_click(&subject.phone, &subject.contact);
        let Some(click) = store.get(&click_key.pk, &click_key.sk).await? else {
            return Ok(vec![Outcome::NoClick; rules.len()]);
        };
        let occurred = event_time(event, now);
        let (Some(clid), Some(clicked_at)) = (click.get_str("ctwa_clid"), click.get_i64("clicked_at")) else {
            return Ok(vec![Outcome::NoClick; rules.len()]);
        };
        for rule in rules {
            if rule.flow.is_some() && rule.flow != subject.flow {
                outcomes.push(Outcome::OtherFlow);
                continue;
            }
            if occurred < clicked_at || occurred - clicked_at > self.window_secs {
                outcomes.push(Outcome::OutsideWindow);
                continue;
            }
            outcomes.push(self.report(store, &subject, &click, clid, rule, occurred, now).await?);
        }
        Ok(outcomes)
    }

    async fn subject<S: Store>(&self, store: &S, event: &DomainEvent) -> Result<Option<Subject>, ConversionsError> {
        let d = &event.detail;
        match event.detail_type {
            // A capture's amount, or an order sent and its total; the order's reference is the
            // source either way, and the order says who and which number.
            EventType::PaymentCaptured | EventType::SendAccepted => {
                let captured = event.detail_type == EventType::PaymentCaptured;
                let field = if captured { "reference_id" } else { send_record::ORDER_REFERENCE_ID };
                let Some(reference) = text(d, field) else { return Ok(None) };
                let k = keys::payment(reference);
                let Some(order) = store.get(&k.pk, &k.sk).await? else { return Ok(None) };
                let currency = text(d, attr::CURRENCY).filter(|_| captured).or(order.get_str(attr::CURRENCY));
                let currency = currency.unwrap_or_default().to_string();
                let minor = if captured { d.get("amount").and_then(Value::as_i64) } else { order.get_i64(attr::TOTAL) };
                let value = minor.map(|m| (major_units(m, &currency), currency));
                Ok(Some(Subject {
                    phone: order.get_str("phone_number_id").unwrap_or_default().to_string(),
                    contact: order.get_str("to").unwrap_or_default().trim_start_matches('+').to_string(),
                    source_id: reference.to_string(),
                    value,
                    flow: None,
                }))
            }
            EventType::FlowCompleted => {
                let (Some(from), Some(wamid)) = (text(d, "from").or(text(d, "from_user_id")), text(d, "wamid")) else {
                    return Ok(None);
                };
                let flow = match text(d, "flow_token") {
                    Some(token) => {
                        let k = keys::flow_session(token);
                        store.get(&k.pk, &k.sk).await?.and_then(|s| s.get_str("flow").map(str::to_string))
                    }
                    None => None,
                };
                Ok(Some(Subject {
                    phone: text(d, "phone_number_id").unwrap_or_default().to_string(),
                    contact: from.to_string(),
                    source_id: wamid.to_string(),
                    value: None,
                    flow,
                }))
            }
            _ => Ok(None),
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn report<S: Store>(
        &self,
        store: &S,
        subject: &Subject,
        click: &Item,
        clid: &str,
        rule: &Rule,
        occurred: i64,
        now: OffsetDateTime,
    ) -> Result<Outcome, ConversionsError> {
        let claim = keys::conversion(clid, &rule.event_name, &subject.source_id);
        if let Some(existing) = store.get(&claim.pk, &claim.sk).await? {
            match existing.get_str("state") {
                Some("sent") => return Ok(Outcome::Duplicate),
                Some("failed") => {
                    let reason = existing.get_str("error").unwrap_or("failed").to_string();
                    return Ok(Outcome::Failed { reason });
                }
                // Claimed but not known to be sent (a lost answer): send again, same event_id.
                _ => {}
            }
        }
        let event_id = conversion_event_id(clid, &rule.event_name, &subject.source_id);
        let meta_waba = click.get_str("waba_id").unwrap_or_default().to_string();
        let mut custom = Map::new();
        if let Some((value, currency)) = &subject.value {
            custom.insert("value".into(), json!(value));
            custom.insert("currency".into(), json!(currency));
        }
        let payload = json!({"data": [{
            "event_name": rule.event_name,
            "event_time": occurred,
            "event_id": event_id,
            "action_source": "business_messaging",
            "messaging_channel": "whatsapp",
            "user_data": {"whatsapp_business_account_id": meta_waba, "ctwa_clid": clid},
            "custom_data": custom,
        }]});
        let mut item = Item::new(claim.pk.clone(), claim.sk.clone())
            .with("state", "claimed")
            .with("ctwa_clid", clid)
            .with("event_name", rule.event_name.as_str())
            .with("source_event", rule.on.as_str())
            .with("source_id", subject.source_id.as_str())
            .with("event_id", event_id.as_str())
            .with("phone_number_id", subject.phone.as_str())
            .with("contact", subject.contact.as_str())
            .with("waba_id", meta_waba.as_str())
            .with("event_time", occurred)
            .with("payload", payload.clone())
            .with("claimed_at", rfc3339(now))
            .with(keys::GSI1PK, keys::CONVERSIONS_INDEX)
            .with(keys::GSI1SK, keys::timeline_sort(occurred, &event_id));
        for attr in ["source_id", "source_type"] {
            if let Some(v) = click.get_str(attr) {
                item.attrs.insert(format!("ad_{attr}"), v.into());
            }
        }
        // A concurrent claim of the same conversion loses the race here and sends the same
        // event_id: Meta counts it once.
        store.write(Write::put_if(item, Cond::ItemMissing)).await?;
        let dataset = match self.dataset(store, &subject.phone, &meta_waba, now).await {
            Ok(d) => d,
            Err(DatasetError::Refused(reason)) => return self.fail(store, &claim, reason).await,
            Err(DatasetError::Other(e)) => return Err(e),
        };
        let body = serde_json::to_vec(&payload).map_err(|e| ConversionsError::invalid("payload", e.to_string()))?;
        match self.api.send_conversion_events(&dataset.1, &dataset.0, &body).await {
            Ok(request_id) => {
                let done = Write::Update {
                    pk: claim.pk.clone(),
                    sk: claim.sk.clone(),
                    updates: vec![
                        Update::Set("state".into(), "sent".into()),
                        Update::Set("request_id".into(), request_id.into()),
                        Update::Set("dataset_id".into(), dataset.0.as_str().into()),
                        Update::Set("sent_at".into(), rfc3339(now).into()),
                    ],
                    cond: None,
                };
                store.write(done).await?;
                Ok(Outcome::Sent { event_name: rule.event_name.clone(), ctwa_clid: clid.to_string() })
            }
            Err(e) if e.retry() == Retry::Never => self.fail(store, &claim, e.reason()).await,
            Err(e) => Err(ConversionsError::Eum(e)),
        }
    }

    async fn fail<S: Store>(
        &self,
        store: &S,
        claim: &crate::ports::Key,
        reason: String,
    ) -> Result<Outcome, ConversionsError> {
        tracing::warn!(%reason, key = %claim, "conversion refused for good");
        let w = Write::Update {
            pk: claim.pk.clone(),
            sk: claim.sk.clone(),
            updates: vec![
                Update::Set("state".into(), "failed".into()),
                Update::Set("error".into(), reason.as_str().into()),
            ],
            cond: None,
        };
        store.write(w).await?;
        Ok(Outcome::Failed { reason })
    }

    /// `(dataset id, WABA for EUM)`: cached, else created through EUM with the WABA ARN the
    /// phone registry learnt from EUM's envelopes.
    async fn dataset<S: Store>(
        &self,
        store: &S,
        phone: &str,
        meta_waba: &str,
        now: OffsetDateTime,
    ) -> Result<(String, String), DatasetError> {
        let cached = keys::dataset(meta_waba);
        if let Some(item) = store.get(&cached.pk, &cached.sk).await.map_err(DatasetError::store)? {
            if let (Some(id), Some(arn)) = (item.get_str("dataset_id"), item.get_str("waba_arn")) {
                return Ok((id.to_string(), arn.to_string()));
            }
        }
        let reg = keys::phone(phone);
        let arn = store
            .get(&reg.pk, &reg.sk)
            .await
            .map_err(DatasetError::store)?
            .and_then(|i| i.get_str("waba_arn").map(str::to_string))
            .ok_or_else(|| {
                DatasetError::Refused(format!(
                    "no EUM WABA ARN known for number {phone}: the phone registry learns it from EUM's SNS envelopes"
                ))
            })?;
        let id = match self.api.create_dataset(&arn).await {
            Ok(id) => id,
            Err(e) if e.retry() == Retry::Never => return Err(DatasetError::Refused(e.reason())),
            Err(e) => return Err(DatasetError::Other(ConversionsError::Eum(e))),
        };
        let item = Item::new(cached.pk, cached.sk)
            .with("dataset_id", id.as_str())
            .with("waba_arn", arn.as_str())
            .with("created_at", rfc3339(now));
        // The same id comes back for the WABA every time: a concurrent write is harmless.
        store.write(Write::Put { item, cond: None }).await.map_err(DatasetError::store)?;
        Ok((id, arn))
    }
}

enum DatasetError {
    Refused(String),
    Other(ConversionsError),
}

impl DatasetError {
    fn store(e: PortError) -> DatasetError {
        DatasetError::Other(ConversionsError::Store(e))
    }
}

/// Every conversion recorded, oldest first (bounded: `paging::MAX_PAGES`).
pub async fn list<S: Store>(store: &S) -> Result<Vec<Item>, PortError> {
    let q = crate::ports::Query {
        index: crate::ports::Index::Gsi1,
        ..crate::ports::Query::table(keys::CONVERSIONS_INDEX, "")
    };
    crate::app::paging::all_items(store, q, crate::app::paging::MAX_PAGES).await
}

/// The conversions of one click.
pub async fn of_click<S: Store>(store: &S, ctwa_clid: &str) -> Result<Vec<Item>, PortError> {
    let q = crate::ports::Query::table(keys::conversion_partition(ctwa_clid), "");
    crate::app::paging::all_items(store, q, crate::app::paging::MAX_PAGES).await
}

#[cfg(test)]
#[path = "conversions_tests.rs"]
mod tests;
