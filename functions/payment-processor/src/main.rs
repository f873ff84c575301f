//! payment-processor Lambda: wiring only (tracing, config, clients once, run).

// No panics in shipped code (tests may): see `[workspace.lints]` in Cargo.toml.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]
#![recursion_limit = "256"]

use std::time::Duration;

use lambda_runtime::{service_fn, Error, LambdaEvent};
use payment_processor::lambda::{handle, razorpay_key, LambdaSettings};
use payment_processor::razorpay::Razorpay;
use payment_processor::{Config, Processor};
use serde_json::Value;
use wapipe_core::app::conversions::Conversions;
use wapipe_core::aws::{sdk_config, table_and_bus, EumAdmin, SecretLoader};
use wapipe_core::ports::SystemClock;

#[tokio::main]
async fn main() -> Result<(), Error> {
    wapipe_core::telemetry::init_lambda();
    let settings = LambdaSettings::from_env()?;
    let config = Config::from_env()?;
    let sdk = sdk_config().await;
    let (store, bus) = table_and_bus(&sdk, settings.names);
    // No Razorpay key (WAPIPE_RAZORPAY_KEY[_ARN] unset or "manual"): every refund is manual.
    let secret = SecretLoader::from_env(&sdk).load("WAPIPE_RAZORPAY_KEY").await?;
    let gateway = match secret.as_deref().map(razorpay_key).transpose()?.flatten() {
        Some((id, key)) => Some(Razorpay::new(&settings.razorpay_base, &id, &key, Duration::from_secs(10))?),
        None => None,
    };
    let rules = config.conversions.clone();
    let conversions = Conversions::new(EumAdmin::from_conf(&sdk), rules);
    let processor = Processor::new(store, bus, SystemClock, gateway, config).with_conversions(conversions);
    let processor = &processor;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        handle(processor, event.payload).await.map_err(Error::from)
    }))
    .await
}
