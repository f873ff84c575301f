//! The SQS batch path (rule `QualityRule`): per record, parse the EventBridge body and merge
//! what it observes. A body that can never be processed is parked
//! (`wapipe_core::domain::parking`); a transient failure puts only that record in
//! `batchItemFailures`.

use serde_json::Value;
use wapipe_core::app::consumer::{run_batch, Consumer, Ctx, Failure, Handled};
use wapipe_core::app::publish::{park_record, Events, Parking};
use wapipe_core::domain::events::{DomainEvent, EventType};
use wapipe_core::domain::keys;
use wapipe_core::domain::quality::observe::{
    account_observed, phone_quality_observed, row_id, sort_time, template_observation, Subject, ACCOUNT_CHANGE_FIELDS,
    PHONE_CHANGE_FIELDS,
};
use wapipe_core::domain::quality::Source;
use wapipe_core::ports::{Bus, Clock, PortError, Store};

use crate::announce::{Merge, Merged};
use crate::Snapshotter;

/// Template fields whose change is announced.
const TEMPLATE_CHANGE_FIELDS: &[&str] = &["status", "quality", "category"];

/// One SQS record (or a local-mode queue message).
pub use wapipe_core::app::consumer::Record as RecordIn;

/// What happened to one record.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Merged (and stored in the history); `changed` lists the fields announced.
    Done {
        /// Names of the fields whose change was announced (may be empty).
        changed: Vec<String>,
    },
    /// Acknowledged without a merge: a detail-type not routed to this function.
    Ignored {
        /// Why, for the logs.
        reason: String,
    },
    /// Can never be processed (not a wapipe event, a missing or bad field): parked under
    /// `PARKED#quality-snapshotter` and acknowledged.
    Parked {
        /// The parking reason, naming the detail-type and the problem.
        reason: String,
    },
    /// A transient failure (table, bus, or a merge that kept conflicting): reported in
    /// `batchItemFailures`, so SQS delivers the record again.
    Retry {
        /// The error, for the logs.
        error: String,
    },
}

wapipe_core::batch_report!(Outcome);

fn done(m: Result<Merged, PortError>) -> Outcome {
    match m {
        Ok(m) => Outcome::Done { changed: m.changes.iter().map(|c| c.field.to_string()).collect() },
        Err(e) => Outcome::Retry { error: e.to_string() },
    }
}

impl<S: Store, B: Bus, A: Sync, C: Clock> Consumer for Snapshotter<S, B, A, C> {
    type Done = Outcome;
    type Error = PortError;
    type Prepared = Events;

    /// A number's (else an account's) observations run in order.
    fn key(&self, r: &RecordIn, index: usize, events: &Events) -> String {
        events.key(index, &["phone_number_id", "waba_id"], r)
    }

    async fn prepare(&self, records: &[RecordIn]) -> Events {
        Events::load(&self.store, records).await
    }

    async fn handle(&self, _: &RecordIn, ctx: Ctx<'_, Events>) -> Result<Outcome, Failure<PortError>> {
        let event = ctx.prepared.event(ctx.index)?;
        match self.handle_event(event).await {
            Ok(Outcome::Retry { error }) => {
                Err(Failure::from(PortError::Transient { service: "quality-snapshotter", op: "merge", message: error }))
            }
            Ok(o) => Ok(o),
            Err(reason) => Err(Failure::park(format!("{}: {reason}", event.detail_type))),
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

impl<S: Store, B: Bus, A: Sync, C: Clock> Snapshotter<S, B, A, C> {
    /// Process a batch through the consumer runtime: one number's records in order,
    /// different numbers concurrently.
    pub async fn handle_batch(&self, records: &[RecordIn]) -> BatchReport {
        run_batch(self, records, &self.config.run).await.map(|h| match h {
            Handled::Done(o) => o,
            Handled::Parked { reason } => Outcome::Parked { reason },
            Handled::Retry { error, .. } => Outcome::Retry { error: error.to_string() },
        })
    }

    /// Merge what one event observes; `Err`: it can never be processed (park it).
    async fn handle_event(&self, event: &DomainEvent) -> Result<Outcome, String> {
        match event.detail_type {
            EventType::PhoneQuality => self.phone_quality(event).await,
            EventType::TemplateUpdated => self.template(event).await,
            EventType::AccountUpdated => self.account(event).await,
            other => Ok(Outcome::Ignored { reason: format!("{other} is not routed to the quality snapshotter") }),
        }
    }
    async fn phone_quality(&self, e: &DomainEvent) -> Result<Outcome, String> {
        let (facts, observed) = phone_quality_observed(&e.detail)?;
        let at = sort_time(facts.occurred_at);
        let phone = facts.phone_number_id.as_str();
        let id = if facts.event_id.is_empty() {
            row_id(&[phone, &at, "webhook"])
        } else {
            facts.event_id.chars().take(12).collect()
        };
        let extra = [("waba_id", Value::from(facts.waba_id.as_str()))];
        let m = Merge {
            key: keys::quality_latest(phone),
            observed: &observed,
            extra: if facts.waba_id.is_empty() { &[] } else { &extra },
            subject: Subject { kind: "phone", waba_id: &facts.waba_id, phone_number_id: phone, template: None },
            announce: PHONE_CHANGE_FIELDS,
            source: Source::Webhook,
            observed_at: facts.occurred_at,
            history: keys::quality_entry(phone, &at, &id),
            event: facts.event.as_deref(),
        };
        Ok(done(self.merge(&m).await))
    }

    async fn template(&self, e: &DomainEvent) -> Result<Outcome, String> {
        let (facts, obs) = template_observation(&e.detail)?;
        let at = sort_time(facts.occurred_at);
        let id = row_id(&[&facts.event_id, &at, "template"]);
        let observed = obs.observed();
        let extra = obs.extra();
        let m = Merge {
            key: obs.key(),
            observed: &observed,
            extra: &extra,
            subject: Subject {
                kind: "template",
                waba_id: &facts.waba_id,
                phone_number_id: &facts.phone_number_id,
                template: Some((&obs.name, &obs.language)),
            },
            announce: TEMPLATE_CHANGE_FIELDS,
            source: Source::Webhook,
            observed_at: facts.occurred_at,
            history: keys::template_entry(&obs.waba_id, &obs.name, &obs.language, &at, &id),
            event: facts.event.as_deref().or(e.detail.get("change").and_then(Value::as_str)),
        };
        Ok(done(self.merge(&m).await))
    }

    async fn account(&self, e: &DomainEvent) -> Result<Outcome, String> {
        let (facts, observed) = account_observed(&e.detail)?;
        let at = sort_time(facts.occurred_at);
        let id = row_id(&[&facts.event_id, &at, "account"]);
        let m = Merge {
            key: keys::account_latest(&facts.waba_id),
            observed: &observed,
            extra: &[],
            subject: Subject {
                kind: "account",
                waba_id: &facts.waba_id,
                phone_number_id: &facts.phone_number_id,
                template: None,
            },
            announce: ACCOUNT_CHANGE_FIELDS,
            source: Source::Webhook,
            observed_at: facts.occurred_at,
            history: keys::account_entry(&facts.waba_id, &at, &id),
            event: facts.event.as_deref().or(e.detail.get("change").and_then(Value::as_str)),
        };
        Ok(done(self.merge(&m).await))
    }
}
