use std::sync::Mutex;

use ordergate_shared::job::AckJob;
use ordergate_shared::queue::{JobQueue, QueueError};

/// In-process queue for unit tests; can be told to fail like an unreachable SQS.
#[derive(Default)]
pub struct MemoryQueue {
    pub jobs: Mutex<Vec<AckJob>>,
    pub fail: std::sync::atomic::AtomicBool,
}

impl MemoryQueue {
    pub fn jobs(&self) -> Vec<AckJob> {
        self.jobs.lock().expect("queue lock").clone()
    }
}

impl JobQueue for MemoryQueue {
    async fn enqueue(&self, job: &AckJob) -> Result<(), QueueError> {
        if self.fail.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(QueueError("memory queue told to fail".into()));
        }
        self.jobs.lock().expect("queue lock").push(job.clone());
        Ok(())
    }
}
