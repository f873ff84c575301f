//! The building blocks every interactive message is made of: the text object, the header, the
//! named action, the shared header/body/footer checks, and the `message!` macro that declares a
//! message type from them. The message kinds themselves (`interactive`, `catalog`, `payments`)
//! build on this module and never on each other's internals.

use serde::{Deserialize, Serialize};

use super::limits::{FOOTER, HEADER_TEXT, INTERACTIVE_BODY};
use super::text_media::Media;
use super::validate::{text, Checked, FieldPath};

/// `{"text": "..."}`: the `body` and `footer` objects of interactive messages.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextObj {
    /// The text shown: at most 1024 characters in a body, 60 in a footer (checked by [`frame`]).
    pub text: String,
}

/// `header`: text, or media without a caption.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Header {
    /// A text header: `{"type": "text", "text": "..."}`.
    Text {
        /// The header text, not blank, at most [`HEADER_TEXT`] (60) characters.
        text: String,
    },
    /// An image header: `{"type": "image", "image": {...}}`.
    Image {
        /// The image, by media `id` or `link` (exactly one); a header takes no caption.
        image: Media,
    },
    /// A video header: `{"type": "video", "video": {...}}`.
    Video {
        /// The video, by media `id` or `link` (exactly one); a header takes no caption.
        video: Media,
    },
    /// A document header: `{"type": "document", "document": {...}}`.
    Document {
        /// The document, by media `id` or `link` (exactly one); a header takes no caption.
        document: Media,
    },
}

impl Header {
    /// Check the header at `p`: a non-blank text of at most 60 characters, or a media object with
    /// exactly one of `id` and `link` and no caption.
    pub fn validate(&self, p: &FieldPath<'_>) -> Checked {
        match self {
            Header::Text { text: t } => text(&p.key("text"), t, HEADER_TEXT),
            Header::Image { image } => image.validate_header(&p.key("image")),
            Header::Video { video } => video.validate_header(&p.key("video")),
            Header::Document { document } => document.validate_header(&p.key("document")),
        }
    }
}

/// Header, body and footer checks shared by every interactive type.
pub fn frame(p: &FieldPath<'_>, header: Option<&Header>, body: Option<&TextObj>, footer: Option<&TextObj>) -> Checked {
    if let Some(h) = header {
        h.validate(&p.key("header"))?;
    }
    if let Some(b) = body {
        text(&p.key("body").key("text"), &b.text, INTERACTIVE_BODY)?;
    }
    if let Some(f) = footer {
        text(&p.key("footer").key("text"), &f.text, FOOTER)?;
    }
    Ok(())
}

/// Check that the header at `p`, when present, is a text header; with `required_` a missing
/// header is an error too (list messages allow none, multi-product messages need one).
pub fn text_header_only(p: &FieldPath<'_>, header: Option<&Header>, required_: bool) -> Checked {
    match header {
        None if required_ => Err(p.key("header").err("required: a text header")),
        Some(Header::Text { .. }) | None => Ok(()),
        Some(_) => Err(p.key("header").err("must be a text header")),
    }
}

/// Check that the action `name` at `p` is `expected`, the one value Meta accepts for the type.
pub fn fixed_name(p: &FieldPath<'_>, name: &str, expected: &str) -> Checked {
    if name == expected {
        Ok(())
    } else {
        Err(p.key("name").err(format!("must be \"{expected}\"")))
    }
}

/// Whether an optional body is absent (required bodies never are).
pub trait Absent {
    /// True when the body was left out (only an `Option` body can be).
    fn absent(&self) -> bool;
}

impl Absent for TextObj {
    fn absent(&self) -> bool {
        false
    }
}

impl<T> Absent for Option<T> {
    fn absent(&self) -> bool {
        self.is_none()
    }
}

/// Declares an interactive message type: optional header, a body (required or optional),
/// optional footer, and its `action`.
macro_rules! message {
    ($(#[$m:meta])* $name:ident, body: $body:ty, action: $action:ty) => {
        $(#[$m])*
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            /// Optional `header`: text, or an image, video or document without caption (each type's
            /// `validate` may refuse it or require text).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub header: Option<Header>,
            /// `body`: `{"text": "..."}`, at most 1024 characters; an `Option` for the types where it is optional.
            #[serde(skip_serializing_if = "Absent::absent")]
            pub body: $body,
            /// Optional `footer`: `{"text": "..."}`, at most 60 characters.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub footer: Option<TextObj>,
            /// The type's `action` object: its buttons, sections, parameters or fixed `name`.
            pub action: $action,
        }
    };
}
pub(super) use message;

/// `{"name": "...", "parameters": {...}}`: the name is fixed per type and filled in when omitted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedAction<T> {
    /// The action `name` Meta expects for the type (`cta_url`, `flow`, `review_and_pay`, …); when
    /// omitted in the request, parsing fills it in.
    #[serde(default)]
    pub name: String,
    /// The type's `action.parameters` object.
    pub parameters: T,
}

/// `{"name": "send_location"}` and the like.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NameOnly {
    /// The action `name` (`send_location` or `call_permission_request`); when omitted in the
    /// request, parsing fills it in.
    #[serde(default)]
    pub name: String,
}
