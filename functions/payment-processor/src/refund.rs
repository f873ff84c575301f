//! Refunds: reserve (one transaction), submit to the gateway (idempotent by key), and finish
//! from the gateway's answer, a later webhook's `refunds[]`, or an operator's `refund.settled`.

use tracing::debug;

use wapipe_core::domain::events::EventType;
use wapipe_core::domain::keys;
use wapipe_core::domain::payments::events::refund_updated;
use wapipe_core::domain::payments::ledger::{
    check_request, move_refund, note_gateway_refund, refund_state_of, refusal, request_refund, RefundRefusal,
};
use wapipe_core::domain::payments::order::{OrderView, RefundView};
use wapipe_core::domain::payments::RefundState;
use wapipe_core::ports::conversions::ConversionsApi;
use wapipe_core::ports::gateway::{Gateway, GatewayStatus, RefundAnswer, RefundCall};
use wapipe_core::ports::{Bus, Clock, Query, Store};

use crate::inputs::{RefundRequest, RefundSettled, WebhookRefund};
use crate::processor::{retry, Input, Outcome, Processor};

impl<S: Store, B: Bus, C: Clock, G: Gateway, V: ConversionsApi> Processor<S, B, C, G, V> {
    pub(crate) async fn refund_requested(&self, r: RefundRequest, input: &Input<'_>) -> Outcome {
        let mut sub = self.subject(input, &r.reference_id);
        sub.key = Some(&r.key);
        sub.amount = Some(r.amount);
        if let Err((code, msg)) = check_request(&r.key, r.amount) {
            return self.reject(sub, code, &msg).await;
        }
        let mut changed = false;
        let mut refund = None;
        let mut order = None;
        for attempt in 0..self.config.max_attempts.max(1) {
            let o = match self.order(&r.reference_id).await {
                Ok(o) => o,
                Err(e) => return retry(e),
            };
            if let Some(o) = &o {
                let gateway = self.gateway_name(o);
                let writes = request_refund(&r.reference_id, &r.key, r.amount, gateway, self.now().unix_timestamp());
                match self.execute(writes).await {
                    Ok(true) => {
                        changed = true;
                        refund = match self.refund(&r.reference_id, &r.key).await {
                            Ok(x) => x,
                            Err(e) => return retry(e),
                        };
                        order = Some(o.clone());
                        break;
                    }
                    Ok(false) => {}
                    Err(e) if e.is_retryable() => {
                        self.pause(attempt).await;
                        continue;
                    }
                    Err(e) => return retry(e),
                }
            }
            let existing = match self.refund(&r.reference_id, &r.key).await {
                Ok(x) => x,
                Err(e) => return retry(e),
            };
            match refusal(o.as_ref(), existing.as_ref(), &r.key, r.amount) {
                RefundRefusal::AlreadyRequested(x) => {
                    refund = Some(x);
                    order = o;
                    break;
                }
                RefundRefusal::Rejected { code, message }
                    if matches!(code, "payment_not_captured" | "refund_on_failed_payment")
                        && input.receive_count < self.config.capture_wait_receives =>
                {
                    return retry(format!("{message}; waiting for the capture"));
                }
                RefundRefusal::Rejected { code, message } => {
                    if let Some(o) = &o {
                        sub.waba_id = &o.waba_id;
                        sub.phone_number_id = &o.phone_number_id;
                    }
                    let sub = sub.clone();
                    return self.reject(sub, code, &message).await;
                }
                RefundRefusal::Conflict => debug!(attempt, "the order changed under the refund: trying again"),
            }
        }
        let (Some(order), Some(refund)) = (order, refund) else {
            return retry(format!("order {} kept changing under the refund", r.reference_id));
        };
        // The request is recorded: say so (again, on a redelivery), then drive it on.
        let mut published = match self.publish(&[refund_updated(&order, &refund, self.now())]).await {
            Ok(p) => p,
            Err(e) => return retry(e),
        };
        match self.submit(&order, refund).await {
            Ok(more) => published.extend(more),
            Err(o) => return o,
        }
        Outcome::Done { changed, published }
    }

    /// Send a `requested` refund to its gateway and record the answer. A retryable failure
    /// leaves it `requested` and retries the record: the adapter looks the key up first.
    async fn submit(&self, order: &OrderView, refund: RefundView) -> Result<Vec<EventType>, Outcome> {
        if refund.state != RefundState::Requested {
            return Ok(Vec::new());
        }
        let key = refund.key.clone();
        let (next, gateway_id, reason) = match self.gateway_for(order) {
            None => (RefundState::Submitted, None, None),
            Some(g) => {
                let Some(payment_id) = order.transaction_id.clone() else {
                    let why = "the capture carried no gateway transaction id: refund it by hand";
                    return self.finish(order, refund, RefundState::Failed, None, Some(why)).await;
                };
                let call = RefundCall {
                    reference_id: order.reference_id.clone(),
                    key: refund.key.clone(),
                    payment_id,
                    amount: refund.amount,
                    currency: order.currency.clone(),
                };
                match g.refund(&call).await {
                    Ok(RefundAnswer::AwaitingOperator) => (RefundState::Submitted, None, None),
                    Ok(RefundAnswer::Gateway { id, status, .. }) => {
                        let next = match status {
                            GatewayStatus::Pending => RefundState::Submitted,
                            GatewayStatus::Processed => RefundState::Completed,
                            GatewayStatus::Failed => RefundState::Failed,
                        };
                        (next, Some(id), None)
                    }
                    Err(e) if e.is_retryable() => return Err(retry(e)),
                    Err(e) => (RefundState::Failed, None, Some(e.to_string())),
                }
            }
        };
        let mut published = self.finish(order, refund, next, gateway_id.as_deref(), reason.as_deref()).await?;
        // A webhook may have reported this gateway refund before its id was recorded here.
        if let (Some(id), RefundState::Submitted) = (gateway_id, next) {
            let k = keys::gateway_refund(&order.reference_id, &id);
            let seen = self.store.get(&k.pk, &k.sk).await.map_err(retry)?;
            let state = seen.as_ref().and_then(|i| i.get_str("status")).and_then(refund_state_of);
            if let Some(state) = state {
                if let Some(r) = self.refund(&order.reference_id, &key).await.map_err(retry)? {
                    published.extend(self.finish(order, r, state, Some(&id), None).await?);
                }
            }
        }
        Ok(published)
    }

    /// Move a refund to `next` (with its ledger effect) and publish `refund.updated` for the
    /// state it is in afterwards. Already there: re-publish only.
    pub(crate) async fn finish(
        &self,
        order: &OrderView,
        mut refund: RefundView,
        next: RefundState,
        gateway_id: Option<&str>,
        reason: Option<&str>,
    ) -> Result<Vec<EventType>, Outcome> {
        for attempt in 0..self.config.max_attempts.max(1) {
            let now = self.now().unix_timestamp();
            let Some(writes) = move_refund(&order.reference_id, &refund, next, gateway_id, reason, now) else {
                break;
            };
            match self.execute(writes).await {
                Ok(true) => {}
                Ok(false) => debug!(attempt, "refund moved meanwhile: re-reading"),
                Err(e) if e.is_retryable() => self.pause(attempt).await,
                Err(e) => return Err(retry(e)),
            }
            refund = match self.refund(&order.reference_id, &refund.key).await {
                Ok(Some(r)) => r,
                Ok(None) => return Err(retry("refund vanished")),
                Err(e) => return Err(retry(e)),
            };
        }
        if refund.state != next && !(refund.state.is_terminal()) && next.sources().contains(&refund.state) {
            return Err(retry(format!("refund {} kept changing", refund.key)));
        }
        self.publish(&[refund_updated(order, &refund, self.now())]).await.map_err(retry)
    }

    /// `refunds[]` of a payment webhook: note each gateway refund, and finish the wapipe refund
    /// that carries its id.
    pub(crate) async fn webhook_refunds(
        &self,
        order: &OrderView,
        list: &[WebhookRefund],
    ) -> Result<Vec<EventType>, Outcome> {
        let mut published = Vec::new();
        if list.is_empty() {
            return Ok(published);
        }
        for w in list {
            let note = note_gateway_refund(&order.reference_id, &w.id, &w.status, w.amount);
            self.store.write(note).await.map_err(retry)?;
        }
        let refunds = self.refunds_of(&order.reference_id).await.map_err(retry)?;
        for w in list {
            let Some(state) = refund_state_of(&w.status) else { continue };
            if let Some(r) = refunds.iter().find(|r| r.gateway_refund_id.as_deref() == Some(w.id.as_str())) {
                published.extend(self.finish(order, r.clone(), state, None, None).await?);
            }
        }
        Ok(published)
    }

    /// Every refund of an order (one partition; bounded pages).
    pub(crate) async fn refunds_of(
        &self,
        reference_id: &str,
    ) -> Result<Vec<RefundView>, wapipe_core::ports::PortError> {
        let mut q = Query::table(keys::payment_partition(reference_id), keys::REFUND_PREFIX);
        let mut out = Vec::new();
        for _ in 0..100 {
            let page = self.store.query(q.clone()).await?;
            out.extend(page.items.iter().filter_map(|i| RefundView::from_item(i).ok()));
            match page.cursor {
                Some(c) => q.cursor = Some(c),
                None => break,
            }
        }
        Ok(out)
    }

    pub(crate) async fn refund_settled(&self, s: RefundSettled, input: &Input<'_>) -> Outcome {
        let mut sub = self.subject(input, &s.reference_id);
        sub.key = Some(&s.key);
        let (order, refund) = match (self.order(&s.reference_id).await, self.refund(&s.reference_id, &s.key).await) {
            (Ok(Some(o)), Ok(Some(r))) => (o, r),
            (Err(e), _) | (_, Err(e)) => return retry(e),
            _ => return self.reject(sub, "unknown_refund", "no refund has this reference id and key").await,
        };
        let next = if s.completed { RefundState::Completed } else { RefundState::Failed };
        if refund.state.is_terminal() && refund.state != next {
            let msg = format!("the refund is already {}", refund.state.as_str());
            return self.reject(sub, "refund_already_final", &msg).await;
        }
        let changed = refund.state != next;
        match self.finish(&order, refund, next, s.gateway_refund_id.as_deref(), s.note.as_deref()).await {
            Ok(published) => Outcome::Done { changed, published },
            Err(o) => o,
        }
    }
}
