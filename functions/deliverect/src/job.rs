//! What the ack worker must tell Deliverect about an event: written by the receiver
//! (`lib.rs`), carried out by the worker (`ack.rs`). The JSON form is the one queued since
//! the first version (`{"action": "accept", "status": 20, "order_id": …}`): jobs already
//! on the queue decode, and a worker not yet updated reads new jobs.

use ordergate_shared::command::{Refusal, Requested, StatusCommand};
use ordergate_shared::Provider;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Ack {
    /// A new order: tell Deliverect the POS accepted it, with the order's pickup time
    /// when it has a readable one (the status API takes `pickupTime`). Absent in jobs
    /// queued before it existed.
    Accept {
        order_id: String,
        status: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pickup_time: Option<String>,
    },
    /// An order we could not take: tell Deliverect it failed, and why.
    Failed {
        order_id: String,
        status: i64,
        reason: String,
    },
    /// A cancellation: confirm it.
    ConfirmCancel { order_id: String, status: i64 },
    /// Any other status: nothing to call.
    None { order_id: String },
    /// A restaurant's command (`ordergate status`, or the bus): the status it asked for.
    Status {
        order_id: String,
        status: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        receipt_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pickup_time: Option<String>,
    },
}

/// Deliverect's status codes for what a restaurant asks (its "Update Order Status"
/// reference): 20 accepted, 50 preparing, 60 prepared, 70 ready for pickup, 90 finalized,
/// 110 cancelled by the POS, 120 failed — how a new order is rejected, with a reason the
/// channel shows the customer. Courier stages (80–89) are the channel's, not the POS's.
fn code(status: Requested) -> Option<i64> {
    Some(match status {
        Requested::Accepted => 20,
        Requested::Preparing => 50,
        Requested::Prepared => 60,
        Requested::Ready => 70,
        Requested::Completed => 90,
        Requested::Cancelled => 110,
        Requested::Rejected | Requested::Failed => 120,
        Requested::PickedUp => return None,
    })
}

/// The time format Deliverect's status API reads (`timeStamp`, `pickupTime`).
pub fn time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

impl Ack {
    /// The status update a restaurant's command asks for.
    pub fn for_command(c: &StatusCommand) -> Result<Ack, Refusal> {
        let status = code(c.status).ok_or_else(|| {
            Refusal::not_supported(
                crate::Deliverect::NAME,
                c.status,
                "a courier's stages (80-89) come from the channel, not from the POS",
            )
        })?;
        let reason = match status {
            120 => Some(c.required_reason::<crate::Deliverect>()?.to_owned()),
            _ => c.reason.clone(),
        };
        Ok(Ack::Status {
            order_id: c.order_id.clone(),
            status,
            reason,
            receipt_id: c.receipt_id.clone().unwrap_or_else(|| c.order_id.clone()),
            pickup_time: c.pickup_time.map(time),
        })
    }
}

impl Ack {
    /// The callback for an order now in Deliverect `status`, or for one we could not take;
    /// `pickup_time` is the order's (RFC 3339), sent with an acceptance.
    pub fn for_status(
        order_id: &str,
        status: i64,
        failure: Option<&str>,
        pickup_time: Option<String>,
    ) -> Ack {
        let order_id = order_id.to_owned();
        match (failure, status) {
            (Some(reason), _) => Ack::Failed {
                order_id,
                status: 120,
                reason: reason.to_owned(),
            },
            // New orders (10, and the pre-acceptance codes such as the sample's 1).
            (None, s) if s < 20 => Ack::Accept {
                order_id,
                status: 20,
                pickup_time,
            },
            (None, 100) => Ack::ConfirmCancel {
                order_id,
                status: 110,
            },
            (None, _) => Ack::None { order_id },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn jobs_queued_by_earlier_versions_decode() {
        let accept = json!({"action": "accept", "status": 20, "order_id": "o1"});
        assert_eq!(
            Ack::deserialize(&accept).unwrap(),
            Ack::Accept {
                order_id: "o1".into(),
                status: 20,
                pickup_time: None
            }
        );
        let encoded = serde_json::to_value(Ack::deserialize(&accept).unwrap()).unwrap();
        assert_eq!(encoded, accept, "no pickup time: the v1 form exactly");
        let failed = json!({"action": "failed", "status": 120, "order_id": "o1", "reason": "r"});
        assert_eq!(
            serde_json::to_value(Ack::deserialize(&failed).unwrap()).unwrap(),
            failed,
            "and the same JSON is written"
        );
        let none = json!({"action": "none", "order_id": "o1"});
        assert_eq!(
            Ack::deserialize(&none).unwrap(),
            Ack::None {
                order_id: "o1".into()
            }
        );
        assert!(Ack::deserialize(&json!({"action": "refund", "order_id": "o1"})).is_err());
    }
}
