//! The table's item layout, known here once: the key formats ([`keys`]), and the
//! attributes of an order's STATE item, read the same way from the SDK's items (the
//! DynamoDB store, the CLI) and from the table stream's images (the publisher).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use super::{OrderState, StoreError};

pub mod keys {
    pub const EVENT_SK: &str = "EVENT";
    pub const STATE_SK: &str = "STATE";

    pub fn event_pk(provider: &str, dedupe_key: &str) -> String {
        format!("EVENT#{provider}#{dedupe_key}")
    }
    pub fn order_pk(provider: &str, order_id: &str) -> String {
        format!("ORDER#{provider}#{order_id}")
    }
    /// An order key's (provider, order id). Platform names never hold `#`; order ids may.
    pub fn parse_order_pk(pk: &str) -> Option<(&str, &str)> {
        pk.strip_prefix("ORDER#")?.split_once('#')
    }
    /// One item per mapped location: sk = the platform's location id.
    pub fn location_pk(provider: &str) -> String {
        format!("LOCATION#{provider}")
    }
    /// The ByLocation / ByTeamLocation index key of an order STATE item.
    pub fn location_key(provider: &str, location: &str) -> String {
        format!("{provider}#{location}")
    }
    /// The Due index's key of the orders of `provider` waiting for the restaurant's decision.
    pub fn decision_due(provider: &str) -> String {
        format!("decision#{provider}")
    }
    /// The Due index's keys of event records whose job no worker has claimed yet: spread
    /// over this many partitions, so that the index's writes (one per delivery) never
    /// meet one partition's limit.
    pub const RELAY_SHARDS: u8 = 16;
    /// The Due index's key of an event record (`dedupe_key`) whose job is unclaimed.
    pub fn relay_due(dedupe_key: &str) -> String {
        let hash = (dedupe_key.bytes()).fold(0_u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
        relay_shard((hash % u32::from(RELAY_SHARDS)) as u8)
    }
    pub fn relay_shard(shard: u8) -> String {
        format!("relay#{shard}")
    }
    /// A `due_at` value: RFC 3339 UTC to the second, which sorts as time does.
    pub fn due_at(at: &chrono::DateTime<chrono::Utc>) -> String {
        at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }
    /// History entries sort by arrival time, then key, before the STATE item.
    pub fn history_sk(received_at: &chrono::DateTime<chrono::Utc>, dedupe_key: &str) -> String {
        format!(
            "EVENT#{}#{dedupe_key}",
            received_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
        )
    }
}

/// Attribute names of an order's STATE item (and the key attributes every item has).
pub mod attr {
    pub const PK: &str = "pk";
    pub const SK: &str = "sk";
    pub const KIND: &str = "kind";
    pub const STATUS: &str = "status";
    pub const VERSION: &str = "version";
    pub const LAST_EVENT_TYPE: &str = "last_event_type";
    pub const LAST_DEDUPE_KEY: &str = "last_dedupe_key";
    pub const UPDATED_AT: &str = "updated_at";
    pub const EXPIRES_AT: &str = "expires_at";
    pub const LOCATION_ID: &str = "location_id";
    /// The platform's id of the order (its key may also hold its location).
    pub const ORDER_ID: &str = "order_id";
    pub const LOCATION_KEY: &str = "location_key";
    pub const TEAM_LOCATION_ID: &str = "team_location_id";
    pub const TEAM_LOCATION_KEY: &str = "team_location_key";
    /// The latest full snapshot, as JSON text.
    pub const ORDER: &str = "order";
    /// Until when a new order waits for the restaurant to accept or reject it (RFC 3339);
    /// removed once it is decided.
    pub const DECIDE_BY: &str = "decide_by";
    /// The Due index (sparse: an item holds its keys only while it waits): what is due
    /// ([`super::keys::decision_due`], [`super::keys::relay_due`]) and `due_at` when
    /// (RFC 3339 UTC, seconds: an order's decision deadline; since when an event's job has
    /// waited for a worker to claim it).
    pub const DUE_KEY: &str = "due_key";
    pub const DUE_AT: &str = "due_at";
    /// `kind` of a STATE item (the stream filter selects on it).
    pub const STATE_KIND: &str = "state";
    /// `kind` of an event record; its `job` (JSON text) is what the outbox relays while
    /// `ack_status` is `pending`.
    pub const EVENT_KIND: &str = "event";
    pub const JOB: &str = "job";
    /// On a trail entry whose event does not move the order's state (`true`).
    pub const TRAIL_ONLY: &str = "trail_only";
    /// `kind` of a trail entry; its `event` is the canonical event as JSON text.
    pub const HISTORY_KIND: &str = "history";
    /// On a trail entry that is a restaurant's command (`true`): its outcome, when the ack
    /// worker records it there, is published (the stream filter selects on it).
    pub const COMMAND: &str = "command";
    pub const EVENT: &str = "event";
    pub const ACK_STATUS: &str = "ack_status";
    pub const ACK_MESSAGE: &str = "ack_message";
    pub const ACK_UPDATED_AT: &str = "ack_updated_at";
    /// Counts every write of the STATE item (status, snapshot, erasure): what downstream
    /// consumers order an order's changes by.
    pub const SEQ: &str = "seq";
    /// The update clause every STATE write carries, with [`SEQ`] as `#seq` and 1 as `:one`.
    pub const BUMP_SEQ: &str = "ADD #seq :one";
}

/// Read access to one item's attributes.
pub trait Attributes {
    /// A string or number attribute as its text.
    fn text(&self, name: &str) -> Option<&str>;
}

/// An item as the SDK returns it.
impl Attributes for HashMap<String, AttributeValue> {
    fn text(&self, name: &str) -> Option<&str> {
        match self.get(name)? {
            AttributeValue::S(v) | AttributeValue::N(v) => Some(v),
            _ => None,
        }
    }
}

/// An image in a stream record, in DynamoDB JSON (`{"S": "…"}`, `{"N": "…"}`).
impl Attributes for serde_json::Value {
    fn text(&self, name: &str) -> Option<&str> {
        let v = self.get(name)?;
        v.get("S").or_else(|| v.get("N"))?.as_str()
    }
}

/// An order's STATE item as stored, borrowed from the item it was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateImage<'a> {
    pub provider: &'a str,
    /// The platform's id of the order.
    pub order_id: &'a str,
    /// What the order is stored under ([`crate::model::OrderChange::key`]).
    pub key: &'a str,
    /// The canonical status word (`placed`, …, `cancelled`).
    pub status: &'a str,
    pub version: i64,
    /// The number of writes of this state so far (1 for the first); 0 for items written
    /// before it existed.
    pub seq: i64,
    pub last_event_type: &'a str,
    pub last_dedupe_key: &'a str,
    pub updated_at: &'a str,
    pub location_id: Option<&'a str>,
    pub team_location_id: Option<&'a str>,
    /// The latest full snapshot as stored JSON text, if one was sent.
    pub order_json: Option<&'a str>,
    /// Until when the order waits for the restaurant's decision, while it does.
    pub decide_by: Option<&'a str>,
}

impl<'a> StateImage<'a> {
    /// The STATE item `item` is, `None` for any other item; an error for a STATE item
    /// whose key is not an order's.
    pub fn read(item: &'a impl Attributes) -> Result<Option<StateImage<'a>>, String> {
        if item.text(attr::SK) != Some(keys::STATE_SK) {
            return Ok(None);
        }
        let pk = item.text(attr::PK).unwrap_or_default();
        let (provider, key) = keys::parse_order_pk(pk).ok_or_else(|| format!("unexpected state key {pk}"))?;
        let text = |name| item.text(name).unwrap_or_default();
        Ok(Some(StateImage {
            provider,
            // States written before the attribute existed are keyed by the id alone.
            order_id: item.text(attr::ORDER_ID).unwrap_or(key),
            key,
            status: item.text(attr::STATUS).unwrap_or("unknown"),
            version: text(attr::VERSION).parse().unwrap_or_default(),
            seq: text(attr::SEQ).parse().unwrap_or_default(),
            last_event_type: text(attr::LAST_EVENT_TYPE),
            last_dedupe_key: text(attr::LAST_DEDUPE_KEY),
            updated_at: text(attr::UPDATED_AT),
            location_id: item.text(attr::LOCATION_ID),
            team_location_id: item.text(attr::TEAM_LOCATION_ID),
            order_json: item.text(attr::ORDER),
            decide_by: item.text(attr::DECIDE_BY),
        }))
    }

    /// The typed state (status and snapshot parsed).
    pub fn state(&self) -> Result<OrderState, StoreError> {
        let unreadable = |what: &str, e: serde_json::Error| StoreError::Corrupt(format!("{what}: {e}"));
        Ok(OrderState {
            status: serde_json::from_value(serde_json::Value::String(self.status.to_owned()))
                .map_err(|e| unreadable("status", e))?,
            version: self.version,
            last_event_type: self.last_event_type.to_owned(),
            last_dedupe_key: self.last_dedupe_key.to_owned(),
            location_id: self.location_id.map(str::to_owned),
            team_location_id: self.team_location_id.map(str::to_owned),
            order: self
                .order_json
                .map(serde_json::from_str)
                .transpose()
                .map_err(|e| unreadable("order", e))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_state_item_reads_the_same_from_the_sdk_and_from_the_stream() {
        let sdk: HashMap<String, AttributeValue> = [
            (attr::PK, AttributeValue::S("ORDER#olaclick#PE-1#b".into())),
            (attr::SK, AttributeValue::S(keys::STATE_SK.into())),
            (attr::STATUS, AttributeValue::S("accepted".into())),
            (attr::VERSION, AttributeValue::N("42".into())),
            (attr::LOCATION_ID, AttributeValue::S("777".into())),
            (attr::SEQ, AttributeValue::N("3".into())),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let stream = json!({
            "pk": {"S": "ORDER#olaclick#PE-1#b"}, "sk": {"S": "STATE"},
            "status": {"S": "accepted"}, "version": {"N": "42"}, "location_id": {"S": "777"}, "seq": {"N": "3"}
        });
        let (a, b) = (
            StateImage::read(&sdk).unwrap().unwrap(),
            StateImage::read(&stream).unwrap().unwrap(),
        );
        assert_eq!(a, b);
        assert_eq!(
            (a.provider, a.order_id, a.version, a.seq),
            ("olaclick", "PE-1#b", 42, 3)
        );
        assert_eq!(a.state().unwrap().status.as_str(), "accepted");
        let history = json!({"pk": {"S": "ORDER#olaclick#PE-1"}, "sk": {"S": "EVENT#2026"}});
        assert_eq!(StateImage::read(&history), Ok(None));
        let odd = json!({"pk": {"S": "EVENT#olaclick#x"}, "sk": {"S": "STATE"}});
        assert!(StateImage::read(&odd).is_err());
    }

    #[test]
    fn a_state_keyed_by_store_and_id_reads_the_platforms_id_from_its_attribute() {
        let scoped = json!({
            "pk": {"S": "ORDER#ordatic#st-1:o%3A1"}, "sk": {"S": "STATE"}, "order_id": {"S": "o:1"}
        });
        let image = StateImage::read(&scoped).unwrap().unwrap();
        assert_eq!((image.order_id, image.key), ("o:1", "st-1:o%3A1"));
        let legacy = json!({"pk": {"S": "ORDER#ordatic#o1"}, "sk": {"S": "STATE"}});
        let image = StateImage::read(&legacy).unwrap().unwrap();
        assert_eq!((image.order_id, image.key), ("o1", "o1"));
    }
}
