//! One behaviour suite for both stores: every scenario runs against `MemoryStore` (what the
//! crates' unit tests use) and `DynamoStore` on the emulator (what runs in production), so
//! the memory store cannot drift from the table's rules unseen.

use chrono::{DateTime, Utc};
use ordergate_shared::job::AckJob;
use ordergate_shared::model::{CanonicalEvent, Order, OrderStatus};
use ordergate_shared::store::{AckOutcome, AckStatus, Claim, EventStore, NewEvent, Recorded};
use serde_json::json;

const LEASE: std::time::Duration = std::time::Duration::from_secs(60);

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_790_000_000 + seconds, 0).unwrap()
}

/// An event of order `order` with `status` (none: trail only), received `seconds` in.
fn event(key: &str, order: &str, status: Option<&str>, seconds: i64) -> CanonicalEvent {
    let mut change = json!({"order_id": order});
    if let Some(status) = status {
        change["status"] = json!(status);
    }
    serde_json::from_value(json!({
        "schema": 1, "provider": "deliverect", "event_key": key, "event_type": status.unwrap_or("note"),
        "received_at": at(seconds), "body_sha256": format!("sha-{key}"), "raw_body": {"stored": "inline"},
        "location_id": "store-1", "change": change
    }))
    .unwrap()
}

fn order(id: &str) -> Order {
    serde_json::from_value(json!({
        "order_id": id, "status": "accepted", "status_raw": "20", "order_type": {"kind": "delivery"},
        "currency": "EUR", "items": [], "totals": {"total": 1850}
    }))
    .unwrap()
}

fn new<'a>(e: &'a CanonicalEvent, job: Option<&'a AckJob>) -> NewEvent<'a> {
    NewEvent {
        event: e,
        raw_body: Some("{}"),
        job,
        expires_at: at(86_400).timestamp(),
        order_expires_at: at(365 * 86_400).timestamp(),
    }
}

fn job(e: &CanonicalEvent) -> AckJob {
    AckJob::for_event(e, &json!({"action": "accept"}))
}

async fn a_delivery_is_stored_once<S: EventStore>(store: S) {
    let e = event("k1", "o1", Some("placed"), 0);
    let j = job(&e);
    let first = store.record(new(&e, Some(&j))).await.unwrap();
    assert_eq!(first, Recorded::New { state_applied: true });
    assert_eq!(
        store.record(new(&e, Some(&j))).await.unwrap(),
        Recorded::Duplicate { same_body: true }
    );
    let other_body = CanonicalEvent {
        body_sha256: "other".into(),
        ..e.clone()
    };
    assert_eq!(
        store.record(new(&other_body, None)).await.unwrap(),
        Recorded::Duplicate { same_body: false }
    );
    let stored = store.event("deliverect", "k1").await.unwrap().unwrap();
    assert_eq!(
        (stored.event, stored.job, stored.ack.status),
        (e, Some(j), AckStatus::Pending)
    );
    assert_eq!(stored.raw_body.as_deref(), Some("{}"));
    let quiet = event("k2", "o1", None, 1);
    store.record(new(&quiet, None)).await.unwrap();
    let stored = store.event("deliverect", "k2").await.unwrap().unwrap();
    assert_eq!((stored.job, stored.ack.status), (None, AckStatus::Skipped));
    assert_eq!(store.event("deliverect", "nope").await.unwrap(), None);
}

async fn an_order_moves_forward_only<S: EventStore>(store: S) {
    let placed = event("p", "o2", Some("placed"), 0);
    let ready = event("r", "o2", Some("ready"), 10);
    let accepted = event("a", "o2", Some("accepted"), 20);
    let note = event("n", "o2", None, 30);
    for (e, applied) in [
        (&placed, true),
        (&ready, true),
        (&accepted, false),
        (&note, false),
    ] {
        assert_eq!(
            store.record(new(e, None)).await.unwrap(),
            Recorded::New {
                state_applied: applied
            },
            "{}",
            e.event_key.0
        );
    }
    let view = store.order("deliverect", "o2").await.unwrap();
    let state = view.state.unwrap();
    assert_eq!(
        (state.status, state.last_event_key.as_str()),
        (OrderStatus::Ready, "r")
    );
    assert_eq!(state.location_id.as_deref(), Some("store-1"));
    let keys: Vec<&str> = view.trail.iter().map(|t| t.event_key.0.as_str()).collect();
    assert_eq!(keys, ["p", "r", "a", "n"], "every event on the trail, by arrival");
}

async fn an_undocumented_status_updates_only_the_snapshot<S: EventStore>(store: S) {
    let ready = event("u1", "o8", Some("ready"), 0);
    store.record(new(&ready, None)).await.unwrap();
    let mut unknown = event("u2", "o8", Some("unknown"), 10);
    unknown.change.as_mut().unwrap().order = Some(order("o8"));
    assert_eq!(
        store.record(new(&unknown, None)).await.unwrap(),
        Recorded::New { state_applied: false }
    );
    let state = store.order("deliverect", "o8").await.unwrap().state.unwrap();
    assert_eq!(
        (state.status, state.order, state.last_event_key.as_str()),
        (OrderStatus::Ready, Some(order("o8")), "u2")
    );
}

async fn a_claim_is_exclusive_until_its_lease_ends<S: EventStore>(store: S) {
    let e = event("c", "o3", Some("placed"), 0);
    let j = job(&e);
    store.record(new(&e, Some(&j))).await.unwrap();
    assert_eq!(
        store.claim_ack(&j, at(100), LEASE).await.unwrap(),
        Claim::Claimed { attempt: 1 }
    );
    assert_eq!(store.claim_ack(&j, at(110), LEASE).await.unwrap(), Claim::Busy);
    assert_eq!(
        store.claim_ack(&j, at(200), LEASE).await.unwrap(),
        Claim::Claimed { attempt: 2 }
    );
    let outcome = AckOutcome::Retrying { reason: "HTTP 503" };
    store.finish_ack(&j, outcome, at(201)).await.unwrap();
    let stored = store.event("deliverect", "c").await.unwrap().unwrap();
    assert_eq!(
        (stored.ack.status, stored.ack.message.as_deref()),
        (AckStatus::Retrying, Some("HTTP 503"))
    );
    assert_eq!(
        store.claim_ack(&j, at(202), LEASE).await.unwrap(),
        Claim::Claimed { attempt: 3 }
    );
    let acked = AckOutcome::Acked {
        note: "accepted",
        order: None,
    };
    store.finish_ack(&j, acked, at(203)).await.unwrap();
    assert_eq!(
        store.claim_ack(&j, at(204), LEASE).await.unwrap(),
        Claim::Settled {
            status: AckStatus::Acked
        }
    );
    let trail = store.order("deliverect", "o3").await.unwrap().trail;
    let ack = trail[0].ack.as_ref().expect("the outcome on the trail entry");
    assert_eq!(
        (ack.status, ack.message.as_deref()),
        (AckStatus::Acked, Some("accepted"))
    );
    let unknown = job(&event("never", "o3", None, 0));
    assert_eq!(
        store.claim_ack(&unknown, at(205), LEASE).await.unwrap(),
        Claim::Missing
    );
}

async fn an_outcome_after_a_lost_lease_does_not_count<S: EventStore>(store: S) {
    let e = event("l", "o4", Some("placed"), 0);
    let j = job(&e);
    store.record(new(&e, Some(&j))).await.unwrap();
    store.claim_ack(&j, at(0), LEASE).await.unwrap();
    store.claim_ack(&j, at(100), LEASE).await.unwrap();
    let second = AckOutcome::Acked {
        note: "second",
        order: None,
    };
    store.finish_ack(&j, second, at(101)).await.unwrap();
    let first = AckOutcome::Failed {
        reason: "first, late",
    };
    store.finish_ack(&j, first, at(102)).await.unwrap();
    let stored = store.event("deliverect", "l").await.unwrap().unwrap();
    assert_eq!(
        (stored.ack.status, stored.ack.message.as_deref()),
        (AckStatus::Acked, Some("second"))
    );
}

async fn a_refused_job_fails_only_while_pending<S: EventStore>(store: S) {
    let (a, b) = (event("ra", "o5", Some("placed"), 0), event("rb", "o5", None, 1));
    let (ja, jb) = (job(&a), job(&b));
    store.record(new(&a, Some(&ja))).await.unwrap();
    store.record(new(&b, Some(&jb))).await.unwrap();
    store.refuse_job(&ja, "too large", at(5)).await.unwrap();
    store.claim_ack(&jb, at(5), LEASE).await.unwrap();
    store.refuse_job(&jb, "too large", at(6)).await.unwrap();
    let refused = store.event("deliverect", "ra").await.unwrap().unwrap().ack;
    assert_eq!(
        (refused.status, refused.message.as_deref()),
        (AckStatus::Failed, Some("not queued: too large"))
    );
    let claimed = store.event("deliverect", "rb").await.unwrap().unwrap().ack;
    assert_eq!(
        claimed.status,
        AckStatus::InProgress,
        "claimed: not refused after all"
    );
    assert_eq!(
        store.claim_ack(&ja, at(7), LEASE).await.unwrap(),
        Claim::Settled {
            status: AckStatus::Failed
        }
    );
}

async fn a_fetched_order_is_stored_on_its_state<S: EventStore>(store: S) {
    let e = event("f", "o6", Some("placed"), 0);
    let j = job(&e);
    store.record(new(&e, Some(&j))).await.unwrap();
    store.claim_ack(&j, at(1), LEASE).await.unwrap();
    let fetched = order("o6");
    let acked = AckOutcome::Acked {
        note: "fetched",
        order: Some(&fetched),
    };
    store.finish_ack(&j, acked, at(2)).await.unwrap();
    let state = store.order("deliverect", "o6").await.unwrap().state.unwrap();
    assert_eq!(
        (state.status, state.order),
        (OrderStatus::Placed, Some(fetched)),
        "the snapshot, not the status"
    );
}

async fn locations_are_mapped_and_unmapped<S: EventStore>(store: S) {
    store
        .set_location("deliverect", "store-1", "team-a")
        .await
        .unwrap();
    store
        .set_location("deliverect", "store-1", "team-b")
        .await
        .unwrap();
    store
        .set_location("deliverect", "store-2", "team-c")
        .await
        .unwrap();
    store.set_location("ordatic", "store-1", "team-x").await.unwrap();
    let map = store.locations("deliverect").await.unwrap();
    assert_eq!(
        (map.len(), map["store-1"].as_str(), map["store-2"].as_str()),
        (2, "team-b", "team-c")
    );
    assert!(store.remove_location("deliverect", "store-2").await.unwrap());
    assert!(!store.remove_location("deliverect", "store-2").await.unwrap());
    assert_eq!(store.locations("deliverect").await.unwrap().len(), 1);
}

async fn a_rewrite_replaces_the_reading_and_keeps_the_ack<S: EventStore>(store: S) {
    let e = event("w", "o7", Some("placed"), 0);
    let j = job(&e);
    store.record(new(&e, Some(&j))).await.unwrap();
    store.claim_ack(&j, at(1), LEASE).await.unwrap();
    let acked = AckOutcome::Acked {
        note: "done",
        order: None,
    };
    store.finish_ack(&j, acked, at(2)).await.unwrap();
    let fixed = CanonicalEvent {
        warnings: vec!["read again".into()],
        ..event("w", "o7", Some("accepted"), 0)
    };
    let rewritten = store.rewrite(new(&fixed, Some(&j))).await.unwrap();
    assert_eq!(rewritten, Recorded::New { state_applied: true });
    let stored = store.event("deliverect", "w").await.unwrap().unwrap();
    assert_eq!((&stored.event, stored.ack.status), (&fixed, AckStatus::Acked));
    let view = store.order("deliverect", "o7").await.unwrap();
    assert_eq!(view.state.unwrap().status, OrderStatus::Accepted);
    assert_eq!(view.trail.len(), 1);
    assert_eq!(view.trail[0].event, fixed);
    assert_eq!(
        view.trail[0].ack.as_ref().map(|a| a.status),
        Some(AckStatus::Acked)
    );
    store.mark_reprocessed("deliverect", "w", "w2").await.unwrap();
    let marked = store.event("deliverect", "w").await.unwrap().unwrap();
    assert_eq!(marked.reprocessed_as.as_deref(), Some("w2"));
    let missing = store.rewrite(new(&event("gone", "o7", None, 0), None)).await;
    assert!(missing.is_err(), "{missing:?}");
}

/// One test per scenario and store: `memory::<scenario>`, `dynamo::<scenario>`.
macro_rules! both_stores {
    ($($scenario:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test]
                async fn $scenario() {
                    super::$scenario(ordergate_testkit::MemoryStore::default()).await
                }
            )*
        }
        mod dynamo {
            $(
                #[tokio::test]
                async fn $scenario() {
                    super::$scenario(ordergate_tests::Stack::new().await.store()).await
                }
            )*
        }
    };
}

both_stores!(
    a_delivery_is_stored_once,
    an_order_moves_forward_only,
    an_undocumented_status_updates_only_the_snapshot,
    a_claim_is_exclusive_until_its_lease_ends,
    an_outcome_after_a_lost_lease_does_not_count,
    a_refused_job_fails_only_while_pending,
    a_fetched_order_is_stored_on_its_state,
    locations_are_mapped_and_unmapped,
    a_rewrite_replaces_the_reading_and_keeps_the_ack,
);
