//! The admin port's EUM adapter (`wapipe_core::aws::EumAdmin`) through the real SDK client
//! against the fake EUM server: every operation it uses, asserting the request as EUM decodes it
//! (method, path, query keys, body keys, base64 blobs decoded and compared).

use std::collections::BTreeMap;

use serde_json::{json, Value};
use wapipe_core::app::paging::all_templates;
use wapipe_core::aws::{sdk_config_for_endpoint, EumAdmin};
use wapipe_core::ports::admin::*;
use wapipe_fake_eum::{FakeEum, Recorded, DEFAULT_PHONE_ID, DEFAULT_REGION, DEFAULT_WABA_ID};

async fn admin(fake: &FakeEum) -> EumAdmin {
    EumAdmin::from_conf(&sdk_config_for_endpoint(&fake.endpoint(), DEFAULT_REGION).await)
}

fn one(fake: &FakeEum, op: &str) -> Recorded {
    let recs = fake.requests_for(op);
    assert_eq!(recs.len(), 1, "{op}: {recs:?}");
    recs.into_iter().next().unwrap()
}

fn q(r: &Recorded, k: &str) -> Option<String> {
    r.query.get(k).cloned()
}

fn definition(name: &str, lang: &str) -> Value {
    json!({"name": name, "language": lang, "category": "UTILITY",
           "components": [{"type": "BODY", "text": "Hi {{1}}, order {{2}} shipped.", "example": {"body_text": [["A", "1"]]}}]})
}

#[tokio::test]
async fn templates_create_list_get_update_delete_through_eum() {
    let fake = FakeEum::start().await;
    let a = admin(&fake).await;
    for (n, l) in [("order_update", "en_US"), ("order_update", "hi_IN"), ("welcome", "en_US")] {
        let bytes = serde_json::to_vec(&definition(n, l)).unwrap();
        let created = a.create_template(DEFAULT_WABA_ID, &bytes).await.unwrap();
        assert_eq!((created.status.as_str(), created.category.as_str()), ("PENDING", "UTILITY"));
    }
    let c = &fake.requests_for("CreateWhatsAppMessageTemplate")[0];
    assert_eq!((c.method.as_str(), c.path.as_str()), ("POST", "/v1/whatsapp/template/put"));
    assert_eq!(c.body.as_ref().unwrap()["id"], DEFAULT_WABA_ID);
    assert_eq!(c.blob_member.as_deref(), Some("templateDefinition"));
    assert_eq!(
        c.decoded.as_ref(),
        Some(&definition("order_update", "en_US")),
        "the base64 blob decodes to the definition"
    );

    // Paged: two pages of 2 then 1; all_templates walks them.
    let p1 = a.list_templates(DEFAULT_WABA_ID, None, Some(2)).await.unwrap();
    assert_eq!(p1.templates.len(), 2);
    let token = p1.next_token.clone().expect("a second page");
    let p2 = a.list_templates(DEFAULT_WABA_ID, Some(&token), Some(2)).await.unwrap();
    assert_eq!((p2.templates.len(), p2.next_token), (1, None));
    let l = &fake.requests_for("ListWhatsAppMessageTemplates")[1];
    assert_eq!((l.method.as_str(), l.path.as_str()), ("GET", "/v1/whatsapp/template/list"));
    assert_eq!((q(l, "id").as_deref(), q(l, "maxResults").as_deref()), (Some(DEFAULT_WABA_ID), Some("2")));
    assert_eq!(q(l, "nextToken"), Some(token));
    let mut pages = 0;
    let all = all_templates(&a, DEFAULT_WABA_ID, 10, |_| pages += 1).await.unwrap();
    assert_eq!((all.len(), pages), (3, 1));
    let hi = all.iter().find(|t| t.language == "hi_IN").unwrap().clone();

    let by_name = TemplateRef::NameLanguage { name: "welcome".into(), language: "en_US".into() };
    let meta: Value = serde_json::from_str(&a.get_template(DEFAULT_WABA_ID, &by_name).await.unwrap()).unwrap();
    assert_eq!(meta["name"], "welcome");
    let g = one(&fake, "GetWhatsAppMessageTemplate");
    assert_eq!((g.method.as_str(), g.path.as_str()), ("GET", "/v1/whatsapp/template"));
    assert_eq!(
        (q(&g, "templateName").as_deref(), q(&g, "templateLanguageCode").as_deref()),
        (Some("welcome"), Some("en_US"))
    );
    assert_eq!(q(&g, "metaTemplateId"), None);

    let comps = json!([{"type": "BODY", "text": "Hello {{1}}, order {{2}} is on its way.", "example": {"body_text": [["A", "1"]]}}]);
    let update =
        TemplateUpdate { components: Some(comps.clone()), category: Some("MARKETING".into()), ..Default::default() };
    a.update_template(DEFAULT_WABA_ID, &TemplateRef::MetaId(hi.meta_template_id.clone()), &update).await.unwrap();
    let u = one(&fake, "UpdateWhatsAppMessageTemplate");
    assert_eq!((u.method.as_str(), u.path.as_str()), ("POST", "/v1/whatsapp/template"));
    assert_eq!(u.body.as_ref().unwrap()["metaTemplateId"], json!(hi.meta_template_id));
    assert_eq!(u.body.as_ref().unwrap()["templateCategory"], "MARKETING");
    assert_eq!(u.decoded.as_ref(), Some(&comps), "templateComponents is the base64 of the components");

    // One language, then every language of a name.
    a.delete_template(
        DEFAULT_WABA_ID,
        "order_update",
        &DeleteScope::OneLanguage { meta_template_id: hi.meta_template_id.clone() },
    )
    .await
    .unwrap();
    let d = &fake.requests_for("DeleteWhatsAppMessageTemplate")[0];
    assert_eq!((d.method.as_str(), d.path.as_str()), ("DELETE", "/v1/whatsapp/template"));
    assert_eq!(q(d, "metaTemplateId"), Some(hi.meta_template_id.clone()));
    assert_eq!(q(d, "deleteAllTemplates"), None);
    assert_eq!(fake.templates().iter().filter(|t| t.name == "order_update").count(), 1);
    a.delete_template(DEFAULT_WABA_ID, "welcome", &DeleteScope::AllLanguages).await.unwrap();
    let d = &fake.requests_for("DeleteWhatsAppMessageTemplate")[1];
    assert_eq!(q(d, "deleteAllTemplates").as_deref(), Some("true"));
    assert_eq!((q(d, "templateName").as_deref(), q(d, "metaTemplateId")), (Some("welcome"), None));

    // EUM's errors come back typed.
    let err = a.delete_template(DEFAULT_WABA_ID, "nope", &DeleteScope::AllLanguages).await.unwrap_err();
    assert!(matches!(&err, AdminError::Eum(e) if e.exception == "ResourceNotFoundException"), "{err}");
}

#[tokio::test]
async fn template_library_and_template_media_through_eum() {
    let fake = FakeEum::start().await;
    let a = admin(&fake).await;
    let filters = BTreeMap::from([("searchKey".to_string(), "order".to_string())]);
    let page = a.list_library(DEFAULT_WABA_ID, &filters, None).await.unwrap();
    assert!(
        !page.templates.is_empty()
            && page.templates.iter().all(|t| t.name.contains("order") || t.body.to_lowercase().contains("order"))
    );
    let r = one(&fake, "ListWhatsAppTemplateLibrary");
    assert_eq!(
        (r.method.as_str(), r.path.as_str(), q(&r, "id").as_deref()),
        ("POST", "/v1/whatsapp/template/library", Some(DEFAULT_WABA_ID))
    );
    assert_eq!(r.body.as_ref().unwrap()["filters"], json!({"searchKey": "order"}));

    let from = FromLibrary {
        template_name: "my_order_confirmation".into(),
        library_template_name: "order_confirmation".into(),
        category: "UTILITY".into(),
        language: "en_US".into(),
    };
    let created = a.create_from_library(DEFAULT_WABA_ID, &from).await.unwrap();
    assert_eq!(created.status, "APPROVED");
    let r = one(&fake, "CreateWhatsAppMessageTemplateFromLibrary");
    assert_eq!(r.path, "/v1/whatsapp/template/create");
    assert_eq!(
        r.body.as_ref().unwrap()["metaLibraryTemplate"],
        json!({"templateName": "my_order_confirmation", "libraryTemplateName": "order_confirmation",
               "templateCategory": "UTILITY", "templateLanguage": "en_US"})
    );

    let handle = a.template_media(DEFAULT_WABA_ID, "media-bucket", "headers/banner.png").await.unwrap();
    assert!(handle.starts_with("4::"), "{handle}");
    let r = one(&fake, "CreateWhatsAppMessageTemplateMedia");
    assert_eq!(r.path, "/v1/whatsapp/template/media");
    assert_eq!(
        r.body.as_ref().unwrap()["sourceS3File"],
        json!({"bucketName": "media-bucket", "key": "headers/banner.png"})
    );
}

#[tokio::test]
async fn media_upload_get_delete_through_eum() {
    let fake = FakeEum::start().await;
    let a = admin(&fake).await;
    let file = S3Location::parse_s3_uri("s3://media-bucket/in/photo.jpg").unwrap();
    let id = a.upload_media(DEFAULT_PHONE_ID, &file).await.unwrap();
    let r = one(&fake, "PostWhatsAppMessageMedia");
    assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/v1/whatsapp/media"));
    assert_eq!(r.body.as_ref().unwrap()["sourceS3File"], json!({"bucketName": "media-bucket", "key": "in/photo.jpg"}));
    assert_eq!(r.body.as_ref().unwrap()["originationPhoneNumberId"], DEFAULT_PHONE_ID);

    let headers = BTreeMap::from([("Content-Type".to_string(), "application/pdf".to_string())]);
    let url = S3Location::Presigned { url: "https://bucket.s3.example/doc.pdf?X-Amz-Signature=abc".into(), headers };
    let id2 = a.upload_media(DEFAULT_PHONE_ID, &url).await.unwrap();
    let r = &fake.requests_for("PostWhatsAppMessageMedia")[1];
    assert_eq!(
        r.body.as_ref().unwrap()["sourceS3PresignedUrl"],
        json!({"url": "https://bucket.s3.example/doc.pdf?X-Amz-Signature=abc", "headers": {"Content-Type": "application/pdf"}})
    );

    let meta = a.get_media(DEFAULT_PHONE_ID, &id, None).await.unwrap();
    assert_eq!(meta.mime_type, "image/jpeg");
    let r = one(&fake, "GetWhatsAppMessageMedia");
    assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/v1/whatsapp/media/get"));
    assert_eq!(r.body.as_ref().unwrap()["metadataOnly"], true);
    let to = S3Location::parse_s3_uri("s3://out-bucket/copies/").unwrap();
    let info = a.get_media(DEFAULT_PHONE_ID, &id2, Some(&to)).await.unwrap();
    assert_eq!(info.mime_type, "application/pdf");
    let r = &fake.requests_for("GetWhatsAppMessageMedia")[1];
    assert_eq!(r.body.as_ref().unwrap()["destinationS3File"], json!({"bucketName": "out-bucket", "key": "copies/"}));
    assert!(r.body.as_ref().unwrap().get("metadataOnly").is_none());
    let put_url = S3Location::Presigned { url: "https://out.s3.example/x?sig=1".into(), headers: BTreeMap::new() };
    a.get_media(DEFAULT_PHONE_ID, &id2, Some(&put_url)).await.unwrap();
    let r = &fake.requests_for("GetWhatsAppMessageMedia")[2];
    assert_eq!(r.body.as_ref().unwrap()["destinationS3PresignedUrl"]["url"], "https://out.s3.example/x?sig=1");

    assert!(a.delete_media(DEFAULT_PHONE_ID, &id).await.unwrap());
    let r = one(&fake, "DeleteWhatsAppMessageMedia");
    assert_eq!((r.method.as_str(), r.path.as_str()), ("DELETE", "/v1/whatsapp/media"));
    assert_eq!(
        (q(&r, "mediaId"), q(&r, "originationPhoneNumberId").as_deref()),
        (Some(id.clone()), Some(DEFAULT_PHONE_ID))
    );
    assert!(r.body.is_none(), "DELETE carries its inputs in the query only");
    assert!(matches!(a.get_media(DEFAULT_PHONE_ID, &id, None).await, Err(AdminError::Eum(_))));
}

fn flow_json() -> Value {
    json!({"version": "6.0", "screens": [{"id": "WELCOME", "title": "Hi", "terminal": true, "layout": {"type": "SingleColumnLayout", "children": []}}]})
}

#[tokio::test]
async fn flows_registry_through_eum() {
    let fake = FakeEum::start().await;
    let a = admin(&fake).await;
    let flow = NewFlow {
        name: "signup".into(),
        categories: vec!["SIGN_UP".into()],
        flow_json: Some(serde_json::to_vec(&flow_json()).unwrap()),
        endpoint_uri: Some("https://flows.example/flow".into()),
        ..NewFlow::default()
    };
    let (flow_id, errors) = a.create_flow(DEFAULT_WABA_ID, &flow).await.unwrap();
    assert!(errors.is_empty(), "{errors:?}");
    let r = one(&fake, "CreateWhatsAppFlow");
    assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/v1/whatsapp/flow/create"));
    assert_eq!(r.blob_member.as_deref(), Some("flowJson"));
    assert_eq!(r.decoded.as_ref(), Some(&flow_json()));
    let body = r.body.as_ref().unwrap();
    assert_eq!(
        (body["flowName"].clone(), body["categories"].clone(), body["endpointUri"].clone()),
        (json!("signup"), json!(["SIGN_UP"]), json!("https://flows.example/flow"))
    );

    let update = FlowUpdate {
        name: Some("signup_v2".into()),
        categories: Some(vec!["SIGN_IN".into()]),
        ..FlowUpdate::default()
    };
    a.update_flow(DEFAULT_WABA_ID, &flow_id, &update).await.unwrap();
    let r = one(&fake, "UpdateWhatsAppFlow");
    assert_eq!(
        (r.path.as_str(), r.body.as_ref().unwrap()["flowName"].clone()),
        ("/v1/whatsapp/flow/update", json!("signup_v2"))
    );
    assert_eq!(r.body.as_ref().unwrap()["flowId"], json!(flow_id));

    let mut v2 = flow_json();
    v2["screens"][0]["title"] = json!("Hello");
    let errs = a.update_flow_assets(DEFAULT_WABA_ID, &flow_id, &serde_json::to_vec(&v2).unwrap()).await.unwrap();
    assert!(errs.is_empty());
    let r = one(&fake, "UpdateWhatsAppFlowAssets");
    assert_eq!((r.path.as_str(), r.decoded.as_ref()), ("/v1/whatsapp/flow/assets/update", Some(&v2)));

    let assets = a.list_flow_assets(DEFAULT_WABA_ID, &flow_id).await.unwrap();
    assert_eq!(assets.len(), 1);
    let r = one(&fake, "ListWhatsAppFlowAssets");
    assert_eq!((r.method.as_str(), q(&r, "flowId")), ("GET", Some(flow_id.clone())));

    let got = a.get_flow(DEFAULT_WABA_ID, &flow_id).await.unwrap();
    assert_eq!((got.name.as_str(), got.status.as_str()), ("signup_v2", "DRAFT"));
    assert_eq!(got.categories, vec!["SIGN_IN".to_string()]);
    let r = one(&fake, "GetWhatsAppFlow");
    assert_eq!(
        (r.path.as_str(), q(&r, "id").as_deref(), q(&r, "flowId")),
        ("/v1/whatsapp/flow", Some(DEFAULT_WABA_ID), Some(flow_id.clone()))
    );

    let preview = a.preview_flow(DEFAULT_WABA_ID, &flow_id, true).await.unwrap();
    assert!(!preview.url.is_empty());
    let r = one(&fake, "GetWhatsAppFlowPreview");
    assert_eq!((r.path.as_str(), q(&r, "invalidate").as_deref()), ("/v1/whatsapp/flow/preview", Some("true")));

    let page = a.list_flows(DEFAULT_WABA_ID, None, Some(10)).await.unwrap();
    assert_eq!(page.flows.iter().map(|f| f.flow_id.clone()).collect::<Vec<_>>(), vec![flow_id.clone()]);
    let r = one(&fake, "ListWhatsAppFlows");
    assert_eq!((r.path.as_str(), q(&r, "maxResults").as_deref()), ("/v1/whatsapp/flow/list", Some("10")));

    a.publish_flow(DEFAULT_WABA_ID, &flow_id).await.unwrap();
    assert_eq!(one(&fake, "PublishWhatsAppFlow").body.unwrap()["flowId"], json!(flow_id));
    // A published flow cannot be deleted (Meta's rule, answered by EUM).
    assert!(matches!(a.delete_flow(DEFAULT_WABA_ID, &flow_id).await, Err(AdminError::Eum(_))));
    a.deprecate_flow(DEFAULT_WABA_ID, &flow_id).await.unwrap();
    assert_eq!(one(&fake, "DeprecateWhatsAppFlow").path, "/v1/whatsapp/flow/deprecate");
    assert_eq!(a.get_flow(DEFAULT_WABA_ID, &flow_id).await.unwrap().status, "DEPRECATED");

    let (draft, _) = a
        .create_flow(
            DEFAULT_WABA_ID,
            &NewFlow { name: "draft".into(), categories: vec!["OTHER".into()], ..NewFlow::default() },
        )
        .await
        .unwrap();
    a.delete_flow(DEFAULT_WABA_ID, &draft).await.unwrap();
    let r = fake.requests_for("DeleteWhatsAppFlow").pop().unwrap();
    assert_eq!((r.method.as_str(), r.path.as_str(), q(&r, "flowId")), ("DELETE", "/v1/whatsapp/flow", Some(draft)));
    assert_eq!(fake.flows().len(), 1);
}

#[tokio::test]
async fn event_destinations_and_public_key_through_eum() {
    let fake = FakeEum::start().await;
    let a = admin(&fake).await;
    let topic = "arn:aws:sns:ap-south-1:123456789012:wapipe-eum-events".to_string();
    a.put_event_destinations(DEFAULT_WABA_ID, &[(topic.clone(), None)]).await.unwrap();
    let r = one(&fake, "PutWhatsAppBusinessAccountEventDestinations");
    assert_eq!((r.method.as_str(), r.path.as_str()), ("PUT", "/v1/whatsapp/waba/eventdestinations"));
    assert_eq!(r.body.as_ref().unwrap()["eventDestinations"], json!([{"eventDestinationArn": topic}]));
    assert_eq!(fake.wabas()[0].event_destinations, vec![json!({"eventDestinationArn": topic})]);
    assert!(a.put_event_destinations(DEFAULT_WABA_ID, &[("not-an-arn".into(), None)]).await.is_err());

    let pem = "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----";
    a.put_public_key(DEFAULT_PHONE_ID, pem).await.unwrap();
    let r = one(&fake, "PutWhatsAppBusinessPublicKey");
    assert_eq!((r.method.as_str(), r.body.as_ref().unwrap()["businessPublicKey"].clone()), ("PUT", json!(pem)));
    let key = a.get_public_key(DEFAULT_PHONE_ID).await.unwrap();
    assert_eq!((key.pem.as_str(), key.signature_status.as_str()), (pem, "VALID"));
    let r = one(&fake, "GetWhatsAppBusinessPublicKey");
    assert_eq!(q(&r, "originationPhoneNumberId").as_deref(), Some(DEFAULT_PHONE_ID));
}

#[tokio::test]
async fn call_settings_with_hours_and_holidays_through_eum() {
    let fake = FakeEum::start().await;
    let a = admin(&fake).await;
    assert_eq!(a.call_settings(DEFAULT_PHONE_ID).await.unwrap(), None, "never set");
    let t = |s: &str| TimeOfDay::try_from(s.to_string()).unwrap();
    let settings = CallSettings {
        call_enabled: true,
        call_icon_visibility: Some("DEFAULT".into()),
        callback_permission_status: Some("ENABLED".into()),
        call_hours: Some(CallHours {
            enabled: true,
            timezone: "Asia/Kolkata".into(),
            weekly: vec![
                DayHours { day: "MONDAY".into(), open: t("09:00"), close: t("13:00") },
                DayHours { day: "MONDAY".into(), open: t("14:00"), close: t("18:30") },
            ],
            holidays: vec![HolidayHours { date: "2026-12-25".into(), start: t("10:00"), end: t("12:00") }],
        }),
    };
    assert_eq!(a.put_call_settings(DEFAULT_PHONE_ID, &settings).await.unwrap(), DEFAULT_PHONE_ID);
    let r = one(&fake, "UpdateLinkedWhatsAppBusinessAccountPhoneNumber");
    assert_eq!(
        (r.method.as_str(), r.path.as_str(), q(&r, "id").as_deref()),
        ("PUT", "/v1/whatsapp/waba/phone", Some(DEFAULT_PHONE_ID))
    );
    let hm = |h: i32, m: i32| json!({"hours": h, "minutes": m});
    assert_eq!(
        r.body.as_ref().unwrap()["callSettings"],
        json!({"callEnabled": true, "callIconVisibility": "DEFAULT", "callbackPermissionStatus": "ENABLED",
               "callHours": {"enabled": true, "timezone": "Asia/Kolkata",
                 "weeklyOperatingHours": [
                   {"dayOfWeek": "MONDAY", "openTime": hm(9, 0), "closeTime": hm(13, 0)},
                   {"dayOfWeek": "MONDAY", "openTime": hm(14, 0), "closeTime": hm(18, 30)}],
                 "holidaySchedule": [{"date": "2026-12-25", "startTime": hm(10, 0), "endTime": hm(12, 0)}]}})
    );
    // Read back through GetLinkedWhatsAppBusinessAccountPhoneNumber: the same settings.
    assert_eq!(a.call_settings(DEFAULT_PHONE_ID).await.unwrap(), Some(settings.clone()));
    // Refused before any call, naming the field: a third range on Monday, a range that closes first.
    let mut bad = settings.clone();
    let hours = bad.call_hours.as_mut().unwrap();
    hours.weekly.push(DayHours { day: "MONDAY".into(), open: t("19:00"), close: t("20:00") });
    assert!(matches!(a.put_call_settings(DEFAULT_PHONE_ID, &bad).await,
        Err(AdminError::Invalid { ref field, .. }) if field == "call_hours.weekly[0].day"));
    let mut bad = settings.clone();
    bad.call_hours.as_mut().unwrap().holidays[0].end = t("09:00");
    assert!(matches!(a.put_call_settings(DEFAULT_PHONE_ID, &bad).await,
        Err(AdminError::Invalid { ref field, .. }) if field == "call_hours.holidays[0].end"));
    assert!(TimeOfDay::try_from("24:00".to_string()).is_err());
    assert_eq!(fake.requests_for("UpdateLinkedWhatsAppBusinessAccountPhoneNumber").len(), 1, "nothing sent");
}

#[tokio::test]
async fn tags_and_disassociation_through_eum() {
    let fake = FakeEum::start().await;
    let a = admin(&fake).await;
    let waba_arn = fake.wabas()[0].arn.clone();
    let tags: BTreeMap<String, String> =
        [("team".to_string(), "support".to_string()), ("cost-centre".to_string(), "42".to_string())].into();
    a.tag(&waba_arn, &tags).await.unwrap();
    let r = one(&fake, "TagResource");
    assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/v1/tags/tag-resource"));
    assert_eq!(r.body.as_ref().unwrap()["resourceArn"], json!(waba_arn));
    let sent: BTreeMap<String, String> = r.body.as_ref().unwrap()["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["key"].as_str().unwrap().to_string(), t["value"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(sent, tags);
    assert_eq!(a.list_tags(&waba_arn).await.unwrap(), tags);
    let r = one(&fake, "ListTagsForResource");
    assert_eq!(
        (r.method.as_str(), r.path.as_str(), q(&r, "resourceArn")),
        ("GET", "/v1/tags/list", Some(waba_arn.clone()))
    );
    a.untag(&waba_arn, &["team".to_string()]).await.unwrap();
    let r = one(&fake, "UntagResource");
    assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/v1/tags/untag-resource"));
    assert_eq!(r.body.as_ref().unwrap()["tagKeys"], json!(["team"]));
    assert_eq!(fake.tags(&waba_arn), BTreeMap::from([("cost-centre".to_string(), "42".to_string())]));
    // Checked before any call: not a WABA or number ARN, a key too long.
    assert!(matches!(a.tag("arn:aws:sns:x:1:topic", &tags).await, Err(AdminError::Invalid { .. })));
    let long: BTreeMap<String, String> = [("k".repeat(129), "v".to_string())].into();
    assert!(matches!(a.tag(&waba_arn, &long).await, Err(AdminError::Invalid { .. })));
    assert_eq!(fake.requests_for("TagResource").len(), 1);

    a.disassociate_waba(DEFAULT_WABA_ID).await.unwrap();
    let r = one(&fake, "DisassociateWhatsAppBusinessAccount");
    assert_eq!(
        (r.method.as_str(), r.path.as_str(), q(&r, "id").as_deref()),
        ("DELETE", "/v1/whatsapp/waba/disassociate", Some(DEFAULT_WABA_ID))
    );
    assert!(fake.wabas().is_empty(), "the WABA is gone from EUM");
    let again = a.disassociate_waba(DEFAULT_WABA_ID).await.unwrap_err();
    assert!(matches!(again, AdminError::Eum(ref m) if m.exception == "ResourceNotFoundException"), "{again:?}");
}

#[tokio::test]
async fn dataset_and_conversion_events_through_eum() {
    use wapipe_core::ports::conversions::ConversionsApi;
    let fake = FakeEum::start().await;
    let a = admin(&fake).await;
    let id = a.create_dataset(DEFAULT_WABA_ID).await.unwrap();
    assert_eq!(a.create_dataset(DEFAULT_WABA_ID).await.unwrap(), id, "one dataset per WABA");
    let r = &fake.requests_for("CreateWhatsAppDataset")[0];
    assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/v1/whatsapp/waba/dataset"));
    assert_eq!(r.body.as_ref().unwrap()["id"], DEFAULT_WABA_ID);
    let payload = json!({"data": [{"event_name": "Purchase", "event_time": 1_758_182_494, "event_id": "e1",
        "action_source": "business_messaging", "messaging_channel": "whatsapp",
        "user_data": {"whatsapp_business_account_id": "1", "ctwa_clid": "clid-1"},
        "custom_data": {"currency": "INR", "value": 450.0}}]});
    let request_id =
        a.send_conversion_events(DEFAULT_WABA_ID, &id, &serde_json::to_vec(&payload).unwrap()).await.unwrap();
    assert!(!request_id.is_empty());
    let r = one(&fake, "SendWhatsAppConversionEvent");
    assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/v1/whatsapp/waba/dataset/events"));
    assert_eq!((r.blob_member.as_deref(), r.decoded.as_ref()), (Some("eventData"), Some(&payload)));
    assert_eq!(fake.conversion_events()[0].payload, payload);
    let e = a.send_conversion_events(DEFAULT_WABA_ID, "1234567890", b"{\"data\":[]}").await.unwrap_err();
    assert_eq!(e.exception, "ValidationException");
}

#[tokio::test]
async fn call_permission_and_call_events_through_eum() {
    use wapipe_core::domain::outbound::calls::CallAction;
    let fake = FakeEum::start().await;
    let a = admin(&fake).await;
    // No permission yet: a request may be sent, a call may not; the limits are EUM's.
    let p = a.call_permission(DEFAULT_PHONE_ID, &CallUser::Phone("+919876543210".into())).await.unwrap();
    assert_eq!(p.status, "no_permission");
    let request = p.actions.iter().find(|x| x.action_name == "send_call_permission_request").unwrap();
    assert!(request.can_perform_action);
    assert_eq!(request.limits.iter().map(|l| l.time_period.as_str()).collect::<Vec<_>>(), ["PT24H", "P7D"]);
    let r = one(&fake, "GetWhatsAppCallPermission");
    assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/v1/whatsapp/call/permission/get"));
    assert_eq!(
        r.body.unwrap(),
        json!({"originationPhoneNumberId": DEFAULT_PHONE_ID, "destinationPhoneNumber": "+919876543210"})
    );
    // Granted to a BSUID: asked by endUserBsuid, the expiry read back as epoch seconds.
    fake.grant_call_permission("US.1349", "temporary", 1_760_604_800);
    let p = a.call_permission(DEFAULT_PHONE_ID, &CallUser::Bsuid("US.1349".into())).await.unwrap();
    assert_eq!((p.status.as_str(), p.expiration_time), ("temporary", Some(1_760_604_800)));
    assert!(p.actions.iter().any(|x| x.action_name == "start_call" && x.can_perform_action));
    // A malformed phone is EUM's validation error, with its class.
    let e = a.call_permission(DEFAULT_PHONE_ID, &CallUser::Phone("12".into())).await.unwrap_err();
    assert!(matches!(e, AdminError::Eum(ref m) if m.exception == "ValidationException"), "{e:?}");

    // A call event carries Meta's /calls body unchanged; connect answers a new call id.
    let connect =
        CallAction::Connect { to: "US.1349".into(), sdp: "v=0".into(), biz_opaque_callback_data: Some("o-9".into()) };
    let id = a.send_call_event(DEFAULT_PHONE_ID, "v20.0", &connect.body().unwrap()).await.unwrap();
    assert!(id.starts_with("wacid."), "{id}");
    let end = CallAction::Terminate { call_id: id.clone() };
    assert_eq!(a.send_call_event(DEFAULT_PHONE_ID, "v20.0", &end.body().unwrap()).await.unwrap(), id);
    let events = fake.call_events();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].body, serde_json::from_slice::<Value>(&connect.body().unwrap()).unwrap());
    assert_eq!(events[1].body["action"], "terminate");
    let bad = a.send_call_event(DEFAULT_PHONE_ID, "v20.0", br#"{"messaging_product":"whatsapp","action":"fly"}"#).await;
    assert!(bad.is_err());
}
