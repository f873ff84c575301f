//! quality-snapshotter: a business number's health over time (docs/PROTOCOL.md §2.3, §3.6, §7.1–§7.3).
//!
//! Two inputs, one binary:
//! - **scheduled** (an EventBridge schedule): every linked WABA and phone number from EUM
//!   (`ListLinkedWhatsAppBusinessAccounts` → `GetLinkedWhatsAppBusinessAccount`), a snapshot of
//!   each number (quality rating, display name, status) merged into `QUALITY#{phone}` /
//!   `LATEST` and kept as a TTL'd history row (`AT#…`);
//! - **SQS** (rule `QualityRule`): `whatsapp.phone.quality` (tier, throughput, flagged),
//!   `whatsapp.template.updated` (the template state cache the send worker's guard reads) and
//!   `whatsapp.account.updated` (restrictions and bans, under `ACCOUNT#{waba}`), each also a
//!   history row.
//!
//! Every merge is ordered by the observation's own time and guarded by a conditional write
//! (`wapipe_core::domain::quality::merge`), so duplicate, concurrent and out-of-order
//! deliveries never regress a value, and each real change publishes one
//! `whatsapp.quality.changed` (deterministic id) with the old and new values.

// No panics in shipped code (tests may): see `[workspace.lints]` in Cargo.toml.
#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

pub mod announce;
pub mod batch;
pub mod lambda;
pub mod snapshot;

use wapipe_core::app::publish::RetryPolicy;

pub use batch::{BatchReport, Outcome, RecordIn};
pub use snapshot::SnapshotReport;

pub use wapipe_core::config::ConfigError;

/// Tunables, from the environment in Lambda ([`Config::from_env`]).
#[derive(Clone, Debug)]
pub struct Config {
    /// Name for parked records (`PARKED#quality-snapshotter`).
    pub source: String,
    /// How long history rows live (DynamoDB TTL).
    pub history_ttl_secs: i64,
    /// How long dedupe marks of parked bodies live.
    pub mark_ttl_secs: i64,
    /// Re-plans after a concurrent write before the record is retried.
    pub max_attempts: u32,
    /// Retries of each publish (default: 4 rounds, waits of 50 ms up to 1 s).
    pub publish: RetryPolicy,
    /// How many numbers of a batch are handled at once (`WAPIPE_CONCURRENCY`).
    pub run: wapipe_core::app::consumer::Options,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            source: "quality-snapshotter".into(),
            history_ttl_secs: 90 * 24 * 3600,
            mark_ttl_secs: 30 * 24 * 3600,
            max_attempts: 8,
            publish: RetryPolicy::default(),
            run: wapipe_core::app::consumer::Options::default(),
        }
    }
}

impl Config {
    /// `WAPIPE_QUALITY_HISTORY_DAYS` (90, 1..=3650), `WAPIPE_CONCURRENCY` (every number of a
    /// batch at once).
    pub fn from_env() -> Result<Config, ConfigError> {
        let mut c = Config { run: wapipe_core::app::consumer::Options::from_env()?, ..Config::default() };
        if let Ok(v) = std::env::var("WAPIPE_QUALITY_HISTORY_DAYS") {
            match v.trim().parse::<i64>() {
                Ok(d) if (1..=3650).contains(&d) => c.history_ttl_secs = d * 24 * 3600,
                _ => {
                    return Err(ConfigError {
                        name: "WAPIPE_QUALITY_HISTORY_DAYS",
                        problem: format!("expected a number of days from 1 to 3650, got {v:?}"),
                    })
                }
            }
        }
        Ok(c)
    }
}

/// The snapshotter over its ports.
pub struct Snapshotter<S, B, A, C> {
    /// The table: merged items, history rows, parked records and their marks.
    pub store: S,
    /// EventBridge: `whatsapp.quality.changed`, and parking events.
    pub bus: B,
    /// EUM Social's linked accounts API (`ListLinkedWhatsAppBusinessAccounts`,
    /// `GetLinkedWhatsAppBusinessAccount`), read by the scheduled snapshot.
    pub accounts: A,
    /// Now: the snapshot's observation time, TTLs, and `updated_at` of merged items.
    pub clock: C,
    /// Tunables (see [`Config`]).
    pub config: Config,
}

impl<S, B, A, C> Snapshotter<S, B, A, C> {
    /// A snapshotter over these ports with this configuration.
    pub fn new(store: S, bus: B, accounts: A, clock: C, config: Config) -> Self {
        Snapshotter { store, bus, accounts, clock, config }
    }
}
