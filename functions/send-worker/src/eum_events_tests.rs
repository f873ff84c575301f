use serde_json::json;

use super::*;

fn body(detail_type: &str, detail: Value) -> String {
    json!({"source": SOURCE, "detail-type": detail_type, "detail": detail}).to_string()
}

#[test]
fn handovers_are_read_wherever_their_fields_are() {
    // Top-level camelCase, as EUM's documented details are.
    let b = body(
        "WhatsApp Message Handover Failed",
        json!({"messageId": "m1", "bizOpaqueCallbackData": "wapipe:r1",
        "errors": [{"code": "131026", "title": "Message undeliverable"}]}),
    );
    assert_eq!(
        parse(&b).unwrap(),
        EumEvent::MessageHandover {
            succeeded: false,
            request_id: Some("r1".into()),
            eum_message_id: Some("m1".into()),
            error: Some("131026: Message undeliverable".into()),
            code: Some(131026),
        }
    );
    // Nested, snake_case, inside a relayed JSON string, with the error as a plain field.
    let relayed = json!({"message": {"biz_opaque_callback_data": "wapipe:r2"}}).to_string();
    let b = body(
        "WhatsApp Message Handover Failed",
        json!({"request": relayed, "message_id": "m2", "errorMessage": "blocked"}),
    );
    let EumEvent::MessageHandover { request_id, eum_message_id, error, .. } = parse(&b).unwrap() else { panic!() };
    assert_eq!(
        (request_id.as_deref(), eum_message_id.as_deref(), error.as_deref()),
        (Some("r2"), Some("m2"), Some("blocked"))
    );
    // A `detail` sent as a string is read too.
    let b = json!({"source": SOURCE, "detail-type": "WhatsApp Message Handover Succeeded",
                   "detail": json!({"bizOpaqueCallbackData": "wapipe:r3"}).to_string()})
    .to_string();
    assert!(matches!(parse(&b).unwrap(), EumEvent::MessageHandover { succeeded: true, .. }));
    // Calls are correlated by their callback data or call id.
    let b = body("WhatsApp Call Handover Failed", json!({"bizOpaqueCallbackData": "cb-1", "error": "busy"}));
    assert_eq!(
        parse(&b).unwrap(),
        EumEvent::CallHandover {
            succeeded: false,
            callback: Some("cb-1".into()),
            call_id: None,
            phone: None,
            error: Some("busy".into())
        }
    );
    // A status both feeds report names its message and status for the reconciliation; one
    // only EventBridge has does not.
    let delivered = json!({"messageId": "m", "originationPhoneNumberId": "574", "status": "delivered"});
    assert_eq!(
        parse(&body("WhatsApp Message Delivered", delivered)).unwrap(),
        EumEvent::Feed {
            detail_type: "WhatsApp Message Delivered".into(),
            status: Some("delivered"),
            eum_message_id: Some("m".into()),
            phone: Some("574".into())
        }
    );
    let undeliverable = parse(&body("WhatsApp Message Undeliverable", json!({"messageId": "m"}))).unwrap();
    assert!(matches!(undeliverable, EumEvent::Feed { status: None, .. }));
}

#[test]
fn what_cannot_be_read_says_why() {
    let why = |b: &str| parse(b).unwrap_err();
    assert!(why("nope").contains("not JSON"));
    assert!(why(&json!({"source": "wapipe", "detail-type": "x", "detail": {}}).to_string()).contains("source"));
    assert!(why(&json!({"source": SOURCE, "detail": {}}).to_string()).contains("detail-type"));
    assert!(why(&json!({"source": SOURCE, "detail-type": "WhatsApp Message Sent"}).to_string()).contains("detail"));
    assert!(why(&body("WhatsApp Something New", json!({}))).contains("WhatsApp Something New"));
    let other_sender =
        body("WhatsApp Message Handover Failed", json!({"messageId": "m", "bizOpaqueCallbackData": "crm:9"}));
    assert!(why(&other_sender).contains("cannot find the request"));
    assert!(why(&body("WhatsApp Call Handover Succeeded", json!({}))).contains("call id"));
    assert!(is_eum_event(&body("WhatsApp Message Sent", json!({}))));
    assert!(!is_eum_event(r#"{"request_id": "aws.social-messaging"}"#));
}

#[test]
fn a_call_handover_lands_on_its_call_record_when_it_names_the_number_and_the_call() {
    let b = body(
        "WhatsApp Call Handover Failed",
        json!({"originationPhoneNumberId": "1065", "callId": "wacid.A",
        "bizOpaqueCallbackData": "cb-2", "errors": [{"code": 138006, "title": "No permission"}]}),
    );
    let EumEvent::CallHandover { succeeded, callback, call_id, phone, error } = parse(&b).unwrap() else { panic!() };
    let writes = call_handover_writes(
        callback.as_deref(),
        call_id.as_deref(),
        phone.as_deref(),
        succeeded,
        error.as_deref(),
        "t",
    );
    assert_eq!(writes.len(), 2);
    let call = keys::call("1065", "wacid.A");
    assert!(
        matches!(&writes[1], Write::Update { pk, sk, updates, .. } if *pk == call.pk && *sk == call.sk
            && updates.contains(&Update::Set("handover_error".into(), "138006: No permission".into()))),
        "{writes:?}"
    );
    // Without the call id only the callback's record is kept.
    assert_eq!(call_handover_writes(Some("cb"), None, Some("1065"), true, None, "t").len(), 1);
}
