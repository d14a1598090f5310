//! Ordatic: the whole story of receiving its order and rider webhooks.
//!
//! - Auth: no signature; Ordatic sends the configured secret verbatim in `Authorization`,
//!   compared in constant time.
//! - 13 thin events `{eventType, storeId, data{orderId}}`: the 6 order events advance the
//!   order's status, the 7 rider events are recorded on its trail. Dedupe key:
//!   `storeId:orderId:eventType`, plus a body hash for rider events (they repeat with new
//!   content). Ordatic retries non-2xx up to 3 times.
//! - `rider-proof-delivery`: the base64 image is decoded and kept in S3, the event holds a
//!   reference. `rider-refund`: typed refund, cents → canonical money.
//! - Every job asks the ack worker to fetch the full order (the events carry only ids).

#[cfg(feature = "ack")]
pub mod ack;
pub mod job;
pub mod map;
pub mod wire;

use ordergate_shared::command::{Refusal, StatusCommand};
use ordergate_shared::config;
use ordergate_shared::error::{parse_json, parse_json_at};
use ordergate_shared::lenient::{self, Essential, Probe, Scratch, Wire};
use ordergate_shared::model::{EventDetail, EventKey, Normalized, OrderChange, Quarantine};
use ordergate_shared::money::Currency;
use ordergate_shared::provider::{Headers, Outgoing};
use ordergate_shared::secrets::{SecretError, SecretKeys, Secrets};
use ordergate_shared::verify::{secure_eq, Delivery};
use ordergate_shared::{ApiError, Provider, Signer};

use wire::{Data, Envelope, EventType, OrderRef, ProofData, RawEnvelope, RefundData};

/// Secret key (in the JSON secret): the exact `Authorization` header value Ordatic sends.
pub const AUTHORIZATION: &str = "authorization";
/// The receiver's secret.
pub const WEBHOOK_SECRET: SecretKeys = SecretKeys::plain(&[AUTHORIZATION, PREVIOUS_AUTHORIZATION]);
/// During a rotation, the value Ordatic may still send until it has the new one.
pub const PREVIOUS_AUTHORIZATION: &str = "previous_authorization";

#[derive(Debug, Clone)]
pub struct Config {
    /// Currency of refund amounts (sent in cents, without a currency).
    pub currency: Currency,
}

impl Config {
    /// The configuration the samples (`events/ordatic/`) are made for: EUR. For tests and
    /// benchmarks.
    pub fn sample() -> Config {
        Config {
            currency: "EUR".parse().expect("a known currency"),
        }
    }

    /// `ORDATIC_CURRENCY` (ISO 4217, default EUR).
    pub fn from_env() -> Result<Config, config::ConfigError> {
        Ok(Config {
            currency: config::currency("ORDATIC_CURRENCY", "EUR")?,
        })
    }
}

pub struct Ordatic {
    config: Config,
}

impl Ordatic {
    pub fn new(config: Config) -> Self {
        Ordatic { config }
    }

    pub fn from_env() -> Result<Self, config::ConfigError> {
        Config::from_env().map(Ordatic::new)
    }
}

/// What identifies an Ordatic event and its order (its events carry no order content: the
/// ack worker fetches it), and a refund's id.
pub const ESSENTIAL: Essential =
    Essential(&["eventType", "storeId", "data", "data.orderId", "data.refund.id"]);

/// [`ProofData`] read leniently (the proof is borrowed from the body: it can be megabytes).
struct ProofWire;

impl Wire for ProofWire {
    type Of<'b> = ProofData<'b>;
}

/// The envelope, its event type and what its `data` holds for that type (a refund only
/// for `rider-refund`, a proof only for `rider-proof-delivery`).
type Read<'a> = (Envelope<()>, EventType, Data<'a>);

/// [`Read`] in one pass, when every part reads (the usual body); else the envelope first,
/// then `data` as its type needs, leniently.
fn read<'a>(body: &'a [u8], scratch: &'a Scratch, warnings: &mut Vec<String>) -> Result<Read<'a>, ApiError> {
    match read_at_once(body) {
        Some(read) => Ok(read),
        None => read_apart(body, scratch, warnings),
    }
}

fn read_at_once(body: &[u8]) -> Option<Read<'_>> {
    let whole = serde_json::from_slice::<Envelope<Data>>(body).ok()?;
    let kind = EventType::parse(&whole.event_type)?;
    // A refund event is for its refund: without one the lenient path decides.
    if kind == EventType::RiderRefund && whole.data.refund.is_none() {
        return None;
    }
    let (envelope, mut data) = whole.split();
    data.refund = data.refund.filter(|_| kind == EventType::RiderRefund);
    data.proof_delivery = data
        .proof_delivery
        .filter(|_| kind == EventType::RiderProofDelivery);
    Some((envelope, kind, data))
}

fn read_apart<'a>(
    body: &'a [u8],
    scratch: &'a Scratch,
    warnings: &mut Vec<String>,
) -> Result<Read<'a>, ApiError> {
    let (envelope, raw) = parse_json::<RawEnvelope>(body)?.split();
    let kind = EventType::parse(&envelope.event_type)
        .ok_or_else(|| ApiError::unknown_event_type("eventType", &envelope.event_type, "an Ordatic event"))?;
    let raw = raw.get().as_bytes();
    let data = match kind {
        // A proof carries megabytes: read it once, with its order id, instead of twice.
        EventType::RiderProofDelivery => {
            let p = lenient::read::<ProofWire>(raw, "data", &ESSENTIAL, scratch, warnings)?;
            Data {
                order_id: p.order_id,
                proof_delivery: p.proof_delivery,
                refund: None,
            }
        }
        _ => Data {
            order_id: parse_json_at::<OrderRef>(raw, "data")?.order_id,
            proof_delivery: None,
            refund: None,
        },
    };
    let refund = match kind {
        EventType::RiderRefund => {
            Some(lenient::read_owned::<RefundData>(raw, "data", &ESSENTIAL, warnings)?.refund)
        }
        _ => None,
    };
    Ok((envelope, kind, Data { refund, ..data }))
}

impl Provider for Ordatic {
    const NAME: &'static str = "ordatic";
    const TEMPLATE_NAME: &'static str = "Ordatic";
    type Ack = job::Ack;
    const ESSENTIAL: Essential = ESSENTIAL;
    /// Ordatic addresses an order inside its store (`/v2/stores/{storeId}/orders/{orderId}`)
    /// and never says its ids are unique across stores.
    const ORDER_IDS_PER_LOCATION: bool = true;

    fn command(command: &StatusCommand) -> Result<job::Ack, Refusal> {
        job::Ack::for_command(command)
    }

    fn verify(&self, delivery: &Delivery<'_>, secrets: &Secrets) -> Result<(), ApiError> {
        let value = |key| secrets.get(key).filter(|v| !v.trim().is_empty());
        if value(AUTHORIZATION).is_none() {
            // Ordatic retries only 3 times: a 401 here would lose the order.
            return Err(ApiError::Misconfigured(
                "ordatic secret has no authorization value".into(),
            ));
        }
        let given = delivery
            .header("authorization")?
            .ok_or_else(|| ApiError::Unauthorized("missing Authorization header".into()))?;
        // Both values are compared, so timing does not reveal which one matched.
        let matched = [AUTHORIZATION, PREVIOUS_AUTHORIZATION]
            .into_iter()
            .filter_map(value)
            .fold(false, |ok, expected| {
                secure_eq(given.as_bytes(), expected.as_bytes()) | ok
            });
        if matched {
            Ok(())
        } else {
            Err(ApiError::Unauthorized("wrong Authorization header".into()))
        }
    }

    fn normalize(&self, delivery: &Delivery<'_>) -> Result<Normalized<job::Ack>, ApiError> {
        let mut warnings = Vec::new();
        let scratch = Scratch::default();
        let (envelope, kind, data) = read(delivery.body, &scratch, &mut warnings)?;
        // Rider events can repeat with new content: their body's hash is part of the key.
        let hash = kind.is_rider().then(|| &delivery.body_sha256()[..16]);
        let key = EventKey::joined(
            [envelope.store_id.as_str(), &data.order_id, kind.as_str()]
                .into_iter()
                .chain(hash),
        )
        .0;
        let (detail, blobs) = match (kind, &data.refund) {
            (EventType::RiderProofDelivery, _) => {
                let encoded = data.proof_delivery.unwrap_or_default();
                match map::proof(Self::NAME, &key, &encoded) {
                    Ok(map::Proof::Image(blob)) => (
                        Some(EventDetail::ProofOfDelivery {
                            image: blob.reference.clone(),
                        }),
                        vec![blob],
                    ),
                    Ok(map::Proof::Link(url)) => (Some(EventDetail::ProofOfDeliveryLink { url }), Vec::new()),
                    // The rider's event still counts; the proof stays in the raw body.
                    Err(e) => {
                        warnings.push(format!("{e}; the proof is only in the raw body"));
                        (None, Vec::new())
                    }
                }
            }
            (_, Some(refund)) => {
                let (refund, w) = map::refund(refund, self.config.currency);
                warnings.extend(w);
                (Some(EventDetail::Refund(refund)), Vec::new())
            }
            _ => (None, Vec::new()),
        };
        Ok(Normalized {
            event_key: EventKey(key),
            event_type: kind.as_str().to_owned(),
            location_id: Some(envelope.store_id.clone()),
            occurred_at: None,
            change: Some(OrderChange {
                order_id: data.order_id.clone(),
                key: None,
                status: map::status(kind),
                stage: 0,
                order: None,
                awaiting: None,
            }),
            detail,
            blobs,
            ack: job::Ack::FetchOrder {
                store_id: envelope.store_id,
                order_id: data.order_id,
            },
            warnings,
            quarantine: None,
        })
    }

    /// Kept on its order's trail (deduped on the body's hash), answered 2xx (Ordatic's three
    /// retries resend the same bytes); the order is still fetched when its ids can be read,
    /// so an event type Ordatic adds later still brings the order in.
    fn quarantine(&self, delivery: &Delivery<'_>, _reason: &ApiError) -> Quarantine<job::Ack> {
        let probe = Probe::new(delivery.body);
        let (store_id, order_id) = (probe.id(&["storeId"]), probe.id(&["data", "orderId"]));
        let ack = store_id
            .clone()
            .zip(order_id.clone())
            .map(|(store_id, order_id)| job::Ack::FetchOrder { store_id, order_id });
        Quarantine {
            event_key: None,
            order_id,
            location_id: store_id,
            ack,
        }
    }
}

/// How Ordatic authenticates a delivery: the shared `Authorization` value.
#[derive(Debug, Clone, Copy, Default)]
pub struct OrdaticSigner;

impl Signer for OrdaticSigner {
    fn configured(_auth_header: &str) -> Self {
        OrdaticSigner
    }

    fn sign(&self, secrets: &Secrets, _out: &Outgoing<'_>) -> Result<Headers, SecretError> {
        let value = secrets.require(AUTHORIZATION)?;
        Ok(vec![("authorization".to_owned(), value.to_owned())])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sample_reads_in_one_pass_as_it_reads_apart() {
        let samples = ordergate_testkit::samples("ordatic");
        for path in &samples {
            let text = ordergate_testkit::body(path);
            let body = text.as_bytes();
            let (scratch, mut warnings) = (Scratch::default(), Vec::new());
            let apart = read_apart(body, &scratch, &mut warnings).unwrap();
            let at_once = read_at_once(body).unwrap_or_else(|| panic!("{path} in one pass"));
            assert_eq!(format!("{at_once:?}"), format!("{apart:?}"), "{path}");
            assert!(warnings.is_empty(), "{path}");
        }
        assert!(samples.len() >= 13, "every event type has a sample");
    }

    #[test]
    fn a_refund_event_without_a_readable_refund_is_left_to_the_lenient_path() {
        let body =
            |data: &str| format!(r#"{{"eventType": "rider-refund", "storeId": "s1", "data": {data}}}"#);
        assert!(read_at_once(body(r#"{"orderId": "o1"}"#).as_bytes()).is_none());
        assert!(read_at_once(
            body(r#"{"orderId": "o1", "refund": {"id": 7, "totalRiderRefund": "x"}}"#).as_bytes()
        )
        .is_none());
        // Only a refund event keeps a refund.
        let other = r#"{"eventType": "order-accepted", "storeId": "s1", "data": {"orderId": "o1", "refund": {"id": "r1"}}}"#;
        let (_, kind, data) = read_at_once(other.as_bytes()).unwrap();
        assert_eq!((kind, data.refund.is_none()), (EventType::OrderAccepted, true));
    }
}
