//! Moving orders to the key this build gives them (`ordergate rekey`): a platform whose
//! order ids are unique only per store had its orders stored under the id alone by
//! earlier builds (`ORDER#ordatic#<order id>`); they now live under
//! `ORDER#ordatic#<store>:<order id>` ([`crate::model::OrderChange::key`]).
//!
//! Each order's partition is copied (trail entries kept where already present), its state
//! merged with any state the new key already has (events received after the upgrade), and
//! the old partition deleted. `seq` continues past both, so consumers that drop a `seq`
//! lower than one they have (docs/downstream-events.md) take the moved state.

use super::{failed, DynamoStore, StoreError};
use crate::store::item::{attr, expr, key, keys, n, s, Attributes, Item, StateImage};

/// One order moved to its new key.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Rekeyed {
    pub from: String,
    pub to: String,
    /// Items copied (trail entries and the state).
    pub items: usize,
}

impl DynamoStore {
    /// Moves every order of `provider` whose state is stored under another key than
    /// `key_of` gives it (`None`: it cannot be told, the order stays). Idempotent.
    pub async fn rekey_orders(
        &self,
        provider: &str,
        key_of: impl Fn(&StateImage<'_>) -> Option<String>,
    ) -> Result<Vec<Rekeyed>, StoreError> {
        let mut moves = Vec::new();
        self.for_each_state(provider, |item| {
            if let Some(state) = StateImage::read(item)? {
                moves.extend(
                    key_of(&state)
                        .filter(|to| to != state.key)
                        .map(|to| (state.key.to_owned(), to)),
                );
            }
            Ok(())
        })
        .await?;
        let mut done = Vec::new();
        for (from, to) in moves {
            let items = self.move_order(provider, &from, &to).await?;
            done.push(Rekeyed { from, to, items });
        }
        Ok(done)
    }

    async fn move_order(&self, provider: &str, from: &str, to: &str) -> Result<usize, StoreError> {
        let (old_pk, new_pk) = (keys::order_pk(provider, from), keys::order_pk(provider, to));
        let items = self.partition(&old_pk).await?;
        let mut copied = 0;
        for mut item in items.iter().cloned() {
            item.insert(attr::PK.into(), s(&new_pk));
            if item.get(attr::SK) == Some(&s(keys::STATE_SK)) {
                // Written before states named their order: the old key is its id.
                item.entry(attr::ORDER_ID.into()).or_insert_with(|| s(from));
                self.merge_state(&new_pk, item).await?;
            } else {
                // Published when first stored: the copy is not a new `Order Event`.
                item.remove(attr::TRAIL_ONLY);
                if !self.put_if_absent(item).await? {
                    continue;
                }
            }
            copied += 1;
        }
        for item in &items {
            self.client
                .delete_item()
                .table_name(&self.table)
                .key(attr::PK, s(&old_pk))
                .key(attr::SK, item[attr::SK].clone())
                .send()
                .await
                .map_err(|e| failed("delete_item", &e))?;
        }
        Ok(copied)
    }

    async fn partition(&self, pk: &str) -> Result<Vec<Item>, StoreError> {
        let mut pages = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression(expr::PARTITION)
            .expression_attribute_values(":pk", s(pk))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send();
        let mut items = Vec::new();
        while let Some(item) = pages.next().await {
            items.push(item.map_err(|e| failed("query", &e))?);
        }
        Ok(items)
    }

    /// Whether `item` was written (an item already under its key is kept).
    async fn put_if_absent(&self, item: Item) -> Result<bool, StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(expr::NEW)
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if conditional(&e) => Ok(false),
            Err(e) => Err(failed("put_item", &e)),
        }
    }

    /// The old state under the new key, or merged with the one already there (events
    /// received since the upgrade): the one with the higher version is kept whole, as a
    /// live delivery would decide, with the other's snapshot if it has none; `seq` counts
    /// the writes of both. Written only over the state it read.
    async fn merge_state(&self, new_pk: &str, old: Item) -> Result<(), StoreError> {
        loop {
            let current = self
                .client
                .get_item()
                .table_name(&self.table)
                .set_key(Some(key(new_pk, keys::STATE_SK)))
                .consistent_read(true)
                .send()
                .await
                .map_err(|e| failed("get_item", &e))?
                .item;
            let (merged, seen) = merged(old.clone(), current);
            let mut put = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(merged));
            put = match seen {
                None => put.condition_expression(expr::NEW),
                Some(seq) => put
                    .condition_expression(expr::UNCHANGED_SINCE)
                    .expression_attribute_names("#seq", attr::SEQ)
                    .expression_attribute_values(":seen", n(seq)),
            };
            match put.send().await {
                Ok(_) => return Ok(()),
                // A delivery changed the new state meanwhile: merge with what it wrote.
                Err(e) if conditional(&e) => continue,
                Err(e) => return Err(failed("put_item", &e)),
            }
        }
    }
}

/// The state to write for `old` (already under the new key) moved over `current`, if
/// any, and the `seq` `current` had when read.
fn merged(old: Item, current: Option<Item>) -> (Item, Option<i64>) {
    let number = |item: &Item, name| item.number(name).unwrap_or_default();
    let Some(current) = current else {
        let seq = number(&old, attr::SEQ) + 1;
        let mut item = old;
        item.insert(attr::SEQ.into(), n(seq));
        return (item, None);
    };
    let seen = number(&current, attr::SEQ);
    let seq = number(&old, attr::SEQ) + seen + 1;
    let (mut kept, other) = if number(&current, attr::VERSION) >= number(&old, attr::VERSION) {
        (current, old)
    } else {
        (old, current)
    };
    if let (false, Some(order)) = (kept.contains_key(attr::ORDER), other.get(attr::ORDER)) {
        kept.insert(attr::ORDER.into(), order.clone());
    }
    kept.insert(attr::SEQ.into(), n(seq));
    (kept, Some(seen))
}

fn conditional<E>(e: &aws_sdk_dynamodb::error::SdkError<E>) -> bool
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
{
    e.as_service_error().and_then(|e| e.code()) == Some("ConditionalCheckFailedException")
}
