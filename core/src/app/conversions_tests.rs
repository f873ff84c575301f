use std::collections::VecDeque;
use std::sync::Mutex;

use serde_json::json;

use super::*;
use crate::domain::events::Envelope;
use crate::memory::{MemoryStore, Sandbox};

const PHONE: &str = "106540352242922";
const WABA: &str = "102290129340398";
const WABA_ARN: &str = "arn:aws:social-messaging:ap-south-1:123456789012:waba/abc";
const CLICKED: i64 = 1_758_172_294;

fn at(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(secs).unwrap()
}

/// A store with the phone registry, one order to +919876543210 and (optionally) its ad click.
fn store(click: bool) -> MemoryStore {
    let reg = keys::phone(PHONE);
    let order = keys::payment("order-1");
    let mut items = vec![
        Item::new(reg.pk, reg.sk).with("waba_id", WABA).with("waba_arn", WABA_ARN),
        Item::new(order.pk, order.sk)
            .with("to", "+919876543210")
            .with("phone_number_id", PHONE)
            .with("currency", "INR"),
    ];
    if click {
        let k = keys::ctwa_click(PHONE, "919876543210");
        items.push(
            Item::new(k.pk, k.sk)
                .with("ctwa_clid", "clid-1")
                .with("clicked_at", CLICKED)
                .with("waba_id", WABA)
                .with("source_id", "ad-7")
                .with("source_type", "ad"),
        );
    }
    MemoryStore::from_items(items)
}

fn captured(secs: i64) -> DomainEvent {
    let fields = json!({"reference_id": "order-1", "amount": 45_000, "currency": "INR", "source": "webhook",
                        "kind": "india_gateway", "transaction": {"id": "t1", "updated_timestamp": secs}});
    let common = Envelope { event_id: "e1".into(), occurred_at: at(secs + 5), waba_id: WABA, phone_number_id: PHONE };
    DomainEvent::new(EventType::PaymentCaptured, common, fields.as_object().unwrap().clone())
}

fn calls(s: &Sandbox, op: &str) -> Vec<crate::memory::EumCall> {
    s.calls().into_iter().filter(|c| c.operation == op).collect()
}

#[tokio::test]
async fn a_purchase_after_an_ad_click_is_reported_once_with_its_value() {
    let (store, api) = (store(true), std::sync::Arc::new(Sandbox::new()));
    let c = Conversions::new(api.clone(), Rules::default());
    let e = captured(CLICKED + 3600);
    let out = c.handle(&store, &e, at(CLICKED + 3700)).await.unwrap();
    assert_eq!(out, vec![Outcome::Sent { event_name: "Purchase".into(), ctwa_clid: "clid-1".into() }]);
    let sent = calls(&api, "SendWhatsAppConversionEvent");
    assert_eq!(sent.len(), 1);
    let data = &sent[0].input["eventData"]["data"][0];
    assert_eq!(data["user_data"], json!({"whatsapp_business_account_id": WABA, "ctwa_clid": "clid-1"}));
    assert_eq!(data["custom_data"], json!({"currency": "INR", "value": 450.0}));
    assert_eq!((data["event_name"].as_str(), data["event_time"].as_i64()), (Some("Purchase"), Some(CLICKED + 3600)));
    assert_eq!(data["event_id"], json!(conversion_event_id("clid-1", "Purchase", "order-1")));
    assert_eq!(sent[0].input["id"], WABA_ARN, "EUM is called with the WABA's ARN from the registry");
    // Redelivered: the claim says sent; nothing goes to EUM again, and the dataset is cached.
    assert_eq!(c.handle(&store, &e, at(CLICKED + 3800)).await.unwrap(), vec![Outcome::Duplicate]);
    assert_eq!(calls(&api, "SendWhatsAppConversionEvent").len(), 1);
    assert_eq!(calls(&api, "CreateWhatsAppDataset").len(), 1);
    let listed = list(&store).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].get_str("state"), listed[0].get_str("ad_source_id")), (Some("sent"), Some("ad-7")));
}

#[tokio::test]
async fn only_clicks_inside_the_attribution_window_count() {
    let api = std::sync::Arc::new(Sandbox::new());
    let c = Conversions::new(api.clone(), Rules::default());
    let late = captured(CLICKED + ATTRIBUTION_WINDOW_SECS + 1);
    assert_eq!(c.handle(&store(true), &late, at(0)).await.unwrap(), vec![Outcome::OutsideWindow]);
    let before = captured(CLICKED - 1);
    assert_eq!(c.handle(&store(true), &before, at(0)).await.unwrap(), vec![Outcome::OutsideWindow]);
    let on_edge = captured(CLICKED + ATTRIBUTION_WINDOW_SECS);
    assert!(matches!(c.handle(&store(true), &on_edge, at(0)).await.unwrap()[0], Outcome::Sent { .. }));
    // A contact who came from no ad: nothing to report, nothing called.
    let api = std::sync::Arc::new(Sandbox::new());
    let c = Conversions::new(api.clone(), Rules::default());
    assert_eq!(c.handle(&store(false), &captured(CLICKED), at(0)).await.unwrap(), vec![Outcome::NoClick]);
    assert!(api.calls().is_empty());
}

#[tokio::test]
async fn a_flow_rule_reports_only_its_flow() {
    let rules =
        Rules::parse(r#"[{"on": "whatsapp.flow.completed", "event_name": "LeadSubmitted", "flow": "lead-form"}]"#)
            .unwrap();
    let api = std::sync::Arc::new(Sandbox::new());
    let c = Conversions::new(api.clone(), rules);
    let store = store(true);
    for (token, flow) in [("tok-a", "lead-form"), ("tok-b", "survey")] {
        let k = keys::flow_session(token);
        store.write(Write::put(Item::new(k.pk, k.sk).with("flow", flow))).await.unwrap();
    }
    let reply = |token: &str, wamid: &str| {
        let fields = json!({"wamid": wamid, "from": "919876543210", "flow_token": token, "response": {}});
        let common =
            Envelope { event_id: wamid.into(), occurred_at: at(CLICKED + 60), waba_id: WABA, phone_number_id: PHONE };
        DomainEvent::new(EventType::FlowCompleted, common, fields.as_object().unwrap().clone())
    };
    assert_eq!(c.handle(&store, &reply("tok-b", "wamid.B"), at(0)).await.unwrap(), vec![Outcome::OtherFlow]);
    let out = c.handle(&store, &reply("tok-a", "wamid.A"), at(0)).await.unwrap();
    assert_eq!(out, vec![Outcome::Sent { event_name: "LeadSubmitted".into(), ctwa_clid: "clid-1".into() }]);
    let data = &calls(&api, "SendWhatsAppConversionEvent")[0].input["eventData"]["data"][0];
    assert_eq!(data["custom_data"], json!({}), "a lead has no value");
    // Not a captured payment: the default rules ignore flow replies.
    assert!(!Conversions::new(Sandbox::new(), Rules::default()).wants(EventType::FlowCompleted));
}

#[tokio::test]
async fn an_order_sent_to_a_contact_from_an_ad_is_an_initiate_checkout_with_its_total() {
    let rules = Rules::parse(r#"[{"on": "whatsapp.send.accepted", "event_name": "InitiateCheckout"}]"#).unwrap();
    let api = std::sync::Arc::new(Sandbox::new());
    let c = Conversions::new(api.clone(), rules);
    let store = store(true);
    let k = keys::payment("order-1");
    store
        .write(Write::Update {
            pk: k.pk,
            sk: k.sk,
            updates: vec![Update::Set("total".into(), 110_000.into())],
            cond: None,
        })
        .await
        .unwrap();
    let accepted = |reference: Option<&str>| {
        let mut fields = json!({"request_id": "r-1", "wa_id": "919876543210", "message_type": "interactive.order_details",
                                "eum_message_id": "m-1", "attempts": 1});
        if let Some(r) = reference {
            fields["order_reference_id"] = json!(r);
        }
        let common =
            Envelope { event_id: "e".into(), occurred_at: at(CLICKED + 60), waba_id: WABA, phone_number_id: PHONE };
        DomainEvent::new(EventType::SendAccepted, common, fields.as_object().unwrap().clone())
    };
    let out = c.handle(&store, &accepted(Some("order-1")), at(CLICKED + 61)).await.unwrap();
    assert_eq!(out, vec![Outcome::Sent { event_name: "InitiateCheckout".into(), ctwa_clid: "clid-1".into() }]);
    let data = &calls(&api, "SendWhatsAppConversionEvent")[0].input["eventData"]["data"][0];
    assert_eq!(data["custom_data"], json!({"currency": "INR", "value": 1100.0}));
    assert_eq!(data["event_id"], json!(conversion_event_id("clid-1", "InitiateCheckout", "order-1")));
    // Once per order; a send that names no order (or an unknown one) reports nothing.
    assert_eq!(c.handle(&store, &accepted(Some("order-1")), at(0)).await.unwrap(), vec![Outcome::Duplicate]);
    assert_eq!(c.handle(&store, &accepted(None), at(0)).await.unwrap(), vec![Outcome::NoClick]);
    assert_eq!(c.handle(&store, &accepted(Some("order-9")), at(0)).await.unwrap(), vec![Outcome::NoClick]);
    assert_eq!(calls(&api, "SendWhatsAppConversionEvent").len(), 1);
}

/// Answers the queued results, then succeeds.
struct Scripted {
    send: Mutex<VecDeque<Result<String, MessagingError>>>,
    payloads: Mutex<Vec<Value>>,
}

impl ConversionsApi for Scripted {
    async fn create_dataset(&self, _: &str) -> Result<String, MessagingError> {
        Ok("1234567890".into())
    }
    async fn send_conversion_events(&self, _: &str, _: &str, payload: &[u8]) -> Result<String, MessagingError> {
        self.payloads.lock().unwrap().push(serde_json::from_slice(payload).unwrap());
        self.send.lock().unwrap().pop_front().unwrap_or(Ok("req".into()))
    }
}

#[tokio::test]
async fn a_lost_answer_is_sent_again_with_the_same_event_id_and_a_refusal_is_kept() {
    let api = Scripted {
        send: Mutex::new(VecDeque::from([Err(MessagingError::unknown("Timeout", "no answer"))])),
        payloads: Mutex::default(),
    };
    let c = Conversions::new(api, Rules::default());
    let (store, e) = (store(true), captured(CLICKED + 10));
    let err = c.handle(&store, &e, at(0)).await.unwrap_err();
    assert!(err.is_transient(), "{err}");
    let claim = keys::conversion("clid-1", "Purchase", "order-1");
    assert_eq!(store.get(&claim.pk, &claim.sk).await.unwrap().unwrap().get_str("state"), Some("claimed"));
    assert!(matches!(c.handle(&store, &e, at(0)).await.unwrap()[0], Outcome::Sent { .. }));
    let p = c.api.payloads.lock().unwrap().clone();
    assert_eq!(p.len(), 2);
    assert_eq!(p[0]["data"][0]["event_id"], p[1]["data"][0]["event_id"], "Meta deduplicates the resend");

    // A permanent refusal is recorded with its reason and never retried.
    let api = Scripted {
        send: Mutex::new(VecDeque::from([Err(MessagingError::answered(
            "ValidationException",
            "(#100) Invalid parameter",
            Some(400),
        ))])),
        payloads: Mutex::default(),
    };
    let c = Conversions::new(api, Rules::default());
    let store = self::store(true);
    let out = c.handle(&store, &e, at(0)).await.unwrap();
    assert!(matches!(&out[0], Outcome::Failed { reason } if reason.contains("ValidationException")), "{out:?}");
    assert!(matches!(c.handle(&store, &e, at(0)).await.unwrap()[0], Outcome::Failed { .. }));
    assert_eq!(c.api.payloads.lock().unwrap().len(), 1, "not sent again");
}

#[tokio::test]
async fn a_number_without_a_known_waba_arn_is_refused_with_its_reason() {
    let api = std::sync::Arc::new(Sandbox::new());
    let c = Conversions::new(api.clone(), Rules::default());
    let store = store(true);
    let reg = keys::phone(PHONE);
    store.write(Write::put(Item::new(reg.pk, reg.sk).with("waba_id", WABA))).await.unwrap();
    let out = c.handle(&store, &captured(CLICKED + 1), at(0)).await.unwrap();
    assert!(matches!(&out[0], Outcome::Failed { reason } if reason.contains("phone registry")), "{out:?}");
    assert!(api.calls().is_empty());
}

#[test]
fn rules_name_the_field_at_fault() {
    let field = |t: &str| match Rules::parse(t) {
        Err(ConversionsError::Invalid { field, .. }) => field,
        other => panic!("{other:?}"),
    };
    assert_eq!(field(r#"[{"on": "whatsapp.message.received", "event_name": "Lead"}]"#), "[0].on");
    assert_eq!(
        field(
            r#"[{"on": "whatsapp.payment.captured", "event_name": "Purchase"}, {"on": "whatsapp.payment.captured", "event_name": "no spaces"}]"#
        ),
        "[1].event_name"
    );
    assert_eq!(field(r#"[{"on": "whatsapp.payment.captured", "event_name": "Purchase", "flow": "x"}]"#), "[0].flow");
    assert_eq!(field("{}"), "WAPIPE_CONVERSIONS");
    assert!(Rules::parse("[]").unwrap().is_empty());
    assert_eq!(major_units(45_000, "INR"), 450.0);
    assert_eq!(major_units(1_500, "JPY"), 1_500.0);
    assert_eq!(major_units(1_500, "KWD"), 1.5);
}
