//! Lambda wiring: a Function URL request goes to the endpoint; an SQS event (the queue of
//! `whatsapp.flow.completed` events) goes to the completions and answers `batchItemFailures`.
//! Settings and keys are read once, at init.

use std::path::PathBuf;

use aws_lambda_events::event::lambda_function_urls::LambdaFunctionUrlRequest;
use aws_lambda_events::event::sqs::SqsEvent;
use serde_json::Value;
use wapipe_core::aws::{SecretError, SecretLoader};
use wapipe_core::domain::flows::crypto::{load_private_key, KeyError, KeyRing};
use wapipe_core::lambda::http::{from_function_url, to_function_url};
use wapipe_core::lambda::sqs_event::batch_response;
use wapipe_core::ports::{Bus, Clock, Store};

use crate::completions::{Completions, QueueRecord};
use crate::FlowEndpoint;

/// An event this function does not take.
#[derive(Debug, thiserror::Error)]
#[error("unsupported event: {0}")]
pub struct UnsupportedEvent(String);

/// Route one invocation.
pub async fn handle_event<S: Store + 'static, C: Clock, CompletionStore: Store, B: Bus, CompletionClock: Clock>(
    endpoint: &FlowEndpoint<S, C>,
    completions: &Completions<CompletionStore, B, CompletionClock>,
    event: Value,
) -> Result<Value, UnsupportedEvent> {
    if event.get("Records").is_some() {
        let sqs: SqsEvent = serde_json::from_value(event).map_err(|e| UnsupportedEvent(format!("SQS event: {e}")))?;
        let records = QueueRecord::from_event(&sqs);
        let response = batch_response(completions.handle_batch(&records).await);
        return serde_json::to_value(response).map_err(|e| UnsupportedEvent(e.to_string()));
    }
    if event.pointer("/requestContext/http").is_some() {
        let req: LambdaFunctionUrlRequest =
            serde_json::from_value(event).map_err(|e| UnsupportedEvent(format!("Function URL request: {e}")))?;
        let out = match from_function_url(req) {
            Ok(http) => endpoint.handle(&http).await,
            Err(bad) => bad,
        };
        return serde_json::to_value(to_function_url(out)).map_err(|e| UnsupportedEvent(e.to_string()));
    }
    Err(UnsupportedEvent("expected a Function URL request or an SQS event".into()))
}

/// What the function reads at init.
#[derive(Debug)]
pub struct Settings {
    /// `WAPIPE_TABLE` (required): the DynamoDB table.
    pub table: String,
    /// `WAPIPE_EVENT_BUS` (required): the EventBridge bus, for the completions' parking events.
    pub event_bus: String,
    /// From [`PRIVATE_KEY`] (required) and [`PREVIOUS_PRIVATE_KEY`] (optional), each read from
    /// `<NAME>_ARN`, `<NAME>` or `<NAME>_FILE`, decrypted with [`PASSPHRASE`] when set.
    pub keys: KeyRing,
    /// `WAPIPE_APP_SECRET` (or `WAPIPE_APP_SECRET_ARN`): the Meta app secret; `None` when unset
    /// or empty, and then `X-Hub-Signature-256` is not checked.
    pub app_secret: Option<Vec<u8>>,
    /// Extra flow definitions (`WAPIPE_FLOWS_DIR`), besides the ones built in from `flows/`.
    pub flows_dir: Option<PathBuf>,
}

/// Why the function cannot start (init fails, no request is served).
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A required variable is unset or empty (for the private key: none of its `_ARN`, plain
    /// or `_FILE` forms is set).
    #[error("environment variable {0}: required")]
    Missing(&'static str),
    /// A `<NAME>_ARN` secret could not be read from Secrets Manager.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// A private key PEM that does not parse or does not decrypt with the passphrase.
    #[error("{var}: {source}")]
    Key {
        /// The key's variable: [`PRIVATE_KEY`] or [`PREVIOUS_PRIVATE_KEY`].
        var: &'static str,
        /// Why the key was refused (format, passphrase, size).
        #[source]
        source: KeyError,
    },
    /// The file a `<NAME>_FILE` variable names cannot be read.
    #[error("{var}: cannot read {path}: {message}")]
    File {
        /// The key's variable, without the `_FILE` suffix.
        var: &'static str,
        /// The path `<NAME>_FILE` gave.
        path: String,
        /// The I/O error.
        message: String,
    },
}

/// The current Flows RSA private key (PEM): Secrets Manager via `WAPIPE_FLOW_PRIVATE_KEY_ARN`,
/// the PEM itself, or `WAPIPE_FLOW_PRIVATE_KEY_FILE`. Required.
pub const PRIVATE_KEY: &str = "WAPIPE_FLOW_PRIVATE_KEY";
/// The key replaced by a rotation, in the same three forms (optional): requests Meta still
/// encrypts to the old public key keep being answered.
pub const PREVIOUS_PRIVATE_KEY: &str = "WAPIPE_FLOW_PREVIOUS_PRIVATE_KEY";
/// Passphrase of an `ENCRYPTED PRIVATE KEY` PEM (plain or `_ARN`; optional), shared by both keys.
pub const PASSPHRASE: &str = "WAPIPE_FLOW_KEY_PASSPHRASE";

impl Settings {
    /// `WAPIPE_TABLE` and `WAPIPE_EVENT_BUS` are required. The private key comes from
    /// Secrets Manager (`WAPIPE_FLOW_PRIVATE_KEY_ARN`), else the PEM in
    /// `WAPIPE_FLOW_PRIVATE_KEY`, else the file `WAPIPE_FLOW_PRIVATE_KEY_FILE`; the same three
    /// forms for `WAPIPE_FLOW_PREVIOUS_PRIVATE_KEY` (optional) and `WAPIPE_FLOW_KEY_PASSPHRASE`
    /// (optional, plain or `_ARN`). `WAPIPE_APP_SECRET` (or `_ARN`) turns on signature checks.
    pub async fn load(secrets: &SecretLoader) -> Result<Settings, SettingsError> {
        let required = |name: &'static str| {
            std::env::var(name).ok().filter(|v| !v.trim().is_empty()).ok_or(SettingsError::Missing(name))
        };
        let passphrase = secrets.load(PASSPHRASE).await?;
        let current = pem_from(secrets, PRIVATE_KEY).await?.ok_or(SettingsError::Missing(PRIVATE_KEY))?;
        let previous = pem_from(secrets, PREVIOUS_PRIVATE_KEY).await?;
        let keys = key_ring(&current, previous.as_deref(), passphrase.as_deref())?;
        let app_secret = secrets.load("WAPIPE_APP_SECRET").await?.filter(|s| !s.is_empty()).map(String::into_bytes);
        Ok(Settings {
            table: required("WAPIPE_TABLE")?,
            event_bus: required("WAPIPE_EVENT_BUS")?,
            keys,
            app_secret,
            flows_dir: std::env::var("WAPIPE_FLOWS_DIR").ok().filter(|v| !v.is_empty()).map(PathBuf::from),
        })
    }
}

/// A PEM from `<name>_ARN` / `<name>` (through the secret loader) or the file `<name>_FILE`.
async fn pem_from(secrets: &SecretLoader, name: &'static str) -> Result<Option<String>, SettingsError> {
    if let Some(pem) = secrets.load(name).await? {
        return Ok(Some(pem));
    }
    let file_var = format!("{name}_FILE");
    match std::env::var(&file_var).ok().filter(|p| !p.trim().is_empty()) {
        None => Ok(None),
        Some(path) => std::fs::read_to_string(&path).map(Some).map_err(|e| SettingsError::File {
            var: name,
            path,
            message: e.to_string(),
        }),
    }
}

/// The key ring from PEM texts (the previous key shares the passphrase).
pub fn key_ring(current: &str, previous: Option<&str>, passphrase: Option<&str>) -> Result<KeyRing, SettingsError> {
    let current =
        load_private_key(current, passphrase).map_err(|source| SettingsError::Key { var: PRIVATE_KEY, source })?;
    let previous = previous
        .map(|p| load_private_key(p, passphrase))
        .transpose()
        .map_err(|source| SettingsError::Key { var: PREVIOUS_PRIVATE_KEY, source })?;
    Ok(KeyRing::new(current, previous))
}
