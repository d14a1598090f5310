//! Where acknowledgement jobs go after the durable write.

#[cfg(feature = "sqs")]
mod sqs;

use std::future::Future;

#[cfg(feature = "sqs")]
pub use sqs::SqsQueue;

use crate::job::AckJob;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("queue unavailable: {0}")]
pub struct QueueError(pub String);

/// A job the queue refused for good — its content, the sender's fault: sending it again
/// can never succeed, and retrying it would hold up every job behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// Its index in the jobs given.
    pub index: usize,
    pub reason: String,
}

/// What became of the jobs given to [`JobQueue::enqueue_all`].
#[derive(Debug, Default)]
pub struct Sent {
    /// Jobs refused for good (the others before `failed_at` are on the queue).
    pub refused: Vec<Refused>,
    /// The first job that may not be on the queue because the queue failed (try again
    /// from it), if any.
    pub failed_at: Option<(usize, QueueError)>,
}

pub trait JobQueue: Send + Sync {
    fn enqueue(&self, job: &AckJob) -> impl Future<Output = Result<(), QueueError>> + Send;

    /// Enqueues `jobs` in order (queues that can send several per request). Every failure
    /// is taken as the queue's here; [`SqsQueue`] tells refusals apart.
    fn enqueue_all(&self, jobs: &[AckJob]) -> impl Future<Output = Sent> + Send {
        async move {
            for (i, job) in jobs.iter().enumerate() {
                if let Err(e) = self.enqueue(job).await {
                    return Sent {
                        refused: Vec::new(),
                        failed_at: Some((i, e)),
                    };
                }
            }
            Sent::default()
        }
    }
}
