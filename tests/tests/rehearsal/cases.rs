//! The rehearsal cases of the functions behind the bus and the flows Function URL:
//! status-tracker (EUM statuses → MSG records), send-worker (send queue → one EUM
//! SendWhatsAppMessage and `whatsapp.send.accepted`), flow-endpoint (signed, encrypted requests
//! on its Function URL).

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use rsa::rand_core::OsRng;
use serde_json::{json, Value};
use time::OffsetDateTime;
use wapipe_core::aws::DynamoStore;
use wapipe_core::domain::flows::crypto::{decrypt_response, encrypt_request_as_meta, parse_public_key};
use wapipe_core::domain::flows::token::{issue_flow_token, FlowTokenSpec};
use wapipe_core::domain::keys;
use wapipe_core::domain::outbound::parse_request;
use wapipe_core::domain::send_record::callback_data;
use wapipe_core::domain::signature::sign;
use wapipe_core::ports::Store;

use super::{eum_message, http, publish, wait_for_event, wait_for_item, World, APP_SECRET, WAIT};

/// The business number and the customer of the samples in events/.
pub const PHONE: &str = "106540352242922";
pub const CUSTOMER: &str = "919876543210";
/// The EUM phone id ingest learns from the samples' envelope (its ARN's last segment): the
/// phone registry resolves the business number to it, so the fake EUM must know it.
pub const EUM_PHONE_ID: &str = "phone-number-id-4db8a4cce7e7d3cbc3ec62a721b7ded3";

/// An item's attribute as text, or "".
pub(super) fn s(item: &std::collections::BTreeMap<String, AttributeValue>, name: &str) -> String {
    item.get(name).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default()
}

/// Poll `key` until `done` holds for it (bounded by WAIT).
pub(super) async fn wait_until(
    w: &World,
    key: &keys::Key,
    done: impl Fn(&std::collections::BTreeMap<String, AttributeValue>) -> bool,
) -> std::collections::BTreeMap<String, AttributeValue> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let item = wait_for_item(w, key).await;
        if done(&item) {
            return item;
        }
        assert!(tokio::time::Instant::now() < deadline, "{}/{} never reached the state: {item:?}", key.pk, key.sk);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// (a) EUM statuses sent, delivered and read → ingest → StatusRule → status-tracker → the
/// monotonic status of each wamid in its MSG record.
pub async fn status_tracking(w: &World) {
    let cases = [("sent", 2), ("delivered", 3), ("read", 4)];
    let mut wamids = Vec::new();
    for (status, _) in cases {
        let message = eum_message(&format!("example-sqs-eum-status-{status}.json"));
        let entry: Value = serde_json::from_str(&message).expect("EUM event");
        let entry: Value = match &entry["whatsAppWebhookEntry"] {
            Value::String(text) => serde_json::from_str(text).expect("webhook entry"),
            other => other.clone(),
        };
        let wamid = entry.pointer("/changes/0/value/statuses/0/id").and_then(Value::as_str).expect("status id");
        wamids.push(wamid.to_string());
        publish(w, &message).await;
    }
    for ((status, rank), wamid) in cases.iter().zip(&wamids) {
        let e = wait_for_event(w, "whatsapp.message.status", |d| d["wamid"] == wamid.as_str()).await;
        assert_eq!(e["detail"]["status"], *status, "{e}");
        let key = keys::message(wamid);
        let msg = wait_until(w, &key, |m| s(m, "status") == *status).await;
        let got_rank = msg.get("rank").and_then(|v| v.as_n().ok()).and_then(|n| n.parse::<i64>().ok());
        assert_eq!(got_rank, Some(*rank), "{wamid}: status rank: {msg:?}");
    }
}

/// The sample inbound text, re-stamped now with a fresh wamid: it opens the customer service
/// window the free-form send needs.
fn fresh_inbound_text(wamid: &str, now: i64) -> String {
    let message = eum_message("example-sqs-eum-text.json");
    let mut event: Value = serde_json::from_str(&message).expect("EUM event");
    let (mut entry, as_text) = match &event["whatsAppWebhookEntry"] {
        Value::String(text) => (serde_json::from_str::<Value>(text).expect("webhook entry"), true),
        other => (other.clone(), false),
    };
    let m = entry.pointer_mut("/changes/0/value/messages/0").expect("a message");
    m["id"] = json!(wamid);
    m["timestamp"] = json!(now.to_string());
    event["whatsAppWebhookEntry"] = if as_text { json!(entry.to_string()) } else { entry };
    event.to_string()
}

/// (b) An inbound text opens the window; a text send request on the send queue → send-worker →
/// exactly one SendWhatsAppMessage at the fake EUM with the Cloud API JSON, the send record
/// accepted, and `whatsapp.send.accepted` on the bus.
pub async fn send_request(w: &World) {
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let inbound = format!("wamid.rehearsal-window-{now}");
    publish(w, &fresh_inbound_text(&inbound, now)).await;
    let window = keys::contact_window(PHONE, CUSTOMER);
    wait_until(w, &window, |i| s(i, "last_wamid") == inbound).await;

    let request_id = format!("rehearsal-{now}");
    let body = json!({"request_id": request_id, "from": PHONE, "to": format!("+{CUSTOMER}"),
                      "message": {"type": "text", "text": {"body": "Your order #4521 has shipped.", "preview_url": false}}})
    .to_string();
    let expected = parse_request(&body).expect("a valid request");
    let expected: Value =
        serde_json::from_slice(&expected.cloud_json(Some(&callback_data(&request_id))).expect("cloud json"))
            .expect("json");
    let sent_before = w.fake_eum.sent().len();
    w.sqs.send_message().queue_url(&w.send_queue).message_body(&body).send().await.expect("SendMessage");

    let e = wait_for_event(w, "whatsapp.send.accepted", |d| d["request_id"] == request_id.as_str()).await;
    assert_eq!(e["detail"]["phone_number_id"], PHONE, "{e}");
    let sent = w.fake_eum.sent();
    assert_eq!(sent.len(), sent_before + 1, "exactly one SendWhatsAppMessage: {sent:?}");
    let one = sent.last().expect("a send");
    assert_eq!(one.origination_phone_number_id, EUM_PHONE_ID);
    assert_eq!(one.message, expected, "the decoded message is the request's Cloud API JSON");
    assert_eq!(e["detail"]["eum_message_id"], one.message_id.as_str(), "{e}");
    let record = wait_until(w, &keys::send_request(&request_id), |r| s(r, "state") == "accepted").await;
    assert_eq!(s(&record, "eum_message_id"), one.message_id, "{record:?}");
}

/// The emulator's path for a Function URL `https://<id>.lambda-url.<region>.on.aws/`.
pub fn function_url_path(url: &str) -> String {
    let id = url.trim_start_matches("https://").trim_start_matches("http://").split('.').next().unwrap_or_default();
    format!("/_aws/lambda-url/{id}/")
}

/// (c) The flow endpoint's Function URL: a signed, encrypted ping (the cold start) and an INIT
/// of a session the send worker would have issued → 200 with answers that decrypt; a bad
/// signature → 432. Returns the round trips.
pub async fn flow_endpoint(w: &World) -> Value {
    let public = parse_public_key(&w.flow_public_key).expect("the rehearsal's public key");
    let path = function_url_path(&w.flow_url);
    let call = |plain: Value, signed: bool| {
        let public = public.clone();
        let path = path.clone();
        async move {
            let (req, cipher) =
                encrypt_request_as_meta(&public, plain.to_string().as_bytes(), &mut OsRng).expect("encrypt");
            let body = json!({"encrypted_flow_data": req.encrypted_flow_data,
                              "encrypted_aes_key": req.encrypted_aes_key, "initial_vector": req.initial_vector})
            .to_string();
            let sig =
                if signed { sign(APP_SECRET.as_bytes(), body.as_bytes()) } else { sign(b"wrong", body.as_bytes()) };
            let headers = [("Content-Type", "application/json"), ("X-Hub-Signature-256", sig.as_str())];
            let t = Instant::now();
            let r = http::request(&w.endpoint, "POST", &path, &headers, body.as_bytes(), WAIT).await.expect("POST");
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            let answer =
                decrypt_response(&cipher, &r.text()).ok().and_then(|p| serde_json::from_slice::<Value>(&p).ok());
            (r.status, answer, r.text(), ms)
        }
    };
    let (status, answer, text, cold_ms) = call(json!({"version": "3.0", "action": "ping"}), true).await;
    assert_eq!((status, answer), (200, Some(json!({"data": {"status": "active"}}))), "ping: {text}");
    let (status, _, text, warm_ms) = call(json!({"version": "3.0", "action": "ping"}), true).await;
    assert_eq!(status, 200, "{text}");

    let issued = issue_flow_token(
        &FlowTokenSpec {
            flow: "appointment",
            phone_number_id: PHONE,
            recipient: CUSTOMER,
            request_id: None,
            wamid: None,
            token: None,
            ttl: None,
        },
        OffsetDateTime::now_utc(),
    )
    .expect("flow token");
    DynamoStore::new(w.ddb.clone(), w.table.clone()).write(issued.write).await.expect("flow session");
    let init = json!({"version": "3.0", "action": "INIT", "flow_token": issued.token});
    let (status, answer, text, _) = call(init, true).await;
    assert_eq!(status, 200, "INIT: {text}");
    assert_eq!(answer.as_ref().map(|a| a["screen"].clone()), Some(json!("APPOINTMENT")), "INIT: {answer:?}");
    let (status, _, text, _) = call(json!({"version": "3.0", "action": "ping"}), false).await;
    assert_eq!(status, 432, "a bad signature is refused: {text}");
    json!({ "first_request_ms": cold_ms.round(), "second_request_ms": warm_ms.round() })
}
