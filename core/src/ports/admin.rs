//! The admin port: what an operator does with EUM Social besides sending — message templates
//! and the template library, media, WhatsApp Flows, a WABA's event destinations and a number's
//! business public key (docs/PROTOCOL.md §2.2). The CLI is its user; `aws::EumAdmin` its adapter.
//!
//! Inputs are checked here before any call (media type and size, docs/PROTOCOL.md §2.3; ids present),
//! so a bad request never reaches EUM. EUM errors reuse [`MessagingError`] so one
//! classification serves every EUM call.

use std::collections::BTreeMap;
use std::future::Future;

use serde::{Deserialize, Serialize};

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

/// A number's call settings: EUM's `WhatsAppCallSettings`, sent whole (whether EUM merges or
/// replaces is not documented, docs/PROTOCOL.md §11.5).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallSettings {
    /// Whether the number takes WhatsApp calls (`callEnabled`).
    pub call_enabled: bool,
    /// `DEFAULT` | `DISABLE_ALL`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_icon_visibility: Option<String>,
    /// `ENABLED` | `DISABLED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_permission_status: Option<String>,
    /// When calls are taken (`callHours`); `None` leaves calls open whenever calling is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_hours: Option<CallHours>,
}

/// A number's call hours (`WhatsAppCallHours`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallHours {
    /// Whether the hours apply (`enabled`).
    pub enabled: bool,
    /// An IANA time zone (`timezone`, e.g. `Asia/Kolkata`), 1 to 100 characters.
    pub timezone: String,
    /// Opening ranges by weekday (`weeklyOperatingHours`): at most 14, at most two a day.
    #[serde(default)]
    pub weekly: Vec<DayHours>,
    /// Days with other hours (`holidaySchedule`): at most 20.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub holidays: Vec<HolidayHours>,
}

/// One opening range of a weekday (`WhatsAppWeeklyOperatingHoursEntry`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DayHours {
    /// `MONDAY` … `SUNDAY` (`dayOfWeek`).
    pub day: String,
    /// Opens at (`openTime`), `HH:MM`.
    pub open: TimeOfDay,
    /// Closes at (`closeTime`), `HH:MM`, after `open`.
    pub close: TimeOfDay,
}

/// Hours of one date (`WhatsAppHolidayScheduleEntry`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HolidayHours {
    /// `YYYY-MM-DD` (`date`).
    pub date: String,
    /// From (`startTime`), `HH:MM`.
    pub start: TimeOfDay,
    /// To (`endTime`), `HH:MM`, after `start`.
    pub end: TimeOfDay,
}

/// A time of day (`WhatsAppTimeOfDay`), written `HH:MM` in wapipe's JSON.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TimeOfDay {
    /// 0 to 23.
    pub hours: u8,
    /// 0 to 59.
    pub minutes: u8,
}

impl TryFrom<String> for TimeOfDay {
    type Error = String;
    fn try_from(s: String) -> Result<TimeOfDay, String> {
        let bad = || format!("{s:?} is not a time of day HH:MM (00:00 to 23:59)");
        let (h, m) = s.split_once(':').ok_or_else(bad)?;
        let (hours, minutes) = (h.parse::<u8>().map_err(|_| bad())?, m.parse::<u8>().map_err(|_| bad())?);
        if hours > 23 || minutes > 59 || m.len() != 2 {
            return Err(bad());
        }
        Ok(TimeOfDay { hours, minutes })
    }
}

impl From<TimeOfDay> for String {
    fn from(t: TimeOfDay) -> String {
        format!("{:02}:{:02}", t.hours, t.minutes)
    }
}

/// The weekdays EUM's `dayOfWeek` takes.
pub const WEEKDAYS: [&str; 7] = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"];

impl CallSettings {
    /// Refuses what EUM would refuse (docs/PROTOCOL.md §11.5), naming the field: an unknown
    /// icon visibility or callback permission, a bad time zone, weekday or date, a range that
    /// closes before it opens, more than 14 weekly ranges, two a day, or 20 holidays.
    pub fn validate(&self) -> Result<(), AdminError> {
        let one_of = |field: &str, v: &Option<String>, allowed: [&str; 2]| match v {
            Some(v) if !allowed.contains(&v.as_str()) => {
                Err(AdminError::invalid(field, format!("`{}` or `{}`", allowed[0], allowed[1])))
            }
            _ => Ok(()),
        };
        one_of("call_icon_visibility", &self.call_icon_visibility, ["DEFAULT", "DISABLE_ALL"])?;
        one_of("callback_permission_status", &self.callback_permission_status, ["ENABLED", "DISABLED"])?;
        let Some(hours) = &self.call_hours else { return Ok(()) };
        let tz = hours.timezone.trim();
        if tz.is_empty() || tz.len() > 100 || tz.contains(char::is_whitespace) {
            return Err(AdminError::invalid("call_hours.timezone", "an IANA time zone, e.g. Asia/Kolkata"));
        }
        if hours.weekly.len() > 14 {
            return Err(AdminError::invalid("call_hours.weekly", "at most 14 ranges"));
        }
        for (i, d) in hours.weekly.iter().enumerate() {
            let field = format!("call_hours.weekly[{i}]");
            if !WEEKDAYS.contains(&d.day.as_str()) {
                return Err(AdminError::invalid(format!("{field}.day"), "MONDAY to SUNDAY, in capitals"));
            }
            if d.close <= d.open {
                return Err(AdminError::invalid(format!("{field}.close"), "must be after `open`"));
            }
            if hours.weekly.iter().filter(|o| o.day == d.day).count() > 2 {
                return Err(AdminError::invalid(format!("{field}.day"), format!("{} has more than two ranges", d.day)));
            }
        }
        if hours.holidays.len() > 20 {
            return Err(AdminError::invalid("call_hours.holidays", "at most 20 dates"));
        }
        for (i, h) in hours.holidays.iter().enumerate() {
            let field = format!("call_hours.holidays[{i}]");
            let date_ok = time::Date::parse(&h.date, time::macros::format_description!("[year]-[month]-[day]")).is_ok();
            if !date_ok {
                return Err(AdminError::invalid(format!("{field}.date"), "a date YYYY-MM-DD"));
            }
            if h.end <= h.start {
                return Err(AdminError::invalid(format!("{field}.end"), "must be after `start`"));
            }
        }
        Ok(())
    }
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

/// Checks a tagging call before it is made (docs/PROTOCOL.md §11.5): an ARN of a WABA or a
/// phone number, keys of 1 to 128 characters, values of at most 256.
pub fn validate_tags<'a>(arn: &str, keys: impl IntoIterator<Item = (&'a str, &'a str)>) -> AdminResult<()> {
    let taggable = arn.starts_with("arn:") && (arn.contains(":waba/") || arn.contains(":phone-number-id/"));
    if !taggable || arn.len() > 2048 {
        return Err(AdminError::invalid(
            "arn",
            "the ARN of a WABA (…:waba/ID) or a phone number (…:phone-number-id/ID)",
        ));
    }
    for (k, v) in keys {
        if k.is_empty() || k.chars().count() > 128 {
            return Err(AdminError::invalid(format!("tags.{k}"), "a key of 1 to 128 characters"));
        }
        if v.chars().count() > 256 {
            return Err(AdminError::invalid(format!("tags.{k}"), "a value of at most 256 characters"));
        }
    }
    Ok(())
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
    /// GetLinkedWhatsAppBusinessAccountPhoneNumber's `callSettings`: what EUM holds for the
    /// number; `None` when never set.
    fn call_settings(&self, phone_id: &str) -> impl Future<Output = AdminResult<Option<CallSettings>>> + Send;
    /// ListTagsForResource: the tags of a WABA or phone number ARN.
    fn list_tags(&self, arn: &str) -> impl Future<Output = AdminResult<BTreeMap<String, String>>> + Send;
    /// TagResource: adds or overwrites these tags (check them with [`validate_tags`] first).
    fn tag(&self, arn: &str, tags: &BTreeMap<String, String>) -> impl Future<Output = AdminResult<()>> + Send;
    /// UntagResource: removes these tag keys.
    fn untag(&self, arn: &str, keys: &[String]) -> impl Future<Output = AdminResult<()>> + Send;
    /// DisassociateWhatsAppBusinessAccount: unlinks the WABA and its numbers from EUM. Sends,
    /// event publishing and everything else of its numbers stop.
    fn disassociate_waba(&self, waba_id: &str) -> impl Future<Output = AdminResult<()>> + Send;
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
    fn the_example_call_hours_are_valid_and_bad_ones_name_their_field() {
        let hours: CallHours = serde_json::from_str(include_str!("../../../examples/calling/hours.json")).unwrap();
        let ok = CallSettings { call_enabled: true, call_hours: Some(hours.clone()), ..CallSettings::default() };
        ok.validate().unwrap();
        let field = |h: CallHours| match (CallSettings { call_hours: Some(h), ..ok.clone() }).validate() {
            Err(AdminError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(CallHours { timezone: " ".into(), ..hours.clone() }), "call_hours.timezone");
        let mut h = hours.clone();
        h.weekly[2].day = "Tuesday".into();
        assert_eq!(field(h), "call_hours.weekly[2].day");
        let mut h = hours.clone();
        h.holidays[0].date = "2026-02-30".into();
        assert_eq!(field(h), "call_hours.holidays[0].date");
        let mut h = hours.clone();
        h.weekly = (0..15).map(|_| h.weekly[2].clone()).collect();
        assert_eq!(field(h), "call_hours.weekly");
        let bad: Result<CallHours, _> = serde_json::from_str(
            r#"{"enabled": true, "timezone": "UTC", "weekly": [{"day": "MONDAY", "open": "9", "close": "10:00"}]}"#,
        );
        assert!(bad.unwrap_err().to_string().contains("HH:MM"));
        let icon = CallSettings { call_icon_visibility: Some("HIDDEN".into()), ..CallSettings::default() };
        assert!(matches!(icon.validate(), Err(AdminError::Invalid { field, .. }) if field == "call_icon_visibility"));
    }

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
