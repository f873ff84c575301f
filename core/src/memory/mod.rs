//! In-memory adapters of the ports: local mode and fast tests.
//!
//! They follow the AWS services' semantics closely enough that the same contract suite
//! (`tests/tests/contract/`) passes on them and on the AWS adapters against the emulator,
//! and each carries a [`Faults`] handle to inject throttling and failures.

mod bus;
mod eval;
mod faults;
mod latency;
mod queue;
mod sandbox;
mod sandbox_accounts;
mod store;

pub use bus::MemoryBus;
pub use faults::{Faults, ANY_OP};
pub use latency::{Delay, Latency, LatencySlot, LatencySpec, Service, SpecError, TYPICAL};
pub use queue::{MemoryQueue, DEFAULT_VISIBILITY};
pub use sandbox::{status_notifications, EumCall, Playback, Sandbox, SandboxSend, SANDBOX_ACCOUNT, SANDBOX_REGION};
pub use sandbox_accounts::{sandbox_waba_id, SandboxAccounts};
pub use store::MemoryStore;
