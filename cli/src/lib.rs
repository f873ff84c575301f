//! The `wapipe` library under the command line: local mode (every function in one process on
//! in-memory adapters: the router and the consumers), replay, the dev server, the read models
//! and operator plans of each subcommand, the bench, and the exit-code table. The binary
//! (`src/main.rs`) only parses arguments, starts the runtime and maps the result to an exit code.

// No panics in shipped code (tests may): see `[workspace.lints]` in Cargo.toml.
#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

pub mod bench;
pub mod business;
pub mod capabilities;
pub mod clock;
pub mod commands;
pub mod completions;
pub mod dev;
pub mod dlq;
pub mod exit;
pub mod flows;
pub mod flows_registry;
pub mod local;
pub mod media;
pub mod operator;
pub mod payments;
pub mod phones;
pub mod profile;
pub mod quality;
pub mod replay;
pub mod sandbox;
pub mod send;
pub mod status;
pub mod templates;

pub use commands::{run, Cli};
