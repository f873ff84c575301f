//! The control API under `/_fake/` (same port as the EUM API), for out-of-process users.
//!
//! | Request | Body | Answer |
//! |---|---|---|
//! | `GET /_fake/requests[?operation=Op]` | – | `[Recorded…]` |
//! | `GET /_fake/sent` | – | `[<decoded Meta message JSON>…]` of successful sends |
//! | `GET /_fake/state` | – | `{"wabas":[…],"phones":[…],"templates":[…],"flows":[…],"media":[…],"faults":[…],"tags":{arn:{key:value}},"datasets":{wabaId:datasetId},"conversionEvents":[…],"callSettings":{phoneId:{…}}}` |
//! | `POST /_fake/reset` | – | `{"ok":true}`: back to the initial accounts; records, sends, tags, datasets, conversion events, call settings and faults cleared |
//! | `POST /_fake/faults` | a fault or an array of faults (see [`crate::faults`]) | `{"ok":true,"added":N,"active":M}` |
//! | `GET /_fake/faults` | – | `[fault…]` |
//! | `DELETE /_fake/faults` | – | `{"ok":true}` |
//! | `POST /_fake/phone-quality` | `{"phoneNumberId":"…","qualityRating":"RED"}` | `{"ok":true}` or 404 |
//! | `POST /_fake/media` | `{"mediaId":"…","mimeType":"image/jpeg","fileSize":12}` | `{"ok":true}` (registers inbound media) |
//!
//! Errors are `{"message":"…"}` with status 400 or 404.

use std::collections::BTreeMap;

use bytes::Bytes;
use http_body_util::Full;
use hyper::Response;
use serde_json::{json, Value};

use crate::faults::{parse_faults, Fault};
use crate::server::{json_response, Shared};
use crate::state::Media;

fn ok(v: Value) -> Response<Full<Bytes>> {
    json_response(200, &v, &[])
}

fn fail(status: u16, message: impl Into<String>) -> Response<Full<Bytes>> {
    json_response(status, &json!({ "message": message.into() }), &[])
}

fn body_json(body: &[u8]) -> Result<Value, String> {
    serde_json::from_slice(body).map_err(|e| format!("body is not JSON: {e}"))
}

/// Answers one control request.
pub fn handle(
    shared: &Shared,
    method: &str,
    path: &str,
    query: &BTreeMap<String, String>,
    body: &[u8],
) -> Response<Full<Bytes>> {
    let path = path.trim_end_matches('/');
    match (method, path) {
        ("GET", "/_fake/requests") => {
            let st = shared.lock();
            let op = query.get("operation");
            let list: Vec<&crate::Recorded> =
                st.requests.iter().filter(|r| op.is_none_or(|o| &r.operation == o)).collect();
            ok(serde_json::to_value(list).unwrap_or(Value::Null))
        }
        ("GET", "/_fake/sent") => {
            let st = shared.lock();
            ok(Value::Array(st.sent.iter().map(|s| s.message.clone()).collect()))
        }
        ("GET", "/_fake/state") => {
            let st = shared.lock();
            ok(json!({
                "wabas": st.wabas, "phones": st.phones, "templates": st.templates, "flows": st.flows,
                "media": st.media.values().collect::<Vec<_>>(),
                "faults": st.faults.iter().map(Fault::to_json).collect::<Vec<_>>(),
                "tags": st.tags, "datasets": st.datasets, "conversionEvents": st.conversion_events,
                "callSettings": st.call_settings,
            }))
        }
        ("POST", "/_fake/reset") => {
            shared.lock().reset();
            ok(json!({ "ok": true }))
        }
        ("POST", "/_fake/faults") => match parse_faults(body) {
            Ok(faults) => {
                let mut st = shared.lock();
                let added = faults.len();
                st.faults.extend(faults);
                ok(json!({ "ok": true, "added": added, "active": st.faults.len() }))
            }
            Err(e) => fail(400, e),
        },
        ("GET", "/_fake/faults") => {
            let st = shared.lock();
            ok(Value::Array(st.faults.iter().map(Fault::to_json).collect()))
        }
        ("DELETE", "/_fake/faults") => {
            shared.lock().faults.clear();
            ok(json!({ "ok": true }))
        }
        ("POST", "/_fake/phone-quality") => {
            let v = match body_json(body) {
                Ok(v) => v,
                Err(e) => return fail(400, e),
            };
            let id = v.get("phoneNumberId").and_then(Value::as_str).unwrap_or("");
            let Some(rating) = v.get("qualityRating").and_then(Value::as_str) else {
                return fail(400, "qualityRating is required");
            };
            let mut st = shared.lock();
            match st.phones.iter_mut().find(|p| p.is(id)) {
                Some(p) => {
                    p.quality_rating = rating.to_string();
                    ok(json!({ "ok": true }))
                }
                None => fail(404, format!("Phone number {id} not found")),
            }
        }
        ("POST", "/_fake/media") => {
            let v = match body_json(body) {
                Ok(v) => v,
                Err(e) => return fail(400, e),
            };
            let Some(id) = v.get("mediaId").and_then(Value::as_str).filter(|s| !s.is_empty()) else {
                return fail(400, "mediaId is required");
            };
            let media = Media {
                media_id: id.to_string(),
                phone_id: String::new(),
                mime_type: v.get("mimeType").and_then(Value::as_str).unwrap_or("application/octet-stream").to_string(),
                file_size_kb: v.get("fileSize").and_then(Value::as_i64).unwrap_or(1),
            };
            shared.lock().media.insert(id.to_string(), media);
            ok(json!({ "ok": true }))
        }
        _ => fail(404, format!("No control route for {method} {path}")),
    }
}
