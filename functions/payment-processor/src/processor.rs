//! The SQS batch path: parse the EventBridge body, dispatch by detail-type, and report only the
//! records that may pass later in `batchItemFailures`. Poison records are parked.

use std::time::Duration;

use time::OffsetDateTime;
use tracing::warn;

use wapipe_core::app::consumer::{run_batch, Consumer, Ctx, Failure, Handled};
use wapipe_core::app::conversions::{Conversions, Outcome as ConversionOutcome};
use wapipe_core::app::publish::{park_record, publish_each, Events, LoadError, Parking};
use wapipe_core::domain::events::{DomainEvent, EventType};
use wapipe_core::domain::keys;
use wapipe_core::domain::payments::events::{rejected, Subject};
use wapipe_core::domain::payments::order::{OrderView, RefundView};
use wapipe_core::ports::conversions::{ConversionsApi, NoConversions};
use wapipe_core::ports::gateway::{Gateway, ManualGateway};
use wapipe_core::ports::{Bus, Clock, PortError, Store, TransactOutcome, Write, WriteOutcome};

use crate::inputs::{MarkPaid, PaymentUpdate, RefundRequest, RefundSettled};
use crate::Config;

/// One record of a batch (an SQS message, or a local-mode queue message).
pub use wapipe_core::app::consumer::Record as RecordIn;

/// What happened to one record.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Applied (or already applied: `changed` false); the events it published.
    Done {
        /// `false` when the table already held this transition (a redelivery): the events are
        /// published again with the same ids.
        changed: bool,
        /// Detail-types of the events published, in order.
        published: Vec<EventType>,
    },
    /// Refused with a `whatsapp.payment.rejected` event: `reason` is its code.
    Rejected {
        /// The rejection code (`unknown_reference`, `amount_mismatch`, …).
        reason: String,
    },
    /// Acknowledged without change or event: a payment status word wapipe does not apply, or a
    /// detail-type not routed to this function.
    Ignored {
        /// Why, for the logs.
        reason: String,
    },
    /// Can never succeed (not a wapipe event, a missing or bad field): parked under
    /// `PARKED#payment-processor` and acknowledged.
    Parked {
        /// The parking reason, naming the detail-type and the field.
        reason: String,
    },
    /// May pass later: reported in `batchItemFailures`.
    Retry {
        /// The transient error (table, bus or gateway).
        error: String,
    },
}

wapipe_core::batch_report!(Outcome);

pub(crate) fn retry(e: impl std::fmt::Display) -> Outcome {
    Outcome::Retry { error: e.to_string() }
}

/// The processor over its ports. `G` is the automatic refund gateway (Razorpay) for the
/// payment configurations in `Config::gateway_configurations`; every other order is refunded
/// through [`ManualGateway`]. `V` is the Conversions API client of the click-to-WhatsApp
/// conversions this function also reports ([`Processor::with_conversions`]).
pub struct Processor<S, B, C, G, V = NoConversions> {
    /// The table: orders, refunds and gateway refunds (`PAYMENT#{reference_id}`), parked records.
    pub store: S,
    /// EventBridge: `whatsapp.payment.*`, `whatsapp.refund.updated`, `whatsapp.send.requested`
    /// (`order_status`) and parking events.
    pub bus: B,
    /// Time of transitions, and the sweep's cutoff.
    pub clock: C,
    /// The automatic refund gateway (Razorpay); `None` when `WAPIPE_RAZORPAY_KEY` is unset or
    /// `manual`, and then every refund is manual.
    pub gateway: Option<G>,
    /// Tunables (see [`Config`]).
    pub config: Config,
    /// Conversions (`whatsapp.payment.captured`, `whatsapp.flow.completed` → Meta's
    /// Conversions API, `ConversionsRule`); `None`: those events are acknowledged and ignored.
    pub conversions: Option<Conversions<V>>,
}

/// The input a rejection answers.
pub(crate) struct Input<'a> {
    pub detail_type: EventType,
    pub event_id: &'a str,
    pub receive_count: u32,
}

impl<S: Store, B: Bus, C: Clock, G: Gateway> Processor<S, B, C, G> {
    /// A processor over these ports, with `gateway` for automatic refunds (or none), and no
    /// conversions.
    pub fn new(store: S, bus: B, clock: C, gateway: Option<G>, config: Config) -> Self {
        Processor { store, bus, clock, gateway, config, conversions: None }
    }

    /// The same processor, also reporting conversions through `conversions`.
    pub fn with_conversions<V: ConversionsApi>(self, conversions: Conversions<V>) -> Processor<S, B, C, G, V> {
        let Processor { store, bus, clock, gateway, config, .. } = self;
        Processor { store, bus, clock, gateway, config, conversions: Some(conversions) }
    }
}

impl<S: Store, B: Bus, C: Clock, G: Gateway, V: ConversionsApi> Processor<S, B, C, G, V> {
    /// Process a batch through the consumer runtime: records of one order (reference id) in
    /// order, different orders concurrently.
    pub async fn handle_batch(&self, records: &[RecordIn]) -> BatchReport {
        run_batch(self, records, &self.config.run).await.map(|h| match h {
            Handled::Done(o) => o,
            Handled::Parked { reason } => Outcome::Parked { reason },
            Handled::Retry { error, .. } => Outcome::Retry { error: error.to_string() },
        })
    }

    /// One record, from its loaded event.
    pub async fn handle_event(&self, r: &RecordIn, loaded: Option<&Result<DomainEvent, LoadError>>) -> Outcome {
        let event = match loaded {
            Some(Ok(e)) => e,
            Some(Err(LoadError::Port(e))) => return retry(e),
            Some(Err(LoadError::Envelope(e))) => return self.park(r, &e.to_string()).await,
            None => return self.park(r, "internal: no event loaded for this record").await,
        };
        let input =
            Input { detail_type: event.detail_type, event_id: event.event_id(), receive_count: r.receive_count };
        let d = &event.detail;
        let park = |e: String| async move { self.park(r, &format!("{}: {e}", event.detail_type)).await };
        match event.detail_type {
            EventType::PaymentUpdated => match PaymentUpdate::from_detail(d) {
                Ok(p) => self.payment_updated(p, &input).await,
                Err(e) => park(e).await,
            },
            EventType::RefundRequested => match RefundRequest::from_detail(d) {
                Ok(p) => self.refund_requested(p, &input).await,
                Err(e) => park(e).await,
            },
            EventType::PaymentMarkPaid => match MarkPaid::from_detail(d) {
                Ok(p) => self.mark_paid(p, &input).await,
                Err(e) => park(e).await,
            },
            EventType::RefundSettled => match RefundSettled::from_detail(d) {
                Ok(p) => self.refund_settled(p, &input).await,
                Err(e) => park(e).await,
            },
            EventType::PaymentCaptured | EventType::FlowCompleted | EventType::SendAccepted => {
                self.convert(event).await
            }
            other => Outcome::Ignored { reason: format!("{other} is not routed to the payment processor") },
        }
    }

    /// Report the event's conversions (if a rule maps it and the contact came from an ad).
    async fn convert(&self, event: &DomainEvent) -> Outcome {
        let Some(c) = self.conversions.as_ref().filter(|c| c.wants(event.detail_type)) else {
            return Outcome::Ignored { reason: format!("no conversion rule for {}", event.detail_type) };
        };
        match c.handle(&self.store, event, self.now()).await {
            Ok(outcomes) => {
                tracing::info!(?outcomes, detail_type = %event.detail_type, "conversions");
                Outcome::Done {
                    changed: outcomes.iter().any(|o| matches!(o, ConversionOutcome::Sent { .. })),
                    published: Vec::new(),
                }
            }
            Err(e) if e.is_transient() => retry(e),
            Err(e) => Outcome::Ignored { reason: format!("conversion not reported: {e}") },
        }
    }

    /// The gateway for an order: the automatic one for its configuration, else manual.
    pub(crate) fn gateway_for(&self, o: &OrderView) -> Option<&G> {
        use wapipe_core::domain::payments::capability::PaymentKind;
        let c = &self.config.gateway_configurations;
        let automatic = o.kind == PaymentKind::IndiaGateway && (c.contains("*") || c.contains(&o.configuration));
        self.gateway.as_ref().filter(|_| automatic)
    }

    pub(crate) fn gateway_name(&self, o: &OrderView) -> &'static str {
        self.gateway_for(o).map(|g| g.name()).unwrap_or(ManualGateway.name())
    }

    pub(crate) fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    pub(crate) async fn order(&self, reference_id: &str) -> Result<Option<OrderView>, PortError> {
        let k = keys::payment(reference_id);
        match self.store.get(&k.pk, &k.sk).await? {
            Some(item) => OrderView::from_item(&item).map(Some).map_err(|message| PortError::Permanent {
                service: "payments",
                op: "read order",
                message,
            }),
            None => Ok(None),
        }
    }

    pub(crate) async fn refund(&self, reference_id: &str, key: &str) -> Result<Option<RefundView>, PortError> {
        let k = keys::refund(reference_id, key);
        match self.store.get(&k.pk, &k.sk).await? {
            Some(item) => RefundView::from_item(&item).map(Some).map_err(|message| PortError::Permanent {
                service: "payments",
                op: "read refund",
                message,
            }),
            None => Ok(None),
        }
    }

    /// One conditional write or one transaction; `false` when a condition failed.
    pub(crate) async fn execute(&self, mut writes: Vec<Write>) -> Result<bool, PortError> {
        if writes.len() == 1 {
            if let Some(w) = writes.pop() {
                return Ok(self.store.write(w).await? == WriteOutcome::Applied);
            }
        }
        Ok(self.store.transact(writes).await? == TransactOutcome::Applied)
    }

    pub(crate) async fn publish(&self, events: &[DomainEvent]) -> Result<Vec<EventType>, PortError> {
        publish_each(&self.bus, &self.store, events, &self.config.publish).await
    }

    /// Publish `whatsapp.payment.rejected` and answer `Rejected`.
    pub(crate) async fn reject(&self, s: Subject<'_>, code: &str, message: &str) -> Outcome {
        warn!(reason = code, %message, "rejected");
        match self.publish(&[rejected(&s, code, message, self.now())]).await {
            Ok(_) => Outcome::Rejected { reason: code.to_string() },
            Err(e) => retry(e),
        }
    }

    pub(crate) fn subject<'a>(&self, input: &'a Input<'a>, reference_id: &'a str) -> Subject<'a> {
        Subject {
            input: input.detail_type.as_str(),
            input_id: input.event_id,
            reference_id: Some(reference_id),
            ..Subject::default()
        }
    }

    /// A short pause before retrying a transient store failure (e.g. a transaction conflict).
    pub(crate) async fn pause(&self, attempt: u32) {
        let ms = 5u64.saturating_mul(1 << attempt.min(6));
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }

    async fn park(&self, r: &RecordIn, reason: &str) -> Outcome {
        match Consumer::park(self, r, reason).await {
            Ok(()) => Outcome::Parked { reason: reason.to_string() },
            Err(e) => retry(e),
        }
    }
}

impl<S: Store, B: Bus, C: Clock, G: Gateway, V: ConversionsApi> Consumer for Processor<S, B, C, G, V> {
    type Done = Outcome;
    type Error = PortError;
    type Prepared = Events;

    /// Records of one order run in order.
    fn key(&self, r: &RecordIn, index: usize, events: &Events) -> String {
        events.key(index, &["reference_id"], r)
    }

    async fn prepare(&self, records: &[RecordIn]) -> Events {
        Events::load(&self.store, records).await
    }

    async fn handle(&self, r: &RecordIn, ctx: Ctx<'_, Events>) -> Result<Outcome, Failure<PortError>> {
        match self.handle_event(r, ctx.prepared.get(ctx.index)).await {
            // The processor's own failures are text until its error type lands.
            Outcome::Retry { error } => {
                Err(Failure::from(PortError::Transient { service: "payment-processor", op: "handle", message: error }))
            }
            other => Ok(other),
        }
    }

    async fn park(&self, r: &RecordIn, reason: &str) -> Result<(), PortError> {
        warn!(%reason, "parking record");
        let parking = Parking {
            source: &self.config.source,
            policy: &self.config.publish,
            mark_ttl_secs: self.config.mark_ttl_secs,
        };
        park_record(&self.store, &self.bus, &parking, r, reason, self.now()).await
    }
}
