//! [`Accounts`] for local mode and tests: the sandbox's linked numbers (see [`super::Sandbox`])
//! grouped into their WABAs, each with a quality rating a test or an operator can change
//! between snapshots (`GREEN` by default), and a display name.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use crate::ports::accounts::{Accounts, PhoneDetail, PhoneNumber, WabaDetail, WabaPage, WabaSummary};
use crate::ports::messaging::{LinkedPhone, MessagingError};

/// See the module docs.
#[derive(Debug)]
pub struct SandboxAccounts {
    phones: Vec<LinkedPhone>,
    ratings: Mutex<BTreeMap<String, String>>,
    /// Page size of `list_wabas` when the caller gives none (small, so paging is exercised).
    page_size: usize,
}

/// The EUM id the sandbox gives a Meta WABA id.
pub fn sandbox_waba_id(meta_waba_id: &str) -> String {
    format!("waba-{meta_waba_id}")
}

fn not_found(what: &str, id: &str) -> MessagingError {
    MessagingError::answered("ResourceNotFoundException", format!("{what} {id} is not linked"), Some(404))
}

impl SandboxAccounts {
    /// The WABAs of these numbers (grouped by `waba_id`), every number rated `GREEN` until set.
    pub fn new(phones: &[LinkedPhone]) -> SandboxAccounts {
        SandboxAccounts { phones: phones.to_vec(), ratings: Mutex::default(), page_size: 10 }
    }

    /// Set a number's rating (by Meta id, EUM id or ARN); false for an unknown number.
    pub fn set_quality(&self, phone: &str, rating: &str) -> bool {
        match self.phones.iter().find(|p| p.is(phone)) {
            Some(p) => {
                self.lock().insert(p.meta_phone_number_id.clone(), rating.to_string());
                true
            }
            None => false,
        }
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, String>> {
        self.ratings.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn wabas(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.phones.iter().map(|p| p.waba_id.clone()).collect();
        ids.sort();
        ids.dedup();
        ids
    }

    fn summary(&self, meta_waba_id: &str) -> WabaSummary {
        WabaSummary {
            id: sandbox_waba_id(meta_waba_id),
            arn: format!("arn:aws:social-messaging:sandbox:000000000000:waba/{meta_waba_id}"),
            meta_waba_id: meta_waba_id.to_string(),
            name: format!("Sandbox {meta_waba_id}"),
            registration_status: "COMPLETE".into(),
            link_date: None,
        }
    }

    fn phone(&self, p: &LinkedPhone) -> PhoneNumber {
        let rating = self.lock().get(&p.meta_phone_number_id).cloned().unwrap_or_else(|| "GREEN".into());
        PhoneNumber {
            eum_phone_number_id: p.eum_phone_number_id.clone(),
            arn: p.arn.clone(),
            meta_phone_number_id: p.meta_phone_number_id.clone(),
            phone_number: format!("+{}", p.meta_phone_number_id),
            display_phone_number: p.meta_phone_number_id.clone(),
            display_name: "Sandbox".into(),
            quality_rating: rating,
            data_localization_region: None,
        }
    }
}

impl Accounts for SandboxAccounts {
    async fn list_wabas(&self, next_token: Option<&str>, max_results: Option<u32>) -> Result<WabaPage, MessagingError> {
        let size = max_results.map_or(self.page_size, |n| n as usize).clamp(1, 100);
        let start = match next_token {
            None => 0,
            Some(t) => t.parse::<usize>().map_err(|_| {
                MessagingError::answered("ValidationException", format!("nextToken: invalid token {t:?}"), Some(400))
            })?,
        };
        let ids = self.wabas();
        let end = start.saturating_add(size).min(ids.len());
        let wabas = ids.get(start..end).unwrap_or_default().iter().map(|id| self.summary(id)).collect();
        Ok(WabaPage { wabas, next_token: (end < ids.len()).then(|| end.to_string()) })
    }

    async fn get_waba(&self, id: &str) -> Result<WabaDetail, MessagingError> {
        let meta = self.wabas().into_iter().find(|w| sandbox_waba_id(w) == id || w == id);
        let Some(meta) = meta else { return Err(not_found("WABA", id)) };
        let phones = self.phones.iter().filter(|p| p.waba_id == meta).map(|p| self.phone(p)).collect();
        Ok(WabaDetail { summary: self.summary(&meta), phones })
    }

    async fn get_phone(&self, id: &str) -> Result<PhoneDetail, MessagingError> {
        match self.phones.iter().find(|p| p.is(id)) {
            Some(p) => Ok(PhoneDetail { phone: self.phone(p), linked_waba_id: sandbox_waba_id(&p.waba_id) }),
            None => Err(not_found("phone number", id)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::paging::all_wabas;

    fn phone(meta: &str, waba: &str) -> LinkedPhone {
        LinkedPhone {
            eum_phone_number_id: format!("phone-number-id-{meta}"),
            arn: format!("arn:x:{meta}"),
            meta_phone_number_id: meta.into(),
            waba_id: waba.into(),
        }
    }

    #[tokio::test]
    async fn pages_groups_and_rates() {
        let a = SandboxAccounts::new(&[phone("1", "W1"), phone("2", "W2"), phone("3", "W1")]);
        let p1 = a.list_wabas(None, Some(1)).await.unwrap();
        assert_eq!((p1.wabas.len(), p1.next_token.as_deref()), (1, Some("1")));
        assert_eq!(all_wabas(&a).await.unwrap().len(), 2);
        let w1 = a.get_waba(&sandbox_waba_id("W1")).await.unwrap();
        assert_eq!(w1.phones.len(), 2);
        assert!(a.set_quality("phone-number-id-3", "RED"));
        assert_eq!(a.get_phone("3").await.unwrap().phone.quality_rating, "RED");
        assert_eq!(a.get_phone("1").await.unwrap().phone.quality_rating, "GREEN");
        assert!(a.get_phone("9").await.is_err());
        assert!(a.list_wabas(Some("x"), None).await.is_err());
    }
}
