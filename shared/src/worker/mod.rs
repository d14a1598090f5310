//! The ack worker: consumes acknowledgement jobs from SQS and has each platform called back
//! exactly once per event, whatever SQS redelivers.
//!
//! Per message: claim the job on its event record (one conditional write), call the
//! platform, record the outcome. Failures worth retrying go back to the queue with a growing
//! visibility timeout and, after the queue's maxReceiveCount, to the dead-letter queue;
//! permanent failures are recorded and not retried. Only failed messages are reported, so
//! the rest of a batch is deleted.

pub mod http;

use std::collections::HashSet;
use std::future::Future;
use std::time::Duration;

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};

use crate::job::AckJob;
use crate::model::Order;
use crate::store::{AckOutcome, Claim, EventStore};

/// Why a callback did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AckError {
    /// Timeouts, 408/429/5xx, unreadable answers: try again later.
    #[error("{0}")]
    Retry(String),
    /// The platform refused our credentials (after one token refresh): try again later,
    /// an operator may fix the secret meanwhile.
    #[error("{0}")]
    Unauthorized(String),
    /// A 4xx that will never succeed, or a job that cannot be done.
    #[error("{0}")]
    Permanent(String),
}

/// A successful acknowledgement.
#[derive(Debug, Clone, PartialEq)]
pub struct Acked {
    /// What was done, kept on the records (e.g. "status 20 sent").
    pub note: String,
    /// A full order fetched from the platform, stored on the order (enrichment).
    pub order: Option<Order>,
}

impl Acked {
    pub fn note(note: impl Into<String>) -> Self {
        Acked {
            note: note.into(),
            order: None,
        }
    }
}

/// The platforms the worker can call back, dispatched on `job.provider`.
pub trait Platforms: Send + Sync {
    fn acknowledge(&self, job: &AckJob) -> impl Future<Output = Result<Acked, AckError>> + Send;
}

/// Lease on a claimed job: longer than one worker invocation can run.
pub const LEASE: Duration = Duration::from_secs(120);

pub struct Worker<S, P> {
    store: S,
    platforms: P,
    sqs: Option<(aws_sdk_sqs::Client, String)>,
    /// First retry delay; doubled per attempt up to 15 minutes (SQS's visibility cap is 12 h).
    pub backoff: Duration,
}

/// A retry reason without whatever the platform's answer said after its HTTP status
/// (`deliverect accept: HTTP 503: <body>` → `deliverect accept: HTTP 503`).
fn loggable(reason: &str) -> &str {
    match reason.find("HTTP ") {
        Some(at) => {
            let end = reason[at..].find(": ").map_or(reason.len(), |e| at + e);
            &reason[..end]
        }
        None => reason,
    }
}

/// How one message ended, for the batch response and the log.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Handled {
    Done(&'static str),
    Retry { attempt: u32, reason: String },
}

impl<S: EventStore, P: Platforms> Worker<S, P> {
    /// `sqs` (client and queue URL) lets failed messages back off; without it they come
    /// back after the queue's visibility timeout.
    pub fn new(store: S, platforms: P, sqs: Option<(aws_sdk_sqs::Client, String)>) -> Self {
        Worker {
            store,
            platforms,
            sqs,
            backoff: Duration::from_secs(10),
        }
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    /// Handles one SQS batch and reports only the messages to retry. Within a FIFO message
    /// group, once a message fails the later ones are returned unprocessed, keeping order.
    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        let mut failed_groups = HashSet::new();
        let mut response = SqsBatchResponse::default();
        for message in &event.records {
            let id = message.message_id.clone().unwrap_or_default();
            let group = message.attributes.get("MessageGroupId").cloned();
            if group.as_ref().is_some_and(|g| failed_groups.contains(g)) {
                response.batch_item_failures.push(failure(id));
                continue;
            }
            let body = message.body.as_deref().unwrap_or_default();
            let (handled, provider) = match serde_json::from_str::<AckJob>(body) {
                Ok(job) => (self.process(&job, message).await, job.provider),
                // Not a job: retried until the queue moves it to the dead-letter queue for a look.
                Err(e) => (
                    Handled::Retry {
                        attempt: receive_count(message),
                        // Position only: serde's message can quote the body's values.
                        reason: format!("not an ack job (line {}, column {})", e.line(), e.column()),
                    },
                    "unknown".to_owned(),
                ),
            };
            let provider = provider.as_str();
            crate::metrics::emit(
                provider,
                &[
                    crate::metrics::count("Acked", handled == Handled::Done("acked")),
                    crate::metrics::count("AckFailed", handled == Handled::Done("failed permanently")),
                    crate::metrics::count("AckRetried", matches!(handled, Handled::Retry { .. })),
                ],
            );
            match handled {
                Handled::Done(outcome) => {
                    tracing::info!(message_id = %id, provider, outcome, "ack job done")
                }
                Handled::Retry { attempt, reason } => {
                    // The reason may quote the platform's answer (customer data): the log
                    // keeps only what failed and how; the full text is on the event record.
                    let reason = loggable(&reason);
                    tracing::warn!(message_id = %id, provider, attempt, reason, "ack job will be retried");
                    self.back_off(message, attempt).await;
                    failed_groups.extend(group);
                    response.batch_item_failures.push(failure(id));
                }
            }
        }
        response
    }

    async fn process(&self, job: &AckJob, message: &SqsMessage) -> Handled {
        let now = chrono::Utc::now();
        let attempt = match self.store.claim_ack(job, now, LEASE).await {
            Ok(Claim::Claimed { attempt }) => attempt,
            Ok(Claim::Settled { .. }) => return Handled::Done("already settled"),
            Ok(Claim::Missing) => return Handled::Done("no event record"),
            Ok(Claim::Busy) => {
                return Handled::Retry {
                    attempt: receive_count(message),
                    reason: "held by another worker".into(),
                }
            }
            Err(e) => {
                return Handled::Retry {
                    attempt: receive_count(message),
                    reason: e.to_string(),
                }
            }
        };
        let result = self.platforms.acknowledge(job).await;
        let outcome = match &result {
            Ok(acked) => AckOutcome::Acked {
                note: &acked.note,
                order: acked.order.as_ref(),
            },
            Err(AckError::Permanent(reason)) => AckOutcome::Failed { reason },
            Err(AckError::Retry(reason) | AckError::Unauthorized(reason)) => AckOutcome::Retrying { reason },
        };
        if let Err(e) = self.store.finish_ack(job, outcome, chrono::Utc::now()).await {
            // The callback happened but is not recorded: the lease expires and a retry
            // calls again. Platforms treat a repeated status as a no-op.
            return Handled::Retry {
                attempt,
                reason: e.to_string(),
            };
        }
        match result {
            Ok(_) => Handled::Done("acked"),
            Err(AckError::Permanent(_)) => Handled::Done("failed permanently"),
            Err(AckError::Retry(reason) | AckError::Unauthorized(reason)) => {
                Handled::Retry { attempt, reason }
            }
        }
    }

    async fn back_off(&self, message: &SqsMessage, attempt: u32) {
        let (Some((sqs, url)), Some(receipt)) = (&self.sqs, &message.receipt_handle) else {
            return;
        };
        let delay = backoff(self.backoff, attempt);
        let result = sqs
            .change_message_visibility()
            .queue_url(url)
            .receipt_handle(receipt)
            .visibility_timeout(delay.as_secs() as i32)
            .send()
            .await;
        if let Err(e) = result {
            tracing::warn!(error = %aws_sdk_sqs::error::DisplayErrorContext(&e), "could not delay the retry");
        }
    }
}

/// `base` doubled per attempt, at most 15 minutes.
pub fn backoff(base: Duration, attempt: u32) -> Duration {
    let factor = 2_u32.saturating_pow(attempt.saturating_sub(1).min(16));
    base.saturating_mul(factor).min(Duration::from_secs(900))
}

fn receive_count(message: &SqsMessage) -> u32 {
    message
        .attributes
        .get("ApproximateReceiveCount")
        .and_then(|c| c.parse().ok())
        .unwrap_or(1)
}

fn failure(id: String) -> BatchItemFailure {
    let mut f = BatchItemFailure::default();
    f.item_identifier = id;
    f
}

#[cfg(test)]
mod tests {
    #[test]
    fn logged_reasons_stop_at_the_http_status() {
        assert_eq!(
            super::loggable("deliverect accept: HTTP 503: {\"name\": \"Jane\"}"),
            "deliverect accept: HTTP 503"
        );
        assert_eq!(
            super::loggable("ordatic fetch: HTTP 429"),
            "ordatic fetch: HTTP 429"
        );
        assert_eq!(
            super::loggable("held by another worker"),
            "held by another worker"
        );
    }

    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let b = Duration::from_secs(10);
        assert_eq!(backoff(b, 1), Duration::from_secs(10));
        assert_eq!(backoff(b, 2), Duration::from_secs(20));
        assert_eq!(backoff(b, 4), Duration::from_secs(80));
        assert_eq!(backoff(b, 50), Duration::from_secs(900));
        assert_eq!(backoff(Duration::ZERO, 3), Duration::ZERO);
    }
}
