//! `wapipe`: the binary. Everything it does lives in the `wapipe_cli` library; this parses the
//! arguments, starts the runtime and turns the result into an exit code (`wapipe_cli::exit`).

// No panics in shipped code (tests may): see `[workspace.lints]` in Cargo.toml.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

use std::process::ExitCode;

use clap::Parser;
use wapipe_cli::{exit, Cli};

/// A faster allocator for the CLI: replay allocates for every record (decoding, the
/// in-memory table, events) and glibc's malloc and free were a quarter of its CPU.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The bench's deferrals are its subject, not news: its report is the output.
    if !cli.is_bench() || cli.verbose {
        wapipe_core::telemetry::init_cli(cli.verbose);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => return fail(exit::USAGE, &format!("cannot start the runtime: {e}")),
    };
    match runtime.block_on(wapipe_cli::run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => fail(exit::USAGE, &e),
    }
}

fn fail(code: u8, message: &str) -> ExitCode {
    eprintln!("wapipe: {message}");
    ExitCode::from(code)
}
