//! Calling (docs/PROTOCOL.md §11.1): `GetWhatsAppCallPermission` answers the permission a
//! test granted (else `no_permission`, with the request action allowed); `SendWhatsAppCallEvent`
//! checks the Meta `/calls` body it carries and answers its call id.

use serde_json::{json, Value};

use super::{missing, Req};
use crate::error::EumError;
use crate::state::{CallEvent, State};

/// `POST /v1/whatsapp/call/permission/get`.
pub fn permission(req: &Req, st: &mut State) -> Result<Value, EumError> {
    let phone_id = req.body_required("originationPhoneNumberId")?.to_string();
    st.phone_or_404(&phone_id)?;
    let phone = req.body_str("destinationPhoneNumber").filter(|s| !s.is_empty());
    let bsuid = req.body_str("endUserBsuid").filter(|s| !s.is_empty());
    let user = match (phone, bsuid) {
        (Some(p), None) => {
            let digits = p.strip_prefix('+').unwrap_or("");
            let ok = (2..=15).contains(&digits.len())
                && digits.bytes().all(|b| b.is_ascii_digit())
                && !digits.starts_with('0');
            if !ok {
                return Err(EumError::validation(format!(
                    "1 validation error detected: Value '{p}' at 'destinationPhoneNumber' failed to satisfy constraint: \
                     Member must satisfy regular expression pattern: \\+[1-9]\\d{{1,14}}"
                )));
            }
            p
        }
        (None, Some(b)) if b.len() <= 100 => b,
        (None, Some(_)) => return Err(EumError::validation("endUserBsuid must be at most 100 characters")),
        _ => return Err(EumError::validation("Exactly one of destinationPhoneNumber and endUserBsuid is required")),
    };
    Ok(match st.call_permissions.get(user) {
        Some((status, expires)) => json!({
            "permission": {"status": status, "expirationTime": expires},
            "actions": [
                {"actionName": "send_call_permission_request", "canPerformAction": false, "limits": []},
                {"actionName": "start_call", "canPerformAction": true,
                 "limits": [{"timePeriod": "PT24H", "maxAllowed": 100, "currentUsage": 1}]},
            ]
        }),
        None => json!({
            "permission": {"status": "no_permission"},
            "actions": [
                {"actionName": "send_call_permission_request", "canPerformAction": true,
                 "limits": [{"timePeriod": "PT24H", "maxAllowed": 1, "currentUsage": 0},
                            {"timePeriod": "P7D", "maxAllowed": 2, "currentUsage": 0}]},
                {"actionName": "start_call", "canPerformAction": false, "limits": []},
            ]
        }),
    })
}

/// `POST /v1/whatsapp/call/event`: the blob is Meta's `/calls` body.
pub fn event(req: &Req, st: &mut State) -> Result<Value, EumError> {
    let phone_id = req.body_required("originationPhoneNumberId")?.to_string();
    req.body_required("metaApiVersion")?;
    if req.body_value("callEvent").is_none() {
        return Err(missing("callEvent"));
    }
    st.phone_or_404(&phone_id)?;
    let body = req.blob_json("callEvent")?.clone();
    let bad = |m: &str| EumError::validation(format!("(#100) {m}"));
    if body.get("messaging_product").and_then(Value::as_str) != Some("whatsapp") {
        return Err(bad("The parameter messaging_product is required and must be \"whatsapp\"."));
    }
    let action = body.get("action").and_then(Value::as_str).unwrap_or_default();
    let text = |k: &str| body.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
    let call_id = match action {
        "connect" => {
            if text("to").is_none() && text("recipient").is_none() {
                return Err(bad("The parameter to is required."));
            }
            if body.pointer("/session/sdp").and_then(Value::as_str).is_none() {
                return Err(bad("The parameter session is required."));
            }
            format!("wacid.{}", st.uuid())
        }
        "pre_accept" | "accept" | "reject" | "terminate" => {
            text("call_id").ok_or_else(|| bad("The parameter call_id is required."))?.to_string()
        }
        other => return Err(bad(&format!("Invalid action '{other}'"))),
    };
    st.call_events.push(CallEvent { origination_phone_number_id: phone_id, call_id: call_id.clone(), body });
    Ok(json!({ "callId": call_id }))
}
