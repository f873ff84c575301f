//! Lambda wiring: an SQS event of EventBridge bodies in, a partial batch response out.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use wapipe_core::app::consumer::Record;
use wapipe_core::lambda::sqs_event::batch_response;
use wapipe_core::ports::{Bus, Clock, Store};

use crate::Tracker;

/// One invocation: the batch through [`Tracker::handle_batch`]; the records to retry become
/// `batchItemFailures`.
pub async fn handle_sqs<S: Store, B: Bus, C: Clock>(tracker: &Tracker<S, B, C>, event: SqsEvent) -> SqsBatchResponse {
    batch_response(tracker.handle_batch(&Record::from_event(&event)).await.failures())
}
