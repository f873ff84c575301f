//! One merge, announced: read the latest item, plan the merge of an observation, write the
//! history row (idempotent: keyed by the observation), publish one `whatsapp.quality.changed`
//! per changed field, then the conditional write of the latest item. A failed condition (a
//! concurrent writer) re-reads and re-plans.
//!
//! Publishing before the write is what keeps a change from being lost: a crash after the
//! publish re-runs the whole merge on redelivery, which publishes the same event again with the
//! same deterministic id (consumers dedupe on `event_id`); a crash after the write finds
//! nothing newer to merge. The history row is written first so the record of the observation
//! exists even when it changed nothing.

use serde_json::Value;
use time::OffsetDateTime;
use wapipe_core::app::publish::publish_each;
use wapipe_core::domain::events::{rfc3339, DomainEvent, EventType};
use wapipe_core::domain::keys::Key;
use wapipe_core::domain::quality::merge::{merged_view, plan_merge, FieldChange, Observed};
use wapipe_core::domain::quality::observe::{changed_event, history_item, HistoryRow, Subject};
use wapipe_core::domain::quality::Source;
use wapipe_core::ports::{Bus, Clock, PortError, Store, Write, WriteOutcome};

use crate::Snapshotter;

/// What to merge and how to announce it.
pub struct Merge<'a> {
    /// The merged item: `QUALITY#{phone}`/`LATEST`, `TEMPLATE#{waba}#{name}#{lang}`/`STATE` or
    /// `ACCOUNT#{waba}`/`LATEST`.
    pub key: Key,
    /// The field values seen and the time (epoch ms) they were seen at, which orders the merge.
    pub observed: &'a Observed,
    /// Identity attributes (`waba_id`, `display_phone_number`, …) written along, only when the
    /// merge writes something.
    pub extra: &'a [(&'a str, Value)],
    /// What the `whatsapp.quality.changed` events are about (phone, template or account).
    pub subject: Subject<'a>,
    /// Only these fields' changes are announced.
    pub announce: &'a [&'a str],
    /// Where the observation came from: a webhook's first value of a field is announced, a
    /// snapshot's is only recorded.
    pub source: Source,
    /// When the observation was made (the event's time, or the poll's): the history row's `at`
    /// and the events' `occurred_at`.
    pub observed_at: OffsetDateTime,
    /// The history row's key (`AT#{time}#{id}` beside the merged item); the same observation
    /// always gives the same key, so a redelivery rewrites the same row.
    pub history: Key,
    /// What happened, stored in the history row: Meta's `event` (e.g. `DOWNGRADE`), the kind of
    /// change, or `SNAPSHOT`; `None` when unknown.
    pub event: Option<&'a str>,
}

/// What a merge did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Merged {
    /// The announced fields that changed, with old and new values; empty when the observation
    /// changed nothing announced (older or equal values, or a snapshot's first sight).
    pub changes: Vec<FieldChange>,
    /// Detail-types of the events published (one `whatsapp.quality.changed` per change).
    pub published: Vec<EventType>,
}

impl<S: Store, B: Bus, A, C: Clock> Snapshotter<S, B, A, C> {
    /// Run one merge (see the module docs). Errs on a store or bus failure, or (transient) when
    /// the item kept changing under `max_attempts` re-plans.
    pub async fn merge(&self, m: &Merge<'_>) -> Result<Merged, PortError> {
        let now = self.clock.now();
        let expires = now.unix_timestamp().saturating_add(self.config.history_ttl_secs);
        for _ in 0..self.config.max_attempts.max(1) {
            let current = self.store.get(&m.key.pk, &m.key.sk).await?;
            let plan = plan_merge(&m.key, current.as_ref(), m.observed, m.extra, &rfc3339(now));
            let state = merged_view(current.as_ref(), &m.key, &plan);
            let row = HistoryRow {
                key: m.history.clone(),
                at: m.observed_at,
                source: m.source,
                event: m.event,
                state: &state,
                observed: m.observed,
                expires_at: expires,
            };
            self.store.write(Write::put(history_item(&row))).await?;
            let Some(write) = plan.write else {
                return Ok(Merged::default());
            };
            let changes: Vec<FieldChange> = plan
                .changes
                .into_iter()
                .filter(|c| m.announce.contains(&c.field))
                .filter(|c| c.old.is_some() || m.source.reports_first_value())
                .collect();
            let events: Vec<DomainEvent> =
                changes.iter().map(|c| changed_event(&m.subject, c, m.source, m.observed_at)).collect();
            let published = publish_each(&self.bus, &self.store, &events, &self.config.publish).await?;
            if self.store.write(write).await? == WriteOutcome::Applied {
                return Ok(Merged { changes, published });
            }
        }
        Err(PortError::Transient {
            service: "store",
            op: "merge",
            message: format!("{} kept changing under {} attempts", m.key, self.config.max_attempts),
        })
    }
}
