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
        /// Status updates: the new status (`APPROVED`, `REJECTED`, `PAUSED`, `DISABLED`, …, an open set).
        event: Str,
        /// The template's Meta id (a number in the webhook, kept as text).
        message_template_id: Str,
        /// The template's name.
        message_template_name: Str,
        /// The template's language code, e.g. `en_US`.
        message_template_language: Str,
        /// Status updates: the template's category (`MARKETING`, `UTILITY`, `AUTHENTICATION`).
        message_template_category: Str,
        /// Status updates: why (`NONE`, `ABUSIVE_CONTENT`, `INVALID_FORMAT`, …, an open set).
        reason: Str,
        /// On `REJECTED` (newer payloads): the reason and Meta's recommendation.
        rejection_info: RejectionInfo,
        /// A title and description Meta may add to a status change.
        other_info: OtherInfo,
        /// When the template is disabled: the date.
        disable_info: DisableInfo,
        /// Quality updates: the rating before (`GREEN`, `YELLOW`, `RED`, …).
        previous_quality_score: Str,
        /// Quality updates: the rating now.
        new_quality_score: Str,
        /// `template_category_update`: the category before.
        previous_category: Str,
        /// `template_category_update`: the category now (e.g. `MARKETING`).
        new_category: Str,
        /// `template_category_update`: the category Meta considers correct.
        correct_category: Str,
        /// `message_template_components_update`: the body text (e.g. `Hi {{1}}!`).
        message_template_element: Str,
        /// `message_template_components_update`: the header text.
        message_template_title: Str,
        /// `message_template_components_update`: the footer text.
        message_template_footer: Str,
        /// `message_template_components_update`: the buttons.
        message_template_buttons: Vec<TemplateButton>,
    }
}

model! {
    /// Why Meta rejected a template (`rejection_info`).
    pub struct RejectionInfo {
        /// Meta's reason for the rejection, in words.
        reason: Str,
        /// What Meta recommends changing.
        recommendation: Str,
    }
}

model! {
    /// Extra explanation Meta adds to a template status change (`other_info`).
    pub struct OtherInfo {
        /// A short title for the explanation.
        title: Str,
        /// The explanation in words.
        description: Str,
    }
}

model! {
    /// The `disable_info` of a template status change.
    pub struct DisableInfo {
        /// When the template is or was disabled, as Meta writes it.
        disable_date: Str,
    }
}

model! {
    /// One button of a template, in `message_template_components_update`.
    pub struct TemplateButton {
        /// The button type (`URL`, `PHONE_NUMBER`, `QUICK_REPLY`, …).
        message_template_button_type: Str,
        /// The button label.
        message_template_button_text: Str,
        /// The URL of a URL button.
        message_template_button_url: Str,
        /// The number a phone-number button calls.
        message_template_button_phone_number: Str,
    }
}

model! {
    /// `phone_number_quality_update` (docs/PROTOCOL.md §7.2).
    pub struct PhoneQualityUpdate {
        /// The business number, digits without `+`.
        display_phone_number: Str,
        /// What changed: `FLAGGED`, `UNFLAGGED`, `DOWNGRADE`, `UPGRADE`, … (an open set).
        event: Str,
        /// The messaging limit now, e.g. `TIER_2K`.
        current_limit: Str,
        /// The messaging limit before, e.g. `TIER_250`.
        old_limit: Str,
        /// The portfolio's messaging limit (`TIER_…`, or an integer kept as text).
        max_daily_conversations_per_business: Str,
    }
}

model! {
    /// `phone_number_name_update`: the display-name review.
    pub struct PhoneNameUpdate {
        /// The business number, digits without `+`.
        display_phone_number: Str,
        /// Meta's decision on the requested name, as sent.
        decision: Str,
        /// The display name the business asked for.
        requested_verified_name: Str,
        /// Why the name was rejected, when it was.
        rejection_reason: Str,
    }
}

/// `account_update`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct AccountUpdate {
    /// What happened: `ACCOUNT_RESTRICTION`, `ACCOUNT_VIOLATION`, `DISABLED_UPDATE`, `PARTNER_REMOVED`, …
    /// (an open set, kept as sent).
    #[serde(default)]
    pub event: Option<Str>,
    /// The business phone number the update concerns, when Meta names one.
    #[serde(default)]
    pub phone_number: Option<Str>,
    /// On `ACCOUNT_RESTRICTION`: each restriction and when it expires.
    #[serde(default)]
    pub restriction_info: Option<Vec<Restriction>>,
    /// On `ACCOUNT_VIOLATION`: the kind of policy violation.
    #[serde(default)]
    pub violation_info: Option<ViolationInfo>,
    /// On `DISABLED_UPDATE`: the account's ban state and date.
    #[serde(default)]
    pub ban_info: Option<BanInfo>,
    /// The WABA and its owner business (`AD_ACCOUNT_LINKED`, `MM_LITE_TERMS_SIGNED`, partner events).
    #[serde(default)]
    pub waba_info: Option<WabaInfo>,
    /// Whatever else Meta sends (lock_info, volume tiers, certification status, …).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

model! {
    /// One restriction of an `ACCOUNT_RESTRICTION` update.
    pub struct Restriction {
        /// What is restricted, e.g. `RESTRICTED_BIZ_INITIATED_MESSAGING` (an open set).
        restriction_type: Str,
        /// When the restriction ends, epoch seconds.
        expiration: Int,
    }
}

model! {
    /// The `violation_info` of an `ACCOUNT_VIOLATION` update.
    pub struct ViolationInfo {
        /// The policy violated, e.g. `ADULT`.
        violation_type: Str,
    }
}

model! {
    /// `waba_ban_state` is a string in some samples and a list in others: kept as sent.
    pub struct BanInfo {
        /// `SCHEDULE_FOR_DISABLE`, `DISABLE` or `REINSTATE` (a string, or a list of them).
        waba_ban_state: Value,
        /// The ban date as Meta writes it, e.g. `April 17, 2025`.
        waba_ban_date: Str,
    }
}

model! {
    /// The `waba_info` of an account update.
    pub struct WabaInfo {
        /// The WABA's id.
        waba_id: Str,
        /// Meta id of the business portfolio that owns the WABA.
        owner_business_id: Str,
        /// The partner's app id, on partner events.
        partner_app_id: Str,
    }
}

/// `business_capability_update`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct BusinessCapabilityUpdate {
    /// The old per-phone daily conversation limit (Meta removed it in February 2026).
    #[serde(default)]
    pub max_daily_conversation_per_phone: Option<Int>,
    /// How many phone numbers the business may register (sent at the 250 tier only).
    #[serde(default)]
    pub max_phone_numbers_per_business: Option<Int>,
    /// The portfolio's messaging limit: `TIER_250` … `TIER_UNLIMITED`, or an integer such as `2000`
    /// (kept as text).
    #[serde(default)]
    pub max_daily_conversations_per_business: Option<Str>,
    /// Whatever else Meta sends (`max_phone_numbers_per_waba`, …).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `user_preferences`: marketing opt-out / opt-in.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct UserPreferencesValue {
    /// The business number the preferences were set on.
    #[serde(default)]
    pub metadata: Option<Metadata>,
    /// The users concerned, to find a BSUID for a `wa_id`.
    #[serde(default)]
    pub contacts: Option<Vec<Contact>>,
    /// One entry per preference change.
    #[serde(default)]
    pub user_preferences: Option<Vec<UserPreference>>,
}

model! {
    /// `value` is stop, resume or signup; `timestamp` epoch seconds (a number here).
    pub struct UserPreference {
        /// The user's WhatsApp id (phone digits), when available.
        wa_id: Str,
        /// The user's BSUID.
        user_id: Str,
        /// Meta's description of the change.
        detail: Str,
        /// What the preference is about, e.g. `marketing_messages`.
        category: Str,
        /// `stop`, `resume` or `signup`.
        value: Str,
        /// When the user set it, epoch seconds.
        timestamp: Str,
    }
}

/// `payment_configuration_update` (India, Brazil).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct PaymentConfigurationUpdate {
    /// Name of the payment configuration (the name `order_details` messages refer to).
    #[serde(default)]
    pub configuration_name: Option<Str>,
    /// The payment gateway, e.g. `razorpay`.
    #[serde(default)]
    pub provider_name: Option<Str>,
    /// The business's merchant id at that gateway.
    #[serde(default)]
    pub provider_mid: Option<Str>,
    /// The configuration's status, as Meta sends it.
    #[serde(default)]
    pub status: Option<Str>,
    /// When the configuration was created (a Unix timestamp, as sent).
    #[serde(default)]
    pub created_timestamp: Option<Int>,
    /// When the configuration last changed (a Unix timestamp, as sent).
    #[serde(default)]
    pub updated_timestamp: Option<Int>,
    /// Whatever else Meta sends, kept as is.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `flows`: status changes and endpoint health alerts of a flow.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct FlowsUpdate {
    /// What happened: `FLOW_STATUS_CHANGE`, or an endpoint health alert such as `ENDPOINT_ERROR_RATE`.
    #[serde(default)]
    pub event: Option<Str>,
    /// Meta id of the flow.
    #[serde(default)]
    pub flow_id: Option<Str>,
    /// Meta's human-readable summary of the change.
    #[serde(default)]
    pub message: Option<Str>,
    /// On a status change: the status before (`DRAFT`, `PUBLISHED`, `THROTTLED`, …).
    #[serde(default)]
    pub old_status: Option<Str>,
    /// On a status change: the status after.
    #[serde(default)]
    pub new_status: Option<Str>,
    /// On an alert: whether it was raised or cleared (`ACTIVATED`, …).
    #[serde(default)]
    pub alert_state: Option<Str>,
    /// On an alert: how serious it is (`CRITICAL`, …).
    #[serde(default)]
    pub alert_severity: Option<Str>,
    /// On an alert: its `alert_status`, as Meta sends it.
    #[serde(default)]
    pub alert_status: Option<Str>,
    /// On an alert: Meta's description of it.
    #[serde(default)]
    pub alert_description: Option<Str>,
    /// Metrics of health alerts (error_rate, threshold, p90_latency, availability, errors, …).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
