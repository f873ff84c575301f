//! [`Store`] on DynamoDB: one table with `pk`/`sk` and the `GSI1` index.

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem, Update as DdbUpdate};
use aws_sdk_dynamodb::Client;
use serde_json::Value;

use super::classify_sdk;
use super::convert::{av_to_item, from_av_map, item_to_av, key_av, to_av, AvMap};
use super::expr::{Expr, Names};
use crate::domain::keys::{GSI1, GSI1PK, GSI1SK, PK, SK};
use crate::ports::{Index, Item, Page, PortError, PortResult, Query, Store, TransactOutcome, Write, WriteOutcome};

const SERVICE: &str = "dynamodb";

/// The wapipe table.
#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> DynamoStore {
        DynamoStore { client, table: table.into() }
    }

    pub fn from_conf(conf: &aws_config::SdkConfig, table: impl Into<String>) -> DynamoStore {
        DynamoStore::new(Client::new(conf), table)
    }

    pub fn table(&self) -> &str {
        &self.table
    }

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
