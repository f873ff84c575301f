//! Linked WhatsApp Business Accounts and phone numbers the fake knows, and their SDK output shapes
//! (docs/PROTOCOL.md §2.3, §9.4).

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Region used in default ARNs.
pub const DEFAULT_REGION: &str = "ap-south-1";
/// Account used in default ARNs.
pub const DEFAULT_ACCOUNT: &str = "123456789012";
/// Id of the default linked WABA.
pub const DEFAULT_WABA_ID: &str = "waba-fb2594b8a7974770b128a409e2c0ffee";
/// Meta id of the default WABA.
pub const DEFAULT_META_WABA_ID: &str = "1393727385109399";
/// Id of the default phone number.
pub const DEFAULT_PHONE_ID: &str = "phone-number-id-976c72a700aac43eaf573ae050c0ffee";
/// Meta id of the default phone number.
pub const DEFAULT_META_PHONE_ID: &str = "106540352242922";
/// E.164 number of the default phone.
pub const DEFAULT_PHONE_NUMBER: &str = "+15555550100";

/// Epoch seconds used for `linkDate` unless set.
const DEFAULT_LINK_DATE: i64 = 1_720_000_000;

/// A linked WhatsApp Business Account.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Waba {
    /// EUM id, `waba-<32hex>`.
    pub id: String,
    /// ARN, `arn:aws:social-messaging:<region>:<account>:waba/<32hex>`.
    pub arn: String,
    /// Meta WABA id (digits).
    pub meta_id: String,
    /// Display name.
    pub name: String,
    /// `COMPLETE` or `INCOMPLETE`.
    pub registration_status: String,
    /// Epoch seconds.
    pub link_date: i64,
    /// Event destinations as stored by PutWhatsAppBusinessAccountEventDestinations.
    pub event_destinations: Vec<Value>,
}

impl Waba {
    /// A WABA with the given EUM id (`waba-…`) and Meta id; ARN derived in the default region/account.
    pub fn new(id: &str, meta_id: &str) -> Self {
        let suffix = id.strip_prefix("waba-").unwrap_or(id);
        Waba {
            id: id.to_string(),
            arn: format!("arn:aws:social-messaging:{DEFAULT_REGION}:{DEFAULT_ACCOUNT}:waba/{suffix}"),
            meta_id: meta_id.to_string(),
            name: "Wapipe Test WABA".to_string(),
            registration_status: "COMPLETE".to_string(),
            link_date: DEFAULT_LINK_DATE,
            event_destinations: vec![json!({
                "eventDestinationArn": format!("arn:aws:sns:{DEFAULT_REGION}:{DEFAULT_ACCOUNT}:wa-events")
            })],
        }
    }

    /// Sets the display name.
    pub fn name(mut self, name: &str) -> Self {
        self.name = name.to_string();
        self
    }

    /// True when `id` is this WABA's EUM id or ARN.
    pub fn is(&self, id: &str) -> bool {
        self.id == id || self.arn == id
    }

    /// `LinkedWhatsAppBusinessAccountSummary` JSON.
    pub fn summary_json(&self) -> Value {
        json!({
            "arn": self.arn, "id": self.id, "wabaId": self.meta_id,
            "registrationStatus": self.registration_status, "linkDate": self.link_date,
            "wabaName": self.name, "eventDestinations": self.event_destinations,
        })
    }

    /// `LinkedWhatsAppBusinessAccount` JSON, with its phone numbers.
    pub fn detail_json(&self, phones: &[Value]) -> Value {
        let mut v = self.summary_json();
        if let Some(obj) = v.as_object_mut() {
            obj.insert("phoneNumbers".to_string(), Value::Array(phones.to_vec()));
        }
        v
    }
}

impl Default for Waba {
    fn default() -> Self {
        Waba::new(DEFAULT_WABA_ID, DEFAULT_META_WABA_ID)
    }
}

/// A phone number linked to a WABA.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Phone {
    /// EUM id, `phone-number-id-<32hex>`.
    pub id: String,
    /// ARN, `arn:aws:social-messaging:<region>:<account>:phone-number-id/<32hex>`.
    pub arn: String,
    /// Meta phone number id (digits).
    pub meta_id: String,
    /// E.164 number.
    pub phone_number: String,
    /// Display form of the number.
    pub display_phone_number: String,
    /// Verified display name.
    pub display_name: String,
    /// Meta quality rating: GREEN, YELLOW, RED or UNKNOWN.
    pub quality_rating: String,
    /// Data localization region, e.g. `IN`; omitted when empty.
    pub data_localization_region: String,
    /// EUM id of the WABA it belongs to; empty = the first configured WABA.
    pub waba_id: String,
}

impl Phone {
    /// A GREEN phone with the given EUM id (`phone-number-id-…`), Meta id and E.164 number.
    pub fn new(id: &str, meta_id: &str, phone_number: &str) -> Self {
        let suffix = id.strip_prefix("phone-number-id-").unwrap_or(id);
        Phone {
            id: id.to_string(),
            arn: format!("arn:aws:social-messaging:{DEFAULT_REGION}:{DEFAULT_ACCOUNT}:phone-number-id/{suffix}"),
            meta_id: meta_id.to_string(),
            phone_number: phone_number.to_string(),
            display_phone_number: phone_number.to_string(),
            display_name: "Wapipe Test".to_string(),
            quality_rating: "GREEN".to_string(),
            data_localization_region: String::new(),
            waba_id: String::new(),
        }
    }

    /// Links the phone to a WABA (EUM id).
    pub fn waba(mut self, waba_id: &str) -> Self {
        self.waba_id = waba_id.to_string();
        self
    }

    /// Sets the quality rating.
    pub fn quality(mut self, rating: &str) -> Self {
        self.quality_rating = rating.to_string();
        self
    }

    /// Sets the display name.
    pub fn display_name(mut self, name: &str) -> Self {
        self.display_name = name.to_string();
        self
    }

    /// Sets the data localization region.
    pub fn data_localization_region(mut self, region: &str) -> Self {
        self.data_localization_region = region.to_string();
        self
    }

    /// True when `id` is this phone's EUM id or ARN.
    pub fn is(&self, id: &str) -> bool {
        self.id == id || self.arn == id
    }

    /// `WhatsAppPhoneNumberDetail` / `WhatsAppPhoneNumberSummary` JSON (same keys).
    pub fn json(&self) -> Value {
        let mut v = json!({
            "arn": self.arn, "phoneNumber": self.phone_number, "phoneNumberId": self.id,
            "metaPhoneNumberId": self.meta_id, "displayPhoneNumberName": self.display_name,
            "displayPhoneNumber": self.display_phone_number, "qualityRating": self.quality_rating,
        });
        if let (false, Some(obj)) = (self.data_localization_region.is_empty(), v.as_object_mut()) {
            obj.insert("dataLocalizationRegion".to_string(), json!(self.data_localization_region));
        }
        v
    }
}

impl Default for Phone {
    fn default() -> Self {
        Phone::new(DEFAULT_PHONE_ID, DEFAULT_META_PHONE_ID, DEFAULT_PHONE_NUMBER).waba(DEFAULT_WABA_ID)
    }
}
