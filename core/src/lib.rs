//! wapipe-core: the domain (pure), the ports, and their AWS and in-memory adapters.

// No panics in shipped code (tests may): see `[workspace.lints]` in Cargo.toml.
#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

pub mod app;
pub mod aws;
pub mod capabilities;
pub mod config;
pub mod domain;
pub mod lambda;
pub mod memory;
pub mod ports;
pub mod telemetry;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
