//! What the fake saw: one [`Recorded`] per API request (control requests under `/_fake/` are not
//! recorded), plus blob decoding and the JSON-lines record file.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Blob members of the EUM Social input shapes (base64 strings in the JSON body, docs/PROTOCOL.md §2.1).
pub const BLOB_MEMBERS: [&str; 6] =
    ["message", "templateDefinition", "templateComponents", "flowJson", "callEvent", "eventData"];

/// One API request received by the fake, and how it was answered.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Recorded {
    /// 1-based arrival number (not reset by `reset`, so records stay ordered across resets).
    pub seq: u64,
    /// Operation name, e.g. `SendWhatsAppMessage`; `Unknown` for an unrouted path.
    pub operation: String,
    /// HTTP method.
    pub method: String,
    /// Path without the query string.
    pub path: String,
    /// Percent-decoded query parameters (last value wins).
    pub query: BTreeMap<String, String>,
    /// The JSON body as sent (blobs still base64), `None` when empty or not JSON.
    pub body: Option<Value>,
    /// The raw body text when it was not empty and not JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_body: Option<String>,
    /// The blob member found in the body, e.g. `message`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blob_member: Option<String>,
    /// The blob base64-decoded: parsed JSON, or a JSON string when the bytes are UTF-8 but not JSON.
    pub decoded: Option<Value>,
    /// HTTP status the fake answered with.
    pub status: u16,
    /// `x-amzn-errortype` of the answer, when it was an error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_type: Option<String>,
    /// `x-amzn-requestid` of the answer.
    pub request_id: String,
    /// Milliseconds since the Unix epoch when the request arrived.
    pub received_at_ms: u64,
}

impl Recorded {
    /// True when the fake answered with a 2xx status.
    pub fn succeeded(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Result of decoding one blob member.
#[derive(Clone, Debug, PartialEq)]
pub enum Blob {
    /// The member is absent or not a string.
    Missing,
    /// The string is not valid base64.
    NotBase64,
    /// The decoded bytes are UTF-8 but not JSON.
    Text(String),
    /// The decoded bytes are not UTF-8.
    Binary,
    /// Decoded JSON.
    Json(Value),
}

impl Blob {
    /// The value to record in [`Recorded::decoded`].
    pub fn to_recorded(&self) -> Option<Value> {
        match self {
            Blob::Json(v) => Some(v.clone()),
            Blob::Text(t) => Some(Value::String(t.clone())),
            Blob::Missing | Blob::NotBase64 | Blob::Binary => None,
        }
    }
}

/// Decodes `body[member]` as a base64 blob.
pub fn decode_blob(body: Option<&Value>, member: &str) -> Blob {
    let Some(encoded) = body.and_then(|b| b.get(member)).and_then(Value::as_str) else {
        return Blob::Missing;
    };
    let engine = base64::engine::general_purpose::STANDARD;
    let Ok(bytes) = engine.decode(encoded.trim()) else {
        return Blob::NotBase64;
    };
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(v) => Blob::Json(v),
        Err(_) => match String::from_utf8(bytes) {
            Ok(t) => Blob::Text(t),
            Err(_) => Blob::Binary,
        },
    }
}

/// The first blob member present in the body, and its decoding.
pub fn find_blob(body: Option<&Value>) -> Option<(&'static str, Blob)> {
    BLOB_MEMBERS.iter().find_map(|m| match decode_blob(body, m) {
        Blob::Missing => None,
        blob => Some((*m, blob)),
    })
}

/// Splits and percent-decodes a query string. Never fails: bad escapes are kept literally.
pub fn parse_query(query: Option<&str>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        out.insert(percent_decode(k), percent_decode(v));
    }
    out
}

/// Decodes `%XX` escapes (UTF-8, lossy). `+` is kept as `+`: the SDK encodes spaces as `%20`.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(v) = hex {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Appends records as JSON lines to a file (the binary's `--record FILE`).
#[derive(Debug)]
pub struct RecordFile {
    path: PathBuf,
    file: std::sync::Mutex<std::fs::File>,
}

impl RecordFile {
    /// Opens (creating if needed) `path` for appending.
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
        Ok(Self { path: path.to_path_buf(), file: std::sync::Mutex::new(file) })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one record as a single line. Errors are reported on stderr, never fatal.
    pub fn append(&self, rec: &Recorded) {
        let mut line = match serde_json::to_string(rec) {
            Ok(l) => l,
            Err(e) => {
                eprintln!("fake-eum: cannot serialize record: {e}");
                return;
            }
        };
        line.push('\n');
        let mut file = match self.file.lock() {
            Ok(f) => f,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Err(e) = file.write_all(line.as_bytes()).and_then(|()| file.flush()) {
            eprintln!("fake-eum: cannot write {}: {e}", self.path.display());
        }
    }
}

/// Reads a record file written with `--record`: one [`Recorded`] per line; unparsable lines (e.g. a
/// line being written right now) are skipped.
pub fn read_record_file(path: &Path) -> std::io::Result<Vec<Recorded>> {
    let text = std::fs::read_to_string(path)?;
    Ok(text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect())
}
