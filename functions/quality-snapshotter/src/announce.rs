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
    pub key: Key,
    pub observed: &'a Observed,
    pub extra: &'a [(&'a str, Value)],
    pub subject: Subject<'a>,
    /// Only these fields' changes are announced.
    pub announce: &'a [&'a str],
    pub source: Source,
    pub observed_at: OffsetDateTime,
    pub history: Key,
    pub event: Option<&'a str>,
}

/// What a merge did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Merged {
    pub changes: Vec<FieldChange>,
    pub published: Vec<EventType>,
}

impl<S: Store, B: Bus, A, C: Clock> Snapshotter<S, B, A, C> {
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
