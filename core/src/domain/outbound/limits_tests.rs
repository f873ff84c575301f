//! For every limit: the largest valid input passes and the smallest violating input fails
//! with the field path and the limit in the error.

use serde_json::{json, Value};

use super::*;

fn base(name: &str) -> Value {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/send").join(name);
    serde_json::from_str(&std::fs::read_to_string(path).expect("sample")).expect("JSON")
}

fn check(v: Value) -> Result<(), FieldError> {
    parse_request_value(v)?.validate()
}

/// `base` with `pointer` set to `value` must fail at `path` with `limit` in the message.
#[track_caller]
fn fails(sample: &str, pointer: &str, value: Value, path: &str, limit: &str) {
    let mut v = base(sample);
    *v.pointer_mut(pointer).unwrap_or_else(|| panic!("{sample}: no {pointer}")) = value;
    let e = check(v).expect_err(&format!("{sample} {pointer} should fail"));
    assert_eq!(e.path, path, "{e}");
    assert!(e.limit.contains(limit), "{e} lacks {limit:?}");
}

#[track_caller]
fn passes(sample: &str, pointer: &str, value: Value) {
    let mut v = base(sample);
    *v.pointer_mut(pointer).unwrap_or_else(|| panic!("{sample}: no {pointer}")) = value;
    check(v).unwrap_or_else(|e| panic!("{sample} {pointer}: {e}"));
}

/// Boundary pair on a string: `max` characters pass, `max + 1` fail.
#[track_caller]
fn length(sample: &str, pointer: &str, max: usize, path: &str) {
    passes(sample, pointer, json!("é".repeat(max)));
    fails(sample, pointer, json!("é".repeat(max + 1)), path, &format!("at most {max} characters"));
}

fn reply(i: usize) -> Value {
    json!({"type": "reply", "reply": {"id": format!("b{i}"), "title": format!("T{i}")}})
}

#[test]
fn text_and_media_limits() {
    length("text.json", "/message/text/body", 4096, "message.text.body");
    fails("text.json", "/message/text/body", json!(""), "message.text.body", "required");
    length("image-id.json", "/message/image/caption", 1024, "message.image.caption");
    length("document.json", "/message/document/filename", 240, "message.document.filename");
    fails("audio.json", "/message/audio", json!({"id": "1", "caption": "x"}), "message.audio.caption", "not allowed");
    fails("image-id.json", "/message/image", json!({"id": "1", "link": "https://x"}), "message.image", "not both");
    fails("image-id.json", "/message/image", json!({}), "message.image", "exactly one of `id` and `link`");
    fails("image-link.json", "/message/image/link", json!("ftp://x"), "message.image.link", "URL");
    fails("location.json", "/message/location/latitude", json!(90.5), "message.location.latitude", "-90 and 90");
    fails("location.json", "/message/location/longitude", json!(-180.5), "message.location.longitude", "-180");
    fails("contacts.json", "/message/contacts", json!([]), "message.contacts", "at least 1 contacts");
    fails(
        "contacts.json",
        "/message/contacts/0/name/formatted_name",
        json!(" "),
        "message.contacts[0].name.formatted_name",
        "required",
    );
    fails(
        "contacts.json",
        "/message/contacts/0/birthday",
        json!("01-04-1990"),
        "message.contacts[0].birthday",
        "YYYY-MM-DD",
    );
    fails("reaction.json", "/message/reaction/emoji", json!("ok"), "message.reaction.emoji", "one emoji");
    passes("reaction.json", "/message/reaction/emoji", json!(""));
    fails("reaction.json", "/message/reaction/message_id", json!(""), "message.reaction.message_id", "required");
}

#[test]
fn request_level_limits() {
    fails("text.json", "/to", json!("919876543210"), "to", "E.164");
    fails("text.json", "/to", json!("+1234567"), "to", "E.164");
    passes("text.json", "/to", json!("+12345678"));
    fails("text.json", "/to", json!("+1234567890123456"), "to", "E.164");
    passes("text.json", "/request_id", json!("r".repeat(505)));
    fails("text.json", "/request_id", json!("r".repeat(506)), "request_id", "at most 505 bytes");
    fails("text.json", "/request_id", json!(""), "request_id", "required");
    fails("text.json", "/from", json!("my-phone"), "from", "phone_number_id");
    passes("text.json", "/from", json!("phone-number-id-4db8a4cce7e7d3cbc3ec62a721b7ded3"));
    fails("text-reply.json", "/options/reply_to", json!(""), "options.reply_to", "required");
    let mut v = base("text.json");
    v["options"] = json!({"not_before": "tomorrow"});
    assert_eq!(check(v).unwrap_err().path, "options.not_before");
    let mut v = base("text.json");
    v["options"] = json!({"tags": (0..11).map(|i| (format!("k{i}"), json!("v"))).collect::<serde_json::Map<_, _>>()});
    assert!(check(v).unwrap_err().limit.contains("at most 10 tags"));
    // Shape errors carry serde's path from the root.
    let mut v = base("interactive-button.json");
    v["message"]["interactive"]["action"]["buttons"][1]["reply"] = json!({"id": "x"});
    let e = check(v).unwrap_err();
    assert_eq!(e.path, "message.interactive.action.buttons[1].reply", "{e}");
    assert!(e.limit.contains("title"), "{e}");
    let mut v = base("text.json");
    v["message"]["type"] = json!("poll");
    assert_eq!(check(v).unwrap_err().path, "message.type");
    let mut v = base("text.json");
    v["message"]["image"] = json!({"id": "1"});
    assert_eq!(check(v).unwrap_err().path, "message.image");
    let mut v = base("text.json");
    v["surprise"] = json!(1);
    assert!(check(v).unwrap_err().limit.contains("surprise"));
}

#[test]
fn interactive_limits() {
    let buttons = "/message/interactive/action/buttons";
    fails(
        "interactive-button.json",
        buttons,
        json!([reply(0), reply(1), reply(2), reply(3)]),
        "message.interactive.action.buttons[3]",
        "at most 3 reply buttons",
    );
    fails("interactive-button.json", buttons, json!([]), "message.interactive.action.buttons", "at least 1");
    length(
        "interactive-button.json",
        "/message/interactive/action/buttons/0/reply/title",
        20,
        "message.interactive.action.buttons[0].reply.title",
    );
    length(
        "interactive-button.json",
        "/message/interactive/action/buttons/0/reply/id",
        256,
        "message.interactive.action.buttons[0].reply.id",
    );
    fails(
        "interactive-button.json",
        "/message/interactive/action/buttons/1/reply/id",
        json!("yes"),
        "message.interactive.action.buttons[1].reply.id",
        "unique",
    );
    fails(
        "interactive-button.json",
        "/message/interactive/action/buttons/2/reply/title",
        json!("Yes"),
        "message.interactive.action.buttons[2].reply.title",
        "unique",
    );
    fails(
        "interactive-button.json",
        "/message/interactive/action/buttons/0/reply/id",
        json!(" yes"),
        "message.interactive.action.buttons[0].reply.id",
        "spaces",
    );
    length("interactive-button.json", "/message/interactive/body/text", 1024, "message.interactive.body.text");
    length("interactive-button.json", "/message/interactive/footer/text", 60, "message.interactive.footer.text");
    length("interactive-button.json", "/message/interactive/header/text", 60, "message.interactive.header.text");
    fails(
        "interactive-button-image-header.json",
        "/message/interactive/header/image",
        json!({"id": "1", "caption": "c"}),
        "message.interactive.header.image.caption",
        "not allowed",
    );

    let l = "interactive-list.json";
    length(l, "/message/interactive/action/button", 20, "message.interactive.action.button");
    length(l, "/message/interactive/action/sections/0/title", 24, "message.interactive.action.sections[0].title");
    length(
        l,
        "/message/interactive/action/sections/0/rows/0/id",
        200,
        "message.interactive.action.sections[0].rows[0].id",
    );
    length(
        l,
        "/message/interactive/action/sections/0/rows/0/title",
        24,
        "message.interactive.action.sections[0].rows[0].title",
    );
    length(
        l,
        "/message/interactive/action/sections/0/rows/0/description",
        72,
        "message.interactive.action.sections[0].rows[0].description",
    );
    let section = |n: usize, k: usize| json!({"title": format!("S{k}"), "rows": (0..n).map(|i| json!({"id": format!("r{k}-{i}"), "title": "t"})).collect::<Vec<_>>()});
    fails(
        l,
        "/message/interactive/action/sections",
        json!((0..11).map(|k| section(1, k)).collect::<Vec<_>>()),
        "message.interactive.action.sections",
        "at most 10 sections",
    );
    passes(l, "/message/interactive/action/sections", json!([section(5, 0), section(5, 1)]));
    fails(
        l,
        "/message/interactive/action/sections",
        json!([section(5, 0), section(6, 1)]),
        "message.interactive.action.sections[1].rows[5]",
        "at most 10 rows across all sections",
    );
    fails(
        l,
        "/message/interactive/action/sections/1/title",
        Value::Null,
        "message.interactive.action.sections[1].title",
        "required when there are several",
    );
    fails(
        l,
        "/message/interactive/action/sections/1/rows/0/id",
        json!("m9"),
        "message.interactive.action.sections[1].rows[0].id",
        "unique",
    );
    fails(
        l,
        "/message/interactive/header",
        json!({"type": "image", "image": {"id": "1"}}),
        "message.interactive.header",
        "text header",
    );

    length(
        "interactive-cta-url.json",
        "/message/interactive/action/parameters/display_text",
        20,
        "message.interactive.action.parameters.display_text",
    );
    fails(
        "interactive-cta-url.json",
        "/message/interactive/action/parameters/url",
        json!("example.com"),
        "message.interactive.action.parameters.url",
        "URL",
    );
    let f = "interactive-flow.json";
    length(f, "/message/interactive/action/parameters/flow_cta", 20, "message.interactive.action.parameters.flow_cta");
    fails(
        f,
        "/message/interactive/action/parameters/flow_message_version",
        json!("2"),
        "message.interactive.action.parameters.flow_message_version",
        "\"3\"",
    );
    fails(
        f,
        "/message/interactive/action/parameters/flow_action_payload",
        json!({}),
        "message.interactive.action.parameters.flow_action_payload.screen",
        "navigate",
    );
    let mut v = base(f);
    v["message"]["interactive"]["action"]["parameters"]["flow_name"] = json!("book");
    let e = check(v).unwrap_err();
    assert_eq!(e.path, "message.interactive.action.parameters", "{e}");
    assert!(e.limit.contains("exactly one of `flow_id` and `flow_name`"), "{e}");
    fails(f, "/message/interactive/action/name", json!("cta_url"), "message.interactive.action.name", "\"flow\"");
    fails(
        "interactive-address.json",
        "/message/interactive/action/parameters/country",
        json!("India"),
        "message.interactive.action.parameters.country",
        "alpha-2",
    );
    fails(
        "interactive-address.json",
        "/message/interactive/action/parameters/values/in_pin_code",
        json!("5600011"),
        "message.interactive.action.parameters.values.in_pin_code",
        "at most 6 digits",
    );
    fails(
        "interactive-product.json",
        "/message/interactive/action/product_retailer_id",
        json!(""),
        "message.interactive.action.product_retailer_id",
        "required",
    );
    let pl = "interactive-product-list.json";
    fails(pl, "/message/interactive/header", Value::Null, "message.interactive.header", "required: a text header");
    let items = |n: usize| json!((0..n).map(|i| json!({"product_retailer_id": format!("S{i}")})).collect::<Vec<_>>());
    passes(pl, "/message/interactive/action/sections/0/product_items", items(27));
    fails(
        pl,
        "/message/interactive/action/sections/0/product_items",
        items(30),
        "message.interactive.action.sections[1].product_items[0]",
        "at most 30 products",
    );
    length(pl, "/message/interactive/action/sections/0/title", 24, "message.interactive.action.sections[0].title");
}

#[test]
fn payment_limits() {
    let o = "order-details.json";
    let params = "/message/interactive/action/parameters";
    fails(
        o,
        &format!("{params}/total_amount/value"),
        json!(1200),
        "message.interactive.action.parameters.total_amount.value",
        "subtotal + tax + shipping − discount (1100)",
    );
    fails(
        o,
        &format!("{params}/order/subtotal/value"),
        json!(900),
        "message.interactive.action.parameters.order.subtotal",
        "sum of item",
    );
    fails(
        o,
        &format!("{params}/order/status"),
        json!("shipped"),
        "message.interactive.action.parameters.order.status",
        "pending",
    );
    length(o, &format!("{params}/order/items/0/name"), 60, "message.interactive.action.parameters.order.items[0].name");
    fails(
        o,
        &format!("{params}/order/items/0/quantity"),
        json!(0),
        "message.interactive.action.parameters.order.items[0].quantity",
        "at least 1",
    );
    fails(
        o,
        &format!("{params}/order/tax/offset"),
        json!(1000),
        "message.interactive.action.parameters.order.tax.offset",
        "total_amount.offset",
    );
    fails(o, &format!("{params}/currency"), json!("USD"), "message.interactive.action.parameters.currency", "INR");
    fails(o, &format!("{params}/type"), json!("goods"), "message.interactive.action.parameters.type", "digital-goods");
    length(o, &format!("{params}/reference_id"), 35, "message.interactive.action.parameters.reference_id");
    fails(
        "order-status.json",
        &format!("{params}/order/status"),
        json!("lost"),
        "message.interactive.action.parameters.order.status",
        "one of pending",
    );
}

#[test]
fn template_limits() {
    let c = "/message/template/components";
    fails(
        "template-named-text-header.json",
        "/message/template/name",
        json!("Welcome Named"),
        "message.template.name",
        "lowercase",
    );
    fails(
        "template-named-text-header.json",
        "/message/template/language/code",
        json!(""),
        "message.template.language.code",
        "required",
    );
    length(
        "template-named-text-header.json",
        &format!("{c}/0/parameters/0/text"),
        60,
        "message.template.components[0].parameters[0].text",
    );
    length(
        "template-media-positional.json",
        &format!("{c}/1/parameters/0/text"),
        32_768,
        "message.template.components[1].parameters[0].text",
    );
    fails(
        "template-named-text-header.json",
        &format!("{c}/1/parameters/1/parameter_name"),
        Value::Null,
        "message.template.components[1].parameters[1].parameter_name",
        "cannot be mixed",
    );
    fails(
        "template-named-text-header.json",
        &format!("{c}/1/parameters/1/parameter_name"),
        json!("first_name"),
        "message.template.components[1].parameters[1].parameter_name",
        "unique",
    );
    fails(
        "template-media-positional.json",
        &format!("{c}/1/parameters/1/currency/code"),
        json!("usd"),
        "message.template.components[1].parameters[1].currency.code",
        "ISO 4217",
    );
    fails(
        "template-media-positional.json",
        &format!("{c}/3/index"),
        json!("0"),
        "message.template.components[3].index",
        "unique",
    );
    fails(
        "template-media-positional.json",
        &format!("{c}/3/index"),
        json!(10),
        "message.template.components[3].index",
        "from 0 to 9",
    );
    fails(
        "template-media-positional.json",
        &format!("{c}/2/parameters/0"),
        json!({"type": "text", "text": "x"}),
        "message.template.components[2].parameters[0].type",
        "\"payload\"",
    );
    fails(
        "template-media-positional.json",
        &format!("{c}/0/parameters"),
        json!([]),
        "message.template.components[0].parameters",
        "exactly 1 header parameter",
    );
    length(
        "template-copy-code.json",
        &format!("{c}/1/parameters/0/coupon_code"),
        15,
        "message.template.components[1].parameters[0].coupon_code",
    );
    length(
        "template-otp-copy-code.json",
        &format!("{c}/1/parameters/0/text"),
        15,
        "message.template.components[1].parameters[0].text",
    );
    fails(
        "template-limited-time-offer.json",
        &format!("{c}/2/parameters/0/limited_time_offer/expiration_time_ms"),
        json!(0),
        "message.template.components[2].parameters[0].limited_time_offer.expiration_time_ms",
        "positive",
    );
    let card = |i: u32| json!({"card_index": i, "components": [{"type": "header", "parameters": [{"type": "image", "image": {"id": "1"}}]}]});
    fails(
        "template-carousel.json",
        &format!("{c}/1/cards"),
        json!((0..11).map(card).collect::<Vec<_>>()),
        "message.template.components[1].cards",
        "at most 10 cards",
    );
    passes("template-carousel.json", &format!("{c}/1/cards"), json!((0..10).map(card).collect::<Vec<_>>()));
    fails(
        "template-carousel.json",
        &format!("{c}/1/cards/1/card_index"),
        json!(0),
        "message.template.components[1].cards[1].card_index",
        "unique",
    );
    fails(
        "template-carousel.json",
        &format!("{c}/1/cards/0/components/0/parameters/0"),
        json!({"type": "text", "text": "x"}),
        "message.template.components[1].cards[0].components[0].parameters[0].type",
        "card header",
    );
    fails(
        "template-mpm.json",
        &format!("{c}/2/parameters/0/action/sections"),
        json!([]),
        "message.template.components[2].parameters[0].action.sections",
        "at least 1 sections",
    );
    let mut v = base("template-named-text-header.json");
    v["message"]["template"]["components"][1] = v["message"]["template"]["components"][0].clone();
    assert!(check(v).unwrap_err().limit.contains("at most one component of each type"));
}

#[test]
fn the_whole_message_is_bounded() {
    let mut v = base("contacts.json");
    let c = v["message"]["contacts"][0].clone();
    v["message"]["contacts"] = json!(vec![c; 20]);
    let mut big = parse_request_value(v).unwrap();
    big.validate().unwrap();
    if let OutboundMessage::Contacts { contacts } = &mut big.message {
        contacts[0].name.formatted_name = "x".repeat(limits::MESSAGE_BYTES);
    }
    assert!(big.cloud_json(None).unwrap_err().limit.contains("2048000 bytes"));
}
