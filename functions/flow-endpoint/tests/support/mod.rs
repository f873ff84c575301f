//! Test support: keys generated once per test binary, an endpoint on in-memory adapters with
//! the shipped flow definitions, and a client that encrypts and signs as Meta does.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use flow_endpoint::{registry, FlowEndpoint, HttpRequest, HttpResponse};
use rsa::rand_core::OsRng;
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde_json::Value;
use time::{Duration, OffsetDateTime};
use wapipe_core::domain::flows::crypto::{decrypt_response, encrypt_request_as_meta, KeyRing, ResponseCipher};
use wapipe_core::domain::flows::token::{issue_flow_token, FlowTokenSpec};
use wapipe_core::domain::signature::sign;
use wapipe_core::memory::MemoryStore;
use wapipe_core::ports::{FixedClock, Store};

pub const SECRET: &[u8] = b"test_app_secret";
pub const PHONE: &str = "106540352242922";
pub const USER: &str = "919876543210";

pub fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_758_170_000).expect("a time")
}

/// (current, previous) RSA-2048 keys.
pub fn keys() -> &'static (RsaPrivateKey, RsaPrivateKey) {
    static KEYS: OnceLock<(RsaPrivateKey, RsaPrivateKey)> = OnceLock::new();
    KEYS.get_or_init(|| {
        (RsaPrivateKey::new(&mut OsRng, 2048).expect("key"), RsaPrivateKey::new(&mut OsRng, 2048).expect("key"))
    })
}

pub fn current_public() -> RsaPublicKey {
    keys().0.to_public_key()
}

pub fn previous_public() -> RsaPublicKey {
    keys().1.to_public_key()
}

pub type Endpoint = FlowEndpoint<Arc<MemoryStore>, FixedClock>;

/// The endpoint at `now`, with the current key, optionally the previous one, and the app secret.
pub fn endpoint_at(store: &Arc<MemoryStore>, now: OffsetDateTime, previous: bool, signed: bool) -> Endpoint {
    let (current, old) = keys();
    FlowEndpoint {
        flows: registry(None).expect("the shipped definitions"),
        store: store.clone(),
        clock: FixedClock(now),
        keys: KeyRing::new(current.clone(), previous.then(|| old.clone())),
        app_secret: signed.then(|| SECRET.to_vec()),
    }
}

pub fn endpoint(store: &Arc<MemoryStore>) -> Endpoint {
    endpoint_at(store, t0(), false, true)
}

/// Record a session for `flow` and return its token.
pub async fn session(store: &Arc<MemoryStore>, flow: &str, ttl: Duration) -> String {
    let spec = FlowTokenSpec {
        flow,
        phone_number_id: PHONE,
        recipient: USER,
        request_id: Some("req-1"),
        wamid: None,
        token: None,
        ttl: Some(ttl),
    };
    let issued = issue_flow_token(&spec, t0()).expect("a token");
    store.write(issued.write).await.expect("session written");
    issued.token
}

/// A POST as Meta sends it: `body` signed with the app secret.
pub fn post(body: &[u8], signed: bool) -> HttpRequest {
    let mut headers = BTreeMap::new();
    headers.insert("content-type".to_string(), "application/json".to_string());
    if signed {
        headers.insert("x-hub-signature-256".to_string(), sign(SECRET, body));
    }
    HttpRequest { method: "POST".into(), path: "/".into(), query: String::new(), headers, body: body.to_vec() }
}

/// Encrypt `plaintext` to `public` as Meta does: (body bytes, cipher for the response).
pub fn encrypt(public: &RsaPublicKey, plaintext: &Value) -> (Vec<u8>, ResponseCipher) {
    let (req, cipher) =
        encrypt_request_as_meta(public, plaintext.to_string().as_bytes(), &mut OsRng).expect("encrypted");
    let body = serde_json::json!({
        "encrypted_flow_data": req.encrypted_flow_data,
        "encrypted_aes_key": req.encrypted_aes_key,
        "initial_vector": req.initial_vector,
    });
    (body.to_string().into_bytes(), cipher)
}

/// The decrypted JSON of a 200 or 427 response.
pub fn open(cipher: &ResponseCipher, res: &HttpResponse) -> Value {
    let plain = decrypt_response(cipher, &res.body).unwrap_or_else(|e| panic!("{}: {e}: {}", res.status, res.body));
    serde_json::from_slice(&plain).expect("JSON")
}

/// Send `plaintext` (encrypted to the current key, signed) and return (status, decrypted body).
pub async fn call(ep: &Endpoint, plaintext: Value) -> (u16, Value) {
    let (body, cipher) = encrypt(&current_public(), &plaintext);
    let res = ep.handle(&post(&body, true)).await;
    let value = if matches!(res.status, 200 | 427) { open(&cipher, &res) } else { Value::String(res.body.clone()) };
    (res.status, value)
}
