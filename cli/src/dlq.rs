//! `wapipe dlq list|replay|parked|unpark`: the dead-letter queues for operators, on the
//! dlq-drainer's library (the same code the Lambda runs).
//!
//! Against AWS: `--pairs` (the stack's `DlqPairs` output, or `WAPIPE_DLQ_PAIRS`: a JSON list
//! of `{name, dlq_url, source_url}`), or one pair with `--queue-url DLQ --source-url SRC`;
//! `--table` for parked records and `--event-bus` for the `whatsapp.message.parked` events.
//! Without them, local state: one pair per local consumer queue (local queues live only
//! for one command, so there the useful views are `parked` and `unpark`).

use std::path::Path;
use std::time::Duration;

use clap::{Args, Subcommand};
use dlq_drainer::drain::DrainRequest;
use dlq_drainer::park::{list_parked, unpark};
use dlq_drainer::{parse_pairs, Action, Config, DrainReport, Drainer, QueuePair};
use serde_json::{json, Value};
use wapipe_core::app::publish::RetryPolicy;
use wapipe_core::aws::{sdk_config, DynamoStore, EventBridgeBus, SqsQueue};
use wapipe_core::domain::keys::{self, Key};
use wapipe_core::domain::routes::Consumer;
use wapipe_core::ports::{Bus, Clock, Item, Query, Queue, Store, SystemClock};

use crate::exit;
use crate::local::{consumer_queue, Local};

/// Where the queues and the table are.
#[derive(Args, Clone, Debug, Default)]
pub struct Target {
    /// Queue pairs as JSON (`[{name, dlq_url, source_url}]`, the stack's `DlqPairs` output).
    #[arg(long, env = "WAPIPE_DLQ_PAIRS", value_name = "JSON", global = true)]
    pairs: Option<String>,
    /// One DLQ URL (with --source-url) instead of --pairs.
    #[arg(long, value_name = "URL", global = true, requires = "source_url")]
    queue_url: Option<String>,
    /// The source queue of --queue-url.
    #[arg(long, value_name = "URL", global = true)]
    source_url: Option<String>,
    /// The DynamoDB table (parked records).
    #[arg(long, value_name = "NAME", env = "WAPIPE_TABLE", global = true)]
    table: Option<String>,
    /// The EventBridge bus (`whatsapp.message.parked`).
    #[arg(long, value_name = "NAME", env = "WAPIPE_EVENT_BUS", global = true)]
    event_bus: Option<String>,
    /// Print JSON.
    #[arg(long, global = true)]
    json: bool,
}

/// The subcommands of `wapipe dlq`.
#[derive(Subcommand)]
pub enum DlqCommand {
    /// Each queue pair: DLQ depth, source depth, parked count.
    List,
    /// Move DLQ messages back to their source queues (with backoff), parking those replayed
    /// too often. Exit 6 when some could not be moved.
    Replay {
        /// Only these queue pairs (by name); all when absent.
        #[arg(long = "queue", value_name = "NAME")]
        queues: Vec<String>,
        /// Messages per queue.
        #[arg(long, default_value_t = 100)]
        max: usize,
        /// Show what would move, move nothing.
        #[arg(long)]
        dry_run: bool,
        /// Replays before parking.
        #[arg(long, default_value_t = 3)]
        max_replays: u32,
        /// Replay with this delay (seconds, ≤ 900) instead of the backoff schedule: `0` after
        /// fixing the consumer.
        #[arg(long, value_name = "SECS")]
        delay: Option<u64>,
    },
    /// Parked messages (body, attempts, last error).
    Parked {
        /// Only these queue pairs (by name); all when absent.
        #[arg(long = "queue", value_name = "NAME")]
        queues: Vec<String>,
        /// Instead: the records a function parked itself (`PARKED#<source>`, e.g. status-tracker).
        #[arg(long, value_name = "FUNCTION", conflicts_with = "queues")]
        source: Option<String>,
        /// The most records to show per queue (1 to 1,000 with --source).
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// Send parked messages back to their source queues and remove them from the table.
    Unpark {
        /// The parked partition's queue name.
        #[arg(long = "queue", value_name = "NAME")]
        queue: String,
        /// One parked record by its sort key (see `dlq parked`); all of the queue without it.
        #[arg(long)]
        sk: Option<String>,
        /// Show what would be sent back, send nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// A progress bar on stderr; hidden for JSON output.
fn progress_bar(len: u64, quiet: bool, unit: &str) -> indicatif::ProgressBar {
    if quiet {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    if let Ok(style) = indicatif::ProgressStyle::with_template(&format!("{{bar:30}} {{pos}}/{{len}} {unit} {{msg}}")) {
        bar.set_style(style);
    }
    bar
}

/// The queue pairs of local mode: one per consumer queue.
pub fn local_pairs() -> Vec<QueuePair> {
    [
        Consumer::StatusTracker,
        Consumer::SendWorker,
        Consumer::FlowEndpoint,
        Consumer::PaymentProcessor,
        Consumer::QualitySnapshotter,
    ]
    .into_iter()
    .map(|c| QueuePair {
        name: c.function().into(),
        dlq_url: format!("{}-dlq", consumer_queue(c)),
        source_url: consumer_queue(c),
    })
    .collect()
}

fn pairs_of(t: &Target) -> Result<Option<Vec<QueuePair>>, String> {
    match (&t.pairs, &t.queue_url, &t.source_url) {
        (_, Some(dlq), Some(src)) => {
            Ok(Some(vec![QueuePair { name: "queue".into(), dlq_url: dlq.clone(), source_url: src.clone() }]))
        }
        (Some(json), _, _) => parse_pairs(json).map(Some).map_err(|e| format!("--pairs: {e}")),
        _ => Ok(None),
    }
}

/// Run a `wapipe dlq` subcommand against AWS (`--pairs` or `--queue-url`, with `--table`) or on
/// local state; the exit code: 0 done, 6 some messages could not be moved (`replay`, `unpark`).
pub async fn run(command: DlqCommand, target: Target, state: Option<&Path>) -> Result<u8, String> {
    match pairs_of(&target)? {
        Some(pairs) => {
            let sdk = sdk_config().await;
            let table = target.table.clone().ok_or("--table (or WAPIPE_TABLE) is required with --pairs/--queue-url")?;
            let store = DynamoStore::from_conf(&sdk, table);
            let bus = EventBridgeBus::from_conf(&sdk, target.event_bus.clone().unwrap_or_else(|| "default".into()));
            let wait = Duration::from_secs(1);
            execute(command, &target, SqsQueue::from_conf(&sdk), store, bus, pairs, wait).await
        }
        None => {
            let local = Local::open(state)?;
            let (queue, store, bus) = (local.queue.clone(), local.store.clone(), local.bus.clone());
            let code = execute(command, &target, queue, store, bus, local_pairs(), Duration::ZERO).await?;
            local.save()?;
            Ok(code)
        }
    }
}

async fn execute<Q: Queue, S: Store, B: Bus>(
    command: DlqCommand,
    t: &Target,
    queue: Q,
    store: S,
    bus: B,
    pairs: Vec<QueuePair>,
    receive_wait: Duration,
) -> Result<u8, String> {
    let max_replays = match &command {
        DlqCommand::Replay { max_replays, .. } => *max_replays,
        _ => 3,
    };
    let config = Config { pairs, max_replays, receive_wait, publish: RetryPolicy::default(), ..Config::default() };
    let d = Drainer::new(queue, store, bus, SystemClock, config);
    match command {
        DlqCommand::List => list(&d, t.json).await,
        DlqCommand::Replay { queues, max, dry_run, delay, .. } => {
            let req = DrainRequest { queues, max_messages: Some(max), dry_run, delay_secs: delay };
            replay(&d, req, t.json).await
        }
        DlqCommand::Parked { queues, limit, source } => parked(&d, &queues, source, limit, t.json).await,
        DlqCommand::Unpark { queue, sk, dry_run } => unpark_all(&d, &queue, sk, dry_run, t.json).await,
    }
}

async fn list<Q: Queue, S: Store, B: Bus, C: Clock>(d: &Drainer<Q, S, B, C>, json: bool) -> Result<u8, String> {
    let mut rows = Vec::new();
    for p in &d.config.pairs {
        let dlq = d.queue.depth(&p.dlq_url).await.map_err(|e| format!("{}: {e}", p.name))?;
        let src = d.queue.depth(&p.source_url).await.map_err(|e| format!("{}: {e}", p.name))?;
        let parked = list_parked(&d.store, &p.name, 1000).await.map_err(|e| e.to_string())?.len();
        rows.push(json!({"queue": p.name, "dlq": dlq.total(), "dlq_visible": dlq.visible, "source": src.total(), "parked": parked}));
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&rows).map_err(|e| e.to_string())?);
    } else {
        println!("{:<22} {:>8} {:>8} {:>8}", "QUEUE", "DLQ", "SOURCE", "PARKED");
        for r in &rows {
            let n = |k: &str| r[k].as_u64().unwrap_or(0);
            println!("{:<22} {:>8} {:>8} {:>8}", r["queue"].as_str().unwrap_or(""), n("dlq"), n("source"), n("parked"));
        }
    }
    Ok(0)
}

async fn replay<Q: Queue, S: Store, B: Bus, C: Clock>(
    d: &Drainer<Q, S, B, C>,
    req: DrainRequest,
    json: bool,
) -> Result<u8, String> {
    let (selected, max) = (d.select(&req.queues)?, req.max_messages.unwrap_or(d.config.max_messages));
    let mut total = 0u64;
    for p in &selected {
        total += d.queue.depth(&p.dlq_url).await.map(|x| x.visible).unwrap_or(0).min(max as u64);
    }
    let bar = progress_bar(total, json, "messages");
    let report = d
        .run(&req, &|q, m| {
            bar.inc(1);
            bar.set_message(format!("{q}: {}", m.message_id));
        })
        .await?;
    bar.finish_and_clear();
    if json {
        println!("{}", serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?);
    } else {
        print_report(&report);
    }
    Ok(if report.failed() > 0 { exit::UNFINISHED } else { exit::DONE })
}

fn print_report(r: &DrainReport) {
    let verb = if r.dry_run { "would " } else { "" };
    for q in &r.queues {
        println!(
            "{}: {} received, {verb}replay {}, {verb}park {}, {} failed",
            q.queue, q.received, q.replayed, q.parked, q.failed
        );
        for m in &q.messages {
            let what = match &m.action {
                Action::Replay { replay, delay_secs } => format!("{verb}replay #{replay} after {delay_secs}s"),
                Action::Park { reason } => format!("{verb}park: {reason}"),
            };
            match &m.error {
                Some(e) => println!("  {} {what} — FAILED: {e}", m.message_id),
                None => println!("  {} {what}", m.message_id),
            }
        }
        for e in &q.errors {
            println!("  error: {e}");
        }
    }
    if r.dry_run {
        println!("dry run: nothing was moved");
    }
}

fn names<Q, S, B, C>(d: &Drainer<Q, S, B, C>, queues: &[String]) -> Vec<String> {
    if queues.is_empty() {
        d.config.pairs.iter().map(|p| p.name.clone()).collect()
    } else {
        queues.to_vec()
    }
}

async fn parked<Q: Queue, S: Store, B: Bus, C: Clock>(
    d: &Drainer<Q, S, B, C>,
    queues: &[String],
    source: Option<String>,
    limit: usize,
    json: bool,
) -> Result<u8, String> {
    let mut all: Vec<Item> = Vec::new();
    match source {
        Some(src) => {
            let mut q = Query::table(keys::parked_partition(&src), "");
            q.limit = Some(limit.clamp(1, 1000));
            all = d.store.query(q).await.map_err(|e| e.to_string())?.items;
        }
        None => {
            for q in names(d, queues) {
                all.extend(list_parked(&d.store, &q, limit).await.map_err(|e| e.to_string())?);
            }
        }
    }
    if json {
        let v: Vec<Value> = all.iter().map(|i| serde_json::to_value(i).unwrap_or(Value::Null)).collect();
        println!("{}", serde_json::to_string_pretty(&v).map_err(|e| e.to_string())?);
    } else if all.is_empty() {
        println!("no parked messages");
    } else {
        println!("{:<14} {:<45} {:>8}  REASON", "QUEUE", "SK", "ATTEMPTS");
        for i in &all {
            let reason: String = i.get_str("reason").unwrap_or_default().chars().take(80).collect();
            let queue = i.get_str("queue").or(i.get_str("source")).unwrap_or("-");
            println!("{:<14} {:<45} {:>8}  {reason}", queue, i.sk, i.get_i64("attempts").unwrap_or(0));
        }
    }
    Ok(0)
}

async fn unpark_all<Q: Queue, S: Store, B: Bus, C: Clock>(
    d: &Drainer<Q, S, B, C>,
    queue: &str,
    sk: Option<String>,
    dry_run: bool,
    json: bool,
) -> Result<u8, String> {
    let items: Vec<Item> = list_parked(&d.store, queue, 10_000)
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter(|i| sk.as_deref().is_none_or(|s| i.sk == s))
        .collect();
    if sk.is_some() && items.is_empty() {
        return Err(format!("no parked message of {queue} with that --sk"));
    }
    let bar = progress_bar(items.len() as u64, json || dry_run, "messages");
    let mut done = Vec::new();
    let mut failed = 0;
    for i in &items {
        let key = Key { pk: i.pk.clone(), sk: i.sk.clone() };
        if dry_run {
            done.push(json!({"sk": i.sk, "would_send_to": i.get_str("source_url")}));
            continue;
        }
        match unpark(&d.store, &d.queue, &key).await {
            Ok(id) => done.push(json!({"sk": i.sk, "message_id": id})),
            Err(e) => {
                failed += 1;
                done.push(json!({"sk": i.sk, "error": e.to_string()}));
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({"dry_run": dry_run, "unparked": done})).map_err(|e| e.to_string())?
        );
    } else {
        let verb = if dry_run { "would unpark" } else { "unparked" };
        println!("{queue}: {verb} {} of {} parked message(s), {failed} failed", done.len() - failed, items.len());
    }
    Ok(if failed > 0 { exit::UNFINISHED } else { exit::DONE })
}

#[cfg(test)]
mod tests {
    use super::*;
    use wapipe_core::memory::{MemoryBus, MemoryQueue, MemoryStore};
    use wapipe_core::ports::OutgoingMessage;

    #[test]
    fn local_pairs_are_unique_and_a_single_pair_needs_both_urls() {
        let pairs = local_pairs();
        let mut names: Vec<_> = pairs.iter().map(|p| p.name.as_str()).collect();
        names.dedup();
        assert_eq!(names.len(), pairs.len());
        assert!(pairs.iter().all(|p| p.dlq_url != p.source_url));
        let t = Target { queue_url: Some("d".into()), source_url: Some("s".into()), ..Target::default() };
        assert_eq!(pairs_of(&t).unwrap().unwrap()[0].dlq_url, "d");
        let bad = Target { pairs: Some("[{\"name\":1}]".into()), ..Target::default() };
        assert!(pairs_of(&bad).unwrap_err().starts_with("--pairs"));
        assert!(pairs_of(&Target::default()).unwrap().is_none(), "local mode");
    }

    #[tokio::test]
    async fn replay_parks_then_unpark_puts_it_back() {
        let queue = std::sync::Arc::new(MemoryQueue::new());
        let store = std::sync::Arc::new(MemoryStore::new());
        let pairs = local_pairs();
        let p = pairs[0].clone();
        let body = OutgoingMessage {
            body: "poison".into(),
            attributes: [(dlq_drainer::REPLAYS_ATTR.to_string(), "3".to_string())].into(),
            ..OutgoingMessage::default()
        };
        queue.send(&p.dlq_url, body).await.unwrap();
        let t = Target { json: true, ..Target::default() };
        let replay =
            DlqCommand::Replay { queues: vec![p.name.clone()], max: 10, dry_run: false, max_replays: 3, delay: None };
        let bus = std::sync::Arc::new(MemoryBus::new());
        assert_eq!(
            execute(replay, &t, queue.clone(), store.clone(), bus.clone(), pairs.clone(), Duration::ZERO).await,
            Ok(0)
        );
        assert_eq!((queue.len(&p.dlq_url), list_parked(&store, &p.name, 10).await.unwrap().len()), (0, 1));
        let unpark = DlqCommand::Unpark { queue: p.name.clone(), sk: None, dry_run: false };
        assert_eq!(execute(unpark, &t, queue.clone(), store.clone(), bus, pairs, Duration::ZERO).await, Ok(0));
        assert_eq!(queue.bodies(&p.source_url), vec!["poison".to_string()]);
        assert!(list_parked(&store, &p.name, 10).await.unwrap().is_empty());
    }
}
