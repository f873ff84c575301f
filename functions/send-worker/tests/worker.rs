//! The send worker on in-memory adapters and the sandbox: outcomes, records, events.

mod support;

use std::sync::Arc;
use std::time::Duration;

use send_worker::{Config, Outcome};
use serde_json::{json, Value};
use support::*;
use wapipe_core::domain::events::{eventbridge_body, DomainEvent, Envelope, EventType};
use wapipe_core::domain::keys;
use wapipe_core::memory::Sandbox;
use wapipe_core::ports::messaging::MessagingError;
use wapipe_core::ports::Store;

fn throttled() -> MessagingError {
    MessagingError::answered("ThrottledRequestException", "Rate exceeded", Some(429))
}

#[tokio::test]
async fn a_request_in_the_window_is_sent_once_recorded_and_announced() {
    let e = env();
    e.user_wrote(PHONE, 60).await;
    let out = e.run(&text("r1")).await;
    let Outcome::Accepted { eum_message_id, .. } = &out else { panic!("{out:?}") };
    let sends = e.worker.messaging.sends();
    assert_eq!(sends.len(), 1);
    assert_eq!(sends[0].message["biz_opaque_callback_data"], "wapipe:r1");
    assert_eq!(sends[0].origination_phone_number_id, "phone-number-id-4db8a4cce7e7d3cbc3ec62a721b7ded3");
    let rec = e.record("r1").await.expect("record");
    assert_eq!(rec.get_str("state"), Some("accepted"));
    assert_eq!(rec.get_str("eum_message_id"), Some(eum_message_id.as_str()));
    assert_eq!((rec.get_str("to"), rec.get_str("message_type")), (Some(TO), Some("text")));
    assert_eq!(rec.attrs["published"], true);
    let ev = e.events_of(EventType::SendAccepted);
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].detail["request_id"], "r1");
    assert_eq!((ev[0].detail["waba_id"].as_str(), ev[0].detail["wa_id"].as_str()), (Some(WABA), Some(WA_ID)));

    // Redelivered: nothing sent, nothing re-published.
    let again = e.run(&text("r1")).await;
    assert_eq!(again, Outcome::Duplicate { request_id: "r1".into(), state: "accepted".into() });
    assert_eq!(e.worker.messaging.sends().len(), 1);
    assert_eq!(e.events().len(), 1);
}

#[tokio::test]
async fn concurrent_duplicates_send_one_message() {
    let e = env();
    e.user_wrote(PHONE, 60).await;
    let mut tasks = Vec::new();
    for i in 0..16 {
        let w = e.worker.clone();
        tasks.push(tokio::spawn(async move {
            let r = send_worker::RecordIn { id: format!("m{i}"), body: text("dup"), ..Default::default() };
            w.handle_batch(&[r]).await
        }));
    }
    let mut accepted = 0;
    for t in tasks {
        let report = t.await.expect("task");
        for (_, o) in report.outcomes {
            match o {
                Outcome::Accepted { .. } => accepted += 1,
                Outcome::Retry { .. } | Outcome::Duplicate { .. } => {}
                other => panic!("{other:?}"),
            }
        }
    }
    assert_eq!(accepted, 1);
    assert_eq!(e.worker.messaging.sends().len(), 1, "one WhatsApp message");
    // The copies that were told to come back find it done.
    e.clock.advance(Duration::from_secs(120));
    assert!(matches!(e.run(&text("dup")).await, Outcome::Duplicate { .. }));
    assert_eq!(e.events_of(EventType::SendAccepted).len(), 1);
}

#[tokio::test]
async fn throttled_twice_then_sent_with_growing_delays() {
    let sandbox = Arc::new(Sandbox::new());
    sandbox.fail_next(throttled());
    sandbox.fail_next(MessagingError::answered("DependencyException", "(#130429) Rate limit hit", Some(502)));
    let e = env_with(sandbox, config());
    e.user_wrote(PHONE, 60).await;
    let mut delays = Vec::new();
    for _ in 0..2 {
        match e.run(&text("t1")).await {
            Outcome::Retry { delay, .. } => delays.push(delay),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            e.record("t1").await.and_then(|r| r.get_str("state").map(str::to_string)).as_deref(),
            Some("retrying")
        );
    }
    assert!(delays[1] > delays[0], "growing: {delays:?}");
    assert_eq!(delays, vec![Duration::from_millis(20), Duration::from_millis(40)]);
    assert!(matches!(e.run(&text("t1")).await, Outcome::Accepted { .. }));
    assert_eq!(e.worker.messaging.sends().len(), 1);
    let ev = e.events_of(EventType::SendAccepted);
    assert_eq!(ev[0].detail["attempts"], 3);
}

#[tokio::test]
async fn retries_change_the_visibility_of_the_queue_message() {
    let sandbox = Arc::new(Sandbox::new());
    sandbox.fail_next(throttled());
    let e = env_with(sandbox, Config { backoff_initial: Duration::from_millis(300), ..config() });
    e.user_wrote(PHONE, 60).await;
    let url = "local://send";
    e.queue.create_queue(url, Duration::from_secs(30));
    use wapipe_core::ports::{OutgoingMessage, Queue};
    e.queue.send(url, OutgoingMessage { body: text("v1"), ..Default::default() }).await.unwrap();
    let got = e.queue.receive(url, 10, Duration::ZERO).await.unwrap();
    let rec = send_worker::RecordIn {
        id: got[0].message_id.clone(),
        body: got[0].body.clone(),
        receipt_handle: Some(got[0].receipt_handle.clone()),
        queue_url: Some(url.into()),
        ..Default::default()
    };
    let report = e.worker.handle_batch(std::slice::from_ref(&rec)).await;
    assert_eq!(report.failures(), vec![got[0].message_id.clone()]);
    // Back after ~300 ms (the backoff), not after the queue's 30 s.
    assert!(e.queue.receive(url, 10, Duration::ZERO).await.unwrap().is_empty());
    let back = e.queue.receive(url, 10, Duration::from_secs(3)).await.unwrap();
    assert_eq!(back.len(), 1);
}

#[tokio::test]
async fn an_eum_validation_error_fails_for_good_without_retry() {
    let sandbox = Arc::new(Sandbox::new());
    sandbox.fail_next(MessagingError::answered("ValidationException", "(#131026) Message undeliverable", Some(400)));
    let e = env_with(sandbox, config());
    e.user_wrote(PHONE, 60).await;
    let out = e.run(&text("f1")).await;
    let Outcome::Failed { reason, .. } = &out else { panic!("{out:?}") };
    assert!(reason.starts_with("131026"), "{reason}");
    let rec = e.record("f1").await.unwrap();
    assert_eq!(rec.get_str("state"), Some("failed"));
    let ev = e.events_of(EventType::SendFailed);
    assert_eq!((ev[0].detail["error_code"].as_i64(), ev[0].detail["retry"].as_str()), (Some(131026), Some("never")));
    assert_eq!(ev[0].detail["attempts"], 1);
    // A redelivery does not call EUM again.
    assert!(matches!(e.run(&text("f1")).await, Outcome::Duplicate { .. }));
    assert!(e.worker.messaging.sends().is_empty());
}

#[tokio::test]
async fn transient_failures_end_after_max_attempts() {
    let sandbox = Arc::new(Sandbox::new());
    for _ in 0..3 {
        sandbox.fail_next(throttled());
    }
    let e = env_with(sandbox, Config { max_attempts: 3, ..config() });
    e.user_wrote(PHONE, 60).await;
    assert!(matches!(e.run(&text("x")).await, Outcome::Retry { .. }));
    assert!(matches!(e.run(&text("x")).await, Outcome::Retry { .. }));
    assert!(matches!(e.run(&text("x")).await, Outcome::Failed { .. }));
    assert_eq!(e.events_of(EventType::SendFailed)[0].detail["exception"], "AttemptsExhausted");
}

#[tokio::test]
async fn guards_reject_with_the_right_rule() {
    let e = env();
    // No inbound message: free-form needs a template.
    let out = e.run(&text("g1")).await;
    assert!(matches!(&out, Outcome::Rejected { rule, .. } if rule == "template_required"), "{out:?}");
    // An old one: still closed.
    e.user_wrote(PHONE, 25 * 3600).await;
    assert!(matches!(e.run(&text("g2")).await, Outcome::Rejected { rule, .. } if rule == "template_required"));
    // Templates do not need the window...
    assert!(matches!(e.run(&template("g3", "order_update", None)).await, Outcome::Accepted { .. }));
    // ...unless the caller asks.
    let mut v: Value = serde_json::from_str(&template("g4", "order_update", None)).unwrap();
    v["options"] = json!({"require_window": true});
    assert!(matches!(e.run(&v.to_string()).await, Outcome::Rejected { rule, .. } if rule == "template_required"));
    // Marketing to a user who opted out (ingest writes the state from user_preferences).
    e.set(keys::contact_window(PHONE, WA_ID), json!({"marketing_opt_out": true})).await;
    assert!(
        matches!(e.run(&template("g5", "promo", Some("marketing"))).await, Outcome::Rejected { rule, .. } if rule == "opted_out")
    );
    // The cache's category counts even when the caller says nothing.
    e.set(keys::template_state(WABA, "promo2", "en_US"), json!({"status": "APPROVED", "category": "MARKETING"})).await;
    assert!(
        matches!(e.run(&template("g6", "promo2", None)).await, Outcome::Rejected { rule, .. } if rule == "opted_out")
    );
    // Utility templates still go.
    assert!(matches!(e.run(&template("g7", "order_update", Some("utility"))).await, Outcome::Accepted { .. }));
    for (name, status, rule) in [
        ("p", "PAUSED", "template_paused"),
        ("d", "DISABLED", "template_disabled"),
        ("x", "REJECTED", "template_rejected"),
    ] {
        e.set(keys::template_state(WABA, name, "en_US"), json!({"status": status})).await;
        let out = e.run(&template(&format!("t-{name}"), name, None)).await;
        assert!(matches!(&out, Outcome::Rejected { rule: r, .. } if r == rule), "{out:?}");
    }
    let rejected = e.events_of(EventType::SendRejected);
    assert_eq!(rejected.len(), 8);
    assert!(rejected[0].detail["reason"].as_str().unwrap_or_default().starts_with("template required"));
    assert_eq!(e.worker.messaging.sends().len(), 2, "only g3 and g7 were sent");
    assert_eq!(e.record("g1").await.unwrap().get_str("state"), Some("rejected"));
}

#[tokio::test]
async fn invalid_and_unparseable_requests_are_rejected_without_a_call() {
    let e = env();
    e.user_wrote(PHONE, 60).await;
    let buttons: Vec<Value> =
        (0..4).map(|i| json!({"type": "reply", "reply": {"id": format!("b{i}"), "title": "t"}})).collect();
    let body = request(
        "i1",
        json!({"type": "interactive", "interactive": {"type": "button", "body": {"text": "?"}, "action": {"buttons": buttons}}}),
    );
    let out = e.run(&body).await;
    assert!(
        matches!(&out, Outcome::Rejected { rule, reason, .. } if rule == "invalid" && reason.contains("at most 3 reply buttons")),
        "{out:?}"
    );
    let ev = e.events_of(EventType::SendRejected);
    assert_eq!(ev[0].detail["field"], "message.interactive.action.buttons[3]");
    assert_eq!(e.record("i1").await.unwrap().get_str("state"), Some("rejected"));
    // Not JSON at all: parked with the body, an event without a request id.
    let out = e.run("{nope").await;
    assert!(matches!(&out, Outcome::Rejected { request_id: None, rule, .. } if rule == "not_json"));
    let parked = wapipe_core::ports::Query::table(keys::parked_partition("send-worker"), "");
    assert_eq!(e.store.query(parked).await.unwrap().items.len(), 1);
    assert!(e.worker.messaging.sends().is_empty());
}

#[tokio::test]
async fn an_eventbridge_send_requested_body_is_a_request_and_reuse_is_refused() {
    let e = env();
    e.user_wrote(PHONE, 60).await;
    let req: Value = serde_json::from_str(&text("eb1")).unwrap();
    let mut fields = serde_json::Map::new();
    fields.insert("request".into(), req);
    let env_ = Envelope {
        event_id: "e".into(),
        occurred_at: e.clock.0.lock().map(|t| *t).unwrap(),
        waba_id: WABA,
        phone_number_id: PHONE,
    };
    let event = DomainEvent::new(EventType::SendRequested, env_, fields);
    wapipe_core::domain::event_catalogue::validate(&event).unwrap();
    let body = eventbridge_body(&event, "123456789012", "ap-south-1", e.clock.0.lock().map(|t| *t).unwrap());
    assert!(matches!(e.run(&body).await, Outcome::Accepted { .. }));
    // Same request id, different request: refused, the record untouched.
    let other = request("eb1", json!({"type": "text", "text": {"body": "Something else"}}));
    assert!(matches!(e.run(&other).await, Outcome::Rejected { rule, .. } if rule == "request_id_reused"));
    assert_eq!(e.record("eb1").await.unwrap().get_str("state"), Some("accepted"));
    assert_eq!(e.worker.messaging.sends().len(), 1);
}

#[tokio::test]
async fn an_unknown_outcome_is_never_resent_and_resolves_from_statuses() {
    let sandbox = Arc::new(Sandbox::new());
    sandbox.fail_next(MessagingError::unknown("Timeout", "no answer"));
    sandbox.fail_next(MessagingError::unknown("Timeout", "no answer"));
    let e = env_with(sandbox, config());
    e.user_wrote(PHONE, 60).await;
    assert!(matches!(e.run(&text("u1")).await, Outcome::Retry { .. }));
    assert_eq!(e.record("u1").await.unwrap().get_str("state"), Some("unknown"));
    // Redelivered inside the grace: waits, no call.
    assert!(matches!(e.run(&text("u1")).await, Outcome::Retry { .. }));
    // The status tracker links the wamid from the callback data: it was sent.
    let k = keys::send_request("u1");
    use wapipe_core::ports::{Update, Write};
    let link = Write::Update {
        pk: k.pk,
        sk: k.sk,
        updates: vec![Update::SetIfMissing("wamid".into(), "wamid.X".into())],
        cond: None,
    };
    e.store.write(link).await.unwrap();
    assert!(matches!(e.run(&text("u1")).await, Outcome::Accepted { .. }));
    assert_eq!(e.record("u1").await.unwrap().get_str("wamid"), Some("wamid.X"), "wamid kept");
    // Another one with no status: failed after the grace, still never re-sent.
    assert!(matches!(e.run(&text("u2")).await, Outcome::Retry { .. }));
    e.clock.advance(Duration::from_secs(301));
    assert!(matches!(e.run(&text("u2")).await, Outcome::Failed { .. }));
    assert_eq!(e.events_of(EventType::SendFailed)[0].detail["exception"], "OutcomeUnknown");
    assert!(e.worker.messaging.sends().is_empty(), "neither was ever re-sent");
}

#[tokio::test]
async fn meta_opt_out_and_pair_rate_answers_update_the_table() {
    let sandbox = Arc::new(Sandbox::new());
    sandbox.fail_next(MessagingError::answered("ValidationException", "(#131050) User stopped marketing", Some(400)));
    sandbox.fail_next(MessagingError::answered("ValidationException", "(#131056) pair rate limit hit", Some(400)));
    let e = env_with(sandbox, Config { pair_interval: Duration::from_secs(6), pair_burst: 5, ..config() });
    e.user_wrote(PHONE, 60).await;
    assert!(matches!(e.run(&template("o1", "promo", Some("marketing"))).await, Outcome::Failed { .. }));
    let w = e.store.get(&keys::contact_window(PHONE, WA_ID).pk, "WINDOW").await.unwrap().unwrap();
    assert_eq!(w.attrs["marketing_opt_out"], true);
    let out = e.run(&text("o2")).await;
    let Outcome::Retry { delay, .. } = out else { panic!("{out:?}") };
    assert!(delay >= Duration::from_secs(6), "{delay:?}");
    // Every worker now paces this user: the next request waits for the penalty.
    let next = e.run(&text("o3")).await;
    assert!(matches!(next, Outcome::Retry { ref error, .. } if error == "paced"), "{next:?}");
}

/// The recipient's pair slot is taken in the claim's transaction: a send that goes takes
/// exactly one slot, and one the pair rate holds back takes none and claims nothing.
#[tokio::test]
async fn the_pair_slot_is_taken_with_the_claim_and_only_then() {
    let e =
        env_with(Arc::new(Sandbox::new()), Config { pair_interval: Duration::from_secs(6), pair_burst: 1, ..config() });
    e.user_wrote(PHONE, 60).await;
    let batch: Vec<_> = ["p1", "p2"]
        .iter()
        .map(|id| send_worker::RecordIn { id: id.to_string(), body: text(id), ..Default::default() })
        .collect();
    let report = e.worker.handle_batch(&batch).await;
    let outcomes: Vec<&Outcome> = report.outcomes.iter().map(|(_, o)| o).collect();
    assert!(matches!(outcomes[0], Outcome::Accepted { .. }), "{outcomes:?}");
    let Outcome::Retry { delay, error, .. } = outcomes[1] else { panic!("{outcomes:?}") };
    assert_eq!((error.as_str(), *delay), ("paced", Duration::from_secs(6)), "the next slot, 6 s on");
    assert_eq!(e.worker.messaging.sends().len(), 1);
    assert!(e.record("p2").await.is_none(), "held back: no claim");
    let pair = e.store.get(&keys::pace_pair(PHONE, WA_ID).pk, "PAIR").await.unwrap().expect("the slot taken");
    let now_ms = e.clock.0.lock().unwrap().unix_timestamp() * 1000;
    assert_eq!(pair.get_i64("tat_ms"), Some(now_ms + 6_000), "one slot, not two");
}

mod concurrency {
    //! The consumer runtime's promise for the send worker: whatever the concurrency, one
    //! recipient's requests run in arrival order, every request is sent at most once, and the
    //! send records and the events equal those of the same batch handled one record at a time.
    use super::*;
    use proptest::prelude::*;
    use wapipe_core::app::consumer::Options;
    use wapipe_core::ports::messaging::{EumMessageId, LinkedPhone, Messaging};
    use wapipe_core::testing::{arb_concurrency, end_state, records};

    /// EUM answering with an id derived from the request (the sandbox's ids depend on order).
    struct Echo(Sandbox);

    impl Messaging for Echo {
        async fn send(&self, from: &str, v: &str, json: &[u8]) -> Result<EumMessageId, MessagingError> {
            self.0.send(from, v, json).await?;
            let body: serde_json::Value = serde_json::from_slice(json).unwrap_or_default();
            Ok(EumMessageId(format!("eum-{}", body["biz_opaque_callback_data"].as_str().unwrap_or_default())))
        }
        async fn linked_phones(&self) -> Result<Vec<LinkedPhone>, MessagingError> {
            self.0.linked_phones().await
        }
    }

    fn request(rid: usize, to: usize) -> String {
        serde_json::json!({"request_id": format!("r{rid}"), "from": PHONE, "to": format!("+91987654{to:04}"),
            "message": {"type": "template", "template": {"name": "order_update", "language": {"code": "en_US"}}}})
        .to_string()
    }

    fn run(batch: &[(usize, usize)], concurrency: usize) -> ((Vec<serde_json::Value>, Vec<String>), usize) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async {
            let e = env_with(Echo(Sandbox::new()), Config { run: Options { concurrency }, ..config() });
            let bodies: Vec<String> = batch.iter().map(|&(rid, to)| request(rid, to)).collect();
            e.worker.handle_batch(&records(&bodies)).await;
            let sends = e.worker.messaging.0.sends().len();
            // The claim's owner token names the delivery that won it: not part of the outcome.
            (end_state(e.store.snapshot(), e.bus.events(), &["owner"]), sends)
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn any_concurrency_ends_like_one_at_a_time(
            // A request id always goes to the same recipient (else it is a reused id).
            batch in prop::collection::vec((0usize..6).prop_map(|r| (r, r % 3)), 1..10),
            concurrency in arb_concurrency(),
        ) {
            let (state, sends) = run(&batch, concurrency);
            let distinct: std::collections::BTreeSet<_> = batch.iter().map(|(r, _)| r).collect();
            prop_assert_eq!(sends, distinct.len(), "one message per request id");
            prop_assert_eq!((state, sends), run(&batch, 1));
        }
    }
}

/// `account_update` restrictions, as the quality snapshotter keeps them, stop the templates
/// they name until they expire; other templates and free-form replies go.
#[tokio::test]
async fn an_account_restriction_refuses_the_templates_it_names_until_it_expires() {
    let e = env();
    e.user_wrote(PHONE, 60).await;
    let now = wapipe_core::ports::Clock::now(&e.clock).unix_timestamp();
    e.set(
        keys::account_latest(WABA),
        json!({"restrictions": [{"restriction_type": "RESTRICTED_BIZ_INITIATED_MESSAGING", "expiration": now + 3600}]}),
    )
    .await;
    let out = e.run(&template("a1", "promo", Some("MARKETING"))).await;
    let Outcome::Rejected { rule, reason, .. } = &out else { panic!("{out:?}") };
    assert_eq!(rule, "account_restricted");
    assert!(reason.contains("RESTRICTED_BIZ_INITIATED_MESSAGING") && reason.contains("until"), "{reason}");
    assert!(
        matches!(e.run(&template("a2", "order_update", Some("UTILITY"))).await, Outcome::Rejected { ref rule, .. } if rule == "account_restricted")
    );
    assert!(matches!(e.run(&template("a3", "login_code", Some("AUTHENTICATION"))).await, Outcome::Accepted { .. }));
    assert!(
        matches!(e.run(&text("a4")).await, Outcome::Accepted { .. }),
        "a reply in the window is not business-initiated"
    );
    // Expired: the templates go again.
    e.clock.advance(Duration::from_secs(3601));
    e.user_wrote(PHONE, 60).await;
    assert!(matches!(e.run(&template("a5", "promo", Some("MARKETING"))).await, Outcome::Accepted { .. }));
}

/// A number ingest saw in coexistence (Business app echoes, history, contact sync) is paced at
/// Meta's fixed 20 messages/s, whatever the configured budget.
#[tokio::test]
async fn a_coexistence_number_is_paced_at_20_per_second() {
    async fn accepted_in_one_second(coexistence: bool) -> usize {
        let e = env();
        if coexistence {
            e.set(keys::coexistence(PHONE), json!({"coexistence": true})).await;
        }
        // A first batch learns the number's state; the next second starts clean.
        assert!(matches!(e.run(&template("warm", "order_update", Some("UTILITY"))).await, Outcome::Accepted { .. }));
        e.clock.advance(Duration::from_secs(1));
        let batch: Vec<send_worker::RecordIn> = (0..30)
            .map(|i| {
                let mut v: serde_json::Value =
                    serde_json::from_str(&template(&format!("c{i}"), "order_update", Some("UTILITY"))).unwrap();
                v["to"] = json!(format!("+9198765{i:05}"));
                send_worker::RecordIn { id: format!("c{i}"), body: v.to_string(), ..Default::default() }
            })
            .collect();
        let report = e.worker.handle_batch(&batch).await;
        report.outcomes.iter().filter(|(_, o)| matches!(o, Outcome::Accepted { .. })).count()
    }
    assert_eq!(accepted_in_one_second(false).await, 30, "80/s: all of them");
    assert_eq!(accepted_in_one_second(true).await, 20, "coexistence: 20, the rest wait their second");
}
