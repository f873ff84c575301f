//! The hyper 1 server: accept loop, request pipeline (parse → faults → handler → record → answer).

use std::convert::Infallible;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinSet;

use crate::control;
use crate::error::EumError;
use crate::faults::evaluate;
use crate::ops::Req;
use crate::record::{find_blob, parse_query, RecordFile, Recorded};
use crate::routes::{dispatch, route};
use crate::state::State;

/// Largest request body read (flowJson may be 10 MB before base64).
pub const MAX_BODY: usize = 16 * 1024 * 1024;

/// Largest non-JSON body kept in a record.
const MAX_RAW_BODY_RECORDED: usize = 64 * 1024;

/// State shared by the server task and the [`crate::FakeEum`] handle.
#[derive(Debug)]
pub struct Shared {
    /// Everything mutable.
    pub state: Mutex<State>,
    /// `--record FILE` sink.
    pub record: Option<RecordFile>,
}

impl Shared {
    /// Locks the state; a poisoned lock (a panicking test thread) is recovered, not propagated.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        match self.state.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

/// Accepts connections until `stop` fires (or its sender is dropped); connection tasks are
/// aborted when the loop ends.
pub async fn serve(listener: TcpListener, shared: Arc<Shared>, mut stop: oneshot::Receiver<()>) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    while conns.try_join_next().is_some() {}
                    let shared = shared.clone();
                    conns.spawn(async move {
                        let svc = service_fn(move |req| handle(shared.clone(), req));
                        let _ = hyper::server::conn::http1::Builder::new()
                            .keep_alive(true)
                            .serve_connection(TokioIo::new(stream), svc)
                            .await;
                    });
                }
                Err(e) => {
                    eprintln!("fake-eum: accept failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
            },
        }
    }
    conns.abort_all();
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// A JSON response with the given status and extra headers.
pub fn json_response(status: u16, body: &Value, headers: &[(&str, &str)]) -> Response<Full<Bytes>> {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut builder = Response::builder().status(status).header("content-type", "application/json");
    for (k, v) in headers {
        builder = builder.header(*k, *v);
    }
    let bytes = Bytes::from(body.to_string());
    builder.body(Full::new(bytes.clone())).unwrap_or_else(|_| Response::new(Full::new(bytes)))
}

async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let query = parse_query(req.uri().query());
    let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => {
            let err = EumError::validation(format!("Request body could not be read (limit {MAX_BODY} bytes): {e}"));
            return Ok(json_response(err.status, &err.body(), &[("x-amzn-errortype", &err.error_type)]));
        }
    };
    if path == "/_fake" || path.starts_with("/_fake/") {
        return Ok(control::handle(&shared, &method, &path, &query, &body));
    }
    Ok(api(&shared, method, path, query, body).await)
}

async fn api(
    shared: &Shared,
    method: String,
    path: String,
    query: std::collections::BTreeMap<String, String>,
    body: Bytes,
) -> Response<Full<Bytes>> {
    let received_at_ms = now_ms();
    let body_json: Option<Value> = if body.is_empty() { None } else { serde_json::from_slice(&body).ok() };
    let raw_body = match (&body_json, body.is_empty()) {
        (None, false) => {
            let text = String::from_utf8_lossy(&body);
            Some(text.chars().take(MAX_RAW_BODY_RECORDED).collect::<String>())
        }
        _ => None,
    };
    let req = Req { blob: find_blob(body_json.as_ref()), body: body_json, query };
    let op = route(&method, &path);
    let request_id = shared.lock().uuid();

    let result: Result<Value, EumError> = match op {
        None => Err(EumError::not_found(format!("No operation for {method} {path}"))),
        Some(op) => {
            // FailWhen predicates see the decoded blob, else the JSON body, else the query.
            let subject = req
                .blob
                .as_ref()
                .and_then(|(_, b)| b.to_recorded())
                .or_else(|| req.body.clone())
                .unwrap_or_else(|| serde_json::to_value(&req.query).unwrap_or(Value::Null));
            let verdict = evaluate(&mut shared.lock().faults, op.name(), &subject);
            if !verdict.delay.is_zero() {
                tokio::time::sleep(verdict.delay).await;
            }
            match verdict.error {
                Some(e) => Err(e),
                None if raw_body.is_some() => Err(EumError::validation("Request body is not valid JSON")),
                None => dispatch(op, &req, &mut shared.lock()),
            }
        }
    };

    let (status, out, error_type) = match &result {
        Ok(v) => (200, v.clone(), None),
        Err(e) => (e.status, e.body(), Some(e.error_type.clone())),
    };
    let rec = {
        let mut st = shared.lock();
        let rec = Recorded {
            seq: st.next_seq(),
            operation: op.map_or("Unknown", |o| o.name()).to_string(),
            method,
            path,
            query: req.query,
            body: req.body,
            raw_body,
            blob_member: req.blob.as_ref().map(|(m, _)| m.to_string()),
            decoded: req.blob.as_ref().and_then(|(_, b)| b.to_recorded()),
            status,
            error_type: error_type.clone(),
            request_id: request_id.clone(),
            received_at_ms,
        };
        st.push_record(rec.clone());
        rec
    };
    if let Some(file) = &shared.record {
        file.append(&rec);
    }
    let mut headers: Vec<(&str, &str)> = vec![("x-amzn-requestid", &request_id)];
    if let Some(t) = &error_type {
        headers.push(("x-amzn-errortype", t));
    }
    json_response(status, &out, &headers)
}
