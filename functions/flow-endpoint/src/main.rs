//! flow-endpoint Lambda: wiring only (tracing, settings and keys once, clients once, run).

// No panics in shipped code (tests may): see `[workspace.lints]` in Cargo.toml.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]
#![recursion_limit = "256"]

use flow_endpoint::lambda::{handle_event, Settings};
use flow_endpoint::{registry, Completions, FlowEndpoint};
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;
use wapipe_core::aws::{sdk_config, DynamoStore, EventBridgeBus, SecretLoader};
use wapipe_core::ports::SystemClock;

#[tokio::main]
async fn main() -> Result<(), Error> {
    wapipe_core::telemetry::init_lambda();
    let sdk = sdk_config().await;
    let settings = Settings::load(&SecretLoader::from_env(&sdk)).await?;
    if settings.app_secret.is_none() {
        tracing::warn!("no WAPIPE_APP_SECRET: X-Hub-Signature-256 is not checked on flow requests");
    }
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), settings.table);
    let endpoint = FlowEndpoint {
        flows: registry(settings.flows_dir.as_deref())?,
        store: store.clone(),
        clock: SystemClock,
        keys: settings.keys,
        app_secret: settings.app_secret,
    };
    let bus = EventBridgeBus::new(aws_sdk_eventbridge::Client::new(&sdk), settings.event_bus);
    let completions = Completions::new(store, bus, SystemClock);
    let (endpoint, completions) = (&endpoint, &completions);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        handle_event(endpoint, completions, event.payload).await.map_err(Error::from)
    }))
    .await
}
