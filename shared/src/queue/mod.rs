//! Where acknowledgement jobs go after the durable write.

mod sqs;

use std::future::Future;

pub use sqs::SqsQueue;

use crate::job::AckJob;

#[derive(Debug, thiserror::Error)]
#[error("queue unavailable: {0}")]
pub struct QueueError(pub String);

pub trait JobQueue: Send + Sync {
    fn enqueue(&self, job: &AckJob) -> impl Future<Output = Result<(), QueueError>> + Send;

    /// Enqueues `jobs` in order; on failure, the index of the first job that may not be on
    /// the queue (those before it are). Queues that can, send several per request.
    fn enqueue_all(&self, jobs: &[AckJob]) -> impl Future<Output = Result<(), (usize, QueueError)>> + Send {
        async move {
            for (i, job) in jobs.iter().enumerate() {
                self.enqueue(job).await.map_err(|e| (i, e))?;
            }
            Ok(())
        }
    }
}
