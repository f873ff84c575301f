//! Lambda wiring: an SQS event of EventBridge bodies (partial batch response), or the
//! scheduled sweep input `{"sweep": {}}` (from the EventBridge schedule rule).

use aws_lambda_events::event::sqs::SqsEvent;
use serde_json::Value;

use wapipe_core::config::{optional, TableAndBus};
use wapipe_core::lambda::sqs_event::{batch_response, is_sweep};
use wapipe_core::ports::conversions::ConversionsApi;
use wapipe_core::ports::gateway::Gateway;
use wapipe_core::ports::{Bus, Clock, Store};

use crate::{ConfigError, Processor, RecordIn};

/// Handle one Lambda invocation: a sweep, or an SQS batch.
pub async fn handle<S: Store, B: Bus, C: Clock, G: Gateway, V: ConversionsApi>(
    p: &Processor<S, B, C, G, V>,
    input: Value,
) -> Result<Value, String> {
    if is_sweep(&input) {
        let report = p.sweep().await.map_err(|e| e.to_string())?;
        tracing::info!(?report, "sweep done");
        return Ok(serde_json::json!({
            "stale_orders": report.stale_orders,
            "stale_refunds": report.stale_refunds,
            "truncated": report.truncated,
        }));
    }
    let event: SqsEvent = serde_json::from_value(input).map_err(|e| format!("not an SQS event or a sweep: {e}"))?;
    let records: Vec<RecordIn> = RecordIn::from_event(&event);
    let response = batch_response(p.handle_batch(&records).await.failures());
    serde_json::to_value(response).map_err(|e| e.to_string())
}

/// What the Lambda reads from its environment, besides `Config`.
#[derive(Debug)]
pub struct LambdaSettings {
    /// `WAPIPE_TABLE` and `WAPIPE_EVENT_BUS` (both required): the table and the bus the
    /// processor publishes to.
    pub names: TableAndBus,
    /// Razorpay API base (tests point it at the fake gateway).
    pub razorpay_base: String,
}

impl LambdaSettings {
    /// `WAPIPE_TABLE`, `WAPIPE_EVENT_BUS` (both required) and `WAPIPE_RAZORPAY_BASE` (default
    /// `https://api.razorpay.com`).
    pub fn from_env() -> Result<LambdaSettings, ConfigError> {
        Ok(LambdaSettings {
            names: TableAndBus::from_env()?,
            razorpay_base: optional("WAPIPE_RAZORPAY_BASE").unwrap_or_else(|| "https://api.razorpay.com".into()),
        })
    }
}

/// The value of the Razorpay key secret (`WAPIPE_RAZORPAY_KEY`): `key_id:key_secret`, or
/// `manual` (the stack's initial value) for no Razorpay: every refund is then made by hand.
pub fn razorpay_key(secret: &str) -> Result<Option<(String, String)>, ConfigError> {
    if secret.trim() == "manual" {
        return Ok(None);
    }
    match secret.trim().split_once(':') {
        Some((id, s)) if !id.is_empty() && !s.is_empty() => Ok(Some((id.to_string(), s.to_string()))),
        _ => Err(ConfigError { name: "WAPIPE_RAZORPAY_KEY", problem: "expected key_id:key_secret or manual".into() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_secret_is_a_key_or_manual() {
        assert_eq!(razorpay_key("manual").unwrap(), None);
        assert_eq!(razorpay_key("rzp_live_x:s3cr:et").unwrap(), Some(("rzp_live_x".into(), "s3cr:et".into())));
        assert!(razorpay_key("rzp_live_x").is_err());
        assert!(razorpay_key(":x").is_err());
    }
}
