//! What the ack worker must do for an OlaClick event: written by the receiver (`lib.rs`),
//! carried out by the worker (`ack.rs`). The JSON form is the one queued since the first
//! version (`{"mode": "sync"}`, `{"mode": "async", "event_id": …}`), so jobs already on
//! the queue decode.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum Ack {
    /// The 2xx answer was the acknowledgement: nothing to call.
    Sync,
    /// POST the acknowledgement to OlaClick later.
    Async {
        event_id: String,
        event_type: String,
        merchant_id: String,
        order_id: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn jobs_queued_by_earlier_versions_decode() {
        assert_eq!(Ack::deserialize(&json!({"mode": "sync"})).unwrap(), Ack::Sync);
        let queued = json!({"mode": "async", "event_id": "e1", "event_type": "order_created",
                            "merchant_id": "777", "order_id": "o1"});
        let ack = Ack::deserialize(&queued).unwrap();
        assert!(matches!(&ack, Ack::Async { merchant_id, .. } if merchant_id == "777"));
        assert_eq!(
            serde_json::to_value(&ack).unwrap(),
            queued,
            "and the same JSON is written"
        );
        assert!(Ack::deserialize(&json!({"mode": "later"})).is_err());
    }
}
