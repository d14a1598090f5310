//! What the ack worker must do for an Ordatic event: written by the receiver (`lib.rs`),
//! carried out by the worker (`ack.rs`). The JSON form is the one queued since the first
//! version (`{"action": "fetch_order", "store_id": …, "order_id": …}`).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Ack {
    /// The events carry only ids: fetch the full order (and, after `order-accepted`,
    /// report the POS status if configured).
    FetchOrder { store_id: String, order_id: String },
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
