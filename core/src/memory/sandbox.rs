//! The sandbox messaging adapter for local mode and tests: records every send and plays back
//! Meta's statuses for it — `sent → delivered → read`, or `failed` with a chosen error code —
//! as EUM SNS notification bodies (SNS `Message` ← EUM event ← `whatsAppWebhookEntry`), which
//! local mode puts on the ingest queue so they flow through ingest and the bus exactly like
//! real ones. Statuses echo the message's `biz_opaque_callback_data`, as Meta does.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::latency::{Latency, LatencySlot, Service};
use crate::domain::events::rfc3339;
use crate::ports::messaging::{EumMessageId, LinkedPhone, Messaging, MessagingError};

/// The sample business number of `events/` (Meta ids and EUM ARNs).
pub const SANDBOX_ACCOUNT: &str = "123456789012";
/// The region of the sandbox's ARNs.
pub const SANDBOX_REGION: &str = "ap-south-1";

/// What Meta does with a message after EUM accepted it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Playback {
    /// sent → delivered → read.
    Read,
    /// sent → delivered.
    Delivered,
    /// failed with this Meta error code and title (no `sent` before it).
    Failed {
        /// Meta's error code (e.g. 131026, message undeliverable).
        code: i64,
        /// The error's title, also used as its message and details.
        title: String,
    },
}

/// One message the sandbox accepted.
#[derive(Clone, Debug, PartialEq)]
pub struct SandboxSend {
    /// The id answered to the caller in place of EUM's (UUID-like).
    pub eum_message_id: String,
    /// The wamid Meta would assign (used in the played-back statuses).
    pub wamid: String,
    /// The sending number as the caller named it (Meta id, EUM id or ARN).
    pub origination_phone_number_id: String,
    /// The Cloud API version the caller asked for (`v20.0`, …).
    pub meta_api_version: String,
    /// The decoded Cloud API JSON.
    pub message: Value,
}

/// The most calls the sandbox keeps (the oldest are dropped; `seq` keeps counting).
pub const MAX_CALLS: usize = 10_000;

/// One EUM call the sandbox answered in place of EUM: what local mode "would have called"
/// (`wapipe sandbox calls`).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EumCall {
    /// 1, 2, … in the order the calls were made (over every command on the same state file).
    pub seq: u64,
    /// When (RFC 3339).
    pub at: String,
    /// EUM's operation name (`SendWhatsAppMessage`, `SendWhatsAppConversionEvent`, …).
    pub operation: String,
    /// The input, with wire names; blobs decoded (the message JSON, the event data).
    pub input: Value,
    /// The answer (`{"messageId"}`, …), or `{"error": {"exception", "message"}}`.
    pub output: Value,
}

#[derive(Debug, Default)]
struct State {
    sends: Vec<SandboxSend>,
    /// Every call answered, in order.
    calls: Vec<EumCall>,
    /// Dataset id per WABA (CreateWhatsAppDataset answers the same id each time).
    datasets: HashMap<String, String>,
    /// Numbers linked after construction (`link_phone`).
    extra_phones: Vec<LinkedPhone>,
    /// Playback for recipients without one of their own; `None`: the sandbox's default.
    default_playback: Option<Playback>,
    /// SNS notification bodies not yet taken.
    pending: Vec<String>,
    fail_next: VecDeque<MessagingError>,
    playback_by_recipient: HashMap<String, Playback>,
    counter: u64,
    /// Per-process nonce: ids differ between runs that share a state file.
    nonce: String,
}

/// See the module docs.
#[derive(Debug)]
pub struct Sandbox {
    phones: Vec<LinkedPhone>,
    default_playback: Playback,
    state: Mutex<State>,
    latency: LatencySlot,
}

impl Default for Sandbox {
    fn default() -> Self {
        Sandbox::new()
    }
}

impl Sandbox {
    /// One linked number: the sample business number of `events/`.
    pub fn new() -> Sandbox {
        Sandbox {
            phones: vec![LinkedPhone {
                eum_phone_number_id: "phone-number-id-4db8a4cce7e7d3cbc3ec62a721b7ded3".into(),
                arn: format!(
                    "arn:aws:social-messaging:{SANDBOX_REGION}:{SANDBOX_ACCOUNT}:phone-number-id/4db8a4cce7e7d3cbc3ec62a721b7ded3"
                ),
                meta_phone_number_id: "106540352242922".into(),
                waba_id: "102290129340398".into(),
            }],
            default_playback: Playback::Read,
            state: Mutex::new(State {
                nonce: std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos().to_string())
                    .unwrap_or_default(),
                ..State::default()
            }),
            latency: LatencySlot::default(),
        }
    }

    /// Simulate EUM's latency on every call from now on.
    pub fn set_latency(&self, latency: std::sync::Arc<Latency>) {
        self.latency.set(latency);
    }

    /// Add a linked number.
    pub fn with_phone(mut self, phone: LinkedPhone) -> Sandbox {
        self.phones.push(phone);
        self
    }

    /// What happens to messages whose recipient has no playback of its own.
    pub fn with_playback(mut self, playback: Playback) -> Sandbox {
        self.default_playback = playback;
        self
    }

    /// What happens to messages to `to` (E.164, with `+`).
    pub fn set_playback(&self, to: &str, playback: Playback) {
        self.lock().playback_by_recipient.insert(to.to_string(), playback);
    }

    /// The next send fails with `error` (queued: several calls queue several failures).
    pub fn fail_next(&self, error: MessagingError) {
        self.lock().fail_next.push_back(error);
    }

    /// What happens to messages whose recipient has no playback of its own, from now on.
    pub fn set_default_playback(&self, playback: Playback) {
        self.lock().default_playback = Some(playback);
    }

    /// Every EUM call answered, in order (with the calls restored by [`Sandbox::restore_calls`]).
    pub fn calls(&self) -> Vec<EumCall> {
        self.lock().calls.clone()
    }

    /// Continue the call log of an earlier run (local mode's state file).
    pub fn restore_calls(&self, calls: Vec<EumCall>) {
        let mut st = self.lock();
        for c in &calls {
            if c.operation == "CreateWhatsAppDataset" {
                if let (Some(waba), Some(id)) =
                    (c.input.get("id").and_then(Value::as_str), c.output.get("datasetId").and_then(Value::as_str))
                {
                    st.datasets.insert(waba.to_string(), id.to_string());
                }
            }
        }
        st.calls = calls;
    }

    /// Link another number (as EUM has it linked for its webhooks to exist); `false` when a
    /// number with that Meta id is already linked.
    pub fn link_phone(&self, phone: LinkedPhone) -> bool {
        if self.phones().iter().any(|p| p.meta_phone_number_id == phone.meta_phone_number_id) {
            return false;
        }
        self.lock().extra_phones.push(phone);
        true
    }

    /// The numbers linked with [`Sandbox::link_phone`] (not the built-in ones).
    pub fn linked_later(&self) -> Vec<LinkedPhone> {
        self.lock().extra_phones.clone()
    }

    fn record(st: &mut State, operation: &str, input: Value, output: &Result<Value, MessagingError>) {
        let output = match output {
            Ok(v) => v.clone(),
            Err(e) => json!({"error": {"exception": e.exception, "message": e.message}}),
        };
        let seq = st.calls.last().map(|c| c.seq).unwrap_or(0) + 1;
        let at = rfc3339(OffsetDateTime::now_utc());
        st.calls.push(EumCall { seq, at, operation: operation.to_string(), input, output });
        // Bounded: a long `wapipe dev` session or state file keeps the newest calls only.
        if st.calls.len() > MAX_CALLS {
            let excess = st.calls.len() - MAX_CALLS;
            st.calls.drain(..excess);
        }
    }

    /// Every accepted send, in order.
    pub fn sends(&self) -> Vec<SandboxSend> {
        self.lock().sends.clone()
    }

    /// Status notifications (SNS notification JSON) produced since the last call, in order.
    pub fn take_notifications(&self) -> Vec<String> {
        std::mem::take(&mut self.lock().pending)
    }

    /// The linked numbers: the sample number first, then those added.
    pub fn phones(&self) -> Vec<LinkedPhone> {
        let mut all = self.phones.clone();
        all.extend(self.lock().extra_phones.iter().cloned());
        all
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Not EUM's ResourceNotFound (which pages an operator): a local set-up to fix, with the
/// numbers that are linked.
fn unknown_sender(linked: &[LinkedPhone], origination: &str) -> MessagingError {
    let linked: Vec<String> =
        linked.iter().map(|p| format!("{} ({})", p.meta_phone_number_id, p.eum_phone_number_id)).collect();
    MessagingError::answered(
        "ValidationException",
        format!(
            "the sandbox has no linked number {origination}; linked: {}. Replay an EUM event of the number, or `wapipe sandbox phones add`",
            linked.join(", ")
        ),
        Some(400),
    )
}

fn uuid_like(n: u64, seed: &str) -> String {
    let h = hex::encode(Sha256::digest(format!("{seed}:{n}").as_bytes()));
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

/// The statuses Meta would send for one message, as SNS notification bodies.
pub fn status_notifications(
    phone: &LinkedPhone,
    send: &SandboxSend,
    playback: &Playback,
    now: OffsetDateTime,
) -> Vec<String> {
    // A read receipt is no message: Meta sends no status for it.
    if send.message.get("status").and_then(Value::as_str) == Some("read") {
        return Vec::new();
    }
    // A send to a BSUID (`recipient`) comes back with `recipient_user_id` and no phone.
    let bsuid = send.message.get("recipient").and_then(Value::as_str);
    let to = send.message.get("to").and_then(Value::as_str).or(bsuid).unwrap_or_default();
    let recipient = to.trim_start_matches('+');
    let callback = send.message.get("biz_opaque_callback_data").cloned();
    let steps: Vec<(&str, Option<Value>)> = match playback {
        Playback::Read => vec![("sent", None), ("delivered", None), ("read", None)],
        Playback::Delivered => vec![("sent", None), ("delivered", None)],
        Playback::Failed { code, title } => vec![(
            "failed",
            Some(json!([{"code": code, "title": title, "message": title, "error_data": {"details": title}}])),
        )],
    };
    let category =
        if send.message.get("type").and_then(Value::as_str) == Some("template") { "utility" } else { "service" };
    let base = now.unix_timestamp();
    steps
        .into_iter()
        .enumerate()
        .map(|(i, (status, errors))| {
            let mut st = serde_json::Map::new();
            st.insert("id".into(), json!(send.wamid));
            st.insert("status".into(), json!(status));
            st.insert("timestamp".into(), json!((base + i as i64).to_string()));
            match bsuid {
                Some(b) => st.insert("recipient_user_id".into(), json!(b)),
                None => st.insert("recipient_id".into(), json!(recipient)),
            };
            if let Some(cb) = &callback {
                st.insert("biz_opaque_callback_data".into(), cb.clone());
            }
            if let Some(e) = errors {
                st.insert("errors".into(), e);
            } else {
                let conversation = crate::domain::events::hex_prefix(&Sha256::digest(recipient.as_bytes()));
                st.insert("conversation".into(), json!({"id": conversation, "origin": {"type": category}}));
                st.insert(
                    "pricing".into(),
                    json!({"billable": true, "pricing_model": "PMP", "category": category, "type": "regular"}),
                );
            }
            let st = Value::Object(st);
            let entry = json!({"id": phone.waba_id, "changes": [{"field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "918041234567", "phone_number_id": phone.meta_phone_number_id},
                "statuses": [st]}}]});
            let at = now + time::Duration::seconds(i as i64);
            let eum = json!({
                "context": {
                    "MetaWabaIds": [{"wabaId": phone.waba_id, "arn": format!("arn:aws:social-messaging:{SANDBOX_REGION}:{SANDBOX_ACCOUNT}:waba/sandbox")}],
                    "MetaPhoneNumberIds": [{"metaPhoneNumberId": phone.meta_phone_number_id, "arn": phone.arn}],
                },
                "whatsAppWebhookEntry": entry.to_string(),
                "aws_account_id": SANDBOX_ACCOUNT,
                "message_timestamp": rfc3339(at),
            });
            json!({
                "Type": "Notification",
                "MessageId": uuid_like(i as u64, &send.wamid),
                "TopicArn": format!("arn:aws:sns:{SANDBOX_REGION}:{SANDBOX_ACCOUNT}:wapipe-eum-events"),
                "Message": eum.to_string(),
                "Timestamp": rfc3339(at),
            })
            .to_string()
        })
        .collect()
}

impl Sandbox {
    fn send_locked(
        &self,
        st: &mut State,
        origination: &str,
        version: &str,
        message: &Value,
    ) -> Result<String, MessagingError> {
        if let Some(e) = st.fail_next.pop_front() {
            return Err(e);
        }
        let Some(phone) = self.phones.iter().chain(st.extra_phones.iter()).find(|p| p.is(origination)).cloned() else {
            let linked: Vec<LinkedPhone> = self.phones.iter().chain(st.extra_phones.iter()).cloned().collect();
            return Err(unknown_sender(&linked, origination));
        };
        if message.get("messaging_product").and_then(Value::as_str) != Some("whatsapp") {
            return Err(MessagingError::answered("ValidationException", "(#100) messaging_product", Some(400)));
        }
        st.counter += 1;
        let eum_message_id = uuid_like(st.counter, &format!("sandbox-eum-{}", st.nonce));
        let wamid = format!("wamid.SANDBOX{}", &hex::encode(Sha256::digest(eum_message_id.as_bytes()))[..32]);
        let send = SandboxSend {
            eum_message_id: eum_message_id.clone(),
            wamid,
            origination_phone_number_id: origination.to_string(),
            meta_api_version: version.to_string(),
            message: message.clone(),
        };
        let to = send.message.get("to").and_then(Value::as_str).unwrap_or_default();
        let playback = st
            .playback_by_recipient
            .get(to)
            .cloned()
            .or_else(|| st.default_playback.clone())
            .unwrap_or_else(|| self.default_playback.clone());
        let notes = status_notifications(&phone, &send, &playback, OffsetDateTime::now_utc());
        st.pending.extend(notes);
        st.sends.push(send);
        Ok(eum_message_id)
    }
}

impl Messaging for Sandbox {
    async fn send(
        &self,
        origination: &str,
        version: &str,
        message_json: &[u8],
    ) -> Result<EumMessageId, MessagingError> {
        self.latency.wait(Service::Eum).await;
        // The sandbox reads its own phones under the lock: take them first.
        let message: Result<Value, MessagingError> = serde_json::from_slice(message_json)
            .map_err(|_| MessagingError::answered("ValidationException", "(#100) message is not JSON", Some(400)));
        let mut st = self.lock();
        let result = match &message {
            Ok(m) => self.send_locked(&mut st, origination, version, m),
            Err(e) => Err(e.clone()),
        };
        let input = json!({"originationPhoneNumberId": origination, "metaApiVersion": version,
                           "message": message.as_ref().ok()});
        let output = result.as_ref().map(|id| json!({"messageId": id})).map_err(Clone::clone);
        Sandbox::record(&mut st, "SendWhatsAppMessage", input, &output);
        result.map(EumMessageId)
    }

    async fn linked_phones(&self) -> Result<Vec<LinkedPhone>, MessagingError> {
        self.latency.wait(Service::Eum).await;
        Ok(self.phones())
    }
}

impl crate::ports::conversions::ConversionsApi for Sandbox {
    async fn create_dataset(&self, waba: &str) -> Result<String, MessagingError> {
        self.latency.wait(Service::Eum).await;
        let mut st = self.lock();
        let digits: String =
            Sha256::digest(waba.as_bytes()).iter().map(|b| char::from(b'0' + b % 10)).take(15).collect();
        let id = st.datasets.entry(waba.to_string()).or_insert(format!("9{digits}")).clone();
        Sandbox::record(&mut st, "CreateWhatsAppDataset", json!({"id": waba}), &Ok(json!({"datasetId": id})));
        Ok(id)
    }

    async fn send_conversion_events(
        &self,
        waba: &str,
        dataset_id: &str,
        payload: &[u8],
    ) -> Result<String, MessagingError> {
        self.latency.wait(Service::Eum).await;
        let mut st = self.lock();
        let data: Option<Value> = serde_json::from_slice(payload).ok();
        let known = st.datasets.get(waba).map(String::as_str) == Some(dataset_id);
        let result = match &data {
            Some(v) if known && v.get("data").and_then(Value::as_array).is_some_and(|a| !a.is_empty()) => {
                st.counter += 1;
                Ok(uuid_like(st.counter, &format!("sandbox-capi-{}", st.nonce)))
            }
            Some(_) if !known => Err(MessagingError::answered(
                "ValidationException",
                format!("datasetId {dataset_id} is not the dataset of {waba}"),
                Some(400),
            )),
            _ => Err(MessagingError::answered("ValidationException", "eventData must be {\"data\": [...]}", Some(400))),
        };
        let input = json!({"id": waba, "datasetId": dataset_id, "eventData": data});
        let output = result.as_ref().map(|id| json!({"requestId": id})).map_err(Clone::clone);
        Sandbox::record(&mut st, "SendWhatsAppConversionEvent", input, &output);
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::envelope::decode_body;

    #[tokio::test]
    async fn the_call_log_keeps_the_newest_calls_only() {
        let s = Sandbox::new();
        let msg =
            json!({"messaging_product": "whatsapp", "to": "+919876543210", "type": "text", "text": {"body": "hi"}});
        let old: Vec<EumCall> = (1..=MAX_CALLS as u64)
            .map(|seq| EumCall {
                seq,
                at: String::new(),
                operation: "Old".into(),
                input: Value::Null,
                output: Value::Null,
            })
            .collect();
        s.restore_calls(old);
        s.send("106540352242922", "v20.0", msg.to_string().as_bytes()).await.unwrap();
        let calls = s.calls();
        assert_eq!(calls.len(), MAX_CALLS);
        assert_eq!((calls[0].seq, calls.last().map(|c| c.seq)), (2, Some(MAX_CALLS as u64 + 1)));
        assert_eq!(calls.last().unwrap().operation, "SendWhatsAppMessage");
        assert_eq!(calls.last().unwrap().input["message"], msg);
    }

    #[tokio::test]
    async fn records_sends_and_plays_back_decodable_statuses() {
        let s = Sandbox::new();
        s.set_playback("+919800000000", Playback::Failed { code: 131026, title: "Message undeliverable".into() });
        let msg = json!({"messaging_product": "whatsapp", "to": "+919876543210", "type": "text", "text": {"body": "hi"},
                         "biz_opaque_callback_data": "wapipe:r1"});
        let id = s.send("106540352242922", "v20.0", msg.to_string().as_bytes()).await.unwrap();
        assert_eq!(s.sends()[0].eum_message_id, id.0);
        let notes = s.take_notifications();
        assert_eq!(notes.len(), 3);
        for n in &notes {
            let inbound = decode_body(n).expect("decodes like a real notification");
            let text = serde_json::to_string(&inbound.entries).unwrap_or_default();
            assert!(text.contains("wapipe:r1"), "callback data echoed");
        }
        let failing =
            json!({"messaging_product": "whatsapp", "to": "+919800000000", "type": "text", "text": {"body": "x"}});
        s.send("phone-number-id-4db8a4cce7e7d3cbc3ec62a721b7ded3", "v20.0", failing.to_string().as_bytes())
            .await
            .unwrap();
        let notes = s.take_notifications();
        assert_eq!(notes.len(), 1);
        assert!(notes[0].contains("131026"));
        // A read receipt plays back nothing; a send to a BSUID comes back with recipient_user_id.
        let read = json!({"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.X"});
        s.send("106540352242922", "v20.0", read.to_string().as_bytes()).await.unwrap();
        assert!(s.take_notifications().is_empty());
        let to_bsuid =
            json!({"messaging_product": "whatsapp", "recipient": "US.1349", "type": "text", "text": {"body": "hi"}});
        s.send("106540352242922", "v20.0", to_bsuid.to_string().as_bytes()).await.unwrap();
        let notes = s.take_notifications();
        assert_eq!(notes.len(), 3);
        for n in &notes {
            let entry: Value = serde_json::from_str(&decode_body(n).unwrap().entries[0]).unwrap();
            let st = &entry["changes"][0]["value"]["statuses"][0];
            assert_eq!((st["recipient_user_id"].as_str(), st.get("recipient_id")), (Some("US.1349"), None), "{st}");
        }
        s.fail_next(MessagingError::answered("ThrottledRequestException", "Rate exceeded", Some(429)));
        assert!(s.send("106540352242922", "v20.0", b"{}").await.is_err());
        assert!(s.send("999", "v20.0", msg.to_string().as_bytes()).await.is_err());
    }
}
