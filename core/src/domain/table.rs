//! The table as plain data: items keyed by `pk`/`sk` (plus `gsi1pk`/`gsi1sk` for the one
//! index), attributes as JSON values, and writes guarded by a small typed condition language.
//!
//! The model is DynamoDB's, reduced to what wapipe uses. The domain plans writes in these types
//! without doing any I/O; the [`Store`](crate::ports::store::Store) port carries them out, and
//! both adapters (`aws`, `memory`) evaluate the conditions the same way.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Attributes of an item other than its keys.
pub type Attrs = Map<String, Value>;

/// One item of the table. `attrs` never holds `pk` or `sk`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// The partition key (`pk`), built by `keys`.
    pub pk: String,
    /// The sort key (`sk`), built by `keys`.
    pub sk: String,
    /// Every other attribute, `gsi1pk`/`gsi1sk` and `expires_at` included (flattened beside the keys in JSON).
    #[serde(flatten)]
    pub attrs: Attrs,
}

impl Item {
    /// An item with these keys and no attributes.
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Item { pk: pk.into(), sk: sk.into(), attrs: Attrs::new() }
    }
    /// Builder: set an attribute.
    pub fn with(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.attrs.insert(name.to_string(), value.into());
        self
    }
    /// The attribute as a string; `None` when missing or not a string.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.attrs.get(name).and_then(Value::as_str)
    }
    /// The attribute as an integer; `None` when missing or not an `i64`.
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
    /// The attribute exists (`attribute_exists(a)`).
    AttrExists(String),
    /// The attribute does not exist (`attribute_not_exists(a)`).
    AttrMissing(String),
    /// attribute = value.
    AttrEq(String, Value),
    /// attribute ≠ value (`<>`).
    AttrNe(String, Value),
    /// attribute < value (numbers compare numerically, strings lexically).
    AttrLt(String, Value),
    /// attribute > value (numbers compare numerically, strings lexically).
    AttrGt(String, Value),
    /// Every condition holds.
    And(Vec<Cond>),
    /// At least one condition holds.
    Or(Vec<Cond>),
    /// The condition does not hold.
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
    /// `SET a = v`.
    Set(String, Value),
    /// `SET a = if_not_exists(a, v)`
    SetIfMissing(String, Value),
    /// `ADD a n` (a missing attribute counts as 0).
    Add(String, i64),
    /// `REMOVE a`.
    Remove(String),
}

/// A write to the table.
#[derive(Clone, Debug, PartialEq)]
pub enum Write {
    /// Replace the whole item (DynamoDB `PutItem`), if `cond` holds.
    Put {
        /// The item written, keys and attributes.
        item: Item,
        /// Checked against the item being replaced; `None` writes unconditionally.
        cond: Option<Cond>,
    },
    /// Upsert: creates the item when missing (unless `cond` forbids it).
    Update {
        /// The partition key of the item.
        pk: String,
        /// The sort key of the item.
        sk: String,
        /// The changes, applied together.
        updates: Vec<Update>,
        /// Checked against the item as it is; `None` writes unconditionally.
        cond: Option<Cond>,
    },
    /// Delete the item (DynamoDB `DeleteItem`), if `cond` holds.
    Delete {
        /// The partition key of the item.
        pk: String,
        /// The sort key of the item.
        sk: String,
        /// Checked against the item as it is; `None` deletes unconditionally.
        cond: Option<Cond>,
    },
}

impl Write {
    /// An unconditional put.
    pub fn put(item: Item) -> Write {
        Write::Put { item, cond: None }
    }
    /// A put guarded by `cond` (e.g. [`Cond::ItemMissing`] for create-once).
    pub fn put_if(item: Item, cond: Cond) -> Write {
        Write::Put { item, cond: Some(cond) }
    }
    /// The `(pk, sk)` the write targets.
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
    /// The write was made.
    Applied,
    /// The condition did not hold; nothing was written. Not an error: for idempotent
    /// writes it means "already done".
    ConditionFailed,
}

/// What a transaction did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransactOutcome {
    /// Every write of the transaction was made.
    Applied,
    /// Nothing was written; these indexes (into the writes given) had failing conditions.
    ConditionFailed(Vec<usize>),
}

/// Which key set a query reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Index {
    /// The table's own keys, `pk` / `sk`.
    Table,
    /// The `GSI1` index, keyed by `gsi1pk` / `gsi1sk`.
    Gsi1,
}

/// One page of one partition, read in sort-key order (DynamoDB `Query`).
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    /// The table or `GSI1`.
    pub index: Index,
    /// Partition key value (`pk`, or `gsi1pk` on GSI1).
    pub pk: String,
    /// Sort-key prefix (`begins_with`); empty for all.
    pub sk_prefix: String,
    /// Ascending by sort key when true.
    pub forward: bool,
    /// At most this many items per page; `None` sets no limit (DynamoDB still ends a page at 1 MB).
    pub limit: Option<usize>,
    /// Opaque cursor from a previous page.
    pub cursor: Option<String>,
}

impl Query {
    /// An ascending query of the table's partition `pk`, items whose sort key starts with `sk_prefix`.
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

/// One page of a query's answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Page {
    /// The page's items, in the query's order.
    pub items: Vec<Item>,
    /// The cursor for the next page; `None` on the last one.
    pub cursor: Option<String>,
}
