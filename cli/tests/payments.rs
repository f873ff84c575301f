//! `wapipe payments` on local state: an order_details send creates the order, the sample
//! captured webhook settles it, a partial refund goes to the manual gateway, `refund-done`
//! completes it, and a refund over the remaining amount is refused with its reason.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn wapipe(state: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_wapipe"))
        .arg("--state")
        .arg(state)
        .args(args)
        .env_remove("WAPIPE_RAZORPAY_KEY")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn an_order_is_paid_refunded_and_shown_with_its_ledger() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = std::env::temp_dir().join(format!("wapipe-payments-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let state = dir.join("state.json");
    let _ = std::fs::remove_file(&state);
    // The sample webhook pays 450.00 INR for order-4521: send that order first.
    let mut req: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("examples/send/order-details.json")).unwrap()).unwrap();
    let p = &mut req["message"]["interactive"]["action"]["parameters"];
    p["reference_id"] = "order-4521".into();
    p["total_amount"]["value"] = 45_000.into();
    p["order"]["subtotal"]["value"] = 44_900.into();
    p["order"]["items"][0]["amount"]["value"] = 44_900.into();
    p["order"]["items"][0]["sale_amount"]["value"] = 44_900.into();
    let file = dir.join("order.json");
    std::fs::write(&file, req.to_string()).unwrap();
    let (code, out, err) = wapipe(&state, &["send", "--file", file.to_str().unwrap(), "--open-window", "--wait", "2"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, _, _) = wapipe(&state, &["payments", "show", "order-4521"]);
    assert_eq!(code, 0, "the send created the order");

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
