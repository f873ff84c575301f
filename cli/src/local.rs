//! Local mode: the functions in one process on in-memory adapters, with state that can be
//! loaded from and saved to a JSON file (`--state FILE`) so commands can be chained.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use wapipe_core::app::consumer::{run_batch, Consumer as Handler, Options, Record};
use wapipe_core::app::publish::RetryPolicy;
use wapipe_core::domain::events::DomainEvent;
use wapipe_core::domain::events::{eventbridge_body, rfc3339};
use wapipe_core::domain::routes::{consumers_of_event, Consumer};
use wapipe_core::memory::{EumCall, Sandbox};
use wapipe_core::memory::{Latency, LatencySpec, MemoryBus, MemoryQueue, MemoryStore};
use wapipe_core::ports::messaging::LinkedPhone;
use wapipe_core::ports::{Item, OutgoingMessage, Queue, QueueMessage, SystemClock};
use webhook_ingest::{Config, Ingest};

/// The queue URL local mode uses for the ingest queue.
pub const INGEST_QUEUE: &str = "local://wapipe-ingest";

/// Account and region local mode stamps on EventBridge bodies.
pub const LOCAL_ACCOUNT: &str = "000000000000";
/// The region local mode stamps on EventBridge bodies (with [`LOCAL_ACCOUNT`]).
pub const LOCAL_REGION: &str = "local";

/// Most rounds `drain` runs before it stops (every loop is bounded): consumers that keep
/// failing leave their records on the queue, as SQS would until the DLQ takes them.
const MAX_DRAIN_ROUNDS: usize = 1000;

/// A function that consumes its own SQS queue, run in-process by local mode. `handle` gets
/// a batch of queue messages whose bodies are EventBridge events (as an EventBridge rule
/// delivers them) and returns the message ids that failed transiently.
pub trait LocalConsumer: Send + Sync {
    /// The function this is: which routed events it gets, and its queue ([`consumer_queue`]).
    fn consumer(&self) -> Consumer;
    /// Handle a batch from its queue; the ids of the messages that failed transiently (they stay
    /// on the queue for redelivery).
    fn handle<'a>(&'a self, batch: &'a [QueueMessage]) -> Pin<Box<dyn Future<Output = Vec<String>> + Send + 'a>>;
}

/// Any function's consumer, run in local mode on its queue through the same runtime
/// (`wapipe_core::app::consumer::run_batch`) as in Lambda.
pub struct LocalFn<C> {
    route: Consumer,
    consumer: C,
}

impl<C> LocalFn<C> {
    /// Run `consumer` as the function `route`, on that function's local queue.
    pub fn new(route: Consumer, consumer: C) -> LocalFn<C> {
        LocalFn { route, consumer }
    }
}

impl<C: Handler + Send> LocalConsumer for LocalFn<C> {
    fn consumer(&self) -> Consumer {
        self.route
    }
    fn handle<'a>(&'a self, batch: &'a [QueueMessage]) -> Pin<Box<dyn Future<Output = Vec<String>> + Send + 'a>> {
        Box::pin(async move {
            let url = consumer_queue(self.route);
            let records: Vec<Record> = batch.iter().map(|m| Record::from_queue(m, &url)).collect();
            run_batch(&self.consumer, &records, &Options::default()).await.failures()
        })
    }
}

/// The local queue URL of a consumer.
pub fn consumer_queue(c: Consumer) -> String {
    format!("local://wapipe-{}", c.function())
}

/// webhook-ingest as local mode runs it: on the in-memory table and bus, with the system clock.
pub type LocalIngest = Ingest<Arc<MemoryStore>, Arc<MemoryBus>, SystemClock>;

/// On-disk form of local state.
#[derive(Serialize, Deserialize, Default)]
struct StateFile {
    version: u32,
    items: Vec<Item>,
    events: Vec<DomainEvent>,
    /// Every EUM call the sandbox answered (`wapipe sandbox calls`).
    #[serde(default)]
    eum_calls: Vec<EumCall>,
    /// Numbers linked in the sandbox by hand (`wapipe sandbox phones add`).
    #[serde(default)]
    sandbox_phones: Vec<LinkedPhone>,
}

const STATE_VERSION: u32 = 1;

/// Local mode: the in-memory table, bus and queues, ingest, and the consumers that run in this
/// process (the status tracker always), with state loaded from and saved to `--state FILE`.
pub struct Local {
    /// The in-memory DynamoDB table (its items are what the state file keeps).
    pub store: Arc<MemoryStore>,
    /// The in-memory EventBridge bus: the events this command published (saved to the state file's
    /// history).
    pub bus: Arc<MemoryBus>,
    /// The in-memory SQS queues: ingest's ([`INGEST_QUEUE`]) and each local consumer's
    /// ([`consumer_queue`]); they live for one command only.
    pub queue: Arc<MemoryQueue>,
    /// webhook-ingest on [`Local::store`] and [`Local::bus`]: what `replay` and `dev` feed.
    pub ingest: LocalIngest,
    /// The sandbox EUM: every call local mode makes to EUM (sends, conversions) is answered
    /// and recorded here, and kept in the state file.
    pub sandbox: Arc<Sandbox>,
    /// Events published by earlier commands on the same state file.
    history: Vec<DomainEvent>,
    /// Events published since the last `route`, waiting to be put on consumer queues.
    outbox: Arc<Mutex<Vec<DomainEvent>>>,
    /// Whether the outbox collects events (only when a consumer is registered).
    routing: Arc<AtomicBool>,
    consumers: Vec<Arc<dyn LocalConsumer>>,
    state_file: Option<PathBuf>,
    /// The simulated latency, when `--latency` is given.
    pub latency: Option<Arc<Latency>>,
    /// The command line's one clock ([`crate::clock`]).
    pub clock: crate::clock::CliClock,
}

impl Local {
    /// Start empty, or from `state` when the file exists.
    pub fn open(state: Option<&Path>) -> Result<Local, String> {
        let loaded = match state {
            Some(p) if p.exists() => {
                let text =
                    std::fs::read_to_string(p).map_err(|e| format!("cannot read state file {}: {e}", p.display()))?;
                let s: StateFile = serde_json::from_str(&text)
                    .map_err(|e| format!("state file {} is not wapipe state: {e}", p.display()))?;
                if s.version != STATE_VERSION {
                    return Err(format!(
                        "state file {} has version {}, expected {STATE_VERSION}",
                        p.display(),
                        s.version
                    ));
                }
                s
            }
            _ => StateFile::default(),
        };
        let sandbox = Arc::new(Sandbox::new());
        sandbox.restore_calls(loaded.eum_calls);
        for p in loaded.sandbox_phones {
            sandbox.link_phone(p);
        }
        for p in learnt_phones(&loaded.items) {
            sandbox.link_phone(p);
        }
        let store = Arc::new(MemoryStore::from_items(loaded.items));
        let bus = Arc::new(MemoryBus::new());
        let queue = Arc::new(MemoryQueue::new());
        let config = Config { publish: RetryPolicy::immediate(3), ..Config::default() };
        let ingest = Ingest::new(store.clone(), bus.clone(), SystemClock, config);
        let outbox: Arc<Mutex<Vec<DomainEvent>>> = Arc::default();
        let routing = Arc::new(AtomicBool::new(false));
        let (sink, on) = (outbox.clone(), routing.clone());
        bus.subscribe(move |e| {
            // Copies are kept only while some consumer runs locally.
            if on.load(Ordering::Relaxed) {
                if let Ok(mut o) = sink.lock() {
                    o.push(e.clone());
                }
            }
        });
        let tracker = local_tracker(store.clone(), bus.clone())?;
        let mut local = Local {
            store,
            bus,
            queue,
            ingest,
            sandbox,
            history: loaded.events,
            outbox,
            routing,
            consumers: Vec::new(),
            state_file: state.map(Path::to_path_buf),
            latency: None,
            clock: crate::clock::clock()?,
        };
        local.register(Arc::new(LocalFn::new(Consumer::StatusTracker, tracker)));
        Ok(local)
    }

    /// Simulate the services' latency (`wapipe --latency`) with real sleeps: the table, the
    /// bus and the queues from now on, and the sandbox EUM of `send` (through [`Local::latency`]).
    pub fn set_latency(&mut self, spec: LatencySpec) {
        let latency = Latency::new(spec);
        self.store.set_latency(latency.clone());
        self.bus.set_latency(latency.clone());
        self.queue.set_latency(latency.clone());
        self.latency = Some(latency);
    }

    /// Whether any consumer runs in this process.
    pub fn has_consumers(&self) -> bool {
        !self.consumers.is_empty()
    }

    /// Run ingest alone: no consumer gets the published events (they are only recorded).
    pub fn ingest_only(&mut self) {
        self.consumers.clear();
        self.routing.store(false, Ordering::Relaxed);
    }

    /// Run a consumer in this process: events routed to it reach it through its queue.
    pub fn register(&mut self, consumer: Arc<dyn LocalConsumer>) {
        self.consumers.push(consumer);
        self.routing.store(true, Ordering::Relaxed);
    }

    /// Put published events on the queues of their registered consumers (the EventBridge
    /// rules of `routes::ROUTES`); events for consumers not running locally are only recorded.
    async fn route(&self) {
        let events = match self.outbox.lock() {
            Ok(mut o) => std::mem::take(&mut *o),
            Err(_) => return,
        };
        let now = wapipe_core::ports::Clock::now(&self.clock);
        for e in &events {
            for c in consumers_of_event(e) {
                if self.consumers.iter().any(|l| l.consumer() == c) {
                    let body = eventbridge_body(e, LOCAL_ACCOUNT, LOCAL_REGION, now);
                    let message = OutgoingMessage { body, ..OutgoingMessage::default() };
                    if let Err(err) = self.queue.send(&consumer_queue(c), message).await {
                        tracing::warn!(error = %err, at = %rfc3339(now), "local routing failed");
                    }
                }
            }
        }
    }

    /// Route and let every local consumer work through its queue until all are empty (or
    /// only hold records that keep failing), as the event source mappings would.
    pub async fn drain(&self) {
        for _ in 0..MAX_DRAIN_ROUNDS {
            self.route().await;
            let mut progressed = false;
            for c in &self.consumers {
                let url = consumer_queue(c.consumer());
                let batch = self.queue.receive(&url, 10, Duration::ZERO).await.unwrap_or_default();
                if batch.is_empty() {
                    continue;
                }
                let failed = c.handle(&batch).await;
                for m in &batch {
                    if !failed.contains(&m.message_id) {
                        progressed = true;
                        if let Err(err) = self.queue.delete(&url, &m.receipt_handle).await {
                            tracing::warn!(error = %err, "local delete failed");
                        }
                    }
                }
            }
            let pending = self.outbox.lock().map(|o| !o.is_empty()).unwrap_or(false);
            if !progressed && !pending {
                return;
            }
        }
    }

    /// Save to the state file, if one was given (atomically: write then rename).
    pub fn save(&self) -> Result<(), String> {
        let Some(path) = &self.state_file else { return Ok(()) };
        let mut events = self.history.clone();
        events.extend(self.bus.events());
        let items = self.store.snapshot();
        // Learnt numbers are linked again from the table at the next open: keep only the others.
        let learnt: std::collections::HashSet<String> = learnt_phones(&items).map(|p| p.meta_phone_number_id).collect();
        let by_hand =
            self.sandbox.linked_later().into_iter().filter(|p| !learnt.contains(&p.meta_phone_number_id)).collect();
        let s = StateFile {
            version: STATE_VERSION,
            items,
            events,
            eum_calls: self.sandbox.calls(),
            sandbox_phones: by_hand,
        };
        let text = serde_json::to_string(&s).map_err(|e| e.to_string())?;
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, text).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
        std::fs::rename(&tmp, path).map_err(|e| format!("cannot write {}: {e}", path.display()))
    }
}

/// The numbers the phone registry learnt from EUM envelopes (`PHONE#…` / `PHONE`): EUM has
/// them linked, or their webhooks would not exist.
fn learnt_phones(items: &[Item]) -> impl Iterator<Item = LinkedPhone> + '_ {
    items.iter().filter(|i| i.pk.starts_with("PHONE#") && i.sk == "PHONE").filter_map(|i| {
        let meta = i.get_str("meta_phone_number_id")?.to_string();
        let arn = i.get_str("phone_arn").unwrap_or_default().to_string();
        let eum = match i.get_str("eum_phone_number_id") {
            Some(id) => id.to_string(),
            None => format!("phone-number-id-{}", arn.rsplit('/').next().unwrap_or(&meta)),
        };
        let waba_id = i.get_str("waba_id").unwrap_or_default().to_string();
        Some(LinkedPhone { eum_phone_number_id: eum, arn, meta_phone_number_id: meta, waba_id })
    })
}

/// The status tracker on local mode's store and bus (rate card from `WAPIPE_RATE_CARD`).
pub fn local_tracker(
    store: Arc<MemoryStore>,
    bus: Arc<MemoryBus>,
) -> Result<status_tracker::Tracker<Arc<MemoryStore>, Arc<MemoryBus>, SystemClock>, String> {
    let env = status_tracker::Config::from_env().map_err(|e| e.to_string())?;
    let config = status_tracker::Config { publish: RetryPolicy::immediate(3), ..env };
    Ok(status_tracker::Tracker::new(store, bus, SystemClock, config))
}

#[cfg(test)]
mod tests {
    use super::*;
    use wapipe_core::domain::events::{parse_eventbridge_body, EventType};
    use webhook_ingest::RecordIn;

    /// Records what reaches it; fails the first `fail_first` messages once.
    struct Probe {
        seen: Mutex<Vec<EventType>>,
        fail_first: Mutex<usize>,
    }

    impl LocalConsumer for Probe {
        fn consumer(&self) -> Consumer {
            Consumer::StatusTracker
        }
        fn handle<'a>(&'a self, batch: &'a [QueueMessage]) -> Pin<Box<dyn Future<Output = Vec<String>> + Send + 'a>> {
            Box::pin(async move {
                let mut failed = Vec::new();
                for m in batch {
                    let mut left = self.fail_first.lock().unwrap();
                    if *left > 0 {
                        *left -= 1;
                        failed.push(m.message_id.clone());
                        continue;
                    }
                    let e = parse_eventbridge_body(&m.body).expect("an EventBridge body");
                    self.seen.lock().unwrap().push(e.detail_type);
                }
                failed
            })
        }
    }

    fn sample(name: &str) -> Vec<RecordIn> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../events").join(name);
        crate::replay::file_records(&path).unwrap()
    }

    #[tokio::test]
    async fn routed_events_reach_their_consumer_through_its_queue_and_only_those() {
        let mut local = Local::open(None).unwrap();
        let probe = Arc::new(Probe { seen: Mutex::default(), fail_first: Mutex::new(1) });
        local.consumers.clear(); // the probe stands in for the status tracker
        local.register(probe.clone());
        for name in [
            "example-sqs-eum-status-delivered.json",
            "example-sqs-eum-user-preferences.json",
            "example-sqs-eum-status-read.json",
        ] {
            local.ingest.handle_batch(&sample(name)).await;
        }
        // The first delivery fails once; the message comes back after its visibility
        // timeout, which the test shortens instead of waiting.
        local.drain().await;
        assert_eq!(probe.seen.lock().unwrap().len(), 1, "one processed, one failed and invisible");
        let url = consumer_queue(Consumer::StatusTracker);
        assert!(local.queue.receive(&url, 10, Duration::ZERO).await.unwrap().is_empty(), "nothing visible yet");
        assert_eq!(local.queue.len(&url), 1, "the failed record stays on the queue");
        let seen = probe.seen.lock().unwrap().clone();
        assert!(seen.iter().all(|t| *t == EventType::MessageStatus), "only routed types: {seen:?}");
    }
}
