//! Payment status webhooks and `mark-paid`: move the order, check the money against it,
//! publish the outcome, and request the `order_status` message.

use serde_json::{json, Value};
use tracing::debug;

use wapipe_core::domain::payments::events::{captured, failed, order_status_request};
use wapipe_core::domain::payments::ledger::{settle, SettlePlan, Settlement};
use wapipe_core::domain::payments::order::OrderView;
use wapipe_core::domain::payments::OrderState;
use wapipe_core::ports::conversions::ConversionsApi;
use wapipe_core::ports::gateway::Gateway;
use wapipe_core::ports::{Bus, Clock, Store};

use crate::inputs::{MarkPaid, PaymentUpdate};
use crate::processor::{retry, Input, Outcome, Processor};

impl<S: Store, B: Bus, C: Clock, G: Gateway, V: ConversionsApi> Processor<S, B, C, G, V> {
    pub(crate) async fn payment_updated(&self, p: PaymentUpdate, input: &Input<'_>) -> Outcome {
        let subject = || self.subject(input, &p.reference_id);
        let order = match self.order(&p.reference_id).await {
            Ok(Some(o)) => o,
            Ok(None) => {
                let msg = "no order has this reference id (orders are created when wapipe sends order_details)";
                return self.reject(subject(), "unknown_reference", msg).await;
            }
            Err(e) => return retry(e),
        };
        let Some(status) = p.status else {
            return Outcome::Ignored {
                reason: format!("payment status `{}` is not one wapipe applies", p.status_text),
            };
        };
        let s =
            Settlement { status, amount: p.amount, currency: p.currency.clone(), transaction: p.transaction.clone() };
        let (order, changed) = match self.settle_order(order, &s).await {
            Ok(x) => x,
            Err(o) => return o,
        };
        let mut events = Vec::new();
        let now = self.now();
        if status == OrderState::Captured
            && (p.amount.is_some_and(|a| a != order.total)
                || p.currency.as_deref().is_some_and(|c| c != order.currency))
        {
            let msg = format!(
                "payment of {} {} does not match the order total {} {}: flagged, not accepted",
                p.amount.map(|a| a.to_string()).unwrap_or_default(),
                p.currency.as_deref().unwrap_or_default(),
                order.total,
                order.currency
            );
            let mut sub = subject();
            sub.amount = p.amount;
            sub.waba_id = &order.waba_id;
            sub.phone_number_id = &order.phone_number_id;
            return self.reject(sub, "amount_mismatch", &msg).await;
        } else {
            events.extend(self.settled_events(&order, status, "webhook", p.transaction.as_ref(), now));
        }
        let mut published = match self.publish(&events).await {
            Ok(p) => p,
            Err(e) => return retry(e),
        };
        match self.webhook_refunds(&order, &p.refunds).await {
            Ok(more) => published.extend(more),
            Err(o) => return o,
        }
        Outcome::Done { changed, published }
    }

    pub(crate) async fn mark_paid(&self, m: MarkPaid, input: &Input<'_>) -> Outcome {
        let mut sub = self.subject(input, &m.reference_id);
        sub.amount = m.amount;
        let order = match self.order(&m.reference_id).await {
            Ok(Some(o)) => o,
            Ok(None) => return self.reject(sub, "unknown_reference", "no order has this reference id").await,
            Err(e) => return retry(e),
        };
        if !order.kind.mark_paid_allowed() {
            let msg =
                format!("{} orders are settled by WhatsApp's payment webhook, not by mark-paid", order.kind.as_str());
            return self.reject(sub, "mark_paid_not_allowed", &msg).await;
        }
        let txn = json!({"psp_reference": m.psp_reference});
        let s = Settlement {
            status: OrderState::Captured,
            amount: m.amount,
            currency: m.currency.clone(),
            transaction: Some(txn.clone()),
        };
        let (order, changed) = match self.settle_order(order, &s).await {
            Ok(x) => x,
            Err(o) => return o,
        };
        if order.state == OrderState::Mismatch {
            let msg = format!(
                "the PSP reports {:?} {:?}; the order is {} {}",
                m.amount, m.currency, order.total, order.currency
            );
            return self.reject(sub, "amount_mismatch", &msg).await;
        }
        let events = self.settled_events(&order, OrderState::Captured, "mark-paid", Some(&txn), self.now());
        match self.publish(&events).await {
            Ok(published) => Outcome::Done { changed, published },
            Err(e) => retry(e),
        }
    }

    /// Apply a settlement, re-reading on a failed condition; the order as it is afterwards.
    async fn settle_order(&self, mut order: OrderView, s: &Settlement) -> Result<(OrderView, bool), Outcome> {
        for attempt in 0..self.config.max_attempts.max(1) {
            let now = self.now().unix_timestamp();
            let SettlePlan::Move { write, .. } = settle(&order, s, now) else {
                return Ok((order, false));
            };
            match self.execute(vec![write]).await {
                Ok(true) => {
                    return match self.order(&order.reference_id).await {
                        Ok(Some(o)) => Ok((o, true)),
                        Ok(None) => Err(retry("order vanished after its update")),
                        Err(e) => Err(retry(e)),
                    }
                }
                Ok(false) => debug!(attempt, "order changed under the settlement: re-reading"),
                Err(e) if e.is_retryable() => self.pause(attempt).await,
                Err(e) => return Err(retry(e)),
            }
            order = match self.order(&order.reference_id).await {
                Ok(Some(o)) => o,
                Ok(None) => return Err(retry("order vanished")),
                Err(e) => return Err(retry(e)),
            };
        }
        Err(retry(format!("order {} kept changing", order.reference_id)))
    }

    /// The events the order's state implies for this input (re-published on redelivery).
    fn settled_events(
        &self,
        o: &OrderView,
        input: OrderState,
        source: &str,
        txn: Option<&Value>,
        now: time::OffsetDateTime,
    ) -> Vec<wapipe_core::domain::events::DomainEvent> {
        let mut events = Vec::new();
        match (input, o.state) {
            (OrderState::Captured, OrderState::Captured) => {
                events.push(captured(o, source, txn, now));
                if self.config.order_status_on_capture {
                    events.push(order_status_request(
                        o,
                        "processing",
                        "Payment received: we are processing your order.",
                        now,
                    ));
                }
            }
            (OrderState::Failed, OrderState::Failed) => {
                events.push(failed(o, txn, now));
                if self.config.order_status_on_failure {
                    events.push(order_status_request(
                        o,
                        "pending",
                        "Your payment did not go through: you can try again.",
                        now,
                    ));
                }
            }
            _ => {}
        }
        events
    }
}
