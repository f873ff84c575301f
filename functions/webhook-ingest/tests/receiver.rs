//! The direct Meta webhook path: verification, signatures, and enqueue-before-process.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::json;
use wapipe_core::domain::signature::sign;
use wapipe_core::memory::MemoryQueue;
use webhook_ingest::lambda::handle_url;
use webhook_ingest::{HttpRequest, WebhookReceiver};

const QUEUE: &str = "local://ingest";
const SECRET: &str = "test_app_secret";
const BODY: &str = r#"{"object":"whatsapp_business_account","entry":[]}"#;

fn receiver() -> (WebhookReceiver<Arc<MemoryQueue>>, Arc<MemoryQueue>) {
    let q = Arc::new(MemoryQueue::new());
    let r = WebhookReceiver {
        queue: q.clone(),
        queue_url: QUEUE.into(),
        app_secret: Some(SECRET.as_bytes().to_vec()),
        verify_token: Some("verify-me".into()),
    };
    (r, q)
}

fn post(body: &str, signature: Option<&str>) -> HttpRequest {
    let mut headers = BTreeMap::new();
    if let Some(s) = signature {
        headers.insert("x-hub-signature-256".to_string(), s.to_string());
    }
    HttpRequest {
        method: "POST".into(),
        path: "/".into(),
        query: String::new(),
        headers,
        body: body.as_bytes().to_vec(),
    }
}

#[tokio::test]
async fn a_signed_body_is_enqueued_unchanged() {
    let (r, q) = receiver();
    // docs/PROTOCOL.md §9.2 vector.
    let header = "sha256=dec6a680679a968e7e0319355b23599cbfc54502c0784668e9618baa0c633756";
    let res = r.handle(&post(BODY, Some(header))).await;
    assert_eq!(res.status, 200);
    assert_eq!(q.bodies(QUEUE), vec![BODY.to_string()]);
}

#[tokio::test]
async fn bad_signatures_are_refused_and_nothing_is_enqueued() {
    let (r, q) = receiver();
    let good = sign(SECRET.as_bytes(), BODY.as_bytes());
    let altered = BODY.replacen("entry", "entrz", 1);
    let cases = [
        ("missing", post(BODY, None)),
        ("wrong", post(BODY, Some(&sign(b"other", BODY.as_bytes())))),
        ("no prefix", post(BODY, Some(good.trim_start_matches("sha256=")))),
        ("wrong prefix", post(BODY, Some(&good.replace("sha256=", "sha1=")))),
        ("body altered by one byte", post(&altered, Some(&good))),
    ];
    for (name, req) in cases {
        let res = r.handle(&req).await;
        assert_eq!(res.status, 401, "{name}: {}", res.body);
    }
    assert!(q.bodies(QUEUE).is_empty());
}

#[tokio::test]
async fn get_verification_answers_the_challenge_only_with_the_right_token() {
    let (r, _q) = receiver();
    let get = |query: &str| HttpRequest { method: "GET".into(), query: query.into(), ..HttpRequest::default() };
    let ok = r.handle(&get("hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444")).await;
    assert_eq!((ok.status, ok.body.as_str()), (200, "1158201444"));
    let bad = r.handle(&get("hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1158201444")).await;
    assert_eq!(bad.status, 403);
    assert!(!bad.body.contains("1158201444"));
    let mode = r.handle(&get("hub.mode=unsubscribe&hub.verify_token=verify-me&hub.challenge=1")).await;
    assert_eq!(mode.status, 403);
}

#[tokio::test]
async fn a_queue_failure_answers_503_so_meta_retries() {
    let (r, q) = receiver();
    q.faults().fail_next(wapipe_core::memory::ANY_OP);
    let res = r.handle(&post(BODY, Some(&sign(SECRET.as_bytes(), BODY.as_bytes())))).await;
    assert_eq!(res.status, 503);
}

#[tokio::test]
async fn function_url_events_are_decoded_including_base64_bodies() {
    use base64::Engine;
    let (r, q) = receiver();
    let sig = sign(SECRET.as_bytes(), BODY.as_bytes());
    let event = json!({
        "version": "2.0", "rawPath": "/", "rawQueryString": "",
        "headers": {"content-type": "application/json", "x-hub-signature-256": sig},
        "requestContext": {"http": {"method": "POST", "path": "/", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "x"},
                            "accountId": "123", "requestId": "r", "domainName": "d", "domainPrefix": "p", "time": "t", "timeEpoch": 0},
        "body": base64::engine::general_purpose::STANDARD.encode(BODY), "isBase64Encoded": true
    });
    let req = serde_json::from_value(event).unwrap();
    let res = handle_url(&r, req).await;
    assert_eq!(res.status_code, 200);
    assert_eq!(q.bodies(QUEUE), vec![BODY.to_string()]);
}
