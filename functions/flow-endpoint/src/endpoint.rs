//! The data-exchange endpoint: signature → decrypt → session → route → record → encrypt.
//!
//! Status codes (docs/PROTOCOL.md §4.5): 200 with the encrypted answer; 421 when the request cannot be
//! decrypted with the current or previous key; 432 when `X-Hub-Signature-256` fails (with an
//! app secret); 427 (encrypted `{"error_msg"}`) for a token that is unknown, expired or
//! completed; 400 for a body or decrypted request of the wrong shape; 405/413 for the wrong
//! method or an oversized body; 503 when the table is unavailable. Never a panic, and never a
//! 500 for anything a client sends.

use serde::Deserialize;
use serde_json::{json, Map, Value};
use tracing::{debug, info, info_span, warn, Instrument};
use wapipe_core::domain::flows::crypto::{decrypt_request, CryptoError, EncryptedRequest, KeyRing, ResponseCipher};
use wapipe_core::domain::flows::token::{record_step, FlowSession, Refusal, Step};
use wapipe_core::domain::flows::token_signature::{verify_token_signature, TokenSignature};
use wapipe_core::domain::keys;
use wapipe_core::domain::signature::verify_signature;
use wapipe_core::lambda::http::{HttpRequest, HttpResponse};
use wapipe_core::ports::{Clock, PortError, Store, WriteOutcome};

use crate::router::{Action, FlowError, FlowRegistry, Reply, StepInput};

/// Flow requests are small (form fields, media metadata); anything larger is refused.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Shown with 427 when the flow has no message of its own.
pub const DEFAULT_EXPIRED_MESSAGE: &str = "This form is no longer available. Please ask us for a new one.";

const TEXT_PLAIN: &str = "text/plain";

/// The endpoint over its ports, keys and flows. Built once per process.
pub struct FlowEndpoint<S, C> {
    /// The table: flow sessions (`FLOW#{token}`) read and their steps recorded, and the
    /// `FLOWDATA#` items declarative flows look up; a failure answers 503.
    pub store: S,
    /// Now, for a session's expiry and the time of recorded steps.
    pub clock: C,
    /// The RSA private keys that unwrap the request's AES key: the current one, then the previous
    /// one during a rotation; neither working answers 421.
    pub keys: KeyRing,
    /// Meta app secret: when set, every request must carry a valid `X-Hub-Signature-256`.
    pub app_secret: Option<Vec<u8>>,
    /// The flows' logic by Meta flow id or name; a session whose flow is not registered is
    /// answered 500 (a configuration error, not the client's).
    pub flows: FlowRegistry<S>,
}

/// The decrypted request (docs/PROTOCOL.md §4.4); unknown fields are ignored.
#[derive(Debug, Deserialize)]
struct Plain {
    action: String,
    #[serde(default)]
    screen: Option<String>,
    #[serde(default)]
    data: Option<Value>,
    #[serde(default)]
    flow_token: Option<String>,
    /// Flow JSON 7.3 with Data API 4.0: a JWT signed with the app secret over the flow token
    /// (docs/PROTOCOL.md §10.6).
    #[serde(default)]
    flow_token_signature: Option<String>,
}

impl<S: Store + 'static, C: Clock> FlowEndpoint<S, C> {
    /// Answer one HTTP request.
    pub async fn handle(&self, req: &HttpRequest) -> HttpResponse {
        if req.method != "POST" {
            return HttpResponse::text(405, "method not allowed: WhatsApp Flows POST to this endpoint");
        }
        if req.body.len() > MAX_BODY_BYTES {
            return HttpResponse::text(413, format!("body over {MAX_BODY_BYTES} bytes"));
        }
        if let Some(secret) = &self.app_secret {
            let header = req.headers.get("x-hub-signature-256").map(String::as_str);
            if let Err(e) = verify_signature(secret, &req.body, header) {
                warn!(error = %e, status = 432, "flow request signature refused");
                return HttpResponse::text(432, "request signature is not valid");
            }
        }
        let encrypted: EncryptedRequest = match serde_json::from_slice(&req.body) {
            Ok(e) => e,
            Err(_) => {
                info!(status = 400, "flow request is not {{encrypted_flow_data, encrypted_aes_key, initial_vector}}");
                return HttpResponse::text(
                    400,
                    "expected a JSON object with encrypted_flow_data, encrypted_aes_key and initial_vector strings",
                );
            }
        };
        let decrypted = match decrypt_request(&self.keys, &encrypted) {
            Ok(d) => d,
            Err(CryptoError::Shape(m)) => {
                info!(status = 400, problem = %m, "flow request malformed");
                return HttpResponse::text(400, m);
            }
            Err(e) => {
                warn!(error = %e, status = 421, "flow request cannot be decrypted (key mismatch or rotation)");
                return HttpResponse::text(421, "the request cannot be decrypted");
            }
        };
        if decrypted.key_index > 0 {
            info!("flow request encrypted to the previous key (rotation in progress)");
        }
        let plain: Plain = match serde_json::from_slice(&decrypted.plaintext) {
            Ok(p) => p,
            Err(e) => {
                info!(status = 400, error = %e, "decrypted flow request has the wrong shape");
                return HttpResponse::text(400, "the decrypted request is not a flow request (action missing?)");
            }
        };
        debug!(request = %String::from_utf8_lossy(&decrypted.plaintext), "decrypted flow request");
        let span = info_span!("flow_request", action = %plain.action, screen = plain.screen.as_deref().unwrap_or(""));
        self.answer(plain, &decrypted.cipher).instrument(span).await
    }

    async fn answer(&self, plain: Plain, cipher: &ResponseCipher) -> HttpResponse {
        let empty = Map::new();
        let data = match &plain.data {
            None | Some(Value::Null) => &empty,
            Some(Value::Object(m)) => m,
            Some(_) => return HttpResponse::text(400, "`data` must be an object"),
        };
        let screen = plain.screen.as_deref().unwrap_or_default();
        let action = match plain.action.as_str() {
            "ping" => return encrypted(cipher, 200, &json!({"data": {"status": "active"}})),
            "INIT" => Action::Init,
            "BACK" => Action::Back,
            "data_exchange" => Action::DataExchange,
            "navigate" => Action::Navigate,
            other => {
                info!(status = 400, action = %other, "unknown flow action");
                return HttpResponse::text(400, "unknown action");
            }
        };
        let token = plain.flow_token.as_deref().filter(|t| !t.is_empty());
        let error_key = ["error", "error_key"].iter().find_map(|k| data.get(*k).and_then(Value::as_str));
        if let Some(key) = error_key {
            return self.acknowledge(token, action, screen, key, cipher).await;
        }
        let Some(token) = token else {
            return self.refuse(Refusal::Unknown, None, cipher);
        };
        let now = self.clock.now();
        if let Err(r) = self.check_token_signature(plain.flow_token_signature.as_deref(), token, now) {
            return self.refuse(r, None, cipher);
        }
        let session = match self.session(token).await {
            Ok(Some(s)) => s,
            Ok(None) => return self.refuse(Refusal::Unknown, None, cipher),
            Err(e) => return unavailable(&e),
        };
        let flow = self.flows.get(&session.flow);
        let expired_message = flow.and_then(|f| f.expired_message());
        if let Err(r) = session.check(now) {
            return self.refuse(r, expired_message, cipher);
        }
        let Some(flow) = flow else {
            warn!(flow = %session.flow, status = 500, "no flow definition or logic for this session's flow");
            return HttpResponse::text(500, "this flow is not configured on the endpoint");
        };
        let step = StepInput { action, screen, data, session: &session };
        let reply = match flow.respond(step, &self.store).await {
            Ok(r) => r,
            Err(FlowError::NoRoute(why)) => {
                warn!(status = 400, reason = %why, "flow has no answer for this step");
                return HttpResponse::text(400, "the flow has no answer for this screen and action");
            }
            Err(FlowError::Store(e)) => return unavailable(&e),
        };
        let completes = matches!(reply, Reply::Complete { .. });
        let record = Step {
            action: action.as_str(),
            screen: Some(screen),
            next_screen: reply.next_screen(),
            completes,
            error: None,
        };
        match self.store.write(record_step(token, &record, now)).await {
            Ok(WriteOutcome::Applied) => {}
            // Completed or expired between the read and the write (a reused token racing).
            Ok(WriteOutcome::ConditionFailed) => return self.refuse(Refusal::Completed, expired_message, cipher),
            Err(e) => return unavailable(&e),
        }
        info!(status = 200, next = %reply.next_screen(), completes, "flow step answered");
        encrypted(cipher, 200, &reply.to_json(token))
    }

    /// An error notification (docs/PROTOCOL.md §4.4): recorded on the session when it is open, and
    /// always acknowledged.
    async fn acknowledge(
        &self,
        token: Option<&str>,
        action: Action,
        screen: &str,
        key: &str,
        cipher: &ResponseCipher,
    ) -> HttpResponse {
        info!(error_key = %key, "flow client reported an error");
        if let Some(token) = token {
            let step = Step {
                action: action.as_str(),
                screen: Some(screen),
                next_screen: screen,
                completes: false,
                error: Some(key),
            };
            if let Err(e) = self.store.write(record_step(token, &step, self.clock.now())).await {
                warn!(error = %e, "error notification not recorded on the session");
            }
        }
        encrypted(cipher, 200, &json!({"data": {"acknowledged": true}}))
    }

    /// A `flow_token_signature`, when the request has one, must be the app secret's signature of
    /// this token. Without an app secret it cannot be checked and is let through.
    fn check_token_signature(
        &self,
        signature: Option<&str>,
        token: &str,
        now: time::OffsetDateTime,
    ) -> Result<(), Refusal> {
        let Some(signature) = signature.filter(|s| !s.is_empty()) else { return Ok(()) };
        let Some(secret) = &self.app_secret else {
            debug!("flow_token_signature not checked: no app secret");
            return Ok(());
        };
        match verify_token_signature(signature, secret, token, now.unix_timestamp()) {
            Ok(TokenSignature::Matches) => Ok(()),
            Ok(TokenSignature::NoTokenClaim) => {
                warn!("flow_token_signature is the app's but names no flow_token claim: accepted");
                Ok(())
            }
            Err(e) => {
                warn!(error = %e, status = 427, "flow_token_signature refused");
                Err(Refusal::Signature)
            }
        }
    }

    async fn session(&self, token: &str) -> Result<Option<FlowSession>, PortError> {
        let k = keys::flow_session(token);
        Ok(self.store.get(&k.pk, &k.sk).await?.as_ref().and_then(FlowSession::from_item))
    }

    fn refuse(&self, why: Refusal, message: Option<&str>, cipher: &ResponseCipher) -> HttpResponse {
        info!(status = 427, token = why.as_str(), "flow token refused");
        encrypted(cipher, 427, &json!({"error_msg": message.unwrap_or(DEFAULT_EXPIRED_MESSAGE)}))
    }
}

fn encrypted(cipher: &ResponseCipher, status: u16, body: &Value) -> HttpResponse {
    HttpResponse { status, content_type: TEXT_PLAIN, body: cipher.encrypt(body.to_string().as_bytes()) }
}

/// The table failed: not the client's fault; Meta shows a generic error and may retry.
fn unavailable(e: &PortError) -> HttpResponse {
    warn!(error = %e, status = 503, "flow request failed on the table");
    HttpResponse::text(503, "temporarily unavailable")
}
