//! Inbound messages (`value.messages[]`, docs/PROTOCOL.md §3.2–§3.3).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Int, Num, Str, WebhookError};

/// One inbound message. The object of its `type` sits under the key of that name.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct Message {
    /// The message's wamid (`wamid.…`), Meta's id for it.
    #[serde(default)]
    pub id: Option<Str>,
    /// The sender's wa_id; omitted for username (BSUID-only) users.
    #[serde(default)]
    pub from: Option<Str>,
    /// The sender's BSUID (business-scoped user id, e.g. `US.13491208655302741918`).
    #[serde(default)]
    pub from_user_id: Option<Str>,
    /// The sender's parent BSUID, when parent BSUIDs are enabled for the business.
    #[serde(default)]
    pub from_parent_user_id: Option<Str>,
    /// Epoch seconds.
    #[serde(default)]
    pub timestamp: Option<Str>,
    /// The message `type` (`text`, `image`, `interactive`, …); its object sits under the key of that name.
    #[serde(default, rename = "type")]
    pub kind: Option<Str>,
    /// Set on group chat messages.
    #[serde(default)]
    pub group_id: Option<Str>,
    /// Set on replies, forwards, button/list/flow replies and product enquiries.
    #[serde(default)]
    pub context: Option<MessageContext>,
    /// Set when the user came from a click-to-WhatsApp ad or post.
    #[serde(default)]
    pub referral: Option<Referral>,
    /// The sender's security-code (identity) change notice, when Meta includes one.
    #[serde(default)]
    pub identity: Option<Identity>,
    /// Message-level errors, e.g. on `unsupported` messages.
    #[serde(default)]
    pub errors: Option<Vec<WebhookError>>,

    /// `type: "text"`: the body.
    #[serde(default)]
    pub text: Option<TextBody>,
    /// `type: "image"`: the media object (id, MIME type, SHA-256, optional caption).
    #[serde(default)]
    pub image: Option<Media>,
    /// `type: "video"`: the media object (id, MIME type, SHA-256, optional caption).
    #[serde(default)]
    pub video: Option<Media>,
    /// `type: "audio"`: the media object; `voice: true` for a voice note.
    #[serde(default)]
    pub audio: Option<Media>,
    /// `type: "document"`: the media object, with `filename` and an optional caption.
    #[serde(default)]
    pub document: Option<Media>,
    /// `type: "sticker"`: the media object (`image/webp`), `animated` for an animated sticker.
    #[serde(default)]
    pub sticker: Option<Media>,
    /// `type: "location"`: the shared place.
    #[serde(default)]
    pub location: Option<Location>,
    /// `type: "contacts"`: the shared contact cards.
    #[serde(default)]
    pub contacts: Option<Vec<ContactCard>>,
    /// `type: "reaction"`: the wamid reacted to and the emoji.
    #[serde(default)]
    pub reaction: Option<Reaction>,
    /// `type: "interactive"`: a reply to a button, list, flow, address or call permission request.
    #[serde(default)]
    pub interactive: Option<Interactive>,
    /// `type: "button"`: a tap on a template's quick-reply button.
    #[serde(default)]
    pub button: Option<Button>,
    /// `type: "order"`: a cart sent from a catalogue.
    #[serde(default)]
    pub order: Option<Order>,
    /// `type: "system"`: a change of the user's number, identity or user id.
    #[serde(default)]
    pub system: Option<System>,
    /// `type: "revoke"`: the user deleted a message.
    #[serde(default)]
    pub revoke: Option<Revoke>,
    /// `type: "edit"`: the user edited a message.
    #[serde(default)]
    pub edit: Option<Box<Edit>>,
    /// `type: "unsupported"`: a message type the Cloud API does not support (see `errors`).
    #[serde(default)]
    pub unsupported: Option<Unsupported>,
}

model! {
    /// What a message replies to or was forwarded from.
    pub struct MessageContext {
        /// The business number that sent the message replied to.
        from: Str,
        /// The wamid of the message replied to (for a template button: the template message).
        id: Str,
        /// True when the message was forwarded.
        forwarded: bool,
        /// True when the message has been forwarded many times.
        frequently_forwarded: bool,
        /// The product the user asks about (product enquiries).
        referred_product: ReferredProduct,
    }
}

model! {
    /// The product a user's enquiry is about (`context.referred_product`).
    pub struct ReferredProduct {
        /// Meta id of the catalogue.
        catalog_id: Str,
        /// The product's retailer id (SKU).
        product_retailer_id: Str,
    }
}

model! {
    /// Click-to-WhatsApp ad or post the user came from.
    pub struct Referral {
        /// URL of the ad or post.
        source_url: Str,
        /// Meta id of the ad or post.
        source_id: Str,
        /// `ad` or `post`.
        source_type: Str,
        /// The ad's headline.
        headline: Str,
        /// The ad's text.
        body: Str,
        /// `image` or `video`.
        media_type: Str,
        /// URL of the ad's image.
        image_url: Str,
        /// URL of the ad's video.
        video_url: Str,
        /// URL of the video's thumbnail.
        thumbnail_url: Str,
        /// Click id of the click-to-WhatsApp ad.
        ctwa_clid: Str,
        /// The welcome message the ad showed.
        welcome_message: WelcomeMessage,
    }
}

model! {
    /// The `welcome_message` of a referral.
    pub struct WelcomeMessage {
        /// The welcome text the user saw with the ad.
        text: Str,
    }
}

model! {
    /// Security-code change notice of the sender.
    pub struct Identity {
        /// Whether the identity change has been acknowledged.
        acknowledged: bool,
        /// When the security code changed, epoch seconds.
        created_timestamp: Str,
        /// Meta's identifier of the identity change.
        hash: Str,
    }
}

model! {
    /// The `text` object of an inbound text message.
    pub struct TextBody {
        /// The text the user sent.
        body: Str,
    }
}

model! {
    /// image, video, audio (`voice`), document (`filename`), sticker (`animated`).
    pub struct Media {
        /// Meta media id of the file, used to download it.
        id: Str,
        /// MIME type, e.g. `image/jpeg` or `audio/ogg; codecs=opus`.
        mime_type: Str,
        /// SHA-256 of the file, as Meta sends it.
        sha256: Str,
        /// Caption of an image, video or document.
        caption: Str,
        /// A document's file name.
        filename: Str,
        /// Audio: true for a voice note.
        voice: bool,
        /// Sticker: true for an animated sticker.
        animated: bool,
        /// A download URL, when Meta includes one.
        url: Str,
    }
}

model! {
    /// The `location` object of an inbound location message.
    pub struct Location {
        /// Latitude in decimal degrees.
        latitude: Num,
        /// Longitude in decimal degrees.
        longitude: Num,
        /// Name of the place, when shared.
        name: Str,
        /// Address of the place, when shared.
        address: Str,
        /// URL of the place, when shared.
        url: Str,
    }
}

model! {
    /// A shared contact card.
    pub struct ContactCard {
        /// The contact's name.
        name: CardName,
        /// Phone numbers.
        phones: Vec<CardPhone>,
        /// Email addresses.
        emails: Vec<CardEmail>,
        /// Postal addresses.
        addresses: Vec<CardAddress>,
        /// Company, department and job title.
        org: CardOrg,
        /// Web sites.
        urls: Vec<CardUrl>,
        /// Birthday, as sent (`YYYY-MM-DD`).
        birthday: Str,
    }
}

model! {
    /// The `name` of a shared contact card.
    pub struct CardName {
        /// The full name as displayed.
        formatted_name: Str,
        /// Given (first) name.
        first_name: Str,
        /// Family (last) name.
        last_name: Str,
        /// Middle name(s).
        middle_name: Str,
        /// Name suffix (e.g. `Jr.`).
        suffix: Str,
        /// Name prefix (e.g. `Dr.`).
        prefix: Str,
    }
}

model! {
    /// A phone number of a shared contact card.
    pub struct CardPhone {
        /// The number as written on the card.
        phone: Str,
        /// The number's WhatsApp id, when it has one.
        wa_id: Str,
        /// The entry's label (`type`).
        #[serde(rename = "type")]
        kind: Str,
    }
}

model! {
    /// An email address of a shared contact card.
    pub struct CardEmail {
        /// The email address as written on the card.
        email: Str,
        /// The entry's label (`type`).
        #[serde(rename = "type")]
        kind: Str,
    }
}

model! {
    /// A postal address of a shared contact card.
    pub struct CardAddress {
        /// Street address line(s).
        street: Str,
        /// City or town.
        city: Str,
        /// State, province or region.
        state: Str,
        /// Postal (ZIP) code.
        zip: Str,
        /// Country name, as written on the card.
        country: Str,
        /// Country code, as written on the card.
        country_code: Str,
        /// The entry's label (`type`).
        #[serde(rename = "type")]
        kind: Str,
    }
}

model! {
    /// The organisation of a shared contact card.
    pub struct CardOrg {
        /// Company or organisation name.
        company: Str,
        /// Department within the company.
        department: Str,
        /// The contact's job title.
        title: Str,
    }
}

model! {
    /// A web site of a shared contact card.
    pub struct CardUrl {
        /// A web address from the card.
        url: Str,
        /// The entry's label (`type`).
        #[serde(rename = "type")]
        kind: Str,
    }
}

model! {
    /// `emoji` empty or absent means the reaction was removed.
    pub struct Reaction {
        /// The wamid of the message reacted to.
        message_id: Str,
        /// The emoji; empty or absent when the reaction was removed.
        emoji: Str,
    }
}

model! {
    /// A reply to an interactive message; the object of `type` sits under the key of that name.
    pub struct Interactive {
        /// `button_reply`, `list_reply`, `nfm_reply` or `call_permission_reply`.
        #[serde(rename = "type")]
        kind: Str,
        /// The reply button the user tapped.
        button_reply: Reply,
        /// The list row the user chose.
        list_reply: Reply,
        /// A completed flow or an address the user sent.
        nfm_reply: NfmReply,
        /// The answer to a call permission request.
        call_permission_reply: CallPermissionReply,
    }
}

model! {
    /// `button_reply` / `list_reply`.
    pub struct Reply {
        /// The id the business gave the button or row.
        id: Str,
        /// The button's or row's title.
        title: Str,
        /// The row's description (list replies).
        description: Str,
    }
}

model! {
    /// Native flow message reply: `name` is `flow` or `address_message`; `response_json` is a
    /// JSON document in a string.
    pub struct NfmReply {
        /// `flow` or `address_message`.
        name: Str,
        /// The text shown in the chat, e.g. `Sent`.
        body: Str,
        /// The flow's response fields (with `flow_token`), or the address, as a JSON string.
        response_json: Str,
    }
}

model! {
    /// The answer to a call permission request (`call_permission_reply`).
    pub struct CallPermissionReply {
        /// `accept` or `reject`.
        response: Str,
        /// True when the permission does not expire.
        is_permanent: bool,
        /// When a temporary permission ends, epoch seconds (an integer or a string).
        expiration_timestamp: Int,
        /// `user_action` or `automatic`.
        response_source: Str,
    }
}

model! {
    /// Quick-reply button of a template; `context.id` is the template message.
    pub struct Button {
        /// The button's label.
        text: Str,
        /// The payload the business set for the button when sending the template.
        payload: Str,
    }
}

model! {
    /// `type: "order"`: a cart the user sent from a catalogue.
    pub struct Order {
        /// Meta id of the catalogue.
        catalog_id: Str,
        /// Text the user sent with the order.
        text: Str,
        /// The products in the cart.
        product_items: Vec<ProductItem>,
    }
}

model! {
    /// One product of an inbound order.
    pub struct ProductItem {
        /// The product's retailer id (SKU).
        product_retailer_id: Str,
        /// How many units.
        quantity: Int,
        /// Unit price, in `currency`.
        item_price: Num,
        /// ISO 4217 code of the price.
        currency: Str,
    }
}

model! {
    /// `user_changed_number`, `customer_changed_number`, `customer_identity_changed`,
    /// `user_changed_user_id`.
    pub struct System {
        /// Meta's description of the change, in words.
        body: Str,
        /// The system message `type` (one of those above).
        #[serde(rename = "type")]
        kind: Str,
        /// A WhatsApp id Meta includes with the change.
        wa_id: Str,
        /// On a number change: the user's new WhatsApp id.
        new_wa_id: Str,
        /// The `customer` field Meta sends on some system messages, kept as sent.
        customer: Str,
        /// On `customer_identity_changed`: Meta's identity hash.
        identity: Str,
        /// On `user_changed_user_id`: the new BSUID.
        user_id: Str,
        /// On `user_changed_user_id`: the new parent BSUID, when enabled.
        parent_user_id: Str,
        /// On `user_changed_user_id`: the BSUID before the change.
        previous_user_id: Str,
    }
}

model! {
    /// The user deleted a message.
    pub struct Revoke {
        /// The wamid of the deleted message.
        original_message_id: Str,
    }
}

/// The user edited a message: `message` is the new content, shaped like a message.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct Edit {
    /// The wamid of the message that was edited.
    #[serde(default)]
    pub original_message_id: Option<Str>,
    /// The new content, shaped like a message (its `type` and the object of that type).
    #[serde(default)]
    pub message: Option<Message>,
}

model! {
    /// The `unsupported` object of a message the Cloud API does not support.
    pub struct Unsupported {
        /// The unsupported message type, when Meta names it.
        #[serde(rename = "type")]
        kind: Str,
    }
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
