//! EUM's handover events settle what the worker could not: a lost answer followed by Message
//! Handover Failed ends `failed` in one run with no resend; Handover Succeeded settles an
//! unknown outcome as `accepted`; a failure after `accepted` ends it `failed`; an event while
//! the worker's own call is in flight waits; an event no request matches is parked.

mod support;

use std::sync::Arc;
use std::time::Duration;

use send_worker::{Outcome, RecordIn};
use serde_json::json;
use support::*;
use wapipe_core::domain::events::EventType;
use wapipe_core::memory::Sandbox;
use wapipe_core::ports::messaging::MessagingError;

fn handover(request_id: &str, succeeded: bool) -> String {
    let kind = if succeeded { "Succeeded" } else { "Failed" };
    let mut detail = json!({"wabaId": WABA, "originationPhoneNumberId": PHONE, "messageId": "eum-msg-1",
                            "bizOpaqueCallbackData": format!("wapipe:{request_id}")});
    if !succeeded {
        detail["errors"] = json!([{"code": 131026, "title": "Message undeliverable"}]);
    }
    json!({"version": "0", "id": "e-1", "source": "aws.social-messaging",
           "detail-type": format!("WhatsApp Message Handover {kind}"), "account": "123456789012",
           "region": "ap-south-1", "detail": detail})
    .to_string()
}

async fn eum(e: &Env<Arc<Sandbox>>, body: &str) -> Outcome {
    let r = RecordIn { id: "h1".into(), body: body.into(), ..RecordIn::default() };
    e.worker.handle_eum_batch(&[r]).await.outcomes.remove(0).1
}

#[tokio::test]
async fn a_lost_answer_then_handover_failed_ends_failed_at_once_without_a_resend() {
    let sandbox = Arc::new(Sandbox::new());
    sandbox.fail_next(MessagingError::unknown("Timeout", "no answer"));
    let e = env_with(sandbox, config());
    e.user_wrote(PHONE, 60).await;
    assert!(matches!(e.run(&text("h1")).await, Outcome::Retry { .. }));
    assert_eq!(e.record("h1").await.unwrap().get_str("state"), Some("unknown"));
    // Long before the grace period would have ended it.
    let out = eum(&e, &handover("h1", false)).await;
    assert!(matches!(&out, Outcome::Failed { reason, .. } if reason.contains("131026")), "{out:?}");
    let rec = e.record("h1").await.unwrap();
    assert_eq!(rec.get_str("state"), Some("failed"));
    let failed = e.events_of(EventType::SendFailed);
    assert_eq!(failed.len(), 1);
    assert_eq!(
        (failed[0].detail["exception"].as_str(), failed[0].detail["error_code"].as_i64()),
        (Some("HandoverFailed"), Some(131026))
    );
    assert_eq!(failed[0].detail["wa_id"], WA_ID, "the event names the recipient from the record");
    // The send request comes back: a duplicate, never re-sent; the handover again: nothing new.
    assert!(matches!(e.run(&text("h1")).await, Outcome::Duplicate { .. }));
    assert!(matches!(eum(&e, &handover("h1", false)).await, Outcome::Duplicate { .. }));
    assert!(e.worker.messaging.sends().is_empty(), "never re-sent");
    assert_eq!(e.events_of(EventType::SendFailed).len(), 1);
}

#[tokio::test]
async fn handover_succeeded_settles_an_unknown_outcome_as_accepted() {
    let sandbox = Arc::new(Sandbox::new());
    sandbox.fail_next(MessagingError::unknown("Timeout", "no answer"));
    let e = env_with(sandbox, config());
    e.user_wrote(PHONE, 60).await;
    assert!(matches!(e.run(&text("h2")).await, Outcome::Retry { .. }));
    let out = eum(&e, &handover("h2", true)).await;
    assert!(matches!(&out, Outcome::Accepted { eum_message_id, .. } if eum_message_id == "eum-msg-1"), "{out:?}");
    assert_eq!(e.record("h2").await.unwrap().get_str("eum_message_id"), Some("eum-msg-1"));
    assert_eq!(e.events_of(EventType::SendAccepted).len(), 1);
    // Succeeded again, or after it: nothing changes.
    assert!(matches!(eum(&e, &handover("h2", true)).await, Outcome::Duplicate { .. }));
}

#[tokio::test]
async fn a_handover_failure_after_acceptance_ends_the_send_failed() {
    let e = env();
    e.user_wrote(PHONE, 60).await;
    assert!(matches!(e.run(&text("h3")).await, Outcome::Accepted { .. }));
    assert!(matches!(eum(&e, &handover("h3", false)).await, Outcome::Failed { .. }));
    assert_eq!(e.record("h3").await.unwrap().get_str("state"), Some("failed"));
    assert_eq!(e.events_of(EventType::SendAccepted).len(), 1);
    assert_eq!(e.events_of(EventType::SendFailed).len(), 1);
}

#[tokio::test]
async fn an_event_during_the_workers_own_call_waits_and_unknown_shapes_are_parked() {
    let sandbox = Arc::new(Sandbox::new());
    sandbox.fail_next(MessagingError::unknown("Timeout", "no answer"));
    let e = env_with(sandbox, config());
    e.user_wrote(PHONE, 60).await;
    // A claim whose lease is live (another invocation is calling EUM): the event waits.
    use wapipe_core::domain::keys;
    use wapipe_core::ports::{Item, Store, Write};
    let k = keys::send_request("h4");
    let lease = e.clock.0.lock().unwrap().unix_timestamp() + 30;
    e.store
        .write(Write::put(Item::new(k.pk, k.sk).with("state", "sending").with("lease_until", lease).with("to", TO)))
        .await
        .unwrap();
    let out = eum(&e, &handover("h4", false)).await;
    assert!(matches!(out, Outcome::Retry { delay, .. } if delay == Duration::from_secs(5)), "{out:?}");
    // No callback data of a wapipe send: parked with the reason, nothing changed.
    let stray = json!({"source": "aws.social-messaging", "detail-type": "WhatsApp Message Handover Failed",
                       "detail": {"messageId": "m-9"}})
    .to_string();
    let out = eum(&e, &stray).await;
    assert!(
        matches!(&out, Outcome::Rejected { rule, reason, .. } if rule == "parked" && reason.contains("m-9")),
        "{out:?}"
    );
    let parked = e.events_of(EventType::IngestRejected);
    assert_eq!((parked.len(), parked[0].detail["source"].as_str()), (1, Some("eum-events")), "{parked:?}");
    // A request this stack never saw (another sender on the account): acknowledged.
    assert!(matches!(eum(&e, &handover("never-seen", false)).await, Outcome::Duplicate { .. }));
}
