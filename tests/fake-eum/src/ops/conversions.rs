//! Conversions API: `CreateWhatsAppDataset` gives each WABA one stable dataset id, and
//! `SendWhatsAppConversionEvent` checks the Meta conversion events (`eventData` blob) sent to it.

use serde_json::{json, Value};

use super::{invalid, missing, Req};
use crate::error::EumError;
use crate::state::{ConversionEvent, State};

/// `POST /v1/whatsapp/waba/dataset`: `{"id": "<waba-…|ARN>"}` → `{"datasetId": "<15 digits>"}` (the
/// same id on every call for a WABA).
pub fn create_dataset(req: &Req, st: &mut State) -> Result<Value, EumError> {
    let waba_id = st.waba_or_404(req.body_required("id")?)?.id.clone();
    let dataset_id = match st.datasets.get(&waba_id) {
        Some(d) => d.clone(),
        None => {
            let d = st.dataset_id();
            st.datasets.insert(waba_id, d.clone());
            d
        }
    };
    Ok(json!({ "datasetId": dataset_id }))
}

/// `POST /v1/whatsapp/waba/dataset/events`: `id` (WABA), `datasetId` (that WABA's dataset) and the
/// `eventData` blob `{"data": [event, …]}`.
pub fn send_event(req: &Req, st: &mut State) -> Result<Value, EumError> {
    let id = req.body_required("id")?;
    let dataset_id = req.body_required("datasetId")?.to_string();
    if req.body_value("eventData").is_none() {
        return Err(missing("eventData"));
    }
    let waba_id = st.waba_or_404(id)?.id.clone();
    if st.datasets.get(&waba_id) != Some(&dataset_id) {
        return Err(EumError::validation(format!("datasetId {dataset_id} does not belong to {waba_id}")));
    }
    let payload = req.blob_json("eventData")?.clone();
    check_events(&payload)?;
    st.conversion_events.push(ConversionEvent { waba_id, dataset_id, payload });
    Ok(json!({ "requestId": st.uuid() }))
}

/// Checks a decoded `eventData`: a non-empty `data` list of business-messaging WhatsApp events, each
/// with `event_name`, integer `event_time` and `user_data.ctwa_clid`.
fn check_events(payload: &Value) -> Result<(), EumError> {
    let data = payload.get("data").filter(|v| !v.is_null()).ok_or_else(|| missing("eventData.data"))?;
    let events = data.as_array().ok_or_else(|| invalid("eventData.data", data, "Member must be a list"))?;
    if events.is_empty() {
        return Err(invalid("eventData.data", data, "Member must have length greater than or equal to 1"));
    }
    for (i, ev) in events.iter().enumerate() {
        let at = |member: &str| format!("eventData.data[{i}].{member}");
        if !ev.is_object() {
            return Err(invalid(&format!("eventData.data[{i}]"), ev, "Member must be an object"));
        }
        let field = |member: &str| ev.pointer(&format!("/{}", member.replace('.', "/"))).filter(|v| !v.is_null());
        match field("event_name") {
            None => return Err(missing(&at("event_name"))),
            Some(v) if v.as_str().is_none_or(str::is_empty) => {
                return Err(invalid(&at("event_name"), v, "Member must be a non-empty string"))
            }
            Some(_) => {}
        }
        match field("event_time") {
            None => return Err(missing(&at("event_time"))),
            Some(v) if v.as_i64().is_none() => {
                return Err(invalid(&at("event_time"), v, "Member must be an integer (Unix seconds)"))
            }
            Some(_) => {}
        }
        for (member, expected) in [("action_source", "business_messaging"), ("messaging_channel", "whatsapp")] {
            match field(member) {
                None => return Err(missing(&at(member))),
                Some(v) if v.as_str() != Some(expected) => {
                    return Err(invalid(&at(member), v, &format!("Member must be '{expected}'")))
                }
                Some(_) => {}
            }
        }
        match field("user_data") {
            None => return Err(missing(&at("user_data"))),
            Some(v) if !v.is_object() => return Err(invalid(&at("user_data"), v, "Member must be an object")),
            Some(_) => {}
        }
        match field("user_data.ctwa_clid") {
            None => return Err(missing(&at("user_data.ctwa_clid"))),
            Some(v) if v.as_str().is_none_or(str::is_empty) => {
                return Err(invalid(&at("user_data.ctwa_clid"), v, "Member must be a non-empty string"))
            }
            Some(_) => {}
        }
    }
    Ok(())
}
