//! Raw HTTP against the in-process fake: unknown routes, malformed input, and the `/_fake/` control API.

mod support;

use aws_sdk_socialmessaging::error::ProvideErrorMetadata;
use serde_json::json;
use support::{blob, client, raw_http, text_message};
use wapipe_fake_eum::{FakeEum, DEFAULT_PHONE_ID};

#[tokio::test]
async fn unknown_route_is_404_resource_not_found() {
    let fake = FakeEum::start().await;
    let r = raw_http(&fake.endpoint(), "GET", "/v1/whatsapp/nope?x=1", None).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.header("x-amzn-errortype"), Some("ResourceNotFoundException"));
    assert!(r.header("x-amzn-requestid").is_some_and(|v| !v.is_empty()));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert!(r.json()["message"].as_str().is_some_and(|m| m.contains("/v1/whatsapp/nope")));
    let rec = &fake.requests()[0];
    assert_eq!((rec.operation.as_str(), rec.status), ("Unknown", 404));
    assert_eq!(rec.query.get("x").map(String::as_str), Some("1"));

    // Through the SDK: an operation the fake does not implement gets the same 404.
    let sdk = client(&fake.endpoint());
    let err = sdk
        .list_tags_for_resource()
        .resource_arn("arn:aws:social-messaging:ap-south-1:123456789012:waba/x")
        .send()
        .await
        .expect_err("not routed");
    assert_eq!(err.code(), Some("ResourceNotFoundException"));
}

#[tokio::test]
async fn malformed_requests_never_crash_the_server() {
    let fake = FakeEum::start().await;
    let ep = fake.endpoint();
    let cases: &[(&str, &str, Option<&str>, u16)] = &[
        ("POST", "/v1/whatsapp/send", Some("this is not json"), 400),
        ("POST", "/v1/whatsapp/send", Some("{}"), 400),
        ("POST", "/v1/whatsapp/send", Some("[1,2,3]"), 400),
        (
            "POST",
            "/v1/whatsapp/send",
            Some(r#"{"originationPhoneNumberId":7,"message":{},"metaApiVersion":null}"#),
            400,
        ),
        (
            "POST",
            "/v1/whatsapp/send",
            Some(&*format!(
                r#"{{"originationPhoneNumberId":"{DEFAULT_PHONE_ID}","message":"%%%not-base64","metaApiVersion":"v20.0"}}"#
            )),
            400,
        ),
        ("GET", "/v1/whatsapp/template/list?id=%zz%&maxResults=abc", None, 404),
        ("GET", "/v1/whatsapp/waba/list?maxResults=999", None, 400),
        ("GET", "/v1/whatsapp/waba/list?nextToken=bogus", None, 400),
        ("DELETE", "/v1/whatsapp/template?id=&templateName=", None, 400),
        ("PUT", "/v1/whatsapp/business-public-key", Some(r#"{"originationPhoneNumberId":{}}"#), 400),
        ("POST", "/v1/whatsapp/flow/create", Some(r#"{"id":"x","flowName":"y","categories":"SIGN_UP"}"#), 400),
        ("PATCH", "/v1/whatsapp/send", Some("{}"), 404),
        ("GET", "/", None, 404),
    ];
    for (method, path, body, status) in cases {
        let r = raw_http(&ep, method, path, *body).await;
        assert_eq!(r.status, *status, "{method} {path} {body:?}: {}", r.body);
        assert!(r.header("x-amzn-errortype").is_some(), "{method} {path}");
        assert!(r.json()["message"].is_string());
    }
    // Still serving.
    let sdk = client(&ep);
    sdk.list_linked_whats_app_business_accounts().send().await.expect("alive");
    assert_eq!(fake.requests().len(), cases.len() + 1);
    assert_eq!(fake.requests()[0].raw_body.as_deref(), Some("this is not json"));
}

#[tokio::test]
async fn control_api_over_http() {
    let fake = FakeEum::start().await;
    let ep = fake.endpoint();
    let sdk = client(&ep);

    let faults = json!([
        {"kind": "failNext", "operation": "SendWhatsAppMessage", "count": 1,
         "error": {"status": 429, "errorType": "ThrottledRequestException", "message": "Rate exceeded"}},
        {"kind": "failWhen", "operation": "SendWhatsAppMessage", "match": {"field": "/to", "equals": "+15550000001"},
         "error": {"errorType": "ValidationException", "message": "(#131026) Message undeliverable"}},
        {"kind": "latency", "millis": 1}
    ]);
    let r = raw_http(&ep, "POST", "/_fake/faults", Some(&faults.to_string())).await;
    assert_eq!((r.status, r.json()["added"].as_u64()), (200, Some(3)), "{}", r.body);
    let listed = raw_http(&ep, "GET", "/_fake/faults", None).await.json();
    assert_eq!(listed.as_array().map(Vec::len), Some(3));
    assert_eq!(listed[1]["error"]["status"], 400, "status derived from errorType");
    assert_eq!(listed[2]["operation"], "*");

    let send = |to: &'static str| {
        sdk.send_whats_app_message()
            .origination_phone_number_id(DEFAULT_PHONE_ID)
            .message(blob(&text_message(to, "via control")))
            .meta_api_version("v20.0")
            .send()
    };
    send("+15550000002").await.expect("throttle retried");
    let err = send("+15550000001").await.expect_err("predicate").into_service_error();
    assert!(err.is_validation_exception());

    let reqs = raw_http(&ep, "GET", "/_fake/requests", None).await.json();
    let statuses: Vec<u64> = reqs.as_array().unwrap().iter().filter_map(|r| r["status"].as_u64()).collect();
    assert_eq!(statuses, vec![429, 200, 400]);
    assert_eq!(reqs[1]["decoded"]["to"], "+15550000002");
    let filtered = raw_http(&ep, "GET", "/_fake/requests?operation=GetWhatsAppFlow", None).await.json();
    assert_eq!(filtered, json!([]));
    let sent = raw_http(&ep, "GET", "/_fake/sent", None).await.json();
    assert_eq!(sent, json!([text_message("+15550000002", "via control")]));

    let q = json!({"phoneNumberId": DEFAULT_PHONE_ID, "qualityRating": "YELLOW"}).to_string();
    assert_eq!(raw_http(&ep, "POST", "/_fake/phone-quality", Some(&q)).await.status, 200);
    assert_eq!(fake.phones()[0].quality_rating, "YELLOW");
    let q = json!({"phoneNumberId": "nope", "qualityRating": "RED"}).to_string();
    assert_eq!(raw_http(&ep, "POST", "/_fake/phone-quality", Some(&q)).await.status, 404);
    let m = json!({"mediaId": "555", "mimeType": "image/png", "fileSize": 3}).to_string();
    assert_eq!(raw_http(&ep, "POST", "/_fake/media", Some(&m)).await.status, 200);
    let state = raw_http(&ep, "GET", "/_fake/state", None).await.json();
    assert_eq!(state["media"][0]["mediaId"], "555");

    assert_eq!(raw_http(&ep, "POST", "/_fake/faults", Some(r#"{"kind":"explode"}"#)).await.status, 400);
    assert_eq!(raw_http(&ep, "POST", "/_fake/faults", Some("nope")).await.status, 400);
    assert_eq!(raw_http(&ep, "GET", "/_fake/nothing", None).await.status, 404);
    assert_eq!(raw_http(&ep, "DELETE", "/_fake/faults", None).await.status, 200);
    assert!(fake.faults().is_empty());

    assert_eq!(raw_http(&ep, "POST", "/_fake/reset", None).await.status, 200);
    assert_eq!(raw_http(&ep, "GET", "/_fake/requests", None).await.json(), json!([]));
    assert_eq!(fake.phones()[0].quality_rating, "GREEN", "reset restores the seed");
    assert!(fake.sent_messages().is_empty());
}

#[tokio::test]
async fn shutdown_and_drop_stop_the_server() {
    let fake = FakeEum::start().await;
    let addr = fake.addr();
    assert!(tokio::net::TcpStream::connect(addr).await.is_ok());
    fake.shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err(), "closed after shutdown");

    let fake = FakeEum::start().await;
    let addr = fake.addr();
    drop(fake);
    let mut closed = false;
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            closed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(closed, "closed after drop");
}
