//! Deliverect's order webhook: one POST per order state change carrying the FULL order.
//! Field for field as its doc's sample; prices are integers in minor units of
//! `decimalDigits`. Lists tolerate `null`, and errors name the failing field's path.

use ordergate_shared::wire::{list_or_null, opt_string_or_number};
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    #[serde(rename = "_id")]
    pub id: String,
    pub status: i64,
    pub by: Option<String>,
    /// Deliverect's POS system code (e.g. 10000 for a generic API POS).
    pub pos: Option<i64>,
    pub tip: Option<i64>,
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub date: Option<String>,
    pub note: Option<String>,
    #[serde(default, deserialize_with = "list_or_null")]
    pub tags: Vec<String>,
    #[serde(default, deserialize_with = "list_or_null")]
    pub items: Vec<Item>,
    pub pos_id: Option<String>,
    #[serde(default, deserialize_with = "list_or_null")]
    pub taxes: Vec<Tax>,
    pub bag_fee: Option<i64>,
    #[serde(default, deserialize_with = "list_or_null")]
    pub rating: Vec<Value>,
    pub recent: Option<bool>,
    pub account: Option<String>,
    pub brand_id: Option<String>,
    pub channel: Option<i64>,
    pub courier: Option<Courier>,
    pub payment: Option<Payment>,
    #[serde(rename = "_created")]
    pub created: Option<String>,
    #[serde(rename = "_updated")]
    pub updated: Option<String>,
    pub customer: Option<Customer>,
    pub location: Option<String>,
    pub timezone: Option<String>,
    #[serde(default, deserialize_with = "list_or_null")]
    pub discounts: Vec<Discount>,
    pub driver_tip: Option<i64>,
    pub order_type: Option<i64>,
    pub packaging: Option<Packaging>,
    #[serde(default)]
    pub test_order: Option<bool>,
    pub pickup_time: Option<String>,
    pub resolved_by: Option<String>,
    pub channel_link: Option<String>,
    pub delivery_cost: Option<i64>,
    pub delivery_time: Option<String>,
    pub pos_receipt_id: Option<String>,
    pub decimal_digits: Option<u32>,
    pub discount_total: Option<i64>,
    pub pos_location_id: Option<String>,
    pub service_charge: Option<i64>,
    #[serde(default, deserialize_with = "list_or_null")]
    pub status_history: Vec<StatusChange>,
    #[serde(default, deserialize_with = "list_or_null")]
    pub capacity_usages: Vec<Value>,
    pub channel_order_id: Option<String>,
    pub delivery_is_asap: Option<bool>,
    pub delivery_address: Option<DeliveryAddress>,
    pub channel_order_raw_id: Option<String>,
    pub number_of_customers: Option<u32>,
    pub order_is_already_paid: Option<bool>,
    #[serde(default, deserialize_with = "list_or_null")]
    pub courier_update_history: Vec<CourierUpdate>,
    pub channel_order_display_id: Option<String>,
    #[serde(default, deserialize_with = "list_or_null")]
    pub channel_order_history_raw_ids: Vec<String>,
}

/// A product, modifier, bundle or combo: `subItems` nest to any depth.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    pub plu: Option<String>,
    #[serde(default)]
    pub name: String,
    /// Price of one unit, minor units.
    pub price: Option<i64>,
    pub quantity: u32,
    #[serde(default, deserialize_with = "list_or_null")]
    pub sub_items: Vec<Item>,
    pub sort_order: Option<i64>,
    pub product_type: Option<i64>,
    #[serde(default, deserialize_with = "list_or_null")]
    pub product_tags: Vec<Value>,
    pub is_combo: Option<bool>,
    /// Part of a bundle: its price is in the bundle's.
    pub in_bundle: Option<bool>,
    pub remark: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tax {
    pub name: Option<String>,
    pub tax_class_id: Option<i64>,
    pub total: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Courier {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone_number: Option<String>,
    pub delivery_by: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payment {
    pub due: Option<i64>,
    /// Deliverect payment type code (0 = paid online/credit card, …).
    #[serde(rename = "type")]
    pub kind: Option<i64>,
    pub amount: Option<i64>,
    pub rebate: Option<i64>,
    pub commission_type: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Customer {
    pub tin: Option<String>,
    pub name: Option<String>,
    pub note: Option<String>,
    pub email: Option<String>,
    pub company_name: Option<String>,
    pub phone_number: Option<String>,
    pub phone_access_code: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Discount {
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub value: Option<i64>,
    pub amount: Option<i64>,
    pub provider: Option<String>,
    pub reference_id: Option<String>,
    pub channel_discount_code: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Packaging {
    pub include_cutlery: Option<bool>,
}

#[derive(Debug, Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusChange {
    pub source: Option<i64>,
    pub status: Option<i64>,
    pub response: Option<String>,
    pub time_stamp: Option<String>,
}

#[derive(Debug, Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CourierUpdate {
    pub source: Option<i64>,
    pub status: Option<i64>,
    pub courier: Option<Value>,
    pub received: Option<String>,
    pub arrival_time: Option<String>,
    pub delivery_time: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryAddress {
    pub area: Option<String>,
    pub city: Option<String>,
    pub street: Option<String>,
    pub country: Option<String>,
    pub postal_code: Option<String>,
    pub coordinates: Option<Coordinates>,
    pub extra_address_info: Option<String>,
}

/// GeoJSON point: `[longitude, latitude]`.
#[derive(Debug, Deserialize)]
pub struct Coordinates {
    #[serde(default)]
    pub coordinates: Vec<f64>,
}
