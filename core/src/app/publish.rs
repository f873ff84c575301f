//! Publishing domain events: `PutEvents` takes at most 10 entries and 256 KB, and may accept
//! some and refuse others. `publish_all` sends the requests of a batch concurrently, spills
//! events too large for any request to the table, and retries only the entries that failed
//! for a retryable reason, with exponential backoff and jitter (the `backoff` crate).

use std::time::Duration;

use backoff::backoff::Backoff;
use backoff::ExponentialBackoffBuilder;

use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::domain::events::{parse_eventbridge_body, DomainEvent, EnvelopeError, EventType, SOURCE};
use crate::domain::ingest_plan::IngestPlan;
use crate::domain::keys;
use crate::domain::parking::{park_unit, Poison};
use crate::ports::{Bus, EntryResult, Item, PortError, Store, Write};

/// `PutEvents` limit.
pub const MAX_ENTRIES: usize = 10;

/// How [`publish_all`] sends refused entries again: in rounds, with exponential backoff
/// and jitter between them (by default 4 rounds, waits from 50 ms up to 1 s).
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Rounds of calls, the first included.
    pub attempts: u32,
    /// The wait before the second round (before jitter); the waits after it grow up to `max`.
    pub initial: Duration,
    /// The longest wait between two rounds, before jitter.
    pub max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { attempts: 4, initial: Duration::from_millis(50), max: Duration::from_secs(1) }
    }
}

impl RetryPolicy {
    /// No waiting between rounds: for tests and replays on in-memory adapters.
    pub fn immediate(attempts: u32) -> Self {
        RetryPolicy { attempts, initial: Duration::ZERO, max: Duration::ZERO }
    }

    fn backoff(&self) -> backoff::ExponentialBackoff {
        ExponentialBackoffBuilder::new()
            .with_initial_interval(self.initial)
            .with_max_interval(self.max)
            .with_randomization_factor(if self.initial.is_zero() { 0.0 } else { 0.5 })
            .with_max_elapsed_time(None)
            .build()
    }
}

/// One `PutEvents` request carries at most this many bytes (EventBridge's entry size rule).
pub const MAX_REQUEST_BYTES: usize = 256 * 1024;

/// An entry's size by EventBridge's rule: the UTF-8 bytes of `Source`, `DetailType` and
/// `Detail` (wapipe sets no `Time` or `Resources`).
pub fn entry_size(e: &DomainEvent) -> usize {
    SOURCE.len() + e.detail_type.as_str().len() + e.detail_len()
}

/// Split `sizes` (consecutive entries) into runs of at most [`MAX_ENTRIES`] entries and
/// [`MAX_REQUEST_BYTES`] bytes; an entry over the limit on its own gets a run of its own (the
/// caller spills it first).
pub fn chunk_ranges(sizes: &[usize]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0usize);
    for (i, &size) in sizes.iter().enumerate() {
        let full = i - start == MAX_ENTRIES || (i > start && bytes + size > MAX_REQUEST_BYTES);
        if full {
            out.push(start..i);
            start = i;
            bytes = 0;
        }
        bytes += size;
    }
    if start < sizes.len() {
        out.push(start..sizes.len());
    }
    out
}

/// Publish every event; one result per event, in order. `Ok` means the bus accepted it.
///
/// Requests hold at most 10 entries and 256 KB, and the requests of one round go out
/// concurrently, so a batch's events cost one round trip, not one per chunk. An event too
/// large for any request is *spilled*: its detail is stored in the table
/// (`keys::event_body`) and a reference is published in its place ([`spill`]); consumers
/// read it back with [`load_event`]. Only entries that failed for a retryable reason are
/// sent again, with exponential backoff and jitter.
#[allow(
    clippy::indexing_slicing,
    reason = "every index is a position in `events`, and the vectors indexed are sized to it"
)]
pub async fn publish_all<B: Bus, S: Store>(
    bus: &B,
    store: &S,
    events: &[DomainEvent],
    policy: &RetryPolicy,
) -> Vec<Result<(), PortError>> {
    let mut results: Vec<Option<Result<(), PortError>>> = vec![None; events.len()];
    // Spill what no request can carry; the references take the events' places.
    let oversized: Vec<usize> = (0..events.len()).filter(|&i| entry_size(&events[i]) > MAX_REQUEST_BYTES).collect();
    let mut replaced: Vec<Option<DomainEvent>> = vec![None; events.len()];
    let spills = oversized.iter().map(|&i| async move { (i, spill(store, &events[i]).await) });
    for (i, spilled) in futures_util::future::join_all(spills).await {
        match spilled {
            Ok(reference) => replaced[i] = Some(reference),
            Err(e) => results[i] = Some(Err(e)),
        }
    }
    let replaced = &replaced;
    let event = |i: usize| replaced[i].as_ref().unwrap_or(&events[i]);
    let mut pending: Vec<usize> = (0..events.len()).filter(|&i| results[i].is_none()).collect();
    let mut last_error: Vec<Option<PortError>> = vec![None; events.len()];
    let mut backoff = policy.backoff();
    for round in 0..policy.attempts.max(1) {
        if pending.is_empty() {
            break;
        }
        if round > 0 {
            let delay = backoff.next_backoff().unwrap_or(policy.max);
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
        }
        let sizes: Vec<usize> = pending.iter().map(|&i| entry_size(event(i))).collect();
        let chunks: Vec<&[usize]> = chunk_ranges(&sizes).into_iter().map(|r| &pending[r]).collect();
        let calls = chunks.iter().map(|chunk| async move {
            // Contiguous runs of untouched `events` go as they are; retries and runs holding a
            // spilled reference are copied into a new batch.
            let contiguous = chunk.windows(2).all(|w| w[1] == w[0] + 1) && chunk.iter().all(|&i| replaced[i].is_none());
            match (contiguous, chunk.first(), chunk.last()) {
                (true, Some(&first), Some(&last)) => bus.put_events(&events[first..=last]).await,
                _ => {
                    let copied: Vec<DomainEvent> = chunk.iter().map(|&i| event(i).clone()).collect();
                    bus.put_events(&copied).await
                }
            }
        });
        let answers = futures_util::future::join_all(calls).await;
        let mut still = Vec::new();
        for (chunk, answer) in chunks.iter().zip(answers) {
            match answer {
                Ok(entries) => {
                    for (pos, &i) in chunk.iter().enumerate() {
                        match entries.get(pos) {
                            Some(EntryResult::Ok) => results[i] = Some(Ok(())),
                            Some(EntryResult::Failed { code, message, retryable }) => {
                                let err = entry_error(code, message, *retryable);
                                if *retryable {
                                    last_error[i] = Some(err);
                                    still.push(i);
                                } else {
                                    results[i] = Some(Err(err));
                                }
                            }
                            None => {
                                last_error[i] = Some(entry_error("MissingResult", "no result for entry", true));
                                still.push(i);
                            }
                        }
                    }
                }
                Err(err) if err.is_retryable() => {
                    for &i in chunk.iter() {
                        last_error[i] = Some(err.clone());
                        still.push(i);
                    }
                }
                Err(err) => {
                    for &i in chunk.iter() {
                        results[i] = Some(Err(err.clone()));
                    }
                }
            }
        }
        still.sort_unstable();
        pending = still;
    }
    for i in pending {
        results[i] = Some(Err(last_error[i].take().unwrap_or_else(|| entry_error("Unknown", "not published", true))));
    }
    results.into_iter().map(|r| r.unwrap_or_else(|| Err(entry_error("Unknown", "not published", true)))).collect()
}

/// Store an event's detail in the table and return the reference that is published instead:
/// the common fields, `detail_ref` (the item's key) and `detail_bytes`. The item expires after
/// [`SPILL_TTL_SECS`]. Idempotent: the same event always spills to the same key.
pub async fn spill<S: Store>(store: &S, event: &DomainEvent) -> Result<DomainEvent, PortError> {
    let (reference, item) = spilled(event);
    store.write(Write::put(item)).await?;
    Ok(reference)
}

/// How long a spilled event body is kept (its consumers have 14 days of SQS retention at most).
pub const SPILL_TTL_SECS: i64 = 14 * 24 * 3600;

/// The reference event and the item holding the detail (pure: see [`spill`]).
pub fn spilled(event: &DomainEvent) -> (DomainEvent, Item) {
    let key = keys::event_body(event.event_id());
    let detail = event.detail_json();
    let occurred = event.detail.get("occurred_at").and_then(Value::as_str).unwrap_or_default();
    let expires = OffsetDateTime::parse(occurred, &Rfc3339)
        .map(|t| t.unix_timestamp())
        .unwrap_or_else(|_| OffsetDateTime::now_utc().unix_timestamp())
        + SPILL_TTL_SECS;
    let mut reference = Map::new();
    for f in ["schema", "event_id", "occurred_at", "waba_id", "phone_number_id"] {
        if let Some(v) = event.detail.get(f) {
            reference.insert(f.to_string(), v.clone());
        }
    }
    reference.insert(DETAIL_REF.into(), serde_json::json!({"pk": key.pk, "sk": key.sk}));
    reference.insert("detail_bytes".into(), detail.len().into());
    let item = Item::new(key.pk, key.sk)
        .with("detail_type", event.detail_type.as_str())
        .with("detail", detail)
        .with(keys::EXPIRES_AT, expires);
    (DomainEvent { detail_type: event.detail_type, detail: reference }, item)
}

/// The field of a spilled event that names the item holding its detail.
pub const DETAIL_REF: &str = "detail_ref";

/// Why an event delivered to a consumer could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The body is not a wapipe event: park it.
    #[error(transparent)]
    Envelope(#[from] EnvelopeError),
    /// The spilled detail could not be read (yet): retry.
    #[error(transparent)]
    Port(#[from] PortError),
}

/// Parse an SQS body delivered by an EventBridge rule ([`parse_eventbridge_body`]) and, for a
/// spilled event, read its detail back from the table.
pub async fn load_event<S: Store>(store: &S, body: &str) -> Result<DomainEvent, LoadError> {
    let mut event = parse_eventbridge_body(body)?;
    let Some(reference) = event.detail.get(DETAIL_REF) else { return Ok(event) };
    let field = |name: &str| reference.get(name).and_then(Value::as_str).map(str::to_string);
    let (Some(pk), Some(sk)) = (field("pk"), field("sk")) else {
        return Err(EnvelopeError(format!("field `detail.{DETAIL_REF}`: expected {{pk, sk}}")).into());
    };
    let item = store.get(&pk, &sk).await?.ok_or_else(|| PortError::Transient {
        service: "store",
        op: "load_event",
        message: format!("spilled detail {pk}/{sk} is not in the table (yet)"),
    })?;
    let detail = item.get_str("detail").unwrap_or_default();
    match serde_json::from_str(detail) {
        Ok(Value::Object(d)) => event.detail = d,
        _ => return Err(EnvelopeError(format!("spilled detail {pk}/{sk}: not a JSON object")).into()),
    }
    Ok(event)
}

fn entry_error(code: &str, message: &str, retryable: bool) -> PortError {
    let message = format!("{code}: {message}");
    if retryable {
        PortError::Transient { service: "eventbridge", op: "PutEvents", message }
    } else {
        PortError::Permanent { service: "eventbridge", op: "PutEvents", message }
    }
}

/// Publish every event; the first refusal is the error, else the detail-types published, in
/// order (for the consumers' outcome reports).
pub async fn publish_each<B: Bus, S: Store>(
    bus: &B,
    store: &S,
    events: &[DomainEvent],
    policy: &RetryPolicy,
) -> Result<Vec<EventType>, PortError> {
    let mut published = Vec::with_capacity(events.len());
    for (res, e) in publish_all(bus, store, events, policy).await.into_iter().zip(events) {
        res?;
        published.push(e.detail_type);
    }
    Ok(published)
}

/// Run a unit the way ingest does (`domain::unit`): nothing when its mark exists (a
/// redelivered poison record is not parked and announced twice); else the writes before, the
/// events, then the writes after, which include the mark. `Ok(false)`: it was done before.
/// A failure leaves the unit to run again whole on redelivery (events keep their ids).
pub async fn run_unit<S: Store, B: Bus>(
    store: &S,
    bus: &B,
    unit: &IngestPlan,
    policy: &RetryPolicy,
) -> Result<bool, PortError> {
    if store.get(&unit.mark.pk, &unit.mark.sk).await?.is_some() {
        return Ok(false);
    }
    write_all(store, unit.before.clone()).await?;
    publish_each(bus, store, &unit.events, policy).await?;
    write_all(store, unit.after.clone()).await?;
    Ok(true)
}

/// Apply writes that do not depend on each other: writes to different items concurrently
/// (one round trip), writes to the same item one after the other in the order given. The
/// first error is returned once every write has been tried; a failed condition is not an
/// error (for wapipe's idempotent writes it means "already done").
pub async fn write_all<S: Store>(store: &S, writes: Vec<Write>) -> Result<(), PortError> {
    if writes.len() <= 1 {
        for w in writes {
            store.write(w).await?;
        }
        return Ok(());
    }
    let groups = crate::app::consumer::group_by_key(&writes, |w| {
        let (pk, sk) = w.key();
        format!("{pk}\u{1f}{sk}")
    });
    let writes = &writes;
    let runs = groups.into_iter().map(|(_, idx)| async move {
        for w in idx.into_iter().filter_map(|i| writes.get(i)) {
            store.write(w.clone()).await?;
        }
        Ok::<(), PortError>(())
    });
    futures_util::future::join_all(runs).await.into_iter().collect()
}

/// The events of a batch of records delivered by EventBridge rules, each loaded once by a
/// consumer's `prepare` ([`load_event`]; spilled details read back concurrently).
#[derive(Debug)]
pub struct Events(pub Vec<Result<DomainEvent, LoadError>>);

impl Events {
    /// Load the event of every record of a batch ([`load_event`]), concurrently.
    pub async fn load<S: Store>(store: &S, records: &[crate::app::consumer::Record]) -> Events {
        Events(futures_util::future::join_all(records.iter().map(|r| load_event(store, &r.body))).await)
    }

    /// The record's ordering key: the first of `fields` its event's detail holds as a
    /// non-empty string, else the record id (a record that did not load has no key to share).
    pub fn key(&self, index: usize, fields: &[&str], record: &crate::app::consumer::Record) -> String {
        let detail = match self.0.get(index) {
            Some(Ok(e)) => &e.detail,
            _ => return record.id.clone(),
        };
        fields
            .iter()
            .find_map(|f| detail.get(*f).and_then(Value::as_str).filter(|s| !s.is_empty()))
            .map_or_else(|| record.id.clone(), str::to_string)
    }

    /// What loading record `index` gave: its event or why it did not load; `None` past the batch.
    pub fn get(&self, index: usize) -> Option<&Result<DomainEvent, LoadError>> {
        self.0.get(index)
    }

    /// The record's event, or what the runtime should do with a record that did not load:
    /// park a body that is no wapipe event, retry a spilled detail not readable yet.
    pub fn event(&self, index: usize) -> Result<&DomainEvent, crate::app::consumer::Failure<PortError>> {
        use crate::app::consumer::Failure;
        match self.0.get(index) {
            Some(Ok(e)) => Ok(e),
            Some(Err(LoadError::Port(e))) => Err(Failure::from(e.clone())),
            Some(Err(LoadError::Envelope(e))) => Err(Failure::park(e.to_string())),
            None => Err(Failure::park("internal: no event loaded for this record")),
        }
    }
}

/// Where and how a consumer parks: its `PARKED#{source}` partition, its publish policy and
/// how long the parking mark lives.
#[derive(Clone, Debug)]
pub struct Parking<'a> {
    /// The consumer's name: its records park in `PARKED#{source}`.
    pub source: &'a str,
    /// How the `whatsapp.ingest.rejected` event of a parked record is published.
    pub policy: &'a RetryPolicy,
    /// How long the parking mark lives, in seconds: while it does, a redelivered poison record
    /// is not announced again.
    pub mark_ttl_secs: i64,
}

/// Park a record that can never succeed, as every consumer does
/// (`wapipe_core::domain::parking`): the item with its body and reason, then
/// `whatsapp.ingest.rejected`, then the mark. A redelivered poison record is not announced twice.
pub async fn park_record<S: Store, B: Bus>(
    store: &S,
    bus: &B,
    parking: &Parking<'_>,
    record: &crate::app::consumer::Record,
    reason: &str,
    now: OffsetDateTime,
) -> Result<(), PortError> {
    let poison =
        Poison { source: parking.source, record_id: &record.id, body: &record.body, reason, sent_at: record.sent_at };
    let unit = park_unit(&poison, now, parking.mark_ttl_secs);
    run_unit(store, bus, &unit, parking.policy).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::events::Envelope;
    use crate::memory::{Latency, LatencySpec, MemoryBus, MemoryStore};
    use std::time::Duration;

    fn event(n: usize, padding: usize) -> DomainEvent {
        let common = Envelope {
            event_id: format!("e{n}"),
            occurred_at: time::macros::datetime!(2026-12-01 10:00 UTC),
            waba_id: "W",
            phone_number_id: "P",
        };
        let mut fields = Map::new();
        fields.insert("flow_token".into(), "t".into());
        fields.insert("response_json".into(), "x".repeat(padding).into());
        DomainEvent::new(EventType::FlowCompleted, common, fields)
    }

    #[test]
    fn chunks_hold_ten_entries_and_256_kb_at_most() {
        assert_eq!(chunk_ranges(&[1; 23]), vec![0..10, 10..20, 20..23]);
        assert_eq!(chunk_ranges(&[60 * 1024; 10]), vec![0..4, 4..8, 8..10]);
        assert_eq!(chunk_ranges(&[200_000, 100_000, 300_000, 1]), vec![0..1, 1..2, 2..3, 3..4]);
        assert!(chunk_ranges(&[]).is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn entries_of_60_kb_go_in_requests_under_256_kb_all_at_once() {
        let latency = Latency::new(LatencySpec::parse("eventbridge=20ms").unwrap());
        // The in-memory bus refuses a request over 256 KiB, as EventBridge does.
        let bus = MemoryBus::new();
        bus.set_latency(latency.clone());
        let store = MemoryStore::new();
        let events: Vec<DomainEvent> = (0..10).map(|n| event(n, 60 * 1024)).collect();
        let t = tokio::time::Instant::now();
        let results = publish_all(&bus, &store, &events, &RetryPolicy::immediate(1)).await;
        assert!(results.iter().all(Result::is_ok), "{results:?}");
        assert_eq!(bus.events().len(), 10);
        assert_eq!(latency.calls(crate::memory::Service::EventBridge), 3, "4 + 4 + 2 entries");
        assert_eq!(t.elapsed(), Duration::from_millis(20), "the three requests go out together");
    }

    #[tokio::test]
    async fn an_event_too_large_for_any_request_is_spilled_and_read_back() {
        let (bus, store) = (MemoryBus::new(), MemoryStore::new());
        let events = vec![event(1, 10), event(2, 300 * 1024)];
        let results = publish_all(&bus, &store, &events, &RetryPolicy::immediate(1)).await;
        assert!(results.iter().all(Result::is_ok), "{results:?}");
        let published = bus.events();
        assert_eq!(published[0], events[0]);
        let reference = &published[1];
        assert!(entry_size(reference) < 1024, "only the common fields and the reference");
        assert!(reference.detail.contains_key(DETAIL_REF));
        crate::domain::event_catalogue::validate(reference).unwrap();
        let body = crate::domain::events::eventbridge_body(
            reference,
            "000000000000",
            "local",
            time::macros::datetime!(2026-12-01 10:00 UTC),
        );
        assert_eq!(load_event(&store, &body).await.unwrap(), events[1]);
        // Without the stored body the consumer retries (transiently), it does not park.
        let empty = MemoryStore::new();
        assert!(matches!(load_event(&empty, &body).await, Err(LoadError::Port(e)) if e.is_retryable()));
    }
}
