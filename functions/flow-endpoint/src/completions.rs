//! Flow responses: the `whatsapp.flow.completed` events ingest publishes (an EventBridge rule
//! puts them on this function's queue) are stored beside their session and close it.
//!
//! Per record: read the session (for its flow), put the response (conditional: a redelivery is
//! a no-op), close the session (no-op without one). Two writes per completion, none in ingest.
//! A body that is not a wapipe event is parked (`PARKED#flow-endpoint`) and acknowledged.

use time::OffsetDateTime;
use tracing::{debug, info, info_span, warn, Instrument};
use wapipe_shared::domain::events::parse_eventbridge_body;
use wapipe_shared::domain::flows::responses::{reply_from_event, response_write, ReplyError};
use wapipe_shared::domain::flows::token::{close_from_reply, FlowSession};
use wapipe_shared::domain::keys;
use wapipe_shared::domain::parking::{park_unit, Poison};
use wapipe_shared::ports::{Bus, Clock, Store};
use wapipe_shared::publish::{run_unit, RetryPolicy};

/// One queue record.
#[derive(Clone, Debug, PartialEq)]
pub struct QueueRecord {
    pub id: String,
    pub body: String,
    pub sent_at: Option<OffsetDateTime>,
}

/// What happened to a record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The response is stored (or already was).
    Stored,
    /// Acknowledged without storing: not a completion, or one without a token.
    Skipped(String),
    Parked(String),
    /// Transient failure: retry (the record goes into `batchItemFailures`).
    Retry(String),
}

pub struct Completions<S, B, C> {
    pub store: S,
    pub bus: B,
    pub clock: C,
    /// `PARKED#<source>`.
    pub source: String,
    pub publish: RetryPolicy,
    pub mark_ttl_secs: i64,
}

impl<S: Store, B: Bus, C: Clock> Completions<S, B, C> {
    pub fn new(store: S, bus: B, clock: C) -> Self {
        Completions {
            store,
            bus,
            clock,
            source: "flow-endpoint".into(),
            publish: RetryPolicy::default(),
            mark_ttl_secs: 7 * 24 * 3600,
        }
    }

    /// Handle a batch; the ids of the records to retry.
    pub async fn handle_batch(&self, records: &[QueueRecord]) -> Vec<String> {
        let mut failed = Vec::new();
        for r in records {
            let span = info_span!("flow_completion", record_id = %r.id);
            if let Outcome::Retry(why) = self.handle(r).instrument(span).await {
                warn!(record_id = %r.id, reason = %why, "flow completion will be retried");
                failed.push(r.id.clone());
            }
        }
        failed
    }

    pub async fn handle(&self, r: &QueueRecord) -> Outcome {
        let now = self.clock.now();
        let event = match parse_eventbridge_body(&r.body) {
            Ok(e) => e,
            Err(e) => return self.park(r, &e.to_string(), now).await,
        };
        let reply = match reply_from_event(&event) {
            Ok(reply) => reply,
            Err(ReplyError::NoToken) => {
                info!("flow completed without a flow_token: nothing to join (the event stays on the bus)");
                return Outcome::Skipped("no flow_token".into());
            }
            Err(e @ ReplyError::WrongType(_)) => {
                warn!(error = %e, "event routed here by mistake; acknowledged");
                return Outcome::Skipped(e.to_string());
            }
            Err(e) => return self.park(r, &e.to_string(), now).await,
        };
        let key = keys::flow_session(&reply.token);
        let session = match self.store.get(&key.pk, &key.sk).await {
            Ok(item) => item.as_ref().and_then(FlowSession::from_item),
            Err(e) => return Outcome::Retry(e.to_string()),
        };
        let flow = session.as_ref().map(|s| s.flow.as_str());
        let writes =
            [response_write(&reply, flow, now), close_from_reply(&reply.token, &reply.wamid, reply.occurred_at)];
        for w in writes {
            // ConditionFailed is "already stored" / "no session": both fine.
            if let Err(e) = self.store.write(w).await {
                return Outcome::Retry(e.to_string());
            }
        }
        debug!(known_session = session.is_some(), "flow response stored");
        Outcome::Stored
    }

    async fn park(&self, r: &QueueRecord, reason: &str, now: OffsetDateTime) -> Outcome {
        warn!(reason = %reason, "flow completion record parked");
        let poison = Poison { source: &self.source, record_id: &r.id, body: &r.body, reason, sent_at: r.sent_at };
        let unit = park_unit(&poison, now, self.mark_ttl_secs);
        match run_unit(&self.store, &self.bus, &unit, &self.publish).await {
            Ok(_) => Outcome::Parked(reason.to_string()),
            Err(e) => Outcome::Retry(e.to_string()),
        }
    }
}
