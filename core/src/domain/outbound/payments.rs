//! Payments messages (docs/PROTOCOL.md §6): `order_details` (India UPI / payment gateway, Singapore,
//! Brazil Pix/boleto/link via `payment_settings`) and `order_status`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::blocks::{fixed_name, frame, Header, NamedAction, TextObj};
use super::limits::{ORDER_ITEM_NAME, REFERENCE_ID};
use super::validate::{count, opt_text, required, text, Checked, FieldPath};

/// `order_details`: an order the user reviews and pays in WhatsApp (docs/PROTOCOL.md §6.1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderDetails {
    /// Optional `header`: text, or an image, video or document without caption.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<Header>,
    /// `body`: `{"text": "..."}`, at most 1024 characters.
    pub body: TextObj,
    /// Optional `footer`: `{"text": "..."}`, at most 60 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub footer: Option<TextObj>,
    /// The action, named `review_and_pay`, and the order with its payment parameters.
    pub action: NamedAction<OrderDetailsParams>,
}

/// An amount in minor units: `value / offset` (offset 100 ⇒ paise, cents).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Amount {
    /// The amount in minor units: 1100 with offset 100 is 11.00.
    pub value: i64,
    /// The divisor of `value`: 100 for paise or cents; positive, the same in every amount of an order.
    pub offset: i64,
}

/// An amount with an optional label: an order's `tax`, `shipping` or `discount`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DescribedAmount {
    /// The amount in minor units, as [`Amount::value`]; never negative.
    pub value: i64,
    /// The divisor of `value`, equal to `total_amount.offset`.
    pub offset: i64,
    /// Text shown beside the amount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Name of the discount programme (for a `discount`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_program_name: Option<String>,
}

impl DescribedAmount {
    fn amount(&self) -> Amount {
        Amount { value: self.value, offset: self.offset }
    }
}

/// The `action.parameters` of `order_details`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderDetailsParams {
    /// The business's id of the order, unique per order, at most 35 characters; payment status
    /// webhooks and `order_status` messages refer to it.
    pub reference_id: String,
    /// `digital-goods` or `physical-goods`.
    #[serde(rename = "type")]
    pub kind: String,
    /// How the user pays, e.g. `upi` (India) or `p2m-lite:stripe` (Singapore), at most 64 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_type: Option<String>,
    /// Name of the payment configuration set up in WhatsApp Manager; required unless
    /// `payment_settings` is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_configuration: Option<String>,
    /// Newer gateway and Brazil form (Pix, boleto, payment link), kept as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_settings: Option<Vec<Map<String, Value>>>,
    /// ISO 4217 code, one of [`CURRENCIES`] (`INR`, `SGD`, `BRL`).
    pub currency: String,
    /// What the user pays: subtotal + tax + shipping − discount.
    pub total_amount: Amount,
    /// The order: status, items and the amounts that make up the total.
    pub order: Order,
}

/// The `order` of `order_details`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Order {
    /// Must be `pending` in `order_details`.
    pub status: String,
    /// The items ordered, at least one.
    pub items: Vec<OrderItem>,
    /// Sum over the items of (sale amount, else amount) × quantity.
    pub subtotal: Amount,
    /// Tax, added to the total.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax: Option<DescribedAmount>,
    /// Shipping, added to the total.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping: Option<DescribedAmount>,
    /// Discount, taken off the total.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount: Option<DescribedAmount>,
    /// Optional Meta id of the catalogue the items belong to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog_id: Option<String>,
    /// When the order stops being payable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration: Option<Expiration>,
}

/// The `expiration` of an order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expiration {
    /// UTC epoch seconds, as a string.
    pub timestamp: String,
    /// Text explaining the expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// One line of an order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderItem {
    /// The item's retailer id (SKU); required.
    pub retailer_id: String,
    /// The item name shown to the user, at most 60 characters.
    pub name: String,
    /// Unit price.
    pub amount: Amount,
    /// Reduced unit price; when given, it is the one counted in the subtotal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sale_amount: Option<Amount>,
    /// How many units, at least 1.
    pub quantity: i64,
    /// Country the item was made in (an import detail), when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_of_origin: Option<String>,
    /// Name of the importer (an import detail), when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub importer_name: Option<String>,
    /// Address of the importer, kept as given.
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
    /// Check the message at `p`: header, body and footer, action name, reference id, goods type,
    /// payment configuration or settings, currency, offsets, and that the subtotal and total add up.
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

/// `order_status`: tells the user where an order stands after payment (docs/PROTOCOL.md §6.3).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderStatus {
    /// `body`: `{"text": "..."}`, at most 1024 characters.
    pub body: TextObj,
    /// Optional `footer`: `{"text": "..."}`, at most 60 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub footer: Option<TextObj>,
    /// The action, named `review_order`, with the order reference and its new status.
    pub action: NamedAction<OrderStatusParams>,
}

/// The `action.parameters` of `order_status`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderStatusParams {
    /// The `reference_id` of the `order_details` message this updates, at most 35 characters.
    pub reference_id: String,
    /// The order's new status.
    pub order: OrderStatusOrder,
}

/// The `order` of `order_status`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderStatusOrder {
    /// One of [`ORDER_STATUSES`]: `pending`, `processing`, `partially_shipped`, `shipped`,
    /// `completed` or `canceled`.
    pub status: String,
    /// Text shown with the status, at most 120 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl OrderStatus {
    /// Check the message at `p`: body and footer, action name `review_order`, reference id, status
    /// and description.
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
