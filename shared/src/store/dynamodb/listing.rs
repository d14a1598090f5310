//! Orders by location and time (`ordergate orders list`), from the ByLocation and
//! ByTeamLocation indexes: "what did store 42 receive today?" without scanning the table.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine;

use super::{failed, keys, s, DynamoStore, StoreError};
use crate::model::OrderChange;
use crate::store::item::{attr, StateImage};

/// Whose location a listing is by: the platform's id, or yours (the location mapping).
#[derive(Debug, Clone, Copy)]
pub enum LocationId<'a> {
    Platform(&'a str),
    Team(&'a str),
}

/// One order as the index knows it (no order snapshot: the index holds no customer data).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OrderSummary {
    pub order_id: String,
    pub status: String,
    pub updated_at: String,
    pub last_event_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team_location_id: Option<String>,
    /// Until when the order waits for the restaurant to accept or reject it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decide_by: Option<String>,
}

impl OrderSummary {
    fn of(state: &StateImage<'_>) -> OrderSummary {
        // The location indexes do not hold `order_id`: read it from a location-scoped key.
        let unread = state.order_id == state.key;
        let scoped = (state.location_id.filter(|_| unread)).and_then(|l| OrderChange::id_in(l, state.key));
        OrderSummary {
            order_id: scoped.unwrap_or_else(|| state.order_id.to_owned()),
            status: state.status.to_owned(),
            updated_at: state.updated_at.to_owned(),
            last_event_type: state.last_event_type.to_owned(),
            location_id: state.location_id.map(str::to_owned),
            team_location_id: state.team_location_id.map(str::to_owned),
            decide_by: state.decide_by.map(str::to_owned),
        }
    }
}

/// One page of a listing and, if there is more, the token for the next.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OrderPage {
    pub orders: Vec<OrderSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

impl DynamoStore {
    /// `provider`'s orders at `location` last changed between `since` and `until` (RFC 3339
    /// UTC, inclusive), newest first, optionally only in `status`; `limit` per page.
    #[allow(clippy::too_many_arguments)] // a query's parameters, named at the call site
    pub async fn orders_at(
        &self,
        provider: &str,
        location: LocationId<'_>,
        since: &str,
        until: &str,
        status: Option<&str>,
        limit: i32,
        next_token: Option<&str>,
    ) -> Result<OrderPage, StoreError> {
        let (index, key_name, id) = match location {
            LocationId::Platform(id) => ("ByLocation", attr::LOCATION_KEY, id),
            LocationId::Team(id) => ("ByTeamLocation", attr::TEAM_LOCATION_KEY, id),
        };
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(index)
            .key_condition_expression("#k = :k AND #u BETWEEN :since AND :until")
            .expression_attribute_names("#k", key_name)
            .expression_attribute_names("#u", attr::UPDATED_AT)
            .expression_attribute_values(":k", s(keys::location_key(provider, id)))
            .expression_attribute_values(":since", s(since))
            .expression_attribute_values(":until", s(until))
            .scan_index_forward(false)
            .limit(limit)
            .set_exclusive_start_key(next_token.map(decode_token).transpose()?);
        if let Some(status) = status {
            query = query
                .filter_expression("#status = :status")
                .expression_attribute_names("#status", attr::STATUS)
                .expression_attribute_values(":status", s(status));
        }
        let out = query.send().await.map_err(|e| failed("query", &e))?;
        // The indexes hold only STATE items.
        page(out.items(), out.last_evaluated_key())
    }
}

impl DynamoStore {
    /// `provider`'s new orders waiting for the restaurant to accept or reject them,
    /// soonest deadline first; `limit` per page.
    pub async fn awaiting_decision(
        &self,
        provider: &str,
        limit: i32,
        next_token: Option<&str>,
    ) -> Result<OrderPage, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("Due")
            .key_condition_expression("#k = :k")
            .expression_attribute_names("#k", attr::DUE_KEY)
            .expression_attribute_values(":k", s(keys::decision_due(provider)))
            .limit(limit)
            .set_exclusive_start_key(next_token.map(decode_token).transpose()?)
            .send()
            .await
            .map_err(|e| failed("query", &e))?;
        page(out.items(), out.last_evaluated_key())
    }
}

/// A page of STATE items as summaries, with the token for the next page.
fn page(
    items: &[HashMap<String, AttributeValue>],
    last: Option<&HashMap<String, AttributeValue>>,
) -> Result<OrderPage, StoreError> {
    let orders = items
        .iter()
        .filter_map(|item| StateImage::read(item).transpose())
        .map(|state| state.map(|s| OrderSummary::of(&s)))
        .collect::<Result<_, _>>()?;
    Ok(OrderPage {
        orders,
        next_token: last.map(encode_token),
    })
}

/// The index's last evaluated key as an opaque token (base64 of its string attributes).
fn encode_token(key: &HashMap<String, AttributeValue>) -> String {
    let plain: HashMap<&str, &str> = key
        .iter()
        .filter_map(|(k, v)| v.as_s().ok().map(|v| (k.as_str(), v.as_str())))
        .collect();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(&plain).expect("strings"))
}

fn decode_token(token: &str) -> Result<HashMap<String, AttributeValue>, StoreError> {
    let bad = || StoreError::BadToken;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| bad())?;
    let plain: HashMap<String, String> = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    Ok(plain
        .into_iter()
        .map(|(k, v)| (k, AttributeValue::S(v)))
        .collect())
}
