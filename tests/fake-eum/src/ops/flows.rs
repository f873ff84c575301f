//! WhatsApp Flow operations. Lifecycle like Meta's: DRAFT (editable, deletable) → PUBLISHED
//! (read-only) → DEPRECATED.

use serde_json::{json, Value};

use super::{empty, missing, Req};
use crate::error::EumError;
use crate::state::{page, Flow, State};

const CATEGORIES: [&str; 9] = [
    "SIGN_UP",
    "SIGN_IN",
    "APPOINTMENT_BOOKING",
    "LEAD_GENERATION",
    "CONTACT_US",
    "CUSTOMER_SUPPORT",
    "SURVEY",
    "SHOPPING",
    "OTHER",
];

fn bad(text: impl Into<String>) -> EumError {
    EumError::validation(text)
}

/// Flow JSON checks Meta reports as validation errors (the flow is still stored).
pub fn flow_json_errors(v: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    let Some(obj) = v.as_object() else {
        return vec!["INVALID_FLOW_JSON: flow JSON must be an object".to_string()];
    };
    if !obj.get("version").is_some_and(Value::is_string) {
        errors.push("MISSING_REQUIRED_PROPERTY: Missing required property 'version'".to_string());
    }
    match obj.get("screens").and_then(Value::as_array) {
        None => errors.push("MISSING_REQUIRED_PROPERTY: Missing required property 'screens'".to_string()),
        Some(s) if s.is_empty() => errors.push("INVALID_PROPERTY_VALUE: 'screens' must not be empty".to_string()),
        Some(s) => {
            for (i, screen) in s.iter().enumerate() {
                if !screen.get("id").is_some_and(Value::is_string) {
                    errors.push(format!("MISSING_REQUIRED_PROPERTY: screens[{i}] is missing 'id'"));
                }
            }
        }
    }
    errors
}

fn categories(req: &Req) -> Result<Option<Vec<String>>, EumError> {
    let Some(v) = req.body_value("categories") else {
        return Ok(None);
    };
    let list = v.as_array().ok_or_else(|| bad("categories must be a list"))?;
    let mut out = Vec::new();
    for c in list {
        match c.as_str() {
            Some(s) if CATEGORIES.contains(&s) => out.push(s.to_string()),
            _ => return Err(bad(format!("Invalid flow category {c}"))),
        }
    }
    Ok(Some(out))
}

/// Index of flow `flow_id` in WABA `waba` (404 when either is unknown).
fn find(st: &State, waba_id: &str, flow_id: &str) -> Result<usize, EumError> {
    let waba = st.waba_or_404(waba_id)?.id.clone();
    st.flows
        .iter()
        .position(|f| f.waba_id == waba && f.flow_id == flow_id)
        .ok_or_else(|| EumError::not_found(format!("Flow {flow_id} not found")))
}

fn summary(f: &Flow) -> Value {
    json!({
        "flowId": f.flow_id, "flowName": f.name, "flowStatus": f.status,
        "flowCategories": f.categories, "validationErrors": f.validation_errors,
    })
}

/// `POST /v1/whatsapp/flow/create`.
pub fn create(req: &Req, st: &mut State) -> Result<Value, EumError> {
    let waba_id = req.body_required("id")?;
    let name = req.body_required("flowName")?.to_string();
    let cats = categories(req)?.unwrap_or_default();
    let mut flow_json = match req.body_value("flowJson") {
        None => None,
        Some(_) => Some(req.blob_json("flowJson")?.clone()),
    };
    let waba = st.waba_or_404(waba_id)?.id.clone();
    if let Some(clone_id) = req.body_str("cloneFlowId").filter(|s| !s.is_empty()) {
        let i = find(st, &waba, clone_id)?;
        if flow_json.is_none() {
            flow_json = st.flows[i].flow_json.clone();
        }
    }
    if st.flows.iter().any(|f| f.waba_id == waba && f.name == name) {
        return Err(EumError::invalid_parameters(format!("(#100) A flow named '{name}' already exists")));
    }
    let errors = flow_json.as_ref().map(flow_json_errors).unwrap_or_default();
    let publish = req.body_bool("publish");
    if publish && (flow_json.is_none() || !errors.is_empty()) {
        return Err(bad("(#139002) Publishing failed: the flow JSON is missing or has validation errors"));
    }
    let flow_id = st.meta_id();
    st.flows.push(Flow {
        waba_id: waba,
        flow_id: flow_id.clone(),
        name,
        categories: cats,
        status: if publish { "PUBLISHED" } else { "DRAFT" }.to_string(),
        flow_json,
        endpoint_uri: req.body_str("endpointUri").map(str::to_string),
        validation_errors: errors.clone(),
    });
    Ok(json!({ "flowId": flow_id, "validationErrors": errors }))
}

/// `GET /v1/whatsapp/flow?id=…&flowId=…`.
pub fn get(req: &Req, st: &mut State) -> Result<Value, EumError> {
    let i = find(st, req.query_required("id")?, req.query_required("flowId")?)?;
    let f = &st.flows[i];
    let waba = st.waba(&f.waba_id);
    let mut out = json!({
        "flowId": f.flow_id, "flowName": f.name, "flowStatus": f.status, "categories": f.categories,
        "validationErrors": f.validation_errors, "jsonVersion": f.flow_json.as_ref().and_then(|j| j.get("version")),
        "dataApiVersion": f.flow_json.as_ref().and_then(|j| j.get("data_api_version")),
        "whatsAppBusinessAccount": {
            "id": waba.map(|w| w.meta_id.clone()), "name": waba.map(|w| w.name.clone()),
            "currency": "USD", "timezoneId": "1", "messageTemplateNamespace": "fake_eum_namespace",
        },
        "healthStatus": { "canSendMessage": if f.status == "PUBLISHED" { "AVAILABLE" } else { "BLOCKED" } },
    });
    if let (Some(uri), Some(obj)) = (&f.endpoint_uri, out.as_object_mut()) {
        obj.insert("endpointUri".to_string(), json!(uri));
    }
    Ok(out)
}

/// `GET /v1/whatsapp/flow/list?id=…`.
pub fn list(req: &Req, st: &mut State) -> Result<Value, EumError> {
    let waba = st.waba_or_404(req.query_required("id")?)?.id.clone();
    let items: Vec<Value> = st.flows.iter().filter(|f| f.waba_id == waba).map(summary).collect();
    let max = req.query_str("maxResults").map(|s| json!(s));
    let (flows, next) = page(items, max.as_ref(), req.query_str("nextToken"), 100)?;
    let mut out = json!({ "flows": flows });
    if let (Some(t), Some(obj)) = (next, out.as_object_mut()) {
        obj.insert("nextToken".to_string(), json!(t));
    }
    Ok(out)
}

/// `POST /v1/whatsapp/flow/update` (metadata).
pub fn update(req: &Req, st: &mut State) -> Result<Value, EumError> {
    let i = find(st, req.body_required("id")?, req.body_required("flowId")?)?;
    let cats = categories(req)?;
    let name = req.body_str("flowName").filter(|s| !s.is_empty()).map(str::to_string);
    let endpoint = req.body_str("endpointUri").map(str::to_string);
    let f = &mut st.flows[i];
    if f.status == "DEPRECATED" {
        return Err(bad("(#139001) A deprecated flow cannot be updated"));
    }
    if let Some(n) = name {
        f.name = n;
    }
    if let Some(c) = cats {
        f.categories = c;
    }
    if endpoint.is_some() {
        f.endpoint_uri = endpoint;
    }
    Ok(empty())
}

/// `POST /v1/whatsapp/flow/assets/update`: only DRAFT flows take new JSON.
pub fn update_assets(req: &Req, st: &mut State) -> Result<Value, EumError> {
    let i = find(st, req.body_required("id")?, req.body_required("flowId")?)?;
    if req.body_value("flowJson").is_none() {
        return Err(missing("flowJson"));
    }
    let json = req.blob_json("flowJson")?.clone();
    let f = &mut st.flows[i];
    if f.status != "DRAFT" {
        return Err(bad(format!("(#139001) Flow can't be updated: it is {}", f.status)));
    }
    f.validation_errors = flow_json_errors(&json);
    f.flow_json = Some(json);
    Ok(json!({ "validationErrors": f.validation_errors }))
}

/// `GET /v1/whatsapp/flow/assets?id=…&flowId=…`.
pub fn list_assets(req: &Req, st: &mut State) -> Result<Value, EumError> {
    let i = find(st, req.query_required("id")?, req.query_required("flowId")?)?;
    let f = &st.flows[i];
    let items: Vec<Value> = match f.flow_json {
        Some(_) => vec![json!({
            "name": "flow.json", "assetType": "FLOW_JSON",
            "downloadUrl": format!("https://fake-eum.invalid/flows/{}/flow.json", f.flow_id),
        })],
        None => vec![],
    };
    let max = req.query_str("maxResults").map(|s| json!(s));
    let (assets, next) = page(items, max.as_ref(), req.query_str("nextToken"), 100)?;
    let mut out = json!({ "flowAssets": assets });
    if let (Some(t), Some(obj)) = (next, out.as_object_mut()) {
        obj.insert("nextToken".to_string(), json!(t));
    }
    Ok(out)
}

/// `POST /v1/whatsapp/flow/publish`.
pub fn publish(req: &Req, st: &mut State) -> Result<Value, EumError> {
    let i = find(st, req.body_required("id")?, req.body_required("flowId")?)?;
    let f = &mut st.flows[i];
    if f.status != "DRAFT" {
        return Err(bad(format!("(#139002) Only DRAFT flows can be published; this one is {}", f.status)));
    }
    if f.flow_json.is_none() || !f.validation_errors.is_empty() {
        return Err(bad("(#139002) Publishing failed: the flow JSON is missing or has validation errors"));
    }
    f.status = "PUBLISHED".to_string();
    Ok(empty())
}

/// `POST /v1/whatsapp/flow/deprecate`.
pub fn deprecate(req: &Req, st: &mut State) -> Result<Value, EumError> {
    let i = find(st, req.body_required("id")?, req.body_required("flowId")?)?;
    let f = &mut st.flows[i];
    if f.status != "PUBLISHED" {
        return Err(bad(format!("(#139003) Only PUBLISHED flows can be deprecated; this one is {}", f.status)));
    }
    f.status = "DEPRECATED".to_string();
    Ok(empty())
}

/// `DELETE /v1/whatsapp/flow?id=…&flowId=…`: only DRAFT flows can be deleted.
pub fn delete(req: &Req, st: &mut State) -> Result<Value, EumError> {
    let i = find(st, req.query_required("id")?, req.query_required("flowId")?)?;
    if st.flows[i].status != "DRAFT" {
        return Err(bad(format!("(#139004) Only DRAFT flows can be deleted; this one is {}", st.flows[i].status)));
    }
    st.flows.remove(i);
    Ok(empty())
}

/// `GET /v1/whatsapp/flow/preview?id=…&flowId=…[&invalidate=true]`.
pub fn preview(req: &Req, st: &mut State) -> Result<Value, EumError> {
    let i = find(st, req.query_required("id")?, req.query_required("flowId")?)?;
    req.query_bool("invalidate")?;
    let id = st.flows[i].flow_id.clone();
    Ok(json!({
        "flowId": id,
        "preview": {
            "previewUrl": format!("https://business.facebook.com/wa/manage/flows/{id}/preview/?token=fake-eum"),
            "expiresAt": "2099-01-01T00:00:00+0000",
        },
    }))
}
