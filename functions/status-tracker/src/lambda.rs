//! Lambda wiring: an SQS event of EventBridge bodies in, a partial batch response out.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use wapipe_shared::ports::{Bus, Clock, Store};
use wapipe_shared::sqs_event::{batch_response, SqsRecord};

use crate::{ConfigError, RecordIn, Tracker};

pub async fn handle_sqs<S: Store, B: Bus, C: Clock>(tracker: &Tracker<S, B, C>, event: SqsEvent) -> SqsBatchResponse {
    let records: Vec<RecordIn> = event.records.iter().enumerate().map(|(i, m)| record_in(i, m)).collect();
    batch_response(tracker.handle_batch(&records).await.failures())
}

/// An SQS message as a record: its id, body, receive count and first-send time.
pub fn record_in(index: usize, m: &SqsMessage) -> RecordIn {
    let r = SqsRecord::from_message(index, m);
    RecordIn { id: r.id, body: r.body, receive_count: r.receive_count, sent_at: r.sent_at }
}

/// What the Lambda reads from its environment, besides `Config`.
#[derive(Debug)]
pub struct LambdaSettings {
    pub table: String,
    pub event_bus: String,
}

impl LambdaSettings {
    /// `WAPIPE_TABLE` and `WAPIPE_EVENT_BUS`, both required.
    pub fn from_env() -> Result<LambdaSettings, ConfigError> {
        let required = |name: &'static str| {
            std::env::var(name)
                .ok()
                .filter(|v| !v.trim().is_empty())
                .ok_or(ConfigError { name, problem: "required".into() })
        };
        Ok(LambdaSettings { table: required("WAPIPE_TABLE")?, event_bus: required("WAPIPE_EVENT_BUS")? })
    }
}
