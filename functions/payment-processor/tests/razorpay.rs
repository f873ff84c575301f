//! The Razorpay adapter against the fake Razorpay on 127.0.0.1 (real paths, auth, errors).

use std::time::Duration;

use payment_processor::razorpay::Razorpay;
use wapipe_core::ports::gateway::{Gateway, GatewayError, GatewayStatus, RefundAnswer, RefundCall};
use wapipe_fake_gateway::{FakeGateway, Fault};

fn call(payment: &str, key: &str, amount: i64) -> RefundCall {
    RefundCall {
        reference_id: "order-1".into(),
        key: key.into(),
        payment_id: payment.into(),
        amount,
        currency: "INR".into(),
    }
}

async fn setup() -> (FakeGateway, Razorpay) {
    let fake = FakeGateway::start().await.unwrap();
    fake.payment("pay_1", Some("order_SdrcSSqobZ7voR"), 45_000, "INR");
    let rzp = Razorpay::new(&fake.base_url(), &fake.key_id, &fake.key_secret, Duration::from_secs(2)).unwrap();
    (fake, rzp)
}

#[tokio::test]
async fn refunds_by_payment_or_order_id_and_answers_the_same_refund_again() {
    let (fake, rzp) = setup().await;
    let a = rzp.refund(&call("order_SdrcSSqobZ7voR", "k1", 10_000)).await.unwrap();
    let RefundAnswer::Gateway { id, status, amount } = a.clone() else { panic!("{a:?}") };
    assert_eq!((status, amount), (GatewayStatus::Processed, 10_000));
    assert_eq!(fake.refunds()[0]["payment_id"], "pay_1");
    assert_eq!(fake.refunds()[0]["notes"]["wapipe_key"], "k1");
    assert_eq!(rzp.refund(&call("pay_1", "k1", 10_000)).await.unwrap(), a, "found by its key");
    assert_eq!(fake.creations(), 1);
    assert!(id.starts_with("rfnd_"));
}

#[tokio::test]
async fn a_lost_answer_is_retryable_and_the_retry_finds_the_refund() {
    let (fake, rzp) = setup().await;
    fake.refund_status("pending");
    fake.fault(Fault::DropAfterProcessing);
    let err = rzp.refund(&call("pay_1", "k2", 5_000)).await.unwrap_err();
    assert!(err.is_retryable(), "{err}");
    assert_eq!(fake.creations(), 1, "the gateway did make it");
    let again = rzp.refund(&call("pay_1", "k2", 5_000)).await.unwrap();
    assert!(matches!(again, RefundAnswer::Gateway { status: GatewayStatus::Pending, amount: 5_000, .. }));
    assert_eq!(fake.creations(), 1, "no second refund");
}

#[tokio::test]
async fn racing_creates_are_one_refund_through_the_idempotency_header() {
    let (fake, rzp) = setup().await;
    let c = call("pay_1", "race", 1_000);
    let (a, b) = tokio::join!(rzp.refund(&c), rzp.refund(&c));
    assert_eq!(a.unwrap(), b.unwrap());
    assert_eq!(fake.creations(), 1);
}

#[tokio::test]
async fn errors_are_split_retryable_and_permanent() {
    let (fake, rzp) = setup().await;
    fake.fault(Fault::Unavailable);
    assert!(rzp.refund(&call("pay_1", "k3", 1_000)).await.unwrap_err().is_retryable());
    assert_eq!(fake.creations(), 0);
    let over = rzp.refund(&call("pay_1", "k4", 45_001)).await.unwrap_err();
    assert!(
        matches!(&over, GatewayError::Permanent { message, .. } if message.contains("refundable amount")),
        "{over}"
    );
    let bad = Razorpay::new(&fake.base_url(), "rzp_test_key", "wrong", Duration::from_secs(2)).unwrap();
    let auth = bad.refund(&call("pay_1", "k5", 1_000)).await.unwrap_err();
    assert!(matches!(&auth, GatewayError::Permanent { message, .. } if message.contains("Authentication")), "{auth}");
    let nothing = Razorpay::new("http://127.0.0.1:9", "a", "b", Duration::from_millis(500)).unwrap();
    assert!(nothing.refund(&call("pay_1", "k6", 1)).await.unwrap_err().is_retryable(), "no server: try later");
}
