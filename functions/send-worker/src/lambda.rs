//! Lambda wiring: an SQS event in, `batchItemFailures` out.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use wapipe_core::lambda::sqs_event::batch_response;
use wapipe_core::ports::messaging::Messaging;
use wapipe_core::ports::{Bus, Clock, Queue, Store};

use crate::eum_events::is_eum_event;
use crate::{RecordIn, SendWorker};

/// One invocation: the batch through [`SendWorker::handle_batch`]; the records to retry
/// (pacing, transient failures) become `batchItemFailures`. The function has two queues: send
/// requests, and EUM's own events (`EumEventsRule`), which go to
/// [`SendWorker::handle_eum_batch`] (a batch comes from one queue; each body is checked).
pub async fn handle_sqs<S: Store, B: Bus, M: Messaging, Q: Queue, C: Clock>(
    worker: &SendWorker<S, B, M, Q, C>,
    event: SqsEvent,
) -> SqsBatchResponse {
    let records = RecordIn::from_event(&event);
    let (eum, sends): (Vec<RecordIn>, Vec<RecordIn>) = records.into_iter().partition(|r| is_eum_event(&r.body));
    let mut failures = Vec::new();
    if !sends.is_empty() {
        failures.extend(worker.handle_batch(&sends).await.failures());
    }
    if !eum.is_empty() {
        failures.extend(worker.handle_eum_batch(&eum).await.failures());
    }
    batch_response(failures)
}
