//! WhatsApp Flows through the SDK: create → update assets → publish → deprecate, and the rules in between.

mod support;

use aws_sdk_socialmessaging::types::MetaFlowCategory;
use serde_json::json;
use support::{blob, client};
use wapipe_fake_eum::{FakeEum, DEFAULT_META_WABA_ID, DEFAULT_WABA_ID};

#[tokio::test]
async fn flow_lifecycle() {
    let fake = FakeEum::start().await;
    let sdk = client(&fake.endpoint());

    let created = sdk
        .create_whats_app_flow()
        .id(DEFAULT_WABA_ID)
        .flow_name("signup")
        .categories(MetaFlowCategory::SignUp)
        .endpoint_uri("https://flows.example.com/data")
        .send()
        .await
        .expect("create flow");
    let flow_id = created.flow_id().expect("flowId").to_string();
    assert!(created.validation_errors().is_empty());

    // Invalid JSON (no screens) is stored with validation errors; publishing is refused.
    let bad = json!({"version": "6.0"});
    let upd = sdk
        .update_whats_app_flow_assets()
        .id(DEFAULT_WABA_ID)
        .flow_id(&flow_id)
        .flow_json(blob(&bad))
        .send()
        .await
        .expect("update assets");
    assert_eq!(upd.validation_errors().len(), 1, "{:?}", upd.validation_errors());
    let refused = sdk.publish_whats_app_flow().id(DEFAULT_WABA_ID).flow_id(&flow_id).send().await;
    assert!(refused.expect_err("invalid flow").into_service_error().is_validation_exception());

    let flow_json = json!({"version": "6.0", "data_api_version": "3.0", "routing_model": {"WELCOME": []},
        "screens": [{"id": "WELCOME", "title": "Welcome", "terminal": true, "data": {},
                     "layout": {"type": "SingleColumnLayout", "children": []}}]});
    let upd = sdk
        .update_whats_app_flow_assets()
        .id(DEFAULT_WABA_ID)
        .flow_id(&flow_id)
        .flow_json(blob(&flow_json))
        .send()
        .await
        .expect("update assets");
    assert!(upd.validation_errors().is_empty());
    let rec = fake.requests_for("UpdateWhatsAppFlowAssets").pop().unwrap();
    assert_eq!((rec.blob_member.as_deref(), rec.decoded.as_ref()), (Some("flowJson"), Some(&flow_json)));

    sdk.update_whats_app_flow()
        .id(DEFAULT_WABA_ID)
        .flow_id(&flow_id)
        .flow_name("signup_v2")
        .send()
        .await
        .expect("update metadata");

    sdk.publish_whats_app_flow().id(DEFAULT_WABA_ID).flow_id(&flow_id).send().await.expect("publish");

    let got = sdk.get_whats_app_flow().id(DEFAULT_WABA_ID).flow_id(&flow_id).send().await.expect("get flow");
    assert_eq!((got.flow_name(), got.flow_status()), ("signup_v2", "PUBLISHED"));
    assert_eq!(got.categories(), &[MetaFlowCategory::SignUp]);
    assert_eq!(got.json_version(), Some("6.0"));
    assert_eq!(got.data_api_version(), Some("3.0"));
    assert_eq!(got.endpoint_uri(), Some("https://flows.example.com/data"));
    assert_eq!(got.whats_app_business_account().map(|w| w.id()), Some(DEFAULT_META_WABA_ID));

    // Published flows are read-only and cannot be deleted.
    let locked = sdk.update_whats_app_flow_assets().id(DEFAULT_WABA_ID).flow_id(&flow_id).flow_json(blob(&flow_json));
    assert!(locked.send().await.expect_err("published").into_service_error().is_validation_exception());
    let undeletable = sdk.delete_whats_app_flow().id(DEFAULT_WABA_ID).flow_id(&flow_id).send().await;
    assert!(undeletable.expect_err("published").into_service_error().is_validation_exception());

    let assets = sdk.list_whats_app_flow_assets().id(DEFAULT_WABA_ID).flow_id(&flow_id).send().await.unwrap();
    assert_eq!(assets.flow_assets().len(), 1);
    assert_eq!(assets.flow_assets()[0].asset_type(), "FLOW_JSON");

    let preview = sdk.get_whats_app_flow_preview().id(DEFAULT_WABA_ID).flow_id(&flow_id).invalidate(true).send().await;
    let preview = preview.expect("preview");
    assert_eq!(preview.flow_id(), flow_id);
    assert!(preview.preview().is_some_and(|p| p.preview_url().contains(&flow_id)));
    assert_eq!(
        fake.requests_for("GetWhatsAppFlowPreview")[0].query.get("invalidate").map(String::as_str),
        Some("true")
    );

    sdk.deprecate_whats_app_flow().id(DEFAULT_WABA_ID).flow_id(&flow_id).send().await.expect("deprecate");
    let list = sdk.list_whats_app_flows().id(DEFAULT_WABA_ID).send().await.expect("list flows");
    assert_eq!(list.flows().len(), 1);
    assert_eq!(list.flows()[0].flow_status(), "DEPRECATED");
}

#[tokio::test]
async fn draft_flows_can_be_deleted_and_created_published() {
    let fake = FakeEum::start().await;
    let sdk = client(&fake.endpoint());
    let flow_json = json!({"version": "6.0", "screens": [{"id": "ONE", "layout": {}}]});
    let published = sdk
        .create_whats_app_flow()
        .id(DEFAULT_WABA_ID)
        .flow_name("survey")
        .categories(MetaFlowCategory::Survey)
        .flow_json(blob(&flow_json))
        .publish(true)
        .send()
        .await
        .expect("create published");
    let pid = published.flow_id().unwrap().to_string();
    assert_eq!(fake.flows()[0].status, "PUBLISHED");
    assert_eq!(fake.requests()[0].decoded.as_ref(), Some(&flow_json));

    let draft = sdk.create_whats_app_flow().id(DEFAULT_WABA_ID).flow_name("draft").clone_flow_id(&pid).send().await;
    let did = draft.expect("clone").flow_id().unwrap().to_string();
    assert_eq!(fake.flows()[1].flow_json.as_ref(), Some(&flow_json), "clone copies the JSON");
    sdk.delete_whats_app_flow().id(DEFAULT_WABA_ID).flow_id(&did).send().await.expect("delete draft");
    let gone = sdk.get_whats_app_flow().id(DEFAULT_WABA_ID).flow_id(&did).send().await;
    assert!(gone.expect_err("deleted").into_service_error().is_resource_not_found_exception());

    let p1 = sdk.list_whats_app_flows().id(DEFAULT_WABA_ID).max_results(1).send().await.unwrap();
    assert_eq!(p1.flows().len(), 1);
    assert!(p1.next_token().is_none());
}
