//! The accounts port: the WhatsApp Business Accounts linked to EUM Social and their phone
//! numbers (`ListLinkedWhatsAppBusinessAccounts`, `GetLinkedWhatsAppBusinessAccount`,
//! `GetLinkedWhatsAppBusinessAccountPhoneNumber`, docs/PROTOCOL.md §2.2–§2.3).
//!
//! What EUM exposes about a number's health is only `qualityRating` (a free string from Meta):
//! no messaging-limit tier, throughput level or name status. Those come from webhooks
//! (`phone_number_quality_update`, `account_update`), which is why the quality snapshotter
//! merges both sources. Errors reuse [`MessagingError`] so one classification
//! ([`MessagingError::retry`]) serves every EUM call.

use std::future::Future;

use crate::ports::messaging::MessagingError;

/// A linked WABA as `ListLinkedWhatsAppBusinessAccounts` lists it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WabaSummary {
    /// EUM's id (`waba-…`), the `id` of the other calls.
    pub id: String,
    /// The WABA's ARN in EUM (`arn`).
    pub arn: String,
    /// Meta's WABA id.
    pub meta_waba_id: String,
    /// The WABA's name (`wabaName`).
    pub name: String,
    /// `COMPLETE` | `INCOMPLETE`.
    pub registration_status: String,
    /// Epoch seconds.
    pub link_date: Option<i64>,
}

/// A phone number of a WABA (`WhatsAppPhoneNumberSummary` / `…Detail`: the same fields).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PhoneNumber {
    /// EUM's id (`phone-number-id-…`).
    pub eum_phone_number_id: String,
    /// The number's ARN in EUM (`arn`).
    pub arn: String,
    /// Meta's phone_number_id.
    pub meta_phone_number_id: String,
    /// E.164 (`+1…`).
    pub phone_number: String,
    /// The number as WhatsApp displays it (`displayPhoneNumber`).
    pub display_phone_number: String,
    /// The verified display name.
    pub display_name: String,
    /// Meta's rating, verbatim (GREEN | YELLOW | RED | UNKNOWN expected); empty when absent.
    pub quality_rating: String,
    /// Where Meta keeps the number's data at rest (`dataLocalizationRegion`, e.g. `IN`); `None` when unset.
    pub data_localization_region: Option<String>,
}

/// A WABA with its phone numbers (`GetLinkedWhatsAppBusinessAccount`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WabaDetail {
    /// The WABA itself, with the fields of the list.
    pub summary: WabaSummary,
    /// Its phone numbers (`phoneNumbers`).
    pub phones: Vec<PhoneNumber>,
}

/// One phone number's detail (`GetLinkedWhatsAppBusinessAccountPhoneNumber`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PhoneDetail {
    /// The number (`phoneNumber`).
    pub phone: PhoneNumber,
    /// EUM id (`waba-…`) of the WABA it belongs to.
    pub linked_waba_id: String,
}

/// One page of linked WABAs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WabaPage {
    /// The linked WABAs of this page.
    pub wabas: Vec<WabaSummary>,
    /// Pass back to get the next page; `None` on the last.
    pub next_token: Option<String>,
}

/// EUM Social's linked accounts, read-only.
///
/// # Errors
///
/// Every call returns [`MessagingError`]: what EUM answered (or that it did not), classified
/// once by [`MessagingError::retry`] into retry or give up.
pub trait Accounts: Send + Sync {
    /// One page of linked WABAs; `max_results` 1..=100 (EUM's default when `None`).
    fn list_wabas(
        &self,
        next_token: Option<&str>,
        max_results: Option<u32>,
    ) -> impl Future<Output = Result<WabaPage, MessagingError>> + Send;

    /// A WABA and its phone numbers, by EUM id (`waba-…`).
    fn get_waba(&self, id: &str) -> impl Future<Output = Result<WabaDetail, MessagingError>> + Send;

    /// A phone number's detail, by EUM id (`phone-number-id-…`).
    fn get_phone(&self, id: &str) -> impl Future<Output = Result<PhoneDetail, MessagingError>> + Send;
}

impl<T: Accounts + ?Sized> Accounts for std::sync::Arc<T> {
    fn list_wabas(
        &self,
        next_token: Option<&str>,
        max_results: Option<u32>,
    ) -> impl Future<Output = Result<WabaPage, MessagingError>> + Send {
        (**self).list_wabas(next_token, max_results)
    }
    fn get_waba(&self, id: &str) -> impl Future<Output = Result<WabaDetail, MessagingError>> + Send {
        (**self).get_waba(id)
    }
    fn get_phone(&self, id: &str) -> impl Future<Output = Result<PhoneDetail, MessagingError>> + Send {
        (**self).get_phone(id)
    }
}
