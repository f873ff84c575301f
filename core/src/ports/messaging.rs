//! The messaging port: EUM Social's `SendWhatsAppMessage`, and the linked phone numbers.
//!
//! Errors keep what EUM said (exception type, message) and the Meta code inside the message
//! (`(#131056) …`, see `meta_errors::code_in_message`), and are classified in one place,
//! [`MessagingError::retry`], from docs/PROTOCOL.md §7.4 (`meta_errors`).

use std::future::Future;

use crate::domain::meta_errors::{self, Retry};

/// EUM's own id for an accepted message (not Meta's wamid).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EumMessageId(pub String);

impl std::fmt::Display for EumMessageId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether EUM answered, which decides what a failure means for idempotency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// EUM answered with an error: the message was not sent.
    Answered,
    /// No answer (timeout, connection lost after the request went out): the message may or
    /// may not have been sent. Never retried blind.
    Unknown,
    /// The request never left (connection refused, bad configuration): not sent.
    NotSent,
}

/// A failed EUM call.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{exception}: {message}")]
pub struct MessagingError {
    /// EUM's modeled exception (`ThrottledRequestException`, `ValidationException`, …), or
    /// `Timeout` / `NetworkError` / `ConfigurationError` when there was no answer.
    pub exception: String,
    /// EUM's message (often Meta's `(#code) title`).
    pub message: String,
    /// Meta's error code parsed from the message.
    pub meta_code: Option<i64>,
    /// The HTTP status of EUM's error answer; `None` when there was no answer.
    pub http_status: Option<u16>,
    /// Whether EUM answered, so whether the message may have gone out.
    pub delivery: Delivery,
}

impl MessagingError {
    /// An error EUM answered with.
    pub fn answered(exception: impl Into<String>, message: impl Into<String>, http_status: Option<u16>) -> Self {
        let message = message.into();
        MessagingError {
            exception: exception.into(),
            meta_code: meta_errors::code_in_message(&message),
            message,
            http_status,
            delivery: Delivery::Answered,
        }
    }

    /// No answer: the outcome is unknown.
    pub fn unknown(exception: impl Into<String>, message: impl Into<String>) -> Self {
        MessagingError {
            exception: exception.into(),
            message: message.into(),
            meta_code: None,
            http_status: None,
            delivery: Delivery::Unknown,
        }
    }

    /// The request never left.
    pub fn not_sent(exception: impl Into<String>, message: impl Into<String>, retryable: bool) -> Self {
        let exception = exception.into();
        let exception = if retryable { exception } else { format!("{exception}(permanent)") };
        MessagingError {
            exception,
            message: message.into(),
            meta_code: None,
            http_status: None,
            delivery: Delivery::NotSent,
        }
    }

    /// What to do about it: a known Meta code decides; else EUM's exception type; a request
    /// that never left is retried unless it can never succeed; an unknown outcome is
    /// retried only through the send worker's reconciliation (see `Retry::Backoff` there).
    pub fn retry(&self) -> Retry {
        if let Some(m) = self.meta_code.and_then(meta_errors::lookup) {
            return m.retry;
        }
        match self.delivery {
            Delivery::Answered => meta_errors::eum_exception_retry(&self.exception),
            Delivery::NotSent if self.exception.ends_with("(permanent)") => Retry::Never,
            Delivery::NotSent | Delivery::Unknown => Retry::Backoff,
        }
    }

    /// Needs an operator (account, quality, billing).
    pub fn alert(&self) -> bool {
        self.meta_code.and_then(meta_errors::lookup).is_some_and(|m| m.alert)
            || matches!(self.exception.as_str(), "AccessDeniedException" | "ResourceNotFoundException")
    }

    /// A short reason for records and events: `131047: more than 24 hours … (ValidationException)`.
    pub fn reason(&self) -> String {
        match self.meta_code.and_then(meta_errors::lookup) {
            Some(m) => format!("{}: {} ({})", m.code, m.meaning, self.exception),
            None => format!("{}: {}", self.exception, self.message),
        }
    }
}

/// A phone number linked to EUM.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LinkedPhone {
    /// EUM `phone-number-id-…`.
    pub eum_phone_number_id: String,
    /// The number's ARN in EUM.
    pub arn: String,
    /// Meta's phone_number_id.
    pub meta_phone_number_id: String,
    /// Meta's WABA id.
    pub waba_id: String,
}

impl LinkedPhone {
    /// Whether `id` names this phone (Meta id, EUM id or ARN).
    pub fn is(&self, id: &str) -> bool {
        id == self.meta_phone_number_id || id == self.eum_phone_number_id || id == self.arn
    }
}

/// EUM Social, as the send worker needs it.
///
/// # Errors
///
/// [`MessagingError`] keeps EUM's exception, message and Meta code, and whether EUM answered
/// at all ([`Delivery`]): an unanswered send may have gone out and is never retried blind.
pub trait Messaging: Send + Sync {
    /// `SendWhatsAppMessage`: `message_json` is the exact Cloud API JSON.
    fn send(
        &self,
        origination_phone_number_id: &str,
        meta_api_version: &str,
        message_json: &[u8],
    ) -> impl Future<Output = Result<EumMessageId, MessagingError>> + Send;

    /// Every phone number linked to the account (to resolve a Meta id to EUM's and back).
    fn linked_phones(&self) -> impl Future<Output = Result<Vec<LinkedPhone>, MessagingError>> + Send;
}

impl<T: Messaging + ?Sized> Messaging for std::sync::Arc<T> {
    fn send(
        &self,
        origination_phone_number_id: &str,
        meta_api_version: &str,
        message_json: &[u8],
    ) -> impl Future<Output = Result<EumMessageId, MessagingError>> + Send {
        (**self).send(origination_phone_number_id, meta_api_version, message_json)
    }
    fn linked_phones(&self) -> impl Future<Output = Result<Vec<LinkedPhone>, MessagingError>> + Send {
        (**self).linked_phones()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_prefers_the_meta_code() {
        let e = MessagingError::answered("ValidationException", "(#131056) pair rate limit hit", Some(400));
        assert_eq!((e.meta_code, e.retry()), (Some(131056), Retry::PairRate));
        let e = MessagingError::answered("ThrottledRequestException", "Rate exceeded", Some(429));
        assert_eq!(e.retry(), Retry::Backoff);
        let e = MessagingError::answered("ValidationException", "(#131047) Re-engagement message", Some(400));
        assert_eq!(e.retry(), Retry::Never);
        assert!(e.reason().starts_with("131047: more than 24 hours"));
        let e = MessagingError::answered("DependencyException", "(#130429) Rate limit hit", Some(502));
        assert_eq!(e.retry(), Retry::Backoff);
        let e = MessagingError::answered("ValidationException", "bad", Some(400));
        assert_eq!(e.retry(), Retry::Never);
        assert_eq!(MessagingError::unknown("Timeout", "no answer").retry(), Retry::Backoff);
        assert_eq!(MessagingError::not_sent("ConfigurationError", "no region", false).retry(), Retry::Never);
        assert!(MessagingError::answered("ValidationException", "(#131048) spam", None).alert());
    }
}
