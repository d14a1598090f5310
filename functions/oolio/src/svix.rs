//! Svix webhook signatures, as Oolio's sender signs them:
//! `svix-signature: v1,<base64 HMAC-SHA256(key, "{svix-id}.{svix-timestamp}.{body}")>`,
//! possibly several space-separated; the key is the base64 after `whsec_`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, TimeDelta, Utc};
use ordergate_shared::secrets::SecretError;
use ordergate_shared::verify::{hmac_sha256, secure_eq, Delivery};
use ordergate_shared::ApiError;

/// Svix's own tolerance: older or newer timestamps are replays (or clock trouble).
pub const TOLERANCE_SECONDS: i64 = 5 * 60;

/// The Svix message id: identical on every retry of one message.
pub fn message_id<'a>(delivery: &Delivery<'a>) -> Result<Option<&'a str>, ApiError> {
    first_header(delivery, "svix-id", "webhook-id")
}

/// When Svix created the message, read from its id: Svix's ids are `msg_` + a KSUID, whose
/// first 4 bytes are seconds since 2014-05-13T16:53:20Z. The same on every retry of the
/// message (unlike `svix-timestamp`, the time of each attempt), so it orders an order's
/// updates that carry no time of their own. `None` for an id that is not a KSUID, or
/// whose time is implausible for a message received at `received` (over 30 days before
/// it, or after it: a 27-character id that only looks like one).
pub fn message_time(id: &str, received: DateTime<Utc>) -> Option<DateTime<Utc>> {
    const KSUID_EPOCH: i64 = 1_400_000_000;
    const DIGITS: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let ksuid = id.strip_prefix("msg_")?.as_bytes();
    if ksuid.len() != 27 {
        return None;
    }
    // 27 base62 digits → 20 big-endian bytes.
    let mut bytes = [0_u8; 20];
    for c in ksuid {
        let mut carry = DIGITS.iter().position(|d| d == c)? as u32;
        for b in bytes.iter_mut().rev() {
            let v = u32::from(*b) * 62 + carry;
            *b = v as u8;
            carry = v >> 8;
        }
        if carry != 0 {
            return None;
        }
    }
    let seconds = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    let at = DateTime::from_timestamp(KSUID_EPOCH + i64::from(seconds), 0)?;
    (at <= received && received - at <= TimeDelta::days(30)).then_some(at)
}

/// Svix sends `svix-*` headers; its unbranded mode (Standard Webhooks) sends `webhook-*`.
fn first_header<'a>(
    delivery: &Delivery<'a>,
    svix: &str,
    standard: &str,
) -> Result<Option<&'a str>, ApiError> {
    Ok(delivery.header(svix)?.or(delivery.header(standard)?))
}

fn unauthorized(message: &str) -> ApiError {
    ApiError::Unauthorized(message.to_owned())
}

/// Decodes `whsec_<base64>` secrets (space or comma separated; several during rotation).
pub fn keys(secrets: &str) -> Result<Vec<Vec<u8>>, SecretError> {
    secrets
        .split([' ', ','])
        .filter(|s| !s.is_empty())
        .map(|s| {
            let b64 = s.strip_prefix("whsec_").unwrap_or(s);
            STANDARD.decode(b64).map_err(|_| SecretError::Unusable {
                key: crate::SIGNING_SECRETS.into(),
                problem: "has a key that is not whsec_<base64>".into(),
            })
        })
        .collect()
}

/// The `svix-signature` value Svix would send (for tests and the operator CLI).
pub fn sign(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    let ts = timestamp.to_string();
    let mac = hmac_sha256(key, &[id.as_bytes(), b".", ts.as_bytes(), b".", body]);
    format!("v1,{}", STANDARD.encode(mac))
}

pub fn verify(delivery: &Delivery<'_>, keys: &[Vec<u8>]) -> Result<(), ApiError> {
    let id = message_id(delivery)?.ok_or_else(|| unauthorized("missing svix-id"))?;
    let timestamp = first_header(delivery, "svix-timestamp", "webhook-timestamp")?
        .ok_or_else(|| unauthorized("missing svix-timestamp"))?;
    let signatures = first_header(delivery, "svix-signature", "webhook-signature")?
        .ok_or_else(|| unauthorized("missing svix-signature"))?;
    let sent: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| unauthorized("svix-timestamp is not a number"))?;
    // abs_diff: an extreme timestamp (i64::MIN) must be "too far", not an overflow.
    if delivery.received_at.timestamp().abs_diff(sent) > TOLERANCE_SECONDS.unsigned_abs() {
        return Err(unauthorized("svix-timestamp is more than 5 minutes from now"));
    }
    let expected: Vec<[u8; 32]> = keys
        .iter()
        .map(|key| {
            hmac_sha256(
                key,
                &[id.as_bytes(), b".", timestamp.as_bytes(), b".", delivery.body],
            )
        })
        .collect();
    // Every (signature, key) pair is compared, so timing does not tell which one matched.
    let matched = signatures
        .split(' ')
        .filter_map(|s| s.strip_prefix("v1,"))
        .filter_map(|b64| STANDARD.decode(b64).ok())
        .fold(false, |ok, given| {
            expected.iter().fold(ok, |ok, e| secure_eq(&given, e) | ok)
        });
    if matched {
        Ok(())
    } else {
        Err(unauthorized("no svix signature matches"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::http::HeaderMap;

    /// Svix's documented verification example.
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    #[test]
    fn a_message_id_that_is_a_ksuid_gives_the_messages_creation_time() {
        let at = |t: &str| t.parse::<DateTime<Utc>>().unwrap();
        let received = at("2021-05-22T08:00:00Z");
        // Segment's and Svix's KSUID examples, created 2021-05-21 20:04:03 UTC.
        assert_eq!(
            message_time("msg_1srOrx2ZWZBpBUvZwXKQmoEYga2", received),
            Some(at("2021-05-21T20:04:03Z"))
        );
        // Not KSUIDs: other lengths, other alphabets, no prefix, out of range.
        for id in [
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            "msg_1srOrx2ZWZBpBUvZwXKQmoEYg-2",
            "1srOrx2ZWZBpBUvZwXKQmoEYga2",
            "msg_zzzzzzzzzzzzzzzzzzzzzzzzzzz",
        ] {
            assert_eq!(message_time(id, received), None, "{id}");
        }
        // A time after its receipt, or a month before it, is not the message's.
        assert_eq!(
            message_time("msg_1srOrx2ZWZBpBUvZwXKQmoEYga2", at("2021-05-21T20:00:00Z")),
            None
        );
        assert_eq!(
            message_time("msg_1srOrx2ZWZBpBUvZwXKQmoEYga2", at("2021-06-25T00:00:00Z")),
            None
        );
    }

    fn check(headers: &[(&str, &str)], now: i64, body: &[u8], secrets: &str) -> Result<(), ApiError> {
        let mut h = HeaderMap::new();
        for (k, v) in headers {
            h.append(
                lambda_http::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        let d = Delivery::new(&h, body, chrono::DateTime::from_timestamp(now, 0).unwrap());
        verify(&d, &keys(secrets).unwrap())
    }

    fn svix(signature: &str) -> Vec<(&'static str, String)> {
        vec![
            ("svix-id", ID.into()),
            ("svix-timestamp", "1614265330".into()),
            ("svix-signature", signature.into()),
        ]
    }

    fn run(h: &[(&'static str, String)], now: i64, body: &[u8], secrets: &str) -> Result<(), ApiError> {
        let h: Vec<(&str, &str)> = h.iter().map(|(k, v)| (*k, v.as_str())).collect();
        check(&h, now, body, secrets)
    }

    #[test]
    fn svix_documented_example_verifies() {
        assert_eq!(sign(&keys(SECRET).unwrap()[0], ID, 1614265330, BODY), SIGNATURE);
        assert!(run(&svix(SIGNATURE), 1614265330, BODY, SECRET).is_ok());
        assert!(run(
            &svix(&format!("v1,bogus= {SIGNATURE}")),
            1614265330 + 299,
            BODY,
            SECRET
        )
        .is_ok());
        let other = "whsec_dGhpcyBpcyBhbm90aGVyIGtleQ==";
        assert!(
            run(&svix(SIGNATURE), 1614265330, BODY, &format!("{other} {SECRET}")).is_ok(),
            "rotation"
        );
    }

    #[test]
    fn tampering_wrong_keys_and_stale_timestamps_fail() {
        assert!(run(&svix(SIGNATURE), 1614265330, br#"{"test": 2432232315}"#, SECRET).is_err());
        assert!(run(
            &svix(SIGNATURE),
            1614265330,
            BODY,
            "whsec_dGhpcyBpcyBhbm90aGVyIGtleQ=="
        )
        .is_err());
        assert!(
            run(&svix(SIGNATURE), 1614265330 + 301, BODY, SECRET).is_err(),
            "replayed later"
        );
        assert!(
            run(&svix(SIGNATURE), 1614265330 - 301, BODY, SECRET).is_err(),
            "from the future"
        );
        assert!(run(&svix(&SIGNATURE.replace("v1,", "v2,")), 1614265330, BODY, SECRET).is_err());
        assert!(run(&svix(""), 1614265330, BODY, SECRET).is_err());
        assert!(
            run(&svix(SIGNATURE)[..2], 1614265330, BODY, SECRET).is_err(),
            "no signature header"
        );
        assert!(keys("whsec_***").is_err());
    }

    #[test]
    fn standard_webhooks_headers_are_accepted() {
        let h = vec![
            ("webhook-id", ID.to_owned()),
            ("webhook-timestamp", "1614265330".to_owned()),
            ("webhook-signature", SIGNATURE.to_owned()),
        ];
        assert!(run(&h, 1614265330, BODY, SECRET).is_ok());
    }
}
