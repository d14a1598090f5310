//! Restaurants' commands from the bus: an `Order Status Requested` event (schema:
//! `schemas/order-status-requested.json`) is validated and recorded with its job
//! (`ordergate_shared::command`), so the outbox queues it in its order's FIFO group and the
//! ack worker sends it; its outcome comes back on the bus from the publisher. A command that
//! is refused — unreadable, an unknown order, a transition or status the platform does not
//! take — is published as `Order Status Rejected` with the reason, and nothing is sent.
//! A table that cannot be reached fails the invocation: Lambda retries it, then moves the
//! event to the function's dead-letter queue (alarmed).

use chrono::{DateTime, Utc};
use ordergate_shared::bus::Bus;
use ordergate_shared::command::{self, CommandError, Refusal, StatusCommand, Submitted};
use ordergate_shared::store::EventStore;
use ordergate_shared::Limits;
use serde::Serialize;
use serde_json::Value;

pub const REJECTED_SCHEMA: &str = "ordergate.order-status-rejected/1";

/// A refused command, as published (detail-type `Order Status Rejected`): what could be
/// read of it, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rejected {
    pub schema: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    pub error: &'static str,
    pub message: String,
}

/// How one event ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Handled {
    Queued { event_key: String },
    Duplicate { event_key: String },
    Rejected { error: &'static str },
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The table, or the bus for a rejection, could not be reached: retried by Lambda.
    #[error("{0}")]
    Unavailable(String),
}

/// The command an event carries; a refusal names what is wrong without quoting values.
fn read(event: &Value) -> Result<StatusCommand, Refusal> {
    let detail_type = event["detail-type"].as_str().unwrap_or_default();
    if detail_type != command::REQUESTED {
        return Err(Refusal::Invalid(format!(
            "detail-type '{detail_type}' is not '{}'",
            command::REQUESTED
        )));
    }
    serde_path_to_error::deserialize(&event["detail"]).map_err(|e| {
        // serde's message may quote a value: only where the detail went wrong is said.
        let at = match e.path().to_string() {
            p if p == "." => String::new(),
            p => format!(" at `{p}`"),
        };
        Refusal::Invalid(format!(
            "the detail is not an {} v{} (missing, unknown or unreadable field{at}; schema: docs/schemas/order-status-requested.json)",
            command::REQUESTED,
            command::VERSION
        ))
    })
}

/// Handles one event from the bus.
pub async fn handle<S: EventStore, B: Bus>(
    store: &S,
    bus: &B,
    limits: &Limits,
    event: &Value,
    now: DateTime<Utc>,
) -> Result<Handled, Error> {
    let submitted = match read(event) {
        Ok(command) => ordergate_platforms::submit_command(store, &command, limits, now).await,
        Err(refusal) => Err(refusal.into()),
    };
    let handled = match submitted {
        Ok(Submitted {
            event_key,
            duplicate: false,
        }) => Handled::Queued { event_key },
        Ok(Submitted {
            event_key,
            duplicate: true,
        }) => Handled::Duplicate { event_key },
        Err(CommandError::Store(e)) => return Err(Error::Unavailable(e.to_string())),
        Err(CommandError::Refused(refusal)) => {
            reject(bus, &event["detail"], &refusal).await?;
            Handled::Rejected {
                error: refusal.code(),
            }
        }
    };
    tracing::info!(outcome = ?handled, "command handled");
    ordergate_shared::metrics::emit(
        "all",
        &[
            ordergate_shared::metrics::count("CommandQueued", matches!(handled, Handled::Queued { .. })),
            ordergate_shared::metrics::count("CommandRejected", matches!(handled, Handled::Rejected { .. })),
        ],
    );
    Ok(handled)
}

/// Publishes the refusal of `detail` with what could be read of it.
async fn reject<B: Bus>(bus: &B, detail: &Value, refusal: &Refusal) -> Result<(), Error> {
    let text = |name: &str| detail[name].as_str().map(str::to_owned);
    let rejected = Rejected {
        schema: REJECTED_SCHEMA,
        command_id: text("command_id"),
        provider: text("provider"),
        order_id: text("order_id"),
        status: text("status"),
        error: refusal.code(),
        message: refusal.to_string(),
    };
    let entry = (
        command::REJECTED,
        serde_json::to_string(&rejected).expect("plain data"),
    );
    if bus.put(&[entry]).await.is_empty() {
        Ok(())
    } else {
        Err(Error::Unavailable("the bus refused the rejection".into()))
    }
}
