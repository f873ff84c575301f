//! The SQS batch path. Per record: parse the EventBridge body; a status goes through the
//! machine (read the message record — and its send record until joined — plan, publish the
//! plan's events, write; on a failed condition re-read and re-plan); a reply is checked as a
//! template click; anything that can never succeed is parked. Transient failures put only that
//! record in `batchItemFailures`.

use std::time::Duration;

use tracing::{debug, info_span, warn, Instrument};

use wapipe_shared::domain::events::{parse_eventbridge_body, DomainEvent, EventType};
use wapipe_shared::domain::flows::token;
use wapipe_shared::domain::keys;
use wapipe_shared::domain::parking::{park_unit, Poison};
use wapipe_shared::domain::send_record::REQUEST_ID;
use wapipe_shared::domain::status::analytics::{plan_click, ClickInput, ClickPlan};
use wapipe_shared::domain::status::machine::plan_status;
use wapipe_shared::domain::status::{StatusInput, LINKED};
use wapipe_shared::ports::{Bus, Clock, Item, PortError, Store, TransactOutcome, Write, WriteOutcome};
use wapipe_shared::publish::{publish_each, run_unit};

use crate::Config;

/// The send record's flow token (written by the send worker for interactive flow messages).
const FLOW_TOKEN: &str = "flow_token";

/// One record of a batch: an SQS message (or a local-mode queue message).
pub use wapipe_shared::sqs_event::ConsumerRecord as RecordIn;

/// What happened to one record.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Applied; `changed` is false for a duplicate (already recorded, nothing written).
    Done { wamid: String, changed: bool, published: Vec<EventType> },
    /// Not the tracker's business (a reply that is no template click, an unknown status
    /// string): acknowledged without a change.
    Ignored { reason: String },
    /// Can never succeed: parked with `reason`, `ingest.rejected` published.
    Parked { reason: String },
    /// Failed for a reason that may pass: report it in `batchItemFailures`.
    Retry { error: String },
}

/// One outcome per record, in input order.
pub type BatchReport = wapipe_shared::sqs_event::BatchReport<Outcome>;

impl wapipe_shared::sqs_event::Retryable for Outcome {
    fn is_retry(&self) -> bool {
        matches!(self, Outcome::Retry { .. })
    }
}

/// The status tracker over its ports.
pub struct Tracker<S, B, C> {
    pub store: S,
    pub bus: B,
    pub clock: C,
    pub config: Config,
}

fn retry(e: impl std::fmt::Display) -> Outcome {
    Outcome::Retry { error: e.to_string() }
}

impl<S: Store, B: Bus, C: Clock> Tracker<S, B, C> {
    pub fn new(store: S, bus: B, clock: C, config: Config) -> Self {
        Tracker { store, bus, clock, config }
    }

    /// Process a batch, record by record, in order.
    pub async fn handle_batch(&self, records: &[RecordIn]) -> BatchReport {
        let mut report = BatchReport::default();
        for r in records {
            let outcome = self.handle_record(r).await;
            if let Outcome::Retry { error } = &outcome {
                warn!(record_id = %r.id, %error, "record will be retried");
            }
            report.outcomes.push((r.id.clone(), outcome));
        }
        report
    }

    async fn handle_record(&self, r: &RecordIn) -> Outcome {
        let event = match parse_eventbridge_body(&r.body) {
            Ok(e) => e,
            Err(e) => return self.park(r, &e.to_string()).instrument(info_span!("record", record_id = %r.id)).await,
        };
        match event.detail_type {
            EventType::MessageStatus => match StatusInput::from_detail(&event.detail) {
                Ok(input) => {
                    let span = info_span!("record", record_id = %r.id, wamid = %input.wamid, status = %input.status);
                    self.status(&input, r).instrument(span).await
                }
                Err(e) => self.park(r, &e.to_string()).instrument(info_span!("record", record_id = %r.id)).await,
            },
            EventType::MessageReceived => match ClickInput::from_detail(&event.detail) {
                Some(click) => {
                    let span = info_span!("record", record_id = %r.id, wamid = %click.wamid);
                    self.click(&click, r).instrument(span).await
                }
                None => Outcome::Ignored { reason: "not a button or interactive reply to a message".into() },
            },
            other => Outcome::Ignored { reason: format!("{other} is not routed to the status tracker") },
        }
    }

    /// Apply one status: read, plan, publish, write; re-plan when a condition fails.
    async fn status(&self, input: &StatusInput, r: &RecordIn) -> Outcome {
        if input.kind.is_none() {
            debug!("unknown status string");
            return Outcome::Ignored { reason: format!("status `{}` is not one wapipe tracks", input.status) };
        }
        let key = keys::message(&input.wamid);
        let card = self.config.rate_card.as_deref();
        for attempt in 0..self.config.max_attempts.max(1) {
            let msg = match self.store.get(&key.pk, &key.sk).await {
                Ok(m) => m,
                Err(e) => return retry(e),
            };
            let send = match self.send_record(input, msg.as_ref()).await {
                Ok(s) => s,
                Err(e) => return retry(e),
            };
            let plan = plan_status(input, msg.as_ref(), send.as_ref(), card);
            let done = |changed: bool, published: Vec<EventType>| {
                self.link_wait(plan.link_pending, r, &input.wamid, changed, published)
            };
            if plan.writes.is_empty() {
                debug!("duplicate");
                return done(false, Vec::new());
            }
            if plan.linked {
                if let Err(e) = self.link_flow_session(send.as_ref(), &input.wamid).await {
                    return retry(e);
                }
            }
            let published = match self.publish(&plan.events).await {
                Ok(p) => p,
                Err(e) => return retry(e),
            };
            match self.execute(plan.writes).await {
                Ok(true) => {
                    debug!(linked = plan.linked, counted = plan.counted.len(), priced = plan.priced, "applied");
                    return done(true, published);
                }
                Ok(false) => debug!(attempt, "condition failed: re-reading"),
                Err(e) if e.is_retryable() => self.pause(attempt).await,
                Err(e) => return retry(e),
            }
        }
        retry(format!("message {} kept changing under {} attempts", input.wamid, self.config.max_attempts))
    }

    /// The send record, read only while the message is not joined and names a request.
    async fn send_record(&self, input: &StatusInput, msg: Option<&Item>) -> Result<Option<Item>, PortError> {
        if msg.is_some_and(|m| m.attrs.get(LINKED).is_some()) {
            return Ok(None);
        }
        match msg.and_then(|m| m.get_str(REQUEST_ID)).or(input.request_id()) {
            Some(rid) => {
                let k = keys::send_request(rid);
                self.store.get(&k.pk, &k.sk).await
            }
            None => Ok(None),
        }
    }

    /// At the join: the wamid onto the flow session of a send record that issued a flow token
    /// (before the join is written, so a failure here is retried with the whole status).
    /// Idempotent; a token without a session is left alone.
    async fn link_flow_session(&self, send: Option<&Item>, wamid: &str) -> Result<(), PortError> {
        if let Some(t) = send.and_then(|s| s.get_str(FLOW_TOKEN)).filter(|t| !t.is_empty()) {
            self.store.write(token::link_wamid(t, wamid)).await?;
        }
        Ok(())
    }

    /// Done, unless the send record is still missing and waiting is still allowed.
    fn link_wait(&self, pending: bool, r: &RecordIn, wamid: &str, changed: bool, published: Vec<EventType>) -> Outcome {
        if pending && r.receive_count < self.config.link_wait_receives {
            return retry(format!(
                "send record of {wamid} not written yet: waiting for the join (receive {} of {})",
                r.receive_count, self.config.link_wait_receives
            ));
        }
        if pending {
            warn!("send record never appeared: acknowledged without the join");
        }
        Outcome::Done { wamid: wamid.to_string(), changed, published }
    }

    /// Count a template click once.
    async fn click(&self, click: &ClickInput, r: &RecordIn) -> Outcome {
        let key = keys::message(&click.context_wamid);
        let msg = match self.store.get(&key.pk, &key.sk).await {
            Ok(m) => m,
            Err(e) => return retry(e),
        };
        match plan_click(click, msg.as_ref(), self.clock.now(), self.config.mark_ttl_secs) {
            ClickPlan::Ignore(why) => Outcome::Ignored { reason: why.to_string() },
            ClickPlan::LinkPending if r.receive_count < self.config.link_wait_receives => {
                retry("the replied-to message is not joined to its send record yet")
            }
            ClickPlan::LinkPending => Outcome::Ignored { reason: "the replied-to message was never joined".into() },
            ClickPlan::Count(writes) => match self.store.transact(writes).await {
                Ok(TransactOutcome::Applied) => {
                    Outcome::Done { wamid: click.wamid.clone(), changed: true, published: Vec::new() }
                }
                // Only the mark is conditional: the click was counted before.
                Ok(TransactOutcome::ConditionFailed(_)) => {
                    Outcome::Done { wamid: click.wamid.clone(), changed: false, published: Vec::new() }
                }
                Err(e) => retry(e),
            },
        }
    }

    /// One conditional update, or one transaction; `false` when a condition failed.
    async fn execute(&self, mut writes: Vec<Write>) -> Result<bool, PortError> {
        if writes.len() == 1 {
            if let Some(w) = writes.pop() {
                return Ok(self.store.write(w).await? == WriteOutcome::Applied);
            }
        }
        Ok(self.store.transact(writes).await? == TransactOutcome::Applied)
    }

    async fn publish(&self, events: &[DomainEvent]) -> Result<Vec<EventType>, PortError> {
        publish_each(&self.bus, events, &self.config.publish).await
    }

    /// A short pause before retrying a transient store failure (e.g. a transaction conflict).
    async fn pause(&self, attempt: u32) {
        let ms = 5u64.saturating_mul(1 << attempt.min(6));
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }

    /// Park a record that can never succeed (`wapipe_shared::domain::parking`).
    async fn park(&self, r: &RecordIn, reason: &str) -> Outcome {
        warn!(%reason, "parking record");
        let poison =
            Poison { source: &self.config.source, record_id: &r.id, body: &r.body, reason, sent_at: r.sent_at };
        let unit = park_unit(&poison, self.clock.now(), self.config.mark_ttl_secs);
        match run_unit(&self.store, &self.bus, &unit, &self.config.publish).await {
            Ok(_) => Outcome::Parked { reason: reason.to_string() },
            Err(e) => retry(e),
        }
    }
}
