//! Tagging, WABA disassociation, the Conversions API and phone call settings via the SDK.

mod support;

use aws_sdk_socialmessaging::error::ProvideErrorMetadata;
use aws_sdk_socialmessaging::types::{
    Tag, WhatsAppCallHours, WhatsAppCallSettings, WhatsAppDayOfWeek, WhatsAppHolidayScheduleEntry, WhatsAppTimeOfDay,
    WhatsAppWeeklyOperatingHoursEntry,
};
use serde_json::{json, Value};
use support::{blob, client};
use wapipe_fake_eum::{FakeEum, Phone, Waba, DEFAULT_PHONE_ID, DEFAULT_WABA_ID};

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder().key(key).value(value).build().expect("tag")
}

fn time(hours: i32, minutes: i32) -> WhatsAppTimeOfDay {
    WhatsAppTimeOfDay::builder().hours(hours).minutes(minutes).build().expect("time")
}

fn weekly(
    day: WhatsAppDayOfWeek,
    open: WhatsAppTimeOfDay,
    close: WhatsAppTimeOfDay,
) -> WhatsAppWeeklyOperatingHoursEntry {
    WhatsAppWeeklyOperatingHoursEntry::builder()
        .day_of_week(day)
        .open_time(open)
        .close_time(close)
        .build()
        .expect("entry")
}

fn settings(
    entries: Vec<WhatsAppWeeklyOperatingHoursEntry>,
    holiday: Option<WhatsAppHolidayScheduleEntry>,
) -> WhatsAppCallSettings {
    let hours = WhatsAppCallHours::builder()
        .enabled(true)
        .timezone("Asia/Kolkata")
        .set_weekly_operating_hours(Some(entries))
        .set_holiday_schedule(holiday.map(|h| vec![h]))
        .build()
        .expect("hours");
    WhatsAppCallSettings::builder()
        .call_enabled(true)
        .call_hours(hours)
        .call_icon_visibility("DEFAULT")
        .callback_permission_status("ENABLED")
        .build()
        .expect("settings")
}

fn conversion(ctwa_clid: Option<&str>) -> Value {
    let mut user_data = json!({ "ph": ["a1b2c3"] });
    if let Some(c) = ctwa_clid {
        user_data["ctwa_clid"] = json!(c);
    }
    json!({ "data": [{
        "event_name": "Purchase", "event_time": 1_767_225_600, "action_source": "business_messaging",
        "messaging_channel": "whatsapp", "user_data": user_data,
        "custom_data": { "currency": "INR", "value": 499 },
    }]})
}

#[tokio::test]
async fn tag_list_untag_round_trip() {
    let fake = FakeEum::start().await;
    let sdk = client(&fake.endpoint());
    let arn = fake.wabas()[0].arn.clone();

    sdk.tag_resource()
        .resource_arn(&arn)
        .tags(tag("team", "growth"))
        .tags(tag("env", "test"))
        .tags(tag("team", "support"))
        .send()
        .await
        .expect("tag");
    let listed = sdk.list_tags_for_resource().resource_arn(&arn).send().await.expect("list");
    assert_eq!(listed.status_code(), Some(200));
    let pairs: Vec<(&str, Option<&str>)> = listed.tags().iter().map(|t| (t.key(), t.value())).collect();
    assert_eq!(pairs, vec![("env", Some("test")), ("team", Some("support"))], "sorted by key, later keys win");
    assert_eq!(fake.tags(&arn).get("team").map(String::as_str), Some("support"));

    sdk.untag_resource().resource_arn(&arn).tag_keys("team").send().await.expect("untag");
    let listed = sdk.list_tags_for_resource().resource_arn(&arn).send().await.expect("list again");
    assert_eq!(listed.tags().iter().map(|t| t.key()).collect::<Vec<_>>(), vec!["env"]);

    // A phone ARN from another region/account names the same phone by its id suffix.
    let suffix = DEFAULT_PHONE_ID.trim_start_matches("phone-number-id-");
    let other = format!("arn:aws:social-messaging:us-east-1:999999999999:phone-number-id/{suffix}");
    sdk.tag_resource().resource_arn(&other).tags(tag("line", "support")).send().await.expect("tag phone");
    assert_eq!(fake.tags(&fake.phones()[0].arn).len(), 1);
    assert_eq!(fake.tags(&other).get("line").map(String::as_str), Some("support"));

    let tag_req = &fake.requests_for("TagResource")[0];
    assert_eq!((tag_req.method.as_str(), tag_req.path.as_str()), ("POST", "/v1/tags/tag-resource"));
    assert_eq!(tag_req.body.as_ref().and_then(|b| b.pointer("/tags/0/key")), Some(&json!("team")));
    let untag_req = &fake.requests_for("UntagResource")[0];
    assert_eq!((untag_req.method.as_str(), untag_req.path.as_str()), ("POST", "/v1/tags/untag-resource"));
    let list_req = &fake.requests_for("ListTagsForResource")[0];
    assert_eq!((list_req.method.as_str(), list_req.path.as_str()), ("GET", "/v1/tags/list"));
    assert_eq!(list_req.query.get("resourceArn"), Some(&arn));

    fake.reset();
    assert!(fake.tags(&arn).is_empty(), "reset forgets tags");
}

#[tokio::test]
async fn tagging_unknown_or_bad_arns_fails() {
    let fake = FakeEum::start().await;
    let sdk = client(&fake.endpoint());
    let unknown = "arn:aws:social-messaging:ap-south-1:123456789012:waba/ffffffffffffffffffffffffffffffff";
    let err = sdk.tag_resource().resource_arn(unknown).tags(tag("k", "v")).send().await.expect_err("unknown arn");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(404));
    assert_eq!(err.code(), Some("ResourceNotFoundException"));
    let err = sdk.list_tags_for_resource().resource_arn(unknown).send().await.expect_err("unknown arn");
    assert_eq!(err.code(), Some("ResourceNotFoundException"));

    let err = sdk.tag_resource().resource_arn("waba-nope").tags(tag("k", "v")).send().await.expect_err("not an arn");
    let err = err.into_service_error();
    assert!(err.is_validation_exception());
    assert!(err.message().unwrap_or_default().contains("resourceArn"), "{err:?}");

    let arn = fake.wabas()[0].arn.clone();
    let long = "k".repeat(129);
    let err = sdk.tag_resource().resource_arn(&arn).tags(tag(&long, "v")).send().await.expect_err("long key");
    assert!(err.into_service_error().message().unwrap_or_default().contains("tags[0].key"));
    assert!(fake.tags(&arn).is_empty());
}

#[tokio::test]
async fn disassociated_waba_and_its_phones_are_gone() {
    let other = "waba-22222222222222222222222222222222";
    let fake = FakeEum::builder()
        .waba(Waba::default())
        .waba(Waba::new(other, "1002"))
        .phone(Phone::default())
        .phone(Phone::new("phone-number-id-22222222222222222222222222222222", "2002", "+919000000002").waba(other))
        .start()
        .await;
    let sdk = client(&fake.endpoint());
    sdk.create_whats_app_dataset().id(DEFAULT_WABA_ID).send().await.expect("dataset");

    sdk.disassociate_whats_app_business_account().id(DEFAULT_WABA_ID).send().await.expect("disassociate");
    let err = sdk.get_linked_whats_app_business_account().id(DEFAULT_WABA_ID).send().await.expect_err("gone");
    assert!(err.into_service_error().is_resource_not_found_exception());
    let err = sdk.get_linked_whats_app_business_account_phone_number().id(DEFAULT_PHONE_ID).send().await;
    assert!(err.expect_err("phone gone").into_service_error().is_resource_not_found_exception());
    let send = sdk
        .send_whats_app_message()
        .origination_phone_number_id(DEFAULT_PHONE_ID)
        .meta_api_version("v20.0")
        .message(blob(&support::text_message("+15550001234", "hi")))
        .send()
        .await;
    assert!(send.expect_err("send from a removed phone").into_service_error().is_resource_not_found_exception());
    assert_eq!(fake.wabas().iter().map(|w| w.id.as_str()).collect::<Vec<_>>(), vec![other]);
    assert_eq!(fake.phones().len(), 1);
    assert_eq!(fake.dataset_of(DEFAULT_WABA_ID), None);

    let again = sdk.disassociate_whats_app_business_account().id(DEFAULT_WABA_ID).send().await;
    assert!(again.expect_err("unknown now").into_service_error().is_resource_not_found_exception());

    let r = &fake.requests_for("DisassociateWhatsAppBusinessAccount")[0];
    assert_eq!((r.method.as_str(), r.path.as_str()), ("DELETE", "/v1/whatsapp/waba/disassociate"));
    assert_eq!(r.query.get("id").map(String::as_str), Some(DEFAULT_WABA_ID));
    assert_eq!(r.status, 200);

    fake.reset();
    assert_eq!(fake.wabas().len(), 2, "reset restores the seed");
}

#[tokio::test]
async fn dataset_is_stable_and_conversion_events_are_checked() {
    let fake = FakeEum::start().await;
    let sdk = client(&fake.endpoint());
    let first = sdk.create_whats_app_dataset().id(DEFAULT_WABA_ID).send().await.expect("dataset");
    let dataset = first.dataset_id().to_string();
    assert_eq!(dataset.len(), 15);
    assert!(dataset.bytes().all(|b| b.is_ascii_digit()), "{dataset}");
    let arn = fake.wabas()[0].arn.clone();
    let second = sdk.create_whats_app_dataset().id(&arn).send().await.expect("dataset again");
    assert_eq!(second.dataset_id(), dataset, "one dataset per WABA");
    assert_eq!(fake.dataset_of(DEFAULT_WABA_ID), Some(dataset.clone()));
    let unknown = sdk.create_whats_app_dataset().id("waba-nope").send().await.expect_err("unknown waba");
    assert!(unknown.into_service_error().is_resource_not_found_exception());

    let good = conversion(Some(
        "ARAkLkA8rmlFeiCktEJQ-QTwRiyYHAFDLMNDBH0CD3qpjd0HR4irJ6LEkR7JwFF4XvnO2E4Nx0-eM-GABDLOPaOdRMv-_zfUQ2a",
    ));
    let out = sdk
        .send_whats_app_conversion_event()
        .id(DEFAULT_WABA_ID)
        .dataset_id(&dataset)
        .event_data(blob(&good))
        .send()
        .await
        .expect("conversion event");
    assert_eq!(out.request_id().split('-').count(), 5, "uuid: {}", out.request_id());
    let events = fake.conversion_events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].waba_id, DEFAULT_WABA_ID);
    assert_eq!(events[0].dataset_id, dataset);
    assert_eq!(events[0].payload, good);
    let r = &fake.requests_for("SendWhatsAppConversionEvent")[0];
    assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/v1/whatsapp/waba/dataset/events"));
    assert_eq!(r.blob_member.as_deref(), Some("eventData"));
    assert_eq!(r.decoded.as_ref(), Some(&good));
    let r = &fake.requests_for("CreateWhatsAppDataset")[0];
    assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/v1/whatsapp/waba/dataset"));

    let err = sdk
        .send_whats_app_conversion_event()
        .id(DEFAULT_WABA_ID)
        .dataset_id("123456789012345")
        .event_data(blob(&good))
        .send()
        .await
        .expect_err("foreign dataset")
        .into_service_error();
    assert!(err.is_validation_exception());
    let message = err.message().unwrap_or_default();
    assert!(message.contains("datasetId") && message.contains("does not belong to"), "{message}");

    let err = sdk
        .send_whats_app_conversion_event()
        .id(DEFAULT_WABA_ID)
        .dataset_id(&dataset)
        .event_data(blob(&conversion(None)))
        .send()
        .await
        .expect_err("no ctwa_clid")
        .into_service_error();
    assert!(err.is_validation_exception());
    assert!(err.message().unwrap_or_default().contains("eventData.data[0].user_data.ctwa_clid"), "{err:?}");

    let mut wrong_source = conversion(Some("clid"));
    wrong_source["data"][0]["action_source"] = json!("website");
    let err = sdk
        .send_whats_app_conversion_event()
        .id(DEFAULT_WABA_ID)
        .dataset_id(&dataset)
        .event_data(blob(&wrong_source))
        .send()
        .await
        .expect_err("wrong action_source")
        .into_service_error();
    assert!(err.message().unwrap_or_default().contains("eventData.data[0].action_source"), "{err:?}");
    assert_eq!(fake.conversion_events().len(), 1, "refused events are not stored");

    fake.reset();
    assert!(fake.conversion_events().is_empty());
    assert_eq!(fake.dataset_of(DEFAULT_WABA_ID), None);
}

#[tokio::test]
async fn call_settings_round_trip_and_are_checked() {
    let fake = FakeEum::start().await;
    let sdk = client(&fake.endpoint());
    let holiday = WhatsAppHolidayScheduleEntry::builder()
        .date("2026-01-26")
        .start_time(time(10, 0))
        .end_time(time(13, 30))
        .build()
        .expect("holiday");
    let entries = vec![
        weekly(WhatsAppDayOfWeek::Monday, time(9, 0), time(12, 0)),
        weekly(WhatsAppDayOfWeek::Monday, time(13, 0), time(18, 0)),
        weekly(WhatsAppDayOfWeek::Friday, time(9, 30), time(17, 45)),
    ];
    let out = sdk
        .update_linked_whats_app_business_account_phone_number()
        .id(DEFAULT_PHONE_ID)
        .call_settings(settings(entries, Some(holiday)))
        .send()
        .await
        .expect("update");
    assert_eq!(out.phone_number_id(), DEFAULT_PHONE_ID);
    let r = &fake.requests_for("UpdateLinkedWhatsAppBusinessAccountPhoneNumber")[0];
    assert_eq!((r.method.as_str(), r.path.as_str()), ("PUT", "/v1/whatsapp/waba/phone"));
    assert_eq!(
        fake.call_settings(DEFAULT_PHONE_ID).and_then(|s| s.pointer("/callHours/timezone").cloned()),
        Some(json!("Asia/Kolkata"))
    );

    let got = sdk.get_linked_whats_app_business_account_phone_number().id(DEFAULT_PHONE_ID).send().await.expect("get");
    let cs = got.call_settings().expect("callSettings answered");
    assert!(cs.call_enabled());
    assert_eq!(cs.call_icon_visibility(), Some("DEFAULT"));
    assert_eq!(cs.callback_permission_status(), Some("ENABLED"));
    let hours = cs.call_hours().expect("callHours");
    assert!(hours.enabled());
    assert_eq!(hours.timezone(), "Asia/Kolkata");
    let weekly_hours = hours.weekly_operating_hours();
    assert_eq!(weekly_hours.len(), 3);
    assert_eq!(weekly_hours[2].day_of_week(), &WhatsAppDayOfWeek::Friday);
    assert_eq!(weekly_hours[2].open_time().map(|t| (t.hours(), t.minutes())), Some((9, 30)));
    assert_eq!(weekly_hours[2].close_time().map(|t| (t.hours(), t.minutes())), Some((17, 45)));
    let holidays = hours.holiday_schedule();
    assert_eq!(holidays.len(), 1);
    assert_eq!(holidays[0].date(), "2026-01-26");
    assert_eq!(holidays[0].end_time().map(|t| (t.hours(), t.minutes())), Some((13, 30)));

    let bad = vec![
        weekly(WhatsAppDayOfWeek::Monday, time(9, 0), time(12, 0)),
        weekly(WhatsAppDayOfWeek::Tuesday, time(9, 0), time(12, 0)),
        weekly(WhatsAppDayOfWeek::Wednesday, time(24, 0), time(12, 0)),
    ];
    let err = sdk
        .update_linked_whats_app_business_account_phone_number()
        .id(DEFAULT_PHONE_ID)
        .call_settings(settings(bad, None))
        .send()
        .await
        .expect_err("hour 24")
        .into_service_error();
    assert!(err.is_validation_exception());
    let message = err.message().unwrap_or_default();
    assert!(message.contains("callSettings.callHours.weeklyOperatingHours[2].openTime.hours"), "{message}");

    let three_mondays = vec![
        weekly(WhatsAppDayOfWeek::Monday, time(8, 0), time(9, 0)),
        weekly(WhatsAppDayOfWeek::Monday, time(10, 0), time(11, 0)),
        weekly(WhatsAppDayOfWeek::Monday, time(12, 0), time(13, 0)),
    ];
    let err = sdk
        .update_linked_whats_app_business_account_phone_number()
        .id(DEFAULT_PHONE_ID)
        .call_settings(settings(three_mondays, None))
        .send()
        .await
        .expect_err("three ranges on Monday")
        .into_service_error();
    assert!(err.message().unwrap_or_default().contains("weeklyOperatingHours[2].dayOfWeek"), "{err:?}");

    let bad_date = WhatsAppHolidayScheduleEntry::builder().date("2026-02-30").build().expect("holiday");
    let err = sdk
        .update_linked_whats_app_business_account_phone_number()
        .id(DEFAULT_PHONE_ID)
        .call_settings(settings(vec![], Some(bad_date)))
        .send()
        .await
        .expect_err("bad date")
        .into_service_error();
    assert!(err.message().unwrap_or_default().contains("callSettings.callHours.holidaySchedule[0].date"), "{err:?}");

    let stored = fake.call_settings(DEFAULT_PHONE_ID).expect("still the first settings");
    assert_eq!(stored.pointer("/callHours/weeklyOperatingHours").and_then(Value::as_array).map(Vec::len), Some(3));
    fake.reset();
    assert_eq!(fake.call_settings(DEFAULT_PHONE_ID), None);
    let got = sdk.get_linked_whats_app_business_account_phone_number().id(DEFAULT_PHONE_ID).send().await.expect("get");
    assert!(got.call_settings().is_none());
}
