//! SendWhatsAppMessage through the real SDK client: recording, decoding and validation.

mod support;

use aws_sdk_socialmessaging::error::ProvideErrorMetadata;
use aws_sdk_socialmessaging::operation::send_whats_app_message::SendWhatsAppMessageError;
use aws_sdk_socialmessaging::operation::RequestId;
use aws_sdk_socialmessaging::primitives::Blob;
use serde_json::json;
use support::{blob, client, text_message};
use wapipe_fake_eum::{FakeEum, Phone, DEFAULT_PHONE_ID};

#[tokio::test]
async fn send_text_message_is_recorded_and_decoded() {
    let fake = FakeEum::start().await;
    assert!(fake.endpoint().starts_with("http://127.0.0.1:"));
    let sdk = client(&fake.endpoint());
    let msg = text_message("+919876543210", "Hello from wapipe");

    let out = sdk
        .send_whats_app_message()
        .origination_phone_number_id(DEFAULT_PHONE_ID)
        .message(blob(&msg))
        .meta_api_version("v20.0")
        .send()
        .await
        .expect("send succeeds");

    let id = out.message_id().expect("messageId");
    let parts: Vec<usize> = id.split('-').map(str::len).collect();
    assert_eq!(parts, vec![8, 4, 4, 4, 12], "uuid-like id {id}");

    assert_eq!(fake.sent_messages(), vec![msg.clone()]);
    let sent = fake.sent();
    assert_eq!(sent[0].message_id, id);
    assert_eq!(sent[0].meta_api_version, "v20.0");

    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.operation, "SendWhatsAppMessage");
    assert_eq!((r.method.as_str(), r.path.as_str(), r.status), ("POST", "/v1/whatsapp/send", 200));
    assert_eq!(r.blob_member.as_deref(), Some("message"));
    assert_eq!(r.decoded.as_ref(), Some(&msg));
    let body = r.body.as_ref().expect("body");
    assert_eq!(body["originationPhoneNumberId"], DEFAULT_PHONE_ID);
    assert_eq!(body["metaApiVersion"], "v20.0");
    assert!(body["message"].is_string(), "blob stays base64 in the body");
    assert!(!r.request_id.is_empty());
}

#[tokio::test]
async fn send_accepts_phone_arn_and_bsuid_recipient() {
    let fake = FakeEum::start().await;
    let sdk = client(&fake.endpoint());
    let arn = fake.phones()[0].arn.clone();
    let msg = json!({"messaging_product": "whatsapp", "recipient": "US.13491208655302741918", "type": "text",
                     "text": {"body": "hi"}});
    sdk.send_whats_app_message()
        .origination_phone_number_id(&arn)
        .message(blob(&msg))
        .meta_api_version("v21.0")
        .send()
        .await
        .expect("ARN accepted");
    assert_eq!(fake.sent()[0].origination_phone_number_id, arn);
}

#[tokio::test]
async fn unknown_phone_is_resource_not_found() {
    let fake = FakeEum::start().await;
    let sdk = client(&fake.endpoint());
    let err = sdk
        .send_whats_app_message()
        .origination_phone_number_id("phone-number-id-00000000000000000000000000000000")
        .message(blob(&text_message("+15551234567", "x")))
        .meta_api_version("v20.0")
        .send()
        .await
        .expect_err("unknown phone");
    assert!(err.request_id().is_some(), "x-amzn-requestid surfaced");
    let svc = err.into_service_error();
    assert!(matches!(svc, SendWhatsAppMessageError::ResourceNotFoundException(_)), "{svc:?}");
    assert!(fake.sent_messages().is_empty());
    assert_eq!(fake.requests()[0].status, 404);
    assert_eq!(fake.requests()[0].error_type.as_deref(), Some("ResourceNotFoundException"));
}

#[tokio::test]
async fn invalid_messages_are_validation_errors() {
    let fake = FakeEum::start().await;
    let sdk = client(&fake.endpoint());
    let cases: Vec<(Blob, &str)> = vec![
        (Blob::new(b"not json at all".to_vec()), "v20.0"),
        (blob(&json!({"to": "+15551234567", "type": "text", "text": {"body": "x"}})), "v20.0"),
        (blob(&json!({"messaging_product": "whatsapp", "type": "text", "text": {"body": "x"}})), "v20.0"),
        (blob(&json!(["messaging_product", "whatsapp"])), "v20.0"),
        (blob(&text_message("+15551234567", "x")), "20.0"),
    ];
    for (message, version) in cases {
        let err = sdk
            .send_whats_app_message()
            .origination_phone_number_id(DEFAULT_PHONE_ID)
            .message(message)
            .meta_api_version(version)
            .send()
            .await
            .expect_err("invalid");
        let svc = err.into_service_error();
        assert!(matches!(svc, SendWhatsAppMessageError::ValidationException(_)), "{svc:?}");
        assert!(svc.message().is_some_and(|m| !m.is_empty()));
    }
    assert!(fake.sent_messages().is_empty());
    assert_eq!(fake.requests().len(), 5, "validation errors are not retried");
    let first = &fake.requests()[0];
    assert_eq!(first.decoded, Some(json!("not json at all")), "non-JSON blob recorded as text");
}

#[tokio::test]
async fn builder_configures_phones() {
    let phone = Phone::new("phone-number-id-11111111111111111111111111111111", "222333444555666", "+919000000001")
        .quality("YELLOW");
    let fake = FakeEum::builder().phone(phone).start().await;
    let sdk = client(&fake.endpoint());
    let ok = sdk
        .send_whats_app_message()
        .origination_phone_number_id("phone-number-id-11111111111111111111111111111111")
        .message(blob(&text_message("+15551234567", "x")))
        .meta_api_version("v20.0")
        .send()
        .await;
    assert!(ok.is_ok());
    let default_gone = sdk
        .send_whats_app_message()
        .origination_phone_number_id(DEFAULT_PHONE_ID)
        .message(blob(&text_message("+15551234567", "x")))
        .meta_api_version("v20.0")
        .send()
        .await;
    assert!(default_gone.is_err(), "only configured phones exist");
}
