//! Each action through the shipped `flows/appointment.json` definition, end to end (encrypted,
//! signed), and a flow written in code.

mod support;

use std::sync::Arc;

use flow_endpoint::{BoxFuture, Flow, FlowError, Reply, StepInput};
use serde_json::{json, Map, Value};
use support::*;
use time::Duration;
use wapipe_core::domain::flows::token::FlowSession;
use wapipe_core::domain::keys;
use wapipe_core::memory::MemoryStore;
use wapipe_core::ports::{Item, Store, Write};

fn req(action: &str, screen: &str, token: &str, data: Value) -> Value {
    json!({"version": "3.0", "action": action, "screen": screen, "flow_token": token, "data": data})
}

async fn session_of(store: &MemoryStore, token: &str) -> FlowSession {
    let k = keys::flow_session(token);
    FlowSession::from_item(&store.get(&k.pk, &k.sk).await.unwrap().unwrap()).unwrap()
}

#[tokio::test]
async fn the_appointment_flow_from_init_to_success_then_the_token_is_dead() {
    let store = Arc::new(MemoryStore::new());
    let ep = endpoint(&store);
    let token = session(&store, "appointment", Duration::hours(1)).await;

    // INIT: the first screen, departments from the default (nothing in the table yet).
    let (status, body) = call(&ep, req("INIT", "", &token, json!({}))).await;
    assert_eq!(status, 200);
    assert_eq!(body["screen"], "APPOINTMENT");
    assert_eq!(body["data"]["departments"][1]["id"], "dental");

    // data_exchange without a department: same screen with the error message.
    let (_, body) = call(&ep, req("data_exchange", "APPOINTMENT", &token, json!({"date": "2025-10-01"}))).await;
    assert_eq!(body["screen"], "APPOINTMENT");
    assert_eq!(body["data"]["error_message"], "Please choose a department.");

    // With one: DETAILS, values taken from the request.
    let (_, body) =
        call(&ep, req("data_exchange", "APPOINTMENT", &token, json!({"department": "eye", "date": "2025-10-01"})))
            .await;
    assert_eq!(body, json!({"screen": "DETAILS", "data": {"department": "eye", "date": "2025-10-01"}}));

    // BACK with a rule (refresh_on_back) and without one (the same screen, no data).
    let (_, body) = call(&ep, req("BACK", "APPOINTMENT", &token, json!({}))).await;
    assert_eq!(body["data"]["greeting"], "Welcome back! Pick a department and a date.");
    let (_, body) = call(&ep, req("BACK", "DETAILS", &token, json!({}))).await;
    assert_eq!(body, json!({"screen": "DETAILS", "data": {}}));

    // DETAILS → SUMMARY: a template, and the department's title looked up in the table.
    let title = keys::flow_data("departments", "eye");
    store.write(Write::put(Item::new(title.pk, title.sk).with("title", "Eye care"))).await.unwrap();
    let details = json!({"department": "eye", "date": "2025-10-01", "name": "Ada", "email": "ada@example.com"});
    let (_, body) = call(&ep, req("data_exchange", "DETAILS", &token, details.clone())).await;
    assert_eq!(body["screen"], "SUMMARY");
    assert_eq!(body["data"]["summary"], "eye on 2025-10-01 for Ada (ada@example.com)");
    assert_eq!(body["data"]["department"], "Eye care");

    // SUMMARY → SUCCESS: the params carry the flow token; the session closes.
    let (status, body) = call(&ep, req("data_exchange", "SUMMARY", &token, details)).await;
    assert_eq!(status, 200);
    assert_eq!(body["screen"], "SUCCESS");
    let params = &body["data"]["extension_message_response"]["params"];
    assert_eq!(params["flow_token"], token.as_str());
    assert_eq!((params["name"].as_str(), params["flow"].as_str()), (Some("Ada"), Some("appointment")));
    let s = session_of(&store, &token).await;
    assert_eq!((s.state.as_str(), s.steps, s.last_screen.as_deref()), ("completed", 7, Some("SUCCESS")));

    // The token reused: 427 with the flow's message, and nothing more is recorded.
    let (status, body) = call(&ep, req("INIT", "", &token, json!({}))).await;
    assert_eq!(status, 427);
    assert_eq!(body["error_msg"], "This booking form has expired. Please ask us for a new one.");
    assert_eq!(session_of(&store, &token).await.steps, 7);
}

#[tokio::test]
async fn lookups_read_the_table() {
    let store = Arc::new(MemoryStore::new());
    let ep = endpoint(&store);
    for (id, title) in [("cardio", "Cardiology"), ("derm", "Dermatology")] {
        let k = keys::flow_data("departments", id);
        store.write(Write::put(Item::new(k.pk, k.sk).with("title", title))).await.unwrap();
    }
    let token = session(&store, "appointment", Duration::hours(1)).await;
    let (_, body) = call(&ep, req("INIT", "", &token, json!({}))).await;
    assert_eq!(
        body["data"]["departments"],
        json!([{"id": "cardio", "title": "Cardiology"}, {"id": "derm", "title": "Dermatology"}])
    );
}

#[tokio::test]
async fn error_notifications_are_acknowledged_and_recorded() {
    let store = Arc::new(MemoryStore::new());
    let ep = endpoint(&store);
    let token = session(&store, "appointment", Duration::hours(1)).await;
    let notice = json!({"error": "invalid_screen_data", "error_message": "bad date"});
    let (status, body) = call(&ep, req("data_exchange", "DETAILS", &token, notice)).await;
    assert_eq!((status, body), (200, json!({"data": {"acknowledged": true}})));
    let k = keys::flow_session(&token);
    let item = store.get(&k.pk, &k.sk).await.unwrap().unwrap();
    assert_eq!(item.get_str("last_error"), Some("invalid_screen_data"));
    // Acknowledged even with an unknown token or none (nothing to refuse: it is a report).
    let (status, _) = call(&ep, req("INIT", "", "unknown", json!({"error_key": "x"}))).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_step_the_definition_does_not_cover_is_a_400_and_an_unconfigured_flow_names_itself() {
    let store = Arc::new(MemoryStore::new());
    let ep = endpoint(&store);
    let token = session(&store, "appointment", Duration::hours(1)).await;
    assert_eq!(call(&ep, req("data_exchange", "NOPE", &token, json!({}))).await.0, 400);
    let other = session(&store, "not-configured", Duration::hours(1)).await;
    let (status, body) = call(&ep, req("INIT", "", &other, json!({}))).await;
    assert_eq!(status, 500, "a deployment problem, not bad input: {body}");
}

/// A flow in code: echoes the screen and counts the fields.
struct Echo;

impl<S: Store> Flow<S> for Echo {
    fn respond<'a>(&'a self, step: StepInput<'a>, _store: &'a S) -> BoxFuture<'a, Result<Reply, FlowError>> {
        Box::pin(async move {
            if step.data.contains_key("done") {
                let mut params = Map::new();
                params.insert("fields".into(), step.data.len().into());
                return Ok(Reply::Complete { params });
            }
            let mut data = Map::new();
            data.insert("was".into(), step.screen.into());
            data.insert("recipient".into(), step.session.recipient.clone().into());
            Ok(Reply::Screen { screen: "ECHO".into(), data })
        })
    }
}

#[tokio::test]
async fn flows_in_code_are_routed_by_flow_id() {
    let store = Arc::new(MemoryStore::new());
    let mut ep = endpoint(&store);
    ep.flows.register(&["998877"], Arc::new(Echo));
    let token = session(&store, "998877", Duration::hours(1)).await;
    let (_, body) = call(&ep, req("data_exchange", "START", &token, json!({"a": 1}))).await;
    assert_eq!(body, json!({"screen": "ECHO", "data": {"was": "START", "recipient": USER}}));
    let (_, body) = call(&ep, req("data_exchange", "ECHO", &token, json!({"done": true, "b": 2}))).await;
    assert_eq!(body["data"]["extension_message_response"]["params"], json!({"fields": 2, "flow_token": token}));
}
