//! Applying quality and template observations to the table: read, plan with the domain's
//! merge ([`crate::domain::quality::merge`]), write on condition, and re-plan when another
//! writer got there first.

use serde_json::Value;
use time::OffsetDateTime;

use crate::domain::events::rfc3339;
use crate::domain::keys::Key;
use crate::domain::quality::merge::{merged_view, plan_merge, FieldChange, Observed};
use crate::domain::quality::template::TemplateObservation;
use crate::domain::table::{Item, WriteOutcome};
use crate::ports::{PortError, PortResult, Store};

/// Re-plans after a concurrent write before giving up (transiently).
pub const MAX_ATTEMPTS: u32 = 8;

/// What [`apply`] did.
#[derive(Clone, Debug, PartialEq)]
pub struct Applied {
    /// The changes this call recorded (empty for a duplicate or stale observation).
    pub changes: Vec<FieldChange>,
    /// The item after the call (as written, or as read when nothing was written).
    pub state: Item,
    /// True when this call's conditional write was applied; false when there was nothing to write.
    pub wrote: bool,
}

/// Read, plan, conditionally write; re-read and re-plan when another writer got there first
/// (at most `max_attempts` rounds, then a transient error so the record is retried).
pub async fn apply<S: Store>(
    store: &S,
    key: &Key,
    obs: &Observed,
    extra: &[(&str, Value)],
    now: &str,
    max_attempts: u32,
) -> PortResult<Applied> {
    for _ in 0..max_attempts.max(1) {
        let current = store.get(&key.pk, &key.sk).await?;
        let plan = plan_merge(key, current.as_ref(), obs, extra, now);
        let state = merged_view(current.as_ref(), key, &plan);
        let Some(write) = plan.write else {
            return Ok(Applied { changes: Vec::new(), state, wrote: false });
        };
        if store.write(write).await? == WriteOutcome::Applied {
            return Ok(Applied { changes: plan.changes, state, wrote: true });
        }
    }
    Err(PortError::Transient {
        service: "store",
        op: "merge",
        message: format!("{key} kept changing under {max_attempts} attempts"),
    })
}

/// Apply an observation to the cache (conditional writes, re-planned on conflicts). The
/// returned changes are the state changes this call recorded, for `whatsapp.quality.changed`.
pub async fn apply_template_observation<S: Store>(
    store: &S,
    obs: &TemplateObservation,
    now: OffsetDateTime,
) -> PortResult<Applied> {
    let mut applied = apply(store, &obs.key(), &obs.observed(), &obs.extra(), &rfc3339(now), MAX_ATTEMPTS).await?;
    if !obs.source.reports_first_value() {
        applied.changes.retain(|c| c.old.is_some());
    }
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::quality::Source;
    use crate::memory::MemoryStore;
    use crate::ports::Store;
    use proptest::prelude::*;

    fn obs(at: i64, status: Option<&str>, quality: Option<&str>, source: Source) -> TemplateObservation {
        TemplateObservation {
            waba_id: "W".into(),
            name: "promo".into(),
            language: "en_US".into(),
            template_id: Some("1".into()),
            source,
            observed_at: OffsetDateTime::from_unix_timestamp(at).unwrap(),
            status: status.map(str::to_string),
            quality: quality.map(str::to_string),
            category: None,
        }
    }

    fn now() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap()
    }

    #[tokio::test]
    async fn a_late_refresh_never_overwrites_a_newer_webhook() {
        let store = MemoryStore::new();
        let paused =
            apply_template_observation(&store, &obs(200, Some("paused"), None, Source::Webhook), now()).await.unwrap();
        assert_eq!(paused.changes.len(), 1, "a webhook's first value is a change");
        let stale = obs(100, Some("APPROVED"), Some("GREEN"), Source::Refresh);
        let r = apply_template_observation(&store, &stale, now()).await.unwrap();
        assert!(r.changes.is_empty(), "quality is a first sight from a refresh, status is older");
        assert_eq!(r.state.get_str("status"), Some("PAUSED"));
        assert_eq!(r.state.get_str("quality"), Some("GREEN"), "the older refresh still fills a field never seen");
        let k = obs(0, None, None, Source::Refresh).key();
        let item = store.get(&k.pk, &k.sk).await.unwrap().unwrap();
        assert_eq!((item.get_str("status"), item.get_str("quality")), (Some("PAUSED"), Some("GREEN")));
    }

    proptest! {
        /// Whatever order observations arrive in (duplicates included), each field ends at the
        /// value of its newest observation.
        #[test]
        fn final_state_is_the_newest_observation_per_field(
            seq in proptest::collection::vec((0i64..50, 0usize..4, 0usize..4), 1..12)
        ) {
            const S: [Option<&str>; 4] = [None, Some("APPROVED"), Some("PAUSED"), Some("DISABLED")];
            const Q: [Option<&str>; 4] = [None, Some("GREEN"), Some("YELLOW"), Some("RED")];
            let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
            let store = MemoryStore::new();
            // Distinct times per observation: ties are "the same observation" by design.
            let list: Vec<_> = seq.iter().enumerate()
                .map(|(i, (t, s, q))| obs(t * 100 + i as i64, S[*s], Q[*q], Source::Webhook)).collect();
            for o in &list {
                rt.block_on(apply_template_observation(&store, o, now())).unwrap();
            }
            let newest = |f: fn(&TemplateObservation) -> Option<String>| {
                list.iter().filter(|o| f(o).is_some()).max_by_key(|o| o.observed_at).and_then(f)
            };
            let k = list[0].key();
            let item = rt.block_on(store.get(&k.pk, &k.sk)).unwrap();
            let got = |n: &str| item.as_ref().and_then(|i| i.get_str(n)).map(str::to_string);
            prop_assert_eq!(got("status"), newest(|o| o.status.clone()));
            prop_assert_eq!(got("quality"), newest(|o| o.quality.clone()));
        }
    }
}
