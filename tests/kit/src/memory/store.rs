use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};

use ordergate_shared::job::AckJob;
use ordergate_shared::model::{CanonicalEvent, OrderStatus};
use ordergate_shared::store::{
    keys, AckOutcome, AckState, AckStatus, Claim, EventStore, NewEvent, OrderState, OrderView, Recorded,
    StoreError, StoredEvent, TrailEntry,
};

/// In-process store with the same semantics as DynamoStore, for unit tests of providers
/// and the pipeline. It can be told to fail like an unreachable DynamoDB.
#[derive(Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
    pub fail: AtomicBool,
}

#[derive(Default)]
struct Inner {
    events: BTreeMap<String, (StoredEvent, Option<i64>)>,
    trail: BTreeMap<(String, String), TrailEntry>,
    states: BTreeMap<String, OrderState>,
    /// The jobs the table's stream and its relay would put on the ack queue: each new
    /// event's, at commit (a key is new once, so each job lands once).
    outbox: Vec<AckJob>,
    locations: BTreeMap<(String, String), String>,
}

impl MemoryStore {
    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Inner>, StoreError> {
        if self.fail.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable("memory store told to fail".into()));
        }
        Ok(self.inner.lock().expect("store lock"))
    }

    /// The jobs the outbox relayed to the ack queue, in order.
    pub fn jobs(&self) -> Vec<AckJob> {
        self.inner.lock().expect("store lock").outbox.clone()
    }

    pub fn event_count(&self) -> usize {
        self.inner.lock().expect("store lock").events.len()
    }
}

impl EventStore for MemoryStore {
    async fn record(&self, new: NewEvent<'_>) -> Result<Recorded, StoreError> {
        let e = new.event;
        let mut inner = self.lock()?;
        let event_pk = keys::event_pk(&e.provider, &e.event_key.0);
        if let Some((old, _)) = inner.events.get(&event_pk) {
            return Ok(Recorded::Duplicate {
                same_body: old.event.body_sha256 == e.body_sha256,
            });
        }
        let stored = StoredEvent {
            event: e.clone(),
            raw_body: new.raw_body.map(str::to_owned),
            job: new.job.cloned(),
            ack: AckState {
                status: new.job.map_or(AckStatus::Skipped, |_| AckStatus::Pending),
                ..AckState::default()
            },
            expires_at: new.expires_at,
            reprocessed_as: None,
        };
        inner.events.insert(event_pk, (stored, None));
        inner.outbox.extend(new.job.cloned());
        Ok(Recorded::New {
            state_applied: apply(&mut inner, e),
        })
    }

    async fn rewrite(&self, new: NewEvent<'_>) -> Result<Recorded, StoreError> {
        let e = new.event;
        let mut inner = self.lock()?;
        let Some((stored, _)) = inner.events.get_mut(&keys::event_pk(&e.provider, &e.event_key.0)) else {
            return Err(StoreError::NotFound(format!("event {}", e.event_key.0)));
        };
        stored.event = e.clone();
        Ok(Recorded::New {
            state_applied: apply(&mut inner, e),
        })
    }

    async fn mark_reprocessed(
        &self,
        provider: &str,
        quarantined_key: &str,
        key: &str,
    ) -> Result<(), StoreError> {
        let mut inner = self.lock()?;
        let (stored, _) = inner
            .events
            .get_mut(&keys::event_pk(provider, quarantined_key))
            .ok_or_else(|| StoreError::NotFound(format!("event {quarantined_key}")))?;
        stored.reprocessed_as = Some(key.to_owned());
        Ok(())
    }

    async fn locations(&self, provider: &str) -> Result<HashMap<String, String>, StoreError> {
        let inner = self.lock()?;
        Ok(inner
            .locations
            .iter()
            .filter(|((p, _), _)| p == provider)
            .map(|((_, platform), team)| (platform.clone(), team.clone()))
            .collect())
    }

    async fn set_location(&self, provider: &str, platform_id: &str, team_id: &str) -> Result<(), StoreError> {
        self.lock()?
            .locations
            .insert((provider.to_owned(), platform_id.to_owned()), team_id.to_owned());
        Ok(())
    }

    async fn remove_location(&self, provider: &str, platform_id: &str) -> Result<bool, StoreError> {
        Ok(self
            .lock()?
            .locations
            .remove(&(provider.to_owned(), platform_id.to_owned()))
            .is_some())
    }

    async fn event(&self, provider: &str, event_key: &str) -> Result<Option<StoredEvent>, StoreError> {
        let inner = self.lock()?;
        Ok(inner
            .events
            .get(&keys::event_pk(provider, event_key))
            .map(|(e, _)| e.clone()))
    }

    async fn order(&self, provider: &str, order_id: &str) -> Result<OrderView, StoreError> {
        let inner = self.lock()?;
        let pk = keys::order_pk(provider, order_id);
        Ok(OrderView {
            state: inner.states.get(&pk).cloned(),
            trail: inner
                .trail
                .iter()
                .filter(|((p, _), _)| *p == pk)
                .map(|(_, e)| e.clone())
                .collect(),
        })
    }

    async fn claim_ack(
        &self,
        job: &AckJob,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        let mut inner = self.lock()?;
        let Some((event, lease_until)) = inner
            .events
            .get_mut(&keys::event_pk(&job.provider, &job.event_key.0))
        else {
            return Ok(Claim::Missing);
        };
        let status = event.ack.status;
        if status.is_settled() {
            return Ok(Claim::Settled { status });
        }
        let free = matches!(status, AckStatus::Pending | AckStatus::Retrying);
        if !free && lease_until.is_some_and(|until| until >= now.timestamp()) {
            return Ok(Claim::Busy);
        }
        event.ack.status = AckStatus::InProgress;
        event.ack.attempts += 1;
        event.ack.updated_at = Some(now.to_rfc3339());
        *lease_until = Some(now.timestamp() + lease.as_secs() as i64);
        Ok(Claim::Claimed {
            attempt: event.ack.attempts,
        })
    }

    async fn refuse_job(&self, job: &AckJob, reason: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        let mut inner = self.lock()?;
        if let Some((event, _)) = inner
            .events
            .get_mut(&keys::event_pk(&job.provider, &job.event_key.0))
            .filter(|(e, _)| e.ack.status == AckStatus::Pending)
        {
            event.ack.status = AckStatus::Failed;
            event.ack.message = Some(format!("not queued: {reason}"));
            event.ack.updated_at = Some(now.to_rfc3339());
        }
        Ok(())
    }

    async fn finish_ack(
        &self,
        job: &AckJob,
        outcome: AckOutcome<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut inner = self.lock()?;
        let Some((event, lease_until)) = inner
            .events
            .get_mut(&keys::event_pk(&job.provider, &job.event_key.0))
        else {
            return Ok(());
        };
        if event.ack.status != AckStatus::InProgress {
            return Ok(()); // the lease was lost: the other worker's result counts
        }
        event.ack.status = outcome.status();
        event.ack.message = Some(outcome.message().to_owned());
        event.ack.updated_at = Some(now.to_rfc3339());
        *lease_until = None;
        let ack = event.ack.clone();
        let (Some(order_key), Some(received_at)) = (job.order(), &job.received_at) else {
            return Ok(());
        };
        let order_pk = keys::order_pk(&job.provider, order_key);
        if let Some(entry) = inner
            .trail
            .get_mut(&(order_pk.clone(), keys::trail_sk(received_at, &job.event_key.0)))
        {
            entry.ack = Some(ack);
        }
        if let AckOutcome::Acked {
            order: Some(order), ..
        } = outcome
        {
            let state = inner.states.entry(order_pk).or_insert_with(|| OrderState {
                status: OrderStatus::Unknown,
                version: 0,
                last_event_type: String::new(),
                last_event_key: String::new(),
                location_id: job.location_id.clone(),
                team_location_id: None,
                order: None,
            });
            state.order = Some(order.clone());
        }
        Ok(())
    }
}

/// Writes `e`'s trail entry (keeping an acknowledgement recorded on it) and moves its
/// order's state unless a newer event already did; whether the state moved.
fn apply(inner: &mut Inner, e: &CanonicalEvent) -> bool {
    let Some(change) = &e.change else {
        return false;
    };
    let order_pk = keys::order_pk(&e.provider, change.key());
    let sk = keys::trail_sk(&e.received_at, &e.event_key.0);
    let ack = inner
        .trail
        .get(&(order_pk.clone(), sk.clone()))
        .and_then(|entry| entry.ack.clone());
    inner.trail.insert(
        (order_pk.clone(), sk),
        TrailEntry {
            event: e.clone(),
            ack,
        },
    );
    let Some(precedence) = e.precedence() else {
        return false;
    };
    let version = precedence.version();
    if let Some(newer) = inner.states.get_mut(&order_pk).filter(|s| s.version > version) {
        // An undocumented status may not move the order; the content it carries may.
        if let (OrderStatus::Unknown, Some(order)) = (precedence.status, &change.order) {
            newer.order = Some(order.clone());
            newer.last_event_type = e.event_type.clone();
            newer.last_event_key = e.event_key.0.clone();
        }
        return false;
    }
    let previous = inner.states.get(&order_pk);
    let order = change
        .order
        .clone()
        .or_else(|| previous.and_then(|s| s.order.clone()));
    let location_id = e
        .location_id
        .clone()
        .or_else(|| previous.and_then(|s| s.location_id.clone()));
    let team_location_id = e
        .team_location_id
        .clone()
        .or_else(|| previous.and_then(|s| s.team_location_id.clone()));
    let state = OrderState {
        status: precedence.status,
        version,
        last_event_type: e.event_type.clone(),
        last_event_key: e.event_key.0.clone(),
        location_id,
        team_location_id,
        order,
    };
    inner.states.insert(order_pk, state);
    true
}
