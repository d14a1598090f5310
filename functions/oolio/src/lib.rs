//! Oolio: the whole story of receiving its webhooks, delivered through Svix.
//!
//! - Auth: Svix signatures (`svix-id`, `svix-timestamp`, `svix-signature`), any of several
//!   `whsec_` secrets (rotation), timestamps within 5 minutes; see [`svix`].
//! - Dedupe key: `svix-id`, the same on every retry of one message.
//! - Event types: routed on `type` when present, else classified by shape. Anything still
//!   unrecognised is stored as `unclassified` and answered 2xx: Svix disables endpoints that
//!   keep failing, and a message we cannot read today must not be lost.
//! - Orders (accepted / cancelled / completed / created / rejected) map to the canonical
//!   model and move the order's state forward only. The 2xx is Svix's acknowledgement.

#[cfg(feature = "ack")]
pub mod ack;
pub mod job;
pub mod map;
pub mod svix;
pub mod wire;

use ordergate_shared::config;
use ordergate_shared::lenient::{self, Essential, Probe as BodyProbe, Scratch, Wire};
use ordergate_shared::model::{EventKey, Normalized, OrderChange, OrderStatus, Quarantine};
use ordergate_shared::money::Currency;
use ordergate_shared::provider::{Headers, Outgoing};
use ordergate_shared::secrets::{SecretError, SecretKeys, Secrets};
use ordergate_shared::time::Timestamp;
use ordergate_shared::verify::Delivery;
use ordergate_shared::{ApiError, Provider, Signer};

use wire::Probe;

/// Secret key (in the JSON secret): `whsec_...` signing secrets, space or comma separated.
pub const SIGNING_SECRETS: &str = "signing_secrets";
/// The receiver's secret: `signing_secrets` must be Svix keys (`whsec_…`, space-separated).
pub const WEBHOOK_SECRET: SecretKeys = SecretKeys {
    keys: &[SIGNING_SECRETS],
    check: |key, value| match (key, value) {
        (SIGNING_SECRETS, v) if !v.is_empty() => svix::keys(v).map(drop),
        _ => Ok(()),
    },
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    LocationConnected,
    LocationDisconnected,
    LocationUpdated,
    ReservationsPartnerConnected,
    ReservationsPartnerDisconnected,
    ReservationUpdated,
    WalkInCreated,
    Order(OrderStatus),
    ProductsAvailability,
    Unclassified,
}

impl Kind {
    pub fn event_type(self) -> &'static str {
        match self {
            Kind::LocationConnected => "location.connected",
            Kind::LocationDisconnected => "location.disconnected",
            Kind::LocationUpdated => "location.updated",
            Kind::ReservationsPartnerConnected => "reservations.partner.connected",
            Kind::ReservationsPartnerDisconnected => "reservations.partner.disconnected",
            Kind::ReservationUpdated => "reservation.updated",
            Kind::WalkInCreated => "reservation.walkin.created",
            Kind::Order(OrderStatus::Placed) => "order.created",
            Kind::Order(OrderStatus::Accepted) => "order.accepted",
            Kind::Order(OrderStatus::Completed) => "order.completed",
            Kind::Order(OrderStatus::Cancelled) => "order.cancelled",
            Kind::Order(_) => "order.updated",
            Kind::ProductsAvailability => "products.availability",
            Kind::Unclassified => "unclassified",
        }
    }
}

/// Oolio's `type` names (and the spellings its docs and Svix event catalogue use).
fn from_type(kind: &str) -> Option<Kind> {
    let k = kind.trim().to_ascii_lowercase().replace(['_', '-'], ".");
    Some(match k.as_str() {
        "location.connected" => Kind::LocationConnected,
        "location.disconnected" => Kind::LocationDisconnected,
        "location.updated" | "location.update" => Kind::LocationUpdated,
        "reservations.partner.connected" | "reservation.partner.connected" => {
            Kind::ReservationsPartnerConnected
        }
        "reservations.partner.disconnected" | "reservation.partner.disconnected" => {
            Kind::ReservationsPartnerDisconnected
        }
        "reservation.updated" | "reservations.updated" => Kind::ReservationUpdated,
        "reservation.walkin.created"
        | "walkin.created"
        | "walk.in.created"
        | "reservation.walk.in.created" => Kind::WalkInCreated,
        "order.accepted" => Kind::Order(OrderStatus::Accepted),
        "order.cancelled" | "order.canceled" => Kind::Order(OrderStatus::Cancelled),
        "order.completed" | "order.complete" => Kind::Order(OrderStatus::Completed),
        "order.created" => Kind::Order(OrderStatus::Placed),
        "order.rejected" => Kind::Order(OrderStatus::Cancelled),
        "products.availability" | "product.availability" => Kind::ProductsAvailability,
        _ => return None,
    })
}

/// Classifies a delivery: by `type`, else by shape; never fails.
pub fn classify(probe: &Probe<'_>) -> Kind {
    if let Some(kind) = probe.kind.as_deref() {
        return from_type(kind).unwrap_or(Kind::Unclassified);
    }
    if let Some(active) = probe.is_active {
        return if active {
            Kind::ReservationsPartnerConnected
        } else {
            Kind::ReservationsPartnerDisconnected
        };
    }
    if probe.walk_in == Some(true) || probe.is_walk_in == Some(true) {
        return Kind::WalkInCreated;
    }
    if probe.reservation.is_some() {
        return Kind::ReservationUpdated;
    }
    if let Some(data) = probe.data {
        // The status only refines the kind: one of another type still makes an order.
        #[derive(serde::Deserialize)]
        struct Shape<'a> {
            id: Option<serde::de::IgnoredAny>,
            items: Option<serde::de::IgnoredAny>,
            #[serde(borrow)]
            status: Option<&'a serde_json::value::RawValue>,
        }
        if let Ok(Shape {
            id: Some(_),
            items: Some(_),
            status,
        }) = serde_json::from_str::<Shape>(data.get())
        {
            let status = status.and_then(|s| serde_json::from_str::<&str>(s.get()).ok());
            return Kind::Order(status.map_or(OrderStatus::Unknown, map::status));
        }
    }
    Kind::Unclassified
}

/// What Oolio sends most, an order event — `{"data": {…order…}}` with nothing beside `data` —
/// read whole in one typed pass, with the kind [`classify`] gives it (no `type`, `isActive`,
/// walk-in or reservation; `data` has an `id` and `items`). `None` for anything else, and
/// for a body that pass cannot read: the probe path reads those (leniently).
fn bare_order(body: &[u8]) -> Option<(Kind, wire::Order)> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Bare {
        data: wire::Order,
    }
    let order = serde_json::from_slice::<Bare>(body).ok()?.data;
    // `items: []` reads like no `items` at all, which is not an order's shape.
    if order.items.is_empty() {
        return None;
    }
    let status = order.status.as_deref().map_or(OrderStatus::Unknown, map::status);
    Some((Kind::Order(status), order))
}

#[derive(Debug, Clone)]
pub struct Config {
    /// Currency of order amounts (cents; Oolio sends no currency).
    pub currency: Currency,
}

impl Config {
    /// The configuration the samples (`events/oolio/`) are made for: AUD. For tests and
    /// benchmarks.
    pub fn sample() -> Config {
        Config {
            currency: "AUD".parse().expect("a known currency"),
        }
    }

    /// `OOLIO_CURRENCY` (ISO 4217, default AUD).
    pub fn from_env() -> Result<Config, config::ConfigError> {
        Ok(Config {
            currency: config::currency("OOLIO_CURRENCY", "AUD")?,
        })
    }
}

pub struct Oolio {
    config: Config,
}

impl Oolio {
    pub fn new(config: Config) -> Self {
        Oolio { config }
    }

    pub fn from_env() -> Result<Self, config::ConfigError> {
        Config::from_env().map(Oolio::new)
    }
}

/// What identifies an Oolio order, and what the kitchen needs: each item's name and
/// quantity, its included items' names and quantities, and the chosen variants' names.
/// The event is identified by the `svix-id` header and its `type` (orders, which have
/// none, by their shape; the bare reservations-partner object by `isActive`).
pub const ESSENTIAL: Essential = Essential(&[
    "type",
    "isActive",
    "data.id",
    "data.items[].name",
    "data.items[].quantity",
    "data.items[].includedItems[].name",
    "data.items[].includedItems[].quantity",
    "data.items[].options[].variants[].name",
    "data.items[].includedItems[].options[].variants[].name",
]);

/// [`Probe`] read leniently (it borrows `data` from the body).
struct ProbeWire;

impl Wire for ProbeWire {
    type Of<'b> = Probe<'b>;
}

impl Oolio {
    /// The order an order event carries: its status (the event's, else the order's own
    /// word) and its canonical snapshot.
    fn order_change(
        &self,
        order: &wire::Order,
        status: OrderStatus,
        warnings: &mut Vec<String>,
    ) -> OrderChange {
        let status = match (status, order.status.as_deref()) {
            (OrderStatus::Unknown, Some(raw)) => map::status(raw),
            (s, _) => s,
        };
        let (snapshot, w) = map::order(order, status, self.config.currency);
        warnings.extend(w);
        OrderChange {
            order_id: order.id.clone(),
            key: None,
            status: Some(status),
            stage: 0,
            order: Some(snapshot),
            awaiting: None,
        }
    }
}

impl Provider for Oolio {
    const NAME: &'static str = "oolio";
    const TEMPLATE_NAME: &'static str = "Oolio";
    type Ack = job::Ack;
    const ESSENTIAL: Essential = ESSENTIAL;
    const MESSAGE_ID_HEADER: Option<&'static str> = Some("svix-id");

    fn verify(&self, delivery: &Delivery<'_>, secrets: &Secrets) -> Result<(), ApiError> {
        let keys = secrets
            .get(SIGNING_SECRETS)
            .map(svix::keys)
            .transpose()
            .map_err(|e| ApiError::Misconfigured(format!("oolio signing_secrets is malformed: {e}")))?;
        match keys {
            Some(keys) if !keys.is_empty() => svix::verify(delivery, &keys),
            // Svix disables an endpoint that keeps failing; a 503 is retried for days.
            _ => Err(ApiError::Misconfigured(
                "oolio secret has no signing_secrets".into(),
            )),
        }
    }

    fn normalize(&self, delivery: &Delivery<'_>) -> Result<Normalized<job::Ack>, ApiError> {
        let id =
            svix::message_id(delivery)?.ok_or_else(|| ApiError::Unauthorized("missing svix-id".into()))?;
        let mut warnings = Vec::new();
        let scratch = Scratch::default();
        let (probe, kind, order) = match bare_order(delivery.body) {
            Some((kind, order)) => (Probe::default(), kind, Some(order)),
            None => {
                let probe =
                    lenient::read::<ProbeWire>(delivery.body, "", &ESSENTIAL, &scratch, &mut warnings)?;
                let kind = classify(&probe);
                (probe, kind, None)
            }
        };
        let mut location_id = probe
            .location_id
            .clone()
            .or_else(|| probe.pos_location_id.clone());
        let mut change = None;
        let mut quarantine = None;
        match kind {
            Kind::Order(status) => {
                let order: wire::Order = match order {
                    Some(order) => order,
                    None => {
                        let data = probe.data.map(|d| d.get().as_bytes()).unwrap_or(b"null");
                        lenient::read_owned(data, "data", &ESSENTIAL, &mut warnings)?
                    }
                };
                location_id = order.pos_location_id.clone().or(location_id);
                change = Some(self.order_change(&order, status, &mut warnings));
            }
            Kind::LocationConnected | Kind::LocationDisconnected | Kind::LocationUpdated => {
                let data = probe.data.map(|d| d.get().as_bytes()).unwrap_or(b"{}");
                let location: wire::Location = lenient::read_owned(data, "data", &ESSENTIAL, &mut warnings)?;
                location_id = location.pos_location_id.clone().or(location_id);
            }
            Kind::ReservationsPartnerConnected | Kind::ReservationsPartnerDisconnected => {
                let partner: wire::ReservationsPartner =
                    lenient::read_owned(delivery.body, "", &ESSENTIAL, &mut warnings)?;
                location_id = partner.pos_location_id.clone().or(location_id);
            }
            Kind::ProductsAvailability => {
                let data = probe.data.map(|d| d.get().as_bytes()).unwrap_or(b"{}");
                let availability: wire::ProductsAvailability =
                    lenient::read_owned(data, "data", &ESSENTIAL, &mut warnings)?;
                location_id = availability.pos_location_id.or(location_id);
            }
            Kind::ReservationUpdated | Kind::WalkInCreated => {}
            Kind::Unclassified => {
                quarantine = Some(format!(
                    "unrecognised Oolio event (type {:?}); stored as sent",
                    probe
                        .kind
                        .as_deref()
                        .map(|t| t.chars().take(64).collect::<String>())
                ));
            }
        }
        Ok(Normalized {
            event_key: EventKey(id.to_owned()),
            event_type: kind.event_type().to_owned(),
            location_id,
            // Order events carry no time of their own: Svix's message time orders them, so a
            // delayed retry of an older update cannot overwrite a newer one.
            occurred_at: probe.timestamp.as_deref().map(Timestamp::rfc3339).or_else(|| {
                svix::message_time(id, delivery.received_at).map(|at| Timestamp {
                    utc: Some(at),
                    raw: id.to_owned(),
                })
            }),
            change,
            detail: None,
            blobs: Vec::new(),
            // Svix's acknowledgement is the 2xx itself; the worker only marks the event done.
            ack: job::Ack::MarkProcessed,
            warnings,
            quarantine,
        })
    }

    /// Kept under its `svix-id` with the order and location it names, and answered 2xx:
    /// Svix retries the same bytes (which cannot help) and disables a failing endpoint.
    fn quarantine(&self, delivery: &Delivery<'_>, _reason: &ApiError) -> Quarantine<job::Ack> {
        let probe = BodyProbe::new(delivery.body);
        Quarantine {
            event_key: svix::message_id(delivery).ok().flatten().map(str::to_owned),
            order_id: probe.id(&["data", "id"]),
            location_id: probe
                .id(&["location_id"])
                .or_else(|| probe.id(&["data", "posLocationId"])),
            ack: None,
        }
    }
}

/// How Svix signs an Oolio delivery: `svix-id`, `svix-timestamp`, `svix-signature` with
/// the first of the endpoint's signing secrets.
#[derive(Debug, Clone, Copy, Default)]
pub struct OolioSigner;

impl Signer for OolioSigner {
    fn configured(_auth_header: &str) -> Self {
        OolioSigner
    }

    fn sign(&self, secrets: &Secrets, out: &Outgoing<'_>) -> Result<Headers, SecretError> {
        let Outgoing {
            body,
            message_id,
            now,
        } = *out;
        let keys = svix::keys(secrets.require(SIGNING_SECRETS)?)?;
        let key = keys
            .first()
            .ok_or_else(|| SecretError::Missing(SIGNING_SECRETS.into()))?;
        let ts = now.timestamp();
        Ok(vec![
            ("svix-id".to_owned(), message_id.to_owned()),
            ("svix-timestamp".to_owned(), ts.to_string()),
            ("svix-signature".to_owned(), svix::sign(key, message_id, ts, body)),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::http::HeaderMap;

    fn normalize(body: &str) -> Normalized<job::Ack> {
        let mut headers = HeaderMap::new();
        headers.insert("svix-id", "msg_2Yk06ordercreated".parse().unwrap());
        let received_at = "2026-11-25T12:00:00Z".parse().unwrap();
        let delivery = Delivery::new(&headers, body.as_bytes(), received_at);
        Oolio::new(Config::sample()).normalize(&delivery).unwrap()
    }

    /// An order sample's body with a top-level key the probe reads as absent, which keeps
    /// it off the one-pass path.
    fn through_the_probe(body: &str) -> String {
        let mut v: serde_json::Value = serde_json::from_str(body).unwrap();
        v["location_id"] = serde_json::Value::Null;
        v.to_string()
    }

    #[test]
    fn an_order_read_in_one_pass_is_read_as_the_probe_path_reads_it() {
        let mut one_pass = 0;
        for name in ordergate_testkit::samples("oolio") {
            let body = ordergate_testkit::body(&name);
            let Some((kind, _)) = bare_order(body.as_bytes()) else {
                continue;
            };
            one_pass += 1;
            let probe: Probe = serde_json::from_str(&body).unwrap();
            assert_eq!(kind, classify(&probe), "{name}");
            assert_eq!(normalize(&body), normalize(&through_the_probe(&body)), "{name}");
        }
        assert_eq!(one_pass, 5, "the five order samples take the one-pass path");
    }

    #[test]
    fn only_a_bare_order_takes_the_one_pass_path() {
        let order = |extra: &str, items: &str, status: &str| {
            format!(r#"{{"data": {{"id": "o-1", "status": "{status}", "items": {items}}}{extra}}}"#)
        };
        let item = r#"[{"name": "Eggs", "quantity": 1}]"#;
        assert!(bare_order(order("", item, "accepted").as_bytes()).is_some());
        for other in [
            order(r#", "type": "location.updated""#, item, "accepted"),
            order(r#", "isActive": true"#, item, "accepted"),
            order(r#", "reservation": {}"#, item, "accepted"),
            order("", "[]", "accepted"),
            order("", r#"[{"name": "Eggs", "quantity": "one"}]"#, "accepted"),
        ] {
            assert!(bare_order(other.as_bytes()).is_none(), "{other}");
        }
        // A status word with an escape in it still names the status.
        let escaped = order("", item, "accep\\u0074ed");
        assert_eq!(
            bare_order(escaped.as_bytes()).map(|(kind, _)| kind),
            Some(Kind::Order(OrderStatus::Accepted))
        );
        assert_eq!(normalize(&escaped), normalize(&through_the_probe(&escaped)));
    }
}
