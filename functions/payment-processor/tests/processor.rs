//! The processor on the in-memory ports: the happy path, each rejection, lost gateway answers.

mod support;

use std::sync::atomic::Ordering;
use std::sync::Arc;

use payment_processor::Outcome;
use serde_json::json;
use support::*;
use wapipe_core::domain::events::EventType;

#[tokio::test]
async fn capture_then_partial_refund_then_refund_webhook_settles_the_ledger() {
    let gw = Arc::new(FakeGateway::default());
    let p = processor(Some(gw.clone()));
    seed_order(&p, "order-1", "INR", None).await;
    let out = run(&p, webhook("order-1", "captured", TOTAL, None)).await;
    assert!(matches!(out, Outcome::Done { changed: true, .. }), "{out:?}");
    let types: Vec<_> = p.bus.events().iter().map(|e| e.detail_type).collect();
    assert!(types.contains(&EventType::PaymentCaptured) && types.contains(&EventType::SendRequested));
    let send = p.bus.events().into_iter().find(|e| e.detail_type == EventType::SendRequested).unwrap();
    assert_eq!(send.detail["request"]["message"]["interactive"]["type"], "order_status");
    assert_eq!(send.detail["request"]["to"], "+919876543210");
    assert_eq!(ledger(&p, "order-1").await, ("captured".into(), TOTAL, 0, TOTAL, 0));

    run(&p, refund_cmd("order-1", "k1", 15_000)).await;
    assert_eq!(ledger(&p, "order-1").await, ("captured".into(), TOTAL, 15_000, 30_000, 0));
    let refunds = json!([{"id": "rfnd_k1", "amount": {"value": 15_000, "offset": 100}, "status": "completed"}]);
    run(&p, webhook("order-1", "captured", TOTAL, Some(refunds))).await;
    assert_eq!(ledger(&p, "order-1").await, ("captured".into(), TOTAL, 15_000, 30_000, 15_000));
    let states: Vec<_> = p
        .bus
        .events()
        .iter()
        .filter(|e| e.detail_type == EventType::RefundUpdated)
        .map(|e| e.detail["state"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(states, ["requested", "submitted", "completed"]);
    assert_eq!(gw.creations.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn amount_mismatch_is_flagged_not_accepted() {
    let p = processor(None);
    seed_order(&p, "order-2", "INR", None).await;
    let out = run(&p, webhook("order-2", "captured", TOTAL - 1, None)).await;
    assert_eq!(out, Outcome::Rejected { reason: "amount_mismatch".into() });
    assert_eq!(ledger(&p, "order-2").await.0, "mismatch");
    assert!(!p.bus.events().iter().any(|e| e.detail_type == EventType::PaymentCaptured));
    // No refund can come out of a mismatched payment.
    let out = run(&p, refund_cmd("order-2", "k", 1)).await;
    assert_eq!(out, Outcome::Rejected { reason: "payment_mismatch".into() });
}

#[tokio::test]
async fn each_rejection_has_its_reason() {
    let p = processor(None);
    assert_eq!(
        run(&p, webhook("nope", "captured", TOTAL, None)).await,
        Outcome::Rejected { reason: "unknown_reference".into() }
    );
    assert_eq!(run(&p, refund_cmd("nope", "k", 5)).await, Outcome::Rejected { reason: "unknown_reference".into() });
    seed_order(&p, "failed-1", "INR", None).await;
    run(&p, webhook("failed-1", "failed", TOTAL, None)).await;
    assert!(p.bus.events().iter().any(|e| e.detail_type == EventType::PaymentFailed));
    assert_eq!(
        run(&p, refund_cmd("failed-1", "k", 5)).await,
        Outcome::Rejected { reason: "refund_on_failed_payment".into() }
    );
    seed_order(&p, "pending-1", "INR", None).await;
    assert!(
        matches!(run_n(&p, refund_cmd("pending-1", "k", 5), 1).await, Outcome::Retry { .. }),
        "waits for the capture"
    );
    assert_eq!(
        run(&p, refund_cmd("pending-1", "k", 5)).await,
        Outcome::Rejected { reason: "payment_not_captured".into() }
    );
    seed_order(&p, "paid-1", "INR", None).await;
    run(&p, webhook("paid-1", "captured", TOTAL, None)).await;
    assert_eq!(
        run(&p, refund_cmd("paid-1", "a", TOTAL + 1)).await,
        Outcome::Rejected { reason: "refund_exceeds_remaining".into() }
    );
    assert!(matches!(run(&p, refund_cmd("paid-1", "a", 40_000)).await, Outcome::Done { changed: true, .. }));
    assert_eq!(
        run(&p, refund_cmd("paid-1", "b", 5_001)).await,
        Outcome::Rejected { reason: "refund_exceeds_remaining".into() }
    );
    assert_eq!(run(&p, refund_cmd("paid-1", "a", 1)).await, Outcome::Rejected { reason: "key_reused".into() });
    assert!(
        matches!(run(&p, refund_cmd("paid-1", "a", 40_000)).await, Outcome::Done { changed: false, .. }),
        "same key, same amount: no-op"
    );
    assert_eq!(run(&p, refund_cmd("paid-1", "c", 0)).await, Outcome::Rejected { reason: "invalid".into() });
    assert_eq!(
        run(&p, mark_paid_cmd("paid-1", TOTAL, "INR")).await,
        Outcome::Rejected { reason: "mark_paid_not_allowed".into() }
    );
    assert_eq!(ledger(&p, "paid-1").await, ("captured".into(), TOTAL, 40_000, 5_000, 0));
    assert_eq!(
        rejections(&p),
        [
            "unknown_reference",
            "unknown_reference",
            "refund_on_failed_payment",
            "payment_not_captured",
            "refund_exceeds_remaining",
            "refund_exceeds_remaining",
            "key_reused",
            "invalid",
            "mark_paid_not_allowed"
        ]
    );
}

#[tokio::test]
async fn a_lost_gateway_answer_never_refunds_twice() {
    let gw = Arc::new(FakeGateway::default());
    gw.lose_next.store(1, Ordering::SeqCst);
    let p = processor(Some(gw.clone()));
    seed_order(&p, "order-3", "INR", None).await;
    run(&p, webhook("order-3", "captured", TOTAL, None)).await;
    let body = refund_cmd("order-3", "k", 10_000);
    assert!(matches!(run(&p, body.clone()).await, Outcome::Retry { .. }));
    assert!(matches!(run(&p, body).await, Outcome::Done { .. }));
    assert_eq!(gw.creations.load(Ordering::SeqCst), 1);
    assert_eq!(ledger(&p, "order-3").await, ("captured".into(), TOTAL, 10_000, 35_000, 0));
}

#[tokio::test]
async fn a_refused_refund_releases_its_reservation_once() {
    let gw = Arc::new(FakeGateway::default());
    gw.refuse_next.store(1, Ordering::SeqCst);
    let p = processor(Some(gw));
    seed_order(&p, "order-4", "INR", None).await;
    run(&p, webhook("order-4", "captured", TOTAL, None)).await;
    let body = refund_cmd("order-4", "k", 10_000);
    run(&p, body.clone()).await;
    run(&p, body).await;
    assert_eq!(ledger(&p, "order-4").await, ("captured".into(), TOTAL, 0, TOTAL, 0));
}

#[tokio::test]
async fn manual_refunds_wait_for_the_operator_and_brazil_settles_by_mark_paid() {
    let p = processor(None);
    let pix = json!([{"type": "pix_dynamic_code", "pix_dynamic_code": {"code": "000201", "merchant_name": "Loja",
        "key": "a@b.br", "key_type": "EMAIL"}}]);
    seed_order(&p, "pedido-1", "BRL", Some(pix)).await;
    assert_eq!(
        run(&p, mark_paid_cmd("pedido-1", TOTAL + 5, "BRL")).await,
        Outcome::Rejected { reason: "amount_mismatch".into() }
    );
    seed_order(&p, "pedido-2", "BRL", Some(json!([{"type": "boleto", "boleto": {"digitable_line": "123"}}]))).await;
    assert!(matches!(run(&p, mark_paid_cmd("pedido-2", TOTAL, "BRL")).await, Outcome::Done { changed: true, .. }));
    run(&p, refund_cmd("pedido-2", "ops-1", 1_000)).await;
    let k = wapipe_core::domain::keys::refund("pedido-2", "ops-1");
    use wapipe_core::ports::Store;
    let r = p.store.get(&k.pk, &k.sk).await.unwrap().unwrap();
    assert_eq!((r.get_str("state"), r.get_str("gateway")), (Some("submitted"), Some("manual")));
    run(&p, settled_cmd("pedido-2", "ops-1", "completed")).await;
    assert_eq!(ledger(&p, "pedido-2").await, ("captured".into(), TOTAL, 1_000, TOTAL - 1_000, 1_000));
    assert_eq!(
        run(&p, settled_cmd("pedido-2", "ops-1", "failed")).await,
        Outcome::Rejected { reason: "refund_already_final".into() }
    );
}

#[tokio::test]
async fn the_sweep_reports_stuck_orders_and_refunds() {
    let mut p = processor(None);
    seed_order(&p, "old-1", "INR", None).await;
    p.config.stale_after_secs = 30;
    let report = p.sweep().await.unwrap();
    assert_eq!((report.stale_orders, report.stale_refunds), (1, 0));
    p.config.stale_after_secs = 3600;
    assert_eq!(p.sweep().await.unwrap().stale_orders, 0, "not stale yet");
}

#[tokio::test]
async fn malformed_inputs_are_parked_with_the_field() {
    let p = processor(None);
    let bad = raw_body(EventType::RefundRequested, json!({"reference_id": "x", "key": "k"}));
    let out = run(&p, bad).await;
    assert!(matches!(&out, Outcome::Parked { reason } if reason.contains("amount")), "{out:?}");
    assert!(matches!(run(&p, "{".into()).await, Outcome::Parked { .. }));
    assert!(p.bus.events().iter().any(|e| e.detail_type == EventType::IngestRejected));
}

#[tokio::test]
async fn the_lambda_input_is_an_sqs_batch_or_a_sweep() {
    let p = processor(None);
    seed_order(&p, "o-l", "INR", None).await;
    let sweep = payment_processor::lambda::handle(&p, json!({"sweep": {}})).await.unwrap();
    assert_eq!(sweep["stale_orders"], 0, "{sweep}");
    let sqs = json!({"Records": [{"messageId": "m1", "body": webhook("o-l", "captured", TOTAL, None),
        "attributes": {"ApproximateReceiveCount": "1"}}]});
    let answer = payment_processor::lambda::handle(&p, sqs).await.unwrap();
    assert_eq!(answer, json!({"batchItemFailures": []}));
    assert_eq!(ledger(&p, "o-l").await.0, "captured");
    assert!(payment_processor::lambda::handle(&p, json!({"nope": 1})).await.is_err());
}
