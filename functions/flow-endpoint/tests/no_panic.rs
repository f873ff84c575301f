//! Whatever a client sends, the endpoint answers: never a panic, never a 500.

mod support;

use std::sync::Arc;

use proptest::prelude::*;
use serde_json::{json, Value};
use support::*;
use wapipe_core::memory::MemoryStore;

/// What the endpoint may answer to anything a client sends (500 is not among them).
const ALLOWED: &[u16] = &[200, 400, 413, 421, 427, 432];

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().build().expect("a runtime")
}

fn b64_like() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9+/]{0,400}={0,2}",
        any::<Vec<u8>>().prop_map(|b| base64::Engine::encode(&base64::engine::general_purpose::STANDARD, b)),
        ".{0,40}",
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
        prop_oneof![Just("INIT"), Just("BACK"), Just("data_exchange"), Just("ping"), Just("navigate")]
            .prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("action".to_string()),
                    Just("screen".to_string()),
                    Just("data".to_string()),
                    Just("flow_token".to_string()),
                    Just("error".to_string()),
                    "[a-z_]{1,8}"
                ],
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic_nor_500(body in any::<Vec<u8>>(), signed in any::<bool>()) {
        let store = Arc::new(MemoryStore::new());
        let ep = endpoint_at(&store, t0(), true, signed);
        let status = runtime().block_on(ep.handle(&post(&body, signed))).status;
        prop_assert!(ALLOWED.contains(&status), "status {status}");
    }

    #[test]
    fn arbitrary_encrypted_shapes_never_panic_nor_500(data in b64_like(), key in b64_like(), iv in b64_like()) {
        let store = Arc::new(MemoryStore::new());
        let ep = endpoint(&store);
        let body = json!({"encrypted_flow_data": data, "encrypted_aes_key": key, "initial_vector": iv}).to_string();
        let status = runtime().block_on(ep.handle(&post(body.as_bytes(), true))).status;
        prop_assert!(ALLOWED.contains(&status), "status {status}");
    }

    #[test]
    fn arbitrary_decrypted_requests_never_panic_nor_500(plain in json_value(), with_session in any::<bool>()) {
        let store = Arc::new(MemoryStore::new());
        let ep = endpoint(&store);
        let rt = runtime();
        let mut plain = plain;
        if with_session {
            let token = rt.block_on(session(&store, "appointment", time::Duration::hours(1)));
            if let Some(o) = plain.as_object_mut() {
                o.insert("flow_token".into(), token.into());
            }
        }
        let (status, _) = rt.block_on(call(&ep, plain));
        prop_assert!(ALLOWED.contains(&status), "status {status}");
    }
}
