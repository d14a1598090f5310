//! OlaClick: the whole story of receiving its order webhooks.
//!
//! - Auth: the "Webhook Header" registered with OlaClick (name from config, value from the
//!   secret's `auth_header_value`), compared in constant time; optionally also
//!   `X-OlaClick-Signature: sha256=<hex HMAC-SHA256(signing_secret, body)>`.
//! - Events: `order_created`, `order_updated`, `order_deleted`, deduplicated on `event_id`.
//! - Merchant: `merchant_id` must be one this deployment serves.
//! - Money: decimal major units → exact minor units; times: local, in the merchant's zone.
//! - Ack: `sync` (the 2xx body is the acknowledgement) or `async` (the ack worker calls
//!   back later); see docs/platforms.md, the doc is cut off here.

#[cfg(feature = "ack")]
pub mod ack;
pub mod job;
pub mod map;
pub mod wire;

use std::collections::HashMap;

use ordergate_shared::config;
use ordergate_shared::error::{parse_json, parse_json_at};
use ordergate_shared::lenient::{self, Essential, Probe};
use ordergate_shared::model::{EventKey, Normalized, OrderChange, OrderStatus, Quarantine};
use ordergate_shared::provider::{Headers, Outgoing};
use ordergate_shared::secrets::{SecretError, SecretKeys, Secrets};
use ordergate_shared::time::{self, TimeZone, Timestamp};
use ordergate_shared::verify::{secure_eq, verify_hmac_sha256_hex, Delivery};
use ordergate_shared::{ApiError, Provider, Signer};

use wire::{Envelope, EventType, OrderData, OrderRef, RawEnvelope};

pub const SIGNATURE_HEADER: &str = "x-olaclick-signature";
/// Secret keys (in the JSON secret).
pub const AUTH_HEADER_VALUE: &str = "auth_header_value";
pub const SIGNING_SECRET: &str = "signing_secret";
/// Per-merchant header tokens, `merchant:token,merchant:token` (a token may be listed for
/// several merchants): a delivery authenticated by one may only be for its merchants.
pub const MERCHANT_TOKENS: &str = "merchant_tokens";
/// The receiver's secret.
pub const WEBHOOK_SECRET: SecretKeys =
    SecretKeys::plain(&[AUTH_HEADER_VALUE, MERCHANT_TOKENS, SIGNING_SECRET]);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckMode {
    /// The 2xx response acknowledges the event.
    Sync,
    /// Answer at once; the ack worker POSTs the acknowledgement later.
    Async,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// Name of the registered "Webhook Header" OlaClick sends with every call.
    pub auth_header: String,
    /// Merchant ids this deployment serves; `None` serves any (`*`).
    pub merchants: Option<Vec<String>>,
    pub default_timezone: TimeZone,
    pub merchant_timezones: HashMap<String, TimeZone>,
    pub ack_mode: AckMode,
}

impl Config {
    /// The configuration the samples (`events/olaclick/`) are made for: merchant 777 in
    /// Lima, the default header, sync acks. For tests and benchmarks.
    pub fn sample() -> Config {
        Config {
            auth_header: "x-ordergate-token".into(),
            merchants: parse_merchants("777"),
            default_timezone: time::zone("America/Lima").expect("a bundled zone"),
            merchant_timezones: Default::default(),
            ack_mode: AckMode::Sync,
        }
    }

    /// `OLACLICK_AUTH_HEADER`, `OLACLICK_MERCHANT_IDS` (comma list or `*`),
    /// `OLACLICK_TIMEZONE`, `OLACLICK_MERCHANT_TIMEZONES` (`id=Zone,...`), `OLACLICK_ACK_MODE`.
    pub fn from_env() -> Result<Config, config::ConfigError> {
        let var = config::var;
        let merchants = config::required("OLACLICK_MERCHANT_IDS")?;
        Ok(Config {
            auth_header: var("OLACLICK_AUTH_HEADER").unwrap_or_else(|| "x-ordergate-token".into()),
            merchants: parse_merchants(&merchants),
            default_timezone: config::parsed("OLACLICK_TIMEZONE", time::zone)?
                .unwrap_or_else(|| time::zone("America/Lima").expect("a zone in the bundled database")),
            merchant_timezones: config::parsed(MERCHANT_TIMEZONES, parse_merchant_timezones)?
                .unwrap_or_default(),
            ack_mode: match var("OLACLICK_ACK_MODE")
                .as_deref()
                .map(str::to_ascii_lowercase)
                .as_deref()
            {
                None | Some("sync") => AckMode::Sync,
                Some("async") => AckMode::Async,
                Some(other) => {
                    let e = config::NotOneOf {
                        word: other.to_owned(),
                        expected: "sync or async",
                    };
                    return Err(config::ConfigError::invalid("OLACLICK_ACK_MODE", e));
                }
            },
        })
    }

    /// An authenticated delivery for a merchant we did not list: the merchant ids are ours
    /// (given to OlaClick at onboarding), so it is most likely one onboarded without being
    /// added to OLACLICK_MERCHANT_IDS — our configuration: a 503 (OlaClick retries) and the
    /// Misconfigured alarm, never a 4xx that drops the order.
    fn check_merchant(&self, merchant_id: &str) -> Result<(), ApiError> {
        match &self.merchants {
            Some(merchants) if !merchants.iter().any(|m| m == merchant_id) => {
                Err(ApiError::Misconfigured(format!(
                    "merchant_id {:?} is not in OLACLICK_MERCHANT_IDS",
                    merchant_id.chars().take(64).collect::<String>()
                )))
            }
            _ => Ok(()),
        }
    }

    fn timezone(&self, merchant_id: &str) -> &TimeZone {
        self.merchant_timezones
            .get(merchant_id)
            .unwrap_or(&self.default_timezone)
    }
}

pub fn parse_merchants(list: &str) -> Option<Vec<String>> {
    if list.trim() == "*" {
        return None;
    }
    Some(
        list.split(',')
            .map(|m| m.trim().to_owned())
            .filter(|m| !m.is_empty())
            .collect(),
    )
}

const MERCHANT_TIMEZONES: &str = "OLACLICK_MERCHANT_TIMEZONES";

/// `OLACLICK_MERCHANT_TIMEZONES`: `merchant=Zone,…`.
pub fn parse_merchant_timezones(list: &str) -> Result<HashMap<String, TimeZone>, config::ConfigError> {
    config::key_values(MERCHANT_TIMEZONES, list, time::zone)
}

pub struct OlaClick {
    config: Config,
}

impl OlaClick {
    pub fn new(config: Config) -> Self {
        OlaClick { config }
    }

    pub fn from_env() -> Result<Self, config::ConfigError> {
        Config::from_env().map(OlaClick::new)
    }
}

fn unauthorized(message: &str) -> ApiError {
    ApiError::Unauthorized(message.to_owned())
}

/// `merchant:token,merchant:token` → pairs; a malformed list is our misconfiguration.
fn parse_merchant_tokens(list: &str) -> Result<Vec<(&str, &str)>, ApiError> {
    list.split(',')
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.split_once(':') {
            Some((m, t)) if !m.trim().is_empty() && !t.trim().is_empty() => Ok((m.trim(), t.trim())),
            _ => Err(ApiError::Misconfigured(
                "olaclick merchant_tokens must be merchant:token pairs, comma-separated".into(),
            )),
        })
        .collect()
}

/// What identifies an OlaClick event and its order, and what the kitchen needs: the
/// currency (amounts mean nothing without it), each line's product name and quantity, and
/// each topping's name and quantity.
pub const ESSENTIAL: Essential = Essential(&[
    "event_type",
    "event_id",
    "merchant_id",
    "data.order_id",
    "data.cost_details.currency",
    "data.order_details[].quantity",
    "data.order_details[].product.name",
    "data.order_details[].product.toppings[].name",
    "data.order_details[].product.toppings[].quantity",
]);

/// What an event's `data` says, read leniently.
#[derive(Debug, PartialEq)]
struct Reading {
    change: OrderChange,
    warnings: Vec<String>,
    /// OlaClick sends no event time; the order's last content change
    /// (`last_product_added_at`, local) is the one ordering it offers, so that a delayed
    /// older update of the same status does not overwrite a newer snapshot.
    occurred_at: Option<Timestamp>,
}

/// `data` as read with its envelope: a whole order, or its text when that one pass could
/// not read it (a deletion with only the order's id; a field to read leniently).
#[allow(clippy::large_enum_variant)] // one per delivery, moved once: a box would only add an allocation
enum Data<'a> {
    Order(OrderData),
    Raw(&'a [u8]),
}

fn read_change(kind: EventType, data: Data<'_>, tz: &TimeZone) -> Result<Reading, ApiError> {
    let mut warnings = Vec::new();
    let mut occurred_at = None;
    let stage = match kind {
        EventType::OrderCreated => 0,
        EventType::OrderUpdated => 1,
        EventType::OrderDeleted => 2,
    };
    let full = match data {
        Data::Order(order) => Ok(order),
        Data::Raw(bytes) => {
            lenient::read_owned::<OrderData>(bytes, "data", &ESSENTIAL, &mut warnings).map_err(|e| (e, bytes))
        }
    };
    let (order_id, status, order) = match (kind, full) {
        (EventType::OrderDeleted, Ok(full)) => {
            let (order, w) = map::order(&full, tz, Some((OrderStatus::Cancelled, "deleted")));
            warnings.extend(w);
            (order.order_id.clone(), OrderStatus::Cancelled, Some(order))
        }
        // A deletion may carry only the order's id.
        (EventType::OrderDeleted, Err((_, bytes))) => {
            let r: OrderRef = parse_json_at(bytes, "data")?;
            (r.order_id, OrderStatus::Cancelled, None)
        }
        (_, full) => {
            let full = full.map_err(|(e, _)| e)?;
            occurred_at = full
                .last_product_added_at
                .as_deref()
                .map(|t| Timestamp::local(t, tz))
                .filter(|t| t.utc.is_some());
            let (order, w) = map::order(&full, tz, None);
            warnings.extend(w);
            (order.order_id.clone(), order.status, Some(order))
        }
    };
    let change = OrderChange {
        order_id,
        key: None,
        status: Some(status),
        stage,
        order,
        awaiting: None,
    };
    Ok(Reading {
        change,
        warnings,
        occurred_at,
    })
}

impl Provider for OlaClick {
    const NAME: &'static str = "olaclick";
    const TEMPLATE_NAME: &'static str = "OlaClick";
    type Ack = job::Ack;
    const ESSENTIAL: Essential = ESSENTIAL;
    /// Not 2xx: in sync mode a 2xx is the acknowledgement, and the restaurant does not
    /// have an order we could not read.
    const QUARANTINE_STATUS: u16 = 422;
    /// Keyed by merchant: a webhook token is scoped to its merchants (`merchant_tokens`),
    /// and under the order id alone one merchant's delivery could move another's order.
    const ORDER_IDS_PER_LOCATION: bool = true;

    fn verify(&self, delivery: &Delivery<'_>, secrets: &Secrets) -> Result<(), ApiError> {
        let header_value = secrets.get(AUTH_HEADER_VALUE);
        let merchant_tokens = secrets
            .get(MERCHANT_TOKENS)
            .map(parse_merchant_tokens)
            .transpose()?;
        let signing_secret = secrets.get(SIGNING_SECRET);
        if header_value.is_none() && merchant_tokens.is_none() && signing_secret.is_none() {
            // Fail closed, but as our fault: nothing is accepted, and OlaClick retries.
            return Err(ApiError::Misconfigured(
                "olaclick secret has none of auth_header_value, merchant_tokens, signing_secret".into(),
            ));
        }
        if header_value.is_some() || merchant_tokens.is_some() {
            let given = delivery
                .header(&self.config.auth_header)?
                .ok_or_else(|| unauthorized("missing webhook header"))?;
            let shared =
                header_value.is_some_and(|expected| secure_eq(given.as_bytes(), expected.as_bytes()));
            // Every token is compared (no early exit): timing does not tell which matched.
            let allowed: Vec<&str> = merchant_tokens
                .iter()
                .flatten()
                .filter(|(_, token)| secure_eq(given.as_bytes(), token.as_bytes()))
                .map(|(merchant, _)| *merchant)
                .collect();
            if !shared {
                if allowed.is_empty() {
                    return Err(unauthorized("wrong webhook header"));
                }
                let envelope: RawEnvelope = parse_json(delivery.body)?;
                if !allowed.contains(&envelope.merchant_id.as_str()) {
                    return Err(ApiError::Forbidden {
                        code: "merchant_mismatch",
                        message: "this webhook token may not send for that merchant_id".into(),
                    });
                }
            }
        }
        if let Some(key) = signing_secret {
            let given = delivery
                .header(SIGNATURE_HEADER)?
                .ok_or_else(|| unauthorized("missing X-OlaClick-Signature"))?;
            let hex = given
                .trim()
                .strip_prefix("sha256=")
                .ok_or_else(|| unauthorized("signature must be sha256=<hex>"))?;
            if !verify_hmac_sha256_hex(key.as_bytes(), delivery.body, hex) {
                return Err(unauthorized("signature does not match the body"));
            }
        }
        Ok(())
    }

    fn normalize(&self, delivery: &Delivery<'_>) -> Result<Normalized<job::Ack>, ApiError> {
        // One pass for the usual body; the envelope, then `data`, for any other.
        let (envelope, data) = match serde_json::from_slice::<Envelope<OrderData>>(delivery.body) {
            Ok(whole) => {
                let (envelope, order) = whole.split();
                (envelope, Data::Order(order))
            }
            Err(_) => {
                let (envelope, raw) = parse_json::<RawEnvelope>(delivery.body)?.split();
                (envelope, Data::Raw(raw.get().as_bytes()))
            }
        };
        let kind = EventType::parse(&envelope.event_type).ok_or_else(|| {
            ApiError::unknown_event_type(
                "event_type",
                &envelope.event_type,
                "order_created, order_updated or order_deleted",
            )
        })?;
        self.config.check_merchant(&envelope.merchant_id)?;
        let tz = self.config.timezone(&envelope.merchant_id);
        let Reading {
            change,
            warnings,
            occurred_at,
        } = read_change(kind, data, tz)?;
        let ack = match self.config.ack_mode {
            AckMode::Sync => job::Ack::Sync,
            AckMode::Async => job::Ack::Async {
                event_id: envelope.event_id.clone(),
                event_type: kind.as_str().to_owned(),
                merchant_id: envelope.merchant_id.clone(),
                order_id: change.order_id.clone(),
            },
        };
        Ok(Normalized {
            event_key: EventKey(envelope.event_id),
            event_type: kind.as_str().to_owned(),
            location_id: Some(envelope.merchant_id),
            occurred_at,
            change: Some(change),
            detail: None,
            blobs: Vec::new(),
            ack,
            warnings,
            quarantine: None,
        })
    }

    /// Kept under its `event_id` with its order and merchant; not acknowledged (in sync
    /// mode the 4xx tells OlaClick the restaurant does not have the order).
    fn quarantine(&self, delivery: &Delivery<'_>, _reason: &ApiError) -> Quarantine<job::Ack> {
        let probe = Probe::new(delivery.body);
        Quarantine {
            event_key: probe.id(&["event_id"]),
            order_id: probe.id(&["data", "order_id"]),
            location_id: probe.id(&["merchant_id"]),
            ack: None,
        }
    }

    /// In sync mode the answer's body is OlaClick's acknowledgement of `event_id`.
    fn acknowledged(&self) -> Option<bool> {
        Some(self.config.ack_mode == AckMode::Sync)
    }
}

/// How OlaClick authenticates a delivery: the agreed header (`auth_header`, the
/// receiver's `OLACLICK_AUTH_HEADER`) with its value, and/or an HMAC signature of the body.
#[derive(Debug, Clone)]
pub struct OlaClickSigner {
    pub auth_header: String,
}

impl Signer for OlaClickSigner {
    fn configured(auth_header: &str) -> Self {
        OlaClickSigner {
            auth_header: auth_header.to_owned(),
        }
    }

    fn sign(&self, secrets: &Secrets, out: &Outgoing<'_>) -> Result<Headers, SecretError> {
        let body = out.body;
        let mut headers = Vec::new();
        if let Some(value) = secrets.get(AUTH_HEADER_VALUE) {
            headers.push((self.auth_header.clone(), value.to_owned()));
        }
        if let Some(key) = secrets.get(SIGNING_SECRET) {
            let mac = ordergate_shared::verify::hmac_sha256(key.as_bytes(), &[body]);
            headers.push((
                SIGNATURE_HEADER.to_owned(),
                format!("sha256={}", hex::encode(mac)),
            ));
        }
        if headers.is_empty() {
            return Err(SecretError::Missing(format!(
                "{AUTH_HEADER_VALUE} or {SIGNING_SECRET}"
            )));
        }
        Ok(headers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_read_with_its_envelope_reads_as_data_read_after_it() {
        let config = Config::sample();
        let mut one_pass = 0;
        for path in ordergate_testkit::samples("olaclick") {
            let text = ordergate_testkit::body(&path);
            let body = text.as_bytes();
            let (envelope, raw) = parse_json::<RawEnvelope>(body).unwrap().split();
            let kind = EventType::parse(&envelope.event_type).unwrap();
            let tz = config.timezone(&envelope.merchant_id);
            let later = read_change(kind, Data::Raw(raw.get().as_bytes()), tz).unwrap();
            let Ok(whole) = serde_json::from_slice::<Envelope<OrderData>>(body) else {
                continue;
            };
            one_pass += 1;
            let at_once = read_change(kind, Data::Order(whole.split().1), tz).unwrap();
            assert_eq!(at_once, later, "{path}");
        }
        assert_eq!(one_pass, 3, "all but the id-only deletion are read in one pass");
    }
}
