//! `wapipe replay PATH...`: feed files or folders through ingest and summarise.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use send_worker::eum_events::is_eum_event;
use send_worker::Outcome as SendOutcome;
use serde::Serialize;
use time::OffsetDateTime;
use wapipe_core::domain::envelope::lambda_event_bodies;
use wapipe_core::ports::Clock;
use webhook_ingest::batch::events_by_type;
use webhook_ingest::{Outcome, RecordIn};

use crate::local::Local;

/// Names in a folder that are documentation of the samples, not samples.
const SKIPPED_NAMES: &[&str] = &["manifest.json"];

/// What a replay did: the counts `wapipe replay` prints (or its `--json` document).
#[derive(Serialize, Default, Debug)]
pub struct Summary {
    /// Files read.
    pub files: usize,
    /// Records fed to ingest: one per record of a Lambda event file, else one per file.
    pub records: usize,
    /// Units of work (messages, statuses, field changes) the processed records held.
    pub units: usize,
    /// Units skipped as already done (seen before, or twice in one batch).
    pub duplicates: usize,
    /// EUM's own EventBridge events (`source: aws.social-messaging`: handovers, statuses) fed
    /// to the send worker's EUM events consumer, as `EumEventsRule` would.
    pub eum_events: usize,
    /// Events ingest published, by detail-type.
    pub events: BTreeMap<String, usize>,
    /// What the consumers running in this process (status tracker, payment processor,
    /// quality snapshotter, flow responses) published in answer, by type.
    pub consumer_events: BTreeMap<String, usize>,
    /// Records that can never succeed: parked by ingest, with the reason.
    pub parked: Vec<Parked>,
    /// Records that failed for a transient reason (they would be retried by SQS).
    pub retry: Vec<Parked>,
}

/// A record that did not go through, and why (a parked or a transiently failed record).
#[derive(Serialize, Debug)]
pub struct Parked {
    /// The function that handled it (`webhook-ingest`; its parked records are `PARKED#<source>`).
    pub source: String,
    /// The file the record came from.
    pub file: String,
    /// The record's id: its SQS message id, or `FILE#N` / the file name when it has none.
    pub record_id: String,
    /// Why: the decoding layer and field for a parked record, the error for a transient failure.
    pub reason: String,
}

/// Every `.json` file under the given paths, folders walked recursively in name order.
pub fn collect_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| format!("{}: {e}", p.display()))?;
        if meta.is_dir() {
            walk(p, &mut out)?;
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out)?;
        } else if p.extension().is_some_and(|x| x == "json")
            && !p.file_name().and_then(|n| n.to_str()).is_some_and(|n| SKIPPED_NAMES.contains(&n))
        {
            out.push(p);
        }
    }
    Ok(())
}

/// The records of one file: the records of a Lambda SQS/SNS event, or the file as one body.
pub fn file_records(path: &Path) -> Result<Vec<RecordIn>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let name = path.display().to_string();
    let sent_at = std::fs::metadata(path).ok().and_then(|m| m.modified().ok()).map(OffsetDateTime::from);
    match lambda_event_bodies(&text) {
        Ok(Some(bodies)) => Ok(bodies
            .into_iter()
            .enumerate()
            .map(|(i, (id, body))| RecordIn {
                id: if id.is_empty() { format!("{name}#{i}") } else { id },
                body,
                sent_at,
                ..Default::default()
            })
            .collect()),
        // Not a Lambda event document (or a broken one): the whole file is one body, so a
        // broken file is parked with its reason like any other bad record.
        Ok(None) | Err(_) => Ok(vec![RecordIn { id: name, body: text, sent_at, ..Default::default() }]),
    }
}

/// How many files are read and split into records ahead of ingest.
const READ_AHEAD: usize = 16;

/// Replay every file, one batch per file, and add up the outcomes. Two stages on two cores:
/// a blocking thread reads the files and splits them into records ([`file_records`]) up to
/// [`READ_AHEAD`] files ahead, while ingest and the local consumers work through the batches
/// in file order, so the records of one contact still arrive in order. The two stages share
/// the decoding ([`webhook_ingest::decode_records`]: the envelopes, the webhook, the units):
/// while ingest is behind (more than half of the read-ahead waiting), the reader decodes the
/// files it reads; otherwise it leaves them to ingest. Either stage alone would be the
/// bottleneck if it did all of it.
pub async fn replay(local: &Local, files: &[PathBuf], progress: &indicatif::ProgressBar) -> Result<Summary, String> {
    let mut s = Summary::default();
    let before = local.bus.count();
    let (tx, mut rx) = tokio::sync::mpsc::channel(READ_AHEAD);
    let paths = files.to_vec();
    let (config, clock) = (local.ingest.config.clone(), local.ingest.clock);
    let reader = tokio::task::spawn_blocking(move || {
        for f in paths {
            let ingest_behind = tx.capacity() < READ_AHEAD / 2;
            let read = file_records(&f).map(|records| {
                let decoded = ingest_behind.then(|| webhook_ingest::decode_records(&config, &records, clock.now()));
                (records, decoded)
            });
            // The receiver is gone only when replay stopped on an error.
            if tx.blocking_send((f, read)).is_err() {
                return;
            }
        }
    });
    let mut eum_worker = None;
    while let Some((f, read)) = rx.recv().await {
        let (records, mut decoded) = read?;
        progress.set_message(f.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string());
        // EUM's EventBridge events go where EumEventsRule sends them, not to ingest.
        let (eum, records): (Vec<RecordIn>, Vec<RecordIn>) = if records.iter().any(|r| is_eum_event(&r.body)) {
            decoded = None;
            records.into_iter().partition(|r| is_eum_event(&r.body))
        } else {
            (Vec::new(), records)
        };
        if !eum.is_empty() {
            let worker = eum_worker.get_or_insert_with(|| crate::send::local_worker(local, local.sandbox.clone()));
            let report = worker.handle_eum_batch(&eum).await;
            local.drain().await;
            s.eum_events += eum.len();
            for (id, outcome) in &report.outcomes {
                let row = |reason: &str| Parked {
                    source: "send-worker (EUM events)".into(),
                    file: f.display().to_string(),
                    record_id: id.clone(),
                    reason: reason.to_string(),
                };
                match outcome {
                    SendOutcome::Rejected { rule, reason, .. } if rule == "parked" => s.parked.push(row(reason)),
                    SendOutcome::Retry { error, .. } => s.retry.push(row(error)),
                    _ => {}
                }
            }
        }
        if records.is_empty() {
            s.files += 1;
            s.records += eum.len();
            progress.inc(1);
            continue;
        }
        let report = match decoded {
            Some(decoded) => local.ingest.handle_decoded(&records, decoded).await,
            None => local.ingest.handle_batch(&records).await,
        };
        // Consumers of the events (through their local queues) run before the next file.
        local.drain().await;
        s.files += 1;
        s.records += records.len() + eum.len();
        for (t, n) in events_by_type(&report) {
            *s.events.entry(t.as_str().to_string()).or_insert(0) += n;
        }
        for (id, outcome) in &report.outcomes {
            let row = |reason: &str| Parked {
                source: local.ingest.config.source.clone(),
                file: f.display().to_string(),
                record_id: id.clone(),
                reason: reason.to_string(),
            };
            match outcome {
                Outcome::Done { units, duplicates, .. } => {
                    s.units += units;
                    s.duplicates += duplicates;
                }
                Outcome::Parked { reason, .. } => s.parked.push(row(reason)),
                Outcome::Retry { error } => s.retry.push(row(error)),
            }
        }
        progress.inc(1);
    }
    reader.await.map_err(|e| format!("the file reader stopped: {e}"))?;
    progress.finish_and_clear();
    // Everything published since the start, less what ingest published, is the consumers'.
    if local.has_consumers() {
        for (t, n) in local.bus.counts_since(before) {
            let by_consumers = n.saturating_sub(s.events.get(t.as_str()).copied().unwrap_or(0));
            if by_consumers > 0 {
                s.consumer_events.insert(t.as_str().to_string(), by_consumers);
            }
        }
    }
    Ok(s)
}

/// The summary for people.
pub fn print_human(s: &Summary) {
    println!(
        "replayed {} records from {} files: {} units, {} duplicates skipped",
        s.records, s.files, s.units, s.duplicates
    );
    if s.eum_events > 0 {
        println!("{} of EUM's EventBridge events went to the send worker", s.eum_events);
    }
    if !s.events.is_empty() {
        println!("\nevents published:");
        let width = s.events.keys().map(String::len).max().unwrap_or(0);
        for (t, n) in &s.events {
            println!("  {t:<width$}  {n:>6}");
        }
    }
    if !s.consumer_events.is_empty() {
        println!("\npublished in answer by the local consumers:");
        let width = s.consumer_events.keys().map(String::len).max().unwrap_or(0);
        for (t, n) in &s.consumer_events {
            println!("  {t:<width$}  {n:>6}");
        }
    }
    if !s.parked.is_empty() {
        println!("\nparked ({}):", s.parked.len());
        for p in &s.parked {
            println!("  {} [{}]\n    {}", p.file, p.record_id, p.reason);
        }
    }
    if !s.retry.is_empty() {
        println!("\nfailed transiently, would be retried ({}):", s.retry.len());
        for p in &s.retry {
            println!("  {} [{}]: {}", p.file, p.record_id, p.reason);
        }
    }
}
