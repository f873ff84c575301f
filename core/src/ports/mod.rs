//! The ports: one file per thing outside the process that wapipe talks to. Handlers and the
//! application layer are generic over these traits; `aws` and `memory` implement them.
//!
//! - [`store`]: the table (DynamoDB);
//! - [`bus`]: the event bus (EventBridge);
//! - [`queue`]: the queues (SQS);
//! - [`clock`]: the time;
//! - [`messaging`]: sending through EUM Social;
//! - [`accounts`]: the linked WhatsApp accounts and phone numbers;
//! - [`admin`]: templates, media, flows and settings through EUM Social;
//! - [`conversions`]: the Conversions API (click-to-WhatsApp ads) through EUM Social;
//! - [`gateway`]: a payment gateway's refund API.
//!
//! The table, bus, queue and clock share one error type, [`PortError`], split by whether trying
//! again can help. The others carry their own.

pub mod accounts;
pub mod admin;
pub mod bus;
pub mod clock;
pub mod conversions;
pub mod gateway;
pub mod messaging;
pub mod queue;
pub mod store;

pub use bus::{Bus, EntryResult};
pub use clock::{Clock, FixedClock, SystemClock};
pub use queue::{OutgoingMessage, Queue, QueueDepth, QueueMessage};
pub use store::{
    Attrs, Cond, Index, Item, Key, Page, Query, Store, TransactOutcome, Update, Updated, Write, WriteOutcome,
};

/// Errors from any port, split by whether trying again can help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PortError {
    /// Throttling, timeouts, 5xx: the same call may succeed later.
    #[error("{service} {op} failed transiently: {message}")]
    Transient {
        /// The service that failed (`dynamodb`, `sqs`, `eventbridge`, `memory-store`, …).
        service: &'static str,
        /// The operation that failed (the port method, or the AWS operation).
        op: &'static str,
        /// The service's error, with its code.
        message: String,
    },
    /// Bad request, missing resource, access denied: trying again will not help.
    #[error("{service} {op} failed: {message}")]
    Permanent {
        /// The service that failed (`dynamodb`, `sqs`, `eventbridge`, `memory-store`, …).
        service: &'static str,
        /// The operation that failed (the port method, or the AWS operation).
        op: &'static str,
        /// The service's error, with its code.
        message: String,
    },
}

impl PortError {
    /// True for [`PortError::Transient`]: the same call may succeed later.
    pub fn is_retryable(&self) -> bool {
        matches!(self, PortError::Transient { .. })
    }
}

/// What the table, bus and queue ports return.
pub type PortResult<T> = Result<T, PortError>;
