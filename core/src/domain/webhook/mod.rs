//! Typed model of one Meta webhook `entry` (docs/PROTOCOL.md §3): `{id, time?, changes: [{field, value}]}`.
//!
//! Tolerant by design: unknown fields are ignored, nearly everything is `Option`, and the scalar
//! types [`Str`], [`Int`] and [`Num`] accept a number or a string wherever Meta is inconsistent
//! (template ids are numbers, timestamps are strings of epoch seconds, sometimes numbers).
//! A change's `value` and each inbound message stay raw JSON (borrowed from the entry text)
//! until `normalize` knows which type to read them as, so the entry is scanned once.

use std::fmt;
use std::ops::Deref;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// A struct whose fields are all optional, that reads tolerantly and writes back without the
/// absent fields (so it can be put in an event as is).
macro_rules! model {
    ($(#[$m:meta])* pub struct $name:ident { $($(#[$fm:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Debug, Default, PartialEq, serde::Deserialize, serde::Serialize)]
        pub struct $name {
            $($(#[$fm])* #[serde(default, skip_serializing_if = "Option::is_none")] pub $field: Option<$ty>,)*
        }
    };
}

mod fields;
mod message;
mod status;

pub use fields::*;
pub use message::*;
pub use status::*;

/// One `entry` element. `changes` borrows from the entry text.
#[derive(Debug, Default, Deserialize)]
pub struct Entry<'a> {
    /// The WABA id.
    #[serde(default)]
    pub id: Option<Str>,
    /// Epoch seconds; present on some fields only.
    #[serde(default)]
    pub time: Option<Str>,
    /// The changes of this entry (usually one), each with its `field` and raw `value`.
    #[serde(default, borrow)]
    pub changes: Option<Vec<Change<'a>>>,
}

/// One change: which subscription `field`, and its `value` (raw until the field is known).
#[derive(Debug, Default, Deserialize)]
pub struct Change<'a> {
    /// The subscription field: `messages`, `message_template_status_update`, `account_update`, …
    #[serde(default)]
    pub field: Option<Str>,
    /// The change's JSON, borrowed from the entry text and parsed once the field is known.
    #[serde(default, borrow)]
    pub value: Option<&'a RawValue>,
}

/// The `value` of a `messages` change: inbound messages, statuses, or value-level errors.
#[derive(Debug, Default, Deserialize)]
pub struct MessagesValue<'a> {
    /// Always `whatsapp`.
    #[serde(default)]
    pub messaging_product: Option<Str>,
    /// The business number concerned (display number and `phone_number_id`).
    #[serde(default)]
    pub metadata: Option<Metadata>,
    /// The users the messages or statuses concern (wa_id, BSUID, profile name).
    #[serde(default)]
    pub contacts: Option<Vec<Contact>>,
    /// Each message raw: its JSON is stored with the record, and read as a [`Message`].
    #[serde(default, borrow)]
    pub messages: Option<Vec<&'a RawValue>>,
    /// Delivery statuses of outbound messages, and payment statuses.
    #[serde(default)]
    pub statuses: Option<Vec<Status>>,
    /// Value-level errors (system or app problems, not tied to one message).
    #[serde(default)]
    pub errors: Option<Vec<WebhookError>>,
}

model! {
    /// The business number the change is about.
    pub struct Metadata {
        /// The business number as displayed, digits without `+` (`15550783881`).
        display_phone_number: Str,
        /// Meta's id of the business number (EUM's `metaPhoneNumberId`).
        phone_number_id: Str,
    }
}

model! {
    /// A WhatsApp user as the webhook introduces them. `user_id` is the BSUID (business-scoped
    /// user id); `wa_id` may be absent for username users.
    pub struct Contact {
        /// The user's WhatsApp id (phone digits without `+`); absent for a username user whose
        /// number is not available to the business.
        wa_id: Str,
        /// The user's BSUID, e.g. `US.13491208655302741918`.
        user_id: Str,
        /// The user's parent BSUID, only when parent BSUIDs are enabled.
        parent_user_id: Str,
        /// The user's WhatsApp profile: name and username.
        profile: Profile,
    }
}

model! {
    /// The WhatsApp profile of a user (`contacts[].profile`).
    pub struct Profile {
        /// The profile name the user set in WhatsApp.
        name: Str,
        /// The user's WhatsApp username, only if they adopted one.
        username: Str,
    }
}

model! {
    /// Meta's error object (status errors, message errors, value-level errors).
    pub struct WebhookError {
        /// Meta's error code, e.g. `131026` (explained from the error table, docs/PROTOCOL.md §7.4).
        code: Int,
        /// Short title of the error, e.g. `Message undeliverable`.
        title: Str,
        /// The error message; often the same as the title.
        message: Str,
        /// More detail, when Meta gives it.
        error_data: ErrorData,
        /// Link to Meta's error-code documentation.
        href: Str,
    }
}

model! {
    /// The `error_data` of an error.
    pub struct ErrorData {
        /// Meta's explanation of the error in words.
        details: Str,
    }
}

/// A string that Meta sometimes sends as a number (template ids) or a boolean.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Str(pub String);

impl Deref for Str {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Str {
    fn from(s: &str) -> Str {
        Str(s.to_string())
    }
}

impl<'de> Deserialize<'de> for Str {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Str, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Str;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Str, E> {
                Ok(Str(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Str, E> {
                Ok(Str(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Str, E> {
                Ok(Str(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Str, E> {
                Ok(Str(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Str, E> {
                Ok(Str(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Str, E> {
                Ok(Str(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// An integer that may arrive as a string of digits (epoch seconds, amounts, codes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Int(pub i64);

impl<'de> Deserialize<'de> for Int {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Int, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Int;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer or a string of digits")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Int, E> {
                Ok(Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Int, E> {
                i64::try_from(v).map(Int).map_err(|_| E::custom("integer out of range"))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Int, E> {
                if v.fract() == 0.0 && v.abs() < 9.0e15 {
                    Ok(Int(v as i64))
                } else {
                    Err(E::custom(format!("expected an integer, got {v}")))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Int, E> {
                v.trim().parse::<i64>().map(Int).map_err(|_| E::custom(format!("expected an integer, got {v:?}")))
            }
        }
        d.deserialize_any(V)
    }
}

/// A decimal number that may arrive as a string (coordinates, prices).
#[derive(Clone, Copy, Debug, Default, PartialEq, PartialOrd, Serialize)]
#[serde(transparent)]
pub struct Num(pub f64);

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Num, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Num;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number or a numeric string")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Num, E> {
                Ok(Num(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Num, E> {
                Ok(Num(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Num, E> {
                Ok(Num(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Num, E> {
                match v.trim().parse::<f64>() {
                    Ok(n) if n.is_finite() => Ok(Num(n)),
                    _ => Err(E::custom(format!("expected a number, got {v:?}"))),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// Epoch seconds from one of Meta's timestamp strings; `None` when it is not an integer.
pub fn epoch_secs(s: &str) -> Option<i64> {
    s.trim().parse::<i64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_accept_numbers_and_strings() {
        model! { pub struct T { s: Str, i: Int, n: Num } }
        let t: T = serde_json::from_str(r#"{"s": 1689556908129832, "i": "42", "n": "1.5"}"#).unwrap();
        assert_eq!(t.s.as_deref(), Some("1689556908129832"));
        assert_eq!(t.i, Some(Int(42)));
        assert_eq!(t.n, Some(Num(1.5)));
        let t: T = serde_json::from_str(r#"{"s": "x", "i": 7, "n": 2, "other": [1]}"#).unwrap();
        assert_eq!(serde_json::to_string(&t).unwrap(), r#"{"s":"x","i":7,"n":2.0}"#);
        assert!(serde_json::from_str::<T>(r#"{"i": "x"}"#).is_err());
        assert!(serde_json::from_str::<T>(r#"{"s": {}}"#).is_err());
        let t: T = serde_json::from_str(r#"{"s": null}"#).unwrap();
        assert_eq!(t.s, None);
    }

    #[test]
    fn entry_keeps_values_raw() {
        let text = r#"{"id":"1","time":1700000000,"changes":[{"value":{"a":[1,2]},"field":"x"}]}"#;
        let e: Entry<'_> = serde_json::from_str(text).unwrap();
        assert_eq!(e.time.as_deref().and_then(epoch_secs), Some(1_700_000_000));
        let changes = e.changes.unwrap();
        assert_eq!(changes[0].field.as_deref(), Some("x"));
        assert_eq!(changes[0].value.map(RawValue::get), Some(r#"{"a":[1,2]}"#));
    }
}
