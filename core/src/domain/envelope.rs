//! Inbound envelopes: every form in which a WhatsApp webhook reaches wapipe (docs/PROTOCOL.md §1.3).
//!
//! | form | body | layers |
//! |---|---|---|
//! | SQS ← SNS, raw delivery off | SNS notification `{Type, Message, …}` | notification → EUM event → entry |
//! | SQS ← SNS, raw delivery on / SNS `Message` | EUM event `{context, whatsAppWebhookEntry, …}` | EUM event → entry |
//! | direct Meta webhook (Function URL) | `{object, entry: [...]}` | webhook → entries |
//!
//! The result keeps each Meta `entry` element as JSON text; `normalize` parses it.
//! One probe struct reads every form's top-level fields in a single pass.

use serde::Deserialize;
use serde_json::value::RawValue;

/// Which envelope a body was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Form {
    /// SNS notification (SQS subscription with raw delivery off, or an SNS HTTP delivery).
    SnsNotification,
    /// EUM event JSON (raw delivery on, or the `Message` of an SNS record).
    EumEvent,
    /// Meta's own webhook body, from the Function URL.
    MetaWebhook,
}

/// The decoding layer where a body failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    /// The outer body: not JSON, or not any known envelope.
    Body,
    /// The SNS notification: its `Type` is not `Notification`, or its `Message` is missing or not an EUM event.
    SnsNotification,
    /// The EUM event JSON: e.g. `whatsAppWebhookEntry` missing or not a string holding a JSON object.
    EumEvent,
    /// The direct Meta webhook body: `object` not `whatsapp_business_account`, or a bad `entry`.
    MetaWebhook,
    /// One Meta `entry` element (its `changes` and `value`).
    WebhookEntry,
    /// A Lambda event document (SQS or SNS `Records`).
    LambdaEvent,
}

impl std::fmt::Display for Layer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Layer::Body => "body",
            Layer::SnsNotification => "SNS notification",
            Layer::EumEvent => "EUM event",
            Layer::MetaWebhook => "Meta webhook",
            Layer::WebhookEntry => "webhook entry",
            Layer::LambdaEvent => "Lambda event",
        })
    }
}

/// A body that cannot be decoded: says which layer, which field, and what was wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{layer}: {}{message}", field.as_deref().map(|f| format!("field `{f}`: ")).unwrap_or_default())]
pub struct DecodeError {
    /// The decoding layer that failed.
    pub layer: Layer,
    /// The offending field (e.g. `Message`, `whatsAppWebhookEntry`, `Records[0].body`), when one is to blame.
    pub field: Option<String>,
    /// What was wrong, for people (e.g. `missing`, `invalid JSON: …`).
    pub message: String,
}

impl DecodeError {
    /// An error at `layer`, naming `field` when there is one.
    pub fn new(layer: Layer, field: Option<&str>, message: impl Into<String>) -> DecodeError {
        DecodeError { layer, field: field.map(str::to_string), message: message.into() }
    }
}

/// Meta WABA id ↔ EUM WABA ARN, from the envelope `context`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct WabaRef {
    /// Meta's WhatsApp Business Account id (`wabaId`); empty when absent.
    #[serde(rename = "wabaId", default)]
    pub waba_id: String,
    /// EUM's ARN for the WABA (`arn:aws:social-messaging:…:waba/…`); empty when absent.
    #[serde(default)]
    pub arn: String,
}

/// Meta phone number id ↔ EUM phone number ARN, from the envelope `context`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct PhoneRef {
    /// Meta's phone number id (`metaPhoneNumberId`), the `phone_number_id` of webhook metadata; empty when absent.
    #[serde(rename = "metaPhoneNumberId", default)]
    pub meta_phone_number_id: String,
    /// EUM's ARN for the number (`…:phone-number-id/<32hex>`); empty when absent.
    #[serde(default)]
    pub arn: String,
}

impl PhoneRef {
    /// The id EUM's API takes: `phone-number-id-<32hex>` from the ARN's suffix.
    pub fn eum_phone_number_id(&self) -> Option<String> {
        let suffix = self.arn.rsplit_once("phone-number-id/")?.1;
        (!suffix.is_empty()).then(|| format!("phone-number-id-{suffix}"))
    }
}

/// The `context` of an EUM event: the WABAs and phone numbers it concerns (older envelopes put both lists at the
/// top level).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct EumContext {
    /// `MetaWabaIds`: the Meta WABA ids with their EUM ARNs.
    #[serde(rename = "MetaWabaIds", default)]
    pub wabas: Vec<WabaRef>,
    /// `MetaPhoneNumberIds`: the Meta phone number ids with their EUM ARNs.
    #[serde(rename = "MetaPhoneNumberIds", default)]
    pub phones: Vec<PhoneRef>,
}

/// A decoded inbound body.
#[derive(Clone, Debug, PartialEq)]
pub struct Inbound {
    /// Which envelope the body was.
    pub form: Form,
    /// Empty for direct Meta webhooks.
    pub context: EumContext,
    /// Each Meta `entry` element as JSON text.
    pub entries: Vec<String>,
    /// EUM's `aws_account_id` (a string or a number in the event, kept as text); `None` for direct Meta webhooks.
    pub aws_account_id: Option<String>,
    /// EUM's `message_timestamp` (RFC 3339, nanoseconds).
    pub message_timestamp: Option<String>,
    /// EUM's `messageId`, when present.
    pub eum_message_id: Option<String>,
    /// SNS `MessageId`, for the notification form.
    pub sns_message_id: Option<String>,
}

/// Top-level fields of every form, read in one pass. Unknown fields are ignored.
///
/// `E` is how `whatsAppWebhookEntry` is read: first as the JSON string EUM documents (`String`:
/// unescaped while it is read, one pass over the largest field), and only when that fails as
/// raw JSON (`&RawValue`: an inline object, or the error to report).
#[derive(Deserialize)]
struct Probe<'a, E> {
    // SNS notification
    #[serde(rename = "Type", borrow, default)]
    sns_type: Option<std::borrow::Cow<'a, str>>,
    #[serde(rename = "Message", default)]
    sns_message: Option<String>,
    #[serde(rename = "MessageId", default)]
    sns_message_id: Option<String>,
    // EUM event
    #[serde(default)]
    context: Option<EumContext>,
    #[serde(rename = "MetaWabaIds", default)]
    legacy_wabas: Option<Vec<WabaRef>>,
    #[serde(rename = "MetaPhoneNumberIds", default)]
    legacy_phones: Option<Vec<PhoneRef>>,
    #[serde(rename = "whatsAppWebhookEntry")]
    webhook_entry: Option<E>,
    #[serde(default)]
    aws_account_id: Option<serde_json::Value>,
    #[serde(default)]
    message_timestamp: Option<String>,
    #[serde(rename = "messageId", default)]
    eum_message_id: Option<String>,
    // Meta webhook
    #[serde(default)]
    object: Option<String>,
    #[serde(borrow, default)]
    entry: Option<Vec<&'a RawValue>>,
}

/// The value of `whatsAppWebhookEntry` as read by [`Probe`], to the entry's JSON text.
trait EntryField {
    fn into_entry(self, layer: Layer, field: &str) -> Result<String, DecodeError>;
}

impl EntryField for String {
    fn into_entry(self, layer: Layer, field: &str) -> Result<String, DecodeError> {
        if self.trim_start().starts_with('{') {
            Ok(self)
        } else {
            Err(DecodeError::new(layer, Some(field), "the string does not hold a JSON object"))
        }
    }
}

impl EntryField for &RawValue {
    fn into_entry(self, layer: Layer, field: &str) -> Result<String, DecodeError> {
        entry_text(self, layer, field)
    }
}

fn probe<'t, E: Deserialize<'t>>(text: &'t str, layer: Layer) -> Result<Probe<'t, E>, DecodeError> {
    let trimmed = text.trim_start();
    if !trimmed.starts_with('{') {
        let what = if trimmed.is_empty() { "empty body".to_string() } else { "expected a JSON object".to_string() };
        return Err(DecodeError::new(layer, None, what));
    }
    serde_json::from_str::<Probe<'_, E>>(text).map_err(|e| DecodeError::new(layer, None, format!("invalid JSON: {e}")))
}

/// Decode a body in any inbound form (an SQS record body, an SNS `Message`, or an HTTP body).
pub fn decode_body(body: &str) -> Result<Inbound, DecodeError> {
    match probe::<String>(body, Layer::Body) {
        Ok(p) => route(p),
        Err(_) => route(probe::<&RawValue>(body, Layer::Body)?),
    }
}

fn route<E: EntryField>(p: Probe<'_, E>) -> Result<Inbound, DecodeError> {
    if p.sns_type.is_some() || p.sns_message.is_some() {
        return from_sns(p);
    }
    if p.webhook_entry.is_some() || p.context.is_some() || p.legacy_phones.is_some() {
        return from_eum(p, None, Layer::EumEvent);
    }
    if p.object.is_some() || p.entry.is_some() {
        return from_meta(p);
    }
    Err(DecodeError::new(
        Layer::Body,
        None,
        "not an SNS notification (`Type`, `Message`), an EUM event (`whatsAppWebhookEntry`) or a Meta webhook (`object`, `entry`)",
    ))
}

fn from_sns<E>(p: Probe<'_, E>) -> Result<Inbound, DecodeError> {
    let layer = Layer::SnsNotification;
    match p.sns_type.as_deref() {
        Some("Notification") | None => {}
        Some(other) => {
            return Err(DecodeError::new(layer, Some("Type"), format!("`{other}` is not a Notification")));
        }
    }
    let message = p.sns_message.ok_or_else(|| DecodeError::new(layer, Some("Message"), "missing"))?;
    if let Ok(inner) = probe::<String>(&message, Layer::EumEvent) {
        return from_eum(inner, p.sns_message_id, Layer::EumEvent);
    }
    let inner = probe::<&RawValue>(&message, Layer::EumEvent)
        .map_err(|e| DecodeError::new(layer, Some("Message"), format!("not an EUM event: {}", e.message)))?;
    from_eum(inner, p.sns_message_id, Layer::EumEvent)
}

fn from_eum<E: EntryField>(
    p: Probe<'_, E>,
    sns_message_id: Option<String>,
    layer: Layer,
) -> Result<Inbound, DecodeError> {
    let raw = p.webhook_entry.ok_or_else(|| DecodeError::new(layer, Some("whatsAppWebhookEntry"), "missing"))?;
    let entry = raw.into_entry(layer, "whatsAppWebhookEntry")?;
    let context = match p.context {
        Some(c) => c,
        // The older envelope had the id lists at the top level.
        None => EumContext { wabas: p.legacy_wabas.unwrap_or_default(), phones: p.legacy_phones.unwrap_or_default() },
    };
    let aws_account_id = p.aws_account_id.and_then(|v| match v {
        serde_json::Value::String(s) => Some(s),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    });
    Ok(Inbound {
        form: if sns_message_id.is_some() { Form::SnsNotification } else { Form::EumEvent },
        context,
        entries: vec![entry],
        aws_account_id,
        message_timestamp: p.message_timestamp,
        eum_message_id: p.eum_message_id,
        sns_message_id,
    })
}

/// `whatsAppWebhookEntry` is documented as a JSON string holding the entry; accept an inline
/// object too.
fn entry_text(raw: &RawValue, layer: Layer, field: &str) -> Result<String, DecodeError> {
    let text = raw.get();
    if text.starts_with('"') {
        let s: String =
            serde_json::from_str(text).map_err(|e| DecodeError::new(layer, Some(field), format!("bad string: {e}")))?;
        if !s.trim_start().starts_with('{') {
            return Err(DecodeError::new(layer, Some(field), "the string does not hold a JSON object"));
        }
        Ok(s)
    } else if text.starts_with('{') {
        Ok(text.to_string())
    } else {
        Err(DecodeError::new(layer, Some(field), "expected a JSON string holding the webhook entry"))
    }
}

fn from_meta<E>(p: Probe<'_, E>) -> Result<Inbound, DecodeError> {
    let layer = Layer::MetaWebhook;
    match p.object.as_deref() {
        Some("whatsapp_business_account") => {}
        Some(other) => {
            return Err(DecodeError::new(layer, Some("object"), format!("`{other}` is not whatsapp_business_account")))
        }
        None => return Err(DecodeError::new(layer, Some("object"), "missing")),
    }
    let entries = p.entry.ok_or_else(|| DecodeError::new(layer, Some("entry"), "missing"))?;
    let mut out = Vec::with_capacity(entries.len());
    for (i, e) in entries.into_iter().enumerate() {
        if !e.get().starts_with('{') {
            return Err(DecodeError::new(layer, Some(&format!("entry[{i}]")), "expected an object"));
        }
        out.push(e.get().to_string());
    }
    Ok(Inbound {
        form: Form::MetaWebhook,
        context: EumContext::default(),
        entries: out,
        aws_account_id: None,
        message_timestamp: None,
        eum_message_id: None,
        sns_message_id: None,
    })
}

/// The bodies of a whole Lambda event document: an SQS event (`Records[].body`), an SNS event
/// (`Records[].Sns.Message`), or `None` when the document is not a Lambda event (then it is a
/// body itself). Each body comes with the record's id.
pub fn lambda_event_bodies(doc: &str) -> Result<Option<Vec<(String, String)>>, DecodeError> {
    match lambda_event_bodies_fast(doc) {
        Some(bodies) => Ok(Some(bodies)),
        None => lambda_event_bodies_careful(doc),
    }
}

/// [`lambda_event_bodies`] record by record, naming the first one that is wrong.
fn lambda_event_bodies_careful(doc: &str) -> Result<Option<Vec<(String, String)>>, DecodeError> {
    // Typed and borrowing: only the fields read are decoded (a Value tree per record would
    // cost as much as decoding the bodies themselves).
    #[derive(Deserialize)]
    struct Doc<'a> {
        #[serde(rename = "Records", borrow, default)]
        records: Option<Vec<&'a RawValue>>,
    }
    #[derive(Deserialize)]
    struct Record<'a> {
        #[serde(borrow, default)]
        body: Option<&'a RawValue>,
        #[serde(rename = "messageId", default)]
        message_id: Option<String>,
        #[serde(rename = "Sns", borrow, default)]
        sns: Option<&'a RawValue>,
    }
    #[derive(Deserialize)]
    struct Sns {
        #[serde(rename = "Message", default)]
        message: Option<serde_json::Value>,
        #[serde(rename = "MessageId", default)]
        message_id: Option<String>,
    }
    let layer = Layer::LambdaEvent;
    let Ok(doc) = serde_json::from_str::<Doc<'_>>(doc) else { return Ok(None) };
    let Some(records) = doc.records else { return Ok(None) };
    let mut out = Vec::with_capacity(records.len());
    for (i, raw) in records.iter().enumerate() {
        let field = |f: &str| format!("Records[{i}].{f}");
        let r: Record<'_> = serde_json::from_str(raw.get())
            .map_err(|_| DecodeError::new(layer, Some(&format!("Records[{i}]")), "expected an object"))?;
        if let Some(body) = r.body {
            let body: String = serde_json::from_str(body.get())
                .map_err(|_| DecodeError::new(layer, Some(&field("body")), "expected a string"))?;
            out.push((r.message_id.unwrap_or_default(), body));
        } else if let Some(sns) = r.sns {
            let sns: Sns = serde_json::from_str(sns.get())
                .map_err(|_| DecodeError::new(layer, Some(&field("Sns")), "expected an object"))?;
            let Some(serde_json::Value::String(msg)) = sns.message else {
                return Err(DecodeError::new(layer, Some(&field("Sns.Message")), "missing or not a string"));
            };
            out.push((sns.message_id.unwrap_or_default(), msg));
        } else {
            return Err(DecodeError::new(
                layer,
                Some(&format!("Records[{i}]")),
                "neither an SQS record (`body`) nor an SNS record (`Sns`)",
            ));
        }
    }
    Ok(Some(out))
}

/// The well-formed case of [`lambda_event_bodies`] in one pass over the document: every record
/// an SQS record with a string `body` or an SNS record with a string `Message`. `None` for
/// anything else, which the careful path then reads record by record to name what is wrong.
fn lambda_event_bodies_fast(doc: &str) -> Option<Vec<(String, String)>> {
    #[derive(Deserialize)]
    struct Doc {
        #[serde(rename = "Records")]
        records: Vec<Record>,
    }
    #[derive(Deserialize)]
    struct Record {
        #[serde(default)]
        body: Option<String>,
        #[serde(rename = "messageId", default)]
        message_id: Option<String>,
        #[serde(rename = "Sns", default)]
        sns: Option<Sns>,
    }
    #[derive(Deserialize)]
    struct Sns {
        #[serde(rename = "Message")]
        message: String,
        #[serde(rename = "MessageId", default)]
        message_id: Option<String>,
    }
    let doc: Doc = serde_json::from_str(doc).ok()?;
    doc.records
        .into_iter()
        .map(|r| match (r.body, r.sns) {
            (Some(body), _) => Some((r.message_id.unwrap_or_default(), body)),
            (None, Some(sns)) => Some((sns.message_id.unwrap_or_default(), sns.message)),
            (None, None) => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ENTRY: &str = r#"{"id":"1393727385109399","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"393404534569","phone_number_id":"729155140271006"},"statuses":[{"id":"wamid.HBgM","status":"delivered","timestamp":"1758171395","recipient_id":"393462454282"}]},"field":"messages"}]}"#;

    fn eum_event() -> String {
        json!({
            "context": {
                "MetaWabaIds": [{"wabaId": "1393727385109399", "arn": "arn:aws:social-messaging:eu-west-1:123456789012:waba/a9a6973db0a54c8285f8d4e76df62869"}],
                "MetaPhoneNumberIds": [{"metaPhoneNumberId": "729155140271006", "arn": "arn:aws:social-messaging:eu-west-1:123456789012:phone-number-id/5f811eaa4c81499384c496b909afbb1a"}]
            },
            "whatsAppWebhookEntry": ENTRY,
            "aws_account_id": "123456789012",
            "message_timestamp": "2025-09-18T04:56:36.684321927Z"
        })
        .to_string()
    }

    fn sns(message: &str) -> String {
        json!({"Type": "Notification", "MessageId": "9a1b", "TopicArn": "arn:aws:sns:eu-west-1:123456789012:wa-events",
               "Timestamp": "2025-09-18T04:56:36.700Z", "SignatureVersion": "1", "Signature": "x", "Message": message})
        .to_string()
    }

    #[test]
    fn three_layers_from_an_sns_notification() {
        let got = decode_body(&sns(&eum_event())).unwrap();
        assert_eq!(got.form, Form::SnsNotification);
        assert_eq!(got.entries, vec![ENTRY.to_string()]);
        assert_eq!(got.sns_message_id.as_deref(), Some("9a1b"));
        assert_eq!(got.context.wabas[0].waba_id, "1393727385109399");
        assert_eq!(
            got.context.phones[0].eum_phone_number_id().as_deref(),
            Some("phone-number-id-5f811eaa4c81499384c496b909afbb1a")
        );
        assert_eq!(got.aws_account_id.as_deref(), Some("123456789012"));
    }

    #[test]
    fn two_layers_with_raw_delivery() {
        let got = decode_body(&eum_event()).unwrap();
        assert_eq!(got.form, Form::EumEvent);
        assert_eq!(got.entries.len(), 1);
        assert!(got.sns_message_id.is_none());
    }

    #[test]
    fn legacy_envelope_without_context_and_inline_entry() {
        let body = json!({"MetaPhoneNumberIds": [{"metaPhoneNumberId": "1", "arn": "a"}],
                          "whatsAppWebhookEntry": serde_json::from_str::<serde_json::Value>(ENTRY).unwrap()})
        .to_string();
        let got = decode_body(&body).unwrap();
        assert_eq!(got.context.phones[0].meta_phone_number_id, "1");
        assert!(got.entries[0].contains("wamid.HBgM"));
    }

    #[test]
    fn direct_meta_webhook_keeps_every_entry() {
        let body = format!(r#"{{"object":"whatsapp_business_account","entry":[{ENTRY},{ENTRY}]}}"#);
        let got = decode_body(&body).unwrap();
        assert_eq!(got.form, Form::MetaWebhook);
        assert_eq!(got.entries.len(), 2);
    }

    #[test]
    fn errors_name_the_layer_and_field() {
        let e = decode_body("not json").unwrap_err();
        assert_eq!(e.layer, Layer::Body);
        let e = decode_body(&sns("{\"context\":{}}")).unwrap_err();
        assert_eq!((e.layer, e.field.as_deref()), (Layer::EumEvent, Some("whatsAppWebhookEntry")));
        assert_eq!(e.to_string(), "EUM event: field `whatsAppWebhookEntry`: missing");
        let e = decode_body(&sns("[1]")).unwrap_err();
        assert_eq!((e.layer, e.field.as_deref()), (Layer::SnsNotification, Some("Message")));
        let e = decode_body(r#"{"whatsAppWebhookEntry": 5}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("whatsAppWebhookEntry"));
        let e = decode_body(r#"{"whatsAppWebhookEntry": "nope"}"#).unwrap_err();
        assert!(e.message.contains("does not hold a JSON object"));
        let e = decode_body(r#"{"object":"page","entry":[]}"#).unwrap_err();
        assert_eq!((e.layer, e.field.as_deref()), (Layer::MetaWebhook, Some("object")));
        let e = decode_body(r#"{"Type":"SubscriptionConfirmation","Message":"x"}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("Type"));
        let e = decode_body(r#"{"hello":1}"#).unwrap_err();
        assert_eq!(e.layer, Layer::Body);
    }

    #[test]
    fn lambda_event_documents_split_into_bodies() {
        let sqs =
            json!({"Records": [{"messageId": "m1", "eventSource": "aws:sqs", "body": sns(&eum_event())}]}).to_string();
        let bodies = lambda_event_bodies(&sqs).unwrap().unwrap();
        assert_eq!(bodies[0].0, "m1");
        assert!(decode_body(&bodies[0].1).is_ok());
        let snsev =
            json!({"Records": [{"EventSource": "aws:sns", "Sns": {"MessageId": "s1", "Message": eum_event()}}]})
                .to_string();
        let bodies = lambda_event_bodies(&snsev).unwrap().unwrap();
        assert_eq!(bodies[0].0, "s1");
        assert!(lambda_event_bodies(&eum_event()).unwrap().is_none());
        let bad = json!({"Records": [{"x": 1}]}).to_string();
        assert_eq!(lambda_event_bodies(&bad).unwrap_err().field.as_deref(), Some("Records[0]"));
    }

    /// The one-pass reading of a Lambda event gives what the careful one gives, on every sample
    /// event and on mixed, odd and broken documents; where it gives nothing, the careful path
    /// answers (and names the error).
    #[test]
    fn the_fast_reading_of_a_lambda_event_agrees_with_the_careful_one() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../events");
        let mut docs: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect();
        assert!(docs.len() > 20, "read the samples in {}", dir.display());
        let escaped = "{\"a\":\"\\u00e9\\n\"}";
        docs.extend([
            json!({"Records": [{"messageId": "m1", "body": "x"}, {"Sns": {"MessageId": "s", "Message": "y"}}]})
                .to_string(),
            json!({"Records": [{"messageId": "m1", "body": escaped, "Sns": null}]}).to_string(),
            json!({"Records": [{"body": null, "Sns": {"Message": "y"}}]}).to_string(),
            json!({"Records": []}).to_string(),
            json!({"Records": [{"body": 1}]}).to_string(),
            json!({"Records": [{"Sns": {"Message": {"inline": true}}}]}).to_string(),
            json!({"Records": [{"x": 1}]}).to_string(),
            json!({"records": []}).to_string(),
            "[1, 2]".to_string(),
            "{\"Records\": [".to_string(),
        ]);
        let mut fast = 0;
        for doc in &docs {
            let careful = lambda_event_bodies_careful(doc);
            match lambda_event_bodies_fast(doc) {
                Some(bodies) => {
                    fast += 1;
                    assert_eq!(careful, Ok(Some(bodies)), "{doc}");
                }
                None => assert_eq!(lambda_event_bodies(doc), careful, "{doc}"),
            }
        }
        assert!(fast > 20, "the well-formed samples take the fast path ({fast})");
    }
}
