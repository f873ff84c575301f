//! Meta / EUM error codes and what to do about them (docs/PROTOCOL.md §7.4), in one place: the send
//! worker classifies synchronous failures with it, the status tracker explains `failed`
//! statuses with it.

use serde::Serialize;

/// Whether trying again can help, and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Retry {
    /// Transient: retry with exponential backoff.
    Backoff,
    /// The same recipient was messaged too fast: retry after at least 6 s for that recipient.
    PairRate,
    /// Retry much later (hours), not in the same burst.
    Later,
    /// Permanent for this message: fix the request, the account or the recipient first.
    Never,
}

impl Retry {
    /// Whether any retry can help (every class but [`Retry::Never`]).
    pub fn is_retryable(self) -> bool {
        !matches!(self, Retry::Never)
    }
}

/// One known error code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct MetaError {
    /// Meta's error code (e.g. 131026), as in the `errors[].code` of a status or an API error.
    pub code: i64,
    /// What the code means, in a short phrase.
    pub meaning: &'static str,
    /// Whether and how to retry a message that failed with it.
    pub retry: Retry,
    /// Needs an operator (quality, account, billing): raise an alarm.
    pub alert: bool,
}

const fn e(code: i64, meaning: &'static str, retry: Retry, alert: bool) -> MetaError {
    MetaError { code, meaning, retry, alert }
}

use Retry::{Backoff, Later, Never, PairRate};

/// docs/PROTOCOL.md §7.4, Meta's codes.
pub const META_ERRORS: &[MetaError] = &[
    e(1, "API unknown (temporary)", Backoff, false),
    e(2, "API service temporarily unavailable", Backoff, false),
    e(4, "app API call limit reached", Later, false),
    e(100, "invalid parameter", Never, false),
    e(368, "temporarily blocked for policy violations", Never, true),
    e(80007, "WABA rate limit reached", Later, false),
    e(130429, "Cloud API throughput limit reached", Backoff, false),
    e(130472, "user is in a marketing experiment group", Never, false),
    e(130497, "business account restricted from messaging users in this country", Never, true),
    e(131000, "something went wrong", Backoff, false),
    e(131008, "required parameter missing", Never, false),
    e(131009, "parameter value invalid", Never, false),
    e(131014, "media could not be fetched from its URL", Never, false),
    e(131016, "service unavailable", Later, false),
    e(131021, "recipient is the sender", Never, false),
    e(131026, "message undeliverable (not on WhatsApp, old client, or terms not accepted)", Never, false),
    e(131030, "recipient not in the allowed list (test number)", Never, false),
    e(131031, "business account locked", Never, true),
    e(131037, "display name not approved", Never, true),
    e(131042, "business payment or billing issue", Never, true),
    e(131045, "incorrect certificate", Never, true),
    e(131047, "more than 24 hours since the user's last message: send an approved template", Never, false),
    e(131048, "spam rate limit: too many messages blocked or flagged", Never, true),
    e(131049, "not delivered to protect the ecosystem (marketing per-user limit)", Later, false),
    e(131050, "user stopped marketing messages", Never, false),
    e(131051, "unsupported message type", Never, false),
    e(131052, "media download error", Never, false),
    e(131053, "media upload error", Never, false),
    e(131056, "pair rate limit: too many messages to the same user", PairRate, false),
    e(131057, "business account in maintenance", Later, false),
    e(131062, "business-scoped user id recipients not supported for this message", Never, false),
    e(131063, "marketing messages through the Cloud API are disabled", Never, true),
    e(131064, "messaging limit reached because of template misclassification", Never, true),
    e(132000, "template parameter count mismatch", Never, false),
    e(132001, "template does not exist in this language", Never, false),
    e(132005, "template text too long after substitution", Never, false),
    e(132007, "template format character policy violated", Never, false),
    e(132008, "template parameter format mismatch", Never, false),
    e(132012, "template parameter format mismatch", Never, false),
    e(132015, "template paused for low quality", Never, true),
    e(132016, "template disabled for low quality", Never, true),
    e(132068, "flow is blocked", Never, true),
    e(132069, "flow is throttled", Never, true),
    e(133016, "too many registration or deregistration attempts", Later, false),
    e(137000, "recipient identity key mismatch", Never, false),
];

/// The entry for a Meta error code, if known.
pub fn lookup(code: i64) -> Option<&'static MetaError> {
    META_ERRORS.iter().find(|m| m.code == code)
}

/// Unknown codes are treated as permanent: retrying blind could double-send or loop.
pub fn retry_for(code: i64) -> Retry {
    lookup(code).map_or(Never, |m| m.retry)
}

/// EUM's own API exceptions (docs/PROTOCOL.md §2.1): retryable or not.
pub fn eum_exception_retry(error_type: &str) -> Retry {
    match error_type {
        "ThrottledRequestException" | "InternalServiceException" | "DependencyException" => Backoff,
        _ => Never,
    }
}

/// Meta's code inside an EUM error message, which carries Meta's `(#131056) …` text.
pub fn code_in_message(message: &str) -> Option<i64> {
    let start = message.find("(#")? + 2;
    let digits: String = message[start..].chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_classified() {
        let mut codes: Vec<i64> = META_ERRORS.iter().map(|m| m.code).collect();
        codes.sort_unstable();
        let n = codes.len();
        codes.dedup();
        assert_eq!(codes.len(), n);
        assert_eq!(retry_for(130429), Backoff);
        assert_eq!(retry_for(131056), PairRate);
        assert_eq!(retry_for(131047), Never);
        assert_eq!(retry_for(999_999), Never, "unknown codes are not retried blind");
        assert!(lookup(131048).is_some_and(|m| m.alert));
    }

    #[test]
    fn eum_exceptions_and_embedded_codes() {
        assert_eq!(eum_exception_retry("ThrottledRequestException"), Backoff);
        assert_eq!(eum_exception_retry("ValidationException"), Never);
        assert_eq!(code_in_message("(#131056) (Business Account, Consumer Account) pair rate limit hit"), Some(131056));
        assert_eq!(code_in_message("Invalid destination phone number"), None);
        assert_eq!(code_in_message("(#) x"), None);
    }
}
