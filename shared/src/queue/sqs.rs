use aws_sdk_sqs::error::DisplayErrorContext;

use super::{JobQueue, QueueError};
use crate::job::AckJob;

#[derive(Clone, Debug)]
pub struct SqsQueue {
    client: aws_sdk_sqs::Client,
    url: String,
}

impl SqsQueue {
    pub fn new(client: aws_sdk_sqs::Client, url: impl Into<String>) -> Self {
        SqsQueue {
            client,
            url: url.into(),
        }
    }
}

impl JobQueue for SqsQueue {
    async fn enqueue(&self, job: &AckJob) -> Result<(), QueueError> {
        let body = serde_json::to_string(job).map_err(|e| QueueError(e.to_string()))?;
        let mut send = self.client.send_message().queue_url(&self.url).message_body(body);
        if self.url.ends_with(".fifo") {
            send = send
                .message_group_id(job.group_id())
                .message_deduplication_id(job.deduplication_id());
        }
        send.send()
            .await
            .map(|_| ())
            .map_err(|e| QueueError(format!("sqs: {}", DisplayErrorContext(&e))))
    }
}
