//! The table port: one DynamoDB table with conditional writes, transactions and queries. The
//! data it reads and writes is the domain's ([`crate::domain::table`]).

use std::future::Future;

use super::PortResult;
pub use crate::domain::keys::Key;
pub use crate::domain::table::{
    Attrs, Cond, Index, Item, Page, Query, TransactOutcome, Update, Updated, Write, WriteOutcome,
};

/// The table.
///
/// # Errors
///
/// Every call returns [`PortError`](super::PortError): `Transient` when the same call may
/// succeed later (throttling, timeouts, 5xx), `Permanent` otherwise. A failed condition is
/// not an error: it is [`WriteOutcome::ConditionFailed`] or [`Updated::ConditionFailed`].
pub trait Store: Send + Sync {
    /// `GetItem`: the item at (`pk`, `sk`), `None` when missing.
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
    /// One put, update or delete (`PutItem`, `UpdateItem`, `DeleteItem`), with its condition.
    fn write(&self, write: Write) -> impl Future<Output = PortResult<WriteOutcome>> + Send;
    /// All or nothing, at most 100 writes, each key at most once.
    fn transact(&self, writes: Vec<Write>) -> impl Future<Output = PortResult<TransactOutcome>> + Send;
    /// `Query`: one page of a partition (table or `GSI1`); the page's cursor, passed back, gets the next.
    fn query(&self, query: Query) -> impl Future<Output = PortResult<Page>> + Send;
}

// A shared handle: local mode runs several functions over one in-memory store.
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
