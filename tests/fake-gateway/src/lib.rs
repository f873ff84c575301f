//! A fake Razorpay on 127.0.0.1: the refund endpoints wapipe's adapter uses, with the real
//! paths, basic auth (`key_id:key_secret`), entity JSON and error JSON
//! (`{"error": {"code", "description", "source", "step", "reason", "field"}}`):
//!
//! - `POST /v1/payments/{id}/refund` — `{amount, speed?, receipt?, notes?}`; refuses more than
//!   the refundable amount (`BAD_REQUEST_ERROR`, like Razorpay). With `X-Refund-Idempotency`
//!   (≥ 10 of `[A-Za-z0-9_-]`): the same key and body answer the refund already made; the same
//!   key with another body is refused ("Different request with the same idempotency key …").
//! - `GET /v1/payments/{id}/refunds` — `{entity: "collection", count, items}` (`count`, `skip`).
//! - `GET /v1/refunds/{id}`.
//! - `GET /v1/orders/{id}/payments` — the payments of an order (webhooks may carry `order_…`).
//!
//! Faults ([`Fault`]) apply to the next matching calls: a 5xx before processing, or the refund
//! processed and the connection dropped before the answer (the lost answer).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// A fault for the next refund creation(s).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Answer 503 without creating anything.
    Unavailable,
    /// Create the refund, then drop the connection without an answer.
    DropAfterProcessing,
}

#[derive(Clone, Debug)]
struct Payment {
    id: String,
    order_id: Option<String>,
    amount: i64,
    currency: String,
}

#[derive(Debug, Default)]
struct State {
    payments: Vec<Payment>,
    refunds: Vec<Value>,
    faults: VecDeque<Fault>,
    /// Idempotency key → (request body, refund id).
    idempotent: Vec<(String, Value, String)>,
    refund_status: String,
    creations: usize,
}

/// The running fake; dropping it stops the server.
pub struct FakeGateway {
    pub addr: SocketAddr,
    pub key_id: String,
    pub key_secret: String,
    state: Arc<Mutex<State>>,
    _stop: oneshot::Sender<()>,
}

fn lock(s: &Mutex<State>) -> MutexGuard<'_, State> {
    match s.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

impl FakeGateway {
    /// Start on an ephemeral port of 127.0.0.1; refunds are created `processed`.
    pub async fn start() -> std::io::Result<FakeGateway> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State { refund_status: "processed".into(), ..State::default() }));
        let (tx, rx) = oneshot::channel();
        let auth = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("rzp_test_key:secret"));
        tokio::spawn(serve(listener, state.clone(), auth, rx));
        Ok(FakeGateway { addr, key_id: "rzp_test_key".into(), key_secret: "secret".into(), state, _stop: tx })
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A captured payment (minor units), optionally part of a Razorpay order.
    pub fn payment(&self, id: &str, order_id: Option<&str>, amount: i64, currency: &str) {
        lock(&self.state).payments.push(Payment {
            id: id.into(),
            order_id: order_id.map(str::to_string),
            amount,
            currency: currency.into(),
        });
    }

    /// Status of refunds created from now on (`processed` or `pending`).
    pub fn refund_status(&self, status: &str) {
        lock(&self.state).refund_status = status.into();
    }

    pub fn fault(&self, f: Fault) {
        lock(&self.state).faults.push_back(f);
    }

    /// Refunds created so far (each POST that created one).
    pub fn creations(&self) -> usize {
        lock(&self.state).creations
    }

    pub fn refunds(&self) -> Vec<Value> {
        lock(&self.state).refunds.clone()
    }
}

async fn serve(listener: TcpListener, state: Arc<Mutex<State>>, auth: String, mut stop: oneshot::Receiver<()>) {
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let (state, auth) = (state.clone(), auth.clone());
                tokio::spawn(async move {
                    let svc = service_fn(move |req| handle(state.clone(), auth.clone(), req));
                    let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), svc).await;
                });
            }
        }
    }
}

type Answer = Result<Response<Full<Bytes>>, std::io::Error>;

fn answer(status: StatusCode, body: Value) -> Answer {
    let mut r = Response::new(Full::new(Bytes::from(body.to_string())));
    *r.status_mut() = status;
    r.headers_mut().insert("content-type", hyper::header::HeaderValue::from_static("application/json"));
    Ok(r)
}

fn error(status: StatusCode, code: &str, description: &str, field: Option<&str>) -> Answer {
    answer(
        status,
        json!({"error": {"code": code, "description": description, "source": "business", "step": "payment_initiation",
            "reason": "input_validation_failed", "metadata": {}, "field": field}}),
    )
}

async fn handle(state: Arc<Mutex<State>>, auth: String, req: Request<Incoming>) -> Answer {
    let authorized = req.headers().get("authorization").and_then(|v| v.to_str().ok()) == Some(auth.as_str());
    let idem = req.headers().get("x-refund-idempotency").and_then(|v| v.to_str().ok()).map(str::to_string);
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or_default().to_string();
    let body = match Limited::new(req.into_body(), 1 << 20).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return error(StatusCode::BAD_REQUEST, "BAD_REQUEST_ERROR", "body too large", None),
    };
    if !authorized {
        return error(StatusCode::UNAUTHORIZED, "BAD_REQUEST_ERROR", "Authentication failed", None);
    }
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (method, parts.as_slice()) {
        (Method::POST, ["v1", "payments", id, "refund"]) => create(&state, id, &body, idem.as_deref()),
        (Method::GET, ["v1", "payments", id, "refunds"]) => {
            let s = lock(&state);
            let param = |n: &str| {
                query.split('&').find_map(|kv| kv.strip_prefix(&format!("{n}="))).and_then(|v| v.parse::<usize>().ok())
            };
            let (count, skip) = (param("count").unwrap_or(10).min(100), param("skip").unwrap_or(0));
            let items: Vec<Value> =
                s.refunds.iter().filter(|r| r["payment_id"] == *id).skip(skip).take(count).cloned().collect();
            answer(StatusCode::OK, json!({"entity": "collection", "count": items.len(), "items": items}))
        }
        (Method::GET, ["v1", "refunds", id]) => match lock(&state).refunds.iter().find(|r| r["id"] == *id) {
            Some(r) => answer(StatusCode::OK, r.clone()),
            None => error(StatusCode::BAD_REQUEST, "BAD_REQUEST_ERROR", "The id provided does not exist", Some("id")),
        },
        (Method::GET, ["v1", "orders", id, "payments"]) => {
            let s = lock(&state);
            let items: Vec<Value> = s
                .payments
                .iter()
                .filter(|p| p.order_id.as_deref() == Some(id))
                .map(|p| {
                    json!({"id": p.id, "entity": "payment", "amount": p.amount, "currency": p.currency,
                    "status": "captured", "order_id": p.order_id})
                })
                .collect();
            answer(StatusCode::OK, json!({"entity": "collection", "count": items.len(), "items": items}))
        }
        _ => {
            error(StatusCode::BAD_REQUEST, "BAD_REQUEST_ERROR", "The requested URL was not found on the server.", None)
        }
    }
}

fn create(state: &Mutex<State>, payment_id: &str, body: &[u8], idem: Option<&str>) -> Answer {
    let mut s = lock(state);
    let fault = s.faults.pop_front();
    if fault == Some(Fault::Unavailable) {
        return error(StatusCode::SERVICE_UNAVAILABLE, "SERVER_ERROR", "We are facing some trouble", None);
    }
    let Ok(input) = serde_json::from_slice::<Value>(body) else {
        return error(StatusCode::BAD_REQUEST, "BAD_REQUEST_ERROR", "The request body is not valid JSON", None);
    };
    if let Some(k) = idem {
        if k.len() < 10 || !k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return error(StatusCode::BAD_REQUEST, "BAD_REQUEST_ERROR", "invalid idempotency key", None);
        }
        let previous = s.idempotent.iter().find(|(key, _, _)| key == k).map(|(_, b, id)| (b.clone(), id.clone()));
        if let Some((previous_body, id)) = previous {
            if previous_body != input {
                let d = "Different request with the same idempotency key has already been processed.";
                return error(StatusCode::BAD_REQUEST, "BAD_REQUEST_ERROR", d, None);
            }
            let refund = s.refunds.iter().find(|r| r["id"] == id.as_str()).cloned().unwrap_or(Value::Null);
            return answer(StatusCode::OK, refund);
        }
    }
    let Some(payment) = s.payments.iter().find(|p| p.id == payment_id).cloned() else {
        return error(StatusCode::BAD_REQUEST, "BAD_REQUEST_ERROR", "The id provided does not exist", Some("id"));
    };
    let refunded: i64 = s
        .refunds
        .iter()
        .filter(|r| r["payment_id"] == payment_id && r["status"] != "failed")
        .filter_map(|r| r["amount"].as_i64())
        .sum();
    let amount = input.get("amount").and_then(Value::as_i64).unwrap_or(payment.amount - refunded);
    if amount <= 0 || amount > payment.amount - refunded {
        let d = "The requested refund amount is greater than the refundable amount.";
        return error(StatusCode::BAD_REQUEST, "BAD_REQUEST_ERROR", d, Some("amount"));
    }
    s.creations += 1;
    let refund = json!({
        "id": format!("rfnd_{:014}", s.creations),
        "entity": "refund",
        "amount": amount,
        "currency": payment.currency,
        "payment_id": payment_id,
        "notes": input.get("notes").cloned().unwrap_or(json!([])),
        "receipt": input.get("receipt").cloned().unwrap_or(Value::Null),
        "acquirer_data": {"arn": null},
        "created_at": 1_758_182_500 + s.creations as i64,
        "batch_id": null,
        "status": s.refund_status,
        "speed_processed": "normal",
        "speed_requested": input.get("speed").cloned().unwrap_or(json!("normal")),
    });
    s.refunds.push(refund.clone());
    if let (Some(k), Some(id)) = (idem, refund["id"].as_str()) {
        s.idempotent.push((k.to_string(), input.clone(), id.to_string()));
    }
    if fault == Some(Fault::DropAfterProcessing) {
        return Err(std::io::Error::new(std::io::ErrorKind::ConnectionAborted, "answer dropped (fault)"));
    }
    answer(StatusCode::OK, refund)
}
