//! The ack queue's dead-letter queue: list what is there, move it back to be retried.
//! Replaying is safe to repeat: a job whose ack is already settled is skipped by the worker
//! without calling the platform again.

use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::types::MessageSystemAttributeName;
use clap::Subcommand;
use ordergate_shared::job::AckJob;
use ordergate_shared::verify::sha256_hex;
use serde::Serialize;

use crate::context::{done, CliError, Ctx, Output};
use crate::stack;

/// The ack queue's dead-letter queue.
#[derive(Subcommand)]
pub enum Dlq {
    /// Show dead-lettered jobs (they stay where they are).
    List {
        /// Dead-letter queue URL. Default: the stack's output AckDeadLetterQueueUrl.
        #[arg(long, env = "DLQ_URL")]
        dlq_url: Option<String>,
        #[arg(long, default_value_t = 100)]
        max: usize,
    },
    /// Move dead-lettered jobs back to the ack queue. Safe to repeat.
    Replay {
        #[arg(long, env = "DLQ_URL")]
        dlq_url: Option<String>,
        /// Ack queue URL. Default: the stack's output AckQueueUrl.
        #[arg(long, env = "QUEUE_URL")]
        queue_url: Option<String>,
        #[arg(long, default_value_t = 1000)]
        max: usize,
    },
}

impl Dlq {
    pub async fn run(&self, ctx: &Ctx) -> Result<Output, CliError> {
        let sqs = aws_sdk_sqs::Client::new(&ctx.sdk);
        let dead_letters = |given: &Option<String>| {
            let what = "--dlq-url (or DLQ_URL)";
            ctx.stack.pick(given.as_deref(), stack::DEAD_LETTER_QUEUE, what)
        };
        let (verb, letters) = match self {
            Dlq::List { dlq_url, max } => ("listed", list(&sqs, &dead_letters(dlq_url)?, *max).await?),
            Dlq::Replay {
                dlq_url,
                queue_url,
                max,
            } => {
                let what = "--queue-url (or QUEUE_URL)";
                let queue = ctx.stack.pick(queue_url.as_deref(), stack::ACK_QUEUE, what)?;
                (
                    "replayed",
                    replay(&sqs, &dead_letters(dlq_url)?, &queue, *max).await?,
                )
            }
        };
        let mut text: String = letters.iter().map(DeadLetter::line).collect();
        text.push_str(&format!("{verb} {} message(s)\n", letters.len()));
        done(text, &letters)
    }
}

/// One dead-lettered message as an operator sees it.
#[derive(Debug, Clone, Serialize)]
pub struct DeadLetter {
    pub message_id: String,
    pub receive_count: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// Set when the body is not an ack job (a poison message).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unreadable: Option<String>,
}

impl DeadLetter {
    fn line(&self) -> String {
        let what = match (&self.provider, &self.event_key) {
            (Some(p), Some(k)) => format!("{p} {k}"),
            _ => format!("unreadable: {}", self.unreadable.as_deref().unwrap_or("?")),
        };
        format!("{}  received {}x  {what}\n", self.message_id, self.receive_count)
    }
}

fn failed(what: &str, e: impl std::error::Error + 'static) -> String {
    format!("sqs {what}: {}", DisplayErrorContext(&e))
}

/// Receives up to 10 messages, hiding them for `hide_seconds` (0 to only look).
async fn receive(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
    hide_seconds: i32,
) -> Result<Vec<aws_sdk_sqs::types::Message>, String> {
    let out = sqs
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .visibility_timeout(hide_seconds)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .send()
        .await
        .map_err(|e| failed("receive_message", e))?;
    Ok(out.messages.unwrap_or_default())
}

fn describe(m: &aws_sdk_sqs::types::Message) -> DeadLetter {
    let attr = |name: MessageSystemAttributeName| m.attributes().and_then(|a| a.get(&name)).cloned();
    let job = serde_json::from_str::<AckJob>(m.body().unwrap_or_default());
    DeadLetter {
        message_id: m.message_id().unwrap_or_default().to_owned(),
        receive_count: attr(MessageSystemAttributeName::ApproximateReceiveCount)
            .and_then(|c| c.parse().ok())
            .unwrap_or_default(),
        provider: job.as_ref().ok().map(|j| j.provider.clone()),
        event_key: job.as_ref().ok().map(|j| j.event_key.0.clone()),
        order_id: job.as_ref().ok().and_then(|j| j.order_id.clone()),
        unreadable: job.err().map(|e| e.to_string()),
    }
}

/// Lists up to `max` dead letters without removing them.
pub async fn list(sqs: &aws_sdk_sqs::Client, dlq_url: &str, max: usize) -> Result<Vec<DeadLetter>, String> {
    let mut seen = Vec::new();
    let mut ids = std::collections::HashSet::new();
    while seen.len() < max {
        // Hidden briefly so one listing does not see the same message twice.
        let batch = receive(sqs, dlq_url, 5).await?;
        let fresh: Vec<_> = batch
            .iter()
            .filter(|m| ids.insert(m.message_id().unwrap_or_default().to_owned()))
            .collect();
        if fresh.is_empty() {
            break;
        }
        seen.extend(fresh.into_iter().map(describe));
    }
    seen.truncate(max);
    Ok(seen)
}

/// Moves up to `max` dead letters back to the ack queue; returns what was moved.
pub async fn replay(
    sqs: &aws_sdk_sqs::Client,
    dlq_url: &str,
    queue_url: &str,
    max: usize,
) -> Result<Vec<DeadLetter>, String> {
    let mut moved = Vec::new();
    while moved.len() < max {
        let batch = receive(sqs, dlq_url, 60).await?;
        if batch.is_empty() {
            break;
        }
        for m in batch.into_iter().take(max - moved.len()) {
            let group = m
                .attributes()
                .and_then(|a| a.get(&MessageSystemAttributeName::MessageGroupId))
                .cloned()
                .unwrap_or_else(|| "replayed".into());
            let mut send = sqs
                .send_message()
                .queue_url(queue_url)
                .message_body(m.body().unwrap_or_default());
            if queue_url.ends_with(".fifo") {
                // A new deduplication id: the original one may still be inside SQS's window.
                let id = sha256_hex(format!("replay#{}", m.message_id().unwrap_or_default()).as_bytes());
                send = send.message_group_id(group).message_deduplication_id(id);
            }
            send.send().await.map_err(|e| failed("send_message", e))?;
            // Deleted only once it is safely back on the ack queue.
            sqs.delete_message()
                .queue_url(dlq_url)
                .receipt_handle(m.receipt_handle().unwrap_or_default())
                .send()
                .await
                .map_err(|e| failed("delete_message", e))?;
            moved.push(describe(&m));
        }
    }
    Ok(moved)
}
