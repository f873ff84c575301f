//! webhook-ingest: EUM events (SQS ← SNS) and direct Meta webhooks (Function URL) into the
//! table and the bus. The handlers are plain async functions over ports; `main` only wires.

// No panics in shipped code (tests may): see `[workspace.lints]` in Cargo.toml.
#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

pub mod batch;
pub mod http;
pub mod lambda;

pub use batch::{decode_records, BatchReport, Decoded, Ingest, Outcome, RecordIn};
pub use http::{HttpRequest, HttpResponse, WebhookReceiver};

use wapipe_core::app::publish::RetryPolicy;

/// Tunables, from the environment in Lambda (`Config::from_env`).
#[derive(Clone, Debug)]
pub struct Config {
    /// Name used for parked records and events (`PARKED#<source>`).
    pub source: String,
    /// How long dedupe marks live.
    pub seen_ttl_secs: i64,
    /// Retention of inbound message records; `None` keeps them.
    pub message_ttl_secs: Option<i64>,
    /// Retries of each publish (default: 4 rounds, waits of 50 ms up to 1 s).
    pub publish: RetryPolicy,
    /// How many contacts' records finish at once (`WAPIPE_CONCURRENCY`).
    pub run: wapipe_core::app::consumer::Options,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            source: "webhook-ingest".into(),
            seen_ttl_secs: 7 * 24 * 3600,
            message_ttl_secs: None,
            publish: RetryPolicy::default(),
            run: wapipe_core::app::consumer::Options::default(),
        }
    }
}

pub use wapipe_core::config::ConfigError;

impl Config {
    /// `WAPIPE_SEEN_TTL_DAYS` (default 7), `WAPIPE_MESSAGE_TTL_DAYS` (default: keep),
    /// `WAPIPE_CONCURRENCY` (default: every contact of a batch at once).
    pub fn from_env() -> Result<Config, ConfigError> {
        let mut c = Config { run: wapipe_core::app::consumer::Options::from_env()?, ..Config::default() };
        if let Some(d) = env_days("WAPIPE_SEEN_TTL_DAYS")? {
            c.seen_ttl_secs = d;
        }
        c.message_ttl_secs = env_days("WAPIPE_MESSAGE_TTL_DAYS")?;
        Ok(c)
    }
}

fn env_days(name: &'static str) -> Result<Option<i64>, ConfigError> {
    match std::env::var(name) {
        Err(_) => Ok(None),
        Ok(v) => match v.trim().parse::<i64>() {
            Ok(d) if d > 0 => Ok(Some(d * 24 * 3600)),
            _ => Err(ConfigError { name, problem: format!("expected a positive number of days, got {v:?}") }),
        },
    }
}
