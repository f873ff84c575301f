//! `wapipe bench`: what a batch costs in I/O, measured on the in-memory adapters under
//! simulated latency on tokio's paused clock (virtual time: deterministic, and fast whatever
//! the latencies).
//!
//! - **Round trips.** Each function handles a 10-record batch of typical input with every
//!   service at 1 ms; the batch's virtual duration in ms is the number of *sequential* round
//!   trips on its critical path. The same batch at the given latencies gives `batch_ms`. Both
//!   are also measured with the records run one at a time (`serial_*`), which is what the
//!   consumer runtime's concurrency buys.
//! - **Campaign.** The send worker sends to 100,000 distinct recipients from one number, at
//!   the 80/s and the 1,000/s tier, with the stack's settings (batch size, batching window,
//!   maximum concurrency; [`SEND_SETTINGS`]): pollers receive batches from the in-memory queue
//!   as the event source mapping does, the worker leases the phone's budget in the table and
//!   defers what a full second cannot take. It reports the sustained rate, the most sends that
//!   started in any one second, duplicates, and the pacing writes per 1,000 sends.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use serde_json::{json, Map, Value};
use time::OffsetDateTime;
use tokio::time::Instant;

use wapipe_core::app::consumer::{Options, Record};
use wapipe_core::app::publish::RetryPolicy;
use wapipe_core::domain::events::{eventbridge_body, DomainEvent, Envelope, EventType};
use wapipe_core::domain::keys::{self, Key};
use wapipe_core::domain::outbound::parse_request_value;
use wapipe_core::domain::payments::order::{create_order, new_order, order_details_of};
use wapipe_core::domain::send_record::callback_data;
use wapipe_core::memory::{Latency, LatencySpec, MemoryBus, MemoryQueue, MemoryStore, Service};
use wapipe_core::ports::messaging::{EumMessageId, LinkedPhone, Messaging, MessagingError};
use wapipe_core::ports::{
    Bus, Clock, Cond, EntryResult, FixedClock, Item, OutgoingMessage, Page, PortResult, Query, Queue, Store,
    TransactOutcome, Update, Updated, Write, WriteOutcome,
};

const PHONE: &str = "106540352242922";
const WABA: &str = "102290129340398";
const EUM_PHONE: &str = "phone-number-id-4db8a4cce7e7d3cbc3ec62a721b7ded3";
const T0: i64 = 1_760_000_000;
const BATCH: usize = 10;

/// The send function's event source settings in `infra/template.yaml` (`BatchSize`,
/// `MaximumBatchingWindowInSeconds`, `MaximumConcurrency` of its SQS event): the campaign
/// runs with these, and a test keeps the template equal to them.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
pub struct SendSettings {
    /// Records per invocation at most (`BatchSize`): one pacing lease covers a batch.
    pub batch_size: usize,
    /// How long, in seconds, the mapping gathers records before invoking with a short batch
    /// (`MaximumBatchingWindowInSeconds`).
    pub batching_window_secs: u64,
    /// Concurrent invocations (the event source mapping's `MaximumConcurrency`).
    pub max_concurrency: usize,
}

/// The stack's send settings, for every tier: batches of 25 (one pacing lease per 25 sends),
/// a 1 s batching window, and 10 concurrent invocations. At ≈190 ms a batch (six round
/// trips), 10 invocations offer ≈1,300 sends/s, ≈1.3× the top tier. More is worse:
/// `wapipe bench` at 1,000/s with 8 to 16 invocations gave 952, 999, 998, 953, 900, 943,
/// 918, 952 and 942 sends/s on average: above 10, more batches meet a full second and are
/// sent back (promises and receives go up) and fewer seconds fill. At 80/s the same 10 hold
/// the tier, with more records sent back.
pub const SEND_SETTINGS: SendSettings = SendSettings { batch_size: 25, batching_window_secs: 1, max_concurrency: 10 };

/// One function's figures: a batch of typical input, measured with every service at 1 ms (round
/// trips) and at the given latencies (simulated ms), concurrently and one record at a time.
#[derive(Debug, Serialize)]
pub struct FunctionFigures {
    /// Records in the batch (always 10).
    pub records: usize,
    /// Sequential round trips on the critical path of the batch.
    pub round_trips: u64,
    /// The batch's duration at the given latencies, in ms (simulated).
    pub batch_ms: f64,
    /// The same, with the records handled one at a time.
    pub serial_round_trips: u64,
    /// The batch's duration at the given latencies with the records handled one at a time, in ms
    /// (simulated).
    pub serial_batch_ms: f64,
}

/// The send campaign at one tier: requests from one number to distinct recipients, through the
/// send worker with the stack's [`SEND_SETTINGS`].
#[derive(Debug, Serialize)]
pub struct TierFigures {
    /// The phone's throughput tier, in messages per second (the worker's `phone_mps`).
    pub tier: u32,
    /// Send requests put on the queue before the campaign starts.
    pub requests: usize,
    /// Calls to EUM's send (duplicates included); fewer than `requests` if the bounded run (three
    /// times the ideal duration plus a minute) ran out.
    pub sends: usize,
    /// Sends beyond the first for the same request: 0 when every request was sent exactly once.
    pub duplicates: usize,
    /// Sends per second in the steady state: the whole seconds from the 5th to the 95th
    /// percentile of send times (the ramp-up and the tail of redelivered records left out).
    pub sustained_mps: f64,
    /// All sends over the whole campaign, first to last.
    pub average_mps: f64,
    /// The most sends that started in any one whole (virtual) second: at most `tier` when pacing
    /// holds.
    pub max_in_one_second: usize,
    /// Virtual seconds from the first send to the last, plus one send's share of a second.
    pub simulated_seconds: f64,
    /// Writes to the phone's pacing items (`PACE#{phone}`), applied or refused, per 1,000 sends.
    pub pacing_writes_per_1000: f64,
    /// The same writes by kind (per 1,000 sends).
    pub pacing_writes: PaceWrites,
    /// Records the worker reported as failed (deferred to a later second, or retried), left on
    /// the queue to be received again.
    pub deferrals: u64,
    /// The most times one request was received (the send queue sends a message to its DLQ
    /// after 20).
    pub max_receives: u32,
    /// The event source settings the campaign ran with.
    pub settings: SendSettings,
}

/// The send campaigns, one per tier.
#[derive(Debug, Serialize)]
pub struct SendFigures {
    /// One entry per requested tier, in the order given.
    pub tiers: Vec<TierFigures>,
}

/// What `wapipe bench` prints (as a table, or as one JSON document with `--json`).
#[derive(Debug, Serialize)]
pub struct Report {
    /// The latency spec the batches were measured at, as given (`--at`).
    pub latency: String,
    /// Each function's batch figures, by function name (`webhook-ingest`, `send-worker`, ...).
    pub functions: BTreeMap<&'static str, FunctionFigures>,
    /// The send campaign at each tier.
    pub send: SendFigures,
}

/// Run every bench on its own paused-clock runtime; print the report.
pub fn run(json: bool, spec: &str, campaign: usize, tiers: &[u32]) -> Result<u8, String> {
    let latency = LatencySpec::parse(spec).map_err(|e| e.to_string())?;
    let (spec, tiers) = (spec.to_string(), tiers.to_vec());
    let worker = std::thread::spawn(move || -> Result<Report, String> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .map_err(|e| e.to_string())?;
        rt.block_on(report(spec, latency, campaign, tiers))
    });
    let report = worker.join().map_err(|_| "the bench thread panicked".to_string())??;
    if json {
        println!("{}", serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?);
    } else {
        print_human(&report);
    }
    Ok(0)
}

async fn report(spec: String, latency: LatencySpec, campaign: usize, tiers: Vec<u32>) -> Result<Report, String> {
    let mut functions = BTreeMap::new();
    functions.insert("webhook-ingest", figures(&latency, ingest).await?);
    functions.insert("send-worker", figures(&latency, send).await?);
    functions.insert("status-tracker", figures(&latency, tracker).await?);
    functions.insert("payment-processor", figures(&latency, payments).await?);
    functions.insert("quality-snapshotter", figures(&latency, quality).await?);
    functions.insert("flow-endpoint", figures(&latency, completions).await?);
    let mut out = Vec::new();
    for tier in tiers {
        out.push(campaign_at(&latency, tier, campaign).await?);
    }
    Ok(Report { latency: spec, functions, send: SendFigures { tiers: out } })
}

type Scenario =
    fn(Arc<Latency>, usize) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Duration, String>>>>;

async fn figures(latency: &LatencySpec, scenario: Scenario) -> Result<FunctionFigures, String> {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let unit = |d: Duration| ms(d).round() as u64;
    let trips = scenario(Latency::new(LatencySpec::unit()), 0).await?;
    let serial_trips = scenario(Latency::new(LatencySpec::unit()), 1).await?;
    let batch = scenario(Latency::new(latency.clone()), 0).await?;
    let serial = scenario(Latency::new(latency.clone()), 1).await?;
    Ok(FunctionFigures {
        records: BATCH,
        round_trips: unit(trips),
        batch_ms: ms(batch),
        serial_round_trips: unit(serial_trips),
        serial_batch_ms: ms(serial),
    })
}

fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(T0).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn stores(latency: &Arc<Latency>) -> (Arc<MemoryStore>, Arc<MemoryBus>) {
    let (store, bus) = (Arc::new(MemoryStore::new()), Arc::new(MemoryBus::new()));
    store.set_latency(latency.clone());
    bus.set_latency(latency.clone());
    (store, bus)
}

/// Seed without latency: the state a batch finds, not part of its cost.
async fn seed(store: &MemoryStore, writes: Vec<Write>) -> Result<(), String> {
    let latency = store.take_latency();
    for w in writes {
        store.write(w).await.map_err(|e| e.to_string())?;
    }
    if let Some(l) = latency {
        store.set_latency(l);
    }
    Ok(())
}

fn record(i: usize, body: String) -> Record {
    Record { receive_count: 1, ..Record::new(format!("m{i}"), body) }
}

fn event_body(t: EventType, n: usize, fields: Value) -> String {
    let common =
        Envelope { event_id: format!("bench{n:04}"), occurred_at: t0(), waba_id: WABA, phone_number_id: PHONE };
    let fields: Map<String, Value> = match fields {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    eventbridge_body(&DomainEvent::new(t, common, fields), "000000000000", "local", t0())
}

/// How long a batch took (virtual time); an error when a record was not handled as the typical
/// input it is (the bench would measure something else).
async fn timed<O: std::fmt::Debug>(
    what: &str,
    batch: impl std::future::Future<Output = wapipe_core::lambda::sqs_event::BatchReport<O>>,
    ok: impl Fn(&O) -> bool,
) -> Result<Duration, String> {
    let t = Instant::now();
    let report = batch.await;
    let took = t.elapsed();
    match report.outcomes.iter().find(|(_, o)| !ok(o)) {
        Some((id, o)) => Err(format!("{what}: record {id} was not handled as typical input: {o:?}")),
        None => Ok(took),
    }
}

/// Ten inbound text messages from ten contacts, as EUM delivers them (SQS ← SNS).
fn ingest(
    latency: Arc<Latency>,
    concurrency: usize,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Duration, String>>>> {
    Box::pin(async move {
        let sample = include_str!("../../events/example-sqs-eum-text.json");
        let bodies = wapipe_core::domain::envelope::lambda_event_bodies(sample)
            .map_err(|e| e.to_string())?
            .ok_or("the text sample is not a Lambda event")?;
        let body = &bodies.first().ok_or("the text sample has no record")?.1;
        let records: Vec<Record> = (0..BATCH)
            .map(|i| {
                let b = body
                    .replace("919876543210", &format!("91987654{i:04}"))
                    .replace("wamid.HBgMOTE5ODc2NTQzMjEw", &format!("wamid.BENCH{i:04}"));
                record(i, b)
            })
            .collect();
        let (store, bus) = stores(&latency);
        let config = webhook_ingest::Config {
            publish: RetryPolicy::immediate(3),
            run: Options { concurrency },
            ..webhook_ingest::Config::default()
        };
        let ingest = webhook_ingest::Ingest::new(store, bus, FixedClock(t0()), config);
        timed("webhook-ingest", ingest.handle_batch(&records), |o| matches!(o, webhook_ingest::Outcome::Done { .. }))
            .await
    })
}

fn template_request(rid: &str, to: &str) -> String {
    json!({"request_id": rid, "from": PHONE, "to": to,
        "message": {"type": "template", "template": {"name": "order_update", "language": {"code": "en_US"}}},
        "options": {"category": "utility"}})
    .to_string()
}

fn registry() -> Write {
    let k = keys::phone(PHONE);
    Write::put(
        Item::new(k.pk, k.sk)
            .with("meta_phone_number_id", PHONE)
            .with("eum_phone_number_id", EUM_PHONE)
            .with("phone_arn", format!("arn:aws:social-messaging:local:000000000000:{EUM_PHONE}"))
            .with("waba_id", WABA),
    )
}

type BenchWorker<Q> = send_worker::SendWorker<Arc<MemoryStore>, Arc<MemoryBus>, Arc<BenchEum>, Q, VirtualClock>;

fn worker<Q: Queue>(
    store: Arc<MemoryStore>,
    bus: Arc<MemoryBus>,
    eum: Arc<BenchEum>,
    queue: Q,
    config: send_worker::Config,
) -> BenchWorker<Q> {
    send_worker::SendWorker::new(store, bus, eum, queue, VirtualClock::new(), config)
}

fn send_config(concurrency: usize) -> send_worker::Config {
    send_worker::Config {
        publish: RetryPolicy::immediate(3),
        run: Options { concurrency },
        jitter: 0.0,
        ..send_worker::Config::default()
    }
}

/// Ten template sends to ten recipients from a known number.
fn send(
    latency: Arc<Latency>,
    concurrency: usize,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Duration, String>>>> {
    Box::pin(async move {
        let (store, bus) = stores(&latency);
        seed(&store, vec![registry()]).await?;
        let eum = Arc::new(BenchEum::new(latency.clone()));
        let w = worker(store, bus, eum, Arc::new(MemoryQueue::new()), send_config(concurrency));
        // A warm container: it has resolved its number once (cached for its lifetime).
        let warm: Vec<Record> = vec![record(99, template_request("bench-warm", "+919999999999"))];
        w.handle_batch(&warm).await;
        let records: Vec<Record> = (0..BATCH)
            .map(|i| record(i, template_request(&format!("bench-{i}"), &format!("+91987654{i:04}"))))
            .collect();
        timed("send-worker", w.handle_batch(&records), |o| matches!(o, send_worker::Outcome::Accepted { .. })).await
    })
}

/// The first status (`sent`) of ten messages wapipe sent: each joins its send record.
fn tracker(
    latency: Arc<Latency>,
    concurrency: usize,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Duration, String>>>> {
    Box::pin(async move {
        let (store, bus) = stores(&latency);
        // The send records, as the send worker leaves them (sent without latency).
        let quiet = Latency::new(LatencySpec::default());
        let sent = {
            let (s, b) = (Arc::new(MemoryStore::new()), Arc::new(MemoryBus::new()));
            s.write(registry()).await.map_err(|e| e.to_string())?;
            let w = worker(s.clone(), b, Arc::new(BenchEum::new(quiet)), Arc::new(MemoryQueue::new()), send_config(0));
            let records: Vec<Record> = (0..BATCH)
                .map(|i| record(i, template_request(&format!("bench-{i}"), &format!("+91987654{i:04}"))))
                .collect();
            w.handle_batch(&records).await;
            s.snapshot()
        };
        seed(&store, sent.into_iter().map(Write::put).collect()).await?;
        let status = |i: usize| {
            let fields = json!({"wamid": format!("wamid.BENCH{i:04}"), "status": "sent", "timestamp": T0,
                "recipient_id": format!("91987654{i:04}"), "biz_opaque_callback_data": callback_data(&format!("bench-{i}"))});
            record(i, event_body(EventType::MessageStatus, i, fields))
        };
        let records: Vec<Record> = (0..BATCH).map(status).collect();
        let config = status_tracker::Config {
            publish: RetryPolicy::immediate(3),
            run: Options { concurrency },
            ..Default::default()
        };
        let t = status_tracker::Tracker::new(store, bus, FixedClock(t0()), config);
        timed("status-tracker", t.handle_batch(&records), |o| {
            matches!(o, status_tracker::Outcome::Done { changed: true, .. })
        })
        .await
    })
}

/// Captures of ten orders (`whatsapp.payment.updated`).
fn payments(
    latency: Arc<Latency>,
    concurrency: usize,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Duration, String>>>> {
    Box::pin(async move {
        let (store, bus) = stores(&latency);
        let sample: Value =
            serde_json::from_str(include_str!("../../examples/send/order-details.json")).map_err(|e| e.to_string())?;
        let mut orders = Vec::new();
        for i in 0..BATCH {
            let mut v = sample.clone();
            let reference = v.pointer_mut("/message/interactive/action/parameters/reference_id");
            *reference.ok_or("the sample has no reference_id")? = format!("bench-order-{i}").into();
            let req = parse_request_value(v).map_err(|e| e.to_string())?;
            let details = order_details_of(&req).ok_or("the sample is not an order_details message")?;
            let item = new_order(&req, details, PHONE, WABA, T0 - 60).map_err(|e| e.to_string())?;
            orders.push(create_order(item));
        }
        seed(&store, orders).await?;
        let parameter = |name: &str| {
            sample.pointer(&format!("/message/interactive/action/parameters/{name}")).cloned().unwrap_or_default()
        };
        let (total, currency) = (parameter("total_amount"), parameter("currency"));
        let records: Vec<Record> = (0..BATCH)
            .map(|i| {
                let fields = json!({"reference_id": format!("bench-order-{i}"), "status": "captured", "timestamp": T0,
                    "amount": total, "currency": currency,
                    "transaction": {"id": format!("pay_{i}"), "type": "razorpay", "status": "success"}});
                record(i, event_body(EventType::PaymentUpdated, i, fields))
            })
            .collect();
        let config = payment_processor::Config {
            publish: RetryPolicy::immediate(3),
            run: Options { concurrency },
            ..Default::default()
        };
        let p = payment_processor::Processor::<_, _, _, payment_processor::razorpay::Razorpay>::new(
            store,
            bus,
            FixedClock(t0()),
            None,
            config,
        );
        timed("payment-processor", p.handle_batch(&records), |o| {
            matches!(o, payment_processor::Outcome::Done { changed: true, .. })
        })
        .await
    })
}

/// Quality webhooks of ten numbers.
fn quality(
    latency: Arc<Latency>,
    concurrency: usize,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Duration, String>>>> {
    Box::pin(async move {
        let (store, bus) = stores(&latency);
        let records: Vec<Record> = (0..BATCH)
            .map(|i| {
                let common = Envelope {
                    event_id: format!("bench{i:04}"),
                    occurred_at: t0(),
                    waba_id: WABA,
                    phone_number_id: &format!("1065403522{i:05}"),
                };
                let fields = json!({"event": "UPGRADE", "current_limit": "TIER_10K"});
                let e =
                    DomainEvent::new(EventType::PhoneQuality, common, fields.as_object().cloned().unwrap_or_default());
                record(i, eventbridge_body(&e, "000000000000", "local", t0()))
            })
            .collect();
        let config = quality_snapshotter::Config {
            publish: RetryPolicy::immediate(3),
            run: Options { concurrency },
            ..Default::default()
        };
        let accounts = wapipe_core::memory::SandboxAccounts::new(&[]);
        let s = quality_snapshotter::Snapshotter::new(store, bus, accounts, FixedClock(t0()), config);
        timed("quality-snapshotter", s.handle_batch(&records), |o| {
            matches!(o, quality_snapshotter::Outcome::Done { .. })
        })
        .await
    })
}

/// Ten flow completions (`whatsapp.flow.completed`), each stored beside its session.
fn completions(
    latency: Arc<Latency>,
    concurrency: usize,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Duration, String>>>> {
    Box::pin(async move {
        let (store, bus) = stores(&latency);
        let records: Vec<Record> = (0..BATCH)
            .map(|i| {
                let fields = json!({"wamid": format!("wamid.FLOW{i:04}"), "from": format!("91987654{i:04}"),
                    "flow_token": format!("tok-{i}"), "response": {"flow_token": format!("tok-{i}"), "rating": "5"},
                    "record_key": keys::message(&format!("wamid.FLOW{i:04}")).pk});
                record(i, event_body(EventType::FlowCompleted, i, fields))
            })
            .collect();
        let mut c = flow_endpoint::Completions::new(store, bus, FixedClock(t0()));
        c.publish = RetryPolicy::immediate(3);
        let t = Instant::now();
        let failures = match concurrency {
            1 => {
                let mut f = Vec::new();
                for r in &records {
                    f.extend(c.handle_batch(std::slice::from_ref(r)).await);
                }
                f
            }
            _ => c.handle_batch(&records).await,
        };
        let took = t.elapsed();
        if let Some(id) = failures.first() {
            return Err(format!("flow-endpoint: record {id} failed"));
        }
        Ok(took)
    })
}

/// The wall clock on tokio's clock: virtual time in the benches.
#[derive(Clone, Debug)]
struct VirtualClock {
    base: OffsetDateTime,
    start: Instant,
}

impl VirtualClock {
    fn new() -> VirtualClock {
        VirtualClock { base: t0(), start: Instant::now() }
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> OffsetDateTime {
        self.base + self.start.elapsed()
    }
}

/// EUM for the benches: answers after its simulated latency and logs when each send started
/// (virtual ms since the bench began) and for which request.
struct BenchEum {
    latency: Arc<Latency>,
    start: Instant,
    sends: Mutex<Vec<(u64, String)>>,
    next: AtomicU64,
}

impl BenchEum {
    fn new(latency: Arc<Latency>) -> BenchEum {
        BenchEum { latency, start: Instant::now(), sends: Mutex::default(), next: AtomicU64::new(0) }
    }
}

impl Messaging for BenchEum {
    async fn send(&self, _: &str, _: &str, message_json: &[u8]) -> Result<EumMessageId, MessagingError> {
        let at = self.start.elapsed().as_millis() as u64;
        let rid = serde_json::from_slice::<Value>(message_json)
            .ok()
            .and_then(|v| v.get("biz_opaque_callback_data").and_then(Value::as_str).map(str::to_string))
            .unwrap_or_default();
        if let Ok(mut s) = self.sends.lock() {
            s.push((at, rid));
        }
        self.latency.call(Service::Eum).await;
        Ok(EumMessageId(format!("eum-{}", self.next.fetch_add(1, Ordering::Relaxed))))
    }

    async fn linked_phones(&self) -> Result<Vec<LinkedPhone>, MessagingError> {
        self.latency.call(Service::Eum).await;
        Ok(vec![LinkedPhone {
            eum_phone_number_id: EUM_PHONE.into(),
            arn: String::new(),
            meta_phone_number_id: PHONE.into(),
            waba_id: WABA.into(),
        }])
    }
}

/// Counts the writes to the phone's pacing items (`PACE#{phone}`): every conditional write,
/// applied or refused, split into leases (`n`), promises (`p`) and others.
struct PaceCounter<S> {
    inner: S,
    /// The phone's pacing partition.
    pace_pk: String,
    split: Mutex<PaceWrites>,
}

/// The phone's pacing writes of a campaign, per 1,000 sends in the report.
#[derive(Debug, Default, Clone, Serialize)]
pub struct PaceWrites {
    /// Lease writes (a batch's `ADD n k` on a second's item) that were applied.
    pub leases: f64,
    /// Lease writes refused by their condition (the second had no room left).
    pub leases_refused: f64,
    /// Promise writes (`ADD p k`: records sent back promised to a later second) that were applied.
    pub promises: f64,
    /// Promise writes refused by their condition (that second's promises were at their cap).
    pub promises_refused: f64,
    /// Any other write to a pacing item, and writes that failed.
    pub other: f64,
}

impl PaceWrites {
    fn total(&self) -> f64 {
        self.leases + self.leases_refused + self.promises + self.promises_refused + self.other
    }
}

/// What a pacing write adds to: the budget (`n`), the promises (`p`), or something else.
#[derive(Clone, Copy)]
enum PaceAttr {
    Lease,
    Promise,
    Other,
}

impl<S> PaceCounter<S> {
    fn new(inner: S) -> Self {
        PaceCounter { inner, pace_pk: keys::pace_second(PHONE, 0).pk, split: Mutex::new(PaceWrites::default()) }
    }

    /// The kind of a write to `pk`, when it is one of the phone's pacing writes.
    fn kind(&self, pk: &str, updates: &[Update]) -> Option<PaceAttr> {
        (pk == self.pace_pk).then(|| {
            let added = updates.iter().find_map(|u| match u {
                Update::Add(a, _) => Some(a.as_str()),
                _ => None,
            });
            match added {
                Some("n") => PaceAttr::Lease,
                Some("p") => PaceAttr::Promise,
                _ => PaceAttr::Other,
            }
        })
    }

    /// Count one write of `kind`: applied, refused, or failed (`None`, counted as other).
    fn count(&self, kind: Option<PaceAttr>, applied: Option<bool>) {
        let Some(kind) = kind else { return };
        if let Ok(mut w) = self.split.lock() {
            let slot = match (kind, applied) {
                (PaceAttr::Lease, Some(true)) => &mut w.leases,
                (PaceAttr::Lease, Some(false)) => &mut w.leases_refused,
                (PaceAttr::Promise, Some(true)) => &mut w.promises,
                (PaceAttr::Promise, Some(false)) => &mut w.promises_refused,
                _ => &mut w.other,
            };
            *slot += 1.0;
        }
    }

    fn per_1000(&self, sends: usize) -> PaceWrites {
        let w = self.split.lock().map(|w| w.clone()).unwrap_or_default();
        let k = 1000.0 / sends.max(1) as f64;
        PaceWrites {
            leases: w.leases * k,
            leases_refused: w.leases_refused * k,
            promises: w.promises * k,
            promises_refused: w.promises_refused * k,
            other: w.other * k,
        }
    }
}

impl<S: Store> Store for PaceCounter<S> {
    async fn get(&self, pk: &str, sk: &str) -> PortResult<Option<Item>> {
        self.inner.get(pk, sk).await
    }
    async fn get_many(&self, keys: &[Key]) -> PortResult<Vec<Option<Item>>> {
        self.inner.get_many(keys).await
    }
    async fn update(&self, pk: &str, sk: &str, updates: Vec<Update>, cond: Option<Cond>) -> PortResult<Updated> {
        let kind = self.kind(pk, &updates);
        let out = self.inner.update(pk, sk, updates, cond).await;
        self.count(kind, out.as_ref().ok().map(|u| matches!(u, Updated::Applied(_))));
        out
    }
    async fn write(&self, write: Write) -> PortResult<WriteOutcome> {
        let kind = match &write {
            Write::Update { pk, updates, .. } => self.kind(pk, updates),
            other => self.kind(other.key().0, &[]),
        };
        let out = self.inner.write(write).await;
        self.count(kind, out.as_ref().ok().map(|o| *o == WriteOutcome::Applied));
        out
    }
    async fn transact(&self, writes: Vec<Write>) -> PortResult<TransactOutcome> {
        self.inner.transact(writes).await
    }
    async fn query(&self, query: Query) -> PortResult<Page> {
        self.inner.query(query).await
    }
}

/// A bus that checks EventBridge's limits and counts, without keeping 100,000 events.
struct CountingBus {
    latency: Arc<Latency>,
    accepted: AtomicU64,
}

impl Bus for CountingBus {
    async fn put_events(&self, events: &[DomainEvent]) -> PortResult<Vec<EntryResult>> {
        self.latency.call(Service::EventBridge).await;
        let size: usize = events.iter().map(wapipe_core::app::publish::entry_size).sum();
        if events.len() > 10 || size > wapipe_core::app::publish::MAX_REQUEST_BYTES {
            return Err(wapipe_core::ports::PortError::Permanent {
                service: "bench-bus",
                op: "put_events",
                message: format!("{} entries, {size} bytes", events.len()),
            });
        }
        self.accepted.fetch_add(events.len() as u64, Ordering::Relaxed);
        Ok(vec![EntryResult::Ok; events.len()])
    }
}

const QUEUE: &str = "local://bench-send";

/// A campaign of `requests` sends to distinct recipients from one number at `tier`/s.
async fn campaign_at(spec: &LatencySpec, tier: u32, requests: usize) -> Result<TierFigures, String> {
    let settings = SEND_SETTINGS;
    let latency = Latency::new(spec.clone());
    let store = Arc::new(PaceCounter::new(MemoryStore::new()));
    store.inner.write(registry()).await.map_err(|e| e.to_string())?;
    store.inner.set_latency(latency.clone());
    let bus = Arc::new(CountingBus { latency: latency.clone(), accepted: AtomicU64::new(0) });
    let queue = Arc::new(MemoryQueue::new());
    queue.create_queue(QUEUE, Duration::from_secs(60));
    for i in 0..requests {
        let body = template_request(&format!("c{tier}-{i}"), &format!("+91{:010}", 7_000_000_000u64 + i as u64));
        queue.send(QUEUE, OutgoingMessage { body, ..OutgoingMessage::default() }).await.map_err(|e| e.to_string())?;
    }
    queue.set_latency(latency.clone());
    let eum = Arc::new(BenchEum::new(latency.clone()));
    let config = send_worker::Config { phone_mps: tier, queue_url: Some(QUEUE.into()), ..send_config(0) };
    // One worker per poller: each is a Lambda container with its own caches and process
    // state (what it knows of full seconds); only the table, the queue and EUM are shared.
    let clock = VirtualClock::new();
    let workers: Vec<_> = (0..settings.max_concurrency)
        .map(|_| {
            let (store, bus, eum, queue) = (store.clone(), bus.clone(), eum.clone(), queue.clone());
            send_worker::SendWorker::new(store, bus, eum, queue, clock.clone(), config.clone())
        })
        .collect();
    let deferrals = Arc::new(AtomicU64::new(0));
    let max_receives = Arc::new(AtomicU64::new(0));
    // Bounded: at most three times the ideal duration, plus a minute.
    let deadline = Instant::now() + Duration::from_secs(3 * requests as u64 / u64::from(tier.max(1)) + 60);
    let mut pollers = Vec::new();
    for worker in workers {
        let (queue, eum) = (queue.clone(), eum.clone());
        let (deferrals, max_receives) = (deferrals.clone(), max_receives.clone());
        pollers.push(tokio::spawn(async move {
            loop {
                if Instant::now() >= deadline || eum.sends.lock().map(|s| s.len() >= requests).unwrap_or(true) {
                    return;
                }
                // The event source mapping gathers a batch with receives of at most 10, until
                // it holds the batch size or the batching window has passed.
                let window = Instant::now() + Duration::from_secs(settings.batching_window_secs);
                let mut batch = Vec::new();
                loop {
                    let want = settings.batch_size - batch.len();
                    let receives =
                        (0..want.div_ceil(10)).map(|i| queue.receive(QUEUE, (want - i * 10).min(10), Duration::ZERO));
                    for got in futures_util::future::join_all(receives).await {
                        batch.extend(got.unwrap_or_default());
                    }
                    if batch.len() >= settings.batch_size || Instant::now() >= window || Instant::now() >= deadline {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                if batch.is_empty() {
                    continue;
                }
                let records: Vec<Record> = batch.iter().map(|m| Record::from_queue(m, QUEUE)).collect();
                for r in &records {
                    max_receives.fetch_max(u64::from(r.receive_count), Ordering::Relaxed);
                }
                let report = worker.handle_batch(&records).await;
                let failed = report.failures();
                deferrals.fetch_add(failed.len() as u64, Ordering::Relaxed);
                let deletes = batch
                    .iter()
                    .filter(|m| !failed.contains(&m.message_id))
                    .map(|m| queue.delete(QUEUE, &m.receipt_handle));
                futures_util::future::join_all(deletes).await;
            }
        }));
    }
    for p in pollers {
        p.await.map_err(|e| e.to_string())?;
    }
    let sends = eum.sends.lock().map(|s| s.clone()).unwrap_or_default();
    let mut per_request: HashMap<&str, usize> = HashMap::new();
    let mut per_second: HashMap<u64, usize> = HashMap::new();
    for (at, rid) in &sends {
        *per_request.entry(rid.as_str()).or_insert(0) += 1;
        *per_second.entry(at / 1000).or_insert(0) += 1;
    }
    let mut times: Vec<u64> = sends.iter().map(|(at, _)| *at).collect();
    times.sort_unstable();
    let at = |q: f64| times.get(((times.len() as f64 - 1.0) * q).round().max(0.0) as usize).copied().unwrap_or(0);
    let (first, last) = (at(0.0), at(1.0));
    let seconds = (last - first) as f64 / 1000.0 + 1.0 / f64::from(tier.max(1));
    // Whole seconds from the one of the 5th percentile send to the one of the 95th: the sends
    // that started in them, over their number.
    let (from_sec, to_sec) = (at(0.05) / 1000, at(0.95) / 1000);
    let in_steady = per_second.iter().filter(|(s, _)| (from_sec..=to_sec).contains(*s)).map(|(_, n)| n).sum::<usize>();
    let steady_mps = in_steady as f64 / (to_sec - from_sec + 1) as f64;
    Ok(TierFigures {
        tier,
        requests,
        sends: sends.len(),
        duplicates: per_request.values().map(|n| n - 1).sum(),
        sustained_mps: steady_mps,
        average_mps: sends.len() as f64 / seconds,
        max_in_one_second: per_second.values().copied().max().unwrap_or(0),
        simulated_seconds: seconds,
        pacing_writes_per_1000: store.per_1000(sends.len()).total(),
        pacing_writes: store.per_1000(sends.len()),
        deferrals: deferrals.load(Ordering::Relaxed),
        max_receives: u32::try_from(max_receives.load(Ordering::Relaxed)).unwrap_or(u32::MAX),
        settings,
    })
}

fn print_human(r: &Report) {
    println!("latency: {}", r.latency);
    println!(
        "\n{:<22} {:>11} {:>10} {:>18} {:>16}",
        "function (10 records)", "round trips", "batch ms", "serial round trips", "serial batch ms"
    );
    for (name, f) in &r.functions {
        println!(
            "{name:<22} {:>11} {:>10.1} {:>18} {:>16.1}",
            f.round_trips, f.batch_ms, f.serial_round_trips, f.serial_batch_ms
        );
    }
    println!("\nsend campaign, one number, distinct recipients:");
    println!(
        "{:>6} {:>9} {:>9} {:>12} {:>10} {:>16} {:>10} {:>12} {:>9} {:>12} {:>11}",
        "tier",
        "requests",
        "sends",
        "sustained/s",
        "average/s",
        "max in 1 second",
        "duplicates",
        "pace w/1000",
        "deferred",
        "max receives",
        "invocations"
    );
    for t in &r.send.tiers {
        println!(
            "{:>6} {:>9} {:>9} {:>12.1} {:>10.1} {:>16} {:>10} {:>12.1} {:>9} {:>12} {:>11}",
            t.tier,
            t.requests,
            t.sends,
            t.sustained_mps,
            t.average_mps,
            t.max_in_one_second,
            t.duplicates,
            t.pacing_writes_per_1000,
            t.deferrals,
            t.max_receives,
            t.settings.max_concurrency
        );
    }
    for t in &r.send.tiers {
        let w = &t.pacing_writes;
        println!(
            "pacing writes per 1,000 sends at {}/s: {:.1} leases, {:.1} refused; {:.1} promises, {:.1} refused; {:.1} other",
            t.tier, w.leases, w.leases_refused, w.promises, w.promises_refused, w.other
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Separate containers share only the table: a backlog five times the tier is sent once
    /// each, never above the tier in any second, and no request comes near the DLQ.
    #[tokio::test(start_paused = true)]
    async fn a_campaign_across_containers_keeps_the_tier_and_every_request_off_the_dlq() {
        let spec = LatencySpec::typical();
        let f = campaign_at(&spec, 300, 1_500).await.unwrap();
        assert_eq!((f.sends, f.duplicates), (1_500, 0), "{f:?}");
        assert!(f.max_in_one_second <= 300, "{f:?}");
        assert!(f.deferrals > 0, "the backlog was larger than a second's budget: {f:?}");
        assert!(f.max_receives < 20, "the send queue's maxReceiveCount is 20: {f:?}");
        assert!(f.average_mps > 0.8 * 300.0, "the promised seconds come back full enough: {f:?}");
    }

    #[test]
    fn the_settings_offer_more_than_the_top_tier() {
        // Per invocation: a batch of 25 in the send worker's six round trips at the bench's
        // typical latencies (190 ms).
        let s = SEND_SETTINGS;
        let offered = s.max_concurrency as f64 * s.batch_size as f64 / 0.19;
        assert!(offered >= 1.2 * 1000.0, "{s:?}");
        assert!(s.batching_window_secs >= 1 && s.batch_size > 10, "a batch above 10 needs a window: {s:?}");
    }

    /// A number under the send worker's SQS event source (`Send:` … `NAME: N`).
    fn send_event_setting(template: &str, name: &str) -> Option<u64> {
        let start = template.find("\n      Events:\n        Send:\n")?;
        template[start..].lines().take(20).find_map(|l| {
            let l = l.trim();
            let rest = l
                .strip_prefix(&format!("{name}: "))
                .or_else(|| l.strip_prefix("ScalingConfig: { ").and_then(|r| r.strip_prefix(&format!("{name}: "))))?;
            rest.trim_end_matches(" }").trim().parse().ok()
        })
    }

    #[test]
    fn the_stack_settings_are_the_settings_the_campaign_measures() {
        let template = include_str!("../../infra/template.yaml");
        let s = SEND_SETTINGS;
        assert_eq!(send_event_setting(template, "BatchSize"), Some(s.batch_size as u64));
        assert_eq!(send_event_setting(template, "MaximumBatchingWindowInSeconds"), Some(s.batching_window_secs));
        assert_eq!(send_event_setting(template, "MaximumConcurrency"), Some(s.max_concurrency as u64));
    }
}
