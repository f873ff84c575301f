//! The admin port: what an operator does with EUM Social besides sending — message templates
//! and the template library, media, WhatsApp Flows, a WABA's event destinations and a number's
//! business public key (docs/PROTOCOL.md §2.2). The CLI is its user; `aws::EumAdmin` its adapter.
//!
//! Inputs are checked here before any call (media type and size, docs/PROTOCOL.md §2.3; ids present),
//! so a bad request never reaches EUM. EUM errors reuse [`MessagingError`] so one
//! classification serves every EUM call.

use std::collections::BTreeMap;
use std::future::Future;

use serde::Serialize;

use crate::ports::messaging::MessagingError;

/// One message template as `ListWhatsAppMessageTemplates` lists it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TemplateSummary {
    pub name: String,
    pub meta_template_id: String,
    pub status: String,
    pub quality_score: String,
    pub language: String,
    pub category: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TemplatePage {
    pub templates: Vec<TemplateSummary>,
    pub next_token: Option<String>,
}

/// Which template a get/update addresses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TemplateRef {
    MetaId(String),
    NameLanguage { name: String, language: String },
}

/// What `CreateWhatsAppMessageTemplate` (and from-library) answered.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CreatedTemplate {
    pub meta_template_id: String,
    pub status: String,
    pub category: String,
}

/// The optional changes of `UpdateWhatsAppMessageTemplate`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TemplateUpdate {
    /// `named` | `positional`.
    pub parameter_format: Option<String>,
    pub category: Option<String>,
    /// The new components (a JSON array; sent as the `templateComponents` blob).
    pub components: Option<serde_json::Value>,
    pub cta_url_link_tracking_opted_out: Option<bool>,
}

/// What `DeleteWhatsAppMessageTemplate` removes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeleteScope {
    /// The one language version with this Meta id.
    OneLanguage { meta_template_id: String },
    /// Every language of the name (`deleteAllTemplates=true`).
    AllLanguages,
}

/// A template of Meta's library.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LibraryTemplate {
    pub name: String,
    pub language: String,
    pub category: String,
    pub topic: String,
    pub use_case: String,
    pub body: String,
    pub id: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LibraryPage {
    pub templates: Vec<LibraryTemplate>,
    pub next_token: Option<String>,
}

/// A new template made from a library template.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FromLibrary {
    pub template_name: String,
    pub library_template_name: String,
    pub category: String,
    pub language: String,
}

/// Where media comes from or goes to besides EUM.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum S3Location {
    File {
        bucket: String,
        key: String,
    },
    /// A presigned URL with the headers the signer requires (`Content-Type` for uploads).
    Presigned {
        url: String,
        headers: BTreeMap<String, String>,
    },
}

impl S3Location {
    /// `s3://bucket/key` → a file location.
    pub fn parse_s3_uri(uri: &str) -> Result<S3Location, AdminError> {
        let rest = uri.strip_prefix("s3://").ok_or_else(|| AdminError::invalid("s3", "must start with s3://"))?;
        match rest.split_once('/') {
            Some((bucket, key)) if !bucket.is_empty() && !key.is_empty() => {
                Ok(S3Location::File { bucket: bucket.to_string(), key: key.to_string() })
            }
            _ => Err(AdminError::invalid("s3", "must be s3://BUCKET/KEY")),
        }
    }
}

/// Metadata of stored media (`GetWhatsAppMessageMedia`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MediaInfo {
    pub mime_type: String,
    /// As EUM reports it: kilobytes.
    pub file_size_kb: i64,
}

/// `CreateWhatsAppFlow`'s input.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NewFlow {
    pub name: String,
    pub categories: Vec<String>,
    pub flow_json: Option<Vec<u8>>,
    pub publish: bool,
    pub clone_flow_id: Option<String>,
    pub endpoint_uri: Option<String>,
}

/// `UpdateWhatsAppFlow`'s optional changes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FlowUpdate {
    pub name: Option<String>,
    pub categories: Option<Vec<String>>,
    pub endpoint_uri: Option<String>,
    pub meta_app_id: Option<String>,
}

/// A flow as EUM describes it (list rows fill the first fields only).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FlowInfo {
    pub flow_id: String,
    pub name: String,
    pub status: String,
    pub categories: Vec<String>,
    pub validation_errors: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub json_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preview_url: Option<String>,
    /// `can_send_message` of the health status (`AVAILABLE`, `BLOCKED`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub can_send_message: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FlowPage {
    pub flows: Vec<FlowInfo>,
    pub next_token: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FlowPreview {
    pub flow_id: String,
    pub url: String,
    pub expires_at: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FlowAsset {
    pub name: String,
    pub asset_type: String,
    pub download_url: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PublicKey {
    pub pem: String,
    /// `VALID` | `MISMATCH`.
    pub signature_status: String,
}

/// A number's call settings (EUM's `WhatsAppCallSettings`, without call hours).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CallSettings {
    pub call_enabled: bool,
    /// `DEFAULT` | `DISABLE_ALL`.
    pub call_icon_visibility: Option<String>,
    /// `ENABLED` | `DISABLED`.
    pub callback_permission_status: Option<String>,
}

/// A failed admin call: refused before calling, or EUM's answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AdminError {
    /// Bad input, found before any call; `field` names it (a JSON path for definitions).
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error(transparent)]
    Eum(#[from] MessagingError),
}

impl AdminError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> AdminError {
        AdminError::Invalid { field: field.into(), message: message.into() }
    }
}

pub type AdminResult<T> = Result<T, AdminError>;

/// Media kinds and limits EUM accepts (docs/PROTOCOL.md §2.3), checked before upload.
impl From<crate::domain::media_rules::MediaRuleError> for AdminError {
    fn from(e: crate::domain::media_rules::MediaRuleError) -> AdminError {
        AdminError::Invalid { field: e.field.to_string(), message: e.message }
    }
}

/// EUM Social's admin operations. Every method is one EUM operation (named in its doc).
///
/// # Errors
///
/// Every call returns [`AdminError`]: `Invalid` names the field to fix, found before any
/// call; `Eum` keeps what EUM answered, classified as [`MessagingError`] is.
pub trait Admin: Send + Sync {
    /// ListWhatsAppMessageTemplates (one page; `max_results` 1..=100).
    fn list_templates(
        &self,
        waba_id: &str,
        next_token: Option<&str>,
        max_results: Option<u32>,
    ) -> impl Future<Output = AdminResult<TemplatePage>> + Send;
    /// GetWhatsAppMessageTemplate: Meta's template JSON.
    fn get_template(&self, waba_id: &str, which: &TemplateRef) -> impl Future<Output = AdminResult<String>> + Send;
    /// CreateWhatsAppMessageTemplate: `definition` is Meta's creation JSON (validate it first).
    fn create_template(
        &self,
        waba_id: &str,
        definition: &[u8],
    ) -> impl Future<Output = AdminResult<CreatedTemplate>> + Send;
    /// UpdateWhatsAppMessageTemplate.
    fn update_template(
        &self,
        waba_id: &str,
        which: &TemplateRef,
        update: &TemplateUpdate,
    ) -> impl Future<Output = AdminResult<()>> + Send;
    /// DeleteWhatsAppMessageTemplate.
    fn delete_template(
        &self,
        waba_id: &str,
        name: &str,
        scope: &DeleteScope,
    ) -> impl Future<Output = AdminResult<()>> + Send;
    /// ListWhatsAppTemplateLibrary with filters (searchKey, topic, usecase, industry, language).
    fn list_library(
        &self,
        waba_id: &str,
        filters: &BTreeMap<String, String>,
        next_token: Option<&str>,
    ) -> impl Future<Output = AdminResult<LibraryPage>> + Send;
    /// CreateWhatsAppMessageTemplateFromLibrary.
    fn create_from_library(
        &self,
        waba_id: &str,
        from: &FromLibrary,
    ) -> impl Future<Output = AdminResult<CreatedTemplate>> + Send;
    /// CreateWhatsAppMessageTemplateMedia: the header handle for a template's media example.
    fn template_media(
        &self,
        waba_id: &str,
        bucket: &str,
        key: &str,
    ) -> impl Future<Output = AdminResult<String>> + Send;

    /// PostWhatsAppMessageMedia: the media id.
    fn upload_media(&self, phone_id: &str, source: &S3Location) -> impl Future<Output = AdminResult<String>> + Send;
    /// GetWhatsAppMessageMedia: metadata only (`to` = None) or copied to S3.
    fn get_media(
        &self,
        phone_id: &str,
        media_id: &str,
        to: Option<&S3Location>,
    ) -> impl Future<Output = AdminResult<MediaInfo>> + Send;
    /// DeleteWhatsAppMessageMedia.
    fn delete_media(&self, phone_id: &str, media_id: &str) -> impl Future<Output = AdminResult<bool>> + Send;

    /// CreateWhatsAppFlow: the flow id and Meta's validation errors.
    fn create_flow(
        &self,
        waba_id: &str,
        flow: &NewFlow,
    ) -> impl Future<Output = AdminResult<(String, Vec<String>)>> + Send;
    /// UpdateWhatsAppFlow.
    fn update_flow(
        &self,
        waba_id: &str,
        flow_id: &str,
        update: &FlowUpdate,
    ) -> impl Future<Output = AdminResult<()>> + Send;
    /// UpdateWhatsAppFlowAssets: Meta's validation errors.
    fn update_flow_assets(
        &self,
        waba_id: &str,
        flow_id: &str,
        flow_json: &[u8],
    ) -> impl Future<Output = AdminResult<Vec<String>>> + Send;
    /// PublishWhatsAppFlow.
    fn publish_flow(&self, waba_id: &str, flow_id: &str) -> impl Future<Output = AdminResult<()>> + Send;
    /// DeprecateWhatsAppFlow.
    fn deprecate_flow(&self, waba_id: &str, flow_id: &str) -> impl Future<Output = AdminResult<()>> + Send;
    /// DeleteWhatsAppFlow.
    fn delete_flow(&self, waba_id: &str, flow_id: &str) -> impl Future<Output = AdminResult<()>> + Send;
    /// ListWhatsAppFlows (one page).
    fn list_flows(
        &self,
        waba_id: &str,
        next_token: Option<&str>,
        max_results: Option<u32>,
    ) -> impl Future<Output = AdminResult<FlowPage>> + Send;
    /// GetWhatsAppFlow.
    fn get_flow(&self, waba_id: &str, flow_id: &str) -> impl Future<Output = AdminResult<FlowInfo>> + Send;
    /// GetWhatsAppFlowPreview.
    fn preview_flow(
        &self,
        waba_id: &str,
        flow_id: &str,
        invalidate: bool,
    ) -> impl Future<Output = AdminResult<FlowPreview>> + Send;
    /// ListWhatsAppFlowAssets (every page, bounded).
    fn list_flow_assets(
        &self,
        waba_id: &str,
        flow_id: &str,
    ) -> impl Future<Output = AdminResult<Vec<FlowAsset>>> + Send;

    /// UpdateLinkedWhatsAppBusinessAccountPhoneNumber: the number's call settings (`phone_id`
    /// is the EUM id); answers the phone number id.
    fn put_call_settings(
        &self,
        phone_id: &str,
        settings: &CallSettings,
    ) -> impl Future<Output = AdminResult<String>> + Send;
    /// PutWhatsAppBusinessAccountEventDestinations: replaces the WABA's destinations
    /// (`(destination ARN, role ARN)` pairs).
    fn put_event_destinations(
        &self,
        waba_id: &str,
        destinations: &[(String, Option<String>)],
    ) -> impl Future<Output = AdminResult<()>> + Send;
    /// GetWhatsAppBusinessPublicKey.
    fn get_public_key(&self, phone_id: &str) -> impl Future<Output = AdminResult<PublicKey>> + Send;
    /// PutWhatsAppBusinessPublicKey (PEM, RSA-2048).
    fn put_public_key(&self, phone_id: &str, pem: &str) -> impl Future<Output = AdminResult<()>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_uris_parse_or_name_the_problem() {
        assert_eq!(
            S3Location::parse_s3_uri("s3://b/k/x.png").unwrap(),
            S3Location::File { bucket: "b".into(), key: "k/x.png".into() }
        );
        for bad in ["b/k", "s3://b", "s3:///k", "s3://b/"] {
            assert!(S3Location::parse_s3_uri(bad).is_err(), "{bad}");
        }
    }
}
