//! Ordatic jobs (the ack worker's side): the events carry only ids, so the worker fetches
//! the full order — `POST {api}/v2/auth {appId, appSecret}` gives a bearer valid 24 h
//! (cached), `GET {api}/v2/stores/{storeId}/orders/{orderId}` gives the order — maps it to
//! the canonical model and stores it on the order (enrichment).
//!
//! After fetching an `order-accepted` order, and only if `ORDATIC_STATUS_PATH` is set (the
//! status API's path is not public: ASSUMPTION), the worker tells Ordatic the POS has it:
//! `POST {api}{path}` with `{"status": ORDATIC_ACCEPT_STATUS}` (default `IN_KITCHEN`); the
//! path may use `{storeId}` and `{orderId}`.
//!
//! ASSUMPTION: the full order's schema is not public. The mapping reads the common fields
//! (`id`, `status`, `items[{name, quantity, price}]`, `customer`, `fulfillment.type`,
//! `total`, amounts in cents like refunds) leniently and keeps the whole answer as the
//! `ordatic_order` attribute, so nothing is lost when the guess is wrong.

use std::time::Duration;

use ordergate_shared::config;
use ordergate_shared::config::ConfigError;
use ordergate_shared::job::AckJob;
use ordergate_shared::model::{
    Attributes, Customer, Fulfilment, Item, Order, OrderStatus, OrderType, Totals,
};
use ordergate_shared::money::{Converter, Currency, MinorUnits};
use ordergate_shared::secrets::{SecretKeys, SecretSource};
use ordergate_shared::time::Timestamp;
use ordergate_shared::wire::{list_or_null, opt_lenient_int, opt_string_or_number};
use ordergate_shared::worker::http::{
    authorized, check, client, credential_pair, path_segment, send, TokenCache,
};
use ordergate_shared::worker::{AckError, Acked, Acknowledge};

use crate::job::Ack;
use serde::Deserialize;
use serde_json::json;

pub const APP_ID: &str = "app_id";
pub const APP_SECRET: &str = "app_secret";
/// The worker's Ordatic API secret.
pub const API_SECRET: SecretKeys = SecretKeys::plain(&[APP_ID, APP_SECRET]);
/// Ordatic's tokens last 24 h.
const TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 3600);
/// Larger answers are not copied into the `ordatic_order` attribute (DynamoDB item limit).
const MAX_RAW: usize = 64 * 1024;

pub use crate::job::STATUSES;

/// Whether the order, as Ordatic has it now, is already at `status` or beyond (or over):
/// then the status report is not sent. This makes the report at most once even when a
/// retry follows a report whose outcome was not recorded — the fetch before it shows the
/// status already set — and never moves Ordatic's status backwards (IN_KITCHEN after READY).
fn already_at_or_past(current: Option<&str>, status: &str) -> bool {
    let normalized = current.unwrap_or_default().to_ascii_uppercase().replace('-', "_");
    if matches!(normalized.as_str(), "CANCELED" | "CANCELLED" | "REJECTED") {
        return true;
    }
    let rank = |s: &str| STATUSES.iter().position(|x| *x == s);
    match (rank(&normalized), rank(status)) {
        (Some(now), Some(wanted)) => now >= wanted,
        _ => false,
    }
}

/// The canonical status of a fetched order's `status` (either spelling Ordatic uses).
fn full_order_status(status: Option<&str>) -> OrderStatus {
    match status.map(str::to_ascii_lowercase).as_deref() {
        Some("accepted") => OrderStatus::Accepted,
        Some("in_kitchen" | "in-kitchen") => OrderStatus::Preparing,
        Some("ready_to_pick_up" | "ready-to-pick-up") => OrderStatus::Ready,
        Some("picked_up" | "picked-up") => OrderStatus::PickedUp,
        Some("served") => OrderStatus::Completed,
        Some("canceled" | "cancelled") => OrderStatus::Cancelled,
        _ => OrderStatus::Unknown,
    }
}

/// Cents in the fetched order → minor units (an amount out of range is 0, with a warning).
fn cents(money: &mut Converter, field: &str, cents: i64) -> MinorUnits {
    money.scaled_or_zero(&|| field.to_owned(), Some(cents), 2)
}

/// Where and what to report back when an order is accepted.
#[derive(Debug, Clone)]
pub struct StatusBack {
    pub path: String,
    pub status: String,
}

pub struct OrdaticAck {
    http: reqwest::Client,
    api: String,
    currency: Currency,
    status_back: Option<StatusBack>,
    secrets: SecretSource,
    tokens: TokenCache,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Token {
    #[serde(alias = "accessToken", alias = "access_token")]
    token: String,
    expires_in: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct FullOrder {
    #[serde(deserialize_with = "opt_string_or_number")]
    id: Option<String>,
    #[serde(deserialize_with = "opt_string_or_number")]
    display_id: Option<String>,
    status: Option<String>,
    created_at: Option<String>,
    notes: Option<String>,
    #[serde(deserialize_with = "opt_lenient_int")]
    total: Option<i64>,
    #[serde(deserialize_with = "list_or_null")]
    items: Vec<FullItem>,
    customer: Option<FullCustomer>,
    fulfillment: Option<Fulfillment>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct FullItem {
    name: String,
    #[serde(deserialize_with = "opt_string_or_number")]
    sku: Option<String>,
    quantity: Option<u32>,
    #[serde(deserialize_with = "opt_lenient_int")]
    price: Option<i64>,
    #[serde(deserialize_with = "list_or_null")]
    modifiers: Vec<FullItem>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct FullCustomer {
    name: Option<String>,
    phone: Option<String>,
    email: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Fulfillment {
    #[serde(rename = "type")]
    kind: Option<String>,
}

impl OrdaticAck {
    pub fn new(api: &str, currency: Currency, secrets: SecretSource) -> Self {
        OrdaticAck {
            http: client(),
            api: api.trim_end_matches('/').to_owned(),
            currency,
            status_back: None,
            secrets,
            tokens: TokenCache::default(),
        }
    }

    /// Reports `status_back.status` after fetching an accepted order.
    pub fn with_status_back(mut self, status_back: StatusBack) -> Result<Self, ConfigError> {
        if !STATUSES.contains(&status_back.status.as_str()) {
            let problem = format_args!("must be one of {STATUSES:?}");
            return Err(ConfigError::invalid("ORDATIC_ACCEPT_STATUS", problem));
        }
        self.status_back = Some(status_back);
        Ok(self)
    }

    async fn token(&self) -> Result<(String, Duration), AckError> {
        let (id, secret) = credential_pair(&self.secrets, [APP_ID, APP_SECRET], "ordatic").await?;
        let request = self
            .http
            .post(format!("{}/v2/auth", self.api))
            .json(&json!({"appId": id, "appSecret": secret}));
        let token: Token =
            check(send(request, "ordatic auth").await?, "ordatic auth")?.json("ordatic auth")?;
        Ok((
            token.token,
            token.expires_in.map_or(TOKEN_LIFETIME, Duration::from_secs),
        ))
    }

    fn item(money: &mut Converter, path: &str, i: &FullItem) -> Result<Item, AckError> {
        Ok(Item {
            name: i.name.clone(),
            sku: i.sku.clone(),
            quantity: i.quantity.unwrap_or(1),
            unit_price: cents(money, &format!("{path}.price"), i.price.unwrap_or_default()),
            modifiers: i
                .modifiers
                .iter()
                .enumerate()
                .map(|(n, m)| Self::item(money, &format!("{path}.modifiers[{n}]"), m))
                .collect::<Result<_, _>>()?,
            ..Item::default()
        })
    }

    fn map(&self, order_id: &str, o: FullOrder, raw: &str) -> Result<Order, AckError> {
        let mut money = Converter::new(self.currency);
        let items: Vec<Item> = o
            .items
            .iter()
            .enumerate()
            .map(|(n, i)| Self::item(&mut money, &format!("items[{n}]"), i))
            .collect::<Result<_, _>>()?;
        let line = |i: &Item| {
            let modifiers = MinorUnits::sum(
                i.modifiers
                    .iter()
                    .map(|m| m.unit_price.times(m.quantity))
                    .collect::<Option<Vec<_>>>()?,
            )?;
            i.unit_price.checked_add(modifiers)?.times(i.quantity)
        };
        let lines = items
            .iter()
            .map(line)
            .collect::<Option<Vec<_>>>()
            .and_then(MinorUnits::sum)
            .ok_or_else(|| AckError::Permanent("ordatic order: amounts add up beyond range".into()))?;
        let total = o.total.map(|t| cents(&mut money, "total", t));
        let mut attributes = Attributes::new();
        if raw.len() <= MAX_RAW {
            attributes.insert("ordatic_order", raw);
        }
        // The enrichment has no event to carry warnings: rounded amounts are noted on
        // the order itself (Ordatic sends cents, so only for currencies with fewer digits).
        let rounded = money.warnings.join("; ");
        if !rounded.is_empty() {
            attributes.insert("amount_warnings", rounded);
        }
        let kind = o.fulfillment.and_then(|f| f.kind).unwrap_or_default();
        let status_raw = o.status.clone().unwrap_or_default();
        Ok(Order {
            order_id: o.id.unwrap_or_else(|| order_id.to_owned()),
            display_id: o.display_id,
            status: full_order_status(o.status.as_deref()),
            status_raw,
            order_type: match kind.as_str() {
                "takeaway" => OrderType::Pickup,
                "order-at-table" => OrderType::DineIn,
                k if k.starts_with("delivery") => OrderType::Delivery,
                k => OrderType::Other(k.to_owned()),
            },
            currency: self.currency,
            items,
            discounts: Vec::new(),
            fees: Vec::new(),
            taxes: Vec::new(),
            totals: Totals {
                subtotal: Some(lines),
                total: total.unwrap_or(lines),
                ..Totals::default()
            },
            customer: o.customer.map(|c| Customer {
                name: c.name,
                phone: c.phone,
                email: c.email,
                ..Customer::default()
            }),
            payment: None,
            notes: o.notes,
            fulfilment: Some(Fulfilment::default()),
            table: None,
            source: Some("ordatic".into()),
            created_at: o.created_at.as_deref().map(Timestamp::rfc3339),
            updated_at: None,
            test: false,
            attributes,
        })
    }
}

impl Acknowledge for OrdaticAck {
    /// `ORDATIC_API_URL` (default production), `ORDATIC_CURRENCY`, and optionally
    /// `ORDATIC_STATUS_PATH` with `ORDATIC_ACCEPT_STATUS`.
    fn from_env(secrets: SecretSource) -> Result<Self, ConfigError> {
        let api = config::var("ORDATIC_API_URL").unwrap_or_else(|| "https://api.ordatic.com".into());
        let ack = OrdaticAck::new(&api, crate::Config::from_env()?.currency, secrets);
        match config::var("ORDATIC_STATUS_PATH") {
            None => Ok(ack),
            Some(path) => ack.with_status_back(StatusBack {
                path,
                status: config::var("ORDATIC_ACCEPT_STATUS").unwrap_or_else(|| "IN_KITCHEN".into()),
            }),
        }
    }

    async fn acknowledge(&self, job: &AckJob) -> Result<Acked, AckError> {
        match job.ack_as()? {
            Ack::FetchOrder { store_id, order_id } => self.fetch(job, &store_id, &order_id).await,
            Ack::ReportStatus {
                store_id,
                order_id,
                status,
            } => {
                let path = self.status_back.as_ref().map(|b| b.path.as_str()).ok_or_else(|| {
                    AckError::Misconfigured(
                        "ordatic status: ORDATIC_STATUS_PATH is not set (template parameter OrdaticStatusPath)".into(),
                    )
                })?;
                self.report(path, &store_id, &order_id, &status).await?;
                Ok(Acked::note(format!("{status} sent")))
            }
        }
    }
}

impl OrdaticAck {
    /// Fetches the full order, and after `order-accepted` reports the configured status.
    async fn fetch(&self, job: &AckJob, store: &str, order: &str) -> Result<Acked, AckError> {
        let url = format!(
            "{}/v2/stores/{}/orders/{}",
            self.api,
            path_segment(store)?,
            path_segment(order)?
        );
        let reply = authorized(
            &self.tokens,
            || self.token(),
            "ordatic order",
            |token| self.http.get(&url).bearer_auth(token),
        )
        .await?;
        let full: FullOrder = reply.json("ordatic order")?;
        let platform_status = full.status.clone();
        let mapped = self.map(order, full, &reply.body)?;
        let mut note = "full order fetched".to_owned();
        let back = self
            .status_back
            .as_ref()
            .filter(|_| job.event_type == "order-accepted");
        if let Some(back) = back.filter(|b| !already_at_or_past(platform_status.as_deref(), &b.status)) {
            self.report(&back.path, store, order, &back.status).await?;
            note = format!("full order fetched; {} sent", back.status);
        }
        Ok(Acked {
            note,
            order: Some(mapped),
        })
    }

    /// `POST {api}{path}` with `{"status": status}`, the path's `{storeId}` and `{orderId}`
    /// filled in.
    async fn report(&self, path: &str, store: &str, order: &str, status: &str) -> Result<(), AckError> {
        let url = format!(
            "{}{}",
            self.api,
            path.replace("{storeId}", &path_segment(store)?)
                .replace("{orderId}", &path_segment(order)?)
        );
        let body = json!({ "status": status });
        authorized(
            &self.tokens,
            || self.token(),
            "ordatic status",
            |token| self.http.post(&url).bearer_auth(token).json(&body),
        )
        .await?;
        Ok(())
    }
}
