//! The one consumer runtime: every SQS-fed function (and every local-mode consumer) runs its
//! batches through [`run_batch`].
//!
//! A function says three things about its records ([`Consumer`]): which *ordering key* a
//! record belongs to (records that touch the same state share a key), what it reads for the
//! whole batch up front ([`Consumer::prepare`], where a `BatchGetItem` replaces one read per
//! record), and how it handles one record. The runtime does the rest, once:
//!
//! - one `record` span per record (record id and key), so every log line of a record joins;
//! - records are grouped by key; different keys run concurrently (bounded by
//!   [`Options::concurrency`], by default the batch size), records of one key one after the
//!   other in arrival order, so two records of one key never race on their state;
//! - a [`Failure::Park`] parks the record through [`Consumer::park`] (the record ends in the
//!   table with its reason, never lost); if parking itself fails, the record is retried;
//! - a [`Failure::Retry`] with a delay is handed to [`Consumer::defer`] (the send worker sets
//!   the message's visibility), concurrently for the batch;
//! - the [`Report`] keeps one outcome per record in input order, with typed errors, and gives
//!   the partial batch response (`batchItemFailures`).
//!
//! A retried record does not hold back the records after it in its key: SQS standard queues
//! redeliver out of order anyway, and every handler is idempotent and order-tolerant; the key
//! only guarantees that one key's records never run at the same time.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsMessage};
use futures_util::stream::{self, StreamExt};
use time::OffsetDateTime;
use tracing::{info_span, warn, Instrument};

use crate::lambda::sqs_event::batch_response;
use crate::ports::{Item, Key, PortError, PortResult, QueueMessage, Store};

/// One record of a batch, whatever delivered it: a Lambda SQS event, a local-mode queue, the
/// CLI or a test.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Record {
    /// SQS `messageId` (stable across redeliveries), or a caller-chosen id.
    pub id: String,
    /// The message body, as sent.
    pub body: String,
    /// SQS `SentTimestamp`: when the message was first sent (keys parked records).
    pub sent_at: Option<OffsetDateTime>,
    /// SQS `ApproximateReceiveCount` (1 on the first delivery).
    pub receive_count: u32,
    /// For `ChangeMessageVisibility`; `None` when the record did not come from a queue.
    pub receipt_handle: Option<String>,
    /// The queue the record came from (from the event source ARN in Lambda).
    pub queue_url: Option<String>,
}

impl Record {
    /// A record with only an id and a body (CLI, tests): first delivery, no queue.
    pub fn new(id: impl Into<String>, body: impl Into<String>) -> Record {
        Record { id: id.into(), body: body.into(), receive_count: 1, ..Record::default() }
    }

    /// A record of a Lambda SQS event; `queue_url` comes from the event source ARN.
    pub fn from_message(index: usize, m: &SqsMessage) -> Record {
        let attr = |name: &str| m.attributes.get(name);
        Record {
            id: m.message_id.clone().unwrap_or_else(|| format!("record-{index}")),
            body: m.body.clone().unwrap_or_default(),
            sent_at: attr("SentTimestamp")
                .and_then(|ms| ms.parse::<i128>().ok())
                .and_then(|ms| OffsetDateTime::from_unix_timestamp_nanos(ms.saturating_mul(1_000_000)).ok()),
            receive_count: attr("ApproximateReceiveCount").and_then(|n| n.parse().ok()).unwrap_or(1),
            receipt_handle: m.receipt_handle.clone(),
            queue_url: m.event_source_arn.as_deref().and_then(queue_url_from_arn),
        }
    }

    /// Every record of a Lambda SQS event.
    pub fn from_event(event: &aws_lambda_events::event::sqs::SqsEvent) -> Vec<Record> {
        event.records.iter().enumerate().map(|(i, m)| Record::from_message(i, m)).collect()
    }

    /// A message received from a queue port (local mode, tests).
    pub fn from_queue(m: &QueueMessage, queue_url: &str) -> Record {
        Record {
            id: m.message_id.clone(),
            body: m.body.clone(),
            sent_at: None,
            receive_count: m.receive_count,
            receipt_handle: Some(m.receipt_handle.clone()),
            queue_url: Some(queue_url.to_string()),
        }
    }
}

/// The queue URL of an SQS ARN (`arn:aws:sqs:{region}:{account}:{name}`).
pub fn queue_url_from_arn(arn: &str) -> Option<String> {
    let parts: Vec<&str> = arn.split(':').collect();
    match parts.as_slice() {
        ["arn", partition, "sqs", region, account, name] if !name.is_empty() => {
            let domain = if partition.starts_with("aws-cn") { "amazonaws.com.cn" } else { "amazonaws.com" };
            Some(format!("https://sqs.{region}.{domain}/{account}/{name}"))
        }
        _ => None,
    }
}

/// Whether trying again can help: the class an error keeps from the adapter to the report.
pub trait Classified {
    /// True when the same work may succeed later (throttling, timeouts, 5xx).
    fn is_transient(&self) -> bool;
}

impl Classified for PortError {
    fn is_transient(&self) -> bool {
        self.is_retryable()
    }
}

/// A retry reason that is only text: what handlers that still report their failures as text
/// hand the runtime. It counts as transient (SQS delivers the record again).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Deferred(pub String);

impl Classified for Deferred {
    fn is_transient(&self) -> bool {
        true
    }
}

/// Why a record was not done.
#[derive(Debug)]
pub enum Failure<E> {
    /// It can never succeed: park it with this reason (names the field where there is one).
    Park {
        /// Why it can never succeed; stored with the parked record.
        reason: String,
    },
    /// It may succeed later. `delay`: when to deliver it again (the queue's own visibility
    /// timeout when `None`).
    Retry {
        /// What went wrong; logged with its class and kept in the report.
        error: E,
        /// When to deliver the record again; `None` for the queue's visibility timeout.
        delay: Option<Duration>,
    },
}

impl<E> Failure<E> {
    /// A [`Failure::Park`] with this reason.
    pub fn park(reason: impl Into<String>) -> Self {
        Failure::Park { reason: reason.into() }
    }
    /// A [`Failure::Retry`] to deliver again after `delay`.
    pub fn retry_after(error: E, delay: Duration) -> Self {
        Failure::Retry { error, delay: Some(delay) }
    }
}

impl<E> From<E> for Failure<E> {
    fn from(error: E) -> Self {
        Failure::Retry { error, delay: None }
    }
}

/// What the runtime made of one record.
#[derive(Debug)]
pub enum Handled<D, E> {
    /// Handled: the handler's result.
    Done(D),
    /// Parked with this reason (and acknowledged).
    Parked {
        /// Why it was parked, as stored with it.
        reason: String,
    },
    /// In `batchItemFailures`: SQS delivers it again (after `delay` when set).
    Retry {
        /// What went wrong: the handler's error, or why parking failed.
        error: E,
        /// When SQS should deliver it again; `None` for the queue's visibility timeout.
        delay: Option<Duration>,
    },
}

impl<D, E> Handled<D, E> {
    /// True for [`Handled::Retry`]: the record goes into `batchItemFailures`.
    pub fn is_retry(&self) -> bool {
        matches!(self, Handled::Retry { .. })
    }
}

/// What a handler knows besides its record.
pub struct Ctx<'a, P> {
    /// What [`Consumer::prepare`] read for the whole batch.
    pub prepared: &'a P,
    /// True for the first record of its key in this batch: only that one may trust what
    /// `prepare` read about the key's state (a record before it in the key may have changed it).
    pub first_of_key: bool,
    /// The record's position in the batch (to find what `prepare` parsed for it).
    pub index: usize,
}

/// A function that consumes SQS records.
pub trait Consumer: Sync {
    /// What handling one record yields (kept in the report).
    type Done: Send;
    /// Why a record failed: logged with its class ([`Classified`]) and kept in the report.
    type Error: Classified + std::fmt::Display + Send;
    /// What `prepare` reads for the whole batch (`()` for none).
    type Prepared: Send + Sync;

    /// The record's ordering key: records that touch the same state share it. `index` is the
    /// record's position, for what `prepare` parsed.
    fn key(&self, record: &Record, index: usize, prepared: &Self::Prepared) -> String;

    /// Reads for the whole batch, before any record is handled (one `BatchGetItem` instead
    /// of one read per record). Must not fail the batch: keep an error inside and let the
    /// handlers fall back or retry.
    fn prepare<'a>(&'a self, records: &'a [Record]) -> impl Future<Output = Self::Prepared> + Send + 'a;

    /// Handle one record: [`Failure::Park`] parks it, [`Failure::Retry`] has SQS deliver it
    /// again; `ctx` carries what `prepare` read.
    fn handle<'a>(
        &'a self,
        record: &'a Record,
        ctx: Ctx<'a, Self::Prepared>,
    ) -> impl Future<Output = Result<Self::Done, Failure<Self::Error>>> + Send + 'a;

    /// Park a record that can never succeed (`wapipe_core::domain::parking`).
    fn park<'a>(
        &'a self,
        record: &'a Record,
        reason: &'a str,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'a;

    /// Deliver the record again after `delay` (the send worker sets the message's
    /// visibility); by default the queue's own visibility timeout applies.
    fn defer<'a>(&'a self, record: &'a Record, delay: Duration) -> impl Future<Output = ()> + Send + 'a {
        let _ = (record, delay);
        async {}
    }
}

/// Items a consumer's `prepare` read for the whole batch in one `BatchGetItem`
/// ([`Store::get_many`]). A failed batch read is not an error: every record then reads for
/// itself.
#[derive(Debug, Default)]
pub struct Prefetched(Option<HashMap<Key, Option<Item>>>);

impl Prefetched {
    /// Read `keys` (duplicates are fine) in one call.
    pub async fn read<S: Store>(store: &S, mut keys: Vec<Key>) -> Prefetched {
        keys.sort();
        keys.dedup();
        if keys.is_empty() {
            return Prefetched(Some(HashMap::new()));
        }
        match store.get_many(&keys).await {
            Ok(found) => Prefetched(Some(keys.into_iter().zip(found).collect())),
            Err(e) => {
                tracing::debug!(error = %e, "batch read failed; records read for themselves");
                Prefetched(None)
            }
        }
    }

    /// The item at `key` if the batch read it (`Some(None)`: read, and missing).
    pub fn get(&self, key: &Key) -> Option<Option<Item>> {
        self.0.as_ref().and_then(|m| m.get(key).cloned())
    }

    /// A reader that serves from this batch read while `fresh` (the first record of its key),
    /// else from the store.
    pub fn reader<'a, S: Store>(&'a self, store: &'a S, fresh: bool) -> Reader<'a, S> {
        Reader { store, pre: fresh.then_some(self) }
    }
}

/// Reads through a batch read when it may be trusted.
pub struct Reader<'a, S> {
    /// The store behind the reader: for writes, and for reads the batch read cannot serve.
    pub store: &'a S,
    pre: Option<&'a Prefetched>,
}

impl<'a, S: Store> Reader<'a, S> {
    /// Straight from the store.
    pub fn direct(store: &'a S) -> Reader<'a, S> {
        Reader { store, pre: None }
    }

    /// The item at `key` (`None` when missing): from the batch read when it has the key, else
    /// from the store.
    pub async fn get(&self, key: &Key) -> PortResult<Option<Item>> {
        match self.pre.and_then(|p| p.get(key)) {
            Some(item) => Ok(item),
            None => self.store.get(&key.pk, &key.sk).await,
        }
    }

    /// The same reader without the batch read (after a write of its own, say).
    pub fn fresh(&self) -> Reader<'a, S> {
        Reader { store: self.store, pre: None }
    }
}

/// How a batch runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// Keys handled at once; 0 means the batch size (every key at once).
    pub concurrency: usize,
}

impl Options {
    /// `WAPIPE_CONCURRENCY` (1..=1000), else every key at once.
    pub fn from_env() -> Result<Options, crate::config::ConfigError> {
        let name = "WAPIPE_CONCURRENCY";
        match std::env::var(name) {
            Err(_) => Ok(Options::default()),
            Ok(v) => match v.trim().parse::<usize>() {
                Ok(n) if (1..=1000).contains(&n) => Ok(Options { concurrency: n }),
                _ => Err(crate::config::ConfigError {
                    name,
                    problem: format!("expected a number from 1 to 1000, got {v:?}"),
                }),
            },
        }
    }
}

/// One outcome per record, in input order: (record id, outcome).
#[derive(Debug)]
pub struct Report<D, E> {
    /// (record id, outcome) per record, in input order.
    pub outcomes: Vec<(String, Handled<D, E>)>,
}

impl<D, E> Report<D, E> {
    /// Ids for `batchItemFailures`.
    pub fn failures(&self) -> Vec<String> {
        self.outcomes.iter().filter(|(_, o)| o.is_retry()).map(|(id, _)| id.clone()).collect()
    }

    /// The partial batch response that makes SQS retry exactly the failed records.
    pub fn response(&self) -> SqsBatchResponse {
        batch_response(self.failures())
    }

    /// The report with each outcome turned into a function's own outcome type.
    pub fn map<O>(self, f: impl Fn(Handled<D, E>) -> O) -> crate::lambda::sqs_event::BatchReport<O> {
        crate::lambda::sqs_event::BatchReport {
            outcomes: self.outcomes.into_iter().map(|(id, h)| (id, f(h))).collect(),
        }
    }
}

/// Group record indexes by key, keys in order of first appearance, records in arrival order.
pub fn group_by_key<T>(items: &[T], key: impl Fn(&T) -> String) -> Vec<(String, Vec<usize>)> {
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
    let mut at: HashMap<String, usize> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        let k = key(item);
        match at.get(&k).and_then(|&g| groups.get_mut(g)) {
            Some(group) => group.1.push(i),
            None => {
                at.insert(k.clone(), groups.len());
                groups.push((k, vec![i]));
            }
        }
    }
    groups
}

/// A record's outcome with its position in the batch.
type Indexed<C> = (usize, Handled<<C as Consumer>::Done, <C as Consumer>::Error>);

/// Run a batch through a consumer: see the module docs.
pub async fn run_batch<C: Consumer>(consumer: &C, records: &[Record], options: &Options) -> Report<C::Done, C::Error> {
    let prepared = consumer.prepare(records).await;
    let keys: Vec<String> = records.iter().enumerate().map(|(i, r)| consumer.key(r, i, &prepared)).collect();
    let groups = group_by_key(&keys, String::clone);
    let limit = match options.concurrency {
        0 => groups.len().max(1),
        n => n,
    };
    let prepared = &prepared;
    let handled: Vec<Vec<Indexed<C>>> = stream::iter(groups)
        .map(|(key, indexes)| async move {
            let mut out = Vec::with_capacity(indexes.len());
            // The indexes are the records' own (`group_by_key` over them).
            for (n, (i, r)) in indexes.into_iter().filter_map(|i| Some((i, records.get(i)?))).enumerate() {
                let span = info_span!("record", record_id = %r.id, key = %key);
                let ctx = Ctx { prepared, first_of_key: n == 0, index: i };
                let outcome = one(consumer, r, ctx).instrument(span).await;
                out.push((i, outcome));
            }
            out
        })
        .buffer_unordered(limit)
        .collect()
        .await;

    let mut slots: Vec<Option<Handled<C::Done, C::Error>>> = records.iter().map(|_| None).collect();
    for (i, h) in handled.into_iter().flatten() {
        if let Some(slot) = slots.get_mut(i) {
            *slot = Some(h);
        }
    }
    let deferrals = records.iter().zip(&slots).filter_map(|(r, h)| match h {
        Some(Handled::Retry { delay: Some(d), .. }) => Some(consumer.defer(r, *d)),
        _ => None,
    });
    futures_util::future::join_all(deferrals).await;
    let outcomes = records
        .iter()
        .zip(slots)
        .map(|(r, h)| {
            // Every index is in exactly one group, so every slot is filled.
            let h = h.unwrap_or_else(|| Handled::Parked { reason: "internal: record not handled".into() });
            (r.id.clone(), h)
        })
        .collect();
    Report { outcomes }
}

async fn one<C: Consumer>(consumer: &C, r: &Record, ctx: Ctx<'_, C::Prepared>) -> Handled<C::Done, C::Error> {
    match consumer.handle(r, ctx).await {
        Ok(done) => Handled::Done(done),
        Err(Failure::Park { reason }) => match consumer.park(r, &reason).await {
            Ok(()) => {
                warn!(record_id = %r.id, %reason, "record parked");
                Handled::Parked { reason }
            }
            Err(error) => {
                warn!(record_id = %r.id, %error, "parking failed; the record will be retried");
                Handled::Retry { error, delay: None }
            }
        },
        Err(Failure::Retry { error, delay }) => {
            warn!(
                record_id = %r.id,
                %error,
                transient = error.is_transient(),
                delay_ms = delay.map(|d| d.as_millis() as u64),
                "record will be retried"
            );
            Handled::Retry { error, delay }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Records "key:n:behaviour"; logs the order of starts and ends per key.
    struct Probe {
        log: Mutex<Vec<String>>,
        parked: Mutex<Vec<String>>,
        deferred: Mutex<Vec<(String, Duration)>>,
        in_flight: Mutex<HashMap<String, usize>>,
        max_together: Mutex<usize>,
        active: Mutex<usize>,
    }

    impl Probe {
        fn new() -> Probe {
            Probe {
                log: Mutex::default(),
                parked: Mutex::default(),
                deferred: Mutex::default(),
                in_flight: Mutex::default(),
                max_together: Mutex::new(0),
                active: Mutex::new(0),
            }
        }
    }

    fn key_of(r: &Record) -> String {
        r.body.split(':').next().unwrap_or_default().to_string()
    }

    impl Consumer for Probe {
        type Done = String;
        type Error = PortError;
        type Prepared = usize;

        fn key(&self, r: &Record, _: usize, _: &usize) -> String {
            key_of(r)
        }

        async fn prepare(&self, records: &[Record]) -> usize {
            records.len()
        }

        async fn handle(&self, r: &Record, ctx: Ctx<'_, usize>) -> Result<String, Failure<PortError>> {
            let key = key_of(r);
            {
                let mut f = self.in_flight.lock().unwrap();
                let n = f.entry(key.clone()).or_insert(0);
                *n += 1;
                assert_eq!(*n, 1, "two records of key {key} ran at once");
                let mut a = self.active.lock().unwrap();
                *a += 1;
                let mut m = self.max_together.lock().unwrap();
                *m = (*m).max(*a);
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
            self.log.lock().unwrap().push(r.body.clone());
            *self.in_flight.lock().unwrap().get_mut(&key).unwrap() -= 1;
            *self.active.lock().unwrap() -= 1;
            assert_eq!(*ctx.prepared, 6);
            match r.body.rsplit(':').next() {
                Some("park") => Err(Failure::park("bad body")),
                Some("later") => Err(Failure::retry_after(
                    PortError::Transient { service: "t", op: "o", message: "busy".into() },
                    Duration::from_secs(3),
                )),
                _ => Ok(format!("{}{}", r.body, if ctx.first_of_key { "!" } else { "" })),
            }
        }

        async fn park(&self, r: &Record, reason: &str) -> Result<(), PortError> {
            self.parked.lock().unwrap().push(format!("{}={reason}", r.id));
            Ok(())
        }

        async fn defer(&self, r: &Record, delay: Duration) {
            self.deferred.lock().unwrap().push((r.id.clone(), delay));
        }
    }

    fn batch() -> Vec<Record> {
        ["a:1:ok", "b:1:ok", "a:2:park", "c:1:later", "a:3:ok", "b:2:ok"]
            .iter()
            .enumerate()
            .map(|(i, b)| Record::new(format!("m{i}"), *b))
            .collect()
    }

    #[tokio::test(start_paused = true)]
    async fn keys_run_concurrently_in_order_and_outcomes_stay_in_input_order() {
        let probe = Probe::new();
        let records = batch();
        let started = tokio::time::Instant::now();
        let report = run_batch(&probe, &records, &Options::default()).await;
        // Three keys at once; key a has three records in a row: 3 × 10 ms of virtual time.
        assert_eq!(started.elapsed(), Duration::from_millis(30));
        assert_eq!(*probe.max_together.lock().unwrap(), 3);
        let log = probe.log.lock().unwrap().clone();
        let of = |k: &str| log.iter().filter(|b| b.starts_with(k)).cloned().collect::<Vec<_>>();
        assert_eq!(of("a:"), ["a:1:ok", "a:2:park", "a:3:ok"]);
        assert_eq!(of("b:"), ["b:1:ok", "b:2:ok"]);
        let ids: Vec<_> = report.outcomes.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids, ["m0", "m1", "m2", "m3", "m4", "m5"]);
        assert!(matches!(&report.outcomes[0].1, Handled::Done(d) if d == "a:1:ok!"));
        assert!(matches!(&report.outcomes[4].1, Handled::Done(d) if d == "a:3:ok"));
        assert!(matches!(&report.outcomes[2].1, Handled::Parked { reason } if reason == "bad body"));
        assert_eq!(*probe.parked.lock().unwrap(), ["m2=bad body"]);
        assert_eq!(report.failures(), ["m3"]);
        assert_eq!(*probe.deferred.lock().unwrap(), [("m3".to_string(), Duration::from_secs(3))]);
        let json = serde_json::to_value(report.response()).unwrap();
        assert_eq!(json, serde_json::json!({"batchItemFailures": [{"itemIdentifier": "m3"}]}));
    }

    #[tokio::test(start_paused = true)]
    async fn concurrency_is_bounded() {
        let probe = Probe::new();
        let records: Vec<Record> = (0..6).map(|i| Record::new(format!("m{i}"), format!("k{i}:1:ok"))).collect();
        let started = tokio::time::Instant::now();
        run_batch(&probe, &records, &Options { concurrency: 2 }).await;
        assert_eq!(*probe.max_together.lock().unwrap(), 2);
        assert_eq!(started.elapsed(), Duration::from_millis(30));
    }

    #[test]
    fn records_from_lambda_and_arns() {
        let mut m = SqsMessage::default();
        m.message_id = Some("m1".into());
        m.body = Some("{}".into());
        m.attributes.insert("SentTimestamp".into(), "1758171396000".into());
        m.attributes.insert("ApproximateReceiveCount".into(), "3".into());
        m.event_source_arn = Some("arn:aws:sqs:ap-south-1:123456789012:wapipe-send".into());
        let r = Record::from_message(0, &m);
        assert_eq!((r.id.as_str(), r.receive_count), ("m1", 3));
        assert_eq!(r.sent_at.map(|t| t.unix_timestamp()), Some(1_758_171_396));
        assert_eq!(r.queue_url.as_deref(), Some("https://sqs.ap-south-1.amazonaws.com/123456789012/wapipe-send"));
        let blank = Record::from_message(4, &SqsMessage::default());
        assert_eq!((blank.id.as_str(), blank.receive_count, blank.sent_at), ("record-4", 1, None));
        assert_eq!(queue_url_from_arn("arn:aws:sns:ap-south-1:1:x"), None);
        assert_eq!(queue_url_from_arn("garbage"), None);
    }
}
