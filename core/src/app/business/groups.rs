//! Group metadata, local only: EUM has no groups API, so groups are created in WhatsApp and
//! recorded here (subject, members, invite link) so events and reports can name them.

use serde::{Deserialize, Serialize};

use super::{epoch_ms, query_all, BusinessError};
use crate::domain::keys;
use crate::ports::{Cond, Item, Store, Write, WriteOutcome};

/// A WhatsApp group as recorded for a number.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    /// Meta's group id (an opaque string); a number records each id once.
    pub group_id: String,
    /// The group's subject: 1 to 128 characters.
    pub subject: String,
    /// The group's description, when recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Members' wa_ids (digits).
    #[serde(default)]
    pub members: Vec<String>,
    /// The group's invite link (`https://chat.whatsapp.com/…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite_link: Option<String>,
    /// `created` or `deleted`, as the `group_lifecycle_update` webhooks last said (not set by hand).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle: Option<String>,
    /// Whether WhatsApp suspended the group (`group_status_update`; not set by hand).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspended: Option<bool>,
}

impl Group {
    /// Checks a group id, a subject of 1 to 128 characters, members as wa_ids (digits, `+`
    /// allowed) and a `https://chat.whatsapp.com/` invite link; names the field.
    pub fn validate(&self) -> Result<(), BusinessError> {
        if self.group_id.trim().is_empty() {
            return Err(BusinessError::invalid("group_id", "required"));
        }
        if self.subject.trim().is_empty() || self.subject.chars().count() > 128 {
            return Err(BusinessError::invalid("subject", "1 to 128 characters"));
        }
        for (i, m) in self.members.iter().enumerate() {
            let d = m.trim_start_matches('+');
            if d.is_empty() || d.len() > 20 || !d.chars().all(|c| c.is_ascii_digit()) {
                return Err(BusinessError::invalid(&format!("members[{i}]"), "a wa_id: digits"));
            }
        }
        if let Some(l) = &self.invite_link {
            if !l.starts_with("https://chat.whatsapp.com/") {
                return Err(BusinessError::invalid("invite_link", "a https://chat.whatsapp.com/… link"));
            }
        }
        Ok(())
    }
}

/// Record a new group; `Conflict` when the id is already recorded.
pub async fn create<S: Store>(
    store: &S,
    phone: &str,
    group: &Group,
    now: time::OffsetDateTime,
) -> Result<(), BusinessError> {
    group.validate()?;
    let k = keys::group(phone, &group.group_id);
    let body = serde_json::to_value(group).map_err(|e| BusinessError::invalid("group", e.to_string()))?;
    let item = Item::new(k.pk, k.sk).with("group", body).with("created_at_ms", epoch_ms(now));
    match store.write(Write::put_if(item, Cond::ItemMissing)).await? {
        WriteOutcome::Applied => Ok(()),
        WriteOutcome::ConditionFailed => {
            Err(BusinessError::Conflict(format!("group {} is already recorded", group.group_id)))
        }
    }
}

/// Every group recorded for the number `phone`, by hand or by the `group_*` webhooks (bounded:
/// 100 pages). What the webhooks said last wins: subject, description, invite link, members
/// added and removed, lifecycle and suspension.
pub async fn list<S: Store>(store: &S, phone: &str) -> Result<Vec<Group>, BusinessError> {
    let items = query_all(store, keys::group_partition(phone), keys::GROUP_PREFIX).await?;
    let members = query_all(store, keys::group_partition(phone), keys::GROUP_MEMBER_PREFIX).await?;
    Ok(items.iter().filter_map(|i| merged(i, &members)).collect())
}

fn merged(item: &Item, members: &[Item]) -> Option<Group> {
    let mut g: Group = match item.attrs.get("group") {
        Some(v) => serde_json::from_value(v.clone()).ok()?,
        None => Group { group_id: item.get_str("group_id")?.to_string(), ..Group::default() },
    };
    let live = |k: &str| item.get_str(&format!("live_{k}")).map(str::to_string);
    g.subject = live("subject").unwrap_or(g.subject);
    g.description = live("description").or(g.description);
    g.invite_link = live("invite_link").or(g.invite_link);
    g.lifecycle = item.get_str("lifecycle").map(str::to_string);
    g.suspended = item.attrs.get("suspended").and_then(serde_json::Value::as_bool);
    let prefix = format!("{}{}#", keys::GROUP_MEMBER_PREFIX, g.group_id);
    for m in members.iter().filter(|m| m.sk.starts_with(&prefix)) {
        let ids: Vec<&str> = ["wa_id", "user_id", "input"].iter().filter_map(|k| m.get_str(k)).collect();
        let known = g.members.iter().position(|x| ids.contains(&x.trim_start_matches('+')));
        match (m.get_str("state"), known) {
            (Some("member"), None) => g.members.extend(ids.first().map(|s| s.to_string())),
            (Some("removed"), Some(i)) => {
                g.members.remove(i);
            }
            _ => {}
        }
    }
    Some(g)
}

/// Forget a group; false when it was not recorded.
pub async fn delete<S: Store>(store: &S, phone: &str, group_id: &str) -> Result<bool, BusinessError> {
    let k = keys::group(phone, group_id);
    Ok(store.write(Write::Delete { pk: k.pk, sk: k.sk, cond: Some(Cond::ItemExists) }).await? == WriteOutcome::Applied)
}
