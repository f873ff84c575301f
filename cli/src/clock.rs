//! The one clock of the command line. Every subcommand that decides on time (windows, TTLs,
//! `--since`, dates of records) asks it, never the system directly.
//!
//! `WAPIPE_NOW` (RFC 3339) pins it, for reproducible runs and tests; unset, it is the system
//! clock.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use wapipe_core::ports::{Clock, FixedClock, SystemClock};

/// The variable that pins the clock.
pub const NOW_VAR: &str = "WAPIPE_NOW";

/// The clock the CLI runs on: pinned by `WAPIPE_NOW`, else the system's.
///
/// # Errors
///
/// `WAPIPE_NOW` is set but is not an RFC 3339 time (the message names the variable).
pub fn clock() -> Result<CliClock, String> {
    clock_from(std::env::var(NOW_VAR).ok().as_deref())
}

/// The clock a value of `WAPIPE_NOW` asks for (`None`: the system's).
fn clock_from(pinned: Option<&str>) -> Result<CliClock, String> {
    match pinned {
        Some(v) => OffsetDateTime::parse(v.trim(), &Rfc3339)
            .map(|t| CliClock::Fixed(FixedClock(t)))
            .map_err(|e| format!("{NOW_VAR}={v:?}: not an RFC 3339 time ({e})")),
        None => Ok(CliClock::System(SystemClock)),
    }
}

/// Now, on [`clock`].
///
/// # Errors
///
/// As [`clock`].
pub fn now() -> Result<OffsetDateTime, String> {
    clock().map(|c| c.now())
}

/// The system clock, or one pinned by `WAPIPE_NOW`.
#[derive(Clone, Copy, Debug)]
pub enum CliClock {
    /// The system clock (`WAPIPE_NOW` unset).
    System(SystemClock),
    /// Pinned at the `WAPIPE_NOW` time: it does not move.
    Fixed(FixedClock),
}

impl Clock for CliClock {
    fn now(&self) -> OffsetDateTime {
        match self {
            CliClock::System(c) => c.now(),
            CliClock::Fixed(c) => c.now(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pinned_time_stays_put_and_a_bad_one_names_the_variable() {
        let pinned = clock_from(Some("2026-05-01T10:00:00Z")).unwrap();
        assert_eq!(pinned.now().unix_timestamp(), 1_777_629_600);
        assert_eq!(pinned.now(), pinned.now(), "a pinned clock does not move");
        let err = clock_from(Some("yesterday")).unwrap_err();
        assert!(err.contains(NOW_VAR) && err.contains("yesterday"), "{err}");
        let system = clock_from(None).unwrap();
        assert!(matches!(system, CliClock::System(_)));
        assert!(system.now().year() >= 2026);
    }
}
