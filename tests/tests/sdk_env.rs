//! `sdk_config()` takes the endpoint from `AWS_ENDPOINT_URL` (aws-config does this itself).
//! Its own test binary: it sets process environment variables.

use wapipe_tests::{create_table, emulator_config, require_emulator};

#[tokio::test]
async fn sdk_config_honours_aws_endpoint_url() {
    let Some(endpoint) = require_emulator() else { return };
    let table = create_table(&aws_sdk_dynamodb::Client::new(&emulator_config(&endpoint).await)).await;
    std::env::set_var("AWS_ENDPOINT_URL", &endpoint);
    std::env::set_var("AWS_REGION", wapipe_tests::REGION);
    std::env::set_var("AWS_ACCESS_KEY_ID", "test");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "test");
    let conf = wapipe_core::aws::sdk_config().await;
    let tables = aws_sdk_dynamodb::Client::new(&conf).list_tables().send().await.expect("ListTables on the emulator");
    assert!(tables.table_names().contains(&table));
}
