//! The canonical model every platform is normalized into. Stored in DynamoDB as JSON and
//! read by downstream consumers, so field names are part of the contract (`schema`).

use serde::{Deserialize, Serialize};

use crate::blob::{Blob, BlobRef};
use crate::money::{Currency, MinorUnits};
use crate::time::Timestamp;

pub mod attributes;
pub use attributes::Attributes;

/// Version of the canonical JSON shape written to the table and the queue.
pub const SCHEMA_VERSION: u32 = 1;

/// The platform's own id for one delivery: the unit of idempotency.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EventKey(pub String);

impl EventKey {
    /// A key made of several ids (`store:order:event`), joined with `:` after escaping `%`
    /// and `:` inside each (`%25`, `%3A`), so that no two different lists of ids make the
    /// same key. Ids without either character are kept as they are: the keys of events
    /// stored before this encoding are unchanged, so their retries still dedupe.
    pub fn joined<'a>(parts: impl IntoIterator<Item = &'a str>) -> EventKey {
        let escaped: Vec<String> = parts
            .into_iter()
            .map(|p| p.replace('%', "%25").replace(':', "%3A"))
            .collect();
        EventKey(escaped.join(":"))
    }
}

/// Lifecycle status, ordered by how far an order has progressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// A status code or word the platform has not documented; kept, never rejected.
    Unknown,
    Placed,
    Accepted,
    Preparing,
    Ready,
    PickedUp,
    InDelivery,
    Delivered,
    Completed,
    Cancelled,
    Failed,
}

impl OrderStatus {
    /// Progression rank: an event whose rank is lower than the stored one is older and
    /// must not overwrite the order. Unknown ranks lowest so it never hides a known state.
    pub fn rank(self) -> u8 {
        match self {
            OrderStatus::Unknown => 0,
            OrderStatus::Placed => 10,
            OrderStatus::Accepted => 20,
            OrderStatus::Preparing => 30,
            OrderStatus::Ready => 40,
            OrderStatus::PickedUp => 50,
            OrderStatus::InDelivery => 60,
            OrderStatus::Delivered => 70,
            OrderStatus::Completed => 80,
            OrderStatus::Cancelled => 90,
            OrderStatus::Failed => 95,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Unknown => "unknown",
            OrderStatus::Placed => "placed",
            OrderStatus::Accepted => "accepted",
            OrderStatus::Preparing => "preparing",
            OrderStatus::Ready => "ready",
            OrderStatus::PickedUp => "picked_up",
            OrderStatus::InDelivery => "in_delivery",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Completed => "completed",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Failed => "failed",
        }
    }
}

/// Where a platform's change sits in the order's life, so that state is applied in order:
/// compared first by status rank, then by the platform's own stage, then by event time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Precedence {
    pub status: OrderStatus,
    /// Platform-specific tie-break within one status (e.g. created = 0 < updated = 1).
    pub stage: u8,
    /// When the platform says the change happened, if it says.
    pub occurred_ms: Option<i64>,
}

impl Precedence {
    /// One number that orders the same way, for a single DynamoDB condition (`<=`).
    pub fn version(&self) -> i64 {
        const MS_SPAN: i64 = 1_000_000_000_000_000; // beyond year 33,000 in ms
        let ms = self.occurred_ms.unwrap_or(0).clamp(0, MS_SPAN - 1);
        i64::from(self.status.rank()) * 10 * MS_SPAN + i64::from(self.stage.min(9)) * MS_SPAN + ms
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "raw")]
pub enum OrderType {
    Delivery,
    Pickup,
    DineIn,
    Curbside,
    /// Anything else, with the platform's word for it.
    Other(String),
}

/// One line or modifier. Modifiers nest to any depth (bundles, combos, options of options).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Item {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    pub quantity: u32,
    /// Price of one unit as charged, before the line's quantity.
    pub unit_price: MinorUnits,
    /// Regular (list) price of one unit, when the platform shows a markdown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_regular_price: Option<MinorUnits>,
    /// Discount on one unit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_discount: Option<MinorUnits>,
    /// The line total as the platform sent it (not recomputed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line_total: Option<MinorUnits>,
    /// What the platform says this line's modifiers add per unit, when it says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modifiers_total: Option<MinorUnits>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modifiers: Vec<Item>,
    /// Platform facts about the line with no canonical field (e.g. bundle membership).
    #[serde(default, skip_serializing_if = "Attributes::is_empty")]
    pub attributes: Attributes,
}

/// A discount or a fee: a named amount with the platform's kind for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Adjustment {
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Always positive: discounts reduce, fees add.
    pub amount: MinorUnits,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Totals {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subtotal: Option<MinorUnits>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discount_total: Option<MinorUnits>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fee_total: Option<MinorUnits>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax_total: Option<MinorUnits>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tip: Option<MinorUnits>,
    pub total: MinorUnits,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Customer {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Payment {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount_paid: Option<MinorUnits>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount_due: Option<MinorUnits>,
    /// Cash handed over by the customer (change owed is this minus the total).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount_tendered: Option<MinorUnits>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Address {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub street: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub area: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Courier {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Who delivers: the restaurant's own staff or the platform's courier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivered_by: Option<String>,
}

/// When and where the order leaves the kitchen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Fulfilment {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pickup_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deliver_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asap: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub courier: Option<Courier>,
}

/// A full order snapshot as of one event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    pub order_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_id: Option<String>,
    pub status: OrderStatus,
    /// The platform's own status word or code.
    pub status_raw: String,
    pub order_type: OrderType,
    pub currency: Currency,
    pub items: Vec<Item>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub discounts: Vec<Adjustment>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fees: Vec<Adjustment>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub taxes: Vec<Adjustment>,
    pub totals: Totals,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer: Option<Customer>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment: Option<Payment>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fulfilment: Option<Fulfilment>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<Timestamp>,
    /// A platform test order: store it, but the kitchen should not cook it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub test: bool,
    /// Platform facts with no canonical field, kept verbatim under the platform's own name.
    #[serde(default, skip_serializing_if = "Attributes::is_empty")]
    pub attributes: Attributes,
}

impl Order {
    /// Erases what identifies or describes a person — the customer, delivery address and
    /// courier, free-text notes (order and items), and the platform extras kept verbatim in
    /// `attributes` (they may hold anything) — keeping the order's facts: items, money,
    /// status, type, times. Returns whether anything was removed (`ordergate forget`).
    pub fn forget_personal(&mut self) -> bool {
        fn item(i: &mut Item) -> bool {
            let mut changed = i.notes.take().is_some();
            for m in &mut i.modifiers {
                changed |= item(m);
            }
            changed
        }
        let mut changed = self.customer.take().is_some() | self.notes.take().is_some();
        if let Some(f) = &mut self.fulfilment {
            changed |= f.address.take().is_some() | f.courier.take().is_some();
        }
        if !self.attributes.is_empty() {
            self.attributes.clear();
            changed = true;
        }
        for i in &mut self.items {
            changed |= item(i);
        }
        changed
    }

    /// Whether this order's customer has `phone` or `email` (compared without spaces and
    /// case, as platforms format them differently).
    pub fn is_customer(&self, phone_or_email: &str) -> bool {
        let norm = |s: &str| {
            s.chars()
                .filter(|c| !c.is_whitespace() && !"-()".contains(*c))
                .collect::<String>()
                .to_lowercase()
        };
        let wanted = norm(phone_or_email);
        self.customer.as_ref().is_some_and(|c| {
            [&c.phone, &c.email]
                .iter()
                .any(|v| v.as_deref().is_some_and(|v| norm(v) == wanted))
        })
    }
}

/// What one delivery says about an order: which order, how far along, and (for platforms
/// that send full orders) the order itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderChange {
    /// The platform's id of the order.
    pub order_id: String,
    /// The order's key in the table when its id alone is not unique: `<location>:<order
    /// id>` (joined as [`EventKey::joined`]) for a platform whose order ids are unique only
    /// per store ([`crate::Provider::ORDER_IDS_PER_LOCATION`]). Set by the pipeline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// `None` for events that are recorded on the order's trail without moving its state
    /// (e.g. a rider's progress).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<OrderStatus>,
    #[serde(skip)]
    pub stage: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<Order>,
    /// A new order the restaurant accepts or rejects itself (manual acceptance): until
    /// when it may, and what applies then ([`crate::command::Decision`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub awaiting: Option<crate::command::Decision>,
}

impl OrderChange {
    /// What the order is stored under (after `ORDER#<provider>#`).
    pub fn key(&self) -> &str {
        self.key.as_deref().unwrap_or(&self.order_id)
    }

    /// The key of an order whose id is unique only within its location.
    pub fn key_in(location: &str, order_id: &str) -> String {
        EventKey::joined([location, order_id]).0
    }

    /// The order id inside a key [`OrderChange::key_in`] made at `location`; `None` when
    /// `key` is not one.
    pub fn id_in(location: &str, key: &str) -> Option<String> {
        let rest = key
            .strip_prefix(&EventKey::joined([location]).0)?
            .strip_prefix(':')?;
        let mut id = String::with_capacity(rest.len());
        let mut chars = rest.char_indices();
        while let Some((at, c)) = chars.next() {
            match (c, rest.get(at..at + 3)) {
                ('%', Some("%25")) => id.push('%'),
                ('%', Some("%3A")) => id.push(':'),
                (':' | '%', _) => return None,
                _ => {
                    id.push(c);
                    continue;
                }
            }
            chars.nth(1);
        }
        Some(id)
    }

    /// What an order named by its platform's id (and location) is stored under: its id, or
    /// for a platform whose ids are unique only per location ([`crate::Provider::ORDER_IDS_PER_LOCATION`])
    /// its location and id — `None` when that location is not given.
    pub fn stored_key(per_location: bool, location: Option<&str>, order_id: &str) -> Option<String> {
        match (per_location, location) {
            (false, _) => Some(order_id.to_owned()),
            (true, Some(location)) => Some(OrderChange::key_in(location, order_id)),
            (true, None) => None,
        }
    }
}

/// A provider's reading of one delivery, before the pipeline stamps it. `A` is the
/// platform's own ack job type ([`crate::Provider::Ack`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Normalized<A> {
    pub event_key: EventKey,
    pub event_type: String,
    /// The platform's id of the restaurant (merchant, location, store).
    pub location_id: Option<String>,
    pub occurred_at: Option<Timestamp>,
    pub change: Option<OrderChange>,
    /// Typed facts beyond the order (a refund, a proof of delivery).
    pub detail: Option<EventDetail>,
    /// Attachments to keep in the blob store (referenced from `detail`).
    pub blobs: Vec<Blob>,
    /// What the ack worker must do, in the platform's own typed terms.
    pub ack: A,
    /// Things that look wrong but are stored as sent (e.g. totals that do not add up).
    pub warnings: Vec<String>,
    /// Why this authenticated delivery was kept without being fully read (an event type
    /// nobody documented, an order that could not be mapped): stored raw, counted as
    /// `Quarantined` and alarmed, so an operator looks at it.
    pub quarantine: Option<String>,
}

impl<A> Normalized<A> {
    pub fn map_ack<B>(self, f: impl FnOnce(A) -> B) -> Normalized<B> {
        Normalized {
            event_key: self.event_key,
            event_type: self.event_type,
            location_id: self.location_id,
            occurred_at: self.occurred_at,
            change: self.change,
            detail: self.detail,
            blobs: self.blobs,
            ack: f(self.ack),
            warnings: self.warnings,
            quarantine: self.quarantine,
        }
    }
}

/// What a platform can still read from a delivery it could not normalize
/// ([`crate::Provider::quarantine`]); the pipeline keeps the delivery with this.
#[derive(Debug, Clone, PartialEq)]
pub struct Quarantine<A> {
    /// The platform's id for the delivery; without one the body's SHA-256 dedupes it.
    pub event_key: Option<String>,
    /// The order it is about: the quarantined event joins that order's trail.
    pub order_id: Option<String>,
    pub location_id: Option<String>,
    /// A job to run for it (none: nothing to acknowledge).
    pub ack: Option<A>,
}

impl<A> Default for Quarantine<A> {
    fn default() -> Self {
        Quarantine {
            event_key: None,
            order_id: None,
            location_id: None,
            ack: None,
        }
    }
}

/// The event type of a quarantined delivery, and the prefix of its key
/// (`quarantined:<platform id>` or `quarantined:sha256:<body hash>`): never the key the
/// delivery gets once it can be read, so a reprocessing or the platform's retry after a fix
/// stores it as new.
pub const QUARANTINED: &str = "quarantined";

/// The stored canonical event: one per event key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CanonicalEvent {
    pub schema: u32,
    pub provider: String,
    /// Stored as `dedupe_key` (what every running function reads); read under either name.
    #[serde(
        rename(serialize = "dedupe_key", deserialize = "event_key"),
        alias = "dedupe_key"
    )]
    pub event_key: EventKey,
    pub event_type: String,
    /// The platform's id of the restaurant (merchant, location, store...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location_id: Option<String>,
    /// Your id for that restaurant, from the location mapping (`ordergate location set`).
    /// Absent while `location_id` is unmapped: the event is kept and flagged in `warnings`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_location_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub occurred_at: Option<Timestamp>,
    pub received_at: chrono::DateTime<chrono::Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<OrderChange>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<EventDetail>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Set when the delivery was kept without being fully read (see `Normalized`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quarantined: Option<String>,
    /// SHA-256 of the raw body, to spot a re-used id carrying different content.
    pub body_sha256: String,
    /// The platform's delivery id header, where it has one (Svix's `svix-id`): with the
    /// raw body, all a reprocessing needs to read the delivery again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// Where the raw body is kept: on the event record, or in the blob store when large.
    pub raw_body: RawBodyRef,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "stored", rename_all = "snake_case")]
pub enum RawBodyRef {
    /// In the event record's `raw_body` attribute (until the record's TTL).
    Inline,
    Blob(BlobRef),
    /// Removed on request (`ordergate forget`): the body held personal data.
    Erased,
}

impl CanonicalEvent {
    /// Erases personal data from the event (see [`Order::forget_personal`]) and marks its
    /// raw body erased; returns whether it changed and the blob keys to delete with it (the
    /// raw body, a proof-of-delivery photo).
    pub fn forget_personal(&mut self) -> (bool, Vec<String>) {
        let mut blobs = Vec::new();
        let mut changed = false;
        if let Some(order) = self.change.as_mut().and_then(|c| c.order.as_mut()) {
            changed |= order.forget_personal();
        }
        match std::mem::replace(&mut self.raw_body, RawBodyRef::Erased) {
            RawBodyRef::Blob(b) => {
                blobs.push(b.key);
                changed = true;
            }
            RawBodyRef::Inline => changed = true,
            RawBodyRef::Erased => {}
        }
        match &mut self.detail {
            Some(EventDetail::ProofOfDelivery { image }) => blobs.push(image.key.clone()),
            // A photo of someone's door is theirs too: the link goes.
            Some(EventDetail::ProofOfDeliveryLink { url }) if !url.is_empty() => {
                url.clear();
                changed = true;
            }
            _ => {}
        }
        (changed, blobs)
    }
}

/// Typed facts an event carries beyond the order itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventDetail {
    Refund(Refund),
    /// A proof-of-delivery image, kept in the blob store.
    ProofOfDelivery {
        image: BlobRef,
    },
    /// A proof of delivery the platform keeps at a URL (not fetched: kept as sent).
    ProofOfDeliveryLink {
        url: String,
    },
    /// A restaurant's command about the order (`crate::command`), recorded on its trail.
    Command(crate::command::StatusCommand),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Refund {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub currency: Currency,
    /// What the delivery partner adjusts on its invoice.
    pub rider_total: MinorUnits,
    /// What the restaurant owes its customers.
    pub partner_total: MinorUnits,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<RefundItem>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fees: Vec<Adjustment>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundItem {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub rider_amount: MinorUnits,
    pub partner_amount: MinorUnits,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub party_at_fault: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub products: Vec<RefundedProduct>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundedProduct {
    pub name: String,
    pub quantity: u32,
}

/// How far past its receipt an event's own time counts when ordering an order's events. A
/// platform clock running ahead, or a timestamp from the far future, would otherwise freeze
/// the order: no later event of the same status could move it. The raw time is kept on the
/// event; only the ordering is clamped.
pub const MAX_CLOCK_AHEAD_MS: i64 = 5 * 60 * 1000;

impl CanonicalEvent {
    /// `None` when the event does not move the order's state.
    pub fn precedence(&self) -> Option<Precedence> {
        let change = self.change.as_ref()?;
        let latest = self
            .received_at
            .timestamp_millis()
            .saturating_add(MAX_CLOCK_AHEAD_MS);
        change.status.map(|status| Precedence {
            status,
            stage: change.stage,
            occurred_ms: self
                .occurred_at
                .as_ref()
                .and_then(Timestamp::millis)
                .map(|ms| ms.min(latest)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_order_id_is_read_back_from_its_location_scoped_key() {
        for (location, id) in [("777", "PE-1"), ("a:b", "c%3Ad:e"), ("st-1", "100%"), ("s", "")] {
            let key = OrderChange::key_in(location, id);
            assert_eq!(OrderChange::id_in(location, &key).as_deref(), Some(id), "{key}");
        }
        assert_eq!(OrderChange::id_in("777", "888:PE-1"), None);
        assert_eq!(
            OrderChange::id_in("777", "777:a:b"),
            None,
            "not a key made by key_in"
        );
    }

    #[test]
    fn joined_keys_are_unambiguous_and_plain_ids_keep_their_old_keys() {
        let key = |parts: &[&str]| EventKey::joined(parts.iter().copied()).0;
        assert_eq!(key(&["st-1", "o1", "order-accepted"]), "st-1:o1:order-accepted");
        assert_ne!(key(&["a:b", "c"]), key(&["a", "b:c"]));
        assert_eq!(key(&["a:b", "c"]), "a%3Ab:c");
        assert_ne!(key(&["a%3Ab", "c"]), key(&["a:b", "c"]));
    }

    #[test]
    fn an_event_time_from_the_future_counts_as_at_most_minutes_past_its_receipt() {
        let event = |occurred: &str| -> CanonicalEvent {
            serde_json::from_value(serde_json::json!({
                "schema": 1, "provider": "deliverect", "event_key": occurred, "event_type": "status_20",
                "received_at": "2026-11-25T12:00:00Z", "body_sha256": "00", "raw_body": {"stored": "inline"},
                "occurred_at": {"raw": occurred, "utc": occurred},
                "change": {"order_id": "o1", "status": "accepted"}
            }))
            .unwrap()
        };
        let far = event("3026-01-01T00:00:00Z");
        let received = far.received_at.timestamp_millis();
        assert_eq!(
            far.precedence().unwrap().occurred_ms,
            Some(received + MAX_CLOCK_AHEAD_MS)
        );
        assert_eq!(
            far.occurred_at.as_ref().unwrap().raw,
            "3026-01-01T00:00:00Z",
            "raw time kept"
        );
        let near = event("2026-11-25T12:01:00Z");
        assert_eq!(near.precedence().unwrap().occurred_ms, Some(received + 60_000));
        // A later event received after the clamp moves the order again.
        let mut later = event("2026-11-25T12:10:00Z");
        later.received_at = "2026-11-25T12:10:00Z".parse().unwrap();
        assert!(later.precedence().unwrap().version() > far.precedence().unwrap().version());
    }

    #[test]
    fn forgetting_an_event_drops_a_proof_link_and_names_a_proof_image() {
        let mut event: CanonicalEvent = serde_json::from_value(serde_json::json!({
            "schema": 1, "provider": "ordatic", "event_key": "k", "event_type": "rider-proof-delivery",
            "received_at": "2026-11-25T12:00:00Z", "body_sha256": "00", "raw_body": {"stored": "inline"},
            "detail": {"kind": "proof_of_delivery_link", "url": "https://cdn.example.com/p.png"}
        }))
        .unwrap();
        assert_eq!(event.forget_personal(), (true, vec![]));
        assert_eq!(
            event.detail,
            Some(EventDetail::ProofOfDeliveryLink { url: String::new() })
        );
        assert_eq!(event.raw_body, RawBodyRef::Erased);
        event.detail = Some(EventDetail::ProofOfDelivery {
            image: crate::blob::BlobRef {
                key: "events/ordatic/x/proof.png".into(),
                content_type: "image/png".into(),
                size: 8,
                sha256: "00".into(),
            },
        });
        assert_eq!(
            event.forget_personal(),
            (false, vec!["events/ordatic/x/proof.png".to_owned()])
        );
    }

    fn p(status: OrderStatus, stage: u8, ms: Option<i64>) -> i64 {
        Precedence {
            status,
            stage,
            occurred_ms: ms,
        }
        .version()
    }

    #[test]
    fn version_orders_by_status_then_stage_then_time() {
        assert!(p(OrderStatus::Accepted, 0, None) > p(OrderStatus::Placed, 9, Some(i64::MAX)));
        assert!(p(OrderStatus::Placed, 1, None) > p(OrderStatus::Placed, 0, Some(1_700_000_000_000)));
        assert!(p(OrderStatus::Placed, 1, Some(2)) > p(OrderStatus::Placed, 1, Some(1)));
        assert!(p(OrderStatus::Unknown, 9, Some(5)) < p(OrderStatus::Placed, 0, None));
        assert!(p(OrderStatus::Failed, 9, Some(i64::MAX)) < i64::MAX);
    }

    #[test]
    fn statuses_rank_in_lifecycle_order() {
        use OrderStatus::*;
        let order = [
            Unknown, Placed, Accepted, Preparing, Ready, PickedUp, InDelivery, Delivered, Completed,
            Cancelled, Failed,
        ];
        assert!(order.windows(2).all(|w| w[0].rank() < w[1].rank()));
        for s in order {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
    }
}
