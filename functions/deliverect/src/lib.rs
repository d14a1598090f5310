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
//! - Ack job: accept (20) a new order, confirm (110) a channel's cancel (100).
//! - An order we cannot read (an essential field unreadable) is kept quarantined, answered
//!   400 so Deliverect's dashboard shows it, and reported failed (120) with the reason.

#[cfg(feature = "ack")]
pub mod ack;
pub mod job;
pub mod map;
pub mod wire;

use std::collections::HashMap;

use ordergate_shared::command::acceptance::Acceptance;
use ordergate_shared::command::{Refusal, StatusCommand};
use ordergate_shared::config;
use ordergate_shared::lenient::{self, Essential, Probe};
use ordergate_shared::model::{EventKey, Normalized, OrderChange, Quarantine};
use ordergate_shared::money::Currency;
use ordergate_shared::provider::{Headers, Outgoing};
use ordergate_shared::secrets::{SecretError, SecretKeys, Secrets};
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
    /// Whether new orders are accepted on receipt or wait for the restaurant
    /// (`DELIVERECT_ACCEPT_MODE`, …; `ordergate_shared::command::acceptance`).
    pub acceptance: Acceptance,
}

impl Config {
    /// The configuration the samples (`events/deliverect/`) are made for: EUR. For tests
    /// and benchmarks.
    pub fn sample() -> Config {
        Config {
            currency: Some("EUR".parse().expect("a known currency")),
            location_currencies: Default::default(),
            acceptance: Acceptance::default(),
        }
    }

    /// `DELIVERECT_CURRENCY` (ISO 4217) and `DELIVERECT_LOCATION_CURRENCIES` (`loc=GBP,...`).
    pub fn from_env() -> Result<Config, config::ConfigError> {
        let currency = str::parse::<Currency>;
        let currencies = "DELIVERECT_LOCATION_CURRENCIES";
        Ok(Config {
            currency: config::parsed("DELIVERECT_CURRENCY", currency)?,
            location_currencies: config::parsed(currencies, |list| {
                config::key_values(currencies, list, currency)
            })?
            .unwrap_or_default(),
            acceptance: Acceptance::from_env("DELIVERECT")?,
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

    pub fn from_env() -> Result<Self, config::ConfigError> {
        Config::from_env().map(Deliverect::new)
    }
}

/// The order's pickup time for the status API, when Deliverect sent a readable one (its
/// samples carry placeholders such as `YYYY-MM-DDTHH:mm:ss.SSSSSSZ`).
fn pickup_time(order: &wire::Order) -> Option<String> {
    Some(job::time(Timestamp::rfc3339(order.pickup_time.as_deref()?).utc?))
}

/// What identifies a Deliverect order event, and what the kitchen needs: each item's (and
/// modifier's) name and quantity. Deeper modifiers' quantities are required by the reader.
pub const ESSENTIAL: Essential = Essential(&[
    "_id",
    "status",
    "items[].name",
    "items[].quantity",
    "items[].subItems[].name",
    "items[].subItems[].quantity",
    "items[].subItems[].subItems[].name",
    "items[].subItems[].subItems[].quantity",
]);

impl Provider for Deliverect {
    const NAME: &'static str = "deliverect";
    const TEMPLATE_NAME: &'static str = "Deliverect";
    type Ack = job::Ack;
    const ESSENTIAL: Essential = ESSENTIAL;
    /// Deliverect shows a 400 as a failed order (and never retries it).
    const QUARANTINE_STATUS: u16 = 400;

    fn command(command: &StatusCommand) -> Result<job::Ack, Refusal> {
        job::Ack::for_command(command)
    }

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
        let mut warnings = Vec::new();
        let order: wire::Order = lenient::read_owned(delivery.body, "", &ESSENTIAL, &mut warnings)?;
        let (status, stage) = map::status(order.status);
        let location = order.location.as_deref();
        // Our configuration, not Deliverect's input: a 503 it retries, and an alarm.
        let currency = self.config.currency_for(location).ok_or_else(|| {
            ApiError::Misconfigured(format!(
                "no currency for Deliverect location {}: set DELIVERECT_CURRENCY or DELIVERECT_LOCATION_CURRENCIES",
                location.unwrap_or("(none)")
            ))
        })?;
        let (snapshot, w) = map::order(&order, currency);
        warnings.extend(w);
        let mut ack = job::Ack::for_status(&order.id, order.status, None, pickup_time(&order));
        // A new order in manual mode: not accepted now, the restaurant decides.
        let awaiting = match ack {
            job::Ack::Accept { .. } => self.config.acceptance.decision(location, delivery.received_at),
            _ => None,
        };
        if awaiting.is_some() {
            ack = job::Ack::None {
                order_id: order.id.clone(),
            };
        }
        Ok(Normalized {
            event_key: EventKey::joined([
                order.id.as_str(),
                &order.status.to_string(),
                &delivery.body_sha256()[..16],
            ]),
            event_type: format!("status_{}", order.status),
            location_id: order.location.clone(),
            occurred_at: occurred_at(&order),
            ack,
            detail: None,
            blobs: Vec::new(),
            change: Some(OrderChange {
                order_id: order.id.clone(),
                key: None,
                status: Some(status),
                stage,
                order: Some(snapshot),
                awaiting,
            }),
            warnings,
            quarantine: None,
        })
    }

    /// Kept on the order's trail (deduped on the body's hash) and, where the order id can
    /// be read, reported to Deliverect as failed (120) with the reason.
    fn quarantine(&self, delivery: &Delivery<'_>, reason: &ApiError) -> Quarantine<job::Ack> {
        let probe = Probe::new(delivery.body);
        let order_id = probe.id(&["_id"]);
        let reason = format!("the order could not be read: {reason}");
        Quarantine {
            event_key: None,
            ack: order_id
                .as_deref()
                .map(|id| job::Ack::for_status(id, 0, Some(&reason), None)),
            order_id,
            location_id: probe.id(&["location"]),
        }
    }
}

/// When the change happened: `_updated`, else the latest readable status-history time.
fn occurred_at(order: &wire::Order) -> Option<Timestamp> {
    order
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
        })
}

/// How Deliverect signs a delivery: HMAC-SHA256 of the body with the partner secret.
#[derive(Debug, Clone, Copy, Default)]
pub struct DeliverectSigner;

impl Signer for DeliverectSigner {
    fn configured(_auth_header: &str) -> Self {
        DeliverectSigner
    }

    fn sign(&self, secrets: &Secrets, out: &Outgoing<'_>) -> Result<Headers, SecretError> {
        let body = out.body;
        let key = secrets.require(HMAC_SECRET)?;
        let mac = ordergate_shared::verify::hmac_sha256(key.as_bytes(), &[body]);
        Ok(vec![(SIGNATURE_HEADER.to_owned(), hex::encode(mac))])
    }
}
