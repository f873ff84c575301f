//! Secrets read once at init: from AWS Secrets Manager when the environment names a secret
//! (`<NAME>_ARN`, as the stack sets it), else from the plain variable `<NAME>` (local mode,
//! the emulator, tests). A function reads each secret once per execution environment; a
//! rotated secret reaches it with the next cold start.
//!
//! ```no_run
//! # async fn demo(sdk: &aws_config::SdkConfig) -> Result<(), wapipe_core::aws::SecretError> {
//! use wapipe_core::aws::SecretLoader;
//! let secrets = SecretLoader::from_env(sdk);
//! let app_secret = secrets.load("WAPIPE_APP_SECRET").await?; // WAPIPE_APP_SECRET_ARN or WAPIPE_APP_SECRET
//! # let _ = app_secret; Ok(()) }
//! ```

use std::sync::Arc;

use aws_config::SdkConfig;
use aws_sdk_secretsmanager::Client;

use crate::ports::PortError;

/// Why a secret could not be read. Init fails on it: a function must not start with a
/// secret it was told to use but could not read.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// Secrets Manager refused or failed (`retryable` for throttling, timeouts, 5xx).
    #[error("{var}: cannot read secret {secret_id}: {source}")]
    Fetch {
        /// The secret's name in the environment (`<NAME>`).
        var: String,
        /// The Secrets Manager secret id that `<NAME>_ARN` gave (an ARN or a name).
        secret_id: String,
        /// What `GetSecretValue` failed with, classified.
        #[source]
        source: PortError,
    },
    /// The secret exists but holds no usable text (binary, empty or not UTF-8).
    #[error("{var}: secret {secret_id} {problem}")]
    Unusable {
        /// The secret's name in the environment (`<NAME>`).
        var: String,
        /// The Secrets Manager secret id that `<NAME>_ARN` gave.
        secret_id: String,
        /// What is wrong: `has no value`, `is empty` or `is binary, not UTF-8 text`.
        problem: &'static str,
    },
}

impl SecretError {
    /// True when trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, SecretError::Fetch { source, .. } if source.is_retryable())
    }
}

/// Where a secret's value comes from, decided from the environment alone (no I/O).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretSource {
    /// `<NAME>_ARN` is set: read this secret id (an ARN or a name) from Secrets Manager.
    SecretsManager(String),
    /// `<NAME>` is set: the value itself.
    Plain(String),
    /// Neither is set.
    Unset,
}

impl SecretSource {
    /// `<NAME>_ARN` wins over `<NAME>`; blank values count as unset.
    pub fn resolve(name: &str, env: impl Fn(&str) -> Option<String>) -> SecretSource {
        let get = |k: &str| env(k).filter(|v| !v.trim().is_empty());
        if let Some(id) = get(&format!("{name}_ARN")) {
            return SecretSource::SecretsManager(id.trim().to_string());
        }
        match get(name) {
            Some(v) => SecretSource::Plain(v),
            None => SecretSource::Unset,
        }
    }
}

type Env = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Reads secrets named by the environment, with a Secrets Manager client that is used only
/// when a secret actually comes from Secrets Manager.
#[derive(Clone)]
pub struct SecretLoader {
    client: Client,
    env: Env,
}

impl std::fmt::Debug for SecretLoader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretLoader").finish_non_exhaustive()
    }
}

impl SecretLoader {
    /// A loader over the process environment.
    pub fn from_env(sdk: &SdkConfig) -> SecretLoader {
        SecretLoader::with_env(sdk, |name| std::env::var(name).ok())
    }

    /// A loader over another environment (tests, or a configuration map).
    pub fn with_env(sdk: &SdkConfig, env: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> SecretLoader {
        SecretLoader { client: Client::new(sdk), env: Arc::new(env) }
    }

    /// Where secret `name` comes from, without reading it.
    pub fn source(&self, name: &str) -> SecretSource {
        SecretSource::resolve(name, |k| (self.env)(k))
    }

    /// The value of secret `name`: from Secrets Manager when `<name>_ARN` is set, else the
    /// plain variable `<name>`, else `None`.
    pub async fn load(&self, name: &str) -> Result<Option<String>, SecretError> {
        match self.source(name) {
            SecretSource::Unset => Ok(None),
            SecretSource::Plain(v) => Ok(Some(v)),
            SecretSource::SecretsManager(id) => fetch(&self.client, name, &id).await.map(Some),
        }
    }
}

/// `GetSecretValue` of the current version as text.
pub async fn fetch(client: &Client, var: &str, secret_id: &str) -> Result<String, SecretError> {
    let out = client.get_secret_value().secret_id(secret_id).send().await.map_err(|e| SecretError::Fetch {
        var: var.to_string(),
        secret_id: secret_id.to_string(),
        source: super::classify_sdk("secretsmanager", "GetSecretValue", &e, &[]),
    })?;
    let unusable = |problem| SecretError::Unusable { var: var.to_string(), secret_id: secret_id.to_string(), problem };
    let text = match (out.secret_string(), out.secret_binary()) {
        (Some(s), _) => s.to_string(),
        (None, Some(b)) => String::from_utf8(b.as_ref().to_vec()).map_err(|_| unusable("is binary, not UTF-8 text"))?,
        (None, None) => return Err(unusable("has no value")),
    };
    if text.trim().is_empty() {
        return Err(unusable("is empty"));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
    }

    #[test]
    fn the_arn_wins_then_the_plain_value_then_nothing() {
        let both = env(&[("S_ARN", "arn:aws:secretsmanager:ap-south-1:1:secret:s"), ("S", "plain")]);
        assert_eq!(
            SecretSource::resolve("S", both),
            SecretSource::SecretsManager("arn:aws:secretsmanager:ap-south-1:1:secret:s".into())
        );
        assert_eq!(SecretSource::resolve("S", env(&[("S", "plain")])), SecretSource::Plain("plain".into()));
        assert_eq!(SecretSource::resolve("S", env(&[("S_ARN", "  "), ("S", "p")])), SecretSource::Plain("p".into()));
        assert_eq!(SecretSource::resolve("S", env(&[("S", "")])), SecretSource::Unset);
        assert_eq!(SecretSource::resolve("S", env(&[])), SecretSource::Unset);
    }
}
