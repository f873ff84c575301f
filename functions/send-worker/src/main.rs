//! send-worker Lambda: wiring only (tracing, config, clients once, run).

// No panics in shipped code (tests may): see `[workspace.lints]` in Cargo.toml.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]
#![recursion_limit = "256"]

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use send_worker::{lambda::handle_sqs, Config, SendWorker};
use wapipe_core::aws::{start_function, EumMessaging, SqsQueue};
use wapipe_core::ports::SystemClock;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let (sdk, store, bus) = start_function().await?;
    let config = Config::from_env()?;
    let worker = SendWorker::new(
        store,
        bus,
        EumMessaging::from_conf(&sdk),
        SqsQueue::new(aws_sdk_sqs::Client::new(&sdk)),
        SystemClock,
        config,
    );
    let worker = &worker;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, Error>(handle_sqs(worker, event.payload).await)
    }))
    .await
}
