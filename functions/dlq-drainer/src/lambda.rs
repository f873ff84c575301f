//! Lambda wiring: the schedule (an EventBridge `Scheduled Event`: every queue, defaults) or a
//! manual invoke (`{queues, max_messages, dry_run}`), answered with the run's report.

use serde_json::Value;
use wapipe_core::ports::{Bus, Clock, Queue, Store};

use crate::drain::DrainRequest;
use crate::Drainer;

/// The request a payload carries; bad input is an error naming the field.
pub fn request_of(payload: Value) -> Result<DrainRequest, String> {
    if payload.get("source").and_then(Value::as_str) == Some("aws.events") || payload.is_null() {
        return Ok(DrainRequest::default());
    }
    serde_json::from_value(payload).map_err(|e| format!("invocation: {e}"))
}

/// One invocation: drain with the request the payload carries ([`request_of`]) and answer
/// with the [`DrainReport`](crate::DrainReport) as JSON. A bad payload is an error and moves nothing;
/// per-message failures are inside the report, not an error.
pub async fn handle<Q: Queue, S: Store, B: Bus, C: Clock>(
    d: &Drainer<Q, S, B, C>,
    payload: Value,
) -> Result<Value, String> {
    let req = request_of(payload)?;
    let report = d.run(&req, &|_, _| {}).await?;
    serde_json::to_value(&report).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn schedule_and_manual_inputs() {
        assert_eq!(
            request_of(json!({"source": "aws.events", "detail-type": "Scheduled Event"})),
            Ok(DrainRequest::default())
        );
        let r = request_of(json!({"queues": ["send-worker"], "max_messages": 5, "dry_run": true})).unwrap();
        assert_eq!((r.queues.len(), r.max_messages, r.dry_run), (1, Some(5), true));
        assert!(request_of(json!({"queue": "x"})).unwrap_err().contains("queue"));
        assert!(request_of(json!({"max_messages": -1})).is_err());
    }
}
