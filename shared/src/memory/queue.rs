//! In-memory [`Queue`]: named queues (by URL) with SQS's visibility-timeout semantics.
//!
//! Queues are created on first use with a 30 s visibility timeout; [`MemoryQueue::create_queue`]
//! sets another one. A received message stays invisible until its timeout elapses (then it is
//! received again with a higher `receive_count`) or it is deleted with its latest receipt handle.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::faults::Faults;
use crate::ports::{OutgoingMessage, PortError, PortResult, Queue, QueueDepth, QueueMessage};

const SERVICE: &str = "memory-queue";
pub const DEFAULT_VISIBILITY: Duration = Duration::from_secs(30);
const MAX_DELAY: Duration = Duration::from_secs(15 * 60);
const MAX_VISIBILITY: Duration = Duration::from_secs(12 * 60 * 60);
const MAX_WAIT: Duration = Duration::from_secs(20);
const MAX_BODY: usize = 256 * 1024;
const POLL: Duration = Duration::from_millis(10);

#[derive(Debug)]
struct Stored {
    id: String,
    body: String,
    attributes: BTreeMap<String, String>,
    visible_at: Instant,
    receive_count: u32,
    /// The latest receipt handle, while the message is in flight.
    receipt: Option<String>,
}

#[derive(Debug)]
struct QueueState {
    visibility: Duration,
    messages: Vec<Stored>,
}

impl QueueState {
    fn new(visibility: Duration) -> QueueState {
        QueueState { visibility, messages: Vec::new() }
    }
}

#[derive(Debug, Default)]
pub struct MemoryQueue {
    queues: Mutex<HashMap<String, QueueState>>,
    next: AtomicU64,
    faults: Faults,
}

fn permanent(op: &'static str, message: impl Into<String>) -> PortError {
    PortError::Permanent { service: SERVICE, op, message: message.into() }
}

impl MemoryQueue {
    pub fn new() -> MemoryQueue {
        MemoryQueue::default()
    }

    /// Create (or reconfigure) a queue with its default visibility timeout.
    pub fn create_queue(&self, url: &str, visibility: Duration) {
        self.lock().entry(url.to_string()).or_insert_with(|| QueueState::new(visibility)).visibility = visibility;
    }

    /// Messages not yet deleted (visible, delayed or in flight).
    pub fn len(&self, url: &str) -> usize {
        self.lock().get(url).map_or(0, |q| q.messages.len())
    }

    /// Bodies of every message not yet deleted, in send order.
    pub fn bodies(&self, url: &str) -> Vec<String> {
        self.lock().get(url).map(|q| q.messages.iter().map(|m| m.body.clone()).collect()).unwrap_or_default()
    }

    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, QueueState>> {
        self.queues.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn id(&self) -> u64 {
        self.next.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Receive what is visible now, without waiting.
    fn take_visible(&self, url: &str, max: usize) -> Vec<QueueMessage> {
        let now = Instant::now();
        let mut queues = self.lock();
        let q = queues.entry(url.to_string()).or_insert_with(|| QueueState::new(DEFAULT_VISIBILITY));
        let visibility = q.visibility;
        let mut out = Vec::new();
        for m in q.messages.iter_mut().filter(|m| m.visible_at <= now).take(max) {
            m.receive_count = m.receive_count.saturating_add(1);
            let receipt = format!("{}.{}", m.id, self.next.fetch_add(1, Ordering::Relaxed) + 1);
            m.receipt = Some(receipt.clone());
            m.visible_at = now + visibility;
            out.push(QueueMessage {
                message_id: m.id.clone(),
                receipt_handle: receipt,
                body: m.body.clone(),
                attributes: m.attributes.clone(),
                receive_count: m.receive_count,
            });
        }
        out
    }
}

/// The message id inside a receipt handle.
fn receipt_id<'a>(op: &'static str, receipt: &'a str) -> PortResult<&'a str> {
    match receipt.rsplit_once('.') {
        Some((id, _)) if !id.is_empty() => Ok(id),
        _ => Err(permanent(op, "ReceiptHandleIsInvalid: the receipt handle is not valid")),
    }
}

impl Queue for MemoryQueue {
    async fn depth(&self, queue_url: &str) -> PortResult<QueueDepth> {
        self.faults.check(SERVICE, "depth", &[])?;
        let now = Instant::now();
        let mut d = QueueDepth::default();
        if let Some(q) = self.lock().get(queue_url) {
            for m in &q.messages {
                match (m.visible_at <= now, m.receipt.is_some()) {
                    (true, _) => d.visible += 1,
                    (false, true) => d.in_flight += 1,
                    (false, false) => d.delayed += 1,
                }
            }
        }
        Ok(d)
    }

    async fn send(&self, queue_url: &str, message: OutgoingMessage) -> PortResult<String> {
        self.faults.check(SERVICE, "send", &[])?;
        if message.body.is_empty() || message.body.len() > MAX_BODY {
            return Err(permanent("send", "InvalidParameterValue: body must be 1 byte to 256 KiB"));
        }
        let delay = message.delay.unwrap_or_default();
        if delay > MAX_DELAY {
            return Err(permanent("send", "InvalidParameterValue: delay is at most 15 minutes"));
        }
        if message.attributes.len() > 10 {
            return Err(permanent("send", "InvalidParameterValue: at most 10 message attributes"));
        }
        let id = format!("mem-{:016x}", self.id());
        let stored = Stored {
            id: id.clone(),
            body: message.body,
            attributes: message.attributes,
            visible_at: Instant::now() + delay,
            receive_count: 0,
            receipt: None,
        };
        self.lock()
            .entry(queue_url.to_string())
            .or_insert_with(|| QueueState::new(DEFAULT_VISIBILITY))
            .messages
            .push(stored);
        Ok(id)
    }

    async fn receive(&self, queue_url: &str, max: usize, wait: Duration) -> PortResult<Vec<QueueMessage>> {
        self.faults.check(SERVICE, "receive", &[])?;
        if !(1..=10).contains(&max) {
            return Err(permanent("receive", "InvalidParameterValue: max must be 1 to 10"));
        }
        if wait > MAX_WAIT {
            return Err(permanent("receive", "InvalidParameterValue: wait is at most 20 seconds"));
        }
        let deadline = Instant::now() + wait;
        loop {
            let got = self.take_visible(queue_url, max);
            if !got.is_empty() || Instant::now() >= deadline {
                return Ok(got);
            }
            tokio::time::sleep(POLL.min(deadline.saturating_duration_since(Instant::now()))).await;
        }
    }

    async fn delete(&self, queue_url: &str, receipt_handle: &str) -> PortResult<()> {
        self.faults.check(SERVICE, "delete", &[])?;
        let id = receipt_id("delete", receipt_handle)?;
        if let Some(q) = self.lock().get_mut(queue_url) {
            // As on SQS, a stale receipt handle succeeds without deleting.
            q.messages.retain(|m| !(m.id == id && m.receipt.as_deref() == Some(receipt_handle)));
        }
        Ok(())
    }

    async fn change_visibility(&self, queue_url: &str, receipt_handle: &str, timeout: Duration) -> PortResult<()> {
        self.faults.check(SERVICE, "change_visibility", &[])?;
        if timeout > MAX_VISIBILITY {
            return Err(permanent("change_visibility", "InvalidParameterValue: timeout is at most 12 hours"));
        }
        let id = receipt_id("change_visibility", receipt_handle)?;
        let now = Instant::now();
        let mut queues = self.lock();
        let in_flight = queues.get_mut(queue_url).and_then(|q| {
            q.messages
                .iter_mut()
                .find(|m| m.id == id && m.receipt.as_deref() == Some(receipt_handle) && m.visible_at > now)
        });
        match in_flight {
            Some(m) => {
                m.visible_at = now + timeout;
                Ok(())
            }
            None => Err(permanent("change_visibility", "MessageNotInflight: the message is not in flight")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn visibility_and_receive_count() {
        let q = MemoryQueue::new();
        q.create_queue("q", Duration::from_millis(50));
        q.send("q", OutgoingMessage { body: "b".into(), ..Default::default() }).await.unwrap();
        let m = q.receive("q", 10, Duration::ZERO).await.unwrap();
        assert_eq!(m[0].receive_count, 1);
        assert!(q.receive("q", 10, Duration::ZERO).await.unwrap().is_empty());
        let again = q.receive("q", 10, Duration::from_millis(500)).await.unwrap();
        assert_eq!(again[0].receive_count, 2);
        // The first receipt is stale: deleting with it is a no-op.
        q.delete("q", &m[0].receipt_handle).await.unwrap();
        assert_eq!(q.len("q"), 1);
        assert!(q.change_visibility("q", &m[0].receipt_handle, Duration::ZERO).await.is_err());
        q.delete("q", &again[0].receipt_handle).await.unwrap();
        assert_eq!(q.len("q"), 0);
        assert!(q.delete("q", "garbage").await.is_err());
    }

    #[tokio::test]
    async fn limits_and_faults() {
        let q = MemoryQueue::new();
        assert!(q.receive("q", 11, Duration::ZERO).await.is_err());
        assert!(q.send("q", OutgoingMessage::default()).await.is_err());
        q.faults().fail_nth_call("send", 1, true);
        let m = OutgoingMessage { body: "x".into(), ..Default::default() };
        assert!(q.send("q", m.clone()).await.unwrap_err().is_retryable());
        assert!(q.send("q", m).await.is_ok());
        assert_eq!(q.bodies("q"), vec!["x".to_string()]);
    }
}
