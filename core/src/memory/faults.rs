//! Fault injection shared by the in-memory adapters.
//!
//! A [`Faults`] handle is cheap to clone (it shares its state), so a test can keep one while
//! the adapter is owned by the code under test. Operation names are the port methods:
//! `get`, `write`, `transact`, `query` (store), `put_events` (bus), `send`, `receive`,
//! `delete`, `change_visibility`, `depth` (queue); [`ANY_OP`] matches all of them.

use std::sync::{Arc, Mutex, MutexGuard};

use crate::ports::{PortError, PortResult};

/// Matches every operation in [`Faults::fail_nth_call`].
pub const ANY_OP: &str = "*";

#[derive(Debug)]
struct NthCall {
    op: String,
    /// Matching calls still to pass before the failing one.
    remaining: u64,
    transient: bool,
}

#[derive(Debug, Default)]
struct State {
    nth: Vec<NthCall>,
    key_prefixes: Vec<String>,
    detail_types: Vec<String>,
    injected: u64,
}

/// Injected failures for one or more in-memory adapters.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    state: Arc<Mutex<State>>,
}

impl Faults {
    /// A handle with nothing injected.
    pub fn new() -> Faults {
        Faults::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The `n`th call (1-based, counted from now) to `op` (or to any op with [`ANY_OP`])
    /// fails once: with a throttling-like `Transient` error, or a `Permanent` one.
    /// `n == 0` is treated as 1.
    pub fn fail_nth_call(&self, op: &str, n: u64, transient: bool) {
        self.lock().nth.push(NthCall { op: op.to_string(), remaining: n.saturating_sub(1), transient });
    }

    /// The next call to `op` fails transiently.
    pub fn fail_next(&self, op: &str) {
        self.fail_nth_call(op, 1, true);
    }

    /// Every get/write/transact/query touching a partition key that starts with `pk_prefix`
    /// fails transiently (until [`Faults::clear`]).
    pub fn fail_key(&self, pk_prefix: &str) {
        self.lock().key_prefixes.push(pk_prefix.to_string());
    }

    /// Bus entries of this detail-type come back `Failed { retryable: true }`; the others
    /// in the same call succeed.
    pub fn fail_entries_matching(&self, detail_type: &str) {
        self.lock().detail_types.push(detail_type.to_string());
    }

    /// Remove every injected fault.
    pub fn clear(&self) {
        let mut s = self.lock();
        s.nth.clear();
        s.key_prefixes.clear();
        s.detail_types.clear();
    }

    /// How many failures were injected so far (calls and bus entries).
    pub fn injected(&self) -> u64 {
        self.lock().injected
    }

    /// Called by an adapter at the start of every operation, with the partition keys it touches.
    pub(crate) fn check(&self, service: &'static str, op: &'static str, pks: &[&str]) -> PortResult<()> {
        let mut s = self.lock();
        let mut fired: Option<bool> = None;
        let mut i = 0;
        while let Some(f) = s.nth.get_mut(i) {
            if f.op == op || f.op == ANY_OP {
                if f.remaining == 0 {
                    if fired.is_none() {
                        fired = Some(f.transient);
                        s.nth.remove(i);
                        continue;
                    }
                } else {
                    f.remaining -= 1;
                }
            }
            i += 1;
        }
        let key_hit = pks.iter().find(|pk| s.key_prefixes.iter().any(|p| pk.starts_with(p.as_str())));
        let err = match (fired, key_hit) {
            (Some(false), _) => Some(PortError::Permanent {
                service,
                op,
                message: "ValidationException: injected permanent failure".into(),
            }),
            (Some(true), _) => Some(throttled(service, op)),
            (None, Some(_)) => Some(throttled(service, op)),
            (None, None) => None,
        };
        match err {
            Some(e) => {
                s.injected += 1;
                Err(e)
            }
            None => Ok(()),
        }
    }

    /// Whether a bus entry of this detail-type should fail.
    pub(crate) fn entry_fails(&self, detail_type: &str) -> bool {
        let mut s = self.lock();
        let hit = s.detail_types.iter().any(|d| d == detail_type);
        if hit {
            s.injected += 1;
        }
        hit
    }
}

fn throttled(service: &'static str, op: &'static str) -> PortError {
    PortError::Transient { service, op, message: "ThrottlingException: Rate exceeded (injected)".into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nth_call_fails_once_and_counts_only_matching_ops() {
        let f = Faults::new();
        f.fail_nth_call("write", 2, true);
        assert!(f.check("s", "get", &[]).is_ok());
        assert!(f.check("s", "write", &[]).is_ok());
        let e = f.check("s", "write", &[]).unwrap_err();
        assert!(e.is_retryable());
        assert!(f.check("s", "write", &[]).is_ok());
        assert_eq!(f.injected(), 1);
    }

    #[test]
    fn any_op_and_permanent() {
        let f = Faults::new();
        f.fail_nth_call(ANY_OP, 1, false);
        let e = f.check("s", "query", &[]).unwrap_err();
        assert!(!e.is_retryable());
    }

    #[test]
    fn key_prefix_until_cleared() {
        let f = Faults::new();
        f.fail_key("MSG#");
        assert!(f.check("s", "get", &["PHONE#1"]).is_ok());
        assert!(f.check("s", "get", &["MSG#x"]).unwrap_err().is_retryable());
        assert!(f.check("s", "write", &["MSG#y"]).is_err());
        f.clear();
        assert!(f.check("s", "get", &["MSG#x"]).is_ok());
    }

    #[test]
    fn entries() {
        let f = Faults::new();
        f.fail_entries_matching("whatsapp.message.status");
        assert!(f.entry_fails("whatsapp.message.status"));
        assert!(!f.entry_fails("whatsapp.message.received"));
    }
}
