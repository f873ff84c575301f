//! `wapipe payments` on local state: an order_details send creates the order, the sample
//! captured webhook settles it, a partial refund goes to the manual gateway, `refund-done`
//! completes it, and a refund over the remaining amount is refused with its reason.
//!
//! Conversions: an inbound message from an ad click, then that order and its captured payment,
//! leave exactly one `SendWhatsAppConversionEvent` among the sandbox's calls, carrying the click
//! id, the value and the currency; replaying both again adds none.

use std::path::Path;

use serde_json::Value;

mod support;
use support::{json_of, root, wapipe};

/// Send the order of the sample captured payment webhook (order-4521, 450.00 INR); the order exists after.
fn send_order_4521(dir: &Path, state: &Path) {
    send_order_4521_with(dir, state, None);
}

/// The same, with `WAPIPE_CONVERSIONS` set to `rules` when given.
fn send_order_4521_with(dir: &Path, state: &Path, rules: Option<&str>) {
    let mut req: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("examples/send/order-details.json")).unwrap())
            .unwrap();
    let p = &mut req["message"]["interactive"]["action"]["parameters"];
    p["reference_id"] = "order-4521".into();
    p["total_amount"]["value"] = 45_000.into();
    p["order"]["subtotal"]["value"] = 44_900.into();
    p["order"]["items"][0]["amount"]["value"] = 44_900.into();
    p["order"]["items"][0]["sale_amount"]["value"] = 44_900.into();
    let file = dir.join("order.json");
    std::fs::write(&file, req.to_string()).unwrap();
    let args = ["send", "--file", file.to_str().unwrap(), "--open-window", "--wait", "2"];
    let (code, out, err) = match rules {
        None => wapipe(state, &args),
        Some(rules) => {
            let o = std::process::Command::new(env!("CARGO_BIN_EXE_wapipe"))
                .arg("--state")
                .arg(state)
                .args(args)
                .env_remove("WAPIPE_RAZORPAY_KEY")
                .env("WAPIPE_CONVERSIONS", rules)
                .output()
                .unwrap();
            let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
            (o.status.code().unwrap_or(-1), text(&o.stdout), text(&o.stderr))
        }
    };
    assert_eq!(code, 0, "{out}{err}");
    let (code, _, _) = wapipe(state, &["payments", "show", "order-4521"]);
    assert_eq!(code, 0, "the send created the order");
}

#[test]
fn an_order_is_paid_refunded_and_shown_with_its_ledger() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = std::env::temp_dir().join(format!("wapipe-payments-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let state = dir.join("state.json");
    let _ = std::fs::remove_file(&state);
    // The sample webhook pays 450.00 INR for order-4521: send that order first.
    send_order_4521(&dir, &state);
    let webhook = root.join("events/example-sqs-eum-status-payment.json");
    assert_eq!(wapipe(&state, &["replay", webhook.to_str().unwrap()]).0, 0);
    let (code, out, err) = wapipe(&state, &["payments", "refund", "order-4521", "--amount", "15000", "--key", "k1"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("submitted"), "{out}");
    let (code, _, err) = wapipe(&state, &["payments", "refund", "order-4521", "--amount", "30001", "--key", "k2"]);
    assert_eq!(code, 3);
    assert!(err.contains("refund_exceeds_remaining"), "{err}");
    assert_eq!(wapipe(&state, &["payments", "refund-done", "order-4521", "--key", "k1"]).0, 0);

    let (code, out, _) = wapipe(&state, &["payments", "show", "order-4521", "--json"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!((v["state"].clone(), v["currency"].clone()), ("captured".into(), "INR".into()));
    assert_eq!(
        (v["captured"].as_i64(), v["refunded"].as_i64(), v["remaining"].as_i64()),
        (Some(45_000), Some(15_000), Some(30_000))
    );
    assert_eq!(v["refunds"][0]["key"], "k1");
    assert_eq!(
        (v["refunds"][0]["amount"].as_i64(), v["refunds"][0]["state"].as_str()),
        (Some(15_000), Some("completed"))
    );
    let (_, listed, _) = wapipe(&state, &["payments", "list", "captured", "--json"]);
    assert!(listed.contains("order-4521"), "{listed}");
    assert_eq!(wapipe(&state, &["payments", "show", "nope"]).0, 4);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_ad_click_then_a_captured_order_reports_one_purchase() {
    let dir = std::env::temp_dir().join(format!("wapipe-conversions-{}", std::process::id()));
    let _fresh = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let state = dir.join("s.json");
    let referral = root().join("events/example-sqs-eum-referral.json");
    let payment = root().join("events/example-sqs-eum-status-payment.json");
    let (referral, payment) = (referral.to_str().unwrap(), payment.to_str().unwrap());
    assert_eq!(wapipe(&state, &["replay", referral]).0, 0);
    send_order_4521(&dir, &state);
    assert_eq!(wapipe(&state, &["replay", payment]).0, 0);

    let op = ["sandbox", "calls", "--op", "SendWhatsAppConversionEvent", "--json"];
    let calls = json_of(&state, &op);
    assert_eq!(calls["count"], 1, "{calls}");
    let data = &calls["calls"][0]["input"]["eventData"]["data"][0];
    let clid = "ARAkLkA8rmlFeiCktEJQ-QTwRiyYHAFDLMNDBH0CD3qpjd0HR4irJ6LEkR7JwFF4XvnO2E4Nx0-eM-GABDLOPaOdRMv";
    assert_eq!(data["user_data"]["ctwa_clid"], clid);
    assert_eq!(
        (data["custom_data"]["value"].as_f64(), data["custom_data"]["currency"].as_str()),
        (Some(450.0), Some("INR"))
    );
    assert_eq!(
        (data["event_name"].as_str(), data["action_source"].as_str()),
        (Some("Purchase"), Some("business_messaging"))
    );
    // The order itself went through the sandbox too, and the dataset was created once.
    let all = json_of(&state, &["sandbox", "calls", "--json"]);
    let ops: Vec<&str> = all["calls"].as_array().unwrap().iter().map(|c| c["operation"].as_str().unwrap()).collect();
    assert_eq!(ops, ["SendWhatsAppMessage", "CreateWhatsAppDataset", "SendWhatsAppConversionEvent"]);

    // Both replayed again: no second conversion.
    assert_eq!(wapipe(&state, &["replay", referral, payment]).0, 0);
    assert_eq!(json_of(&state, &op)["count"], 1);
    let listed = json_of(&state, &["conversions", "list", "--json"]);
    assert_eq!(listed["count"], 1);
    assert_eq!(
        (listed["conversions"][0]["state"].as_str(), listed["conversions"][0]["source_id"].as_str()),
        (Some("sent"), Some("order-4521"))
    );
    let shown = json_of(&state, &["conversions", "show", clid, "--json"]);
    assert_eq!(shown["conversions"][0]["event_name"], "Purchase");
    assert_eq!(wapipe(&state, &["conversions", "show", "no-such-click"]).0, 4);

    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_order_sent_to_a_contact_from_an_ad_reports_one_initiate_checkout() {
    let dir = std::env::temp_dir().join(format!("wapipe-checkout-{}", std::process::id()));
    let _fresh = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let state = dir.join("s.json");
    // The sample's ad click, made a minute ago: an order sent now is inside its 7-day window.
    let sample = std::fs::read_to_string(root().join("events/example-sqs-eum-referral.json")).unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    assert!(sample.contains("1758172294"), "the sample's message timestamp");
    let referral = dir.join("referral.json");
    std::fs::write(&referral, sample.replace("1758172294", &(now - 60).to_string())).unwrap();
    assert_eq!(wapipe(&state, &["replay", referral.to_str().unwrap()]).0, 0);
    let rules = r#"[{"on": "whatsapp.send.accepted", "event_name": "InitiateCheckout"}]"#;
    send_order_4521_with(&dir, &state, Some(rules));
    let op = ["sandbox", "calls", "--op", "SendWhatsAppConversionEvent", "--json"];
    let calls = json_of(&state, &op);
    assert_eq!(calls["count"], 1, "{calls}");
    let data = &calls["calls"][0]["input"]["eventData"]["data"][0];
    assert_eq!(data["event_name"], "InitiateCheckout");
    assert_eq!(
        (data["custom_data"]["value"].as_f64(), data["custom_data"]["currency"].as_str()),
        (Some(450.0), Some("INR"))
    );
    // The same order sent again (a redelivered request): still one.
    send_order_4521_with(&dir, &state, Some(rules));
    assert_eq!(json_of(&state, &op)["count"], 1);
    let _ = std::fs::remove_dir_all(&dir);
}
