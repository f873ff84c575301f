//! The SQS batch path. Per record: parse the EventBridge body; a status goes through the
//! machine (read the message record — and its send record until joined — plan, publish the
//! plan's events, write; on a failed condition re-read and re-plan); a reply is checked as a
//! template click; anything that can never succeed is parked. Transient failures put only that
//! record in `batchItemFailures`.

use std::time::Duration;

use futures_util::future::join_all;
use tracing::{debug, info_span, warn, Instrument};

use wapipe_core::app::consumer::{run_batch, Consumer, Ctx, Failure, Handled, Prefetched};
use wapipe_core::app::feed;
use wapipe_core::app::publish::{load_event, park_record, publish_each, LoadError, Parking};
use wapipe_core::domain::events::{DomainEvent, EventType};
use wapipe_core::domain::feed::{Seen, Side};
use wapipe_core::domain::flows::token;
use wapipe_core::domain::keys::{self, Key};
use wapipe_core::domain::send_record::{EUM_MESSAGE_ID, REQUEST_ID};
use wapipe_core::domain::status::analytics::{plan_click, ClickInput, ClickPlan};
use wapipe_core::domain::status::machine::plan_status;
use wapipe_core::domain::status::{StatusInput, LINKED};
use wapipe_core::ports::{Bus, Clock, Item, PortError, Store, TransactOutcome, Write, WriteOutcome};

use crate::Config;

/// The send record's flow token (written by the send worker for interactive flow messages).
const FLOW_TOKEN: &str = "flow_token";

/// One record of a batch: an SQS message (or a local-mode queue message).
pub use wapipe_core::app::consumer::Record as RecordIn;

/// What happened to one record.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Applied; `changed` is false for a duplicate (already recorded, nothing written).
    Done {
        /// The message the status is about, or the reply of a click.
        wamid: String,
        /// Whether anything was written.
        changed: bool,
        /// Detail-types published (`whatsapp.message.failed` once per failed message).
        published: Vec<EventType>,
    },
    /// Not the tracker's business (a reply that is no template click, an unknown status
    /// string): acknowledged without a change.
    Ignored {
        /// Why, for the logs.
        reason: String,
    },
    /// Can never succeed: parked with `reason`, `ingest.rejected` published.
    Parked {
        /// The parking reason (the decoding layer and field).
        reason: String,
    },
    /// Failed for a reason that may pass: report it in `batchItemFailures`.
    Retry {
        /// The transient error, or what the join still waits for.
        error: String,
    },
}

wapipe_core::batch_report!(Outcome);

impl From<Handled<Outcome, PortError>> for Outcome {
    fn from(h: Handled<Outcome, PortError>) -> Outcome {
        match h {
            Handled::Done(o) => o,
            Handled::Parked { reason } => Outcome::Parked { reason },
            Handled::Retry { error, .. } => Outcome::Retry { error: error.to_string() },
        }
    }
}

type Handling = Result<Outcome, Failure<PortError>>;

/// The status tracker over its ports.
pub struct Tracker<S, B, C> {
    /// The table: message records (`MSG#{wamid}`), send records to join, template and pricing
    /// rows, parked records.
    pub store: S,
    /// EventBridge, for `whatsapp.message.failed` and parking events.
    pub bus: B,
    /// Now: parked records and the expiry of template click marks.
    pub clock: C,
    /// Tunables (see [`Config`]).
    pub config: Config,
}

fn retry(e: PortError) -> Handling {
    Err(Failure::from(e))
}

/// The send record or the join is not there yet: SQS delivers the record again.
fn waiting(why: impl Into<String>) -> Handling {
    retry(PortError::Transient { service: "status-tracker", op: "join", message: why.into() })
}

/// A record as `prepare` read it.
pub enum Input {
    /// A `whatsapp.message.status` event: goes through the status machine.
    Status(Box<StatusInput>),
    /// A `whatsapp.message.received` button or interactive reply with a context: a possible
    /// template click.
    Click(ClickInput),
    /// Not the tracker's business (another reply, another detail-type); why.
    Ignore(String),
    /// Can never succeed (not a wapipe event, a bad status detail); the parking reason.
    Park(String),
    /// The event could not be loaded (a spilled detail's table read failed).
    Retry(PortError),
}

/// What the tracker reads for a whole batch: each record's input, and the message and send
/// records those inputs name, in one `BatchGetItem`.
pub struct Prepared {
    inputs: Vec<Input>,
    items: Prefetched,
}

impl<S: Store, B: Bus, C: Clock> Consumer for Tracker<S, B, C> {
    type Done = Outcome;
    type Error = PortError;
    type Prepared = Prepared;

    fn key(&self, r: &RecordIn, index: usize, prepared: &Prepared) -> String {
        match prepared.inputs.get(index) {
            Some(Input::Status(s)) => s.wamid.clone(),
            Some(Input::Click(c)) => c.context_wamid.clone(),
            _ => r.id.clone(),
        }
    }

    async fn prepare(&self, records: &[RecordIn]) -> Prepared {
        let loaded = join_all(records.iter().map(|r| load_event(&self.store, &r.body))).await;
        let inputs: Vec<Input> = loaded.into_iter().map(input).collect();
        let mut keys = Vec::new();
        for i in &inputs {
            match i {
                Input::Status(s) => {
                    keys.push(keys::message(&s.wamid));
                    if let Some(rid) = s.request_id() {
                        keys.push(keys::send_request(rid));
                    }
                }
                Input::Click(c) => keys.push(keys::message(&c.context_wamid)),
                _ => {}
            }
        }
        Prepared { inputs, items: Prefetched::read(&self.store, keys).await }
    }

    async fn handle(&self, r: &RecordIn, ctx: Ctx<'_, Prepared>) -> Handling {
        let pre = ctx.first_of_key.then_some(ctx.prepared);
        match ctx.prepared.inputs.get(ctx.index) {
            Some(Input::Status(input)) => {
                let span = info_span!("status", wamid = %input.wamid, status = %input.status);
                self.status(input, r, pre).instrument(span).await
            }
            Some(Input::Click(click)) => {
                let span = info_span!("click", wamid = %click.wamid);
                self.click(click, r, pre).instrument(span).await
            }
            Some(Input::Ignore(reason)) => Ok(Outcome::Ignored { reason: reason.clone() }),
            Some(Input::Park(reason)) => Err(Failure::park(reason.clone())),
            Some(Input::Retry(e)) => retry(e.clone()),
            None => Err(Failure::park("internal: no input prepared for this record")),
        }
    }

    async fn park(&self, r: &RecordIn, reason: &str) -> Result<(), PortError> {
        let parking = Parking {
            source: &self.config.source,
            policy: &self.config.publish,
            mark_ttl_secs: self.config.mark_ttl_secs,
        };
        park_record(&self.store, &self.bus, &parking, r, reason, self.clock.now()).await
    }
}

/// The EUM message id a status is known by: the envelope's, else the one its message record
/// (or the send record it is being joined with now) holds.
fn feed_key<'a>(input: &'a StatusInput, msg: Option<&'a Item>, joining: Option<&'a Item>) -> Option<&'a str> {
    let of = |i: Option<&'a Item>| i.and_then(|i| i.get_str(EUM_MESSAGE_ID)).filter(|s| !s.is_empty());
    input.eum_message_id.as_deref().or_else(|| of(msg)).or_else(|| of(joining))
}

/// What a loaded event asks of the tracker.
fn input(loaded: Result<DomainEvent, LoadError>) -> Input {
    let event = match loaded {
        Ok(e) => e,
        Err(LoadError::Envelope(e)) => return Input::Park(e.to_string()),
        Err(LoadError::Port(e)) => return Input::Retry(e),
    };
    match event.detail_type {
        EventType::MessageStatus => match StatusInput::from_detail(&event.detail) {
            Ok(input) => Input::Status(Box::new(input)),
            Err(e) => Input::Park(e.to_string()),
        },
        EventType::MessageReceived => match ClickInput::from_detail(&event.detail) {
            Some(click) => Input::Click(click),
            None => Input::Ignore("not a button or interactive reply to a message".into()),
        },
        other => Input::Ignore(format!("{other} is not routed to the status tracker")),
    }
}

impl<S: Store, B: Bus, C: Clock> Tracker<S, B, C> {
    /// A tracker over these ports with this configuration.
    pub fn new(store: S, bus: B, clock: C, config: Config) -> Self {
        Tracker { store, bus, clock, config }
    }

    /// Process a batch through the consumer runtime: records of one message in order,
    /// different messages concurrently.
    pub async fn handle_batch(&self, records: &[RecordIn]) -> BatchReport {
        run_batch(self, records, &self.config.run).await.map(Outcome::from)
    }

    /// A read, from what `prepare` read when it may be trusted.
    async fn read(&self, pre: Option<&Prepared>, key: &Key) -> Result<Option<Item>, PortError> {
        match pre.and_then(|p| p.items.get(key)) {
            Some(item) => Ok(item),
            None => self.store.get(&key.pk, &key.sk).await,
        }
    }

    /// Apply one status: read, plan, publish, write; re-plan when a condition fails.
    async fn status(&self, input: &StatusInput, r: &RecordIn, pre: Option<&Prepared>) -> Handling {
        if input.kind.is_none() {
            debug!("unknown status string");
            return Ok(Outcome::Ignored { reason: format!("status `{}` is not one wapipe tracks", input.status) });
        }
        let key = keys::message(&input.wamid);
        let card = self.config.rate_card.as_deref();
        // The SNS side of the feed check, once per record (idempotent; beside the first write).
        let mut observed = false;
        for attempt in 0..self.config.max_attempts.max(1) {
            // The batch read serves the first attempt; a re-plan reads again.
            let pre = pre.filter(|_| attempt == 0);
            let msg = self.read(pre, &key).await?;
            let send = self.send_record(input, msg.as_ref(), pre).await?;
            let plan = plan_status(input, msg.as_ref(), send.as_ref(), card);
            let done = |changed: bool, published: Vec<EventType>| {
                self.link_wait(plan.link_pending, r, &input.wamid, changed, published)
            };
            let eum_id = feed_key(input, msg.as_ref(), send.as_ref().filter(|_| plan.linked));
            if plan.writes.is_empty() {
                debug!("duplicate");
                // A redelivery after a failed sighting: record it now.
                if !observed {
                    self.observe(input, eum_id).await?;
                }
                return done(false, Vec::new());
            }
            if plan.linked {
                self.link_flow_session(send.as_ref(), &input.wamid).await?;
            }
            let published = self.publish(&plan.events).await?;
            let sighting = async {
                if observed {
                    return Ok(());
                }
                self.observe(input, eum_id).await
            };
            let (sighting, executed) = tokio::join!(sighting, self.execute(plan.writes));
            sighting?;
            observed = true;
            match executed {
                Ok(true) => {
                    debug!(linked = plan.linked, counted = plan.counted.len(), priced = plan.priced, "applied");
                    return done(true, published);
                }
                Ok(false) => debug!(attempt, "condition failed: re-reading"),
                Err(e) if e.is_retryable() => self.pause(attempt).await,
                Err(e) => return retry(e),
            }
        }
        waiting(format!("message {} kept changing under {} attempts", input.wamid, self.config.max_attempts))
    }

    /// The SNS side's sighting of a status for the feed check (nothing when it is off, or when
    /// the message's EUM id is not known).
    async fn observe(&self, input: &StatusInput, eum_message_id: Option<&str>) -> Result<(), PortError> {
        let Some(eum_message_id) = eum_message_id else { return Ok(()) };
        let seen = Seen {
            side: Side::Sns,
            eum_message_id,
            status: &input.status,
            at: self.clock.now().unix_timestamp(),
            wamid: Some(&input.wamid),
            phone_number_id: Some(&input.phone_number_id),
        };
        feed::observe(&self.store, &self.config.feed, &seen).await
    }

    /// One feed sweep: `whatsapp.feed.gap` for each status only one of EUM's feeds reported
    /// past the threshold (docs/feeds.md). Scheduled by the stack.
    pub async fn sweep(&self) -> Result<feed::SweepReport, PortError> {
        feed::sweep(&self.store, &self.bus, &self.config.feed, &self.config.publish, self.clock.now()).await
    }

    /// The send record, read only while the message is not joined and names a request.
    async fn send_record(
        &self,
        input: &StatusInput,
        msg: Option<&Item>,
        pre: Option<&Prepared>,
    ) -> Result<Option<Item>, PortError> {
        if msg.is_some_and(|m| m.attrs.get(LINKED).is_some()) {
            return Ok(None);
        }
        match msg.and_then(|m| m.get_str(REQUEST_ID)).or(input.request_id()) {
            Some(rid) => self.read(pre, &keys::send_request(rid)).await,
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
    fn link_wait(
        &self,
        pending: bool,
        r: &RecordIn,
        wamid: &str,
        changed: bool,
        published: Vec<EventType>,
    ) -> Handling {
        if pending && r.receive_count < self.config.link_wait_receives {
            return waiting(format!(
                "send record of {wamid} not written yet: waiting for the join (receive {} of {})",
                r.receive_count, self.config.link_wait_receives
            ));
        }
        if pending {
            warn!("send record never appeared: acknowledged without the join");
        }
        Ok(Outcome::Done { wamid: wamid.to_string(), changed, published })
    }

    /// Count a template click once.
    async fn click(&self, click: &ClickInput, r: &RecordIn, pre: Option<&Prepared>) -> Handling {
        let msg = self.read(pre, &keys::message(&click.context_wamid)).await?;
        match plan_click(click, msg.as_ref(), self.clock.now(), self.config.mark_ttl_secs) {
            ClickPlan::Ignore(why) => Ok(Outcome::Ignored { reason: why.to_string() }),
            ClickPlan::LinkPending if r.receive_count < self.config.link_wait_receives => {
                waiting("the replied-to message is not joined to its send record yet")
            }
            ClickPlan::LinkPending => Ok(Outcome::Ignored { reason: "the replied-to message was never joined".into() }),
            ClickPlan::Count(writes) => match self.store.transact(writes).await? {
                TransactOutcome::Applied => {
                    Ok(Outcome::Done { wamid: click.wamid.clone(), changed: true, published: Vec::new() })
                }
                // Only the mark is conditional: the click was counted before.
                TransactOutcome::ConditionFailed(_) => {
                    Ok(Outcome::Done { wamid: click.wamid.clone(), changed: false, published: Vec::new() })
                }
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
        publish_each(&self.bus, &self.store, events, &self.config.publish).await
    }

    /// A short pause before retrying a transient store failure (e.g. a transaction conflict).
    async fn pause(&self, attempt: u32) {
        let ms = 5u64.saturating_mul(1 << attempt.min(6));
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
}
