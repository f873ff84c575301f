//! Reconciliation: a scheduled sweep lists orders still `pending` and refunds still
//! `requested`/`submitted` past `Config::stale_after_secs`, through GSI1 (`PAYSTATE#…`,
//! `REFUNDSTATE#…`, sorted by the time they entered the state: no table scan), and publishes
//! `whatsapp.payment.stale` for each. It changes nothing: deciding is for an operator
//! (docs/runbooks/payments.md), because WhatsApp offers no payment lookup API through EUM.

use wapipe_core::app::paging::due_items;
use wapipe_core::domain::payments::events::stale;
use wapipe_core::domain::payments::order::{order_index, refund_index};
use wapipe_core::domain::payments::{attr, OrderState, RefundState};
use wapipe_core::ports::conversions::ConversionsApi;
use wapipe_core::ports::gateway::Gateway;
use wapipe_core::ports::{Bus, Clock, Item, PortError, Store};

use crate::processor::Processor;

/// What one sweep found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SweepReport {
    /// Orders still `pending` past `stale_after_secs` (one `whatsapp.payment.stale` each).
    pub stale_orders: usize,
    /// Refunds still `requested` or `submitted` past `stale_after_secs` (one
    /// `whatsapp.payment.stale` each).
    pub stale_refunds: usize,
    /// More stale items than `sweep_limit` in some state: the next sweep continues.
    pub truncated: bool,
}

impl<S: Store, B: Bus, C: Clock, G: Gateway, V: ConversionsApi> Processor<S, B, C, G, V> {
    /// One reconciliation sweep (see the module docs): publishes `whatsapp.payment.stale` for
    /// every stale order and refund found, changes nothing. Errs when the index or the bus fails.
    pub async fn sweep(&self) -> Result<SweepReport, PortError> {
        let now = self.now();
        let cutoff = now.unix_timestamp().saturating_sub(self.config.stale_after_secs);
        let mut report = SweepReport::default();
        let mut events = Vec::new();
        let (orders, more) = self.older_than(order_index(OrderState::Pending), cutoff).await?;
        report.truncated |= more;
        for o in &orders {
            let reference = o.get_str("reference_id").unwrap_or_default();
            let since = o.get_i64(attr::UPDATED_AT).unwrap_or(0);
            events.push(stale("order", reference, None, OrderState::Pending.as_str(), since, now));
        }
        report.stale_orders = orders.len();
        for state in [RefundState::Requested, RefundState::Submitted] {
            let (refunds, more) = self.older_than(refund_index(state), cutoff).await?;
            report.truncated |= more;
            for r in &refunds {
                let reference = r.get_str("reference_id").unwrap_or_default();
                let since = r.get_i64(attr::UPDATED_AT).unwrap_or(0);
                events.push(stale("refund", reference, r.get_str(attr::KEY), state.as_str(), since, now));
            }
            report.stale_refunds += refunds.len();
        }
        wapipe_core::app::publish::publish_each(&self.bus, &self.store, &events, &self.config.publish).await?;
        Ok(report)
    }

    /// Items of one GSI1 partition that entered it before `cutoff`, oldest first, at most
    /// `sweep_limit`; `true` when there were more.
    async fn older_than(&self, partition: String, cutoff: i64) -> Result<(Vec<Item>, bool), PortError> {
        let before = |item: &Item| item.get_i64(attr::UPDATED_AT).unwrap_or(0) <= cutoff;
        due_items(&self.store, partition, self.config.sweep_limit, before).await
    }
}
