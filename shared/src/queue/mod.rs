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
}
