//! The acknowledgement job put on the queue after an event is durably stored.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::model::{CanonicalEvent, EventKey, SCHEMA_VERSION};
use crate::verify::sha256_hex;

/// A job whose `ack` is not what its platform's worker reads: a job that cannot be done.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{provider} ack job: {detail}")]
pub struct UnreadableAck {
    pub provider: String,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AckJob {
    pub schema: u32,
    pub provider: String,
    /// Written as `dedupe_key`, the name every running function reads (an ack worker or a
    /// publisher still on the previous version during a deploy); read under either name.
    #[serde(
        rename(serialize = "dedupe_key", deserialize = "event_key"),
        alias = "dedupe_key"
    )]
    pub event_key: EventKey,
    pub event_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// What the order is stored under when that is not its id alone
    /// ([`crate::model::OrderChange::key`]); jobs queued before it existed have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location_id: Option<String>,
    /// When the event was received: locates its entry on the order's trail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_at: Option<chrono::DateTime<chrono::Utc>>,
    /// A restaurant's command not yet settled when this one was taken, on the same order:
    /// the worker sends this one only after it ([`crate::command`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<EventKey>,
    /// A new order waiting for the restaurant's decision: the worker applies the
    /// decision's default once the window has passed, unless the restaurant decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<crate::command::Decision>,
    /// The X-Ray trace header of the invocation that stored the job: its message carries
    /// it (`AWSTraceHeader`), so that the worker's invocation joins the receiver's trace,
    /// and the worker logs it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
    /// What the worker must do: the platform's `Provider::Ack`, as JSON on the queue (one
    /// queue carries every platform's jobs); read it back with [`AckJob::ack_as`].
    pub ack: serde_json::Value,
}

impl AckJob {
    pub fn for_event(event: &CanonicalEvent, ack: &impl Serialize) -> AckJob {
        // Plain enums of strings and numbers: serializing them cannot fail.
        let ack = serde_json::to_value(ack).expect("an ack job serializes");
        AckJob {
            schema: SCHEMA_VERSION,
            provider: event.provider.clone(),
            event_key: event.event_key.clone(),
            event_type: event.event_type.clone(),
            order_id: event.change.as_ref().map(|c| c.order_id.clone()),
            order_key: event.change.as_ref().and_then(|c| c.key.clone()),
            location_id: event.location_id.clone(),
            received_at: Some(event.received_at),
            after: None,
            decision: event.change.as_ref().and_then(|c| c.awaiting.clone()),
            // Set by the Lambda runtime for each invocation (as the AWS SDK reads it).
            trace: std::env::var("_X_AMZN_TRACE_ID").ok().filter(|t| !t.is_empty()),
            ack,
        }
    }

    /// The job's ack as the platform's type; an error names what does not fit.
    pub fn ack_as<A: DeserializeOwned>(&self) -> Result<A, UnreadableAck> {
        A::deserialize(&self.ack).map_err(|e| UnreadableAck {
            provider: self.provider.clone(),
            detail: e.to_string(),
        })
    }

    /// FIFO deduplication id: the same event enqueued twice within SQS's 5-minute window
    /// is one message (SQS allows 128 characters; a SHA-256 hex is 64).
    pub fn deduplication_id(&self) -> String {
        sha256_hex(format!("{}#{}", self.provider, self.event_key.0).as_bytes())
    }

    /// What the job's order is stored under, if it is about one.
    pub fn order(&self) -> Option<&str> {
        self.order_key.as_deref().or(self.order_id.as_deref())
    }

    /// FIFO group: jobs of one order are processed in the order they were stored. A job
    /// waiting for a decision window is in a group of its own: it waits without holding up
    /// its order's other jobs (the restaurant's decision among them).
    pub fn group_id(&self) -> String {
        let subject = match self.decision {
            Some(_) => format!("decision#{}", self.event_key.0),
            None => self.order().unwrap_or(&self.event_key.0).to_owned(),
        };
        sha256_hex(format!("{}#{}", self.provider, subject).as_bytes())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn events_and_jobs_read_under_either_name_of_their_key() {
        let old_event = serde_json::json!({
            "schema": 1, "provider": "deliverect", "dedupe_key": "k-1", "event_type": "t",
            "received_at": "2026-12-05T10:00:00Z", "body_sha256": "", "raw_body": {"stored": "inline"}
        });
        let e: crate::model::CanonicalEvent = serde_json::from_value(old_event).unwrap();
        assert_eq!(e.event_key.0, "k-1");
        let job = super::AckJob::for_event(&e, &serde_json::json!({"action": "none"}));
        let mut old_job = serde_json::to_value(&job).unwrap();
        assert_eq!(
            old_job["dedupe_key"], "k-1",
            "written under the name every version reads"
        );
        assert_eq!(
            serde_json::from_value::<super::AckJob>(old_job.clone()).unwrap(),
            job
        );
        let key = old_job.as_object_mut().unwrap().remove("dedupe_key").unwrap();
        old_job["event_key"] = key;
        assert_eq!(
            serde_json::from_value::<super::AckJob>(old_job).unwrap(),
            job,
            "and its own"
        );
    }
}
