//! Pacing that holds across concurrent Lambda invocations, because its state is in the table:
//!
//! - **Per business number** (80 messages/s by default, up to 1000): one counter item per phone
//!   per epoch second, `PACE#{phone}` / `SEC#{s}`, *leased in blocks*: a batch takes all the
//!   sends it needs with one conditional `ADD n k` that only applies while `n + k ≤ limit`
//!   ([`lease`], [`Pacer`]). DynamoDB applies conditional updates to one item one at a time, so
//!   however many invocations race, at most `limit` sends start in any second, and the table
//!   sees one write per batch (1,000 sends/s in batches of 25: 40 writes/s on the item, far
//!   below a partition's 1,000). Nothing sleeps longer than `max_inline_wait` in the
//!   invocation: a full second sends the record back to the queue, *promised* to a later
//!   second (`ADD p k` on the same item, [`promise`]). The promises are in the table, so every
//!   concurrent invocation spreads its waiting records over the same seconds ahead: each
//!   second gets about its budget back, and a backlog of 100,000 records is received a few
//!   times each, not once a second until the DLQ takes it (a count kept in each process
//!   would only see its own share and send everything back far too early). The batch read
//!   includes the pacing items of the seconds ahead ([`lookahead`]), so a promise starts at
//!   the first second that had room instead of being refused second by second; one promise
//!   covers every record of the batch still to come ([`FullSeconds`] keeps the places left).
//! - **Per recipient** (pair rate, ~1 message per 6 s after a short burst): a GCRA
//!   ("virtual scheduling") on `PACE#{phone}#{wa_id}` / `PAIR`, attribute `tat_ms` (the
//!   theoretical arrival time), advanced with optimistic concurrency (the update is
//!   conditional on the `tat_ms` read), so two invocations cannot both take the same slot.
//!   The slot is planned from the batch read ([`pair_plan`]) and written in one transaction
//!   with the send's claim: a send that goes has taken its slot, one held back has taken none,
//!   and the pair rate costs no round trip of its own.
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
use wapipe_core::domain::keys;
use wapipe_core::domain::keys::Key;
use wapipe_core::domain::outbound::Category;

use wapipe_core::app::consumer::Reader;
use wapipe_core::ports::{Cond, Item, PortResult, Store, Update, Updated, Write, WriteOutcome};

/// Seconds ahead a phone slot may be reserved.
pub const MAX_AHEAD_SECS: i64 = 5;
/// Rounds of the claim transaction when another send took the recipient's pair slot first.
pub const PAIR_ROUNDS: usize = 5;

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
        match add_within(store, &k, second + ttl_secs, "n", want, mps).await? {
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
    /// The second is full: come back after this delay, in whole seconds (the second promised).
    Later(Duration),
}

/// `ADD attr k` on a second's pacing item while `attr + k ≤ cap` (a missing item or attribute
/// counts as 0: the budget's `n` and the promises' `p` share the item, either may come first).
async fn add_within<S: Store>(
    store: &S,
    k: &Key,
    expires_at: i64,
    attr: &str,
    add: u32,
    cap: u32,
) -> PortResult<Updated> {
    let updates = vec![
        Update::Add(attr.into(), i64::from(add)),
        Update::SetIfMissing(keys::EXPIRES_AT.into(), expires_at.into()),
    ];
    let room = i64::from(cap) - i64::from(add) + 1;
    store.update(&k.pk, &k.sk, updates, Some(Cond::missing_or_lt(attr, room))).await
}

/// Promises per second may exceed the budget by this fraction. SQS counts visibility in whole
/// seconds, so a record sent back at fraction `f` of a second arrives at the same fraction of
/// the promised one: the records promised to a second arrive over it, some too late to be
/// sent in it. The excess is sent back again, to the first second with room. (`wapipe bench`,
/// 100,000 sends at 1,000/s, with 8 round trips a batch: 25 % → 910/s, 50 % → 915/s, 100 % →
/// 931/s, each step costing more records sent back and more writes; see the README.)
pub const PROMISE_HEADROOM_PCT: u32 = 25;
/// Seconds tried, one conditional write each, before a block is sent back unpromised.
const PROMISE_TRIES: usize = 8;

/// Promise `want` records sent back to a later second of the phone's budget: the first second
/// from `from` whose promises leave room (`ADD p want` while `p + want ≤ cap`, on the same
/// `PACE#{phone}` / `SEC#{s}` item as the budget's `n`). Promises send nothing: they spread
/// the records that wait over the seconds ahead, across every concurrent invocation (the
/// count is in the table, not in one process), so each second gets about its budget back and
/// no record is received again and again. The budget (`n`, [`lease`]) still decides every
/// send. Returns the second promised and how many records it took (`want`, at most `cap`);
/// when `PROMISE_TRIES` seconds were full, the one after the last tried, unpromised.
pub async fn promise<S: Store>(
    store: &S,
    phone: &str,
    from: i64,
    want: u32,
    cap: u32,
    ttl_secs: i64,
) -> PortResult<(i64, u32)> {
    let want = want.clamp(1, cap.max(1));
    let mut second = from;
    for _ in 0..PROMISE_TRIES {
        let k = keys::pace_second(phone, second);
        match add_within(store, &k, second + ttl_secs, "p", want, cap).await? {
            Updated::Applied(_) => return Ok((second, want)),
            Updated::ConditionFailed(_) => second += 1,
        }
    }
    Ok((second, want))
}

/// How many records sent back one second may be promised at `mps` (see
/// [`PROMISE_HEADROOM_PCT`]).
pub fn promise_cap(mps: u32) -> u32 {
    let cap = u64::from(mps) * u64::from(100 + PROMISE_HEADROOM_PCT) / 100;
    u32::try_from(cap).unwrap_or(u32::MAX).max(1)
}

/// What this process knows of each phone's seconds: the last one it saw full (later batches
/// of that second go back to the queue without another failing write), the first second
/// that may still take promises (where the next [`promise`] starts looking), and the
/// promises it holds but has not used yet.
#[derive(Debug, Default)]
pub struct FullSeconds(std::sync::Mutex<HashMap<String, Known>>);

#[derive(Debug, Clone, Copy, Default)]
struct Known {
    full: i64,
    frontier: i64,
    /// Records this process may still send back to a second it promised: a block is promised
    /// for every record of the batch still to come, and the batch's later records (or a
    /// concurrent batch's) take their places from it without a write.
    spare: Option<(i64, u32)>,
}

impl FullSeconds {
    /// Whether `phone`'s budget for the second a send at `now_ms` takes is known full.
    pub fn is_full(&self, phone: &str, now_ms: i64, guard: Duration) -> bool {
        let (sec, _, _) = second_of(now_ms, guard);
        self.known(phone).full == sec
    }

    /// The first second a promise made at `now_ms` may go to: the next one, or this
    /// process's frontier when that is further.
    pub fn promise_from(&self, phone: &str, now_ms: i64) -> i64 {
        (now_ms.div_euclid(1000) + 1).max(self.known(phone).frontier)
    }

    fn known(&self, phone: &str) -> Known {
        self.0.lock().ok().and_then(|m| m.get(phone).copied()).unwrap_or_default()
    }

    fn update(&self, phone: &str, f: impl FnOnce(&mut Known)) {
        if let Ok(mut m) = self.0.lock() {
            f(m.entry(phone.to_string()).or_default());
        }
    }

    fn mark(&self, phone: &str, sec: i64) {
        self.update(phone, |k| k.full = k.full.max(sec));
    }

    /// One record's place in a second this process promised and that is still ahead of
    /// `sec`, without a write.
    fn take_spare(&self, phone: &str, sec: i64) -> Option<i64> {
        let mut taken = None;
        self.update(phone, |k| {
            if let Some((s, left)) = k.spare {
                if s > sec && left > 0 {
                    k.spare = Some((s, left - 1));
                    taken = Some(s);
                }
            }
        });
        taken
    }

    /// A new promise of `block` records to `second`, one of them used at once: the rest is
    /// this process's spare (replacing an older one, whose records are then not sent there:
    /// that second gets fewer back, never more).
    fn promised(&self, phone: &str, second: i64, block: u32) {
        self.update(phone, |k| {
            k.frontier = k.frontier.max(second);
            k.spare = Some((second, block.saturating_sub(1)));
        });
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
/// send from that phone; and, for the records the budget sends back, one promise of a later
/// second for all of them (`promise`).
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
    /// Records sent back so far.
    deferred: u32,
}

/// The phone and budget a take is for.
#[derive(Debug, Clone, Copy)]
pub struct Budget<'a> {
    /// The sender as requests name it (the batch's demand is counted by it).
    pub from: &'a str,
    /// The Meta phone number id (the pacing items' key).
    pub phone: &'a str,
    /// Sends this budget allows per epoch second (the config's `phone_mps`).
    pub mps: u32,
    /// Within this of the end of a second, a send takes the next second's budget and waits.
    pub guard: Duration,
    /// Lifetime of the pacing items written, in seconds (DynamoDB TTL; `pace_ttl_secs`).
    pub ttl_secs: i64,
}

impl Pacer {
    /// The pacer of one batch; `demand` counts the batch's records per sender (`from`), which
    /// sizes each phone's lease.
    pub fn new(demand: HashMap<String, u32>) -> Pacer {
        Pacer { demand, pools: tokio::sync::Mutex::default() }
    }

    /// Take one send from the phone's budget. A send that would start within `guard` of the
    /// end of a second takes the next second's budget and waits for it, so no second ever
    /// starts more than `mps` sends. A full second sends the record back to a promised later
    /// second.
    pub async fn take<S: Store>(&self, store: &S, full: &FullSeconds, b: Budget<'_>, now_ms: i64) -> PortResult<Take> {
        let (_, wait, _) = second_of(now_ms, b.guard);
        let mut pools = self.pools.lock().await;
        let pool = pools.entry(b.from.to_string()).or_default();
        self.fill(store, full, b, now_ms, pool).await?;
        if pool.left > 0 {
            pool.left -= 1;
            pool.taken += 1;
            return Ok(Take::Go(wait));
        }
        self.send_back(store, full, b, now_ms, pool).await.map(Take::Later)
    }

    /// Lease the batch's sends before its records ask (with the batch read, in `prepare`): the
    /// lease the first take would make, one round trip earlier. Sends it leases for records
    /// that then go no further (duplicates, refusals) are not used: a second may then start
    /// fewer than `mps` sends, never more. A failure leaves the pool empty: the first take
    /// leases again, and reports it.
    pub async fn prelease<S: Store>(&self, store: &S, full: &FullSeconds, b: Budget<'_>, now_ms: i64) {
        let mut pools = self.pools.lock().await;
        let pool = pools.entry(b.from.to_string()).or_default();
        if let Err(e) = self.fill(store, full, b, now_ms, pool).await {
            tracing::debug!(error = %e, "early lease failed; the first send leases again");
        }
    }

    /// The pool for the second a send at `now_ms` takes: leased when empty, unless that
    /// second is known full.
    async fn fill<S: Store>(
        &self,
        store: &S,
        full: &FullSeconds,
        b: Budget<'_>,
        now_ms: i64,
        pool: &mut Pool,
    ) -> PortResult<()> {
        let (sec, _, _) = second_of(now_ms, b.guard);
        if pool.second != sec {
            *pool = Pool { second: sec, taken: pool.taken, deferred: pool.deferred, ..Pool::default() };
        }
        if pool.left == 0 && !pool.full && full.is_full(b.phone, now_ms, b.guard) {
            pool.full = true;
        }
        if pool.left == 0 && !pool.full {
            let want = self.wanted(b.from, pool);
            let granted = lease(store, b.phone, sec, want, b.mps, b.ttl_secs).await?;
            pool.left = granted;
            pool.full = granted < want;
            if pool.full {
                full.mark(b.phone, sec);
            }
        }
        Ok(())
    }

    /// A record the budget cannot take now: how long until the second promised to it. It
    /// takes a place this process already holds in a second ahead; when there is none, one
    /// conditional write promises a block for every record of the batch still to come
    /// (within the second's cap), starting where the batch read saw room ([`Pacer::room_ahead`]).
    async fn send_back<S: Store>(
        &self,
        store: &S,
        full: &FullSeconds,
        b: Budget<'_>,
        now_ms: i64,
        pool: &mut Pool,
    ) -> PortResult<Duration> {
        let (sec, _, _) = second_of(now_ms, b.guard);
        let second = match full.take_spare(b.phone, sec) {
            Some(s) => s,
            None => {
                let want = self.wanted(b.from, pool);
                let from = full.promise_from(b.phone, now_ms).max(sec + 1);
                let (s, block) = promise(store, b.phone, from, want, promise_cap(b.mps), b.ttl_secs).await?;
                full.promised(b.phone, s, block);
                s
            }
        };
        pool.deferred += 1;
        // Whole seconds (what SQS counts): the record arrives in `second`, at the fraction of a
        // second it was sent back at.
        Ok(Duration::from_secs(u64::try_from(second - now_ms.div_euclid(1000)).unwrap_or(1).max(1)))
    }

    /// What the batch read says of the phone's seconds ahead ([`lookahead`]): the first whose
    /// promises leave room for this batch's block becomes where this process's next promise
    /// starts looking (promises only grow, so the seconds before it stay full).
    pub fn room_ahead(&self, full: &FullSeconds, b: Budget<'_>, ahead: impl Iterator<Item = (i64, Option<Item>)>) {
        let block = self.demand.get(b.from).copied().unwrap_or(1).max(1);
        let cap = i64::from(promise_cap(b.mps));
        let mut last = None;
        for (second, item) in ahead {
            let promised = item.and_then(|i| i.get_i64("p")).unwrap_or(0);
            if promised + i64::from(block) <= cap {
                full.update(b.phone, |k| k.frontier = k.frontier.max(second));
                return;
            }
            last = Some(second);
        }
        if let Some(s) = last {
            full.update(b.phone, |k| k.frontier = k.frontier.max(s + 1));
        }
    }

    /// Records of the batch from this sender not yet taken or sent back (at least one).
    fn wanted(&self, from: &str, pool: &Pool) -> u32 {
        self.demand.get(from).copied().unwrap_or(1).saturating_sub(pool.taken + pool.deferred).max(1)
    }
}

/// Seconds ahead of the current one whose pacing items the batch read includes.
pub const LOOKAHEAD_SECS: i64 = 6;

/// The phone's pacing items for the [`LOOKAHEAD_SECS`] seconds from `from` (see
/// [`FullSeconds::promise_from`]), with their seconds.
pub fn lookahead(phone: &str, from: i64) -> impl Iterator<Item = (i64, Key)> + '_ {
    (from..from + LOOKAHEAD_SECS).map(move |s| (s, keys::pace_second(phone, s)))
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

/// What the recipient's pair rate says about one send, planned from the pair item as read.
#[derive(Clone, Debug, PartialEq)]
pub enum Pair {
    /// No pair pacing (interval 0).
    Free,
    /// The recipient's next slot is this far away; nothing is taken.
    Wait(Duration),
    /// The slot is free: this write takes it, conditional on the item as read (so two
    /// invocations cannot both take it). The worker commits it with the send's claim.
    Take(Write),
}

/// Plan the recipient's next slot (GCRA, "virtual scheduling") from `current`, the pair item
/// `PACE#{phone}#{wa_id}` / `PAIR` as read (`tat_ms`: the theoretical arrival time). Pure.
pub fn pair_plan(
    current: Option<&Item>,
    phone: &str,
    wa_id: &str,
    now_ms: i64,
    interval: Duration,
    burst: u32,
    ttl_secs: i64,
) -> Pair {
    let interval_ms = interval.as_millis() as i64;
    if interval_ms == 0 {
        return Pair::Free;
    }
    let tolerance = interval_ms.saturating_mul(i64::from(burst.max(1)) - 1);
    let tat_read = current.and_then(|i| i.get_i64("tat_ms"));
    let tat = tat_read.unwrap_or(0).max(now_ms);
    if tat - now_ms > tolerance {
        return Pair::Wait(Duration::from_millis((tat - tolerance - now_ms) as u64));
    }
    let next = tat + interval_ms;
    let cond = match (current, tat_read) {
        (None, _) => Cond::ItemMissing,
        (Some(_), Some(t)) => Cond::AttrEq("tat_ms".into(), t.into()),
        (Some(_), None) => Cond::AttrMissing("tat_ms".into()),
    };
    let k = keys::pace_pair(phone, wa_id);
    Pair::Take(Write::Update {
        pk: k.pk,
        sk: k.sk,
        updates: vec![
            Update::Set("tat_ms".into(), next.into()),
            Update::Set(keys::EXPIRES_AT.into(), (next / 1000 + ttl_secs).into()),
        ],
        cond: Some(cond),
    })
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
    use wapipe_core::memory::MemoryStore;

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

    fn budget(mps: u32) -> Budget<'static> {
        Budget { from: "P", phone: "P", mps, guard: Duration::from_millis(50), ttl_secs: 60 }
    }

    async fn takes(store: &MemoryStore, full: &FullSeconds, n: u32, mps: u32, at: i64) -> Vec<Take> {
        let pacer = Pacer::new(HashMap::from([("P".to_string(), n)]));
        let mut out = Vec::new();
        for _ in 0..n {
            out.push(pacer.take(store, full, budget(mps), at).await.unwrap());
        }
        out
    }

    #[tokio::test]
    async fn a_batch_takes_one_lease_and_sends_back_to_promised_seconds() {
        let store = MemoryStore::new();
        let full = FullSeconds::default();
        let t = 1_700_000_000_250;
        let later = |secs| Take::Later(Duration::from_secs(secs));
        // mps 4: four go, the other two are promised the next second. Visibility is whole
        // seconds: they arrive in it at the same fraction (.250).
        let first = takes(&store, &full, 6, 4, t).await;
        assert_eq!(first, [vec![Take::Go(Duration::ZERO); 4], vec![later(1); 2]].concat());
        assert!(full.is_full("P", t + 10, Duration::from_millis(50)), "known full for the rest of the second");
        assert!(!full.is_full("P", t + 800, Duration::from_millis(50)), "the next second is not");
        let item = store.get("PACE#P", "SEC#1700000001").await.unwrap().unwrap();
        assert_eq!((item.get_i64("n"), item.get_i64("p")), (None, Some(2)), "promised, not leased");
        // Another invocation (its own process state) learns it all from the table. A second
        // takes 5 promises at mps 4 (the headroom): its block of 5 does not fit the next
        // second's 3 left, so it goes to the one after, the last record further on.
        assert_eq!(promise_cap(4), 5);
        let other = FullSeconds::default();
        let second = takes(&store, &other, 6, 4, t + 100).await;
        assert_eq!(second, [vec![later(2); 5], vec![later(3); 1]].concat());
        let mut promised = Vec::new();
        for s in 1..=3 {
            promised.push(store_p(&store, 1_700_000_000 + s).await);
        }
        assert_eq!(promised, [Some(2), Some(5), Some(1)], "never more than the cap a second");
        let n = store.get("PACE#P", "SEC#1700000000").await.unwrap().unwrap().get_i64("n");
        assert_eq!(n, Some(4), "the budget itself: never more than mps");
        // Near the end of a second, the send takes the next second's budget and waits for it.
        let near_end = 1_700_000_004_980;
        assert_eq!(takes(&store, &FullSeconds::default(), 1, 4, near_end).await, [Take::Go(Duration::from_millis(20))]);
        assert!(store.get("PACE#P", "SEC#1700000005").await.unwrap().is_some());
    }

    #[tokio::test]
    async fn the_batch_read_of_the_seconds_ahead_spares_the_promise_its_refusals() {
        use wapipe_core::memory::{Latency, LatencySpec, Service};
        let t = 1_700_000_000_250;
        let sec = t / 1000;
        // This second's budget is spent and the next two seconds' promises are full (cap 5
        // at mps 4); the third has room.
        let full_seconds = |store: MemoryStore| async move {
            lease(&store, "P", sec, 4, 4, 60).await.unwrap();
            for s in [sec + 1, sec + 2] {
                promise(&store, "P", s, 5, promise_cap(4), 60).await.unwrap();
            }
            store
        };
        let mut writes = Vec::new();
        for read_ahead in [false, true] {
            let store = full_seconds(MemoryStore::new()).await;
            let latency = Latency::new(LatencySpec::parse("dynamodb=0ms").unwrap());
            store.set_latency(latency.clone());
            let full = FullSeconds::default();
            full.mark("P", sec);
            let pacer = Pacer::new(HashMap::from([("P".to_string(), 3)]));
            if read_ahead {
                let start = full.promise_from("P", t);
                let mut ahead = Vec::new();
                for (s, k) in lookahead("P", start) {
                    ahead.push((s, store.get(&k.pk, &k.sk).await.unwrap()));
                }
                pacer.room_ahead(&full, budget(4), ahead.into_iter());
            }
            let before = latency.calls(Service::DynamoDb);
            let mut got = Vec::new();
            for _ in 0..3 {
                got.push(pacer.take(&store, &full, budget(4), t).await.unwrap());
            }
            assert_eq!(got, vec![Take::Later(Duration::from_secs(3)); 3], "past the full seconds");
            writes.push(latency.calls(Service::DynamoDb) - before);
            assert_eq!(store_p(&store, sec + 3).await, Some(3), "one block for the three");
        }
        assert_eq!(writes, [3, 1], "two refused promises without the read ahead, none with it");
    }

    async fn store_p(store: &MemoryStore, second: i64) -> Option<i64> {
        store.get("PACE#P", &format!("SEC#{second}")).await.unwrap().and_then(|i| i.get_i64("p"))
    }

    #[tokio::test]
    async fn promises_never_exceed_the_cap_across_concurrent_takers() {
        let store = Arc::new(MemoryStore::new());
        let mut tasks = Vec::new();
        for _ in 0..12 {
            let s = store.clone();
            tasks.push(tokio::spawn(async move { promise(&*s, "P", 10, 5, 11, 60).await }));
        }
        let mut per_second: HashMap<i64, u32> = HashMap::new();
        for t in tasks {
            let (s, n) = t.await.unwrap().unwrap();
            *per_second.entry(s).or_default() += n;
        }
        assert_eq!(per_second.values().sum::<u32>(), 60, "every block promised: {per_second:?}");
        assert!(per_second.values().all(|&n| n <= 11), "{per_second:?}");
        for (s, n) in per_second {
            assert_eq!(store_p(&store, s).await, Some(i64::from(n)), "the table holds what was promised");
        }
    }

    /// Plan and write a slot, as the worker's claim transaction would: the wait, or zero.
    async fn slot(store: &MemoryStore, wa_id: &str, now_ms: i64) -> Duration {
        let current = store.get(&format!("PACE#P#{wa_id}"), "PAIR").await.unwrap();
        match pair_plan(current.as_ref(), "P", wa_id, now_ms, Duration::from_secs(6), 3, 60) {
            Pair::Wait(w) => w,
            Pair::Take(w) => {
                assert_eq!(store.write(w).await.unwrap(), WriteOutcome::Applied);
                Duration::ZERO
            }
            Pair::Free => panic!("pair pacing is on"),
        }
    }

    #[tokio::test]
    async fn pair_rate_allows_a_burst_then_spaces() {
        let store = MemoryStore::new();
        let t0 = 1_700_000_000_000;
        for _ in 0..3 {
            assert_eq!(slot(&store, "U", t0).await, Duration::ZERO);
        }
        assert_eq!(slot(&store, "U", t0).await, Duration::from_secs(6));
        assert_eq!(slot(&store, "U", t0 + 6000).await, Duration::ZERO);
        assert_eq!(slot(&store, "OTHER", t0).await, Duration::ZERO);
        store.write(pair_penalty("P", "U", t0 + 6000, Duration::from_secs(6), 3, 60)).await.unwrap();
        assert!(slot(&store, "U", t0 + 6000).await >= Duration::from_secs(6));
        // A plan made on a stale read loses to the write that moved the slot.
        let stale = store.get("PACE#P#OTHER", "PAIR").await.unwrap();
        let Pair::Take(first) = pair_plan(stale.as_ref(), "P", "OTHER", t0, Duration::from_secs(6), 3, 60) else {
            panic!()
        };
        let Pair::Take(second) = pair_plan(stale.as_ref(), "P", "OTHER", t0, Duration::from_secs(6), 3, 60) else {
            panic!()
        };
        assert_eq!(store.write(first).await.unwrap(), WriteOutcome::Applied);
        assert_eq!(store.write(second).await.unwrap(), WriteOutcome::ConditionFailed);
        assert_eq!(pair_plan(None, "P", "U", t0, Duration::ZERO, 3, 60), Pair::Free);
    }
}
