//! Flow tokens of interactive flow messages (`flows::token`).
//!
//! Before the claim, the worker picks the token: the one a previous attempt of the request
//! saved on its send record (`flow_token`), else the caller's `action.parameters.flow_token`,
//! else a new one; the token goes into the JSON sent and onto the send record with the claim.
//! After the claim and **before** SendWhatsAppMessage, the session `FLOW#{token}` is written
//! (a put only if the token is new), so the flow endpoint never sees a token without a session.
//! A put that fails its condition on a session of the same request means "already issued" (a
//! retry). A token whose session belongs to another request is refused: the endpoint would
//! bind the user's answers to someone else's message.

use time::OffsetDateTime;
use tracing::warn;
use wapipe_core::domain::flows::token::{issue_flow_token, FlowTokenSpec, IssuedFlowToken};
use wapipe_core::domain::keys;
use wapipe_core::domain::outbound::SendRequest;
use wapipe_core::ports::messaging::{LinkedPhone, Messaging};
use wapipe_core::ports::{Bus, Clock, Queue, Store, WriteOutcome};

use crate::record::{self, Existing};
use crate::worker::{backoff_on, retry, Outcome, SendWorker};

/// The JSON path of the token, for rejections.
const TOKEN_FIELD: &str = "message.interactive.action.parameters.flow_token";

/// The session's request id, when the item is one.
fn session_request(item: Option<&wapipe_core::ports::Item>) -> Option<String> {
    item.and_then(|i| i.get_str("request_id")).map(str::to_string)
}

impl<S: Store, B: Bus, M: Messaging, Q: Queue, C: Clock> SendWorker<S, B, M, Q, C> {
    /// Before the claim: the token and its session write for a flow message (`None` for other
    /// messages). `Err`: the outcome to return (a rejection, or a retry on a store error).
    pub(crate) async fn issue_flow(
        &self,
        req: &SendRequest,
        hash: &str,
        phone: &LinkedPhone,
        existing: Option<&Existing>,
        now: OffsetDateTime,
    ) -> Result<Option<IssuedFlowToken>, Outcome> {
        let Some(params) = req.flow_params() else { return Ok(None) };
        let rid = req.request_id.as_str();
        let saved = existing.and_then(|e| e.flow_token.as_deref());
        let given = saved.or(params.flow_token.as_deref());
        let Some(flow) = params.flow_id.as_deref().or(params.flow_name.as_deref()) else {
            let reason = "exactly one of `flow_id` and `flow_name` is required";
            let field = Some("message.interactive.action.parameters");
            return Err(self.reject(req, hash, Some(phone), "invalid", reason, field, now).await);
        };
        let spec = FlowTokenSpec {
            flow,
            phone_number_id: &phone.meta_phone_number_id,
            recipient: req.contact_id(),
            request_id: Some(rid),
            wamid: None,
            token: given,
            ttl: None,
        };
        let issued = match issue_flow_token(&spec, now) {
            Ok(i) => i,
            Err(e) => {
                return Err(self
                    .reject(req, hash, Some(phone), "invalid", &e.to_string(), Some(TOKEN_FIELD), now)
                    .await)
            }
        };
        if given.is_some() {
            // A token chosen before (by the caller, or by an earlier attempt): it must not be
            // bound to another request already.
            let k = keys::flow_session(&issued.token);
            match self.store.get(&k.pk, &k.sk).await {
                Ok(item) if item.is_some() && session_request(item.as_ref()).as_deref() != Some(rid) => {
                    let reason = "flow_token is already bound to another message; nothing sent";
                    return Err(self.reject(req, hash, Some(phone), "invalid", reason, Some(TOKEN_FIELD), now).await);
                }
                Ok(_) => {}
                Err(e) => return Err(retry(Some(rid), backoff_on(&e, &self.config), e.to_string())),
            }
        }
        Ok(Some(issued))
    }

    /// After the claim, before the call: record the session. `Err`: the claim was released
    /// (nothing was sent) and the request goes back to the queue.
    pub(crate) async fn record_session(&self, rid: &str, owner: &str, issued: &IssuedFlowToken) -> Result<(), Outcome> {
        let why = match self.store.write(issued.write.clone()).await {
            Ok(WriteOutcome::Applied) => return Ok(()),
            Ok(WriteOutcome::ConditionFailed) => {
                let k = keys::flow_session(&issued.token);
                match self.store.get(&k.pk, &k.sk).await {
                    // Issued by an earlier attempt of this request.
                    Ok(item) if session_request(item.as_ref()).as_deref() == Some(rid) => return Ok(()),
                    Ok(_) => {
                        (self.config.backoff_initial, "flow_token was just issued for another message".to_string())
                    }
                    Err(e) => (backoff_on(&e, &self.config), e.to_string()),
                }
            }
            Err(e) => (backoff_on(&e, &self.config), e.to_string()),
        };
        let (delay, error) = why;
        if let Err(e) = self.store.write(record::retrying(rid, owner, &error)).await {
            // The claim stays `sending` until its lease ends; the redelivery reconciles it.
            warn!(error = %e, "could not release the claim after the flow session write failed");
        }
        Err(retry(Some(rid), delay, format!("flow session not recorded: {error}")))
    }
}
