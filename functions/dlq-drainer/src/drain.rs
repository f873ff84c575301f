//! One drain run over the configured queue pairs. See the crate docs for the guarantees.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use backoff::backoff::Backoff;
use backoff::ExponentialBackoffBuilder;
use serde::{Deserialize, Serialize};
use tracing::{info, warn};
use wapipe_core::app::publish::run_unit;
use wapipe_core::ports::{Bus, Clock, OutgoingMessage, PortError, Queue, QueueMessage, Store};

use crate::park::park_unit;
use crate::{Config, QueuePair, MAX_DELAY, REPLAYS_ATTR};

/// What a manual invocation asks (`{queues, max_messages, dry_run}`); every field optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrainRequest {
    /// Queue pair names; all when absent or empty.
    #[serde(default)]
    pub queues: Vec<String>,
    /// Messages per queue (the configured default when absent).
    pub max_messages: Option<usize>,
    /// Report what would move and move nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// Replay with this delay instead of the backoff schedule (capped at 900 s): an operator
    /// who fixed the consumer replays now (`0`).
    pub delay_secs: Option<u64>,
}

/// What happens (or would happen) to one message.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Back to the source queue after `delay_secs`, as replay number `replay`.
    Replay {
        /// 1-based replay number; the copy carries it in its `wapipe-replays` attribute.
        replay: u32,
        /// SQS `DelaySeconds` of the copy sent to the source queue (0..=900).
        delay_secs: u64,
    },
    /// Parked with `reason`.
    Park {
        /// Why: the replay count and the last error known (the `wapipe-last-error` attribute,
        /// else the DLQ receive count); stored with the parked item and in `whatsapp.message.parked`.
        reason: String,
    },
}

/// The outcome for one DLQ message of a run (one line of the CLI's progress).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MessageReport {
    /// The SQS `MessageId` of the message as received from the DLQ.
    pub message_id: String,
    /// What was done or, in a dry run or on error, what was attempted (serialised flat:
    /// `action` plus its fields).
    #[serde(flatten)]
    pub action: Action,
    /// Set when the action did not complete (the message stays in the DLQ, or a copy does).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The outcome for one queue pair of a run.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct QueueReport {
    /// The queue pair's short name ([`QueuePair::name`]).
    pub queue: String,
    /// Distinct messages received from the DLQ (at most the run's `max_messages`).
    pub received: usize,
    /// Messages sent back to the source queue (in a dry run: that would be), without error.
    pub replayed: usize,
    /// Messages parked under `PARKED#dlq:{queue}` (in a dry run: that would be), without error.
    pub parked: usize,
    /// Messages whose action did not complete ([`MessageReport::error`] set).
    pub failed: usize,
    /// One report per received message, in the order received.
    pub messages: Vec<MessageReport>,
    /// Queue-level failures (the DLQ could not be read).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

/// The outcome of one run over the selected queue pairs; the Lambda answers with it as JSON.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct DrainReport {
    /// The run only planned: nothing was sent, parked or deleted, and every message it received
    /// is made visible in its DLQ again at once.
    pub dry_run: bool,
    /// One report per selected queue pair, in configuration order.
    pub queues: Vec<QueueReport>,
}

impl DrainReport {
    /// Messages whose action failed plus queue-level errors, over all queues: 0 means a clean run.
    pub fn failed(&self) -> usize {
        self.queues.iter().map(|q| q.failed + q.errors.len()).sum()
    }
}

/// The delay of replay number `replay` (1-based): `backoff`'s exponential schedule from
/// `initial`, doubling, with `jitter`, capped at `max` and at SQS's 900 s.
pub fn replay_delay(config: &Config, replay: u32) -> Duration {
    let cap = config.backoff_max.min(MAX_DELAY);
    let mut b = ExponentialBackoffBuilder::new()
        .with_initial_interval(config.backoff_initial)
        .with_multiplier(2.0)
        .with_randomization_factor(config.jitter.clamp(0.0, 1.0))
        .with_max_interval(cap)
        .with_max_elapsed_time(None)
        .build();
    let mut d = config.backoff_initial;
    for _ in 0..replay.clamp(1, 64) {
        d = b.next_backoff().unwrap_or(cap);
    }
    Duration::from_secs(d.min(cap).as_secs())
}

/// The replays a message already had.
pub fn replays_of(m: &QueueMessage) -> u32 {
    m.attributes.get(REPLAYS_ATTR).and_then(|v| v.trim().parse().ok()).unwrap_or(0)
}

/// The drainer over its ports.
pub struct Drainer<Q, S, B, C> {
    /// SQS: receives and deletes on the DLQs, sends the replayed copies to the source queues.
    pub queue: Q,
    /// The table: parked items (`PARKED#dlq:{queue}`) and their dedupe marks.
    pub store: S,
    /// EventBridge, for `whatsapp.message.parked`.
    pub bus: B,
    /// Time of the parked items (`parked_at`, the sort key) and of their marks' expiry.
    pub clock: C,
    /// Queue pairs, replay limit, backoff and batch sizes.
    pub config: Config,
}

impl<Q: Queue, S: Store, B: Bus, C: Clock> Drainer<Q, S, B, C> {
    /// A drainer over these ports with this configuration.
    pub fn new(queue: Q, store: S, bus: B, clock: C, config: Config) -> Self {
        Drainer { queue, store, bus, clock, config }
    }

    /// The pairs a request names; an unknown name is an error naming it.
    pub fn select(&self, names: &[String]) -> Result<Vec<QueuePair>, String> {
        if names.is_empty() {
            return Ok(self.config.pairs.clone());
        }
        names
            .iter()
            .map(|n| {
                self.config.pairs.iter().find(|p| &p.name == n).cloned().ok_or_else(|| {
                    let known: Vec<&str> = self.config.pairs.iter().map(|p| p.name.as_str()).collect();
                    format!("field `queues`: unknown queue {n:?} (known: {})", known.join(", "))
                })
            })
            .collect()
    }

    /// One run; `progress` is called after every message (for the CLI's progress bar).
    pub async fn run(
        &self,
        req: &DrainRequest,
        progress: &(dyn Fn(&str, &MessageReport) + Sync),
    ) -> Result<DrainReport, String> {
        let pairs = self.select(&req.queues)?;
        let max = req.max_messages.unwrap_or(self.config.max_messages);
        let mut report = DrainReport { dry_run: req.dry_run, queues: Vec::new() };
        for pair in &pairs {
            let q = self.drain_queue(pair, max, req, progress).await;
            info!(queue = %pair.name, received = q.received, replayed = q.replayed, parked = q.parked, failed = q.failed, dry_run = req.dry_run, "drained");
            report.queues.push(q);
        }
        Ok(report)
    }

    async fn drain_queue(
        &self,
        pair: &QueuePair,
        max: usize,
        req: &DrainRequest,
        progress: &(dyn Fn(&str, &MessageReport) + Sync),
    ) -> QueueReport {
        let dry_run = req.dry_run;
        let mut r = QueueReport { queue: pair.name.clone(), ..QueueReport::default() };
        let mut seen = HashSet::new();
        let mut held = Vec::new();
        // Bounded: each round takes at least one new message or stops.
        for _ in 0..max.div_ceil(10).saturating_add(1) {
            let want = max.saturating_sub(r.received).min(10);
            if want == 0 {
                break;
            }
            let batch = match self.queue.receive(&pair.dlq_url, want, self.config.receive_wait).await {
                Ok(b) => b,
                Err(e) => {
                    warn!(queue = %pair.name, error = %e, "cannot receive from the DLQ");
                    r.errors.push(format!("cannot receive from {}: {e}", pair.dlq_url));
                    break;
                }
            };
            let fresh: Vec<QueueMessage> = batch.into_iter().filter(|m| seen.insert(m.message_id.clone())).collect();
            if fresh.is_empty() {
                break;
            }
            for m in fresh {
                r.received += 1;
                let mr = if dry_run {
                    held.push(m.receipt_handle.clone());
                    MessageReport {
                        message_id: m.message_id.clone(),
                        action: self.plan(&m, req.delay_secs),
                        error: None,
                    }
                } else {
                    self.handle(pair, &m, req.delay_secs).await
                };
                match (&mr.action, &mr.error) {
                    (_, Some(_)) => r.failed += 1,
                    (Action::Replay { .. }, None) => r.replayed += 1,
                    (Action::Park { .. }, None) => r.parked += 1,
                }
                progress(&pair.name, &mr);
                r.messages.push(mr);
            }
        }
        // A dry run moved nothing: make what it looked at visible again at once.
        for receipt in held {
            if let Err(e) = self.queue.change_visibility(&pair.dlq_url, &receipt, Duration::ZERO).await {
                warn!(queue = %pair.name, error = %e, "dry run: a message stays invisible until its timeout");
            }
        }
        r
    }

    fn plan(&self, m: &QueueMessage, delay_secs: Option<u64>) -> Action {
        let replays = replays_of(m);
        if replays >= self.config.max_replays {
            return Action::Park { reason: crate::park::last_error(m, replays) };
        }
        let delay = match delay_secs {
            Some(d) => d.min(MAX_DELAY.as_secs()),
            None => replay_delay(&self.config, replays + 1).as_secs(),
        };
        Action::Replay { replay: replays + 1, delay_secs: delay }
    }

    async fn handle(&self, pair: &QueuePair, m: &QueueMessage, delay_secs: Option<u64>) -> MessageReport {
        let id = m.message_id.clone();
        match self.plan(m, delay_secs) {
            Action::Replay { replay, delay_secs } => {
                let mut attributes: BTreeMap<String, String> = m.attributes.clone();
                attributes.insert(REPLAYS_ATTR.into(), replay.to_string());
                let out =
                    OutgoingMessage { body: m.body.clone(), delay: Some(Duration::from_secs(delay_secs)), attributes };
                let action = Action::Replay { replay, delay_secs };
                match self.queue.send(&pair.source_url, out).await {
                    Ok(_) => {}
                    // The source will never take it (too large, too many attributes): park it.
                    Err(e @ PortError::Permanent { .. }) => {
                        return self
                            .park(pair, m, replays_of(m), Some(format!("the source queue refused it: {e}")))
                            .await
                    }
                    Err(e) => {
                        return MessageReport {
                            message_id: id,
                            action,
                            error: Some(format!("not replayed (stays in the DLQ): {e}")),
                        }
                    }
                }
                // Re-sent: only now delete. A failure leaves a copy in the DLQ (see crate docs).
                let error = self.queue.delete(&pair.dlq_url, &m.receipt_handle).await.err().map(|e| {
                    format!("replayed, but the DLQ delete failed (a copy stays there; consumers are idempotent): {e}")
                });
                MessageReport { message_id: id, action, error }
            }
            Action::Park { .. } => self.park(pair, m, replays_of(m), None).await,
        }
    }

    async fn park(&self, pair: &QueuePair, m: &QueueMessage, replays: u32, why: Option<String>) -> MessageReport {
        let mut msg = m.clone();
        if let Some(w) = &why {
            msg.attributes.insert(crate::LAST_ERROR_ATTR.into(), w.clone());
        }
        let unit = park_unit(pair, &msg, replays, self.clock.now(), self.config.mark_ttl_secs);
        let reason = unit
            .events
            .first()
            .and_then(|e| e.detail.get("reason"))
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string();
        let fail = |e: String| MessageReport {
            message_id: m.message_id.clone(),
            action: Action::Park { reason: reason.clone() },
            error: Some(format!("not parked (stays in the DLQ): {e}")),
        };
        // Already parked (the mark exists) is done too: only the delete is left.
        if let Err(e) = run_unit(&self.store, &self.bus, &unit, &self.config.publish).await {
            return fail(e.to_string());
        }
        let error = self
            .queue
            .delete(&pair.dlq_url, &m.receipt_handle)
            .await
            .err()
            .map(|e| format!("parked, but the DLQ delete failed (it will be recognised as parked next time): {e}"));
        MessageReport { message_id: m.message_id.clone(), action: Action::Park { reason }, error }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_and_cap() {
        let c = Config { jitter: 0.0, backoff_initial: Duration::from_secs(30), ..Config::default() };
        let d: Vec<u64> = (1..=7).map(|n| replay_delay(&c, n).as_secs()).collect();
        assert_eq!(d, vec![30, 60, 120, 240, 480, 900, 900]);
        let j = Config { jitter: 0.5, ..c };
        for n in 1..=10 {
            assert!(replay_delay(&j, n) <= MAX_DELAY);
        }
    }
}
