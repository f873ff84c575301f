//! Direct Meta webhooks: `X-Hub-Signature-256` over the raw body, and the GET subscription
//! handshake (`hub.mode`, `hub.verify_token`, `hub.challenge`).

use hmac::{Hmac, Mac};
use sha2::Sha256;

const PREFIX: &str = "sha256=";

/// Why a direct webhook's `X-Hub-Signature-256` is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No header, or an empty one.
    #[error("missing X-Hub-Signature-256 header")]
    Missing,
    /// Not `sha256=` followed by 64 hex digits; says which part is wrong.
    #[error("malformed X-Hub-Signature-256 header: {0}")]
    Malformed(&'static str),
    /// Well formed, but not the HMAC-SHA256 of the body under the app secret.
    #[error("X-Hub-Signature-256 does not match the body")]
    Mismatch,
}

/// Check `X-Hub-Signature-256: sha256=<hex>` = HMAC-SHA256(app secret, raw body), in constant time.
pub fn verify_signature(app_secret: &[u8], body: &[u8], header: Option<&str>) -> Result<(), SignatureError> {
    let header = header.map(str::trim).filter(|h| !h.is_empty()).ok_or(SignatureError::Missing)?;
    let hex_part = header.strip_prefix(PREFIX).ok_or(SignatureError::Malformed("expected the `sha256=` prefix"))?;
    if hex_part.len() != 64 {
        return Err(SignatureError::Malformed("expected 64 hex digits"));
    }
    let expected = hex::decode(hex_part).map_err(|_| SignatureError::Malformed("not hex"))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(app_secret).map_err(|_| SignatureError::Mismatch)?;
    mac.update(body);
    // verify_slice compares in constant time.
    mac.verify_slice(&expected).map_err(|_| SignatureError::Mismatch)
}

/// The header value Meta would send for `body` (for tests, fakes and `wapipe` tooling).
pub fn sign(app_secret: &[u8], body: &[u8]) -> String {
    // HMAC accepts keys of any length; new_from_slice cannot fail for Hmac<Sha256>.
    let mut mac = match Hmac::<Sha256>::new_from_slice(app_secret) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(body);
    format!("{PREFIX}{}", hex::encode(mac.finalize().into_bytes()))
}

/// Why the GET subscription handshake is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// `hub.mode` is missing or not `subscribe`.
    #[error("hub.mode must be `subscribe`")]
    Mode,
    /// `hub.verify_token` differs from the configured token (or none is configured).
    #[error("hub.verify_token does not match")]
    Token,
    /// `hub.challenge` is missing or empty.
    #[error("hub.challenge is missing")]
    Challenge,
}

/// The GET handshake: answer the challenge when mode is `subscribe` and the token matches.
pub fn verify_subscription(
    mode: Option<&str>,
    token: Option<&str>,
    challenge: Option<&str>,
    expected_token: &str,
) -> Result<String, VerifyError> {
    if mode != Some("subscribe") {
        return Err(VerifyError::Mode);
    }
    let token = token.unwrap_or_default();
    // Constant-time compare of the token, as for the signature.
    let same = token.len() == expected_token.len()
        && token.bytes().zip(expected_token.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
    if !same || expected_token.is_empty() {
        return Err(VerifyError::Token);
    }
    challenge.map(str::to_string).filter(|c| !c.is_empty()).ok_or(VerifyError::Challenge)
}

/// Parse `a=b&c=d` (percent-decoding `%XX` and `+`) and return the value of `name`.
pub fn query_param(query: &str, name: &str) -> Option<String> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('=').or(Some((kv, ""))))
        .find_map(|(k, v)| (percent_decode(k).as_deref() == Some(name)).then(|| percent_decode(v)).flatten())
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        match byte {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    // docs/PROTOCOL.md §9.2
    const SECRET: &[u8] = b"test_app_secret";
    const BODY: &[u8] = br#"{"object":"whatsapp_business_account","entry":[]}"#;
    const HEADER: &str = "sha256=dec6a680679a968e7e0319355b23599cbfc54502c0784668e9618baa0c633756";

    #[test]
    fn protocol_vector_verifies_and_signs() {
        assert_eq!(verify_signature(SECRET, BODY, Some(HEADER)), Ok(()));
        assert_eq!(sign(SECRET, BODY), HEADER);
    }

    #[test]
    fn rejects_missing_malformed_wrong_and_altered() {
        assert_eq!(verify_signature(SECRET, BODY, None), Err(SignatureError::Missing));
        assert_eq!(verify_signature(SECRET, BODY, Some("  ")), Err(SignatureError::Missing));
        let no_prefix = HEADER.trim_start_matches("sha256=");
        assert!(matches!(verify_signature(SECRET, BODY, Some(no_prefix)), Err(SignatureError::Malformed(_))));
        let sha1 = HEADER.replace("sha256=", "sha1=");
        assert!(matches!(verify_signature(SECRET, BODY, Some(&sha1)), Err(SignatureError::Malformed(_))));
        assert!(matches!(verify_signature(SECRET, BODY, Some("sha256=abc")), Err(SignatureError::Malformed(_))));
        let not_hex = format!("sha256={}", "z".repeat(64));
        assert!(matches!(verify_signature(SECRET, BODY, Some(&not_hex)), Err(SignatureError::Malformed(_))));
        assert_eq!(verify_signature(b"other", BODY, Some(HEADER)), Err(SignatureError::Mismatch));
        // Every single-byte change of the body breaks it.
        for i in 0..BODY.len() {
            let mut altered = BODY.to_vec();
            altered[i] ^= 1;
            assert_eq!(verify_signature(SECRET, &altered, Some(HEADER)), Err(SignatureError::Mismatch), "byte {i}");
        }
        let mut flipped = HEADER.to_string();
        flipped.replace_range(70..71, if &HEADER[70..71] == "0" { "1" } else { "0" });
        assert_eq!(verify_signature(SECRET, BODY, Some(&flipped)), Err(SignatureError::Mismatch));
    }

    #[test]
    fn subscription_handshake() {
        assert_eq!(verify_subscription(Some("subscribe"), Some("tok"), Some("123"), "tok"), Ok("123".into()));
        assert_eq!(verify_subscription(Some("subscribe"), Some("bad"), Some("123"), "tok"), Err(VerifyError::Token));
        assert_eq!(verify_subscription(Some("subscribe"), None, Some("123"), "tok"), Err(VerifyError::Token));
        assert_eq!(verify_subscription(Some("subscribe"), Some(""), Some("1"), ""), Err(VerifyError::Token));
        assert_eq!(verify_subscription(Some("other"), Some("tok"), Some("1"), "tok"), Err(VerifyError::Mode));
        assert_eq!(verify_subscription(Some("subscribe"), Some("tok"), None, "tok"), Err(VerifyError::Challenge));
    }

    #[test]
    fn query_params_are_percent_decoded() {
        let q = "hub.mode=subscribe&hub.verify_token=a%20b+c&hub.challenge=42&flag";
        assert_eq!(query_param(q, "hub.verify_token").as_deref(), Some("a b c"));
        assert_eq!(query_param(q, "hub.challenge").as_deref(), Some("42"));
        assert_eq!(query_param(q, "flag").as_deref(), Some(""));
        assert_eq!(query_param(q, "nope"), None);
        assert_eq!(query_param("x=%zz", "x"), None);
    }
}
