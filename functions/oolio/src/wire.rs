//! Oolio's webhook payloads as its doc shows them. The samples send single objects where
//! real payloads send arrays (`items`, `options`, `variants`, `taxes`, `surcounts`,
//! `includedItems`): every list accepts one or many. Amounts are integer cents, some as
//! text (`surcounts.amount: "10"`).

use ordergate_shared::wire::{one_or_many, opt_lenient_int};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

/// What every delivery is first read as, to classify it: `type` when Oolio sends it,
/// otherwise the shape (a bare `isActive` object, an order under `data`, ...).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Probe<'a> {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    #[serde(borrow)]
    pub data: Option<&'a RawValue>,
    pub is_active: Option<bool>,
    pub location_id: Option<String>,
    pub timestamp: Option<String>,
    pub pos_location_id: Option<String>,
    pub reservation: Option<Value>,
    pub walk_in: Option<bool>,
    pub is_walk_in: Option<bool>,
}

/// `data` of location.connected / disconnected / updated.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    pub id: Option<String>,
    pub merchant_code: Option<String>,
    pub name: Option<String>,
    pub partner_links: Option<PartnerLinks>,
    pub pos_brand: Option<String>,
    pub pos_location_id: Option<String>,
    pub webhook_url: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PartnerLinks {
    pub partner_code: Option<String>,
    pub partner_location_id: Option<String>,
    pub pausing_orders: Option<bool>,
}

/// Reservations portal: a partner connected to / disconnected from a location (bare object).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReservationsPartner {
    pub is_active: Option<bool>,
    pub partner_location_id: Option<String>,
    pub pos_identifier: Option<String>,
    pub pos_location_id: Option<String>,
    pub pos_location_name: Option<String>,
    pub pos_organisation_id: Option<String>,
    pub pos_webhook_url: Option<String>,
}

/// `data` of products.availability.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductsAvailability {
    pub pos_location_id: Option<String>,
}

/// `data` of the order events.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub id: String,
    pub code: Option<String>,
    pub consumer: Option<Consumer>,
    pub created_at: Option<String>,
    pub external_order_ref: Option<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub items: Vec<OrderItem>,
    pub loyalty: Option<Loyalty>,
    pub notes: Option<String>,
    pub partner: Option<String>,
    pub partner_location_id: Option<String>,
    pub pos_display_id: Option<String>,
    pub pos_location_id: Option<String>,
    pub rejection_reason: Option<String>,
    pub required_at: Option<String>,
    pub reservation: Option<ReservationRef>,
    pub source: Option<String>,
    pub status: Option<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub surcounts: Vec<Surcount>,
    pub table: Option<Table>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Consumer {
    pub address: Option<ConsumerAddress>,
    pub email: Option<String>,
    pub name: Option<String>,
    pub notes: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsumerAddress {
    pub city: Option<String>,
    pub country: Option<String>,
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub notes: Option<String>,
    pub postal_code: Option<String>,
    pub state: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderItem {
    #[serde(default, deserialize_with = "one_or_many")]
    pub included_items: Vec<IncludedItem>,
    pub item_notes: Option<String>,
    pub measured_by: Option<MeasuredBy>,
    pub name: String,
    #[serde(default, deserialize_with = "one_or_many")]
    pub options: Vec<ItemOption>,
    pub pos_id: Option<String>,
    pub product_ids: Option<ProductIds>,
    pub quantity: u32,
    pub status: Option<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub surcounts: Vec<Surcount>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub taxes: Vec<Tax>,
    #[serde(default, deserialize_with = "opt_lenient_int")]
    pub total_after_surcounts: Option<i64>,
    #[serde(default, deserialize_with = "opt_lenient_int")]
    pub total_before_surcounts: Option<i64>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_int")]
    pub unit_price: Option<i64>,
}

/// A product included in an item (a meal's components), with its own options.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IncludedItem {
    pub name: String,
    #[serde(default, deserialize_with = "one_or_many")]
    pub options: Vec<ItemOption>,
    pub pos_id: Option<String>,
    pub product_ids: Option<ProductIds>,
    pub quantity: u32,
    #[serde(default)]
    pub unit_price: i64,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemOption {
    pub max: Option<u32>,
    pub min: Option<u32>,
    pub name: Option<String>,
    pub pos_id: Option<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub variants: Vec<Variant>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Variant {
    pub name: String,
    pub pos_id: Option<String>,
    #[serde(default)]
    pub price: i64,
    pub tax: Option<Tax>,
}

/// A tax or a surcharge/discount ("surcount"): the same shape in Oolio's payloads.
/// `amount` arrives as text in the surcount samples (`"10"`).
#[derive(Debug, Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Charge {
    #[serde(default, deserialize_with = "opt_lenient_int")]
    pub amount: Option<i64>,
    pub is_tax_inclusive: Option<bool>,
    pub name: Option<String>,
    pub pos_id: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub value: Option<f64>,
}

pub type Tax = Charge;
pub type Surcount = Charge;

#[derive(Debug, Deserialize, serde::Serialize)]
pub struct ProductIds {
    pub barcodes: Option<Value>,
    #[serde(rename = "gtin-8")]
    pub gtin8: Option<String>,
    #[serde(rename = "gtin-12")]
    pub gtin12: Option<String>,
    #[serde(rename = "gtin-13")]
    pub gtin13: Option<String>,
    #[serde(rename = "gtin-14")]
    pub gtin14: Option<String>,
    pub plu: Option<String>,
    pub sku: Option<String>,
}

#[derive(Debug, Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MeasuredBy {
    pub default_size: Option<f64>,
    pub unit_type: Option<String>,
    pub units: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Loyalty {
    pub member_id: Option<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub redeemed_rewards: Vec<Reward>,
}

#[derive(Debug, Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reward {
    pub quantity: Option<u32>,
    pub reward_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReservationRef {
    pub external_ref: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Table {
    pub id: Option<String>,
    pub name: Option<String>,
    pub section: Option<Value>,
}
