//! Phone and template quality (docs/PROTOCOL.md §2.3, §3.6, §7.1–§7.3), pure: rating and tier parsing
//! and ordering, the merge of observations into the latest state, change detection, history
//! rows, and the template state cache update shared by the quality snapshotter and
//! `wapipe templates`.
//!
//! Two sources observe a number: EUM's phone detail (only `qualityRating`, plus the display
//! name, polled on a schedule) and Meta's webhooks (`phone_number_quality_update`: tier,
//! throughput, flagged/unflagged). Neither sees everything, so the latest state
//! (`QUALITY#{phone}` / `LATEST`) merges both field by field, each field ordered by the time it
//! was observed ([`merge`]).

pub mod merge;
pub mod observe;
pub mod template;

use serde_json::Value;

use crate::domain::table::Item;

/// Meta's phone or template quality rating (docs/PROTOCOL.md §7.1).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Rating {
    /// High quality (`GREEN`, or Meta's `HIGH`).
    Green,
    /// Medium quality (`YELLOW`, or `MEDIUM`).
    Yellow,
    /// Low quality (`RED`, or `LOW`): marketing sends from the number are slowed.
    Red,
    /// Not rated (`UNKNOWN`, `NA`, or empty).
    Unknown,
    /// A value Meta added since; kept verbatim (upper case).
    Other(String),
}

impl Rating {
    /// Case-insensitive; also Meta's `HIGH`/`MEDIUM`/`LOW` spelling. Empty is `Unknown`.
    pub fn parse(s: &str) -> Rating {
        match s.trim().to_ascii_uppercase().as_str() {
            "GREEN" | "HIGH" => Rating::Green,
            "YELLOW" | "MEDIUM" => Rating::Yellow,
            "RED" | "LOW" => Rating::Red,
            "UNKNOWN" | "NA" | "" => Rating::Unknown,
            other => Rating::Other(other.to_string()),
        }
    }

    /// The upper-case name: `GREEN`, `YELLOW`, `RED`, `UNKNOWN`, or the verbatim new value.
    pub fn as_str(&self) -> &str {
        match self {
            Rating::Green => "GREEN",
            Rating::Yellow => "YELLOW",
            Rating::Red => "RED",
            Rating::Unknown => "UNKNOWN",
            Rating::Other(s) => s,
        }
    }

    /// Higher is better: GREEN 3, YELLOW 2, RED 1; unknown values 0 (no order claimed).
    pub fn rank(&self) -> u8 {
        match self {
            Rating::Green => 3,
            Rating::Yellow => 2,
            Rating::Red => 1,
            Rating::Unknown | Rating::Other(_) => 0,
        }
    }
}

/// A messaging-limit tier (docs/PROTOCOL.md §7.2), as its daily unique-user limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tier {
    /// A limit of this many unique users per moving 24 hours (`TIER_2K` is 2000).
    Limit(u64),
    /// `TIER_UNLIMITED`: no limit.
    Unlimited,
}

impl Tier {
    /// `TIER_250`, `TIER_2K`, `TIER_100K`, `TIER_UNLIMITED`, … (case-insensitive);
    /// `None` for `TIER_NOT_SET` and anything unrecognised.
    pub fn parse(s: &str) -> Option<Tier> {
        let up = s.trim().to_ascii_uppercase();
        let rest = up.strip_prefix("TIER_")?;
        if rest == "UNLIMITED" {
            return Some(Tier::Unlimited);
        }
        let (digits, mult) = match rest.strip_suffix('K') {
            Some(d) => (d, 1_000),
            None => match rest.strip_suffix('M') {
                Some(d) => (d, 1_000_000),
                None => (rest, 1),
            },
        };
        digits.parse::<u64>().ok().and_then(|n| n.checked_mul(mult)).map(Tier::Limit)
    }

    /// For charts: the limit, with unlimited drawn above the largest tier (1,000,000).
    pub fn plot_value(self) -> u64 {
        match self {
            Tier::Limit(n) => n,
            Tier::Unlimited => 1_000_000,
        }
    }
}

/// Where an observation came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The scheduled poll of EUM's linked accounts.
    Snapshot,
    /// A Meta webhook (through ingest and the bus).
    Webhook,
    /// An operator's refresh (`wapipe templates`, from ListWhatsAppMessageTemplates).
    Refresh,
}

impl Source {
    /// The name recorded with an observation (history rows, events, `last_source`): `snapshot`, `webhook` or `refresh`.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Snapshot => "snapshot",
            Source::Webhook => "webhook",
            Source::Refresh => "refresh",
        }
    }

    /// A webhook announces a change, so a first value from it is reported as one; a poll's
    /// first value is only the first sight of the state.
    pub fn reports_first_value(self) -> bool {
        self == Source::Webhook
    }
}

/// Why marketing sends from this number should slow down, from its `QUALITY#…/LATEST` item:
/// a RED rating (Meta lowers the limit after 7 days of low quality) or a FLAGGED number.
pub fn degraded(latest: &Item) -> Option<String> {
    let rating = latest.get_str("rating").map(Rating::parse);
    let flagged = latest.attrs.get("flagged").and_then(Value::as_bool) == Some(true);
    match (rating, flagged) {
        (Some(Rating::Red), true) => Some("quality rating RED and number FLAGGED".into()),
        (Some(Rating::Red), false) => Some("quality rating RED".into()),
        (_, true) => Some("number FLAGGED".into()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratings_and_tiers_parse_and_order() {
        assert_eq!(Rating::parse(" green"), Rating::Green);
        assert_eq!(Rating::parse("LOW"), Rating::Red);
        assert_eq!(Rating::parse("weird").as_str(), "WEIRD");
        assert!(Rating::Green.rank() > Rating::Yellow.rank() && Rating::Yellow.rank() > Rating::Red.rank());
        assert_eq!(Tier::parse("TIER_2K"), Some(Tier::Limit(2000)));
        assert_eq!(Tier::parse("tier_250"), Some(Tier::Limit(250)));
        assert_eq!(Tier::parse("TIER_NOT_SET"), None);
        assert_eq!(Tier::parse("2K"), None);
        assert!(Tier::parse("TIER_100K") < Tier::parse("TIER_UNLIMITED"));
        assert!(Tier::parse("TIER_10K") > Tier::parse("TIER_2K"));
    }

    #[test]
    fn degraded_on_red_or_flagged_only() {
        let k = crate::domain::keys::quality_latest("P");
        let item = |r: &str, f: bool| Item::new(k.pk.clone(), k.sk.clone()).with("rating", r).with("flagged", f);
        assert!(degraded(&item("GREEN", false)).is_none());
        assert!(degraded(&item("YELLOW", false)).is_none());
        assert_eq!(degraded(&item("red", false)).as_deref(), Some("quality rating RED"));
        assert_eq!(degraded(&item("GREEN", true)).as_deref(), Some("number FLAGGED"));
    }
}
