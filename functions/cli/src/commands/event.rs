//! `ordergate event`: one received event by its event key, or the SQS batch that would
//! hand its job to the ack worker.

use std::fmt::Write;

use clap::Args;
use ordergate_shared::store::{EventStore, StoredEvent};

use super::order::location_text;
use crate::context::{done, CliError, Ctx, Output, TableArg};
use crate::platform::Platform;

/// One received event by its event key (as in logs: `event_key`).
#[derive(Args)]
#[command(
    after_help = "Examples:\n  ordergate event olaclick 7573920b-5558-4455-ae73-d8628aba6609\n  ordergate event olaclick 7573920b-5558-4455-ae73-d8628aba6609 --sqs-batch > /tmp/b.json\n  sam local invoke AckWorkerFunction -e /tmp/b.json"
)]
pub struct EventArgs {
    pub platform: Platform,
    pub event_key: String,
    /// Print the SQS event Lambda would hand the ack worker for this event's stored
    /// job (to run the worker on it locally), instead of the event.
    #[arg(long)]
    pub sqs_batch: bool,
    #[command(flatten)]
    pub table: TableArg,
}

impl EventArgs {
    pub async fn run(&self, ctx: &Ctx) -> Result<Output, CliError> {
        let (platform, key) = (self.platform.name(), &self.event_key);
        let event = ctx
            .store(&self.table)?
            .event(platform, key)
            .await?
            .ok_or_else(|| {
                format!("no {platform} event {key} (event records expire after EVENT_TTL_DAYS)")
            })?;
        if !self.sqs_batch {
            return done(event_text(&event), &event);
        }
        // The batch is the output either way: a file to hand the worker.
        let job = event.job.as_ref().ok_or_else(|| {
            format!("event {key} has no acknowledgement job (quarantined, nothing to acknowledge)")
        })?;
        let batch = sqs_batch(job);
        done(
            serde_json::to_string_pretty(&batch).expect("plain data") + "\n",
            &batch,
        )
    }
}

pub fn event_text(e: &StoredEvent) -> String {
    let ev = &e.event;
    let mut out = String::new();
    let _ = writeln!(out, "{} event {}: {}", ev.provider, ev.event_key.0, ev.event_type);
    let _ = writeln!(out, "received: {}", ev.received_at.to_rfc3339());
    if let Some(change) = &ev.change {
        let status = change.status.map_or("(status unchanged)", |s| s.as_str());
        let _ = writeln!(out, "order: {} → {status}", change.order_id);
    }
    let _ = writeln!(
        out,
        "location: {}",
        location_text(ev.location_id.as_deref(), ev.team_location_id.as_deref())
    );
    let _ = writeln!(
        out,
        "ack: {} ({} attempt(s)){}",
        e.ack.status,
        e.ack.attempts,
        e.ack
            .message
            .as_deref()
            .map(|m| format!(": {m}"))
            .unwrap_or_default()
    );
    let _ = writeln!(
        out,
        "body: {} (sha256 {})",
        match &ev.raw_body {
            ordergate_shared::model::RawBodyRef::Inline => "on the event record".to_owned(),
            ordergate_shared::model::RawBodyRef::Blob(b) => format!("s3 {}", b.key),
            ordergate_shared::model::RawBodyRef::Erased => "erased on request".to_owned(),
        },
        ev.body_sha256
    );
    for w in &ev.warnings {
        let _ = writeln!(out, "warning: {w}");
    }
    out
}

/// The SQS event Lambda's event source mapping would hand the ack worker for `job`: one
/// message, first receive, in the job's FIFO group.
pub fn sqs_batch(job: &ordergate_shared::job::AckJob) -> aws_lambda_events::sqs::SqsEvent {
    let mut message = aws_lambda_events::sqs::SqsMessage::default();
    let id = format!("local-{}", &job.deduplication_id()[..32]);
    message.message_id = Some(id.clone());
    message.receipt_handle = Some(id);
    message.body = Some(serde_json::to_string(job).expect("plain data"));
    message.attributes = [
        ("ApproximateReceiveCount", "1".to_owned()),
        ("MessageGroupId", job.group_id()),
        ("MessageDeduplicationId", job.deduplication_id()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    message.event_source = Some("aws:sqs".into());
    let mut batch = aws_lambda_events::sqs::SqsEvent::default();
    batch.records.push(message);
    batch
}
