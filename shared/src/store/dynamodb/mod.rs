use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, CancellationReason, Put, ReturnValue, ReturnValuesOnConditionCheckFailure,
    TransactWriteItem, Update,
};

use super::item::{
    attr, expr, json, key, n, s, Attributes, EventImage, Item, LocationImage, StateImage, TrailImage,
};
use super::{
    keys, AckOutcome, AckStatus, Claim, EventStore, NewEvent, OrderView, Recorded, StoreError, StoredEvent,
};
use crate::job::AckJob;
use crate::model::{CanonicalEvent, EventDetail, OrderStatus, Precedence};

/// Adds the placeholders of [`attr::BUMP_SEQ`] (`#seq`, `:one`) to an update's builder
/// (`UpdateItem` or a transaction's `Update`): every STATE write carries that clause.
macro_rules! seq_bumped {
    ($update:expr) => {
        $update
            .expression_attribute_names("#seq", $crate::store::item::attr::SEQ)
            .expression_attribute_values(":one", $crate::store::item::n(1))
    };
}

/// The update clause of an order no longer waiting for the restaurant's decision.
fn stop_waiting() -> String {
    format!(" REMOVE {}, {}, {}", attr::DECIDE_BY, attr::DUE_KEY, attr::DUE_AT)
}

/// Concurrent transactions on one key can be refused with `TransactionConflict`; the
/// loser retries briefly and then finds the winner's record (a duplicate).
const CONFLICT_RETRIES: u32 = 5;

mod forget;
mod listing;
mod rekey;
mod reprocess;
mod sweep;

pub use reprocess::EventFilter;

pub use forget::Forgotten;
pub use listing::{LocationId, OrderPage, OrderSummary};

#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: aws_sdk_dynamodb::Client,
    table: String,
    /// Retention of an order's state created by the ack worker (enrichment).
    order_ttl: Duration,
}

/// What a failed call means to its caller: DynamoDB's `ValidationException` refuses the
/// request for good (a key over its size, an item over 400 KB, an empty index key), any
/// other failure may pass.
fn failed<E: std::error::Error + ProvideErrorMetadata + 'static>(
    what: &str,
    e: &aws_sdk_dynamodb::error::SdkError<E>,
) -> StoreError {
    let text = format!("dynamodb {what}: {}", DisplayErrorContext(e));
    match e.code() {
        Some("ValidationException") => StoreError::Refused(text),
        _ => StoreError::Unavailable(text),
    }
}

/// [`failed`] for a transaction, which DynamoDB also refuses for good by cancelling it
/// with a `ValidationError` reason (an item over 400 KB, say).
fn transaction_failed(err: &aws_sdk_dynamodb::error::SdkError<TransactWriteItemsError>) -> StoreError {
    let refused = match err.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(c)) => c
            .cancellation_reasons()
            .iter()
            .any(|r| r.code() == Some("ValidationError")),
        _ => false,
    };
    match failed("transact_write_items", err) {
        StoreError::Unavailable(text) if refused => StoreError::Refused(text),
        other => other,
    }
}

impl DynamoStore {
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        DynamoStore {
            client,
            table: table.into(),
            order_ttl: Duration::from_secs(365 * 24 * 3600),
        }
    }

    /// How long an order state this store creates is kept (`ORDER_TTL_DAYS`).
    pub fn with_order_ttl(mut self, order_ttl: Duration) -> Self {
        self.order_ttl = order_ttl;
        self
    }

    /// A transaction's put that must create `item`.
    fn create(&self, item: Item) -> aws_sdk_dynamodb::types::builders::PutBuilder {
        Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(expr::NEW)
    }

    /// Moves the order's state forward unless a newer event already did (`version`) — or,
    /// with [`StateWrite::SnapshotOnly`], replaces only its snapshot (a status word nobody
    /// documented may not move the order; the content it carries may update it).
    fn state_update(
        &self,
        e: &CanonicalEvent,
        precedence: Precedence,
        expires_at: i64,
        write: StateWrite,
    ) -> Option<TransactWriteItem> {
        let change = e.change.as_ref()?;
        let version = precedence.version();
        let full = write == StateWrite::Full;
        // (attribute, value): SET #attribute = :attribute for each.
        let mut sets = vec![
            (attr::KIND, s(attr::STATE_KIND)),
            (attr::ORDER_ID, s(&change.order_id)),
            (attr::LAST_EVENT_TYPE, s(&e.event_type)),
            (attr::LAST_EVENT_KEY, s(&e.event_key.0)),
            (attr::UPDATED_AT, s(e.received_at.to_rfc3339())),
            (attr::EXPIRES_AT, n(expires_at)),
        ];
        if full {
            sets.push((attr::STATUS, s(precedence.status.as_str())));
            sets.push((attr::VERSION, n(version)));
        }
        if let Some(order) = &change.order {
            sets.push((attr::ORDER, json(order)));
        }
        if let Some(location) = &e.location_id {
            sets.push((attr::LOCATION_ID, s(location)));
            sets.push((attr::LOCATION_KEY, s(keys::location_key(&e.provider, location))));
        }
        if let Some(decision) = &change.awaiting {
            let until = keys::due_at(&decision.until);
            sets.push((attr::DECIDE_BY, s(&until)));
            sets.push((attr::DUE_KEY, s(keys::decision_due(&e.provider))));
            sets.push((attr::DUE_AT, s(until)));
        }
        if let Some(team) = &e.team_location_id {
            sets.push((attr::TEAM_LOCATION_ID, s(team)));
            sets.push((attr::TEAM_LOCATION_KEY, s(keys::location_key(&e.provider, team))));
        }
        let expression: Vec<String> = sets.iter().map(|(a, _)| format!("#{a} = :{a}")).collect();
        let names: HashMap<String, String> = sets
            .iter()
            .map(|(a, _)| (format!("#{a}"), (*a).to_owned()))
            .collect();
        let values: Item = sets.into_iter().map(|(a, v)| (format!(":{a}"), v)).collect();
        // Bumped after the `set_…` calls, which replace the placeholder maps whole.
        let update = seq_bumped!(Update::builder()
            .table_name(&self.table)
            .key(attr::PK, s(keys::order_pk(&e.provider, change.key())))
            .key(attr::SK, s(keys::STATE_SK))
            .update_expression(format!(
                "SET {} {}{}",
                expression.join(", "),
                attr::BUMP_SEQ,
                // Accepted (or further) on the platform: no longer waiting for a decision.
                if full
                    && change.awaiting.is_none()
                    && precedence.status.rank() >= OrderStatus::Accepted.rank()
                {
                    stop_waiting()
                } else {
                    String::new()
                }
            ))
            .condition_expression(if full {
                format!("{} OR #{1} <= :{1}", expr::NEW, attr::VERSION)
            } else {
                expr::EXISTS.to_owned()
            })
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values)))
        .build()
        .expect("table, key and expression are set");
        Some(TransactWriteItem::builder().update(update).build())
    }

    fn items(&self, new: &NewEvent<'_>, write: StateWrite) -> Vec<TransactWriteItem> {
        let e = new.event;
        // The record and the trail entry carry the same JSON: serialized once.
        let event = json(e);
        let trail = e.change.as_ref().map(|change| {
            let item = TrailImage::item(e, change.key(), new.order_expires_at, event.clone());
            let put = self
                .create(item)
                .build()
                .expect("table, item and condition are set");
            TransactWriteItem::builder().put(put).build()
        });
        let record = self
            .create(EventImage::item(new, event))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .expect("table, item and condition are set");
        let mut items = vec![TransactWriteItem::builder().put(record).build()];
        items.extend(trail);
        if let (false, Some(precedence)) = (write == StateWrite::None, e.precedence()) {
            items.extend(self.state_update(e, precedence, new.order_expires_at, write));
        }
        items.extend(self.decided(e));
        items
    }

    /// A restaurant's decision on a new order: it no longer waits for one.
    fn decided(&self, e: &CanonicalEvent) -> Option<TransactWriteItem> {
        let (Some(EventDetail::Command(c)), Some(change)) = (&e.detail, &e.change) else {
            return None;
        };
        if !c.status.is_decision() {
            return None;
        }
        let update = seq_bumped!(Update::builder()
            .table_name(&self.table)
            .key(attr::PK, s(keys::order_pk(&e.provider, change.key())))
            .key(attr::SK, s(keys::STATE_SK))
            .update_expression(format!("{}{}", attr::BUMP_SEQ, stop_waiting()))
            .condition_expression(expr::EXISTS))
        .build()
        .expect("table, key and expression are set");
        Some(TransactWriteItem::builder().update(update).build())
    }
}

/// What a new event writes to its order's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StateWrite {
    /// Status, version and snapshot, if this event is not older than the state.
    Full,
    /// The snapshot only, where a state exists.
    SnapshotOnly,
    None,
}

impl StateWrite {
    fn first(e: &CanonicalEvent) -> StateWrite {
        if e.precedence().is_some() {
            StateWrite::Full
        } else {
            StateWrite::None
        }
    }

    /// After the state's condition failed: an undocumented status (`unknown`) carrying a
    /// snapshot still updates the content (never the status); anything else stops.
    fn after_newer(self, e: &CanonicalEvent) -> StateWrite {
        let unknown_with_snapshot = e
            .change
            .as_ref()
            .is_some_and(|c| c.status == Some(OrderStatus::Unknown) && c.order.is_some());
        match self {
            StateWrite::Full if unknown_with_snapshot => StateWrite::SnapshotOnly,
            _ => StateWrite::None,
        }
    }
}

fn is_condition_failure(r: Option<&CancellationReason>) -> bool {
    r.and_then(CancellationReason::code) == Some("ConditionalCheckFailed")
}

impl EventStore for DynamoStore {
    async fn record(&self, new: NewEvent<'_>) -> Result<Recorded, StoreError> {
        let mut write = StateWrite::first(new.event);
        let mut conflicts = 0;
        loop {
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(self.items(&new, write)))
                .send()
                .await;
            let err = match result {
                Ok(_) => {
                    return Ok(Recorded::New {
                        state_applied: write == StateWrite::Full,
                    })
                }
                Err(err) => err,
            };
            let Some(TransactWriteItemsError::TransactionCanceledException(cancel)) = err.as_service_error()
            else {
                return Err(transaction_failed(&err));
            };
            let reasons = cancel.cancellation_reasons();
            if is_condition_failure(reasons.first()) || is_condition_failure(reasons.get(1)) {
                let old = reasons.first().and_then(CancellationReason::item);
                return Ok(Recorded::Duplicate {
                    // Without the old item (a trail entry clash) the body cannot be compared.
                    same_body: old
                        .and_then(EventImage::body_sha256)
                        .is_none_or(|h| h == new.event.body_sha256),
                });
            }
            if write != StateWrite::None && is_condition_failure(reasons.get(2)) {
                // A newer event already moved the order: its snapshot only, if its status
                // is one nobody documented, else this event goes to the trail only.
                write = write.after_newer(new.event);
                continue;
            }
            if reasons.iter().any(|r| r.code() == Some("TransactionConflict")) && conflicts < CONFLICT_RETRIES
            {
                conflicts += 1;
                tokio::time::sleep(Duration::from_millis(10 * 2_u64.pow(conflicts))).await;
                continue;
            }
            return Err(transaction_failed(&err));
        }
    }

    async fn locations(&self, provider: &str) -> Result<HashMap<String, String>, StoreError> {
        let mut map = HashMap::new();
        let mut pages = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression(expr::PARTITION)
            .expression_attribute_values(":pk", s(keys::location_pk(provider)))
            .into_paginator()
            .items()
            .send();
        while let Some(item) = pages.next().await {
            let item = item.map_err(|e| failed("query", &e))?;
            if let Some((platform, team)) = LocationImage::read(&item) {
                map.insert(platform.to_owned(), team.to_owned());
            }
        }
        Ok(map)
    }

    async fn set_location(&self, provider: &str, platform_id: &str, team_id: &str) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(LocationImage::item(provider, platform_id, team_id)))
            .send()
            .await
            .map_err(|e| failed("put_item", &e))?;
        Ok(())
    }

    async fn remove_location(&self, provider: &str, platform_id: &str) -> Result<bool, StoreError> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(keys::location_pk(provider), platform_id)))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| failed("delete_item", &e))?;
        Ok(out.attributes.is_some_and(|a| !a.is_empty()))
    }

    async fn event(&self, provider: &str, event_key: &str) -> Result<Option<StoredEvent>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(keys::event_pk(provider, event_key), keys::EVENT_SK)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| failed("get_item", &e))?;
        out.item.map(|item| Ok(EventImage::stored(&item)?)).transpose()
    }

    async fn rewrite(&self, new: NewEvent<'_>) -> Result<Recorded, StoreError> {
        self.rewrite_event(new).await
    }

    async fn mark_reprocessed(
        &self,
        provider: &str,
        quarantined_key: &str,
        new_key: &str,
    ) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(
                keys::event_pk(provider, quarantined_key),
                keys::EVENT_SK,
            )))
            .update_expression("SET #as = :key")
            .condition_expression(expr::EXISTS)
            .expression_attribute_names("#as", attr::REPROCESSED_AS)
            .expression_attribute_values(":key", s(new_key))
            .send()
            .await
            .map(drop)
            .map_err(|e| failed("update_item", &e))
    }

    async fn order(&self, provider: &str, order_id: &str) -> Result<OrderView, StoreError> {
        let mut view = OrderView::default();
        let mut pages = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression(expr::PARTITION)
            .expression_attribute_values(":pk", s(keys::order_pk(provider, order_id)))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send();
        while let Some(item) = pages.next().await {
            let item = item.map_err(|e| failed("query", &e))?;
            if let Some(state) = StateImage::read(&item)? {
                view.state = Some(state.state()?);
            } else if let Some(entry) = TrailImage::read(&item)? {
                view.trail.push(entry.entry()?);
            }
        }
        Ok(view)
    }

    async fn claim_ack(
        &self,
        job: &AckJob,
        now: chrono::DateTime<chrono::Utc>,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(event_key(job)))
            .update_expression(expr::CLAIM)
            .condition_expression(expr::CLAIMABLE)
            .expression_attribute_values(":taken", s(AckStatus::InProgress.as_str()))
            .expression_attribute_values(":pending", s(AckStatus::Pending.as_str()))
            .expression_attribute_values(":retrying", s(AckStatus::Retrying.as_str()))
            .expression_attribute_values(":lease", n(now.timestamp() + lease.as_secs() as i64))
            .expression_attribute_values(":now_s", n(now.timestamp()))
            .expression_attribute_values(":now", s(now.to_rfc3339()))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":one", n(1))
            .return_values(ReturnValue::UpdatedNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(out) => Ok(Claim::Claimed {
                attempt: out
                    .attributes
                    .as_ref()
                    .and_then(|a| a.number(attr::ACK_ATTEMPTS))
                    .unwrap_or(1)
                    .try_into()
                    .unwrap_or(u32::MAX),
            }),
            Err(err) => match err.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(e)) => Ok(match e.item() {
                    None => Claim::Missing,
                    Some(old) => match old.ack().status {
                        status if status.is_settled() => Claim::Settled { status },
                        _ => Claim::Busy,
                    },
                }),
                _ => Err(failed("update_item", &err)),
            },
        }
    }

    async fn refuse_job(
        &self,
        job: &AckJob,
        reason: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(event_key(job)))
            .update_expression(expr::REFUSE)
            .condition_expression(expr::PENDING)
            .expression_attribute_values(":failed", s(AckStatus::Failed.as_str()))
            .expression_attribute_values(":pending", s(AckStatus::Pending.as_str()))
            .expression_attribute_values(":message", s(format!("not queued: {reason}")))
            .expression_attribute_values(":now", s(now.to_rfc3339()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // Expired, or already moved on: nothing waits for it.
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(UpdateItemError::ConditionalCheckFailedException(_))
                ) =>
            {
                Ok(())
            }
            Err(e) => Err(failed("update_item", &e)),
        }
    }

    async fn finish_ack(
        &self,
        job: &AckJob,
        outcome: AckOutcome<'_>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        let (mut with_trail, mut outcome) = (true, outcome);
        loop {
            let items = self.ack_items(job, outcome, now, with_trail);
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items))
                .send()
                .await;
            let Err(err) = result else { return Ok(()) };
            let Some(TransactWriteItemsError::TransactionCanceledException(c)) = err.as_service_error()
            else {
                return Err(transaction_failed(&err));
            };
            let reasons = c.cancellation_reasons();
            if is_condition_failure(reasons.first()) {
                // Our lease ran out and another worker took the job over: its result counts.
                tracing::warn!(provider = %job.provider, event_key = %job.event_key.0, "ack lease lost");
                return Ok(());
            }
            if with_trail && is_condition_failure(reasons.get(1)) {
                // No trail entry where the job says: record the outcome on the event only.
                with_trail = false;
                continue;
            }
            if let AckOutcome::Acked { note, order: Some(_) } = outcome {
                if is_condition_failure(reasons.last()) {
                    // The order was erased, or a later fetch is stored: the outcome counts,
                    // this snapshot does not.
                    tracing::warn!(provider = %job.provider, event_key = %job.event_key.0, "fetched order not stored: erased or superseded");
                    outcome = AckOutcome::Acked { note, order: None };
                    continue;
                }
            }
            return Err(transaction_failed(&err));
        }
    }
}

impl DynamoStore {
    /// The writes recording an ack outcome: the event record (only while we hold the
    /// claim), the order's trail entry, and an enriched order snapshot.
    fn ack_items(
        &self,
        job: &AckJob,
        outcome: AckOutcome<'_>,
        now: chrono::DateTime<chrono::Utc>,
        with_trail: bool,
    ) -> Vec<TransactWriteItem> {
        let values = HashMap::from([
            (":status".to_owned(), s(outcome.status().as_str())),
            (":message".to_owned(), s(outcome.message())),
            (":now".to_owned(), s(now.to_rfc3339())),
        ]);
        let mut items = vec![self.ack_event_update(job, values.clone())];
        let (Some(order_key), Some(received_at), true) = (job.order(), &job.received_at, with_trail) else {
            return items;
        };
        let trail = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(
                keys::order_pk(&job.provider, order_key),
                keys::trail_sk(received_at, &job.event_key.0),
            )))
            .update_expression(expr::SETTLE_TRAIL)
            .condition_expression(expr::EXISTS)
            .set_expression_attribute_values(Some(values))
            .build()
            .expect("table, key and expression are set");
        items.push(TransactWriteItem::builder().update(trail).build());
        if let AckOutcome::Acked {
            order: Some(order), ..
        } = outcome
        {
            items.push(self.enrichment(job, order_key, order, now));
        }
        items
    }

    /// The event record's outcome, only while the claim is ours.
    fn ack_event_update(
        &self,
        job: &AckJob,
        mut values: HashMap<String, AttributeValue>,
    ) -> TransactWriteItem {
        values.insert(":taken".into(), s(AckStatus::InProgress.as_str()));
        let event = Update::builder()
            .table_name(&self.table)
            .set_key(Some(event_key(job)))
            .update_expression(expr::SETTLE_EVENT)
            .condition_expression(expr::HELD)
            .set_expression_attribute_values(Some(values))
            .build()
            .expect("table, key and expression are set");
        TransactWriteItem::builder().update(event).build()
    }

    /// A fetched full order: the snapshot changes, status and version stay (a state
    /// created here has version 0, so any status event still applies). Never over an
    /// erasure, nor over a fetch that finished later (`enriched_at`, fixed width).
    fn enrichment(
        &self,
        job: &AckJob,
        order_key: &str,
        order: &crate::model::Order,
        now: chrono::DateTime<chrono::Utc>,
    ) -> TransactWriteItem {
        let state = seq_bumped!(Update::builder())
            .table_name(&self.table)
            .set_key(Some(key(
                keys::order_pk(&job.provider, order_key),
                keys::STATE_SK,
            )))
            .update_expression(format!("{} {}", expr::ENRICH, attr::BUMP_SEQ))
            .expression_attribute_names("#order_id", attr::ORDER_ID)
            .expression_attribute_values(":order_id", s(job.order_id.as_deref().unwrap_or(order_key)))
            .expression_attribute_names("#order", attr::ORDER)
            .expression_attribute_names("#kind", attr::KIND)
            .expression_attribute_names("#status", attr::STATUS)
            .expression_attribute_names("#version", attr::VERSION)
            .condition_expression(expr::ENRICHABLE)
            .expression_attribute_values(":order", json(order))
            .expression_attribute_values(
                ":now",
                s(now.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
            )
            .expression_attribute_values(":kind", s(attr::STATE_KIND))
            .expression_attribute_values(":unknown", s("unknown"))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":expires", n(now.timestamp() + self.order_ttl.as_secs() as i64))
            .build()
            .expect("table, key and expression are set");
        TransactWriteItem::builder().update(state).build()
    }
}

/// The key of a job's event record.
fn event_key(job: &AckJob) -> Item {
    key(keys::event_pk(&job.provider, &job.event_key.0), keys::EVENT_SK)
}
