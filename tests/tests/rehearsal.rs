//! The rehearsal: infra/template.yaml deployed into the emulator through CloudFormation with
//! the x86_64 zips of scripts/package.sh, then EUM-format events published to the stack's SNS
//! topic and direct Meta webhooks sent to its Function URL, checked end to end in the table and
//! on the bus; the stack is torn down at the end, pass or fail.
//!
//! Needs the emulator (with aws-sam-translator, as scripts/test.sh installs it) and the zips
//! (`scripts/package.sh --arch x86_64 --profile rehearsal`, found through `WAPIPE_LAMBDA_ZIPS`
//! or target/lambda/rehearsal-x86_64). Outside CI it skips with a note when either is missing; in CI it fails.
//! Figures (resource count, times, zip sizes, cold starts) go to stderr and to
//! target/rehearsal-report.json.

#[path = "rehearsal/campaign.rs"]
mod campaign;
#[path = "rehearsal/cases.rs"]
mod cases;
#[path = "rehearsal/http.rs"]
mod http;
#[path = "rehearsal/ops.rs"]
mod ops;
#[path = "rehearsal/payments.rs"]
mod payments;
#[path = "rehearsal/stack.rs"]
mod stack;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sqs::types::QueueAttributeName;
use serde_json::{json, Value};
use wapipe_core::domain::flows::crypto::generate_key_pair;
use wapipe_core::domain::keys;
use wapipe_core::domain::signature::sign;
use wapipe_tests::{emulator_config, require_emulator, unique_name};

const APP_SECRET: &str = "rehearsal-app-secret";
const WAIT: Duration = Duration::from_secs(30);

struct World {
    sqs: aws_sdk_sqs::Client,
    ddb: aws_sdk_dynamodb::Client,
    sns: aws_sdk_sns::Client,
    secrets: aws_sdk_secretsmanager::Client,
    topic: String,
    table: String,
    observer: String,
    /// Bus events read from the observer queue but not yet claimed by a case.
    backlog: Mutex<Vec<Value>>,
    webhook_url: String,
    endpoint: String,
    /// The flow endpoint's Function URL and the public half of the key put in its secret.
    flow_url: String,
    flow_public_key: String,
    send_queue: String,
    fake_eum: Arc<wapipe_fake_eum::FakeEum>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stack_deployed_into_the_emulator_works_end_to_end() {
    let Some(endpoint) = require_emulator() else { return };
    let zips = match stack::find_zips() {
        Ok(z) => z,
        Err(e) if std::env::var_os("CI").is_some() => panic!("rehearsal: {e}"),
        Err(e) => return eprintln!("note: skipping the rehearsal: {e}"),
    };
    let started = Instant::now();
    let conf = emulator_config(&endpoint).await;
    let clients =
        stack::Clients { cfn: aws_sdk_cloudformation::Client::new(&conf), s3: aws_sdk_s3::Client::new(&conf) };
    let ddb = aws_sdk_dynamodb::Client::new(&conf);
    // The business number of the samples, as EUM links it (the id ingest learns from them).
    let phone = wapipe_fake_eum::Phone::new(cases::EUM_PHONE_ID, cases::PHONE, wapipe_fake_eum::DEFAULT_PHONE_NUMBER)
        .waba(wapipe_fake_eum::DEFAULT_WABA_ID);
    let fake_eum = Arc::new(wapipe_fake_eum::FakeEum::builder().phone(phone).start().await);
    // Stage names are at most 16 characters: "r" and the last 12 digits of a unique name.
    let digits: String = unique_name("").chars().filter(char::is_ascii_digit).collect();
    let stage = format!("r{}", &digits[digits.len().saturating_sub(12)..]);
    let stack_name = format!("wapipe-{stage}");
    let bucket = format!("wapipe-{stage}-code");
    let razorpay = payments::start_gateway().await;
    let params = [
        ("Stage", stage.clone()),
        ("Architecture", "x86_64".to_string()),
        ("LogLevel", "info".to_string()),
        ("EventArchiveRetentionDays", "0".to_string()),
        ("EndpointOverride", endpoint.clone()),
        ("SocialMessagingEndpointOverride", fake_eum.endpoint()),
        ("RazorpayApiBase", razorpay),
        // The top tier: the campaign case measures what the emulator reaches, not the pacing.
        ("PhoneMessagesPerSecond", "1000".to_string()),
    ];
    let deployed = match stack::deploy(&clients, &stack_name, &bucket, &zips, &params).await {
        Ok(d) => d,
        Err(e) => {
            let problems = stack::teardown(&clients, &ddb, &stack_name, None, &bucket).await;
            panic!("deploy failed: {e}\n(teardown: {problems:?})");
        }
    };
    let table = deployed.output("TableName");
    let run = tokio::spawn(exercise(conf.clone(), endpoint.clone(), fake_eum.clone(), deployed, zips, started));
    let outcome = run.await;
    let problems = stack::teardown(&clients, &ddb, &stack_name, Some(&table), &bucket).await;
    let sent = fake_eum.sent_messages();
    if let Ok(f) = Arc::try_unwrap(fake_eum) {
        f.shutdown().await;
    }
    match outcome {
        Ok(report) => {
            let mut report = report;
            report["rehearsal_ms"] = json!(started.elapsed().as_millis() as u64);
            eprintln!("rehearsal report: {}", serde_json::to_string_pretty(&report).unwrap_or_default());
            let path = stack::workspace_root().join("target/rehearsal-report.json");
            if let Err(e) = std::fs::write(&path, serde_json::to_vec_pretty(&report).unwrap_or_default()) {
                eprintln!("note: cannot write {}: {e}", path.display());
            }
        }
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => panic!("rehearsal task: {e}"),
    }
    // Only the send case's request, the payments case's order_details and order_status, and
    // the campaign reached EUM (the rest of the rehearsal sends nothing).
    assert_eq!(sent.len(), 3 + campaign::SENDS, "EUM sends: {}", sent.len());
    assert!(problems.is_empty(), "teardown: {problems:?}");
}

async fn exercise(
    conf: aws_config::SdkConfig,
    endpoint: String,
    fake_eum: Arc<wapipe_fake_eum::FakeEum>,
    deployed: stack::Deployed,
    zips: BTreeMap<String, std::path::PathBuf>,
    started: Instant,
) -> Value {
    let checked = stack::assert_functions_stay_local(&endpoint, &fake_eum.endpoint(), &deployed)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<String> = checked.iter().map(|f| f.name.clone()).collect();
    assert_eq!(names, stack::functions(), "every function of the template deployed and checked");
    let ddb = aws_sdk_dynamodb::Client::new(&conf);
    let table = deployed.output("TableName");
    // ministack ignores TimeToLiveSpecification: set it as the template declares it.
    let ttl = aws_sdk_dynamodb::types::TimeToLiveSpecification::builder()
        .enabled(true)
        .attribute_name(keys::EXPIRES_AT)
        .build()
        .expect("ttl spec");
    ddb.update_time_to_live()
        .table_name(&table)
        .time_to_live_specification(ttl)
        .send()
        .await
        .expect("UpdateTimeToLive");
    let secrets = aws_sdk_secretsmanager::Client::new(&conf);
    // Before any invocation: the functions read secrets once, at init.
    secrets
        .put_secret_value()
        .secret_id(deployed.output("AppSecretArn"))
        .secret_string(APP_SECRET)
        .send()
        .await
        .expect("PutSecretValue app secret");
    // The stack's flow key secret holds a placeholder the endpoint refuses: put a PEM key in
    // it, as an operator does with `wapipe flows keygen` (docs/deploy.md).
    let (flow_private, flow_public_key) = generate_key_pair(None).expect("RSA key pair");
    secrets
        .put_secret_value()
        .secret_id(deployed.output("FlowPrivateKeyArn"))
        .secret_string(flow_private)
        .send()
        .await
        .expect("PutSecretValue flow private key");
    let sqs = aws_sdk_sqs::Client::new(&conf);
    let eb = aws_sdk_eventbridge::Client::new(&conf);
    let observer = observe_bus(&eb, &sqs, &deployed.output("EventBusName")).await;
    let w = World {
        sqs,
        ddb,
        sns: aws_sdk_sns::Client::new(&conf),
        secrets,
        topic: deployed.output("EumTopicArn"),
        table,
        observer,
        backlog: Mutex::new(Vec::new()),
        webhook_url: deployed.output("WebhookUrl"),
        endpoint,
        flow_url: deployed.output("FlowEndpointUrl"),
        flow_public_key,
        send_queue: deployed.output("SendQueueUrl"),
        fake_eum,
    };
    let url_round_trips = webhook_verification(&w, &deployed).await;
    let mut cold_start = serde_json::Map::new();
    for f in &checked {
        let init = stack::measure_init(&stack::zips_profile(), f).await.unwrap_or_else(|e| panic!("cold start: {e}"));
        cold_start.insert(f.name.clone(), json!(init.as_secs_f64() * 1000.0));
    }
    inbound_text(&w).await;
    cases::status_tracking(&w).await;
    direct_meta_webhook(&w).await;
    cases::send_request(&w).await;
    let flow_round_trips = cases::flow_endpoint(&w).await;
    ops::dlq_replay(&w, &deployed).await;
    ops::scheduled_snapshot(&w, &deployed).await;
    payments::payments(&w, &deployed).await;
    malformed_records(&w).await;
    let campaign = campaign::campaign(&w).await;
    nothing_left_behind(&w, &deployed).await;
    let sizes: BTreeMap<_, _> =
        zips.iter().map(|(f, p)| (f.clone(), std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))).collect();
    json!({
        "resources": deployed.resources.len(),
        "deploy_ms": deployed.deploy_time.as_millis() as u64,
        "zip_bytes": sizes,
        "cold_start_ms": cold_start,
        "function_url_ms": { "webhook-ingest": url_round_trips, "flow-endpoint": flow_round_trips },
        "campaign": campaign,
        "exercised_ms": started.elapsed().as_millis() as u64,
    })
}

/// A queue with a rule on the stack's bus that takes every wapipe event (as an outside
/// consumer would subscribe).
async fn observe_bus(eb: &aws_sdk_eventbridge::Client, sqs: &aws_sdk_sqs::Client, bus: &str) -> String {
    let url = wapipe_tests::create_queue(sqs, 30).await;
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("GetQueueAttributes");
    let arn = attrs.attributes().and_then(|a| a.get(&QueueAttributeName::QueueArn)).expect("queue arn").to_string();
    let rule = unique_name("observer");
    eb.put_rule()
        .name(&rule)
        .event_bus_name(bus)
        .event_pattern(r#"{"source":["wapipe"]}"#)
        .send()
        .await
        .expect("PutRule");
    let target = aws_sdk_eventbridge::types::Target::builder().id("observer").arn(arn).build().expect("target");
    eb.put_targets().rule(&rule).event_bus_name(bus).targets(target).send().await.expect("PutTargets");
    url
}

/// The first bus event of `detail_type` whose detail `matches`, from the backlog or the observer
/// queue; events other cases wait for stay in the backlog.
async fn wait_for_event(w: &World, detail_type: &str, matches: impl Fn(&Value) -> bool) -> Value {
    let claim = |backlog: &mut Vec<Value>| {
        let i = backlog.iter().position(|e| e["detail-type"] == detail_type && matches(&e["detail"]))?;
        Some(backlog.remove(i))
    };
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        {
            let mut backlog = w.backlog.lock().expect("backlog lock");
            if let Some(e) = claim(&mut backlog) {
                return e;
            }
            if tokio::time::Instant::now() >= deadline {
                let seen: Vec<_> = backlog.iter().map(|e| e["detail-type"].clone()).collect();
                panic!("no {detail_type} event on the bus within {WAIT:?}; unclaimed: {seen:?}");
            }
        }
        let got = wapipe_tests::read_envelopes(&w.sqs, &w.observer, 1, Duration::from_secs(2)).await;
        w.backlog.lock().expect("backlog lock").extend(got);
    }
}

async fn wait_for_item(w: &World, key: &keys::Key) -> BTreeMap<String, AttributeValue> {
    let deadline = tokio::time::Instant::now() + WAIT;
    while tokio::time::Instant::now() < deadline {
        let got = w
            .ddb
            .get_item()
            .table_name(&w.table)
            .key(keys::PK, AttributeValue::S(key.pk.clone()))
            .key(keys::SK, AttributeValue::S(key.sk.clone()))
            .send()
            .await
            .expect("GetItem");
        if let Some(item) = got.item() {
            return item.clone().into_iter().collect();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no item {}/{} within {WAIT:?}", key.pk, key.sk);
}

/// The EUM event (the SNS `Message`) inside a sample Lambda SQS event from events/.
fn eum_message(file: &str) -> String {
    let path = stack::workspace_root().join("events").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let event: Value = serde_json::from_str(&text).expect("sample is JSON");
    let body = event["Records"][0]["body"].as_str().expect("record body");
    let notification: Value = serde_json::from_str(body).expect("body is an SNS notification");
    notification["Message"].as_str().expect("SNS Message").to_string()
}

async fn publish(w: &World, message: &str) {
    w.sns.publish().topic_arn(&w.topic).message(message).send().await.expect("SNS Publish");
}

fn url_path(w: &World) -> String {
    cases::function_url_path(&w.webhook_url)
}

/// GET verification with the verify token the stack generated (read from Secrets Manager by
/// the function at init): the first request is the function's cold start.
async fn webhook_verification(w: &World, deployed: &stack::Deployed) -> Value {
    let token = w
        .secrets
        .get_secret_value()
        .secret_id(deployed.output("VerifyTokenArn"))
        .send()
        .await
        .expect("GetSecretValue verify token");
    let token = token.secret_string().expect("generated verify token").to_string();
    // Percent-encoded, as Meta sends it (the emulator's generated tokens include punctuation).
    let query = format!("?hub.mode=subscribe&hub.verify_token={}&hub.challenge=1158201444", percent_encode(&token));
    let path = format!("{}{query}", url_path(w));
    let t = Instant::now();
    let cold = http::request(&w.endpoint, "GET", &path, &[], b"", WAIT).await.expect("Function URL GET");
    let cold_ms = t.elapsed().as_secs_f64() * 1000.0;
    assert_eq!((cold.status, cold.text().as_str()), (200, "1158201444"), "verification with the stack's token");
    let mut warm = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let again = http::request(&w.endpoint, "GET", &path, &[], b"", WAIT).await.expect("Function URL GET");
        warm.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(again.status, 200);
    }
    warm.sort_by(f64::total_cmp);
    let warm_ms = warm[warm.len() / 2];
    let wrong = format!("{}?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1", url_path(w));
    let refused = http::request(&w.endpoint, "GET", &wrong, &[], b"", WAIT).await.expect("Function URL GET");
    assert_eq!(refused.status, 403, "a wrong verify token is refused: {}", refused.text());
    // Round trips through the emulator's Function URL gateway: the first spawns the process and
    // runs init (settings, two Secrets Manager reads); the warm median is the gateway's own cost.
    json!({ "first_request_ms": cold_ms.round(), "warm_request_median_ms": warm_ms.round(),
            "cold_start_overhead_ms": (cold_ms - warm_ms).max(0.0).round() })
}

/// A query value with everything but RFC 3986 unreserved characters percent-encoded.
fn percent_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn inbound_text(w: &World) {
    publish(w, &eum_message("example-sqs-eum-text.json")).await;
    let wamid = "wamid.HBgMOTE5ODc2NTQzMjEwFQIAEhggMkRDNDE3QjQ2MzZFNDE5MkMzNTYzRkNBNTIwRjI5N0IA";
    let msg = wait_for_item(w, &keys::message(wamid)).await;
    assert!(msg.contains_key("direction"), "MSG record: {msg:?}");
    wait_for_item(w, &keys::contact_window("106540352242922", "919876543210")).await;
    let e = wait_for_event(w, "whatsapp.message.received", |d| d.to_string().contains(wamid)).await;
    assert_eq!(e["source"], "wapipe");
}

async fn direct_meta_webhook(w: &World) {
    let body = std::fs::read(stack::workspace_root().join("events/meta-webhook-text.json")).expect("meta webhook");
    let wamid = "wamid.HBgMOTE5ODc2NTQzMjEwFQIAEhggNTA5OUQ5RUExQTU1QzJEREVDMjBEQzk1QTk5RDI0QkEA";
    // A body with another wamid, signed with the wrong secret: refused, never processed.
    let forged = String::from_utf8_lossy(&body).replace(wamid, "wamid.FORGED").into_bytes();
    let bad_sig = sign(b"not-the-app-secret", &forged);
    let headers = [("Content-Type", "application/json"), ("X-Hub-Signature-256", bad_sig.as_str())];
    let refused = http::request(&w.endpoint, "POST", &url_path(w), &headers, &forged, WAIT).await.expect("POST");
    assert!(
        matches!(refused.status, 401 | 403),
        "a bad signature is refused, got {} {}",
        refused.status,
        refused.text()
    );
    let sig = sign(APP_SECRET.as_bytes(), &body);
    let headers = [("Content-Type", "application/json"), ("X-Hub-Signature-256", sig.as_str())];
    let ok = http::request(&w.endpoint, "POST", &url_path(w), &headers, &body, WAIT).await.expect("POST");
    assert_eq!(ok.status, 200, "a signed webhook is accepted: {}", ok.text());
    wait_for_item(w, &keys::message(wamid)).await;
    wait_for_event(w, "whatsapp.message.received", |d| d.to_string().contains(wamid)).await;
    let forged_item = w
        .ddb
        .get_item()
        .table_name(&w.table)
        .key(keys::PK, AttributeValue::S(keys::message("wamid.FORGED").pk))
        .key(keys::SK, AttributeValue::S(keys::message("wamid.FORGED").sk))
        .send()
        .await
        .expect("GetItem");
    assert!(forged_item.item().is_none(), "the forged webhook was processed");
}

async fn malformed_records(w: &World) {
    publish(w, &eum_message("bad/example-sqs-entry-not-string.json")).await;
    publish(w, "this is not JSON {\"Type\": \"Notification\"").await;
    let parked = keys::parked_partition("webhook-ingest");
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut count = 0;
    while tokio::time::Instant::now() < deadline && count < 2 {
        let out = w
            .ddb
            .query()
            .table_name(&w.table)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", keys::PK)
            .expression_attribute_values(":pk", AttributeValue::S(parked.clone()))
            .send()
            .await
            .expect("Query parked");
        count = out.items().len();
        if count < 2 {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    assert_eq!(count, 2, "both malformed records parked under {parked}");
    for _ in 0..2 {
        wait_for_event(w, "whatsapp.ingest.rejected", |_| true).await;
    }
}

/// Every record was processed or parked: every queue of the stack and every DLQ is empty.
async fn nothing_left_behind(w: &World, deployed: &stack::Deployed) {
    let queues = [
        "IngestQueueUrl",
        "IngestDlqUrl",
        "StatusTrackerQueueUrl",
        "StatusTrackerDlqUrl",
        "SendQueueUrl",
        "SendDlqUrl",
        "FlowEndpointQueueUrl",
        "FlowEndpointDlqUrl",
        "QualitySnapshotterQueueUrl",
        "QualitySnapshotterDlqUrl",
        "PaymentProcessorQueueUrl",
        "PaymentProcessorDlqUrl",
    ];
    for output in queues {
        let url = deployed.output(output);
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let attrs = w
                .sqs
                .get_queue_attributes()
                .queue_url(&url)
                .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
                .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
                .send()
                .await
                .expect("GetQueueAttributes");
            let n = |k: QueueAttributeName| {
                attrs.attributes().and_then(|a| a.get(&k)).and_then(|v| v.parse::<u64>().ok()).unwrap_or(u64::MAX)
            };
            let left = n(QueueAttributeName::ApproximateNumberOfMessages)
                .saturating_add(n(QueueAttributeName::ApproximateNumberOfMessagesNotVisible));
            if left == 0 {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "{output}: {left} records left");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}
