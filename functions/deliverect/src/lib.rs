//! Deliverect: the whole story of receiving its order webhooks.
//!
//! - Auth: `x-server-authorization-hmac-sha256` = hex HMAC-SHA256 of the raw body, keyed
//!   with the partner secret (production) or the channel link id (staging); compared in
//!   constant time. Several keys may be configured (rotation, several staging links).
//! - One POST per order state change with the full order; no event id. Dedupe key:
//!   `_id:status:sha256(body)[..16]`: the same delivery again is one record, a new status
//!   (or new content for the same status) is a new event on the same order.
//! - Retries: Deliverect retries only on connection failure, >3 s, or 502/503/504, never on
//!   400/500; so transient trouble is 503 and bad input 400.
//! - Ack job: accept (20) a new order, confirm (110) a channel's cancel (100), or report
//!   failed (120) with a reason when a parsed order cannot be mapped.

pub mod map;
pub mod wire;

use std::collections::HashMap;

use ordergate_shared::config;
use ordergate_shared::error::parse_json;
use ordergate_shared::model::{DedupeKey, Normalized, OrderChange};
use ordergate_shared::money::Currency;
use ordergate_shared::provider::{Headers, Outgoing};
use ordergate_shared::secrets::{SecretKeys, Secrets};
use ordergate_shared::time::Timestamp;
use ordergate_shared::verify::{verify_hmac_sha256_hex, Delivery};
use ordergate_shared::{ApiError, Provider, Signer};

pub const SIGNATURE_HEADER: &str = "x-server-authorization-hmac-sha256";
/// Secret keys (in the JSON secret): the HMAC key, and optional extra keys, comma-separated.
pub const HMAC_SECRET: &str = "hmac_secret";
pub const EXTRA_HMAC_SECRETS: &str = "additional_hmac_secrets";
/// The receiver's secret.
pub const WEBHOOK_SECRET: SecretKeys = SecretKeys::plain(&[HMAC_SECRET, EXTRA_HMAC_SECRETS]);

#[derive(Debug, Clone)]
pub struct Config {
    /// Currency of amounts (Deliverect's order carries only `decimalDigits`).
    pub currency: Option<Currency>,
    pub location_currencies: HashMap<String, Currency>,
}

impl Config {
    /// The configuration the samples (`events/deliverect/`) are made for: EUR. For tests
    /// and benchmarks.
    pub fn sample() -> Config {
        Config {
            currency: Some("EUR".parse().expect("a known currency")),
            location_currencies: Default::default(),
        }
    }

    /// `DELIVERECT_CURRENCY` (ISO 4217) and `DELIVERECT_LOCATION_CURRENCIES` (`loc=GBP,...`).
    pub fn from_env() -> Result<Config, String> {
        let currency = |code: &str| code.parse::<Currency>().map_err(|e| e.to_string());
        Ok(Config {
            currency: config::var("DELIVERECT_CURRENCY")
                .map(|c| currency(&c))
                .transpose()?,
            location_currencies: config::var("DELIVERECT_LOCATION_CURRENCIES")
                .map(|list| config::key_values(&list, currency))
                .transpose()?
                .unwrap_or_default(),
        })
    }

    fn currency_for(&self, location: Option<&str>) -> Option<Currency> {
        location
            .and_then(|l| self.location_currencies.get(l).copied())
            .or(self.currency)
    }
}

pub struct Deliverect {
    config: Config,
}

impl Deliverect {
    pub fn new(config: Config) -> Self {
        Deliverect { config }
    }

    pub fn from_env() -> Result<Self, String> {
        Config::from_env().map(Deliverect::new)
    }
}

/// The order's pickup time for the status API, when Deliverect sent a readable one (its
/// samples carry placeholders such as `YYYY-MM-DDTHH:mm:ss.SSSSSSZ`).
fn pickup_time(order: &wire::Order) -> Option<String> {
    let time = Timestamp::rfc3339(order.pickup_time.as_deref()?).utc?;
    Some(time.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string())
}

impl Provider for Deliverect {
    const NAME: &'static str = "deliverect";
    const TEMPLATE_NAME: &'static str = "Deliverect";
    type Ack = job::Ack;

    fn verify(&self, delivery: &Delivery<'_>, secrets: &Secrets) -> Result<(), ApiError> {
        let keys: Vec<&str> = secrets
            .get(HMAC_SECRET)
            .into_iter()
            .chain(
                secrets
                    .get(EXTRA_HMAC_SECRETS)
                    .into_iter()
                    .flat_map(|k| k.split(',')),
            )
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .collect();
        if keys.is_empty() {
            // Deliverect never retries a 4xx: a 401 here would lose the order for good.
            return Err(ApiError::Misconfigured(
                "deliverect secret has no hmac_secret".into(),
            ));
        }
        let signature = delivery
            .header(SIGNATURE_HEADER)?
            .ok_or_else(|| ApiError::Unauthorized(format!("missing {SIGNATURE_HEADER}")))?;
        // Every key is tried, so timing does not reveal which one matched.
        let matched = keys.iter().fold(false, |ok, key| {
            verify_hmac_sha256_hex(key.as_bytes(), delivery.body, signature) | ok
        });
        if matched {
            Ok(())
        } else {
            Err(ApiError::Unauthorized("signature does not match the body".into()))
        }
    }

    fn normalize(&self, delivery: &Delivery<'_>) -> Result<Normalized<job::Ack>, ApiError> {
        let order: wire::Order = parse_json(delivery.body)?;
        let (status, stage) = map::status(order.status);
        let currency = self.config.currency_for(order.location.as_deref());
        let mapped = match currency {
            Some(c) => map::order(&order, c).map_err(|e| e.to_string()),
            None => Err(format!(
                "no currency configured for location {}",
                order.location.as_deref().unwrap_or("(none)")
            )),
        };
        let (snapshot, mut warnings, failure) = match mapped {
            Ok((o, w)) => (Some(o), w, None),
            Err(reason) => (None, Vec::new(), Some(reason)),
        };
        if let Some(reason) = &failure {
            warnings.push(format!("order could not be mapped: {reason}"));
        }
        let occurred_at = order
            .updated
            .as_deref()
            .map(Timestamp::rfc3339)
            .filter(|t| t.utc.is_some())
            .or_else(|| {
                order
                    .status_history
                    .iter()
                    .filter_map(|h| h.time_stamp.as_deref().map(Timestamp::rfc3339))
                    .filter(|t| t.utc.is_some())
                    .max_by_key(|t| t.utc)
            });
        Ok(Normalized {
            dedupe_key: DedupeKey(format!(
                "{}:{}:{}",
                order.id,
                order.status,
                &delivery.body_sha256()[..16]
            )),
            event_type: format!("status_{}", order.status),
            location_id: order.location.clone(),
            occurred_at,
            ack: job::Ack::for_status(&order.id, order.status, failure.as_deref(), pickup_time(&order)),
            detail: None,
            blobs: Vec::new(),
            change: Some(OrderChange {
                order_id: order.id.clone(),
                status: Some(status),
                stage,
                order: snapshot,
            }),
            warnings,
            quarantine: failure.map(|reason| format!("order could not be mapped: {reason}")),
        })
    }
}
#[cfg(feature = "ack")]
pub mod ack;
pub mod job;

/// How Deliverect signs a delivery: HMAC-SHA256 of the body with the partner secret.
#[derive(Debug, Clone, Copy, Default)]
pub struct DeliverectSigner;

impl Signer for DeliverectSigner {
    fn configured(_auth_header: &str) -> Self {
        DeliverectSigner
    }

    fn sign(&self, secrets: &Secrets, out: &Outgoing<'_>) -> Result<Headers, String> {
        let body = out.body;
        let key = secrets
            .get(HMAC_SECRET)
            .ok_or_else(|| format!("the secret has no {HMAC_SECRET}"))?;
        let mac = ordergate_shared::verify::hmac_sha256(key.as_bytes(), &[body]);
        Ok(vec![(SIGNATURE_HEADER.to_owned(), hex::encode(mac))])
    }
}
