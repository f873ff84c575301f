//! How a request ends: accepted, failed, rejected (recorded, then published, then marked
//! published), a duplicate (its event re-published when it had not been), or reconciled
//! after an unknown outcome.

use std::time::Duration;

use serde_json::Value;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tracing::{error, warn};
use wapipe_core::app::publish::publish_all;
use wapipe_core::domain::events::{rfc3339, DomainEvent};
use wapipe_core::domain::keys;
use wapipe_core::domain::meta_errors::Retry;
use wapipe_core::domain::outbound::SendRequest;
use wapipe_core::domain::send_record as sr;
use wapipe_core::ports::messaging::{Delivery, LinkedPhone, Messaging, MessagingError};
use wapipe_core::ports::{Bus, Clock, Cond, Item, Queue, Store, Update, Write, WriteOutcome};

use crate::backoff_policy;
use crate::events::{Ctx, FailedWhy};
use crate::record::{self, Existing, State};
use crate::worker::{ms, retry, Outcome, RecordIn, SendWorker, Unparsed};
use crate::{guards, pacing};

impl<S: Store, B: Bus, M: Messaging, Q: Queue, C: Clock> SendWorker<S, B, M, Q, C> {
    /// Publish a recorded terminal event, then mark it published. `Err`: publish again later.
    async fn publish(&self, request_id: Option<&str>, event: &DomainEvent) -> Result<(), String> {
        let results = publish_all(&self.bus, &self.store, std::slice::from_ref(event), &self.config.publish).await;
        if let Some(Err(e)) = results.into_iter().next() {
            return Err(e.to_string());
        }
        if let Some(rid) = request_id {
            if let Err(e) = self.store.write(record::mark_published(rid)).await {
                // The event is out; a redelivery would publish it again under the same event_id.
                warn!(error = %e, "could not mark the event published");
            }
        }
        Ok(())
    }

    /// Record a terminal state (`w`, from `record::terminal`), publish its `event`.
    async fn finish(&self, rid: &str, w: Write, event: DomainEvent, outcome: Outcome) -> Outcome {
        match self.store.write(w).await {
            Ok(WriteOutcome::Applied) => {}
            // Another delivery recorded an outcome first: look again on the next delivery.
            Ok(WriteOutcome::ConditionFailed) => return retry(Some(rid), Duration::from_secs(1), "the record changed"),
            Err(e) => return retry(Some(rid), self.config.backoff_initial, e.to_string()),
        }
        match self.publish(Some(rid), &event).await {
            Ok(()) => outcome,
            Err(e) => retry(Some(rid), self.config.backoff_initial, e),
        }
    }

    /// Record `accepted` and publish `whatsapp.send.accepted`; with a `guard`, only while it
    /// holds (a settlement from outside the worker's own call: a handover event).
    pub(crate) async fn accepted(
        &self,
        rid: &str,
        ctx: &Ctx,
        eum_id: &str,
        attempts: i64,
        now: OffsetDateTime,
        guard: Option<Cond>,
    ) -> Outcome {
        let event = ctx.accepted(eum_id, attempts, now);
        let extra = vec![
            Update::Set(sr::EUM_MESSAGE_ID.into(), eum_id.into()),
            Update::Set(sr::SENT_AT.into(), rfc3339(now).into()),
            // Findable by EUM's id: the feed sweep asks which request an EventBridge status is of.
            Update::Set(keys::GSI1PK.into(), keys::eum_message_index(eum_id).into()),
            Update::Set(keys::GSI1SK.into(), "SEND".into()),
        ];
        let outcome = Outcome::Accepted { request_id: rid.to_string(), eum_message_id: eum_id.to_string() };
        let w = record::terminal(rid, State::Accepted, &event, extra, None, guard, now);
        self.finish(rid, w, event, outcome).await
    }

    /// Record `failed` and publish `whatsapp.send.failed`; with a `guard`, only while it holds.
    pub(crate) async fn failed(
        &self,
        rid: &str,
        ctx: &Ctx,
        why: FailedWhy,
        attempts: i64,
        guard: Option<Cond>,
    ) -> Outcome {
        if why.alert {
            error!(request_id = rid, reason = %why.reason, "send failed and needs an operator");
        }
        let event = ctx.failed(&why, attempts, self.clock.now());
        let extra = vec![Update::Set(record::LAST_ERROR.into(), why.reason.clone().into())];
        let outcome = Outcome::Failed { request_id: rid.to_string(), reason: why.reason };
        let w = record::terminal(rid, State::Failed, &event, extra, None, guard, self.clock.now());
        self.finish(rid, w, event, outcome).await
    }

    pub(crate) async fn call_failed(
        &self,
        req: &SendRequest,
        ctx: &Ctx,
        phone: &LinkedPhone,
        owner: &str,
        e: &MessagingError,
        attempts: i64,
    ) -> Outcome {
        let rid = req.request_id.as_str();
        let now = self.clock.now();
        let wa_id = req.contact_id();
        if e.delivery == Delivery::Unknown {
            warn!(request_id = rid, error = %e, "no answer from EUM: the outcome is unknown, never re-sent blind");
            if let Err(err) = self.store.write(record::unknown(rid, owner, &e.to_string(), now)).await {
                warn!(error = %err, "could not record the unknown outcome; the lease expiry covers it");
            }
            let wait = self.config.unknown_grace.min(Duration::from_secs(30));
            return retry(Some(rid), wait, e.to_string());
        }
        let advice = e.retry();
        if advice == Retry::Never {
            if e.meta_code == Some(131_050) {
                let k = keys::contact_window(&phone.meta_phone_number_id, wa_id);
                let w = Write::Update {
                    pk: k.pk,
                    sk: k.sk,
                    updates: vec![
                        Update::Set("marketing_opt_out".into(), true.into()),
                        Update::Set("marketing_pref_at".into(), now.unix_timestamp().into()),
                    ],
                    cond: None,
                };
                if let Err(err) = self.store.write(w).await {
                    warn!(error = %err, "could not record the opt-out Meta reported");
                }
            }
            return self.failed(rid, ctx, FailedWhy::from_error(e), attempts, None).await;
        }
        if attempts >= i64::from(self.config.max_attempts) {
            let why = FailedWhy::own("AttemptsExhausted", format!("{attempts} attempts; last: {}", e.reason()));
            return self.failed(rid, ctx, why, attempts, None).await;
        }
        if advice == Retry::PairRate {
            let c = &self.config;
            let w = pacing::pair_penalty(
                &phone.meta_phone_number_id,
                wa_id,
                ms(now),
                c.pair_interval,
                c.pair_burst,
                c.pace_ttl_secs,
            );
            if let Err(err) = self.store.write(w).await {
                warn!(error = %err, "could not push the recipient's pacing");
            }
        }
        if let Err(err) = self.store.write(record::retrying(rid, owner, &e.reason())).await {
            // The claim stays `sending` until its lease ends; the redelivery reconciles it.
            warn!(error = %err, "could not record the retry");
        }
        let delay = backoff_policy::delay(&self.config, advice, attempts.clamp(1, 32) as u32);
        retry(Some(rid), delay, e.reason())
    }

    pub(crate) async fn duplicate(&self, rid: &str, state: State, ex: &Existing) -> Outcome {
        if let Some(event) = &ex.unpublished {
            if let Err(e) = self.publish(Some(rid), event).await {
                return retry(Some(rid), self.config.backoff_initial, e);
            }
        }
        Outcome::Duplicate { request_id: rid.to_string(), state: state.as_str().to_string() }
    }

    /// A claim whose call ended without an answer (or whose worker died): never re-sent. A
    /// status that linked a wamid proves it was sent; no status within the grace → failed.
    pub(crate) async fn reconcile(&self, req: &SendRequest, ex: &Existing, now: OffsetDateTime) -> Outcome {
        let rid = req.request_id.as_str();
        let ctx = self.ctx(req, None, &guards::Facts { category: req.options.category, ..guards::Facts::default() });
        let ctx = self.ctx_from_record(rid, ctx).await;
        if ex.wamid.is_some() {
            let eum = ex.eum_message_id.clone().unwrap_or_default();
            return self.accepted(rid, &ctx, &eum, ex.attempts.max(1), now, None).await;
        }
        let since = ex.unknown_since.unwrap_or(ex.lease_until);
        let deadline = since + self.config.unknown_grace.as_secs() as i64;
        if now.unix_timestamp() >= deadline {
            let why = FailedWhy::own(
                "OutcomeUnknown",
                "EUM did not answer and no status arrived: the message may or may not have been sent; not re-sent"
                    .into(),
            );
            return self.failed(rid, &ctx, why, ex.attempts.max(1), None).await;
        }
        let wait = Duration::from_secs((deadline - now.unix_timestamp()).clamp(1, 60) as u64);
        retry(Some(rid), wait, "waiting for a status to resolve an unknown outcome")
    }

    /// The phone ids recorded at the claim, for events of a reconciled request.
    async fn ctx_from_record(&self, rid: &str, mut ctx: Ctx) -> Ctx {
        let k = keys::send_request(rid);
        if let Ok(Some(item)) = self.store.get(&k.pk, &k.sk).await {
            ctx.waba_id = item.get_str(sr::WABA_ID).unwrap_or_default().to_string();
            ctx.phone_number_id = item.get_str(sr::PHONE_NUMBER_ID).unwrap_or_default().to_string();
        }
        ctx
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn reject(
        &self,
        req: &SendRequest,
        hash: &str,
        phone: Option<&LinkedPhone>,
        rule: &str,
        reason: &str,
        field: Option<&str>,
        now: OffsetDateTime,
    ) -> Outcome {
        let gf = guards::Facts { category: req.options.category, ..guards::Facts::default() };
        let ctx = self.ctx(req, phone, &gf);
        let event = ctx.rejected(rule, reason, field, &[], now);
        let facts = phone.map(|p| self.facts(req, hash, p, &gf, b""));
        let extra =
            vec![Update::Set(record::RULE.into(), rule.into()), Update::Set(record::REASON.into(), reason.into())];
        let outcome =
            Outcome::Rejected { request_id: Some(req.request_id.clone()), rule: rule.into(), reason: reason.into() };
        let rid = req.request_id.as_str();
        let guard = Some(record::rejection_guard());
        let w = record::terminal(rid, State::Rejected, &event, extra, facts.as_ref(), guard, now);
        self.finish(rid, w, event, outcome).await
    }

    /// A request id already used by a different request: refused, the record untouched.
    pub(crate) async fn reject_reused(&self, req: &SendRequest, hash: &str, now: OffsetDateTime) -> Outcome {
        let ctx = self.ctx(req, None, &guards::Facts::default());
        let reason = "request_id already used by a different request; nothing sent";
        let event = ctx.rejected("request_id_reused", reason, Some("request_id"), &[hash], now);
        match self.publish(None, &event).await {
            Ok(()) => Outcome::Rejected {
                request_id: Some(req.request_id.clone()),
                rule: "request_id_reused".into(),
                reason: reason.into(),
            },
            Err(e) => retry(Some(&req.request_id), self.config.backoff_initial, e),
        }
    }

    /// Not a valid send request. With a usable request id the rejection is recorded on its
    /// send record; without one the body is parked (`PARKED#send-worker`).
    pub(crate) async fn reject_unparsed(&self, r: &RecordIn, u: Unparsed, now: OffsetDateTime) -> Outcome {
        let digest = wapipe_core::domain::events::hex_prefix(&Sha256::digest(r.body.as_bytes()));
        let rid = u.request_id.clone().filter(|id| sr::fits_callback(id) && !id.chars().any(char::is_control));
        let value = u.value.as_ref();
        let s = |k: &str| value.and_then(|v| v.get(k)).and_then(Value::as_str).map(str::to_string);
        let ctx = Ctx {
            request_id: rid.clone(),
            wa_id: s("to").map(|t| t.trim_start_matches('+').to_string()),
            message_type: value.and_then(|v| v.pointer("/message/type")).and_then(Value::as_str).map(str::to_string),
            ..Ctx::default()
        };
        let event = ctx.rejected(u.rule, &u.reason, u.field.as_deref(), &[&digest], now);
        let outcome = Outcome::Rejected { request_id: rid.clone(), rule: u.rule.into(), reason: u.reason.clone() };
        if let Some(rid) = rid {
            let extra = vec![
                Update::Set(record::RULE.into(), u.rule.into()),
                Update::Set(record::REASON.into(), u.reason.clone().into()),
                Update::SetIfMissing(record::REQUEST_SHA256.into(), digest.clone().into()),
            ];
            let w = record::terminal(&rid, State::Rejected, &event, extra, None, Some(record::rejection_guard()), now);
            return match self.store.write(w).await {
                // Recorded, or the id belongs to another outcome: publish either way.
                Ok(written) => {
                    match self.publish((written == WriteOutcome::Applied).then_some(rid.as_str()), &event).await {
                        Ok(()) => outcome,
                        Err(e) => retry(Some(&rid), self.config.backoff_initial, e),
                    }
                }
                Err(e) => retry(Some(&rid), self.config.backoff_initial, e.to_string()),
            };
        }
        let key = keys::parked(&self.config.source, &rfc3339(now), &r.id);
        let item = Item::new(key.pk, key.sk)
            .with("source", self.config.source.as_str())
            .with("record_id", r.id.as_str())
            .with("reason", u.reason.as_str())
            .with("body", r.body.as_str())
            .with("body_sha256", digest.as_str())
            .with("parked_at", rfc3339(now));
        if let Err(e) = self.store.write(Write::put(item)).await {
            return retry(None, self.config.backoff_initial, e.to_string());
        }
        match self.publish(None, &event).await {
            Ok(()) => outcome,
            Err(e) => retry(None, self.config.backoff_initial, e),
        }
    }
}
