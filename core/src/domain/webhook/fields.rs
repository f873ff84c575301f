//! The `value` of every change other than `messages` (docs/PROTOCOL.md §3.6, plus `flows`,
//! `phone_number_name_update` and `business_capability_update`).
//!
//! Fields whose content Meta keeps extending keep what this model does not name in `extra`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Contact, Int, Metadata, Str};

model! {
    /// `message_template_status_update`, `message_template_quality_update`,
    /// `template_category_update` and `message_template_components_update` share the
    /// `message_template_*` ids; each carries its own subset of the rest.
    pub struct TemplateUpdate {
        event: Str,
        message_template_id: Str,
        message_template_name: Str,
        message_template_language: Str,
        message_template_category: Str,
        reason: Str,
        rejection_info: RejectionInfo,
        other_info: OtherInfo,
        disable_info: DisableInfo,
        previous_quality_score: Str,
        new_quality_score: Str,
        previous_category: Str,
        new_category: Str,
        correct_category: Str,
        message_template_element: Str,
        message_template_title: Str,
        message_template_footer: Str,
        message_template_buttons: Vec<TemplateButton>,
    }
}

model! {
    pub struct RejectionInfo { reason: Str, recommendation: Str }
}

model! {
    pub struct OtherInfo { title: Str, description: Str }
}

model! {
    pub struct DisableInfo { disable_date: Str }
}

model! {
    pub struct TemplateButton {
        message_template_button_type: Str,
        message_template_button_text: Str,
        message_template_button_url: Str,
        message_template_button_phone_number: Str,
    }
}

model! {
    /// `phone_number_quality_update` (docs/PROTOCOL.md §7.2).
    pub struct PhoneQualityUpdate {
        display_phone_number: Str,
        event: Str,
        current_limit: Str,
        old_limit: Str,
        max_daily_conversations_per_business: Str,
    }
}

model! {
    /// `phone_number_name_update`: the display-name review.
    pub struct PhoneNameUpdate {
        display_phone_number: Str,
        decision: Str,
        requested_verified_name: Str,
        rejection_reason: Str,
    }
}

/// `account_update`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct AccountUpdate {
    #[serde(default)]
    pub event: Option<Str>,
    #[serde(default)]
    pub phone_number: Option<Str>,
    #[serde(default)]
    pub restriction_info: Option<Vec<Restriction>>,
    #[serde(default)]
    pub violation_info: Option<ViolationInfo>,
    #[serde(default)]
    pub ban_info: Option<BanInfo>,
    #[serde(default)]
    pub waba_info: Option<WabaInfo>,
    /// Whatever else Meta sends (lock_info, volume tiers, certification status, …).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

model! {
    pub struct Restriction { restriction_type: Str, expiration: Int }
}

model! {
    pub struct ViolationInfo { violation_type: Str }
}

model! {
    /// `waba_ban_state` is a string in some samples and a list in others: kept as sent.
    pub struct BanInfo { waba_ban_state: Value, waba_ban_date: Str }
}

model! {
    pub struct WabaInfo { waba_id: Str, owner_business_id: Str, partner_app_id: Str }
}

/// `business_capability_update`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct BusinessCapabilityUpdate {
    #[serde(default)]
    pub max_daily_conversation_per_phone: Option<Int>,
    #[serde(default)]
    pub max_phone_numbers_per_business: Option<Int>,
    #[serde(default)]
    pub max_daily_conversations_per_business: Option<Str>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `user_preferences`: marketing opt-out / opt-in.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct UserPreferencesValue {
    #[serde(default)]
    pub metadata: Option<Metadata>,
    #[serde(default)]
    pub contacts: Option<Vec<Contact>>,
    #[serde(default)]
    pub user_preferences: Option<Vec<UserPreference>>,
}

model! {
    /// `value` is stop, resume or signup; `timestamp` epoch seconds (a number here).
    pub struct UserPreference {
        wa_id: Str,
        user_id: Str,
        detail: Str,
        category: Str,
        value: Str,
        timestamp: Str,
    }
}

/// `payment_configuration_update` (India, Brazil).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct PaymentConfigurationUpdate {
    #[serde(default)]
    pub configuration_name: Option<Str>,
    #[serde(default)]
    pub provider_name: Option<Str>,
    #[serde(default)]
    pub provider_mid: Option<Str>,
    #[serde(default)]
    pub status: Option<Str>,
    #[serde(default)]
    pub created_timestamp: Option<Int>,
    #[serde(default)]
    pub updated_timestamp: Option<Int>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `flows`: status changes and endpoint health alerts of a flow.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct FlowsUpdate {
    #[serde(default)]
    pub event: Option<Str>,
    #[serde(default)]
    pub flow_id: Option<Str>,
    #[serde(default)]
    pub message: Option<Str>,
    #[serde(default)]
    pub old_status: Option<Str>,
    #[serde(default)]
    pub new_status: Option<Str>,
    #[serde(default)]
    pub alert_state: Option<Str>,
    #[serde(default)]
    pub alert_severity: Option<Str>,
    #[serde(default)]
    pub alert_status: Option<Str>,
    #[serde(default)]
    pub alert_description: Option<Str>,
    /// Metrics of health alerts (error_rate, threshold, p90_latency, availability, errors, …).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
