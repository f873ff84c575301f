//! Pacing that holds across concurrent Lambda invocations, because its state is in the table:
//!
//! - **Per business number** (80 messages/s by default, up to 1000): one counter item per phone
//!   per epoch second, `PACE#{phone}` / `SEC#{s}`, taken with a conditional `ADD n 1` that
//!   only applies while `n < limit`. DynamoDB applies conditional updates to one item one at a
//!   time, so however many invocations race, at most `limit` calls start in any second. A
//!   full second makes the caller try the next ones (a reservation there), and wait.
//! - **Per recipient** (pair rate, ~1 message per 6 s after a short burst): a GCRA
//!   ("virtual scheduling") on `PACE#{phone}#{wa_id}` / `PAIR`, attribute `tat_ms` (the
//!   theoretical arrival time), advanced with optimistic concurrency (the update is
//!   conditional on the `tat_ms` read), so two invocations cannot both take the same slot.
//!
//! - **Marketing from a degraded number** (quality RED or FLAGGED, read from the quality
//!   snapshotter's `QUALITY#{phone}` / `LATEST`): a second, lower per-second budget
//!   (`degraded_marketing_mps`) on `PACE#{phone}#MARKETING` / `SEC#{s}`, taken like the phone's.
//!   A lower pace rather than a fixed delay: a delay only moves a burst later, while a budget in
//!   the table bounds the rate across every concurrent invocation, and service and utility
//!   messages keep the full pace (Meta's quality signal is driven by marketing: blocks and
//!   reports). It is a pace, not a refusal: the sends still go, fewer per second.
//!
//! A wait up to `max_inline_wait` is slept in-process; a longer one sends the record back to
//! the queue with that delay (visibility), which is not an attempt.

use std::time::Duration;

use wapipe_shared::domain::keys;
use wapipe_shared::domain::keys::Key;
use wapipe_shared::domain::outbound::Category;
use wapipe_shared::ports::{Cond, PortResult, Store, Update, Write, WriteOutcome};

/// Seconds ahead a phone slot may be reserved.
pub const MAX_AHEAD_SECS: i64 = 5;
/// Optimistic-concurrency rounds on the pair item before giving a short wait instead.
const PAIR_ROUNDS: usize = 5;

/// Take a slot in the phone's per-second budget. Returns how long to wait before sending
/// (zero: now). With every second up to [`MAX_AHEAD_SECS`] full, returns that horizon without
/// a reservation (the caller defers the record).
pub async fn phone_slot<S: Store>(
    store: &S,
    phone: &str,
    now_ms: i64,
    mps: u32,
    ttl_secs: i64,
) -> PortResult<(Duration, bool)> {
    second_slot(store, |s| keys::pace_second(phone, s), now_ms, mps, ttl_secs).await
}

/// A slot in a per-second budget whose counters `key` names, as [`phone_slot`] describes.
async fn second_slot<S: Store>(
    store: &S,
    key: impl Fn(i64) -> Key,
    now_ms: i64,
    mps: u32,
    ttl_secs: i64,
) -> PortResult<(Duration, bool)> {
    let sec = now_ms.div_euclid(1000);
    for ahead in 0..=MAX_AHEAD_SECS {
        let s = sec + ahead;
        let k = key(s);
        let w = Write::Update {
            pk: k.pk,
            sk: k.sk,
            updates: vec![
                Update::Add("n".into(), 1),
                Update::SetIfMissing(keys::EXPIRES_AT.into(), (s + ttl_secs).into()),
            ],
            cond: Some(Cond::Or(vec![Cond::ItemMissing, Cond::AttrLt("n".into(), i64::from(mps).into())])),
        };
        if store.write(w).await? == WriteOutcome::Applied {
            let wait = if ahead == 0 { 0 } else { (s * 1000 - now_ms).max(0) };
            return Ok((Duration::from_millis(wait as u64), true));
        }
    }
    Ok((Duration::from_secs(MAX_AHEAD_SECS as u64 + 1), false))
}

/// Marketing from a degraded number (RED or FLAGGED) takes a slot in its own, lower budget
/// of `mps` per second. Returns how long to wait (zero: now, or not marketing, or healthy).
pub async fn degraded_marketing_slot<S: Store>(
    store: &S,
    phone: &str,
    category: Option<Category>,
    now_ms: i64,
    mps: u32,
    ttl_secs: i64,
) -> PortResult<Duration> {
    if category != Some(Category::Marketing) {
        return Ok(Duration::ZERO);
    }
    match crate::guards::quality_slowdown(store, phone).await? {
        None => Ok(Duration::ZERO),
        Some(why) => {
            let (wait, _) =
                second_slot(store, |s| keys::pace_marketing_second(phone, s), now_ms, mps, ttl_secs).await?;
            if !wait.is_zero() {
                tracing::debug!(%why, wait_ms = wait.as_millis() as u64, "marketing slowed on a degraded number");
            }
            Ok(wait)
        }
    }
}

/// Take the recipient's next slot (GCRA). Returns how long to wait; when non-zero, nothing was
/// taken (the caller retries after the wait).
pub async fn pair_slot<S: Store>(
    store: &S,
    phone: &str,
    wa_id: &str,
    now_ms: i64,
    interval: Duration,
    burst: u32,
    ttl_secs: i64,
) -> PortResult<Duration> {
    let interval_ms = interval.as_millis() as i64;
    if interval_ms == 0 {
        return Ok(Duration::ZERO);
    }
    let tolerance = interval_ms.saturating_mul(i64::from(burst.max(1)) - 1);
    let k = keys::pace_pair(phone, wa_id);
    for _ in 0..PAIR_ROUNDS {
        let current = store.get(&k.pk, &k.sk).await?;
        let tat_read = current.as_ref().and_then(|i| i.get_i64("tat_ms"));
        let tat = tat_read.unwrap_or(0).max(now_ms);
        if tat - now_ms > tolerance {
            return Ok(Duration::from_millis((tat - tolerance - now_ms) as u64));
        }
        let next = tat + interval_ms;
        let cond = match (&current, tat_read) {
            (None, _) => Cond::ItemMissing,
            (Some(_), Some(t)) => Cond::AttrEq("tat_ms".into(), t.into()),
            (Some(_), None) => Cond::AttrMissing("tat_ms".into()),
        };
        let w = Write::Update {
            pk: k.pk.clone(),
            sk: k.sk.clone(),
            updates: vec![
                Update::Set("tat_ms".into(), next.into()),
                Update::Set(keys::EXPIRES_AT.into(), (next / 1000 + ttl_secs).into()),
            ],
            cond: Some(cond),
        };
        if store.write(w).await? == WriteOutcome::Applied {
            return Ok(Duration::ZERO);
        }
    }
    Ok(Duration::from_millis(interval_ms.min(1000) as u64))
}

/// Meta said 131056 (pair rate hit): push the recipient's schedule a full burst ahead, so
/// every worker backs off this user, not just the one that hit it.
pub fn pair_penalty(phone: &str, wa_id: &str, now_ms: i64, interval: Duration, burst: u32, ttl_secs: i64) -> Write {
    let k = keys::pace_pair(phone, wa_id);
    let next = now_ms + interval.as_millis() as i64 * i64::from(burst.max(1));
    Write::Update {
        pk: k.pk,
        sk: k.sk,
        updates: vec![
            Update::Set("tat_ms".into(), next.into()),
            Update::Set(keys::EXPIRES_AT.into(), (next / 1000 + ttl_secs).into()),
        ],
        cond: Some(Cond::missing_or_lt("tat_ms", next)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use wapipe_shared::memory::MemoryStore;

    #[tokio::test]
    async fn phone_budget_holds_across_concurrent_takers() {
        let store = Arc::new(MemoryStore::new());
        let now_ms = 1_700_000_000_250;
        let mut tasks = Vec::new();
        for _ in 0..25 {
            let s = store.clone();
            tasks.push(tokio::spawn(async move { phone_slot(&s, "P", now_ms, 10, 60).await }));
        }
        let mut waits = Vec::new();
        for t in tasks {
            waits.push(t.await.unwrap().unwrap());
        }
        let now: Vec<_> = waits.iter().filter(|(w, _)| w.is_zero()).collect();
        assert_eq!(now.len(), 10, "exactly the budget starts this second");
        let next = waits.iter().filter(|(w, _)| *w == Duration::from_millis(750)).count();
        assert_eq!(next, 10, "the next ten reserve the next second");
        assert!(waits.iter().all(|(_, reserved)| *reserved));
    }

    #[tokio::test]
    async fn pair_rate_allows_a_burst_then_spaces() {
        let store = MemoryStore::new();
        let i = Duration::from_secs(6);
        let t0 = 1_700_000_000_000;
        for _ in 0..3 {
            assert_eq!(pair_slot(&store, "P", "U", t0, i, 3, 60).await.unwrap(), Duration::ZERO);
        }
        assert_eq!(pair_slot(&store, "P", "U", t0, i, 3, 60).await.unwrap(), Duration::from_secs(6));
        assert_eq!(pair_slot(&store, "P", "U", t0 + 6000, i, 3, 60).await.unwrap(), Duration::ZERO);
        assert_eq!(pair_slot(&store, "P", "OTHER", t0, i, 3, 60).await.unwrap(), Duration::ZERO);
        store.write(pair_penalty("P", "U", t0 + 6000, i, 3, 60)).await.unwrap();
        assert!(pair_slot(&store, "P", "U", t0 + 6000, i, 3, 60).await.unwrap() >= Duration::from_secs(6));
    }
}
