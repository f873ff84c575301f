//! Basic kinds (docs/PROTOCOL.md §5.2): text, media by id or link, location, contacts, reaction.

use serde::{Deserialize, Serialize};

use super::limits::{CAPTION, EMOJI_CODE_POINTS, FILENAME, TEXT_BODY};
use super::validate::{at_most, chars, count, id_or_link, opt_text, required, text, Checked, FieldPath};

fn is_false(b: &Option<bool>) -> bool {
    b.is_none()
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Text {
    pub body: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub preview_url: Option<bool>,
}

impl Text {
    pub fn validate(&self, p: &FieldPath<'_>) -> Checked {
        text(&p.key("body"), &self.body, TEXT_BODY)
    }
}

/// Media by Meta media id (uploaded through EUM from the same phone) or by public link.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Media {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
}

/// Which media kind a [`Media`] object is, for the fields each allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediaKind {
    Image,
    Video,
    Audio,
    Document,
    Sticker,
}

impl Media {
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

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Location {
    pub latitude: f64,
    pub longitude: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

impl Location {
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
            $(#[serde(default, skip_serializing_if = "Option::is_none")] pub $field: Option<String>,)*
        }
    };
}

opt_strings!(ContactPhone { phone, r#type, wa_id });
opt_strings!(ContactEmail { email, r#type });
opt_strings!(ContactUrl { url, r#type });
opt_strings!(ContactOrg { company, department, title });
opt_strings!(ContactAddress { street, city, state, zip, country, country_code, r#type });

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactName {
    pub formatted_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suffix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    pub name: ContactName,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phones: Vec<ContactPhone>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub emails: Vec<ContactEmail>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<ContactAddress>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<ContactOrg>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub urls: Vec<ContactUrl>,
    /// `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birthday: Option<String>,
}

/// Contacts per message (Meta accepts a handful; a conservative bound).
pub const MAX_CONTACTS: usize = 20;

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

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reaction {
    pub message_id: String,
    /// One emoji; `""` removes the reaction.
    pub emoji: String,
}

impl Reaction {
    pub fn validate(&self, p: &FieldPath<'_>) -> Checked {
        required(&p.key("message_id"), &self.message_id)?;
        let e = &self.emoji;
        if !e.is_empty() && (chars(e) > EMOJI_CODE_POINTS || e.chars().any(|c| c.is_ascii() || c.is_whitespace())) {
            return Err(p.key("emoji").err("one emoji, or \"\" to remove the reaction"));
        }
        Ok(())
    }
}
