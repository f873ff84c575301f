//! The building blocks every interactive message is made of: the text object, the header, the
//! named action, the shared header/body/footer checks, and the `message!` macro that declares a
//! message type from them. The message kinds themselves (`interactive`, `catalog`, `payments`)
//! build on this module and never on each other's internals.

use serde::{Deserialize, Serialize};

use super::limits::{FOOTER, HEADER_TEXT, INTERACTIVE_BODY};
use super::text_media::Media;
use super::validate::{text, Checked, FieldPath};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextObj {
    pub text: String,
}

/// `header`: text, or media without a caption.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Header {
    Text { text: String },
    Image { image: Media },
    Video { video: Media },
    Document { document: Media },
}

impl Header {
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

pub fn text_header_only(p: &FieldPath<'_>, header: Option<&Header>, required_: bool) -> Checked {
    match header {
        None if required_ => Err(p.key("header").err("required: a text header")),
        Some(Header::Text { .. }) | None => Ok(()),
        Some(_) => Err(p.key("header").err("must be a text header")),
    }
}

pub fn fixed_name(p: &FieldPath<'_>, name: &str, expected: &str) -> Checked {
    if name == expected {
        Ok(())
    } else {
        Err(p.key("name").err(format!("must be \"{expected}\"")))
    }
}

/// Whether an optional body is absent (required bodies never are).
pub trait Absent {
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
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub header: Option<Header>,
            #[serde(skip_serializing_if = "Absent::absent")]
            pub body: $body,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub footer: Option<TextObj>,
            pub action: $action,
        }
    };
}
pub(super) use message;

/// `{"name": "...", "parameters": {...}}`: the name is fixed per type and filled in when omitted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedAction<T> {
    #[serde(default)]
    pub name: String,
    pub parameters: T,
}

/// `{"name": "send_location"}` and the like.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NameOnly {
    #[serde(default)]
    pub name: String,
}
