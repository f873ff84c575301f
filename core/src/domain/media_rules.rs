//! Media kinds and limits EUM accepts (docs/PROTOCOL.md §2.3), checked before any upload.

/// A file EUM would refuse: which field is wrong (`content_type` or `size`) and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct MediaRuleError {
    /// The field at fault: `content_type` (a MIME type EUM does not accept) or `size` (empty or over the kind's limit).
    pub field: &'static str,
    /// Why, for people (e.g. the size and the limit, in bytes).
    pub message: String,
}

impl MediaRuleError {
    fn invalid(field: &'static str, message: impl Into<String>) -> MediaRuleError {
        MediaRuleError { field, message: message.into() }
    }
}

/// (kind, MIME type, max bytes).
pub const RULES: &[(&str, &str, u64)] = &[
    ("audio", "audio/aac", 16 * MB),
    ("audio", "audio/amr", 16 * MB),
    ("audio", "audio/mpeg", 16 * MB),
    ("audio", "audio/mp4", 16 * MB),
    ("audio", "audio/ogg", 16 * MB),
    ("document", "text/plain", 100 * MB),
    ("document", "application/vnd.ms-excel", 100 * MB),
    ("document", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", 100 * MB),
    ("document", "application/msword", 100 * MB),
    ("document", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", 100 * MB),
    ("document", "application/vnd.ms-powerpoint", 100 * MB),
    ("document", "application/vnd.openxmlformats-officedocument.presentationml.presentation", 100 * MB),
    ("document", "application/pdf", 100 * MB),
    ("image", "image/jpeg", 5 * MB),
    ("image", "image/png", 5 * MB),
    // Animated stickers may be 500 KB; a static one 100 KB (the upload cannot tell them apart).
    ("sticker", "image/webp", 500 * KB),
    ("video", "video/3gpp", 16 * MB),
    ("video", "video/mp4", 16 * MB),
];
const KB: u64 = 1024;
const MB: u64 = 1024 * 1024;

const EXTENSIONS: &[(&str, &str)] = &[
    ("aac", "audio/aac"),
    ("amr", "audio/amr"),
    ("mp3", "audio/mpeg"),
    ("m4a", "audio/mp4"),
    ("ogg", "audio/ogg"),
    ("opus", "audio/ogg"),
    ("txt", "text/plain"),
    ("xls", "application/vnd.ms-excel"),
    ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("doc", "application/msword"),
    ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("ppt", "application/vnd.ms-powerpoint"),
    ("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    ("pdf", "application/pdf"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("png", "image/png"),
    ("webp", "image/webp"),
    ("3gp", "video/3gpp"),
    ("mp4", "video/mp4"),
];

/// The MIME type for a file name's extension, when EUM accepts it.
pub fn mime_for(name: &str) -> Option<&'static str> {
    let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
    EXTENSIONS.iter().find(|(e, _)| *e == ext).map(|(_, m)| *m)
}

/// The kind for an accepted MIME type, after checking the size when it is known.
pub fn check(mime: &str, size_bytes: Option<u64>) -> Result<&'static str, MediaRuleError> {
    let mime = mime.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let Some((kind, _, max)) = RULES.iter().find(|(_, m, _)| *m == mime) else {
        return Err(MediaRuleError::invalid(
            "content_type",
            format!("{mime} is not a media type WhatsApp accepts (see `wapipe media formats`)"),
        ));
    };
    match size_bytes {
        Some(n) if n > *max => Err(MediaRuleError::invalid(
            "size",
            format!("{n} bytes is over the {kind} limit of {max} bytes for {mime}"),
        )),
        Some(0) => Err(MediaRuleError::invalid("size", "the file is empty")),
        _ => Ok(kind),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_rules_follow_protocol_limits() {
        assert_eq!(check("image/jpeg", Some(5 * 1024 * 1024)).unwrap(), "image");
        let e = check("image/jpeg", Some(5 * 1024 * 1024 + 1)).unwrap_err();
        assert!(e.field == "size", "{e}");
        assert_eq!(check("image/webp", Some(400 * 1024)).unwrap(), "sticker");
        assert!(check("image/webp", Some(501 * 1024)).is_err());
        assert_eq!(check("application/pdf; charset=x", Some(90 * 1024 * 1024)).unwrap(), "document");
        assert!(matches!(check("image/gif", None), Err(MediaRuleError { field: "content_type", .. })));
        assert!(check("video/mp4", Some(0)).is_err());
        assert_eq!(mime_for("a/B.JPG"), Some("image/jpeg"));
        assert_eq!(mime_for("noext"), None);
    }
}
