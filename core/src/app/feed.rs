//! The feed reconciliation over the ports (the pure parts are [`crate::domain::feed`];
//! docs/feeds.md): each side records what it saw with [`observe`], and the status tracker's
//! scheduled [`sweep`] publishes `whatsapp.feed.gap` for what only one side saw.

use futures_util::future::join_all;
use time::OffsetDateTime;
use tracing::{info, warn};

use crate::app::paging::due_items;
use crate::app::publish::{publish_each, RetryPolicy};
use crate::config::{optional, ConfigError};
use crate::domain::feed::{self, Due, Seen, Side};
use crate::domain::keys;
use crate::domain::send_record;
use crate::domain::table::{Index, Item, Query, WriteOutcome};
use crate::ports::{Bus, PortError, Store};

/// The reconciliation's settings (the same on both sides and in the sweep).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedCheck {
    /// Share of messages checked, by a hash of EUM's message id (0 turns it off).
    pub percent: u8,
    /// How long a status may wait for its second feed before it is a gap.
    pub gap_after_secs: i64,
    /// How long the items live (TTL).
    pub ttl_secs: i64,
    /// The most due entries one sweep handles; the next sweep takes the rest.
    pub sweep_limit: usize,
}

impl Default for FeedCheck {
    /// Off (the stack turns it on with `FeedCheckPercent`): local mode has no EventBridge feed.
    fn default() -> Self {
        FeedCheck { percent: 0, gap_after_secs: 900, ttl_secs: 7 * 24 * 3600, sweep_limit: 1000 }
    }
}

impl FeedCheck {
    /// Every message checked, the other settings as by default.
    pub fn on() -> FeedCheck {
        FeedCheck { percent: 100, ..FeedCheck::default() }
    }

    /// `WAPIPE_FEED_CHECK_PERCENT` (0–100, default 0: off) and `WAPIPE_FEED_GAP_SECS` (default 900).
    pub fn from_env() -> Result<FeedCheck, ConfigError> {
        let mut c = FeedCheck::default();
        if let Some(v) = optional("WAPIPE_FEED_CHECK_PERCENT") {
            c.percent = v.trim().parse().ok().filter(|p| *p <= 100).ok_or_else(|| ConfigError {
                name: "WAPIPE_FEED_CHECK_PERCENT",
                problem: format!("expected a percentage from 0 to 100, got {v:?}"),
            })?;
        }
        if let Some(v) = optional("WAPIPE_FEED_GAP_SECS") {
            c.gap_after_secs = v.trim().parse().ok().filter(|s| *s > 0).ok_or_else(|| ConfigError {
                name: "WAPIPE_FEED_GAP_SECS",
                problem: format!("expected a positive number of seconds, got {v:?}"),
            })?;
        }
        Ok(c)
    }

    /// Whether this sighting is checked: a status both feeds report, of a sampled message.
    pub fn covers(&self, seen: &Seen<'_>) -> bool {
        self.percent > 0
            && !seen.eum_message_id.is_empty()
            && feed::reconciled(seen.status)
            && feed::sampled(seen.eum_message_id, self.percent)
    }
}

/// Record one side's sighting: one conditional write when it is the first side, two when the
/// other side was there first (see [`crate::domain::feed`]). Idempotent; nothing for a
/// sighting the check does not cover.
pub async fn observe<S: Store>(store: &S, check: &FeedCheck, seen: &Seen<'_>) -> Result<(), PortError> {
    if !check.covers(seen) {
        return Ok(());
    }
    match store.write(seen.open(check.gap_after_secs, check.ttl_secs)).await? {
        WriteOutcome::Applied => Ok(()),
        WriteOutcome::ConditionFailed => store.write(seen.close(check.ttl_secs)).await.map(|_| ()),
    }
}

/// What one sweep did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// `whatsapp.feed.gap` events published.
    pub gaps: usize,
    /// Gaps where the SNS feed is the one missing.
    pub missing_on_sns: usize,
    /// Gaps where EUM's EventBridge event is the one missing.
    pub missing_on_eventbridge: usize,
    /// Entries settled without a gap: both sides there after all, or an EventBridge status of a
    /// message whose SNS status is on its message record (it arrived before the message was
    /// linked to its EUM id).
    pub matched: usize,
    /// EventBridge-only entries of messages this stack did not send (another sender on the
    /// account): nothing on the SNS side names their EUM id, so they cannot be judged.
    pub foreign: usize,
    /// More entries were due than `sweep_limit`: the next sweep continues.
    pub truncated: bool,
}

/// The due entries of one shard, oldest first, at most `limit`; `true` when there were more.
async fn due_entries<S: Store>(store: &S, shard: u32, now: i64, limit: usize) -> Result<(Vec<Item>, bool), PortError> {
    // The sort key starts with the zero-padded due time.
    let due = |item: &Item| {
        let at = item.get_str(keys::GSI1SK).and_then(|s| s.split('#').next()).and_then(|s| s.parse::<i64>().ok());
        at.is_none_or(|d| d <= now)
    };
    due_items(store, keys::feed_open(shard), limit, due).await
}

/// Whether the SNS side did see an EventBridge-only status after all, and which request sent
/// the message: `None` when no request of this stack has that EUM id.
async fn sns_side_of<S: Store>(store: &S, item: &Item) -> Result<Option<(bool, Option<String>)>, PortError> {
    let eum = item.get_str("eum_message_id").unwrap_or_default();
    let q = Query { index: Index::Gsi1, limit: Some(1), ..Query::table(keys::eum_message_index(eum), "") };
    let Some(send) = store.query(q).await?.items.into_iter().next() else { return Ok(None) };
    let request_id = send
        .get_str(send_record::REQUEST_ID)
        .or_else(|| keys::request_id_of(&send.pk))
        .filter(|r| !r.is_empty())
        .map(str::to_string);
    let status = item.get_str("status").unwrap_or_default();
    let seen = match send.get_str(send_record::WAMID).filter(|w| !w.is_empty()) {
        Some(wamid) => {
            let k = keys::message(wamid);
            let msg = store.get(&k.pk, &k.sk).await?;
            msg.is_some_and(|m| m.attrs.contains_key(&format!("{status}_at")))
        }
        None => false,
    };
    Ok(Some((seen, request_id)))
}

/// How many entries the sweep reads or settles at once.
const CONCURRENCY: usize = 16;

/// What the sweep decides for one due entry.
enum Verdict {
    /// Both feeds saw it: settle without a report.
    Matched,
    /// An EventBridge status of a message this stack did not send.
    Foreign,
    /// Seen on one side only.
    Gap { seen: Side, at: i64, request_id: Option<String> },
}

async fn judge<S: Store>(store: &S, item: &Item) -> Result<Verdict, PortError> {
    Ok(match feed::due(item) {
        Due::Closed => Verdict::Matched,
        Due::OneSided { seen: Side::Sns, at } => Verdict::Gap { seen: Side::Sns, at, request_id: None },
        Due::OneSided { seen: Side::EventBridge, at } => match sns_side_of(store, item).await? {
            None => Verdict::Foreign,
            Some((true, _)) => Verdict::Matched,
            Some((false, request_id)) => Verdict::Gap { seen: Side::EventBridge, at, request_id },
        },
    })
}

/// One sweep (see the module docs): publishes `whatsapp.feed.gap` for each entry past its due
/// time with one side only, and takes every due entry off the open index. Errs when the index,
/// the table or the bus fails (the next sweep takes the same entries again; event ids are
/// deterministic).
pub async fn sweep<S: Store, B: Bus>(
    store: &S,
    bus: &B,
    check: &FeedCheck,
    publish: &RetryPolicy,
    now: OffsetDateTime,
) -> Result<SweepReport, PortError> {
    let t = now.unix_timestamp();
    let per_shard = check.sweep_limit.div_ceil(feed::SHARDS as usize).max(1);
    let shards = join_all((0..feed::SHARDS).map(|s| due_entries(store, s, t, per_shard))).await;
    let mut due = Vec::new();
    let mut report = SweepReport::default();
    for shard in shards {
        let (items, more) = shard?;
        report.truncated |= more;
        due.extend(items);
    }
    // EventBridge-only entries are checked against the send record and the message record:
    // a few reads each, run concurrently in bounded groups.
    let mut judged = Vec::with_capacity(due.len());
    for group in due.chunks(CONCURRENCY) {
        judged.extend(join_all(group.iter().map(|item| judge(store, item))).await);
    }
    let mut events = Vec::new();
    let mut settles = Vec::new();
    for (item, verdict) in due.iter().zip(judged) {
        let gap = match verdict? {
            Verdict::Matched => {
                report.matched += 1;
                None
            }
            Verdict::Foreign => {
                report.foreign += 1;
                None
            }
            Verdict::Gap { seen, at, request_id } => {
                match seen {
                    Side::Sns => report.missing_on_eventbridge += 1,
                    Side::EventBridge => report.missing_on_sns += 1,
                }
                events.push(feed::gap_event(item, seen, at, request_id.as_deref(), now));
                Some(t)
            }
        };
        settles.push(feed::settle(item, gap));
    }
    // Published before the entries are settled: a failure in between publishes them again,
    // with the same ids.
    publish_each(bus, store, &events, publish).await?;
    report.gaps = events.len();
    for group in settles.chunks(CONCURRENCY) {
        // A settle's only condition is that the entry still exists: one that expired is gone.
        for r in join_all(group.iter().cloned().map(|w| store.write(w))).await {
            r?;
        }
    }
    if report.gaps > 0 {
        warn!(
            feed_gaps = report.gaps,
            missing_on_sns = report.missing_on_sns,
            missing_on_eventbridge = report.missing_on_eventbridge,
            "feed gaps: statuses one of EUM's feeds reported and the other did not"
        );
    } else {
        info!(feed_gaps = 0, matched = report.matched, foreign = report.foreign, "feed sweep done");
    }
    Ok(report)
}

#[cfg(test)]
#[path = "feed_tests.rs"]
mod tests;
