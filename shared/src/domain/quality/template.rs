//! The template state cache, `TEMPLATE#{waba}#{name}#{lang}` / `STATE`: `status`, `quality`
//! and `category`, each with the time it was observed (see [`super::merge`]). The send worker's
//! guard reads `status` and `category` (a paused or disabled template is refused).
//!
//! One update path for every writer: the quality snapshotter (template webhooks, observed at
//! the event's time) and `wapipe templates` refreshing from `ListWhatsAppMessageTemplates`
//! (observed at the call's time). Whatever order they run in, an older observation never
//! overwrites a newer one.

use serde_json::Value;
use time::OffsetDateTime;

use super::merge::{self, Applied, MergePlan, Observed};
use super::Source;
use crate::domain::events::rfc3339;
use crate::domain::keys::{self, Key};
use crate::ports::{Item, PortResult, Store};

/// Re-plans after a concurrent write before giving up (transiently).
pub const MAX_ATTEMPTS: u32 = 8;

/// What one source saw of one template at one time. `None` fields were not observed.
#[derive(Clone, Debug, PartialEq)]
pub struct TemplateObservation {
    /// Meta WABA id.
    pub waba_id: String,
    pub name: String,
    pub language: String,
    /// Meta template id, when known.
    pub template_id: Option<String>,
    pub source: Source,
    pub observed_at: OffsetDateTime,
    /// APPROVED | PAUSED | DISABLED | REJECTED | … (stored upper case).
    pub status: Option<String>,
    /// GREEN | YELLOW | RED | UNKNOWN.
    pub quality: Option<String>,
    /// MARKETING | UTILITY | AUTHENTICATION.
    pub category: Option<String>,
}

fn upper(v: &Option<String>) -> Value {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map_or(Value::Null, |s| s.to_ascii_uppercase().into())
}

impl TemplateObservation {
    pub fn key(&self) -> Key {
        keys::template_state(&self.waba_id, &self.name, &self.language)
    }

    pub fn observed(&self) -> Observed {
        let at_ms = (self.observed_at.unix_timestamp_nanos() / 1_000_000) as i64;
        Observed {
            at_ms,
            fields: vec![
                ("status", upper(&self.status)),
                ("quality", upper(&self.quality)),
                ("category", upper(&self.category)),
            ],
        }
    }

    /// Identity attributes written with every merge.
    pub fn extra(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("waba_id", self.waba_id.clone().into()),
            ("template_name", self.name.clone().into()),
            ("language", self.language.clone().into()),
            ("template_id", self.template_id.clone().map_or(Value::Null, Value::from)),
            ("last_source", self.source.as_str().into()),
        ]
    }
}

/// Plan the cache update from the item as read (pure).
pub fn plan_template_update(obs: &TemplateObservation, current: Option<&Item>, now: OffsetDateTime) -> MergePlan {
    let mut plan = merge::plan_merge(&obs.key(), current, &obs.observed(), &obs.extra(), &rfc3339(now));
    if !obs.source.reports_first_value() {
        plan.changes.retain(|c| c.old.is_some());
    }
    plan
}

/// Apply an observation to the cache (conditional writes, re-planned on conflicts). The
/// returned changes are the state changes this call recorded, for `whatsapp.quality.changed`.
pub async fn apply_template_observation<S: Store>(
    store: &S,
    obs: &TemplateObservation,
    now: OffsetDateTime,
) -> PortResult<Applied> {
    let mut applied =
        merge::apply(store, &obs.key(), &obs.observed(), &obs.extra(), &rfc3339(now), MAX_ATTEMPTS).await?;
    if !obs.source.reports_first_value() {
        applied.changes.retain(|c| c.old.is_some());
    }
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryStore;
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
