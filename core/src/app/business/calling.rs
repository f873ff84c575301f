//! Calling: click-to-chat deep links (`https://wa.me/<number>?text=…`, from which the user can
//! call the business) and the number's call settings as recorded locally. EUM's
//! `UpdateLinkedWhatsAppBusinessAccountPhoneNumber` can set the call settings; the local
//! record keeps what was asked and when.

use super::{epoch_ms, BusinessError};
use crate::domain::keys;
use crate::ports::{Cond, Item, Store, Write, WriteOutcome};

/// A `wa.me` link to the number (E.164, `+` optional), with an optional prefilled message.
pub fn deep_link(phone_e164: &str, text: Option<&str>) -> Result<String, BusinessError> {
    let digits: String = phone_e164.chars().filter(|c| !matches!(c, '+' | ' ' | '-' | '(' | ')')).collect();
    if digits.len() < 8 || digits.len() > 15 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(BusinessError::invalid("phone", "an international number: 8 to 15 digits, country code first"));
    }
    let mut link = format!("https://wa.me/{digits}");
    if let Some(t) = text.filter(|t| !t.is_empty()) {
        link.push_str("?text=");
        link.push_str(&percent_encode(t));
    }
    Ok(link)
}

/// RFC 3986 percent-encoding of everything but unreserved characters.
fn percent_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Call settings: the port's type, EUM's `WhatsAppCallSettings` whole (call hours included).
pub use crate::ports::admin::CallSettings;

/// [`CallSettings::validate`], as a business error naming the field.
pub fn validate_settings(settings: &CallSettings) -> Result<(), BusinessError> {
    settings.validate().map_err(|e| match e {
        crate::ports::admin::AdminError::Invalid { field, message } => BusinessError::Invalid { field, message },
        other => BusinessError::invalid("settings", other.to_string()),
    })
}

/// Record the settings (a write older than the stored one is ignored; returns false).
pub async fn record_settings<S: Store>(
    store: &S,
    phone: &str,
    settings: &CallSettings,
    applied_to_eum: bool,
    now: time::OffsetDateTime,
) -> Result<bool, BusinessError> {
    validate_settings(settings)?;
    let k = keys::call_settings(phone);
    let body = serde_json::to_value(settings).map_err(|e| BusinessError::invalid("settings", e.to_string()))?;
    let ms = epoch_ms(now);
    let item =
        Item::new(k.pk, k.sk).with("settings", body).with("applied_to_eum", applied_to_eum).with("updated_at_ms", ms);
    Ok(store.write(Write::put_if(item, Cond::missing_or_lt("updated_at_ms", ms))).await? == WriteOutcome::Applied)
}

/// The recorded settings of `phone` and whether they were applied through EUM
/// (`applied_to_eum`); `None` when none were recorded.
pub async fn settings<S: Store>(store: &S, phone: &str) -> Result<Option<(CallSettings, bool)>, BusinessError> {
    let k = keys::call_settings(phone);
    let Some(item) = store.get(&k.pk, &k.sk).await? else { return Ok(None) };
    let raw = item.attrs.get("settings").cloned().unwrap_or_default();
    let s = serde_json::from_value(raw).map_err(|e| {
        BusinessError::invalid("settings", format!("the recorded call settings of {phone} do not parse: {e}"))
    })?;
    Ok(Some((s, item.attrs.get("applied_to_eum").and_then(|v| v.as_bool()).unwrap_or(false))))
}

/// One call as the `calls` webhooks left it (see `domain::normalize::calls`): the record's
/// attributes, without its internal rank.
pub type CallRecord = serde_json::Map<String, serde_json::Value>;

/// Every call recorded for the number `phone` (Meta phone number id), newest first (bounded: 100 pages).
pub async fn calls<S: Store>(store: &S, phone: &str) -> Result<Vec<CallRecord>, BusinessError> {
    let items = super::query_all(store, keys::call_partition(phone), keys::CALL_PREFIX).await?;
    let mut calls: Vec<CallRecord> = items.iter().map(crate::domain::normalize::calls::record_view).collect();
    let at = |c: &CallRecord| {
        ["connected_at", "ringing_at", "terminated_at"]
            .iter()
            .find_map(|k| c.get(*k).and_then(serde_json::Value::as_i64))
    };
    calls.sort_by_key(|c| std::cmp::Reverse(at(c)));
    Ok(calls)
}

/// One call by its id (`wacid…`); `None` when no webhook of it was recorded.
pub async fn call<S: Store>(store: &S, phone: &str, wacid: &str) -> Result<Option<CallRecord>, BusinessError> {
    let k = keys::call(phone, wacid);
    Ok(store.get(&k.pk, &k.sk).await?.as_ref().map(crate::domain::normalize::calls::record_view))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_links_are_wa_me_with_encoded_text() {
        assert_eq!(deep_link("+1 (555) 555-0100", None).unwrap(), "https://wa.me/15555550100");
        assert_eq!(
            deep_link("919876543210", Some("Call me back?")).unwrap(),
            "https://wa.me/919876543210?text=Call%20me%20back%3F"
        );
        assert!(deep_link("12ab", None).is_err());
        assert!(deep_link("123", None).is_err());
    }
}
