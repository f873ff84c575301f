//! The SQS batch path: decode → dedupe → state → publish → record, per record, with partial
//! batch failures. See `wapipe_shared::domain::unit` for why the steps run in this order.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;

use time::OffsetDateTime;
use tracing::{debug, info_span, warn, Instrument};

use wapipe_shared::domain::envelope::{decode_body, Inbound};
use wapipe_shared::domain::events::{rfc3339, DomainEvent, EventType};
use wapipe_shared::domain::keys;
use wapipe_shared::domain::normalize::normalize;
use wapipe_shared::domain::parking::{park_unit, Poison};
use wapipe_shared::domain::unit::{NormalizeContext, Unit};
use wapipe_shared::ports::{Clock, Item, PortError, Store, Write, WriteOutcome};
use wapipe_shared::publish::publish_all;

use crate::Config;

/// One record of a batch: an SQS message, or a body from the CLI or the Function URL.
#[derive(Clone, Debug)]
pub struct RecordIn {
    /// SQS `messageId` (stable across redeliveries), or a caller-chosen id.
    pub id: String,
    pub body: String,
    /// When the record was first sent (SQS `SentTimestamp`); keys parked records deterministically.
    pub sent_at: Option<OffsetDateTime>,
}

/// What happened to one record.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Fully processed: `published` events, `duplicates` units already done before.
    Done { units: usize, duplicates: usize, published: Vec<EventType> },
    /// Can never succeed: parked in the table with `reason`, `ingest.rejected` published.
    Parked { reason: String, published: Vec<EventType> },
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

/// A record's work after decoding.
struct Prepared {
    units: Vec<Unit>,
    duplicates: usize,
    /// Set when the record can never succeed: its one unit parks it.
    parked: Option<String>,
}

enum Stage {
    Ready(Prepared),
    Retry(String),
}

/// The ingest function over its ports.
pub struct Ingest<S, B, C> {
    pub store: S,
    pub bus: B,
    pub clock: C,
    pub config: Config,
    /// Phone registry entries this process already wrote (meta phone id → EUM ARN), so the
    /// registry costs one write per phone per container, not one per event.
    known_phones: Mutex<HashMap<String, String>>,
}

impl<S: Store, B: wapipe_shared::ports::Bus, C: Clock> Ingest<S, B, C> {
    pub fn new(store: S, bus: B, clock: C, config: Config) -> Self {
        Ingest { store, bus, clock, config, known_phones: Mutex::new(HashMap::new()) }
    }

    /// Process one batch. Records are staged in order; events of the whole batch are published
    /// together in chunks of 10; a record is done only when all its events are accepted.
    pub async fn handle_batch(&self, records: &[RecordIn]) -> BatchReport {
        let now = self.clock.now();
        let mut stages = Vec::with_capacity(records.len());
        // Marks claimed earlier in this batch: a duplicate inside one batch counts once.
        let mut batch_marks = HashSet::new();
        for r in records {
            let span = info_span!("record", record_id = %r.id);
            let stage = self.stage(r, now, &mut batch_marks).instrument(span).await;
            stages.push(stage);
        }

        // Events to publish, each with the index of its record.
        let mut events: Vec<DomainEvent> = Vec::new();
        let mut owner: Vec<usize> = Vec::new();
        for (i, stage) in stages.iter_mut().enumerate() {
            if let Stage::Ready(p) = stage {
                // Moved, not copied: after publishing only the detail-types are reported.
                for e in p.units.iter_mut().flat_map(|u| u.events.drain(..)) {
                    events.push(e);
                    owner.push(i);
                }
            }
        }

        let results = publish_all(&self.bus, &events, &self.config.publish).await;
        let mut publish_error: Vec<Option<String>> = vec![None; records.len()];
        let mut published: Vec<Vec<EventType>> = vec![Vec::new(); records.len()];
        for ((res, &i), e) in results.iter().zip(&owner).zip(&events) {
            match res {
                Ok(()) => published[i].push(e.detail_type),
                Err(err) => {
                    warn!(record_id = %records[i].id, detail_type = %e.detail_type, error = %err, "publish failed");
                    publish_error[i].get_or_insert_with(|| err.to_string());
                }
            }
        }

        let mut report = BatchReport::default();
        for (i, (r, stage)) in records.iter().zip(stages).enumerate() {
            let outcome = match (stage, publish_error[i].take()) {
                (Stage::Retry(error), _) | (Stage::Ready(_), Some(error)) => Outcome::Retry { error },
                (Stage::Ready(p), None) => {
                    let (units, duplicates, parked) = (p.units.len(), p.duplicates, p.parked.clone());
                    match (self.finish(p).await, parked) {
                        (Err(e), _) => Outcome::Retry { error: e.to_string() },
                        (Ok(()), Some(reason)) => {
                            Outcome::Parked { reason, published: std::mem::take(&mut published[i]) }
                        }
                        (Ok(()), None) => Outcome::Done {
                            units: units + duplicates,
                            duplicates,
                            published: std::mem::take(&mut published[i]),
                        },
                    }
                }
            };
            if let Outcome::Retry { error } = &outcome {
                warn!(record_id = %r.id, %error, "record will be retried");
            }
            report.outcomes.push((r.id.clone(), outcome));
        }
        report
    }

    /// Decode, normalise and dedupe one record, and apply its `before` writes.
    async fn stage(&self, r: &RecordIn, now: OffsetDateTime, batch_marks: &mut HashSet<keys::Key>) -> Stage {
        let (units, registry, parked) = match self.decode(r, now) {
            Ok((units, inbound)) => {
                let registry = self.registry_write(&inbound, now);
                (units, registry.map(|(phone, w)| (phone, w, inbound)), None)
            }
            Err(reason) => (vec![self.park_unit(r, &reason, now)], None, Some(reason)),
        };
        let mut fresh: Vec<Unit> = Vec::with_capacity(units.len());
        let mut duplicates = 0;
        for u in units {
            if batch_marks.contains(&u.mark) {
                duplicates += 1;
                continue;
            }
            match self.store.get(&u.mark.pk, &u.mark.sk).await {
                Ok(Some(_)) => {
                    debug!(unit = %u.label, "duplicate");
                    duplicates += 1;
                }
                Ok(None) => {
                    batch_marks.insert(u.mark.clone());
                    fresh.push(u);
                }
                Err(e) => return Stage::Retry(e.to_string()),
            }
        }
        let registry_write = registry.as_ref().map(|(_, w, _)| w.clone());
        let before = registry_write.into_iter().chain(fresh.iter_mut().flat_map(|u| u.before.drain(..)));
        for w in before {
            if let Err(e) = self.store.write(w).await {
                return Stage::Retry(e.to_string());
            }
        }
        if let Some((phone, _, inbound)) = &registry {
            self.remember_phone(inbound, phone);
        }
        Stage::Ready(Prepared { units: fresh, duplicates, parked })
    }

    /// The units of a record, or why it can never be processed.
    fn decode(&self, r: &RecordIn, now: OffsetDateTime) -> Result<(Vec<Unit>, Inbound), String> {
        let inbound = decode_body(&r.body).map_err(|e| e.to_string())?;
        let mut units = Vec::new();
        for entry in &inbound.entries {
            let mut ctx = NormalizeContext::new(&inbound.context, now);
            ctx.seen_ttl_secs = self.config.seen_ttl_secs;
            ctx.message_ttl_secs = self.config.message_ttl_secs;
            units.append(&mut normalize(entry, &ctx).map_err(|e| e.to_string())?);
        }
        Ok((units, inbound))
    }

    /// `after` writes (the records and the marks), once every event is published.
    async fn finish(&self, p: Prepared) -> Result<(), PortError> {
        for w in p.units.into_iter().flat_map(|u| u.after) {
            // ConditionFailed: a concurrent duplicate finished first; that is the same end state.
            let _outcome: WriteOutcome = self.store.write(w).await?;
        }
        Ok(())
    }

    /// The phone registry item learnt from the envelope context, unless this process wrote it.
    fn registry_write(&self, inbound: &Inbound, now: OffsetDateTime) -> Option<(String, Write)> {
        let phone = inbound.context.phones.first()?;
        if phone.meta_phone_number_id.is_empty() {
            return None;
        }
        let known = self.known_phones.lock().ok()?.get(&phone.meta_phone_number_id).cloned();
        if known.as_deref() == Some(phone.arn.as_str()) {
            return None;
        }
        let key = keys::phone(&phone.meta_phone_number_id);
        let waba = inbound.context.wabas.first();
        let mut item = Item::new(key.pk, key.sk)
            .with("meta_phone_number_id", phone.meta_phone_number_id.as_str())
            .with("phone_arn", phone.arn.as_str())
            .with("learnt_at", rfc3339(now));
        if let Some(id) = phone.eum_phone_number_id() {
            item = item.with("eum_phone_number_id", id);
        }
        if let Some(w) = waba {
            item = item.with("waba_id", w.waba_id.as_str()).with("waba_arn", w.arn.as_str());
        }
        if let Some(acct) = &inbound.aws_account_id {
            item = item.with("aws_account_id", acct.as_str());
        }
        Some((phone.meta_phone_number_id.clone(), Write::put(item)))
    }

    fn remember_phone(&self, inbound: &Inbound, meta_id: &str) {
        if let (Ok(mut known), Some(p)) = (self.known_phones.lock(), inbound.context.phones.first()) {
            known.insert(meta_id.to_string(), p.arn.clone());
        }
    }

    /// Parking as a unit (`wapipe_shared::domain::parking`): the parked item (body, reason) is
    /// written first, then `ingest.rejected` is published, then the mark (keyed by the body's hash).
    fn park_unit(&self, r: &RecordIn, reason: &str, now: OffsetDateTime) -> Unit {
        let poison =
            Poison { source: &self.config.source, record_id: &r.id, body: &r.body, reason, sent_at: r.sent_at };
        park_unit(&poison, now, self.config.seen_ttl_secs)
    }
}

/// Counts for summaries: events by detail-type over a report.
pub fn events_by_type(report: &BatchReport) -> BTreeMap<EventType, usize> {
    let mut out = BTreeMap::new();
    for (_, o) in &report.outcomes {
        let published = match o {
            Outcome::Done { published, .. } | Outcome::Parked { published, .. } => published,
            Outcome::Retry { .. } => continue,
        };
        for t in published {
            *out.entry(*t).or_insert(0) += 1;
        }
    }
    out
}
