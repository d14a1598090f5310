use std::collections::HashMap;

use aws_sdk_sqs::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_sqs::types::{
    MessageSystemAttributeNameForSends, MessageSystemAttributeValue, SendMessageBatchRequestEntry,
};

use super::{JobQueue, QueueError, Refused, Sent};
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
            .message_body(body)
            .set_message_system_attributes(trace_header(job));
        if self.url.ends_with(".fifo") {
            entry = entry
                .message_group_id(job.group_id())
                .message_deduplication_id(job.deduplication_id());
        }
        entry.build().map_err(|e| QueueError(e.to_string()))
    }
}

/// The message's `AWSTraceHeader`: the worker's invocation joins the trace of the one
/// that stored the job (X-Ray).
fn trace_header(
    job: &AckJob,
) -> Option<HashMap<MessageSystemAttributeNameForSends, MessageSystemAttributeValue>> {
    let value = MessageSystemAttributeValue::builder()
        .data_type("String")
        .string_value(job.trace.as_deref()?)
        .build()
        .ok()?;
    Some(HashMap::from([(
        MessageSystemAttributeNameForSends::AwsTraceHeader,
        value,
    )]))
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

/// Whether SQS's error `code` for a message is about the message itself (its content or
/// size: the sender's fault, permanent) rather than about SQS or our access (transient, or
/// fixed by an operator: retried).
fn refuses_content(code: &str) -> bool {
    matches!(
        code,
        "InvalidMessageContents" | "InvalidParameterValue" | "MessageTooLong" | "InvalidAttributeValue"
    )
}

impl SqsQueue {
    /// One batch of at most [`BATCH`] jobs, the first being job `first` of the relay's.
    async fn send_batch(
        &self,
        first: usize,
        chunk: &[AckJob],
        sent: &mut Sent,
    ) -> Result<(), (usize, QueueError)> {
        let mut entries = Vec::with_capacity(chunk.len());
        for (i, job) in chunk.iter().enumerate() {
            match self.entry(i, job) {
                Ok(entry) => entries.push(entry),
                Err(e) => sent.refused.push(Refused {
                    index: first + i,
                    reason: e.0,
                }),
            }
        }
        if entries.is_empty() {
            return Ok(());
        }
        let out = match self
            .client
            .send_message_batch()
            .queue_url(&self.url)
            .set_entries(Some(entries))
            .send()
            .await
        {
            Ok(out) => out,
            // The batch's messages together are over SQS's request size: one at a time.
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_batch_request_too_long()) =>
            {
                return self.send_one_by_one(first, chunk, sent).await;
            }
            Err(e) => return Err((first, QueueError(format!("sqs: {}", DisplayErrorContext(&e))))),
        };
        let mut transient = None;
        for f in out.failed() {
            let Ok(i) = f.id().parse::<usize>() else { continue };
            if f.sender_fault() && refuses_content(f.code()) {
                sent.refused.push(Refused {
                    index: first + i,
                    reason: format!("{}: {}", f.code(), f.message().unwrap_or_default()),
                });
            } else {
                transient = Some(transient.map_or(i, |t: usize| t.min(i)));
            }
        }
        match transient {
            Some(i) => Err((first + i, QueueError("sqs: a batch entry was not taken".into()))),
            None => Ok(()),
        }
    }

    async fn send_one_by_one(
        &self,
        first: usize,
        chunk: &[AckJob],
        sent: &mut Sent,
    ) -> Result<(), (usize, QueueError)> {
        for (i, job) in chunk.iter().enumerate() {
            match self.send_one(job).await {
                Ok(()) => {}
                Err(One::Refused(reason)) => sent.refused.push(Refused {
                    index: first + i,
                    reason,
                }),
                Err(One::Failed(e)) => return Err((first + i, e)),
            }
        }
        Ok(())
    }

    async fn send_one(&self, job: &AckJob) -> Result<(), One> {
        let body = message_body(job).map_err(|e| One::Refused(e.0))?;
        let mut send = (self.client.send_message().queue_url(&self.url).message_body(body))
            .set_message_system_attributes(trace_header(job));
        if self.url.ends_with(".fifo") {
            send = send
                .message_group_id(job.group_id())
                .message_deduplication_id(job.deduplication_id());
        }
        match send.send().await {
            Ok(_) => Ok(()),
            Err(e) => match e.code() {
                Some(code) if refuses_content(code) => Err(One::Refused(format!(
                    "{code}: {}",
                    e.message().unwrap_or_default()
                ))),
                _ => Err(One::Failed(QueueError(format!(
                    "sqs: {}",
                    DisplayErrorContext(&e)
                )))),
            },
        }
    }
}

/// How one message's sending failed.
enum One {
    Refused(String),
    Failed(QueueError),
}

impl JobQueue for SqsQueue {
    /// `SendMessageBatch`, 10 jobs a request (one IAM action, `sqs:SendMessage`): the relay's
    /// cost per job is a tenth of a request. A message SQS refuses for its content is
    /// reported as refused (the others go on); anything else stops at the first job that
    /// may not be on the queue.
    async fn enqueue_all(&self, jobs: &[AckJob]) -> Sent {
        let mut sent = Sent::default();
        for (chunk_no, chunk) in jobs.chunks(BATCH).enumerate() {
            if let Err(failed) = self.send_batch(chunk_no * BATCH, chunk, &mut sent).await {
                sent.refused.retain(|r| r.index < failed.0);
                sent.failed_at = Some(failed);
                break;
            }
        }
        sent
    }

    async fn enqueue(&self, job: &AckJob) -> Result<(), QueueError> {
        self.send_one(job).await.map_err(|e| match e {
            One::Refused(reason) => QueueError(reason),
            One::Failed(e) => e,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jobs_message_carries_its_trace_header() {
        let config = aws_sdk_sqs::Config::builder()
            .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
            .build();
        let queue = SqsQueue::new(aws_sdk_sqs::Client::from_conf(config), "https://sqs/q.fifo");
        let mut job: AckJob = serde_json::from_value(serde_json::json!({
            "schema": 1, "provider": "olaclick", "event_key": "k", "event_type": "order_created", "ack": {}
        }))
        .unwrap();
        assert_eq!(queue.entry(0, &job).unwrap().message_system_attributes(), None);
        job.trace = Some("Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1".into());
        let entry = queue.entry(0, &job).unwrap();
        let header =
            &entry.message_system_attributes().unwrap()[&MessageSystemAttributeNameForSends::AwsTraceHeader];
        assert_eq!(header.string_value(), job.trace.as_deref());
        assert_eq!(header.data_type(), "String");
    }

    #[test]
    fn only_refusals_of_the_content_are_final() {
        for code in [
            "InvalidMessageContents",
            "InvalidParameterValue",
            "MessageTooLong",
        ] {
            assert!(refuses_content(code), "{code}");
        }
        for code in [
            "QueueDoesNotExist",
            "RequestThrottled",
            "KmsThrottled",
            "InternalError",
            "AccessDenied",
        ] {
            assert!(
                !refuses_content(code),
                "{code}: retried (or fixed by an operator)"
            );
        }
    }

    #[test]
    fn a_message_never_holds_what_sqs_refuses_and_reads_back_as_the_job() {
        let job: AckJob = serde_json::from_value(serde_json::json!({
            "schema": 1, "provider": "deliverect", "event_key": "k\u{FFFF}1", "event_type": "t",
            "order_id": "o\u{FFFE}", "ack": {"action": "none", "order_id": "o\u{FFFE}"}
        }))
        .unwrap();
        let body = message_body(&job).unwrap();
        assert!(!body.contains(['\u{FFFE}', '\u{FFFF}']), "{body}");
        let back: AckJob = serde_json::from_str(&body).unwrap();
        assert_eq!(back, job);
    }
}
