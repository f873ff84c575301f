//! [`Admin`] on EUM Social (`aws-sdk-socialmessaging`).
//!
//! Unlike the send path, the SDK's standard retries stay on: every admin operation is safe to
//! repeat (a create repeated after a lost answer is refused by Meta as a duplicate name and
//! language, or a duplicate flow name, rather than done twice).

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_socialmessaging::config::timeout::TimeoutConfig;
use aws_sdk_socialmessaging::primitives::Blob;
use aws_sdk_socialmessaging::types::{
    MetaFlowCategory, MetaLibraryTemplate, S3File, S3PresignedUrl, Tag, WhatsAppBusinessAccountEventDestination,
    WhatsAppCallHours, WhatsAppCallSettings, WhatsAppDayOfWeek, WhatsAppHolidayScheduleEntry, WhatsAppTimeOfDay,
    WhatsAppWeeklyOperatingHoursEntry,
};
use aws_sdk_socialmessaging::Client;

use super::socialmessaging::to_messaging_error;
use crate::ports::admin::*;
use crate::ports::messaging::MessagingError;

mod flows;

/// Bound on one admin call (uploads from S3 are done by EUM, but may take a while).
pub const ADMIN_CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// EUM Social's admin operations through the official SDK.
#[derive(Clone, Debug)]
pub struct EumAdmin {
    client: Client,
}

impl EumAdmin {
    /// Use this client as is (its retry and timeout configuration included).
    pub fn new(client: Client) -> EumAdmin {
        EumAdmin { client }
    }

    /// A client from the shared configuration (standard retries) with a call timeout.
    pub fn from_conf(conf: &aws_config::SdkConfig) -> EumAdmin {
        let config = aws_sdk_socialmessaging::config::Builder::from(conf)
            .timeout_config(TimeoutConfig::builder().operation_timeout(ADMIN_CALL_TIMEOUT).build())
            .build();
        EumAdmin::new(Client::from_conf(config))
    }
}

pub(super) fn eum<E>(
    e: aws_sdk_socialmessaging::error::SdkError<E, aws_sdk_socialmessaging::config::http::HttpResponse>,
) -> AdminError
where
    E: aws_sdk_socialmessaging::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    AdminError::Eum(to_messaging_error(&e))
}

pub(super) fn build_err(e: impl std::fmt::Display) -> AdminError {
    AdminError::Eum(MessagingError::not_sent("ConfigurationError", e.to_string(), false))
}

fn s3_file(bucket: &str, key: &str) -> Result<S3File, AdminError> {
    S3File::builder().bucket_name(bucket).key(key).build().map_err(build_err)
}

/// The SDK requires the headers map even when the URL was signed without extra headers.
fn presigned(url: &str, headers: &BTreeMap<String, String>) -> Result<S3PresignedUrl, AdminError> {
    let map = headers.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    S3PresignedUrl::builder().url(url).set_headers(Some(map)).build().map_err(build_err)
}

pub(super) fn page_size(max: Option<u32>) -> Option<i32> {
    max.map(|m| m.clamp(1, 100) as i32)
}

pub(super) fn some(s: Option<&str>) -> Option<String> {
    s.filter(|t| !t.is_empty()).map(str::to_string)
}

pub(super) fn categories(list: &[String]) -> Vec<MetaFlowCategory> {
    list.iter().map(|c| MetaFlowCategory::from(c.as_str())).collect()
}

pub(super) fn category_names(list: &[MetaFlowCategory]) -> Vec<String> {
    list.iter().map(|c| c.as_str().to_string()).collect()
}

fn sdk_time(t: TimeOfDay) -> Result<WhatsAppTimeOfDay, AdminError> {
    WhatsAppTimeOfDay::builder().hours(i32::from(t.hours)).minutes(i32::from(t.minutes)).build().map_err(build_err)
}

fn from_sdk_time(t: Option<&WhatsAppTimeOfDay>) -> TimeOfDay {
    let clamp = |v: i32, max: u8| u8::try_from(v.clamp(0, i32::from(max))).unwrap_or(0);
    t.map(|t| TimeOfDay { hours: clamp(t.hours(), 23), minutes: clamp(t.minutes(), 59) }).unwrap_or_default()
}

/// The whole settings, as EUM's builders take them.
fn sdk_call_settings(s: &CallSettings) -> Result<WhatsAppCallSettings, AdminError> {
    let mut b = WhatsAppCallSettings::builder()
        .call_enabled(s.call_enabled)
        .set_call_icon_visibility(s.call_icon_visibility.clone())
        .set_callback_permission_status(s.callback_permission_status.clone());
    if let Some(h) = &s.call_hours {
        let mut hours = WhatsAppCallHours::builder().enabled(h.enabled).timezone(h.timezone.trim());
        // An empty weekly list is still sent: the member is required.
        hours = hours.set_weekly_operating_hours(Some(Vec::new()));
        for d in &h.weekly {
            let entry = WhatsAppWeeklyOperatingHoursEntry::builder()
                .day_of_week(WhatsAppDayOfWeek::from(d.day.as_str()))
                .open_time(sdk_time(d.open)?)
                .close_time(sdk_time(d.close)?)
                .build()
                .map_err(build_err)?;
            hours = hours.weekly_operating_hours(entry);
        }
        for d in &h.holidays {
            let entry = WhatsAppHolidayScheduleEntry::builder()
                .date(&d.date)
                .start_time(sdk_time(d.start)?)
                .end_time(sdk_time(d.end)?)
                .build()
                .map_err(build_err)?;
            hours = hours.holiday_schedule(entry);
        }
        b = b.call_hours(hours.build().map_err(build_err)?);
    }
    b.build().map_err(build_err)
}

/// What EUM holds, in wapipe's shape (values outside the model are clamped, never refused).
fn from_sdk_call_settings(s: &WhatsAppCallSettings) -> CallSettings {
    CallSettings {
        call_enabled: s.call_enabled(),
        call_icon_visibility: s.call_icon_visibility().map(str::to_string),
        callback_permission_status: s.callback_permission_status().map(str::to_string),
        call_hours: s.call_hours().map(|h| CallHours {
            enabled: h.enabled(),
            timezone: h.timezone().to_string(),
            weekly: h
                .weekly_operating_hours()
                .iter()
                .map(|d| DayHours {
                    day: d.day_of_week().as_str().to_string(),
                    open: from_sdk_time(d.open_time()),
                    close: from_sdk_time(d.close_time()),
                })
                .collect(),
            holidays: h
                .holiday_schedule()
                .iter()
                .map(|d| HolidayHours {
                    date: d.date().to_string(),
                    start: from_sdk_time(d.start_time()),
                    end: from_sdk_time(d.end_time()),
                })
                .collect(),
        }),
    }
}

impl Admin for EumAdmin {
    async fn list_templates(&self, waba_id: &str, next: Option<&str>, max: Option<u32>) -> AdminResult<TemplatePage> {
        let out = self
            .client
            .list_whats_app_message_templates()
            .id(waba_id)
            .set_next_token(next.map(str::to_string))
            .set_max_results(page_size(max))
            .send()
            .await
            .map_err(eum)?;
        let templates = out
            .templates()
            .iter()
            .map(|t| TemplateSummary {
                name: t.template_name().unwrap_or_default().to_string(),
                meta_template_id: t.meta_template_id().unwrap_or_default().to_string(),
                status: t.template_status().unwrap_or_default().to_string(),
                quality_score: t.template_quality_score().unwrap_or_default().to_string(),
                language: t.template_language().unwrap_or_default().to_string(),
                category: t.template_category().unwrap_or_default().to_string(),
            })
            .collect();
        Ok(TemplatePage { templates, next_token: some(out.next_token()) })
    }

    async fn get_template(&self, waba_id: &str, which: &TemplateRef) -> AdminResult<String> {
        let mut req = self.client.get_whats_app_message_template().id(waba_id);
        req = match which {
            TemplateRef::MetaId(id) => req.meta_template_id(id),
            TemplateRef::NameLanguage { name, language } => req.template_name(name).template_language_code(language),
        };
        let out = req.send().await.map_err(eum)?;
        Ok(out.template().unwrap_or_default().to_string())
    }

    async fn create_template(&self, waba_id: &str, definition: &[u8]) -> AdminResult<CreatedTemplate> {
        let out = self
            .client
            .create_whats_app_message_template()
            .id(waba_id)
            .template_definition(Blob::new(definition.to_vec()))
            .send()
            .await
            .map_err(eum)?;
        Ok(CreatedTemplate {
            meta_template_id: out.meta_template_id().unwrap_or_default().to_string(),
            status: out.template_status().unwrap_or_default().to_string(),
            category: out.category().unwrap_or_default().to_string(),
        })
    }

    async fn update_template(&self, waba_id: &str, which: &TemplateRef, u: &TemplateUpdate) -> AdminResult<()> {
        let mut req = self.client.update_whats_app_message_template().id(waba_id);
        req = match which {
            TemplateRef::MetaId(id) => req.meta_template_id(id),
            TemplateRef::NameLanguage { name, language } => req.template_name(name).template_language_code(language),
        };
        if let Some(c) = &u.components {
            let bytes = serde_json::to_vec(c).map_err(|e| AdminError::invalid("components", e.to_string()))?;
            req = req.template_components(Blob::new(bytes));
        }
        req.set_parameter_format(u.parameter_format.clone())
            .set_template_category(u.category.clone())
            .set_cta_url_link_tracking_opted_out(u.cta_url_link_tracking_opted_out)
            .send()
            .await
            .map_err(eum)?;
        Ok(())
    }

    async fn delete_template(&self, waba_id: &str, name: &str, scope: &DeleteScope) -> AdminResult<()> {
        let req = self.client.delete_whats_app_message_template().id(waba_id).template_name(name);
        let req = match scope {
            DeleteScope::OneLanguage { meta_template_id } => req.meta_template_id(meta_template_id),
            DeleteScope::AllLanguages => req.delete_all_languages(true),
        };
        req.send().await.map_err(eum)?;
        Ok(())
    }

    async fn list_library(
        &self,
        waba_id: &str,
        filters: &BTreeMap<String, String>,
        next: Option<&str>,
    ) -> AdminResult<LibraryPage> {
        let mut req =
            self.client.list_whats_app_template_library().id(waba_id).set_next_token(next.map(str::to_string));
        for (k, v) in filters {
            req = req.filters(k, v);
        }
        let out = req.send().await.map_err(eum)?;
        let templates = out
            .meta_library_templates()
            .iter()
            .map(|t| LibraryTemplate {
                name: t.template_name().unwrap_or_default().to_string(),
                language: t.template_language().unwrap_or_default().to_string(),
                category: t.template_category().unwrap_or_default().to_string(),
                topic: t.template_topic().unwrap_or_default().to_string(),
                use_case: t.template_use_case().unwrap_or_default().to_string(),
                body: t.template_body().unwrap_or_default().to_string(),
                id: t.template_id().unwrap_or_default().to_string(),
            })
            .collect();
        Ok(LibraryPage { templates, next_token: some(out.next_token()) })
    }

    async fn create_from_library(&self, waba_id: &str, from: &FromLibrary) -> AdminResult<CreatedTemplate> {
        let lib = MetaLibraryTemplate::builder()
            .template_name(&from.template_name)
            .library_template_name(&from.library_template_name)
            .template_category(&from.category)
            .template_language(&from.language)
            .build()
            .map_err(build_err)?;
        let out = self
            .client
            .create_whats_app_message_template_from_library()
            .id(waba_id)
            .meta_library_template(lib)
            .send()
            .await
            .map_err(eum)?;
        Ok(CreatedTemplate {
            meta_template_id: out.meta_template_id().unwrap_or_default().to_string(),
            status: out.template_status().unwrap_or_default().to_string(),
            category: out.category().unwrap_or_default().to_string(),
        })
    }

    async fn template_media(&self, waba_id: &str, bucket: &str, key: &str) -> AdminResult<String> {
        let out = self
            .client
            .create_whats_app_message_template_media()
            .id(waba_id)
            .source_s3_file(s3_file(bucket, key)?)
            .send()
            .await
            .map_err(eum)?;
        Ok(out.meta_header_handle().unwrap_or_default().to_string())
    }

    async fn upload_media(&self, phone_id: &str, source: &S3Location) -> AdminResult<String> {
        let req = self.client.post_whats_app_message_media().origination_phone_number_id(phone_id);
        let req = match source {
            S3Location::File { bucket, key } => req.source_s3_file(s3_file(bucket, key)?),
            S3Location::Presigned { url, headers } => req.source_s3_presigned_url(presigned(url, headers)?),
        };
        let out = req.send().await.map_err(eum)?;
        Ok(out.media_id().unwrap_or_default().to_string())
    }

    async fn get_media(&self, phone_id: &str, media_id: &str, to: Option<&S3Location>) -> AdminResult<MediaInfo> {
        let req = self.client.get_whats_app_message_media().origination_phone_number_id(phone_id).media_id(media_id);
        let req = match to {
            None => req.metadata_only(true),
            Some(S3Location::File { bucket, key }) => req.destination_s3_file(s3_file(bucket, key)?),
            Some(S3Location::Presigned { url, headers }) => req.destination_s3_presigned_url(presigned(url, headers)?),
        };
        let out = req.send().await.map_err(eum)?;
        Ok(MediaInfo {
            mime_type: out.mime_type().unwrap_or_default().to_string(),
            file_size_kb: out.file_size().unwrap_or_default(),
        })
    }

    async fn delete_media(&self, phone_id: &str, media_id: &str) -> AdminResult<bool> {
        let out = self
            .client
            .delete_whats_app_message_media()
            .origination_phone_number_id(phone_id)
            .media_id(media_id)
            .send()
            .await
            .map_err(eum)?;
        Ok(out.success().unwrap_or(false))
    }

    async fn create_flow(&self, waba_id: &str, flow: &NewFlow) -> AdminResult<(String, Vec<String>)> {
        self.eum_create_flow(waba_id, flow).await
    }

    async fn update_flow(&self, waba_id: &str, flow_id: &str, u: &FlowUpdate) -> AdminResult<()> {
        self.eum_update_flow(waba_id, flow_id, u).await
    }

    async fn update_flow_assets(&self, waba_id: &str, flow_id: &str, flow_json: &[u8]) -> AdminResult<Vec<String>> {
        let out = self
            .client
            .update_whats_app_flow_assets()
            .id(waba_id)
            .flow_id(flow_id)
            .flow_json(Blob::new(flow_json.to_vec()))
            .send()
            .await
            .map_err(eum)?;
        Ok(out.validation_errors().to_vec())
    }

    async fn publish_flow(&self, waba_id: &str, flow_id: &str) -> AdminResult<()> {
        self.client.publish_whats_app_flow().id(waba_id).flow_id(flow_id).send().await.map_err(eum)?;
        Ok(())
    }

    async fn deprecate_flow(&self, waba_id: &str, flow_id: &str) -> AdminResult<()> {
        self.client.deprecate_whats_app_flow().id(waba_id).flow_id(flow_id).send().await.map_err(eum)?;
        Ok(())
    }

    async fn delete_flow(&self, waba_id: &str, flow_id: &str) -> AdminResult<()> {
        self.client.delete_whats_app_flow().id(waba_id).flow_id(flow_id).send().await.map_err(eum)?;
        Ok(())
    }

    async fn list_flows(&self, waba_id: &str, next: Option<&str>, max: Option<u32>) -> AdminResult<FlowPage> {
        self.eum_list_flows(waba_id, next, max).await
    }

    async fn get_flow(&self, waba_id: &str, flow_id: &str) -> AdminResult<FlowInfo> {
        self.eum_get_flow(waba_id, flow_id).await
    }

    async fn preview_flow(&self, waba_id: &str, flow_id: &str, invalidate: bool) -> AdminResult<FlowPreview> {
        self.eum_preview_flow(waba_id, flow_id, invalidate).await
    }

    async fn list_flow_assets(&self, waba_id: &str, flow_id: &str) -> AdminResult<Vec<FlowAsset>> {
        self.eum_list_flow_assets(waba_id, flow_id).await
    }

    async fn put_call_settings(&self, phone_id: &str, settings: &CallSettings) -> AdminResult<String> {
        settings.validate()?;
        let out = self
            .client
            .update_linked_whats_app_business_account_phone_number()
            .id(phone_id)
            .call_settings(sdk_call_settings(settings)?)
            .send()
            .await
            .map_err(eum)?;
        Ok(out.phone_number_id().to_string())
    }

    async fn call_settings(&self, phone_id: &str) -> AdminResult<Option<CallSettings>> {
        let out =
            self.client.get_linked_whats_app_business_account_phone_number().id(phone_id).send().await.map_err(eum)?;
        Ok(out.call_settings().map(from_sdk_call_settings))
    }

    async fn list_tags(&self, arn: &str) -> AdminResult<BTreeMap<String, String>> {
        validate_tags(arn, [])?;
        let out = self.client.list_tags_for_resource().resource_arn(arn).send().await.map_err(eum)?;
        Ok(out.tags().iter().map(|t| (t.key().to_string(), t.value().unwrap_or_default().to_string())).collect())
    }

    async fn tag(&self, arn: &str, tags: &BTreeMap<String, String>) -> AdminResult<()> {
        validate_tags(arn, tags.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
        let mut req = self.client.tag_resource().resource_arn(arn);
        for (k, v) in tags {
            req = req.tags(Tag::builder().key(k).value(v).build().map_err(build_err)?);
        }
        req.send().await.map_err(eum)?;
        Ok(())
    }

    async fn untag(&self, arn: &str, keys: &[String]) -> AdminResult<()> {
        validate_tags(arn, keys.iter().map(|k| (k.as_str(), "")))?;
        self.client.untag_resource().resource_arn(arn).set_tag_keys(Some(keys.to_vec())).send().await.map_err(eum)?;
        Ok(())
    }

    async fn disassociate_waba(&self, waba_id: &str) -> AdminResult<()> {
        if waba_id.is_empty() {
            return Err(AdminError::invalid("waba_id", "the WABA's EUM id (waba-…) or ARN"));
        }
        self.client.disassociate_whats_app_business_account().id(waba_id).send().await.map_err(eum)?;
        Ok(())
    }

    async fn call_permission(&self, phone_id: &str, user: &CallUser) -> AdminResult<CallPermission> {
        let req = self.client.get_whats_app_call_permission().origination_phone_number_id(phone_id);
        let req = match user {
            CallUser::Phone(p) => req.destination_phone_number(p),
            CallUser::Bsuid(b) => req.end_user_bsuid(b),
        };
        let out = req.send().await.map_err(eum)?;
        let secs = |t: Option<&aws_sdk_socialmessaging::primitives::DateTime>| t.map(|t| t.secs());
        Ok(CallPermission {
            status: out.permission().map(|p| p.status().to_string()).unwrap_or_default(),
            expiration_time: secs(out.permission().and_then(|p| p.expiration_time())),
            actions: out
                .actions()
                .iter()
                .map(|a| CallAction {
                    action_name: a.action_name().to_string(),
                    can_perform_action: a.can_perform_action(),
                    limits: a
                        .limits()
                        .iter()
                        .map(|l| CallLimit {
                            time_period: l.time_period().to_string(),
                            max_allowed: l.max_allowed(),
                            current_usage: l.current_usage(),
                            limit_expiration_time: secs(l.limit_expiration_time()),
                        })
                        .collect(),
                })
                .collect(),
        })
    }

    async fn send_call_event(&self, phone_id: &str, meta_api_version: &str, event: &[u8]) -> AdminResult<String> {
        let out = self
            .client
            .send_whats_app_call_event()
            .origination_phone_number_id(phone_id)
            .meta_api_version(meta_api_version)
            .call_event(Blob::new(event.to_vec()))
            .send()
            .await
            .map_err(eum)?;
        Ok(out.call_id().to_string())
    }

    async fn put_event_destinations(
        &self,
        waba_id: &str,
        destinations: &[(String, Option<String>)],
    ) -> AdminResult<()> {
        let mut list = Vec::new();
        for (arn, role) in destinations {
            let d = WhatsAppBusinessAccountEventDestination::builder()
                .event_destination_arn(arn)
                .set_role_arn(role.clone())
                .build()
                .map_err(build_err)?;
            list.push(d);
        }
        self.client
            .put_whats_app_business_account_event_destinations()
            .id(waba_id)
            .set_event_destinations(Some(list))
            .send()
            .await
            .map_err(eum)?;
        Ok(())
    }

    async fn get_public_key(&self, phone_id: &str) -> AdminResult<PublicKey> {
        let out = self
            .client
            .get_whats_app_business_public_key()
            .origination_phone_number_id(phone_id)
            .send()
            .await
            .map_err(eum)?;
        Ok(PublicKey {
            pem: out.business_public_key().unwrap_or_default().to_string(),
            signature_status: out.business_public_key_signature_status().unwrap_or_default().to_string(),
        })
    }

    async fn put_public_key(&self, phone_id: &str, pem: &str) -> AdminResult<()> {
        self.client
            .put_whats_app_business_public_key()
            .origination_phone_number_id(phone_id)
            .business_public_key(pem.trim())
            .send()
            .await
            .map_err(eum)?;
        Ok(())
    }
}

impl crate::ports::conversions::ConversionsApi for EumAdmin {
    async fn create_dataset(&self, waba: &str) -> Result<String, MessagingError> {
        let out = self.client.create_whats_app_dataset().id(waba).send().await.map_err(|e| to_messaging_error(&e))?;
        Ok(out.dataset_id().to_string())
    }

    async fn send_conversion_events(
        &self,
        waba: &str,
        dataset_id: &str,
        payload: &[u8],
    ) -> Result<String, MessagingError> {
        let out = self
            .client
            .send_whats_app_conversion_event()
            .id(waba)
            .dataset_id(dataset_id)
            .event_data(Blob::new(payload.to_vec()))
            .send()
            .await
            .map_err(|e| to_messaging_error(&e))?;
        Ok(out.request_id().to_string())
    }
}
