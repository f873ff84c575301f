//! The partial batch response (`ReportBatchItemFailures`) that retries only the failed
//! records, and the per-function report it is built from. The record itself is
//! [`crate::app::consumer::Record`].

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse};

/// An outcome that asks SQS to deliver its record again.
pub trait Retryable {
    /// True when SQS must deliver the record again (its id goes into `batchItemFailures`).
    fn is_retry(&self) -> bool;
}

/// Declares a consumer's `BatchReport` over its outcome type and makes the outcome's
/// `Retry { .. }` variant the one SQS delivers again ([`Retryable`]).
#[macro_export]
macro_rules! batch_report {
    ($outcome:ident) => {
        /// One outcome per record, in input order.
        pub type BatchReport = $crate::lambda::sqs_event::BatchReport<$outcome>;

        impl $crate::lambda::sqs_event::Retryable for $outcome {
            fn is_retry(&self) -> bool {
                matches!(self, $outcome::Retry { .. })
            }
        }
    };
}

/// One outcome per record of a batch, in input order: (record id, outcome).
#[derive(Clone, Debug, PartialEq)]
pub struct BatchReport<O> {
    /// (record id, outcome) per record, in input order; the id is SQS's `messageId`.
    pub outcomes: Vec<(String, O)>,
}

impl<O> Default for BatchReport<O> {
    fn default() -> Self {
        BatchReport { outcomes: Vec::new() }
    }
}

impl<O: Retryable> BatchReport<O> {
    /// Ids for `batchItemFailures`.
    pub fn failures(&self) -> Vec<String> {
        self.outcomes.iter().filter(|(_, o)| o.is_retry()).map(|(id, _)| id.clone()).collect()
    }
}

/// The response that makes SQS retry exactly these message ids.
pub fn batch_response(failed_ids: impl IntoIterator<Item = String>) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for id in failed_ids {
        let mut f = BatchItemFailure::default();
        f.item_identifier = id;
        response.batch_item_failures.push(f);
    }
    response
}

/// Is this Lambda input a scheduled sweep (`{"sweep": …}`, the input the stack's schedule
/// rules give), rather than an SQS event?
pub fn is_sweep(input: &serde_json::Value) -> bool {
    input.get("sweep").is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_failures() {
        let json = serde_json::to_value(batch_response(vec!["m1".to_string()])).unwrap();
        assert_eq!(json, serde_json::json!({"batchItemFailures": [{"itemIdentifier": "m1"}]}));
    }
}
