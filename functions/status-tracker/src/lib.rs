//! status-tracker: `whatsapp.message.status` and `whatsapp.message.received` events (SQS ←
//! EventBridge rule) into the message's monotonic status, template and pricing analytics, and
//! `whatsapp.message.failed`; and, on a schedule, the feed reconciliation's sweep
//! (`whatsapp.feed.gap`, docs/feeds.md). The handler is a plain async function over ports; `main` wires.

// No panics in shipped code (tests may): see `[workspace.lints]` in Cargo.toml.
#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

pub mod lambda;
pub mod tracker;

use std::sync::Arc;

pub use tracker::{BatchReport, Outcome, RecordIn, Tracker};

use wapipe_core::app::consumer::Options;
use wapipe_core::app::feed::FeedCheck;
use wapipe_core::app::publish::RetryPolicy;
use wapipe_core::domain::status::pricing::RateCard;

/// Tunables, from the environment in Lambda (`Config::from_env`).
#[derive(Clone, Debug)]
pub struct Config {
    /// Name used for parked records (`PARKED#<source>`).
    pub source: String,
    /// How long dedupe marks (parked bodies, clicks) live.
    pub mark_ttl_secs: i64,
    /// While a message names a send request whose record is not written yet, its status is
    /// recorded and the SQS record retried (so the join and its counters happen when the send
    /// record lands) until it was received this many times; then it is acknowledged unjoined.
    /// Keep it below the queue's `maxReceiveCount`.
    pub link_wait_receives: u32,
    /// Re-reads after a failed condition (a concurrent update of the same message).
    pub max_attempts: u32,
    /// Retries of each publish (default: 4 rounds, waits of 50 ms up to 1 s).
    pub publish: RetryPolicy,
    /// Prices delivered messages; `None`: counts without estimates.
    pub rate_card: Option<Arc<RateCard>>,
    /// How many messages of a batch are handled at once (`WAPIPE_CONCURRENCY`).
    pub run: Options,
    /// The feed reconciliation: SNS statuses recorded, and the sweep's threshold
    /// (`WAPIPE_FEED_CHECK_PERCENT`, `WAPIPE_FEED_GAP_SECS`; off by default).
    pub feed: FeedCheck,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            source: "status-tracker".into(),
            mark_ttl_secs: 30 * 24 * 3600,
            link_wait_receives: 3,
            max_attempts: 8,
            publish: RetryPolicy::default(),
            rate_card: None,
            run: Options::default(),
            feed: FeedCheck::default(),
        }
    }
}

pub use wapipe_core::config::ConfigError;

impl Config {
    /// `WAPIPE_RATE_CARD` (a path, or the card's JSON itself), `WAPIPE_LINK_WAIT_RECEIVES` (3),
    /// `WAPIPE_CONCURRENCY` (every message of a batch at once), and the feed check's
    /// `WAPIPE_FEED_CHECK_PERCENT` and `WAPIPE_FEED_GAP_SECS`.
    pub fn from_env() -> Result<Config, ConfigError> {
        let mut c = Config { run: Options::from_env()?, feed: FeedCheck::from_env()?, ..Config::default() };
        if let Ok(v) = std::env::var("WAPIPE_RATE_CARD") {
            if !v.trim().is_empty() {
                c.rate_card = Some(Arc::new(
                    load_rate_card(&v).map_err(|problem| ConfigError { name: "WAPIPE_RATE_CARD", problem })?,
                ));
            }
        }
        if let Ok(v) = std::env::var("WAPIPE_LINK_WAIT_RECEIVES") {
            c.link_wait_receives = v.trim().parse().map_err(|_| ConfigError {
                name: "WAPIPE_LINK_WAIT_RECEIVES",
                problem: format!("expected a number of receives, got {v:?}"),
            })?;
        }
        Ok(c)
    }
}

/// A rate card from a file path, or from its JSON text when `spec` starts with `{`.
pub fn load_rate_card(spec: &str) -> Result<RateCard, String> {
    let text = if spec.trim_start().starts_with('{') {
        spec.to_string()
    } else {
        std::fs::read_to_string(spec.trim()).map_err(|e| format!("cannot read rate card {spec}: {e}"))?
    };
    RateCard::parse(&text)
}
