//! Flow responses: the `whatsapp.flow.completed` events ingest publishes (an EventBridge rule
//! puts them on this function's queue) are stored beside their session and close it.
//!
//! Per record: read the session (for its flow), put the response (conditional: a redelivery is
//! a no-op), close the session (no-op without one). Two writes per completion, none in ingest.
//! A body that is not a wapipe event is parked (`PARKED#flow-endpoint`) and acknowledged.

use tracing::{debug, info, warn};
use wapipe_core::app::consumer::{run_batch, Consumer, Ctx, Failure, Options};
use wapipe_core::app::publish::{park_record, write_all, Events, Parking, RetryPolicy};
use wapipe_core::domain::events::DomainEvent;
use wapipe_core::domain::flows::responses::{reply_from_event, response_write, ReplyError};
use wapipe_core::domain::flows::token::{close_from_reply, FlowSession};
use wapipe_core::domain::keys;
use wapipe_core::ports::{Bus, Clock, PortError, Store};

/// One queue record.
pub use wapipe_core::app::consumer::Record as QueueRecord;

/// What a stored or skipped record came to (parking and retries are the runtime's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The response is stored (or already was).
    Stored,
    /// Acknowledged without storing: not a completion, or one without a token.
    Skipped(String),
}

/// The SQS side: stores each `whatsapp.flow.completed` beside its session (`RESPONSE#…`) and
/// closes the session; see the module docs.
pub struct Completions<S, B, C> {
    /// The table: sessions (`FLOW#{token}`), their responses, parked records and their marks.
    pub store: S,
    /// EventBridge: used only for `whatsapp.ingest.rejected` when a record is parked.
    pub bus: B,
    /// Time of the response rows and of parked records.
    pub clock: C,
    /// `PARKED#<source>`.
    pub source: String,
    /// Retries of the parking event's publish (default: 4 rounds, waits of 50 ms up to 1 s).
    pub publish: RetryPolicy,
    /// Lifetime in seconds of the dedupe mark a parked body leaves, so the same poison body is
    /// parked once (default 7 days).
    pub mark_ttl_secs: i64,
    /// How many flow tokens of a batch are handled at once.
    pub run: Options,
}

impl<S: Store, B: Bus, C: Clock> Completions<S, B, C> {
    /// Completions over these ports with the defaults: parked records under
    /// `PARKED#flow-endpoint`, marks kept 7 days, every flow token of a batch at once.
    pub fn new(store: S, bus: B, clock: C) -> Self {
        Completions {
            store,
            bus,
            clock,
            source: "flow-endpoint".into(),
            publish: RetryPolicy::default(),
            mark_ttl_secs: 7 * 24 * 3600,
            run: Options::default(),
        }
    }

    /// Handle a batch through the consumer runtime (one flow token's completions in order,
    /// different tokens concurrently); the ids of the records to retry.
    pub async fn handle_batch(&self, records: &[QueueRecord]) -> Vec<String> {
        run_batch(self, records, &self.run).await.failures()
    }

    /// One record, from its loaded event.
    async fn handle_event(&self, event: &DomainEvent) -> Result<Outcome, Failure<PortError>> {
        let now = self.clock.now();
        let reply = match reply_from_event(event) {
            Ok(reply) => reply,
            Err(ReplyError::NoToken) => {
                info!("flow completed without a flow_token: nothing to join (the event stays on the bus)");
                return Ok(Outcome::Skipped("no flow_token".into()));
            }
            Err(e @ ReplyError::WrongType(_)) => {
                warn!(error = %e, "event routed here by mistake; acknowledged");
                return Ok(Outcome::Skipped(e.to_string()));
            }
            Err(e) => return Err(Failure::park(e.to_string())),
        };
        let key = keys::flow_session(&reply.token);
        let session = self.store.get(&key.pk, &key.sk).await?.as_ref().and_then(FlowSession::from_item);
        let flow = session.as_ref().map(|s| s.flow.as_str());
        // Two items, written together; ConditionFailed is "already stored" / "no session".
        let writes =
            vec![response_write(&reply, flow, now), close_from_reply(&reply.token, &reply.wamid, reply.occurred_at)];
        write_all(&self.store, writes).await?;
        debug!(known_session = session.is_some(), "flow response stored");
        Ok(Outcome::Stored)
    }
}

impl<S: Store, B: Bus, C: Clock> Consumer for Completions<S, B, C> {
    type Done = Outcome;
    type Error = PortError;
    type Prepared = Events;

    /// A flow token's completions run in order.
    fn key(&self, r: &QueueRecord, index: usize, events: &Events) -> String {
        events.key(index, &["flow_token"], r)
    }

    async fn prepare(&self, records: &[QueueRecord]) -> Events {
        Events::load(&self.store, records).await
    }

    async fn handle(&self, _: &QueueRecord, ctx: Ctx<'_, Events>) -> Result<Outcome, Failure<PortError>> {
        self.handle_event(ctx.prepared.event(ctx.index)?).await
    }

    async fn park(&self, r: &QueueRecord, reason: &str) -> Result<(), PortError> {
        warn!(reason = %reason, "flow completion record parked");
        let parking = Parking { source: &self.source, policy: &self.publish, mark_ttl_secs: self.mark_ttl_secs };
        park_record(&self.store, &self.bus, &parking, r, reason, self.clock.now()).await
    }
}
