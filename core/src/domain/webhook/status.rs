//! Statuses of outbound messages (`value.statuses[]`, docs/PROTOCOL.md §3.4) and payment statuses
//! (`type: "payment"`, docs/PROTOCOL.md §6.2).

use serde_json::Value;

use super::{Int, Str, WebhookError};

model! {
    /// One status. `status` is sent, delivered, read, played, failed, deleted, warning, or a
    /// string Meta adds later; for payments (`type: "payment"`) captured, pending or failed.
    pub struct Status {
        /// The wamid of the outbound message the status is about.
        id: Str,
        /// The new status (see above; an open set).
        status: Str,
        /// When it happened, epoch seconds as a string.
        timestamp: Str,
        /// The recipient's WhatsApp id, or the group id; absent when the message went to a BSUID and
        /// the number is not available.
        recipient_id: Str,
        /// The recipient's BSUID.
        recipient_user_id: Str,
        /// The recipient's parent BSUID, by Meta's name for the field until May 2026.
        parent_recipient_user_id: Str,
        /// The recipient's parent BSUID, by Meta's name for the field since May 2026 (both are
        /// read: docs/PROTOCOL.md §10.1).
        recipient_parent_user_id: Str,
        /// `group` for group chats, with `recipient_participant_id`.
        recipient_type: Str,
        /// In a group: the participant (phone number) the status is about.
        recipient_participant_id: Str,
        /// The same participant under the other spelling Meta's pages use (both are read:
        /// docs/PROTOCOL.md §10.0).
        participant_recipient_id: Str,
        /// Echo of the `biz_opaque_callback_data` sent with the message; `wapipe:<request_id>`
        /// joins the status to its send request.
        biz_opaque_callback_data: Str,
        /// `payment` on payment statuses (`call` on call statuses); usually absent otherwise.
        #[serde(rename = "type")]
        kind: Str,
        /// The payer, on payment statuses.
        from: Str,
        /// The conversation the message is billed in; often absent on `failed` and under
        /// per-message pricing.
        conversation: Conversation,
        /// How the message is priced.
        pricing: Pricing,
        /// Why the message failed, on `failed` statuses.
        errors: Vec<WebhookError>,
        /// The payment, on payment statuses.
        payment: Payment,
    }
}

model! {
    /// The `conversation` of a status.
    pub struct Conversation {
        /// Meta's id of the conversation.
        id: Str,
        /// When the conversation ends, epoch seconds.
        expiration_timestamp: Str,
        /// What opened the conversation.
        origin: Origin,
    }
}

model! {
    /// The `origin` of a conversation.
    pub struct Origin {
        /// Its `type`: `service`, `utility`, `marketing`, `authentication`, `referral_conversion`, …
        #[serde(rename = "type")]
        kind: Str,
    }
}

model! {
    /// `pricing_model` CBP (per conversation) or PMP (per message, since July 2025).
    pub struct Pricing {
        /// Whether the message is charged (deprecated by Meta with per-message pricing).
        billable: bool,
        /// `CBP` or `PMP`.
        pricing_model: Str,
        /// The pricing category: `service`, `utility`, `marketing`, `authentication`, …
        category: Str,
        /// Under PMP, the `type`: `regular`, `free_customer_service` or `free_entry_point`.
        #[serde(rename = "type")]
        kind: Str,
    }
}

model! {
    /// The `payment` of a payment status (docs/PROTOCOL.md §6.2).
    pub struct Payment {
        /// The `reference_id` of the `order_details` message being paid.
        reference_id: Str,
        /// The amount of the payment.
        amount: Amount,
        /// ISO 4217 code, e.g. `INR`.
        currency: Str,
        /// The receipt, as sent (empty in Meta's sample).
        receipt: Str,
        /// The payment gateway's transaction.
        transaction: Transaction,
    }
}

model! {
    /// Integer `value` scaled by `offset` (100 ⇒ value in paise).
    pub struct Amount {
        /// The amount in minor units.
        value: Int,
        /// The divisor of `value` (100 for paise).
        offset: Int,
    }
}

model! {
    /// The gateway transaction of a payment.
    pub struct Transaction {
        /// The gateway's transaction id, e.g. `order_SdrcSSqobZ7voR`.
        id: Str,
        /// The gateway: `razorpay`, `payu`, `billdesk`, `zaakpay` or `upi`.
        #[serde(rename = "type")]
        kind: Str,
        /// `pending`, `success` or `failed`.
        status: Str,
        /// When the transaction was created, epoch seconds.
        created_timestamp: Int,
        /// When it last changed, epoch seconds.
        updated_timestamp: Int,
        /// The transaction's amount.
        amount: Amount,
        /// ISO 4217 code, e.g. `INR`.
        currency: Str,
        /// An object `{type}` in the samples; kept as sent (docs/PROTOCOL.md §6.2 marks it unverified).
        method: Value,
        /// Why it failed, when it did.
        error: TransactionError,
        /// Refunds made at the gateway for this payment.
        refunds: Vec<Refund>,
    }
}

model! {
    /// The `error` of a failed transaction.
    pub struct TransactionError {
        /// The error code, as sent.
        code: Str,
        /// The reason, in words.
        reason: Str,
    }
}

model! {
    /// A refund reported in a payment status (`refunds[]`).
    pub struct Refund {
        /// The gateway's refund id, e.g. `rfnd_…`.
        id: Str,
        /// The refunded amount.
        amount: Amount,
        /// `normal` or `instant`.
        speed_processed: Str,
        /// `pending`, `completed` or `failed`.
        status: Str,
        /// When the refund was created, epoch seconds.
        created_timestamp: Int,
        /// When it last changed, epoch seconds.
        updated_timestamp: Int,
    }
}
