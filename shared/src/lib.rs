//! wapipe-shared: the domain (pure), the ports, and their AWS and in-memory adapters.

// No panics in shipped code (tests may): see `[workspace.lints]` in Cargo.toml.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

pub mod accounts;
pub mod admin;
pub mod aws;
pub mod capabilities;
pub mod config;
pub mod consumer;
pub mod domain;
pub mod gateway;
pub mod http;
pub mod memory;
pub mod messaging;
pub mod paging;
pub mod ports;
pub mod publish;
pub mod routes;
pub mod sqs_event;
pub mod telemetry;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
