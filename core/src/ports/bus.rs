//! The event bus port (EventBridge `PutEvents`).

use std::future::Future;

use super::PortResult;
use crate::domain::events::DomainEvent;

/// Result of one entry of a `put_events` call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryResult {
    /// EventBridge accepted the event.
    Ok,
    /// EventBridge refused the event; the others of the call may still have been published.
    Failed {
        /// EventBridge's `ErrorCode` for the entry (`ThrottlingException`, `MalformedDetail`, …).
        code: String,
        /// EventBridge's `ErrorMessage`; may be empty.
        message: String,
        /// Whether sending the same entry again may succeed (throttling, internal failures).
        retryable: bool,
    },
}

/// The event bus (EventBridge `PutEvents`).
///
/// # Errors
///
/// A call-level [`PortError`](super::PortError) means none of the events is known to be
/// published; a refused entry is an [`EntryResult::Failed`] in the result instead.
pub trait Bus: Send + Sync {
    /// Publish at most 10 events; one result per event, in order. A call-level error means
    /// none of them is known to be published.
    fn put_events(&self, events: &[DomainEvent]) -> impl Future<Output = PortResult<Vec<EntryResult>>> + Send;
}

impl<T: Bus + ?Sized> Bus for std::sync::Arc<T> {
    fn put_events(&self, events: &[DomainEvent]) -> impl Future<Output = PortResult<Vec<EntryResult>>> + Send {
        (**self).put_events(events)
    }
}
