//! [`Store`] on DynamoDB: one table with `pk`/`sk` and the `GSI1` index.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    Delete, KeysAndAttributes, Put, ReturnValue, ReturnValuesOnConditionCheckFailure, TransactWriteItem,
    Update as DdbUpdate,
};
use aws_sdk_dynamodb::Client;
use serde_json::Value;

use super::classify_sdk;
use super::convert::{av_to_item, from_av_map, item_to_av, key_av, to_av, AvMap};
use super::expr::{Expr, Names};
use crate::domain::keys::{GSI1, GSI1PK, GSI1SK, PK, SK};
use crate::ports::{
    Cond, Index, Item, Key, Page, PortError, PortResult, Query, Store, TransactOutcome, Update, Updated, Write,
    WriteOutcome,
};

const SERVICE: &str = "dynamodb";
/// Keys per `BatchGetItem` request (the service's limit).
const BATCH_GET_MAX: usize = 100;
/// Retries of a batch's `UnprocessedKeys`, waiting `UNPROCESSED_BACKOFF`, then twice that, ….
const UNPROCESSED_RETRIES: u32 = 5;
const UNPROCESSED_BACKOFF: Duration = Duration::from_millis(20);

/// The wapipe table.
#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    /// The table named `table`, through this client as configured.
    pub fn new(client: Client, table: impl Into<String>) -> DynamoStore {
        DynamoStore { client, table: table.into() }
    }

    /// The table named `table`, with a client from the shared configuration.
    pub fn from_conf(conf: &aws_config::SdkConfig, table: impl Into<String>) -> DynamoStore {
        DynamoStore::new(Client::new(conf), table)
    }

    /// The name of the table it reads and writes.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// The underlying SDK client, for calls this adapter does not wrap.
    pub fn client(&self) -> &Client {
        &self.client
    }
}

/// DynamoDB's error classification (on top of the shared one).
fn classify<E>(op: &'static str, err: &SdkError<E, HttpResponse>) -> PortError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    classify_sdk(SERVICE, op, err, &["TransactionConflictException", "LimitExceededException"])
}

fn permanent(op: &'static str, message: impl Into<String>) -> PortError {
    PortError::Permanent { service: SERVICE, op, message: message.into() }
}

fn is_condition_failed<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> bool {
    err.code() == Some("ConditionalCheckFailedException")
}

/// A write's parts as DynamoDB wants them.
struct Rendered {
    key: AvMap,
    item: Option<AvMap>,
    update: Option<String>,
    condition: Option<String>,
    names: Option<Names>,
    values: Option<AvMap>,
}

fn render(write: &Write) -> Rendered {
    let mut e = Expr::default();
    let (pk, sk) = write.key();
    let (cond, item, update) = match write {
        Write::Put { item, cond } => (cond, Some(item_to_av(item)), None),
        Write::Update { updates, cond, .. } => (cond, None, e.update(updates)),
        Write::Delete { cond, .. } => (cond, None, None),
    };
    let condition = cond.as_ref().map(|c| e.cond(c));
    let (names, values) = e.into_maps();
    Rendered { key: key_av(pk, sk), item, update, condition, names, values }
}

fn transact_item(table: &str, write: &Write) -> PortResult<TransactWriteItem> {
    let r = render(write);
    let built = match write {
        Write::Put { .. } => Put::builder()
            .table_name(table)
            .set_item(r.item)
            .set_condition_expression(r.condition)
            .set_expression_attribute_names(r.names)
            .set_expression_attribute_values(r.values)
            .build()
            .map(|p| TransactWriteItem::builder().put(p).build()),
        Write::Update { .. } if r.update.is_none() => {
            return Err(permanent("transact", "ValidationException: an update in a transaction needs a change"))
        }
        Write::Update { .. } => DdbUpdate::builder()
            .table_name(table)
            .set_key(Some(r.key))
            .set_update_expression(r.update)
            .set_condition_expression(r.condition)
            .set_expression_attribute_names(r.names)
            .set_expression_attribute_values(r.values)
            .build()
            .map(|u| TransactWriteItem::builder().update(u).build()),
        Write::Delete { .. } => Delete::builder()
            .table_name(table)
            .set_key(Some(r.key))
            .set_condition_expression(r.condition)
            .set_expression_attribute_names(r.names)
            .set_expression_attribute_values(r.values)
            .build()
            .map(|d| TransactWriteItem::builder().delete(d).build()),
    };
    built.map_err(|e| permanent("transact", e.to_string()))
}

/// An item the service returned, as the port's `Item` (`None` for an absent or empty map).
fn returned_item(op: &'static str, m: Option<&AvMap>) -> PortResult<Option<Item>> {
    match m {
        Some(m) if !m.is_empty() => av_to_item(m).map(Some).map_err(|msg| permanent(op, msg)),
        _ => Ok(None),
    }
}

impl DynamoStore {
    /// One `BatchGetItem` of at most 100 distinct keys, retrying `UnprocessedKeys` with
    /// exponential backoff. Returns the items found (in no particular order).
    async fn batch_get(&self, keys: &[&Key]) -> PortResult<Vec<Item>> {
        const OP: &str = "BatchGetItem";
        let mut pending: Vec<AvMap> = keys.iter().map(|k| key_av(&k.pk, &k.sk)).collect();
        let mut found = Vec::with_capacity(keys.len());
        let mut delay = UNPROCESSED_BACKOFF;
        let mut retries = 0;
        loop {
            let request = KeysAndAttributes::builder()
                .set_keys(Some(std::mem::take(&mut pending)))
                .consistent_read(true)
                .build()
                .map_err(|e| permanent(OP, e.to_string()))?;
            let out = self
                .client
                .batch_get_item()
                .request_items(&self.table, request)
                .send()
                .await
                .map_err(|e| classify(OP, &e))?;
            if let Some(items) = out.responses().and_then(|r| r.get(&self.table)) {
                for m in items {
                    found.push(av_to_item(m).map_err(|msg| permanent(OP, msg))?);
                }
            }
            pending = out
                .unprocessed_keys()
                .and_then(|u| u.get(&self.table))
                .map(|ka| ka.keys().to_vec())
                .unwrap_or_default();
            if pending.is_empty() {
                return Ok(found);
            }
            if retries == UNPROCESSED_RETRIES {
                return Err(PortError::Transient {
                    service: SERVICE,
                    op: OP,
                    message: format!(
                        "{} of {} keys still unprocessed after {UNPROCESSED_RETRIES} retries",
                        pending.len(),
                        keys.len()
                    ),
                });
            }
            retries += 1;
            tokio::time::sleep(delay).await;
            delay = delay.saturating_mul(2);
        }
    }
}

fn encode_cursor(key: &AvMap) -> PortResult<String> {
    let json = from_av_map(key).map_err(|m| permanent("query", m))?;
    Ok(hex::encode(Value::Object(json).to_string()))
}

fn decode_cursor(cursor: &str) -> PortResult<AvMap> {
    let bad = || permanent("query", "ValidationException: invalid cursor");
    let bytes = hex::decode(cursor).map_err(|_| bad())?;
    let json: serde_json::Map<String, Value> = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    Ok(json.iter().map(|(k, v)| (k.clone(), to_av(v))).collect())
}

impl Store for DynamoStore {
    async fn get(&self, pk: &str, sk: &str) -> PortResult<Option<Item>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_av(pk, sk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| classify("get", &e))?;
        out.item().map(|m| av_to_item(m).map_err(|msg| permanent("get", msg))).transpose()
    }

    async fn get_many(&self, keys: &[Key]) -> PortResult<Vec<Option<Item>>> {
        // BatchGetItem rejects a request naming a key twice: read each distinct key once.
        let mut seen = HashSet::with_capacity(keys.len());
        let distinct: Vec<&Key> = keys.iter().filter(|k| seen.insert(*k)).collect();
        let batches = distinct.chunks(BATCH_GET_MAX).map(|chunk| self.batch_get(chunk));
        let found = futures_util::future::try_join_all(batches).await?;
        let by_key: HashMap<Key, Item> =
            found.into_iter().flatten().map(|item| (Key { pk: item.pk.clone(), sk: item.sk.clone() }, item)).collect();
        Ok(keys.iter().map(|k| by_key.get(k).cloned()).collect())
    }

    async fn update(&self, pk: &str, sk: &str, updates: Vec<Update>, cond: Option<Cond>) -> PortResult<Updated> {
        let write = Write::Update { pk: pk.to_string(), sk: sk.to_string(), updates, cond };
        let r = render(&write);
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(r.key))
            .set_update_expression(r.update)
            .set_condition_expression(r.condition)
            .set_expression_attribute_names(r.names)
            .set_expression_attribute_values(r.values)
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            // With ALL_NEW the service returns the item the upsert left, keys included.
            Ok(out) => match returned_item("update", out.attributes())? {
                Some(item) => Ok(Updated::Applied(item)),
                None => Err(permanent("update", "UpdateItem returned no attributes despite ReturnValues = ALL_NEW")),
            },
            Err(e) => match e.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(c)) => {
                    Ok(Updated::ConditionFailed(returned_item("update", c.item())?))
                }
                _ if is_condition_failed(&e) => Ok(Updated::ConditionFailed(None)),
                _ => Err(classify("update", &e)),
            },
        }
    }

    async fn write(&self, write: Write) -> PortResult<WriteOutcome> {
        let r = render(&write);
        let result = match &write {
            Write::Put { .. } => self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(r.item)
                .set_condition_expression(r.condition)
                .set_expression_attribute_names(r.names)
                .set_expression_attribute_values(r.values)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| (is_condition_failed(&e), classify("put", &e))),
            Write::Update { .. } => self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(r.key))
                .set_update_expression(r.update)
                .set_condition_expression(r.condition)
                .set_expression_attribute_names(r.names)
                .set_expression_attribute_values(r.values)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| (is_condition_failed(&e), classify("update", &e))),
            Write::Delete { .. } => self
                .client
                .delete_item()
                .table_name(&self.table)
                .set_key(Some(r.key))
                .set_condition_expression(r.condition)
                .set_expression_attribute_names(r.names)
                .set_expression_attribute_values(r.values)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| (is_condition_failed(&e), classify("delete", &e))),
        };
        match result {
            Ok(()) => Ok(WriteOutcome::Applied),
            Err((true, _)) => Ok(WriteOutcome::ConditionFailed),
            Err((false, e)) => Err(e),
        }
    }

    async fn transact(&self, writes: Vec<Write>) -> PortResult<TransactOutcome> {
        let items = writes.iter().map(|w| transact_item(&self.table, w)).collect::<PortResult<Vec<_>>>()?;
        let err = match self.client.transact_write_items().set_transact_items(Some(items)).send().await {
            Ok(_) => return Ok(TransactOutcome::Applied),
            Err(e) => e,
        };
        if let Some(TransactWriteItemsError::TransactionCanceledException(c)) = err.as_service_error() {
            let reasons = c.cancellation_reasons();
            let failed: Vec<usize> = reasons
                .iter()
                .enumerate()
                .filter(|(_, r)| r.code() == Some("ConditionalCheckFailed"))
                .map(|(i, _)| i)
                .collect();
            if !failed.is_empty() {
                return Ok(TransactOutcome::ConditionFailed(failed));
            }
            let retryable = reasons.iter().any(|r| {
                matches!(r.code(), Some("TransactionConflict" | "ThrottlingError" | "ProvisionedThroughputExceeded"))
            });
            if retryable {
                return Err(PortError::Transient {
                    service: SERVICE,
                    op: "transact",
                    message: format!("transaction cancelled: {reasons:?}"),
                });
            }
        }
        Err(classify("transact", &err))
    }

    async fn query(&self, q: Query) -> PortResult<Page> {
        let (index, pk_name, sk_name) = match q.index {
            Index::Table => (None, PK, SK),
            Index::Gsi1 => (Some(GSI1.to_string()), GSI1PK, GSI1SK),
        };
        let limit = match q.limit {
            None => None,
            Some(n) => Some(i32::try_from(n).map_err(|_| permanent("query", "limit too large"))?),
        };
        let mut e = Expr::default();
        let mut key_cond = format!("{} = {}", e.name(pk_name), e.value(to_av(&Value::String(q.pk.clone()))));
        if !q.sk_prefix.is_empty() {
            let s = e.name(sk_name);
            let v = e.value(to_av(&Value::String(q.sk_prefix.clone())));
            key_cond.push_str(&format!(" AND begins_with({s}, {v})"));
        }
        let start = q.cursor.as_deref().map(decode_cursor).transpose()?;
        let (names, values) = e.into_maps();
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .set_index_name(index)
            .key_condition_expression(key_cond)
            .set_expression_attribute_names(names)
            .set_expression_attribute_values(values)
            .scan_index_forward(q.forward)
            .set_limit(limit)
            .set_exclusive_start_key(start)
            .set_consistent_read((q.index == Index::Table).then_some(true))
            .send()
            .await
            .map_err(|e| classify("query", &e))?;
        let items =
            out.items().iter().map(av_to_item).collect::<Result<Vec<_>, _>>().map_err(|m| permanent("query", m))?;
        let cursor = match out.last_evaluated_key() {
            Some(k) if !k.is_empty() => Some(encode_cursor(k)?),
            _ => None,
        };
        Ok(Page { items, cursor })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use serde_json::json;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    use super::*;

    /// Answers BatchGetItem: `process(call, keys)` says how many of the request's keys are
    /// found (the first ones); the rest come back unprocessed. Returns the endpoint.
    async fn fake_dynamo(calls: Arc<AtomicUsize>, process: fn(usize, usize) -> usize) -> std::io::Result<String> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                let call = calls.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(answer(conn, call, process));
            }
        });
        Ok(url)
    }

    async fn answer(mut conn: TcpStream, call: usize, process: fn(usize, usize) -> usize) -> std::io::Result<()> {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 8192];
        let (head_len, body_len) = loop {
            let n = conn.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                let len = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .unwrap_or(0);
                break (end + 4, len);
            }
        };
        while buf.len() < head_len + body_len {
            let n = conn.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        let request: Value = serde_json::from_slice(&buf[head_len..head_len + body_len]).unwrap_or_default();
        let (table, ka) = request["RequestItems"].as_object().and_then(|m| m.iter().next()).expect("one table");
        assert_eq!(ka["ConsistentRead"], json!(true));
        let keys = ka["Keys"].as_array().cloned().unwrap_or_default();
        assert!(keys.len() <= BATCH_GET_MAX);
        let done = process(call, keys.len()).min(keys.len());
        let found: Vec<Value> = keys[..done]
            .iter()
            .map(|k| {
                let mut item = k.clone();
                item["seen_in_call"] = json!({"N": call.to_string()});
                item
            })
            .collect();
        let unprocessed =
            if done < keys.len() { json!({table: {"Keys": keys[done..], "ConsistentRead": true}}) } else { json!({}) };
        let body = json!({"Responses": {table: found}, "UnprocessedKeys": unprocessed}).to_string();
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.0\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        conn.write_all(response.as_bytes()).await?;
        conn.shutdown().await
    }

    async fn store(url: &str) -> DynamoStore {
        DynamoStore::from_conf(&crate::aws::sdk_config_for_endpoint(url, "ap-south-1").await, "t")
    }

    fn keys(n: usize) -> Vec<Key> {
        (0..n).map(|i| Key { pk: format!("K#{i}"), sk: "S".into() }).collect()
    }

    #[tokio::test]
    async fn unprocessed_keys_are_retried() {
        let calls = Arc::new(AtomicUsize::new(0));
        // The first request processes 3 keys, the next 2, then all.
        let url = fake_dynamo(calls.clone(), |call, n| [3, 2].get(call).copied().unwrap_or(n)).await.unwrap();
        let want = keys(8);
        let got = store(&url).await.get_many(&want).await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        for (k, item) in want.iter().zip(&got) {
            let item = item.as_ref().expect("found");
            assert_eq!((&item.pk, &item.sk), (&k.pk, &k.sk));
        }
        let rounds: Vec<i64> = got.iter().flatten().filter_map(|i| i.get_i64("seen_in_call")).collect();
        assert_eq!(rounds, [0, 0, 0, 1, 1, 2, 2, 2]);
    }

    #[tokio::test]
    async fn keys_never_processed_are_a_transient_error() {
        let calls = Arc::new(AtomicUsize::new(0));
        let url = fake_dynamo(calls.clone(), |_, _| 0).await.unwrap();
        let err = store(&url).await.get_many(&keys(2)).await.unwrap_err();
        assert!(matches!(err, PortError::Transient { op: "BatchGetItem", .. }), "{err:?}");
        assert_eq!(calls.load(Ordering::SeqCst), 1 + UNPROCESSED_RETRIES as usize);
    }
}
