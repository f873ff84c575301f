//! Property: no input makes ingest panic; every record ends done, parked or retried.

mod support;

use proptest::prelude::*;
use serde_json::Value;
use support::*;
use wapipe_core::domain::envelope::decode_body;
use webhook_ingest::{Outcome, RecordIn};

/// JSON steered towards the envelope and webhook field names.
fn json_value() -> impl Strategy<Value = Value> {
    wapipe_core::testing::arb_json(&[
        "whatsAppWebhookEntry",
        "Message",
        "Type",
        "Notification",
        "context",
        "object",
        "entry",
        "changes",
        "value",
        "field",
        "messages",
        "statuses",
        "metadata",
        "id",
    ])
}

/// Wrap a value the way EUM does, to reach the inner layers with arbitrary content.
fn wrapped(v: &Value, layers: u8) -> String {
    let entry = v.to_string();
    match layers {
        0 => entry,
        1 => serde_json::json!({"whatsAppWebhookEntry": entry}).to_string(),
        _ => serde_json::json!({"Type": "Notification", "Message": serde_json::json!({"whatsAppWebhookEntry": entry}).to_string()}).to_string(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let body = String::from_utf8_lossy(&bytes).to_string();
        let _decoded = decode_body(&body);
        run(vec![RecordIn { id: "r".into(), body, sent_at: None, ..Default::default() }]);
    }

    #[test]
    fn arbitrary_json_at_every_layer_never_panics(v in json_value(), layers in 0u8..3) {
        let body = wrapped(&v, layers);
        run(vec![RecordIn { id: "r".into(), body, sent_at: None, ..Default::default() }]);
    }

    #[test]
    fn mutated_samples_never_panic(seed in any::<u64>(), cut in 0usize..4000, junk in ".{0,6}") {
        let rels: Vec<String> = manifest().keys().cloned().collect();
        let rel = &rels[(seed as usize) % rels.len()];
        let mut recs = records(rel);
        for r in &mut recs {
            let at = cut.min(r.body.len());
            let at = (0..=at).rev().find(|i| r.body.is_char_boundary(*i)).unwrap_or(0);
            r.body.insert_str(at, &junk);
        }
        run(recs);
    }
}

fn run(recs: Vec<RecordIn>) {
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let (ingest, _store, _bus) = ingest();
    let report = rt.block_on(ingest.handle_batch(&recs));
    assert_eq!(report.outcomes.len(), recs.len());
    for (_, o) in report.outcomes {
        // Memory adapters never fail: every record must end done or parked.
        assert!(matches!(o, Outcome::Done { .. } | Outcome::Parked { .. }), "{o:?}");
    }
}
