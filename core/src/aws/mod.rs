//! Adapters of the ports on the official AWS SDK crates.
//!
//! Errors are classified once per service (`dynamo::classify`, `eventbridge::classify`,
//! `sqs::classify`), all on top of [`classify_sdk`]: throttling, timeouts, dispatch and I/O
//! failures and 5xx are `Transient`; everything else is `Permanent`.

mod accounts;
mod admin;
pub mod convert;
mod dynamo;
mod eventbridge;
mod expr;
pub mod secrets;
mod socialmessaging;
mod sqs;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::config::Credentials;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use crate::ports::PortError;

pub use accounts::EumAccounts;
pub use admin::EumAdmin;
pub use dynamo::DynamoStore;
pub use eventbridge::EventBridgeBus;
pub use secrets::{SecretError, SecretLoader, SecretSource};
pub use socialmessaging::{to_messaging_error, EumMessaging};
pub use sqs::SqsQueue;

/// What every function's `main` does first: JSON logs, then `WAPIPE_TABLE` and
/// `WAPIPE_EVENT_BUS`, the SDK configuration from the environment, and the table and the bus
/// on it.
///
/// # Errors
///
/// `WAPIPE_TABLE` or `WAPIPE_EVENT_BUS` is missing.
pub async fn start_function() -> Result<(SdkConfig, DynamoStore, EventBridgeBus), crate::config::ConfigError> {
    crate::telemetry::init_lambda();
    let names = crate::config::TableAndBus::from_env()?;
    let sdk = sdk_config().await;
    let (store, bus) = table_and_bus(&sdk, names);
    Ok((sdk, store, bus))
}

/// The table and the bus a function keeps its state in and publishes to, on one SDK
/// configuration: what every function's `main` builds first.
pub fn table_and_bus(sdk: &SdkConfig, names: crate::config::TableAndBus) -> (DynamoStore, EventBridgeBus) {
    (
        DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk), names.table),
        EventBridgeBus::new(aws_sdk_eventbridge::Client::new(sdk), names.event_bus),
    )
}

/// The SDK configuration from the environment (region, credentials, and `AWS_ENDPOINT_URL` /
/// `AWS_ENDPOINT_URL_<SERVICE>` when set, which aws-config honours itself).
pub async fn sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest()).load().await
}

/// Configuration pinned to one endpoint (an emulator on 127.0.0.1) with static test
/// credentials: nothing here can reach real AWS by accident.
pub async fn sdk_config_for_endpoint(url: &str, region: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(url)
        .region(Region::new(region.to_string()))
        .credentials_provider(Credentials::new("test", "test", None, None, "wapipe-static-test"))
        .load()
        .await
}

/// Error codes that mean "slow down or try again", across services.
const RETRYABLE_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "SlowDown",
    "PriorRequestNotComplete",
    "TransactionInProgressException",
    "RequestTimeout",
    "RequestTimeoutException",
    "InternalFailure",
    "InternalError",
    "InternalServerError",
    "InternalException",
    "ServiceUnavailable",
    "ServiceUnavailableException",
];

/// Classify an SDK error. `extra_retryable` lists service-specific codes that are transient.
pub(crate) fn classify_sdk<E>(
    service: &'static str,
    op: &'static str,
    err: &SdkError<E, HttpResponse>,
    extra_retryable: &[&str],
) -> PortError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let message = DisplayErrorContext(err).to_string();
    let transient = match err {
        SdkError::ConstructionFailure(_) => false,
        SdkError::TimeoutError(_) | SdkError::ResponseError(_) => true,
        SdkError::DispatchFailure(d) => !d.is_user(),
        SdkError::ServiceError(s) => {
            let code = err.code().unwrap_or_default();
            s.raw().status().as_u16() >= 500 || RETRYABLE_CODES.contains(&code) || extra_retryable.contains(&code)
        }
        _ => err.raw_response().is_some_and(|r| r.status().as_u16() >= 500),
    };
    if transient {
        PortError::Transient { service, op, message }
    } else {
        PortError::Permanent { service, op, message }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::operation::get_item::GetItemError;
    use aws_sdk_dynamodb::types::error::ResourceNotFoundException;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;

    fn service_error(status: u16, code: &str) -> SdkError<GetItemError, HttpResponse> {
        let meta = ErrorMetadata::builder().code(code).message("m").build();
        let raw = HttpResponse::new(status.try_into().unwrap(), SdkBody::empty());
        SdkError::service_error(GetItemError::generic(meta), raw)
    }

    #[test]
    fn throttling_and_5xx_are_transient_the_rest_permanent() {
        assert!(classify_sdk("dynamodb", "get", &service_error(400, "ThrottlingException"), &[]).is_retryable());
        assert!(classify_sdk("dynamodb", "get", &service_error(500, "Whatever"), &[]).is_retryable());
        assert!(classify_sdk("dynamodb", "get", &service_error(400, "Custom"), &["Custom"]).is_retryable());
        assert!(!classify_sdk("dynamodb", "get", &service_error(400, "ValidationException"), &[]).is_retryable());
        let e: SdkError<GetItemError, HttpResponse> = SdkError::timeout_error("slow");
        assert!(classify_sdk("dynamodb", "get", &e, &[]).is_retryable());
        let e: SdkError<GetItemError, HttpResponse> = SdkError::construction_failure("bad input");
        assert!(!classify_sdk("dynamodb", "get", &e, &[]).is_retryable());
        let not_found =
            GetItemError::ResourceNotFoundException(ResourceNotFoundException::builder().message("no table").build());
        let raw = HttpResponse::new(400.try_into().unwrap(), SdkBody::empty());
        assert!(!classify_sdk("dynamodb", "get", &SdkError::service_error(not_found, raw), &[]).is_retryable());
    }
}
