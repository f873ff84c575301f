//! payment-processor: orders to money settled, refunds that can never run twice.
//!
//! Inputs (SQS ← the `PaymentsRule` EventBridge rule): `whatsapp.payment.updated` (payment
//! status webhooks), and the commands `whatsapp.refund.requested`, `whatsapp.payment.mark-paid`,
//! `whatsapp.refund.settled`. A scheduled input (`{"sweep": {}}`) runs reconciliation.
//!
//! Every transition is a conditional write or a transaction on the order's partition (see
//! `wapipe_core::domain::payments`); no time-based lock decides whether money moves. Events
//! are published after the write, from the state the table holds, with ids deterministic over
//! the transition: a redelivered input re-publishes the same events (at-least-once, never lost).

// No panics in shipped code (tests may): see `[workspace.lints]` in Cargo.toml.
#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

pub mod inputs;
pub mod lambda;
mod payment;
pub mod processor;
pub mod razorpay;
mod refund;
pub mod sweep;

pub use processor::{BatchReport, Outcome, Processor, RecordIn};

use std::collections::BTreeSet;

use wapipe_core::app::publish::RetryPolicy;

pub use wapipe_core::config::ConfigError;

/// Tunables, from the environment in Lambda ([`Config::from_env`]).
#[derive(Clone, Debug)]
pub struct Config {
    /// Name for parked records (`PARKED#payment-processor`).
    pub source: String,
    /// Lifetime in seconds of the dedupe mark a parked body leaves, so the same poison body is
    /// parked once (default 30 days; not set from the environment).
    pub mark_ttl_secs: i64,
    /// A refund for an order not captured (yet) is retried until it was received this many
    /// times — its capture webhook may still be on the way — then rejected. Keep it below the
    /// queue's `maxReceiveCount`.
    pub capture_wait_receives: u32,
    /// Re-reads after a failed condition (a concurrent change of the same order).
    pub max_attempts: u32,
    /// Retries of each publish (default: 4 rounds, waits of 50 ms up to 1 s).
    pub publish: RetryPolicy,
    /// Request an `order_status` message (through `whatsapp.send.requested`) on capture.
    pub order_status_on_capture: bool,
    /// … and on a failed payment.
    pub order_status_on_failure: bool,
    /// Payment configuration names whose refunds go to the automatic gateway (Razorpay);
    /// `*` (the default) for all India gateway orders. Every other order is refunded manually.
    pub gateway_configurations: BTreeSet<String>,
    /// Reconciliation: orders pending or refunds not finished for longer are stale.
    pub stale_after_secs: i64,
    /// Reconciliation: at most this many items per state and sweep (bounded work).
    pub sweep_limit: usize,
    /// How many orders of a batch are handled at once (`WAPIPE_CONCURRENCY`).
    pub run: wapipe_core::app::consumer::Options,
    /// Which domain events become which Conversions API events (`WAPIPE_CONVERSIONS`, a JSON
    /// array; default `whatsapp.payment.captured` → `Purchase`; `[]` turns conversions off).
    pub conversions: wapipe_core::app::conversions::Rules,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            source: "payment-processor".into(),
            mark_ttl_secs: 30 * 24 * 3600,
            capture_wait_receives: 3,
            max_attempts: 8,
            publish: RetryPolicy::default(),
            order_status_on_capture: true,
            order_status_on_failure: false,
            gateway_configurations: BTreeSet::from(["*".to_string()]),
            stale_after_secs: 24 * 3600,
            sweep_limit: 500,
            run: wapipe_core::app::consumer::Options::default(),
            conversions: wapipe_core::app::conversions::Rules::default(),
        }
    }
}

fn flag(name: &'static str, v: &str) -> Result<bool, ConfigError> {
    match v.trim() {
        "on" | "true" | "1" => Ok(true),
        "off" | "false" | "0" => Ok(false),
        other => Err(ConfigError { name, problem: format!("expected on or off, got {other:?}") }),
    }
}

impl Config {
    /// `WAPIPE_ORDER_STATUS_ON_CAPTURE` (on), `WAPIPE_ORDER_STATUS_ON_FAILURE` (off),
    /// `WAPIPE_GATEWAY_CONFIGURATIONS` (comma-separated names, or `*`),
    /// `WAPIPE_STALE_AFTER_SECS` (86400), `WAPIPE_CONCURRENCY` (every order of a batch at once),
    /// `WAPIPE_CONVERSIONS` (the conversion rules, JSON).
    pub fn from_env() -> Result<Config, ConfigError> {
        let mut c = Config { run: wapipe_core::app::consumer::Options::from_env()?, ..Config::default() };
        let var = |n: &str| std::env::var(n).ok().filter(|v| !v.trim().is_empty());
        if let Some(v) = var("WAPIPE_ORDER_STATUS_ON_CAPTURE") {
            c.order_status_on_capture = flag("WAPIPE_ORDER_STATUS_ON_CAPTURE", &v)?;
        }
        if let Some(v) = var("WAPIPE_ORDER_STATUS_ON_FAILURE") {
            c.order_status_on_failure = flag("WAPIPE_ORDER_STATUS_ON_FAILURE", &v)?;
        }
        if let Some(v) = var("WAPIPE_GATEWAY_CONFIGURATIONS") {
            c.gateway_configurations = v.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
        }
        if let Some(v) = var("WAPIPE_STALE_AFTER_SECS") {
            c.stale_after_secs = v.trim().parse().ok().filter(|n: &i64| *n > 0).ok_or(ConfigError {
                name: "WAPIPE_STALE_AFTER_SECS",
                problem: format!("expected a positive number of seconds, got {v:?}"),
            })?;
        }
        if let Some(v) = var("WAPIPE_CONVERSIONS") {
            c.conversions = wapipe_core::app::conversions::Rules::parse(&v)
                .map_err(|e| ConfigError { name: "WAPIPE_CONVERSIONS", problem: e.to_string() })?;
        }
        Ok(c)
    }
}
