//! The SQS side of every consumer Lambda, once: what a record carries, and the partial batch
//! response (`ReportBatchItemFailures`) that retries only the failed records.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsMessage};
use time::OffsetDateTime;

/// The fields of an SQS message every consumer reads.
#[derive(Clone, Debug, PartialEq)]
pub struct SqsRecord {
    /// `messageId` (stable across redeliveries), or `record-<index>` if absent.
    pub id: String,
    pub body: String,
    /// `SentTimestamp`: when the message was first sent.
    pub sent_at: Option<OffsetDateTime>,
    /// `ApproximateReceiveCount` (1 on the first delivery).
    pub receive_count: u32,
    pub receipt_handle: Option<String>,
    pub event_source_arn: Option<String>,
}

impl SqsRecord {
    pub fn from_message(index: usize, m: &SqsMessage) -> SqsRecord {
        let attr = |name: &str| m.attributes.get(name);
        SqsRecord {
            id: m.message_id.clone().unwrap_or_else(|| format!("record-{index}")),
            body: m.body.clone().unwrap_or_default(),
            sent_at: attr("SentTimestamp")
                .and_then(|ms| ms.parse::<i128>().ok())
                .and_then(|ms| OffsetDateTime::from_unix_timestamp_nanos(ms.saturating_mul(1_000_000)).ok()),
            receive_count: attr("ApproximateReceiveCount").and_then(|n| n.parse().ok()).unwrap_or(1),
            receipt_handle: m.receipt_handle.clone(),
            event_source_arn: m.event_source_arn.clone(),
        }
    }
}

/// The record of a consumer behind an EventBridge rule (status tracker, payment processor):
/// what its handler reads of an SQS message, from Lambda or from local mode's queues.
#[derive(Clone, Debug, PartialEq)]
pub struct ConsumerRecord {
    /// SQS `messageId` (stable across redeliveries).
    pub id: String,
    /// The EventBridge event, as a rule delivers it to SQS.
    pub body: String,
    /// SQS `ApproximateReceiveCount` (1 on the first delivery).
    pub receive_count: u32,
    /// SQS `SentTimestamp`: keys parked records deterministically.
    pub sent_at: Option<OffsetDateTime>,
}

impl ConsumerRecord {
    /// From a record of a Lambda SQS event.
    pub fn from_message(index: usize, m: &SqsMessage) -> ConsumerRecord {
        let r = SqsRecord::from_message(index, m);
        ConsumerRecord { id: r.id, body: r.body, receive_count: r.receive_count, sent_at: r.sent_at }
    }

    /// From a message of a queue port (local mode, tests).
    pub fn from_queue(m: &crate::ports::QueueMessage) -> ConsumerRecord {
        ConsumerRecord { id: m.message_id.clone(), body: m.body.clone(), receive_count: m.receive_count, sent_at: None }
    }
}

/// An outcome that asks SQS to deliver its record again.
pub trait Retryable {
    fn is_retry(&self) -> bool;
}

/// One outcome per record of a batch, in input order: (record id, outcome).
#[derive(Clone, Debug, PartialEq)]
pub struct BatchReport<O> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ids_counts_and_times_and_answers_failures() {
        let mut m = SqsMessage::default();
        m.message_id = Some("m1".into());
        m.body = Some("{}".into());
        m.attributes.insert("SentTimestamp".into(), "1758171396000".into());
        m.attributes.insert("ApproximateReceiveCount".into(), "3".into());
        let r = SqsRecord::from_message(0, &m);
        assert_eq!((r.id.as_str(), r.receive_count), ("m1", 3));
        assert_eq!(r.sent_at.map(|t| t.unix_timestamp()), Some(1_758_171_396));
        let blank = SqsRecord::from_message(4, &SqsMessage::default());
        assert_eq!((blank.id.as_str(), blank.receive_count, blank.sent_at), ("record-4", 1, None));
        let json = serde_json::to_value(batch_response(vec!["m1".to_string()])).unwrap();
        assert_eq!(json, serde_json::json!({"batchItemFailures": [{"itemIdentifier": "m1"}]}));
    }
}
