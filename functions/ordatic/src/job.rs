//! What the ack worker must do for an Ordatic event: written by the receiver (`lib.rs`),
//! carried out by the worker (`ack.rs`). The JSON form is the one queued since the first
//! version (`{"action": "fetch_order", "store_id": …, "order_id": …}`).

use ordergate_shared::command::{Refusal, Requested, StatusCommand};
use ordergate_shared::Provider;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Ack {
    /// The events carry only ids: fetch the full order (and, after `order-accepted`,
    /// report the POS status if configured).
    FetchOrder { store_id: String, order_id: String },
    /// A restaurant's command: report `status` (one of [`STATUSES`]) to Ordatic's status API.
    ReportStatus {
        store_id: String,
        order_id: String,
        status: String,
    },
}

/// Statuses Ordatic accepts from a POS, in the order an order goes through them.
pub const STATUSES: [&str; 4] = ["IN_KITCHEN", "READY_TO_PICK_UP", "PICKED_UP", "SERVED"];

impl Ack {
    /// The status report a restaurant's command asks for: Ordatic documents four POS
    /// statuses and no acceptance, rejection or cancellation (its orders arrive accepted).
    pub fn for_command(c: &StatusCommand) -> Result<Ack, Refusal> {
        let status = match c.status {
            Requested::Preparing => STATUSES[0],
            Requested::Ready => STATUSES[1],
            Requested::PickedUp => STATUSES[2],
            Requested::Completed => STATUSES[3],
            other => {
                return Err(Refusal::not_supported(
                    crate::Ordatic::NAME,
                    other,
                    "its status API takes IN_KITCHEN, READY_TO_PICK_UP, PICKED_UP and SERVED only",
                ))
            }
        };
        Ok(Ack::ReportStatus {
            // Ordatic's orders are keyed by store: the command names it.
            store_id: c.location_id.clone().unwrap_or_default(),
            order_id: c.order_id.clone(),
            status: status.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn jobs_queued_by_earlier_versions_decode() {
        let queued = json!({"action": "fetch_order", "store_id": "st-1", "order_id": "o1"});
        let ack = Ack::deserialize(&queued).unwrap();
        assert_eq!(
            ack,
            Ack::FetchOrder {
                store_id: "st-1".into(),
                order_id: "o1".into()
            }
        );
        assert_eq!(serde_json::to_value(&ack).unwrap(), queued);
        assert!(Ack::deserialize(&json!({"action": "fetch_order", "order_id": "o1"})).is_err());
    }
}
