//! Logging setup, once per process. `RUST_LOG` (or `WAPIPE_LOG`) sets the filter.
//! Message bodies and phone numbers are logged only at `debug` and below.

use tracing_subscriber::EnvFilter;

fn filter(default: &str) -> EnvFilter {
    std::env::var("WAPIPE_LOG")
        .ok()
        .and_then(|v| EnvFilter::try_new(v).ok())
        .or_else(|| EnvFilter::try_from_default_env().ok())
        .unwrap_or_else(|| EnvFilter::new(default))
}

/// JSON lines for CloudWatch, without ANSI colours or a timestamp (Lambda adds one).
pub fn init_lambda() {
    let _already_set = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter("info"))
        .with_current_span(true)
        .with_span_list(false)
        .with_ansi(false)
        .without_time()
        .with_target(false)
        .try_init()
        .is_err();
}

/// Human-readable logs on stderr for the command line; quiet unless asked.
pub fn init_cli(verbose: bool) {
    let _already_set = tracing_subscriber::fmt()
        .with_env_filter(filter(if verbose { "info" } else { "warn" }))
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init()
        .is_err();
}
