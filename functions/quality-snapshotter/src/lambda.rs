//! Lambda wiring: one handler for both inputs. An SQS event (`Records`) is the rule's batch
//! and answers with a partial batch response; anything else is the schedule (an EventBridge
//! `Scheduled Event`, or `{"action": "snapshot"}` from a manual invoke) and answers with the
//! run's report.

use aws_lambda_events::event::sqs::SqsEvent;
use serde_json::Value;
use wapipe_core::lambda::sqs_event::batch_response;
use wapipe_core::ports::accounts::Accounts;
use wapipe_core::ports::{Bus, Clock, Store};

use crate::{RecordIn, Snapshotter};

/// Which input a payload is.
#[derive(Debug)]
pub enum Input {
    /// A batch from the `QualityRule` queue.
    Sqs(SqsEvent),
    /// The hourly schedule, or a manual `{"action": "snapshot"}`: snapshot every linked number.
    Schedule,
}

/// Tell the inputs apart; a payload with `Records` that is not an SQS event is an error
/// naming the field.
pub fn classify(payload: Value) -> Result<Input, String> {
    if payload.get("Records").is_some() {
        return serde_json::from_value(payload).map(Input::Sqs).map_err(|e| format!("field `Records`: {e}"));
    }
    match payload.get("action").and_then(Value::as_str) {
        None | Some("snapshot") => Ok(Input::Schedule),
        Some(other) => Err(format!("field `action`: expected \"snapshot\", got {other:?}")),
    }
}

/// Handle one invocation.
pub async fn handle<S: Store, B: Bus, A: Accounts, C: Clock>(
    s: &Snapshotter<S, B, A, C>,
    payload: Value,
) -> Result<Value, String> {
    match classify(payload)? {
        Input::Sqs(event) => {
            let records: Vec<RecordIn> = RecordIn::from_event(&event);
            let response = batch_response(s.handle_batch(&records).await.failures());
            serde_json::to_value(response).map_err(|e| e.to_string())
        }
        Input::Schedule => {
            let report = s.snapshot_all().await;
            let value = serde_json::to_value(&report).map_err(|e| e.to_string())?;
            if report.failed() {
                return Err(format!("snapshot failed: {value}"));
            }
            Ok(value)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tells_schedule_from_sqs() {
        assert!(matches!(
            classify(json!({"source": "aws.events", "detail-type": "Scheduled Event"})),
            Ok(Input::Schedule)
        ));
        assert!(matches!(classify(json!({"Records": []})), Ok(Input::Sqs(_))));
        assert!(classify(json!({"Records": 3})).unwrap_err().contains("Records"));
        assert!(classify(json!({"action": "drop"})).unwrap_err().contains("action"));
    }
}
