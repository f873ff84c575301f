//! The payments case: order_details sent → captured webhook → order_status sent →
//! partial refund through Razorpay (the fake, on 127.0.0.1) → refund webhook → the order's ledger.

use std::sync::OnceLock;

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{json, Value};
use time::OffsetDateTime;
use wapipe_core::domain::keys;
use wapipe_fake_gateway::FakeGateway;

use super::cases::{s, wait_until, CUSTOMER, PHONE};
use super::{eum_message, publish, stack, wait_for_event, wait_for_item, World};

/// The payment the sample webhook names (`transaction.id` is a Razorpay order).
const RAZORPAY_ORDER: &str = "order_SdrcSSqobZ7voR";
const TOTAL: i64 = 45_000;

static GATEWAY: OnceLock<FakeGateway> = OnceLock::new();

/// Start the fake Razorpay before the deploy: its URL is the stack's `RazorpayApiBase`.
pub async fn start_gateway() -> String {
    let g = FakeGateway::start().await.expect("fake Razorpay");
    g.payment("pay_rehearsal", Some(RAZORPAY_ORDER), TOTAL, "INR");
    g.refund_status("pending");
    let url = g.base_url();
    let _ = GATEWAY.set(g);
    url
}

fn n(item: &std::collections::BTreeMap<String, AttributeValue>, name: &str) -> i64 {
    item.get(name).and_then(|v| v.as_n().ok()).and_then(|v| v.parse().ok()).unwrap_or(-1)
}

/// The sample EUM event of `file` with its webhook entry edited by `edit`.
fn edited(file: &str, edit: impl FnOnce(&mut Value)) -> String {
    let mut event: Value = serde_json::from_str(&eum_message(file)).expect("EUM event");
    let (mut entry, as_text) = match &event["whatsAppWebhookEntry"] {
        Value::String(text) => (serde_json::from_str::<Value>(text).expect("webhook entry"), true),
        other => (other.clone(), false),
    };
    edit(&mut entry);
    event["whatsAppWebhookEntry"] = if as_text { json!(entry.to_string()) } else { entry };
    event.to_string()
}

pub async fn payments(w: &World, deployed: &stack::Deployed) {
    let gateway = GATEWAY.get().expect("start_gateway ran before the deploy");
    w.secrets
        .put_secret_value()
        .secret_id(deployed.output("RazorpayKeyArn"))
        .secret_string(format!("{}:{}", gateway.key_id, gateway.key_secret))
        .send()
        .await
        .expect("PutSecretValue Razorpay key");
    let now = OffsetDateTime::now_utc().unix_timestamp();
    // The customer writes first: order_details is a free-form message and needs the window.
    let inbound = format!("wamid.rehearsal-pay-{now}");
    publish(
        w,
        &edited("example-sqs-eum-text.json", |e| {
            e["changes"][0]["value"]["messages"][0]["id"] = json!(inbound);
            e["changes"][0]["value"]["messages"][0]["timestamp"] = json!(now.to_string());
        }),
    )
    .await;
    wait_until(w, &keys::contact_window(PHONE, CUSTOMER), |i| s(i, "last_wamid") == inbound).await;

    // 1. order_details through the send queue: the send worker creates the order, then sends.
    let reference = format!("rh-{now}");
    let mut request: Value = serde_json::from_str(
        &std::fs::read_to_string(stack::workspace_root().join("examples/send/order-details.json")).expect("example"),
    )
    .expect("JSON");
    request["request_id"] = json!(format!("rehearsal-order-{now}"));
    request["from"] = json!(PHONE);
    request["to"] = json!(format!("+{CUSTOMER}"));
    let p = &mut request["message"]["interactive"]["action"]["parameters"];
    p["reference_id"] = json!(reference);
    p["total_amount"]["value"] = json!(TOTAL);
    p["order"]["subtotal"]["value"] = json!(TOTAL - 100);
    p["order"]["items"][0]["amount"]["value"] = json!(TOTAL - 100);
    p["order"]["items"][0]["sale_amount"]["value"] = json!(TOTAL - 100);
    let sent_before = w.fake_eum.sent().len();
    w.sqs.send_message().queue_url(&w.send_queue).message_body(request.to_string()).send().await.expect("SendMessage");
    let rid = request["request_id"].as_str().unwrap_or_default().to_string();
    wait_for_event(w, "whatsapp.send.accepted", |d| d["request_id"] == rid.as_str()).await;
    let order_key = keys::payment(&reference);
    wait_until(w, &order_key, |o| s(o, "state") == "pending").await;

    // 2. The captured payment webhook (EUM → ingest → PaymentsRule → payment-processor).
    publish(
        w,
        &edited("example-sqs-eum-status-payment.json", |e| {
            e["changes"][0]["value"]["statuses"][0]["payment"]["reference_id"] = json!(reference);
        }),
    )
    .await;
    let captured = wait_for_event(w, "whatsapp.payment.captured", |d| d["reference_id"] == reference.as_str()).await;
    assert_eq!(captured["detail"]["amount"], TOTAL, "{captured}");
    wait_until(w, &order_key, |o| s(o, "state") == "captured" && n(o, "remaining") == TOTAL).await;

    // 3. order_status, requested through the bus and sent by the send worker.
    let status_rid = format!("order-status-{reference}-processing");
    wait_for_event(w, "whatsapp.send.accepted", |d| d["request_id"] == status_rid.as_str()).await;
    let sent = w.fake_eum.sent();
    assert_eq!(sent.len(), sent_before + 2, "order_details and order_status: {sent:?}");
    let last = sent.last().expect("order_status");
    assert_eq!(last.message["interactive"]["type"], "order_status", "{:?}", last.message);

    // 4. A partial refund, as another system asks for it on the bus.
    let eb = aws_sdk_eventbridge::Client::new(&wapipe_tests::emulator_config(&w.endpoint).await);
    let detail = json!({"schema": 1, "event_id": format!("rehearsal-refund-{now}"), "occurred_at": "2026-01-01T00:00:00Z",
        "waba_id": "", "phone_number_id": "", "reference_id": reference, "key": "crm-1", "amount": 15_000});
    let entry = aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
        .event_bus_name(deployed.output("EventBusName"))
        .source("wapipe")
        .detail_type("whatsapp.refund.requested")
        .detail(detail.to_string())
        .build();
    eb.put_events().entries(entry).send().await.expect("PutEvents refund.requested");
    let submitted = wait_for_event(w, "whatsapp.refund.updated", |d| {
        d["reference_id"] == reference.as_str() && d["state"] == "submitted"
    })
    .await;
    assert_eq!(submitted["detail"]["gateway"], "razorpay", "{submitted}");
    let refunds = gateway.refunds();
    assert_eq!(refunds.len(), 1, "one refund at the gateway: {refunds:?}");
    assert_eq!(
        (refunds[0]["payment_id"].clone(), refunds[0]["amount"].clone()),
        (json!("pay_rehearsal"), json!(15_000))
    );
    let gateway_id = refunds[0]["id"].as_str().expect("refund id").to_string();

    // 5. The refund webhook: a later payment status carrying `refunds[]`.
    publish(
        w,
        &edited("example-sqs-eum-status-payment.json", |e| {
            let st = &mut e["changes"][0]["value"]["statuses"][0];
            st["payment"]["reference_id"] = json!(reference);
            st["timestamp"] = json!((now + 60).to_string());
            st["payment"]["transaction"]["refunds"] = json!([{"id": gateway_id, "amount": {"value": 15_000, "offset": 100},
                "speed_processed": "normal", "status": "completed", "created_timestamp": now, "updated_timestamp": now + 60}]);
        }),
    )
    .await;
    wait_for_event(w, "whatsapp.refund.updated", |d| {
        d["reference_id"] == reference.as_str() && d["state"] == "completed"
    })
    .await;

    // 6. The order shows its ledger.
    let o = wait_until(w, &order_key, |o| n(o, "refunded") == 15_000).await;
    assert_eq!((n(&o, "captured"), n(&o, "reserved"), n(&o, "remaining")), (TOTAL, 15_000, TOTAL - 15_000), "{o:?}");
    let r = wait_for_item(w, &keys::refund(&reference, "crm-1")).await;
    assert_eq!((s(&r, "state"), s(&r, "gateway_refund_id")), ("completed".to_string(), gateway_id));
}
