//! The contract between the send worker and the status tracker.
//!
//! EUM's `SendWhatsAppMessage` returns its own message id, not Meta's wamid; statuses carry
//! only the wamid. The send worker sets `biz_opaque_callback_data` to [`callback_data`] of the
//! request id, Meta echoes it in every status, and the status tracker links the two:
//!
//! - `SEND#{request_id}` / `SEND` (keys::send_request): written by the send worker. The status
//!   tracker only ever adds [`WAMID`] (if missing) to it.
//! - `MSG#{wamid}` / `MSG` (keys::message): owned by the status tracker for outbound messages;
//!   it records [`REQUEST_ID`] from the callback data and copies the send record's template
//!   fields once both exist, whichever arrived first.
//!
//! Both sides write with `Update` (never a blind `Put`) so neither clobbers the other's
//! attributes, whatever the order.

/// Prefix that marks callback data as wapipe's.
pub const CALLBACK_PREFIX: &str = "wapipe:";

/// Meta's limit on `biz_opaque_callback_data` (docs/PROTOCOL.md §5.1, commonly 512).
pub const CALLBACK_MAX_LEN: usize = 512;

// Attributes of the send record.
/// The send record's state: `sending`, `unknown`, `retrying`, `accepted`, `rejected` or `failed`.
pub const STATE: &str = "state";
/// The message id EUM's `SendWhatsAppMessage` answered with (not Meta's wamid).
pub const EUM_MESSAGE_ID: &str = "eum_message_id";
/// Meta's wamid of the message, once a status linked it (the status tracker adds it if missing).
pub const WAMID: &str = "wamid";
/// The recipient, as the request's `to`.
pub const TO: &str = "to";
/// Meta's phone number id of the sending number.
pub const PHONE_NUMBER_ID: &str = "phone_number_id";
/// Meta's WhatsApp Business Account id of the sending number.
pub const WABA_ID: &str = "waba_id";
/// The outbound message's kind: its `type`, or `interactive.<type>` (`text`, `template`, `interactive.list`, …).
pub const MESSAGE_TYPE: &str = "message_type";
/// The order's `reference_id`, for an `order_details` message (also on `whatsapp.send.accepted`:
/// the `InitiateCheckout` conversion's source, docs/conversions.md).
pub const ORDER_REFERENCE_ID: &str = "order_reference_id";
/// The template's name, for a template message.
pub const TEMPLATE_NAME: &str = "template_name";
/// The template's language code, for a template message.
pub const TEMPLATE_LANGUAGE: &str = "template_language";
/// The template's category (`marketing`, `utility` or `authentication`), when known.
pub const TEMPLATE_CATEGORY: &str = "template_category";
/// When the request was first recorded (RFC 3339).
pub const REQUESTED_AT: &str = "requested_at";
/// When EUM accepted the message (RFC 3339).
pub const SENT_AT: &str = "sent_at";
/// On the message record: the request that sent it.
pub const REQUEST_ID: &str = "request_id";

/// The callback data for a request id: `wapipe:<request_id>`, cut to Meta's limit on a char
/// boundary (request ids are caller-chosen; the send worker rejects ones that do not fit).
pub fn callback_data(request_id: &str) -> String {
    let mut s = format!("{CALLBACK_PREFIX}{request_id}");
    if s.len() > CALLBACK_MAX_LEN {
        let mut cut = CALLBACK_MAX_LEN;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    s
}

/// The request id in callback data that wapipe set; `None` for anyone else's.
pub fn request_id_from_callback(data: &str) -> Option<&str> {
    data.strip_prefix(CALLBACK_PREFIX).filter(|r| !r.is_empty())
}

/// Whether a request id round-trips through the callback data unchanged.
pub fn fits_callback(request_id: &str) -> bool {
    !request_id.is_empty() && CALLBACK_PREFIX.len() + request_id.len() <= CALLBACK_MAX_LEN
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_foreign_data() {
        assert_eq!(request_id_from_callback(&callback_data("order-42")), Some("order-42"));
        assert_eq!(request_id_from_callback("someone-else"), None);
        assert_eq!(request_id_from_callback("wapipe:"), None);
        assert!(fits_callback("a"));
        assert!(!fits_callback(&"x".repeat(CALLBACK_MAX_LEN)));
        assert!(callback_data(&"é".repeat(400)).len() <= CALLBACK_MAX_LEN);
    }
}
