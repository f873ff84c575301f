//! Interactive flow messages: the worker issues the flow token, records its session before the
//! EUM call, sends the token and saves it for retries.

mod support;

use std::sync::{Arc, Mutex, OnceLock};

use send_worker::Outcome;
use serde_json::Value;
use support::*;
use wapipe_core::domain::flows::token::{FlowSession, STATE_ISSUED, TOKEN_PREFIX};
use wapipe_core::domain::keys;
use wapipe_core::memory::{MemoryStore, Sandbox};
use wapipe_core::ports::messaging::{EumMessageId, LinkedPhone, Messaging, MessagingError};
use wapipe_core::ports::{Item, Store};

/// The sandbox, and at each send: the flow token of the JSON and whether its session was
/// already in the store.
struct SessionProbe {
    sandbox: Sandbox,
    store: OnceLock<Arc<MemoryStore>>,
    seen: Mutex<Vec<(Option<String>, bool)>>,
}

impl SessionProbe {
    fn new() -> SessionProbe {
        SessionProbe { sandbox: Sandbox::new(), store: OnceLock::new(), seen: Mutex::default() }
    }
    fn seen(&self) -> Vec<(Option<String>, bool)> {
        self.seen.lock().expect("seen").clone()
    }
}

fn token_of(json: &Value) -> Option<String> {
    json.pointer("/interactive/action/parameters/flow_token").and_then(Value::as_str).map(str::to_string)
}

impl Messaging for SessionProbe {
    async fn send(
        &self,
        origination: &str,
        version: &str,
        message_json: &[u8],
    ) -> Result<EumMessageId, MessagingError> {
        let json: Value = serde_json::from_slice(message_json).unwrap_or(Value::Null);
        let token = token_of(&json);
        let mut exists = false;
        if let (Some(t), Some(store)) = (&token, self.store.get()) {
            let k = keys::flow_session(t);
            exists = store.get(&k.pk, &k.sk).await.ok().flatten().is_some();
        }
        self.seen.lock().expect("seen").push((token, exists));
        self.sandbox.send(origination, version, message_json).await
    }

    async fn linked_phones(&self) -> Result<Vec<LinkedPhone>, MessagingError> {
        self.sandbox.linked_phones().await
    }
}

fn probe_env() -> Env<Arc<SessionProbe>> {
    let probe = Arc::new(SessionProbe::new());
    let e = env_with(probe.clone(), config());
    assert!(probe.store.set(e.store.clone()).is_ok());
    e
}

/// The flow sample under `request_id`, with `token` as its flow token (`None`: no token).
fn flow_request(request_id: &str, token: Option<&str>) -> String {
    let mut v = sample("interactive-flow.json");
    v["request_id"] = Value::from(request_id);
    let params = &mut v["message"]["interactive"]["action"]["parameters"];
    match (token, params.as_object_mut()) {
        (Some(t), _) => params["flow_token"] = Value::from(t),
        (None, Some(p)) => {
            p.remove("flow_token");
        }
        (None, None) => panic!("the sample has no parameters"),
    }
    v.to_string()
}

async fn session(e: &Env<Arc<SessionProbe>>, token: &str) -> Option<Item> {
    let k = keys::flow_session(token);
    e.store.get(&k.pk, &k.sk).await.expect("get")
}

fn sessions(e: &Env<Arc<SessionProbe>>) -> Vec<Item> {
    e.store.snapshot().into_iter().filter(|i| i.pk.starts_with("FLOW#")).collect()
}

#[tokio::test]
async fn a_flow_message_gets_a_new_token_bound_in_a_session_before_the_call() {
    let e = probe_env();
    e.user_wrote(PHONE, 60).await;
    let out = e.run(&flow_request("f1", None)).await;
    assert!(matches!(out, Outcome::Accepted { .. }), "{out:?}");

    let seen = e.worker.messaging.seen();
    assert_eq!(seen.len(), 1);
    let (token, existed) = seen[0].clone();
    let token = token.expect("the JSON sent carries a flow token");
    assert!(token.starts_with(TOKEN_PREFIX), "{token}");
    assert!(existed, "the session exists when SendWhatsAppMessage is called");
    let sent = e.worker.messaging.sandbox.sends();
    assert_eq!(token_of(&sent[0].message).as_deref(), Some(token.as_str()));

    let item = session(&e, &token).await.expect("session");
    let s = FlowSession::from_item(&item).expect("a session");
    assert_eq!((s.flow.as_str(), s.recipient.as_str()), ("1234567890", WA_ID));
    assert_eq!(s.phone_number_id, PHONE);
    assert_eq!(s.request_id.as_deref(), Some("f1"));
    assert_eq!(s.state, STATE_ISSUED);
    assert!(s.valid_until > T0);

    let rec = e.record("f1").await.expect("record");
    assert_eq!(rec.get_str("flow_token"), Some(token.as_str()));
    assert_eq!(sessions(&e).len(), 1);
}

#[tokio::test]
async fn a_flow_name_binds_the_session_to_the_name() {
    let e = probe_env();
    e.user_wrote(PHONE, 60).await;
    let mut v: Value = serde_json::from_str(&flow_request("f-name", None)).expect("JSON");
    let params = &mut v["message"]["interactive"]["action"]["parameters"];
    if let Some(p) = params.as_object_mut() {
        p.remove("flow_id");
        p.insert("flow_name".into(), Value::from("book_table"));
    }
    assert!(matches!(e.run(&v.to_string()).await, Outcome::Accepted { .. }));
    let all = sessions(&e);
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].get_str("flow"), Some("book_table"));
}

#[tokio::test]
async fn a_caller_supplied_token_is_kept() {
    let e = probe_env();
    e.user_wrote(PHONE, 60).await;
    let out = e.run(&flow_request("f2", Some("tok-42"))).await;
    assert!(matches!(out, Outcome::Accepted { .. }), "{out:?}");
    assert_eq!(e.worker.messaging.seen(), vec![(Some("tok-42".to_string()), true)]);
    let item = session(&e, "tok-42").await.expect("session under the caller's token");
    assert_eq!(item.get_str("recipient"), Some(WA_ID));
    assert_eq!(item.get_str("flow"), Some("1234567890"));
    assert_eq!(
        e.record("f2").await.and_then(|r| r.get_str("flow_token").map(str::to_string)).as_deref(),
        Some("tok-42")
    );
    assert_eq!(sessions(&e).len(), 1);
}

#[tokio::test]
async fn a_redelivered_request_issues_no_second_session_and_sends_once() {
    let e = probe_env();
    e.user_wrote(PHONE, 60).await;
    assert!(matches!(e.run(&flow_request("f3", None)).await, Outcome::Accepted { .. }));
    let first = sessions(&e);
    assert_eq!(first.len(), 1);
    let again = e.run(&flow_request("f3", None)).await;
    assert_eq!(again, Outcome::Duplicate { request_id: "f3".into(), state: "accepted".into() });
    assert_eq!(e.worker.messaging.seen().len(), 1, "sent once");
    assert_eq!(sessions(&e), first, "no second session, the first untouched");
}

#[tokio::test]
async fn a_retry_after_a_throttle_sends_the_same_token_and_reuses_its_session() {
    let e = probe_env();
    e.worker.messaging.sandbox.fail_next(MessagingError::answered(
        "ThrottledRequestException",
        "Rate exceeded",
        Some(429),
    ));
    e.user_wrote(PHONE, 60).await;
    assert!(matches!(e.run(&flow_request("f4", None)).await, Outcome::Retry { .. }));
    assert!(matches!(e.run(&flow_request("f4", None)).await, Outcome::Accepted { .. }));
    let seen = e.worker.messaging.seen();
    assert_eq!(seen.len(), 2, "one throttled call, one accepted");
    assert!(seen.iter().all(|(_, existed)| *existed));
    assert!(seen[0].0.is_some());
    assert_eq!(seen[0].0, seen[1].0, "the retry sends the token the first attempt issued");
    assert_eq!(sessions(&e).len(), 1);
    assert_eq!(e.worker.messaging.sandbox.sends().len(), 1);
}

#[tokio::test]
async fn a_session_write_failure_sends_nothing_and_the_retry_sends_once() {
    let e = probe_env();
    e.user_wrote(PHONE, 60).await;
    e.store.faults().fail_key("FLOW#");
    let out = e.run(&flow_request("f5", None)).await;
    assert!(matches!(out, Outcome::Retry { .. }), "{out:?}");
    assert!(e.worker.messaging.seen().is_empty(), "no session, no call");
    assert_eq!(e.record("f5").await.and_then(|r| r.get_str("state").map(str::to_string)).as_deref(), Some("retrying"));
    e.store.faults().clear();
    assert!(matches!(e.run(&flow_request("f5", None)).await, Outcome::Accepted { .. }));
    let seen = e.worker.messaging.seen();
    assert_eq!(seen.len(), 1);
    assert!(seen[0].1);
    assert_eq!(sessions(&e).len(), 1);
}

#[tokio::test]
async fn a_caller_token_bound_to_another_request_is_refused() {
    let e = probe_env();
    e.user_wrote(PHONE, 60).await;
    assert!(matches!(e.run(&flow_request("f6", Some("shared-tok"))).await, Outcome::Accepted { .. }));
    let before = sessions(&e);
    let out = e.run(&flow_request("f7", Some("shared-tok"))).await;
    let Outcome::Rejected { rule, .. } = &out else { panic!("{out:?}") };
    assert_eq!(rule, "invalid");
    assert_eq!(e.worker.messaging.seen().len(), 1, "nothing sent for the second request");
    assert_eq!(sessions(&e), before, "the first session untouched");
}

#[tokio::test]
async fn other_messages_get_no_session() {
    let e = probe_env();
    e.user_wrote(PHONE, 60).await;
    assert!(matches!(e.run(&text("t1")).await, Outcome::Accepted { .. }));
    assert!(sessions(&e).is_empty());
    assert_eq!(e.record("t1").await.and_then(|r| r.get_str("flow_token").map(str::to_string)), None);
    assert_eq!(e.worker.messaging.seen(), vec![(None, false)]);
}
