//! Ordatic's webhook payloads: thin events `{eventType, storeId, data{orderId, ...}}`.
//! Only two carry more: `rider-proof-delivery` (a base64 image) and `rider-refund`
//! (amounts in cents).

use std::borrow::Cow;

use ordergate_shared::money::MajorAmount;
use ordergate_shared::wire::{list_or_null, string_or_number};
use serde::Deserialize;
use serde_json::value::RawValue;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventType {
    OrderAccepted,
    OrderInKitchen,
    OrderReadyToPickUp,
    OrderPickedUp,
    OrderServed,
    OrderCanceled,
    RiderCreated,
    RiderPicking,
    RiderDelivering,
    RiderCompleted,
    RiderError,
    RiderProofDelivery,
    RiderRefund,
}

impl EventType {
    pub const ALL: [EventType; 13] = [
        EventType::OrderAccepted,
        EventType::OrderInKitchen,
        EventType::OrderReadyToPickUp,
        EventType::OrderPickedUp,
        EventType::OrderServed,
        EventType::OrderCanceled,
        EventType::RiderCreated,
        EventType::RiderPicking,
        EventType::RiderDelivering,
        EventType::RiderCompleted,
        EventType::RiderError,
        EventType::RiderProofDelivery,
        EventType::RiderRefund,
    ];

    pub fn parse(s: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|e| e.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::OrderAccepted => "order-accepted",
            EventType::OrderInKitchen => "order-in-kitchen",
            EventType::OrderReadyToPickUp => "order-ready-to-pick-up",
            EventType::OrderPickedUp => "order-picked-up",
            EventType::OrderServed => "order-served",
            EventType::OrderCanceled => "order-canceled",
            EventType::RiderCreated => "rider-created",
            EventType::RiderPicking => "rider-picking",
            EventType::RiderDelivering => "rider-delivering",
            EventType::RiderCompleted => "rider-completed",
            EventType::RiderError => "rider-error",
            EventType::RiderProofDelivery => "rider-proof-delivery",
            EventType::RiderRefund => "rider-refund",
        }
    }

    pub fn is_rider(self) -> bool {
        self.as_str().starts_with("rider-")
    }
}

/// The envelope, with `data` read as `D`: at once ([`Data`]), or as its raw text
/// (`&RawValue`) to read once the event type says what it must hold.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope<D> {
    pub event_type: String,
    #[serde(deserialize_with = "string_or_number")]
    pub store_id: String,
    pub data: D,
}

impl<D> Envelope<D> {
    /// The envelope's own fields, and its `data` apart.
    pub fn split(self) -> (Envelope<()>, D) {
        let Envelope {
            event_type,
            store_id,
            data,
        } = self;
        let envelope = Envelope {
            event_type,
            store_id,
            data: (),
        };
        (envelope, data)
    }
}

/// An envelope whose `data` is read later.
pub type RawEnvelope<'a> = Envelope<&'a RawValue>;

/// What `data` holds: the order the event concerns, and what a proof or a refund adds.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Data<'a> {
    #[serde(deserialize_with = "string_or_number")]
    pub order_id: String,
    /// Base64 image (UberDirect: a PNG), possibly megabytes long.
    #[serde(borrow)]
    pub proof_delivery: Option<Cow<'a, str>>,
    pub refund: Option<Refund>,
}

/// `data` of every event: the order it concerns.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderRef {
    #[serde(deserialize_with = "string_or_number")]
    pub order_id: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProofData<'a> {
    #[serde(deserialize_with = "string_or_number")]
    pub order_id: String,
    /// Base64 image (UberDirect: a PNG), possibly megabytes long.
    #[serde(borrow)]
    pub proof_delivery: Option<Cow<'a, str>>,
}

#[derive(Debug, Deserialize)]
pub struct RefundData {
    pub refund: Refund,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Refund {
    #[serde(deserialize_with = "string_or_number")]
    pub id: String,
    pub date: Option<String>,
    /// Cents the rider adjusts on its invoice.
    pub total_rider_refund: Option<MajorAmount>,
    /// Cents the partner owes its customers.
    pub total_partner_refund: Option<MajorAmount>,
    pub reason: Option<String>,
    #[serde(default, deserialize_with = "list_or_null")]
    pub refund_items: Vec<RefundItem>,
    #[serde(default, deserialize_with = "list_or_null")]
    pub refund_fees: Vec<RefundFee>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundItem {
    pub reason: Option<String>,
    pub rider_amount: Option<MajorAmount>,
    pub partner_amount: Option<MajorAmount>,
    pub party_at_fault: Option<String>,
    #[serde(default, deserialize_with = "list_or_null")]
    pub items: Vec<RefundedItem>,
}

#[derive(Debug, Deserialize)]
pub struct RefundedItem {
    pub name: Option<String>,
    pub qty: Option<u32>,
}

#[derive(Debug, Deserialize)]
pub struct RefundFee {
    pub name: Option<String>,
    pub amount: Option<MajorAmount>,
    pub code: Option<String>,
}
