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

use super::merge::{self, MergePlan, Observed};
use super::Source;
use crate::domain::events::rfc3339;
use crate::domain::keys::{self, Key};
use crate::domain::table::Item;

/// What one source saw of one template at one time. `None` fields were not observed.
#[derive(Clone, Debug, PartialEq)]
pub struct TemplateObservation {
    /// Meta WABA id.
    pub waba_id: String,
    /// The template's name.
    pub name: String,
    /// The template's language code (e.g. `en_US`).
    pub language: String,
    /// Meta template id, when known.
    pub template_id: Option<String>,
    /// Who observed it: a webhook, or an operator's refresh.
    pub source: Source,
    /// When it was observed (the event's time, or the call's); fields merge in this order.
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
    /// The cache item's key: `TEMPLATE#{waba}#{name}#{lang}` / `STATE`.
    pub fn key(&self) -> Key {
        keys::template_state(&self.waba_id, &self.name, &self.language)
    }

    /// The tracked fields (`status`, `quality`, `category`, upper case) at the observation's time in milliseconds.
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
