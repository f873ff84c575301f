//! Publishing domain events: `PutEvents` takes at most 10 entries, and may accept some and
//! refuse others. `publish_all` sends in chunks of 10 and retries only the entries that failed
//! for a retryable reason, with exponential backoff and jitter (the `backoff` crate).

use std::time::Duration;

use backoff::backoff::Backoff;
use backoff::ExponentialBackoffBuilder;

use crate::domain::events::{DomainEvent, EventType};
use crate::domain::unit::Unit;
use crate::ports::{Bus, EntryResult, PortError, Store};

/// `PutEvents` limit.
pub const MAX_ENTRIES: usize = 10;

#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Rounds of calls, the first included.
    pub attempts: u32,
    pub initial: Duration,
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

/// Publish every event; one result per event, in order. `Ok` means the bus accepted it.
pub async fn publish_all<B: Bus>(bus: &B, events: &[DomainEvent], policy: &RetryPolicy) -> Vec<Result<(), PortError>> {
    let mut results: Vec<Option<Result<(), PortError>>> = vec![None; events.len()];
    let mut pending: Vec<usize> = (0..events.len()).collect();
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
        let mut still = Vec::new();
        for chunk in pending.chunks(MAX_ENTRIES) {
            // The first round's chunks are contiguous runs of `events`: pass them as they are.
            // Only retries (a few failed entries) are copied into a new batch.
            let contiguous = chunk.windows(2).all(|w| w[1] == w[0] + 1);
            let copied: Vec<DomainEvent>;
            let batch: &[DomainEvent] = match (contiguous, chunk.first(), chunk.last()) {
                (true, Some(&first), Some(&last)) => &events[first..=last],
                _ => {
                    copied = chunk.iter().map(|&i| events[i].clone()).collect();
                    &copied
                }
            };
            match bus.put_events(batch).await {
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
                    for &i in chunk {
                        last_error[i] = Some(err.clone());
                        still.push(i);
                    }
                }
                Err(err) => {
                    for &i in chunk {
                        results[i] = Some(Err(err.clone()));
                    }
                }
            }
        }
        pending = still;
    }
    for i in pending {
        results[i] = Some(Err(last_error[i].take().unwrap_or_else(|| entry_error("Unknown", "not published", true))));
    }
    results.into_iter().map(|r| r.unwrap_or_else(|| Err(entry_error("Unknown", "not published", true)))).collect()
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
pub async fn publish_each<B: Bus>(
    bus: &B,
    events: &[DomainEvent],
    policy: &RetryPolicy,
) -> Result<Vec<EventType>, PortError> {
    let mut published = Vec::with_capacity(events.len());
    for (res, e) in publish_all(bus, events, policy).await.into_iter().zip(events) {
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
    unit: &Unit,
    policy: &RetryPolicy,
) -> Result<bool, PortError> {
    if store.get(&unit.mark.pk, &unit.mark.sk).await?.is_some() {
        return Ok(false);
    }
    for w in &unit.before {
        store.write(w.clone()).await?;
    }
    publish_each(bus, &unit.events, policy).await?;
    for w in &unit.after {
        store.write(w.clone()).await?;
    }
    Ok(true)
}
