//! [`Messaging`] on EUM Social (`aws-sdk-socialmessaging`).
//!
//! The client is built with the SDK's own retries OFF: a retried `SendWhatsAppMessage` after
//! a timeout could send a second WhatsApp message, so retrying is the send worker's job, which
//! knows whether a message may already have gone (see `Delivery`).

use std::time::Duration;

use aws_sdk_socialmessaging::config::http::HttpResponse;
use aws_sdk_socialmessaging::config::retry::RetryConfig;
use aws_sdk_socialmessaging::config::timeout::TimeoutConfig;
use aws_sdk_socialmessaging::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_socialmessaging::primitives::Blob;
use aws_sdk_socialmessaging::Client;

use crate::ports::messaging::{EumMessageId, LinkedPhone, Messaging, MessagingError};

/// EUM Social through the official SDK.
#[derive(Clone, Debug)]
pub struct EumMessaging {
    client: Client,
}

/// Default bound on one EUM call (connect + request + answer).
pub const CALL_TIMEOUT: Duration = Duration::from_secs(10);

impl EumMessaging {
    /// Use this client as is (its retry configuration included).
    pub fn new(client: Client) -> EumMessaging {
        EumMessaging { client }
    }

    /// A client from the shared configuration with SDK retries disabled and a call timeout.
    pub fn from_conf(conf: &aws_config::SdkConfig) -> EumMessaging {
        let config = aws_sdk_socialmessaging::config::Builder::from(conf)
            .retry_config(RetryConfig::disabled())
            .timeout_config(TimeoutConfig::builder().operation_timeout(CALL_TIMEOUT).build())
            .build();
        EumMessaging::new(Client::from_conf(config))
    }

    /// The underlying SDK client, for calls this adapter does not wrap.
    pub fn client(&self) -> &Client {
        &self.client
    }
}

/// An SDK error as a [`MessagingError`], with whether the request may have been sent.
pub fn to_messaging_error<E>(err: &SdkError<E, HttpResponse>) -> MessagingError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match err {
        SdkError::ServiceError(s) => {
            let status = s.raw().status().as_u16();
            let code = err.code().unwrap_or("UnknownError").to_string();
            let message = err.message().unwrap_or_default().to_string();
            MessagingError::answered(code, message, Some(status))
        }
        SdkError::ConstructionFailure(_) => {
            MessagingError::not_sent("ConfigurationError", DisplayErrorContext(err).to_string(), false)
        }
        SdkError::DispatchFailure(d) if d.is_user() => {
            MessagingError::not_sent("ConfigurationError", DisplayErrorContext(err).to_string(), false)
        }
        SdkError::TimeoutError(_) => MessagingError::unknown("Timeout", DisplayErrorContext(err).to_string()),
        // Lost connection, an unreadable answer: the request may have been processed.
        _ => MessagingError::unknown("NetworkError", DisplayErrorContext(err).to_string()),
    }
}

impl Messaging for EumMessaging {
    async fn send(
        &self,
        origination_phone_number_id: &str,
        meta_api_version: &str,
        message_json: &[u8],
    ) -> Result<EumMessageId, MessagingError> {
        let out = self
            .client
            .send_whats_app_message()
            .origination_phone_number_id(origination_phone_number_id)
            .meta_api_version(meta_api_version)
            .message(Blob::new(message_json.to_vec()))
            .send()
            .await
            .map_err(|e| to_messaging_error(&e))?;
        match out.message_id() {
            Some(id) if !id.is_empty() => Ok(EumMessageId(id.to_string())),
            // Accepted without an id: sent, but nothing to link; keep a marker.
            _ => Ok(EumMessageId(String::new())),
        }
    }

    async fn linked_phones(&self) -> Result<Vec<LinkedPhone>, MessagingError> {
        let mut phones = Vec::new();
        let mut next: Option<String> = None;
        // Bounded: at most 100 pages of accounts.
        for _ in 0..100 {
            let page = self
                .client
                .list_linked_whats_app_business_accounts()
                .set_next_token(next.take())
                .send()
                .await
                .map_err(|e| to_messaging_error(&e))?;
            for summary in page.linked_accounts() {
                let account = self
                    .client
                    .get_linked_whats_app_business_account()
                    .id(summary.id())
                    .send()
                    .await
                    .map_err(|e| to_messaging_error(&e))?;
                let Some(a) = account.account() else { continue };
                for p in a.phone_numbers() {
                    phones.push(LinkedPhone {
                        eum_phone_number_id: p.phone_number_id().to_string(),
                        arn: p.arn().to_string(),
                        meta_phone_number_id: p.meta_phone_number_id().to_string(),
                        waba_id: a.waba_id().to_string(),
                    });
                }
            }
            match page.next_token() {
                Some(t) if !t.is_empty() => next = Some(t.to_string()),
                _ => break,
            }
        }
        Ok(phones)
    }
}
