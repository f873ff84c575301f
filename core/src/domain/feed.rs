//! Two feeds of one message's statuses, reconciled (docs/feeds.md).
//!
//! EUM reports each outbound message's `sent`, `delivered`, `read` and `failed` twice: relayed
//! from Meta through the SNS event destination (ingest → `whatsapp.message.status` → the status
//! tracker), and as its own `WhatsApp Message …` events on the account's default bus (→ the
//! send worker's EUM events queue). Each side records what it saw on one item per message and
//! status, keyed by EUM's message id; an item seen on one side only stays on a sharded GSI1
//! partition until the other side closes it or the status tracker's sweep finds it due and
//! publishes `whatsapp.feed.gap`.
//!
//! Writes per observation: the first side makes one conditional update (its time, and the
//! item onto the open index under `attribute_not_exists(other side)`); the second side's
//! condition fails and it makes one more update that takes the item off the index. So the
//! index only ever holds statuses still waiting for their second feed.

use serde_json::Map;
use time::OffsetDateTime;

use super::events::{event_id, from_epoch_secs, DomainEvent, Envelope, EventType};
use super::keys::{self, EXPIRES_AT, GSI1PK, GSI1SK};
use super::table::{Cond, Item, Update, Write};

/// How many GSI1 partitions the open entries are spread over.
pub const SHARDS: u32 = 16;

/// The statuses both feeds report (EventBridge's Sent, Delivered, Read and Failed).
pub const STATUSES: &[&str] = &["sent", "delivered", "read", "failed"];

// Attributes of a feed item.
/// When the SNS feed's status arrived (epoch seconds of processing).
pub const SNS_AT: &str = "sns_at";
/// When EUM's EventBridge event arrived (epoch seconds of processing).
pub const EB_AT: &str = "eb_at";
/// When the sweep reported the entry as a gap.
pub const GAP_AT: &str = "gap_reported_at";

/// Which feed saw a status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// Meta's webhook relayed through the SNS event destination.
    Sns,
    /// EUM's own `WhatsApp Message …` event on the default bus.
    EventBridge,
}

impl Side {
    /// The attribute holding this side's arrival time.
    pub fn attr(self) -> &'static str {
        match self {
            Side::Sns => SNS_AT,
            Side::EventBridge => EB_AT,
        }
    }

    /// The other feed.
    pub fn other(self) -> Side {
        match self {
            Side::Sns => Side::EventBridge,
            Side::EventBridge => Side::Sns,
        }
    }

    /// The name events and logs use: `sns` or `eventbridge`.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Sns => "sns",
            Side::EventBridge => "eventbridge",
        }
    }
}

/// The status of one of EUM's EventBridge detail-types, when both feeds report it.
pub fn status_of_detail_type(detail_type: &str) -> Option<&'static str> {
    match detail_type {
        "WhatsApp Message Sent" => Some("sent"),
        "WhatsApp Message Delivered" => Some("delivered"),
        "WhatsApp Message Read" => Some("read"),
        "WhatsApp Message Failed" => Some("failed"),
        _ => None,
    }
}

/// Whether both feeds report this status string.
pub fn reconciled(status: &str) -> bool {
    STATUSES.contains(&status)
}

/// FNV-1a of the message id: the same on both sides, so a sample covers whole messages.
fn hash(eum_message_id: &str) -> u32 {
    eum_message_id.bytes().fold(0x811c_9dc5u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193))
}

/// Whether a message is in a `percent` sample (0 checks none, 100 every one).
pub fn sampled(eum_message_id: &str, percent: u8) -> bool {
    hash(eum_message_id) % 100 < u32::from(percent.min(100))
}

/// One side's sighting of one status.
#[derive(Clone, Debug, PartialEq)]
pub struct Seen<'a> {
    /// The feed that saw it.
    pub side: Side,
    /// EUM's message id (the key both feeds share).
    pub eum_message_id: &'a str,
    /// `sent`, `delivered`, `read` or `failed`.
    pub status: &'a str,
    /// When this side saw it (epoch seconds).
    pub at: i64,
    /// Meta's message id, when this side knows it (SNS only).
    pub wamid: Option<&'a str>,
    /// Meta's id of the sending number.
    pub phone_number_id: Option<&'a str>,
}

impl Seen<'_> {
    fn updates(&self, ttl_secs: i64) -> Vec<Update> {
        let mut u = vec![
            Update::Set(self.side.attr().into(), self.at.into()),
            Update::SetIfMissing("eum_message_id".into(), self.eum_message_id.into()),
            Update::SetIfMissing("status".into(), self.status.into()),
            Update::Set(EXPIRES_AT.into(), self.at.saturating_add(ttl_secs).into()),
        ];
        for (k, v) in [("wamid", self.wamid), ("phone_number_id", self.phone_number_id)] {
            if let Some(v) = v.filter(|v| !v.is_empty()) {
                u.push(Update::SetIfMissing(k.into(), v.into()));
            }
        }
        u
    }

    /// The first side's write: its time, and the entry onto the open index (due after
    /// `gap_after_secs`), under `attribute_not_exists` of the other side. When the condition
    /// fails the other side came first: [`Seen::close`] then.
    pub fn open(&self, gap_after_secs: i64, ttl_secs: i64) -> Write {
        let k = keys::feed(self.eum_message_id, self.status);
        let mut updates = self.updates(ttl_secs);
        let due = self.at.saturating_add(gap_after_secs);
        updates.push(Update::Set(GSI1PK.into(), keys::feed_open(hash(self.eum_message_id) % SHARDS).into()));
        updates.push(Update::Set(GSI1SK.into(), keys::feed_due(due, self.eum_message_id, self.status).into()));
        Write::Update { pk: k.pk, sk: k.sk, updates, cond: Some(Cond::AttrMissing(self.side.other().attr().into())) }
    }

    /// The second side's write: its time, and the entry off the open index.
    pub fn close(&self, ttl_secs: i64) -> Write {
        let k = keys::feed(self.eum_message_id, self.status);
        let mut updates = self.updates(ttl_secs);
        updates.push(Update::Remove(GSI1PK.into()));
        updates.push(Update::Remove(GSI1SK.into()));
        Write::Update { pk: k.pk, sk: k.sk, updates, cond: None }
    }
}

/// What the sweep makes of one due entry.
#[derive(Clone, Debug, PartialEq)]
pub enum Due {
    /// Both sides are there (a close that has not landed yet): just take it off the index.
    Closed,
    /// Seen on `seen` only.
    OneSided {
        /// The side that saw it.
        seen: Side,
        /// When it saw it.
        at: i64,
    },
}

/// Read a due entry.
pub fn due(item: &Item) -> Due {
    match (item.get_i64(SNS_AT), item.get_i64(EB_AT)) {
        (Some(_), Some(_)) | (None, None) => Due::Closed,
        (Some(at), None) => Due::OneSided { seen: Side::Sns, at },
        (None, Some(at)) => Due::OneSided { seen: Side::EventBridge, at },
    }
}

/// The write that ends a due entry: off the open index, with the time of the gap report when
/// one was published.
pub fn settle(item: &Item, gap_reported_at: Option<i64>) -> Write {
    let mut updates = vec![Update::Remove(GSI1PK.into()), Update::Remove(GSI1SK.into())];
    if let Some(t) = gap_reported_at {
        updates.push(Update::Set(GAP_AT.into(), t.into()));
    }
    Write::Update { pk: item.pk.clone(), sk: item.sk.clone(), updates, cond: Some(Cond::ItemExists) }
}

/// `whatsapp.feed.gap` for an entry seen on `seen` only since `at`, with what else is known of
/// the message (its wamid, its send request). The id is the message's and the status's: a
/// sweep that runs again before the entry is settled publishes the same event.
pub fn gap_event(item: &Item, seen: Side, at: i64, request_id: Option<&str>, now: OffsetDateTime) -> DomainEvent {
    let s = |k: &str| item.get_str(k).filter(|v| !v.is_empty());
    let eum = s("eum_message_id").unwrap_or_default();
    let status = s("status").unwrap_or_default();
    let mut f = Map::new();
    f.insert("eum_message_id".into(), eum.into());
    f.insert("status".into(), status.into());
    f.insert("seen_on".into(), seen.as_str().into());
    f.insert("missing_on".into(), seen.other().as_str().into());
    f.insert("seen_at".into(), at.into());
    f.insert("age_secs".into(), now.unix_timestamp().saturating_sub(at).max(0).into());
    for (k, v) in [("wamid", s("wamid")), ("request_id", request_id)] {
        if let Some(v) = v {
            f.insert(k.into(), v.into());
        }
    }
    let common = Envelope {
        event_id: event_id(EventType::FeedGap, &[eum, status]),
        occurred_at: from_epoch_secs(at).unwrap_or(now),
        waba_id: "",
        phone_number_id: s("phone_number_id").unwrap_or_default(),
    };
    DomainEvent::new(EventType::FeedGap, common, f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::table::Item;

    fn seen(side: Side, at: i64) -> Seen<'static> {
        Seen { side, eum_message_id: "m-1", status: "delivered", at, wamid: None, phone_number_id: Some("574") }
    }

    #[test]
    fn the_first_side_opens_under_the_other_sides_absence_and_the_second_closes() {
        let Write::Update { pk, sk, updates, cond } = seen(Side::Sns, 100).open(900, 86_400) else { panic!() };
        assert_eq!((pk.as_str(), sk.as_str()), ("FEED#m-1", "STATUS#delivered"));
        assert_eq!(cond, Some(Cond::AttrMissing(EB_AT.into())));
        assert!(updates.contains(&Update::Set(SNS_AT.into(), 100.into())));
        let sk_due = format!("{:012}#m-1#delivered", 1000);
        assert!(updates.contains(&Update::Set(GSI1SK.into(), sk_due.into())));
        let Write::Update { updates, cond, .. } = seen(Side::EventBridge, 105).close(86_400) else { panic!() };
        assert_eq!(cond, None);
        assert!(updates.contains(&Update::Remove(GSI1PK.into())));
        assert!(updates.contains(&Update::Set(EB_AT.into(), 105.into())));
    }

    #[test]
    fn both_sides_pick_the_same_shard_and_sample() {
        for id in ["a", "4bee7d29-70f5-4a49-b84e-facf4424fe58", "m-1"] {
            let shard = |side| match (Seen { side, eum_message_id: id, ..seen(side, 1) }).open(1, 1) {
                Write::Update { updates, .. } => {
                    updates.into_iter().find(|u| matches!(u, Update::Set(a, _) if a == GSI1PK))
                }
                _ => None,
            };
            assert_eq!(shard(Side::Sns), shard(Side::EventBridge));
        }
        assert!(!sampled("m-1", 0));
        assert!(sampled("m-1", 100));
        let in_half = (0..1000).filter(|i| sampled(&format!("m-{i}"), 50)).count();
        assert!((400..600).contains(&in_half), "{in_half} of 1000 in a 50% sample");
    }

    #[test]
    fn a_due_entry_says_which_side_is_missing() {
        let item = Item::new("FEED#m-1", "STATUS#read").with("eum_message_id", "m-1").with("status", "read");
        assert_eq!(due(&item.clone().with(SNS_AT, 10)), Due::OneSided { seen: Side::Sns, at: 10 });
        assert_eq!(due(&item.clone().with(EB_AT, 11)), Due::OneSided { seen: Side::EventBridge, at: 11 });
        assert_eq!(due(&item.clone().with(EB_AT, 11).with(SNS_AT, 12)), Due::Closed);
        let now = from_epoch_secs(1000).unwrap();
        let e = gap_event(&item.with(EB_AT, 11), Side::EventBridge, 11, Some("r-1"), now);
        assert_eq!(e.detail_type, EventType::FeedGap);
        assert_eq!(e.detail["missing_on"], "sns");
        assert_eq!(e.detail["age_secs"], 989);
        assert_eq!(e.detail["request_id"], "r-1");
        assert_eq!(e.event_id(), event_id(EventType::FeedGap, &["m-1", "read"]));
    }

    #[test]
    fn only_the_four_shared_statuses_are_reconciled() {
        assert_eq!(status_of_detail_type("WhatsApp Message Read"), Some("read"));
        assert_eq!(status_of_detail_type("WhatsApp Message Undeliverable"), None);
        assert!(reconciled("failed") && !reconciled("played") && !reconciled("deleted"));
    }
}
