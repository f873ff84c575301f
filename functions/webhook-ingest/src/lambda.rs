//! Lambda wiring: one binary serves both triggers. An SQS event (`Records`) goes to the batch
//! path and answers with `batchItemFailures`; a Function URL request goes to the receiver.

use aws_lambda_events::event::lambda_function_urls::{LambdaFunctionUrlRequest, LambdaFunctionUrlResponse};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use serde_json::Value;
use wapipe_core::lambda::http::{from_function_url, to_function_url};
use wapipe_core::lambda::sqs_event::batch_response;
use wapipe_core::ports::{Bus, Clock, Queue, Store};

use crate::{Ingest, RecordIn, WebhookReceiver};

/// An event this function does not take.
#[derive(Debug, thiserror::Error)]
#[error("unsupported event: {0}")]
pub struct UnsupportedEvent(String);

/// Route one Lambda invocation.
pub async fn handle_event<S: Store, B: Bus, C: Clock, Q: Queue>(
    ingest: &Ingest<S, B, C>,
    receiver: &WebhookReceiver<Q>,
    event: Value,
) -> Result<Value, UnsupportedEvent> {
    if event.get("Records").is_some() {
        let sqs: SqsEvent = serde_json::from_value(event).map_err(|e| UnsupportedEvent(format!("SQS event: {e}")))?;
        let response = handle_sqs(ingest, sqs).await;
        return serde_json::to_value(response).map_err(|e| UnsupportedEvent(e.to_string()));
    }
    if event.pointer("/requestContext/http").is_some() {
        let req: LambdaFunctionUrlRequest =
            serde_json::from_value(event).map_err(|e| UnsupportedEvent(format!("Function URL request: {e}")))?;
        let response = handle_url(receiver, req).await;
        return serde_json::to_value(response).map_err(|e| UnsupportedEvent(e.to_string()));
    }
    Err(UnsupportedEvent("expected an SQS event or a Function URL request".into()))
}

/// The SQS trigger: the batch through [`Ingest::handle_batch`]; the records to retry become
/// `batchItemFailures`.
pub async fn handle_sqs<S: Store, B: Bus, C: Clock>(ingest: &Ingest<S, B, C>, event: SqsEvent) -> SqsBatchResponse {
    batch_response(ingest.handle_batch(&RecordIn::from_event(&event)).await.failures())
}

/// The Function URL trigger: the request to the [`WebhookReceiver`], its answer converted back;
/// a request that cannot be converted is answered 400.
pub async fn handle_url<Q: Queue>(
    receiver: &WebhookReceiver<Q>,
    req: LambdaFunctionUrlRequest,
) -> LambdaFunctionUrlResponse {
    let out = match from_function_url(req) {
        Ok(http) => receiver.handle(&http).await,
        Err(bad) => bad,
    };
    to_function_url(out)
}

/// What the Lambda reads from its environment, besides `Config`.
#[derive(Debug)]
pub struct LambdaSettings {
    /// `WAPIPE_TABLE` (required): the DynamoDB table.
    pub table: String,
    /// `WAPIPE_EVENT_BUS` (required): the EventBridge bus.
    pub event_bus: String,
    /// `WAPIPE_INGEST_QUEUE_URL` (required): where the Function URL puts Meta's bodies.
    pub ingest_queue_url: String,
    /// Meta app secret (`WAPIPE_APP_SECRET`, or Secrets Manager via `WAPIPE_APP_SECRET_ARN`);
    /// required unless `WAPIPE_ALLOW_UNSIGNED=1`, and then `None` means signatures are not checked.
    pub app_secret: Option<Vec<u8>>,
    /// Webhook verify token (`WAPIPE_VERIFY_TOKEN`, or `WAPIPE_VERIFY_TOKEN_ARN`); `None` when
    /// unset or empty.
    pub verify_token: Option<String>,
}

/// Settings that could not be read at init.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A required variable is missing or invalid (including the app secret).
    #[error(transparent)]
    Config(#[from] crate::ConfigError),
    /// A `*_ARN` secret could not be read from Secrets Manager.
    #[error(transparent)]
    Secret(#[from] wapipe_core::aws::SecretError),
}

impl LambdaSettings {
    /// The settings, with the app secret and verify token read through `secrets`: from Secrets
    /// Manager when `WAPIPE_APP_SECRET_ARN` / `WAPIPE_VERIFY_TOKEN_ARN` are set (the stack),
    /// else from `WAPIPE_APP_SECRET` / `WAPIPE_VERIFY_TOKEN` (local, emulator, tests).
    pub async fn load(secrets: &wapipe_core::aws::SecretLoader) -> Result<LambdaSettings, SettingsError> {
        let app_secret = secrets.load("WAPIPE_APP_SECRET").await?;
        let verify_token = secrets.load("WAPIPE_VERIFY_TOKEN").await?;
        Ok(LambdaSettings::from_env(app_secret, verify_token)?)
    }

    /// `WAPIPE_TABLE`, `WAPIPE_EVENT_BUS`, `WAPIPE_INGEST_QUEUE_URL` are required; an app
    /// secret too unless `WAPIPE_ALLOW_UNSIGNED=1` (never in production).
    pub fn from_env(
        app_secret: Option<String>,
        verify_token: Option<String>,
    ) -> Result<LambdaSettings, crate::ConfigError> {
        let required = |name: &'static str| {
            std::env::var(name)
                .ok()
                .filter(|v| !v.trim().is_empty())
                .ok_or(crate::ConfigError { name, problem: "required".into() })
        };
        let app_secret = app_secret.filter(|s| !s.is_empty()).map(String::into_bytes);
        let allow_unsigned = std::env::var("WAPIPE_ALLOW_UNSIGNED").is_ok_and(|v| v == "1");
        if app_secret.is_none() && !allow_unsigned {
            return Err(crate::ConfigError {
                name: "WAPIPE_APP_SECRET",
                problem: "required (or WAPIPE_APP_SECRET_ARN) to check X-Hub-Signature-256 \
                          (set WAPIPE_ALLOW_UNSIGNED=1 only for tests)"
                    .into(),
            });
        }
        Ok(LambdaSettings {
            table: required("WAPIPE_TABLE")?,
            event_bus: required("WAPIPE_EVENT_BUS")?,
            ingest_queue_url: required("WAPIPE_INGEST_QUEUE_URL")?,
            app_secret,
            verify_token: verify_token.filter(|s| !s.is_empty()),
        })
    }
}
