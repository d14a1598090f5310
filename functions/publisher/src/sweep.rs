//! The outbox's sweep, on a schedule: a job still unclaimed a window after its event was
//! stored (the stream's relay gave up on it after retrying for most of a day, or its
//! mapping was disabled) is queued again. A job that is merely waiting behind a backlog is
//! queued twice; the worker's claim makes the second copy a no-op.

use std::time::Duration;

use chrono::{DateTime, Utc};
use ordergate_shared::queue::{JobQueue, QueueError};
use ordergate_shared::store::{DynamoStore, StoreError};

/// Why a sweep stopped short: the jobs it did not queue are found a window later.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("ack queue: {0}")]
    Queue(QueueError),
}

/// Jobs taken per sweep: the rest are found by the next one.
pub const SWEEP_LIMIT: usize = 1000;

/// How long a job may wait for a worker before it is queued again, from
/// `ORDERGATE_SWEEP_AFTER_MINUTES` (template: `AckRelaySweepMinutes`).
pub fn window_from_env() -> Result<Duration, ordergate_shared::config::ConfigError> {
    let minutes = ordergate_shared::config::number::<u64>("ORDERGATE_SWEEP_AFTER_MINUTES")?;
    Ok(Duration::from_secs(minutes.unwrap_or(60) * 60))
}

/// Queues again the jobs unclaimed for longer than `window`; how many it queued. Each is
/// logged and counted (`AckRelaySwept`, alarmed: the relay lost them).
pub async fn sweep<Q: JobQueue>(
    queue: &Q,
    store: &DynamoStore,
    window: Duration,
    now: DateTime<Utc>,
) -> Result<usize, SweepError> {
    let cutoff = chrono::Duration::from_std(window)
        .ok()
        .and_then(|w| now.checked_sub_signed(w))
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    let jobs = store.sweep_unclaimed(cutoff, now, SWEEP_LIMIT).await?;
    for job in &jobs {
        tracing::warn!(provider = %job.provider, event_key = %job.event_key.0, "ack job unclaimed past the window: queued again");
    }
    let sent = queue.enqueue_all(&jobs).await;
    let refused = crate::relay::record_refused(store, &jobs, &sent.refused)
        .await
        .unwrap_or_else(|(done, _)| done);
    let end = sent.failed_at.as_ref().map_or(jobs.len(), |(i, _)| *i);
    let queued = end - sent.refused.iter().filter(|r| r.index < end).count();
    ordergate_shared::metrics::emit(
        "all",
        &[
            ("AckRelaySwept", queued as f64, "Count"),
            ("AckRelayRefused", refused as f64, "Count"),
        ],
    );
    match sent.failed_at {
        // Those not queued are found again a window later.
        Some((_, e)) => Err(SweepError::Queue(e)),
        None => Ok(queued),
    }
}
