//! OlaClick's webhook payload, field for field as its partner doc shows it
//! (`event_type`, `event_id`, `merchant_id`, `data`). Money fields are decimal MAJOR units.

use ordergate_shared::money::{Currency, MajorAmount};
use ordergate_shared::wire::{opt_string_or_number, string_or_number};
use serde::Deserialize;
use serde_json::value::RawValue;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventType {
    OrderCreated,
    OrderUpdated,
    OrderDeleted,
}

impl EventType {
    pub fn parse(s: &str) -> Option<EventType> {
        [
            EventType::OrderCreated,
            EventType::OrderUpdated,
            EventType::OrderDeleted,
        ]
        .into_iter()
        .find(|e| e.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::OrderCreated => "order_created",
            EventType::OrderUpdated => "order_updated",
            EventType::OrderDeleted => "order_deleted",
        }
    }
}

/// The envelope. `event_type` stays a string so an unknown type gets a clear error naming
/// it. `data` is read as `D`: a whole order in one pass (what every event type usually
/// holds), or as its raw text (`&RawValue`) to read once the type says what it must hold.
#[derive(Debug, Deserialize)]
pub struct Envelope<D> {
    pub event_type: String,
    #[serde(deserialize_with = "string_or_number")]
    pub event_id: String,
    #[serde(deserialize_with = "string_or_number")]
    pub merchant_id: String,
    pub data: D,
}

impl<D> Envelope<D> {
    /// The envelope's own fields, and its `data` apart.
    pub fn split(self) -> (Envelope<()>, D) {
        let Envelope {
            event_type,
            event_id,
            merchant_id,
            data,
        } = self;
        let envelope = Envelope {
            event_type,
            event_id,
            merchant_id,
            data: (),
        };
        (envelope, data)
    }
}

/// An envelope whose `data` is read later.
pub type RawEnvelope<'a> = Envelope<&'a RawValue>;

/// Enough of `data` to know which order an `order_deleted` removes.
#[derive(Debug, Deserialize)]
pub struct OrderRef {
    #[serde(deserialize_with = "string_or_number")]
    pub order_id: String,
    pub status: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct OrderData {
    #[serde(deserialize_with = "string_or_number")]
    pub order_id: String,
    pub client: Option<Client>,
    pub comment: Option<String>,
    pub coupon: Option<Coupon>,
    pub cost_details: CostDetails,
    /// Local wall-clock time, no offset: `YYYY-MM-DD HH:MM:SS`.
    pub created_at: Option<String>,
    pub last_product_added_at: Option<String>,
    #[serde(default)]
    pub order_details: Vec<OrderDetail>,
    pub order_type: Option<String>,
    pub payment_method: Option<String>,
    pub payment_status: Option<String>,
    pub source: Option<String>,
    pub status: Option<String>,
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub table_number: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Client {
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub country_calling_code: Option<String>,
    pub email: Option<String>,
    pub name: Option<String>,
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub phone_number: Option<String>,
    pub longitude: Option<f64>,
    pub latitude: Option<f64>,
    pub address: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Coupon {
    pub code: Option<String>,
    pub discount_type: Option<String>,
    pub end_date: Option<String>,
    pub start_date: Option<String>,
    pub value: Option<MajorAmount>,
}

#[derive(Debug, Deserialize)]
pub struct CostDetails {
    pub coupon_discount: Option<MajorAmount>,
    pub currency: Currency,
    pub delivery_price: Option<MajorAmount>,
    pub packaging_price: Option<MajorAmount>,
    pub products_discount: Option<MajorAmount>,
    pub products_price: Option<MajorAmount>,
    pub tip: Option<MajorAmount>,
    pub toppings_discount: Option<MajorAmount>,
    pub toppings_price: Option<MajorAmount>,
    pub total: Option<MajorAmount>,
    pub amount_received: Option<MajorAmount>,
}

#[derive(Debug, Deserialize)]
pub struct OrderDetail {
    pub comment: Option<String>,
    pub quantity: u32,
    pub total: Option<MajorAmount>,
    pub product: Product,
}

#[derive(Debug, Deserialize)]
pub struct Product {
    pub name: String,
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub sku: Option<String>,
    #[serde(default)]
    pub toppings: Vec<Topping>,
    pub unit_discount: Option<MajorAmount>,
    pub unit_price: Option<MajorAmount>,
    pub unit_regular_price: Option<MajorAmount>,
    pub toppings_price: Option<MajorAmount>,
}

#[derive(Debug, Deserialize)]
pub struct Topping {
    pub discount: Option<MajorAmount>,
    pub name: String,
    pub quantity: u32,
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub sku: Option<String>,
    pub unit_price: Option<MajorAmount>,
    pub unit_regular_price: Option<MajorAmount>,
}
