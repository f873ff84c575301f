//! Lambda wiring: an SQS event in, `batchItemFailures` out.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use wapipe_core::lambda::sqs_event::batch_response;
use wapipe_core::ports::messaging::Messaging;
use wapipe_core::ports::{Bus, Clock, Queue, Store};

use crate::{RecordIn, SendWorker};

/// One invocation: the batch through [`SendWorker::handle_batch`]; the records to retry
/// (pacing, transient failures) become `batchItemFailures`.
pub async fn handle_sqs<S: Store, B: Bus, M: Messaging, Q: Queue, C: Clock>(
    worker: &SendWorker<S, B, M, Q, C>,
    event: SqsEvent,
) -> SqsBatchResponse {
    batch_response(worker.handle_batch(&RecordIn::from_event(&event)).await.failures())
}
