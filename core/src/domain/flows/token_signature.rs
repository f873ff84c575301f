//! `flow_token_signature` (docs/PROTOCOL.md §10.6): on Flow JSON 7.3 and later with Data API 4.0,
//! the decrypted data-exchange request carries a JWT, HS256, signed with the Meta app secret,
//! whose payload holds the flow token. Verifying it proves the token came from Meta for this
//! app, and the embedded token must be the request's `flow_token`.
//!
//! The claim names and the expiry are UNVERIFIED: the token is looked for under `flow_token`,
//! and `exp` (epoch seconds) is checked when present. A payload without a `flow_token` claim is
//! accepted once its signature holds ([`TokenSignature::NoTokenClaim`], for a warning).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

/// What a valid signature said about the token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenSignature {
    /// Signed by the app secret, and its `flow_token` claim is the request's token.
    Matches,
    /// Signed by the app secret, without a `flow_token` claim to compare (the claim name is
    /// unverified): accepted, worth a warning.
    NoTokenClaim,
}

/// Why a `flow_token_signature` is refused (the endpoint answers 427).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenSignatureError {
    /// Not three base64url parts with a JSON header and payload; says which part.
    #[error("malformed flow_token_signature: {0}")]
    Malformed(&'static str),
    /// Signed with another algorithm than HS256 (including `none`).
    #[error("flow_token_signature uses {0}, not HS256")]
    Algorithm(String),
    /// Not signed by this app's secret.
    #[error("flow_token_signature is not signed by the app secret")]
    Signature,
    /// Its `exp` has passed.
    #[error("flow_token_signature expired")]
    Expired,
    /// Signed, but for another flow token.
    #[error("flow_token_signature names another flow token")]
    TokenMismatch,
}

/// Verify `jwt` against the app secret, the request's `flow_token` and the time `now_secs`.
///
/// # Errors
///
/// [`TokenSignatureError`]: malformed, another algorithm, a bad signature, expired, or another
/// token.
pub fn verify_token_signature(
    jwt: &str,
    app_secret: &[u8],
    flow_token: &str,
    now_secs: i64,
) -> Result<TokenSignature, TokenSignatureError> {
    let mut parts = jwt.trim().split('.');
    let (Some(header), Some(payload), Some(signature), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenSignatureError::Malformed("expected header.payload.signature"));
    };
    let signing_input = format!("{header}.{payload}");
    let header: Value =
        decode_json(header).ok_or(TokenSignatureError::Malformed("the header is not base64url JSON"))?;
    match header.get("alg").and_then(Value::as_str) {
        Some("HS256") => {}
        Some(other) => return Err(TokenSignatureError::Algorithm(other.to_string())),
        None => return Err(TokenSignatureError::Malformed("the header has no alg")),
    }
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| TokenSignatureError::Malformed("the signature is not base64url"))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(app_secret).map_err(|_| TokenSignatureError::Signature)?;
    mac.update(signing_input.as_bytes());
    // verify_slice compares in constant time.
    mac.verify_slice(&signature).map_err(|_| TokenSignatureError::Signature)?;
    let claims: Value =
        decode_json(payload).ok_or(TokenSignatureError::Malformed("the payload is not base64url JSON"))?;
    if let Some(exp) = claims.get("exp").and_then(Value::as_i64) {
        if exp < now_secs {
            return Err(TokenSignatureError::Expired);
        }
    }
    match claims.get("flow_token").and_then(Value::as_str) {
        Some(t) if t == flow_token => Ok(TokenSignature::Matches),
        Some(_) => Err(TokenSignatureError::TokenMismatch),
        None => Ok(TokenSignature::NoTokenClaim),
    }
}

fn decode_json(part: &str) -> Option<Value> {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).ok()?).ok()
}

/// A JWT signed like Meta's, for tests and the fake servers: HS256 over `claims`.
pub fn sign_token_signature(app_secret: &[u8], claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signing_input = format!("{header}.{payload}");
    let signature = match Hmac::<Sha256>::new_from_slice(app_secret) {
        Ok(mut mac) => {
            mac.update(signing_input.as_bytes());
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        }
        // HMAC takes keys of any length: not reached.
        Err(_) => String::new(),
    };
    format!("{signing_input}.{signature}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SECRET: &[u8] = b"app-secret";

    #[test]
    fn a_signature_by_the_app_secret_for_this_token_holds() {
        let jwt = sign_token_signature(SECRET, &json!({"flow_token": "tok-1", "exp": 2_000}));
        assert_eq!(verify_token_signature(&jwt, SECRET, "tok-1", 1_000), Ok(TokenSignature::Matches));
        assert_eq!(verify_token_signature(&jwt, SECRET, "tok-2", 1_000), Err(TokenSignatureError::TokenMismatch));
        assert_eq!(verify_token_signature(&jwt, SECRET, "tok-1", 2_001), Err(TokenSignatureError::Expired));
        assert_eq!(verify_token_signature(&jwt, b"other", "tok-1", 1_000), Err(TokenSignatureError::Signature));
        let without = sign_token_signature(SECRET, &json!({"iat": 1}));
        assert_eq!(verify_token_signature(&without, SECRET, "tok-1", 1_000), Ok(TokenSignature::NoTokenClaim));
    }

    #[test]
    fn a_tampered_or_unsigned_token_is_refused_and_never_panics() {
        let jwt = sign_token_signature(SECRET, &json!({"flow_token": "tok-1"}));
        let parts: Vec<&str> = jwt.split('.').collect();
        let forged_payload = URL_SAFE_NO_PAD.encode(json!({"flow_token": "tok-2"}).to_string());
        let forged = format!("{}.{forged_payload}.{}", parts[0], parts[2]);
        assert_eq!(verify_token_signature(&forged, SECRET, "tok-2", 0), Err(TokenSignatureError::Signature));
        let none = format!("{}.{}.", URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#), parts[1]);
        assert_eq!(
            verify_token_signature(&none, SECRET, "tok-1", 0),
            Err(TokenSignatureError::Algorithm("none".into()))
        );
        for bad in ["", "a", "a.b", "a.b.c.d", "!!.!!.!!", "e30.e30.%%", ".."] {
            assert!(
                matches!(verify_token_signature(bad, SECRET, "t", 0), Err(TokenSignatureError::Malformed(_))),
                "{bad}"
            );
        }
    }
}
