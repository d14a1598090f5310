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
//! (README, Downstream events). Delivery is at least once: deduplicate on
//! (`provider`, `order_id`, `version`).

pub mod relay;

use ordergate_shared::queue::JobQueue;
use ordergate_shared::store::item::StateImage;
use serde::Serialize;
use serde_json::Value;

pub const SOURCE: &str = "ordergate";
pub const DETAIL_TYPE: &str = "Order Changed";
pub const SCHEMA: &str = "ordergate.order-changed/1";

/// EventBridge refuses entries over 256 KB: past this the snapshot is left out (and
/// `order_omitted` says so; `ordergate order` shows it).
const MAX_DETAIL_BYTES: usize = 200 * 1024;

#[derive(Debug, Clone, PartialEq, Serialize)]
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
    pub order: Option<Value>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub order_omitted: bool,
}

/// The change a stream record carries, or None for anything but an order STATE image
/// (read with the table's own codec, `shared::store::item`).
pub fn order_changed(record: &Value) -> Result<Option<OrderChanged>, String> {
    let Some(state) = StateImage::read(&record["dynamodb"]["NewImage"])? else {
        return Ok(None);
    };
    let order = state
        .order_json
        .map(serde_json::from_str::<Value>)
        .transpose()
        .map_err(|e| {
            format!(
                "{} {}: stored order is not JSON: {e}",
                state.provider, state.order_id
            )
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
        last_event_key: state.last_dedupe_key.to_owned(),
        location_id: state.location_id.map(str::to_owned),
        team_location_id: state.team_location_id.map(str::to_owned),
        updated_at: state.updated_at.to_owned(),
        order,
        order_omitted: false,
    };
    if serde_json::to_vec(&changed).map_or(0, |v| v.len()) > MAX_DETAIL_BYTES {
        changed.order = None;
        changed.order_omitted = true;
    }
    Ok(Some(changed))
}

/// Where the events go.
pub trait Bus: Send + Sync {
    /// Publishes `details` (JSON) in order; returns the indices that failed.
    fn put(&self, details: &[String])
        -> impl std::future::Future<Output = Result<Vec<usize>, String>> + Send;
}

pub struct EventBridge {
    client: aws_sdk_eventbridge::Client,
    bus: String,
}

impl EventBridge {
    pub fn new(client: aws_sdk_eventbridge::Client, bus: impl Into<String>) -> Self {
        EventBridge {
            client,
            bus: bus.into(),
        }
    }

    /// The bus named by `EVENT_BUS_NAME` (template.yaml), through a client from `sdk`.
    pub fn from_env(sdk: &aws_config::SdkConfig) -> Result<Self, String> {
        let bus = ordergate_shared::config::required("EVENT_BUS_NAME")?;
        Ok(EventBridge::new(aws_sdk_eventbridge::Client::new(sdk), bus))
    }
}

impl Bus for EventBridge {
    async fn put(&self, details: &[String]) -> Result<Vec<usize>, String> {
        use aws_sdk_eventbridge::types::PutEventsRequestEntry;
        let mut failed = Vec::new();
        // PutEvents takes at most 10 entries.
        for (chunk_no, chunk) in details.chunks(10).enumerate() {
            let entries = chunk
                .iter()
                .map(|d| {
                    PutEventsRequestEntry::builder()
                        .event_bus_name(&self.bus)
                        .source(SOURCE)
                        .detail_type(DETAIL_TYPE)
                        .detail(d)
                        .build()
                })
                .collect();
            match self.client.put_events().set_entries(Some(entries)).send().await {
                Ok(out) => failed.extend(
                    out.entries()
                        .iter()
                        .enumerate()
                        .filter(|(_, e)| e.error_code().is_some())
                        .map(|(i, _)| chunk_no * 10 + i),
                ),
                Err(_) => failed.extend((0..chunk.len()).map(|i| chunk_no * 10 + i)),
            }
        }
        Ok(failed)
    }
}

/// Handles one stream batch: relays its acknowledgement jobs and publishes its order
/// changes, in stream order, and returns the first sequence number to retry (Lambda's
/// partial batch response for streams: retrying from the first failure keeps each order's
/// changes in order).
pub async fn handle<B: Bus, Q: JobQueue>(bus: &B, queue: &Q, event: &Value) -> Value {
    let records = event["Records"].as_array().map(Vec::as_slice).unwrap_or_default();
    let failures = [relay::relay(queue, records).await, publish(bus, records).await];
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
    let mut details = Vec::new();
    let mut sequence = Vec::new();
    for record in records {
        let seq = record["dynamodb"]["SequenceNumber"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        match order_changed(record) {
            Ok(Some(change)) => {
                details.push(serde_json::to_string(&change).expect("plain data"));
                sequence.push(seq);
            }
            Ok(None) => {}
            // Cannot ever be published: logged for a look, not retried forever.
            Err(e) => tracing::error!(sequence = %seq, error = %e, "unpublishable stream record"),
        }
    }
    let failed = bus
        .put(&details)
        .await
        .unwrap_or_else(|_| (0..details.len()).collect());
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
    failed.iter().min().map(|first| sequence[*first].clone())
}
