//! Message templates through the SDK: create → list (paged) → get → update → delete.

mod support;

use aws_sdk_socialmessaging::operation::delete_whats_app_message_template::DeleteWhatsAppMessageTemplateError;
use aws_sdk_socialmessaging::primitives::Blob;
use aws_sdk_socialmessaging::types::{MetaLibraryTemplate, S3File};
use aws_sdk_socialmessaging::Client;
use serde_json::{json, Value};
use support::{blob, client};
use wapipe_fake_eum::{FakeEum, DEFAULT_WABA_ID};

fn definition(name: &str, language: &str) -> Value {
    json!({"name": name, "language": language, "allow_category_change": true, "category": "UTILITY",
           "components": [{"type": "BODY", "text": "Hi {{1}}, your order #{{2}} has shipped.",
                           "example": {"body_text": [["Ada", "42"]]}}]})
}

async fn create(sdk: &Client, name: &str, language: &str) -> String {
    let out = sdk
        .create_whats_app_message_template()
        .id(DEFAULT_WABA_ID)
        .template_definition(blob(&definition(name, language)))
        .send()
        .await
        .expect("create template");
    assert_eq!(out.template_status(), Some("PENDING"));
    assert_eq!(out.category(), Some("UTILITY"));
    out.meta_template_id().expect("metaTemplateId").to_string()
}

#[tokio::test]
async fn template_lifecycle() {
    let fake = FakeEum::start().await;
    let sdk = client(&fake.endpoint());

    let ids = [
        create(&sdk, "order_update", "en_US").await,
        create(&sdk, "order_update", "hi_IN").await,
        create(&sdk, "welcome", "en_US").await,
    ];
    let rec = &fake.requests_for("CreateWhatsAppMessageTemplate")[0];
    assert_eq!(rec.blob_member.as_deref(), Some("templateDefinition"));
    assert_eq!(rec.decoded.as_ref(), Some(&definition("order_update", "en_US")));

    // Duplicate name + language is rejected.
    let dup = sdk
        .create_whats_app_message_template()
        .id(DEFAULT_WABA_ID)
        .template_definition(blob(&definition("welcome", "en_US")))
        .send()
        .await
        .expect_err("duplicate");
    assert!(dup.into_service_error().is_invalid_parameters_exception());

    // Paged list with maxResults = 2.
    let p1 = sdk.list_whats_app_message_templates().id(DEFAULT_WABA_ID).max_results(2).send().await.unwrap();
    assert_eq!(p1.templates().len(), 2);
    let token = p1.next_token().expect("nextToken").to_string();
    let p2 = sdk.list_whats_app_message_templates().id(DEFAULT_WABA_ID).max_results(2).next_token(token);
    let p2 = p2.send().await.unwrap();
    assert_eq!(p2.templates().len(), 1);
    assert!(p2.next_token().is_none());
    let all: Vec<_> = p1.templates().iter().chain(p2.templates()).collect();
    assert_eq!(all.iter().map(|t| t.meta_template_id().unwrap_or("")).collect::<Vec<_>>(), ids.to_vec());
    assert_eq!(all[1].template_language(), Some("hi_IN"));
    assert_eq!(all[1].template_status(), Some("PENDING"));
    assert_eq!(
        fake.requests_for("ListWhatsAppMessageTemplates")[0].query.get("maxResults").map(String::as_str),
        Some("2")
    );

    // Get by id and by name + language.
    let got = sdk.get_whats_app_message_template().id(DEFAULT_WABA_ID).meta_template_id(&ids[2]).send().await.unwrap();
    let meta: Value = serde_json::from_str(got.template().expect("template")).expect("template JSON");
    assert_eq!((meta["name"].as_str(), meta["id"].as_str()), (Some("welcome"), Some(ids[2].as_str())));
    let got = sdk
        .get_whats_app_message_template()
        .id(DEFAULT_WABA_ID)
        .template_name("order_update")
        .template_language_code("hi_IN")
        .send()
        .await
        .unwrap();
    let meta: Value = serde_json::from_str(got.template().unwrap()).unwrap();
    assert_eq!(meta["id"].as_str(), Some(ids[1].as_str()));

    // Update components and category.
    let components = json!([{"type": "BODY", "text": "Updated {{1}}"}]);
    sdk.update_whats_app_message_template()
        .id(DEFAULT_WABA_ID)
        .meta_template_id(&ids[2])
        .template_category("MARKETING")
        .template_components(blob(&components))
        .send()
        .await
        .expect("update");
    let upd = &fake.requests_for("UpdateWhatsAppMessageTemplate")[0];
    assert_eq!(upd.decoded.as_ref(), Some(&components));
    let t = fake.templates().into_iter().find(|t| t.meta_template_id == ids[2]).unwrap();
    assert_eq!((t.category.as_str(), &t.definition["components"]), ("MARKETING", &components));

    // Delete all languages of order_update.
    sdk.delete_whats_app_message_template()
        .id(DEFAULT_WABA_ID)
        .template_name("order_update")
        .delete_all_languages(true)
        .send()
        .await
        .expect("delete");
    let del = &fake.requests_for("DeleteWhatsAppMessageTemplate")[0];
    assert_eq!(del.method, "DELETE");
    assert_eq!(del.query.get("deleteAllTemplates").map(String::as_str), Some("true"));
    assert_eq!(del.query.get("templateName").map(String::as_str), Some("order_update"));
    let left = sdk.list_whats_app_message_templates().id(DEFAULT_WABA_ID).send().await.unwrap();
    assert_eq!(left.templates().iter().map(|t| t.template_name().unwrap_or("")).collect::<Vec<_>>(), vec!["welcome"]);

    let again = sdk
        .delete_whats_app_message_template()
        .id(DEFAULT_WABA_ID)
        .template_name("order_update")
        .send()
        .await
        .expect_err("already gone")
        .into_service_error();
    assert!(matches!(again, DeleteWhatsAppMessageTemplateError::ResourceNotFoundException(_)));

    assert_eq!(fake.set_template_status("welcome", "APPROVED"), 1);
    let left = sdk.list_whats_app_message_templates().id(DEFAULT_WABA_ID).send().await.unwrap();
    assert_eq!(left.templates()[0].template_status(), Some("APPROVED"));
}

#[tokio::test]
async fn invalid_template_definitions_are_rejected() {
    let fake = FakeEum::builder().template_status("APPROVED").start().await;
    let sdk = client(&fake.endpoint());
    for def in [
        Blob::new(b"{not json".to_vec()),
        blob(&json!({"language": "en_US", "category": "UTILITY", "components": []})),
        blob(&json!({"name": "x", "language": "en_US", "category": "SPAM", "components": []})),
        blob(&json!({"name": "x", "language": "en_US", "category": "UTILITY"})),
    ] {
        let err = sdk.create_whats_app_message_template().id(DEFAULT_WABA_ID).template_definition(def).send().await;
        assert!(err.expect_err("invalid").into_service_error().is_validation_exception());
    }
    let err = sdk
        .create_whats_app_message_template()
        .id("waba-00000000000000000000000000000000")
        .template_definition(blob(&definition("x", "en_US")))
        .send()
        .await
        .expect_err("unknown waba");
    assert!(err.into_service_error().is_resource_not_found_exception());
    let ok = sdk
        .create_whats_app_message_template()
        .id(DEFAULT_WABA_ID)
        .template_definition(blob(&definition("x", "en_US")))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.template_status(), Some("APPROVED"), "builder template_status");
}

#[tokio::test]
async fn library_and_template_media() {
    let fake = FakeEum::start().await;
    let sdk = client(&fake.endpoint());

    let lib = sdk
        .list_whats_app_template_library()
        .id(DEFAULT_WABA_ID)
        .filters("searchKey", "order")
        .max_results(1)
        .send()
        .await
        .expect("library");
    assert_eq!(lib.meta_library_templates().len(), 1);
    assert!(lib.next_token().is_some());
    let rec = &fake.requests_for("ListWhatsAppTemplateLibrary")[0];
    assert_eq!(rec.query.get("id").map(String::as_str), Some(DEFAULT_WABA_ID));
    assert_eq!(rec.body.as_ref().map(|b| b["filters"]["searchKey"].clone()), Some(json!("order")));

    let from_lib = sdk
        .create_whats_app_message_template_from_library()
        .id(DEFAULT_WABA_ID)
        .meta_library_template(
            MetaLibraryTemplate::builder()
                .template_name("my_order_confirmation")
                .library_template_name("order_confirmation")
                .template_category("UTILITY")
                .template_language("en_US")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("from library");
    assert_eq!(from_lib.template_status(), Some("APPROVED"));
    assert!(from_lib.meta_template_id().is_some());
    assert_eq!(fake.templates()[0].name, "my_order_confirmation");

    let media = sdk
        .create_whats_app_message_template_media()
        .id(DEFAULT_WABA_ID)
        .source_s3_file(S3File::builder().bucket_name("assets").key("header.png").build().unwrap())
        .send()
        .await
        .expect("template media");
    assert!(media.meta_header_handle().is_some_and(|h| h.starts_with("4::")));
}
