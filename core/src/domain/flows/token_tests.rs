use super::*;
use crate::memory::MemoryStore;
use crate::ports::{Store, WriteOutcome};

fn at(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_700_000_000 + secs).unwrap()
}

fn spec() -> FlowTokenSpec<'static> {
    FlowTokenSpec {
        flow: "1234567890",
        phone_number_id: "729155140271006",
        recipient: "393462454282",
        request_id: Some("order-1"),
        wamid: None,
        token: None,
        ttl: Some(Duration::hours(1)),
    }
}

async fn session(store: &MemoryStore, token: &str) -> FlowSession {
    let k = keys::flow_session(token);
    FlowSession::from_item(&store.get(&k.pk, &k.sk).await.unwrap().unwrap()).unwrap()
}

#[test]
fn generated_tokens_are_prefixed_random_and_url_safe() {
    let a = issue_flow_token(&spec(), at(0)).unwrap();
    let b = issue_flow_token(&spec(), at(0)).unwrap();
    assert_ne!(a.token, b.token);
    assert!(a.token.starts_with(TOKEN_PREFIX) && a.token.len() == TOKEN_PREFIX.len() + 24, "{}", a.token);
    assert!(a.token.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)));
    assert_eq!(a.valid_until, at(3600));
}

#[test]
fn specs_and_caller_tokens_are_checked() {
    assert_eq!(issue_flow_token(&FlowTokenSpec { flow: " ", ..spec() }, at(0)), Err(TokenError::Missing("flow")));
    assert_eq!(
        issue_flow_token(&FlowTokenSpec { recipient: "", ..spec() }, at(0)),
        Err(TokenError::Missing("recipient"))
    );
    let long = "x".repeat(300);
    assert!(issue_flow_token(&FlowTokenSpec { token: Some(&long), ..spec() }, at(0)).is_err());
    assert!(issue_flow_token(&FlowTokenSpec { token: Some("a\nb"), ..spec() }, at(0)).is_err());
    let mine = issue_flow_token(&FlowTokenSpec { token: Some("caller-token-1"), ..spec() }, at(0)).unwrap();
    assert_eq!(mine.token, "caller-token-1");
    // No TTL (or a non-positive one) is the default.
    let d = issue_flow_token(&FlowTokenSpec { ttl: Some(Duration::ZERO), ..spec() }, at(0)).unwrap();
    assert_eq!(d.valid_until, at(0) + DEFAULT_TTL);
}

#[tokio::test]
async fn a_session_is_recorded_once_stepped_and_closed_by_success() {
    let store = MemoryStore::new();
    let issued = issue_flow_token(&spec(), at(0)).unwrap();
    assert_eq!(store.write(issued.write.clone()).await.unwrap(), WriteOutcome::Applied);
    assert_eq!(store.write(issued.write.clone()).await.unwrap(), WriteOutcome::ConditionFailed, "issued once");
    let s = session(&store, &issued.token).await;
    assert_eq!((s.flow.as_str(), s.state.as_str(), s.request_id.as_deref()), ("1234567890", "issued", Some("order-1")));
    assert_eq!(s.check(at(10)), Ok(()));

    let step = Step { action: "INIT", screen: None, next_screen: "FIRST", completes: false, error: None };
    assert_eq!(store.write(record_step(&issued.token, &step, at(10))).await.unwrap(), WriteOutcome::Applied);
    let s = session(&store, &issued.token).await;
    assert_eq!((s.state.as_str(), s.steps, s.last_screen.as_deref()), ("active", 1, Some("FIRST")));

    let done =
        Step { action: "data_exchange", screen: Some("FIRST"), next_screen: "SUCCESS", completes: true, error: None };
    assert_eq!(store.write(record_step(&issued.token, &done, at(20))).await.unwrap(), WriteOutcome::Applied);
    let s = session(&store, &issued.token).await;
    assert_eq!(s.check(at(21)), Err(Refusal::Completed));
    // A reused token: the step write itself refuses, whatever the reader saw.
    assert_eq!(store.write(record_step(&issued.token, &step, at(22))).await.unwrap(), WriteOutcome::ConditionFailed);
}

#[tokio::test]
async fn an_expired_or_unknown_session_refuses_steps() {
    let store = MemoryStore::new();
    let issued = issue_flow_token(&spec(), at(0)).unwrap();
    store.write(issued.write).await.unwrap();
    let s = session(&store, &issued.token).await;
    assert_eq!(s.check(at(3600)), Err(Refusal::Expired));
    let step = Step { action: "INIT", screen: None, next_screen: "FIRST", completes: false, error: None };
    assert_eq!(store.write(record_step(&issued.token, &step, at(3600))).await.unwrap(), WriteOutcome::ConditionFailed);
    assert_eq!(store.write(record_step("nope", &step, at(1))).await.unwrap(), WriteOutcome::ConditionFailed);
    assert!(store.get("FLOW#nope", "SESSION").await.unwrap().is_none(), "no session is created by a step");
}

#[tokio::test]
async fn the_reply_closes_and_links_idempotently() {
    let store = MemoryStore::new();
    let issued = issue_flow_token(&spec(), at(0)).unwrap();
    store.write(issued.write).await.unwrap();
    store.write(link_wamid(&issued.token, "wamid.OUT")).await.unwrap();
    store.write(close_from_reply(&issued.token, "wamid.IN", at(5))).await.unwrap();
    store.write(close_from_reply(&issued.token, "wamid.IN", at(9))).await.unwrap();
    let k = keys::flow_session(&issued.token);
    let item = store.get(&k.pk, &k.sk).await.unwrap().unwrap();
    assert_eq!(item.get_str("completed_at"), Some(rfc3339(at(5)).as_str()));
    assert_eq!(item.get_str("wamid"), Some("wamid.OUT"));
    assert_eq!(session(&store, &issued.token).await.check(at(6)), Err(Refusal::Completed));
    assert_eq!(store.write(close_from_reply("nope", "w", at(1))).await.unwrap(), WriteOutcome::ConditionFailed);
}
