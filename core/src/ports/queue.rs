//! The queue port (SQS, by queue URL).

use std::future::Future;
use std::time::Duration;

use super::PortResult;

/// A message received from a queue.
#[derive(Clone, Debug, PartialEq)]
pub struct QueueMessage {
    /// SQS's `MessageId`: stable across redeliveries.
    pub message_id: String,
    /// This delivery's `ReceiptHandle`, for `delete` and `change_visibility`; a later delivery
    /// gets a new one.
    pub receipt_handle: String,
    /// The message body, as sent.
    pub body: String,
    /// The message's string attributes.
    pub attributes: std::collections::BTreeMap<String, String>,
    /// `ApproximateReceiveCount`: 1 on the first delivery.
    pub receive_count: u32,
}

/// An outgoing queue message.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OutgoingMessage {
    /// The message body; must not be empty.
    pub body: String,
    /// Deliver after this long (`DelaySeconds`, at most 15 minutes); `None` for at once.
    pub delay: Option<Duration>,
    /// String message attributes.
    pub attributes: std::collections::BTreeMap<String, String>,
}

/// How many messages a queue holds (SQS's approximate counts).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueueDepth {
    /// Receivable now (`ApproximateNumberOfMessages`).
    pub visible: u64,
    /// Received and not yet deleted (`ApproximateNumberOfMessagesNotVisible`).
    pub in_flight: u64,
    /// Sent with a delay not yet elapsed (`ApproximateNumberOfMessagesDelayed`).
    pub delayed: u64,
}

impl QueueDepth {
    /// Every message the queue holds: visible, in flight and delayed.
    pub fn total(&self) -> u64 {
        self.visible.saturating_add(self.in_flight).saturating_add(self.delayed)
    }
}

/// SQS, by queue URL.
///
/// # Errors
///
/// Every call returns [`PortError`](super::PortError), `Transient` or `Permanent`.
pub trait Queue: Send + Sync {
    /// The queue's message counts (`GetQueueAttributes`): operators' view of a DLQ.
    fn depth(&self, queue_url: &str) -> impl Future<Output = PortResult<QueueDepth>> + Send;
    /// `SendMessage`: enqueue `message`; returns the new message id.
    fn send(&self, queue_url: &str, message: OutgoingMessage) -> impl Future<Output = PortResult<String>> + Send;
    /// `ReceiveMessage`: up to `max` (1 to 10) messages, long-polling up to `wait` (at most
    /// 20 s) when none is visible; each becomes invisible for the queue's visibility timeout.
    fn receive(
        &self,
        queue_url: &str,
        max: usize,
        wait: Duration,
    ) -> impl Future<Output = PortResult<Vec<QueueMessage>>> + Send;
    /// `DeleteMessage` by receipt handle; a stale handle deletes nothing and is no error.
    fn delete(&self, queue_url: &str, receipt_handle: &str) -> impl Future<Output = PortResult<()>> + Send;
    /// `ChangeMessageVisibility`: the in-flight message becomes visible again `timeout` from
    /// now (at most 12 hours); an error when it is not in flight.
    fn change_visibility(
        &self,
        queue_url: &str,
        receipt_handle: &str,
        timeout: Duration,
    ) -> impl Future<Output = PortResult<()>> + Send;
}

impl<T: Queue + ?Sized> Queue for std::sync::Arc<T> {
    fn depth(&self, queue_url: &str) -> impl Future<Output = PortResult<QueueDepth>> + Send {
        (**self).depth(queue_url)
    }
    fn send(&self, queue_url: &str, message: OutgoingMessage) -> impl Future<Output = PortResult<String>> + Send {
        (**self).send(queue_url, message)
    }
    fn receive(
        &self,
        queue_url: &str,
        max: usize,
        wait: Duration,
    ) -> impl Future<Output = PortResult<Vec<QueueMessage>>> + Send {
        (**self).receive(queue_url, max, wait)
    }
    fn delete(&self, queue_url: &str, receipt_handle: &str) -> impl Future<Output = PortResult<()>> + Send {
        (**self).delete(queue_url, receipt_handle)
    }
    fn change_visibility(
        &self,
        queue_url: &str,
        receipt_handle: &str,
        timeout: Duration,
    ) -> impl Future<Output = PortResult<()>> + Send {
        (**self).change_visibility(queue_url, receipt_handle, timeout)
    }
}
