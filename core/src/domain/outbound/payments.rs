//! Payments messages (docs/PROTOCOL.md §6): `order_details` (India UPI / payment gateway, Singapore,
//! Brazil Pix/boleto/link via `payment_settings`) and `order_status`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::blocks::{fixed_name, frame, Header, NamedAction, TextObj};
use super::limits::{ORDER_ITEM_NAME, REFERENCE_ID};
use super::validate::{count, opt_text, required, text, Checked, FieldPath};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderDetails {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<Header>,
    pub body: TextObj,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub footer: Option<TextObj>,
    pub action: NamedAction<OrderDetailsParams>,
}

/// An amount in minor units: `value / offset` (offset 100 ⇒ paise, cents).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Amount {
    pub value: i64,
    pub offset: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DescribedAmount {
    pub value: i64,
    pub offset: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_program_name: Option<String>,
}

impl DescribedAmount {
    fn amount(&self) -> Amount {
        Amount { value: self.value, offset: self.offset }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderDetailsParams {
    pub reference_id: String,
    /// `digital-goods` or `physical-goods`.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_configuration: Option<String>,
    /// Newer gateway and Brazil form (Pix, boleto, payment link), kept as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_settings: Option<Vec<Map<String, Value>>>,
    pub currency: String,
    pub total_amount: Amount,
    pub order: Order,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Order {
    pub status: String,
    pub items: Vec<OrderItem>,
    pub subtotal: Amount,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax: Option<DescribedAmount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping: Option<DescribedAmount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount: Option<DescribedAmount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration: Option<Expiration>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expiration {
    /// UTC epoch seconds, as a string.
    pub timestamp: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderItem {
    pub retailer_id: String,
    pub name: String,
    pub amount: Amount,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sale_amount: Option<Amount>,
    pub quantity: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_of_origin: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub importer_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub importer_address: Option<Map<String, Value>>,
}

/// Currencies of the payment markets (India, Singapore, Brazil).
pub const CURRENCIES: &[&str] = &["INR", "SGD", "BRL"];

/// `order_status` values (docs/PROTOCOL.md §6.3).
pub const ORDER_STATUSES: &[&str] = &["pending", "processing", "partially_shipped", "shipped", "completed", "canceled"];

fn same_offset(p: &FieldPath<'_>, a: Amount, offset: i64) -> Checked {
    if a.offset != offset {
        return Err(p.key("offset").err(format!("must equal total_amount.offset ({offset})")));
    }
    if a.value < 0 {
        return Err(p.key("value").err("must not be negative"));
    }
    Ok(())
}

impl OrderDetails {
    pub fn validate(&self, p: &FieldPath<'_>) -> Checked {
        frame(p, self.header.as_ref(), Some(&self.body), self.footer.as_ref())?;
        let pa = p.key("action");
        fixed_name(&pa, &self.action.name, "review_and_pay")?;
        let pp = pa.key("parameters");
        let o = &self.action.parameters;
        text(&pp.key("reference_id"), &o.reference_id, REFERENCE_ID)?;
        if o.kind != "digital-goods" && o.kind != "physical-goods" {
            return Err(pp.key("type").err("\"digital-goods\" or \"physical-goods\""));
        }
        match (&o.payment_settings, &o.payment_configuration) {
            (Some(s), _) => count(&pp.key("payment_settings"), s.len(), 1, 5, "payment settings")?,
            (None, Some(c)) => {
                required(&pp.key("payment_configuration"), c)?;
                opt_text(&pp.key("payment_type"), o.payment_type.as_deref(), 64)?;
            }
            (None, None) => return Err(pp.err("`payment_configuration` (or `payment_settings`) is required")),
        }
        if !CURRENCIES.contains(&o.currency.as_str()) {
            return Err(pp.key("currency").err(format!("one of {}", CURRENCIES.join(", "))));
        }
        let offset = o.total_amount.offset;
        if offset <= 0 {
            return Err(pp.key("total_amount").key("offset").err("must be positive (100 for minor units)"));
        }
        let po = pp.key("order");
        let order = &o.order;
        if order.status != "pending" {
            return Err(po.key("status").err("must be \"pending\" in order_details"));
        }
        let pi = po.key("items");
        count(&pi, order.items.len(), 1, 999, "items")?;
        let mut items_total: i64 = 0;
        for (i, it) in order.items.iter().enumerate() {
            let pit = pi.idx(i);
            required(&pit.key("retailer_id"), &it.retailer_id)?;
            text(&pit.key("name"), &it.name, ORDER_ITEM_NAME)?;
            same_offset(&pit.key("amount"), it.amount, offset)?;
            if let Some(s) = it.sale_amount {
                same_offset(&pit.key("sale_amount"), s, offset)?;
            }
            if it.quantity < 1 {
                return Err(pit.key("quantity").err("at least 1"));
            }
            let unit = it.sale_amount.unwrap_or(it.amount).value;
            items_total = items_total.saturating_add(unit.saturating_mul(it.quantity));
        }
        same_offset(&po.key("subtotal"), order.subtotal, offset)?;
        if order.subtotal.value != items_total {
            return Err(po
                .key("subtotal")
                .err(format!("must equal the sum of item (sale) amount × quantity ({items_total})")));
        }
        let mut expected = order.subtotal.value;
        for (name, part, sign) in
            [("tax", &order.tax, 1), ("shipping", &order.shipping, 1), ("discount", &order.discount, -1)]
        {
            if let Some(a) = part {
                same_offset(&po.key(name), a.amount(), offset)?;
                expected = expected.saturating_add(sign * a.value);
            }
        }
        if o.total_amount.value != expected {
            return Err(pp
                .key("total_amount")
                .key("value")
                .err(format!("must equal subtotal + tax + shipping − discount ({expected})")));
        }
        if let Some(e) = &order.expiration {
            if e.timestamp.is_empty() || !e.timestamp.bytes().all(|b| b.is_ascii_digit()) {
                return Err(po.key("expiration").key("timestamp").err("epoch seconds as a string of digits"));
            }
        }
        Ok(())
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderStatus {
    pub body: TextObj,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub footer: Option<TextObj>,
    pub action: NamedAction<OrderStatusParams>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderStatusParams {
    pub reference_id: String,
    pub order: OrderStatusOrder,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderStatusOrder {
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl OrderStatus {
    pub fn validate(&self, p: &FieldPath<'_>) -> Checked {
        frame(p, None, Some(&self.body), self.footer.as_ref())?;
        let pa = p.key("action");
        fixed_name(&pa, &self.action.name, "review_order")?;
        let pp = pa.key("parameters");
        text(&pp.key("reference_id"), &self.action.parameters.reference_id, REFERENCE_ID)?;
        let po = pp.key("order");
        if !ORDER_STATUSES.contains(&self.action.parameters.order.status.as_str()) {
            return Err(po.key("status").err(format!("one of {}", ORDER_STATUSES.join(", "))));
        }
        opt_text(&po.key("description"), self.action.parameters.order.description.as_deref(), 120)
    }
}
