//! Linked accounts, phone numbers, event destinations and the business public key via the SDK.

mod support;

use aws_sdk_socialmessaging::operation::get_linked_whats_app_business_account_phone_number::GetLinkedWhatsAppBusinessAccountPhoneNumberError;
use aws_sdk_socialmessaging::types::{RegistrationStatus, WhatsAppBusinessAccountEventDestination};
use support::client;
use wapipe_fake_eum::{
    FakeEum, Phone, Waba, DEFAULT_META_PHONE_ID, DEFAULT_META_WABA_ID, DEFAULT_PHONE_ID, DEFAULT_WABA_ID,
};

#[tokio::test]
async fn default_waba_and_phone_round_trip() {
    let fake = FakeEum::start().await;
    let sdk = client(&fake.endpoint());

    let list = sdk.list_linked_whats_app_business_accounts().send().await.expect("list");
    let accounts = list.linked_accounts();
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0].id(), DEFAULT_WABA_ID);
    assert_eq!(accounts[0].waba_id(), DEFAULT_META_WABA_ID);
    assert_eq!(accounts[0].registration_status(), &RegistrationStatus::Complete);
    assert!(accounts[0].link_date().secs() > 0, "epoch-second timestamp parsed");
    assert!(list.next_token().is_none());

    let details = sdk.get_linked_whats_app_business_account().id(DEFAULT_WABA_ID).send().await.expect("details");
    let account = details.account().expect("account");
    assert_eq!(account.arn(), fake.wabas()[0].arn);
    let phones = account.phone_numbers();
    assert_eq!(phones.len(), 1);
    assert_eq!(phones[0].phone_number_id(), DEFAULT_PHONE_ID);
    assert_eq!(phones[0].meta_phone_number_id(), DEFAULT_META_PHONE_ID);
    assert_eq!(phones[0].quality_rating(), "GREEN");

    let phone =
        sdk.get_linked_whats_app_business_account_phone_number().id(DEFAULT_PHONE_ID).send().await.expect("phone");
    assert_eq!(phone.linked_whats_app_business_account_id(), Some(DEFAULT_WABA_ID));
    let detail = phone.phone_number().expect("phoneNumber");
    assert_eq!(detail.phone_number(), "+15555550100");
    assert!(detail.arn().starts_with("arn:aws:social-messaging:ap-south-1:"));

    let r = &fake.requests()[1];
    assert_eq!(r.operation, "GetLinkedWhatsAppBusinessAccount");
    assert_eq!(r.query.get("id").map(String::as_str), Some(DEFAULT_WABA_ID));
}

#[tokio::test]
async fn quality_rating_can_change() {
    let fake = FakeEum::start().await;
    let sdk = client(&fake.endpoint());
    assert!(fake.phone_quality(DEFAULT_PHONE_ID, "RED"));
    assert!(!fake.phone_quality("phone-number-id-nope", "RED"));
    let phone = sdk.get_linked_whats_app_business_account_phone_number().id(DEFAULT_PHONE_ID).send().await.unwrap();
    assert_eq!(phone.phone_number().map(|p| p.quality_rating()), Some("RED"));
}

#[tokio::test]
async fn unknown_ids_are_not_found() {
    let fake = FakeEum::start().await;
    let sdk = client(&fake.endpoint());
    let err = sdk
        .get_linked_whats_app_business_account_phone_number()
        .id("phone-number-id-ffffffffffffffffffffffffffffffff")
        .send()
        .await
        .expect_err("404")
        .into_service_error();
    assert!(matches!(err, GetLinkedWhatsAppBusinessAccountPhoneNumberError::ResourceNotFoundException(_)));
    let err = sdk.get_linked_whats_app_business_account().id("waba-nope").send().await.expect_err("404");
    assert!(err.into_service_error().is_resource_not_found_exception());
}

#[tokio::test]
async fn several_wabas_page_and_phones_link() {
    let w1 = Waba::new("waba-11111111111111111111111111111111", "1001").name("One");
    let w2 = Waba::new("waba-22222222222222222222222222222222", "1002").name("Two");
    let w3 = Waba::new("waba-33333333333333333333333333333333", "1003").name("Three");
    let p = Phone::new("phone-number-id-22222222222222222222222222222222", "2002", "+919000000002")
        .waba("waba-22222222222222222222222222222222")
        .data_localization_region("IN");
    let fake = FakeEum::builder().waba(w1).waba(w2).waba(w3).phone(p).start().await;
    let sdk = client(&fake.endpoint());

    let page1 = sdk.list_linked_whats_app_business_accounts().max_results(2).send().await.unwrap();
    assert_eq!(page1.linked_accounts().len(), 2);
    let token = page1.next_token().expect("more").to_string();
    let page2 = sdk.list_linked_whats_app_business_accounts().max_results(2).next_token(token).send().await.unwrap();
    assert_eq!(page2.linked_accounts().iter().map(|a| a.waba_name()).collect::<Vec<_>>(), vec!["Three"]);
    assert!(page2.next_token().is_none());

    let two = sdk.get_linked_whats_app_business_account().id("waba-22222222222222222222222222222222").send().await;
    let account = two.unwrap();
    let phones = account.account().unwrap().phone_numbers();
    assert_eq!(phones.len(), 1);
    assert_eq!(phones[0].data_localization_region(), Some("IN"));
    let one = sdk.get_linked_whats_app_business_account().id("waba-11111111111111111111111111111111").send().await;
    assert!(one.unwrap().account().unwrap().phone_numbers().is_empty());
}

#[tokio::test]
async fn event_destinations_are_stored() {
    let fake = FakeEum::start().await;
    let sdk = client(&fake.endpoint());
    let dest = WhatsAppBusinessAccountEventDestination::builder()
        .event_destination_arn("arn:aws:sns:ap-south-1:123456789012:my-topic")
        .role_arn("arn:aws:iam::123456789012:role/eum")
        .build()
        .unwrap();
    sdk.put_whats_app_business_account_event_destinations()
        .id(DEFAULT_WABA_ID)
        .event_destinations(dest)
        .send()
        .await
        .expect("put");
    let details = sdk.get_linked_whats_app_business_account().id(DEFAULT_WABA_ID).send().await.unwrap();
    let dests = details.account().unwrap().event_destinations();
    assert_eq!(dests.len(), 1);
    assert_eq!(dests[0].event_destination_arn(), "arn:aws:sns:ap-south-1:123456789012:my-topic");
    assert_eq!(dests[0].role_arn(), Some("arn:aws:iam::123456789012:role/eum"));
    let r = fake.requests_for("PutWhatsAppBusinessAccountEventDestinations");
    assert_eq!(r[0].method, "PUT");
}

#[tokio::test]
async fn business_public_key_put_get() {
    let fake = FakeEum::start().await;
    let sdk = client(&fake.endpoint());
    let none = sdk.get_whats_app_business_public_key().origination_phone_number_id(DEFAULT_PHONE_ID).send().await;
    assert!(none.unwrap().business_public_key().is_none());

    let pem = "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----";
    sdk.put_whats_app_business_public_key()
        .origination_phone_number_id(DEFAULT_PHONE_ID)
        .business_public_key(pem)
        .send()
        .await
        .expect("put key");
    let got = sdk.get_whats_app_business_public_key().origination_phone_number_id(DEFAULT_PHONE_ID).send().await;
    let got = got.expect("get key");
    assert_eq!(got.business_public_key(), Some(pem));
    assert_eq!(got.business_public_key_signature_status(), Some("VALID"));

    let bad = sdk
        .put_whats_app_business_public_key()
        .origination_phone_number_id(DEFAULT_PHONE_ID)
        .business_public_key("not a pem")
        .send()
        .await
        .expect_err("bad pem");
    assert!(bad.into_service_error().is_validation_exception());
}
