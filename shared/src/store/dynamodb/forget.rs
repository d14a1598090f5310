//! Erasure on request (`ordergate forget`): one order's personal data removed from every
//! item that holds it — the order's state, its trail entries and their event records (the
//! canonical event, and the raw body kept on the record) — leaving the order's facts.
//! Blobs (raw bodies in S3, proof-of-delivery photos) are returned for the caller to
//! delete: the store does not own the bucket.

use aws_sdk_dynamodb::types::AttributeValue;

use super::{failed, json, keys, DynamoStore, StoreError};
use crate::model::Order;
use crate::store::item::{attr, expr, key, s, Attributes, StateImage};
use crate::store::{EventStore, OrderState};

/// What erasing one order changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Forgotten {
    pub order_id: String,
    /// Items rewritten: the state, trail entries, event records.
    pub items: usize,
    /// Blob keys that held the order's raw bodies or photos, to delete.
    pub blobs: Vec<String>,
}

impl DynamoStore {
    /// Erases the personal data of `provider`'s order `order_id`, read through the store's
    /// own views of the order and its events. Idempotent: a second run changes nothing.
    pub async fn forget_order(&self, provider: &str, order_id: &str) -> Result<Forgotten, StoreError> {
        let mut report = Forgotten {
            order_id: order_id.to_owned(),
            ..Forgotten::default()
        };
        let pk = keys::order_pk(provider, order_id);
        let view = self.order(provider, order_id).await?;
        // The platform's id, where the order is keyed by its location too.
        if let Some(change) = view.trail.iter().find_map(|e| e.event.change.as_ref()) {
            report.order_id.clone_from(&change.order_id);
        }
        report.items += self.forget_state(&pk, view.state).await?;
        for entry in view.trail {
            let mut event = entry.event;
            let (changed, blobs) = event.forget_personal();
            report.blobs.extend(blobs);
            if changed {
                let sk = keys::trail_sk(&event.received_at, &event.event_key.0);
                self.set_erased(&pk, &sk, attr::EVENT, json(&event), false)
                    .await?;
                report.items += 1;
            }
            report.items += self.forget_event_record(provider, &event.event_key.0).await?;
        }
        report.blobs.sort();
        report.blobs.dedup();
        Ok(report)
    }

    /// The event record of one trail entry, while it lives (TTL): its canonical event and
    /// the raw body kept on it.
    async fn forget_event_record(&self, provider: &str, event_key: &str) -> Result<usize, StoreError> {
        let Some(stored) = self.event(provider, event_key).await? else {
            return Ok(0);
        };
        let mut event = stored.event;
        let (changed, _) = event.forget_personal();
        if !changed && stored.raw_body.is_none() {
            return Ok(0);
        }
        let pk = keys::event_pk(provider, event_key);
        self.set_erased(&pk, keys::EVENT_SK, attr::EVENT, json(&event), true)
            .await?;
        Ok(1)
    }

    /// The order ids of `provider` whose customer has `phone_or_email`. A full scan: erasure
    /// requests are rare, and no index of customers' contact data is kept on purpose.
    pub async fn orders_of_customer(
        &self,
        provider: &str,
        phone_or_email: &str,
    ) -> Result<Vec<String>, StoreError> {
        let mut found = Vec::new();
        self.for_each_state(provider, |item| {
            if !item.contains_key(attr::ORDER) {
                return Ok(());
            }
            let order: Order = item.json("an order state", attr::ORDER)?;
            if order.is_customer(phone_or_email) {
                let state = StateImage::read(item)?;
                found.extend(state.map(|s| s.key.to_owned()));
            }
            Ok(())
        })
        .await?;
        Ok(found)
    }

    /// Calls `f` with every STATE item of `provider`'s orders. A full scan: for the rare
    /// operator commands (erasure by customer, re-keying) that need it.
    pub(super) async fn for_each_state(
        &self,
        provider: &str,
        mut f: impl FnMut(&super::Item) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut pages = self
            .client
            .scan()
            .table_name(&self.table)
            .filter_expression(expr::STATE_ITEMS)
            .expression_attribute_values(":prefix", s(keys::order_pk(provider, "")))
            .expression_attribute_values(":state", s(keys::STATE_SK))
            .into_paginator()
            .items()
            .send();
        while let Some(item) = pages.next().await {
            f(&item.map_err(|e| failed("scan", &e))?)?;
        }
        Ok(())
    }

    /// The order state's snapshot erased (1 item changed), or, with no snapshot yet (thin
    /// events), the state marked erased so that a fetch finishing later does not bring
    /// the customer's data back (the ack worker's enrichment checks the mark).
    async fn forget_state(&self, pk: &str, state: Option<OrderState>) -> Result<usize, StoreError> {
        let Some(state) = state else { return Ok(0) };
        let Some(mut order) = state.order else {
            self.mark_erased(pk).await?;
            return Ok(0);
        };
        if !order.forget_personal() {
            return Ok(0);
        }
        self.set_erased(pk, keys::STATE_SK, attr::ORDER, json(&order), false)
            .await?;
        Ok(1)
    }

    async fn mark_erased(&self, pk: &str) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(pk, keys::STATE_SK)))
            .update_expression(expr::ERASED)
            .condition_expression(expr::EXISTS)
            .expression_attribute_values(":now", s(chrono::Utc::now().to_rfc3339()))
            .send()
            .await
            .map(drop)
            .map_err(|e| failed("update_item", &e))
    }

    /// Replaces `attribute` with its erased value, marks the item, and (event records)
    /// removes the raw body kept on it.
    async fn set_erased(
        &self,
        pk: &str,
        sk: &str,
        attribute: &str,
        value: AttributeValue,
        remove_raw_body: bool,
    ) -> Result<(), StoreError> {
        let remove = if remove_raw_body { expr::DROP_RAW_BODY } else { "" };
        // An erased snapshot is a change downstream consumers see: it is counted.
        let state = sk == keys::STATE_SK;
        let bump = if state {
            format!(" {}", attr::BUMP_SEQ)
        } else {
            String::new()
        };
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(pk, sk)))
            .update_expression(format!("{}{remove}{bump}", expr::ERASE));
        if state {
            update = seq_bumped!(update);
        }
        update
            .condition_expression(expr::EXISTS)
            .expression_attribute_names("#a", attribute)
            .expression_attribute_values(":v", value)
            .expression_attribute_values(":now", s(chrono::Utc::now().to_rfc3339()))
            .send()
            .await
            .map_err(|e| failed("update_item", &e))?;
        Ok(())
    }
}
