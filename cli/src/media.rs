//! `wapipe media`: WhatsApp media through EUM Social — upload from S3 or a presigned URL, get
//! (metadata only, or a copy into S3), delete, and the accepted formats. Type and size rules
//! (docs/PROTOCOL.md §2.3) are checked before any call.

use std::collections::BTreeMap;

use clap::Subcommand;
use serde_json::json;
use wapipe_core::domain::media_rules::{self, RULES};
use wapipe_core::ports::admin::{Admin, AdminError, S3Location};

use crate::operator::{done, finish, print_json, print_table, progress, EumOpts, Failure};

/// The number a media command acts for, and how to reach EUM.
#[derive(clap::Args, Clone, Debug)]
pub struct PhoneOpts {
    /// EUM phone number id (`phone-number-id-…`) the media belongs to (only it may send it).
    #[arg(long, value_name = "ID", env = "WAPIPE_PHONE_NUMBER_ID")]
    pub phone_number_id: String,
    /// How to reach EUM.
    #[command(flatten)]
    pub eum: EumOpts,
}

/// The subcommands of `wapipe media`.
#[derive(Subcommand)]
pub enum MediaCommand {
    /// Upload media to WhatsApp from S3 (--s3) or a presigned URL (--url with --content-type);
    /// prints the media id to send with.
    #[command(
        after_help = "Examples:\n  wapipe media upload --phone-number-id phone-number-id-… --s3 s3://bucket/in/photo.jpg --size 48213\n  wapipe media upload --url 'https://…presigned…' --content-type application/pdf"
    )]
    Upload {
        /// The S3 object to upload (s3://bucket/key).
        #[arg(long, value_name = "S3_URI", conflicts_with = "url", required_unless_present = "url")]
        s3: Option<String>,
        /// A presigned URL to upload from instead (with --content-type).
        #[arg(long, value_name = "URL")]
        url: Option<String>,
        /// MIME type; default: from the S3 key's extension. Required with --url.
        #[arg(long)]
        content_type: Option<String>,
        /// Size in bytes, checked against the type's limit before uploading.
        #[arg(long, value_name = "BYTES")]
        size: Option<u64>,
        /// The number the media belongs to, and how to reach EUM.
        #[command(flatten)]
        phone: PhoneOpts,
        /// Print `{"media_id", "kind", "mime_type"}`.
        #[arg(long)]
        json: bool,
    },
    /// Media metadata (type, size), or with --to-s3 a copy into S3 (EUM appends the media id to the key).
    #[command(
        after_help = "Examples:\n  wapipe media get 1234567890\n  wapipe media get 1234567890 --to-s3 s3://bucket/inbound/"
    )]
    Get {
        /// The WhatsApp media id (from `media upload`, or an inbound message).
        media_id: String,
        /// Copy the media into S3 under this s3://bucket/prefix (EUM appends the media id).
        #[arg(long, value_name = "S3_URI", conflicts_with = "to_url")]
        to_s3: Option<String>,
        /// Copy to a presigned S3 PUT URL instead.
        #[arg(long, value_name = "URL")]
        to_url: Option<String>,
        /// The number the media belongs to, and how to reach EUM.
        #[command(flatten)]
        phone: PhoneOpts,
        /// Print `{"media_id", "mime_type", "file_size_kb", "copied_to"}`.
        #[arg(long)]
        json: bool,
    },
    /// Delete uploaded media.
    #[command(after_help = "Example:\n  wapipe media delete 1234567890")]
    Delete {
        /// The WhatsApp media id to delete.
        media_id: String,
        /// The number the media belongs to, and how to reach EUM.
        #[command(flatten)]
        phone: PhoneOpts,
        /// Print `{"media_id", "deleted"}`.
        #[arg(long)]
        json: bool,
    },
    /// The media types and size limits WhatsApp accepts.
    #[command(after_help = "Example:\n  wapipe media formats --json")]
    Formats {
        /// Print `{"formats": [{"kind", "mime_type", "max_bytes"}, …]}`.
        #[arg(long)]
        json: bool,
    },
}

/// Run a `wapipe media` subcommand through EUM; the exit code: 0 done, 1 invalid type or size
/// (nothing sent) or EUM did not confirm a delete, 2 bad usage, 3 EUM refused.
pub async fn run(command: MediaCommand) -> Result<u8, String> {
    finish(run_inner(command).await)
}

async fn run_inner(command: MediaCommand) -> Result<u8, Failure> {
    match command {
        MediaCommand::Upload { s3, url, content_type, size, phone, json } => {
            let (source, mime) = match (s3, url) {
                (Some(uri), _) => {
                    let loc = S3Location::parse_s3_uri(&uri)?;
                    let key = match &loc {
                        S3Location::File { key, .. } => key.clone(),
                        S3Location::Presigned { .. } => String::new(),
                    };
                    let mime =
                        content_type.or_else(|| media_rules::mime_for(&key).map(str::to_string)).ok_or_else(|| {
                            Failure::Invalid(vec![format!(
                                "content_type: cannot tell the type of `{key}`: give --content-type"
                            )])
                        })?;
                    (loc, mime)
                }
                (None, Some(url)) => {
                    let mime = content_type.ok_or_else(|| {
                        Failure::Invalid(vec![
                            "content_type: required with --url (EUM needs the Content-Type header)".into()
                        ])
                    })?;
                    let headers = BTreeMap::from([("Content-Type".to_string(), mime.clone())]);
                    (S3Location::Presigned { url, headers }, mime)
                }
                (None, None) => return Err(Failure::usage("give --s3 or --url")),
            };
            let kind = media_rules::check(&mime, size).map_err(AdminError::from)?;
            if size.is_none() {
                eprintln!("note: size not given (--size); EUM checks the {kind} limit itself");
            }
            let bar = progress(None, json, "uploading");
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            let id = phone.eum.admin().await.upload_media(&phone.phone_number_id, &source).await;
            bar.finish_and_clear();
            let id = id?;
            if json {
                print_json(&json!({"media_id": id, "kind": kind, "mime_type": mime}))?;
            } else {
                println!("{id}");
                eprintln!("send it as {{\"type\": \"{kind}\", \"{kind}\": {{\"id\": \"{id}\"}}}} from this number");
            }
            Ok(0)
        }
        MediaCommand::Get { media_id, to_s3, to_url, phone, json } => {
            let to = match (to_s3, to_url) {
                (Some(uri), _) => Some(S3Location::parse_s3_uri(&uri)?),
                (None, Some(url)) => Some(S3Location::Presigned { url, headers: BTreeMap::new() }),
                (None, None) => None,
            };
            let info = phone.eum.admin().await.get_media(&phone.phone_number_id, &media_id, to.as_ref()).await?;
            let copied = match &to {
                Some(S3Location::File { bucket, key }) => Some(format!("s3://{bucket}/{key}{media_id}")),
                _ => None,
            };
            if json {
                print_json(
                    &json!({"media_id": media_id, "mime_type": info.mime_type, "file_size_kb": info.file_size_kb, "copied_to": copied}),
                )?;
            } else {
                println!("{media_id}: {} ({} KB)", info.mime_type, info.file_size_kb);
                if let Some(c) = copied {
                    println!("copied to {c}");
                }
            }
            Ok(0)
        }
        MediaCommand::Delete { media_id, phone, json } => {
            let ok = phone.eum.admin().await.delete_media(&phone.phone_number_id, &media_id).await?;
            let text =
                if ok { format!("deleted {media_id}") } else { format!("EUM did not confirm deleting {media_id}") };
            done(json, json!({"media_id": media_id, "deleted": ok}), &text)?;
            Ok(u8::from(!ok))
        }
        MediaCommand::Formats { json } => {
            if json {
                let rows: Vec<_> =
                    RULES.iter().map(|(k, m, max)| json!({"kind": k, "mime_type": m, "max_bytes": max})).collect();
                print_json(&json!({"formats": rows}))?;
            } else {
                let rows: Vec<Vec<String>> = RULES
                    .iter()
                    .map(|(k, m, max)| vec![k.to_string(), m.to_string(), format!("{} KB", max / 1024)])
                    .collect();
                print_table(&["KIND", "MIME TYPE", "MAX"], &rows);
            }
            Ok(0)
        }
    }
}
