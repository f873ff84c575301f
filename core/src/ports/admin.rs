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
    /// The template's name (`templateName`), shared by its language versions.
    pub name: String,
    /// Meta's id of this language version (`metaTemplateId`).
    pub meta_template_id: String,
    /// Meta's review status (`templateStatus`: `APPROVED`, `PENDING`, `REJECTED`, `PAUSED`, …).
    pub status: String,
    /// Meta's quality rating of the template (`templateQualityScore`); empty when EUM gives none.
    pub quality_score: String,
    /// The language code (`templateLanguage`, e.g. `en_US`).
    pub language: String,
    /// `templateCategory`: `MARKETING`, `UTILITY` or `AUTHENTICATION`.
    pub category: String,
}

/// One page of `ListWhatsAppMessageTemplates`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TemplatePage {
    /// The templates of this page, as EUM ordered them.
    pub templates: Vec<TemplateSummary>,
    /// Pass back to get the next page; `None` on the last.
    pub next_token: Option<String>,
}

/// Which template a get/update addresses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TemplateRef {
    /// By Meta's template id (`metaTemplateId`): one language version.
    MetaId(String),
    /// By name and language code: the one language version of that name.
    NameLanguage {
        /// The template's name (`templateName`).
        name: String,
        /// Its language code (`templateLanguageCode`, e.g. `en_US`).
        language: String,
    },
}

/// What `CreateWhatsAppMessageTemplate` (and from-library) answered.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CreatedTemplate {
    /// Meta's id of the new template (`metaTemplateId`).
    pub meta_template_id: String,
    /// Meta's review status right after creation (`templateStatus`, e.g. `PENDING`).
    pub status: String,
    /// The category Meta recorded (`category`).
    pub category: String,
}

/// The optional changes of `UpdateWhatsAppMessageTemplate`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TemplateUpdate {
    /// `named` | `positional`.
    pub parameter_format: Option<String>,
    /// The new `templateCategory` (`MARKETING`, `UTILITY`, `AUTHENTICATION`).
    pub category: Option<String>,
    /// The new components (a JSON array; sent as the `templateComponents` blob).
    pub components: Option<serde_json::Value>,
    /// `ctaUrlLinkTrackingOptedOut`: true turns Meta's click tracking of URL buttons off.
    pub cta_url_link_tracking_opted_out: Option<bool>,
}

/// What `DeleteWhatsAppMessageTemplate` removes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeleteScope {
    /// The one language version with this Meta id.
    OneLanguage {
        /// Meta's id of that version (`metaTemplateId`).
        meta_template_id: String,
    },
    /// Every language of the name (`deleteAllTemplates=true`).
    AllLanguages,
}

/// A template of Meta's library.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LibraryTemplate {
    /// The library template's name (`templateName`): what [`FromLibrary::library_template_name`] takes.
    pub name: String,
    /// The language code (`templateLanguage`).
    pub language: String,
    /// `templateCategory` (`UTILITY`, `AUTHENTICATION`, …).
    pub category: String,
    /// Meta's topic of the template (`templateTopic`), a filter of `list_library`.
    pub topic: String,
    /// Meta's use case of the template (`templateUseCase`), a filter of `list_library`.
    pub use_case: String,
    /// The body text with its `{{n}}` placeholders (`templateBody`).
    pub body: String,
    /// Meta's id of the library template (`templateId`).
    pub id: String,
}

/// One page of `ListWhatsAppTemplateLibrary`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LibraryPage {
    /// The library templates of this page that match the filters.
    pub templates: Vec<LibraryTemplate>,
    /// Pass back to get the next page; `None` on the last.
    pub next_token: Option<String>,
}

/// A new template made from a library template.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FromLibrary {
    /// The name of the new template in the WABA (`templateName`).
    pub template_name: String,
    /// The library template to copy (`libraryTemplateName`, a [`LibraryTemplate::name`]).
    pub library_template_name: String,
    /// The new template's `templateCategory`.
    pub category: String,
    /// The new template's language code (`templateLanguage`, e.g. `en_US`).
    pub language: String,
}

/// Where media comes from or goes to besides EUM.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum S3Location {
    /// An S3 object (`S3File`) that EUM reads or writes itself.
    File {
        /// The bucket name (`bucketName`).
        bucket: String,
        /// The object key. When EUM copies media here it appends Meta's media id to the key
        /// (docs/PROTOCOL.md §2.3).
        key: String,
    },
    /// A presigned URL with the headers the signer requires (`Content-Type` for uploads).
    Presigned {
        /// The presigned URL: EUM reads it for an upload and writes to it for a download.
        url: String,
        /// Header name → value, exactly as signed.
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
    /// The media's MIME type (`mimeType`, e.g. `image/jpeg`).
    pub mime_type: String,
    /// As EUM reports it: kilobytes.
    pub file_size_kb: i64,
}

/// `CreateWhatsAppFlow`'s input.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NewFlow {
    /// `flowName`: 1 to 200 characters, unique in the WABA.
    pub name: String,
    /// 1 to 9 of Meta's flow categories (`SIGN_UP`, `APPOINTMENT_BOOKING`, `OTHER`, …).
    pub categories: Vec<String>,
    /// The Flow JSON (`flowJson`, at most 10 MiB); `None` to add it later with `update_flow_assets`.
    pub flow_json: Option<Vec<u8>>,
    /// Publish at once (`publish`) rather than leave a draft; publishing cannot be undone.
    pub publish: bool,
    /// Start from a copy of this existing flow (`cloneFlowId`).
    pub clone_flow_id: Option<String>,
    /// The data-exchange endpoint (`endpointUri`) of an endpoint-powered flow.
    pub endpoint_uri: Option<String>,
}

/// `UpdateWhatsAppFlow`'s optional changes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FlowUpdate {
    /// A new `flowName`; `None` keeps it.
    pub name: Option<String>,
    /// New categories, replacing the old ones; `None` keeps them.
    pub categories: Option<Vec<String>>,
    /// A new data-exchange endpoint (`endpointUri`); `None` keeps it.
    pub endpoint_uri: Option<String>,
    /// Attach this Meta app (`metaAppId`), whose secret lets the endpoint check `X-Hub-Signature-256`;
    /// one-way: EUM's own app cannot be attached again (docs/PROTOCOL.md §11.7).
    pub meta_app_id: Option<String>,
}

/// A flow as EUM describes it (list rows fill the first fields only).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FlowInfo {
    /// Meta's flow id (`flowId`).
    pub flow_id: String,
    /// `flowName`.
    pub name: String,
    /// `flowStatus`: `DRAFT`, `PUBLISHED`, `DEPRECATED`, `BLOCKED` or `THROTTLED`.
    pub status: String,
    /// Meta's flow categories (`SIGN_UP`, `OTHER`, …).
    pub categories: Vec<String>,
    /// Meta's validation errors of the Flow JSON, as text; empty when it is valid.
    pub validation_errors: Vec<String>,
    /// The Flow JSON version (`jsonVersion`, e.g. `7.3`); `GetWhatsAppFlow` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub json_version: Option<String>,
    /// The data-exchange endpoint (`endpointUri`); `GetWhatsAppFlow` only, `None` without one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint_uri: Option<String>,
    /// A web preview of the flow (`preview.previewUrl`); `GetWhatsAppFlow` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preview_url: Option<String>,
    /// `can_send_message` of the health status (`AVAILABLE`, `BLOCKED`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub can_send_message: Option<String>,
}

/// One page of `ListWhatsAppFlows`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FlowPage {
    /// The flows of this page (the list fields of [`FlowInfo`] only).
    pub flows: Vec<FlowInfo>,
    /// Pass back to get the next page; `None` on the last.
    pub next_token: Option<String>,
}

/// A shareable web preview of a flow (`GetWhatsAppFlowPreview`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FlowPreview {
    /// Meta's flow id (`flowId`).
    pub flow_id: String,
    /// The preview URL (`previewUrl`); empty when EUM returned no preview.
    pub url: String,
    /// When the URL stops working (`expiresAt`, as EUM gives it); empty without a preview.
    pub expires_at: String,
}

/// One asset of a flow (`ListWhatsAppFlowAssets`): a flow has one, its Flow JSON.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FlowAsset {
    /// The asset's name (`name`).
    pub name: String,
    /// Meta's asset type (`assetType`, `FLOW_JSON`).
    pub asset_type: String,
    /// Where to download the asset (`downloadUrl`).
    pub download_url: String,
}

/// A number's business public key (`GetWhatsAppBusinessPublicKey`), which WhatsApp clients
/// use to encrypt Flows data-exchange requests.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PublicKey {
    /// The key in PEM (`businessPublicKey`); empty when none is set.
    pub pem: String,
    /// `VALID` | `MISMATCH`.
    pub signature_status: String,
}

/// A number's call settings (EUM's `WhatsAppCallSettings`, without call hours).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CallSettings {
    /// Whether the number takes WhatsApp calls (`callEnabled`).
    pub call_enabled: bool,
    /// `DEFAULT` | `DISABLE_ALL`.
    pub call_icon_visibility: Option<String>,
    /// `ENABLED` | `DISABLED`.
    pub callback_permission_status: Option<String>,
}

/// Who a call permission is asked about: a phone (E.164, `+` first) or a BSUID.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallUser {
    /// `destinationPhoneNumber`.
    Phone(String),
    /// `endUserBsuid`.
    Bsuid(String),
}

/// A user's call permission as EUM answers `GetWhatsAppCallPermission`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CallPermission {
    /// `no_permission` | `temporary` | `permanent` (open).
    pub status: String,
    /// When a temporary permission ends (epoch seconds).
    pub expiration_time: Option<i64>,
    /// What the business may do now, with the limits Meta applies (read them; never hard-code).
    pub actions: Vec<CallAction>,
}

/// One action of a [`CallPermission`] (`send_call_permission_request`, `start_call`, …).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CallAction {
    /// The action's name.
    pub action_name: String,
    /// Whether the business may take it now.
    pub can_perform_action: bool,
    /// The limits on it.
    pub limits: Vec<CallLimit>,
}

/// A limit on a [`CallAction`]: so many per period.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CallLimit {
    /// ISO-8601 period (`PT24H`, `P7D`).
    pub time_period: String,
    /// How many the period allows.
    pub max_allowed: i32,
    /// How many were used.
    pub current_usage: i32,
    /// When the period's count resets (epoch seconds), when EUM says.
    pub limit_expiration_time: Option<i64>,
}

/// A failed admin call: refused before calling, or EUM's answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AdminError {
    /// Bad input, found before any call; `field` names it (a JSON path for definitions).
    #[error("{field}: {message}")]
    Invalid {
        /// The input at fault: an argument's name, or a JSON path inside a definition.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// EUM refused the call or did not answer (classified as every EUM error is).
    #[error(transparent)]
    Eum(#[from] MessagingError),
}

impl AdminError {
    /// An [`AdminError::Invalid`] for `field`.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> AdminError {
        AdminError::Invalid { field: field.into(), message: message.into() }
    }
}

/// What every [`Admin`] call returns.
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
    /// GetWhatsAppCallPermission: whether the number may call `user`, and the request and call
    /// limits (`phone_id` is the EUM id).
    fn call_permission(
        &self,
        phone_id: &str,
        user: &CallUser,
    ) -> impl Future<Output = AdminResult<CallPermission>> + Send;
    /// SendWhatsAppCallEvent: one Meta `/calls` body (connect, pre_accept, accept, reject,
    /// terminate), passed through unchanged; answers the call id. The outcome arrives later as
    /// a call webhook or a handover event.
    fn send_call_event(
        &self,
        phone_id: &str,
        meta_api_version: &str,
        event: &[u8],
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
