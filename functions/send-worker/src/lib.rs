//! send-worker: send requests (SQS: a request sent straight to the send queue, or the
//! `whatsapp.send.requested` event an EventBridge rule delivers) → validated, guarded, paced,
//! idempotent `SendWhatsAppMessage` calls → `whatsapp.send.accepted | rejected | failed`.
//!
//! # Idempotency guarantee (at most one WhatsApp message per `request_id`)
//!
//! The send record `SEND#{request_id}` is the lock and the ledger. Only the holder of a claim
//! calls EUM: the claim is a conditional update from *no record* or from `retrying` with the
//! attempt count the holder read (so two concurrent deliveries cannot both win), and it sets
//! `state = sending` with a lease. EUM is called again only when the previous call ended with
//! an *answer* that means "not sent" (throttling, a 5xx, a Meta code of docs/PROTOCOL.md §7.4 that
//! retries) or never left the process; and even then not if a status already linked a wamid
//! to the record (the status tracker adds `wamid` from `biz_opaque_callback_data`).
//!
//! The crash window: the process may die (or the call time out) after EUM sent the message and
//! before the result is recorded. Such a record stays `sending` (or becomes `unknown`); when its
//! SQS message comes back, the worker does **not** send again: it waits for Meta's statuses to
//! link a wamid (→ `accepted`), and after `unknown_grace` without one records `failed` with
//! `OutcomeUnknown` (the caller decides whether to resend under a new request id). So wapipe is
//! at-most-once for sends and at-least-once for the terminal event, which is re-published with
//! the same deterministic `event_id` until the record says `published`.
//!
//! # Flow tokens
//!
//! An interactive flow message gets its flow token (the caller's, or a new one) bound in a
//! session `FLOW#{token}` written after the claim and before the EUM call; the token is saved
//! on the send record (`flow_token`) so a retry sends the same one. See [`flow`].

// No panics in shipped code (tests may): see `[workspace.lints]` in Cargo.toml.
#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

pub mod backoff_policy;
pub mod eum_events;
pub mod events;
mod finish;
pub mod flow;
pub mod guards;
pub mod lambda;
pub mod orders;
pub mod pacing;
pub mod record;
pub mod worker;

use std::time::Duration;

use wapipe_core::app::publish::RetryPolicy;

pub use worker::{BatchReport, Outcome, RecordIn, SendWorker};

/// Tunables, from the environment in Lambda ([`Config::from_env`]).
#[derive(Clone, Debug)]
pub struct Config {
    /// Name for parked records (`PARKED#send-worker`).
    pub source: String,
    /// `metaApiVersion` of SendWhatsAppMessage.
    pub meta_api_version: String,
    /// Messages per second per business number (Meta: 80 default, up to 1000).
    pub phone_mps: u32,
    /// Pair rate: one message per `pair_interval` to the same user, after a burst of `pair_burst`.
    pub pair_interval: Duration,
    /// Messages to one user allowed back to back before `pair_interval` applies
    /// (`WAPIPE_PAIR_BURST`, default 5, 1..=1000).
    pub pair_burst: u32,
    /// Marketing messages per second from a number whose quality is RED or that is FLAGGED
    /// (the quality snapshotter's state); the number's other messages keep `phone_mps`.
    pub degraded_marketing_mps: u32,
    /// Pacing waits up to this long in-process; longer waits go back to the queue. A send
    /// that would start this close to the end of a second takes the next second's budget.
    pub max_inline_wait: Duration,
    /// How long a claim holds (≥ the function timeout).
    pub lease: Duration,
    /// How long an unknown outcome waits for a status before it is recorded as failed.
    pub unknown_grace: Duration,
    /// EUM calls per request before a transient failure becomes `failed`.
    pub max_attempts: u32,
    /// Retry delays: exponential from `backoff_initial`, capped at `backoff_max`, with jitter.
    pub backoff_initial: Duration,
    /// Longest retry delay (`WAPIPE_BACKOFF_MAX_SECS`, default 900 s, at most 43200 s: SQS's
    /// 12-hour visibility limit).
    pub backoff_max: Duration,
    /// Randomization factor of the retry delays, 0 to 1 (default 0.5: ±50 %); not set from the
    /// environment.
    pub jitter: f64,
    /// TTL of pacing items.
    pub pace_ttl_secs: i64,
    /// Retries of each publish (default: 4 rounds, waits of 50 ms up to 1 s).
    pub publish: RetryPolicy,
    /// The send queue (for ChangeMessageVisibility); derived from the record's ARN when unset.
    pub queue_url: Option<String>,
    /// How many recipients of a batch are sent to at once (`WAPIPE_CONCURRENCY`).
    pub run: wapipe_core::app::consumer::Options,
    /// The feed reconciliation: EUM's EventBridge statuses recorded for the status tracker's
    /// sweep (`WAPIPE_FEED_CHECK_PERCENT`; off by default).
    pub feed: wapipe_core::app::feed::FeedCheck,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            source: "send-worker".into(),
            meta_api_version: "v20.0".into(),
            phone_mps: 80,
            pair_interval: Duration::from_secs(6),
            pair_burst: 5,
            degraded_marketing_mps: 5,
            max_inline_wait: Duration::from_millis(50),
            lease: Duration::from_secs(60),
            unknown_grace: Duration::from_secs(300),
            max_attempts: 8,
            backoff_initial: Duration::from_secs(2),
            backoff_max: Duration::from_secs(900),
            jitter: 0.5,
            pace_ttl_secs: 3600,
            publish: RetryPolicy::default(),
            queue_url: None,
            run: wapipe_core::app::consumer::Options::default(),
            feed: wapipe_core::app::feed::FeedCheck::default(),
        }
    }
}

pub use wapipe_core::config::ConfigError;

fn env_num(name: &'static str, min: u64, max: u64) -> Result<Option<u64>, ConfigError> {
    match std::env::var(name) {
        Err(_) => Ok(None),
        Ok(v) => match v.trim().parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
            _ => Err(ConfigError { name, problem: format!("expected a number from {min} to {max}, got {v:?}") }),
        },
    }
}

impl Config {
    /// `WAPIPE_PHONE_MPS` (80, 1..=1000), `WAPIPE_PAIR_INTERVAL_MS` (6000), `WAPIPE_PAIR_BURST` (5),
    /// `WAPIPE_DEGRADED_MARKETING_MPS` (5, 1..=1000),
    /// `WAPIPE_MAX_ATTEMPTS` (8), `WAPIPE_LEASE_SECS` (60), `WAPIPE_UNKNOWN_GRACE_SECS` (300),
    /// `WAPIPE_BACKOFF_MAX_SECS` (900, ≤ 43200), `WAPIPE_META_API_VERSION` (v20.0),
    /// `WAPIPE_SEND_QUEUE_URL`, `WAPIPE_CONCURRENCY` (every recipient of a batch at once),
    /// `WAPIPE_FEED_CHECK_PERCENT` and `WAPIPE_FEED_GAP_SECS` (see `FeedCheck::from_env`).
    pub fn from_env() -> Result<Config, ConfigError> {
        let mut c = Config {
            run: wapipe_core::app::consumer::Options::from_env()?,
            feed: wapipe_core::app::feed::FeedCheck::from_env()?,
            ..Config::default()
        };
        if let Some(n) = env_num("WAPIPE_PHONE_MPS", 1, 1000)? {
            c.phone_mps = n as u32;
        }
        if let Some(n) = env_num("WAPIPE_PAIR_INTERVAL_MS", 0, 600_000)? {
            c.pair_interval = Duration::from_millis(n);
        }
        if let Some(n) = env_num("WAPIPE_DEGRADED_MARKETING_MPS", 1, 1000)? {
            c.degraded_marketing_mps = n as u32;
        }
        if let Some(n) = env_num("WAPIPE_PAIR_BURST", 1, 1000)? {
            c.pair_burst = n as u32;
        }
        if let Some(n) = env_num("WAPIPE_MAX_ATTEMPTS", 1, 100)? {
            c.max_attempts = n as u32;
        }
        if let Some(n) = env_num("WAPIPE_LEASE_SECS", 1, 900)? {
            c.lease = Duration::from_secs(n);
        }
        if let Some(n) = env_num("WAPIPE_UNKNOWN_GRACE_SECS", 1, 43_200)? {
            c.unknown_grace = Duration::from_secs(n);
        }
        if let Some(n) = env_num("WAPIPE_BACKOFF_MAX_SECS", 1, 43_200)? {
            c.backoff_max = Duration::from_secs(n);
        }
        if let Ok(v) = std::env::var("WAPIPE_META_API_VERSION") {
            if !v.starts_with('v') {
                return Err(ConfigError {
                    name: "WAPIPE_META_API_VERSION",
                    problem: format!("expected v<N>, got {v:?}"),
                });
            }
            c.meta_api_version = v;
        }
        c.queue_url = std::env::var("WAPIPE_SEND_QUEUE_URL").ok().filter(|s| !s.trim().is_empty());
        Ok(c)
    }
}
