//! EUM's own events (`source: aws.social-messaging`, docs/PROTOCOL.md §11.3), from the
//! account's default bus through `EumEventsRule` and the EUM events queue.
//!
//! The handover events say whether a `SendWhatsAppMessage` reached WhatsApp. They close the one
//! double-send window the worker has: a call whose answer was lost leaves the request `unknown`
//! (never re-sent blind) until a status or the grace period settles it. Here:
//! - **Message Handover Failed** ends the request `failed` with the event's error at once and
//!   publishes `whatsapp.send.failed` (also over an `accepted` that never reached WhatsApp);
//! - **Message Handover Succeeded** settles an `unknown` (or lapsed `sending`) request as
//!   `accepted` with the event's message id.
//!
//! Requests are found by the `biz_opaque_callback_data` the worker puts on every message
//! (`wapipe:{request_id}`). The `detail` shapes of the handover events are not documented, so
//! the reader is tolerant: the callback data and the message id are looked for at any depth,
//! and an event that names neither is parked with that reason. Message Sent, Delivered, Read
//! and Failed are recorded for the feed reconciliation when it is on (docs/feeds.md: the status
//! tracker's sweep reports what only one feed saw); Undeliverable, Received and Unknown
//! Notification are acknowledged (the SNS feed carries the same facts to ingest); the call handover events are recorded against their
//! callback data (`CALLHANDOVER#…`) and on the call's record when they name the number and the
//! call. Any other detail-type is parked with its name.

use std::time::Duration;

use serde_json::{Map, Value};
use tracing::{info, warn};
use wapipe_core::app::consumer::{run_batch, Consumer, Ctx as RunCtx, Failure, Handled};
use wapipe_core::app::feed::observe;
use wapipe_core::app::publish::{park_record, Parking};
use wapipe_core::domain::events::rfc3339;
use wapipe_core::domain::feed::{self, Seen, Side};
use wapipe_core::domain::keys;
use wapipe_core::domain::send_record::{self as sr, request_id_from_callback};
use wapipe_core::ports::messaging::Messaging;
use wapipe_core::ports::{Bus, Clock, Cond, Item, Queue, Store, Update, Write};

use crate::events::{Ctx, FailedWhy};
use crate::record::{self, Existing, State};
use crate::worker::{BatchReport, Later, Outcome, RecordIn, SendWorker};

/// The `source` of EUM's events.
pub const SOURCE: &str = "aws.social-messaging";

/// One of EUM's events, as far as wapipe reads it.
#[derive(Clone, Debug, PartialEq)]
pub enum EumEvent {
    /// Message Handover Succeeded / Failed.
    MessageHandover {
        /// Whether WhatsApp took the message.
        succeeded: bool,
        /// From the event's `biz_opaque_callback_data` (`wapipe:{request_id}`).
        request_id: Option<String>,
        /// EUM's `messageId`, when the event names it.
        eum_message_id: Option<String>,
        /// The error of a failed handover, in words (code and title when given).
        error: Option<String>,
        /// Meta's error code, when given.
        code: Option<i64>,
    },
    /// Call Handover Succeeded / Failed.
    CallHandover {
        /// Whether WhatsApp took the call event.
        succeeded: bool,
        /// The call event's `biz_opaque_callback_data`.
        callback: Option<String>,
        /// Meta's call id, when the event names it.
        call_id: Option<String>,
        /// The business number (`originationPhoneNumberId`, Meta's id), when the event names it.
        phone: Option<String>,
        /// The error of a failed handover.
        error: Option<String>,
    },
    /// A message status or inbound message: the SNS feed carries the same to ingest. A status
    /// both feeds report is recorded for the feed reconciliation (docs/feeds.md).
    Feed {
        /// The detail-type (`WhatsApp Message Delivered`, …).
        detail_type: String,
        /// `sent`, `delivered`, `read` or `failed`, for the statuses both feeds report.
        status: Option<&'static str>,
        /// EUM's `messageId`, when the event names it.
        eum_message_id: Option<String>,
        /// Meta's id of the sending number (`originationPhoneNumberId`).
        phone: Option<String>,
    },
}

/// Whether a queue body is one of EUM's events (a cheap test before parsing).
pub fn is_eum_event(body: &str) -> bool {
    body.contains(SOURCE)
        && serde_json::from_str::<Value>(body).is_ok_and(|v| v.get("source").and_then(Value::as_str) == Some(SOURCE))
}

/// The first string value under any key named `name` (case and `_` ignored), depth first.
fn find_str(v: &Value, name: &str, depth: usize) -> Option<String> {
    let norm = |k: &str| k.chars().filter(|c| *c != '_').collect::<String>().to_ascii_lowercase();
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if norm(k) == name {
                    if let Some(s) = x.as_str().filter(|s| !s.is_empty()) {
                        return Some(s.to_string());
                    }
                }
            }
            if depth == 0 {
                return None;
            }
            m.values().find_map(|x| find_str(x, name, depth - 1))
        }
        Value::Array(a) if depth > 0 => a.iter().find_map(|x| find_str(x, name, depth - 1)),
        // A JSON document inside a string (a relayed body): read it too.
        Value::String(s) if depth > 0 && s.trim_start().starts_with('{') => {
            serde_json::from_str::<Value>(s).ok().and_then(|x| find_str(&x, name, depth - 1))
        }
        _ => None,
    }
}

/// The error of a failed handover: `errors[0]` (`code`, `title`, `message`), else `error`,
/// `errorMessage` or `reason`.
fn error_of(d: &Map<String, Value>) -> (Option<String>, Option<i64>) {
    let first = d.get("errors").and_then(Value::as_array).and_then(|a| a.first());
    if let Some(e) = first {
        let code = e.get("code").and_then(|c| c.as_i64().or_else(|| c.as_str().and_then(|s| s.parse().ok())));
        let text = ["title", "message", "details"].iter().find_map(|k| e.get(*k).and_then(Value::as_str));
        let words = match (code, text) {
            (Some(c), Some(t)) => format!("{c}: {t}"),
            (None, Some(t)) => t.to_string(),
            (Some(c), None) => format!("error {c}"),
            (None, None) => e.to_string(),
        };
        return (Some(words), code);
    }
    let v = Value::Object(d.clone());
    let text = ["error", "errormessage", "reason", "failurereason"].iter().find_map(|k| find_str(&v, k, 1));
    (text, None)
}

/// Reads one queue body; `Err` names what is missing or unknown (the record is parked).
pub fn parse(body: &str) -> Result<EumEvent, String> {
    let v: Value = serde_json::from_str(body).map_err(|e| format!("not JSON: {e}"))?;
    if v.get("source").and_then(Value::as_str) != Some(SOURCE) {
        return Err(format!("field `source`: expected `{SOURCE}`"));
    }
    let detail_type = v.get("detail-type").and_then(Value::as_str).ok_or("field `detail-type`: missing")?;
    let detail = match v.get("detail") {
        Some(Value::Object(m)) => m.clone(),
        // Some producers send `detail` as a JSON string.
        Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(Value::Object(m)) => m,
            _ => return Err("field `detail`: not an object".into()),
        },
        _ => return Err("field `detail`: missing".into()),
    };
    let whole = Value::Object(detail.clone());
    let callback = find_str(&whole, "bizopaquecallbackdata", 4);
    match detail_type {
        "WhatsApp Message Handover Succeeded" | "WhatsApp Message Handover Failed" => {
            let succeeded = detail_type.ends_with("Succeeded");
            let (error, code) = if succeeded { (None, None) } else { error_of(&detail) };
            let request_id = callback.as_deref().and_then(request_id_from_callback).map(str::to_string);
            let eum_message_id = find_str(&whole, "messageid", 2);
            if request_id.is_none() {
                return Err(format!(
                    "{detail_type}: no `biz_opaque_callback_data` of a wapipe send (messageId {}): cannot find the request",
                    eum_message_id.as_deref().unwrap_or("absent")
                ));
            }
            Ok(EumEvent::MessageHandover { succeeded, request_id, eum_message_id, error, code })
        }
        "WhatsApp Call Handover Succeeded" | "WhatsApp Call Handover Failed" => {
            let succeeded = detail_type.ends_with("Succeeded");
            let call_id = find_str(&whole, "callid", 4);
            if callback.is_none() && call_id.is_none() {
                return Err(format!("{detail_type}: neither `biz_opaque_callback_data` nor a call id"));
            }
            let error = if succeeded { None } else { error_of(&detail).0 };
            let phone = find_str(&whole, "originationphonenumberid", 1);
            Ok(EumEvent::CallHandover { succeeded, callback, call_id, phone, error })
        }
        "WhatsApp Message Sent"
        | "WhatsApp Message Delivered"
        | "WhatsApp Message Read"
        | "WhatsApp Message Failed"
        | "WhatsApp Message Undeliverable"
        | "WhatsApp Message Received"
        | "WhatsApp Unknown Notification Received" => Ok(EumEvent::Feed {
            detail_type: detail_type.to_string(),
            status: feed::status_of_detail_type(detail_type),
            eum_message_id: find_str(&whole, "messageid", 1),
            phone: find_str(&whole, "originationphonenumberid", 1),
        }),
        other => Err(format!("detail-type `{other}` is not one wapipe reads")),
    }
}

/// What a call handover leaves: `CALLHANDOVER#{callback or call id}` / `HANDOVER`, and, when
/// the event names the number and the call, the outcome on the call's record
/// (`CALLS#{phone}` / `CALL#{wacid}`, which the `calls` webhooks fill).
pub fn call_handover_writes(
    callback: Option<&str>,
    call_id: Option<&str>,
    phone: Option<&str>,
    succeeded: bool,
    error: Option<&str>,
    at: &str,
) -> Vec<Write> {
    let outcome = if succeeded { "succeeded" } else { "failed" };
    let mut writes = Vec::new();
    if let Some(id) = callback.or(call_id) {
        let mut item =
            Item::new(format!("CALLHANDOVER#{id}"), "HANDOVER").with("outcome", outcome).with("received_at", at);
        for (k, v) in
            [("biz_opaque_callback_data", callback), ("call_id", call_id), ("phone_number_id", phone), ("error", error)]
        {
            if let Some(v) = v {
                item.attrs.insert(k.into(), v.into());
            }
        }
        writes.push(Write::put(item));
    }
    if let (Some(phone), Some(wacid)) = (phone, call_id) {
        let k = keys::call(phone, wacid);
        let mut updates =
            vec![Update::Set("handover".into(), outcome.into()), Update::Set("handover_at".into(), at.into())];
        if let Some(e) = error {
            updates.push(Update::Set("handover_error".into(), e.into()));
        }
        writes.push(Write::Update { pk: k.pk, sk: k.sk, updates, cond: None });
    }
    writes
}

impl<S: Store, B: Bus, M: Messaging, Q: Queue, C: Clock> SendWorker<S, B, M, Q, C> {
    /// A batch of EUM's events (the EUM events queue), through the consumer runtime: one
    /// request's events in order.
    pub async fn handle_eum_batch(&self, records: &[RecordIn]) -> BatchReport {
        run_batch(&EumEvents(self), records, &self.config.run).await.map(|h| match h {
            Handled::Done(o) => o,
            Handled::Retry { error, delay } => {
                Outcome::Retry { request_id: error.request_id, delay: delay.unwrap_or_default(), error: error.reason }
            }
            Handled::Parked { reason } => Outcome::Rejected { request_id: None, rule: "parked".into(), reason },
        })
    }

    /// Settle a request by its handover (see the module docs).
    async fn handover(
        &self,
        rid: &str,
        succeeded: bool,
        eum_id: Option<&str>,
        error: Option<String>,
        code: Option<i64>,
    ) -> Outcome {
        let k = keys::send_request(rid);
        let item = match self.store.get(&k.pk, &k.sk).await {
            Ok(Some(i)) => i,
            // Not a request of this stack (another sender on the account), or not claimed yet.
            Ok(None) => {
                info!(request_id = rid, "handover for a request this stack does not know");
                return Outcome::Duplicate { request_id: rid.to_string(), state: "unknown_request".into() };
            }
            Err(e) => return crate::worker::retry(Some(rid), self.config.backoff_initial, e.to_string()),
        };
        let ex = Existing::from_item(&item);
        let now = self.clock.now();
        let lease_live = ex.lease_until > now.unix_timestamp();
        let ctx = ctx_of(rid, &item);
        let attempts = ex.attempts.max(1);
        // Only the state read here may be replaced: a concurrent outcome makes this retry.
        let guard = |s: State| Some(Cond::AttrEq(sr::STATE.into(), s.as_str().into()));
        match (succeeded, ex.state) {
            // The worker's call is still in flight: let it record its answer first.
            (_, Some(State::Sending)) if lease_live => {
                crate::worker::retry(Some(rid), Duration::from_secs(5), "the send is still in flight")
            }
            (true, Some(s @ (State::Unknown | State::Sending | State::Retrying))) => {
                let eum = eum_id.or(ex.eum_message_id.as_deref()).unwrap_or_default();
                self.accepted(rid, &ctx, eum, attempts, now, guard(s)).await
            }
            (false, Some(s @ (State::Unknown | State::Sending | State::Retrying | State::Accepted))) => {
                let reason = format!("handover to WhatsApp failed: {}", error.as_deref().unwrap_or("no reason given"));
                let why = FailedWhy { reason, exception: "HandoverFailed".into(), code, retry: "never", alert: false };
                self.failed(rid, &ctx, why, attempts, guard(s)).await
            }
            (_, state) => Outcome::Duplicate {
                request_id: rid.to_string(),
                state: state.map(|s| s.as_str().to_string()).unwrap_or_else(|| "none".into()),
            },
        }
    }
}

/// The events' context from the request's record (its recipient, kind, tags and sender).
fn ctx_of(rid: &str, item: &Item) -> Ctx {
    let s = |k: &str| item.get_str(k).filter(|v| !v.is_empty()).map(str::to_string);
    Ctx {
        request_id: Some(rid.to_string()),
        waba_id: s(sr::WABA_ID).unwrap_or_default(),
        phone_number_id: s(sr::PHONE_NUMBER_ID).unwrap_or_default(),
        wa_id: s(sr::TO).map(|t| t.trim_start_matches('+').to_string()),
        message_type: s(sr::MESSAGE_TYPE),
        template_name: s(sr::TEMPLATE_NAME),
        template_language: s(sr::TEMPLATE_LANGUAGE),
        category: s(sr::TEMPLATE_CATEGORY),
        tags: item.attrs.get(record::TAGS).cloned(),
        order_reference_id: s(sr::ORDER_REFERENCE_ID),
    }
}

/// The worker as the consumer of EUM's events.
struct EumEvents<'a, S, B, M, Q, C>(&'a SendWorker<S, B, M, Q, C>);

impl<S: Store, B: Bus, M: Messaging, Q: Queue, C: Clock> Consumer for EumEvents<'_, S, B, M, Q, C> {
    type Done = Outcome;
    type Error = Later;
    type Prepared = Vec<Result<EumEvent, String>>;

    /// One request's (or call's) events in order.
    fn key(&self, r: &RecordIn, index: usize, prepared: &Self::Prepared) -> String {
        match prepared.get(index) {
            Some(Ok(EumEvent::MessageHandover { request_id: Some(rid), .. })) => rid.clone(),
            Some(Ok(EumEvent::CallHandover { callback, call_id, .. })) => {
                callback.clone().or_else(|| call_id.clone()).unwrap_or_else(|| r.id.clone())
            }
            Some(Ok(EumEvent::Feed { eum_message_id: Some(id), .. })) => id.clone(),
            _ => r.id.clone(),
        }
    }

    async fn prepare(&self, records: &[RecordIn]) -> Self::Prepared {
        records.iter().map(|r| parse(&r.body)).collect()
    }

    async fn handle(&self, _r: &RecordIn, ctx: RunCtx<'_, Self::Prepared>) -> Result<Outcome, Failure<Later>> {
        let w = self.0;
        let event = match ctx.prepared.get(ctx.index) {
            Some(Ok(e)) => e,
            Some(Err(reason)) => return Err(Failure::park(reason.clone())),
            None => return Err(Failure::park("internal: no event parsed for this record")),
        };
        let outcome = match event {
            EumEvent::MessageHandover { succeeded, request_id: Some(rid), eum_message_id, error, code } => {
                w.handover(rid, *succeeded, eum_message_id.as_deref(), error.clone(), *code).await
            }
            EumEvent::MessageHandover { request_id: None, .. } => {
                return Err(Failure::park("a message handover without a request id"))
            }
            EumEvent::CallHandover { succeeded, callback, call_id, phone, error } => {
                let at = rfc3339(w.clock.now());
                let (cb, id, ph) = (callback.as_deref(), call_id.as_deref(), phone.as_deref());
                for write in call_handover_writes(cb, id, ph, *succeeded, error.as_deref(), &at) {
                    if let Err(e) = w.store.write(write).await {
                        let reason = e.to_string();
                        return Err(Failure::from(Later { request_id: None, reason }));
                    }
                }
                if !succeeded {
                    warn!(callback = ?callback, call_id = ?call_id, error = ?error, "call handover failed");
                }
                Outcome::Duplicate { request_id: String::new(), state: "call_handover_recorded".into() }
            }
            EumEvent::Feed { detail_type, status, eum_message_id, phone } => {
                if let (Some(status), Some(id)) = (status, eum_message_id) {
                    let seen = Seen {
                        side: Side::EventBridge,
                        eum_message_id: id,
                        status,
                        at: w.clock.now().unix_timestamp(),
                        wamid: None,
                        phone_number_id: phone.as_deref(),
                    };
                    if let Err(e) = observe(&w.store, &w.config.feed, &seen).await {
                        return Err(Failure::from(Later { request_id: None, reason: e.to_string() }));
                    }
                }
                Outcome::Duplicate { request_id: String::new(), state: format!("feed: {detail_type}") }
            }
        };
        match outcome {
            Outcome::Retry { request_id, delay, error } => {
                Err(Failure::retry_after(Later { request_id, reason: error }, delay))
            }
            done => Ok(done),
        }
    }

    async fn park(&self, r: &RecordIn, reason: &str) -> Result<(), Later> {
        let w = self.0;
        let parking = Parking { source: "eum-events", policy: &w.config.publish, mark_ttl_secs: 30 * 24 * 3600 };
        park_record(&w.store, &w.bus, &parking, r, reason, w.clock.now())
            .await
            .map_err(|e| Later { request_id: None, reason: e.to_string() })
    }
}

#[cfg(test)]
#[path = "eum_events_tests.rs"]
mod tests;
