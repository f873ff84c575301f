//! Flow tokens and their sessions (docs/ARCHITECTURE.md §5: `FLOW#{token}` / `SESSION`).
//!
//! The send worker issues a token when it sends a flow message ([`issue_flow_token`]) and
//! writes the session it returns; the flow endpoint reads the session on every request
//! ([`FlowSession::check`]), records each step with a conditional write ([`record_step`]) that
//! fails once the session is completed or expired, and closes it on `SUCCESS`. The completion
//! (`nfm_reply`) closes it too ([`close_from_reply`]), for flows that end without the endpoint.

use rsa::rand_core::{OsRng, RngCore};
use serde_json::Value;
use time::{Duration, OffsetDateTime};

use crate::domain::events::rfc3339;
use crate::domain::keys;
use crate::domain::table::{Cond, Item, Update, Write};

/// Prefix of tokens wapipe generates (versioned, so the format can change).
pub const TOKEN_PREFIX: &str = "wft1.";
/// How long a token stays usable when the sender does not say.
pub const DEFAULT_TTL: Duration = Duration::days(7);
/// How long a session is kept after its token expired (answers `flows responses` joins).
pub const RETENTION_AFTER_EXPIRY: Duration = Duration::days(30);
/// Longest caller-chosen token accepted.
pub const MAX_TOKEN_LEN: usize = 256;

/// Session states, as stored in `state`.
pub const STATE_ISSUED: &str = "issued";
/// The session has recorded at least one step through the endpoint.
pub const STATE_ACTIVE: &str = "active";
/// The session is closed: the endpoint answered `SUCCESS`, or the flow's `nfm_reply` arrived.
pub const STATE_COMPLETED: &str = "completed";

/// What a flow token is bound to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowTokenSpec<'a> {
    /// The flow as the message names it: Meta `flow_id`, or `flow_name`.
    pub flow: &'a str,
    /// The business number (Meta phone_number_id) that sends the message.
    pub phone_number_id: &'a str,
    /// The recipient: wa_id without `+`, or a BSUID.
    pub recipient: &'a str,
    /// The send request, when the token is issued for one.
    pub request_id: Option<&'a str>,
    /// The flow message's wamid, when already known (usually linked later: [`link_wamid`]).
    pub wamid: Option<&'a str>,
    /// A token the caller chose (its own `flow_token`); `None` generates one.
    pub token: Option<&'a str>,
    /// How long the token is usable; `None` is [`DEFAULT_TTL`].
    pub ttl: Option<Duration>,
}

/// An issued token and the session write that records it.
#[derive(Clone, Debug, PartialEq)]
pub struct IssuedFlowToken {
    /// Put this in the message's `action.parameters.flow_token`.
    pub token: String,
    /// When the token stops being usable (`now` + the TTL); stored as epoch seconds in `valid_until`.
    pub valid_until: OffsetDateTime,
    /// `Write::Put` of the session, conditional on the token being new.
    pub write: Write,
}

/// Why a flow token cannot be issued.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// A caller-chosen token is empty, longer than [`MAX_TOKEN_LEN`] bytes or holds control characters.
    #[error("flow token: {0}")]
    Invalid(&'static str),
    /// A required part of the [`FlowTokenSpec`] (named) is empty.
    #[error("flow token spec: `{0}` is empty")]
    Missing(&'static str),
}

/// Issue a flow token bound to a flow, a business number and a recipient, and the session
/// write that records it (`put` if the token is new). Pure apart from the token's randomness.
pub fn issue_flow_token(spec: &FlowTokenSpec<'_>, now: OffsetDateTime) -> Result<IssuedFlowToken, TokenError> {
    for (name, v) in [("flow", spec.flow), ("phone_number_id", spec.phone_number_id), ("recipient", spec.recipient)] {
        if v.trim().is_empty() {
            return Err(TokenError::Missing(name));
        }
    }
    let token = match spec.token {
        Some(t) => check_token(t)?.to_string(),
        None => new_token(),
    };
    let ttl = spec.ttl.filter(|d| d.is_positive()).unwrap_or(DEFAULT_TTL);
    let valid_until = now.saturating_add(ttl);
    let key = keys::flow_session(&token);
    let mut item = Item::new(key.pk, key.sk)
        .with("flow_token", token.as_str())
        .with("flow", spec.flow)
        .with("phone_number_id", spec.phone_number_id)
        .with("recipient", spec.recipient)
        .with("state", STATE_ISSUED)
        .with("steps", 0)
        .with("created_at", rfc3339(now))
        .with("valid_until", valid_until.unix_timestamp())
        .with(keys::EXPIRES_AT, valid_until.saturating_add(RETENTION_AFTER_EXPIRY).unix_timestamp());
    for (name, v) in [("request_id", spec.request_id), ("wamid", spec.wamid)] {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            item.attrs.insert(name.into(), v.into());
        }
    }
    Ok(IssuedFlowToken { token, valid_until, write: Write::put_if(item, Cond::ItemMissing) })
}

/// A new random token: the prefix and 144 random bits, URL-safe.
pub fn new_token() -> String {
    let mut bytes = [0u8; 18];
    OsRng.fill_bytes(&mut bytes);
    format!("{TOKEN_PREFIX}{}", base64_url(&bytes))
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A token as received (from a caller or a request): non-empty, bounded, printable.
pub fn check_token(t: &str) -> Result<&str, TokenError> {
    if t.is_empty() {
        return Err(TokenError::Invalid("empty"));
    }
    if t.len() > MAX_TOKEN_LEN {
        return Err(TokenError::Invalid("longer than 256 bytes"));
    }
    if t.chars().any(char::is_control) {
        return Err(TokenError::Invalid("contains control characters"));
    }
    Ok(t)
}

/// Set the flow message's wamid on its session once it is known (no-op for an unknown token).
pub fn link_wamid(token: &str, wamid: &str) -> Write {
    let key = keys::flow_session(token);
    Write::Update {
        pk: key.pk,
        sk: key.sk,
        updates: vec![Update::Set("wamid".into(), wamid.into())],
        cond: Some(Cond::ItemExists),
    }
}

/// Why a session refuses a request (HTTP 427 for all of them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The request has no token, or the token has no session.
    Unknown,
    /// The session's `valid_until` has passed.
    Expired,
    /// The session is already completed.
    Completed,
    /// The request's `flow_token_signature` is not the app's, or names another token
    /// ([`super::token_signature`]).
    Signature,
}

impl Refusal {
    /// The refusal's name (`unknown`, `expired`, `completed`, `signature`), for logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::Unknown => "unknown",
            Refusal::Expired => "expired",
            Refusal::Completed => "completed",
            Refusal::Signature => "signature",
        }
    }
}

/// A session as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct FlowSession {
    /// The flow token, read from the item's partition key (`FLOW#{token}`).
    pub token: String,
    /// The flow the token is bound to: Meta `flow_id`, or the flow name.
    pub flow: String,
    /// The business number's Meta phone number id; empty when not stored.
    pub phone_number_id: String,
    /// The recipient: a `wa_id` without `+`, or a BSUID; empty when not stored.
    pub recipient: String,
    /// The send request the token was issued for, if any.
    pub request_id: Option<String>,
    /// The flow message's wamid, once linked.
    pub wamid: Option<String>,
    /// [`STATE_ISSUED`], [`STATE_ACTIVE`] or [`STATE_COMPLETED`] (issued when absent).
    pub state: String,
    /// When the token stops being usable, in epoch seconds.
    pub valid_until: i64,
    /// How many steps the endpoint has recorded (0 when absent).
    pub steps: i64,
    /// The screen the endpoint last sent the user to.
    pub last_screen: Option<String>,
}

impl FlowSession {
    /// Read a session item; `None` when it is not one.
    pub fn from_item(item: &Item) -> Option<FlowSession> {
        let s = |n: &str| item.get_str(n).map(str::to_string);
        Some(FlowSession {
            token: keys::flow_token_of(&item.pk)?.to_string(),
            flow: s("flow")?,
            phone_number_id: s("phone_number_id").unwrap_or_default(),
            recipient: s("recipient").unwrap_or_default(),
            request_id: s("request_id"),
            wamid: s("wamid"),
            state: s("state").unwrap_or_else(|| STATE_ISSUED.into()),
            valid_until: item.get_i64("valid_until")?,
            steps: item.get_i64("steps").unwrap_or(0),
            last_screen: s("last_screen"),
        })
    }

    /// May this session take a request at `now`?
    pub fn check(&self, now: OffsetDateTime) -> Result<(), Refusal> {
        if self.state == STATE_COMPLETED {
            Err(Refusal::Completed)
        } else if now.unix_timestamp() >= self.valid_until {
            Err(Refusal::Expired)
        } else {
            Ok(())
        }
    }
}

/// The condition every step write carries: the session exists, is open, and has not expired.
pub fn open_session(now: OffsetDateTime) -> Cond {
    Cond::And(vec![
        Cond::ItemExists,
        Cond::Or(vec![
            Cond::AttrEq("state".into(), STATE_ISSUED.into()),
            Cond::AttrEq("state".into(), STATE_ACTIVE.into()),
        ]),
        Cond::AttrGt("valid_until".into(), now.unix_timestamp().into()),
    ])
}

/// One step of a session: which action on which screen, and where the endpoint sent the
/// user. With `completes`, the session is closed (the endpoint answered `SUCCESS`).
#[derive(Clone, Debug, PartialEq)]
pub struct Step<'a> {
    /// The request's `action`: `INIT`, `BACK`, `data_exchange` or `navigate`.
    pub action: &'a str,
    /// The request's `screen`, when it named one (it may be empty for `INIT` and `BACK`).
    pub screen: Option<&'a str>,
    /// The screen the response shows (`SUCCESS` when it completes).
    pub next_screen: &'a str,
    /// Whether the step closes the session (the endpoint answered `SUCCESS`).
    pub completes: bool,
    /// An error notification's key, when the step is one.
    pub error: Option<&'a str>,
}

/// The conditional update recording `step`; it fails (condition) on a completed or expired
/// session, so a reused or raced token is refused even between the read and the write.
pub fn record_step(token: &str, step: &Step<'_>, now: OffsetDateTime) -> Write {
    let key = keys::flow_session(token);
    let state = if step.completes { STATE_COMPLETED } else { STATE_ACTIVE };
    let mut updates = vec![
        Update::Set("state".into(), state.into()),
        Update::Set("last_action".into(), step.action.into()),
        Update::Set("last_screen".into(), step.next_screen.into()),
        Update::Set("last_step_at".into(), rfc3339(now).into()),
        Update::Add("steps".into(), 1),
    ];
    if let Some(screen) = step.screen.filter(|s| !s.is_empty()) {
        updates.push(Update::Set("last_request_screen".into(), screen.into()));
    }
    if let Some(e) = step.error {
        updates.push(Update::Set("last_error".into(), e.into()));
    }
    if step.completes {
        updates.push(Update::Set("completed_at".into(), rfc3339(now).into()));
        updates.push(Update::Set("completed_by".into(), "endpoint".into()));
    }
    Write::Update { pk: key.pk, sk: key.sk, updates, cond: Some(open_session(now)) }
}

/// Close a session from the flow's completion (`nfm_reply`): idempotent, no-op when the
/// token has no session. Keeps the first completion time.
pub fn close_from_reply(token: &str, reply_wamid: &str, at: OffsetDateTime) -> Write {
    let key = keys::flow_session(token);
    Write::Update {
        pk: key.pk,
        sk: key.sk,
        updates: vec![
            Update::Set("state".into(), STATE_COMPLETED.into()),
            Update::Set("reply_wamid".into(), reply_wamid.into()),
            Update::SetIfMissing("completed_at".into(), rfc3339(at).into()),
            Update::SetIfMissing("completed_by".into(), "reply".into()),
        ],
        cond: Some(Cond::ItemExists),
    }
}

/// The session attributes shown by tooling, as JSON.
pub fn session_json(item: &Item) -> Value {
    Value::Object(item.attrs.clone())
}

#[cfg(test)]
#[path = "token_tests.rs"]
mod tests;
