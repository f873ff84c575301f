//! The payment gateway port: WhatsApp has no refund API (docs/PROTOCOL.md §6.2), so refunds go to the
//! gateway that captured the payment — or to an operator ([`ManualGateway`]). Adapters must
//! make `refund` idempotent by `key`: when an earlier call's answer was lost, calling again
//! with the same key must find that refund, never create a second one.

use std::future::Future;

/// One refund to make.
#[derive(Clone, Debug, PartialEq)]
pub struct RefundCall {
    /// The wapipe order (`reference_id`): goes into the gateway's notes.
    pub reference_id: String,
    /// The requester's idempotency key: the adapter's lookup key at the gateway.
    pub key: String,
    /// The gateway's payment (or order) id from the capture webhook's `transaction.id`.
    pub payment_id: String,
    /// Minor units.
    pub amount: i64,
    /// The order's ISO 4217 currency code (`INR`, …).
    pub currency: String,
}

/// A refund's status at the gateway.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GatewayStatus {
    /// Accepted, money not yet back (Razorpay `pending`).
    Pending,
    /// Money returned (Razorpay `processed`).
    Processed,
    /// The gateway gave up on the refund (Razorpay `failed`): the money was not returned.
    Failed,
}

/// What the gateway said about a refund.
#[derive(Clone, Debug, PartialEq)]
pub enum RefundAnswer {
    /// The gateway has the refund (created now, or found by its key).
    Gateway {
        /// The gateway's refund id.
        id: String,
        /// Where the refund stands.
        status: GatewayStatus,
        /// The amount refunded, in minor units, as the gateway reports it.
        amount: i64,
    },
    /// Nothing to call: an operator makes the refund and reports it (`refund-done`).
    AwaitingOperator,
}

/// Gateway failures, split by whether calling again can help.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    /// 5xx, 429, timeouts, a lost answer: call again (the adapter looks the key up first).
    #[error("gateway {gateway}: {message} (retryable)")]
    Retryable {
        /// The adapter's name ([`Gateway::name`]).
        gateway: &'static str,
        /// What went wrong.
        message: String,
    },
    /// The gateway refused (bad request, refund exceeds the payment, auth): calling again
    /// with the same input fails the same way.
    #[error("gateway {gateway} refused: {message}")]
    Permanent {
        /// The adapter's name ([`Gateway::name`]).
        gateway: &'static str,
        /// The gateway's reason.
        message: String,
    },
}

impl GatewayError {
    /// True for [`GatewayError::Retryable`]: the same call may succeed later.
    pub fn is_retryable(&self) -> bool {
        matches!(self, GatewayError::Retryable { .. })
    }
}

/// A refund gateway.
///
/// # Errors
///
/// [`GatewayError`]: `Retryable` when the same call may succeed later (the gateway's
/// idempotency key makes a repeat safe), otherwise permanent.
pub trait Gateway: Send + Sync {
    /// The adapter's name, recorded on each refund (`razorpay`, `manual`).
    fn name(&self) -> &'static str;
    /// Make (or find, by `call.key`) the refund.
    fn refund(&self, call: &RefundCall) -> impl Future<Output = Result<RefundAnswer, GatewayError>> + Send;
}

/// Refunds made by a person (Brazil Pix devolução, payment links, gateways without an adapter):
/// the refund waits in `submitted` until `wapipe payments refund-done` reports it.
#[derive(Clone, Copy, Debug, Default)]
pub struct ManualGateway;

impl Gateway for ManualGateway {
    fn name(&self) -> &'static str {
        "manual"
    }
    async fn refund(&self, _call: &RefundCall) -> Result<RefundAnswer, GatewayError> {
        Ok(RefundAnswer::AwaitingOperator)
    }
}

impl<T: Gateway + ?Sized> Gateway for std::sync::Arc<T> {
    fn name(&self) -> &'static str {
        (**self).name()
    }
    fn refund(&self, call: &RefundCall) -> impl Future<Output = Result<RefundAnswer, GatewayError>> + Send {
        (**self).refund(call)
    }
}
