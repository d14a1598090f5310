//! The outbox's safety net: an event record whose job no worker has claimed a while after
//! it was stored (the table's stream lost it: its relay gave up, or its mapping was off)
//! is found through the sparse Due index and handed back to be queued again.

use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::ReturnValue;
use chrono::{DateTime, Utc};

use super::{failed, DynamoStore, StoreError};
use crate::job::AckJob;
use crate::store::item::{attr, expr, keys, s, EventImage, Item};
use crate::store::AckStatus;

impl DynamoStore {
    /// The jobs of event records still unclaimed since before `cutoff`, at most `limit`,
    /// each re-stamped due at `now` first (so that the next sweep looks at it again only a
    /// window later, and two sweeps never take the same one).
    pub async fn sweep_unclaimed(
        &self,
        cutoff: DateTime<Utc>,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<AckJob>, StoreError> {
        let mut jobs = Vec::new();
        for shard in 0..keys::RELAY_SHARDS {
            let left = limit.saturating_sub(jobs.len());
            for item in self.due_before(&keys::relay_shard(shard), cutoff, left).await? {
                jobs.extend(self.take_unclaimed(&item, now).await?);
            }
        }
        Ok(jobs)
    }

    /// Keys of up to `limit` items of `due_key` due before `cutoff`, earliest first.
    async fn due_before(
        &self,
        due_key: &str,
        cutoff: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Item>, StoreError> {
        let mut found = Vec::new();
        let mut pages = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("Due")
            .key_condition_expression("#k = :k AND #at < :cutoff")
            .expression_attribute_names("#k", attr::DUE_KEY)
            .expression_attribute_names("#at", attr::DUE_AT)
            .expression_attribute_values(":k", s(due_key))
            .expression_attribute_values(":cutoff", s(keys::due_at(&cutoff)))
            .into_paginator()
            .items()
            .send();
        while found.len() < limit {
            match pages.next().await {
                Some(item) => found.push(item.map_err(|e| failed("query", &e))?),
                None => break,
            }
        }
        Ok(found)
    }

    /// Re-stamps one found event record due `now` if its job is still unclaimed; its job.
    async fn take_unclaimed(&self, found: &Item, now: DateTime<Utc>) -> Result<Option<AckJob>, StoreError> {
        let (Some(pk), Some(due_key)) = (found.get(attr::PK), found.get(attr::DUE_KEY)) else {
            return Ok(None);
        };
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(attr::PK, pk.clone())
            .key(attr::SK, s(keys::EVENT_SK))
            .update_expression("SET #at = :now")
            .condition_expression(expr::UNCLAIMED)
            .expression_attribute_names("#k", attr::DUE_KEY)
            .expression_attribute_names("#at", attr::DUE_AT)
            .expression_attribute_values(":k", due_key.clone())
            .expression_attribute_values(":now", s(keys::due_at(&now)))
            .expression_attribute_values(":pending", s(AckStatus::Pending.as_str()))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        let item = match result {
            Ok(out) => out.attributes.unwrap_or_default(),
            // Claimed (or expired) since the index was read: nothing to do.
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(UpdateItemError::ConditionalCheckFailedException(_))
                ) =>
            {
                return Ok(None)
            }
            Err(e) => return Err(failed("update_item", &e)),
        };
        let record = EventImage::read(&item)?
            .ok_or_else(|| StoreError::Corrupt("an unclaimed job's record is gone".into()))?;
        Ok(record.pending_job()?)
    }
}
