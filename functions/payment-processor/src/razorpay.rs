//! The Razorpay adapter of the gateway port, on Razorpay's public REST refund API:
//! `POST /v1/payments/{id}/refund`, `GET /v1/payments/{id}/refunds`, `GET /v1/orders/{id}/payments`,
//! basic auth `key_id:key_secret`.
//!
//! Never two refunds for one key, even when an answer is lost:
//! 1. before creating, the payment's refunds are listed and one whose `notes.wapipe_key` is the
//!    key is answered instead (a refund made by an earlier call whose answer was lost);
//! 2. the create carries `X-Refund-Idempotency` (derived from the order and the key) and a body
//!    that is the same on every retry, so Razorpay itself answers the first refund again — also
//!    when two deliveries race between the listing and the create (a 409 while the first is in
//!    flight is retryable).

use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use wapipe_core::ports::gateway::{Gateway, GatewayError, GatewayStatus, RefundAnswer, RefundCall};

const NAME: &str = "razorpay";
/// Pages of 100 refunds read when looking a key up (bounded).
const MAX_PAGES: usize = 10;

type Https = hyper_rustls::HttpsConnector<HttpConnector>;

/// The Razorpay refund gateway: an HTTPS client with basic auth and a per-call timeout.
pub struct Razorpay {
    client: Client<Https, Full<Bytes>>,
    base: String,
    auth: String,
    timeout: Duration,
}

fn retryable(message: impl Into<String>) -> GatewayError {
    GatewayError::Retryable { gateway: NAME, message: message.into() }
}

fn permanent(message: impl Into<String>) -> GatewayError {
    GatewayError::Permanent { gateway: NAME, message: message.into() }
}

/// The `X-Refund-Idempotency` value: ≥ 10 of `[A-Za-z0-9_-]`, whatever the key looks like.
pub fn idempotency_key(reference_id: &str, key: &str) -> String {
    let mut h = Sha256::new();
    h.update(reference_id.as_bytes());
    h.update([0x1f]);
    h.update(key.as_bytes());
    format!("wapipe-{}", wapipe_core::domain::events::hex_prefix(&h.finalize()))
}

impl Razorpay {
    /// `base` is `https://api.razorpay.com` (tests: the fake on `http://127.0.0.1:…`).
    pub fn new(base: &str, key_id: &str, key_secret: &str, timeout: Duration) -> std::io::Result<Razorpay> {
        let https =
            hyper_rustls::HttpsConnectorBuilder::new().with_native_roots()?.https_or_http().enable_http1().build();
        let client = Client::builder(TokioExecutor::new()).build(https);
        let auth = base64::engine::general_purpose::STANDARD.encode(format!("{key_id}:{key_secret}"));
        Ok(Razorpay { client, base: base.trim_end_matches('/').to_string(), auth: format!("Basic {auth}"), timeout })
    }

    async fn call(
        &self,
        method: http::Method,
        path: &str,
        body: Option<&Value>,
        idem: Option<&str>,
    ) -> Result<Value, GatewayError> {
        let mut req = http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header("authorization", &self.auth)
            .header("content-type", "application/json");
        if let Some(k) = idem {
            req = req.header("x-refund-idempotency", k);
        }
        let bytes = body.map(|b| Bytes::from(b.to_string())).unwrap_or_default();
        let req = req.body(Full::new(bytes)).map_err(|e| permanent(format!("request: {e}")))?;
        let exchange = async {
            let resp = self.client.request(req).await.map_err(|e| retryable(format!("{path}: {e}")))?;
            let status = resp.status();
            let body = Limited::new(resp.into_body(), 4 << 20)
                .collect()
                .await
                .map_err(|e| retryable(format!("{path}: reading the answer: {e}")))?
                .to_bytes();
            Ok::<_, GatewayError>((status, body))
        };
        let (status, body) = tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| retryable(format!("{path}: no answer within {:?}", self.timeout)))??;
        let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        if status.is_success() {
            return Ok(json);
        }
        let error = |field: &str| json.get("error").and_then(|e| e.get(field)).and_then(Value::as_str);
        let what = format!(
            "{path}: HTTP {} {} {}",
            status.as_u16(),
            error("code").unwrap_or("?"),
            error("description").unwrap_or_default()
        );
        if status.is_server_error() || status.as_u16() == 429 || status.as_u16() == 409 {
            Err(retryable(what))
        } else {
            Err(permanent(what))
        }
    }

    /// The payment to refund: webhooks may carry the Razorpay order (`order_…`); its captured
    /// payment is the one refunded.
    async fn payment_id(&self, id: &str) -> Result<String, GatewayError> {
        if !id.starts_with("order_") {
            return Ok(id.to_string());
        }
        let list = self.call(http::Method::GET, &format!("/v1/orders/{id}/payments"), None, None).await?;
        list.get("items")
            .and_then(Value::as_array)
            .and_then(|items| items.iter().find(|p| p.get("status").and_then(Value::as_str) == Some("captured")))
            .and_then(|p| p.get("id").and_then(Value::as_str))
            .map(str::to_string)
            .ok_or_else(|| permanent(format!("order {id} has no captured payment")))
    }

    /// A refund of `payment_id` made for `key` (by `notes.wapipe_key`), if any.
    pub async fn find(&self, payment_id: &str, key: &str) -> Result<Option<Value>, GatewayError> {
        for page in 0..MAX_PAGES {
            let path = format!("/v1/payments/{payment_id}/refunds?count=100&skip={}", page * 100);
            let list = self.call(http::Method::GET, &path, None, None).await?;
            let items = list.get("items").and_then(Value::as_array).cloned().unwrap_or_default();
            if let Some(r) = items.iter().find(|r| r.pointer("/notes/wapipe_key").and_then(Value::as_str) == Some(key))
            {
                return Ok(Some(r.clone()));
            }
            if items.len() < 100 {
                break;
            }
        }
        Ok(None)
    }
}

fn answer(r: &Value) -> Result<RefundAnswer, GatewayError> {
    let id = r["id"].as_str().ok_or_else(|| permanent("refund answer without an id"))?;
    let status = match r["status"].as_str() {
        Some("processed") => GatewayStatus::Processed,
        Some("failed") => GatewayStatus::Failed,
        _ => GatewayStatus::Pending,
    };
    Ok(RefundAnswer::Gateway { id: id.to_string(), status, amount: r["amount"].as_i64().unwrap_or(0) })
}

impl Gateway for Razorpay {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn refund(&self, call: &RefundCall) -> Result<RefundAnswer, GatewayError> {
        let payment_id = self.payment_id(&call.payment_id).await?;
        if let Some(r) = self.find(&payment_id, &call.key).await? {
            return answer(&r);
        }
        // The same body on every retry: Razorpay's idempotency compares it.
        let receipt: String = call.key.chars().take(40).collect();
        let body = json!({
            "amount": call.amount,
            "speed": "normal",
            "receipt": receipt,
            "notes": {"wapipe_key": call.key, "wapipe_reference": call.reference_id},
        });
        let idem = idempotency_key(&call.reference_id, &call.key);
        let path = format!("/v1/payments/{payment_id}/refund");
        let r = self.call(http::Method::POST, &path, Some(&body), Some(&idem)).await?;
        answer(&r)
    }
}
