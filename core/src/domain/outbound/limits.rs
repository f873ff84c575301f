//! Every outbound limit in one place (docs/PROTOCOL.md §5; `[S]` = secondary source, as there;
//! every § below is a section of docs/PROTOCOL.md).
//! Lengths are in characters (Unicode scalar values), as Meta counts them.

/// `text.body` (§5.2).
pub const TEXT_BODY: usize = 4096;
/// Media `caption` of image, video, document (§5.2).
pub const CAPTION: usize = 1024;
/// Document `filename` (Meta rejects longer names; not in §5, a conservative bound).
pub const FILENAME: usize = 240;
/// `biz_opaque_callback_data` (§5.1, commonly 512) — see `send_record::CALLBACK_MAX_LEN`.
pub const CALLBACK_DATA: usize = crate::domain::send_record::CALLBACK_MAX_LEN;

/// Interactive `body.text` (§5.3).
pub const INTERACTIVE_BODY: usize = 1024;
/// Interactive `footer.text` (§5.3).
pub const FOOTER: usize = 60;
/// Interactive text `header.text` (§5.3).
pub const HEADER_TEXT: usize = 60;

/// Reply buttons per message (§5.3).
pub const REPLY_BUTTONS: usize = 3;
/// Reply button `id` (§5.3).
pub const BUTTON_ID: usize = 256;
/// Reply button `title` (§5.3).
pub const BUTTON_TITLE: usize = 20;

/// List `action.button` (§5.3).
pub const LIST_BUTTON: usize = 20;
/// List sections (§5.3).
pub const LIST_SECTIONS: usize = 10;
/// Rows across all sections (§5.3, Meta's rule).
pub const LIST_ROWS: usize = 10;
/// Section `title` (§5.3).
pub const SECTION_TITLE: usize = 24;
/// Row `id` (§5.3).
pub const ROW_ID: usize = 200;
/// Row `title` (§5.3).
pub const ROW_TITLE: usize = 24;
/// Row `description` (§5.3).
pub const ROW_DESCRIPTION: usize = 72;

/// CTA URL `display_text` (§5.3).
pub const CTA_DISPLAY_TEXT: usize = 20;
/// Flow `flow_cta` (Meta: button text, same bound as other button texts).
pub const FLOW_CTA: usize = 20;
/// Flow message version Meta accepts (§5.3).
pub const FLOW_MESSAGE_VERSION: &str = "3";

/// Multi-product sections (§5.3).
pub const PRODUCT_SECTIONS: usize = 10;
/// Products across sections of a multi-product message (§5.3, [U] 30).
pub const PRODUCT_ITEMS: usize = 30;

/// Address message `in_pin_code` (§5.3).
pub const IN_PIN_CODE: usize = 6;

/// Template body parameter `text` when sending (§5.4, [S] 32,768).
pub const TEMPLATE_PARAM_TEXT: usize = 32_768;
/// Template header text parameter (Meta: header text is at most 60 characters).
pub const TEMPLATE_HEADER_TEXT: usize = 60;
/// Template name (Meta: at most 512 characters).
pub const TEMPLATE_NAME: usize = 512;
/// Template buttons are indexed 0..=9 (Meta: at most 10 buttons).
pub const TEMPLATE_BUTTON_INDEX_MAX: u32 = 9;
/// Authentication code (OTP) and coupon code (§5.4: code ≤ 15).
pub const OTP_CODE: usize = 15;
/// Coupon code of a `copy_code` button (Meta: at most 15 characters).
pub const COUPON_CODE: usize = 15;
/// Carousel cards (§5.4).
pub const CAROUSEL_CARDS: usize = 10;
/// Quick-reply `payload` of a template button (opaque to Meta; a conservative bound).
pub const QUICK_REPLY_PAYLOAD: usize = 1000;

/// Order item `name` (§6.1).
pub const ORDER_ITEM_NAME: usize = 60;
/// `order_details` `reference_id` (Meta: unique per order, at most 35 characters).
pub const REFERENCE_ID: usize = 35;

/// Reaction `emoji`: one emoji, which may be several code points (ZWJ sequences, skin tones).
pub const EMOJI_CODE_POINTS: usize = 10;

/// E.164: a `+`, then at most 15 digits (at least 8 in practice), not starting with 0.
pub const E164_MIN_DIGITS: usize = 8;
/// E.164: at most 15 digits after the `+`.
pub const E164_MAX_DIGITS: usize = 15;

/// The whole Cloud API JSON: EUM's `message` blob limit (§2.2, 2,048,000 bytes).
pub const MESSAGE_BYTES: usize = 2_048_000;
