//! The secrets loader (core/src/aws/secrets.rs) against Secrets Manager in the emulator:
//! `<NAME>_ARN` reads the secret, `<NAME>` is the plain fallback, a missing secret fails init.

use wapipe_core::aws::{SecretError, SecretLoader, SecretSource};
use wapipe_tests::{emulator_config, require_emulator, unique_name};

#[tokio::test]
async fn secrets_come_from_secrets_manager_when_named_by_arn_else_from_the_plain_variable() {
    let Some(endpoint) = require_emulator() else { return };
    let conf = emulator_config(&endpoint).await;
    let sm = aws_sdk_secretsmanager::Client::new(&conf);
    let created = sm
        .create_secret()
        .name(unique_name("wapipe-test/app-secret"))
        .secret_string("s3cr3t-from-secrets-manager")
        .send()
        .await
        .expect("CreateSecret");
    let arn = created.arn().expect("secret arn").to_string();

    let by_arn = arn.clone();
    let loader = SecretLoader::with_env(&conf, move |k| match k {
        "WAPIPE_APP_SECRET_ARN" => Some(by_arn.clone()),
        "WAPIPE_APP_SECRET" => Some("plain-is-ignored-when-an-arn-is-set".into()),
        "WAPIPE_VERIFY_TOKEN" => Some("plain-token".into()),
        _ => None,
    });
    assert_eq!(loader.source("WAPIPE_APP_SECRET"), SecretSource::SecretsManager(arn.clone()));
    let secret = loader.load("WAPIPE_APP_SECRET").await.expect("load by ARN");
    assert_eq!(secret.as_deref(), Some("s3cr3t-from-secrets-manager"));
    assert_eq!(loader.load("WAPIPE_VERIFY_TOKEN").await.expect("plain").as_deref(), Some("plain-token"));
    assert_eq!(loader.load("WAPIPE_UNSET").await.expect("unset"), None);

    // A rotated value is what the next init reads.
    sm.put_secret_value().secret_id(&arn).secret_string("rotated").send().await.expect("PutSecretValue");
    assert_eq!(loader.load("WAPIPE_APP_SECRET").await.expect("load").as_deref(), Some("rotated"));

    // A secret that is not there fails (init must not start without it), permanently.
    let missing = format!("{arn}-gone");
    let loader = SecretLoader::with_env(&conf, move |k| (k == "S_ARN").then(|| missing.clone()));
    match loader.load("S").await {
        Err(e @ SecretError::Fetch { .. }) => {
            assert!(!e.is_retryable(), "a missing secret is permanent: {e}");
            assert!(e.to_string().contains("S:"), "the error names the variable: {e}");
        }
        other => panic!("expected a fetch error, got {other:?}"),
    }
}
