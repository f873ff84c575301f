//! Helpers for the cross-crate tests: finding the emulator and creating uniquely-named
//! resources in it (a table shaped like wapipe's, an event bus routed to a queue).
//!
//! Tests that need the emulator call [`require_emulator`]: it returns the endpoint, or `None`
//! on a laptop without one (the test prints a note and passes), and PANICS in CI (env `CI`)
//! so a missing emulator fails the run instead of skipping it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, TableStatus, TimeToLiveSpecification,
};
use aws_sdk_sqs::types::QueueAttributeName;
use wapipe_core::domain::keys::{EXPIRES_AT, GSI1, GSI1PK, GSI1SK, PK, SK};

pub const ENDPOINT_VAR: &str = "WAPIPE_EMULATOR_ENDPOINT";
pub const REGION: &str = "ap-south-1";

/// The emulator endpoint from `WAPIPE_EMULATOR_ENDPOINT`, if set (e.g. `http://127.0.0.1:4599`).
pub fn emulator_endpoint() -> Option<String> {
    std::env::var(ENDPOINT_VAR).ok().map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// The endpoint, or `None` (with a note on stderr) when there is no emulator outside CI.
/// Panics in CI without one, and on an endpoint that is not on the loopback interface.
pub fn require_emulator() -> Option<String> {
    match emulator_endpoint() {
        Some(url) => {
            let local = ["http://127.0.0.1:", "http://localhost:", "http://[::1]:"].iter().any(|p| url.starts_with(p));
            assert!(local, "{ENDPOINT_VAR}={url}: tests only talk to an emulator on the loopback interface");
            Some(url)
        }
        None if std::env::var_os("CI").is_some() => panic!(
            "{ENDPOINT_VAR} is not set but CI is: the emulator tests must run in CI. \
             Start it with: eval \"$(scripts/emulator.sh env)\""
        ),
        None => {
            eprintln!("note: {ENDPOINT_VAR} not set, skipping an emulator test (eval \"$(scripts/emulator.sh env)\")");
            None
        }
    }
}

/// SDK configuration pinned to the emulator with static test credentials.
pub async fn emulator_config(endpoint: &str) -> SdkConfig {
    wapipe_core::aws::sdk_config_for_endpoint(endpoint, REGION).await
}

/// A name no other test (in this or another process) uses: prefix, process id, counter, time.
pub fn unique_name(prefix: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let t = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() % 1_000_000_000).unwrap_or(0);
    format!("{prefix}-{}-{n}-{t}", std::process::id())
}

fn attr(name: &str) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .expect("attribute definition")
}

fn key(name: &str, kind: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder().attribute_name(name).key_type(kind).build().expect("key schema")
}

/// Create a table shaped like wapipe's (pk/sk, GSI1 on gsi1pk/gsi1sk projecting ALL,
/// on-demand, TTL on `expires_at`) and wait until it is active. Returns its name.
pub async fn create_table(client: &aws_sdk_dynamodb::Client) -> String {
    let name = unique_name("wapipe-test");
    let gsi = GlobalSecondaryIndex::builder()
        .index_name(GSI1)
        .key_schema(key(GSI1PK, KeyType::Hash))
        .key_schema(key(GSI1SK, KeyType::Range))
        .projection(Projection::builder().projection_type(ProjectionType::All).build())
        .build()
        .expect("gsi");
    client
        .create_table()
        .table_name(&name)
        .attribute_definitions(attr(PK))
        .attribute_definitions(attr(SK))
        .attribute_definitions(attr(GSI1PK))
        .attribute_definitions(attr(GSI1SK))
        .key_schema(key(PK, KeyType::Hash))
        .key_schema(key(SK, KeyType::Range))
        .global_secondary_indexes(gsi)
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .expect("CreateTable");
    for _ in 0..100 {
        let d = client.describe_table().table_name(&name).send().await.expect("DescribeTable");
        if d.table().and_then(|t| t.table_status()) == Some(&TableStatus::Active) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let ttl = TimeToLiveSpecification::builder().enabled(true).attribute_name(EXPIRES_AT).build().expect("ttl");
    client
        .update_time_to_live()
        .table_name(&name)
        .time_to_live_specification(ttl)
        .send()
        .await
        .expect("UpdateTimeToLive");
    name
}

/// Create a standard queue; returns its URL.
pub async fn create_queue(client: &aws_sdk_sqs::Client, visibility_secs: u32) -> String {
    let out = client
        .create_queue()
        .queue_name(unique_name("wapipe-test"))
        .attributes(QueueAttributeName::VisibilityTimeout, visibility_secs.to_string())
        .send()
        .await
        .expect("CreateQueue");
    out.queue_url().expect("queue url").to_string()
}

/// An event bus whose rule sends every `source: ["wapipe"]` event to a fresh queue.
#[derive(Clone, Debug)]
pub struct BusToQueue {
    pub bus_name: String,
    pub rule_name: String,
    pub queue_url: String,
}

pub async fn create_bus_to_queue(eb: &aws_sdk_eventbridge::Client, sqs: &aws_sdk_sqs::Client) -> BusToQueue {
    let bus_name = unique_name("wapipe-test");
    eb.create_event_bus().name(&bus_name).send().await.expect("CreateEventBus");
    let queue_url = create_queue(sqs, 30).await;
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("GetQueueAttributes");
    let queue_arn =
        attrs.attributes().and_then(|a| a.get(&QueueAttributeName::QueueArn)).expect("queue arn").to_string();
    let rule_name = unique_name("wapipe-rule");
    eb.put_rule()
        .name(&rule_name)
        .event_bus_name(&bus_name)
        .event_pattern(r#"{"source":["wapipe"]}"#)
        .send()
        .await
        .expect("PutRule");
    let target = aws_sdk_eventbridge::types::Target::builder().id("queue").arn(queue_arn).build().expect("target");
    let out =
        eb.put_targets().rule(&rule_name).event_bus_name(&bus_name).targets(target).send().await.expect("PutTargets");
    assert_eq!(out.failed_entry_count(), 0, "PutTargets failed: {:?}", out.failed_entries());
    BusToQueue { bus_name, rule_name, queue_url }
}

/// Read `n` EventBridge envelopes (parsed JSON) from a rule's target queue, deleting them;
/// gives up after `timeout`.
pub async fn read_envelopes(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    n: usize,
    timeout: Duration,
) -> Vec<serde_json::Value> {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut out = Vec::new();
    while out.len() < n && tokio::time::Instant::now() < deadline {
        let got = sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .expect("ReceiveMessage");
        for m in got.messages() {
            let body = m.body().unwrap_or_default();
            out.push(serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}")));
            if let Some(r) = m.receipt_handle() {
                sqs.delete_message().queue_url(queue_url).receipt_handle(r).send().await.expect("DeleteMessage");
            }
        }
    }
    out
}
