//! [`Accounts`] on EUM Social (`aws-sdk-socialmessaging`).
//!
//! Same client setup as [`super::EumMessaging`] (shared configuration, a call timeout), except
//! that the SDK's standard retries stay ON: these calls only read, so a retried call can never
//! send a second WhatsApp message (the reason retries are off for `SendWhatsAppMessage`).

use std::time::Duration;

use aws_sdk_socialmessaging::config::retry::RetryConfig;
use aws_sdk_socialmessaging::config::timeout::TimeoutConfig;
use aws_sdk_socialmessaging::types::{
    LinkedWhatsAppBusinessAccountSummary, WhatsAppPhoneNumberDetail, WhatsAppPhoneNumberSummary,
};
use aws_sdk_socialmessaging::Client;

use super::to_messaging_error;
use crate::ports::accounts::{Accounts, PhoneDetail, PhoneNumber, WabaDetail, WabaPage, WabaSummary};
use crate::ports::messaging::MessagingError;

/// Bound on one call, retries included.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// EUM Social's linked accounts through the official SDK.
#[derive(Clone, Debug)]
pub struct EumAccounts {
    client: Client,
}

impl EumAccounts {
    /// Use this client as is.
    pub fn new(client: Client) -> EumAccounts {
        EumAccounts { client }
    }

    /// A client from the shared configuration: standard retries (read-only calls), a timeout.
    pub fn from_conf(conf: &aws_config::SdkConfig) -> EumAccounts {
        let config = aws_sdk_socialmessaging::config::Builder::from(conf)
            .retry_config(RetryConfig::standard())
            .timeout_config(TimeoutConfig::builder().operation_timeout(CALL_TIMEOUT).build())
            .build();
        EumAccounts::new(Client::from_conf(config))
    }

    /// The underlying SDK client, for calls this adapter does not wrap.
    pub fn client(&self) -> &Client {
        &self.client
    }
}

fn summary(a: &LinkedWhatsAppBusinessAccountSummary) -> WabaSummary {
    WabaSummary {
        id: a.id().to_string(),
        arn: a.arn().to_string(),
        meta_waba_id: a.waba_id().to_string(),
        name: a.waba_name().to_string(),
        registration_status: a.registration_status().as_str().to_string(),
        link_date: Some(a.link_date().secs()).filter(|s| *s > 0),
    }
}

fn phone_of_summary(p: &WhatsAppPhoneNumberSummary) -> PhoneNumber {
    PhoneNumber {
        eum_phone_number_id: p.phone_number_id().to_string(),
        arn: p.arn().to_string(),
        meta_phone_number_id: p.meta_phone_number_id().to_string(),
        phone_number: p.phone_number().to_string(),
        display_phone_number: p.display_phone_number().to_string(),
        display_name: p.display_phone_number_name().to_string(),
        quality_rating: p.quality_rating().to_string(),
        data_localization_region: p.data_localization_region().map(str::to_string),
    }
}

fn phone_of_detail(p: &WhatsAppPhoneNumberDetail) -> PhoneNumber {
    PhoneNumber {
        eum_phone_number_id: p.phone_number_id().to_string(),
        arn: p.arn().to_string(),
        meta_phone_number_id: p.meta_phone_number_id().to_string(),
        phone_number: p.phone_number().to_string(),
        display_phone_number: p.display_phone_number().to_string(),
        display_name: p.display_phone_number_name().to_string(),
        quality_rating: p.quality_rating().to_string(),
        data_localization_region: p.data_localization_region().map(str::to_string),
    }
}

fn invalid(message: String) -> MessagingError {
    MessagingError::not_sent("ValidationException", message, false)
}

impl Accounts for EumAccounts {
    async fn list_wabas(&self, next_token: Option<&str>, max_results: Option<u32>) -> Result<WabaPage, MessagingError> {
        let max = match max_results {
            None => None,
            Some(n @ 1..=100) => Some(n as i32),
            Some(n) => return Err(invalid(format!("max_results: expected 1 to 100, got {n}"))),
        };
        let out = self
            .client
            .list_linked_whats_app_business_accounts()
            .set_next_token(next_token.filter(|t| !t.is_empty()).map(str::to_string))
            .set_max_results(max)
            .send()
            .await
            .map_err(|e| to_messaging_error(&e))?;
        Ok(WabaPage {
            wabas: out.linked_accounts().iter().map(summary).collect(),
            next_token: out.next_token().filter(|t| !t.is_empty()).map(str::to_string),
        })
    }

    async fn get_waba(&self, id: &str) -> Result<WabaDetail, MessagingError> {
        if id.trim().is_empty() {
            return Err(invalid("id: a WABA id (waba-…) is required".into()));
        }
        let out = self
            .client
            .get_linked_whats_app_business_account()
            .id(id)
            .send()
            .await
            .map_err(|e| to_messaging_error(&e))?;
        let Some(a) = out.account() else {
            return Err(MessagingError::answered(
                "ResourceNotFoundException",
                format!("no account in answer for {id}"),
                None,
            ));
        };
        Ok(WabaDetail {
            summary: WabaSummary {
                id: a.id().to_string(),
                arn: a.arn().to_string(),
                meta_waba_id: a.waba_id().to_string(),
                name: a.waba_name().to_string(),
                registration_status: a.registration_status().as_str().to_string(),
                link_date: Some(a.link_date().secs()).filter(|s| *s > 0),
            },
            phones: a.phone_numbers().iter().map(phone_of_summary).collect(),
        })
    }

    async fn get_phone(&self, id: &str) -> Result<PhoneDetail, MessagingError> {
        if id.trim().is_empty() {
            return Err(invalid("id: a phone number id (phone-number-id-…) is required".into()));
        }
        let out = self
            .client
            .get_linked_whats_app_business_account_phone_number()
            .id(id)
            .send()
            .await
            .map_err(|e| to_messaging_error(&e))?;
        let Some(p) = out.phone_number() else {
            return Err(MessagingError::answered(
                "ResourceNotFoundException",
                format!("no phoneNumber in answer for {id}"),
                None,
            ));
        };
        Ok(PhoneDetail {
            phone: phone_of_detail(p),
            linked_waba_id: out.linked_whats_app_business_account_id().unwrap_or_default().to_string(),
        })
    }
}
