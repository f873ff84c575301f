//! Lambda wiring: one binary serves both triggers. An SQS event (`Records`) goes to the batch
//! path and answers with `batchItemFailures`; a Function URL request goes to the receiver.

use std::collections::BTreeMap;

use aws_lambda_events::event::lambda_function_urls::{LambdaFunctionUrlRequest, LambdaFunctionUrlResponse};
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use aws_lambda_events::http::{HeaderMap, HeaderValue};
use base64::Engine;
use serde_json::Value;
use time::OffsetDateTime;
use wapipe_shared::ports::{Bus, Clock, Queue, Store};

use crate::{HttpRequest, Ingest, RecordIn, WebhookReceiver};

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

pub async fn handle_sqs<S: Store, B: Bus, C: Clock>(ingest: &Ingest<S, B, C>, event: SqsEvent) -> SqsBatchResponse {
    let records: Vec<RecordIn> = event.records.iter().enumerate().map(|(i, m)| record_in(i, m)).collect();
    let report = ingest.handle_batch(&records).await;
    let mut response = SqsBatchResponse::default();
    for id in report.failures() {
        let mut f = BatchItemFailure::default();
        f.item_identifier = id;
        response.batch_item_failures.push(f);
    }
    response
}

/// An SQS message as a record: its id, body and first-send time.
pub fn record_in(index: usize, m: &SqsMessage) -> RecordIn {
    let sent_at = m
        .attributes
        .get("SentTimestamp")
        .and_then(|ms| ms.parse::<i128>().ok())
        .and_then(|ms| OffsetDateTime::from_unix_timestamp_nanos(ms * 1_000_000).ok());
    RecordIn {
        id: m.message_id.clone().unwrap_or_else(|| format!("record-{index}")),
        body: m.body.clone().unwrap_or_default(),
        sent_at,
    }
}

pub async fn handle_url<Q: Queue>(
    receiver: &WebhookReceiver<Q>,
    req: LambdaFunctionUrlRequest,
) -> LambdaFunctionUrlResponse {
    let body = match req.body {
        Some(b) if req.is_base64_encoded => base64::engine::general_purpose::STANDARD.decode(b.as_bytes()).ok(),
        Some(b) => Some(b.into_bytes()),
        None => Some(Vec::new()),
    };
    let mut headers = BTreeMap::new();
    for (name, value) in req.headers.iter() {
        if let Ok(v) = value.to_str() {
            headers.insert(name.as_str().to_ascii_lowercase(), v.to_string());
        }
    }
    let out = match body {
        None => crate::HttpResponse::text(400, "body is not valid base64"),
        Some(body) => {
            let http = HttpRequest {
                method: req.request_context.http.method.clone().unwrap_or_default().to_ascii_uppercase(),
                path: req.raw_path.clone().unwrap_or_default(),
                query: req.raw_query_string.clone().unwrap_or_default(),
                headers,
                body,
            };
            receiver.handle(&http).await
        }
    };
    let mut response = LambdaFunctionUrlResponse::default();
    response.status_code = i64::from(out.status);
    let mut h = HeaderMap::new();
    h.insert("content-type", HeaderValue::from_static(out.content_type));
    response.headers = h;
    response.body = Some(out.body);
    response
}

/// What the Lambda reads from its environment, besides `Config`.
#[derive(Debug)]
pub struct LambdaSettings {
    pub table: String,
    pub event_bus: String,
    pub ingest_queue_url: String,
    pub app_secret: Option<Vec<u8>>,
    pub verify_token: Option<String>,
}

impl LambdaSettings {
    /// `WAPIPE_TABLE`, `WAPIPE_EVENT_BUS`, `WAPIPE_INGEST_QUEUE_URL` are required;
    /// `WAPIPE_APP_SECRET` too unless `WAPIPE_ALLOW_UNSIGNED=1` (never in production).
    pub fn from_env() -> Result<LambdaSettings, crate::ConfigError> {
        let required = |name: &'static str| {
            std::env::var(name)
                .ok()
                .filter(|v| !v.trim().is_empty())
                .ok_or(crate::ConfigError { name, problem: "required".into() })
        };
        let app_secret = std::env::var("WAPIPE_APP_SECRET").ok().filter(|s| !s.is_empty()).map(String::into_bytes);
        let allow_unsigned = std::env::var("WAPIPE_ALLOW_UNSIGNED").is_ok_and(|v| v == "1");
        if app_secret.is_none() && !allow_unsigned {
            return Err(crate::ConfigError {
                name: "WAPIPE_APP_SECRET",
                problem: "required to check X-Hub-Signature-256 (set WAPIPE_ALLOW_UNSIGNED=1 only for tests)".into(),
            });
        }
        Ok(LambdaSettings {
            table: required("WAPIPE_TABLE")?,
            event_bus: required("WAPIPE_EVENT_BUS")?,
            ingest_queue_url: required("WAPIPE_INGEST_QUEUE_URL")?,
            app_secret,
            verify_token: std::env::var("WAPIPE_VERIFY_TOKEN").ok().filter(|s| !s.is_empty()),
        })
    }
}
