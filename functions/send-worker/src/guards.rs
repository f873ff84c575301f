//! Guards before any call: the 24-hour customer service window, marketing opt-out, and the
//! template's state, from what ingest and the quality snapshotter keep in the table.
//!
//! - `CONTACT#{phone}#{contact}` / `WINDOW` (contact: the phone `wa_id`, or the BSUID of a user
//!   known by no phone; see `SendRequest::contact_id`): `last_inbound_at` (epoch secs, written by ingest for
//!   every message the user sends) and `marketing_opt_out` (ingest, from `user_preferences`;
//!   the send worker too, when Meta answers 131050).
//! - `TEMPLATE#{waba}#{name}#{lang}` / `STATE`: `status` (APPROVED, PAUSED, DISABLED,
//!   REJECTED, …) and `category`, when cached (the quality snapshotter keeps it from template
//!   webhooks, `wapipe templates` from EUM; `wapipe_core::domain::quality::template`).
//! - `QUALITY#{phone}` / `LATEST` (the quality snapshotter): a RED or FLAGGED number does not
//!   refuse sends, it slows marketing ones ([`quality_slowdown`], used by `pacing`).

use serde_json::Value;
use time::OffsetDateTime;
use wapipe_core::app::consumer::Reader;
use wapipe_core::domain::keys;
use wapipe_core::domain::outbound::{Category, RecipientType, SendRequest};
use wapipe_core::domain::quality;
use wapipe_core::ports::{Item, PortResult, Store};

/// The customer service window (Meta: 24 hours after the user's last message).
pub const WINDOW_SECS: i64 = 24 * 3600;

/// Meta marks messages as read up to 30 days after they were sent.
pub const READ_MAX_AGE_SECS: i64 = 30 * 24 * 3600;

/// A guard that refuses the request: the rule (for the event) and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The `rule` of `whatsapp.send.rejected`: `template_paused`, `template_disabled`,
    /// `template_rejected`, `account_restricted`, `bsuid_not_supported`, `read_too_old`, `opted_out` or
    /// `template_required`.
    pub rule: &'static str,
    /// Why, in words.
    pub reason: String,
}

/// What the guards read, for the record and the events.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Facts {
    /// The message's category: the cached template state's, else the request's
    /// `options.category`; `None` when unknown.
    pub category: Option<Category>,
    /// The cached template status, upper case (`APPROVED`, `PAUSED`, …); `None` for a
    /// non-template message or a template not cached.
    pub template_status: Option<String>,
    /// `options.mark_read`, when the message it names is within Meta's 30 days (or of unknown age).
    pub mark_read: Option<String>,
}

/// Run every guard. `Ok(Err(refusal))` rejects the request.
pub async fn check<S: Store>(
    reads: &Reader<'_, S>,
    req: &SendRequest,
    phone_number_id: &str,
    waba_id: &str,
    now: OffsetDateTime,
) -> PortResult<Result<Facts, Refusal>> {
    let window = keys::contact_window(phone_number_id, req.contact_id());
    let mut contact = reads.get(&window).await?;
    // A BSUID resolved to a phone: messages that came by BSUID alone (the phone hidden) keep
    // their window under the BSUID; the later of the two inbound times counts.
    if req.to_bsuid() && req.contact_id() != req.to {
        let by_bsuid = reads.get(&keys::contact_window(phone_number_id, &req.to)).await?;
        contact = merge_windows(contact, by_bsuid);
    }
    let mut facts = Facts { category: req.options.category, ..Facts::default() };
    if let Some(w) = &req.options.mark_read {
        let old = inbound_age(reads, w, now).await?.is_some_and(|a| a > READ_MAX_AGE_SECS);
        facts.mark_read = (!old).then(|| w.clone());
    }
    if let Some(t) = req.message.template() {
        let k = keys::template_state(waba_id, &t.name, &t.language.code);
        if let Some(state) = reads.get(&k).await? {
            facts.template_status = state.get_str("status").map(str::to_ascii_uppercase);
            if let Some(c) = state.get_str("category").and_then(Category::parse) {
                facts.category = Some(c);
            }
        }
    }
    if req.message.template().is_some() {
        let account = reads.get(&keys::account_latest(waba_id)).await?;
        if let Some(r) = restricted(facts.category, account.as_ref(), now) {
            return Ok(Err(r));
        }
    }
    if let Some(read) = req.message.read() {
        if let Some(age) = inbound_age(reads, &read.message_id, now).await?.filter(|a| *a > READ_MAX_AGE_SECS) {
            let days = age / 86_400;
            return Ok(Err(Refusal {
                rule: "read_too_old",
                reason: format!(
                    "message {} is {days} days old; Meta marks messages up to 30 days old",
                    read.message_id
                ),
            }));
        }
    }
    Ok(decide(req, contact.as_ref(), &facts, now).map(|()| facts))
}

/// `account_restricted`: a template the WABA may not send now. Meta's `account_update`
/// restrictions (kept by the quality snapshotter under `ACCOUNT#{waba}`):
/// `RESTRICTED_BIZ_INITIATED_MESSAGING` stops marketing and utility templates,
/// `RESTRICTED_UTILITY_TEMPLATES` utility ones, each until its `expiration` (none: until lifted).
pub fn restricted(category: Option<Category>, account: Option<&Item>, now: OffsetDateTime) -> Option<Refusal> {
    let category = category?;
    let list = account?.attrs.get("restrictions")?.as_array()?;
    list.iter().find_map(|r| {
        let kind = r.get("restriction_type").and_then(Value::as_str)?.to_ascii_uppercase();
        let applies = match kind.as_str() {
            "RESTRICTED_BIZ_INITIATED_MESSAGING" => matches!(category, Category::Marketing | Category::Utility),
            "RESTRICTED_UTILITY_TEMPLATES" => category == Category::Utility,
            _ => false,
        };
        let until = r.get("expiration").and_then(expiration);
        let active = until.is_none_or(|t| now.unix_timestamp() < t);
        (applies && active).then(|| Refusal {
            rule: "account_restricted",
            reason: match until {
                Some(t) => format!(
                    "the account is restricted ({kind}) until {}",
                    wapipe_core::domain::events::rfc3339(OffsetDateTime::from_unix_timestamp(t).unwrap_or(now))
                ),
                None => format!("the account is restricted ({kind})"),
            },
        })
    })
}

/// A restriction's `expiration`: epoch seconds as a number or text, or RFC 3339.
fn expiration(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok().or_else(|| {
            OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok().map(|t| t.unix_timestamp())
        }),
        _ => None,
    }
}

/// How old (seconds) the inbound message `wamid` is, from the record ingest keeps; `None` when
/// there is no inbound record of it (then Meta decides).
pub async fn inbound_age<S: Store>(reads: &Reader<'_, S>, wamid: &str, now: OffsetDateTime) -> PortResult<Option<i64>> {
    let item = reads.get(&keys::message(wamid)).await?;
    Ok(item
        .filter(|m| m.get_str("direction") == Some("in"))
        .and_then(|m| m.get_i64("timestamp"))
        .map(|t| now.unix_timestamp() - t))
}

/// Two window items of one user: the later `last_inbound_at`, and the opt-out set last.
fn merge_windows(a: Option<Item>, b: Option<Item>) -> Option<Item> {
    let (mut a, b) = match (a, b) {
        (Some(a), Some(b)) => (a, b),
        (a, b) => return a.or(b),
    };
    for (at, attrs) in [
        ("last_inbound_at", &["last_inbound_at", "last_wamid"][..]),
        ("marketing_pref_at", &["marketing_pref_at", "marketing_opt_out"][..]),
    ] {
        if b.get_i64(at) > a.get_i64(at) {
            for k in attrs {
                if let Some(v) = b.attrs.get(*k) {
                    a.attrs.insert((*k).to_string(), v.clone());
                }
            }
        }
    }
    Some(a)
}

/// Why marketing from this number should be slowed (RED rating or FLAGGED), from the
/// snapshotter's latest state; `None` when healthy or never observed.
pub async fn quality_slowdown<S: Store>(reads: &Reader<'_, S>, phone_number_id: &str) -> PortResult<Option<String>> {
    let k = keys::quality_latest(phone_number_id);
    Ok(reads.get(&k).await?.as_ref().and_then(quality::degraded))
}

/// The decision, pure: testable without a store.
pub fn decide(req: &SendRequest, contact: Option<&Item>, facts: &Facts, now: OffsetDateTime) -> Result<(), Refusal> {
    if let Some(status) = facts.template_status.as_deref() {
        let rule = match status {
            "PAUSED" => Some("template_paused"),
            "DISABLED" => Some("template_disabled"),
            "REJECTED" => Some("template_rejected"),
            _ => None,
        };
        if let Some(rule) = rule {
            let name = req.message.template().map(|t| t.name.as_str()).unwrap_or_default();
            return Err(Refusal { rule, reason: format!("template {name} is {}", status.to_ascii_lowercase()) });
        }
    }
    // Meta refuses BSUIDs for one-tap, zero-tap and copy-code templates (error 131062), which
    // are every authentication template: refused here, before any call.
    if req.to_bsuid() && facts.category == Some(Category::Authentication) {
        return Err(Refusal {
            rule: "bsuid_not_supported",
            reason: "authentication templates (one-tap, zero-tap, copy code) need a phone number, not a BSUID \
                     (Meta error 131062)"
                .into(),
        });
    }
    // A group has no 1:1 window or opt-out of its own: Meta decides (docs/PROTOCOL.md §10.5).
    if req.recipient_type == RecipientType::Group {
        return Ok(());
    }
    let opted_out = contact.and_then(|c| c.attrs.get("marketing_opt_out")).and_then(|v| v.as_bool()) == Some(true);
    if opted_out && facts.category == Some(Category::Marketing) {
        return Err(Refusal { rule: "opted_out", reason: "the user stopped marketing messages".into() });
    }
    let needs_window = req.message.needs_window() || req.options.require_window == Some(true);
    if needs_window {
        let last = contact.and_then(|c| c.get_i64("last_inbound_at"));
        let open = last.is_some_and(|t| now.unix_timestamp() < t.saturating_add(WINDOW_SECS));
        if !open {
            let since = last.map_or_else(|| "none".to_string(), |t| format!("{}s ago", now.unix_timestamp() - t));
            let what = if req.message.needs_window() { "template required" } else { "window required by options" };
            return Err(Refusal {
                rule: "template_required",
                reason: format!(
                    "{what}: the 24-hour customer service window is closed (last inbound message: {since})"
                ),
            });
        }
    }
    Ok(())
}
