//! Linked accounts (and their disassociation), phone numbers with their call settings, event
//! destinations and the business public key.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{check_str, empty, invalid, missing, Req};
use crate::error::EumError;
use crate::state::{page, State};

/// `GET /v1/whatsapp/waba/details?id=waba-…`.
pub fn get_waba(req: &Req, st: &mut State) -> Result<Value, EumError> {
    let waba = st.waba_or_404(req.query_required("id")?)?;
    let phones = st.phones_of(&waba.id);
    Ok(json!({ "account": waba.detail_json(&phones) }))
}

/// `GET /v1/whatsapp/waba/phone/details?id=phone-number-id-…`.
pub fn get_phone(req: &Req, st: &mut State) -> Result<Value, EumError> {
    let phone = st.phone_or_404(req.query_required("id")?)?;
    let mut out = json!({ "phoneNumber": phone.json(), "linkedWhatsAppBusinessAccountId": st.waba_of(phone) });
    if let (Some(settings), Some(obj)) = (st.call_settings.get(&phone.id), out.as_object_mut()) {
        obj.insert("callSettings".to_string(), settings.clone());
    }
    Ok(out)
}

/// `PUT /v1/whatsapp/waba/phone?id=…`: checks `callSettings` and stores them for the phone
/// (GetLinkedWhatsAppBusinessAccountPhoneNumber answers them).
pub fn update_phone(req: &Req, st: &mut State) -> Result<Value, EumError> {
    let id = req.query_required("id")?;
    let settings = req.body_value("callSettings").ok_or_else(|| missing("callSettings"))?;
    check_call_settings(settings)?;
    let phone_id = st.phone_or_404(id)?.id.clone();
    st.call_settings.insert(phone_id.clone(), settings.clone());
    Ok(json!({ "phoneNumberId": phone_id }))
}

/// Days accepted in `weeklyOperatingHours[].dayOfWeek`.
const DAYS: [&str; 7] = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"];

/// The member `key` of the object at `path`, or a "must not be null" error naming `path.key`.
fn required<'a>(obj: &'a Value, path: &str, key: &str) -> Result<&'a Value, EumError> {
    obj.get(key).filter(|v| !v.is_null()).ok_or_else(|| missing(&format!("{path}.{key}")))
}

/// The member `key` of the object at `path`, when present and not null.
fn optional<'a>(obj: &'a Value, key: &str) -> Option<&'a Value> {
    obj.get(key).filter(|v| !v.is_null())
}

/// `value` at `path` as an object.
fn object<'a>(path: &str, value: &'a Value) -> Result<&'a Value, EumError> {
    if value.is_object() {
        Ok(value)
    } else {
        Err(invalid(path, value, "Member must be a structure"))
    }
}

/// `value` at `path` as a boolean.
fn boolean(path: &str, value: &Value) -> Result<bool, EumError> {
    value.as_bool().ok_or_else(|| invalid(path, value, "Member must be a boolean"))
}

/// `value` at `path` as a list of `min..=max` items.
fn list<'a>(path: &str, value: &'a Value, min: usize, max: usize) -> Result<&'a [Value], EumError> {
    let items = value.as_array().ok_or_else(|| invalid(path, value, "Member must be a list"))?;
    if items.len() < min || items.len() > max {
        return Err(invalid(path, value, &format!("Member must have length between {min} and {max}")));
    }
    Ok(items)
}

/// A `WhatsAppTimeOfDay` (`{hours 0–23, minutes 0–59}`) at `path`.
fn time_of_day(path: &str, value: &Value) -> Result<(), EumError> {
    let t = object(path, value)?;
    for (key, max) in [("hours", 23), ("minutes", 59)] {
        let v = required(t, path, key)?;
        if !v.as_i64().is_some_and(|n| (0..=max).contains(&n)) {
            return Err(invalid(&format!("{path}.{key}"), v, &format!("Member must have value between 0 and {max}")));
        }
    }
    Ok(())
}

/// A `YYYY-MM-DD` calendar date.
fn is_date(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let [y, m, d] = parts.as_slice() else { return false };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 || !s.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
        return false;
    }
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<u32>(), m.parse::<u32>(), d.parse::<u32>()) else { return false };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

/// Checks a `WhatsAppCallSettings` object; every error names the offending path.
pub fn check_call_settings(settings: &Value) -> Result<(), EumError> {
    let cs = object("callSettings", settings)?;
    boolean("callSettings.callEnabled", required(cs, "callSettings", "callEnabled")?)?;
    for key in ["callIconVisibility", "callbackPermissionStatus"] {
        if let Some(v) = optional(cs, key) {
            check_str(&format!("callSettings.{key}"), v, 1, 50)?;
        }
    }
    let Some(hours) = optional(cs, "callHours") else { return Ok(()) };
    let path = "callSettings.callHours";
    let ch = object(path, hours)?;
    boolean(&format!("{path}.enabled"), required(ch, path, "enabled")?)?;
    check_str(&format!("{path}.timezone"), required(ch, path, "timezone")?, 1, 100)?;
    let weekly_path = format!("{path}.weeklyOperatingHours");
    let weekly = list(&weekly_path, required(ch, path, "weeklyOperatingHours")?, 0, 14)?;
    let mut per_day: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, entry) in weekly.iter().enumerate() {
        let at = format!("{weekly_path}[{i}]");
        let e = object(&at, entry)?;
        let day_value = required(e, &at, "dayOfWeek")?;
        let day = day_value.as_str().filter(|d| DAYS.contains(d)).ok_or_else(|| {
            invalid(
                &format!("{at}.dayOfWeek"),
                day_value,
                &format!("Member must satisfy enum value set: [{}]", DAYS.join(", ")),
            )
        })?;
        time_of_day(&format!("{at}.openTime"), required(e, &at, "openTime")?)?;
        time_of_day(&format!("{at}.closeTime"), required(e, &at, "closeTime")?)?;
        let n = per_day.entry(day).or_default();
        *n += 1;
        if *n > 2 {
            return Err(invalid(
                &format!("{at}.dayOfWeek"),
                day_value,
                "At most 2 operating hour ranges per day of week",
            ));
        }
    }
    if let Some(holidays) = optional(ch, "holidaySchedule") {
        let holiday_path = format!("{path}.holidaySchedule");
        for (i, entry) in list(&holiday_path, holidays, 0, 20)?.iter().enumerate() {
            let at = format!("{holiday_path}[{i}]");
            let e = object(&at, entry)?;
            let date = required(e, &at, "date")?;
            if !date.as_str().is_some_and(is_date) {
                return Err(invalid(&format!("{at}.date"), date, "Member must be a date in YYYY-MM-DD format"));
            }
            for key in ["startTime", "endTime"] {
                if let Some(t) = optional(e, key) {
                    time_of_day(&format!("{at}.{key}"), t)?;
                }
            }
        }
    }
    Ok(())
}

/// `DELETE /v1/whatsapp/waba/disassociate?id=…`: removes the WABA and its phone numbers; an unknown
/// id is a 404.
pub fn disassociate(req: &Req, st: &mut State) -> Result<Value, EumError> {
    let id = req.query_required("id")?;
    let waba_id = st.waba_or_404(id)?.id.clone();
    st.remove_waba(&waba_id);
    Ok(empty())
}

/// `GET /v1/whatsapp/waba/list?nextToken=…&maxResults=…`.
pub fn list_wabas(req: &Req, st: &mut State) -> Result<Value, EumError> {
    let items: Vec<Value> = st.wabas.iter().map(|w| w.summary_json()).collect();
    let max = req.query_str("maxResults").map(|s| json!(s));
    let (accounts, next) = page(items, max.as_ref(), req.query_str("nextToken"), 100)?;
    let mut out = json!({ "linkedAccounts": accounts });
    if let (Some(t), Some(obj)) = (next, out.as_object_mut()) {
        obj.insert("nextToken".to_string(), json!(t));
    }
    Ok(out)
}

/// `PUT /v1/whatsapp/waba/eventdestinations`.
pub fn put_event_destinations(req: &Req, st: &mut State) -> Result<Value, EumError> {
    let id = req.body_required("id")?.to_string();
    let dests = req.body_value("eventDestinations").ok_or_else(|| missing("eventDestinations"))?;
    let list = dests.as_array().ok_or_else(|| EumError::validation("eventDestinations must be a list"))?.clone();
    for d in &list {
        let arn = d.get("eventDestinationArn").and_then(Value::as_str).unwrap_or("");
        if !arn.starts_with("arn:") {
            return Err(EumError::validation(format!("Invalid eventDestinationArn '{arn}'")));
        }
    }
    let waba_id = st.waba_or_404(&id)?.id.clone();
    if let Some(w) = st.wabas.iter_mut().find(|w| w.id == waba_id) {
        w.event_destinations = list;
    }
    Ok(empty())
}

/// `GET /v1/whatsapp/business-public-key?originationPhoneNumberId=…`. A phone without a key answers `{}`.
pub fn get_public_key(req: &Req, st: &mut State) -> Result<Value, EumError> {
    let phone = st.phone_or_404(req.query_required("originationPhoneNumberId")?)?;
    Ok(match st.public_keys.get(&phone.id) {
        Some(pem) => json!({ "businessPublicKey": pem, "businessPublicKeySignatureStatus": "VALID" }),
        None => empty(),
    })
}

/// A PEM public key with the right armour (contents are not parsed).
fn looks_like_pem(pem: &str) -> bool {
    let pem = pem.trim();
    (pem.starts_with("-----BEGIN PUBLIC KEY-----") && pem.ends_with("-----END PUBLIC KEY-----"))
        || (pem.starts_with("-----BEGIN RSA PUBLIC KEY-----") && pem.ends_with("-----END RSA PUBLIC KEY-----"))
}

/// `PUT /v1/whatsapp/business-public-key`: `businessPublicKey` (PEM) xor `kmsKeyArn`.
pub fn put_public_key(req: &Req, st: &mut State) -> Result<Value, EumError> {
    let phone_id = req.body_required("originationPhoneNumberId")?;
    let pem = req.body_str("businessPublicKey").filter(|s| !s.is_empty());
    let kms = req.body_str("kmsKeyArn").filter(|s| !s.is_empty());
    let stored = match (pem, kms) {
        (Some(p), None) if looks_like_pem(p) => p.to_string(),
        (Some(_), None) => return Err(EumError::validation("businessPublicKey must be a PEM encoded RSA public key")),
        (None, Some(arn)) if arn.starts_with("arn:aws:kms:") => {
            format!("-----BEGIN PUBLIC KEY-----\nfake-eum:{arn}\n-----END PUBLIC KEY-----")
        }
        (None, Some(arn)) => return Err(EumError::validation(format!("Invalid kmsKeyArn '{arn}'"))),
        (Some(_), Some(_)) => return Err(EumError::validation("Specify only one of businessPublicKey and kmsKeyArn")),
        (None, None) => return Err(EumError::validation("One of businessPublicKey or kmsKeyArn is required")),
    };
    let id = st.phone_or_404(phone_id)?.id.clone();
    st.public_keys.insert(id, stored);
    Ok(empty())
}
