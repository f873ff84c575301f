//! The direct Meta webhook receiver (Lambda Function URL, or `wapipe dev`): GET verification,
//! POST signature check, then the raw body goes onto the ingest queue. Nothing is processed
//! before the body is durable in the queue; Meta retries anything but a 200.

use std::collections::BTreeMap;

use tracing::{info, warn};
use wapipe_core::domain::signature::{query_param, verify_signature, verify_subscription};
use wapipe_core::ports::{OutgoingMessage, Queue};

/// SQS accepts up to 256 KiB per message (as deployed here); Meta's webhooks are a few KiB.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

// The request/response model is shared with the other Function URL functions.
pub use wapipe_core::lambda::http::{HttpRequest, HttpResponse};

/// Receives direct Meta webhooks and enqueues them for ingest.
pub struct WebhookReceiver<Q> {
    /// SQS, where the raw bodies go.
    pub queue: Q,
    /// The ingest queue (`WAPIPE_INGEST_QUEUE_URL` in Lambda).
    pub queue_url: String,
    /// Meta app secret; when `None` signatures are not checked (local mode only: the Lambda
    /// refuses to start without one).
    pub app_secret: Option<Vec<u8>>,
    /// The token Meta's `GET` subscription check must echo (`hub.verify_token`); `None`: every
    /// verification is refused (403).
    pub verify_token: Option<String>,
}

impl<Q: Queue> WebhookReceiver<Q> {
    /// Answer one request: `GET` is Meta's verification (200 with `hub.challenge`, else 403);
    /// `POST` is checked (400 empty or not UTF-8, 413 over [`MAX_BODY_BYTES`], 401 bad signature)
    /// and enqueued (200 `EVENT_RECEIVED`, or 503 so Meta retries); any other method 405.
    pub async fn handle(&self, req: &HttpRequest) -> HttpResponse {
        match req.method.as_str() {
            "GET" => self.verify(req),
            "POST" => self.receive(req).await,
            _ => HttpResponse::text(405, "method not allowed: use GET (verification) or POST (events)"),
        }
    }

    fn verify(&self, req: &HttpRequest) -> HttpResponse {
        let Some(expected) = self.verify_token.as_deref() else {
            return HttpResponse::text(403, "verification is not configured (no verify token)");
        };
        let q = |name| query_param(&req.query, name);
        match verify_subscription(
            q("hub.mode").as_deref(),
            q("hub.verify_token").as_deref(),
            q("hub.challenge").as_deref(),
            expected,
        ) {
            Ok(challenge) => HttpResponse::text(200, challenge),
            Err(e) => {
                warn!(error = %e, "webhook verification refused");
                HttpResponse::text(403, e.to_string())
            }
        }
    }

    async fn receive(&self, req: &HttpRequest) -> HttpResponse {
        if req.body.is_empty() {
            return HttpResponse::text(400, "empty body");
        }
        if req.body.len() > MAX_BODY_BYTES {
            return HttpResponse::text(413, format!("body over {MAX_BODY_BYTES} bytes"));
        }
        if let Some(secret) = &self.app_secret {
            let header = req.headers.get("x-hub-signature-256").map(String::as_str);
            if let Err(e) = verify_signature(secret, &req.body, header) {
                warn!(error = %e, "webhook signature refused");
                return HttpResponse::text(401, e.to_string());
            }
        }
        let Ok(body) = String::from_utf8(req.body.clone()) else {
            return HttpResponse::text(400, "body is not UTF-8");
        };
        let mut attributes = BTreeMap::new();
        attributes.insert("wapipe-origin".to_string(), "meta-webhook".to_string());
        match self.queue.send(&self.queue_url, OutgoingMessage { body, delay: None, attributes }).await {
            Ok(id) => {
                info!(queue_message_id = %id, "webhook enqueued");
                HttpResponse::text(200, "EVENT_RECEIVED")
            }
            Err(e) => {
                warn!(error = %e, "webhook not enqueued; Meta will retry");
                HttpResponse::text(503, "try again")
            }
        }
    }
}
