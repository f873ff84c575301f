//! The Lambda entry: Function URL requests reach the endpoint; SQS records of
//! `whatsapp.flow.completed` store responses beside their sessions (and poison is parked).

mod support;

use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use flow_endpoint::lambda::handle_event;
use flow_endpoint::Completions;
use serde_json::{json, Value};
use support::*;
use time::Duration;
use wapipe_core::app::publish::RetryPolicy;
use wapipe_core::domain::events::{eventbridge_body, DomainEvent, Envelope, EventType};
use wapipe_core::domain::keys;
use wapipe_core::memory::{MemoryBus, MemoryStore};
use wapipe_core::ports::{FixedClock, Query, Store};

fn completions(
    store: &Arc<MemoryStore>,
    bus: &Arc<MemoryBus>,
) -> Completions<Arc<MemoryStore>, Arc<MemoryBus>, FixedClock> {
    let mut c = Completions::new(store.clone(), bus.clone(), FixedClock(t0()));
    c.publish = RetryPolicy::immediate(2);
    c
}

fn url_event(body: &[u8], signature: &str, base64: bool) -> Value {
    json!({
        "version": "2.0", "rawPath": "/", "rawQueryString": "",
        "headers": {"content-type": "application/json", "x-hub-signature-256": signature},
        "requestContext": {"http": {"method": "POST", "path": "/", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "meta"},
            "accountId": "123456789012", "apiId": "x", "domainName": "x.lambda-url.ap-south-1.on.aws", "domainPrefix": "x",
            "requestId": "r1", "routeKey": "$default", "stage": "$default", "time": "18/Sep/2025:04:56:36 +0000", "timeEpoch": 1758171396000u64},
        "body": if base64 { STANDARD.encode(body) } else { String::from_utf8_lossy(body).into_owned() },
        "isBase64Encoded": base64,
    })
}

#[tokio::test]
async fn function_url_requests_are_answered_by_the_endpoint() {
    let store = Arc::new(MemoryStore::new());
    let bus = Arc::new(MemoryBus::new());
    let ep = endpoint(&store);
    let (body, cipher) = encrypt(&current_public(), &json!({"version": "3.0", "action": "ping"}));
    let sig = wapipe_core::domain::signature::sign(SECRET, &body);
    for b64 in [false, true] {
        let out = handle_event(&ep, &completions(&store, &bus), url_event(&body, &sig, b64)).await.unwrap();
        assert_eq!(out["statusCode"], 200);
        let res = flow_endpoint::HttpResponse {
            status: 200,
            content_type: "text/plain",
            body: out["body"].as_str().unwrap().into(),
        };
        assert_eq!(open(&cipher, &res), json!({"data": {"status": "active"}}));
    }
    let out = handle_event(&ep, &completions(&store, &bus), url_event(&body, "sha256=00", false)).await.unwrap();
    assert_eq!(out["statusCode"], 432);
    assert!(handle_event(&ep, &completions(&store, &bus), json!({"hello": 1})).await.is_err());
}

fn completed(token: Option<&str>, wamid: &str) -> String {
    let mut fields = serde_json::Map::new();
    fields.insert("wamid".into(), wamid.into());
    fields.insert("from".into(), USER.into());
    if let Some(t) = token {
        fields.insert("flow_token".into(), t.into());
    }
    fields.insert("response".into(), json!({"flow_token": token, "rating": "5"}));
    fields.insert("record_key".into(), format!("MSG#{wamid}").into());
    let e = DomainEvent::new(
        EventType::FlowCompleted,
        Envelope { event_id: format!("e-{wamid}"), occurred_at: t0(), waba_id: "w", phone_number_id: PHONE },
        fields,
    );
    wapipe_core::domain::event_catalogue::validate(&e).unwrap();
    eventbridge_body(&e, "123456789012", "ap-south-1", t0())
}

fn sqs(bodies: &[String]) -> Value {
    let records: Vec<Value> = bodies
        .iter()
        .enumerate()
        .map(
            |(i, b)| json!({"messageId": format!("m{i}"), "body": b, "attributes": {"SentTimestamp": "1758171396000"}}),
        )
        .collect();
    json!({"Records": records})
}

#[tokio::test]
async fn completions_are_stored_joined_to_their_session_and_poison_is_parked() {
    let store = Arc::new(MemoryStore::new());
    let bus = Arc::new(MemoryBus::new());
    let ep = endpoint(&store);
    let token = session(&store, "appointment", Duration::hours(1)).await;
    let bodies = [completed(Some(&token), "wamid.A"), completed(None, "wamid.B"), "not an event".to_string()];
    let out = handle_event(&ep, &completions(&store, &bus), sqs(&bodies)).await.unwrap();
    assert_eq!(out["batchItemFailures"], json!([]));
    // Redelivered: nothing new.
    handle_event(&ep, &completions(&store, &bus), sqs(&bodies)).await.unwrap();

    let page = store.query(Query::table(keys::flow_partition(&token), keys::FLOW_RESPONSE_PREFIX)).await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].get_str("flow"), Some("appointment"));
    let k = keys::flow_session(&token);
    assert_eq!(store.get(&k.pk, &k.sk).await.unwrap().unwrap().get_str("state"), Some("completed"));
    let parked = store.query(Query::table(keys::parked_partition("flow-endpoint"), "")).await.unwrap();
    assert_eq!(parked.items.len(), 1, "the poison body, once");
    let rejected: Vec<_> = bus.events().into_iter().filter(|e| e.detail_type == EventType::IngestRejected).collect();
    assert_eq!(rejected.len(), 1);
    wapipe_core::domain::event_catalogue::validate(&rejected[0]).unwrap();

    // A failing table: the record is retried, not lost.
    store.faults().fail_next("get");
    let out = handle_event(&ep, &completions(&store, &bus), sqs(&[completed(Some(&token), "wamid.C")])).await.unwrap();
    assert_eq!(out["batchItemFailures"], json!([{"itemIdentifier": "m0"}]));
}
