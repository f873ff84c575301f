//! Features EUM Social does not offer, kept in wapipe's own table (capability registry:
//! `local_only` rows): the business profile with its version history and manual apply,
//! catalog products (checked by product sends), group metadata, and calling (click-to-chat
//! deep links, call settings). Each answers truthfully: the stored record, plus the runbook
//! for the change only WhatsApp Manager can make.

pub mod calling;
pub mod catalog;
pub mod groups;
pub mod profile;

use crate::ports::{PortError, Query, Store};

/// Why a local-only operation failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BusinessError {
    /// Bad input; `field` names it.
    #[error("{field}: {message}")]
    Invalid {
        /// The input at fault (`retailer_id`, `websites[1]`, …).
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// What was asked for is not recorded; the text names it.
    #[error("{0}")]
    NotFound(String),
    /// A concurrent change won; read again and retry.
    #[error("{0}")]
    Conflict(String),
    /// The table failed; [`PortError`] says whether trying again can help.
    #[error(transparent)]
    Store(#[from] PortError),
}

impl BusinessError {
    /// A [`BusinessError::Invalid`] for `field`.
    pub fn invalid(field: &str, message: impl Into<String>) -> BusinessError {
        BusinessError::Invalid { field: field.to_string(), message: message.into() }
    }
}

/// Every item of a partition with a sort-key prefix (bounded: 100 pages).
pub async fn query_all<S: Store>(
    store: &S,
    pk: String,
    prefix: &str,
) -> Result<Vec<crate::ports::Item>, BusinessError> {
    Ok(crate::app::paging::all_items(store, Query::table(pk, prefix), crate::app::paging::MAX_PAGES).await?)
}

/// Epoch milliseconds of a time.
pub fn epoch_ms(t: time::OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

#[cfg(test)]
mod tests;
