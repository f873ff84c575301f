//! A fake AWS End User Messaging Social (EUM Social) server for tests.
//!
//! It speaks the restJson1 protocol of `aws-sdk-socialmessaging` (docs/PROTOCOL.md §2) on `127.0.0.1`, keeps
//! linked accounts, phone numbers (with call settings), templates, media, flows, public keys, tags and
//! Conversions API datasets and events in memory, records every
//! request (with blob members base64-decoded) and can inject faults.
//!
//! ```no_run
//! # async fn demo() {
//! use wapipe_fake_eum::{EumError, FakeEum};
//! let fake = FakeEum::start().await;
//! // point the SDK at fake.endpoint() …
//! fake.fail_next("SendWhatsAppMessage", 1, EumError::throttled());
//! let sent = fake.sent_messages();
//! # let _ = sent;
//! # }
//! ```
//!
//! Out of process, the `fake-eum` binary serves the same API, and the control API under `/_fake/`
//! (see [`control`]) lets another process read requests and inject faults.

pub mod control;
pub mod error;
pub mod faults;
pub mod model;
pub mod ops;
pub mod record;
pub mod routes;
pub mod server;
pub mod state;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use error::EumError;
pub use faults::{Fault, FaultKind, MessageMatch, OpFilter};
pub use model::{
    Phone, Waba, DEFAULT_ACCOUNT, DEFAULT_META_PHONE_ID, DEFAULT_META_WABA_ID, DEFAULT_PHONE_ID, DEFAULT_PHONE_NUMBER,
    DEFAULT_REGION, DEFAULT_WABA_ID,
};
pub use record::{read_record_file, Recorded};
pub use routes::Op;
pub use state::{CallEvent, ConversionEvent, Flow, Media, SentMessage, Template};

use record::RecordFile;
use server::Shared;
use state::{Seed, State};

/// A running fake EUM Social server. Stops when dropped or on [`FakeEum::shutdown`].
#[derive(Debug)]
pub struct FakeEum {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

/// Configures a [`FakeEum`] before it starts.
#[derive(Debug, Clone)]
pub struct FakeEumBuilder {
    wabas: Vec<Waba>,
    phones: Vec<Phone>,
    templates: Vec<Template>,
    media: Vec<Media>,
    template_status: String,
    listen: SocketAddr,
    record: Option<PathBuf>,
}

impl Default for FakeEumBuilder {
    fn default() -> Self {
        FakeEumBuilder {
            wabas: Vec::new(),
            phones: Vec::new(),
            templates: Vec::new(),
            media: Vec::new(),
            template_status: "PENDING".to_string(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            record: None,
        }
    }
}

impl FakeEumBuilder {
    /// Adds a linked WABA. Without any, one default WABA ([`DEFAULT_WABA_ID`]) exists.
    pub fn waba(mut self, waba: Waba) -> Self {
        self.wabas.push(waba);
        self
    }

    /// Adds a phone number (linked to the first WABA unless [`Phone::waba`] says otherwise).
    /// Without any, one default GREEN phone ([`DEFAULT_PHONE_ID`]) exists.
    pub fn phone(mut self, phone: Phone) -> Self {
        self.phones.push(phone);
        self
    }

    /// Adds a template present from the start.
    pub fn template(mut self, template: Template) -> Self {
        self.templates.push(template);
        self
    }

    /// Registers a media id (e.g. an inbound media id from a webhook) so GetWhatsAppMessageMedia finds it.
    pub fn media(mut self, media_id: &str, mime_type: &str, file_size_kb: i64) -> Self {
        self.media.push(Media {
            media_id: media_id.to_string(),
            phone_id: String::new(),
            mime_type: mime_type.to_string(),
            file_size_kb,
        });
        self
    }

    /// Status of newly created templates (default `PENDING`, as EUM answers).
    pub fn template_status(mut self, status: &str) -> Self {
        self.template_status = status.to_string();
        self
    }

    /// Listen address (default `127.0.0.1:0`). Must be a loopback address.
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// Appends every API request as one JSON line to `path`.
    pub fn record_to(mut self, path: impl Into<PathBuf>) -> Self {
        self.record = Some(path.into());
        self
    }

    fn seed(&self) -> Seed {
        let wabas = if self.wabas.is_empty() { vec![Waba::default()] } else { self.wabas.clone() };
        let phones = if self.phones.is_empty() {
            let first = wabas.first().map(|w| w.id.clone()).unwrap_or_default();
            vec![Phone::default().waba(&first)]
        } else {
            self.phones.clone()
        };
        Seed {
            wabas,
            phones,
            templates: self.templates.clone(),
            media: self.media.clone(),
            template_status: self.template_status.clone(),
        }
    }

    /// Binds and starts serving. Fails on a non-loopback address or a bind error.
    pub async fn try_start(self) -> std::io::Result<FakeEum> {
        if !self.listen.ip().is_loopback() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("fake-eum only listens on loopback addresses, not {}", self.listen),
            ));
        }
        let record = match &self.record {
            Some(p) => Some(RecordFile::open(p)?),
            None => None,
        };
        let listener = TcpListener::bind(self.listen).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared { state: Mutex::new(State::new(self.seed())), record });
        let (stop_tx, stop_rx) = oneshot::channel();
        let task = tokio::spawn(server::serve(listener, shared.clone(), stop_rx));
        Ok(FakeEum { shared, addr, stop: Some(stop_tx), task: Some(task) })
    }

    /// Like [`FakeEumBuilder::try_start`]; panics if the server cannot start (test helper).
    pub async fn start(self) -> FakeEum {
        match self.try_start().await {
            Ok(f) => f,
            Err(e) => panic!("fake-eum failed to start: {e}"),
        }
    }
}

impl FakeEum {
    /// Starts a server with the default account and phone on `127.0.0.1:<free port>`.
    pub async fn start() -> FakeEum {
        FakeEum::builder().start().await
    }

    /// A builder for a configured server.
    pub fn builder() -> FakeEumBuilder {
        FakeEumBuilder::default()
    }

    /// `http://127.0.0.1:PORT`, for `endpoint_url`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops the server and waits (at most 5 s) for it to finish.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
        }
    }

    /// Every recorded API request, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.lock().requests.clone()
    }

    /// Recorded requests of one operation (e.g. `SendWhatsAppMessage`).
    pub fn requests_for(&self, operation: &str) -> Vec<Recorded> {
        self.shared.lock().requests.iter().filter(|r| r.operation == operation).cloned().collect()
    }

    /// Forgets the recorded requests and sent messages (state and faults stay).
    pub fn clear_requests(&self) {
        let mut st = self.shared.lock();
        st.requests.clear();
        st.sent.clear();
    }

    /// The decoded Meta JSON of every successful SendWhatsAppMessage.
    pub fn sent_messages(&self) -> Vec<Value> {
        self.shared.lock().sent.iter().map(|s| s.message.clone()).collect()
    }

    /// Every successful SendWhatsAppMessage with its returned `messageId`.
    pub fn sent(&self) -> Vec<SentMessage> {
        self.shared.lock().sent.clone()
    }

    /// Grants a user (phone `+E164` or BSUID) a call permission: `status` (`temporary`,
    /// `permanent`) until `expires` (epoch seconds).
    pub fn grant_call_permission(&self, user: &str, status: &str, expires: i64) {
        self.shared.lock().call_permissions.insert(user.to_string(), (status.to_string(), expires));
    }

    /// Every successful SendWhatsAppCallEvent.
    pub fn call_events(&self) -> Vec<CallEvent> {
        self.shared.lock().call_events.clone()
    }

    /// Tags (key → value) of the WABA or phone named by `arn` (its ARN, or any ARN ending in
    /// `:waba/<id>` / `:phone-number-id/<id>`); empty when untagged or unknown.
    pub fn tags(&self, arn: &str) -> BTreeMap<String, String> {
        let st = self.shared.lock();
        let arn = st.resource_arn(arn).unwrap_or_else(|| arn.to_string());
        st.tags.get(&arn).cloned().unwrap_or_default()
    }

    /// Every successful SendWhatsAppConversionEvent.
    pub fn conversion_events(&self) -> Vec<ConversionEvent> {
        self.shared.lock().conversion_events.clone()
    }

    /// The dataset id CreateWhatsAppDataset made for a WABA (EUM id or ARN), if any.
    pub fn dataset_of(&self, waba_id: &str) -> Option<String> {
        let st = self.shared.lock();
        let id = st.waba(waba_id).map_or(waba_id, |w| w.id.as_str());
        st.datasets.get(id).cloned()
    }

    /// The `callSettings` JSON last accepted by UpdateLinkedWhatsAppBusinessAccountPhoneNumber for
    /// a phone (EUM id or ARN), if any.
    pub fn call_settings(&self, phone_id: &str) -> Option<Value> {
        let st = self.shared.lock();
        let id = st.phone(phone_id).map_or(phone_id, |p| p.id.as_str());
        st.call_settings.get(id).cloned()
    }

    /// Sets a phone's quality rating (GREEN/YELLOW/RED/UNKNOWN). Returns false for an unknown phone.
    pub fn phone_quality(&self, phone_id: &str, rating: &str) -> bool {
        let mut st = self.shared.lock();
        match st.phones.iter_mut().find(|p| p.is(phone_id)) {
            Some(p) => {
                p.quality_rating = rating.to_string();
                true
            }
            None => false,
        }
    }

    /// The configured phones (current state).
    pub fn phones(&self) -> Vec<Phone> {
        self.shared.lock().phones.clone()
    }

    /// The linked WABAs (current state).
    pub fn wabas(&self) -> Vec<Waba> {
        self.shared.lock().wabas.clone()
    }

    /// Stored templates.
    pub fn templates(&self) -> Vec<Template> {
        self.shared.lock().templates.clone()
    }

    /// Sets the status (e.g. `APPROVED`) of every template named `name`; returns how many changed.
    pub fn set_template_status(&self, name: &str, status: &str) -> usize {
        let mut st = self.shared.lock();
        let mut n = 0;
        for t in st.templates.iter_mut().filter(|t| t.name == name) {
            t.status = status.to_string();
            n += 1;
        }
        n
    }

    /// Stored flows.
    pub fn flows(&self) -> Vec<Flow> {
        self.shared.lock().flows.clone()
    }

    /// Registers a media id (e.g. inbound media from a webhook) for Get/DeleteWhatsAppMessageMedia.
    pub fn add_media(&self, media_id: &str, mime_type: &str, file_size_kb: i64) {
        let media = Media {
            media_id: media_id.to_string(),
            phone_id: String::new(),
            mime_type: mime_type.to_string(),
            file_size_kb,
        };
        self.shared.lock().media.insert(media_id.to_string(), media);
    }

    /// Adds a fault.
    pub fn inject(&self, fault: Fault) {
        self.shared.lock().faults.push(fault);
    }

    /// Fails the next `count` calls of `operation` (`"*"` = any) with `error`.
    pub fn fail_next(&self, operation: &str, count: u32, error: EumError) {
        self.inject(Fault::fail_next(operation, count, error));
    }

    /// Fails every call of `operation` whose decoded message matches `matcher`.
    pub fn fail_when(&self, operation: &str, matcher: MessageMatch, error: EumError) {
        self.inject(Fault::fail_when(operation, matcher, error));
    }

    /// Delays every call of `operation` by `delay` (capped at 60 s).
    pub fn add_latency(&self, operation: &str, delay: Duration) {
        self.inject(Fault::latency(operation, delay));
    }

    /// Removes all faults.
    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    /// Active faults in JSON form.
    pub fn faults(&self) -> Vec<Value> {
        self.shared.lock().faults.iter().map(Fault::to_json).collect()
    }

    /// Back to the initial configuration: resources, records, sent messages, tags, datasets,
    /// conversion events, call settings and faults.
    pub fn reset(&self) {
        self.shared.lock().reset();
    }
}

impl Drop for FakeEum {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
