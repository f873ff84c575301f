//! The scheduled run: every linked WABA and phone number from EUM, one snapshot each.
//!
//! A failure on one WABA or number is counted and logged, and the run goes on with the others
//! (the next schedule retries them); the report says what happened, and the Lambda fails the
//! invocation only when nothing at all could be read (so the schedule's alarm fires).

use serde::Serialize;
use serde_json::Value;
use tracing::{info, warn};
use wapipe_core::app::paging::all_wabas;
use wapipe_core::domain::keys;
use wapipe_core::domain::quality::observe::{row_id, snapshot_observed, sort_time, Subject, PHONE_CHANGE_FIELDS};
use wapipe_core::domain::quality::Source;
use wapipe_core::ports::accounts::{Accounts, PhoneNumber, WabaSummary};
use wapipe_core::ports::{Bus, Clock, Store};

use crate::announce::Merge;
use crate::Snapshotter;

/// What one scheduled run did.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SnapshotReport {
    /// Linked WABAs listed from EUM.
    pub wabas: usize,
    /// Phone numbers found on the WABAs that could be read (snapshotted or failed).
    pub phones: usize,
    /// Snapshots stored.
    pub snapshots: usize,
    /// `whatsapp.quality.changed` events published.
    pub changes: usize,
    /// `{what, error}` for every WABA or number that could not be read or stored.
    pub errors: Vec<Value>,
}

impl SnapshotReport {
    /// Nothing could be read at all: the run failed.
    pub fn failed(&self) -> bool {
        !self.errors.is_empty() && self.snapshots == 0
    }
}

impl<S: Store, B: Bus, A: Accounts, C: Clock> Snapshotter<S, B, A, C> {
    /// One scheduled snapshot of every linked number.
    pub async fn snapshot_all(&self) -> SnapshotReport {
        let mut report = SnapshotReport::default();
        let wabas = match all_wabas(&self.accounts).await {
            Ok(w) => w,
            Err(e) => {
                warn!(error = %e, "cannot list linked WABAs");
                report
                    .errors
                    .push(serde_json::json!({"what": "ListLinkedWhatsAppBusinessAccounts", "error": e.to_string()}));
                return report;
            }
        };
        report.wabas = wabas.len();
        for w in &wabas {
            let detail = match self.accounts.get_waba(&w.id).await {
                Ok(d) => d,
                Err(e) => {
                    warn!(waba = %w.id, error = %e, "cannot read WABA");
                    report.errors.push(serde_json::json!({"what": w.id, "error": e.to_string()}));
                    continue;
                }
            };
            for p in &detail.phones {
                report.phones += 1;
                match self.snapshot_phone(&detail.summary, p).await {
                    Ok(n) => {
                        report.snapshots += 1;
                        report.changes += n;
                    }
                    Err(e) => {
                        warn!(phone = %p.meta_phone_number_id, error = %e, "snapshot not stored");
                        report.errors.push(serde_json::json!({"what": p.meta_phone_number_id, "error": e}));
                    }
                }
            }
        }
        info!(wabas = report.wabas, phones = report.phones, changes = report.changes, "snapshot done");
        report
    }

    /// Store one number's snapshot; returns the changes announced.
    async fn snapshot_phone(&self, waba: &WabaSummary, p: &PhoneNumber) -> Result<usize, String> {
        let phone = p.meta_phone_number_id.as_str();
        if phone.is_empty() {
            return Err(format!("{}: metaPhoneNumberId is empty", p.eum_phone_number_id));
        }
        let now = self.clock.now();
        let at = sort_time(now);
        let observed = snapshot_observed(&p.quality_rating, &p.display_name, &waba.registration_status, now);
        let extra = [
            ("waba_id", Value::from(waba.meta_waba_id.as_str())),
            ("eum_phone_number_id", Value::from(p.eum_phone_number_id.as_str())),
            ("display_phone_number", Value::from(p.display_phone_number.as_str())),
        ];
        let m = Merge {
            key: keys::quality_latest(phone),
            observed: &observed,
            extra: &extra,
            subject: Subject { kind: "phone", waba_id: &waba.meta_waba_id, phone_number_id: phone, template: None },
            announce: PHONE_CHANGE_FIELDS,
            source: Source::Snapshot,
            observed_at: now,
            history: keys::quality_entry(phone, &at, &row_id(&[phone, "snapshot", &at])),
            event: Some("SNAPSHOT"),
        };
        self.merge(&m).await.map(|r| r.changes.len()).map_err(|e| e.to_string())
    }
}
