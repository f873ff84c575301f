//! Fault injection as seen by the real SDK client (modeled errors, SDK retries).

mod support;

use std::time::{Duration, Instant};

use aws_sdk_socialmessaging::error::ProvideErrorMetadata;
use aws_sdk_socialmessaging::operation::send_whats_app_message::SendWhatsAppMessageError;
use aws_sdk_socialmessaging::Client;
use support::{blob, client, client_sdk_defaults, text_message};
use wapipe_fake_eum::{EumError, FakeEum, MessageMatch, DEFAULT_PHONE_ID};

async fn send(sdk: &Client, to: &str) -> Result<String, SendWhatsAppMessageError> {
    sdk.send_whats_app_message()
        .origination_phone_number_id(DEFAULT_PHONE_ID)
        .message(blob(&text_message(to, "fault test")))
        .meta_api_version("v20.0")
        .send()
        .await
        .map(|o| o.message_id().unwrap_or_default().to_string())
        .map_err(|e| e.into_service_error())
}

#[tokio::test]
async fn one_throttle_is_retried_by_the_sdk() {
    let fake = FakeEum::start().await;
    let sdk = client_sdk_defaults(&fake.endpoint());
    fake.fail_next("SendWhatsAppMessage", 1, EumError::throttled());
    send(&sdk, "+15551230001").await.expect("SDK retry succeeds");
    let calls = fake.requests_for("SendWhatsAppMessage");
    assert_eq!(calls.iter().map(|r| r.status).collect::<Vec<_>>(), vec![429, 200]);
    assert_eq!(calls[0].error_type.as_deref(), Some("ThrottledRequestException"));
    assert_eq!(fake.sent_messages().len(), 1);
    assert!(fake.faults().is_empty(), "spent fault removed");
}

#[tokio::test]
async fn persistent_throttling_surfaces_as_modeled_error_after_three_attempts() {
    let fake = FakeEum::start().await;
    let sdk = client_sdk_defaults(&fake.endpoint());
    fake.fail_next("SendWhatsAppMessage", 5, EumError::throttled());
    let err = send(&sdk, "+15551230002").await.expect_err("throttled");
    assert!(matches!(err, SendWhatsAppMessageError::ThrottledRequestException(_)), "{err:?}");
    assert_eq!(err.message(), Some("Rate exceeded"));
    assert_eq!(fake.requests().len(), 3, "SDK default: 3 attempts");
    // Two failures left; the next call is retried past them.
    send(&sdk, "+15551230002").await.expect("fault budget spent after retries");
    assert_eq!(fake.requests().len(), 6);
}

#[tokio::test]
async fn server_errors_map_to_modeled_exceptions() {
    let fake = FakeEum::start().await;
    let sdk = client(&fake.endpoint());

    fake.fail_next("SendWhatsAppMessage", 3, EumError::internal());
    let err = send(&sdk, "+15551230003").await.expect_err("500");
    assert!(matches!(err, SendWhatsAppMessageError::InternalServiceException(_)), "{err:?}");

    fake.fail_next("SendWhatsAppMessage", 3, EumError::dependency());
    let err = send(&sdk, "+15551230003").await.expect_err("502");
    assert!(matches!(err, SendWhatsAppMessageError::DependencyException(_)), "{err:?}");
    assert_eq!(fake.requests().len(), 6, "5xx retried 3 times each");

    fake.fail_next("SendWhatsAppMessage", 1, EumError::new(403, "AccessDeniedException", "no"));
    let err = send(&sdk, "+15551230003").await.expect_err("403");
    assert!(matches!(err, SendWhatsAppMessageError::AccessDeniedException(_)), "{err:?}");
    assert_eq!(fake.requests().len(), 7, "not retried");
}

#[tokio::test]
async fn meta_undeliverable_is_validation_and_not_retried() {
    let fake = FakeEum::start().await;
    let sdk = client(&fake.endpoint());
    fake.fail_next("*", 1, EumError::undeliverable());
    let err = send(&sdk, "+15551230004").await.expect_err("400");
    assert!(matches!(err, SendWhatsAppMessageError::ValidationException(_)), "{err:?}");
    assert!(err.message().is_some_and(|m| m.contains("(#131026)")), "{:?}", err.message());
    assert_eq!(fake.requests().len(), 1);
    assert!(fake.sent_messages().is_empty());
}

#[tokio::test]
async fn predicate_fault_fails_only_matching_recipient() {
    let fake = FakeEum::start().await;
    let sdk = client(&fake.endpoint());
    fake.fail_when("SendWhatsAppMessage", MessageMatch::to("+15550009999"), EumError::undeliverable());
    for _ in 0..2 {
        let err = send(&sdk, "+15550009999").await.expect_err("blocked recipient");
        assert!(matches!(err, SendWhatsAppMessageError::ValidationException(_)));
    }
    send(&sdk, "+15550001111").await.expect("other recipient ok");
    let custom = MessageMatch::custom(|m| m["text"]["body"].as_str() == Some("fault test"));
    fake.fail_when("SendWhatsAppMessage", custom, EumError::invalid_parameters("(#100) Invalid parameter"));
    let err = send(&sdk, "+15550001111").await.expect_err("custom predicate");
    assert!(matches!(err, SendWhatsAppMessageError::InvalidParametersException(_)), "{err:?}");
    fake.clear_faults();
    send(&sdk, "+15550009999").await.expect("cleared");
    assert_eq!(fake.sent_messages().len(), 2);
}

#[tokio::test]
async fn latency_delays_the_operation() {
    let fake = FakeEum::start().await;
    let sdk = client(&fake.endpoint());
    fake.add_latency("SendWhatsAppMessage", Duration::from_millis(300));
    let t = Instant::now();
    send(&sdk, "+15551230005").await.expect("slow but ok");
    assert!(t.elapsed() >= Duration::from_millis(300), "{:?}", t.elapsed());
    // Other operations are not delayed.
    let t = Instant::now();
    sdk.list_linked_whats_app_business_accounts().send().await.expect("list");
    assert!(t.elapsed() < Duration::from_millis(300));
}

#[tokio::test]
async fn faults_apply_to_other_operations_too() {
    let fake = FakeEum::start().await;
    let sdk = client(&fake.endpoint());
    fake.fail_next("ListLinkedWhatsAppBusinessAccounts", 1, EumError::throttled());
    sdk.list_linked_whats_app_business_accounts().send().await.expect("retried");
    let statuses: Vec<u16> = fake.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![429, 200]);
    fake.reset();
    assert!(fake.requests().is_empty() && fake.faults().is_empty());
}
