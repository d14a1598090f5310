//! The ack worker: consumes acknowledgement jobs from SQS and has each platform called back
//! exactly once per event, whatever SQS redelivers.
//!
//! Per message: claim the job on its event record (one conditional write), call the
//! platform, record the outcome. Failures worth retrying go back to the queue with a growing,
//! jittered visibility timeout (or the platform's `Retry-After`) and, after the queue's
//! maxReceiveCount, to the dead-letter queue: [`MAX_BACKOFF`] and the template's
//! maxReceiveCount give a platform at least [`OUTAGE_BUDGET`] to come back (tested by
//! simulating an outage on an injected clock). Permanent failures are recorded and not
//! retried. Only failed messages are reported, so the rest of a batch is deleted.
//!
//! A batch's FIFO groups (one per order) run concurrently, so a platform that is down
//! delays only its own orders' jobs; within a group, jobs run in order. A job is started
//! only while the invocation has time left for it: the rest are handed back at once
//! (visibility 0) instead of timing out the whole batch.

pub mod http;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use chrono::{DateTime, Utc};

use crate::command::{CommandError, Decision, Refusal, StatusCommand, Submitted};
use crate::job::AckJob;
use crate::model::Order;
use crate::store::{AckOutcome, Claim, EventStore};
use crate::Limits;

/// Why a callback did not succeed: the variant decides what happens next, the [`Reason`]
/// says what failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AckError {
    /// Timeouts, 408/429/5xx, unreadable answers: try again later.
    #[error("{0}")]
    Retry(Reason),
    /// The platform asked us to come back after `after` (`Retry-After`).
    #[error("{reason}")]
    Later { reason: Reason, after: Duration },
    /// The platform refused our credentials (after one token refresh): try again later,
    /// an operator may fix the secret meanwhile.
    #[error("{0}")]
    Unauthorized(Reason),
    /// A 4xx that will never succeed, or a job that cannot be done.
    #[error("{0}")]
    Permanent(Reason),
    /// Our own configuration cannot make the call (an API URL or a credential is missing
    /// or empty): nothing is sent; retried until an operator fixes it, and counted as
    /// `Misconfigured`, which `MisconfiguredAlarm` watches, so it is not a silent backlog.
    #[error("{0}")]
    Misconfigured(Reason),
}

impl AckError {
    pub fn reason(&self) -> &Reason {
        match self {
            AckError::Retry(r)
            | AckError::Unauthorized(r)
            | AckError::Permanent(r)
            | AckError::Misconfigured(r)
            | AckError::Later { reason: r, .. } => r,
        }
    }
}

impl From<crate::job::UnreadableAck> for AckError {
    fn from(e: crate::job::UnreadableAck) -> Self {
        AckError::Permanent(e.to_string().into())
    }
}

/// What failed, in our words, and the platform's answer when it gave one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    /// The call or the step, e.g. `deliverect accept` (never the platform's text).
    pub what: String,
    /// The platform's HTTP answer, if the call got one.
    pub answer: Option<HttpAnswer>,
}

/// A platform's HTTP answer to a callback that did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpAnswer {
    pub status: u16,
    /// The start of its body: it may quote the order (customer data), so it is kept on the
    /// event record for the operator and never logged.
    pub body: String,
}

impl Reason {
    pub fn http(what: impl Into<String>, status: u16, body: impl Into<String>) -> Self {
        Reason {
            what: what.into(),
            answer: Some(HttpAnswer {
                status,
                body: body.into(),
            }),
        }
    }

    /// What a log line may say: the step and the platform's status, not its answer.
    pub fn loggable(&self) -> String {
        match &self.answer {
            Some(a) => format!("{}: HTTP {}", self.what, a.status),
            None => self.what.clone(),
        }
    }
}

/// The whole reason, answer included, as the event record keeps it.
impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.answer {
            Some(a) if !a.body.is_empty() => write!(f, "{}: HTTP {}: {}", self.what, a.status, a.body),
            Some(a) => write!(f, "{}: HTTP {}", self.what, a.status),
            None => f.write_str(&self.what),
        }
    }
}

impl From<String> for Reason {
    fn from(what: String) -> Self {
        Reason { what, answer: None }
    }
}

impl From<&str> for Reason {
    fn from(what: &str) -> Self {
        what.to_owned().into()
    }
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

/// One platform's acknowledging side (its `ack.rs`), as the ack worker drives it.
pub trait Acknowledge: Sized + Send + Sync {
    /// Set up from the worker's environment (template.yaml), with the platform's API
    /// credentials (`<PLATFORM>_API_SECRET_ID`).
    fn from_env(api_secrets: crate::secrets::SecretSource) -> Result<Self, crate::config::ConfigError>;

    fn acknowledge(&self, job: &AckJob) -> impl Future<Output = Result<Acked, AckError>> + Send;
}

/// The platforms the worker can call back, dispatched on `job.provider`.
pub trait Callbacks: Send + Sync {
    fn acknowledge(&self, job: &AckJob) -> impl Future<Output = Result<Acked, AckError>> + Send;

    /// Validates and records a command for the platform it names
    /// ([`crate::command::submit`]): what a decision window's end applies. None by default.
    fn submit<S: EventStore>(
        &self,
        store: &S,
        command: &StatusCommand,
        limits: &Limits,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Submitted, CommandError>> + Send {
        let _ = (store, command, limits, now);
        std::future::ready(Err(
            Refusal::Invalid("this worker takes no commands".into()).into()
        ))
    }
}

/// How a message that must be retried comes back later: SQS's visibility timeout.
pub trait Redelivery: Send + Sync {
    fn redeliver_after(&self, receipt_handle: &str, delay: Duration) -> impl Future<Output = ()> + Send;
}

/// [`Redelivery`] through `ChangeMessageVisibility` on the ack queue.
pub struct SqsRedelivery {
    client: aws_sdk_sqs::Client,
    queue_url: String,
}

impl SqsRedelivery {
    pub fn new(client: aws_sdk_sqs::Client, queue_url: impl Into<String>) -> Self {
        SqsRedelivery {
            client,
            queue_url: queue_url.into(),
        }
    }
}

impl Redelivery for SqsRedelivery {
    async fn redeliver_after(&self, receipt_handle: &str, delay: Duration) {
        let result = self
            .client
            .change_message_visibility()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt_handle)
            .visibility_timeout(delay.as_secs().min(MAX_VISIBILITY.as_secs()) as i32)
            .send()
            .await;
        if let Err(e) = result {
            tracing::warn!(error = %aws_sdk_sqs::error::DisplayErrorContext(&e), "could not delay the retry");
        }
    }
}

/// Lease on a claimed job: longer than one worker invocation can run.
pub const LEASE: Duration = Duration::from_secs(120);

/// Longest back-off between two attempts. With the ack queue's maxReceiveCount
/// (template.yaml) this sets how long a platform may be down before a job is dead-lettered.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30 * 60);

/// The outage every job must survive before the dead-letter queue (docs/how-it-works.md, the ack worker).
pub const OUTAGE_BUDGET: Duration = Duration::from_secs(6 * 3600);

/// A fetched full order larger than this (as JSON) is not stored on the order: with the
/// item's other attributes it would pass DynamoDB's 400 KB limit, the outcome could never
/// be recorded, and the platform would be called again on every retry.
pub const MAX_ENRICHMENT: usize = 300 * 1024;

/// SQS's limit for a message's visibility timeout.
const MAX_VISIBILITY: Duration = Duration::from_secs(12 * 3600);

/// Time one job's platform calls may take together, however many it makes (Ordatic's: a
/// token, the order, its status; twice over after a token refresh): a platform slower than
/// this is cut short and the job retried, so a job never runs into the invocation's end.
pub const CALLS_BUDGET: Duration = Duration::from_secs(2 * http::CALL_TIMEOUT.as_secs());

/// Time for the DynamoDB reads and writes around a job's calls (claim, outcome).
const STORE_BUDGET: Duration = Duration::from_secs(4);

/// The worker's time: the real clock, or a simulated one in tests.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

pub struct Worker<S, P, R = SqsRedelivery> {
    store: S,
    platforms: P,
    redelivery: Option<R>,
    /// First retry delay; doubled per receive up to [`MAX_BACKOFF`], minus up to a quarter
    /// of jitter so jobs that failed together do not return together.
    pub backoff: Duration,
    pub clock: Clock,
    /// Retention of what the worker records itself (a decision window's command).
    pub limits: Limits,
    /// Time one job's platform calls may take ([`CALLS_BUDGET`]).
    pub calls_budget: Duration,
}

/// Why a message needs no further work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Done {
    /// The platform took the acknowledgement (metric `Acked`).
    Acked,
    /// The platform refused it for good, or the job cannot be done (metric `AckFailed`).
    FailedPermanently,
    /// A repeat of a job already acked or failed.
    AlreadySettled,
    /// The event record is gone (expired) or was never stored.
    NoEventRecord,
}

impl Done {
    fn as_str(self) -> &'static str {
        match self {
            Done::Acked => "acked",
            Done::FailedPermanently => "failed permanently",
            Done::AlreadySettled => "already settled",
            Done::NoEventRecord => "no event record",
        }
    }
}

/// How one message ended, for the batch response and the log.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Handled {
    Done(Done),
    /// Try again after the back-off (or at least `after`, when the platform said so).
    Retry {
        attempt: u32,
        reason: Reason,
        after: Option<Duration>,
        /// Our configuration, not the platform, is why (counted as `Misconfigured`).
        misconfigured: bool,
    },
    /// Not started: no time left in this invocation, or an earlier job of its group failed.
    HandedBack(&'static str),
    /// A decision window still open: back when it closes (not a failure, not a retry).
    Waiting {
        after: Duration,
    },
}

impl<S: EventStore, P: Callbacks, R: Redelivery> Worker<S, P, R> {
    /// `redelivery` lets failed messages back off; without it they come back after the
    /// queue's visibility timeout.
    pub fn new(store: S, platforms: P, redelivery: Option<R>) -> Self {
        Worker {
            store,
            platforms,
            redelivery,
            backoff: Duration::from_secs(30),
            clock: Arc::new(Utc::now),
            limits: Limits::default(),
            calls_budget: CALLS_BUDGET,
        }
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    pub fn platforms(&self) -> &P {
        &self.platforms
    }

    /// [`Worker::handle_until`] without a deadline.
    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        self.handle_until(event, None).await
    }

    /// Handles one SQS batch and reports only the messages to retry. Each FIFO group runs
    /// in order, concurrently with the others; once a message fails, the later ones of its
    /// group are handed back unprocessed, keeping order. No job starts after `deadline`
    /// minus a job's time (its calls' budget and its store writes; `deadline` is Lambda's
    /// for the invocation).
    pub async fn handle_until(&self, event: SqsEvent, deadline: Option<DateTime<Utc>>) -> SqsBatchResponse {
        let groups = in_groups(&event.records);
        let handled = futures::future::join_all(groups.iter().map(|g| self.group(g, deadline))).await;
        let mut response = SqsBatchResponse::default();
        for (message, outcome) in handled.into_iter().flatten() {
            if !matches!(outcome, Handled::Done(_)) {
                response
                    .batch_item_failures
                    .push(failure(message.message_id.clone().unwrap_or_default()));
            }
        }
        response
    }

    /// One FIFO group's messages, in order.
    async fn group<'m>(
        &self,
        messages: &[&'m SqsMessage],
        deadline: Option<DateTime<Utc>>,
    ) -> Vec<(&'m SqsMessage, Handled)> {
        let mut out = Vec::with_capacity(messages.len());
        let mut blocked = None;
        for message in messages {
            let handled = match blocked {
                Some(why) => Handled::HandedBack(why),
                None if deadline.is_some_and(|d| (self.clock)() + self.calls_budget + STORE_BUDGET > d) => {
                    Handled::HandedBack("no time left in this invocation")
                }
                None => self.one(message).await,
            };
            if !matches!(handled, Handled::Done(_)) && blocked.is_none() {
                blocked = Some("an earlier job of its order is not done");
            }
            self.settle(message, &handled).await;
            out.push((*message, handled));
        }
        out
    }

    /// Decodes and processes one message.
    async fn one(&self, message: &SqsMessage) -> Handled {
        let body = message.body.as_deref().unwrap_or_default();
        match serde_json::from_str::<AckJob>(body) {
            Ok(job) => {
                let handled = self.process(&job, message).await;
                self.report(Some(&job), message, &handled);
                handled
            }
            // Not a job: retried until the queue moves it to the dead-letter queue for a look.
            Err(e) => {
                let handled = Handled::Retry {
                    attempt: receive_count(message),
                    // Position only: serde's message can quote the body's values.
                    reason: format!("not an ack job (line {}, column {})", e.line(), e.column()).into(),
                    after: None,
                    misconfigured: false,
                };
                self.report(None, message, &handled);
                handled
            }
        }
    }

    /// Metrics and the log line of a processed message (`job`: `None` when it is not one).
    /// The line carries the job's trace (the invocation that stored it) beside this
    /// invocation's own, so that one search finds a delivery from receipt to platform.
    fn report(&self, job: Option<&AckJob>, message: &SqsMessage, handled: &Handled) {
        let id = message.message_id.as_deref().unwrap_or_default();
        let provider = job.map_or("unknown", |j| j.provider.as_str());
        let job_trace = job.and_then(|j| j.trace.as_deref());
        crate::metrics::emit(
            provider,
            &[
                crate::metrics::count("Acked", *handled == Handled::Done(Done::Acked)),
                crate::metrics::count("AckFailed", *handled == Handled::Done(Done::FailedPermanently)),
                crate::metrics::count("AckRetried", matches!(handled, Handled::Retry { .. })),
                crate::metrics::count(
                    "Misconfigured",
                    matches!(
                        handled,
                        Handled::Retry {
                            misconfigured: true,
                            ..
                        }
                    ),
                ),
            ],
        );
        match handled {
            Handled::Done(done) => {
                tracing::info!(message_id = %id, provider, job_trace, outcome = done.as_str(), "ack job done")
            }
            Handled::Retry { attempt, reason, .. } => {
                // The platform's answer may quote the order (customer data): the log
                // keeps only what failed and how; the full text is on the event record.
                let reason = reason.loggable();
                tracing::warn!(message_id = %id, provider, job_trace, attempt, reason, "ack job will be retried");
            }
            Handled::Waiting { after } => {
                tracing::info!(message_id = %id, provider, job_trace, wait_s = after.as_secs(), "waiting for the restaurant's decision")
            }
            Handled::HandedBack(_) => {}
        }
    }

    /// Sets when a message not done comes back: after the back-off, or at once when it was
    /// never started.
    async fn settle(&self, message: &SqsMessage, handled: &Handled) {
        let delay = match handled {
            Handled::Done(_) => return,
            Handled::Retry { after, .. } => {
                let planned = self.backoff_for(message);
                after.map_or(planned, |a| a.max(planned))
            }
            Handled::Waiting { after } => *after,
            Handled::HandedBack(why) => {
                let id = message.message_id.as_deref().unwrap_or_default();
                tracing::info!(message_id = %id, reason = why, "ack job handed back unprocessed");
                Duration::ZERO
            }
        };
        if let (Some(redelivery), Some(receipt)) = (&self.redelivery, &message.receipt_handle) {
            redelivery.redeliver_after(receipt, delay).await;
        }
    }

    /// The back-off after this message's receive: doubling per receive, capped, jittered
    /// by up to a quarter (derived from the message id, so the schedule is reproducible).
    pub fn backoff_for(&self, message: &SqsMessage) -> Duration {
        let id = message.message_id.as_deref().unwrap_or_default();
        jittered(backoff(self.backoff, receive_count(message)), id)
    }

    async fn process(&self, job: &AckJob, message: &SqsMessage) -> Handled {
        let now = (self.clock)();
        if let Some(open) = job.decision.as_ref().filter(|d| now < d.until) {
            let after = (open.until - now).to_std().unwrap_or_default();
            return Handled::Waiting { after };
        }
        let retry = |attempt, reason: String| Handled::Retry {
            attempt,
            reason: reason.into(),
            after: None,
            misconfigured: false,
        };
        if let Some(earlier) = &job.after {
            match self.store.event(&job.provider, &earlier.0).await {
                Ok(Some(e)) if !e.ack.status.is_settled() => {
                    let reason = format!("waiting for the earlier command {}", earlier.0);
                    return retry(receive_count(message), reason);
                }
                Ok(_) => {}
                Err(e) => return retry(receive_count(message), e.to_string()),
            }
        }
        let attempt = match self.store.claim_ack(job, now, LEASE).await {
            Ok(Claim::Claimed { attempt }) => attempt,
            Ok(Claim::Settled { .. }) => return Handled::Done(Done::AlreadySettled),
            Ok(Claim::Missing) => return Handled::Done(Done::NoEventRecord),
            Ok(Claim::Busy) => return retry(receive_count(message), "held by another worker".into()),
            Err(e) => return retry(receive_count(message), e.to_string()),
        };
        let result = match &job.decision {
            Some(decision) => self.decide(job, decision).await,
            None => self.acknowledge(job).await,
        };
        let reason = result.as_ref().err().map(|e| e.reason().to_string());
        let outcome = match (&result, reason.as_deref()) {
            (Ok(acked), _) => AckOutcome::Acked {
                note: &acked.note,
                order: acked.order.as_ref(),
            },
            (Err(AckError::Permanent(_)), Some(reason)) => AckOutcome::Failed { reason },
            (Err(_), reason) => AckOutcome::Retrying {
                reason: reason.unwrap_or_default(),
            },
        };
        if let Err(e) = self.store.finish_ack(job, outcome, (self.clock)()).await {
            // The callback happened but is not recorded: the lease expires and a retry
            // calls again. Platforms treat a repeated status as a no-op.
            return retry(attempt, e.to_string());
        }
        match result {
            Ok(_) => Handled::Done(Done::Acked),
            Err(AckError::Permanent(_)) => Handled::Done(Done::FailedPermanently),
            Err(AckError::Later { reason, after }) => Handled::Retry {
                attempt,
                reason,
                after: Some(after),
                misconfigured: false,
            },
            Err(AckError::Misconfigured(reason)) => Handled::Retry {
                attempt,
                reason,
                after: None,
                misconfigured: true,
            },
            Err(AckError::Retry(reason) | AckError::Unauthorized(reason)) => Handled::Retry {
                attempt,
                reason,
                after: None,
                misconfigured: false,
            },
        }
    }
}

impl<S: EventStore, P: Callbacks, R: Redelivery> Worker<S, P, R> {
    /// The platform's calls for a job, within [`Worker::calls_budget`]: past it they are
    /// dropped (a call in flight may have landed; platforms take a repeated status as a
    /// no-op) and the job is retried.
    async fn acknowledge(&self, job: &AckJob) -> Result<Acked, AckError> {
        match tokio::time::timeout(self.calls_budget, self.platforms.acknowledge(job)).await {
            Ok(result) => result.map(fit_enrichment),
            Err(_) => Err(AckError::Retry(
                format!(
                    "{}: no answer within the job's {} ms",
                    job.provider,
                    self.calls_budget.as_millis()
                )
                .into(),
            )),
        }
    }

    /// A decision window that passed: its default applies as a command of its own (sent
    /// like the restaurant's), unless the restaurant decided first.
    async fn decide(&self, job: &AckJob, decision: &Decision) -> Result<Acked, AckError> {
        let command = decision.command(job);
        let submitted = self
            .platforms
            .submit(&self.store, &command, &self.limits, (self.clock)())
            .await;
        let then = decision.then;
        match submitted {
            Ok(_) => Ok(Acked::note(format!("no decision in time: {then} applied"))),
            Err(CommandError::Refused(Refusal::Decided(d))) => {
                Ok(Acked::note(format!("decided by the restaurant: {d}")))
            }
            Err(CommandError::Refused(r)) => Ok(Acked::note(format!("{then} not applied: {r}"))),
            Err(CommandError::Store(e)) => Err(AckError::Retry(e.to_string().into())),
        }
    }
}

/// The acknowledgement as it can be recorded: a full order over [`MAX_ENRICHMENT`] is left
/// out, and the note says so (the platform was called; its answer just is not kept).
fn fit_enrichment(mut acked: Acked) -> Acked {
    let size = acked
        .order
        .as_ref()
        .map_or(0, |o| serde_json::to_vec(o).map_or(usize::MAX, |v| v.len()));
    if size > MAX_ENRICHMENT {
        acked.order = None;
        acked.note = format!(
            "{}; full order not stored ({} KB, over the {} KB limit)",
            acked.note,
            size / 1024,
            MAX_ENRICHMENT / 1024
        );
    }
    acked
}

/// The batch's messages by FIFO group, each group in arrival order (messages without a
/// group each form their own).
fn in_groups(records: &[SqsMessage]) -> Vec<Vec<&SqsMessage>> {
    let mut groups: Vec<(Option<&String>, Vec<&SqsMessage>)> = Vec::new();
    for m in records {
        let group = m.attributes.get("MessageGroupId");
        match groups.iter_mut().find(|(g, _)| group.is_some() && *g == group) {
            Some((_, members)) => members.push(m),
            None => groups.push((group, vec![m])),
        }
    }
    groups.into_iter().map(|(_, members)| members).collect()
}

/// `base` doubled per receive, at most [`MAX_BACKOFF`].
pub fn backoff(base: Duration, receive: u32) -> Duration {
    let factor = 2_u32.saturating_pow(receive.saturating_sub(1).min(16));
    base.saturating_mul(factor).min(MAX_BACKOFF)
}

/// `delay` shortened by up to a quarter, by an amount derived from `seed`.
pub fn jittered(delay: Duration, seed: &str) -> Duration {
    let h = seed.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let quarter_permille = h % 251; // 0..=250 ‰
    delay.saturating_sub(delay.saturating_mul(quarter_permille as u32) / 1000)
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
        let answered = super::Reason::http("deliverect accept", 503, "{\"name\": \"Jane\"}");
        assert_eq!(answered.loggable(), "deliverect accept: HTTP 503");
        assert_eq!(
            answered.to_string(),
            "deliverect accept: HTTP 503: {\"name\": \"Jane\"}"
        );
        let bare = super::Reason::http("ordatic fetch", 429, "");
        assert_eq!(
            (bare.loggable(), bare.to_string()),
            ("ordatic fetch: HTTP 429".into(), "ordatic fetch: HTTP 429".into())
        );
        let ours = super::Reason::from("held by another worker");
        assert_eq!(
            (ours.loggable(), ours.to_string()),
            ("held by another worker".into(), "held by another worker".into())
        );
    }

    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let b = Duration::from_secs(10);
        assert_eq!(backoff(b, 1), Duration::from_secs(10));
        assert_eq!(backoff(b, 2), Duration::from_secs(20));
        assert_eq!(backoff(b, 4), Duration::from_secs(80));
        assert_eq!(backoff(b, 50), MAX_BACKOFF);
        assert_eq!(backoff(Duration::ZERO, 3), Duration::ZERO);
    }

    #[test]
    fn jitter_takes_off_at_most_a_quarter_and_differs_between_messages() {
        let d = Duration::from_secs(1000);
        let delays: Vec<Duration> = (0..50).map(|i| jittered(d, &format!("msg-{i}"))).collect();
        assert!(delays.iter().all(|x| *x <= d && *x >= d * 3 / 4), "{delays:?}");
        assert!(delays.iter().collect::<std::collections::HashSet<_>>().len() > 10);
        assert_eq!(jittered(d, "same"), jittered(d, "same"));
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-25T10:00:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(http::retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(
            http::retry_after("Wed, 25 Nov 2026 10:05:00 GMT", now),
            Some(Duration::from_secs(300))
        );
        assert_eq!(
            http::retry_after("Wed, 25 Nov 2026 09:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(http::retry_after("soon", now), None);
    }
}
