//! The Conversions API port (docs/PROTOCOL.md §11.2): a WABA's dataset and the conversion
//! events reported to Meta for its click-to-WhatsApp ads, through EUM Social.
//! `aws::EumAdmin` is the real adapter; the sandbox records the calls in local mode.

use std::future::Future;

use crate::ports::messaging::MessagingError;

/// EUM Social's two Conversions API operations.
///
/// # Errors
///
/// [`MessagingError`], classified as every EUM error is: `retry()` says whether trying
/// again can help.
pub trait ConversionsApi: Send + Sync {
    /// CreateWhatsAppDataset: the WABA's dataset id; creates it the first time (EUM marks the
    /// call idempotent). `waba` is the EUM WABA id or its ARN.
    fn create_dataset(&self, waba: &str) -> impl Future<Output = Result<String, MessagingError>> + Send;
    /// SendWhatsAppConversionEvent: Meta's Conversions API payload (`{"data": [...]}`) as
    /// bytes; answers EUM's request id. Not idempotent in EUM: Meta deduplicates on the
    /// payload's `event_id`.
    fn send_conversion_events(
        &self,
        waba: &str,
        dataset_id: &str,
        payload: &[u8],
    ) -> impl Future<Output = Result<String, MessagingError>> + Send;
}

impl<T: ConversionsApi> ConversionsApi for std::sync::Arc<T> {
    fn create_dataset(&self, waba: &str) -> impl Future<Output = Result<String, MessagingError>> + Send {
        (**self).create_dataset(waba)
    }
    fn send_conversion_events(
        &self,
        waba: &str,
        dataset_id: &str,
        payload: &[u8],
    ) -> impl Future<Output = Result<String, MessagingError>> + Send {
        (**self).send_conversion_events(waba, dataset_id, payload)
    }
}

/// No Conversions API: every call is refused for good (a processor built without one).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoConversions;

impl ConversionsApi for NoConversions {
    async fn create_dataset(&self, _waba: &str) -> Result<String, MessagingError> {
        Err(MessagingError::not_sent("ConfigurationError", "no Conversions API client configured", false))
    }
    async fn send_conversion_events(&self, _: &str, _: &str, _: &[u8]) -> Result<String, MessagingError> {
        Err(MessagingError::not_sent("ConfigurationError", "no Conversions API client configured", false))
    }
}
