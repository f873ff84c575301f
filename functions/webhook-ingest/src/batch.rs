//! The SQS batch path: decode → dedupe → state → publish → record, per record, with partial
//! batch failures. See `wapipe_core::domain::ingest_plan` for why the steps run in this order.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;

use futures_util::future::join_all;
use time::OffsetDateTime;
use tracing::{debug, warn};

use wapipe_core::app::consumer::{run_batch, Consumer, Ctx, Failure, Handled};
use wapipe_core::app::publish::{publish_all, run_unit, write_all};
use wapipe_core::domain::envelope::{decode_body, Inbound};
use wapipe_core::domain::events::{rfc3339, DomainEvent, EventType};
use wapipe_core::domain::ingest_plan::{IngestPlan, NormalizeContext};
use wapipe_core::domain::keys;
use wapipe_core::domain::normalize::normalize;
use wapipe_core::domain::parking::{park_unit as park_unit_of, Poison};
use wapipe_core::ports::{Bus, Clock, Item, PortError, Store, Write};

use crate::Config;

/// One record of a batch: an SQS message, or a body from the CLI or the Function URL.
pub use wapipe_core::app::consumer::Record as RecordIn;

/// What happened to one record.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Fully processed: `published` events, `duplicates` units already done before.
    Done {
        /// Units of work (messages, statuses, field changes) the record's envelope held.
        units: usize,
        /// Units skipped as already done: their mark existed, or an earlier record of the batch
        /// carried the same unit.
        duplicates: usize,
        /// Detail-types of the events published for the record's fresh units.
        published: Vec<EventType>,
    },
    /// Can never succeed: parked in the table with `reason`, `ingest.rejected` published.
    Parked {
        /// Why, naming the decoding layer and field.
        reason: String,
        /// Detail-types published (`whatsapp.ingest.rejected`); empty when the runtime parked it.
        published: Vec<EventType>,
    },
    /// Failed for a reason that may pass: report it in `batchItemFailures`.
    Retry {
        /// The transient error (table or bus).
        error: String,
    },
}

wapipe_core::batch_report!(Outcome);

/// A record after the batch phases, waiting for its `after` writes.
enum Stage {
    Ready {
        after: Vec<Write>,
        units: usize,
        duplicates: usize,
        /// Set when the record can never succeed: its one unit parks it.
        parked: Option<String>,
        published: Vec<EventType>,
    },
    Retry(PortError),
}

/// What the batch phases left for each record (see [`Ingest::handle_batch`]).
pub struct Staged {
    stages: Vec<Stage>,
    /// The contact (window key) of each record's first message, for its ordering key.
    contacts: Vec<Option<String>>,
}

/// A record decoded, before any I/O ([`decode_records`]): its units, or the unit that parks
/// it, and the phone registry item its envelope names. Pure data, so a caller may decode on
/// another thread ahead of ingest ([`Ingest::handle_decoded`]).
pub struct Decoded {
    units: Vec<IngestPlan>,
    parked: Option<String>,
    /// Meta phone id, the registry item, and the EUM phone ARN.
    registry: Option<(String, Write, String)>,
}

/// Decode a batch's records (the CPU part of ingest: the envelope layers, the webhook, the
/// units). Pure: the same records and `now` give the same result on any thread.
pub fn decode_records(config: &Config, records: &[RecordIn], now: OffsetDateTime) -> Vec<Decoded> {
    records.iter().map(|r| decode_record(config, r, now)).collect()
}

/// A record's units (or the unit that parks it) and its phone registry item.
fn decode_record(config: &Config, r: &RecordIn, now: OffsetDateTime) -> Decoded {
    match decode(config, r, now) {
        Ok((units, inbound)) => {
            let registry = registry_write(&inbound, now).map(|(phone, w)| {
                let arn = inbound.context.phones.first().map(|p| p.arn.clone()).unwrap_or_default();
                (phone, w, arn)
            });
            Decoded { units, parked: None, registry }
        }
        Err(reason) => {
            Decoded { units: vec![park_unit(config, r, &reason, now)], parked: Some(reason), registry: None }
        }
    }
}

/// The units of a record, or why it can never be processed.
fn decode(config: &Config, r: &RecordIn, now: OffsetDateTime) -> Result<(Vec<IngestPlan>, Inbound), String> {
    let inbound = decode_body(&r.body).map_err(|e| e.to_string())?;
    let mut units = Vec::new();
    for entry in &inbound.entries {
        let mut ctx = NormalizeContext::new(&inbound.context, now);
        ctx.seen_ttl_secs = config.seen_ttl_secs;
        ctx.message_ttl_secs = config.message_ttl_secs;
        if inbound.entries.len() == 1 {
            ctx.eum_message_id = inbound.eum_message_id.as_deref();
        }
        units.append(&mut normalize(entry, &ctx).map_err(|e| e.to_string())?);
    }
    Ok((units, inbound))
}

/// The phone registry item learnt from the envelope context (the meta phone id and the write).
fn registry_write(inbound: &Inbound, now: OffsetDateTime) -> Option<(String, Write)> {
    let phone = inbound.context.phones.first()?;
    if phone.meta_phone_number_id.is_empty() {
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

/// Parking as a unit (`wapipe_core::domain::parking`): the parked item (body, reason) is
/// written first, then `ingest.rejected` is published, then the mark (keyed by the body's hash).
fn park_unit(config: &Config, r: &RecordIn, reason: &str, now: OffsetDateTime) -> IngestPlan {
    let poison = Poison { source: &config.source, record_id: &r.id, body: &r.body, reason, sent_at: r.sent_at };
    park_unit_of(&poison, now, config.seen_ttl_secs)
}

/// The ingest function over its ports.
pub struct Ingest<S, B, C> {
    /// The table: phone registry, inbound message records, contact windows, dedupe marks and
    /// parked records.
    pub store: S,
    /// EventBridge, for every event ingest publishes.
    pub bus: B,
    /// Now: the time of a webhook without one of its own, TTLs, and parked records.
    pub clock: C,
    /// Tunables (see [`Config`]).
    pub config: Config,
    /// Phone registry entries this process already wrote (meta phone id → EUM ARN), so the
    /// registry costs one write per phone per container, not one per event.
    known_phones: Mutex<HashMap<String, String>>,
}

impl<S: Store, B: Bus, C: Clock> Ingest<S, B, C> {
    /// Ingest over these ports; its phone registry cache starts empty.
    pub fn new(store: S, bus: B, clock: C, config: Config) -> Self {
        Ingest { store, bus, clock, config, known_phones: Mutex::new(HashMap::new()) }
    }

    /// Process one batch through the consumer runtime. The whole batch goes through four
    /// phases, each one round trip, whatever its size ([`Consumer::prepare`]):
    ///
    /// 1. decode every record and read every unit's mark at once (`BatchGetItem`);
    /// 2. the `before` writes of every fresh unit, concurrently (the phone registry once);
    /// 3. every event of the batch, published together (`publish_all`: requests of 10 entries
    ///    and 256 KB, sent concurrently);
    /// 4. per record ([`Consumer::handle`]): its `after` writes (records and marks),
    ///    concurrently across contacts.
    ///
    /// A record is done only when all its events are accepted. Ingest's writes are conditional
    /// or monotonic, so records of one contact may share a phase; the runtime still runs the
    /// `after` writes of one contact in arrival order.
    pub async fn handle_batch(&self, records: &[RecordIn]) -> BatchReport {
        run_batch(self, records, &self.config.run).await.map(outcome)
    }

    /// The same as [`Ingest::handle_batch`], with the records already decoded (by
    /// [`decode_records`], one per record in order, perhaps on another thread).
    pub async fn handle_decoded(&self, records: &[RecordIn], decoded: Vec<Decoded>) -> BatchReport {
        let ahead = Predecoded { ingest: self, decoded: Mutex::new(Some(decoded)) };
        run_batch(&ahead, records, &self.config.run).await.map(outcome)
    }

    /// Phases 1 to 3 for the whole batch.
    async fn stage(&self, records: &[RecordIn]) -> Staged {
        let decoded = decode_records(&self.config, records, self.clock.now());
        self.stage_decoded(records, decoded).await
    }

    /// Phases 1 to 3, the records decoded.
    #[allow(
        clippy::indexing_slicing,
        reason = "every index is a record's position, and the vectors indexed are sized to the batch"
    )]
    async fn stage_decoded(&self, records: &[RecordIn], mut decoded: Vec<Decoded>) -> Staged {
        // This process already wrote the registry item of a phone it knows: not again.
        for d in &mut decoded {
            if d.registry.as_ref().is_some_and(|(phone, _, arn)| self.knows_phone(phone, arn)) {
                d.registry = None;
            }
        }
        let contacts = decoded
            .iter()
            .map(|d| d.units.iter().flat_map(|u| &u.before).next().map(|w| w.key().0.to_string()))
            .collect();

        // 1. Marks: a duplicate inside the batch counts once; the rest are read at once.
        let mut duplicates = vec![0usize; records.len()];
        let mut seen = HashSet::new();
        let mut keys: Vec<keys::Key> = Vec::new();
        for (i, d) in decoded.iter_mut().enumerate() {
            let before = d.units.len();
            d.units.retain(|u| seen.insert(u.mark.clone()));
            duplicates[i] += before - d.units.len();
            keys.extend(d.units.iter().map(|u| u.mark.clone()));
        }
        let marks = match self.store.get_many(&keys).await {
            Ok(found) => found,
            Err(e) => {
                let stages = records.iter().map(|_| Stage::Retry(e.clone())).collect();
                return Staged { stages, contacts };
            }
        };
        let mut marks = marks.into_iter();
        for (i, d) in decoded.iter_mut().enumerate() {
            let before = d.units.len();
            d.units.retain(|u| {
                let done = marks.next().flatten().is_some();
                if done {
                    debug!(unit = %u.label, "duplicate");
                }
                !done
            });
            duplicates[i] += before - d.units.len();
        }

        // 2. `before` writes, every record at once; the registry once per phone.
        let mut registered = HashSet::new();
        let befores: Vec<Vec<Write>> = decoded
            .iter_mut()
            .map(|d| {
                let registry = d.registry.as_ref().filter(|(phone, _, _)| registered.insert(phone.clone()));
                registry
                    .map(|(_, w, _)| w.clone())
                    .into_iter()
                    .chain(d.units.iter_mut().flat_map(|u| u.before.drain(..)))
                    .collect()
            })
            .collect();
        let written = join_all(befores.into_iter().map(|w| write_all(&self.store, w))).await;

        // 3. The events of every record whose state is written, published together.
        let mut events: Vec<DomainEvent> = Vec::new();
        let mut owner: Vec<usize> = Vec::new();
        for (i, (d, w)) in decoded.iter_mut().zip(&written).enumerate() {
            if w.is_ok() {
                // Moved, not copied: after publishing only the detail-types are reported.
                for e in d.units.iter_mut().flat_map(|u| u.events.drain(..)) {
                    events.push(e);
                    owner.push(i);
                }
            }
        }
        let results = publish_all(&self.bus, &self.store, &events, &self.config.publish).await;
        let mut publish_error: Vec<Option<PortError>> = vec![None; records.len()];
        let mut published: Vec<Vec<EventType>> = vec![Vec::new(); records.len()];
        for ((res, &i), e) in results.into_iter().zip(&owner).zip(&events) {
            match res {
                Ok(()) => published[i].push(e.detail_type),
                Err(err) => {
                    warn!(record_id = %records[i].id, detail_type = %e.detail_type, error = %err, "publish failed");
                    publish_error[i].get_or_insert(err);
                }
            }
        }

        let stages = decoded
            .into_iter()
            .zip(written)
            .enumerate()
            .map(|(i, (d, w))| match (w, publish_error[i].take()) {
                (Err(e), _) | (Ok(()), Some(e)) => Stage::Retry(e),
                (Ok(()), None) => {
                    if let Some((phone, _, arn)) = &d.registry {
                        self.remember_phone(phone, arn);
                    }
                    Stage::Ready {
                        units: d.units.len(),
                        after: d.units.into_iter().flat_map(|u| u.after).collect(),
                        duplicates: duplicates[i],
                        parked: d.parked,
                        published: std::mem::take(&mut published[i]),
                    }
                }
            })
            .collect();
        Staged { stages, contacts }
    }

    fn knows_phone(&self, meta_id: &str, arn: &str) -> bool {
        self.known_phones.lock().ok().is_some_and(|known| known.get(meta_id).map(String::as_str) == Some(arn))
    }

    fn remember_phone(&self, meta_id: &str, arn: &str) {
        if let Ok(mut known) = self.known_phones.lock() {
            known.insert(meta_id.to_string(), arn.to_string());
        }
    }
}

impl<S: Store, B: Bus, C: Clock> Consumer for Ingest<S, B, C> {
    type Done = Outcome;
    type Error = PortError;
    type Prepared = Staged;

    /// By contact: the records of one user's conversation finish in arrival order.
    fn key(&self, r: &RecordIn, index: usize, staged: &Staged) -> String {
        staged.contacts.get(index).cloned().flatten().unwrap_or_else(|| r.id.clone())
    }

    async fn prepare(&self, records: &[RecordIn]) -> Staged {
        self.stage(records).await
    }

    /// Phase 4: the record's `after` writes.
    async fn handle(&self, _: &RecordIn, ctx: Ctx<'_, Staged>) -> Result<Outcome, Failure<PortError>> {
        match ctx.prepared.stages.get(ctx.index) {
            Some(Stage::Retry(e)) => Err(Failure::from(e.clone())),
            Some(Stage::Ready { after, units, duplicates, parked, published }) => {
                // ConditionFailed: a concurrent duplicate finished first; the same end state.
                write_all(&self.store, after.clone()).await?;
                Ok(match parked {
                    Some(reason) => Outcome::Parked { reason: reason.clone(), published: published.clone() },
                    None => Outcome::Done {
                        units: units + duplicates,
                        duplicates: *duplicates,
                        published: published.clone(),
                    },
                })
            }
            None => Err(Failure::park("internal: record not staged")),
        }
    }

    /// Ingest parks through its own units (phase 1); this serves the runtime's contract.
    async fn park(&self, r: &RecordIn, reason: &str) -> Result<(), PortError> {
        let unit = park_unit(&self.config, r, reason, self.clock.now());
        run_unit(&self.store, &self.bus, &unit, &self.config.publish).await.map(|_| ())
    }
}

/// A record's outcome from what the consumer runtime made of it.
fn outcome(h: Handled<Outcome, PortError>) -> Outcome {
    match h {
        Handled::Done(o) => o,
        Handled::Parked { reason } => Outcome::Parked { reason, published: Vec::new() },
        Handled::Retry { error, .. } => Outcome::Retry { error: error.to_string() },
    }
}

/// Ingest whose batch was decoded ahead ([`Ingest::handle_decoded`]): the same consumer, with
/// the decoding of `prepare` already done.
struct Predecoded<'a, S, B, C> {
    ingest: &'a Ingest<S, B, C>,
    decoded: Mutex<Option<Vec<Decoded>>>,
}

impl<S: Store, B: Bus, C: Clock> Consumer for Predecoded<'_, S, B, C> {
    type Done = Outcome;
    type Error = PortError;
    type Prepared = Staged;

    fn key(&self, r: &RecordIn, index: usize, staged: &Staged) -> String {
        self.ingest.key(r, index, staged)
    }

    async fn prepare(&self, records: &[RecordIn]) -> Staged {
        let decoded = self.decoded.lock().ok().and_then(|mut d| d.take()).filter(|d| d.len() == records.len());
        match decoded {
            Some(decoded) => self.ingest.stage_decoded(records, decoded).await,
            None => self.ingest.stage(records).await,
        }
    }

    async fn handle(&self, r: &RecordIn, ctx: Ctx<'_, Staged>) -> Result<Outcome, Failure<PortError>> {
        self.ingest.handle(r, ctx).await
    }

    async fn park(&self, r: &RecordIn, reason: &str) -> Result<(), PortError> {
        self.ingest.park(r, reason).await
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
