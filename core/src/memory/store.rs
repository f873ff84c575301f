//! In-memory [`Store`]: a sorted map of items evaluated with DynamoDB's semantics.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Mutex, MutexGuard};

use serde_json::Value;

use super::eval::{apply_updates, eval};
use super::faults::Faults;
use super::latency::{Latency, LatencySlot, Service};
use crate::domain::keys::{GSI1PK, GSI1SK, PK, SK};
use crate::ports::{
    Cond, Index, Item, Page, PortError, PortResult, Query, Store, TransactOutcome, Update, Updated, Write, WriteOutcome,
};

const SERVICE: &str = "memory-store";
type Key = (String, String);

/// The table in memory. Cloning the state out (`snapshot`) and back (`from_items`) lets local
/// mode persist it between runs.
#[derive(Debug, Default)]
pub struct MemoryStore {
    items: Mutex<BTreeMap<Key, Item>>,
    faults: Faults,
    latency: LatencySlot,
}

impl MemoryStore {
    /// An empty table.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    /// A store holding these items (later duplicates of a key win).
    pub fn from_items(items: Vec<Item>) -> MemoryStore {
        let map = items.into_iter().map(|i| ((i.pk.clone(), i.sk.clone()), clean(i))).collect();
        MemoryStore { items: Mutex::new(map), faults: Faults::default(), latency: LatencySlot::default() }
    }

    /// Every item, ordered by `pk` then `sk`.
    pub fn snapshot(&self) -> Vec<Item> {
        self.lock().values().cloned().collect()
    }

    /// How many items it holds.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True when it holds no item.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Its fault-injection handle: failed calls, or every call touching some partition keys.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Simulate DynamoDB's latency on every operation from now on.
    pub fn set_latency(&self, latency: std::sync::Arc<Latency>) {
        self.latency.set(latency);
    }

    /// Stop simulating latency; the latency that was set.
    pub fn take_latency(&self) -> Option<std::sync::Arc<Latency>> {
        self.latency.take()
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<Key, Item>> {
        self.items.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// `attrs` never holds the key attributes.
fn clean(mut item: Item) -> Item {
    item.attrs.remove(PK);
    item.attrs.remove(SK);
    item
}

fn permanent(op: &'static str, message: impl Into<String>) -> PortError {
    PortError::Permanent { service: SERVICE, op, message: message.into() }
}

fn validate_item(op: &'static str, item: &Item) -> PortResult<()> {
    if item.pk.is_empty() || item.sk.is_empty() {
        return Err(permanent(op, "ValidationException: key attributes must not be empty"));
    }
    for name in [GSI1PK, GSI1SK] {
        match item.attrs.get(name) {
            None => {}
            Some(Value::String(s)) if !s.is_empty() => {}
            Some(_) => return Err(permanent(op, format!("ValidationException: {name} must be a non-empty string"))),
        }
    }
    Ok(())
}

/// The item a write leaves behind (`None`: deleted), or `Err(())` when its condition fails.
fn next_state(op: &'static str, current: Option<&Item>, write: &Write) -> PortResult<Result<Option<Item>, ()>> {
    let cond = match write {
        Write::Put { cond, .. } | Write::Update { cond, .. } | Write::Delete { cond, .. } => cond,
    };
    if let Some(c) = cond {
        if !eval(c, current) {
            return Ok(Err(()));
        }
    }
    let next = match write {
        Write::Put { item, .. } => Some(clean(item.clone())),
        Write::Update { pk, sk, updates, .. } => {
            let mut item = current.cloned().unwrap_or_else(|| Item::new(pk.clone(), sk.clone()));
            apply_updates(&mut item.attrs, updates).map_err(|m| permanent(op, m))?;
            Some(item)
        }
        Write::Delete { .. } => None,
    };
    if let Some(item) = &next {
        validate_item(op, item)?;
    }
    Ok(Ok(next))
}

fn commit(map: &mut BTreeMap<Key, Item>, key: Key, next: Option<Item>) {
    match next {
        Some(item) => {
            map.insert(key, item);
        }
        None => {
            map.remove(&key);
        }
    }
}

/// Where an item sits in a query's order, used as the cursor.
fn position(index: Index, item: &Item) -> Vec<String> {
    match index {
        Index::Table => vec![item.sk.clone()],
        Index::Gsi1 => vec![item.get_str(GSI1SK).unwrap_or_default().to_string(), item.pk.clone(), item.sk.clone()],
    }
}

fn encode_cursor(pos: &[String]) -> String {
    hex::encode(Value::from(pos.to_vec()).to_string())
}

fn decode_cursor(cursor: &str) -> PortResult<Vec<String>> {
    let bytes = hex::decode(cursor).map_err(|_| permanent("query", "ValidationException: invalid cursor"))?;
    serde_json::from_slice(&bytes).map_err(|_| permanent("query", "ValidationException: invalid cursor"))
}

impl Store for MemoryStore {
    async fn get(&self, pk: &str, sk: &str) -> PortResult<Option<Item>> {
        self.latency.wait(Service::DynamoDb).await;
        self.faults.check(SERVICE, "get", &[pk])?;
        Ok(self.lock().get(&(pk.to_string(), sk.to_string())).cloned())
    }

    async fn get_many(&self, keys: &[crate::ports::Key]) -> PortResult<Vec<Option<Item>>> {
        self.latency.wait(Service::DynamoDb).await;
        let pks: Vec<&str> = keys.iter().map(|k| k.pk.as_str()).collect();
        self.faults.check(SERVICE, "get_many", &pks)?;
        let map = self.lock();
        Ok(keys.iter().map(|k| map.get(&(k.pk.clone(), k.sk.clone())).cloned()).collect())
    }

    async fn update(&self, pk: &str, sk: &str, updates: Vec<Update>, cond: Option<Cond>) -> PortResult<Updated> {
        self.latency.wait(Service::DynamoDb).await;
        self.faults.check(SERVICE, "update", &[pk])?;
        let write = Write::Update { pk: pk.to_string(), sk: sk.to_string(), updates, cond };
        let key = (pk.to_string(), sk.to_string());
        let mut map = self.lock();
        match next_state("update", map.get(&key), &write)? {
            Ok(Some(item)) => {
                commit(&mut map, key, Some(item.clone()));
                Ok(Updated::Applied(item))
            }
            // An update always leaves an item; kept total for the type's sake.
            Ok(None) => Err(permanent("update", "an update left no item")),
            Err(()) => Ok(Updated::ConditionFailed(map.get(&key).cloned())),
        }
    }

    async fn write(&self, write: Write) -> PortResult<WriteOutcome> {
        self.latency.wait(Service::DynamoDb).await;
        let (pk, sk) = write.key();
        self.faults.check(SERVICE, "write", &[pk])?;
        let key = (pk.to_string(), sk.to_string());
        let mut map = self.lock();
        match next_state("write", map.get(&key), &write)? {
            Ok(next) => {
                commit(&mut map, key, next);
                Ok(WriteOutcome::Applied)
            }
            Err(()) => Ok(WriteOutcome::ConditionFailed),
        }
    }

    async fn transact(&self, writes: Vec<Write>) -> PortResult<TransactOutcome> {
        self.latency.wait(Service::DynamoDb).await;
        let pks: Vec<&str> = writes.iter().map(|w| w.key().0).collect();
        self.faults.check(SERVICE, "transact", &pks)?;
        if writes.is_empty() || writes.len() > 100 {
            return Err(permanent("transact", "ValidationException: a transaction holds 1 to 100 writes"));
        }
        if writes.iter().any(|w| matches!(w, Write::Update { updates, .. } if updates.is_empty())) {
            return Err(permanent("transact", "ValidationException: an update in a transaction needs a change"));
        }
        let mut seen = HashSet::new();
        if !writes.iter().all(|w| seen.insert(w.key())) {
            return Err(permanent("transact", "ValidationException: a transaction touches each item at most once"));
        }
        let mut map = self.lock();
        let mut staged = Vec::with_capacity(writes.len());
        let mut failed = Vec::new();
        for (i, w) in writes.iter().enumerate() {
            let (pk, sk) = w.key();
            let key = (pk.to_string(), sk.to_string());
            match next_state("transact", map.get(&key), w)? {
                Ok(next) => staged.push((key, next)),
                Err(()) => failed.push(i),
            }
        }
        if !failed.is_empty() {
            return Ok(TransactOutcome::ConditionFailed(failed));
        }
        for (key, next) in staged {
            commit(&mut map, key, next);
        }
        Ok(TransactOutcome::Applied)
    }

    async fn query(&self, q: Query) -> PortResult<Page> {
        self.latency.wait(Service::DynamoDb).await;
        self.faults.check(SERVICE, "query", &[&q.pk])?;
        if q.limit == Some(0) {
            return Err(permanent("query", "ValidationException: limit must be at least 1"));
        }
        let after = q.cursor.as_deref().map(decode_cursor).transpose()?;
        let map = self.lock();
        let mut hits: Vec<(Vec<String>, &Item)> = match q.index {
            Index::Table => map
                .range((q.pk.clone(), String::new())..)
                .take_while(|((pk, _), _)| *pk == q.pk)
                .filter(|((_, sk), _)| sk.starts_with(&q.sk_prefix))
                .map(|(_, item)| (position(q.index, item), item))
                .collect(),
            Index::Gsi1 => map
                .values()
                .filter(|item| item.get_str(GSI1PK) == Some(q.pk.as_str()))
                .filter(|item| item.get_str(GSI1SK).is_some_and(|s| s.starts_with(&q.sk_prefix)))
                .map(|item| (position(q.index, item), item))
                .collect(),
        };
        hits.sort_by(|a, b| a.0.cmp(&b.0));
        if !q.forward {
            hits.reverse();
        }
        if let Some(after) = after {
            hits.retain(|(pos, _)| if q.forward { *pos > after } else { *pos < after });
        }
        let limit = q.limit.unwrap_or(usize::MAX);
        let more = hits.len() > limit;
        hits.truncate(limit);
        let cursor = if more { hits.last().map(|(pos, _)| encode_cursor(pos)) } else { None };
        Ok(Page { items: hits.into_iter().map(|(_, item)| item.clone()).collect(), cursor })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::ANY_OP;
    use crate::ports::Key as ItemKey;
    use serde_json::json;

    #[tokio::test]
    async fn snapshot_round_trips_through_json() {
        let s = MemoryStore::new();
        let item = Item::new("A", "1").with("n", 3).with("o", json!({"x": [1, "y", null, true, 2.5]}));
        s.write(Write::put(item.clone())).await.unwrap();
        let text = serde_json::to_string(&s.snapshot()).unwrap();
        let back = MemoryStore::from_items(serde_json::from_str(&text).unwrap());
        assert_eq!(back.get("A", "1").await.unwrap(), Some(item));
    }

    #[tokio::test]
    async fn transact_validation_and_staging() {
        let s = MemoryStore::new();
        let w =
            || Write::Update { pk: "A".into(), sk: "1".into(), updates: vec![Update::Add("n".into(), 1)], cond: None };
        assert!(s.transact(vec![w(), w()]).await.is_err());
        assert!(s.transact(vec![]).await.is_err());
        s.write(Write::put(Item::new("B", "1").with("s", "text"))).await.unwrap();
        // A validation error in the second write leaves the first unapplied.
        let bad =
            Write::Update { pk: "B".into(), sk: "1".into(), updates: vec![Update::Add("s".into(), 1)], cond: None };
        assert!(s.transact(vec![w(), bad]).await.is_err());
        assert_eq!(s.get("A", "1").await.unwrap(), None);
    }

    #[tokio::test]
    async fn faults_on_keys() {
        let s = MemoryStore::new();
        s.faults().fail_key("MSG#");
        let e = s.write(Write::put(Item::new("MSG#1", "MSG"))).await.unwrap_err();
        assert!(e.is_retryable());
        assert_eq!(s.write(Write::put(Item::new("SEEN#1", "SEEN"))).await, Ok(WriteOutcome::Applied));
        let cond = Write::put_if(Item::new("SEEN#1", "SEEN"), Cond::ItemMissing);
        assert_eq!(s.write(cond).await, Ok(WriteOutcome::ConditionFailed));
        assert!(s.query(Query::table("MSG#1", "")).await.is_err());
    }

    #[tokio::test]
    async fn gsi_keys_must_be_strings() {
        let s = MemoryStore::new();
        assert!(s.write(Write::put(Item::new("A", "1").with(GSI1PK, 5))).await.is_err());
        assert!(s.write(Write::put(Item::new("", "1"))).await.is_err());
    }

    #[tokio::test]
    async fn get_many_in_order_with_duplicates_and_faults() {
        let s = MemoryStore::new();
        s.write(Write::put(Item::new("A", "1").with("n", 1))).await.unwrap();
        let k = |pk: &str, sk: &str| ItemKey { pk: pk.into(), sk: sk.into() };
        let got = s.get_many(&[k("B", "1"), k("A", "1"), k("A", "1")]).await.unwrap();
        assert_eq!(got, vec![None, Some(Item::new("A", "1").with("n", 1)), Some(Item::new("A", "1").with("n", 1))]);
        assert_eq!(s.get_many(&[]).await.unwrap(), Vec::<Option<Item>>::new());
        s.faults().fail_key("MSG#");
        assert!(s.get_many(&[k("A", "1"), k("MSG#1", "MSG")]).await.unwrap_err().is_retryable());
        s.faults().clear();
        s.faults().fail_next("get_many");
        assert!(s.get_many(&[k("A", "1")]).await.is_err());
        assert!(s.get_many(&[k("A", "1")]).await.is_ok());
    }

    #[tokio::test]
    async fn update_returns_the_item() {
        let s = MemoryStore::new();
        let ups = || vec![Update::Add("n".into(), 2), Update::Set("s".into(), json!("x"))];
        let applied = s.update("A", "1", ups(), Some(Cond::ItemMissing)).await.unwrap();
        let want = Item::new("A", "1").with("n", 2).with("s", "x");
        assert_eq!(applied, Updated::Applied(want.clone()));
        let failed = s.update("A", "1", ups(), Some(Cond::ItemMissing)).await.unwrap();
        assert_eq!(failed, Updated::ConditionFailed(Some(want.clone())));
        assert_eq!(s.get("A", "1").await.unwrap(), Some(want));
        let missing = s.update("B", "1", ups(), Some(Cond::ItemExists)).await.unwrap();
        assert_eq!(missing, Updated::ConditionFailed(None));
        assert_eq!(s.get("B", "1").await.unwrap(), None);
        s.faults().fail_nth_call(ANY_OP, 1, false);
        assert!(!s.update("A", "1", ups(), None).await.unwrap_err().is_retryable());
        s.faults().fail_next("update");
        assert!(s.update("A", "1", ups(), None).await.is_err());
        let again = s.update("A", "1", vec![Update::Add("n".into(), 1)], None).await.unwrap();
        assert_eq!(again, Updated::Applied(Item::new("A", "1").with("n", 3).with("s", "x")));
    }
}
