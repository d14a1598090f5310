//! What the ack worker must do for an Oolio event: Svix took the receiver's 2xx as the
//! acknowledgement, so the job only marks the event processed. The JSON form is the one
//! queued since the first version (`{"action": "mark_processed"}`).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Ack {
    MarkProcessed,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn jobs_queued_by_earlier_versions_decode() {
        let queued = json!({"action": "mark_processed"});
        assert_eq!(Ack::deserialize(&queued).unwrap(), Ack::MarkProcessed);
        assert_eq!(serde_json::to_value(Ack::MarkProcessed).unwrap(), queued);
    }
}
