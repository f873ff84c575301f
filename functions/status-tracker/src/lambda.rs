//! Lambda wiring: an SQS event of EventBridge bodies in, a partial batch response out; or the
//! scheduled feed sweep input `{"sweep": {}}` (from the stack's schedule rule).

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use serde_json::Value;
use wapipe_core::app::consumer::Record;
use wapipe_core::lambda::sqs_event::{batch_response, is_sweep};
use wapipe_core::ports::{Bus, Clock, PortError, Store};

use crate::Tracker;

/// Why an invocation failed as a whole (an SQS batch never does: its records are retried one
/// by one).
#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    /// The input is neither an SQS event nor a sweep.
    #[error("not an SQS event or a sweep: {0}")]
    Input(#[from] serde_json::Error),
    /// The sweep's index, table or bus failed; the next scheduled sweep takes it up again.
    #[error("feed sweep: {0}")]
    Sweep(#[from] PortError),
}

/// One invocation: the batch through [`Tracker::handle_batch`]; the records to retry become
/// `batchItemFailures`.
pub async fn handle_sqs<S: Store, B: Bus, C: Clock>(tracker: &Tracker<S, B, C>, event: SqsEvent) -> SqsBatchResponse {
    batch_response(tracker.handle_batch(&Record::from_event(&event)).await.failures())
}

/// One invocation of any input: a sweep (its report), or an SQS batch (its partial batch
/// response).
pub async fn handle<S: Store, B: Bus, C: Clock>(
    tracker: &Tracker<S, B, C>,
    input: Value,
) -> Result<Value, InvokeError> {
    if is_sweep(&input) {
        let r = tracker.sweep().await?;
        return Ok(serde_json::json!({
            "feed_gaps": r.gaps,
            "missing_on_sns": r.missing_on_sns,
            "missing_on_eventbridge": r.missing_on_eventbridge,
            "matched": r.matched,
            "foreign": r.foreign,
            "truncated": r.truncated,
        }));
    }
    let event: SqsEvent = serde_json::from_value(input)?;
    Ok(serde_json::to_value(handle_sqs(tracker, event).await)?)
}
