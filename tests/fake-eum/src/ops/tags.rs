//! Tagging: `TagResource`, `UntagResource` and `ListTagsForResource` on linked WABAs and phone
//! numbers. Tags are kept per resource ARN (the resource's own ARN, whichever accepted form was sent).

use serde_json::{json, Value};

use super::{check_str, invalid, missing, Req};
use crate::error::EumError;
use crate::state::State;

/// Longest accepted `resourceArn`.
const MAX_ARN: usize = 2048;

/// A well-formed `resourceArn` (present, `arn:…`, at most [`MAX_ARN`] characters).
fn check_arn(value: Option<&Value>) -> Result<&str, EumError> {
    let value = value.filter(|v| !v.is_null()).ok_or_else(|| missing("resourceArn"))?;
    let arn = check_str("resourceArn", value, 1, MAX_ARN)?;
    if !arn.starts_with("arn:") {
        return Err(invalid("resourceArn", value, "Member must start with 'arn:'"));
    }
    Ok(arn)
}

/// `POST /v1/tags/tag-resource`: `resourceArn` and `tags` (`[{key, value?}]`); later keys overwrite.
pub fn tag(req: &Req, st: &mut State) -> Result<Value, EumError> {
    let arn = check_arn(req.body_value("resourceArn"))?;
    let tags = req.body_value("tags").ok_or_else(|| missing("tags"))?;
    let list = tags.as_array().ok_or_else(|| invalid("tags", tags, "Member must be a list"))?;
    let mut parsed = Vec::with_capacity(list.len());
    for (i, t) in list.iter().enumerate() {
        let path = format!("tags[{i}]");
        if !t.is_object() {
            return Err(invalid(&path, t, "Member must be a structure"));
        }
        let key = match t.get("key").filter(|v| !v.is_null()) {
            Some(k) => check_str(&format!("{path}.key"), k, 1, 128)?,
            None => return Err(missing(&format!("{path}.key"))),
        };
        let value = match t.get("value").filter(|v| !v.is_null()) {
            Some(v) => check_str(&format!("{path}.value"), v, 0, 256)?,
            None => "",
        };
        parsed.push((key.to_string(), value.to_string()));
    }
    let arn = st.resource_arn_or_404(arn)?;
    st.tags.entry(arn).or_default().extend(parsed);
    Ok(json!({ "statusCode": 200 }))
}

/// `POST /v1/tags/untag-resource`: `resourceArn` and `tagKeys` (`[key]`).
pub fn untag(req: &Req, st: &mut State) -> Result<Value, EumError> {
    let arn = check_arn(req.body_value("resourceArn"))?;
    let keys = req.body_value("tagKeys").ok_or_else(|| missing("tagKeys"))?;
    let list = keys.as_array().ok_or_else(|| invalid("tagKeys", keys, "Member must be a list"))?;
    let keys = list
        .iter()
        .enumerate()
        .map(|(i, k)| check_str(&format!("tagKeys[{i}]"), k, 1, 128).map(str::to_string))
        .collect::<Result<Vec<_>, _>>()?;
    let arn = st.resource_arn_or_404(arn)?;
    if let Some(tags) = st.tags.get_mut(&arn) {
        for k in &keys {
            tags.remove(k);
        }
        if tags.is_empty() {
            st.tags.remove(&arn);
        }
    }
    Ok(json!({ "statusCode": 200 }))
}

/// `GET /v1/tags/list?resourceArn=…`: the tags sorted by key.
pub fn list(req: &Req, st: &mut State) -> Result<Value, EumError> {
    let arn = req.query_str("resourceArn").filter(|s| !s.is_empty()).map(|s| Value::String(s.to_string()));
    let arn = st.resource_arn_or_404(check_arn(arn.as_ref())?)?;
    let tags: Vec<Value> =
        st.tags.get(&arn).map(|t| t.iter().map(|(k, v)| json!({ "key": k, "value": v })).collect()).unwrap_or_default();
    Ok(json!({ "statusCode": 200, "tags": tags }))
}
