use std::collections::BTreeMap;
use std::sync::Mutex;

use super::{
    keys, EventStore, NewEvent, OrderState, OrderView, Recorded, StoreError, StoredEvent, ACK_PENDING,
};
use crate::model::CanonicalEvent;

/// In-process store with the same semantics as DynamoStore, for unit tests of providers
/// and the pipeline. It can be told to fail like an unreachable DynamoDB.
#[derive(Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
    pub fail: std::sync::atomic::AtomicBool,
}

#[derive(Default)]
struct Inner {
    events: BTreeMap<String, StoredEvent>,
    history: BTreeMap<(String, String), CanonicalEvent>,
    states: BTreeMap<String, OrderState>,
}

impl MemoryStore {
    fn check(&self) -> Result<(), StoreError> {
        if self.fail.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(StoreError("memory store told to fail".into()));
        }
        Ok(())
    }

    pub fn event_count(&self) -> usize {
        self.inner.lock().expect("store lock").events.len()
    }
}

impl EventStore for MemoryStore {
    async fn record(&self, new: NewEvent<'_>) -> Result<Recorded, StoreError> {
        self.check()?;
        let e = new.event;
        let mut inner = self.inner.lock().expect("store lock");
        let event_pk = keys::event_pk(&e.provider, &e.dedupe_key.0);
        if let Some(old) = inner.events.get(&event_pk) {
            return Ok(Recorded::Duplicate {
                ack_pending: old.ack_status == ACK_PENDING,
                same_body: old.event.body_sha256 == e.body_sha256,
            });
        }
        inner.events.insert(
            event_pk,
            StoredEvent {
                event: e.clone(),
                raw_body: new.raw_body.map(str::to_owned),
                job: new.job.clone(),
                ack_status: ACK_PENDING.to_owned(),
                expires_at: new.expires_at,
            },
        );
        let Some(change) = &e.change else {
            return Ok(Recorded::New { state_applied: false });
        };
        let order_pk = keys::order_pk(&e.provider, &change.order_id);
        inner.history.insert(
            (
                order_pk.clone(),
                keys::history_sk(&e.received_at, &e.dedupe_key.0),
            ),
            e.clone(),
        );
        let Some(precedence) = e.precedence() else {
            return Ok(Recorded::New { state_applied: false });
        };
        let version = precedence.version();
        let previous = inner.states.get(&order_pk);
        if previous.is_some_and(|s| s.version > version) {
            return Ok(Recorded::New { state_applied: false });
        }
        let order = change
            .order
            .clone()
            .or_else(|| previous.and_then(|s| s.order.clone()));
        let location_id = e
            .location_id
            .clone()
            .or_else(|| previous.and_then(|s| s.location_id.clone()));
        inner.states.insert(
            order_pk,
            OrderState {
                status: precedence.status,
                version,
                last_event_type: e.event_type.clone(),
                last_dedupe_key: e.dedupe_key.0.clone(),
                location_id,
                order,
            },
        );
        Ok(Recorded::New { state_applied: true })
    }

    async fn event(&self, provider: &str, dedupe_key: &str) -> Result<Option<StoredEvent>, StoreError> {
        self.check()?;
        let inner = self.inner.lock().expect("store lock");
        Ok(inner.events.get(&keys::event_pk(provider, dedupe_key)).cloned())
    }

    async fn order(&self, provider: &str, order_id: &str) -> Result<OrderView, StoreError> {
        self.check()?;
        let inner = self.inner.lock().expect("store lock");
        let pk = keys::order_pk(provider, order_id);
        Ok(OrderView {
            state: inner.states.get(&pk).cloned(),
            trail: inner
                .history
                .iter()
                .filter(|((p, _), _)| *p == pk)
                .map(|(_, e)| e.clone())
                .collect(),
        })
    }
}
