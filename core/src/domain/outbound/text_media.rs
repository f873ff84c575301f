//! Basic kinds (docs/PROTOCOL.md §5.2): text, media by id or link, location, contacts, reaction.

use serde::{Deserialize, Serialize};

use super::limits::{CAPTION, EMOJI_CODE_POINTS, FILENAME, TEXT_BODY};
use super::validate::{at_most, chars, count, id_or_link, opt_text, required, text, Checked, FieldPath};

fn is_false(b: &Option<bool>) -> bool {
    b.is_none()
}

/// The `text` object of a text message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Text {
    /// The message text, not blank, at most 4096 characters.
    pub body: String,
    /// Cloud API `preview_url`: whether WhatsApp shows a preview of a URL in the body; left out when
    /// `None`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub preview_url: Option<bool>,
}

impl Text {
    /// Check the message at `p`: the body is not blank and at most 4096 characters.
    pub fn validate(&self, p: &FieldPath<'_>) -> Checked {
        text(&p.key("body"), &self.body, TEXT_BODY)
    }
}

/// Media by Meta media id (uploaded through EUM from the same phone) or by public link.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Media {
    /// Meta media id of an uploaded file; exactly one of `id` and `link` is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Public `http(s)://` URL of the file; exactly one of `id` and `link` is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// Caption shown under an image, video or document, at most 1024 characters; not allowed for
    /// audio, stickers and interactive headers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    /// File name shown for a document (documents only), at most 240 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
}

/// Which media kind a [`Media`] object is, for the fields each allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediaKind {
    /// `image`: caption allowed.
    Image,
    /// `video`: caption allowed.
    Video,
    /// `audio`: no caption.
    Audio,
    /// `document`: caption and filename allowed.
    Document,
    /// `sticker`: no caption.
    Sticker,
}

impl Media {
    /// Check the media object at `p` as a `kind`: exactly one of `id` and `link`, and only the
    /// caption and filename that kind allows, within their limits.
    pub fn validate(&self, p: &FieldPath<'_>, kind: MediaKind) -> Checked {
        id_or_link(p, self.id.as_deref(), self.link.as_deref())?;
        let caption_ok = matches!(kind, MediaKind::Image | MediaKind::Video | MediaKind::Document);
        match &self.caption {
            Some(_) if !caption_ok => return Err(p.key("caption").err("not allowed for audio and stickers")),
            Some(c) => at_most(&p.key("caption"), c, CAPTION)?,
            None => {}
        }
        match &self.filename {
            Some(_) if kind != MediaKind::Document => {
                return Err(p.key("filename").err("only documents have a filename"))
            }
            Some(f) => text(&p.key("filename"), f, FILENAME)?,
            None => {}
        }
        Ok(())
    }

    /// A media header of an interactive message: no caption, no filename.
    pub fn validate_header(&self, p: &FieldPath<'_>) -> Checked {
        id_or_link(p, self.id.as_deref(), self.link.as_deref())?;
        if self.caption.is_some() {
            return Err(p.key("caption").err("not allowed in a header"));
        }
        Ok(())
    }
}

/// The `location` object of a location message: a map pin.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Location {
    /// Latitude in decimal degrees, from -90 to 90.
    pub latitude: f64,
    /// Longitude in decimal degrees, from -180 to 180.
    pub longitude: f64,
    /// Name of the place, at most 1000 characters (this crate's bound).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Address of the place, at most 1000 characters (this crate's bound).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

impl Location {
    /// Check the location at `p`: coordinates in range, name and address not blank when given.
    pub fn validate(&self, p: &FieldPath<'_>) -> Checked {
        if !(-90.0..=90.0).contains(&self.latitude) {
            return Err(p.key("latitude").err("between -90 and 90"));
        }
        if !(-180.0..=180.0).contains(&self.longitude) {
            return Err(p.key("longitude").err("between -180 and 180"));
        }
        opt_text(&p.key("name"), self.name.as_deref(), 1000)?;
        opt_text(&p.key("address"), self.address.as_deref(), 1000)
    }
}

macro_rules! opt_strings {
    ($(#[$m:meta])* $name:ident { $($field:ident),* $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $(
                /// The Cloud API field of the same name (`r#type` is sent as `type`: the entry's label,
                /// such as `HOME` or `WORK`); optional, left out when `None`.
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $field: Option<String>,
            )*
        }
    };
}

opt_strings!(
    /** A phone number of a contact card (`wa_id`: the number's WhatsApp id, when known). */
    ContactPhone { phone, r#type, wa_id }
);
opt_strings!(/** An email address of a contact card. */ ContactEmail { email, r#type });
opt_strings!(/** A web site of a contact card. */ ContactUrl { url, r#type });
opt_strings!(
    /** The organisation of a contact card: company, department and job title. */
    ContactOrg { company, department, title }
);
opt_strings!(
    /** A postal address of a contact card. */
    ContactAddress { street, city, state, zip, country, country_code, r#type }
);

/// The `name` of a contact card.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactName {
    /// The full name as displayed; required.
    pub formatted_name: String,
    /// Given (first) name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Family (last) name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Middle name(s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<String>,
    /// Name suffix (e.g. `Jr.`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suffix: Option<String>,
    /// Name prefix (e.g. `Dr.`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
}

/// One contact card of a `contacts` message.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// The contact's name; `formatted_name` is required.
    pub name: ContactName,
    /// Phone numbers; each needs a non-blank `phone`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phones: Vec<ContactPhone>,
    /// Email addresses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub emails: Vec<ContactEmail>,
    /// Postal addresses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<ContactAddress>,
    /// Company, department and job title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<ContactOrg>,
    /// Web sites.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub urls: Vec<ContactUrl>,
    /// `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birthday: Option<String>,
}

/// Contacts per message (Meta accepts a handful; a conservative bound).
pub const MAX_CONTACTS: usize = 20;

/// Check the `contacts` array at `p`: 1 to [`MAX_CONTACTS`] cards, each with a `formatted_name`,
/// a `YYYY-MM-DD` birthday when given, and a non-blank `phone` in every phone entry.
pub fn validate_contacts(p: &FieldPath<'_>, contacts: &[Contact]) -> Checked {
    count(p, contacts.len(), 1, MAX_CONTACTS, "contacts")?;
    for (i, c) in contacts.iter().enumerate() {
        let pc = p.idx(i);
        let pn = pc.key("name");
        required(&pn.key("formatted_name"), &c.name.formatted_name)?;
        if let Some(b) = &c.birthday {
            let ok = b.len() == 10
                && b.bytes().enumerate().all(|(i, c)| matches!(i, 4 | 7) == (c == b'-'))
                && b.bytes().filter(|c| c.is_ascii_digit()).count() == 8;
            if !ok {
                return Err(pc.key("birthday").err("a date as YYYY-MM-DD"));
            }
        }
        let phones = pc.key("phones");
        for (j, ph) in c.phones.iter().enumerate() {
            if ph.phone.as_deref().is_none_or(|s| s.trim().is_empty()) {
                return Err(phones.idx(j).key("phone").err("required (not empty)"));
            }
        }
    }
    Ok(())
}

/// The `reaction` object of a reaction message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reaction {
    /// The wamid of the message reacted to; required.
    pub message_id: String,
    /// One emoji; `""` removes the reaction.
    pub emoji: String,
}

impl Reaction {
    /// Check the reaction at `p`: a message id, and an emoji of at most 10 code points (no ASCII,
    /// no spaces) or `""`.
    pub fn validate(&self, p: &FieldPath<'_>) -> Checked {
        required(&p.key("message_id"), &self.message_id)?;
        let e = &self.emoji;
        if !e.is_empty() && (chars(e) > EMOJI_CODE_POINTS || e.chars().any(|c| c.is_ascii() || c.is_whitespace())) {
            return Err(p.key("emoji").err("one emoji, or \"\" to remove the reaction"));
        }
        Ok(())
    }
}

/// The `read` object of a read receipt (docs/PROTOCOL.md §10.4): marks a message the user sent
/// (and the earlier ones of the chat) as read, optionally showing the typing indicator until
/// the business's next message or 25 seconds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Read {
    /// The wamid of the user's message; required. Meta marks messages up to 30 days old.
    pub message_id: String,
    /// Show "typing…" as well; show it only when a reply follows.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub typing_indicator: bool,
}

impl Read {
    /// Check the receipt at `p`: a message id.
    pub fn validate(&self, p: &FieldPath<'_>) -> Checked {
        required(&p.key("message_id"), &self.message_id)
    }

    /// The Cloud API JSON: `{"messaging_product","status":"read","message_id","typing_indicator"?}`.
    pub fn cloud_json(&self) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        m.insert("messaging_product".into(), "whatsapp".into());
        m.insert("status".into(), "read".into());
        m.insert("message_id".into(), self.message_id.as_str().into());
        if self.typing_indicator {
            m.insert("typing_indicator".into(), serde_json::json!({"type": "text"}));
        }
        serde_json::Value::Object(m)
    }
}
