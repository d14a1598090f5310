use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;

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

    /// One batch entry (`id`: its index in the batch), with the FIFO ids of [`enqueue`].
    fn entry(&self, id: usize, job: &AckJob) -> Result<SendMessageBatchRequestEntry, QueueError> {
        let body = message_body(job)?;
        let mut entry = SendMessageBatchRequestEntry::builder()
            .id(id.to_string())
            .message_body(body);
        if self.url.ends_with(".fifo") {
            entry = entry
                .message_group_id(job.group_id())
                .message_deduplication_id(job.deduplication_id());
        }
        entry.build().map_err(|e| QueueError(e.to_string()))
    }
}

/// The job as its message's JSON. SQS refuses a message holding U+FFFE or U+FFFF (its
/// allowed characters stop at U+FFFD below the supplementary planes); in JSON they can only
/// stand inside strings, where the escapes `\ufffe` / `\uffff` read back as the same text.
fn message_body(job: &AckJob) -> Result<String, QueueError> {
    let body = serde_json::to_string(job).map_err(|e| QueueError(e.to_string()))?;
    if !body.contains(['\u{FFFE}', '\u{FFFF}']) {
        return Ok(body);
    }
    Ok(body.replace('\u{FFFE}', "\\ufffe").replace('\u{FFFF}', "\\uffff"))
}

/// SQS takes at most 10 messages per `SendMessageBatch`.
const BATCH: usize = 10;

impl JobQueue for SqsQueue {
    /// `SendMessageBatch`, 10 jobs a request (one IAM action, `sqs:SendMessage`): the relay's
    /// cost per job is a tenth of a request.
    async fn enqueue_all(&self, jobs: &[AckJob]) -> Result<(), (usize, QueueError)> {
        for (chunk_no, chunk) in jobs.chunks(BATCH).enumerate() {
            let first = chunk_no * BATCH;
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(i, job)| self.entry(i, job))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| (first, e))?;
            let out = self
                .client
                .send_message_batch()
                .queue_url(&self.url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| (first, QueueError(format!("sqs: {}", DisplayErrorContext(&e)))))?;
            let failed = out
                .failed()
                .iter()
                .filter_map(|f| f.id().parse::<usize>().ok())
                .min();
            if let Some(i) = failed {
                return Err((first + i, QueueError("sqs: a batch entry was refused".into())));
            }
        }
        Ok(())
    }

    async fn enqueue(&self, job: &AckJob) -> Result<(), QueueError> {
        let body = message_body(job)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_never_holds_what_sqs_refuses_and_reads_back_as_the_job() {
        let job: AckJob = serde_json::from_value(serde_json::json!({
            "schema": 1, "provider": "deliverect", "dedupe_key": "k\u{FFFF}1", "event_type": "t",
            "order_id": "o\u{FFFE}", "ack": {"action": "none", "order_id": "o\u{FFFE}"}
        }))
        .unwrap();
        let body = message_body(&job).unwrap();
        assert!(!body.contains(['\u{FFFE}', '\u{FFFF}']), "{body}");
        let back: AckJob = serde_json::from_str(&body).unwrap();
        assert_eq!(back, job);
    }
}
