//! `wapipe dev`: the entry points over HTTP on a loopback address, backed by local mode.
//!
//! - `POST /eum`: an SNS notification or an EUM event body, as EUM's topic would deliver it;
//! - `GET|POST /webhook`: a direct Meta webhook (verification; signature checked when an app
//!   secret is set), through the same receiver as the Function URL;
//! - `POST /flow`: the WhatsApp Flows data-exchange endpoint (with `--flow-private-key`), on
//!   local state, signatures checked when an app secret is set;
//! - `GET /events?after=N`: domain events published so far (JSON), `GET /health`;
//! - `GET /sandbox/calls?op=NAME`: the EUM calls the sandbox answered (as `wapipe sandbox calls`).
//!
//! Both POST paths put the body on the in-memory ingest queue; a worker drains it through
//! ingest exactly as the SQS event source mapping would (records that fail transiently stay
//! on the queue and come back after the visibility timeout).

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::net::TcpListener;
use tracing::{info, warn};
use wapipe_core::ports::{OutgoingMessage, Queue};
use webhook_ingest::http::MAX_BODY_BYTES;
use webhook_ingest::{HttpRequest, HttpResponse, RecordIn, WebhookReceiver};

use crate::local::{Local, INGEST_QUEUE};

/// How `wapipe dev` serves: the address and the secrets of its entry points.
pub struct DevOptions {
    /// The address to listen on; a loopback address ([`check_listen`]).
    pub listen: SocketAddr,
    /// Meta app secret: when set, POST /webhook and POST /flow require a valid
    /// X-Hub-Signature-256; absent, signatures are not checked.
    pub app_secret: Option<String>,
    /// The token GET /webhook verification expects (`hub.verify_token`); absent, verification
    /// is refused.
    pub verify_token: Option<String>,
    /// The WhatsApp Flows private key (PEM) file; absent, POST /flow is not served.
    pub flow_private_key: Option<std::path::PathBuf>,
}

struct App {
    local: Arc<Local>,
    receiver: WebhookReceiver<Arc<wapipe_core::memory::MemoryQueue>>,
    flow: Option<crate::flows::DevFlowEndpoint>,
}

/// Refuse wildcard and non-loopback addresses: local mode has no authentication.
pub fn check_listen(addr: &SocketAddr) -> Result<(), String> {
    if addr.ip().is_loopback() {
        Ok(())
    } else {
        Err(format!("--listen {addr}: local mode only listens on a loopback address such as 127.0.0.1"))
    }
}

/// Serve the entry points on `opts.listen` until `shutdown` completes, with a worker draining
/// the ingest queue through ingest; prints `wapipe dev listening on http://ADDR` once bound.
pub async fn serve(
    local: Arc<Local>,
    opts: DevOptions,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), String> {
    check_listen(&opts.listen)?;
    let listener =
        TcpListener::bind(opts.listen).await.map_err(|e| format!("cannot listen on {}: {e}", opts.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    // The one line scripts and tests wait for.
    println!("wapipe dev listening on http://{addr}");
    let flow = crate::flows::dev_flow(&local, opts.flow_private_key.as_deref(), opts.app_secret.as_deref())?;
    let receiver = WebhookReceiver {
        queue: local.queue.clone(),
        queue_url: INGEST_QUEUE.to_string(),
        app_secret: opts.app_secret.map(String::into_bytes),
        verify_token: opts.verify_token,
    };
    let app = Arc::new(App { local: local.clone(), receiver, flow });
    let worker = tokio::spawn(drain(local.clone()));
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                let (stream, _) = match accepted {
                    Ok(s) => s,
                    Err(e) => { warn!(error = %e, "accept failed"); continue; }
                };
                let app = app.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| route(app.clone(), req));
                    if let Err(e) = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service).await {
                        info!(error = %e, "connection closed");
                    }
                });
            }
        }
    }
    worker.abort();
    Ok(())
}

/// The ingest queue's consumer: batches of up to 10, failed records left for redelivery.
async fn drain(local: Arc<Local>) {
    loop {
        let batch = match local.queue.receive(INGEST_QUEUE, 10, Duration::from_millis(0)).await {
            Ok(b) => b,
            Err(e) => {
                warn!(error = %e, "receive failed");
                Vec::new()
            }
        };
        if batch.is_empty() {
            local.drain().await;
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        }
        let records: Vec<RecordIn> = batch
            .iter()
            .map(|m| RecordIn { id: m.message_id.clone(), body: m.body.clone(), sent_at: None, ..Default::default() })
            .collect();
        let report = local.ingest.handle_batch(&records).await;
        let failed: Vec<String> = report.failures();
        for m in &batch {
            if !failed.contains(&m.message_id) {
                if let Err(e) = local.queue.delete(INGEST_QUEUE, &m.receipt_handle).await {
                    warn!(error = %e, "delete failed; the record will be redelivered and deduplicated");
                }
            }
        }
    }
}

async fn route(app: Arc<App>, req: Request<Incoming>) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or_default().to_string();
    let headers: BTreeMap<String, String> = req
        .headers()
        .iter()
        .filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str().to_ascii_lowercase(), v.to_string())))
        .collect();
    let body = match Limited::new(req.into_body(), MAX_BODY_BYTES + 1).collect().await {
        Ok(b) => b.to_bytes().to_vec(),
        Err(_) => return Ok(respond(HttpResponse::text(413, format!("body over {MAX_BODY_BYTES} bytes")))),
    };
    let out = match (method.as_str(), path.as_str()) {
        ("GET", "/health") => HttpResponse::json(200, &json!({"status": "ok"})),
        ("GET", "/events") => events(&app, &query),
        ("GET", "/sandbox/calls") => sandbox_calls(&app, &query),
        ("POST", "/eum") => enqueue_eum(&app, body).await,
        ("POST", "/flow") => match &app.flow {
            Some(f) => f.handle(&HttpRequest { method, path, query, headers, body }).await,
            None => HttpResponse::text(404, "no flow endpoint: start wapipe dev with --flow-private-key FILE"),
        },
        (_, "/webhook") => app.receiver.handle(&HttpRequest { method, path, query, headers, body }).await,
        _ => HttpResponse::text(
            404,
            "not found: POST /eum, GET|POST /webhook, POST /flow, GET /events, GET /sandbox/calls, GET /health",
        ),
    };
    Ok(respond(out))
}

/// `GET /sandbox/calls?op=NAME`: the EUM calls local mode made, as `wapipe sandbox calls --json`.
fn sandbox_calls(app: &App, query: &str) -> HttpResponse {
    let op = query.split('&').filter_map(|kv| kv.split_once('=')).find(|(k, _)| *k == "op").map(|(_, v)| v);
    HttpResponse::json(200, &crate::sandbox::calls_json(&app.local.sandbox.calls(), op))
}

fn events(app: &App, query: &str) -> HttpResponse {
    let params: HashMap<String, String> =
        query.split('&').filter_map(|kv| kv.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let after: usize = params.get("after").and_then(|v| v.parse().ok()).unwrap_or(0);
    let all = app.local.bus.events();
    let list: Vec<_> =
        all.iter().skip(after).map(|e| json!({"detail-type": e.detail_type.as_str(), "detail": e.detail})).collect();
    HttpResponse::json(200, &json!({"total": all.len(), "events": list}))
}

async fn enqueue_eum(app: &App, body: Vec<u8>) -> HttpResponse {
    let Ok(body) = String::from_utf8(body) else { return HttpResponse::text(400, "body is not UTF-8") };
    if body.trim().is_empty() {
        return HttpResponse::text(400, "empty body");
    }
    let message = OutgoingMessage { body, ..OutgoingMessage::default() };
    match app.local.queue.send(INGEST_QUEUE, message).await {
        Ok(id) => HttpResponse::json(202, &json!({"queued": id})),
        Err(e) => HttpResponse::text(503, e.to_string()),
    }
}

fn respond(out: HttpResponse) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(out.body)));
    *r.status_mut() = hyper::StatusCode::from_u16(out.status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = hyper::header::HeaderValue::from_str(out.content_type) {
        r.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
    }
    r
}
