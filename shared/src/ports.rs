//! Narrow traits the handlers need: a key-value store with conditional writes, an event bus,
//! a queue and a clock. Handlers are generic over these; `memory` and `aws` implement them.
//!
//! The store model is DynamoDB's, reduced to what wapipe uses: items keyed by `pk`/`sk`
//! (plus `gsi1pk`/`gsi1sk` for the one index), attributes as JSON values, and writes guarded
//! by a small typed condition language that both adapters evaluate the same way.

use std::future::Future;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::domain::events::DomainEvent;
pub use crate::domain::keys::Key;

/// Attributes of an item other than its keys.
pub type Attrs = Map<String, Value>;

/// One item of the table. `attrs` never holds `pk` or `sk`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub pk: String,
    pub sk: String,
    #[serde(flatten)]
    pub attrs: Attrs,
}

impl Item {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Item { pk: pk.into(), sk: sk.into(), attrs: Attrs::new() }
    }
    /// Builder: set an attribute.
    pub fn with(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.attrs.insert(name.to_string(), value.into());
        self
    }
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.attrs.get(name).and_then(Value::as_str)
    }
    pub fn get_i64(&self, name: &str) -> Option<i64> {
        self.attrs.get(name).and_then(Value::as_i64)
    }
}

/// A condition on the item a write targets, evaluated atomically with the write.
/// Comparisons on a missing attribute are false (as in DynamoDB).
#[derive(Clone, Debug, PartialEq)]
pub enum Cond {
    /// The item exists (`attribute_exists(pk)`).
    ItemExists,
    /// The item does not exist (`attribute_not_exists(pk)`).
    ItemMissing,
    AttrExists(String),
    AttrMissing(String),
    AttrEq(String, Value),
    AttrNe(String, Value),
    /// attribute < value (numbers compare numerically, strings lexically).
    AttrLt(String, Value),
    AttrGt(String, Value),
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Not(Box<Cond>),
}

impl Cond {
    /// `attr` is missing or strictly less than `v`: the monotonic-update guard.
    pub fn missing_or_lt(attr: &str, v: impl Into<Value>) -> Cond {
        Cond::Or(vec![Cond::AttrMissing(attr.into()), Cond::AttrLt(attr.into(), v.into())])
    }
}

/// One change to an attribute in an update.
#[derive(Clone, Debug, PartialEq)]
pub enum Update {
    Set(String, Value),
    /// `SET a = if_not_exists(a, v)`
    SetIfMissing(String, Value),
    /// `ADD a n` (a missing attribute counts as 0).
    Add(String, i64),
    Remove(String),
}

/// A write to the table.
#[derive(Clone, Debug, PartialEq)]
pub enum Write {
    Put {
        item: Item,
        cond: Option<Cond>,
    },
    /// Upsert: creates the item when missing (unless `cond` forbids it).
    Update {
        pk: String,
        sk: String,
        updates: Vec<Update>,
        cond: Option<Cond>,
    },
    Delete {
        pk: String,
        sk: String,
        cond: Option<Cond>,
    },
}

impl Write {
    pub fn put(item: Item) -> Write {
        Write::Put { item, cond: None }
    }
    pub fn put_if(item: Item, cond: Cond) -> Write {
        Write::Put { item, cond: Some(cond) }
    }
    pub fn key(&self) -> (&str, &str) {
        match self {
            Write::Put { item, .. } => (&item.pk, &item.sk),
            Write::Update { pk, sk, .. } | Write::Delete { pk, sk, .. } => (pk, sk),
        }
    }
}

/// What a single conditional write did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteOutcome {
    Applied,
    /// The condition did not hold; nothing was written. Not an error: for idempotent
    /// writes it means "already done".
    ConditionFailed,
}

/// What a transaction did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransactOutcome {
    Applied,
    /// Nothing was written; these indexes (into the writes given) had failing conditions.
    ConditionFailed(Vec<usize>),
}

/// Which key set a query reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Index {
    Table,
    Gsi1,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    pub index: Index,
    /// Partition key value (`pk`, or `gsi1pk` on GSI1).
    pub pk: String,
    /// Sort-key prefix (`begins_with`); empty for all.
    pub sk_prefix: String,
    /// Ascending by sort key when true.
    pub forward: bool,
    pub limit: Option<usize>,
    /// Opaque cursor from a previous page.
    pub cursor: Option<String>,
}

impl Query {
    pub fn table(pk: impl Into<String>, sk_prefix: impl Into<String>) -> Query {
        Query {
            index: Index::Table,
            pk: pk.into(),
            sk_prefix: sk_prefix.into(),
            forward: true,
            limit: None,
            cursor: None,
        }
    }
}

/// What [`Store::update`] did, with the item as the service returned it.
#[derive(Clone, Debug, PartialEq)]
pub enum Updated {
    /// Applied: the whole item after the update (DynamoDB `ReturnValues = ALL_NEW`).
    Applied(Item),
    /// The condition did not hold; nothing was written. The item as it was, when the service
    /// returned it (`ReturnValuesOnConditionCheckFailure = ALL_OLD`; `None` when the item is
    /// missing or the service did not return it; the caller reads it if it must know).
    ConditionFailed(Option<Item>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Page {
    pub items: Vec<Item>,
    pub cursor: Option<String>,
}

/// Errors from any port, split by whether trying again can help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PortError {
    /// Throttling, timeouts, 5xx: the same call may succeed later.
    #[error("{service} {op} failed transiently: {message}")]
    Transient { service: &'static str, op: &'static str, message: String },
    /// Bad request, missing resource, access denied: trying again will not help.
    #[error("{service} {op} failed: {message}")]
    Permanent { service: &'static str, op: &'static str, message: String },
}

impl PortError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, PortError::Transient { .. })
    }
}

pub type PortResult<T> = Result<T, PortError>;

/// The table.
pub trait Store: Send + Sync {
    fn get(&self, pk: &str, sk: &str) -> impl Future<Output = PortResult<Option<Item>>> + Send;
    /// The items at `keys`, one result per key in the order given (`None` where missing); the
    /// same key may appear twice. Any number of keys: the adapter reads in `BatchGetItem`s of
    /// at most 100 keys, concurrently, and retries unprocessed keys with backoff.
    fn get_many(&self, keys: &[Key]) -> impl Future<Output = PortResult<Vec<Option<Item>>>> + Send;
    /// An upsert (`UpdateItem`) that returns the item it left, or the item that failed its
    /// condition: one round trip where a read and a conditional write would take two.
    fn update(
        &self,
        pk: &str,
        sk: &str,
        updates: Vec<Update>,
        cond: Option<Cond>,
    ) -> impl Future<Output = PortResult<Updated>> + Send;
    fn write(&self, write: Write) -> impl Future<Output = PortResult<WriteOutcome>> + Send;
    /// All or nothing, at most 100 writes, each key at most once.
    fn transact(&self, writes: Vec<Write>) -> impl Future<Output = PortResult<TransactOutcome>> + Send;
    fn query(&self, query: Query) -> impl Future<Output = PortResult<Page>> + Send;
}

/// Result of one entry of a `put_events` call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryResult {
    Ok,
    Failed { code: String, message: String, retryable: bool },
}

/// The event bus (EventBridge `PutEvents`).
pub trait Bus: Send + Sync {
    /// Publish at most 10 events; one result per event, in order. A call-level error means
    /// none of them is known to be published.
    fn put_events(&self, events: &[DomainEvent]) -> impl Future<Output = PortResult<Vec<EntryResult>>> + Send;
}

/// A message received from a queue.
#[derive(Clone, Debug, PartialEq)]
pub struct QueueMessage {
    pub message_id: String,
    pub receipt_handle: String,
    pub body: String,
    pub attributes: std::collections::BTreeMap<String, String>,
    pub receive_count: u32,
}

/// An outgoing queue message.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OutgoingMessage {
    pub body: String,
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
    pub fn total(&self) -> u64 {
        self.visible.saturating_add(self.in_flight).saturating_add(self.delayed)
    }
}

/// SQS, by queue URL.
pub trait Queue: Send + Sync {
    /// The queue's message counts (`GetQueueAttributes`): operators' view of a DLQ.
    fn depth(&self, queue_url: &str) -> impl Future<Output = PortResult<QueueDepth>> + Send;
    fn send(&self, queue_url: &str, message: OutgoingMessage) -> impl Future<Output = PortResult<String>> + Send;
    fn receive(
        &self,
        queue_url: &str,
        max: usize,
        wait: Duration,
    ) -> impl Future<Output = PortResult<Vec<QueueMessage>>> + Send;
    fn delete(&self, queue_url: &str, receipt_handle: &str) -> impl Future<Output = PortResult<()>> + Send;
    fn change_visibility(
        &self,
        queue_url: &str,
        receipt_handle: &str,
        timeout: Duration,
    ) -> impl Future<Output = PortResult<()>> + Send;
}

/// Wall-clock time, injectable for tests.
pub trait Clock: Send + Sync {
    fn now(&self) -> time::OffsetDateTime;
}

#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> time::OffsetDateTime {
        time::OffsetDateTime::now_utc()
    }
}

/// A clock that stays where it is set: deterministic tests and replays.
#[derive(Clone, Copy, Debug)]
pub struct FixedClock(pub time::OffsetDateTime);

impl Clock for FixedClock {
    fn now(&self) -> time::OffsetDateTime {
        self.0
    }
}

// Shared handles: local mode runs several functions over one in-memory store and bus.
impl<T: Store + ?Sized> Store for std::sync::Arc<T> {
    fn get(&self, pk: &str, sk: &str) -> impl Future<Output = PortResult<Option<Item>>> + Send {
        (**self).get(pk, sk)
    }
    fn get_many(&self, keys: &[Key]) -> impl Future<Output = PortResult<Vec<Option<Item>>>> + Send {
        (**self).get_many(keys)
    }
    fn update(
        &self,
        pk: &str,
        sk: &str,
        updates: Vec<Update>,
        cond: Option<Cond>,
    ) -> impl Future<Output = PortResult<Updated>> + Send {
        (**self).update(pk, sk, updates, cond)
    }
    fn write(&self, write: Write) -> impl Future<Output = PortResult<WriteOutcome>> + Send {
        (**self).write(write)
    }
    fn transact(&self, writes: Vec<Write>) -> impl Future<Output = PortResult<TransactOutcome>> + Send {
        (**self).transact(writes)
    }
    fn query(&self, query: Query) -> impl Future<Output = PortResult<Page>> + Send {
        (**self).query(query)
    }
}

impl<T: Bus + ?Sized> Bus for std::sync::Arc<T> {
    fn put_events(&self, events: &[DomainEvent]) -> impl Future<Output = PortResult<Vec<EntryResult>>> + Send {
        (**self).put_events(events)
    }
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

impl<T: Clock + ?Sized> Clock for std::sync::Arc<T> {
    fn now(&self) -> time::OffsetDateTime {
        (**self).now()
    }
}
