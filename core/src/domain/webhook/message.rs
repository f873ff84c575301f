//! Inbound messages (`value.messages[]`, docs/PROTOCOL.md §3.2–§3.3).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Int, Num, Str, WebhookError};

/// One inbound message. The object of its `type` sits under the key of that name.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct Message {
    #[serde(default)]
    pub id: Option<Str>,
    /// The sender's wa_id; omitted for username (BSUID-only) users.
    #[serde(default)]
    pub from: Option<Str>,
    #[serde(default)]
    pub from_user_id: Option<Str>,
    #[serde(default)]
    pub from_parent_user_id: Option<Str>,
    /// Epoch seconds.
    #[serde(default)]
    pub timestamp: Option<Str>,
    #[serde(default, rename = "type")]
    pub kind: Option<Str>,
    /// Set on group chat messages.
    #[serde(default)]
    pub group_id: Option<Str>,
    #[serde(default)]
    pub context: Option<MessageContext>,
    #[serde(default)]
    pub referral: Option<Referral>,
    #[serde(default)]
    pub identity: Option<Identity>,
    #[serde(default)]
    pub errors: Option<Vec<WebhookError>>,

    #[serde(default)]
    pub text: Option<TextBody>,
    #[serde(default)]
    pub image: Option<Media>,
    #[serde(default)]
    pub video: Option<Media>,
    #[serde(default)]
    pub audio: Option<Media>,
    #[serde(default)]
    pub document: Option<Media>,
    #[serde(default)]
    pub sticker: Option<Media>,
    #[serde(default)]
    pub location: Option<Location>,
    #[serde(default)]
    pub contacts: Option<Vec<ContactCard>>,
    #[serde(default)]
    pub reaction: Option<Reaction>,
    #[serde(default)]
    pub interactive: Option<Interactive>,
    #[serde(default)]
    pub button: Option<Button>,
    #[serde(default)]
    pub order: Option<Order>,
    #[serde(default)]
    pub system: Option<System>,
    #[serde(default)]
    pub revoke: Option<Revoke>,
    #[serde(default)]
    pub edit: Option<Box<Edit>>,
    #[serde(default)]
    pub unsupported: Option<Unsupported>,
}

model! {
    /// What a message replies to or was forwarded from.
    pub struct MessageContext {
        from: Str,
        id: Str,
        forwarded: bool,
        frequently_forwarded: bool,
        referred_product: ReferredProduct,
    }
}

model! {
    pub struct ReferredProduct { catalog_id: Str, product_retailer_id: Str }
}

model! {
    /// Click-to-WhatsApp ad or post the user came from.
    pub struct Referral {
        source_url: Str,
        source_id: Str,
        source_type: Str,
        headline: Str,
        body: Str,
        media_type: Str,
        image_url: Str,
        video_url: Str,
        thumbnail_url: Str,
        ctwa_clid: Str,
        welcome_message: WelcomeMessage,
    }
}

model! {
    pub struct WelcomeMessage { text: Str }
}

model! {
    /// Security-code change notice of the sender.
    pub struct Identity { acknowledged: bool, created_timestamp: Str, hash: Str }
}

model! {
    pub struct TextBody { body: Str }
}

model! {
    /// image, video, audio (`voice`), document (`filename`), sticker (`animated`).
    pub struct Media {
        id: Str,
        mime_type: Str,
        sha256: Str,
        caption: Str,
        filename: Str,
        voice: bool,
        animated: bool,
        url: Str,
    }
}

model! {
    pub struct Location { latitude: Num, longitude: Num, name: Str, address: Str, url: Str }
}

model! {
    /// A shared contact card.
    pub struct ContactCard {
        name: CardName,
        phones: Vec<CardPhone>,
        emails: Vec<CardEmail>,
        addresses: Vec<CardAddress>,
        org: CardOrg,
        urls: Vec<CardUrl>,
        birthday: Str,
    }
}

model! {
    pub struct CardName {
        formatted_name: Str,
        first_name: Str,
        last_name: Str,
        middle_name: Str,
        suffix: Str,
        prefix: Str,
    }
}

model! {
    pub struct CardPhone { phone: Str, wa_id: Str, #[serde(rename = "type")] kind: Str }
}

model! {
    pub struct CardEmail { email: Str, #[serde(rename = "type")] kind: Str }
}

model! {
    pub struct CardAddress {
        street: Str,
        city: Str,
        state: Str,
        zip: Str,
        country: Str,
        country_code: Str,
        #[serde(rename = "type")] kind: Str,
    }
}

model! {
    pub struct CardOrg { company: Str, department: Str, title: Str }
}

model! {
    pub struct CardUrl { url: Str, #[serde(rename = "type")] kind: Str }
}

model! {
    /// `emoji` empty or absent means the reaction was removed.
    pub struct Reaction { message_id: Str, emoji: Str }
}

model! {
    /// A reply to an interactive message; the object of `type` sits under the key of that name.
    pub struct Interactive {
        #[serde(rename = "type")] kind: Str,
        button_reply: Reply,
        list_reply: Reply,
        nfm_reply: NfmReply,
        call_permission_reply: CallPermissionReply,
    }
}

model! {
    /// `button_reply` / `list_reply`.
    pub struct Reply { id: Str, title: Str, description: Str }
}

model! {
    /// Native flow message reply: `name` is `flow` or `address_message`; `response_json` is a
    /// JSON document in a string.
    pub struct NfmReply { name: Str, body: Str, response_json: Str }
}

model! {
    pub struct CallPermissionReply {
        response: Str,
        is_permanent: bool,
        expiration_timestamp: Int,
        response_source: Str,
    }
}

model! {
    /// Quick-reply button of a template; `context.id` is the template message.
    pub struct Button { text: Str, payload: Str }
}

model! {
    pub struct Order { catalog_id: Str, text: Str, product_items: Vec<ProductItem> }
}

model! {
    pub struct ProductItem { product_retailer_id: Str, quantity: Int, item_price: Num, currency: Str }
}

model! {
    /// `user_changed_number`, `customer_changed_number`, `customer_identity_changed`,
    /// `user_changed_user_id`.
    pub struct System {
        body: Str,
        #[serde(rename = "type")] kind: Str,
        wa_id: Str,
        new_wa_id: Str,
        customer: Str,
        identity: Str,
        user_id: Str,
        parent_user_id: Str,
        previous_user_id: Str,
    }
}

model! {
    /// The user deleted a message.
    pub struct Revoke { original_message_id: Str }
}

/// The user edited a message: `message` is the new content, shaped like a message.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct Edit {
    #[serde(default)]
    pub original_message_id: Option<Str>,
    #[serde(default)]
    pub message: Option<Message>,
}

model! {
    pub struct Unsupported { #[serde(rename = "type")] kind: Str }
}

/// Message types whose object this model reads (anything else is kept raw).
pub const KNOWN_MESSAGE_TYPES: &[&str] = &[
    "text",
    "image",
    "video",
    "audio",
    "document",
    "sticker",
    "location",
    "contacts",
    "reaction",
    "interactive",
    "button",
    "order",
    "system",
    "unsupported",
    "unknown",
    "revoke",
    "edit",
    "request_welcome",
];

/// Serialize a model to a JSON value (the models only have string keys, so this cannot fail;
/// `Null` if it somehow did).
pub fn to_json<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}
