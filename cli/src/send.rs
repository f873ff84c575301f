//! `wapipe send --file request.json` and `wapipe message check FILE`.
//!
//! Local mode runs the send worker in this process on the sandbox messaging adapter: the
//! request goes on the local send queue, the worker validates, guards, paces and "sends"; the
//! sandbox plays back Meta's statuses as EUM notifications on the local ingest queue, which
//! ingest turns into `whatsapp.message.status` events — the message's whole life, printed.
//! With `--queue-url` the request goes to a real SQS send queue instead.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use send_worker::{Config, SendWorker};
use serde_json::Value;
use wapipe_core::app::publish::RetryPolicy;
use wapipe_core::domain::events::DomainEvent;
use wapipe_core::domain::keys;
use wapipe_core::domain::outbound::parse_request;
use wapipe_core::domain::routes::Consumer;
use wapipe_core::domain::send_record::callback_data;
use wapipe_core::memory::{MemoryBus, MemoryQueue, MemoryStore, Playback, Sandbox};
use wapipe_core::ports::{OutgoingMessage, Queue, Store, SystemClock, Update, Write};

use crate::exit;
use crate::local::{consumer_queue, Local, LocalFn, INGEST_QUEUE};

type LocalWorker = SendWorker<Arc<MemoryStore>, Arc<MemoryBus>, Arc<Sandbox>, Arc<MemoryQueue>, SystemClock>;

/// The send worker on local mode's store, bus and queue, with the sandbox for EUM.
pub fn local_sender(local: &Local, sandbox: Arc<Sandbox>) -> LocalFn<LocalWorker> {
    LocalFn::new(Consumer::SendWorker, local_worker(local, sandbox))
}

/// The send worker of local mode, over the local table, bus and queues and this sandbox EUM.
pub fn local_worker(local: &Local, sandbox: Arc<Sandbox>) -> LocalWorker {
    let config = Config { publish: RetryPolicy::immediate(3), ..Config::default() };
    SendWorker::new(local.store.clone(), local.bus.clone(), sandbox, local.queue.clone(), SystemClock, config)
}

/// `--playback read | delivered | failed:CODE`.
pub fn parse_playback(s: &str) -> Result<Playback, String> {
    match s {
        "read" => Ok(Playback::Read),
        "delivered" => Ok(Playback::Delivered),
        other => match other.strip_prefix("failed:").map(str::parse::<i64>) {
            Some(Ok(code)) => {
                let title = wapipe_core::domain::meta_errors::lookup(code).map_or("error", |m| m.meaning);
                Ok(Playback::Failed { code, title: title.to_string() })
            }
            _ => Err(format!("--playback: expected read, delivered or failed:CODE, got {other:?}")),
        },
    }
}

fn read(file: &Path) -> Result<String, String> {
    std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))
}

/// `wapipe message check FILE`: 0 and the Cloud API JSON, or 1 (invalid) and the field error.
pub fn check(file: &Path) -> Result<u8, String> {
    let body = read(file)?;
    match parse_request(&body).and_then(|r| r.validate().map(|()| r)) {
        Ok(req) => {
            let json = req.cloud_json(Some(&callback_data(&req.request_id))).map_err(|e| e.to_string());
            let json = match json {
                Ok(j) => j,
                Err(e) => {
                    eprintln!("invalid: {e}");
                    return Ok(exit::INVALID);
                }
            };
            let v: Value = serde_json::from_slice(&json).map_err(|e| e.to_string())?;
            println!("{}", serde_json::to_string_pretty(&v).map_err(|e| e.to_string())?);
            Ok(0)
        }
        Err(e) => {
            eprintln!("invalid: {e}");
            Ok(exit::INVALID)
        }
    }
}

/// Send to a real SQS queue (after the same check).
pub async fn send_to_queue(file: &Path, queue_url: &str) -> Result<u8, String> {
    let body = read(file)?;
    if let Err(e) = parse_request(&body).and_then(|r| r.validate()) {
        eprintln!("invalid: {e}");
        return Ok(exit::INVALID);
    }
    let sdk = wapipe_core::aws::sdk_config().await;
    let queue = wapipe_core::aws::SqsQueue::from_conf(&sdk);
    let id = queue
        .send(queue_url, OutgoingMessage { body, ..OutgoingMessage::default() })
        .await
        .map_err(|e| e.to_string())?;
    println!("enqueued {id} on {queue_url}");
    Ok(0)
}

/// Options of local mode.
pub struct LocalSend {
    /// What the sandbox's Meta does after accepting the message: read, delivered, or fail with
    /// a code (`--playback`).
    pub playback: Playback,
    /// Record an inbound message from the recipient first (opens the 24-hour window).
    pub open_window: bool,
    /// Print the message's events as a JSON array (`[{"detail-type", "detail"}, …]`).
    pub json: bool,
    /// How long to wait for paced or retried requests.
    pub wait: Duration,
}

/// Local mode: 0 accepted, 6 still waiting (paced or retrying), 3 rejected or failed.
pub async fn send_local(local: &mut Local, file: &Path, opts: LocalSend) -> Result<u8, String> {
    let body = read(file)?;
    let sandbox = local.sandbox.clone();
    sandbox.set_default_playback(opts.playback);
    if let Some(latency) = &local.latency {
        sandbox.set_latency(latency.clone());
    }
    if opts.open_window {
        open_window(local, &sandbox, &body).await?;
    }
    local.register(Arc::new(local_sender(local, sandbox.clone())));
    let before = local.bus.events().len();
    let send_queue = consumer_queue(Consumer::SendWorker);
    local
        .queue
        .send(&send_queue, OutgoingMessage { body: body.clone(), ..OutgoingMessage::default() })
        .await
        .map_err(|e| e.to_string())?;
    let deadline = Instant::now() + opts.wait;
    loop {
        local.drain().await;
        let notes = sandbox.take_notifications();
        for n in notes {
            local
                .queue
                .send(INGEST_QUEUE, OutgoingMessage { body: n, ..OutgoingMessage::default() })
                .await
                .map_err(|e| e.to_string())?;
        }
        drain_ingest(local).await?;
        local.drain().await;
        if local.queue.len(&send_queue) == 0 || Instant::now() >= deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let events: Vec<DomainEvent> = local.bus.events().into_iter().skip(before).collect();
    print_life(&events, opts.json)?;
    let outcome = events.iter().find_map(|e| match e.detail_type.as_str() {
        "whatsapp.send.accepted" => Some(exit::DONE),
        "whatsapp.send.rejected" | "whatsapp.send.failed" => Some(exit::REFUSED),
        _ => None,
    });
    match outcome {
        Some(code) => Ok(code),
        // No outcome this run: a request settled by an earlier run is a duplicate, never sent
        // again; say so rather than report it as still waiting.
        None => earlier_outcome(local, &body).await,
    }
}

/// The exit code of a request an earlier run settled (its send record's state), printed.
async fn earlier_outcome(local: &Local, body: &str) -> Result<u8, String> {
    let rid = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v.get("request_id").and_then(Value::as_str).map(str::to_string));
    let Some(rid) = rid else { return Ok(exit::UNFINISHED) };
    let k = keys::send_request(&rid);
    let record = local.store.get(&k.pk, &k.sk).await.map_err(|e| e.to_string())?;
    let state = record.as_ref().and_then(|r| r.get_str(wapipe_core::domain::send_record::STATE));
    let code = match state {
        Some("accepted") => exit::DONE,
        Some("rejected" | "failed") => exit::REFUSED,
        _ => return Ok(exit::UNFINISHED),
    };
    eprintln!("request {rid} was already {} by an earlier run: a duplicate, not sent again", state.unwrap_or_default());
    Ok(code)
}

async fn drain_ingest(local: &Local) -> Result<(), String> {
    for _ in 0..100 {
        let batch = local.queue.receive(INGEST_QUEUE, 10, Duration::ZERO).await.map_err(|e| e.to_string())?;
        if batch.is_empty() {
            return Ok(());
        }
        let records: Vec<webhook_ingest::RecordIn> = batch
            .iter()
            .map(|m| webhook_ingest::RecordIn {
                id: m.message_id.clone(),
                body: m.body.clone(),
                sent_at: None,
                ..Default::default()
            })
            .collect();
        let report = local.ingest.handle_batch(&records).await;
        let failed = report.failures();
        for m in batch.iter().filter(|m| !failed.contains(&m.message_id)) {
            local.queue.delete(INGEST_QUEUE, &m.receipt_handle).await.map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

/// As if the recipient had just written (ingest's contact window write).
async fn open_window(local: &Local, sandbox: &Sandbox, body: &str) -> Result<(), String> {
    let v: Value = serde_json::from_str(body).map_err(|e| format!("request: not JSON: {e}"))?;
    let text = |field: &str| v.get(field).and_then(Value::as_str).unwrap_or_default();
    let (from, to) = (text("from"), text("to"));
    let phone = sandbox.phones().iter().find(|p| p.is(from)).map(|p| p.meta_phone_number_id.clone());
    let phone = phone.unwrap_or_else(|| from.to_string());
    let k = keys::contact_window(&phone, to.trim_start_matches('+'));
    let now = crate::clock::now()?.unix_timestamp();
    let w = Write::Update {
        pk: k.pk,
        sk: k.sk,
        updates: vec![Update::Set("last_inbound_at".into(), now.into())],
        cond: None,
    };
    local.store.write(w).await.map_err(|e| e.to_string())?;
    Ok(())
}

const SHOWN: &[&str] = &[
    "request_id",
    "rule",
    "field",
    "reason",
    "eum_message_id",
    "attempts",
    "wamid",
    "status",
    "error_code",
    "exception",
    "errors",
];

fn print_life(events: &[DomainEvent], json: bool) -> Result<(), String> {
    if json {
        let all: Vec<Value> = events
            .iter()
            .map(|e| serde_json::json!({"detail-type": e.detail_type.as_str(), "detail": Value::Object(e.detail.clone())}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&all).map_err(|e| e.to_string())?);
        return Ok(());
    }
    for e in events {
        let mut line = format!("{:<28}", e.detail_type.as_str());
        for k in SHOWN {
            if let Some(v) = e.detail.get(*k) {
                let v = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                line.push_str(&format!(" {k}={v}"));
            }
        }
        println!("{line}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/send").join(name)
    }

    #[test]
    fn check_exits_0_for_valid_and_1_for_invalid_requests() {
        assert_eq!(check(&sample("order-details.json")), Ok(0));
        let bad = std::env::temp_dir().join(format!("wapipe-bad-{}.json", std::process::id()));
        let mut v: Value = serde_json::from_str(&read(&sample("text.json")).unwrap()).unwrap();
        v["to"] = Value::from("12345");
        std::fs::write(&bad, v.to_string()).unwrap();
        assert_eq!(check(&bad), Ok(1));
        assert!(check(Path::new("/nonexistent/x.json")).is_err());
        std::fs::remove_file(&bad).unwrap();
    }

    #[test]
    fn playback_options() {
        assert_eq!(parse_playback("read"), Ok(Playback::Read));
        assert!(matches!(parse_playback("failed:131026"), Ok(Playback::Failed { code: 131026, .. })));
        assert!(parse_playback("failed:x").is_err());
    }

    #[tokio::test]
    async fn local_send_shows_the_whole_life_and_guards_apply() {
        let mut local = Local::open(None).unwrap();
        let opts =
            |open_window| LocalSend { playback: Playback::Read, open_window, json: true, wait: Duration::from_secs(5) };
        assert_eq!(send_local(&mut local, &sample("text.json"), opts(false)).await, Ok(3), "no window: rejected");
        let mut local = Local::open(None).unwrap();
        assert_eq!(send_local(&mut local, &sample("text.json"), opts(true)).await, Ok(0));
        let statuses: Vec<String> = local
            .bus
            .events()
            .iter()
            .filter(|e| e.detail_type.as_str() == "whatsapp.message.status")
            .filter_map(|e| e.detail.get("status").and_then(Value::as_str).map(str::to_string))
            .collect();
        assert_eq!(statuses, vec!["sent", "delivered", "read"]);
    }
}
