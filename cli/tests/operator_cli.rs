//! The operator commands of the `wapipe` binary against the fake EUM server (its endpoint given
//! with WAPIPE_EUM_ENDPOINT_URL): templates, media, flows registry, phones, and the local-only
//! features. Bad input is refused before any call: the fake must see no request at all.

use std::path::PathBuf;
use std::process::Command;

use serde_json::{json, Value};
use wapipe_fake_eum::{FakeEum, DEFAULT_META_WABA_ID, DEFAULT_PHONE_ID, DEFAULT_REGION, DEFAULT_WABA_ID};

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Out {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", self.stdout, self.stderr))
    }
}

/// Run the binary off the async runtime (the fake serves on it meanwhile).
async fn wapipe(fake: &FakeEum, args: &[&str]) -> Out {
    let endpoint = fake.endpoint();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let out = Command::new(env!("CARGO_BIN_EXE_wapipe"))
            .args(&args)
            .env("WAPIPE_EUM_ENDPOINT_URL", endpoint)
            .env("AWS_REGION", DEFAULT_REGION)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_ENDPOINT_URL")
            .env_remove("WAPIPE_WABA_ID")
            .env_remove("WAPIPE_PHONE_NUMBER_ID")
            .output()
            .unwrap();
        Out {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    })
    .await
    .unwrap()
}

fn tmp(name: &str, content: &Value) -> PathBuf {
    let p = std::env::temp_dir().join(format!("wapipe-op-{}-{name}", std::process::id()));
    std::fs::write(&p, serde_json::to_vec_pretty(content).unwrap()).unwrap();
    p
}

fn state(name: &str) -> String {
    let p = std::env::temp_dir().join(format!("wapipe-op-{}-{name}-state.json", std::process::id()));
    let _ = std::fs::remove_file(&p);
    p.display().to_string()
}

fn good_template() -> Value {
    json!({"name": "order_update", "language": "en_US", "category": "UTILITY",
           "components": [{"type": "BODY", "text": "Hi {{1}}, order {{2}} shipped.", "example": {"body_text": [["A", "1"]]}}]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn template_definitions_with_each_kind_of_error_are_refused_before_any_call() {
    let fake = FakeEum::start().await;
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "category",
            json!({"name": "x", "language": "en_US", "category": "PROMO", "components": [{"type": "BODY", "text": "hi"}]}),
            "$.category",
        ),
        (
            "buttons",
            json!({"name": "x", "language": "en_US", "category": "UTILITY", "components": [{"type": "BODY", "text": "hi"},
            {"type": "BUTTONS", "buttons": (0..11).map(|i| json!({"type": "QUICK_REPLY", "text": format!("b{i}")})).collect::<Vec<_>>()}]}),
            "$.components[1].buttons",
        ),
        (
            "otp",
            json!({"name": "x", "language": "en_US", "category": "AUTHENTICATION", "components": [{"type": "BODY"},
            {"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "ZERO_TAP"}]}]}),
            "$.components[1].buttons[0].supported_apps",
        ),
        (
            "carousel",
            json!({"name": "x", "language": "en_US", "category": "MARKETING", "components": [{"type": "BODY", "text": "hi"},
            {"type": "CAROUSEL", "cards": []}]}),
            "$.components[1].cards",
        ),
        (
            "lto",
            json!({"name": "x", "language": "en_US", "category": "MARKETING", "components": [
            {"type": "LIMITED_TIME_OFFER", "limited_time_offer": {"text": "An offer far too long"}}, {"type": "BODY", "text": "hi"},
            {"type": "BUTTONS", "buttons": [{"type": "COPY_CODE", "example": "C25"}]}]}),
            "$.components[0].limited_time_offer.text",
        ),
        (
            "named",
            json!({"name": "x", "language": "en_US", "category": "UTILITY", "parameter_format": "named",
            "components": [{"type": "BODY", "text": "Hi {{first_name}}!", "example": {"body_text_named_params": []}}]}),
            "$.components[0].example.body_text_named_params",
        ),
        (
            "positional",
            json!({"name": "x", "language": "en_US", "category": "UTILITY",
            "components": [{"type": "BODY", "text": "Hi {{1}} and {{2}}!", "example": {"body_text": [["A"]]}}]}),
            "$.components[0].example.body_text",
        ),
    ];
    for (name, def, path) in cases {
        let file = tmp(&format!("bad-{name}.json"), &def);
        let out = wapipe(&fake, &["templates", "create", file.to_str().unwrap(), "--waba-id", DEFAULT_WABA_ID]).await;
        assert_eq!(out.code, 1, "{name}: {}", out.stderr);
        assert!(out.stderr.contains(path), "{name}: expected {path} in {}", out.stderr);
        assert!(out.stderr.contains("nothing was sent"), "{}", out.stderr);
        // The same problem through `validate --json`.
        let v = wapipe(&fake, &["templates", "validate", file.to_str().unwrap(), "--json"]).await;
        assert_eq!(v.code, 1);
        assert!(v.json()["problems"].as_array().unwrap().iter().any(|p| p["path"] == path), "{name}: {}", v.stdout);
    }
    // Without --waba-id either: the definition is checked before even looking the WABA up.
    let file = tmp(
        "bad-nowaba.json",
        &json!({"name": "Bad Name", "language": "en_US", "category": "UTILITY", "components": []}),
    );
    assert_eq!(wapipe(&fake, &["templates", "create", file.to_str().unwrap()]).await.code, 1);
    assert!(fake.requests().is_empty(), "no request reached EUM: {:?}", fake.requests());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn templates_through_the_cli_and_the_cache_sync() {
    let fake = FakeEum::start().await;
    let st = state("templates");
    let file = tmp("good.json", &good_template());
    // No --waba-id: the only linked WABA is used.
    let out = wapipe(&fake, &["templates", "create", file.to_str().unwrap(), "--json"]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json()["created"]["status"], "PENDING");
    assert_eq!(fake.requests_for("CreateWhatsAppMessageTemplate")[0].decoded.as_ref(), Some(&good_template()));
    fake.set_template_status("order_update", "APPROVED");

    let out = wapipe(&fake, &["--state", &st, "templates", "list", "--sync", "--json"]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v = out.json();
    assert_eq!((v["count"].clone(), v["cache_items_updated"].clone()), (json!(1), json!(1)));
    let saved = std::fs::read_to_string(&st).unwrap();
    let key = format!("TEMPLATE#{DEFAULT_META_WABA_ID}#order_update#en_US");
    assert!(saved.contains(&key) && saved.contains("APPROVED"), "the cache item is keyed by Meta's WABA id: {saved}");

    // Update: the components are checked against the template's category before the call.
    let bad = tmp("bad-components.json", &json!([{"type": "BODY", "text": "Hi {{1}} and {{2}}."}]));
    let args = ["templates", "update", "order_update", "--language", "en_US", "--components"];
    let out = wapipe(&fake, &[&args[..], &[bad.to_str().unwrap()]].concat()).await;
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("$.components[0].example.body_text"), "{}", out.stderr);
    assert!(fake.requests_for("UpdateWhatsAppMessageTemplate").is_empty());
    let comps =
        json!([{"type": "BODY", "text": "Hello {{1}}, order {{2}} left.", "example": {"body_text": [["A", "1"]]}}]);
    let good = tmp("good-components.json", &comps);
    let out = wapipe(&fake, &[&args[..], &[good.to_str().unwrap(), "--json"]].concat()).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(fake.requests_for("UpdateWhatsAppMessageTemplate")[0].decoded.as_ref(), Some(&comps));

    let out = wapipe(&fake, &["templates", "delete", "order_update", "--all-languages"]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let d = &fake.requests_for("DeleteWhatsAppMessageTemplate")[0];
    assert_eq!(d.query.get("deleteAllTemplates").map(String::as_str), Some("true"));
    // Deleting it again: EUM says not found, exit 3 with the next step.
    let out = wapipe(&fake, &["templates", "delete", "order_update", "--all-languages"]).await;
    assert_eq!(out.code, 3);
    assert!(out.stderr.contains("ResourceNotFoundException") && out.stderr.contains("next:"), "{}", out.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_rules_are_checked_first_then_eum_is_called() {
    let fake = FakeEum::start().await;
    let p = ["--phone-number-id", DEFAULT_PHONE_ID];
    let gif = wapipe(&fake, &[&["media", "upload", "--s3", "s3://b/a.gif"][..], &p].concat()).await;
    assert_eq!(gif.code, 1);
    assert!(gif.stderr.contains("content_type"), "{}", gif.stderr);
    let big =
        wapipe(&fake, &[&["media", "upload", "--s3", "s3://b/a.jpg", "--size", "6000000"][..], &p].concat()).await;
    assert_eq!(big.code, 1);
    assert!(big.stderr.contains("size"), "{}", big.stderr);
    assert!(fake.requests().is_empty());

    let up =
        wapipe(&fake, &[&["media", "upload", "--s3", "s3://b/a.jpg", "--size", "4000", "--json"][..], &p].concat())
            .await;
    assert_eq!(up.code, 0, "{}", up.stderr);
    let id = up.json()["media_id"].as_str().unwrap().to_string();
    let r = &fake.requests_for("PostWhatsAppMessageMedia")[0];
    assert_eq!(r.body.as_ref().unwrap()["sourceS3File"], json!({"bucketName": "b", "key": "a.jpg"}));
    let got = wapipe(&fake, &[&["media", "get", &id, "--json"][..], &p].concat()).await;
    assert_eq!(got.json()["mime_type"], "image/jpeg");
    assert_eq!(wapipe(&fake, &[&["media", "delete", &id][..], &p].concat()).await.code, 0);
    assert_eq!(fake.requests_for("DeleteWhatsAppMessageMedia")[0].query.get("mediaId"), Some(&id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flows_registry_keeps_a_local_record() {
    let fake = FakeEum::start().await;
    let st = state("flows");
    let bad = tmp("bad-flow.json", &json!({"version": "6.0", "screens": [{"id": "SUCCESS"}]}));
    let out = wapipe(
        &fake,
        &["flows", "create", "--name", "signup", "--category", "SIGN_UP", "--flow-json", bad.to_str().unwrap()],
    )
    .await;
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("$.screens[0]"), "{}", out.stderr);
    assert!(fake.requests().is_empty());

    let good = tmp(
        "good-flow.json",
        &json!({"version": "6.0", "screens": [{"id": "WELCOME", "title": "Hi", "terminal": true,
        "layout": {"type": "SingleColumnLayout", "children": [{"type": "Footer", "label": "Done",
            "on-click-action": {"name": "complete", "payload": {}}}]}}]}),
    );
    let out = wapipe(
        &fake,
        &[
            "--state",
            &st,
            "flows",
            "create",
            "--name",
            "signup",
            "--category",
            "SIGN_UP",
            "--flow-json",
            good.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let flow_id = out.stdout.trim().to_string();
    assert_eq!(fake.flows()[0].flow_id, flow_id);
    assert_eq!(wapipe(&fake, &["--state", &st, "flows", "publish", &flow_id]).await.code, 0);
    let list = wapipe(&fake, &["--state", &st, "flows", "list", "--json"]).await;
    let row = &list.json()["flows"][0];
    assert_eq!((row["status"].clone(), row["recorded"].clone()), (json!("PUBLISHED"), json!(true)));
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&st).unwrap()).unwrap();
    assert!(saved.to_string().contains(&format!("FLOWREG#{DEFAULT_WABA_ID}")), "{saved}");
    assert!(saved.to_string().contains("\"PUBLISHED\""));
    // Meta's rule through EUM: a published flow is not deleted.
    assert_eq!(wapipe(&fake, &["--state", &st, "flows", "delete", &flow_id]).await.code, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phones_destinations_and_runbooks() {
    let fake = FakeEum::start().await;
    let list = wapipe(&fake, &["phones", "list", "--json"]).await;
    assert_eq!(list.code, 0, "{}", list.stderr);
    assert_eq!(list.json()["wabas"][0]["phones"][0]["phone_number_id"], DEFAULT_PHONE_ID);
    let topic = "arn:aws:sns:ap-south-1:123456789012:wapipe-eum-events";
    let out = wapipe(&fake, &["phones", "destinations", "--waba-id", DEFAULT_WABA_ID, "--topic-arn", topic]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let r = &fake.requests_for("PutWhatsAppBusinessAccountEventDestinations")[0];
    assert_eq!(r.body.as_ref().unwrap()["eventDestinations"], json!([{"eventDestinationArn": topic}]));

    // What EUM cannot do: the runbook and exit 5, then the acknowledgement.
    let st = state("phones");
    let rb = wapipe(&fake, &["--state", &st, "phones", "runbook", "display-name"]).await;
    assert_eq!(rb.code, 5);
    assert!(rb.stderr.contains("not supported") && rb.stderr.contains("1. Open WhatsApp Manager"), "{}", rb.stderr);
    let done =
        wapipe(&fake, &["--state", &st, "phones", "runbook", "display-name", "--done", "--subject", "+15555550100"])
            .await;
    assert_eq!(done.code, 0, "{}", done.stderr);
    assert!(std::fs::read_to_string(&st).unwrap().contains("RUNBOOK#phone_display_name"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_only_features_store_and_answer_with_runbooks() {
    let fake = FakeEum::start().await;
    let st = state("local");
    let ph = ["--phone-number-id", "106540352242922"];
    let file = tmp("profile.json", &json!({"about": "Open 9-5", "websites": ["https://x.example"]}));
    let up = wapipe(&fake, &[&["--state", &st, "profile", "update", file.to_str().unwrap()][..], &ph].concat()).await;
    assert_eq!(up.code, 0, "{}", up.stderr);
    let steps = wapipe(&fake, &[&["--state", &st, "profile", "apply-instructions"][..], &ph].concat()).await;
    assert!(steps.stdout.contains("about (CHANGED): Open 9-5"), "{}", steps.stdout);
    assert_eq!(
        wapipe(&fake, &[&["--state", &st, "profile", "mark-applied", "--version", "1"][..], &ph].concat()).await.code,
        0
    );
    let show = wapipe(&fake, &[&["--state", &st, "profile", "show", "--json"][..], &ph].concat()).await;
    assert_eq!(show.json()["applied_state"], "applied");
    let push = wapipe(&fake, &[&["--state", &st, "profile", "push"][..], &ph].concat()).await;
    assert_eq!(push.code, 5);
    assert!(push.stderr.contains("business_profile_update") && push.stderr.contains("mark-applied"), "{}", push.stderr);

    let products = tmp(
        "products.json",
        &json!([{"retailer_id": "SKU-1", "name": "Shoe", "currency": "INR", "price_1000": 99000}]),
    );
    assert_eq!(
        wapipe(&fake, &["--state", &st, "catalog", "put", "--catalog-id", "C1", products.to_str().unwrap()]).await.code,
        0
    );
    let msg = tmp(
        "spm.json",
        &json!({"type": "interactive", "interactive": {"type": "product", "action": {"catalog_id": "C1", "product_retailer_id": "SKU-2"}}}),
    );
    let check = wapipe(&fake, &["--state", &st, "catalog", "check", msg.to_str().unwrap()]).await;
    assert_eq!(check.code, 1);
    assert!(check.stdout.contains("C1/SKU-2"), "{}", check.stdout);

    let link = wapipe(&fake, &["calling", "link", "--phone", "+91 98765 43210", "--text", "hi there"]).await;
    assert_eq!(link.stdout.trim(), "https://wa.me/919876543210?text=hi%20there");
    let set = wapipe(
        &fake,
        &["--state", &st, "calling", "settings", "--phone-number-id", DEFAULT_PHONE_ID, "--enabled", "true", "--apply"],
    )
    .await;
    assert_eq!(set.code, 0, "{}", set.stderr);
    let r = &fake.requests_for("UpdateLinkedWhatsAppBusinessAccountPhoneNumber")[0];
    assert_eq!(r.body.as_ref().unwrap()["callSettings"]["callEnabled"], true);
    assert_eq!(
        wapipe(
            &fake,
            &["--state", &st, "groups", "create", "--phone-number-id", "P", "--group-id", "G1", "--subject", "VIP"]
        )
        .await
        .code,
        0
    );
    let again = wapipe(
        &fake,
        &["--state", &st, "groups", "create", "--phone-number-id", "P", "--group-id", "G1", "--subject", "VIP"],
    )
    .await;
    assert_eq!(again.code, 2, "{}", again.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operator_command_has_json_output_and_examples_in_help() {
    let fake = FakeEum::start().await;
    let groups: &[(&str, &[&str])] = &[
        ("templates", &["list", "validate", "create", "update", "delete", "library", "from-library", "media"]),
        ("media", &["upload", "get", "delete", "formats"]),
        (
            "flows",
            &[
                "create",
                "update",
                "update-assets",
                "publish",
                "deprecate",
                "delete",
                "list",
                "show",
                "preview",
                "assets",
            ],
        ),
        ("phones", &["list", "show", "destinations", "public-key", "runbook"]),
        ("profile", &["show", "update", "history", "apply-instructions", "mark-applied"]),
        ("catalog", &["put", "list", "delete", "check"]),
        ("groups", &["create", "list", "delete"]),
        ("calling", &["link", "settings"]),
    ];
    let mut without_examples = Vec::new();
    for (cmd, subs) in groups {
        for sub in *subs {
            let out = wapipe(&fake, &[cmd, sub, "--help"]).await;
            assert_eq!(out.code, 0, "{cmd} {sub}: {}", out.stderr);
            assert!(out.stdout.contains("--json"), "{cmd} {sub} has no --json:\n{}", out.stdout);
            if !out.stdout.contains("Example") {
                without_examples.push(format!("{cmd} {sub}"));
            }
        }
    }
    assert!(without_examples.is_empty(), "--help without an example: {without_examples:?}");
    let top = wapipe(&fake, &["--help"]).await;
    assert!(top.stdout.contains("5 not supported by EUM"), "exit codes documented: {}", top.stdout);
    let bash = wapipe(&fake, &["completions", "bash"]).await;
    assert!(bash.code == 0 && bash.stdout.contains("templates") && bash.stdout.contains("capabilities"));
    assert!(fake.requests().is_empty(), "help never calls EUM");
}
