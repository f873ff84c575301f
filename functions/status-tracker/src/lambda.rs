//! Lambda wiring: an SQS event of EventBridge bodies in, a partial batch response out.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use wapipe_shared::ports::{Bus, Clock, Store};
use wapipe_shared::sqs_event::batch_response;

use crate::{RecordIn, Tracker};

pub async fn handle_sqs<S: Store, B: Bus, C: Clock>(tracker: &Tracker<S, B, C>, event: SqsEvent) -> SqsBatchResponse {
    let records: Vec<RecordIn> = event.records.iter().enumerate().map(|(i, m)| record_in(i, m)).collect();
    batch_response(tracker.handle_batch(&records).await.failures())
}

/// An SQS message as a record: its id, body, receive count and first-send time.
pub fn record_in(index: usize, m: &SqsMessage) -> RecordIn {
    RecordIn::from_message(index, m)
}

/// What the Lambda reads from its environment, besides `Config`: the table and the bus.
pub use wapipe_shared::config::TableAndBus as LambdaSettings;
