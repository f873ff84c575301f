//! The status tracker in the CLI: its local-mode consumer, `wapipe status <wamid|request_id>`
//! (a message's timeline) and `wapipe analytics templates|conversations` (the daily tables),
//! read from local state (`--state FILE`) or from the AWS table (`--table NAME`, with the SDK
//! configuration from the environment).

use std::path::Path;
use std::sync::Arc;

use serde_json::{json, Value};

use wapipe_core::aws::{sdk_config, DynamoStore};
use wapipe_core::domain::keys::{self, GSI1PK};
use wapipe_core::domain::send_record::{STATE, WAMID};
use wapipe_core::domain::status::analytics::{PRICING_ROWS, TEMPLATE_ROWS};
use wapipe_core::domain::status::view::{MessageView, PricingRow, TemplateRow};
use wapipe_core::domain::status::{day_of, DIRECTION, OUTBOUND};
use wapipe_core::memory::MemoryStore;
use wapipe_core::ports::{Index, Item, Query, Store};

use crate::exit;
use crate::local::Local;

/// Days `wapipe analytics` shows from the AWS table without `--day`: today and the six before.
const RECENT_DAYS: i64 = 7;

/// Which daily table `wapipe analytics` prints (the status tracker's counters).
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnalyticsKind {
    /// Per template, language and day: sent, delivered, read, failed, clicks.
    Templates,
    /// Per WABA, day and pricing category: delivered, billable, estimated cost.
    Conversations,
}

/// Where the items are read from.
enum Source {
    Local(Arc<MemoryStore>),
    Aws(DynamoStore),
}

async fn source(table: Option<String>, state: Option<&Path>) -> Result<Source, String> {
    match table {
        Some(t) => Ok(Source::Aws(DynamoStore::from_conf(&sdk_config().await, t))),
        None => Ok(Source::Local(Local::open(state)?.store.clone())),
    }
}

/// `wapipe status ID [--json]`: 0 found, 4 not found.
pub async fn run_status(id: &str, json: bool, table: Option<String>, state: Option<&Path>) -> Result<u8, String> {
    let found = match source(table, state).await? {
        Source::Local(s) => find(&s, id).await?,
        Source::Aws(s) => find(&s, id).await?,
    };
    match found {
        Found::Message(v) if json => println!("{}", serde_json::to_string_pretty(&v).map_err(|e| e.to_string())?),
        Found::Message(v) => print_message(&v),
        Found::Pending { request_id, state } => {
            if json {
                let doc = json!({"request_id": request_id, "send_state": state, "wamid": null, "status": null,
                                 "timestamps": {}, "errors": []});
                println!("{doc}");
            } else {
                println!(
                    "request {request_id}: send state {}, no status from Meta yet",
                    state.as_deref().unwrap_or("?")
                );
            }
        }
        Found::Nothing => {
            eprintln!("wapipe: no outbound message or send request {id}");
            return Ok(exit::NOT_FOUND);
        }
    }
    Ok(0)
}

enum Found {
    Message(Box<MessageView>),
    Pending { request_id: String, state: Option<String> },
    Nothing,
}

fn outbound(item: &Item) -> bool {
    item.get_str(DIRECTION) == Some(OUTBOUND)
}

async fn get<S: Store>(s: &S, k: keys::Key) -> Result<Option<Item>, String> {
    s.get(&k.pk, &k.sk).await.map_err(|e| e.to_string())
}

/// A wamid, else a request id (through the send record's `wamid`).
async fn find<S: Store>(s: &S, id: &str) -> Result<Found, String> {
    if let Some(item) = get(s, keys::message(id)).await?.filter(outbound) {
        return Ok(Found::Message(Box::new(MessageView::from_item(&item))));
    }
    let Some(send) = get(s, keys::send_request(id)).await? else { return Ok(Found::Nothing) };
    if let Some(wamid) = send.get_str(WAMID) {
        if let Some(item) = get(s, keys::message(wamid)).await?.filter(outbound) {
            return Ok(Found::Message(Box::new(MessageView::from_item(&item))));
        }
    }
    Ok(Found::Pending { request_id: id.to_string(), state: send.get_str(STATE).map(str::to_string) })
}

fn print_message(v: &MessageView) {
    println!("{}  {}", v.wamid, v.status.as_deref().unwrap_or("(no status yet)"));
    if let Some(r) = &v.request_id {
        println!("  request   {r}{}", if v.linked { "" } else { " (send record not joined yet)" });
    }
    if let Some(t) = &v.template {
        let s = |k: &str| t.get(k).and_then(Value::as_str).unwrap_or("-").to_string();
        println!("  template  {} ({}, {})", s("name"), s("language"), s("category"));
    }
    for e in &v.timeline {
        let when = wapipe_core::domain::events::from_epoch_secs(e.at).map(wapipe_core::domain::events::rfc3339);
        println!("  {:<9} {}  ({})", e.status, when.unwrap_or_default(), e.at);
    }
    for e in v.errors.iter().chain(&v.warnings) {
        let s = |k: &str| e.get(k).map(|v| v.to_string().trim_matches('"').to_string()).unwrap_or_default();
        println!("  error {}: {} [retry: {}]", s("code"), s("meaning"), s("retry"));
    }
    if v.clicks > 0 {
        println!("  clicks    {}", v.clicks);
    }
}

/// `wapipe analytics templates|conversations [--day D] [--json]`.
pub async fn run_analytics(
    kind: AnalyticsKind,
    day: Option<String>,
    json: bool,
    table: Option<String>,
    state: Option<&Path>,
) -> Result<u8, String> {
    if let Some(d) = &day {
        let ok = d.len() == 10
            && d.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
        if !ok {
            return Err(format!("--day {d}: expected YYYY-MM-DD"));
        }
    }
    let rows_kind = match kind {
        AnalyticsKind::Templates => TEMPLATE_ROWS,
        AnalyticsKind::Conversations => PRICING_ROWS,
    };
    let items = match source(table, state).await? {
        Source::Local(s) => {
            let days = match day {
                Some(d) => vec![d],
                None => local_days(&s, rows_kind),
            };
            rows(&s, rows_kind, &days).await?
        }
        Source::Aws(s) => {
            let days = match day {
                Some(d) => vec![d],
                None => {
                    let today = crate::clock::now()?.unix_timestamp();
                    (0..RECENT_DAYS).map(|n| day_of(today - n * 86_400)).collect()
                }
            };
            rows(&s, rows_kind, &days).await?
        }
    };
    match kind {
        AnalyticsKind::Templates => {
            let rows: Vec<TemplateRow> = items.iter().filter_map(TemplateRow::from_item).collect();
            if json {
                println!("{}", serde_json::to_string_pretty(&rows).map_err(|e| e.to_string())?);
            } else {
                print_templates(&rows);
            }
        }
        AnalyticsKind::Conversations => {
            let rows: Vec<PricingRow> = items.iter().filter_map(PricingRow::from_item).collect();
            if json {
                println!("{}", serde_json::to_string_pretty(&rows).map_err(|e| e.to_string())?);
            } else {
                print_pricing(&rows);
            }
        }
    }
    Ok(0)
}

/// Every day local state has rows of this kind, newest first.
fn local_days(s: &MemoryStore, kind: &str) -> Vec<String> {
    let prefix = keys::analytics_day(kind, "");
    let mut days: Vec<String> = s
        .snapshot()
        .iter()
        .filter_map(|i| i.get_str(GSI1PK).and_then(|p| p.strip_prefix(&prefix)).map(str::to_string))
        .collect();
    days.sort_unstable_by(|a, b| b.cmp(a));
    days.dedup();
    days
}

/// The rows of these days (GSI1, every page).
async fn rows<S: Store>(s: &S, kind: &str, days: &[String]) -> Result<Vec<Item>, String> {
    let mut out = Vec::new();
    for d in days {
        let q = Query { index: Index::Gsi1, ..Query::table(keys::analytics_day(kind, d), "") };
        out.extend(
            wapipe_core::app::paging::all_items(s, q, wapipe_core::app::paging::MAX_PAGES)
                .await
                .map_err(|e| e.to_string())?,
        );
    }
    Ok(out)
}

fn print_templates(rows: &[TemplateRow]) {
    if rows.is_empty() {
        println!("no template analytics");
        return;
    }
    println!(
        "{:<10}  {:<28} {:<6} {:>7} {:>9} {:>6} {:>6} {:>6}",
        "day", "template", "lang", "sent", "delivered", "read", "failed", "clicks"
    );
    for r in rows {
        println!(
            "{:<10}  {:<28} {:<6} {:>7} {:>9} {:>6} {:>6} {:>6}",
            r.day, r.template_name, r.template_language, r.sent, r.delivered, r.read, r.failed, r.clicks
        );
    }
}

fn print_pricing(rows: &[PricingRow]) {
    if rows.is_empty() {
        println!("no conversation analytics");
        return;
    }
    println!(
        "{:<10}  {:<18} {:<28} {:>9} {:>8} {:>8}  estimate",
        "day", "waba", "category", "delivered", "billable", "unpriced"
    );
    for r in rows {
        let cost = match (r.estimated_cost, &r.currency) {
            (Some(c), Some(cur)) => format!("{c:.4} {cur} ({})", r.rate_card.as_deref().unwrap_or("?")),
            _ => "-".to_string(),
        };
        println!(
            "{:<10}  {:<18} {:<28} {:>9} {:>8} {:>8}  {cost}",
            r.day, r.waba_id, r.category, r.messages, r.billable, r.unpriced
        );
    }
    println!("(estimates use the rate card you configured in WAPIPE_RATE_CARD; prices are yours to set)");
}

#[cfg(test)]
mod tests {
    use super::*;
    use wapipe_core::domain::events::EventType;

    fn sample(name: &str) -> Vec<webhook_ingest::RecordIn> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../events").join(name);
        crate::replay::file_records(&path).unwrap()
    }

    #[tokio::test]
    async fn replayed_statuses_reach_the_tracker_through_the_local_bus_and_queue() {
        let local = Local::open(None).unwrap();
        for name in ["example-sqs-eum-status-delivered.json", "example-sqs-eum-status-failed.json"] {
            local.ingest.handle_batch(&sample(name)).await;
            local.drain().await;
        }
        let failed: Vec<_> =
            local.bus.events().into_iter().filter(|e| e.detail_type == EventType::MessageFailed).collect();
        assert_eq!(failed.len(), 1, "the tracker published the failure");
        let wamid = failed[0].detail["wamid"].as_str().unwrap().to_string();
        let Found::Message(v) = find(&local.store, &wamid).await.unwrap() else { panic!("the failed message") };
        assert_eq!(v.status.as_deref(), Some("failed"));
        assert_eq!(v.errors[0]["code"], 131026);
        let days = local_days(&local.store, PRICING_ROWS);
        assert_eq!(days.len(), 1, "the delivered status is on a pricing row");
        assert_eq!(rows(&local.store, PRICING_ROWS, &days).await.unwrap().len(), 1);
        assert!(matches!(find(&local.store, "nope").await.unwrap(), Found::Nothing));
    }
}
