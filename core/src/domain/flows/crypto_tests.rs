use std::sync::OnceLock;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::{EncodePrivateKey, LineEnding};

use super::*;

// docs/PROTOCOL.md §9.1 (produced with Python `cryptography`, independent of this code).
const KEY: [u8; 16] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
const IV_B64: &str = "EBESExQVFhcYGRobHB0eHw==";
const REQUEST: &str =
    r#"{"version":"3.0","action":"data_exchange","screen":"MY_SCREEN","data":{"name":"Ada"},"flow_token":"tok-123"}"#;
const REQUEST_B64: &str = "vryB0w/BTee4OvmgkgEf9dnfQfwZb8iWi7yl8iI3Er9GXAhvgHcTK86pzqwYnmyfWkXPXDFxkkfBJR1jKi3C2Z9y+bRGBZIuked7eT+SoiXQ7f9P0stDvvscOEilwscWuTkNC6fwt6p/l6m0aLXNck8eRyEfeTCzP1dtBg==";
const RESPONSE: &str =
    r#"{"screen":"SUCCESS","data":{"extension_message_response":{"params":{"flow_token":"tok-123"}}}}"#;
const RESPONSE_B64: &str = "IHgc0GOTW8rcFKPg39GEti8ofXLnLzQtykslLByiWuknKVb5UGQTvElhhCRwnjNelT69iK3cXFgD6ZNiOvUhoBiAljymWwknZRebUb+FmhGv0YDIsu0A9TK4Xv0BeRURFe72ANvVfTBII4Xtrt4=";

fn iv() -> [u8; 16] {
    STANDARD.decode(IV_B64).unwrap().try_into().unwrap()
}

/// Two RSA-2048 keys, generated once per test run (slow in debug builds).
fn keys() -> &'static (RsaPrivateKey, RsaPrivateKey) {
    static KEYS: OnceLock<(RsaPrivateKey, RsaPrivateKey)> = OnceLock::new();
    KEYS.get_or_init(|| (RsaPrivateKey::new(&mut OsRng, 2048).unwrap(), RsaPrivateKey::new(&mut OsRng, 2048).unwrap()))
}

#[test]
fn protocol_vector_decrypts_and_the_response_encrypts_exactly() {
    let data = STANDARD.decode(REQUEST_B64).unwrap();
    assert_eq!(gcm_open(&KEY, &iv(), &data).unwrap(), REQUEST.as_bytes());
    assert_eq!(flip(&iv()), hex_16("efeeedecebeae9e8e7e6e5e4e3e2e1e0"));
    let cipher = ResponseCipher::new(KEY, iv());
    assert_eq!(cipher.encrypt(RESPONSE.as_bytes()), RESPONSE_B64);
    assert_eq!(decrypt_response(&cipher, RESPONSE_B64).unwrap(), RESPONSE.as_bytes());
    // And the request re-encrypts to the same bytes (GCM is deterministic for a key and IV).
    assert_eq!(STANDARD.encode(gcm_seal(&KEY, &iv(), REQUEST.as_bytes())), REQUEST_B64);
}

fn hex_16(s: &str) -> [u8; 16] {
    hex::decode(s).unwrap().try_into().unwrap()
}

#[test]
fn a_fresh_rsa_key_round_trips_a_request_encrypted_as_meta_does() {
    let (current, _) = keys();
    let ring = KeyRing::new(current.clone(), None);
    let (body, meta_side) = encrypt_request_as_meta(&current.to_public_key(), REQUEST.as_bytes(), &mut OsRng).unwrap();
    let d = decrypt_request(&ring, &body).unwrap();
    assert_eq!(d.plaintext, REQUEST.as_bytes());
    assert_eq!(d.key_index, 0);
    let response = d.cipher.encrypt(RESPONSE.as_bytes());
    assert_eq!(decrypt_response(&meta_side, &response).unwrap(), RESPONSE.as_bytes());
}

#[test]
fn the_vector_through_rsa_with_the_protocol_key_and_iv() {
    // The docs/PROTOCOL.md §9.1 AES key wrapped under a fresh RSA key: the whole request path gives the vector.
    let (current, _) = keys();
    let wrapped = current.to_public_key().encrypt(&mut OsRng, Oaep::new::<Sha256>(), &KEY).unwrap();
    let body = EncryptedRequest {
        encrypted_flow_data: REQUEST_B64.into(),
        encrypted_aes_key: STANDARD.encode(wrapped),
        initial_vector: IV_B64.into(),
    };
    let d = decrypt_request(&KeyRing::new(current.clone(), None), &body).unwrap();
    assert_eq!(d.plaintext, REQUEST.as_bytes());
    assert_eq!(d.cipher.encrypt(RESPONSE.as_bytes()), RESPONSE_B64);
}

fn flip_bit(b64: &str, byte: usize) -> String {
    let mut v = STANDARD.decode(b64).unwrap();
    let i = byte.min(v.len() - 1);
    v[i] ^= 0x01;
    STANDARD.encode(v)
}

#[test]
fn one_bit_changed_in_key_iv_tag_or_ciphertext_cannot_decrypt() {
    let (current, _) = keys();
    let ring = KeyRing::new(current.clone(), None);
    let (body, _) = encrypt_request_as_meta(&current.to_public_key(), REQUEST.as_bytes(), &mut OsRng).unwrap();
    let n = STANDARD.decode(&body.encrypted_flow_data).unwrap().len();
    let cases = [
        ("wrapped key", EncryptedRequest { encrypted_aes_key: flip_bit(&body.encrypted_aes_key, 100), ..body.clone() }),
        ("iv", EncryptedRequest { initial_vector: flip_bit(&body.initial_vector, 7), ..body.clone() }),
        ("tag", EncryptedRequest { encrypted_flow_data: flip_bit(&body.encrypted_flow_data, n - 1), ..body.clone() }),
        (
            "ciphertext",
            EncryptedRequest { encrypted_flow_data: flip_bit(&body.encrypted_flow_data, 3), ..body.clone() },
        ),
    ];
    for (what, altered) in cases {
        let err = decrypt_request(&ring, &altered).err();
        assert!(
            matches!(err, Some(CryptoError::KeyUnwrap | CryptoError::Authentication)),
            "{what}: expected a decryption failure, got {err:?}"
        );
    }
    // The AES key itself one bit off (the vector): authentication fails.
    let mut key = KEY;
    key[0] ^= 1;
    assert_eq!(gcm_open(&key, &iv(), &STANDARD.decode(REQUEST_B64).unwrap()), Err(CryptoError::Authentication));
    assert!(decrypt_request(&ring, &body).is_ok(), "the unaltered request still decrypts");
}

#[test]
fn malformed_fields_are_shape_errors_and_short_data_fails_authentication() {
    let (current, _) = keys();
    let ring = KeyRing::new(current.clone(), None);
    let (body, _) = encrypt_request_as_meta(&current.to_public_key(), b"{}", &mut OsRng).unwrap();
    let not_b64 = EncryptedRequest { initial_vector: "***".into(), ..body.clone() };
    assert!(matches!(decrypt_request(&ring, &not_b64), Err(CryptoError::Shape(_))));
    let short_iv = EncryptedRequest { initial_vector: STANDARD.encode([0u8; 12]), ..body.clone() };
    assert!(matches!(decrypt_request(&ring, &short_iv), Err(CryptoError::Shape(_))));
    let short = EncryptedRequest { encrypted_flow_data: STANDARD.encode([1u8; 5]), ..body };
    assert_eq!(decrypt_request(&ring, &short).err(), Some(CryptoError::Authentication));
}

#[test]
fn a_rotated_key_is_accepted_only_while_it_is_the_previous_key() {
    let (old, new) = keys();
    let (body, meta_side) = encrypt_request_as_meta(&old.to_public_key(), REQUEST.as_bytes(), &mut OsRng).unwrap();
    let rotating = KeyRing::new(new.clone(), Some(old.clone()));
    let d = decrypt_request(&rotating, &body).unwrap();
    assert_eq!(d.key_index, 1);
    assert_eq!(decrypt_response(&meta_side, &d.cipher.encrypt(b"ok")).unwrap(), b"ok");
    let rotated = KeyRing::new(new.clone(), None);
    assert_eq!(decrypt_request(&rotated, &body).err(), Some(CryptoError::KeyUnwrap));
}

#[test]
fn keys_load_from_pkcs1_pkcs8_and_encrypted_pkcs8() {
    let (key, _) = keys();
    let pkcs1 = key.to_pkcs1_pem(LineEnding::LF).unwrap();
    let pkcs8 = key.to_pkcs8_pem(LineEnding::LF).unwrap();
    assert_eq!(&load_private_key(&pkcs1, None).unwrap(), key);
    assert_eq!(&load_private_key(&pkcs8, Some("ignored")).unwrap(), key);
    let encrypted = key.to_pkcs8_encrypted_pem(&mut OsRng, b"s3cret", LineEnding::LF).unwrap();
    assert_eq!(&load_private_key(&encrypted, Some("s3cret")).unwrap(), key);
    assert!(matches!(load_private_key(&encrypted, None), Err(KeyError::PassphraseRequired)));
    assert!(matches!(load_private_key(&encrypted, Some("wrong")), Err(KeyError::BadPassphrase)));
    assert!(matches!(load_private_key("not a key", None), Err(KeyError::Unreadable(_))));
    let small = RsaPrivateKey::new(&mut OsRng, 1024).unwrap().to_pkcs8_pem(LineEnding::LF).unwrap();
    assert!(matches!(load_private_key(&small, None), Err(KeyError::TooSmall(1024))));
}
