//! Message media through the SDK: post → get → delete.

mod support;

use aws_sdk_socialmessaging::operation::get_whats_app_message_media::GetWhatsAppMessageMediaError;
use aws_sdk_socialmessaging::types::{S3File, S3PresignedUrl};
use support::client;
use wapipe_fake_eum::{FakeEum, DEFAULT_PHONE_ID};

#[tokio::test]
async fn media_post_get_delete() {
    let fake = FakeEum::start().await;
    let sdk = client(&fake.endpoint());

    let posted = sdk
        .post_whats_app_message_media()
        .origination_phone_number_id(DEFAULT_PHONE_ID)
        .source_s3_file(S3File::builder().bucket_name("media-bucket").key("out/invoice.pdf").build().unwrap())
        .send()
        .await
        .expect("post media");
    let media_id = posted.media_id().expect("mediaId").to_string();
    assert!(media_id.chars().all(|c| c.is_ascii_digit()), "{media_id}");

    let got = sdk
        .get_whats_app_message_media()
        .media_id(&media_id)
        .origination_phone_number_id(DEFAULT_PHONE_ID)
        .metadata_only(true)
        .send()
        .await
        .expect("get media");
    assert_eq!(got.mime_type(), Some("application/pdf"));
    assert!(got.file_size().is_some_and(|s| s > 0));

    let deleted = sdk
        .delete_whats_app_message_media()
        .media_id(&media_id)
        .origination_phone_number_id(DEFAULT_PHONE_ID)
        .send()
        .await
        .expect("delete media");
    assert_eq!(deleted.success(), Some(true));
    let del = &fake.requests_for("DeleteWhatsAppMessageMedia")[0];
    assert_eq!(del.query.get("mediaId"), Some(&media_id));

    let gone = sdk
        .get_whats_app_message_media()
        .media_id(&media_id)
        .origination_phone_number_id(DEFAULT_PHONE_ID)
        .metadata_only(true)
        .send()
        .await
        .expect_err("deleted")
        .into_service_error();
    assert!(matches!(gone, GetWhatsAppMessageMediaError::ResourceNotFoundException(_)), "{gone:?}");
}

#[tokio::test]
async fn presigned_upload_and_inbound_media() {
    let fake = FakeEum::builder().media("9988776655", "image/jpeg", 42).start().await;
    let sdk = client(&fake.endpoint());

    let url = S3PresignedUrl::builder()
        .url("https://example-bucket.s3.amazonaws.com/a.ogg?X-Amz-Signature=abc")
        .headers("Content-Type", "audio/ogg")
        .build()
        .unwrap();
    let posted = sdk
        .post_whats_app_message_media()
        .origination_phone_number_id(DEFAULT_PHONE_ID)
        .source_s3_presigned_url(url)
        .send()
        .await
        .expect("presigned upload");
    let id = posted.media_id().unwrap().to_string();
    let got = sdk
        .get_whats_app_message_media()
        .media_id(&id)
        .origination_phone_number_id(DEFAULT_PHONE_ID)
        .destination_s3_file(S3File::builder().bucket_name("in").key("audio/").build().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(got.mime_type(), Some("audio/ogg"));

    // Inbound media registered in the builder and at run time.
    fake.add_media("1122334455", "video/mp4", 900);
    for (id, mime) in [("9988776655", "image/jpeg"), ("1122334455", "video/mp4")] {
        let got = sdk
            .get_whats_app_message_media()
            .media_id(id)
            .origination_phone_number_id(DEFAULT_PHONE_ID)
            .destination_s3_file(S3File::builder().bucket_name("in").key("m/").build().unwrap())
            .send()
            .await
            .expect("inbound media");
        assert_eq!(got.mime_type(), Some(mime));
    }
    let rec = &fake.requests_for("GetWhatsAppMessageMedia")[1];
    assert_eq!(rec.body.as_ref().unwrap()["destinationS3File"]["bucketName"], "in");

    // Neither metadataOnly nor a destination → validation error; no source → validation error.
    let err = sdk
        .get_whats_app_message_media()
        .media_id("9988776655")
        .origination_phone_number_id(DEFAULT_PHONE_ID)
        .send()
        .await
        .expect_err("needs destination");
    assert!(err.into_service_error().is_validation_exception());
    let err = sdk.post_whats_app_message_media().origination_phone_number_id(DEFAULT_PHONE_ID).send().await;
    assert!(err.expect_err("no source").into_service_error().is_validation_exception());
}
