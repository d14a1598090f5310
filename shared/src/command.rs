//! Commands from the restaurant about its orders: accept, reject, or move an order to a
//! new status on the platform it came from.
//!
//! A command reaches ordergate as an `Order Status Requested` event on the stack's bus (the
//! commands function) or from `ordergate status`; both call [`submit`]. It is validated
//! against the stored order (known, the transition moves it forward, the platform takes
//! that status, a reason where the platform needs one), then recorded like a delivery: an
//! event record keyed by its command id (the same command twice is one record, one call),
//! an entry on the order's trail, and its job for the ack worker, which the outbox queues
//! in the order's FIFO group. The worker's outcome on the trail entry is what the publisher
//! announces: `Order Status Sent` or `Order Status Failed`.

pub mod acceptance;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::job::AckJob;
use crate::model::{
    CanonicalEvent, EventDetail, EventKey, OrderChange, OrderStatus, RawBodyRef, SCHEMA_VERSION,
};
use crate::store::{
    AckStatus, EventStore, NewEvent, OrderState, OrderView, Recorded, StoreError, TrailEntry,
};
use crate::{Limits, Provider};

/// The bus event's detail type, and its detail's version (`schemas/order-status-requested.json`).
pub const REQUESTED: &str = "Order Status Requested";
pub const VERSION: u32 = 1;
/// What the commands function publishes when it refuses a command from the bus.
pub const REJECTED: &str = "Order Status Rejected";
/// A reason longer than this is refused (platforms show it to customers).
pub const MAX_REASON: usize = 500;

/// One command: the detail of an `Order Status Requested` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusCommand {
    pub version: u32,
    /// Your id for this command: sending it again is one call to the platform.
    pub command_id: String,
    /// The platform the order came from (`deliverect`, `ordatic`, …).
    pub provider: String,
    /// The platform's order id, as in `Order Changed` events.
    pub order_id: String,
    /// The platform's location id, for platforms whose order ids are unique only per
    /// location (Ordatic: the store id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location_id: Option<String>,
    pub status: Requested,
    /// Why (required to reject or fail an order on Deliverect).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The POS's receipt id (Deliverect's `receiptId`; the order id when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt_id: Option<String>,
    /// A new pickup time to send with the status (Deliverect's `pickupTime`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pickup_time: Option<DateTime<Utc>>,
}

/// The statuses a restaurant can ask for, in the order an order goes through them; the
/// last three end it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Requested {
    Accepted,
    Preparing,
    Prepared,
    Ready,
    PickedUp,
    Completed,
    Rejected,
    Cancelled,
    Failed,
}

impl Requested {
    pub const ALL: [Requested; 9] = [
        Requested::Accepted,
        Requested::Preparing,
        Requested::Prepared,
        Requested::Ready,
        Requested::PickedUp,
        Requested::Completed,
        Requested::Rejected,
        Requested::Cancelled,
        Requested::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Requested::Accepted => "accepted",
            Requested::Preparing => "preparing",
            Requested::Prepared => "prepared",
            Requested::Ready => "ready",
            Requested::PickedUp => "picked_up",
            Requested::Completed => "completed",
            Requested::Rejected => "rejected",
            Requested::Cancelled => "cancelled",
            Requested::Failed => "failed",
        }
    }

    pub fn parse(word: &str) -> Option<Requested> {
        Requested::ALL.into_iter().find(|r| r.as_str() == word)
    }

    /// How far along an order this status is, on [`OrderStatus::rank`]'s scale; `None`
    /// for the statuses that end an order.
    fn rank(self) -> Option<u8> {
        match self {
            Requested::Accepted => Some(OrderStatus::Accepted.rank()),
            Requested::Preparing => Some(OrderStatus::Preparing.rank()),
            // Between preparing and ready: no canonical order status of its own.
            Requested::Prepared => Some(OrderStatus::Preparing.rank() + 5),
            Requested::Ready => Some(OrderStatus::Ready.rank()),
            Requested::PickedUp => Some(OrderStatus::PickedUp.rank()),
            Requested::Completed => Some(OrderStatus::Completed.rank()),
            Requested::Rejected | Requested::Cancelled | Requested::Failed => None,
        }
    }

    /// Accepting or rejecting a new order: one per order, whoever decides first.
    pub fn is_decision(self) -> bool {
        matches!(self, Requested::Accepted | Requested::Rejected)
    }

    /// Whether nothing may follow it.
    fn ends(self) -> bool {
        matches!(self, Requested::Completed) || self.rank().is_none()
    }
}

impl std::fmt::Display for Requested {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A new order waiting for the restaurant to accept or reject it (manual acceptance):
/// until `until`; then `then` applies (with `reason` for a rejection), as a command of its
/// own, unless the restaurant decided first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub until: DateTime<Utc>,
    pub then: Requested,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The command id of the decision that applies when the window passes.
pub const WINDOW_PASSED: &str = "decision-window-passed";

impl Decision {
    /// The command the window's end applies to the job's order.
    pub fn command(&self, job: &AckJob) -> StatusCommand {
        StatusCommand {
            version: VERSION,
            command_id: WINDOW_PASSED.to_owned(),
            provider: job.provider.clone(),
            order_id: job.order_id.clone().unwrap_or_default(),
            location_id: job.location_id.clone(),
            status: self.then,
            reason: self.reason.clone(),
            receipt_id: None,
            pickup_time: None,
        }
    }
}

/// Why a command is not carried out (nothing is stored or sent).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("{0}")]
    Invalid(String),
    #[error("no {platform} order {order_id} is stored")]
    UnknownOrder { platform: String, order_id: String },
    #[error("{platform} takes no '{status}' status from a restaurant: {why}")]
    NotSupported {
        platform: String,
        status: Requested,
        why: String,
    },
    #[error("{platform} needs a reason to mark an order {status}")]
    ReasonRequired { platform: String, status: Requested },
    #[error("the order is {current}: it cannot become {status}")]
    IllegalTransition { current: String, status: Requested },
    #[error("command id {0} was already used for a different command")]
    Reused(String),
    /// The order was accepted or rejected already (one decision per order).
    #[error("the order was already {0}")]
    Decided(Requested),
}

impl Refusal {
    /// A stable word for scripts and the `Order Status Rejected` event.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Invalid(_) => "invalid_command",
            Refusal::UnknownOrder { .. } => "unknown_order",
            Refusal::NotSupported { .. } => "status_not_supported",
            Refusal::ReasonRequired { .. } => "reason_required",
            Refusal::IllegalTransition { .. } => "illegal_transition",
            Refusal::Reused(_) => "command_id_reused",
            Refusal::Decided(_) => "already_decided",
        }
    }

    /// [`Refusal::NotSupported`] for `platform`.
    pub fn not_supported(platform: &str, status: Requested, why: impl Into<String>) -> Refusal {
        Refusal::NotSupported {
            platform: platform.to_owned(),
            status,
            why: why.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The table could not be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A command taken: recorded with its job (or recorded before, for a repeat).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Submitted {
    /// The command's event key (`ordergate event <platform> <key>`).
    pub event_key: String,
    /// True when this command id was recorded before (nothing new is sent).
    pub duplicate: bool,
}

impl StatusCommand {
    /// The event key it is recorded under: one per command id and platform; for a
    /// decision (accept, reject), one per order, so an order is decided once.
    pub fn event_key<P: Provider>(&self) -> Result<EventKey, Refusal> {
        Ok(if self.status.is_decision() {
            EventKey::joined(["decision", &self.order_key::<P>()?])
        } else {
            EventKey::joined(["command", &self.command_id])
        })
    }

    /// What the order is stored under.
    fn order_key<P: Provider>(&self) -> Result<String, Refusal> {
        let location = self.location_id.as_deref();
        OrderChange::stored_key(P::ORDER_IDS_PER_LOCATION, location, &self.order_id).ok_or_else(|| {
            Refusal::Invalid(format!(
                "{} order ids are unique only per location: give the order's location_id",
                P::NAME
            ))
        })
    }

    fn check(&self) -> Result<(), Refusal> {
        let invalid = |e: crate::ApiError| Refusal::Invalid(e.to_string());
        if self.version != VERSION {
            return Err(Refusal::Invalid(format!(
                "version {} is not one this stack reads ({VERSION})",
                self.version
            )));
        }
        crate::pipeline::check_id("command_id", &self.command_id).map_err(invalid)?;
        crate::pipeline::check_id("order_id", &self.order_id).map_err(invalid)?;
        for (what, id) in [
            ("location_id", &self.location_id),
            ("receipt_id", &self.receipt_id),
        ] {
            if let Some(id) = id {
                crate::pipeline::check_id(what, id).map_err(invalid)?;
            }
        }
        match &self.reason {
            Some(r) if r.chars().count() > MAX_REASON || r.chars().any(char::is_control) => {
                Err(Refusal::Invalid(format!(
                    "reason must be at most {MAX_REASON} characters of one line"
                )))
            }
            _ => Ok(()),
        }
    }

    /// The reason, which must be given and not blank.
    pub fn required_reason<P: Provider>(&self) -> Result<&str, Refusal> {
        match self.reason.as_deref().map(str::trim) {
            Some(r) if !r.is_empty() => Ok(r),
            _ => Err(Refusal::ReasonRequired {
                platform: P::NAME.to_owned(),
                status: self.status,
            }),
        }
    }
}

/// An earlier command on an order's trail, with how its sending went.
struct Earlier<'a> {
    key: &'a EventKey,
    status: Requested,
    ack: AckStatus,
}

fn commands(view: &OrderView) -> impl Iterator<Item = Earlier<'_>> {
    view.trail.iter().filter_map(|entry| match &entry.detail {
        Some(EventDetail::Command(c)) => Some(Earlier {
            key: &entry.event_key,
            status: c.status,
            ack: entry.ack.as_ref().map(|a| a.status).unwrap_or_default(),
        }),
        _ => None,
    })
}

/// Whether `wanted` may follow what the order is (its stored status and the commands
/// already taken that did not fail). Forward only; rejecting only before acceptance;
/// nothing after an order ended.
fn transition(state: &OrderState, view: &OrderView, wanted: Requested) -> Result<(), Refusal> {
    let taken: Vec<Requested> = commands(view)
        .filter(|c| c.ack != AckStatus::Failed)
        .map(|c| c.status)
        .collect();
    let illegal = |current: &str| {
        Err(Refusal::IllegalTransition {
            current: current.to_owned(),
            status: wanted,
        })
    };
    if let Some(end) = taken.iter().find(|c| c.ends()) {
        return illegal(end.as_str());
    }
    if matches!(
        state.status,
        OrderStatus::Completed | OrderStatus::Cancelled | OrderStatus::Failed
    ) {
        return illegal(state.status.as_str());
    }
    let (current, rank) = taken
        .iter()
        .filter_map(|c| Some((c.as_str(), c.rank()?)))
        .chain([(state.status.as_str(), state.status.rank())])
        .max_by_key(|(_, rank)| *rank)
        .expect("the state is always there");
    let allowed = match wanted.rank() {
        Some(next) => next > rank,
        None if wanted == Requested::Rejected => rank < OrderStatus::Accepted.rank(),
        None => true,
    };
    if allowed {
        Ok(())
    } else {
        illegal(current)
    }
}

/// Validates and records `command` for platform `P` (see the module's documentation).
pub async fn submit<P: Provider, S: EventStore>(
    store: &S,
    command: &StatusCommand,
    limits: &Limits,
    now: DateTime<Utc>,
) -> Result<Submitted, CommandError> {
    command.check()?;
    let key = command.order_key::<P>()?;
    let event_key = command.event_key::<P>()?;
    let view = store.order(P::NAME, &key).await?;
    let body = serde_json::to_string(command).expect("plain data");
    let body_sha256 = crate::verify::sha256_hex(body.as_bytes());
    if let Some(earlier) = view.trail.iter().find(|e| e.event_key == event_key) {
        return repeat(earlier.body_sha256 == body_sha256, event_key, decision(earlier));
    }
    let state = view.state.as_ref().ok_or_else(|| Refusal::UnknownOrder {
        platform: P::NAME.to_owned(),
        order_id: command.order_id.clone(),
    })?;
    let ack = P::command(command)?;
    transition(state, &view, command.status)?;
    let event = CanonicalEvent {
        schema: SCHEMA_VERSION,
        provider: P::NAME.to_owned(),
        event_key: event_key.clone(),
        event_type: format!("command.{}", command.status),
        location_id: state.location_id.clone(),
        team_location_id: state.team_location_id.clone(),
        occurred_at: None,
        received_at: now,
        change: Some(OrderChange {
            order_id: command.order_id.clone(),
            key: P::ORDER_IDS_PER_LOCATION.then(|| key.clone()),
            status: None,
            stage: 0,
            order: None,
            awaiting: None,
        }),
        detail: Some(EventDetail::Command(command.clone())),
        warnings: Vec::new(),
        quarantined: None,
        body_sha256,
        message_id: None,
        raw_body: RawBodyRef::Inline,
    };
    let mut job = AckJob::for_event(&event, &ack);
    // Commands not yet settled go first: the worker holds this one back until they are.
    job.after = commands(&view)
        .filter(|c| !c.ack.is_settled())
        .last()
        .map(|c| c.key.clone());
    let received = now.timestamp();
    let recorded = store
        .record(NewEvent {
            event: &event,
            raw_body: Some(&body),
            job: Some(&job),
            expires_at: received + limits.event_ttl.as_secs() as i64,
            order_expires_at: received + limits.order_ttl.as_secs() as i64,
        })
        .await?;
    match recorded {
        Recorded::New { .. } => Ok(Submitted {
            event_key: event_key.0,
            duplicate: false,
        }),
        // Recorded meanwhile (this command from another caller, or another decision).
        Recorded::Duplicate { same_body } => {
            let view = store.order(P::NAME, &key).await?;
            let winner = view.trail.iter().find(|e| e.event_key == event_key);
            repeat(same_body, event_key, winner.and_then(decision))
        }
    }
}

/// The decision a trail entry records, if it is one.
fn decision(entry: &TrailEntry) -> Option<Requested> {
    match &entry.detail {
        Some(EventDetail::Command(c)) if c.status.is_decision() => Some(c.status),
        _ => None,
    }
}

/// A command recorded before under `key`: the same one again, or another one (`decided`:
/// the decision an order already has).
fn repeat(same: bool, key: EventKey, decided: Option<Requested>) -> Result<Submitted, CommandError> {
    match (same, decided) {
        (true, _) => Ok(Submitted {
            event_key: key.0,
            duplicate: true,
        }),
        (false, Some(decision)) => Err(Refusal::Decided(decision).into()),
        (false, None) => Err(Refusal::Reused(key.0).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(status: OrderStatus) -> OrderState {
        OrderState {
            status,
            version: 1,
            last_event_type: "t".into(),
            last_event_key: "k".into(),
            location_id: None,
            team_location_id: None,
            order: None,
        }
    }

    fn illegal(current: impl ToString, status: Requested) -> Result<(), Refusal> {
        Err(Refusal::IllegalTransition {
            current: current.to_string(),
            status,
        })
    }

    fn check(
        status: OrderStatus,
        taken: &[(Requested, AckStatus)],
        wanted: Requested,
    ) -> Result<(), Refusal> {
        let mut view = OrderView::default();
        for (i, (status, ack)) in taken.iter().enumerate() {
            let command = StatusCommand {
                version: VERSION,
                command_id: format!("c{i}"),
                provider: "deliverect".into(),
                order_id: "o".into(),
                location_id: None,
                status: *status,
                reason: None,
                receipt_id: None,
                pickup_time: None,
            };
            let event: CanonicalEvent = serde_json::from_value(serde_json::json!({
                "schema": 1, "provider": "deliverect", "event_key": format!("command:c{i}"),
                "event_type": "command", "received_at": "2026-12-05T10:00:00Z", "body_sha256": "",
                "raw_body": {"stored": "inline"}
            }))
            .unwrap();
            view.trail.push(crate::store::TrailEntry {
                event: CanonicalEvent {
                    detail: Some(EventDetail::Command(command)),
                    ..event
                },
                ack: Some(crate::store::AckState {
                    status: *ack,
                    ..Default::default()
                }),
            });
        }
        transition(&state(status), &view, wanted)
    }

    #[test]
    fn orders_move_forward_only() {
        use Requested::*;
        let placed = OrderStatus::Placed;
        for wanted in [
            Accepted, Preparing, Prepared, Ready, PickedUp, Completed, Rejected, Cancelled, Failed,
        ] {
            assert_eq!(check(placed, &[], wanted), Ok(()), "{wanted}");
        }
        assert_eq!(check(OrderStatus::Preparing, &[], Ready), Ok(()));
        assert_eq!(
            illegal("ready", Preparing).unwrap_err().to_string(),
            "the order is ready: it cannot become preparing"
        );
        assert_eq!(
            check(OrderStatus::Ready, &[], Preparing),
            illegal("ready", Preparing)
        );
        assert_eq!(
            check(placed, &[(Ready, AckStatus::Pending)], Preparing),
            illegal("ready", Preparing),
            "a command already taken counts before it is sent"
        );
        assert_eq!(
            check(placed, &[(Ready, AckStatus::Failed)], Preparing),
            Ok(()),
            "a command the platform refused does not"
        );
        assert_eq!(
            check(placed, &[(Preparing, AckStatus::Acked)], Preparing),
            illegal("preparing", Preparing)
        );
    }

    #[test]
    fn rejection_comes_before_acceptance_and_nothing_follows_an_end() {
        use Requested::*;
        assert!(check(OrderStatus::Accepted, &[], Rejected).is_err());
        assert!(check(OrderStatus::Placed, &[(Accepted, AckStatus::Acked)], Rejected).is_err());
        assert_eq!(check(OrderStatus::Ready, &[], Cancelled), Ok(()));
        for end in [Rejected, Cancelled, Failed, Completed] {
            assert_eq!(
                check(OrderStatus::Placed, &[(end, AckStatus::Acked)], Failed),
                illegal(end, Failed)
            );
        }
        assert_eq!(
            check(OrderStatus::Cancelled, &[], Ready),
            illegal("cancelled", Ready)
        );
    }

    #[test]
    fn statuses_read_and_write_as_their_words() {
        for r in Requested::ALL {
            assert_eq!(Requested::parse(r.as_str()), Some(r));
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        }
        assert_eq!(Requested::parse("done"), None);
    }

    #[test]
    fn a_command_reads_from_its_documented_json_only() {
        let json = serde_json::json!({
            "version": 1, "command_id": "c-1", "provider": "deliverect", "order_id": "o1",
            "status": "rejected", "reason": "Kitchen closed"
        });
        let c: StatusCommand = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(
            (c.status, c.reason.as_deref()),
            (Requested::Rejected, Some("Kitchen closed"))
        );
        assert_eq!(serde_json::to_value(&c).unwrap(), json);
        let mut typo = json;
        typo["reasn"] = "x".into();
        assert!(serde_json::from_value::<StatusCommand>(typo).is_err());
    }
}
