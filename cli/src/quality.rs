//! `wapipe quality show PHONE [--since] [--json] [--plot FILE.svg]`: a business number's
//! quality history (rating, tier, flags, from scheduled snapshots and webhooks), read from
//! local state or the AWS table (`--table`); `wapipe quality snapshot`: the snapshotter's
//! scheduled run on local state against the sandbox's linked number. [`register`] runs the
//! snapshotter as a local consumer, so replayed quality/template/account webhooks land in the
//! same history.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Subcommand;
use quality_snapshotter::{Config, Snapshotter};
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use wapipe_core::app::publish::RetryPolicy;
use wapipe_core::aws::{sdk_config, DynamoStore};
use wapipe_core::domain::keys;
use wapipe_core::domain::quality::{Rating, Tier};
use wapipe_core::domain::routes::Consumer;
use wapipe_core::memory::{MemoryBus, MemoryStore, Sandbox, SandboxAccounts};
use wapipe_core::ports::{Query, Store, SystemClock};

use crate::exit;
use crate::local::{Local, LocalFn};

/// The subcommands of `wapipe quality`.
#[derive(Subcommand)]
pub enum QualityCommand {
    /// A number's quality history as a table (exit 4 when there is none).
    Show {
        /// Meta phone number id.
        phone: String,
        /// Only rows at or after this time: RFC 3339, or an age like `7d`, `12h`, `30m`.
        #[arg(long)]
        since: Option<String>,
        /// Print `[{"at", "rating", "tier", "event", "source"}, …]`.
        #[arg(long)]
        json: bool,
        /// Also draw the rating and tier over time as an SVG chart into FILE.
        #[arg(long, value_name = "FILE.svg")]
        plot: Option<PathBuf>,
        /// Read the DynamoDB table NAME (SDK configuration from the environment), not local state.
        #[arg(long, value_name = "NAME")]
        table: Option<String>,
    },
    /// Run the scheduled snapshot on local state against the sandbox's linked number.
    Snapshot {
        /// First set the sandbox number's quality rating (GREEN, YELLOW, RED, UNKNOWN).
        #[arg(long)]
        rating: Option<String>,
        /// Print the snapshot's report (WABAs, numbers, snapshots stored, changes, errors) as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Run a `wapipe quality` subcommand; the exit code: 0 done, 4 no history for the number
/// (`show`), 6 the snapshot had errors.
pub async fn run(command: QualityCommand, state: Option<&Path>) -> Result<u8, String> {
    match command {
        QualityCommand::Show { phone, since, json, plot, table } => {
            let since = since.as_deref().map(|s| parse_since(s, crate::clock::now()?)).transpose()?;
            let rows = match table {
                Some(t) => history(&DynamoStore::from_conf(&sdk_config().await, t), &phone, since).await?,
                None => history(&*Local::open(state)?.store, &phone, since).await?,
            };
            if let Some(path) = plot {
                std::fs::write(&path, svg(&phone, &rows))
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&rows).map_err(|e| e.to_string())?);
            } else {
                print_table(&phone, &rows);
            }
            Ok(if rows.is_empty() { exit::NOT_FOUND } else { exit::DONE })
        }
        QualityCommand::Snapshot { rating, json } => {
            let local = Local::open(state)?;
            let accounts = SandboxAccounts::new(&local.sandbox.phones());
            if let Some(r) = &rating {
                let phone = Sandbox::new().phones().first().map(|p| p.meta_phone_number_id.clone()).unwrap_or_default();
                accounts.set_quality(&phone, Rating::parse(r).as_str());
            }
            let s = snapshotter(local.store.clone(), local.bus.clone(), accounts);
            let report = s.snapshot_all().await;
            local.save()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?);
            } else {
                println!(
                    "snapshot: {} WABA(s), {} number(s), {} stored, {} change(s), {} error(s)",
                    report.wabas,
                    report.phones,
                    report.snapshots,
                    report.changes,
                    report.errors.len()
                );
            }
            Ok(if report.errors.is_empty() { exit::DONE } else { exit::UNFINISHED })
        }
    }
}

type LocalSnapshotter<A> = Snapshotter<Arc<MemoryStore>, Arc<MemoryBus>, A, SystemClock>;

fn snapshotter<A>(store: Arc<MemoryStore>, bus: Arc<MemoryBus>, accounts: A) -> LocalSnapshotter<A> {
    let config = Config { publish: RetryPolicy::immediate(3), ..Config::default() };
    Snapshotter::new(store, bus, accounts, SystemClock, config)
}

/// Run the quality snapshotter on the events local mode publishes.
pub fn register(local: &mut Local) {
    let accounts = SandboxAccounts::new(&local.sandbox.phones());
    let s = snapshotter(local.store.clone(), local.bus.clone(), accounts);
    local.register(Arc::new(LocalFn::new(Consumer::QualitySnapshotter, s)));
}

/// `7d`, `12h`, `30m`, `45s` before `now`, or an RFC 3339 time.
pub fn parse_since(s: &str, now: OffsetDateTime) -> Result<OffsetDateTime, String> {
    let s = s.trim();
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Ok(t);
    }
    let unit = s.chars().last().unwrap_or(' ');
    let secs = match unit {
        'd' => 86_400,
        'h' => 3_600,
        'm' => 60,
        's' => 1,
        _ => 0,
    };
    match s[..s.len().saturating_sub(1)].parse::<i64>() {
        Ok(n) if secs > 0 && n >= 0 => Ok(now - time::Duration::seconds(n.saturating_mul(secs))),
        _ => Err(format!("--since: expected RFC 3339 or an age like 7d, 12h, 30m; got {s:?}")),
    }
}

/// The history rows (oldest first) as `{"at", "rating", "tier", "event", "source"}`.
pub async fn history<S: Store>(store: &S, phone: &str, since: Option<OffsetDateTime>) -> Result<Vec<Value>, String> {
    let q = Query::table(keys::quality_latest(phone).pk, keys::HISTORY_PREFIX);
    // A long history: up to 1,000 pages.
    let items = wapipe_core::app::paging::all_items(store, q, 1000).await.map_err(|e| e.to_string())?;
    let mut rows = Vec::new();
    for i in items {
        let at = i.get_str("at").unwrap_or_default();
        if let Some(since) = since {
            match OffsetDateTime::parse(at, &Rfc3339) {
                Ok(t) if t < since => continue,
                _ => {}
            }
        }
        rows.push(json!({
            "at": at,
            "rating": i.get_str("rating"),
            "tier": i.get_str("tier"),
            "event": i.get_str("event"),
            "source": i.get_str("source"),
        }));
    }
    Ok(rows)
}

fn cell(v: &Value) -> String {
    v.as_str().unwrap_or("-").to_string()
}

/// An RFC 3339 time to the second, for the table (`2026-01-01T00:00:00Z`).
fn second(v: &Value) -> String {
    let s = cell(v);
    match s.get(..19) {
        Some(head) if s.len() > 20 => format!("{head}Z"),
        _ => s,
    }
}

fn print_table(phone: &str, rows: &[Value]) {
    if rows.is_empty() {
        println!("no quality history for {phone}");
        return;
    }
    println!("{:<22} {:<8} {:<15} {:<19} {:<9}", "AT", "RATING", "TIER", "EVENT", "SOURCE");
    for r in rows {
        println!(
            "{:<22} {:<8} {:<15} {:<19} {:<9}",
            second(&r["at"]),
            cell(&r["rating"]),
            cell(&r["tier"]),
            cell(&r["event"]),
            cell(&r["source"])
        );
    }
}

/// A hand-drawn SVG chart: the rating (left axis: RED, YELLOW, GREEN) and the tier (right axis,
/// log scale) as step lines over time, with axes, labels and a legend. No extra crate.
pub fn svg(phone: &str, rows: &[Value]) -> String {
    const W: f64 = 800.0;
    const H: f64 = 320.0;
    const L: f64 = 70.0;
    const R: f64 = 90.0;
    const T: f64 = 40.0;
    const B: f64 = 50.0;
    let pts: Vec<(i64, Option<u8>, Option<u64>)> = rows
        .iter()
        .filter_map(|r| {
            let t = OffsetDateTime::parse(r["at"].as_str()?, &Rfc3339).ok()?.unix_timestamp();
            let rating = r["rating"].as_str().map(|s| Rating::parse(s).rank());
            let tier = r["tier"].as_str().and_then(Tier::parse).map(Tier::plot_value);
            Some((t, rating, tier))
        })
        .collect();
    let (t0, t1) = match (pts.iter().map(|p| p.0).min(), pts.iter().map(|p| p.0).max()) {
        (Some(a), Some(b)) if b > a => (a, b),
        (Some(a), _) => (a - 1, a + 1),
        _ => (0, 1),
    };
    let x = |t: i64| L + (t - t0) as f64 / (t1 - t0) as f64 * (W - L - R);
    let y_rating = |r: u8| T + (H - T - B) * (1.0 - f64::from(r) / 3.0);
    let (lo, hi) = (1.0_f64, 6.0_f64); // log10 of 10 .. 1,000,000
    let y_tier = |v: u64| T + (H - T - B) * (1.0 - ((v.max(10) as f64).log10() - lo) / (hi - lo));
    let step = |vals: Vec<(f64, f64)>| {
        let mut d = String::new();
        let mut prev: Option<f64> = None;
        for (px, py) in vals {
            if let Some(p) = prev {
                d.push_str(&format!("{px:.1},{p:.1} "));
            }
            d.push_str(&format!("{px:.1},{py:.1} "));
            prev = Some(py);
        }
        d
    };
    let rating_line = step(pts.iter().filter_map(|p| p.1.map(|r| (x(p.0), y_rating(r)))).collect());
    let tier_line = step(pts.iter().filter_map(|p| p.2.map(|v| (x(p.0), y_tier(v)))).collect());
    let fmt = |t: i64| {
        OffsetDateTime::from_unix_timestamp(t)
            .ok()
            .and_then(|d| d.format(&Rfc3339).ok())
            .map(|s| s.chars().take(16).collect::<String>().replace('T', " "))
            .unwrap_or_default()
    };
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{L}\" y=\"22\" font-size=\"15\">Quality of {} ({} observations)</text>\n",
        xml(phone),
        pts.len()
    );
    // Axes.
    s.push_str(&format!(
        "<line x1=\"{L}\" y1=\"{T}\" x2=\"{L}\" y2=\"{}\" stroke=\"black\"/>\n<line x1=\"{L}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"black\"/>\n<line x1=\"{}\" y1=\"{T}\" x2=\"{}\" y2=\"{}\" stroke=\"black\"/>\n",
        H - B, H - B, W - R, H - B, W - R, W - R, H - B
    ));
    for (r, name, color) in [(1u8, "RED", "#c0392b"), (2, "YELLOW", "#b7950b"), (3, "GREEN", "#1e8449")] {
        let yy = y_rating(r);
        s.push_str(&format!(
            "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"{color}\">{name}</text>\n<line x1=\"{L}\" y1=\"{yy:.1}\" x2=\"{}\" y2=\"{yy:.1}\" stroke=\"#ddd\"/>\n",
            L - 6.0, yy + 4.0, W - R
        ));
    }
    for (v, name) in [(250u64, "250"), (2_000, "2K"), (10_000, "10K"), (100_000, "100K"), (1_000_000, "UNLIMITED")] {
        s.push_str(&format!(
            "<text x=\"{}\" y=\"{:.1}\" fill=\"#2e86c1\">{name}</text>\n",
            W - R + 6.0,
            y_tier(v) + 4.0
        ));
    }
    s.push_str(&format!(
        "<text x=\"{L}\" y=\"{}\">{}</text>\n<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n",
        H - B + 18.0,
        fmt(t0),
        W - R,
        H - B + 18.0,
        fmt(t1)
    ));
    s.push_str(&format!(
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">time (UTC)</text>\n",
        (L + W - R) / 2.0,
        H - 12.0
    ));
    s.push_str(&format!(
        "<polyline id=\"rating\" fill=\"none\" stroke=\"#1e8449\" stroke-width=\"2\" points=\"{}\"/>\n",
        rating_line.trim()
    ));
    s.push_str(&format!(
        "<polyline id=\"tier\" fill=\"none\" stroke=\"#2e86c1\" stroke-width=\"2\" stroke-dasharray=\"6 3\" points=\"{}\"/>\n",
        tier_line.trim()
    ));
    s.push_str(&format!(
        "<text x=\"{}\" y=\"22\" fill=\"#1e8449\">— rating</text><text x=\"{}\" y=\"22\" fill=\"#2e86c1\">- - tier</text>\n</svg>\n",
        W - R - 150.0,
        W - R - 70.0
    ));
    s
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_accepts_ages_and_times() {
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        assert_eq!(parse_since("7d", now).unwrap().unix_timestamp(), 1_800_000_000 - 7 * 86_400);
        assert_eq!(parse_since("2026-01-01T00:00:00Z", now).unwrap().unix_timestamp(), 1_767_225_600);
        assert!(parse_since("soon", now).unwrap_err().contains("--since"));
        assert!(parse_since("-3h", now).is_err());
    }

    #[test]
    fn the_chart_steps_down_when_the_rating_drops() {
        let rows = vec![
            json!({"at": "2026-01-01T00:00:00Z", "rating": "GREEN", "tier": "TIER_2K", "event": "SNAPSHOT", "source": "snapshot"}),
            json!({"at": "2026-01-02T00:00:00Z", "rating": "RED", "tier": "TIER_250", "event": "DOWNGRADE", "source": "webhook"}),
        ];
        let svg = svg("729<1>", &rows);
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("729&lt;1&gt;"), "escaped");
        let points = |id: &str| -> Vec<(f64, f64)> {
            let start = svg.find(&format!("id=\"{id}\"")).unwrap();
            let p = &svg[start..];
            let p = &p[p.find("points=\"").unwrap() + 8..];
            p[..p.find('"').unwrap()]
                .split_whitespace()
                .map(|xy| {
                    let (a, b) = xy.split_once(',').unwrap();
                    (a.parse().unwrap(), b.parse().unwrap())
                })
                .collect()
        };
        let r = points("rating");
        assert_eq!(r.len(), 3, "a step: start, corner, end");
        assert!(r[2].1 > r[0].1, "RED is drawn lower than GREEN (SVG y grows downwards)");
        assert!(r[2].0 > r[0].0);
        let t = points("tier");
        assert!(t[2].1 > t[0].1, "the tier dropped");
    }
}
