use std::path::Path;

use wapipe_core::domain::flows::crypto::load_private_key;
use wapipe_core::domain::flows::token::{FlowSession, STATE_COMPLETED};
use wapipe_fake_eum::{FakeEum, DEFAULT_PHONE_ID, DEFAULT_REGION};

use super::*;

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("wapipe-flows-{name}-{}", std::process::id()));
    let _ignored = std::fs::remove_dir_all(&d);
    d
}

#[test]
fn keygen_writes_a_private_key_only_its_owner_reads_and_a_matching_public_key() {
    let dir = temp_dir("keygen");
    let (private, public) = keygen(&dir, None, false).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&private).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let key = load_private_key(&std::fs::read_to_string(&private).unwrap(), None).unwrap();
    let public_key = parse_public_key(&std::fs::read_to_string(&public).unwrap()).unwrap();
    assert_eq!(key.to_public_key(), public_key);
    assert!(keygen(&dir, None, false).unwrap_err().contains("exists"), "never overwritten by accident");
    // With a passphrase: encrypted PKCS#8, readable only with it.
    let (private, _) = keygen(&dir, Some("pw"), true).unwrap();
    let pem = std::fs::read_to_string(&private).unwrap();
    assert!(pem.contains("ENCRYPTED PRIVATE KEY"));
    assert!(load_private_key(&pem, None).is_err());
    assert!(load_private_key(&pem, Some("pw")).is_ok());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn upload_key_registers_the_public_key_with_eum_and_reports_its_status() {
    let fake = FakeEum::start().await;
    let sdk = wapipe_core::aws::sdk_config_for_endpoint(&fake.endpoint(), DEFAULT_REGION).await;
    let client = aws_sdk_socialmessaging::Client::new(&sdk);
    let admin = wapipe_core::aws::EumAdmin::from_conf(&sdk);
    let dir = temp_dir("upload");
    let (private, public) = keygen(&dir, None, false).unwrap();
    let pem = std::fs::read_to_string(&public).unwrap();
    assert_eq!(upload_key(&admin, DEFAULT_PHONE_ID, &pem).await.unwrap(), "VALID");
    let got = client.get_whats_app_business_public_key().origination_phone_number_id(DEFAULT_PHONE_ID).send().await;
    assert_eq!(got.unwrap().business_public_key().map(str::trim), Some(pem.trim()));
    // The private key is refused before any call; an unknown number is EUM's error.
    let private_pem = std::fs::read_to_string(&private).unwrap();
    assert!(upload_key(&admin, DEFAULT_PHONE_ID, &private_pem).await.unwrap_err().contains("private key"));
    let err = upload_key(&admin, "phone-number-id-unknown", &pem).await.unwrap_err();
    assert!(err.contains("PutWhatsAppBusinessPublicKey"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

fn sample(name: &str) -> Vec<webhook_ingest::RecordIn> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../events").join(name);
    crate::replay::file_records(&path).unwrap()
}

#[tokio::test]
async fn a_replayed_flow_reply_is_stored_beside_its_session_and_closes_it() {
    let mut local = Local::open(None).unwrap();
    register(&mut local);
    // The sample reply carries this token; the send worker would have issued it.
    let token = "wapipe-flow-4774d3e3f6012fe2";
    let spec = FlowTokenSpec {
        flow: "csat",
        phone_number_id: "106540352242922",
        recipient: "919876543210",
        request_id: None,
        wamid: None,
        token: Some(token),
        ttl: None,
    };
    let now = time::OffsetDateTime::from_unix_timestamp(1_758_170_000).unwrap();
    local.store.write(issue_flow_token(&spec, now).unwrap().write).await.unwrap();
    for _ in 0..2 {
        // Twice: the redelivery is deduplicated by ingest, and the response put is conditional.
        let report = local.ingest.handle_batch(&sample("example-sqs-eum-interactive-flow-reply.json")).await;
        assert!(report.failures().is_empty());
        local.drain().await;
    }
    let by_token = responses(&local.store, token).await.unwrap();
    assert_eq!(by_token.len(), 1, "{by_token:#?}");
    assert_eq!(by_token[0].attrs["response"]["rating"], "5");
    assert_eq!(by_token[0].get_str("flow"), Some("csat"));
    let by_flow = responses(&local.store, "csat").await.unwrap();
    assert_eq!(by_flow, by_token);
    assert!(responses(&local.store, "other").await.unwrap().is_empty());
    let k = keys::flow_session(token);
    let session = FlowSession::from_item(&local.store.get(&k.pk, &k.sk).await.unwrap().unwrap()).unwrap();
    assert_eq!(session.state, STATE_COMPLETED);
}
