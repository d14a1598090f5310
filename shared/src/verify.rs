//! Authentication helpers. Every comparison of a secret or signature is constant-time.

use std::sync::OnceLock;

use hmac::{Hmac, KeyInit, Mac};
use lambda_http::http::HeaderMap;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::error::ApiError;

/// What a provider sees of one HTTP delivery.
#[derive(Debug)]
pub struct Delivery<'a> {
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
    pub received_at: chrono::DateTime<chrono::Utc>,
    body_sha256: OnceLock<String>,
}

impl<'a> Delivery<'a> {
    pub fn new(headers: &'a HeaderMap, body: &'a [u8], received_at: chrono::DateTime<chrono::Utc>) -> Self {
        Delivery {
            headers,
            body,
            received_at,
            body_sha256: OnceLock::new(),
        }
    }

    /// Hex SHA-256 of the body, computed once per delivery however many parts ask (dedupe
    /// keys, the stored event, the S3 copy): megabyte proofs are hashed once, not thrice.
    pub fn body_sha256(&self) -> &str {
        self.body_sha256.get_or_init(|| sha256_hex(self.body))
    }

    /// A credential header, which must appear at most once (names are case-insensitive).
    /// A repeated one is refused (401) rather than guessing which copy counts.
    pub fn header(&self, name: &str) -> Result<Option<&'a str>, ApiError> {
        let mut values = self.headers.get_all(name).iter();
        let Some(first) = values.next() else {
            return Ok(None);
        };
        if values.next().is_some() {
            return Err(ApiError::Unauthorized(format!(
                "header {name} appears more than once"
            )));
        }
        first
            .to_str()
            .map(Some)
            .map_err(|_| ApiError::Unauthorized(format!("header {name} is not valid text")))
    }
}

/// Constant-time equality (the length is not secret).
pub fn secure_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

pub fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

/// True if `signature_hex` is the hex HMAC-SHA256 of `body` under `key` (either case).
pub fn verify_hmac_sha256_hex(key: &[u8], body: &[u8], signature_hex: &str) -> bool {
    let Ok(given) = hex::decode(signature_hex.trim()) else {
        return false;
    };
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(body);
    mac.verify_slice(&given).is_ok()
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        let mac = hmac_sha256(b"Jefe", &[b"what do ya want ", b"for nothing?"]);
        assert_eq!(
            hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let sig = "5BDCC146BF60754E6A042426089575C75A003F089D2739839DEC58B964EC3843";
        assert!(verify_hmac_sha256_hex(
            b"Jefe",
            b"what do ya want for nothing?",
            sig
        ));
        assert!(!verify_hmac_sha256_hex(
            b"Jefe",
            b"what do ya want for nothing!",
            sig
        ));
        assert!(!verify_hmac_sha256_hex(
            b"jefe",
            b"what do ya want for nothing?",
            sig
        ));
        assert!(!verify_hmac_sha256_hex(b"Jefe", b"x", "not-hex"));
        assert!(!verify_hmac_sha256_hex(b"Jefe", b"x", ""));
    }

    #[test]
    fn headers_are_case_insensitive_and_single() {
        let mut h = HeaderMap::new();
        h.insert("X-Token", "a".parse().unwrap());
        let d = Delivery::new(&h, b"", chrono::Utc::now());
        assert_eq!(d.header("x-token").unwrap(), Some("a"));
        assert_eq!(d.header("x-other").unwrap(), None);
        h.append("x-token", "b".parse().unwrap());
        let d = Delivery::new(&h, b"", chrono::Utc::now());
        assert_eq!(d.header("X-TOKEN").unwrap_err().status(), 401);
        assert!(secure_eq(b"abc", b"abc") && !secure_eq(b"abc", b"abd") && !secure_eq(b"ab", b"abc"));
    }
}
