//! The SQS batch path: per record, parse → dedupe → resolve the sender → guards → pace →
//! claim → call EUM → record → publish. See the crate docs for the idempotency guarantee.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use serde_json::Value;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tracing::{debug, warn};
use wapipe_core::app::consumer::{self, run_batch, Classified, Consumer, Failure, Handled, Prefetched, Reader};
use wapipe_core::app::publish::{park_record, Parking};
use wapipe_core::domain::events::{parse_eventbridge_body, EventType};
use wapipe_core::domain::keys;
use wapipe_core::domain::outbound::{parse_request_value, Category, Read, SendRequest};
use wapipe_core::domain::send_record::callback_data;
use wapipe_core::ports::messaging::{LinkedPhone, Messaging};
use wapipe_core::ports::{Bus, Clock, Item, PortError, PortResult, Queue, Store, TransactOutcome, Write, WriteOutcome};

use crate::events::Ctx;
use crate::pacing::{Budget, Pacer, Pair, Take};
use crate::record::{self, Existing, Facts, State};
use crate::{guards, pacing, Config};
use futures_util::future::{join, join_all};

/// One SQS record.
pub use wapipe_core::app::consumer::Record as RecordIn;

/// What happened to one record.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// EUM accepted the message and `whatsapp.send.accepted` is out; the record is acknowledged.
    Accepted {
        /// The caller's idempotency key.
        request_id: String,
        /// EUM's message id (not Meta's wamid).
        eum_message_id: String,
    },
    /// Refused before any call and `whatsapp.send.rejected` is out; nothing was sent, the record
    /// is acknowledged.
    Rejected {
        /// The caller's idempotency key; `None` when the body had no usable one.
        request_id: Option<String>,
        /// The rule (`invalid`, `template_required`, `opted_out`, `unknown_sender`,
        /// `request_id_reused`, …; `parked` when the runtime parked the record).
        rule: String,
        /// Why, in words.
        reason: String,
    },
    /// Refused for good (EUM or Meta, attempts exhausted, or an unresolved unknown outcome) and
    /// `whatsapp.send.failed` is out; the record is acknowledged.
    Failed {
        /// The caller's idempotency key.
        request_id: String,
        /// Why, in words (Meta's code and meaning when known).
        reason: String,
    },
    /// Already done by an earlier delivery (its event re-published if it had not been).
    Duplicate {
        /// The caller's idempotency key.
        request_id: String,
        /// The record's terminal state: `accepted`, `rejected` or `failed`.
        state: String,
    },
    /// Back to the queue after `delay` (a batch item failure); not an error when pacing.
    Retry {
        /// The caller's idempotency key; `None` when the body had none.
        request_id: Option<String>,
        /// How long before SQS delivers the record again (set as its visibility, rounded up to whole
        /// seconds, at most 12 h).
        delay: Duration,
        /// Why: pacing, `not_before`, a claim another delivery holds, or a transient failure.
        error: String,
    },
}

wapipe_core::batch_report!(Outcome);

/// A body that is not a send request.
#[derive(Clone, Debug)]
pub(crate) struct Unparsed {
    pub request_id: Option<String>,
    pub rule: &'static str,
    pub field: Option<String>,
    pub reason: String,
    pub value: Option<Value>,
}

/// The send worker over its ports.
pub struct SendWorker<S, B, M, Q, C> {
    /// The table: send records, phone registry, contact windows, template and quality state,
    /// pacing items, orders and flow sessions.
    pub store: S,
    /// EventBridge, for `whatsapp.send.accepted | rejected | failed`.
    pub bus: B,
    /// EUM Social: `SendWhatsAppMessage` and the linked phone numbers.
    pub messaging: M,
    /// SQS, to set a retried record's visibility (`ChangeMessageVisibility`).
    pub queue: Q,
    /// Now: claims, leases, pacing seconds and `not_before`.
    pub clock: C,
    /// Tunables (see [`Config`]).
    pub config: Config,
    phones: Mutex<HashMap<String, LinkedPhone>>,
    /// Meta phone ids ingest marked as coexistence numbers (read with every batch; a batch
    /// leases with what the batches before it read).
    coexistence: Mutex<std::collections::HashSet<String>>,
    /// Phone budgets this process saw full, for the rest of their second.
    full: pacing::FullSeconds,
    seq: AtomicU64,
}

/// Meta's fixed throughput of a coexistence number (docs/PROTOCOL.md §10.3).
pub const COEXISTENCE_MPS: u32 = 20;

pub(crate) fn ms(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

pub(crate) fn retry(request_id: Option<&str>, delay: Duration, error: impl Into<String>) -> Outcome {
    Outcome::Retry { request_id: request_id.map(str::to_string), delay, error: error.into() }
}

impl<S: Store, B: Bus, M: Messaging, Q: Queue, C: Clock> SendWorker<S, B, M, Q, C> {
    /// A worker over these ports; its per-process caches (linked phones, full pacing seconds)
    /// start empty.
    pub fn new(store: S, bus: B, messaging: M, queue: Q, clock: C, config: Config) -> Self {
        SendWorker {
            store,
            bus,
            messaging,
            queue,
            clock,
            config,
            phones: Mutex::default(),
            coexistence: Mutex::default(),
            full: Default::default(),
            seq: AtomicU64::new(0),
        }
    }

    /// Process a batch through the consumer runtime: different recipients concurrently,
    /// one recipient's requests in order. `prepare` parses every body and reads what the
    /// records need (their send records, the sender, contact windows, pair pacing, quality) in
    /// one `BatchGetItem`; the phone's budget is leased once per batch ([`pacing::Pacer`]).
    /// Records to retry get their visibility set to their delay and are reported as failures.
    pub async fn handle_batch(&self, records: &[RecordIn]) -> BatchReport {
        run_batch(self, records, &self.config.run).await.map(|h| match h {
            Handled::Done(o) => o,
            Handled::Retry { error, delay } => {
                Outcome::Retry { request_id: error.request_id, delay: delay.unwrap_or_default(), error: error.reason }
            }
            // The worker rejects what it cannot send (`send.rejected`); it never parks.
            Handled::Parked { reason } => Outcome::Rejected { request_id: None, rule: "parked".into(), reason },
        })
    }

    async fn process(&self, r: &RecordIn, parsed: &Parsed, reads: &Reader<'_, S>, pacer: &Pacer) -> Outcome {
        let now = self.clock.now();
        let (req, hash) = match parsed {
            Ok((req, hash)) => (req.clone(), hash.clone()),
            Err(u) => return self.reject_unparsed(r, u.clone(), now).await,
        };
        let rid = req.request_id.clone();
        let k = keys::send_request(&rid);
        let existing = match reads.get(&k).await {
            Ok(item) => item.as_ref().map(Existing::from_item),
            Err(e) => return retry(Some(&rid), self.config.backoff_initial, e.to_string()),
        };
        if let Some(ex) = &existing {
            if ex.request_sha256.as_deref().is_some_and(|h| h != hash) {
                return self.reject_reused(&req, &hash, now).await;
            }
            match ex.state {
                Some(s) if s.is_terminal() => return self.duplicate(&rid, s, ex).await,
                Some(State::Sending) if ex.lease_until > now.unix_timestamp() => {
                    let wait = Duration::from_secs((ex.lease_until - now.unix_timestamp()) as u64 + 1);
                    return retry(Some(&rid), wait, "another delivery holds the claim");
                }
                Some(State::Sending | State::Unknown) => return self.reconcile(&req, ex, now).await,
                Some(State::Retrying) if ex.wamid.is_some() => return self.reconcile(&req, ex, now).await,
                _ => {}
            }
        }
        let phone = match self.resolve(&req.from, reads).await {
            Ok(Ok(p)) => p,
            Ok(Err(linked)) => {
                // Name the linked numbers (the list resolve read), so the sender can be fixed at once.
                let names: Vec<&str> = linked.iter().take(10).map(|p| p.meta_phone_number_id.as_str()).collect();
                let reason = format!(
                    "the sender {} is not a phone number linked to EUM; linked: {}",
                    req.from,
                    names.join(", ")
                );
                return self.reject(&req, &hash, None, "unknown_sender", &reason, None, now).await;
            }
            Err(e) => return retry(Some(&rid), self.config.backoff_initial, e),
        };
        if let Some(at) = req.not_before().filter(|t| *t > now) {
            let wait = Duration::from_millis((ms(at) - ms(now)).max(0) as u64);
            return retry(Some(&rid), wait, "not_before is in the future");
        }
        let facts = match guards::check(reads, &req, &phone.meta_phone_number_id, &phone.waba_id, now).await {
            Err(e) => return retry(Some(&rid), self.config.backoff_initial, e.to_string()),
            Ok(Err(refusal)) => {
                return self.reject(&req, &hash, Some(&phone), refusal.rule, &refusal.reason, None, now).await
            }
            Ok(Ok(f)) => f,
        };
        if let Err(e) = req.validate_with(facts.category) {
            return self.reject(&req, &hash, Some(&phone), "invalid", &e.to_string(), Some(&e.path), now).await;
        }
        let pair = match self.pace(&req, &phone, facts.category, reads, pacer).await {
            Err(wait) => return retry(Some(&rid), wait, "paced"),
            Ok(pair) => pair,
        };
        // An order_details message creates its order first (payments: `orders`).
        let (pid, waba, secs) = (&phone.meta_phone_number_id, &phone.waba_id, now.unix_timestamp());
        match crate::orders::ensure_order(&self.store, &req, pid, waba, secs).await {
            Err(e) => return retry(Some(&rid), backoff_on(&e, &self.config), e.to_string()),
            Ok(Err(why)) => return self.reject(&req, &hash, Some(&phone), "reference_reused", &why, None, now).await,
            Ok(Ok(())) => {}
        }
        let cleared = Cleared { facts: &facts, pair };
        self.claim_and_send(&req, &hash, &phone, cleared, existing.as_ref(), now).await
    }

    /// Pacing: `Err(wait)` when the record should come back later; otherwise the recipient's
    /// pair slot to take with the claim (none when pair pacing is off). Waits in the
    /// invocation never exceed `max_inline_wait`.
    async fn pace(
        &self,
        req: &SendRequest,
        phone: &LinkedPhone,
        category: Option<Category>,
        reads: &Reader<'_, S>,
        pacer: &Pacer,
    ) -> Result<Option<Write>, Duration> {
        let c = &self.config;
        let (p, wa_id) = (&phone.meta_phone_number_id, req.contact_id());
        // Marketing from a RED or FLAGGED number: its own lower budget (see `pacing`).
        let (now_ms, mps) = (ms(self.clock.now()), c.degraded_marketing_mps);
        match pacing::degraded_marketing_slot(reads, p, category, now_ms, mps, c.pace_ttl_secs).await {
            Err(e) => return Err(backoff_on(&e, c)),
            Ok(w) if w > c.max_inline_wait => return Err(w),
            Ok(w) if !w.is_zero() => tokio::time::sleep(w).await,
            Ok(_) => {}
        }
        let now_ms = ms(self.clock.now());
        // The phone's budget, after any inline wait above (a token is for the second it is
        // taken in). A second this process already saw full costs no write.
        let budget = self.budget(&req.from, p);
        let wait = match pacer.take(&self.store, &self.full, budget, now_ms).await {
            Err(e) => return Err(backoff_on(&e, c)),
            Ok(Take::Later(d)) => return Err(d),
            Ok(Take::Go(w)) => w,
        };
        // The recipient's pair rate last: a record the phone's budget sends back has not used
        // up one of the user's slots. The slot is planned here and taken with the claim.
        let current = reads.get(&keys::pace_pair(p, wa_id)).await.map_err(|e| backoff_on(&e, c))?;
        let plan = |now_ms| self.plan_pair(current.as_ref(), p, wa_id, now_ms);
        // One sleep for both waits (the phone's second and the user's slot), never longer
        // than `max_inline_wait`; the slot is planned for when the sleep ends.
        let now_ms = ms(self.clock.now());
        let (pair, sleep) = match plan(now_ms) {
            Pair::Wait(w) if w > c.max_inline_wait => return Err(w),
            Pair::Wait(w) => (plan(now_ms + w.as_millis() as i64), w.max(wait)),
            pair => (pair, wait),
        };
        if !sleep.is_zero() {
            tokio::time::sleep(sleep).await;
        }
        match pair {
            Pair::Free => Ok(None),
            Pair::Take(w) => Ok(Some(w)),
            Pair::Wait(w) => Err(w.max(Duration::from_millis(1))),
        }
    }

    /// The claim, with the recipient's pair slot in the same transaction: both or neither, in
    /// one round trip. A slot another send took first is read again and planned anew.
    async fn claim(
        &self,
        req: &SendRequest,
        phone: &LinkedPhone,
        claim: Write,
        pair: Option<Write>,
    ) -> Result<(), Outcome> {
        let (rid, c) = (req.request_id.as_str(), &self.config);
        let claimed_by_another = || retry(Some(rid), Duration::from_secs(1), "claimed by another delivery");
        let Some(mut pair) = pair else {
            return match self.store.write(claim).await {
                Ok(WriteOutcome::Applied) => Ok(()),
                Ok(WriteOutcome::ConditionFailed) => Err(claimed_by_another()),
                Err(e) => Err(retry(Some(rid), backoff_on(&e, c), e.to_string())),
            };
        };
        let (p, wa_id) = (&phone.meta_phone_number_id, req.contact_id());
        let k = keys::pace_pair(p, wa_id);
        for _ in 0..pacing::PAIR_ROUNDS {
            match self.store.transact(vec![claim.clone(), pair]).await {
                Ok(TransactOutcome::Applied) => return Ok(()),
                Ok(TransactOutcome::ConditionFailed(failed)) if failed.contains(&0) => return Err(claimed_by_another()),
                Ok(TransactOutcome::ConditionFailed(_)) => {}
                Err(e) => return Err(retry(Some(rid), backoff_on(&e, c), e.to_string())),
            }
            let current =
                self.store.get(&k.pk, &k.sk).await.map_err(|e| retry(Some(rid), backoff_on(&e, c), e.to_string()))?;
            let now_ms = ms(self.clock.now());
            match self.plan_pair(current.as_ref(), p, wa_id, now_ms) {
                Pair::Take(w) => pair = w,
                Pair::Wait(w) => return Err(retry(Some(rid), w.max(Duration::from_millis(1)), "paced")),
                Pair::Free => return Err(retry(Some(rid), Duration::from_secs(1), "pair pacing changed")),
            }
        }
        Err(retry(Some(rid), Duration::from_secs(1), "the recipient's pair slot is contended"))
    }

    async fn claim_and_send(
        &self,
        req: &SendRequest,
        hash: &str,
        phone: &LinkedPhone,
        cleared: Cleared<'_>,
        existing: Option<&Existing>,
        now: OffsetDateTime,
    ) -> Outcome {
        let Cleared { facts: gf, pair } = cleared;
        let rid = req.request_id.as_str();
        let callback = callback_data(rid);
        let issued = match self.issue_flow(req, hash, phone, existing, now).await {
            Ok(i) => i,
            Err(outcome) => return outcome,
        };
        let with_token = issued.as_ref().map(|i| req.with_flow_token(&i.token));
        let json = match with_token.as_ref().unwrap_or(req).cloud_json(Some(&callback)) {
            Ok(j) => j,
            Err(e) => return self.reject(req, hash, Some(phone), "invalid", &e.to_string(), Some(&e.path), now).await,
        };
        let mut facts = self.facts(req, hash, phone, gf, &json);
        facts.flow_token = issued.as_ref().map(|i| i.token.clone());
        let owner = format!("{}#{}", rid.len(), self.seq.fetch_add(1, Ordering::Relaxed));
        let owner = format!("{owner}@{}", ms(now));
        let lease_until = now.unix_timestamp() + self.config.lease.as_secs() as i64;
        let seen = existing.filter(|e| e.state.is_some()).map(|e| e.attempts);
        let claim = record::claim(rid, &facts, seen, &owner, lease_until, now);
        if let Err(outcome) = self.claim(req, phone, claim, pair).await {
            return outcome;
        }
        // The session before the call, so the flow endpoint never sees a token without one.
        if let Some(i) = &issued {
            if let Err(outcome) = self.record_session(rid, &owner, i).await {
                return outcome;
            }
        }
        let attempts = seen.unwrap_or(0) + 1;
        if let Some(wamid) = &gf.mark_read {
            self.mark_read(req, phone, wamid).await;
        }
        debug!(request_id = rid, to = %req.to, "calling SendWhatsAppMessage");
        let result = self.messaging.send(&phone.eum_phone_number_id, &self.config.meta_api_version, &json).await;
        let ctx = self.ctx(req, Some(phone), gf);
        match result {
            Ok(id) => self.accepted(rid, &ctx, &id.0, attempts, self.clock.now(), None).await,
            Err(e) => self.call_failed(req, &ctx, phone, &owner, &e, attempts).await,
        }
    }

    /// `options.mark_read`: the user's message marked read, typing shown while the reply goes.
    /// A courtesy: when it fails the reply still goes, and the failure is logged with its class.
    async fn mark_read(&self, req: &SendRequest, phone: &LinkedPhone, wamid: &str) {
        let read = Read { message_id: wamid.to_string(), typing_indicator: true };
        let body = read.cloud_json().to_string();
        let res = self.messaging.send(&phone.eum_phone_number_id, &self.config.meta_api_version, body.as_bytes()).await;
        if let Err(e) = res {
            warn!(request_id = %req.request_id, wamid, exception = %e.exception, retry = ?e.retry(),
                  error = %e, "mark_read failed; the reply goes on");
        }
    }

    pub(crate) fn facts(
        &self,
        req: &SendRequest,
        hash: &str,
        phone: &LinkedPhone,
        gf: &guards::Facts,
        json: &[u8],
    ) -> Facts {
        let t = req.message.template();
        Facts {
            to: req.to.clone(),
            phone_number_id: phone.meta_phone_number_id.clone(),
            waba_id: phone.waba_id.clone(),
            message_type: req.message.kind(),
            template_name: t.map(|t| t.name.clone()),
            template_language: t.map(|t| t.language.code.clone()),
            template_category: gf.category.map(|c| c.as_str().to_string()),
            request_sha256: hash.to_string(),
            message_json: (json.len() <= 64 * 1024).then(|| String::from_utf8_lossy(json).into_owned()),
            tags: tags_value(req),
            flow_token: None,
            order_reference_id: order_reference(req),
        }
    }

    pub(crate) fn ctx(&self, req: &SendRequest, phone: Option<&LinkedPhone>, gf: &guards::Facts) -> Ctx {
        let t = req.message.template();
        Ctx {
            request_id: Some(req.request_id.clone()),
            waba_id: phone.map(|p| p.waba_id.clone()).unwrap_or_default(),
            phone_number_id: phone.map(|p| p.meta_phone_number_id.clone()).unwrap_or_default(),
            wa_id: Some(req.contact_id().to_string()),
            message_type: Some(req.message.kind()),
            template_name: t.map(|t| t.name.clone()),
            template_language: t.map(|t| t.language.code.clone()),
            category: gf.category.map(|c| c.as_str().to_string()),
            tags: tags_value(req),
            order_reference_id: order_reference(req),
        }
    }

    /// A Meta id through the phone registry ingest keeps; anything else (or a registry miss)
    /// through EUM's linked accounts. Cached per process. `Ok(Err(linked))`: not linked, with
    /// the numbers that are.
    async fn resolve(
        &self,
        from: &str,
        reads: &Reader<'_, S>,
    ) -> Result<Result<LinkedPhone, Vec<LinkedPhone>>, String> {
        if let Some(p) = self.cached_phone(from) {
            return Ok(Ok(p));
        }
        if from.bytes().all(|b| b.is_ascii_digit()) {
            let item = reads.get(&keys::phone(from)).await.map_err(|e| e.to_string())?;
            if let Some(i) = item {
                if let (Some(eum), Some(waba)) = (i.get_str("eum_phone_number_id"), i.get_str("waba_id")) {
                    let p = LinkedPhone {
                        eum_phone_number_id: eum.to_string(),
                        arn: i.get_str("phone_arn").unwrap_or_default().to_string(),
                        meta_phone_number_id: from.to_string(),
                        waba_id: waba.to_string(),
                    };
                    self.remember(from, &p);
                    return Ok(Ok(p));
                }
            }
        }
        let linked = self.messaging.linked_phones().await.map_err(|e| e.to_string())?;
        match linked.iter().find(|p| p.is(from)).cloned() {
            Some(p) => {
                self.remember(from, &p);
                Ok(Ok(p))
            }
            None => Ok(Err(linked)),
        }
    }

    /// The recipient's pair slot planned from `current` (see [`pacing::pair_plan`]).
    fn plan_pair(&self, current: Option<&Item>, phone: &str, wa_id: &str, now_ms: i64) -> Pair {
        let c = &self.config;
        pacing::pair_plan(current, phone, wa_id, now_ms, c.pair_interval, c.pair_burst, c.pace_ttl_secs)
    }

    /// The phone budget of sender `from` (Meta phone number id `phone`), from the config.
    fn budget<'a>(&self, from: &'a str, phone: &'a str) -> Budget<'a> {
        let c = &self.config;
        let coexistence = self.coexistence.lock().is_ok_and(|set| set.contains(phone));
        let mps = if coexistence { c.phone_mps.min(COEXISTENCE_MPS) } else { c.phone_mps };
        Budget { from, phone, mps, guard: c.max_inline_wait, ttl_secs: c.pace_ttl_secs }
    }

    fn cached_phone(&self, from: &str) -> Option<LinkedPhone> {
        self.phones.lock().ok().and_then(|m| m.get(from).cloned())
    }

    fn remember(&self, from: &str, p: &LinkedPhone) {
        if let Ok(mut m) = self.phones.lock() {
            m.insert(from.to_string(), p.clone());
        }
    }
}

/// What the guards and pacing cleared a send with: the facts they read, and the recipient's
/// pair slot to take with the claim.
struct Cleared<'a> {
    facts: &'a guards::Facts,
    pair: Option<Write>,
}

/// A record's body as `prepare` parsed it: the request and its hash, or why it is none.
pub(crate) type Parsed = Result<(SendRequest, String), Unparsed>;

/// What the worker prepares for a batch: the parsed bodies, one batch read, and the phone
/// budget the batch shares.
pub struct Prepared {
    parsed: Vec<Parsed>,
    reads: Prefetched,
    pacer: Pacer,
    /// Why the contacts of BSUID recipients could not be resolved (the identity read failed):
    /// those records go back to the queue rather than be judged on the wrong contact.
    unresolved: Option<PortError>,
}

/// Why a record goes back to the queue: pacing, a claim another delivery holds, or a failure
/// that may pass (its text; the send record keeps the details).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct Later {
    /// The record's `request_id`, when known.
    pub request_id: Option<String>,
    /// Why it goes back (the [`Outcome::Retry`] error text).
    pub reason: String,
}

impl Classified for Later {
    fn is_transient(&self) -> bool {
        true
    }
}

impl<S: Store, B: Bus, M: Messaging, Q: Queue, C: Clock> Consumer for SendWorker<S, B, M, Q, C> {
    type Done = Outcome;
    type Error = Later;
    type Prepared = Prepared;

    /// By recipient: one user's requests in order (the pair rate is per user).
    fn key(&self, r: &RecordIn, index: usize, prepared: &Prepared) -> String {
        match prepared.parsed.get(index) {
            Some(Ok((req, _))) => format!("{}\u{1f}{}", req.from, req.contact_id()),
            _ => r.id.clone(),
        }
    }

    async fn prepare(&self, records: &[RecordIn]) -> Prepared {
        let mut parsed: Vec<Parsed> = records.iter().map(|r| parse_body(&r.body)).collect();
        let unresolved = resolve_contacts(&self.store, &mut parsed).await.err();
        let mut keys = Vec::new();
        let mut demand: HashMap<String, u32> = HashMap::new();
        let mut metas: Vec<String> = Vec::new();
        for (req, _) in parsed.iter().flatten() {
            *demand.entry(req.from.clone()).or_insert(0) += 1;
            keys.push(keys::send_request(&req.request_id));
            let cached = self.cached_phone(&req.from);
            let meta = match &cached {
                Some(p) => p.meta_phone_number_id.clone(),
                None if req.from.bytes().all(|b| b.is_ascii_digit()) => {
                    keys.push(keys::phone(&req.from));
                    req.from.clone()
                }
                None => continue,
            };
            keys.push(keys::coexistence(&meta));
            metas.push(meta.clone());
            let wa_id = req.contact_id();
            keys.push(keys::contact_window(&meta, wa_id));
            keys.push(keys::pace_pair(&meta, wa_id));
            keys.push(keys::quality_latest(&meta));
            // The user's message a read receipt or `mark_read` names: its age decides.
            if let Some(w) = req.message.read().map(|r| &r.message_id).or(req.options.mark_read.as_ref()) {
                keys.push(keys::message(w));
            }
            if let (Some(p), Some(t)) = (&cached, req.message.template()) {
                keys.push(keys::template_state(&p.waba_id, &t.name, &t.language.code));
                keys.push(keys::account_latest(&p.waba_id));
            }
        }
        // The phone budget is leased with the batch read, for the senders already resolved.
        let senders: Vec<(String, String)> = demand
            .keys()
            .filter_map(|from| self.cached_phone(from).map(|p| (from.clone(), p.meta_phone_number_id)))
            .collect();
        let now_ms = ms(self.clock.now());
        // The seconds ahead, read with the rest: where the promises for records this batch
        // may send back have room, so a promise rarely needs a second try.
        let ahead_from: Vec<i64> = senders.iter().map(|(_, phone)| self.full.promise_from(phone, now_ms)).collect();
        for ((_, phone), from) in senders.iter().zip(&ahead_from) {
            keys.extend(pacing::lookahead(phone, *from).map(|(_, k)| k));
        }
        let pacer = Pacer::new(demand);
        let leases = senders
            .iter()
            .map(|(from, phone)| pacer.prelease(&self.store, &self.full, self.budget(from, phone), now_ms));
        let (reads, _) = join(Prefetched::read(&self.store, keys), join_all(leases)).await;
        if let Ok(mut set) = self.coexistence.lock() {
            for phone in &metas {
                if reads.get(&keys::coexistence(phone)).flatten().is_some() {
                    set.insert(phone.clone());
                }
            }
        }
        for ((from, phone), start) in senders.iter().zip(ahead_from) {
            let ahead = pacing::lookahead(phone, start).map(|(s, k)| (s, reads.get(&k).flatten()));
            pacer.room_ahead(&self.full, self.budget(from, phone), ahead);
        }
        Prepared { parsed, reads, pacer, unresolved }
    }

    async fn handle(&self, r: &RecordIn, ctx: consumer::Ctx<'_, Prepared>) -> Result<Outcome, Failure<Later>> {
        let p = ctx.prepared;
        let Some(parsed) = p.parsed.get(ctx.index) else {
            return Err(Failure::park("internal: no body parsed for this record"));
        };
        if let (Some(e), Ok((req, _))) = (&p.unresolved, parsed) {
            if req.to_bsuid() {
                let reason = format!("resolving the recipient's contact: {e}");
                return Err(Failure::from(Later { request_id: Some(req.request_id.clone()), reason }));
            }
        }
        let reads = p.reads.reader(&self.store, ctx.first_of_key);
        match self.process(r, parsed, &reads, &p.pacer).await {
            Outcome::Retry { request_id, delay, error } => {
                Err(Failure::retry_after(Later { request_id, reason: error }, delay))
            }
            done => Ok(done),
        }
    }

    async fn park(&self, r: &RecordIn, reason: &str) -> Result<(), Later> {
        let parking =
            Parking { source: &self.config.source, policy: &self.config.publish, mark_ttl_secs: 30 * 24 * 3600 };
        park_record(&self.store, &self.bus, &parking, r, reason, self.clock.now())
            .await
            .map_err(|e| Later { request_id: None, reason: e.to_string() })
    }

    /// Back to the queue after `delay`: SQS counts visibility in whole seconds, at most 12 h.
    async fn defer(&self, r: &RecordIn, delay: Duration) {
        let url = self.config.queue_url.clone().or_else(|| r.queue_url.clone());
        if let (Some(url), Some(receipt)) = (url, &r.receipt_handle) {
            let secs = delay.as_millis().div_ceil(1000).clamp(0, 43_200) as u64;
            if let Err(e) = self.queue.change_visibility(&url, receipt, Duration::from_secs(secs)).await {
                warn!(record_id = %r.id, error = %e, "visibility change failed; the queue's own timeout applies");
            }
        }
    }
}

/// The order's reference id of an `order_details` message.
fn order_reference(req: &SendRequest) -> Option<String> {
    wapipe_core::domain::payments::order::order_details_of(req).map(|p| p.reference_id.clone())
}

fn tags_value(req: &SendRequest) -> Option<Value> {
    (!req.options.tags.is_empty()).then(|| serde_json::to_value(&req.options.tags).unwrap_or(Value::Null))
}

pub(crate) fn backoff_on(e: &PortError, c: &Config) -> Duration {
    if e.is_retryable() {
        c.backoff_initial
    } else {
        c.backoff_max
    }
}

/// The request in a body (a send request, or a `whatsapp.send.requested` event) and the
/// SHA-256 of its canonical JSON.
/// For every request addressed to a BSUID, the phone `wa_id` the user was seen with
/// (`IDENTITY#{bsuid}`, written by ingest), set as the request's contact: one read for the
/// batch, and none when no request is addressed to a BSUID.
async fn resolve_contacts<S: Store>(store: &S, parsed: &mut [Parsed]) -> PortResult<()> {
    let bsuids: Vec<keys::Key> =
        parsed.iter().flatten().filter(|(r, _)| r.to_bsuid()).map(|(r, _)| keys::identity(&r.to)).collect();
    if bsuids.is_empty() {
        return Ok(());
    }
    let found = store.get_many(&bsuids).await?;
    let mut found = found.into_iter();
    for (req, _) in parsed.iter_mut().flatten().filter(|(r, _)| r.to_bsuid()) {
        if let Some(item) = found.next().flatten() {
            req.contact = item.get_str("wa_id").map(str::to_string);
        }
    }
    Ok(())
}

pub(crate) fn parse_body(body: &str) -> Result<(SendRequest, String), Unparsed> {
    let bad =
        |rule, reason: String, value: Option<Value>| Unparsed { request_id: None, rule, field: None, reason, value };
    let v: Value = serde_json::from_str(body).map_err(|e| bad("not_json", format!("not JSON: {e}"), None))?;
    let v = if v.get("detail-type").is_some() {
        let e = parse_eventbridge_body(body).map_err(|e| bad("invalid", e.to_string(), None))?;
        if e.detail_type != EventType::SendRequested {
            return Err(bad("invalid", format!("{} is not a send request", e.detail_type), None));
        }
        e.detail.get("request").cloned().ok_or_else(|| bad("invalid", "detail.request: missing".into(), None))?
    } else {
        v
    };
    let hash = hex::encode(Sha256::digest(v.to_string().as_bytes()));
    let request_id = v.get("request_id").and_then(Value::as_str).map(str::to_string);
    let req = parse_request_value(v.clone()).map_err(|e| Unparsed {
        request_id: request_id.clone(),
        rule: "invalid",
        field: Some(e.path.clone()),
        reason: e.to_string(),
        value: Some(v.clone()),
    })?;
    if let Err(e) = req.validate() {
        return Err(Unparsed {
            request_id,
            rule: "invalid",
            field: Some(e.path.clone()),
            reason: e.to_string(),
            value: Some(v),
        });
    }
    Ok((req, hash))
}
