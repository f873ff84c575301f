//! Statuses of outbound messages (`value.statuses[]`, docs/PROTOCOL.md §3.4) and payment statuses
//! (`type: "payment"`, docs/PROTOCOL.md §6.2).

use serde_json::Value;

use super::{Int, Str, WebhookError};

model! {
    /// One status. `status` is sent, delivered, read, played, failed, deleted, warning, or a
    /// string Meta adds later; for payments (`type: "payment"`) captured, pending or failed.
    pub struct Status {
        id: Str,
        status: Str,
        timestamp: Str,
        recipient_id: Str,
        recipient_user_id: Str,
        parent_recipient_user_id: Str,
        /// `group` for group chats, with `recipient_participant_id`.
        recipient_type: Str,
        recipient_participant_id: Str,
        biz_opaque_callback_data: Str,
        #[serde(rename = "type")] kind: Str,
        /// The payer, on payment statuses.
        from: Str,
        conversation: Conversation,
        pricing: Pricing,
        errors: Vec<WebhookError>,
        payment: Payment,
    }
}

model! {
    pub struct Conversation { id: Str, expiration_timestamp: Str, origin: Origin }
}

model! {
    pub struct Origin { #[serde(rename = "type")] kind: Str }
}

model! {
    /// `pricing_model` CBP (per conversation) or PMP (per message, since July 2025).
    pub struct Pricing {
        billable: bool,
        pricing_model: Str,
        category: Str,
        #[serde(rename = "type")] kind: Str,
    }
}

model! {
    pub struct Payment {
        reference_id: Str,
        amount: Amount,
        currency: Str,
        receipt: Str,
        transaction: Transaction,
    }
}

model! {
    /// Integer `value` scaled by `offset` (100 ⇒ value in paise).
    pub struct Amount { value: Int, offset: Int }
}

model! {
    pub struct Transaction {
        id: Str,
        #[serde(rename = "type")] kind: Str,
        status: Str,
        created_timestamp: Int,
        updated_timestamp: Int,
        amount: Amount,
        currency: Str,
        /// An object `{type}` in the samples; kept as sent (docs/PROTOCOL.md §6.2 marks it unverified).
        method: Value,
        error: TransactionError,
        refunds: Vec<Refund>,
    }
}

model! {
    pub struct TransactionError { code: Str, reason: Str }
}

model! {
    pub struct Refund {
        id: Str,
        amount: Amount,
        speed_processed: Str,
        status: Str,
        created_timestamp: Int,
        updated_timestamp: Int,
    }
}
