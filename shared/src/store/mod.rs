//! The durable, idempotent record of every delivery and the order state it implies.
//!
//! One write per delivery stores, atomically: the event record (unique per event key), the
//! order's trail entry, and the order's current state if this event is not older than
//! what is stored. Never read-then-write: uniqueness and ordering are write conditions.

mod dynamodb;
pub mod item;

use std::collections::HashMap;
use std::future::Future;

use serde::{Deserialize, Serialize};

pub use dynamodb::{DynamoStore, EventFilter, Forgotten, LocationId, OrderPage, OrderSummary};
pub use item::keys;

use crate::job::AckJob;
use crate::model::{CanonicalEvent, Order, OrderStatus};

/// Everything written for one new delivery.
#[derive(Debug, Clone, Copy)]
pub struct NewEvent<'a> {
    pub event: &'a CanonicalEvent,
    /// The body, when small enough to keep on the record (else it is in the blob store).
    pub raw_body: Option<&'a str>,
    /// What the ack worker must do; none for a quarantined delivery with nothing to
    /// acknowledge (stored as `skipped`).
    pub job: Option<&'a AckJob>,
    /// Unix seconds after which the event record may be deleted (DynamoDB TTL).
    pub expires_at: i64,
    /// Unix seconds after which the order's trail entry and (counted from its last change)
    /// its state may be deleted: the retention of customers' data (`ORDER_TTL_DAYS`).
    pub order_expires_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// First time this event key was seen; `state_applied` is false when a newer event
    /// already moved the order further.
    New { state_applied: bool },
    /// Seen before (its job already on its way, from the outbox). `same_body` is false when
    /// the platform re-used an id for different content (the first one is kept).
    Duplicate { same_body: bool },
}

/// Why the store could not do what it was asked, in the terms its callers act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store failed or timed out: the same call may succeed later.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// The store refuses this write for good (DynamoDB's `ValidationException`: a key or
    /// an item it cannot hold): retrying the same input never succeeds.
    #[error("store refuses the write: {0}")]
    Refused(String),
    /// A stored item this code cannot read.
    #[error("stored item is unreadable: {0}")]
    Corrupt(String),
    /// What the call names is not stored.
    #[error("not found: {0}")]
    NotFound(String),
    /// A listing's next token that no listing printed.
    #[error("the next token is not one this command printed")]
    BadToken,
}

impl From<StoreError> for crate::error::ApiError {
    /// Everything the store can say to a delivery is a 503: transient, or our own fault
    /// (an item we wrote and cannot read, a write we made that it refuses) that retries
    /// keep coming back to while the alarm is raised.
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(_) => crate::error::ApiError::Unavailable(e.to_string()),
            _ => crate::error::ApiError::Misconfigured(e.to_string()),
        }
    }
}

/// Ack status of a stored event: `pending` when stored, then the ack worker's claim
/// (`in_progress`), and its outcome: `acked`, `failed` (permanently) or `retrying`. Stored
/// as these words (`ack_status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AckStatus {
    #[default]
    Pending,
    InProgress,
    Retrying,
    Acked,
    Failed,
    /// Nothing to acknowledge: a quarantined delivery that needs no answer.
    Skipped,
}

impl AckStatus {
    const ALL: [AckStatus; 6] = [
        AckStatus::Pending,
        AckStatus::InProgress,
        AckStatus::Retrying,
        AckStatus::Acked,
        AckStatus::Failed,
        AckStatus::Skipped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AckStatus::Pending => "pending",
            AckStatus::InProgress => "in_progress",
            AckStatus::Retrying => "retrying",
            AckStatus::Acked => "acked",
            AckStatus::Failed => "failed",
            AckStatus::Skipped => "skipped",
        }
    }

    pub fn parse(word: &str) -> Option<AckStatus> {
        AckStatus::ALL.into_iter().find(|s| s.as_str() == word)
    }

    /// Whether the acknowledgement is settled: no job needs to run again.
    pub fn is_settled(self) -> bool {
        matches!(self, AckStatus::Acked | AckStatus::Failed | AckStatus::Skipped)
    }
}

impl std::fmt::Display for AckStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The ack worker's attempt to take a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This worker holds the job until the lease ends; `attempt` counts from 1.
    Claimed { attempt: u32 },
    /// Already acknowledged or failed: a repeated job, nothing to do.
    Settled { status: AckStatus },
    /// Another worker holds an unexpired lease: try again later.
    Busy,
    /// No event record (expired by TTL, or never stored): nothing to do.
    Missing,
}

/// How an acknowledgement attempt ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AckOutcome<'a> {
    /// Done; `order` is a full order fetched from the platform (enrichment).
    Acked {
        note: &'a str,
        order: Option<&'a Order>,
    },
    Failed {
        reason: &'a str,
    },
    Retrying {
        reason: &'a str,
    },
}

impl AckOutcome<'_> {
    pub fn status(&self) -> AckStatus {
        match self {
            AckOutcome::Acked { .. } => AckStatus::Acked,
            AckOutcome::Failed { .. } => AckStatus::Failed,
            AckOutcome::Retrying { .. } => AckStatus::Retrying,
        }
    }

    /// The note or error kept on the records.
    pub fn message(&self) -> &str {
        match self {
            AckOutcome::Acked { note, .. } => note,
            AckOutcome::Failed { reason } | AckOutcome::Retrying { reason } => reason,
        }
    }
}

/// The ack fields of an event record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct AckState {
    pub status: AckStatus,
    pub attempts: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredEvent {
    pub event: CanonicalEvent,
    pub raw_body: Option<String>,
    pub job: Option<AckJob>,
    pub ack: AckState,
    pub expires_at: i64,
    /// For a quarantined event read again (`ordergate reprocess`): the key it was stored
    /// under then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reprocessed_as: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderState {
    pub status: OrderStatus,
    pub version: i64,
    pub last_event_type: String,
    #[serde(
        rename(serialize = "last_dedupe_key", deserialize = "last_event_key"),
        alias = "last_dedupe_key"
    )]
    pub last_event_key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_location_id: Option<String>,
    /// The latest full snapshot; thin events move the status and keep the snapshot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<Order>,
}

/// An order and its trail of events, oldest first: what one query returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct OrderView {
    pub state: Option<OrderState>,
    pub trail: Vec<TrailEntry>,
}

/// One event on an order's trail, with how its acknowledgement went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrailEntry {
    #[serde(flatten)]
    pub event: CanonicalEvent,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ack: Option<AckState>,
}

impl std::ops::Deref for TrailEntry {
    type Target = CanonicalEvent;
    fn deref(&self) -> &CanonicalEvent {
        &self.event
    }
}

pub trait EventStore: Send + Sync {
    fn record(&self, new: NewEvent<'_>) -> impl Future<Output = Result<Recorded, StoreError>> + Send;
    fn event(
        &self,
        provider: &str,
        event_key: &str,
    ) -> impl Future<Output = Result<Option<StoredEvent>, StoreError>> + Send;
    fn order(
        &self,
        provider: &str,
        order_id: &str,
    ) -> impl Future<Output = Result<OrderView, StoreError>> + Send;

    /// The location mapping of `provider`: its location ids → your location ids.
    fn locations(
        &self,
        provider: &str,
    ) -> impl Future<Output = Result<HashMap<String, String>, StoreError>> + Send;

    /// Maps `provider`'s `platform_id` to your `team_id` (replacing any mapping).
    fn set_location(
        &self,
        provider: &str,
        platform_id: &str,
        team_id: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Removes a mapping; false if there was none.
    fn remove_location(
        &self,
        provider: &str,
        platform_id: &str,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Replaces a stored event's canonical reading with a new one of the same delivery (a
    /// reprocessing with fixed code or configuration): the event record's and its trail
    /// entry's event, and the order's state unless a newer event moved it further. The
    /// raw body, the job and the ack status stay. `New { state_applied }` on success.
    fn rewrite(&self, new: NewEvent<'_>) -> impl Future<Output = Result<Recorded, StoreError>> + Send;

    /// Notes on a quarantined event record that it was read again, stored as `key`.
    fn mark_reprocessed(
        &self,
        provider: &str,
        quarantined_key: &str,
        key: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Takes a job for acknowledgement: one conditional write, so of two workers given the
    /// same job only one calls the platform. A lease that ran out may be taken over.
    fn claim_ack(
        &self,
        job: &AckJob,
        now: chrono::DateTime<chrono::Utc>,
        lease: std::time::Duration,
    ) -> impl Future<Output = Result<Claim, StoreError>> + Send;

    /// Records that a job could never be queued (the queue refused it for good, for its
    /// content): its event record `failed` with the reason, so `ordergate event` shows it
    /// and nothing waits for it. Only while the job is still `pending`.
    fn refuse_job(
        &self,
        job: &AckJob,
        reason: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Records how the claimed attempt ended on the event record and the order's trail,
    /// and stores an enriched order snapshot.
    fn finish_ack(
        &self,
        job: &AckJob,
        outcome: AckOutcome<'_>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Key layout, shared by every implementation and by operators reading the table.
#[cfg(test)]
mod ack_status_tests {
    use super::*;

    #[test]
    fn statuses_are_stored_as_their_words() {
        for status in AckStatus::ALL {
            assert_eq!(AckStatus::parse(status.as_str()), Some(status));
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
        }
        assert_eq!(AckStatus::parse("done"), None);
        let settled: Vec<_> = AckStatus::ALL.into_iter().filter(|s| s.is_settled()).collect();
        assert_eq!(settled, [AckStatus::Acked, AckStatus::Failed, AckStatus::Skipped]);
    }
}
