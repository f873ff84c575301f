//! The fake's mutable state: accounts, templates, media, flows, keys, records and faults.

use std::collections::hash_map::RandomState;
use std::collections::BTreeMap;
use std::hash::{BuildHasher, Hasher};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::EumError;
use crate::faults::Fault;
use crate::model::{Phone, Waba};
use crate::record::Recorded;

/// At most this many requests are kept in memory (oldest dropped first).
pub const MAX_RECORDED: usize = 100_000;

/// A stored message template.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Template {
    /// EUM id of the owning WABA.
    pub waba_id: String,
    /// Meta template id (digits).
    pub meta_template_id: String,
    /// Template name.
    pub name: String,
    /// Language code, e.g. `en_US`.
    pub language: String,
    /// MARKETING, UTILITY or AUTHENTICATION.
    pub category: String,
    /// PENDING, APPROVED, REJECTED, PAUSED, DISABLED.
    pub status: String,
    /// The Meta template JSON (the decoded `templateDefinition`, updated by UpdateWhatsAppMessageTemplate).
    pub definition: Value,
}

/// An uploaded (or registered inbound) media object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Media {
    /// Meta media id.
    pub media_id: String,
    /// Phone id that uploaded it (empty for inbound media).
    pub phone_id: String,
    /// MIME type.
    pub mime_type: String,
    /// Size in KB, as GetWhatsAppMessageMedia reports it.
    pub file_size_kb: i64,
}

/// A stored WhatsApp Flow.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Flow {
    /// EUM id of the owning WABA.
    pub waba_id: String,
    /// Meta flow id (digits).
    pub flow_id: String,
    /// Flow name.
    pub name: String,
    /// Categories, e.g. `SIGN_UP`.
    pub categories: Vec<String>,
    /// DRAFT, PUBLISHED or DEPRECATED.
    pub status: String,
    /// The decoded flow JSON, once uploaded.
    pub flow_json: Option<Value>,
    /// Data endpoint URI.
    pub endpoint_uri: Option<String>,
    /// Validation errors of the current flow JSON.
    pub validation_errors: Vec<String>,
}

/// One successful SendWhatsAppMessage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SentMessage {
    /// The `messageId` returned.
    pub message_id: String,
    /// The `originationPhoneNumberId` as sent (id or ARN).
    pub origination_phone_number_id: String,
    /// `metaApiVersion` as sent.
    pub meta_api_version: String,
    /// The decoded Meta message JSON.
    pub message: Value,
}

/// A successful SendWhatsAppCallEvent.
#[derive(Clone, Debug, PartialEq)]
pub struct CallEvent {
    /// The `originationPhoneNumberId` as sent.
    pub origination_phone_number_id: String,
    /// The `callId` answered.
    pub call_id: String,
    /// The decoded Meta `/calls` body.
    pub body: Value,
}

/// A successful SendWhatsAppConversionEvent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversionEvent {
    /// EUM id (`waba-…`) of the WABA the event was sent for.
    pub waba_id: String,
    /// The dataset id sent (the one CreateWhatsAppDataset made for that WABA).
    pub dataset_id: String,
    /// The decoded `eventData` JSON (`{"data": [...]}`).
    pub payload: Value,
}

/// Initial configuration, restored by `reset`.
#[derive(Clone, Debug)]
pub struct Seed {
    /// Linked WABAs.
    pub wabas: Vec<Waba>,
    /// Phone numbers.
    pub phones: Vec<Phone>,
    /// Templates present at start.
    pub templates: Vec<Template>,
    /// Media present at start (e.g. inbound media ids).
    pub media: Vec<Media>,
    /// Status given to newly created templates.
    pub template_status: String,
}

/// Mutable state behind the server's mutex.
#[derive(Debug)]
pub struct State {
    /// What `reset` restores.
    pub seed: Seed,
    /// Linked WABAs.
    pub wabas: Vec<Waba>,
    /// Phone numbers.
    pub phones: Vec<Phone>,
    /// Templates in creation order.
    pub templates: Vec<Template>,
    /// Media by id.
    pub media: BTreeMap<String, Media>,
    /// Flows in creation order.
    pub flows: Vec<Flow>,
    /// Business public keys (PEM) by phone id.
    pub public_keys: BTreeMap<String, String>,
    /// Recorded API requests.
    pub requests: Vec<Recorded>,
    /// Successful sends.
    pub sent: Vec<SentMessage>,
    /// Call permissions granted by tests: user (phone or BSUID) → (status, expiration epoch seconds).
    pub call_permissions: BTreeMap<String, (String, i64)>,
    /// Successful SendWhatsAppCallEvent requests.
    pub call_events: Vec<CallEvent>,
    /// Tags (key → value) by the tagged resource's ARN.
    pub tags: BTreeMap<String, BTreeMap<String, String>>,
    /// Conversions API dataset id by WABA EUM id.
    pub datasets: BTreeMap<String, String>,
    /// Successful SendWhatsAppConversionEvent requests.
    pub conversion_events: Vec<ConversionEvent>,
    /// Call settings (the `callSettings` JSON as last accepted) by phone EUM id.
    pub call_settings: BTreeMap<String, Value>,
    /// Active faults.
    pub faults: Vec<Fault>,
    next_seq: u64,
    counter: u64,
    hasher: RandomState,
}

impl State {
    /// State from a seed.
    pub fn new(seed: Seed) -> Self {
        let mut st = State {
            seed,
            wabas: Vec::new(),
            phones: Vec::new(),
            templates: Vec::new(),
            media: BTreeMap::new(),
            flows: Vec::new(),
            public_keys: BTreeMap::new(),
            requests: Vec::new(),
            sent: Vec::new(),
            call_permissions: BTreeMap::new(),
            call_events: Vec::new(),
            tags: BTreeMap::new(),
            datasets: BTreeMap::new(),
            conversion_events: Vec::new(),
            call_settings: BTreeMap::new(),
            faults: Vec::new(),
            next_seq: 1,
            counter: 0,
            hasher: RandomState::new(),
        };
        st.reset();
        st
    }

    /// Back to the seed: resources, records, sent messages, tags, datasets, conversion events, call
    /// settings and faults (sequence numbers continue).
    pub fn reset(&mut self) {
        self.wabas = self.seed.wabas.clone();
        self.phones = self.seed.phones.clone();
        self.templates = self.seed.templates.clone();
        self.media = self.seed.media.iter().map(|m| (m.media_id.clone(), m.clone())).collect();
        self.flows.clear();
        self.public_keys.clear();
        self.requests.clear();
        self.sent.clear();
        self.call_permissions.clear();
        self.call_events.clear();
        self.tags.clear();
        self.datasets.clear();
        self.conversion_events.clear();
        self.call_settings.clear();
        self.faults.clear();
    }

    /// Next record sequence number.
    pub fn next_seq(&mut self) -> u64 {
        let s = self.next_seq;
        self.next_seq += 1;
        s
    }

    /// Stores a record, keeping at most [`MAX_RECORDED`].
    pub fn push_record(&mut self, rec: Recorded) {
        if self.requests.len() >= MAX_RECORDED {
            self.requests.remove(0);
        }
        self.requests.push(rec);
    }

    fn random_u64(&mut self) -> u64 {
        self.counter += 1;
        let mut h = self.hasher.build_hasher();
        h.write_u64(self.counter);
        h.finish()
    }

    /// A fresh Meta-style numeric id (16 digits).
    pub fn meta_id(&mut self) -> String {
        format!("{}", 1_000_000_000_000_000 + self.random_u64() % 9_000_000_000_000_000)
    }

    /// A fresh Conversions API dataset id (15 digits).
    pub fn dataset_id(&mut self) -> String {
        format!("{}", 100_000_000_000_000 + self.random_u64() % 900_000_000_000_000)
    }

    /// A fresh UUID-looking id (version 4 layout), like EUM's `messageId`.
    pub fn uuid(&mut self) -> String {
        let a = self.random_u64();
        let b = self.random_u64();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0x0fff,
            0x8000 | ((b >> 48) & 0x3fff),
            b & 0xffff_ffff_ffff
        )
    }

    /// The WABA with this EUM id or ARN.
    pub fn waba(&self, id: &str) -> Option<&Waba> {
        self.wabas.iter().find(|w| w.is(id))
    }

    /// The WABA with this EUM id or ARN, or 404.
    pub fn waba_or_404(&self, id: &str) -> Result<&Waba, EumError> {
        self.waba(id).ok_or_else(|| EumError::not_found(format!("WhatsApp Business Account {id} not found")))
    }

    /// The phone with this EUM id or ARN.
    pub fn phone(&self, id: &str) -> Option<&Phone> {
        self.phones.iter().find(|p| p.is(id))
    }

    /// The phone with this EUM id or ARN, or 404.
    pub fn phone_or_404(&self, id: &str) -> Result<&Phone, EumError> {
        self.phone(id).ok_or_else(|| EumError::not_found(format!("Phone number {id} not found")))
    }

    /// The ARN of the WABA or phone that `arn` names: its exact ARN, or any ARN ending in
    /// `:waba/<id>` / `:phone-number-id/<id>` where `waba-<id>` / `phone-number-id-<id>` is a known EUM id.
    pub fn resource_arn(&self, arn: &str) -> Option<String> {
        if let Some(w) = self.wabas.iter().find(|w| w.arn == arn) {
            return Some(w.arn.clone());
        }
        if let Some(p) = self.phones.iter().find(|p| p.arn == arn) {
            return Some(p.arn.clone());
        }
        if let Some((_, suffix)) = arn.rsplit_once(":waba/") {
            let id = format!("waba-{suffix}");
            return self.wabas.iter().find(|w| w.id == id).map(|w| w.arn.clone());
        }
        if let Some((_, suffix)) = arn.rsplit_once(":phone-number-id/") {
            let id = format!("phone-number-id-{suffix}");
            return self.phones.iter().find(|p| p.id == id).map(|p| p.arn.clone());
        }
        None
    }

    /// Like [`State::resource_arn`], or a 404 naming the ARN.
    pub fn resource_arn_or_404(&self, arn: &str) -> Result<String, EumError> {
        self.resource_arn(arn).ok_or_else(|| EumError::not_found(format!("Resource {arn} not found")))
    }

    /// Removes a WABA, its phones and everything stored for them (tags, dataset, call settings,
    /// public keys). Returns false when no WABA has this EUM id or ARN.
    pub fn remove_waba(&mut self, id: &str) -> bool {
        let Some(waba) = self.waba(id).cloned() else {
            return false;
        };
        let phones: Vec<Phone> = self.phones.iter().filter(|p| self.waba_of(p) == waba.id).cloned().collect();
        self.phones.retain(|p| !phones.iter().any(|gone| gone.id == p.id));
        self.wabas.retain(|w| w.id != waba.id);
        self.tags.remove(&waba.arn);
        self.datasets.remove(&waba.id);
        for p in &phones {
            self.tags.remove(&p.arn);
            self.call_settings.remove(&p.id);
            self.public_keys.remove(&p.id);
        }
        true
    }

    /// EUM id of the WABA a phone belongs to (its own, or the first WABA).
    pub fn waba_of(&self, phone: &Phone) -> String {
        if phone.waba_id.is_empty() {
            self.wabas.first().map(|w| w.id.clone()).unwrap_or_default()
        } else {
            phone.waba_id.clone()
        }
    }

    /// Phone JSON objects of a WABA.
    pub fn phones_of(&self, waba_id: &str) -> Vec<Value> {
        self.phones.iter().filter(|p| self.waba_of(p) == waba_id).map(Phone::json).collect()
    }
}

/// One page of `items`: honours `maxResults` (1..=`limit`, default `limit`) and an opaque
/// `nextToken` produced by an earlier page.
pub fn page(
    items: Vec<Value>,
    max_results: Option<&Value>,
    next_token: Option<&str>,
    limit: usize,
) -> Result<(Vec<Value>, Option<String>), EumError> {
    let max = match max_results {
        None | Some(Value::Null) => limit,
        Some(v) => {
            let n = v
                .as_u64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse::<u64>().ok()))
                .ok_or_else(|| EumError::validation(format!("Invalid maxResults: {v}")))?;
            if n == 0 || n > limit as u64 {
                return Err(EumError::validation(format!(
                    "1 validation error detected: Value '{n}' at 'maxResults' failed to satisfy constraint: \
                     Member must have value between 1 and {limit}"
                )));
            }
            n as usize
        }
    };
    let start = match next_token.filter(|t| !t.is_empty()) {
        None => 0,
        Some(t) => t
            .strip_prefix("fake-eum-page-")
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| *n <= items.len())
            .ok_or_else(|| EumError::validation("Invalid nextToken"))?,
    };
    let end = start.saturating_add(max).min(items.len());
    let next = (end < items.len()).then(|| format!("fake-eum-page-{end}"));
    Ok((items.into_iter().skip(start).take(end - start).collect(), next))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paging_walks_all_items() {
        let items: Vec<Value> = (0..5).map(|i| json!(i)).collect();
        let (p1, t1) = page(items.clone(), Some(&json!(2)), None, 100).unwrap();
        assert_eq!(p1, vec![json!(0), json!(1)]);
        let (p2, t2) = page(items.clone(), Some(&json!("2")), t1.as_deref(), 100).unwrap();
        assert_eq!(p2, vec![json!(2), json!(3)]);
        let (p3, t3) = page(items.clone(), Some(&json!(2)), t2.as_deref(), 100).unwrap();
        assert_eq!(p3, vec![json!(4)]);
        assert!(t3.is_none());
        assert!(page(items.clone(), Some(&json!(0)), None, 100).is_err());
        assert!(page(items, None, Some("garbage"), 100).is_err());
    }

    #[test]
    fn uuid_shape() {
        let mut st = State::new(Seed {
            wabas: vec![],
            phones: vec![],
            templates: vec![],
            media: vec![],
            template_status: "PENDING".into(),
        });
        let u = st.uuid();
        let parts: Vec<&str> = u.split('-').collect();
        assert_eq!(parts.iter().map(|p| p.len()).collect::<Vec<_>>(), vec![8, 4, 4, 4, 12]);
        assert_ne!(u, st.uuid());
        assert_eq!(st.meta_id().len(), 16);
    }
}
