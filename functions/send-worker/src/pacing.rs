//! Pacing that holds across concurrent Lambda invocations, because its state is in the table:
//!
//! - **Per business number** (80 messages/s by default, up to 1000): one counter item per phone
//!   per epoch second, `PACE#{phone}` / `SEC#{s}`, *leased in blocks*: a batch takes all the
//!   sends it needs with one conditional `ADD n k` that only applies while `n + k ≤ limit`
//!   ([`lease`], [`Pacer`]). DynamoDB applies conditional updates to one item one at a time, so
//!   however many invocations race, at most `limit` sends start in any second, and the table
//!   sees one write per batch (1,000 sends/s in batches of 25: 40 writes/s on the item, far
//!   below a partition's 1,000). A full second sends the record back to the queue until the
//!   next one; nothing sleeps longer than `max_inline_wait` in the invocation.
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

use std::collections::HashMap;
use wapipe_shared::domain::keys;
use wapipe_shared::domain::keys::Key;
use wapipe_shared::domain::outbound::Category;

use wapipe_shared::consumer::Reader;
use wapipe_shared::ports::{Cond, PortResult, Store, Update, Updated, Write, WriteOutcome};

/// Seconds ahead a phone slot may be reserved.
pub const MAX_AHEAD_SECS: i64 = 5;
/// Optimistic-concurrency rounds on the pair item before giving a short wait instead.
const PAIR_ROUNDS: usize = 5;

/// Lease up to `want` sends from the phone's budget for epoch second `second`: one
/// conditional `ADD n want` that applies only while `n + want ≤ mps`. When fewer are left,
/// what is left is leased instead (one more write). Returns how many were granted (0: the
/// second is full). DynamoDB applies conditional updates to one item one at a time, so however
/// many invocations race, at most `mps` sends are leased for any second, and a batch pays one
/// write for all its sends instead of one per send.
pub async fn lease<S: Store>(
    store: &S,
    phone: &str,
    second: i64,
    want: u32,
    mps: u32,
    ttl_secs: i64,
) -> PortResult<u32> {
    let k = keys::pace_second(phone, second);
    let mut want = want.min(mps);
    for _ in 0..2 {
        if want == 0 {
            return Ok(0);
        }
        let updates = vec![
            Update::Add("n".into(), i64::from(want)),
            Update::SetIfMissing(keys::EXPIRES_AT.into(), (second + ttl_secs).into()),
        ];
        let room = i64::from(mps) - i64::from(want) + 1;
        let cond = Cond::Or(vec![Cond::ItemMissing, Cond::AttrLt("n".into(), room.into())]);
        match store.update(&k.pk, &k.sk, updates, Some(cond)).await? {
            Updated::Applied(_) => return Ok(want),
            Updated::ConditionFailed(old) => {
                let old = match old {
                    Some(item) => Some(item),
                    None => store.get(&k.pk, &k.sk).await?,
                };
                let used = old.and_then(|i| i.get_i64("n")).unwrap_or(0);
                want = u32::try_from((i64::from(mps) - used).max(0)).unwrap_or(0).min(want);
            }
        }
    }
    Ok(0)
}

/// What the phone's budget says about one send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Take {
    /// Go, after this wait (zero, or at most the guard before the next second starts).
    Go(Duration),
    /// The second is full: come back after this delay (the next second).
    Later(Duration),
}

/// Seconds this process saw full, per phone: later batches of the same second go back to the
/// queue without another (failing) conditional write. While a phone stays full, each record
/// sent back is given a later second than the one before (one more second per `mps` records),
/// so a backlog returns at about the rate the number can send instead of all at once every
/// second: each record is received a few times, not once a second until the DLQ takes it.
#[derive(Debug, Default)]
pub struct FullSeconds(std::sync::Mutex<HashMap<String, Full>>);

#[derive(Debug, Clone, Copy)]
struct Full {
    /// The last second seen full.
    second: i64,
    /// Records sent back since `since`, and the second they started to be counted from: the
    /// number can send `mps` of them a second, so `deferred - mps · (now - since)` are still
    /// waiting ahead of the next one.
    deferred: u64,
    since: i64,
}

impl Full {
    fn new(sec: i64) -> Full {
        Full { second: sec, deferred: 0, since: sec }
    }
}

impl FullSeconds {
    /// When `phone`'s budget for the second a send at `now_ms` would take is known full, how
    /// long the record should wait (it is counted as deferred).
    pub fn check(&self, phone: &str, now_ms: i64, guard: Duration, mps: u32) -> Option<Duration> {
        let (sec, _, _) = second_of(now_ms, guard);
        let full = self.0.lock().ok().and_then(|m| m.get(phone).copied()).is_some_and(|f| f.second == sec);
        full.then(|| self.defer(phone, now_ms, guard, mps))
    }

    /// How long a record the full budget sends back waits: the next second, plus a second for
    /// every `mps` records still waiting ahead of it (so it is received a few times, not until
    /// the DLQ takes it).
    pub fn defer(&self, phone: &str, now_ms: i64, guard: Duration, mps: u32) -> Duration {
        let (sec, _, next) = second_of(now_ms, guard);
        let mps = u64::from(mps.max(1));
        let Ok(mut m) = self.0.lock() else { return next };
        let f = m.entry(phone.to_string()).or_insert(Full::new(sec));
        let drained = mps.saturating_mul(u64::try_from(sec - f.since).unwrap_or(0));
        if drained >= f.deferred {
            *f = Full { second: f.second, ..Full::new(sec) };
        }
        let waiting = f.deferred.saturating_sub(mps.saturating_mul(u64::try_from(sec - f.since).unwrap_or(0)));
        f.deferred += 1;
        next + Duration::from_secs(waiting / mps)
    }

    fn mark(&self, phone: &str, sec: i64) {
        if let Ok(mut m) = self.0.lock() {
            m.entry(phone.to_string()).or_insert(Full::new(sec)).second = sec;
        }
    }
}

/// The second a send at `now_ms` takes its budget from (the next one within `guard` of the
/// end of a second), how long until it starts, and how long until the one after.
fn second_of(now_ms: i64, guard: Duration) -> (i64, Duration, Duration) {
    let guard_ms = (guard.as_millis() as i64).min(999);
    let sec = (now_ms + guard_ms).div_euclid(1000);
    let wait = Duration::from_millis((sec * 1000 - now_ms).max(0) as u64);
    let next = Duration::from_millis(((sec + 1) * 1000 - now_ms).max(1) as u64);
    (sec, wait, next)
}

/// The phone budget of one batch: the sends it leased, shared by the batch's records, so a
/// batch takes one lease per phone and second (`lease`), sized by how many of its records
/// send from that phone.
#[derive(Debug, Default)]
pub struct Pacer {
    /// Records of the batch per sender (`from`), from `prepare`.
    demand: HashMap<String, u32>,
    pools: tokio::sync::Mutex<HashMap<String, Pool>>,
}

#[derive(Debug, Default)]
struct Pool {
    second: i64,
    left: u32,
    /// The lease came back short: the second is full.
    full: bool,
    taken: u32,
}

impl Pacer {
    pub fn new(demand: HashMap<String, u32>) -> Pacer {
        Pacer { demand, pools: tokio::sync::Mutex::default() }
    }

    /// Take one send from the phone's budget. A send that would start within `guard` of the
    /// end of a second takes the next second's budget and waits for it, so no second ever
    /// starts more than `mps` sends.
    #[allow(clippy::too_many_arguments)]
    pub async fn take<S: Store>(
        &self,
        store: &S,
        full: &FullSeconds,
        from: &str,
        phone: &str,
        now_ms: i64,
        mps: u32,
        guard: Duration,
        ttl_secs: i64,
    ) -> PortResult<Take> {
        let (sec, wait, _) = second_of(now_ms, guard);
        let mut pools = self.pools.lock().await;
        let pool = pools.entry(from.to_string()).or_default();
        if pool.second != sec {
            *pool = Pool { second: sec, taken: pool.taken, ..Pool::default() };
        }
        if pool.left == 0 && !pool.full {
            let want = self.demand.get(from).copied().unwrap_or(1).saturating_sub(pool.taken).max(1);
            let granted = lease(store, phone, sec, want, mps, ttl_secs).await?;
            pool.left = granted;
            pool.full = granted < want;
            if pool.full {
                full.mark(phone, sec);
            }
        }
        if pool.left == 0 {
            return Ok(Take::Later(full.defer(phone, now_ms, guard, mps)));
        }
        pool.left -= 1;
        pool.taken += 1;
        Ok(Take::Go(wait))
    }
}

/// Take a slot in a per-second budget whose counters `key` names (`ADD n 1` while
/// `n < mps`), trying the next seconds up to [`MAX_AHEAD_SECS`] (a reservation there, and a
/// wait). Returns the wait and whether a slot was reserved.
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
    reads: &Reader<'_, S>,
    phone: &str,
    category: Option<Category>,
    now_ms: i64,
    mps: u32,
    ttl_secs: i64,
) -> PortResult<Duration> {
    if category != Some(Category::Marketing) {
        return Ok(Duration::ZERO);
    }
    match crate::guards::quality_slowdown(reads, phone).await? {
        None => Ok(Duration::ZERO),
        Some(why) => {
            let key = |s| keys::pace_marketing_second(phone, s);
            let (wait, _) = second_slot(reads.store, key, now_ms, mps, ttl_secs).await?;
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
    reads: &Reader<'_, S>,
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
    for round in 0..PAIR_ROUNDS {
        // The batch read serves the first round; a lost race reads again.
        let current = if round == 0 { reads.get(&k).await? } else { reads.fresh().get(&k).await? };
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
        if reads.store.write(w).await? == WriteOutcome::Applied {
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
    async fn leases_never_exceed_the_budget_across_concurrent_takers() {
        let store = Arc::new(MemoryStore::new());
        let mut tasks = Vec::new();
        for _ in 0..12 {
            let s = store.clone();
            tasks.push(tokio::spawn(async move { lease(&s, "P", 100, 10, 50, 60).await }));
        }
        let mut granted = Vec::new();
        for t in tasks {
            granted.push(t.await.unwrap().unwrap());
        }
        assert_eq!(granted.iter().sum::<u32>(), 50, "exactly the budget is leased: {granted:?}");
        assert!(granted.iter().all(|&g| g == 10 || g == 0), "{granted:?}");
        assert_eq!(lease(&*store, "P", 101, 60, 50, 60).await.unwrap(), 50, "a lease never exceeds mps");
    }

    #[tokio::test]
    async fn what_is_left_is_leased_when_a_block_does_not_fit() {
        let store = MemoryStore::new();
        assert_eq!(lease(&store, "P", 7, 8, 10, 60).await.unwrap(), 8);
        assert_eq!(lease(&store, "P", 7, 8, 10, 60).await.unwrap(), 2, "the last two");
        assert_eq!(lease(&store, "P", 7, 8, 10, 60).await.unwrap(), 0, "full");
    }

    #[tokio::test]
    async fn a_batch_takes_one_lease_and_defers_what_the_second_cannot_hold() {
        let store = MemoryStore::new();
        let pacer = Pacer::new(HashMap::from([("P".to_string(), 6)]));
        let full = FullSeconds::default();
        let t = 1_700_000_000_250;
        let guard = Duration::from_millis(50);
        let mut takes = Vec::new();
        for _ in 0..6 {
            takes.push(pacer.take(&store, &full, "P", "P", t, 4, guard, 60).await.unwrap());
        }
        let known = full.check("P", t + 10, guard, 4);
        assert_eq!(known, Some(Duration::from_millis(740)), "known full: no more writes, the same spread");
        assert_eq!(full.check("P", t + 800, guard, 4), None, "the next second is not");
        assert_eq!(takes.iter().filter(|t| **t == Take::Go(Duration::ZERO)).count(), 4);
        let later = [Take::Later(Duration::from_millis(750)); 2];
        assert_eq!(takes[4..], later, "both fit in the next second (4 a second)");
        // Three deferred so far; the next one still fits the next second, then a second more
        // for every 4 records ahead.
        let delays: Vec<u64> = (0..6).map(|_| full.defer("P", t, guard, 4).as_millis() as u64).collect();
        assert_eq!(delays, [750, 1750, 1750, 1750, 1750, 2750]);
        let item = store.get("PACE#P", "SEC#1700000000").await.unwrap().unwrap();
        assert_eq!(item.get_i64("n"), Some(4));
        // Near the end of a second, the send takes the next second's budget and waits for it.
        let near_end = 1_700_000_001_980;
        let pacer = Pacer::new(HashMap::from([("P".to_string(), 1)]));
        assert_eq!(
            pacer.take(&store, &FullSeconds::default(), "P", "P", near_end, 4, guard, 60).await.unwrap(),
            Take::Go(Duration::from_millis(20))
        );
        assert!(store.get("PACE#P", "SEC#1700000002").await.unwrap().is_some());
    }

    #[tokio::test]
    async fn pair_rate_allows_a_burst_then_spaces() {
        let store = MemoryStore::new();
        let i = Duration::from_secs(6);
        let t0 = 1_700_000_000_000;
        let r = Reader::direct(&store);
        for _ in 0..3 {
            assert_eq!(pair_slot(&r, "P", "U", t0, i, 3, 60).await.unwrap(), Duration::ZERO);
        }
        assert_eq!(pair_slot(&r, "P", "U", t0, i, 3, 60).await.unwrap(), Duration::from_secs(6));
        assert_eq!(pair_slot(&r, "P", "U", t0 + 6000, i, 3, 60).await.unwrap(), Duration::ZERO);
        assert_eq!(pair_slot(&r, "P", "OTHER", t0, i, 3, 60).await.unwrap(), Duration::ZERO);
        store.write(pair_penalty("P", "U", t0 + 6000, i, 3, 60)).await.unwrap();
        assert!(pair_slot(&r, "P", "U", t0 + 6000, i, 3, 60).await.unwrap() >= Duration::from_secs(6));
    }
}
