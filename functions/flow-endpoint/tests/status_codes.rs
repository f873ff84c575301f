//! Every status code of docs/PROTOCOL.md §4.5 and the ones around it, each from its own cause.

mod support;

use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};
use support::*;
use time::Duration;
use wapipe_core::domain::flows::token_signature::sign_token_signature;
use wapipe_core::memory::MemoryStore;

fn ping() -> Value {
    json!({"version": "3.0", "action": "ping"})
}

#[tokio::test]
async fn ping_answers_active_encrypted_with_the_flipped_iv() {
    let store = Arc::new(MemoryStore::new());
    let (status, body) = call(&endpoint(&store), ping()).await;
    assert_eq!((status, body), (200, json!({"data": {"status": "active"}})));
}

#[tokio::test]
async fn status_421_when_the_request_is_encrypted_to_another_key_or_altered() {
    let store = Arc::new(MemoryStore::new());
    let ep = endpoint(&store);
    let (body, _) = encrypt(&previous_public(), &ping());
    assert_eq!(ep.handle(&post(&body, true)).await.status, 421, "a key the endpoint does not hold");
    // One bit of the ciphertext changed (and re-signed, as a proxy could): still 421.
    let (body, _) = encrypt(&current_public(), &ping());
    let mut v: Value = serde_json::from_slice(&body).unwrap();
    let mut data = STANDARD.decode(v["encrypted_flow_data"].as_str().unwrap()).unwrap();
    data[0] ^= 0x80;
    v["encrypted_flow_data"] = STANDARD.encode(data).into();
    let res = ep.handle(&post(v.to_string().as_bytes(), true)).await;
    assert_eq!(res.status, 421);
    assert!(!res.body.contains("ping"), "nothing of the request is echoed");
}

#[tokio::test]
async fn status_432_when_the_signature_is_missing_or_wrong_and_an_app_secret_is_set() {
    let store = Arc::new(MemoryStore::new());
    let ep = endpoint(&store);
    let (body, _) = encrypt(&current_public(), &ping());
    assert_eq!(ep.handle(&post(&body, false)).await.status, 432, "missing");
    let mut wrong = post(&body, true);
    wrong.headers.insert("x-hub-signature-256".into(), format!("sha256={}", "0".repeat(64)));
    assert_eq!(ep.handle(&wrong).await.status, 432, "wrong");
    let mut tampered = post(&body, true);
    tampered.body.push(b' ');
    assert_eq!(ep.handle(&tampered).await.status, 432, "body changed after signing");
    // Without an app secret the signature is not required.
    let unsigned = endpoint_at(&store, t0(), false, false);
    assert_eq!(unsigned.handle(&post(&body, false)).await.status, 200);
}

#[tokio::test]
async fn status_427_for_unknown_missing_expired_and_completed_tokens_with_an_encrypted_error_msg() {
    let store = Arc::new(MemoryStore::new());
    let ep = endpoint(&store);
    let init = |t: Option<&str>| json!({"version": "3.0", "action": "INIT", "flow_token": t});
    let (status, body) = call(&ep, init(Some("never-issued"))).await;
    assert_eq!(status, 427);
    assert!(body["error_msg"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
    assert_eq!(call(&ep, init(None)).await.0, 427, "no token at all");

    // Expired: issued for an hour, used two hours later; the flow's own message is shown.
    let token = session(&store, "appointment", Duration::hours(1)).await;
    let later = endpoint_at(&store, t0() + Duration::hours(2), false, true);
    let (status, body) = call(&later, init(Some(&token))).await;
    assert_eq!(status, 427);
    assert_eq!(body["error_msg"], "This booking form has expired. Please ask us for a new one.");
}

/// Flow JSON 7.3 with Data API 4.0: `flow_token_signature`, a JWT signed with the app secret
/// over the token. Another secret, another token or a past `exp` is a 427; the right one, or a
/// signature without a token claim, is answered; an endpoint without the app secret cannot check
/// it and answers.
#[tokio::test]
async fn status_427_for_a_flow_token_signature_that_is_not_the_apps_for_this_token() {
    let store = Arc::new(MemoryStore::new());
    let ep = endpoint(&store);
    let token = session(&store, "appointment", Duration::hours(1)).await;
    let init =
        |sig: String| json!({"version": "4.0", "action": "INIT", "flow_token": token, "flow_token_signature": sig});
    let exp = (t0() + Duration::minutes(10)).unix_timestamp();
    let good = sign_token_signature(SECRET, &json!({"flow_token": token, "exp": exp}));
    assert_eq!(call(&ep, init(good.clone())).await.0, 200);
    let no_claim = sign_token_signature(SECRET, &json!({"exp": exp}));
    assert_eq!(call(&ep, init(no_claim)).await.0, 200, "the claim name is unverified: accepted");
    let refused = [
        ("another secret", sign_token_signature(b"someone else", &json!({"flow_token": token}))),
        ("another token", sign_token_signature(SECRET, &json!({"flow_token": "stolen"}))),
        ("expired", sign_token_signature(SECRET, &json!({"flow_token": token, "exp": t0().unix_timestamp() - 1}))),
        ("not a JWT", "abc".to_string()),
    ];
    for (why, sig) in refused {
        let (status, body) = call(&ep, init(sig)).await;
        assert_eq!(status, 427, "{why}");
        assert!(body["error_msg"].as_str().is_some_and(|m| !m.is_empty()), "{why}: {body}");
    }
    let unsigned = endpoint_at(&store, t0(), false, false);
    let (body, _) = encrypt(&current_public(), &init("abc".into()));
    assert_eq!(unsigned.handle(&post(&body, false)).await.status, 200, "no app secret: nothing to check with");
}

#[tokio::test]
async fn status_400_for_bodies_of_the_wrong_shape() {
    let store = Arc::new(MemoryStore::new());
    let ep = endpoint(&store);
    let (good, _) = encrypt(&current_public(), &ping());
    let good: Value = serde_json::from_slice(&good).unwrap();
    let mut cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("not JSON", b"hello".to_vec()),
        ("a JSON array", b"[]".to_vec()),
        ("a field missing", json!({"encrypted_flow_data": "AA==", "initial_vector": "AA=="}).to_string().into_bytes()),
        (
            "a field not a string",
            json!({"encrypted_flow_data": 1, "encrypted_aes_key": "AA==", "initial_vector": "AA=="})
                .to_string()
                .into_bytes(),
        ),
    ];
    let mut bad_b64 = good.clone();
    bad_b64["encrypted_aes_key"] = "%%%".into();
    cases.push(("not base64", bad_b64.to_string().into_bytes()));
    let mut short_iv = good.clone();
    short_iv["initial_vector"] = STANDARD.encode([7u8; 12]).into();
    cases.push(("a 12-byte IV", short_iv.to_string().into_bytes()));
    for (what, body) in cases {
        assert_eq!(ep.handle(&post(&body, true)).await.status, 400, "{what}");
    }
    // Decrypted, but not a flow request.
    for plain in
        [json!({"version": "3.0"}), json!({"action": "dance"}), json!({"action": "INIT", "data": [1]}), json!("x")]
    {
        assert_eq!(call(&ep, plain.clone()).await.0, 400, "{plain}");
    }
}

#[tokio::test]
async fn other_methods_and_oversized_bodies_are_refused_and_table_failures_are_503() {
    let store = Arc::new(MemoryStore::new());
    let ep = endpoint(&store);
    let mut get = post(b"", false);
    get.method = "GET".into();
    assert_eq!(ep.handle(&get).await.status, 405);
    let huge = vec![b'{'; flow_endpoint::endpoint::MAX_BODY_BYTES + 1];
    assert_eq!(ep.handle(&post(&huge, true)).await.status, 413);
    let token = session(&store, "appointment", Duration::hours(1)).await;
    store.faults().fail_next("get");
    let (status, _) = call(&ep, json!({"action": "INIT", "flow_token": token})).await;
    assert_eq!(status, 503, "the table failing is not the client's fault, nor a 500");
}

#[tokio::test]
async fn a_rotated_key_is_accepted_while_it_is_configured_as_the_previous_key() {
    let store = Arc::new(MemoryStore::new());
    let (body, cipher) = encrypt(&previous_public(), &ping());
    let rotating = endpoint_at(&store, t0(), true, true);
    let res = rotating.handle(&post(&body, true)).await;
    assert_eq!(res.status, 200);
    assert_eq!(open(&cipher, &res), json!({"data": {"status": "active"}}));
    let rotated = endpoint_at(&store, t0(), false, true);
    assert_eq!(rotated.handle(&post(&body, true)).await.status, 421, "once the previous key is dropped");
    // The current key works on both.
    let (body, _) = encrypt(&current_public(), &ping());
    assert_eq!(rotating.handle(&post(&body, true)).await.status, 200);
}
