//! The business profile of a number, local only (EUM has no profile API): every update is a
//! new version (`V#{n}`) and the current one (`CURRENT`), written in one transaction guarded
//! by the version read, so two operators cannot both make version n+1. Applying it to
//! WhatsApp is manual (`apply_instructions`, then `mark_applied`).

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{epoch_ms, query_all, BusinessError};
use crate::domain::events::rfc3339;
use crate::domain::keys;
use crate::ports::{Cond, Item, Store, TransactOutcome, Update, Write};

/// Meta's `vertical` values.
pub const VERTICALS: &[&str] = &[
    "UNDEFINED",
    "OTHER",
    "AUTO",
    "BEAUTY",
    "APPAREL",
    "EDU",
    "ENTERTAIN",
    "EVENT_PLAN",
    "FINANCE",
    "GROCERY",
    "GOVT",
    "HOTEL",
    "HEALTH",
    "NONPROFIT",
    "PROF_SERVICES",
    "RETAIL",
    "TRAVEL",
    "RESTAURANT",
    "ALCOHOL",
    "ONLINE_GAMBLING",
    "PHYSICAL_GAMBLING",
    "OTC_DRUGS",
    "NOT_A_BIZ",
];

/// The fields WhatsApp shows (Meta's limits checked by [`Profile::validate`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// The About text: 1 to 139 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub about: Option<String>,
    /// The business address: at most 256 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The business description: at most 512 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A contact email address: at most 128 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// At most two http(s) URLs of at most 256 characters each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub websites: Vec<String>,
    /// The business category: one of [`VERTICALS`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vertical: Option<String>,
    /// S3 key of the picture to upload in WhatsApp Manager.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_picture_s3_key: Option<String>,
}

fn limit(field: &str, v: &Option<String>, max: usize) -> Result<(), BusinessError> {
    match v {
        Some(s) if s.chars().count() > max => Err(BusinessError::invalid(field, format!("at most {max} characters"))),
        _ => Ok(()),
    }
}

impl Profile {
    /// Meta's limits: about 1–139, address 256, description 512, email 128, two websites of 256.
    pub fn validate(&self) -> Result<(), BusinessError> {
        if self.about.as_deref().is_some_and(|a| a.trim().is_empty()) {
            return Err(BusinessError::invalid("about", "must not be empty"));
        }
        limit("about", &self.about, 139)?;
        limit("address", &self.address, 256)?;
        limit("description", &self.description, 512)?;
        limit("email", &self.email, 128)?;
        if let Some(e) = &self.email {
            if !e.contains('@') || e.starts_with('@') || e.ends_with('@') {
                return Err(BusinessError::invalid("email", "not an email address"));
            }
        }
        if self.websites.len() > 2 {
            return Err(BusinessError::invalid("websites", "at most 2"));
        }
        for (i, w) in self.websites.iter().enumerate() {
            if !(w.starts_with("https://") || w.starts_with("http://")) || w.chars().count() > 256 {
                return Err(BusinessError::invalid(
                    &format!("websites[{i}]"),
                    "an http(s) URL of at most 256 characters",
                ));
            }
        }
        if let Some(v) = &self.vertical {
            if !VERTICALS.contains(&v.as_str()) {
                return Err(BusinessError::invalid("vertical", format!("one of {}", VERTICALS.join(", "))));
            }
        }
        Ok(())
    }
}

/// A stored version.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Stored {
    /// The version number: 1 for the first update, one more for each next one.
    pub version: u64,
    /// The profile as this version set it.
    pub profile: Profile,
    /// When this version was stored (RFC 3339).
    pub updated_at: String,
    /// `pending` until marked applied.
    pub applied_state: String,
    /// The last version marked applied; on the current record only (`None` in the history).
    pub applied_version: Option<u64>,
    /// When a version was marked applied (RFC 3339): the current record's last mark, or this
    /// version's first; `None` before any.
    pub applied_at: Option<String>,
}

fn stored(item: &Item) -> Stored {
    Stored {
        version: item.get_i64("version").unwrap_or(0).max(0) as u64,
        profile: item.attrs.get("profile").cloned().and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default(),
        updated_at: item.get_str("updated_at").unwrap_or_default().to_string(),
        applied_state: item.get_str("applied_state").unwrap_or("pending").to_string(),
        applied_version: item.get_i64("applied_version").map(|v| v.max(0) as u64),
        applied_at: item.get_str("applied_at").map(str::to_string),
    }
}

/// The current version, if any.
pub async fn current<S: Store>(store: &S, phone: &str) -> Result<Option<Stored>, BusinessError> {
    let k = keys::business_profile(phone);
    Ok(store.get(&k.pk, &k.sk).await?.as_ref().map(stored))
}

/// Every version, oldest first.
pub async fn history<S: Store>(store: &S, phone: &str) -> Result<Vec<Stored>, BusinessError> {
    let items = query_all(store, keys::business_profile_partition(phone), keys::PROFILE_VERSION_PREFIX).await?;
    Ok(items.iter().map(stored).collect())
}

/// Store `profile` as the next version; its number. Fails with `Conflict` when another update
/// made that version first.
pub async fn update<S: Store>(
    store: &S,
    phone: &str,
    profile: &Profile,
    now: time::OffsetDateTime,
) -> Result<u64, BusinessError> {
    profile.validate()?;
    let before = current(store, phone).await?;
    let version = before.as_ref().map_or(1, |s| s.version + 1);
    let at = rfc3339(now);
    let body = serde_json::to_value(profile).map_err(|e| BusinessError::invalid("profile", e.to_string()))?;
    let cur = keys::business_profile(phone);
    let guard = match &before {
        None => Cond::ItemMissing,
        Some(s) => Cond::AttrEq("version".into(), json!(s.version)),
    };
    let mut item = Item::new(cur.pk.clone(), cur.sk)
        .with("phone_number_id", phone)
        .with("version", version)
        .with("profile", body.clone())
        .with("updated_at", at.clone())
        .with("updated_at_ms", epoch_ms(now))
        .with("applied_state", "pending");
    if let Some(s) = &before {
        // Keep what was last applied.
        if let Some(v) = s.applied_version {
            item = item.with("applied_version", v);
        }
        if let Some(a) = &s.applied_at {
            item = item.with("applied_at", a.clone());
        }
    }
    let v = keys::business_profile_version(phone, version);
    let snapshot = Item::new(v.pk, v.sk)
        .with("version", version)
        .with("profile", body)
        .with("updated_at", at)
        .with("applied_state", "pending");
    match store.transact(vec![Write::put_if(item, guard), Write::put_if(snapshot, Cond::ItemMissing)]).await? {
        TransactOutcome::Applied => Ok(version),
        TransactOutcome::ConditionFailed(_) => {
            Err(BusinessError::Conflict(format!("version {version} was written by someone else: read again")))
        }
    }
}

/// Record that `version` was applied in WhatsApp Manager. Idempotent; refuses a version that
/// does not exist, and never marks an older version over a newer applied one.
pub async fn mark_applied<S: Store>(
    store: &S,
    phone: &str,
    version: u64,
    now: time::OffsetDateTime,
) -> Result<(), BusinessError> {
    let v = keys::business_profile_version(phone, version);
    if store.get(&v.pk, &v.sk).await?.is_none() {
        return Err(BusinessError::NotFound(format!("{phone} has no profile version {version}")));
    }
    let at = rfc3339(now);
    let cur = keys::business_profile(phone);
    // Applied only when it is the current version; otherwise the current one still waits.
    let state = |is_current: bool| if is_current { "applied" } else { "pending" };
    let current_version = current(store, phone).await?.map_or(0, |s| s.version);
    let writes = vec![
        Write::Update {
            pk: cur.pk,
            sk: cur.sk,
            updates: vec![
                Update::Set("applied_version".into(), json!(version)),
                Update::Set("applied_at".into(), json!(at)),
                Update::Set("applied_state".into(), json!(state(current_version == version))),
            ],
            cond: Some(Cond::And(vec![
                Cond::AttrEq("version".into(), json!(current_version)),
                Cond::Or(vec![
                    Cond::AttrMissing("applied_version".into()),
                    Cond::Not(Box::new(Cond::AttrGt("applied_version".into(), json!(version)))),
                ]),
            ])),
        },
        Write::Update {
            pk: v.pk,
            sk: v.sk,
            updates: vec![
                Update::Set("applied_state".into(), json!("applied")),
                Update::SetIfMissing("applied_at".into(), json!(at)),
            ],
            cond: Some(Cond::ItemExists),
        },
    ];
    match store.transact(writes).await? {
        TransactOutcome::Applied => Ok(()),
        TransactOutcome::ConditionFailed(_) => {
            Err(BusinessError::Conflict(format!("a newer version than {version} is already marked applied")))
        }
    }
}

/// The manual steps for the current version: each field to enter, changed ones marked.
pub fn apply_instructions(current: &Stored, last_applied: Option<&Profile>) -> Vec<String> {
    let now = serde_json::to_value(&current.profile).unwrap_or(Value::Null);
    let before = last_applied.and_then(|p| serde_json::to_value(p).ok()).unwrap_or(Value::Null);
    let mut out = vec![format!(
        "Open Meta Business Suite → WhatsApp Manager → Phone numbers → the number → Profile (version {}).",
        current.version
    )];
    for field in ["about", "address", "description", "email", "websites", "vertical", "profile_picture_s3_key"] {
        let (Some(v), old) = (now.get(field), before.get(field)) else { continue };
        let mark = if old == Some(v) { "unchanged" } else { "CHANGED" };
        let shown = match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        out.push(format!("{field} ({mark}): {shown}"));
    }
    out.push("Save, check the profile on a phone, then run:".into());
    out.push(format!("wapipe profile mark-applied --phone-number-id … --version {}", current.version));
    out
}
