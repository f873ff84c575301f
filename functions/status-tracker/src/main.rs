//! status-tracker Lambda: wiring only (tracing, config, clients once, run).

// No panics in shipped code (tests may): see `[workspace.lints]` in Cargo.toml.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]
// The handler's future nests the SDK clients' futures deeply.
#![recursion_limit = "256"]

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;
use status_tracker::lambda::handle;
use status_tracker::{Config, Tracker};
use wapipe_core::aws::start_function;
use wapipe_core::ports::SystemClock;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let (_, store, bus) = start_function().await?;
    let config = Config::from_env()?;
    let tracker = Tracker::new(store, bus, SystemClock, config);
    let tracker = &tracker;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        handle(tracker, event.payload).await.map_err(Error::from)
    }))
    .await
}
