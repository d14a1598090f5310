//! The outbox: the table is where an acknowledgement job is first written — on the event
//! record, in the same transaction as the event — and this relays it from the table's
//! stream to the ack queue. A committed event always gets its job, even when the receiver
//! dies right after the commit (its answer lost, Deliverect never retrying a 500); the
//! receiver's hot path is the one DynamoDB write. Repeats (a Lambda retry of the batch, a
//! receiver re-enqueuing for a duplicate delivery) are dropped by the FIFO queue's
//! deduplication id and by the worker's claim.

use ordergate_shared::job::AckJob;
use ordergate_shared::queue::{JobQueue, Refused, SqsQueue};
use ordergate_shared::store::item::{EventImage, ItemError};
use ordergate_shared::store::EventStore;
use serde_json::Value;

/// The ack queue named by `QUEUE_URL` (template.yaml), through a client from `sdk`.
pub fn queue_from_env(
    sdk: &aws_config::SdkConfig,
) -> Result<SqsQueue, ordergate_shared::config::ConfigError> {
    let url = ordergate_shared::config::required("QUEUE_URL")?;
    Ok(SqsQueue::new(aws_sdk_sqs::Client::new(sdk), url))
}

/// The job a stream record carries: a new event record whose job is still `pending`; `None`
/// for any other record (an update, a state item, a quarantined event with no job).
pub fn pending_job(record: &Value) -> Result<Option<AckJob>, ItemError> {
    match EventImage::read(&record["dynamodb"]["NewImage"])? {
        Some(event) if record["eventName"] == "INSERT" => event.pending_job(),
        _ => Ok(None),
    }
}

/// Relays one stream batch's jobs in stream order (10 per request). A job the queue
/// refuses for good (its content) is recorded `failed` on its event record and counted
/// (`AckRelayRefused`, alarmed), and the others go on: it never holds up the outbox.
/// Returns the sequence number of the first record whose job may not be on the queue
/// (Lambda retries the batch from it), if any.
pub async fn relay<Q: JobQueue, S: EventStore>(queue: &Q, store: &S, records: &[Value]) -> Option<String> {
    // A job that can never be read stays on its event record.
    let (sequence, jobs) = crate::read_records(records, pending_job, "unrelayable stream record");
    let sent = queue.enqueue_all(&jobs).await;
    let mut failed_at = sent.failed_at.map(|(i, e)| {
        tracing::warn!(sequence = %sequence[i], error = %e, "ack job not relayed; retrying from here");
        i
    });
    let refused = match record_refused(store, &jobs, &sent.refused).await {
        Ok(refused) => refused,
        Err((refused, at)) => {
            // Not recorded: retried from it (the queue refuses it again).
            failed_at = Some(failed_at.map_or(at, |f| f.min(at)));
            refused
        }
    };
    let relayed = failed_at.unwrap_or(jobs.len()) - refused;
    ordergate_shared::metrics::emit(
        "all",
        &[
            ("AckJobsRelayed", relayed as f64, "Count"),
            ("AckRelayRefused", refused as f64, "Count"),
            ordergate_shared::metrics::count("AckRelayFailed", failed_at.is_some()),
        ],
    );
    failed_at.map(|i| sequence[i].to_owned())
}

/// Records each job the queue refused for good `failed` on its event. Returns how many
/// were recorded or, when one could not be, also its index (the rest are not tried).
pub async fn record_refused<S: EventStore>(
    store: &S,
    jobs: &[AckJob],
    refused: &[Refused],
) -> Result<usize, (usize, usize)> {
    for (done, r) in refused.iter().enumerate() {
        let job = &jobs[r.index];
        tracing::error!(provider = %job.provider, event_key = %job.event_key.0, reason = %r.reason, "ack job refused by the queue for good");
        if let Err(e) = store.refuse_job(job, &r.reason, chrono::Utc::now()).await {
            tracing::warn!(error = %e, "refused ack job not recorded");
            return Err((done, r.index));
        }
    }
    Ok(refused.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    use ordergate_shared::store::item::{attr, keys};

    /// A stream record of an item under `sk` (an event record's, or a STATE item's).
    fn record(event: &str, sk: &str, status: &str, job: Option<&str>) -> Value {
        let mut image = serde_json::Map::new();
        let mut set = |name: &str, text: &str| image.insert(name.to_owned(), json!({"S": text}));
        set(attr::SK, sk);
        set(attr::EVENT, "{}");
        set(attr::ACK_STATUS, status);
        if let Some(job) = job {
            set(attr::JOB, job);
        }
        json!({"eventName": event, "dynamodb": {"SequenceNumber": "1", "NewImage": image}})
    }

    #[test]
    fn only_new_pending_event_records_carry_a_job() {
        let job = json!({"schema": 1, "provider": "deliverect", "event_key": "k", "event_type": "t",
                         "ack": {"action": "none", "order_id": "o"}})
        .to_string();
        let (event, state) = (keys::EVENT_SK, keys::STATE_SK);
        let got = pending_job(&record("INSERT", event, "pending", Some(&job))).unwrap();
        assert_eq!(got.unwrap().event_key.0, "k");
        for r in [
            record("MODIFY", event, "pending", Some(&job)),
            record("INSERT", event, "skipped", None),
            record("INSERT", state, "pending", Some(&job)),
            record("INSERT", event, "acked", Some(&job)),
        ] {
            assert_eq!(pending_job(&r).unwrap(), None, "{r}");
        }
        assert!(pending_job(&record("INSERT", event, "pending", Some("{"))).is_err());
    }
}
