//! WhatsApp Flows data-exchange encryption (docs/PROTOCOL.md §4.2, §4.3).
//!
//! A request is `{encrypted_flow_data, encrypted_aes_key, initial_vector}`, each base64:
//! the AES-128 key is wrapped with RSA-OAEP (SHA-256, MGF1-SHA-256, empty label) under the
//! business's public key; the flow data is AES-128-GCM with the **16-byte** IV and the tag as
//! its last 16 bytes. The response is AES-128-GCM under the same key with every IV byte
//! flipped (`iv ^ 0xFF`), sent as a base64 string.
//!
//! Private keys are PEM, PKCS#1 (`RSA PRIVATE KEY`) or PKCS#8 (`PRIVATE KEY`), or
//! passphrase-protected PKCS#8 (`ENCRYPTED PRIVATE KEY`). A [`KeyRing`] holds the current
//! key and, during a rotation, the previous one; decryption tries them in that order.

use aes_gcm::aead::consts::U16;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::aes::Aes128;
use aes_gcm::AesGcm;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::rand_core::{CryptoRngCore, OsRng};
use rsa::sha2::Sha256;
use rsa::traits::PublicKeyParts;
use rsa::{Oaep, RsaPrivateKey, RsaPublicKey};
use serde::Deserialize;

/// AES-128-GCM with the 16-byte IV Meta uses (not the usual 12-byte nonce).
type FlowCipher = AesGcm<Aes128, U16>;

/// Length in bytes of the AES-128 key Meta wraps with RSA-OAEP.
pub const AES_KEY_LEN: usize = 16;
/// Length in bytes of the `initial_vector` (Meta uses 16, not GCM's usual 12).
pub const IV_LEN: usize = 16;
/// Length in bytes of the GCM authentication tag, the last bytes of the ciphertext.
pub const TAG_LEN: usize = 16;
/// Meta requires RSA-2048 keys; smaller ones are refused at load.
pub const MIN_RSA_BITS: usize = 2048;

/// The encrypted request body, as Meta posts it. Unknown fields are ignored.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct EncryptedRequest {
    /// The flow data: base64 of AES-128-GCM ciphertext ‖ 16-byte tag.
    pub encrypted_flow_data: String,
    /// The AES-128 key, RSA-OAEP (SHA-256) wrapped under the business's public key, in base64.
    pub encrypted_aes_key: String,
    /// The 16-byte IV, in base64.
    pub initial_vector: String,
}

/// Why a key could not be loaded (init fails on it).
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The key is `ENCRYPTED PRIVATE KEY` and no (or an empty) passphrase was given.
    #[error("the private key is passphrase-protected (ENCRYPTED PRIVATE KEY): a passphrase is required")]
    PassphraseRequired,
    /// The passphrase did not decrypt the key, or its cipher is unsupported.
    #[error("the private key could not be decrypted with the passphrase (or its cipher is unsupported)")]
    BadPassphrase,
    /// Not a PEM RSA private key in a supported form; the parser's message.
    #[error("not a PEM RSA private key (expected RSA PRIVATE KEY, PRIVATE KEY or ENCRYPTED PRIVATE KEY): {0}")]
    Unreadable(String),
    /// Not a PEM RSA public key (or a private key given instead); the parser's message.
    #[error("not a PEM RSA public key (expected PUBLIC KEY or RSA PUBLIC KEY): {0}")]
    PublicKey(String),
    /// The RSA modulus, in bits, is below [`MIN_RSA_BITS`].
    #[error("RSA key of {0} bits: WhatsApp Flows needs at least {MIN_RSA_BITS}")]
    TooSmall(usize),
    /// Generating or PEM-encoding a key failed; the library's message.
    #[error("cannot encode the key: {0}")]
    Encode(String),
}

/// Why a request could not be decrypted. `Shape` is a malformed body (HTTP 400); the others
/// mean "cannot decrypt" (HTTP 421: Meta re-fetches the public key and retries).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// A malformed body: a field not base64, or an IV that is not 16 bytes (HTTP 400).
    #[error("malformed request: {0}")]
    Shape(String),
    /// No configured private key unwraps `encrypted_aes_key` (HTTP 421).
    #[error("the AES key cannot be unwrapped with any configured private key")]
    KeyUnwrap,
    /// The GCM tag does not verify: wrong key, IV, tag or ciphertext, or data shorter than the tag (HTTP 421).
    #[error("the flow data does not authenticate (wrong key, IV, tag or ciphertext)")]
    Authentication,
}

/// Load a PEM private key: PKCS#1, PKCS#8, or encrypted PKCS#8 with `passphrase`.
pub fn load_private_key(pem: &str, passphrase: Option<&str>) -> Result<RsaPrivateKey, KeyError> {
    let pem = pem.trim();
    let key = if pem.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
        let pass = passphrase.filter(|p| !p.is_empty()).ok_or(KeyError::PassphraseRequired)?;
        RsaPrivateKey::from_pkcs8_encrypted_pem(pem, pass.as_bytes()).map_err(|_| KeyError::BadPassphrase)?
    } else if pem.contains("-----BEGIN RSA PRIVATE KEY-----") {
        RsaPrivateKey::from_pkcs1_pem(pem).map_err(|e| KeyError::Unreadable(e.to_string()))?
    } else {
        RsaPrivateKey::from_pkcs8_pem(pem).map_err(|e| KeyError::Unreadable(e.to_string()))?
    };
    let bits = key.size() * 8;
    if bits < MIN_RSA_BITS {
        return Err(KeyError::TooSmall(bits));
    }
    Ok(key)
}

/// A fresh RSA-2048 key pair: (private key PKCS#8 PEM, public key SPKI PEM). With a
/// passphrase the private key is encrypted PKCS#8 (PBES2, scrypt + AES-256-CBC).
pub fn generate_key_pair(passphrase: Option<&str>) -> Result<(String, String), KeyError> {
    let key = RsaPrivateKey::new(&mut OsRng, MIN_RSA_BITS).map_err(|e| KeyError::Encode(e.to_string()))?;
    let private = match passphrase.filter(|p| !p.is_empty()) {
        Some(p) => key.to_pkcs8_encrypted_pem(&mut OsRng, p.as_bytes(), LineEnding::LF),
        None => key.to_pkcs8_pem(LineEnding::LF),
    }
    .map_err(|e| KeyError::Encode(e.to_string()))?;
    let public = public_key_pem(&key.to_public_key())?;
    Ok((private.to_string(), public))
}

/// The public key as SPKI PEM (`PUBLIC KEY`), the form EUM's PutWhatsAppBusinessPublicKey takes.
pub fn public_key_pem(key: &RsaPublicKey) -> Result<String, KeyError> {
    key.to_public_key_pem(LineEnding::LF).map_err(|e| KeyError::Encode(e.to_string()))
}

/// The private keys the endpoint accepts: the current one, and the previous one while a
/// rotation is in progress (Meta may still encrypt to the old public key for a while).
pub struct KeyRing {
    keys: Vec<RsaPrivateKey>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing").field("keys", &self.keys.len()).finish_non_exhaustive()
    }
}

impl KeyRing {
    /// A ring of the current key and, during a rotation, the previous one (tried in that order).
    pub fn new(current: RsaPrivateKey, previous: Option<RsaPrivateKey>) -> KeyRing {
        KeyRing { keys: std::iter::once(current).chain(previous).collect() }
    }

    /// The current key's public half (what EUM should have registered).
    pub fn public_key(&self) -> Option<RsaPublicKey> {
        self.keys.first().map(RsaPrivateKey::to_public_key)
    }

    /// Unwrap the AES key with the first key that accepts it: `(key, index)` where 0 is the
    /// current key and 1 the previous. Blinded RSA decryption (timing-safe against the key).
    fn unwrap(&self, wrapped: &[u8]) -> Result<([u8; AES_KEY_LEN], usize), CryptoError> {
        for (i, key) in self.keys.iter().enumerate() {
            if let Ok(k) = key.decrypt_blinded(&mut OsRng, Oaep::new::<Sha256>(), wrapped) {
                if let Ok(k) = <[u8; AES_KEY_LEN]>::try_from(k.as_slice()) {
                    return Ok((k, i));
                }
            }
        }
        Err(CryptoError::KeyUnwrap)
    }
}

/// A decrypted request: its plaintext and what the response must be encrypted with.
pub struct Decrypted {
    /// The decrypted flow data: JSON text (docs/PROTOCOL.md §4.4).
    pub plaintext: Vec<u8>,
    /// Encrypts the response with this request's AES key and flipped IV.
    pub cipher: ResponseCipher,
    /// 0 when the current key unwrapped the AES key, 1 for the previous key (rotation).
    pub key_index: usize,
}

/// The AES key and IV of one request; encrypts that request's response.
#[derive(Clone)]
pub struct ResponseCipher {
    key: [u8; AES_KEY_LEN],
    iv: [u8; IV_LEN],
}

impl std::fmt::Debug for ResponseCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ResponseCipher(..)")
    }
}

impl ResponseCipher {
    /// A cipher for the response to a request with this AES key and (unflipped) IV.
    pub fn new(key: [u8; AES_KEY_LEN], iv: [u8; IV_LEN]) -> ResponseCipher {
        ResponseCipher { key, iv }
    }

    /// The response body: base64 of AES-128-GCM(key, flipped IV, plaintext) ‖ tag.
    pub fn encrypt(&self, plaintext: &[u8]) -> String {
        STANDARD.encode(gcm_seal(&self.key, &flip(&self.iv), plaintext))
    }
}

/// Decode and decrypt a request body (already parsed as JSON).
pub fn decrypt_request(keys: &KeyRing, req: &EncryptedRequest) -> Result<Decrypted, CryptoError> {
    let b64 = |name: &str, v: &str| {
        STANDARD.decode(v.trim().as_bytes()).map_err(|_| CryptoError::Shape(format!("`{name}` is not base64")))
    };
    let data = b64("encrypted_flow_data", &req.encrypted_flow_data)?;
    let wrapped = b64("encrypted_aes_key", &req.encrypted_aes_key)?;
    let iv = b64("initial_vector", &req.initial_vector)?;
    let iv: [u8; IV_LEN] = iv
        .as_slice()
        .try_into()
        .map_err(|_| CryptoError::Shape(format!("`initial_vector` has {} bytes, expected {IV_LEN}", iv.len())))?;
    let (key, key_index) = keys.unwrap(&wrapped)?;
    let plaintext = gcm_open(&key, &iv, &data)?;
    Ok(Decrypted { plaintext, cipher: ResponseCipher { key, iv }, key_index })
}

/// AES-128-GCM decryption of `ciphertext ‖ tag` with the 16-byte IV, no AAD.
pub fn gcm_open(key: &[u8; AES_KEY_LEN], iv: &[u8; IV_LEN], data: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if data.len() < TAG_LEN {
        return Err(CryptoError::Authentication);
    }
    let cipher = FlowCipher::new(key.into());
    cipher.decrypt(iv.into(), Payload { msg: data, aad: &[] }).map_err(|_| CryptoError::Authentication)
}

/// AES-128-GCM encryption with the 16-byte IV, no AAD: `ciphertext ‖ tag`.
pub fn gcm_seal(key: &[u8; AES_KEY_LEN], iv: &[u8; IV_LEN], plaintext: &[u8]) -> Vec<u8> {
    let cipher = FlowCipher::new(key.into());
    // Encryption into a Vec fails only past GCM's 64 GiB message limit, far beyond any body.
    cipher.encrypt(iv.into(), Payload { msg: plaintext, aad: &[] }).unwrap_or_default()
}

/// Every byte of the IV inverted: the response IV.
pub fn flip(iv: &[u8; IV_LEN]) -> [u8; IV_LEN] {
    iv.map(|b| b ^ 0xFF)
}

/// Encrypt a request as Meta's client does (tests, benchmarks, `wapipe` tooling): a fresh
/// AES key and IV from `rng` unless given; returns the body and the cipher for the response.
pub fn encrypt_request_as_meta(
    public: &RsaPublicKey,
    plaintext: &[u8],
    rng: &mut impl CryptoRngCore,
) -> Result<(EncryptedRequest, ResponseCipher), CryptoError> {
    let mut key = [0u8; AES_KEY_LEN];
    let mut iv = [0u8; IV_LEN];
    rng.fill_bytes(&mut key);
    rng.fill_bytes(&mut iv);
    let wrapped = public
        .encrypt(rng, Oaep::new::<Sha256>(), &key)
        .map_err(|e| CryptoError::Shape(format!("cannot wrap the AES key: {e}")))?;
    let body = EncryptedRequest {
        encrypted_flow_data: STANDARD.encode(gcm_seal(&key, &iv, plaintext)),
        encrypted_aes_key: STANDARD.encode(wrapped),
        initial_vector: STANDARD.encode(iv),
    };
    Ok((body, ResponseCipher { key, iv }))
}

/// Decrypt a response body as Meta's client does (tests and tooling).
pub fn decrypt_response(cipher: &ResponseCipher, body: &str) -> Result<Vec<u8>, CryptoError> {
    let data =
        STANDARD.decode(body.trim().as_bytes()).map_err(|_| CryptoError::Shape("response is not base64".into()))?;
    gcm_open(&cipher.key, &flip(&cipher.iv), &data)
}

/// Read a public key: SPKI PEM (`PUBLIC KEY`) or PKCS#1 PEM (`RSA PUBLIC KEY`), RSA-2048 or more.
/// A private key is refused with a message saying so (it must never be uploaded).
pub fn parse_public_key(pem: &str) -> Result<RsaPublicKey, KeyError> {
    use rsa::pkcs1::DecodeRsaPublicKey;
    use rsa::pkcs8::DecodePublicKey;
    let pem = pem.trim();
    if pem.contains("PRIVATE KEY-----") {
        return Err(KeyError::PublicKey("this is a private key; give the public key".into()));
    }
    let key = if pem.contains("-----BEGIN RSA PUBLIC KEY-----") {
        RsaPublicKey::from_pkcs1_pem(pem).map_err(|e| KeyError::PublicKey(e.to_string()))?
    } else {
        RsaPublicKey::from_public_key_pem(pem).map_err(|e| KeyError::PublicKey(e.to_string()))?
    };
    if key_bits(&key) < MIN_RSA_BITS {
        return Err(KeyError::TooSmall(key_bits(&key)));
    }
    Ok(key)
}

/// The modulus size in bits of a public key.
pub fn key_bits(key: &RsaPublicKey) -> usize {
    key.size() * 8
}

#[cfg(test)]
#[path = "crypto_tests.rs"]
mod tests;
