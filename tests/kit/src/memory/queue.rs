use std::sync::{Arc, Mutex};

use ordergate_shared::job::AckJob;
use ordergate_shared::queue::{JobQueue, QueueError};

/// In-process queue for unit tests; can be told to fail like an unreachable SQS (the
/// receiver's sends fail; the outbox relay's do not: see [`MemoryQueue::relay`]).
#[derive(Default)]
pub struct MemoryQueue {
    pub jobs: Arc<Mutex<Vec<AckJob>>>,
    pub fail: std::sync::atomic::AtomicBool,
}

impl MemoryQueue {
    pub fn jobs(&self) -> Vec<AckJob> {
        self.jobs.lock().expect("queue lock").clone()
    }

    /// The outbox relay's way in: what a [`crate::MemoryStore`] relays a committed
    /// event's job through, as the table's stream would (FIFO deduplication included).
    pub fn relay(&self) -> Relay {
        Relay(self.jobs.clone())
    }
}

/// The table stream and its relay, in memory: jobs land on the queue at commit.
#[derive(Clone, Default)]
pub struct Relay(Arc<Mutex<Vec<AckJob>>>);

impl Relay {
    pub fn send(&self, job: &AckJob) {
        let mut jobs = self.0.lock().expect("queue lock");
        let id = job.deduplication_id();
        if !jobs.iter().any(|j| j.deduplication_id() == id) {
            jobs.push(job.clone());
        }
    }
}

impl JobQueue for MemoryQueue {
    async fn enqueue(&self, job: &AckJob) -> Result<(), QueueError> {
        if self.fail.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(QueueError("memory queue told to fail".into()));
        }
        // A FIFO queue: a repeat of a job already sent is dropped.
        self.relay().send(job);
        Ok(())
    }
}
