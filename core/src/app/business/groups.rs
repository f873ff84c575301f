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

/// Every group recorded for the number `phone` (bounded: 100 pages).
pub async fn list<S: Store>(store: &S, phone: &str) -> Result<Vec<Group>, BusinessError> {
    let items = query_all(store, keys::group_partition(phone), keys::GROUP_PREFIX).await?;
    Ok(items
        .iter()
        .filter_map(|i| i.attrs.get("group").cloned())
        .filter_map(|v| serde_json::from_value(v).ok())
        .collect())
}

/// Forget a group; false when it was not recorded.
pub async fn delete<S: Store>(store: &S, phone: &str, group_id: &str) -> Result<bool, BusinessError> {
    let k = keys::group(phone, group_id);
    Ok(store.write(Write::Delete { pk: k.pk, sk: k.sk, cond: Some(Cond::ItemExists) }).await? == WriteOutcome::Applied)
}
