//! In-memory [`Bus`]: records events in order and hands each to the subscribers.

use std::sync::{Arc, Mutex, MutexGuard};

use super::faults::Faults;
use super::latency::{Latency, LatencySlot, Service};
use crate::domain::events::DomainEvent;
use crate::ports::{Bus, EntryResult, PortError, PortResult};

const SERVICE: &str = "memory-bus";
/// EventBridge's limits on one `PutEvents` call.
pub const MAX_ENTRIES: usize = 10;
pub const MAX_REQUEST_BYTES: usize = 256 * 1024;

type Subscriber = Arc<dyn Fn(&DomainEvent) + Send + Sync>;

/// In-memory [`Bus`] with `PutEvents`' limits (10 entries, 256 KiB a call); see the module docs.
#[derive(Default)]
pub struct MemoryBus {
    events: Mutex<Vec<DomainEvent>>,
    subscribers: Mutex<Vec<Subscriber>>,
    faults: Faults,
    latency: LatencySlot,
}

impl std::fmt::Debug for MemoryBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryBus").field("events", &lock(&self.events).len()).finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl MemoryBus {
    /// An empty bus: no events, no subscribers, no faults, no latency.
    pub fn new() -> MemoryBus {
        MemoryBus::default()
    }

    /// Simulate EventBridge's latency on every operation from now on.
    pub fn set_latency(&self, latency: std::sync::Arc<Latency>) {
        self.latency.set(latency);
    }

    /// Every event published so far, in order.
    pub fn events(&self) -> Vec<DomainEvent> {
        lock(&self.events).clone()
    }

    /// How many events were published so far.
    pub fn count(&self) -> usize {
        lock(&self.events).len()
    }

    /// The events published after the first `skip`, by detail-type.
    pub fn counts_since(&self, skip: usize) -> std::collections::BTreeMap<crate::domain::events::EventType, usize> {
        let mut out = std::collections::BTreeMap::new();
        for e in lock(&self.events).iter().skip(skip) {
            *out.entry(e.detail_type).or_insert(0) += 1;
        }
        out
    }

    /// Every event published so far, leaving the record empty.
    pub fn take_events(&self) -> Vec<DomainEvent> {
        std::mem::take(&mut *lock(&self.events))
    }

    /// Call `f` with every event accepted from now on (after it is recorded, outside any lock,
    /// on the publisher's task). Local mode routes events to functions with this.
    pub fn subscribe(&self, f: impl Fn(&DomainEvent) + Send + Sync + 'static) {
        lock(&self.subscribers).push(Arc::new(f));
    }

    /// Its fault-injection handle: failed `put_events` calls, or refused entries of a detail-type.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }
}

impl Bus for MemoryBus {
    async fn put_events(&self, events: &[DomainEvent]) -> PortResult<Vec<EntryResult>> {
        self.latency.wait(Service::EventBridge).await;
        if events.is_empty() {
            return Ok(Vec::new());
        }
        self.faults.check(SERVICE, "put_events", &[])?;
        if events.len() > MAX_ENTRIES {
            return Err(PortError::Permanent {
                service: SERVICE,
                op: "put_events",
                message: format!("ValidationException: {} entries, at most {MAX_ENTRIES}", events.len()),
            });
        }
        let size: usize = events.iter().map(crate::app::publish::entry_size).sum();
        if size > MAX_REQUEST_BYTES {
            return Err(PortError::Permanent {
                service: SERVICE,
                op: "put_events",
                message: format!("ValidationException: request of {size} bytes is over the 256 KiB limit"),
            });
        }
        let mut results = Vec::with_capacity(events.len());
        let mut accepted = Vec::with_capacity(events.len());
        for e in events {
            if self.faults.entry_fails(e.detail_type.as_str()) {
                results.push(EntryResult::Failed {
                    code: "ThrottlingException".into(),
                    message: "Rate exceeded (injected)".into(),
                    retryable: true,
                });
            } else {
                results.push(EntryResult::Ok);
                accepted.push(e.clone());
            }
        }
        let subscribers: Vec<Subscriber> = lock(&self.subscribers).clone();
        for e in &accepted {
            for s in &subscribers {
                s(e);
            }
        }
        lock(&self.events).extend(accepted);
        Ok(results)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::events::EventType;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn ev(t: EventType) -> DomainEvent {
        DomainEvent { detail_type: t, detail: serde_json::Map::new() }
    }

    #[tokio::test]
    async fn records_in_order_and_notifies() {
        let bus = MemoryBus::new();
        let seen = Arc::new(AtomicUsize::new(0));
        let s2 = seen.clone();
        bus.subscribe(move |_| {
            s2.fetch_add(1, Ordering::SeqCst);
        });
        let r = bus.put_events(&[ev(EventType::MessageReceived), ev(EventType::MessageStatus)]).await.unwrap();
        assert_eq!(r, vec![EntryResult::Ok, EntryResult::Ok]);
        assert_eq!(bus.events()[1].detail_type, EventType::MessageStatus);
        assert_eq!(seen.load(Ordering::SeqCst), 2);
        assert!(bus.put_events(&vec![ev(EventType::MessageReceived); 11]).await.is_err());
        assert_eq!(bus.take_events().len(), 2);
        assert!(bus.events().is_empty());
    }

    #[tokio::test]
    async fn failing_entries_are_retryable_and_not_recorded() {
        let bus = MemoryBus::new();
        bus.faults().fail_entries_matching("whatsapp.message.status");
        let r = bus.put_events(&[ev(EventType::MessageReceived), ev(EventType::MessageStatus)]).await.unwrap();
        assert_eq!(r[0], EntryResult::Ok);
        assert!(matches!(r[1], EntryResult::Failed { retryable: true, .. }));
        assert_eq!(bus.events().len(), 1);
        bus.faults().fail_next("put_events");
        assert!(bus.put_events(&[ev(EventType::MessageReceived)]).await.unwrap_err().is_retryable());
    }
}
