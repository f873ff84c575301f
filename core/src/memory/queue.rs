//! In-memory [`Queue`]: named queues (by URL) with SQS's visibility-timeout semantics.
//!
//! Queues are created on first use with a 30 s visibility timeout; [`MemoryQueue::create_queue`]
//! sets another one. A received message stays invisible until its timeout elapses (then it is
//! received again with a higher `receive_count`) or it is deleted with its latest receipt handle.
//!
//! Times are `tokio::time::Instant`s, so on tokio's paused clock timeouts and delays elapse in
//! virtual time. Each queue indexes its messages by (visible at, send sequence): a receive takes
//! the first `max` entries of that index, O(max · log n) however deep the queue is.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;

use super::faults::Faults;
use super::latency::{Latency, LatencySlot, Service};
use crate::ports::{OutgoingMessage, PortError, PortResult, Queue, QueueDepth, QueueMessage};

const SERVICE: &str = "memory-queue";
/// The visibility timeout of a queue created on first use (SQS's default, 30 s).
pub const DEFAULT_VISIBILITY: Duration = Duration::from_secs(30);
const MAX_DELAY: Duration = Duration::from_secs(15 * 60);
const MAX_VISIBILITY: Duration = Duration::from_secs(12 * 60 * 60);
const MAX_WAIT: Duration = Duration::from_secs(20);
const MAX_BODY: usize = 256 * 1024;
const POLL: Duration = Duration::from_millis(10);

#[derive(Debug)]
struct Stored {
    /// Send order, unique in the queue: breaks ties between messages visible at the same time.
    seq: u64,
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
    /// Messages not yet deleted, by message id.
    messages: HashMap<String, Stored>,
    /// Every message of `messages`, once, keyed by when it becomes visible and its send order.
    schedule: BTreeMap<(Instant, u64), String>,
}

impl QueueState {
    fn new(visibility: Duration) -> QueueState {
        QueueState { visibility, messages: HashMap::new(), schedule: BTreeMap::new() }
    }

    fn insert(&mut self, id: String, stored: Stored) {
        self.schedule.insert((stored.visible_at, stored.seq), id.clone());
        self.messages.insert(id, stored);
    }

    fn remove(&mut self, id: &str) {
        if let Some(m) = self.messages.remove(id) {
            self.schedule.remove(&(m.visible_at, m.seq));
        }
    }

    /// The in-flight message `id` if `receipt` is its latest receipt handle.
    fn by_receipt(&self, id: &str, receipt: &str) -> Option<&Stored> {
        self.messages.get(id).filter(|m| m.receipt.as_deref() == Some(receipt))
    }

    /// Move message `id` to become visible at `at`.
    fn reschedule(&mut self, id: &str, at: Instant) {
        if let Some(m) = self.messages.get_mut(id) {
            if let Some(key) = self.schedule.remove(&(m.visible_at, m.seq)) {
                m.visible_at = at;
                self.schedule.insert((at, m.seq), key);
            }
        }
    }

    /// Receive up to `max` messages visible at `now`, earliest first.
    fn take_visible(&mut self, now: Instant, max: usize, mut receipt: impl FnMut(&str) -> String) -> Vec<QueueMessage> {
        let hidden_until = now + self.visibility;
        let mut out = Vec::new();
        while out.len() < max {
            let Some(entry) = self.schedule.first_entry() else { break };
            if entry.key().0 > now {
                break;
            }
            let ((_, seq), id) = entry.remove_entry();
            let Some(m) = self.messages.get_mut(&id) else { continue };
            m.receive_count = m.receive_count.saturating_add(1);
            let handle = receipt(&id);
            m.receipt = Some(handle.clone());
            m.visible_at = hidden_until;
            out.push(QueueMessage {
                message_id: id.clone(),
                receipt_handle: handle,
                body: m.body.clone(),
                attributes: m.attributes.clone(),
                receive_count: m.receive_count,
            });
            self.schedule.insert((hidden_until, seq), id);
        }
        out
    }
}

/// In-memory [`Queue`]: see the module docs.
#[derive(Debug, Default)]
pub struct MemoryQueue {
    queues: Mutex<HashMap<String, QueueState>>,
    next: AtomicU64,
    faults: Faults,
    latency: LatencySlot,
}

fn permanent(op: &'static str, message: impl Into<String>) -> PortError {
    PortError::Permanent { service: SERVICE, op, message: message.into() }
}

impl MemoryQueue {
    /// No queues yet: each is created on first use.
    pub fn new() -> MemoryQueue {
        MemoryQueue::default()
    }

    /// Simulate SQS's latency on every operation from now on.
    pub fn set_latency(&self, latency: std::sync::Arc<Latency>) {
        self.latency.set(latency);
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
        let queues = self.lock();
        let Some(q) = queues.get(url) else { return Vec::new() };
        let mut sent: Vec<&Stored> = q.messages.values().collect();
        sent.sort_unstable_by_key(|m| m.seq);
        sent.into_iter().map(|m| m.body.clone()).collect()
    }

    /// Its fault-injection handle: failed `send`, `receive`, `delete`, … calls.
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
        q.take_visible(now, max, |id| format!("{id}.{}", self.id()))
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
        self.latency.wait(Service::Sqs).await;
        self.faults.check(SERVICE, "depth", &[])?;
        let now = Instant::now();
        let mut d = QueueDepth::default();
        if let Some(q) = self.lock().get(queue_url) {
            for m in q.messages.values() {
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
        self.latency.wait(Service::Sqs).await;
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
        let seq = self.id();
        let id = format!("mem-{seq:016x}");
        let stored = Stored {
            seq,
            body: message.body,
            attributes: message.attributes,
            visible_at: Instant::now() + delay,
            receive_count: 0,
            receipt: None,
        };
        self.lock()
            .entry(queue_url.to_string())
            .or_insert_with(|| QueueState::new(DEFAULT_VISIBILITY))
            .insert(id.clone(), stored);
        Ok(id)
    }

    async fn receive(&self, queue_url: &str, max: usize, wait: Duration) -> PortResult<Vec<QueueMessage>> {
        self.latency.wait(Service::Sqs).await;
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
        self.latency.wait(Service::Sqs).await;
        self.faults.check(SERVICE, "delete", &[])?;
        let id = receipt_id("delete", receipt_handle)?;
        if let Some(q) = self.lock().get_mut(queue_url) {
            // As on SQS, a stale receipt handle succeeds without deleting.
            if q.by_receipt(id, receipt_handle).is_some() {
                q.remove(id);
            }
        }
        Ok(())
    }

    async fn change_visibility(&self, queue_url: &str, receipt_handle: &str, timeout: Duration) -> PortResult<()> {
        self.latency.wait(Service::Sqs).await;
        self.faults.check(SERVICE, "change_visibility", &[])?;
        if timeout > MAX_VISIBILITY {
            return Err(permanent("change_visibility", "InvalidParameterValue: timeout is at most 12 hours"));
        }
        let id = receipt_id("change_visibility", receipt_handle)?;
        let now = Instant::now();
        let mut queues = self.lock();
        match queues.get_mut(queue_url) {
            Some(q) if q.by_receipt(id, receipt_handle).is_some_and(|m| m.visible_at > now) => {
                q.reschedule(id, now + timeout);
                Ok(())
            }
            _ => Err(permanent("change_visibility", "MessageNotInflight: the message is not in flight")),
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

    #[tokio::test]
    async fn drains_a_large_queue_exactly_once() {
        const N: usize = 20_000;
        let q = MemoryQueue::new();
        for i in 0..N {
            q.send("big", OutgoingMessage { body: format!("m{i}"), ..Default::default() }).await.unwrap();
        }
        assert_eq!(q.len("big"), N);
        let mut seen = std::collections::HashSet::with_capacity(N);
        let mut bodies = Vec::with_capacity(N);
        for _ in 0..(N / 10 + 100) {
            let got = q.receive("big", 10, Duration::ZERO).await.unwrap();
            if got.is_empty() {
                break;
            }
            for m in got {
                assert_eq!(m.receive_count, 1, "{} received twice", m.message_id);
                assert!(seen.insert(m.message_id.clone()), "{} received twice", m.message_id);
                bodies.push(m.body);
                q.delete("big", &m.receipt_handle).await.unwrap();
            }
        }
        assert_eq!(seen.len(), N);
        assert_eq!(bodies, (0..N).map(|i| format!("m{i}")).collect::<Vec<_>>(), "send order");
        assert_eq!(q.len("big"), 0);
        assert_eq!(q.depth("big").await.unwrap(), QueueDepth::default());
    }

    #[tokio::test]
    async fn reschedules_on_timeout_change_visibility_and_delay() {
        let q = MemoryQueue::new();
        q.create_queue("v", Duration::from_millis(100));
        let later = OutgoingMessage { body: "later".into(), delay: Some(Duration::from_secs(1)), ..Default::default() };
        q.send("v", later).await.unwrap();
        q.send("v", OutgoingMessage { body: "now".into(), ..Default::default() }).await.unwrap();
        let bodies = |ms: &[QueueMessage]| ms.iter().map(|m| (m.body.clone(), m.receive_count)).collect::<Vec<_>>();
        let first = q.receive("v", 10, Duration::ZERO).await.unwrap();
        assert_eq!(bodies(&first), [("now".to_string(), 1)]);
        assert_eq!(q.depth("v").await.unwrap(), QueueDepth { visible: 0, in_flight: 1, delayed: 1 });
        tokio::time::sleep(Duration::from_millis(150)).await;
        let again = q.receive("v", 10, Duration::ZERO).await.unwrap();
        assert_eq!(bodies(&again), [("now".to_string(), 2)]);
        q.change_visibility("v", &again[0].receipt_handle, Duration::ZERO).await.unwrap();
        let third = q.receive("v", 10, Duration::ZERO).await.unwrap();
        assert_eq!(bodies(&third), [("now".to_string(), 3)]);
        q.change_visibility("v", &third[0].receipt_handle, Duration::from_secs(60)).await.unwrap();
        let late = q.receive("v", 10, Duration::from_secs(2)).await.unwrap();
        assert_eq!(bodies(&late), [("later".to_string(), 1)]);
        assert_eq!(q.bodies("v"), ["later", "now"]);
    }

    #[tokio::test(start_paused = true)]
    async fn timeouts_and_delays_elapse_in_virtual_time() {
        let q = MemoryQueue::new();
        q.create_queue("v", Duration::from_secs(30));
        let delayed =
            OutgoingMessage { body: "delayed".into(), delay: Some(Duration::from_secs(300)), ..Default::default() };
        q.send("v", delayed).await.unwrap();
        q.send("v", OutgoingMessage { body: "now".into(), ..Default::default() }).await.unwrap();
        let first = q.receive("v", 10, Duration::ZERO).await.unwrap();
        assert_eq!(first.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(), ["now"]);
        tokio::time::advance(Duration::from_secs(29)).await;
        assert!(q.receive("v", 10, Duration::ZERO).await.unwrap().is_empty());
        tokio::time::advance(Duration::from_secs(2)).await;
        let again = q.receive("v", 10, Duration::ZERO).await.unwrap();
        assert_eq!(again.iter().map(|m| (m.body.as_str(), m.receive_count)).collect::<Vec<_>>(), [("now", 2)]);
        q.delete("v", &again[0].receipt_handle).await.unwrap();
        // A long poll waits (virtually) until the delayed message shows up.
        let start = Instant::now();
        assert!(q.receive("v", 10, Duration::from_secs(20)).await.unwrap().is_empty());
        assert!(start.elapsed() >= Duration::from_secs(20));
        tokio::time::advance(Duration::from_secs(300)).await;
        let late = q.receive("v", 10, Duration::ZERO).await.unwrap();
        assert_eq!(late.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(), ["delayed"]);
    }
}
