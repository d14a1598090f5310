//! The table's item layout, known here once: the key formats ([`keys`]), every attribute's
//! name ([`attr`]), the expressions that name them ([`expr`]), and each kind of item —
//! an order's STATE, an event record, a trail entry — written by one function and read
//! by one type, the same way from the SDK's items (the DynamoDB store, the CLI) and from
//! the table stream's images (the publisher).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde::de::DeserializeOwned;

use super::{AckState, AckStatus, NewEvent, OrderState, StoreError, StoredEvent, TrailEntry};
use crate::job::AckJob;
use crate::model::{CanonicalEvent, EventDetail};

pub mod keys {
    pub const EVENT_SK: &str = "EVENT";
    pub const STATE_SK: &str = "STATE";

    pub fn event_pk(provider: &str, event_key: &str) -> String {
        format!("EVENT#{provider}#{event_key}")
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
    /// The Due index's key of an event record (`event_key`) whose job is unclaimed.
    pub fn relay_due(event_key: &str) -> String {
        let hash = (event_key.bytes()).fold(0_u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
        relay_shard((hash % u32::from(RELAY_SHARDS)) as u8)
    }
    pub fn relay_shard(shard: u8) -> String {
        format!("relay#{shard}")
    }
    /// A `due_at` value: RFC 3339 UTC to the second, which sorts as time does.
    pub fn due_at(at: &chrono::DateTime<chrono::Utc>) -> String {
        at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }
    /// Trail entries sort by arrival time, then key, before the STATE item.
    pub fn trail_sk(received_at: &chrono::DateTime<chrono::Utc>, event_key: &str) -> String {
        format!(
            "EVENT#{}#{event_key}",
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
    /// The event that moved the state last (its event key).
    pub const LAST_EVENT_KEY: &str = "last_dedupe_key";
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
    /// `kind` of a trail entry (stored as `history`); its `event` is the canonical event as
    /// JSON text.
    pub const TRAIL_KIND: &str = "history";
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
    /// An event record's and a trail entry's own fields (the event's, copied for scans).
    pub const PROVIDER: &str = "provider";
    /// The event key.
    pub const EVENT_KEY: &str = "dedupe_key";
    pub const EVENT_TYPE: &str = "event_type";
    pub const RECEIVED_AT: &str = "received_at";
    /// The SHA-256 of the delivery's body: tells a retry from a different body under one key.
    pub const BODY_SHA256: &str = "body_sha256";
    /// The delivery's body as received, while the event record lives (`EVENT_TTL_DAYS`).
    pub const RAW_BODY: &str = "raw_body";
    pub const ACK_ATTEMPTS: &str = "ack_attempts";
    /// Until when (epoch seconds) the worker that claimed a job holds it.
    pub const ACK_LEASE_UNTIL: &str = "ack_lease_until";
    /// On a quarantined event record read again: the key it is stored under now.
    pub const REPROCESSED_AS: &str = "reprocessed_as";
    /// On a STATE item: when the ack worker last stored a fetched full order (RFC 3339,
    /// fixed width: compared as text).
    pub const ENRICHED_AT: &str = "enriched_at";
    /// On an erased item: when its customer data was removed.
    pub const ERASED_AT: &str = "erased_at";
    /// `kind` of a location mapping (`pk` = [`super::keys::location_pk`], `sk` = the
    /// platform's location id, [`LOCATION_ID`] = ours).
    pub const LOCATION_KIND: &str = "location";

    /// Every attribute name above, for the checks that no other module spells one.
    pub const ALL: &[&str] = &[
        PK,
        SK,
        KIND,
        STATUS,
        VERSION,
        LAST_EVENT_TYPE,
        LAST_EVENT_KEY,
        UPDATED_AT,
        EXPIRES_AT,
        LOCATION_ID,
        ORDER_ID,
        LOCATION_KEY,
        TEAM_LOCATION_ID,
        TEAM_LOCATION_KEY,
        ORDER,
        DECIDE_BY,
        DUE_KEY,
        DUE_AT,
        JOB,
        TRAIL_ONLY,
        COMMAND,
        EVENT,
        ACK_STATUS,
        ACK_MESSAGE,
        ACK_UPDATED_AT,
        SEQ,
        PROVIDER,
        EVENT_KEY,
        EVENT_TYPE,
        RECEIVED_AT,
        BODY_SHA256,
        RAW_BODY,
        ACK_ATTEMPTS,
        ACK_LEASE_UNTIL,
        REPROCESSED_AS,
        ENRICHED_AT,
        ERASED_AT,
    ];
}

/// Conditions and updates that name attributes; the values (`:name`) are the caller's.
pub mod expr {
    /// A put or update that must create the item.
    pub const NEW: &str = "attribute_not_exists(pk)";
    /// An update of an item that must be there.
    pub const EXISTS: &str = "attribute_exists(pk)";
    /// A worker takes a job: `:taken`, `:lease` (epoch s), `:now`, `:zero`, `:one`; no
    /// longer due for the sweep.
    pub const CLAIM: &str = "SET ack_status = :taken, ack_lease_until = :lease, ack_updated_at = :now, \
         ack_attempts = if_not_exists(ack_attempts, :zero) + :one REMOVE due_key, due_at";
    /// ... if it is waiting, or its holder's lease ran out (`:now_s`, epoch s).
    pub const CLAIMABLE: &str = "attribute_exists(pk) AND (ack_status IN (:pending, :retrying) \
         OR (ack_status = :taken AND ack_lease_until < :now_s))";
    /// A job the queue refused for good: `:failed`, `:message`, `:now`, only while `:pending`.
    pub const REFUSE: &str =
        "SET ack_status = :failed, ack_message = :message, ack_updated_at = :now REMOVE due_key, due_at";
    pub const PENDING: &str = "ack_status = :pending";
    /// An outcome on the trail entry: `:status`, `:message`, `:now`.
    pub const SETTLE_TRAIL: &str = "SET ack_status = :status, ack_message = :message, ack_updated_at = :now";
    /// ... and on the event record, releasing the claim (held: `:taken`).
    pub const SETTLE_EVENT: &str =
        "SET ack_status = :status, ack_message = :message, ack_updated_at = :now REMOVE ack_lease_until";
    pub const HELD: &str = "ack_status = :taken";
    /// The sweep re-stamps an unclaimed job (`#at` = due_at, `#k` = due_key).
    pub const UNCLAIMED: &str = "#k = :k AND ack_status = :pending";
    /// A fetched full order (`#order`, `#kind`, `#status`, `#version`, `#order_id`; BUMP_SEQ
    /// appended by the caller).
    pub const ENRICH: &str = "SET #order = :order, enriched_at = :now, #kind = :kind, \
         #status = if_not_exists(#status, :unknown), #version = if_not_exists(#version, :zero), \
         expires_at = if_not_exists(expires_at, :expires), #order_id = if_not_exists(#order_id, :order_id)";
    /// ... never over an erasure nor over a fetch that finished later.
    pub const ENRICHABLE: &str =
        "attribute_not_exists(erased_at) AND (attribute_not_exists(enriched_at) OR enriched_at <= :now)";
    /// Erasure: the time it first happened.
    pub const ERASED: &str = "SET erased_at = if_not_exists(erased_at, :now)";
    /// Erasure of one attribute (`#a` = `:v`), stamped.
    pub const ERASE: &str = "SET #a = :v, erased_at = :now";
    pub const DROP_RAW_BODY: &str = " REMOVE raw_body";
    /// Reprocessing: the event's reading replaced (`#event`), on an event record or a trail entry.
    pub const SET_EVENT: &str = "SET #event = :event, event_type = :type, dedupe_key = :key";
    /// ... and, for a trail entry written anew, its expiry and kind.
    pub const SET_TRAIL: &str = ", expires_at = :exp, kind = :trail";
    /// Reprocessing's scans of a platform's event records (`:prefix`, `:event`), then one of:
    pub const EVENT_RECORDS: &str = "begins_with(pk, :prefix) AND sk = :event";
    pub const QUARANTINED_NOT_REPROCESSED: &str = "event_type = :q AND attribute_not_exists(reprocessed_as)";
    pub const RECEIVED_BETWEEN: &str = "received_at BETWEEN :since AND :until";
    /// Scans of a platform's order STATE items (`:prefix`, `:state`).
    pub const STATE_ITEMS: &str = "begins_with(pk, :prefix) AND sk = :state";
    /// Queries of one partition (`:pk`).
    pub const PARTITION: &str = "pk = :pk";
    /// Rekeying: a state put over one not changed since it was read (`#seq`, `:seen`).
    pub const UNCHANGED_SINCE: &str = "attribute_exists(pk) AND (attribute_not_exists(#seq) OR #seq = :seen)";

    /// Every expression above, for the check that each names only attributes of [`super::attr`].
    pub const ALL: &[&str] = &[
        NEW,
        EXISTS,
        CLAIM,
        CLAIMABLE,
        REFUSE,
        PENDING,
        SETTLE_TRAIL,
        SETTLE_EVENT,
        HELD,
        UNCLAIMED,
        ENRICH,
        ENRICHABLE,
        ERASED,
        ERASE,
        DROP_RAW_BODY,
        SET_EVENT,
        SET_TRAIL,
        EVENT_RECORDS,
        QUARANTINED_NOT_REPROCESSED,
        RECEIVED_BETWEEN,
        STATE_ITEMS,
        PARTITION,
        UNCHANGED_SINCE,
    ];
}

/// An item whose attributes do not read as its kind's: our own data gone wrong (a 503 and
/// `Misconfigured` on a request; a record logged and skipped by the publisher).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ItemError {
    #[error("unexpected key {0}")]
    Key(String),
    #[error("{item} has no {attribute}")]
    Missing {
        item: &'static str,
        attribute: &'static str,
    },
    #[error("{item}'s {attribute} does not read: {problem}")]
    Unreadable {
        item: &'static str,
        attribute: &'static str,
        problem: String,
    },
}

impl From<ItemError> for StoreError {
    fn from(e: ItemError) -> Self {
        StoreError::Corrupt(e.to_string())
    }
}

/// Read access to one item's attributes.
pub trait Attributes {
    /// A string or number attribute as its text.
    fn text(&self, name: &str) -> Option<&str>;
    /// A boolean attribute.
    fn flag(&self, name: &str) -> Option<bool>;

    fn number(&self, name: &str) -> Option<i64> {
        self.text(name)?.parse().ok()
    }

    /// `name`'s JSON text read as `T`; `item` names the kind of item in the error.
    fn json<T: DeserializeOwned>(&self, item: &'static str, name: &'static str) -> Result<T, ItemError> {
        let text = self.text(name).ok_or(ItemError::Missing {
            item,
            attribute: name,
        })?;
        serde_json::from_str(text).map_err(|e| ItemError::Unreadable {
            item,
            attribute: name,
            problem: e.to_string(),
        })
    }

    /// The acknowledgement recorded on the item.
    fn ack(&self) -> AckState {
        AckState {
            status: self
                .text(attr::ACK_STATUS)
                .and_then(AckStatus::parse)
                .unwrap_or_default(),
            attempts: self
                .number(attr::ACK_ATTEMPTS)
                .and_then(|a| a.try_into().ok())
                .unwrap_or_default(),
            message: self.text(attr::ACK_MESSAGE).map(str::to_owned),
            updated_at: self.text(attr::ACK_UPDATED_AT).map(str::to_owned),
        }
    }
}

/// An item as the SDK returns it.
impl Attributes for HashMap<String, AttributeValue> {
    fn text(&self, name: &str) -> Option<&str> {
        match self.get(name)? {
            AttributeValue::S(v) | AttributeValue::N(v) => Some(v),
            _ => None,
        }
    }

    fn flag(&self, name: &str) -> Option<bool> {
        self.get(name)?.as_bool().ok().copied()
    }
}

/// An image in a stream record, in DynamoDB JSON (`{"S": "…"}`, `{"N": "…"}`).
impl Attributes for serde_json::Value {
    fn text(&self, name: &str) -> Option<&str> {
        let v = self.get(name)?;
        v.get("S").or_else(|| v.get("N"))?.as_str()
    }

    fn flag(&self, name: &str) -> Option<bool> {
        self.get(name)?.get("BOOL")?.as_bool()
    }
}

pub type Item = HashMap<String, AttributeValue>;

pub fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// A value stored as its JSON text (an event, a job, an order snapshot).
pub fn json<T: serde::Serialize>(v: &T) -> AttributeValue {
    s(serde_json::to_string(v).expect("canonical types serialize"))
}

/// An event record: one per delivery (`EVENT#<provider>#<key>`, `EVENT`), holding the
/// canonical event, the body while it lives, and the ack job with its outcome (the outbox).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventImage<'a> {
    /// The canonical event, as stored JSON text.
    pub event: &'a str,
    pub job: Option<&'a str>,
    pub ack_status: Option<AckStatus>,
}

impl<'a> EventImage<'a> {
    const ITEM: &'static str = "an event record";

    /// The event record `item` is, `None` for any other item.
    pub fn read(item: &'a impl Attributes) -> Result<Option<EventImage<'a>>, ItemError> {
        if item.text(attr::SK) != Some(keys::EVENT_SK) {
            return Ok(None);
        }
        let event = item.text(attr::EVENT).ok_or(ItemError::Missing {
            item: Self::ITEM,
            attribute: attr::EVENT,
        })?;
        Ok(Some(EventImage {
            event,
            job: item.text(attr::JOB),
            ack_status: item.text(attr::ACK_STATUS).and_then(AckStatus::parse),
        }))
    }

    /// Its job, while the outbox has it to relay (`pending`).
    pub fn pending_job(&self) -> Result<Option<AckJob>, ItemError> {
        match self.job {
            Some(job) if self.ack_status == Some(AckStatus::Pending) => serde_json::from_str(job)
                .map(Some)
                .map_err(|e| ItemError::Unreadable {
                    item: Self::ITEM,
                    attribute: attr::JOB,
                    problem: e.to_string(),
                }),
            _ => Ok(None),
        }
    }

    /// Everything the record holds, typed.
    pub fn stored(item: &impl Attributes) -> Result<StoredEvent, ItemError> {
        let what = Self::ITEM;
        Ok(StoredEvent {
            event: item.json(what, attr::EVENT)?,
            raw_body: item.text(attr::RAW_BODY).map(str::to_owned),
            job: item
                .text(attr::JOB)
                .map(|_| item.json(what, attr::JOB))
                .transpose()?,
            ack: item.ack(),
            expires_at: item.number(attr::EXPIRES_AT).unwrap_or_default(),
            reprocessed_as: item.text(attr::REPROCESSED_AS).map(str::to_owned),
        })
    }

    /// The item for a new delivery: `event` is the event's JSON (made once for it and its
    /// trail entry); a job waits for the outbox (`pending`) and is due for the sweep.
    pub fn item(new: &NewEvent<'_>, event: AttributeValue) -> Item {
        let e = new.event;
        let ack = new.job.map_or(AckStatus::Skipped, |_| AckStatus::Pending);
        let mut item: Item = HashMap::from([
            (attr::PK.into(), s(keys::event_pk(&e.provider, &e.event_key.0))),
            (attr::SK.into(), s(keys::EVENT_SK)),
            (attr::KIND.into(), s(attr::EVENT_KIND)),
            (attr::PROVIDER.into(), s(&e.provider)),
            (attr::EVENT_KEY.into(), s(&e.event_key.0)),
            (attr::EVENT_TYPE.into(), s(&e.event_type)),
            (attr::RECEIVED_AT.into(), s(e.received_at.to_rfc3339())),
            (attr::BODY_SHA256.into(), s(&e.body_sha256)),
            (attr::EVENT.into(), event),
            (attr::ACK_STATUS.into(), s(ack.as_str())),
            (attr::ACK_ATTEMPTS.into(), n(0)),
            (attr::EXPIRES_AT.into(), n(new.expires_at)),
        ]);
        if let Some(change) = &e.change {
            item.insert(attr::ORDER_ID.into(), s(&change.order_id));
        }
        if let Some(job) = new.job {
            item.insert(attr::JOB.into(), json(job));
            // Until a worker claims it (the sweep's way to find a job the relay lost).
            item.insert(attr::DUE_KEY.into(), s(keys::relay_due(&e.event_key.0)));
            item.insert(attr::DUE_AT.into(), s(keys::due_at(&e.received_at)));
        }
        if let Some(body) = new.raw_body {
            item.insert(attr::RAW_BODY.into(), s(body));
        }
        item
    }

    /// The delivery's body hash on an event record (what a duplicate is compared by).
    pub fn body_sha256(item: &impl Attributes) -> Option<&str> {
        item.text(attr::BODY_SHA256)
    }
}

/// A trail entry: one per event of an order, under the order's key
/// ([`keys::trail_sk`]), with the outcome of the event's job when it had one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrailImage<'a> {
    /// The canonical event, as stored JSON text.
    pub event: &'a str,
    /// An event that does not move the order's state (published as `Order Event`).
    pub trail_only: bool,
    /// A restaurant's command (its outcome is published).
    pub command: bool,
    /// The outcome of its job, once recorded here.
    pub ack: Option<AckState>,
}

impl<'a> TrailImage<'a> {
    const ITEM: &'static str = "a trail entry";

    /// The trail entry `item` is, `None` for any other item.
    pub fn read(item: &'a impl Attributes) -> Result<Option<TrailImage<'a>>, ItemError> {
        let pk = item.text(attr::PK).unwrap_or_default();
        let sk = item.text(attr::SK).unwrap_or_default();
        if keys::parse_order_pk(pk).is_none() || sk == keys::STATE_SK {
            return Ok(None);
        }
        let event = item.text(attr::EVENT).ok_or(ItemError::Missing {
            item: Self::ITEM,
            attribute: attr::EVENT,
        })?;
        Ok(Some(TrailImage {
            event,
            trail_only: item.flag(attr::TRAIL_ONLY) == Some(true),
            command: item.flag(attr::COMMAND) == Some(true),
            ack: item.text(attr::ACK_STATUS).is_some().then(|| item.ack()),
        }))
    }

    pub fn event(&self) -> Result<CanonicalEvent, ItemError> {
        serde_json::from_str(self.event).map_err(|e| ItemError::Unreadable {
            item: Self::ITEM,
            attribute: attr::EVENT,
            problem: e.to_string(),
        })
    }

    pub fn entry(&self) -> Result<TrailEntry, ItemError> {
        Ok(TrailEntry {
            event: self.event()?,
            ack: self.ack.clone(),
        })
    }

    /// The entry for `e` on the trail of the order stored under `order_key`.
    pub fn item(e: &CanonicalEvent, order_key: &str, expires_at: i64, event: AttributeValue) -> Item {
        let mut item: Item = HashMap::from([
            (attr::EXPIRES_AT.into(), n(expires_at)),
            (attr::PK.into(), s(keys::order_pk(&e.provider, order_key))),
            (attr::SK.into(), s(keys::trail_sk(&e.received_at, &e.event_key.0))),
            (attr::KIND.into(), s(attr::TRAIL_KIND)),
            (attr::EVENT_TYPE.into(), s(&e.event_type)),
            (attr::EVENT_KEY.into(), s(&e.event_key.0)),
            (attr::EVENT.into(), event),
        ]);
        // Recorded on the trail without moving the state (a rider's progress, a refund):
        // published downstream as an `Order Event` (the stream filter selects on it).
        if matches!(e.detail, Some(EventDetail::Command(_))) {
            item.insert(attr::COMMAND.into(), AttributeValue::Bool(true));
        } else if e.change.as_ref().is_some_and(|c| c.status.is_none()) && e.quarantined.is_none() {
            item.insert(attr::TRAIL_ONLY.into(), AttributeValue::Bool(true));
        }
        item
    }
}

/// A location mapping: the platform's location id (`sk`) and ours.
pub struct LocationImage;

impl LocationImage {
    pub fn item(provider: &str, platform_id: &str, team_id: &str) -> Item {
        HashMap::from([
            (attr::PK.into(), s(keys::location_pk(provider))),
            (attr::SK.into(), s(platform_id)),
            (attr::KIND.into(), s(attr::LOCATION_KIND)),
            (attr::LOCATION_ID.into(), s(team_id)),
            (attr::UPDATED_AT.into(), s(chrono::Utc::now().to_rfc3339())),
        ])
    }

    /// (the platform's id, ours) of a mapping item.
    pub fn read(item: &impl Attributes) -> Option<(&str, &str)> {
        Some((item.text(attr::SK)?, item.text(attr::LOCATION_ID)?))
    }
}

/// `item` as the table's stream carries it (DynamoDB JSON: `{"S": …}`, `{"N": …}`,
/// `{"BOOL": …}`), for tests and benchmarks of what reads the stream.
pub fn stream_image(item: &Item) -> serde_json::Value {
    let value = |v: &AttributeValue| match v {
        AttributeValue::S(t) => serde_json::json!({ "S": t }),
        AttributeValue::N(t) => serde_json::json!({ "N": t }),
        AttributeValue::Bool(b) => serde_json::json!({ "BOOL": b }),
        other => unreachable!("the codec writes no {other:?}"),
    };
    item.iter().map(|(k, v)| (k.clone(), value(v))).collect()
}

/// The key of the item `pk`/`sk` name.
pub fn key(pk: impl Into<String>, sk: impl Into<String>) -> Item {
    HashMap::from([(attr::PK.into(), s(pk)), (attr::SK.into(), s(sk))])
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
    pub last_event_key: &'a str,
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
    pub fn read(item: &'a impl Attributes) -> Result<Option<StateImage<'a>>, ItemError> {
        if item.text(attr::SK) != Some(keys::STATE_SK) {
            return Ok(None);
        }
        let pk = item.text(attr::PK).unwrap_or_default();
        let (provider, key) = keys::parse_order_pk(pk).ok_or_else(|| ItemError::Key(pk.to_owned()))?;
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
            last_event_key: text(attr::LAST_EVENT_KEY),
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
            last_event_key: self.last_event_key.to_owned(),
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

    fn trail_only_event() -> CanonicalEvent {
        serde_json::from_value(json!({
            "schema": 1, "provider": "ordatic", "event_key": "evt-1", "event_type": "rider.arrived",
            "received_at": "2026-12-05T10:00:00Z", "body_sha256": "abc", "raw_body": {"stored": "inline"},
            "change": {"order_id": "o-1", "key": "st-1:o-1"}
        }))
        .unwrap()
    }

    #[test]
    fn an_event_record_reads_back_what_was_written_from_the_sdk_and_the_stream() {
        let event = trail_only_event();
        let job = AckJob::for_event(&event, &json!({"action": "none"}));
        let new = NewEvent {
            event: &event,
            raw_body: Some("{}"),
            job: Some(&job),
            expires_at: 7,
            order_expires_at: 9,
        };
        let sdk = EventImage::item(&new, s(serde_json::to_string(&event).unwrap()));
        let stream = stream_image(&sdk);
        let (a, b) = (
            EventImage::read(&sdk).unwrap().unwrap(),
            EventImage::read(&stream).unwrap().unwrap(),
        );
        assert_eq!(a, b);
        assert_eq!(a.ack_status, Some(AckStatus::Pending));
        assert_eq!(a.pending_job().unwrap(), Some(job.clone()));
        let stored = EventImage::stored(&sdk).unwrap();
        assert_eq!(stored, EventImage::stored(&stream).unwrap());
        assert_eq!(
            (
                stored.event,
                stored.job,
                stored.raw_body.as_deref(),
                stored.expires_at
            ),
            (event.clone(), Some(job), Some("{}"), 7)
        );
        assert_eq!(EventImage::body_sha256(&sdk), Some("abc"));
        let trail = TrailImage::item(&event, "st-1:o-1", 9, s("{}"));
        assert_eq!(
            EventImage::read(&trail),
            Ok(None),
            "a trail entry is not an event record"
        );
    }

    #[test]
    fn a_trail_entry_reads_back_what_was_written_from_the_sdk_and_the_stream() {
        let event = trail_only_event();
        let sdk = TrailImage::item(&event, "st-1:o-1", 9, s(serde_json::to_string(&event).unwrap()));
        let stream = stream_image(&sdk);
        let (a, b) = (
            TrailImage::read(&sdk).unwrap().unwrap(),
            TrailImage::read(&stream).unwrap().unwrap(),
        );
        assert_eq!(a, b);
        assert_eq!((a.trail_only, a.command, a.ack.as_ref()), (true, false, None));
        assert_eq!(a.entry().unwrap().event, event);
        let mut settled = sdk.clone();
        settled.insert(attr::ACK_STATUS.into(), s("acked"));
        settled.insert(attr::ACK_MESSAGE.into(), s("status 20 sent"));
        let ack = TrailImage::read(&settled).unwrap().unwrap().ack.unwrap();
        assert_eq!(
            (ack.status, ack.message.as_deref()),
            (AckStatus::Acked, Some("status 20 sent"))
        );
        let state = json!({"pk": {"S": "ORDER#ordatic#st-1:o-1"}, "sk": {"S": "STATE"}});
        assert_eq!(TrailImage::read(&state), Ok(None));
        let broken = json!({"pk": {"S": "ORDER#ordatic#st-1:o-1"}, "sk": {"S": "EVENT#2026"}});
        assert_eq!(
            TrailImage::read(&broken),
            Err(ItemError::Missing {
                item: "a trail entry",
                attribute: attr::EVENT
            })
        );
    }

    #[test]
    fn every_name_an_expression_uses_is_an_attribute() {
        let keywords = [
            "SET",
            "REMOVE",
            "ADD",
            "AND",
            "OR",
            "IN",
            "BETWEEN",
            "if_not_exists",
            "attribute_exists",
            "attribute_not_exists",
            "begins_with",
        ];
        for e in expr::ALL {
            let words = e.split(|c: char| !(c.is_ascii_alphanumeric() || "_:#".contains(c)));
            for word in words.filter(|w| !w.is_empty() && !w.starts_with([':', '#'])) {
                assert!(
                    keywords.contains(&word) || attr::ALL.contains(&word),
                    "{word} in {e:?} is not an attribute"
                );
            }
        }
    }

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
        let trail = json!({"pk": {"S": "ORDER#olaclick#PE-1"}, "sk": {"S": "EVENT#2026"}});
        assert_eq!(StateImage::read(&trail), Ok(None));
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
