//! webhook-ingest Lambda: wiring only (tracing, config, clients once, run).

// No panics in shipped code (tests may): see `[workspace.lints]` in Cargo.toml.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]
// The handler's future nests the SDK clients' futures deeply.
#![recursion_limit = "256"]

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;
use wapipe_core::aws::{sdk_config, DynamoStore, EventBridgeBus, SecretLoader, SqsQueue};
use wapipe_core::ports::SystemClock;
use webhook_ingest::lambda::{handle_event, LambdaSettings};
use webhook_ingest::{Config, Ingest, WebhookReceiver};

#[tokio::main]
async fn main() -> Result<(), Error> {
    wapipe_core::telemetry::init_lambda();
    let sdk = sdk_config().await;
    let settings = LambdaSettings::load(&SecretLoader::from_env(&sdk)).await?;
    let config = Config::from_env()?;
    let ingest = Ingest::new(
        DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), settings.table),
        EventBridgeBus::new(aws_sdk_eventbridge::Client::new(&sdk), settings.event_bus),
        SystemClock,
        config,
    );
    let receiver = WebhookReceiver {
        queue: SqsQueue::new(aws_sdk_sqs::Client::new(&sdk)),
        queue_url: settings.ingest_queue_url,
        app_secret: settings.app_secret,
        verify_token: settings.verify_token,
    };
    let (ingest, receiver) = (&ingest, &receiver);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        handle_event(ingest, receiver, event.payload).await.map_err(Error::from)
    }))
    .await
}
