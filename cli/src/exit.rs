//! The exit codes of every `wapipe` subcommand: one table, one meaning per code. `wapipe --help`
//! prints it, and docs/ARCHITECTURE.md §7 gives it.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | done |
//! | 1 | invalid input: every problem printed with its path; nothing was sent or changed |
//! | 2 | bad usage, an unreadable input, or an error that stopped the command |
//! | 3 | refused: EUM, the processor or the worker said no (the reason and next step printed) |
//! | 4 | not found |
//! | 5 | not supported by EUM: the runbook was printed |
//! | 6 | not finished: records or commands are left to retry (transient failures, no answer yet) |
//! | 7 | records were parked, under `--strict` |

/// Done.
pub const DONE: u8 = 0;
/// The input has problems (each printed with its path); nothing was sent or changed.
pub const INVALID: u8 = 1;
/// Bad usage, an unreadable input, or an error that stopped the command.
pub const USAGE: u8 = 2;
/// EUM, the payment processor or the send worker refused; the reason is printed.
pub const REFUSED: u8 = 3;
/// The thing asked for does not exist.
pub const NOT_FOUND: u8 = 4;
/// EUM cannot do this: the runbook was printed.
pub const NOT_SUPPORTED: u8 = 5;
/// Something is left to retry: transient failures, or no answer yet.
pub const UNFINISHED: u8 = 6;
/// Records were parked and `--strict` asked to fail on that.
pub const PARKED: u8 = 7;

/// The table as `wapipe --help` prints it.
pub const HELP: &str = "Exit codes (every command): 0 done; 1 invalid input (every problem printed with its path,
nothing sent); 2 bad usage or a stopped command; 3 refused (EUM, the processor or the worker
said no); 4 not found; 5 not supported by EUM (the runbook is printed); 6 not finished
(records or commands left to retry); 7 records parked under --strict.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_one_meaning_and_the_help_lists_them_all() {
        let codes = [DONE, INVALID, USAGE, REFUSED, NOT_FOUND, NOT_SUPPORTED, UNFINISHED, PARKED];
        let mut seen = codes.to_vec();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), codes.len(), "two names share a code");
        for c in codes {
            assert!(HELP.contains(&format!("{c} ")), "the help names code {c}");
        }
        assert!(crate::commands::AFTER_HELP.contains(HELP), "`wapipe --help` prints this table");
    }
}
