//! Catalog products mirrored locally (EUM has no catalog API; the catalog itself lives in
//! Meta's Commerce Manager). Product and product_list sends are checked against the mirror:
//! a retailer id it does not know is named before the message goes out.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{epoch_ms, query_all, BusinessError};
use crate::domain::keys;
use crate::ports::{Cond, Item, Store, Write, WriteOutcome};

/// A product of a Commerce Manager catalog, as mirrored locally.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Product {
    /// The product's retailer id (Meta's `product_retailer_id`): 1 to 100 characters, its key in
    /// the catalog.
    pub retailer_id: String,
    /// The product's name; required.
    pub name: String,
    /// ISO 4217 code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Price × 1000 (Meta's `amount_1000`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_1000: Option<i64>,
    /// A free-text description (not checked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The URL of the product's image (not checked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    /// `in stock` | `out of stock`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability: Option<String>,
}

impl Product {
    /// Checks a retailer id of 1 to 100 characters, a name, a price that is not negative with a
    /// 3-letter ISO 4217 currency (both or neither), and the availability value; names the field.
    pub fn validate(&self) -> Result<(), BusinessError> {
        if self.retailer_id.trim().is_empty() || self.retailer_id.len() > 100 {
            return Err(BusinessError::invalid("retailer_id", "1 to 100 characters"));
        }
        if self.name.trim().is_empty() {
            return Err(BusinessError::invalid("name", "required"));
        }
        if let Some(c) = &self.currency {
            if c.len() != 3 || !c.chars().all(|ch| ch.is_ascii_uppercase()) {
                return Err(BusinessError::invalid("currency", "a 3-letter ISO 4217 code (USD, INR, …)"));
            }
        }
        if self.price_1000.is_some_and(|p| p < 0) {
            return Err(BusinessError::invalid("price_1000", "must not be negative"));
        }
        if self.price_1000.is_some() != self.currency.is_some() {
            return Err(BusinessError::invalid("currency", "price_1000 and currency go together"));
        }
        if let Some(a) = &self.availability {
            if a != "in stock" && a != "out of stock" {
                return Err(BusinessError::invalid("availability", "`in stock` or `out of stock`"));
            }
        }
        Ok(())
    }
}

/// Store or replace a product; a write older than the stored one is ignored (returns false).
pub async fn put<S: Store>(
    store: &S,
    catalog_id: &str,
    product: &Product,
    now: time::OffsetDateTime,
) -> Result<bool, BusinessError> {
    product.validate()?;
    if catalog_id.trim().is_empty() {
        return Err(BusinessError::invalid("catalog_id", "required"));
    }
    let k = keys::catalog_product(catalog_id, &product.retailer_id);
    let body = serde_json::to_value(product).map_err(|e| BusinessError::invalid("product", e.to_string()))?;
    let ms = epoch_ms(now);
    let item = Item::new(k.pk, k.sk).with("catalog_id", catalog_id).with("product", body).with("updated_at_ms", ms);
    let outcome = store.write(Write::put_if(item, Cond::missing_or_lt("updated_at_ms", ms))).await?;
    Ok(outcome == WriteOutcome::Applied)
}

/// The product `retailer_id` of catalog `catalog_id`; `None` when it is not mirrored.
pub async fn get<S: Store>(store: &S, catalog_id: &str, retailer_id: &str) -> Result<Option<Product>, BusinessError> {
    let k = keys::catalog_product(catalog_id, retailer_id);
    Ok(store
        .get(&k.pk, &k.sk)
        .await?
        .and_then(|i| i.attrs.get("product").cloned())
        .and_then(|v| serde_json::from_value(v).ok()))
}

/// Every product mirrored for `catalog_id` (bounded: 100 pages).
pub async fn list<S: Store>(store: &S, catalog_id: &str) -> Result<Vec<Product>, BusinessError> {
    let items = query_all(store, keys::catalog_partition(catalog_id), keys::CATALOG_PRODUCT_PREFIX).await?;
    Ok(items
        .iter()
        .filter_map(|i| i.attrs.get("product").cloned())
        .filter_map(|v| serde_json::from_value(v).ok())
        .collect())
}

/// Delete a product; false when it was not there.
pub async fn delete<S: Store>(store: &S, catalog_id: &str, retailer_id: &str) -> Result<bool, BusinessError> {
    let k = keys::catalog_product(catalog_id, retailer_id);
    let out = store.write(Write::Delete { pk: k.pk, sk: k.sk, cond: Some(Cond::ItemExists) }).await?;
    Ok(out == WriteOutcome::Applied)
}

/// The (catalog id, retailer id) pairs a Cloud API message refers to: a product or
/// product_list interactive message, or a template's catalog/mpm button.
pub fn referenced_products(message: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Some(action) = message.pointer("/interactive/action") else { return out };
    let text = |v: &Value, field: &str| v.get(field).and_then(Value::as_str).map(str::to_string);
    let catalog = text(action, "catalog_id").unwrap_or_default();
    if let Some(id) = text(action, "product_retailer_id") {
        out.push((catalog.clone(), id));
    }
    for section in action.get("sections").and_then(Value::as_array).into_iter().flatten() {
        for item in section.get("product_items").and_then(Value::as_array).into_iter().flatten() {
            if let Some(id) = text(item, "product_retailer_id") {
                out.push((catalog.clone(), id));
            }
        }
    }
    out
}

/// The referenced products the local catalog does not have (`catalog_id/retailer_id`).
pub async fn unknown_products<S: Store>(store: &S, message: &Value) -> Result<Vec<String>, BusinessError> {
    let mut missing = Vec::new();
    for (catalog, id) in referenced_products(message) {
        if get(store, &catalog, &id).await?.is_none() {
            missing.push(format!("{catalog}/{id}"));
        }
    }
    Ok(missing)
}
