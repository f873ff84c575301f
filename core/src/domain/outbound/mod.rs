//! Outbound messages: the send request (docs/ARCHITECTURE.md §4), a typed model of every message kind
//! WhatsApp's Cloud API sends, validated against WhatsApp's limits (docs/PROTOCOL.md §5, [`limits`])
//! before any call, and serialised to the exact Cloud API JSON that EUM's
//! `SendWhatsAppMessage` takes as its `message` blob.
//!
//! ```text
//! parse_request(body) ─► SendRequest ─► validate() ─► cloud_json(callback) ─► EUM
//!                  └─ FieldError { path: "message.interactive.action.buttons[3]", limit: "at most 3 reply buttons" }
//! ```
//! The JSON Schema of the request is `docs/send-request.schema.json`; a test keeps both in step.

pub mod blocks;
pub mod calls;
pub mod catalog;
pub mod interactive;
pub mod limits;
mod parse;
pub mod payments;
pub mod template;
pub mod text_media;
pub mod validate;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

pub use interactive::Interactive;
pub use parse::{parse_request, parse_request_value};
pub use template::{Category, Template};
pub use validate::FieldError;

pub use text_media::Read;
use text_media::{Contact, Location, Media, MediaKind, Reaction, Text};
use validate::{Checked, FieldPath};

/// A request to send one WhatsApp message (the public input of the send worker).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SendRequest {
    /// Caller-chosen idempotency key: one WhatsApp message per request id, ever.
    pub request_id: String,
    /// The business number: Meta `phone_number_id`, EUM `phone-number-id-…`, or its ARN.
    pub from: String,
    /// The recipient: E.164 with `+`, or a business-scoped user id (BSUID, `US.1349…`) or
    /// parent BSUID (`US.ENT.1181…`) for users known only by their username.
    pub to: String,
    /// `individual` (the default, left out of the JSON) or `group`: `to` is then a group id
    /// and only the kinds Meta allows in groups are accepted.
    #[serde(skip_serializing_if = "RecipientType::is_individual")]
    pub recipient_type: RecipientType,
    /// The message itself, by Cloud API `type` (the object sent under the key of that name).
    pub message: OutboundMessage,
    /// Delivery options; all optional, left out of the JSON when all are unset.
    #[serde(skip_serializing_if = "SendOptions::is_empty")]
    pub options: SendOptions,
    /// The contact whose window, opt-out and pair pacing this send uses, when the send worker
    /// resolved a BSUID `to` to the phone the user was seen with ([`SendRequest::contact_id`]).
    /// Never read from or written to JSON.
    #[serde(skip)]
    pub contact: Option<String>,
}

/// Who a send request is for: one user, or a WhatsApp group (docs/PROTOCOL.md §10.5).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecipientType {
    /// One user, by phone or BSUID.
    #[default]
    Individual,
    /// A group, by Meta's group id.
    Group,
}

impl RecipientType {
    /// True for the default, so it is left out when serialised.
    pub fn is_individual(&self) -> bool {
        *self == RecipientType::Individual
    }

    /// The wire value (`individual`, `group`).
    pub fn as_str(self) -> &'static str {
        match self {
            RecipientType::Individual => "individual",
            RecipientType::Group => "group",
        }
    }
}

/// Message kinds Meta delivers to groups: text, media, and text or media templates
/// (docs/PROTOCOL.md §10.5; no interactive, no authentication, no commerce).
pub const GROUP_TYPES: &[&str] = &["text", "image", "video", "audio", "document", "sticker", "template"];

/// The `options` of a send request: reply context, window rule, schedule, category and tags.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendOptions {
    /// Reply to this wamid (`context.message_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
    /// Templates: send only inside the 24-hour window when true. Free-form messages always
    /// need the window, whatever this says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_window: Option<bool>,
    /// RFC 3339: do not send before this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before: Option<String>,
    /// The template's category when the caller knows it (the template state cache wins).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<Category>,
    /// Mark this wamid (a message the user sent, usually the one replied to) as read and show
    /// the typing indicator while the worker prepares the reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mark_read: Option<String>,
    /// Caller's labels, echoed in the send events (at most 10; keys ≤ 128, values ≤ 256).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

impl SendOptions {
    /// True when no option is set (the default), so `options` is left out when serialised.
    pub fn is_empty(&self) -> bool {
        *self == SendOptions::default()
    }
}

/// One outbound message, by Cloud API `type`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OutboundMessage {
    /// `type: "text"`: a plain text message.
    Text {
        /// The `text` object: body (≤ 4096 characters) and link preview flag.
        text: Text,
    },
    /// `type: "image"`: a picture (Meta: JPEG or PNG, up to 5 MB).
    Image {
        /// The `image` object: media id or link, optional caption (≤ 1024 characters).
        image: Media,
    },
    /// `type: "video"`: a video (Meta: up to 16 MB).
    Video {
        /// The `video` object: media id or link, optional caption (≤ 1024 characters).
        video: Media,
    },
    /// `type: "audio"`: an audio file (Meta: up to 16 MB).
    Audio {
        /// The `audio` object: media id or link; audio takes no caption.
        audio: Media,
    },
    /// `type: "document"`: a file (Meta: up to 100 MB).
    Document {
        /// The `document` object: media id or link, optional caption and `filename`.
        document: Media,
    },
    /// `type: "sticker"`: a WebP sticker.
    Sticker {
        /// The `sticker` object: media id or link; stickers take no caption.
        sticker: Media,
    },
    /// `type: "location"`: a map pin.
    Location {
        /// The `location` object: latitude, longitude, optional name and address.
        location: Location,
    },
    /// `type: "contacts"`: one or more contact cards.
    Contacts {
        /// The `contacts` array (1 to [`text_media::MAX_CONTACTS`] cards).
        contacts: Vec<Contact>,
    },
    /// `type: "reaction"`: an emoji on an earlier message.
    Reaction {
        /// The `reaction` object: the wamid reacted to and the emoji (`""` removes it).
        reaction: Reaction,
    },
    /// `type: "interactive"`: buttons, lists, flows, commerce and payment messages.
    Interactive {
        /// The `interactive` object, by its own `type`.
        interactive: Box<Interactive>,
    },
    /// `type: "template"`: an approved template, the only kind sent outside the 24-hour window.
    Template {
        /// The `template` object: name, language and component parameters.
        template: Template,
    },
    /// `type: "read"`: not a message but a read receipt (and typing indicator) for a message
    /// the user sent; it goes through `SendWhatsAppMessage` as `status: read`.
    Read {
        /// The `read` object: the user's wamid and whether to show typing.
        read: Read,
    },
}

/// Cloud API message types (`message.type`).
pub const TYPES: &[&str] = &[
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
    "template",
    "read",
];

impl OutboundMessage {
    /// `message.type`.
    pub fn type_name(&self) -> &'static str {
        match self {
            OutboundMessage::Text { .. } => "text",
            OutboundMessage::Image { .. } => "image",
            OutboundMessage::Video { .. } => "video",
            OutboundMessage::Audio { .. } => "audio",
            OutboundMessage::Document { .. } => "document",
            OutboundMessage::Sticker { .. } => "sticker",
            OutboundMessage::Location { .. } => "location",
            OutboundMessage::Contacts { .. } => "contacts",
            OutboundMessage::Reaction { .. } => "reaction",
            OutboundMessage::Interactive { .. } => "interactive",
            OutboundMessage::Template { .. } => "template",
            OutboundMessage::Read { .. } => "read",
        }
    }

    /// The kind, for records and events: the type, or `interactive.<type>` (`interactive.button`).
    pub fn kind(&self) -> String {
        match self {
            OutboundMessage::Interactive { interactive } => format!("interactive.{}", interactive.type_name()),
            m => m.type_name().to_string(),
        }
    }

    /// The template, when this is one.
    pub fn template(&self) -> Option<&Template> {
        match self {
            OutboundMessage::Template { template } => Some(template),
            _ => None,
        }
    }

    /// Free-form messages need the 24-hour customer service window; templates and read
    /// receipts (messages up to 30 days old) do not.
    pub fn needs_window(&self) -> bool {
        !matches!(self, OutboundMessage::Template { .. } | OutboundMessage::Read { .. })
    }

    /// The read receipt, when this is one.
    pub fn read(&self) -> Option<&Read> {
        match self {
            OutboundMessage::Read { read } => Some(read),
            _ => None,
        }
    }

    /// Check every limit; `category` refines template rules (authentication codes).
    pub fn validate(&self, p: &FieldPath<'_>, category: Option<Category>) -> Checked {
        let k = p.key(self.type_name());
        match self {
            OutboundMessage::Text { text } => text.validate(&k),
            OutboundMessage::Image { image } => image.validate(&k, MediaKind::Image),
            OutboundMessage::Video { video } => video.validate(&k, MediaKind::Video),
            OutboundMessage::Audio { audio } => audio.validate(&k, MediaKind::Audio),
            OutboundMessage::Document { document } => document.validate(&k, MediaKind::Document),
            OutboundMessage::Sticker { sticker } => sticker.validate(&k, MediaKind::Sticker),
            OutboundMessage::Location { location } => location.validate(&k),
            OutboundMessage::Contacts { contacts } => text_media::validate_contacts(&k, contacts),
            OutboundMessage::Reaction { reaction } => reaction.validate(&k),
            OutboundMessage::Interactive { interactive } => interactive.validate(&k),
            OutboundMessage::Template { template } => template.validate(&k, category),
            OutboundMessage::Read { read } => read.validate(&k),
        }
    }
}

/// The Cloud API envelope around a message (docs/PROTOCOL.md §5.1).
#[derive(Serialize)]
struct Wire<'a> {
    messaging_product: &'static str,
    recipient_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    to: Option<&'a str>,
    /// A BSUID or parent BSUID, sent instead of `to` (docs/PROTOCOL.md §10.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    recipient: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    context: Option<WireContext<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    biz_opaque_callback_data: Option<&'a str>,
    #[serde(flatten)]
    message: &'a OutboundMessage,
}

#[derive(Serialize)]
struct WireContext<'a> {
    message_id: &'a str,
}

impl SendRequest {
    /// Whether `to` is a business-scoped user id (or parent BSUID) rather than a phone number.
    pub fn to_bsuid(&self) -> bool {
        self.recipient_type == RecipientType::Individual && validate::is_bsuid(&self.to)
    }

    /// Who the per-contact state (window, opt-out, pair pacing) is kept under: the phone `wa_id`
    /// (digits, no `+`) when known, else the BSUID. Ingest keys a user by phone whenever the
    /// webhook carries it, so a user seen by phone and later addressed by BSUID is one contact.
    pub fn contact_id(&self) -> &str {
        self.contact.as_deref().unwrap_or_else(|| self.to.trim_start_matches('+'))
    }

    /// The parameters of an interactive flow message; `None` for any other message.
    pub fn flow_params(&self) -> Option<&interactive::FlowParams> {
        match &self.message {
            OutboundMessage::Interactive { interactive } => match interactive.as_ref() {
                Interactive::Flow(f) => Some(&f.action.parameters),
                _ => None,
            },
            _ => None,
        }
    }

    /// The request with `token` as its flow token (unchanged when it is not a flow message).
    pub fn with_flow_token(&self, token: &str) -> SendRequest {
        let mut out = self.clone();
        if let OutboundMessage::Interactive { interactive } = &mut out.message {
            if let Interactive::Flow(f) = interactive.as_mut() {
                f.action.parameters.flow_token = Some(token.to_string());
            }
        }
        out
    }

    /// Every check of docs/PROTOCOL.md §5 and of the request itself, first failure returned.
    pub fn validate(&self) -> Result<(), FieldError> {
        self.validate_with(None)
    }

    /// As [`SendRequest::validate`], with the template category when known from elsewhere.
    pub fn validate_with(&self, category: Option<Category>) -> Result<(), FieldError> {
        let id = FieldPath::root("request_id");
        validate::required(&id, &self.request_id)?;
        if !crate::domain::send_record::fits_callback(&self.request_id) {
            let max = limits::CALLBACK_DATA - crate::domain::send_record::CALLBACK_PREFIX.len();
            return Err(id.err(format!("at most {max} bytes (it travels in biz_opaque_callback_data)")));
        }
        if self.request_id.chars().any(char::is_control) {
            return Err(id.err("no control characters"));
        }
        let from = FieldPath::root("from");
        validate::required(&from, &self.from)?;
        let numeric = self.from.bytes().all(|b| b.is_ascii_digit());
        if !(numeric || self.from.starts_with("phone-number-id-") || self.from.starts_with("arn:")) {
            return Err(from.err("a Meta phone_number_id (digits), an EUM phone-number-id-… or its ARN"));
        }
        match self.recipient_type {
            RecipientType::Individual => validate::recipient(&FieldPath::root("to"), &self.to)?,
            RecipientType::Group => self.validate_group(category.or(self.options.category))?,
        }
        let o = FieldPath::root("options");
        if let Some(r) = &self.options.reply_to {
            validate::required(&o.key("reply_to"), r)?;
        }
        if let Some(r) = &self.options.mark_read {
            validate::required(&o.key("mark_read"), r)?;
            if self.message.read().is_some() {
                return Err(o.key("mark_read").err("not with a read receipt (its message_id is the one marked)"));
            }
        }
        if let Some(t) = &self.options.not_before {
            if OffsetDateTime::parse(t, &Rfc3339).is_err() {
                return Err(o.key("not_before").err("an RFC 3339 time"));
            }
        }
        let tags = o.key("tags");
        validate::count(&tags, self.options.tags.len(), 0, 10, "tags")?;
        for (k, v) in &self.options.tags {
            validate::text(&tags, k, 128)?;
            validate::at_most(&tags, v, 256)?;
        }
        self.message.validate(&FieldPath::root("message"), category.or(self.options.category))
    }

    /// A group send: an opaque group id, and only what Meta delivers to groups.
    fn validate_group(&self, category: Option<Category>) -> Result<(), FieldError> {
        let to = FieldPath::root("to");
        validate::required(&to, &self.to)?;
        let id_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '_' | '-' | '.');
        if self.to.len() > 256 || !self.to.chars().all(id_char) {
            return Err(to.err("a group id (Meta's opaque id, up to 256 characters)"));
        }
        let kind = self.message.type_name();
        if !GROUP_TYPES.contains(&kind) {
            let m = FieldPath::root("message");
            return Err(m.key("type").err(format!(
                "{kind} cannot be sent to a group: only {} (no interactive, authentication or commerce)",
                GROUP_TYPES.join(", ")
            )));
        }
        if let Some(t) = self.message.template() {
            let m = FieldPath::root("message");
            let tp = m.key("template");
            if category == Some(Category::Authentication) {
                return Err(tp.err("authentication templates cannot be sent to a group"));
            }
            if let Some(i) = t.components.iter().position(template::Component::is_commerce) {
                return Err(tp
                    .key("components")
                    .idx(i)
                    .err("commerce components (carousel, catalog, product) cannot be sent to a group"));
            }
        }
        Ok(())
    }

    /// `not_before` as a time, when given and valid.
    pub fn not_before(&self) -> Option<OffsetDateTime> {
        self.options.not_before.as_deref().and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok())
    }

    /// The exact Cloud API JSON for EUM's `message` blob. `callback` is the
    /// `biz_opaque_callback_data` (the send worker passes `send_record::callback_data`).
    pub fn cloud_json(&self, callback: Option<&str>) -> Result<Vec<u8>, FieldError> {
        if let Some(read) = self.message.read() {
            return serde_json::to_vec(&read.cloud_json())
                .map_err(|e| FieldError::new("message", format!("not serialisable: {e}")));
        }
        let wire = Wire {
            messaging_product: "whatsapp",
            recipient_type: self.recipient_type.as_str(),
            to: (!self.to_bsuid()).then_some(self.to.as_str()),
            recipient: self.to_bsuid().then_some(self.to.as_str()),
            context: self.options.reply_to.as_deref().map(|message_id| WireContext { message_id }),
            biz_opaque_callback_data: callback,
            message: &self.message,
        };
        let bytes =
            serde_json::to_vec(&wire).map_err(|e| FieldError::new("message", format!("not serialisable: {e}")))?;
        if bytes.len() > limits::MESSAGE_BYTES {
            return Err(FieldError::new("message", format!("at most {} bytes as JSON", limits::MESSAGE_BYTES)));
        }
        Ok(bytes)
    }
}

#[cfg(test)]
mod kinds_tests;
#[cfg(test)]
mod limits_tests;
