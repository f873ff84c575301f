//! Call actions (docs/PROTOCOL.md §10.2): the Meta `/calls` body that `SendWhatsAppCallEvent`
//! carries unchanged. Checked before any call; errors name the field.

use serde_json::{json, Map, Value};

use super::validate::{self, FieldError, FieldPath};

/// What a call action does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallAction {
    /// Start a business-initiated call to `to` (a phone or a BSUID) with the SDP offer.
    Connect {
        /// The user: E.164 with `+`, or a BSUID (sent as `recipient`).
        to: String,
        /// The SDP offer.
        sdp: String,
        /// Tracking data echoed in the call's webhooks.
        biz_opaque_callback_data: Option<String>,
    },
    /// Answer a user-initiated call early with the SDP answer (media starts before `accept`).
    PreAccept {
        /// Meta's call id (`wacid…`).
        call_id: String,
        /// The SDP answer.
        sdp: String,
    },
    /// Answer a user-initiated call with the SDP answer.
    Accept {
        /// Meta's call id.
        call_id: String,
        /// The SDP answer.
        sdp: String,
        /// Tracking data echoed in the call's webhooks.
        biz_opaque_callback_data: Option<String>,
    },
    /// Decline a user-initiated call.
    Reject {
        /// Meta's call id.
        call_id: String,
    },
    /// End a call.
    Terminate {
        /// Meta's call id.
        call_id: String,
    },
}

/// Most bytes of `biz_opaque_callback_data` (as on messages).
const CALLBACK_MAX: usize = 512;

impl CallAction {
    /// The action's name on the wire (`connect`, `pre_accept`, …).
    pub fn name(&self) -> &'static str {
        match self {
            CallAction::Connect { .. } => "connect",
            CallAction::PreAccept { .. } => "pre_accept",
            CallAction::Accept { .. } => "accept",
            CallAction::Reject { .. } => "reject",
            CallAction::Terminate { .. } => "terminate",
        }
    }

    /// Reads a Meta `/calls` body written by hand (`wapipe calling event FILE`): `action` with
    /// `to`/`recipient` or `call_id`, `session.sdp`, `biz_opaque_callback_data`. The result is
    /// checked again by [`CallAction::body`] before it is sent; errors name the field.
    pub fn from_meta_json(v: &Value) -> Result<CallAction, FieldError> {
        let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        let need = |k: &str| text(k).ok_or_else(|| FieldError::new(k, "required (a string)"));
        match v.get("messaging_product").and_then(Value::as_str) {
            Some("whatsapp") | None => {}
            Some(_) => return Err(FieldError::new("messaging_product", "must be \"whatsapp\"")),
        }
        let sdp = || {
            v.pointer("/session/sdp")
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| FieldError::new("session.sdp", "required (the SDP text)"))
        };
        let callback = text("biz_opaque_callback_data");
        Ok(match need("action")?.as_str() {
            "connect" => CallAction::Connect {
                to: text("to").or_else(|| text("recipient")).ok_or_else(|| FieldError::new("to", "required"))?,
                sdp: sdp()?,
                biz_opaque_callback_data: callback,
            },
            "pre_accept" => CallAction::PreAccept { call_id: need("call_id")?, sdp: sdp()? },
            "accept" => {
                CallAction::Accept { call_id: need("call_id")?, sdp: sdp()?, biz_opaque_callback_data: callback }
            }
            "reject" => CallAction::Reject { call_id: need("call_id")? },
            "terminate" => CallAction::Terminate { call_id: need("call_id")? },
            other => {
                return Err(FieldError::new(
                    "action",
                    format!("{other:?}: connect, pre_accept, accept, reject or terminate"),
                ))
            }
        })
    }

    /// The Meta `/calls` JSON body, after checking every field.
    pub fn body(&self) -> Result<Vec<u8>, FieldError> {
        let mut m = Map::new();
        m.insert("messaging_product".into(), "whatsapp".into());
        let session = |sdp: &str, kind: &str, field: &str| -> Result<Value, FieldError> {
            validate::required(&FieldPath::root(field), sdp)?;
            Ok(json!({"sdp_type": kind, "sdp": sdp}))
        };
        let callback = |m: &mut Map<String, Value>, cb: &Option<String>| -> Result<(), FieldError> {
            if let Some(cb) = cb {
                if cb.len() > CALLBACK_MAX {
                    return Err(FieldError::new("biz_opaque_callback_data", format!("at most {CALLBACK_MAX} bytes")));
                }
                m.insert("biz_opaque_callback_data".into(), cb.as_str().into());
            }
            Ok(())
        };
        match self {
            CallAction::Connect { to, sdp, biz_opaque_callback_data } => {
                validate::recipient(&FieldPath::root("to"), to)?;
                let key = if validate::is_bsuid(to) { "recipient" } else { "to" };
                m.insert(key.into(), to.as_str().into());
                m.insert("action".into(), self.name().into());
                m.insert("session".into(), session(sdp, "offer", "sdp")?);
                callback(&mut m, biz_opaque_callback_data)?;
            }
            CallAction::PreAccept { call_id, sdp } => {
                call(&mut m, call_id, self.name())?;
                m.insert("session".into(), session(sdp, "answer", "sdp")?);
            }
            CallAction::Accept { call_id, sdp, biz_opaque_callback_data } => {
                call(&mut m, call_id, self.name())?;
                m.insert("session".into(), session(sdp, "answer", "sdp")?);
                callback(&mut m, biz_opaque_callback_data)?;
            }
            CallAction::Reject { call_id } | CallAction::Terminate { call_id } => call(&mut m, call_id, self.name())?,
        }
        serde_json::to_vec(&Value::Object(m)).map_err(|e| FieldError::new("call", format!("not serialisable: {e}")))
    }
}

fn call(m: &mut Map<String, Value>, call_id: &str, action: &str) -> Result<(), FieldError> {
    validate::required(&FieldPath::root("call_id"), call_id)?;
    m.insert("call_id".into(), call_id.into());
    m.insert("action".into(), action.into());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(a: &CallAction) -> Value {
        serde_json::from_slice(&a.body().unwrap()).unwrap()
    }

    #[test]
    fn a_meta_body_read_back_is_the_same_action() {
        let actions = [
            CallAction::Connect { to: "US.1349".into(), sdp: "v=0".into(), biz_opaque_callback_data: Some("o".into()) },
            CallAction::PreAccept { call_id: "wacid.1".into(), sdp: "v=0".into() },
            CallAction::Accept { call_id: "wacid.1".into(), sdp: "v=0".into(), biz_opaque_callback_data: None },
            CallAction::Reject { call_id: "wacid.1".into() },
            CallAction::Terminate { call_id: "wacid.1".into() },
        ];
        for a in actions {
            assert_eq!(CallAction::from_meta_json(&body(&a)).unwrap(), a);
        }
        let example: Value = serde_json::from_str(include_str!("../../../../examples/calling/connect.json")).unwrap();
        let connect = CallAction::from_meta_json(&example).unwrap();
        assert_eq!(body(&connect), example, "the example is a complete connect body");
        let err = |v: Value| CallAction::from_meta_json(&v).unwrap_err().path;
        assert_eq!(err(json!({"action": "connect", "to": "+919876543210"})), "session.sdp");
        assert_eq!(err(json!({"action": "terminate"})), "call_id");
        assert_eq!(err(json!({"action": "hold", "call_id": "x"})), "action");
        assert_eq!(err(json!({"messaging_product": "sms", "action": "reject", "call_id": "x"})), "messaging_product");
    }

    #[test]
    fn each_action_is_metas_calls_body() {
        let c = CallAction::Connect { to: "+919876543210".into(), sdp: "v=0".into(), biz_opaque_callback_data: None };
        assert_eq!(
            body(&c),
            json!({"messaging_product": "whatsapp", "to": "+919876543210", "action": "connect",
                   "session": {"sdp_type": "offer", "sdp": "v=0"}})
        );
        let c = CallAction::Connect {
            to: "US.1349".into(),
            sdp: "v=0".into(),
            biz_opaque_callback_data: Some("o-1".into()),
        };
        let b = body(&c);
        assert_eq!((b["recipient"].as_str(), b.get("to")), (Some("US.1349"), None));
        assert_eq!(b["biz_opaque_callback_data"], "o-1");
        let a = CallAction::Accept { call_id: "wacid.1".into(), sdp: "v=0".into(), biz_opaque_callback_data: None };
        assert_eq!(
            body(&a),
            json!({"messaging_product": "whatsapp", "call_id": "wacid.1", "action": "accept",
                   "session": {"sdp_type": "answer", "sdp": "v=0"}})
        );
        assert_eq!(body(&CallAction::Terminate { call_id: "wacid.1".into() })["action"], "terminate");
        assert_eq!(body(&CallAction::PreAccept { call_id: "wacid.1".into(), sdp: "s".into() })["action"], "pre_accept");
    }

    #[test]
    fn bad_fields_are_named() {
        let c = CallAction::Connect { to: "12345".into(), sdp: "v=0".into(), biz_opaque_callback_data: None };
        assert_eq!(c.body().unwrap_err().path, "to");
        let c = CallAction::Connect { to: "+919876543210".into(), sdp: String::new(), biz_opaque_callback_data: None };
        assert_eq!(c.body().unwrap_err().path, "sdp");
        assert_eq!(CallAction::Reject { call_id: String::new() }.body().unwrap_err().path, "call_id");
        let long = CallAction::Connect {
            to: "+919876543210".into(),
            sdp: "v".into(),
            biz_opaque_callback_data: Some("x".repeat(513)),
        };
        assert_eq!(long.body().unwrap_err().path, "biz_opaque_callback_data");
    }
}
