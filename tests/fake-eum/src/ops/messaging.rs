//! SendWhatsAppMessage and the message media operations.

use serde_json::{json, Value};

use super::{missing, Req};
use crate::error::EumError;
use crate::state::{Media, SentMessage, State};

/// Message types whose object must be present under the type's key (docs/PROTOCOL.md §5.1).
const TYPES: [&str; 11] = [
    "text",
    "image",
    "audio",
    "video",
    "document",
    "sticker",
    "location",
    "contacts",
    "interactive",
    "template",
    "reaction",
];

/// Meta's text body limit.
const MAX_TEXT_BODY: usize = 4096;

/// Largest decoded `message` EUM accepts (the blob's 2,048,000 length limit).
const MAX_MESSAGE_BYTES: usize = 2_048_000;

/// `POST /v1/whatsapp/send`.
pub fn send(req: &Req, st: &mut State) -> Result<Value, EumError> {
    let phone_id = req.body_required("originationPhoneNumberId")?.to_string();
    if req.body_value("message").is_none() {
        return Err(missing("message"));
    }
    let version = req.body_required("metaApiVersion")?.to_string();
    if !valid_meta_version(&version) {
        return Err(EumError::validation(format!("Invalid metaApiVersion '{version}': expected v<N>, e.g. v20.0")));
    }
    st.phone_or_404(&phone_id)?;
    if req.body_str("message").map_or(0, str::len) > MAX_MESSAGE_BYTES * 4 / 3 + 4 {
        return Err(EumError::validation("message exceeds the maximum length of 2048000"));
    }
    let message = req.blob_json("message")?;
    validate_message(message)?;
    let message_id = st.uuid();
    st.sent.push(SentMessage {
        message_id: message_id.clone(),
        origination_phone_number_id: phone_id,
        meta_api_version: version,
        message: message.clone(),
    });
    Ok(json!({ "messageId": message_id }))
}

fn valid_meta_version(v: &str) -> bool {
    v.strip_prefix('v').is_some_and(|rest| {
        !rest.is_empty() && rest.split('.').all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
    })
}

fn bad(text: impl Into<String>) -> EumError {
    EumError::validation(text)
}

/// Checks the Meta message JSON the way EUM/Meta would reject it synchronously.
pub fn validate_message(m: &Value) -> Result<(), EumError> {
    let obj = m.as_object().ok_or_else(|| bad("message must be a JSON object"))?;
    if obj.get("messaging_product").and_then(Value::as_str) != Some("whatsapp") {
        return Err(bad("(#100) The parameter messaging_product is required and must be \"whatsapp\"."));
    }
    // Mark-as-read / typing indicator: not a message, no recipient.
    if obj.get("status").and_then(Value::as_str) == Some("read") {
        return match obj.get("message_id").and_then(Value::as_str) {
            Some(id) if !id.is_empty() => Ok(()),
            _ => Err(bad("(#100) The parameter message_id is required.")),
        };
    }
    let has = |k: &str| obj.get(k).and_then(Value::as_str).is_some_and(|s| !s.trim().is_empty());
    if !has("to") && !has("recipient") {
        return Err(bad("(#100) The parameter to is required."));
    }
    let kind = match obj.get("type") {
        None => "text",
        Some(Value::String(t)) => t.as_str(),
        Some(_) => return Err(bad("(#100) Param type must be a string.")),
    };
    if !TYPES.contains(&kind) {
        return Err(bad(format!("(#131051) Unsupported message type: {kind}")));
    }
    // `contacts` is an array of contact objects; every other type's object is an object.
    let shaped =
        |v: &&Value| if kind == "contacts" { v.as_array().is_some_and(|a| !a.is_empty()) } else { v.is_object() };
    let Some(content) = obj.get(kind).filter(shaped) else {
        return Err(bad(format!("(#100) The parameter {kind} is required.")));
    };
    if kind == "text" {
        let body = content.get("body").and_then(Value::as_str).unwrap_or("");
        if body.is_empty() {
            return Err(bad("(#100) The parameter text['body'] is required."));
        }
        if body.chars().count() > MAX_TEXT_BODY {
            return Err(bad("(#100) Param text['body'] must be at most 4096 characters long."));
        }
    }
    Ok(())
}

/// MIME type from a file name's extension.
fn mime_from_name(name: &str) -> &'static str {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match ext.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "webp" => "image/webp",
        "ogg" | "opus" => "audio/ogg",
        "mp3" => "audio/mpeg",
        "aac" => "audio/aac",
        "amr" => "audio/amr",
        "m4a" => "audio/mp4",
        "mp4" => "video/mp4",
        "3gp" => "video/3gpp",
        "pdf" => "application/pdf",
        "txt" => "text/plain",
        _ => "application/octet-stream",
    }
}

/// `POST /v1/whatsapp/media`.
pub fn post_media(req: &Req, st: &mut State) -> Result<Value, EumError> {
    let phone_id = req.body_required("originationPhoneNumberId")?.to_string();
    let s3 = req.body_value("sourceS3File");
    let url = req.body_value("sourceS3PresignedUrl");
    let mime = match (s3, url) {
        (Some(f), None) => {
            let key = f.get("key").and_then(Value::as_str).filter(|k| !k.is_empty());
            let bucket = f.get("bucketName").and_then(Value::as_str).filter(|b| !b.is_empty());
            match (bucket, key) {
                (Some(_), Some(k)) => mime_from_name(k).to_string(),
                _ => return Err(bad("sourceS3File requires bucketName and key")),
            }
        }
        (None, Some(u)) => {
            if u.get("url").and_then(Value::as_str).is_none_or(str::is_empty) {
                return Err(missing("sourceS3PresignedUrl.url"));
            }
            let headers = u.get("headers").and_then(Value::as_object);
            let ct = headers
                .and_then(|h| h.iter().find(|(k, _)| k.eq_ignore_ascii_case("content-type")))
                .and_then(|(_, v)| v.as_str());
            match ct {
                Some(ct) => ct.to_string(),
                None => return Err(bad("sourceS3PresignedUrl.headers must include Content-Type")),
            }
        }
        (Some(_), Some(_)) => return Err(bad("Specify only one of sourceS3File and sourceS3PresignedUrl")),
        (None, None) => return Err(bad("One of sourceS3File or sourceS3PresignedUrl is required")),
    };
    let phone = st.phone_or_404(&phone_id)?.id.clone();
    let media_id = st.meta_id();
    st.media.insert(
        media_id.clone(),
        Media { media_id: media_id.clone(), phone_id: phone, mime_type: mime, file_size_kb: 120 },
    );
    Ok(json!({ "mediaId": media_id }))
}

/// `POST /v1/whatsapp/media/get`.
pub fn get_media(req: &Req, st: &mut State) -> Result<Value, EumError> {
    let media_id = req.body_required("mediaId")?;
    let phone_id = req.body_required("originationPhoneNumberId")?;
    let has_dest =
        req.body_value("destinationS3File").is_some() || req.body_value("destinationS3PresignedUrl").is_some();
    if !req.body_bool("metadataOnly") && !has_dest {
        return Err(bad(
            "One of destinationS3File or destinationS3PresignedUrl is required unless metadataOnly is true",
        ));
    }
    st.phone_or_404(phone_id)?;
    let media = st.media.get(media_id).ok_or_else(|| EumError::not_found(format!("Media {media_id} not found")))?;
    Ok(json!({ "mimeType": media.mime_type, "fileSize": media.file_size_kb }))
}

/// `DELETE /v1/whatsapp/media?mediaId=…&originationPhoneNumberId=…`.
pub fn delete_media(req: &Req, st: &mut State) -> Result<Value, EumError> {
    let media_id = req.query_required("mediaId")?.to_string();
    let phone_id = req.query_required("originationPhoneNumberId")?;
    st.phone_or_404(phone_id)?;
    st.media.remove(&media_id).ok_or_else(|| EumError::not_found(format!("Media {media_id} not found")))?;
    Ok(json!({ "success": true }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_validation() {
        let ok = json!({"messaging_product":"whatsapp","to":"+911234567890","type":"text","text":{"body":"hi"}});
        assert!(validate_message(&ok).is_ok());
        let bsuid = json!({"messaging_product":"whatsapp","recipient":"US.1349","text":{"body":"hi"}});
        assert!(validate_message(&bsuid).is_ok());
        let read = json!({"messaging_product":"whatsapp","status":"read","message_id":"wamid.X"});
        assert!(validate_message(&read).is_ok());
        for badm in [
            json!([]),
            json!({"to":"+1","text":{"body":"x"}}),
            json!({"messaging_product":"sms","to":"+1","text":{"body":"x"}}),
            json!({"messaging_product":"whatsapp","text":{"body":"x"}}),
            json!({"messaging_product":"whatsapp","to":"+1","type":"image"}),
            json!({"messaging_product":"whatsapp","to":"+1","type":"hologram","hologram":{}}),
            json!({"messaging_product":"whatsapp","to":"+1","type":"text","text":{"body":""}}),
            json!({"messaging_product":"whatsapp","to":"+1","type":7}),
        ] {
            assert_eq!(validate_message(&badm).unwrap_err().status, 400, "{badm}");
        }
        assert!(valid_meta_version("v20.0") && valid_meta_version("v21") && !valid_meta_version("20.0"));
        assert!(!valid_meta_version("v") && !valid_meta_version("v1..0"));
    }
}
