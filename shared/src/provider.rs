//! What a platform plugs into the pipeline: how to verify, how to read, what to answer.

use crate::error::ApiError;
use crate::lenient::Essential;
use crate::model::{Normalized, Quarantine};
use crate::secrets::Secrets;
use crate::verify::Delivery;

pub trait Provider: Send + Sync + 'static {
    /// Lower-case platform name: part of every key, log line and queue message.
    const NAME: &'static str;

    /// Its resources' name in template.yaml: `<NAME>Function`, `<NAME>Secret`, and the
    /// stack outputs `<NAME>WebhookUrl`, `<NAME>SecretArn` that tools look up.
    const TEMPLATE_NAME: &'static str;

    /// What the ack worker must do for one of its events: the typed contract between this
    /// platform's receiver and its acknowledging side (`ack.rs`), carried in
    /// [`crate::job::AckJob`] as JSON. Must keep decoding jobs queued by earlier versions.
    type Ack: serde::Serialize + Send + Sync + 'static;

    /// What identifies the event and the order, and what the kitchen cannot do without:
    /// only these may stop a delivery from being normalized; every other field is read
    /// leniently ([`crate::lenient`]). Listed per platform in docs/platforms.md.
    const ESSENTIAL: Essential;

    /// The header carrying the platform's id of a delivery, when normalizing reads it
    /// (Svix's `svix-id`): stored on the event so it can be read again (reprocessing).
    const MESSAGE_ID_HEADER: Option<&'static str> = None;

    /// The HTTP status answered for a quarantined delivery (kept, but not normalized):
    /// 200 where retrying cannot help and failures have a cost (Svix disables endpoints),
    /// a 4xx where the platform should show the order as not received.
    const QUARANTINE_STATUS: u16 = 200;

    /// Whether the platform's order ids are unique only within one location (store,
    /// merchant): its orders are then keyed by location and id ([`OrderChange::key`]),
    /// so two stores' orders with the same id never share a state or a trail.
    ///
    /// [`OrderChange::key`]: crate::model::OrderChange::key
    const ORDER_IDS_PER_LOCATION: bool = false;

    /// Authenticates the delivery before its body is parsed. Failures are 401.
    fn verify(&self, delivery: &Delivery<'_>, secrets: &Secrets) -> Result<(), ApiError>;

    /// Parses the platform's wire format and maps it to the canonical model. The event key
    /// must depend only on the body, the [`Provider::MESSAGE_ID_HEADER`] and the
    /// configuration: a retry of the same bytes under the same message id is answered from
    /// the process's memory of what it stored ([`crate::recent`]), without this call.
    fn normalize(&self, delivery: &Delivery<'_>) -> Result<Normalized<Self::Ack>, ApiError>;

    /// What can still be read from an authenticated JSON delivery that [`Provider::normalize`]
    /// refused (`reason`): its id, order, location, and a job to run (Deliverect is told
    /// the order failed). Read loosely; every part may be absent.
    fn quarantine(&self, delivery: &Delivery<'_>, reason: &ApiError) -> Quarantine<Self::Ack> {
        let _ = (delivery, reason);
        Quarantine::default()
    }

    /// The platform's side of a restaurant's command ([`crate::command`]): what the ack
    /// worker must send for it, or why the platform cannot take it. The command is already
    /// checked against the order's progress; this says which statuses the platform's API
    /// takes and what each needs. Default: none (no status API documented).
    fn command(command: &crate::command::StatusCommand) -> Result<Self::Ack, crate::command::Refusal>
    where
        Self: Sized,
    {
        Err(crate::command::Refusal::not_supported(
            Self::NAME,
            command.status,
            "its documentation shows no API for a restaurant's status",
        ))
    }

    /// `"acknowledged"` in the body of the 2xx answer (`{"status": "received", "provider",
    /// "event_id"}`), for a platform that reads the answer as its acknowledgement; `None`
    /// leaves it out. Configuration only, so a duplicate gets the same answer as the first.
    fn acknowledged(&self) -> Option<bool> {
        None
    }
}

/// Headers to put on a request, in order.
pub type Headers = Vec<(String, String)>;

/// A delivery about to be sent: its body, the platform's message id for it and the time
/// of sending (signed by schemes that sign them, such as Svix's).
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    pub body: &'a [u8],
    pub message_id: &'a str,
    pub now: chrono::DateTime<chrono::Utc>,
}

/// The sending side of a platform's [`Provider::verify`]: the headers the platform puts on
/// a delivery, from the receiver's secret and the platform's auth settings alone — for
/// operators (`ordergate sign|send`) and tests. Each platform crate has one.
pub trait Signer {
    /// Set up like the receiver. `auth_header` names the credential header for platforms
    /// where the receiver's is configurable; the others ignore it.
    fn configured(auth_header: &str) -> Self
    where
        Self: Sized;

    fn sign(&self, secrets: &Secrets, out: &Outgoing<'_>) -> Result<Headers, crate::secrets::SecretError>;
}
