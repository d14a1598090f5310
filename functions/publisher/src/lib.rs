//! The table's stream consumer. Two jobs, each fed by its own event source mapping:
//!
//! - Downstream publication: every change of an order's stored state — a new order, a
//!   status moving forward, an enriched snapshot — published as a versioned JSON event on
//!   the stack's EventBridge bus, so your own systems subscribe with rules instead of
//!   reading the table (STATE items only): off the webhook's hot path, retried by Lambda,
//!   ordered per order.
//! - The acknowledgement outbox ([`relay`]): each new event record's job, sent to the ack
//!   queue.
//!
//! Event: source `ordergate`, detail-type `Order Changed`, detail as [`OrderChanged`]
//! (docs/downstream-events.md). Delivery is at least once: deduplicate on
//! (`provider`, `order_id`, `version`).

pub mod relay;
pub mod sweep;

use ordergate_shared::command::Requested;
use ordergate_shared::model::EventDetail;
use ordergate_shared::queue::JobQueue;
use ordergate_shared::store::item::{attr, ItemError, StateImage, TrailImage};
use ordergate_shared::store::{AckStatus, EventStore};
use ordergate_shared::time::Timestamp;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::Value;

pub use ordergate_shared::bus::{Bus, EventBridge, SOURCE};
pub const DETAIL_TYPE: &str = "Order Changed";
pub const SCHEMA: &str = "ordergate.order-changed/1";
pub const EVENT_DETAIL_TYPE: &str = "Order Event";
pub const EVENT_SCHEMA: &str = "ordergate.order-event/1";
pub const STATUS_SENT: &str = "Order Status Sent";
pub const STATUS_FAILED: &str = "Order Status Failed";
pub const STATUS_SCHEMA: &str = "ordergate.order-status/1";

/// EventBridge refuses entries over 256 KB: past this the snapshot is left out (and
/// `order_omitted` says so; `ordergate order` shows it).
const MAX_DETAIL_BYTES: usize = 200 * 1024;

#[derive(Debug, Clone, Serialize)]
pub struct OrderChanged {
    pub schema: &'static str,
    pub provider: String,
    pub order_id: String,
    pub status: String,
    /// Increases with every change of this order's status: newer state has a higher
    /// version. It exceeds 2^53: JavaScript consumers read `version_text`.
    pub version: i64,
    /// `version` as text, exact in every JSON parser.
    pub version_text: String,
    /// Counts every change of this order's stored state (status, snapshot, erasure), from
    /// 1: order an order's events by it. 0 for state written before it was counted.
    pub seq: i64,
    pub last_event_type: String,
    pub last_event_key: String,
    /// The platform's restaurant id, and yours from the location mapping (absent while
    /// unmapped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team_location_id: Option<String>,
    pub updated_at: String,
    /// The canonical order (items, modifiers, minor-unit money, times), when the
    /// platform has sent a full snapshot.
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Passed through as stored (checked to be JSON, never parsed into a tree).
    pub order: Option<Box<RawValue>>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub order_omitted: bool,
    /// A new order the restaurant must accept or reject (manual acceptance) by this time
    /// (RFC 3339), after which the stack's default applies; absent once decided.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decide_by: Option<String>,
}

/// An event recorded on an order's trail without moving its state — a rider's progress,
/// a refund, a proof of delivery — published as detail-type `Order Event`: what a POS
/// learns besides the state changes (docs/downstream-events.md).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderEvent {
    pub schema: &'static str,
    pub provider: String,
    pub order_id: String,
    /// The platform's event type (`rider-completed`, `rider-refund`, …).
    pub event_type: String,
    pub event_key: String,
    pub received_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub occurred_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team_location_id: Option<String>,
    /// Typed facts: a refund (minor units), a proof of delivery (blob reference or link).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<EventDetail>,
}

/// The trail-only event a stream record carries (a new trail entry marked `trail_only`),
/// or None for any other record.
pub fn order_event(record: &Value) -> Result<Option<OrderEvent>, ItemError> {
    let Some(entry) = TrailImage::read(&record["dynamodb"]["NewImage"])? else {
        return Ok(None);
    };
    if record["eventName"] != "INSERT" || !entry.trail_only {
        return Ok(None);
    }
    let e = entry.event()?;
    let order_id = e.change.map(|c| c.order_id).ok_or(ItemError::Missing {
        item: "a trail-only entry's event",
        attribute: "change",
    })?;
    Ok(Some(OrderEvent {
        schema: EVENT_SCHEMA,
        provider: e.provider,
        order_id,
        event_type: e.event_type,
        event_key: e.event_key.0,
        received_at: e.received_at.to_rfc3339(),
        occurred_at: e.occurred_at,
        location_id: e.location_id,
        team_location_id: e.team_location_id,
        detail: e.detail,
    }))
}

/// How a restaurant's command ended, published as detail-type `Order Status Sent` (the
/// platform took it) or `Order Status Failed` (it refused it, or the command could not be
/// done): read from its trail entry once the ack worker records the outcome there.
/// Deduplicate on `command_id`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusOutcome {
    pub schema: &'static str,
    pub provider: String,
    pub order_id: String,
    pub command_id: String,
    pub status: Requested,
    pub event_key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team_location_id: Option<String>,
    /// What was sent (`status 70 sent`), or the platform's answer.
    pub answer: String,
    pub settled_at: String,
}

/// The outcome a stream record carries (a command's trail entry the worker settled), with
/// its detail type; None for any other record.
pub fn status_outcome(record: &Value) -> Result<Option<(&'static str, StatusOutcome)>, ItemError> {
    let Some(entry) = TrailImage::read(&record["dynamodb"]["NewImage"])? else {
        return Ok(None);
    };
    let Some(ack) = entry.ack.as_ref().filter(|_| entry.command) else {
        return Ok(None);
    };
    let detail_type = match ack.status {
        AckStatus::Acked => STATUS_SENT,
        AckStatus::Failed => STATUS_FAILED,
        _ => return Ok(None),
    };
    if record["eventName"] != "MODIFY" {
        return Ok(None);
    }
    let e = entry.event()?;
    let Some(EventDetail::Command(command)) = e.detail else {
        return Err(ItemError::Missing {
            item: "a command's trail entry",
            attribute: "detail.command",
        });
    };
    Ok(Some((
        detail_type,
        StatusOutcome {
            schema: STATUS_SCHEMA,
            provider: e.provider,
            order_id: command.order_id,
            command_id: command.command_id,
            status: command.status,
            event_key: e.event_key.0,
            location_id: e.location_id,
            team_location_id: e.team_location_id,
            answer: ack.message.clone().unwrap_or_default(),
            settled_at: ack.updated_at.clone().unwrap_or_default(),
        },
    )))
}

/// What a stream record publishes: (detail type, detail JSON), if anything.
fn publishable(record: &Value) -> Result<Option<(&'static str, String)>, ItemError> {
    fn json<T: Serialize>(detail: &T) -> String {
        serde_json::to_string(detail).expect("plain data")
    }
    if let Some(change) = order_changed(record)? {
        return Ok(Some((DETAIL_TYPE, json(&change))));
    }
    if let Some((detail_type, outcome)) = status_outcome(record)? {
        return Ok(Some((detail_type, json(&outcome))));
    }
    Ok(order_event(record)?.map(|e| (EVENT_DETAIL_TYPE, json(&e))))
}

/// The change a stream record carries, or None for anything but an order STATE image
/// (read with the table's own codec, `shared::store::item`).
pub fn order_changed(record: &Value) -> Result<Option<OrderChanged>, ItemError> {
    let Some(state) = StateImage::read(&record["dynamodb"]["NewImage"])? else {
        return Ok(None);
    };
    let order = state
        .order_json
        .map(|json| RawValue::from_string(json.to_owned()))
        .transpose()
        .map_err(|e| ItemError::Unreadable {
            item: "an order state",
            attribute: attr::ORDER,
            problem: e.to_string(),
        })?;
    let mut changed = OrderChanged {
        schema: SCHEMA,
        provider: state.provider.to_owned(),
        order_id: state.order_id.to_owned(),
        status: state.status.to_owned(),
        version: state.version,
        version_text: state.version.to_string(),
        seq: state.seq,
        last_event_type: state.last_event_type.to_owned(),
        last_event_key: state.last_event_key.to_owned(),
        location_id: state.location_id.map(str::to_owned),
        team_location_id: state.team_location_id.map(str::to_owned),
        updated_at: state.updated_at.to_owned(),
        order,
        order_omitted: false,
        decide_by: state.decide_by.map(str::to_owned),
    };
    let size = serde_json::to_vec(&changed).map_or(usize::MAX, |v| v.len());
    if size > MAX_DETAIL_BYTES {
        changed.order = None;
        changed.order_omitted = true;
    }
    Ok(Some(changed))
}

/// Handles one stream batch: relays its acknowledgement jobs and publishes its order
/// changes, in stream order, and returns the first sequence number to retry (Lambda's
/// partial batch response for streams: retrying from the first failure keeps each order's
/// changes in order).
pub async fn handle<B: Bus, Q: JobQueue, S: EventStore>(
    bus: &B,
    queue: &Q,
    store: &S,
    event: &Value,
) -> Value {
    let records = event["Records"].as_array().map(Vec::as_slice).unwrap_or_default();
    let failures = [
        relay::relay(queue, store, records).await,
        publish(bus, records).await,
    ];
    // Sequence numbers are decimal strings of any length: the shorter is the earlier.
    let first = failures
        .into_iter()
        .flatten()
        .min_by(|a, b| (a.len(), a).cmp(&(b.len(), b)));
    let failures: Vec<Value> = first
        .into_iter()
        .map(|seq| serde_json::json!({"itemIdentifier": seq}))
        .collect();
    serde_json::json!({ "batchItemFailures": failures })
}

/// Publishes the order changes among `records`; the sequence number of the first that
/// failed, if any.
async fn publish<B: Bus>(bus: &B, records: &[Value]) -> Option<String> {
    let (sequence, details) = read_records(records, publishable, "unpublishable stream record");
    let failed = bus.put(&details).await;
    if !failed.is_empty() {
        tracing::warn!(failed = failed.len(), "order changes not published; retrying");
    }
    ordergate_shared::metrics::emit(
        "all",
        &[
            ("Published", (details.len() - failed.len()) as f64, "Count"),
            ("PublishFailed", failed.len() as f64, "Count"),
        ],
    );
    failed.iter().min().map(|first| sequence[*first].to_owned())
}

/// What `read` takes from each stream record, with the record's sequence number (where a
/// partial batch is retried from). A record it can never read is logged for a look (as
/// `unreadable`) and skipped, not retried forever.
pub(crate) fn read_records<'r, T>(
    records: &'r [Value],
    read: impl Fn(&Value) -> Result<Option<T>, ItemError>,
    unreadable: &str,
) -> (Vec<&'r str>, Vec<T>) {
    let (mut sequence, mut taken) = (Vec::new(), Vec::new());
    for record in records {
        let seq = record["dynamodb"]["SequenceNumber"].as_str().unwrap_or_default();
        match read(record) {
            Ok(Some(t)) => {
                sequence.push(seq);
                taken.push(t);
            }
            Ok(None) => {}
            Err(e) => tracing::error!(sequence = %seq, error = %e, "{unreadable}"),
        }
    }
    (sequence, taken)
}
