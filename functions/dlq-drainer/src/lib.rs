//! dlq-drainer: every dead-letter queue of the stack back to its source queue, with
//! exponential backoff, or parked in the table after too many replays.
//!
//! # Why not `StartMessageMoveTask`
//!
//! SQS can redrive a DLQ by itself (`StartMessageMoveTask`), but the emulator the stack is
//! rehearsed on does not implement it, and it has no notion of a per-message replay count,
//! a growing delay or a final parking place: a poison message would cycle source → DLQ →
//! source for ever. So the drainer does it with receive / send / delete.
//!
//! # Never lost, never sent twice
//!
//! Per message: **send** a copy to the source queue (delay from `backoff`'s exponential
//! schedule, capped at SQS's 900 s; the original message attributes carried, plus
//! `wapipe-replays` counting replays), **then delete** it from the DLQ. A crash in between
//! leaves a copy in both; the consumers are idempotent (the send worker's `SEND#{request_id}`
//! claim, the trackers' conditional writes), so the duplicate is harmless. After
//! `max_replays` a message is **parked** (`PARKED#dlq:{queue}`: body, source, attempts, last
//! error, attributes), `whatsapp.message.parked` is published, and only then is it deleted.

// No panics in shipped code (tests may): see `[workspace.lints]` in Cargo.toml.
#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

pub mod drain;
pub mod lambda;
pub mod park;

use std::time::Duration;

use serde::{Deserialize, Serialize};
use wapipe_core::app::publish::RetryPolicy;

pub use drain::{Action, DrainReport, Drainer, MessageReport, QueueReport};
pub use wapipe_core::config::ConfigError;

/// Message attribute counting how many times the drainer replayed a message.
pub const REPLAYS_ATTR: &str = "wapipe-replays";
/// Message attribute a consumer may set with the last error it met (parked with the message).
pub const LAST_ERROR_ATTR: &str = "wapipe-last-error";
/// Message attribute marking a message re-driven from the parked records by an operator.
pub const UNPARKED_ATTR: &str = "wapipe-unparked";
/// SQS's longest message delay.
pub const MAX_DELAY: Duration = Duration::from_secs(900);

/// One queue of the stack and its DLQ.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueuePair {
    /// Short name (`send-worker`, `ingest`, …): `PARKED#dlq:{name}`, CLI arguments.
    pub name: String,
    /// URL of the dead-letter queue the drainer receives from.
    pub dlq_url: String,
    /// URL of the queue whose redrive policy feeds the DLQ: replays and unparks go there.
    pub source_url: String,
}

/// Tunables, from the environment in Lambda ([`Config::from_env`]).
#[derive(Clone, Debug)]
pub struct Config {
    /// The queues to drain, from `WAPIPE_DLQ_PAIRS` (required; see [`parse_pairs`]).
    pub pairs: Vec<QueuePair>,
    /// Replays before a message is parked.
    pub max_replays: u32,
    /// Delay of the first replay; doubles with each replay, capped at [`MAX_DELAY`].
    pub backoff_initial: Duration,
    /// Longest replay delay (default and ceiling [`MAX_DELAY`], 900 s); not set from the environment.
    pub backoff_max: Duration,
    /// Jitter of the delays (0 = none).
    pub jitter: f64,
    /// Messages handled per queue per run, unless the invocation says otherwise.
    pub max_messages: usize,
    /// Long-poll wait of each receive: SQS's short poll samples a subset of its servers and
    /// can answer empty while messages exist; a short long poll sees them all.
    pub receive_wait: Duration,
    /// How long dedupe marks of parked messages live.
    pub mark_ttl_secs: i64,
    /// Retries of the `whatsapp.message.parked` publish (default: 4 rounds, waits of 50 ms up to 1 s).
    pub publish: RetryPolicy,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            pairs: Vec::new(),
            max_replays: 3,
            backoff_initial: Duration::from_secs(30),
            backoff_max: MAX_DELAY,
            jitter: 0.2,
            max_messages: 100,
            receive_wait: Duration::from_secs(1),
            mark_ttl_secs: 30 * 24 * 3600,
            publish: RetryPolicy::default(),
        }
    }
}

fn env_num(name: &'static str, min: u64, max: u64) -> Result<Option<u64>, ConfigError> {
    match std::env::var(name) {
        Err(_) => Ok(None),
        Ok(v) => match v.trim().parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
            _ => Err(ConfigError { name, problem: format!("expected a number from {min} to {max}, got {v:?}") }),
        },
    }
}

/// Parse `[{name, dlq_url, source_url}, …]`; names must be unique and non-empty.
pub fn parse_pairs(json: &str) -> Result<Vec<QueuePair>, String> {
    let pairs: Vec<QueuePair> = serde_json::from_str(json).map_err(|e| format!("not a list of queue pairs: {e}"))?;
    for (i, p) in pairs.iter().enumerate() {
        for (field, v) in [("name", &p.name), ("dlq_url", &p.dlq_url), ("source_url", &p.source_url)] {
            if v.trim().is_empty() {
                return Err(format!("[{i}].{field}: empty"));
            }
        }
        if pairs.iter().take(i).any(|q| q.name == p.name) {
            return Err(format!("[{i}].name: {:?} appears twice", p.name));
        }
    }
    Ok(pairs)
}

impl Config {
    /// `WAPIPE_DLQ_PAIRS` (required, JSON), `WAPIPE_DLQ_MAX_REPLAYS` (3, 1..=100),
    /// `WAPIPE_DLQ_BACKOFF_INITIAL_SECS` (30, 1..=900), `WAPIPE_DLQ_MAX_MESSAGES` (100, 1..=10000).
    pub fn from_env() -> Result<Config, ConfigError> {
        let mut c = Config::default();
        let pairs = std::env::var("WAPIPE_DLQ_PAIRS")
            .map_err(|_| ConfigError { name: "WAPIPE_DLQ_PAIRS", problem: "required".into() })?;
        c.pairs = parse_pairs(&pairs).map_err(|problem| ConfigError { name: "WAPIPE_DLQ_PAIRS", problem })?;
        if let Some(n) = env_num("WAPIPE_DLQ_MAX_REPLAYS", 1, 100)? {
            c.max_replays = n as u32;
        }
        if let Some(n) = env_num("WAPIPE_DLQ_BACKOFF_INITIAL_SECS", 1, 900)? {
            c.backoff_initial = Duration::from_secs(n);
        }
        if let Some(n) = env_num("WAPIPE_DLQ_MAX_MESSAGES", 1, 10_000)? {
            c.max_messages = n as usize;
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_parse_and_name_the_bad_field() {
        let ok = parse_pairs(r#"[{"name":"a","dlq_url":"d","source_url":"s"}]"#).unwrap();
        assert_eq!(ok[0].name, "a");
        let e = parse_pairs(r#"[{"name":"a","dlq_url":"","source_url":"s"}]"#).unwrap_err();
        assert!(e.contains("[0].dlq_url"), "{e}");
        let e =
            parse_pairs(r#"[{"name":"a","dlq_url":"d","source_url":"s"},{"name":"a","dlq_url":"d","source_url":"s"}]"#)
                .unwrap_err();
        assert!(e.contains("[1].name"), "{e}");
        assert!(parse_pairs(r#"[{"name":"a","dlq_url":"d","source_url":"s","x":1}]"#).is_err());
    }
}
