//! Linked accounts, phone numbers, event destinations and the business public key.

use serde_json::{json, Value};

use super::{empty, missing, Req};
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
    Ok(json!({ "phoneNumber": phone.json(), "linkedWhatsAppBusinessAccountId": st.waba_of(phone) }))
}

/// `PUT /v1/whatsapp/waba/phone?id=…` (call settings are accepted and ignored).
pub fn update_phone(req: &Req, st: &mut State) -> Result<Value, EumError> {
    let id = req.query_required("id")?;
    if req.body_value("callSettings").is_none() {
        return Err(missing("callSettings"));
    }
    let phone = st.phone_or_404(id)?;
    Ok(json!({ "phoneNumberId": phone.id }))
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
