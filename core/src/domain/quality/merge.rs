//! Merging observations into a "latest state" item, field by field, in the order the
//! observations were made (not the order they arrive).
//!
//! Every tracked field `f` carries its value and `f_at` (epoch milliseconds of the observation
//! that set it). An observation sets `f` only when it is strictly newer than `f_at`, so a late,
//! duplicate or out-of-order delivery never regresses a field, and applying the same
//! observation twice changes nothing the second time (its `f_at` is no longer older).
//!
//! The write is guarded by the item's `version` (optimistic concurrency: the version read, or
//! no item): two writers racing on one item cannot both apply from the same read; the loser
//! re-reads and re-plans, and then sees the winner's newer timestamps. A field change is
//! reported only by the writer whose conditional write applied, so each real change is
//! announced once.

use serde_json::Value;

use crate::domain::keys::Key;
use crate::domain::table::{Cond, Item, Update, Write};

/// The optimistic-concurrency counter of a merged item.
pub const VERSION: &str = "version";
/// When the item was last written (RFC 3339), for operators.
pub const UPDATED_AT: &str = "updated_at";

/// Name of the timestamp attribute of a field.
pub fn at_attr(field: &str) -> String {
    format!("{field}_at")
}

/// What to observe: field values seen at one time.
#[derive(Clone, Debug, PartialEq)]
pub struct Observed {
    /// Epoch milliseconds of the observation (the event's own time, or the poll time).
    pub at_ms: i64,
    /// `(field, value)`; null values are ignored (not observed).
    pub fields: Vec<(&'static str, Value)>,
}

/// One field whose value changed.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldChange {
    /// The field's attribute name on the merged item (e.g. `rating`, `tier`).
    pub field: &'static str,
    /// `None` when the field had no value before.
    pub old: Option<Value>,
    /// The value the observation set.
    pub new: Value,
}

/// The write (if any) and what it changes.
#[derive(Clone, Debug, PartialEq)]
pub struct MergePlan {
    /// `None`: nothing newer to record (a duplicate or a stale observation).
    pub write: Option<Write>,
    /// Fields whose value differs from what the item held (only the newer ones).
    pub changes: Vec<FieldChange>,
    /// Fields the observation was newer for (changed or merely re-confirmed).
    pub applied: Vec<&'static str>,
}

/// Plan merging `obs` into `current` (the item at `key`, as read). `extra` updates ride along
/// when something is written (identity attributes such as names and ids).
pub fn plan_merge(key: &Key, current: Option<&Item>, obs: &Observed, extra: &[(&str, Value)], now: &str) -> MergePlan {
    let mut updates = Vec::new();
    let mut changes = Vec::new();
    let mut applied = Vec::new();
    for (field, value) in &obs.fields {
        if value.is_null() {
            continue;
        }
        let at = at_attr(field);
        let seen_at = current.and_then(|c| c.get_i64(&at));
        if seen_at.is_some_and(|t| t >= obs.at_ms) {
            continue;
        }
        let old = current.and_then(|c| c.attrs.get(*field)).filter(|v| !v.is_null()).cloned();
        if old.as_ref() != Some(value) {
            changes.push(FieldChange { field, old, new: value.clone() });
        }
        applied.push(*field);
        updates.push(Update::Set((*field).to_string(), value.clone()));
        updates.push(Update::Set(at, obs.at_ms.into()));
    }
    if updates.is_empty() {
        return MergePlan { write: None, changes, applied };
    }
    for (name, value) in extra {
        if !value.is_null() {
            updates.push(Update::Set((*name).to_string(), value.clone()));
        }
    }
    let version = current.and_then(|c| c.get_i64(VERSION));
    updates.push(Update::Set(VERSION.into(), version.unwrap_or(0).saturating_add(1).into()));
    updates.push(Update::Set(UPDATED_AT.into(), now.into()));
    let cond = match (current, version) {
        (None, _) => Cond::ItemMissing,
        (Some(_), Some(v)) => Cond::AttrEq(VERSION.into(), v.into()),
        (Some(_), None) => Cond::And(vec![Cond::ItemExists, Cond::AttrMissing(VERSION.into())]),
    };
    let write = Write::Update { pk: key.pk.clone(), sk: key.sk.clone(), updates, cond: Some(cond) };
    MergePlan { write: Some(write), changes, applied }
}

/// The item `current` would become after `plan` (for tests and for history rows).
pub fn merged_view(current: Option<&Item>, key: &Key, plan: &MergePlan) -> Item {
    let mut item = current.cloned().unwrap_or_else(|| Item::new(key.pk.clone(), key.sk.clone()));
    if let Some(Write::Update { updates, .. }) = &plan.write {
        for u in updates {
            if let Update::Set(name, v) = u {
                item.attrs.insert(name.clone(), v.clone());
            }
        }
    }
    item
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key() -> Key {
        crate::domain::keys::quality_latest("P")
    }

    fn apply(current: Option<&Item>, obs: &Observed) -> (Item, MergePlan) {
        let plan = plan_merge(&key(), current, obs, &[], "now");
        (merged_view(current, &key(), &plan), plan)
    }

    #[test]
    fn newer_applies_older_and_duplicate_do_not() {
        let o1 = Observed { at_ms: 1000, fields: vec![("rating", json!("GREEN")), ("tier", json!("TIER_2K"))] };
        let (s1, p1) = apply(None, &o1);
        assert_eq!(p1.changes.len(), 2);
        assert_eq!(
            p1.write.as_ref().map(|w| matches!(w, Write::Update { cond: Some(Cond::ItemMissing), .. })),
            Some(true)
        );
        let (_, dup) = apply(Some(&s1), &o1);
        assert!(dup.write.is_none() && dup.changes.is_empty());
        let older = Observed { at_ms: 500, fields: vec![("rating", json!("RED"))] };
        assert!(apply(Some(&s1), &older).1.write.is_none());
        let newer = Observed { at_ms: 2000, fields: vec![("rating", json!("RED"))] };
        let (s2, p2) = apply(Some(&s1), &newer);
        assert_eq!(p2.changes, vec![FieldChange { field: "rating", old: Some(json!("GREEN")), new: json!("RED") }]);
        assert_eq!(s2.get_str("tier"), Some("TIER_2K"));
        assert_eq!(s2.get_i64(VERSION), Some(2));
        let Some(Write::Update { cond, .. }) = p2.write else { panic!("an update") };
        assert_eq!(cond, Some(Cond::AttrEq(VERSION.into(), json!(1))));
        // Same value, newer time: re-confirmed (timestamp moves) but not a change.
        let again = Observed { at_ms: 3000, fields: vec![("rating", json!("RED"))] };
        let (_, p3) = apply(Some(&s2), &again);
        assert!(p3.write.is_some() && p3.changes.is_empty() && p3.applied == vec!["rating"]);
    }
}
