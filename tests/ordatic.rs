//! Ordatic end to end against the emulated DynamoDB, SQS and S3: large proofs of delivery
//! in S3, thin status events, outages.

use aws_sdk_dynamodb::types::AttributeValue;
use ordatic::{Config, Ordatic};
use ordergate_shared::blob::BlobStore;
use ordergate_shared::model::{EventDetail, OrderChange, OrderStatus, RawBodyRef};
use ordergate_shared::store::item::StateImage;
use ordergate_shared::store::item::{attr, keys};
use ordergate_shared::store::EventStore;
use ordergate_testkit::{api_event, api_event_json, json_body, payload, request, with_payload};
use ordergate_tests::{Outage, Stack};
use serde_json::json;

/// The sample order, as stored: Ordatic's order ids are unique only per store.
const ORDER_KEY: &str = "st-5f2b9c:ord-8d41a7e2-1c3b";
const LARGE_PROOF: &str = "ordatic/rider-proof-delivery-large.json";

fn ordatic() -> Ordatic {
    Ordatic::new(Config {
        currency: "EUR".parse().unwrap(),
    })
}

/// The local stack's secret (infra/local/secrets.json).
fn secret() -> &'static str {
    ordergate_testkit::local_secret("OrdaticSecret")
}

#[tokio::test]
async fn a_multi_megabyte_proof_is_kept_in_s3_without_loss() {
    let stack = Stack::new().await;
    let rx = stack.pipeline(ordatic(), secret());
    for _ in 0..2 {
        let r = rx.handle(api_event(LARGE_PROOF)).await;
        assert_eq!(r.status(), 200, "{}", json_body(&r));
    }
    assert_eq!(stack.event_records().await, 1, "the retry is a duplicate");
    let view = stack.store().order("ordatic", ORDER_KEY).await.unwrap();
    let event = &view.trail[0];
    let Some(EventDetail::ProofOfDelivery { image }) = &event.detail else {
        panic!("proof detail")
    };
    let png = stack.blobs().get(&image.key).await.unwrap().expect("image in S3");
    assert_eq!(png.len(), image.size);
    assert_eq!(
        ordergate_shared::verify::sha256_hex(&png),
        image.sha256,
        "stored without loss"
    );
    let RawBodyRef::Blob(raw) = &event.raw_body else {
        panic!("large body offloaded")
    };
    let body = stack.blobs().get(&raw.key).await.unwrap().unwrap();
    assert_eq!(
        body,
        api_event_json(LARGE_PROOF)["body"].as_str().unwrap().as_bytes()
    );
}

#[tokio::test]
async fn order_events_out_of_order_end_at_the_furthest_status() {
    let stack = Stack::new().await;
    let rx = stack.pipeline(ordatic(), secret());
    for event in [
        "order-served",
        "order-in-kitchen",
        "rider-completed",
        "order-accepted",
    ] {
        let r = rx.handle(api_event(&format!("ordatic/{event}.json"))).await;
        assert_eq!(r.status(), 200, "{event}");
    }
    let view = stack.store().order("ordatic", ORDER_KEY).await.unwrap();
    assert_eq!(view.state.unwrap().status, OrderStatus::Completed);
    assert_eq!(view.trail.len(), 4);
    let jobs = stack.receive_jobs().await;
    assert_eq!(jobs.len(), 4);
    assert!(jobs
        .iter()
        .all(|j| j.ack["action"] == "fetch_order" && j.ack["store_id"] == "st-5f2b9c"));
}

#[tokio::test]
async fn dynamodb_unreachable_is_503() {
    let stack = Stack::new().await;
    stack
        .assert_store_outage_is_503(ordatic(), secret(), "ordatic/order-accepted.json")
        .await;
}

#[tokio::test]
async fn s3_unreachable_is_503_and_nothing_is_stored_then_the_retry_succeeds() {
    let stack = Stack::new().await;
    let broken = stack.pipeline_during(Outage::Blobs, ordatic(), secret()).await;
    assert_eq!(broken.handle(api_event(LARGE_PROOF)).await.status(), 503);
    assert!(stack.keys().await.is_empty());
    assert_eq!(stack.queue_depth().await, 0);
    let healthy = stack.pipeline(ordatic(), secret());
    assert_eq!(healthy.handle(api_event(LARGE_PROOF)).await.status(), 200);
    assert_eq!(stack.event_records().await, 1);
    assert_eq!(stack.queue_depth().await, 1);
}

/// Erasure, then an acknowledgement that fetched the order before it: the fetched customer
/// data must not come back. The ack is recorded; the snapshot is not (the
/// enrichment write is conditional).
#[tokio::test]
async fn a_fetch_finishing_after_an_erasure_does_not_bring_the_customer_back() {
    use ordergate_shared::store::{AckOutcome, AckStatus, Claim};
    let stack = Stack::new().await;
    let rx = stack.pipeline(ordatic(), secret());
    assert_eq!(
        rx.handle(api_event("ordatic/order-accepted.json")).await.status(),
        200
    );
    let job = stack.receive_jobs().await.remove(0);
    let store = stack.store();
    let now = chrono::Utc::now();
    let claim = store
        .claim_ack(&job, now, std::time::Duration::from_secs(60))
        .await
        .unwrap();
    assert!(matches!(claim, Claim::Claimed { .. }), "{claim:?}");
    store.forget_order("ordatic", ORDER_KEY).await.unwrap();
    let fetched: ordergate_shared::model::Order = serde_json::from_value(serde_json::json!({
        "order_id": ORDER_KEY, "status": "accepted", "status_raw": "accepted",
        "order_type": {"kind": "pickup"}, "currency": "EUR", "items": [],
        "totals": {"total": 0}, "customer": {"name": "Ada Lovelace"}
    }))
    .unwrap();
    let outcome = AckOutcome::Acked {
        note: "fetched",
        order: Some(&fetched),
    };
    store.finish_ack(&job, outcome, chrono::Utc::now()).await.unwrap();
    let view = store.order("ordatic", ORDER_KEY).await.unwrap();
    assert_eq!(
        view.state.unwrap().order,
        None,
        "the erased order stays without its customer"
    );
    assert_eq!(view.trail[0].ack.as_ref().unwrap().status, AckStatus::Acked);
}

type Item = std::collections::HashMap<String, AttributeValue>;

fn state_of<'a>(items: &'a [Item], pk: &str) -> Option<&'a Item> {
    items
        .iter()
        .find(|i| i[attr::PK].as_s().unwrap() == pk && i[attr::SK].as_s().unwrap() == keys::STATE_SK)
}

/// Ordatic's order ids are unique only per store (its API addresses an order inside its
/// store): the same id at two stores is two orders, each with its own state and trail, and
/// both keep the platform's id as their order id.
#[tokio::test]
async fn the_same_order_id_at_two_stores_is_two_orders() {
    let stack = Stack::new().await;
    let rx = stack.pipeline(ordatic(), secret());
    let mut other_store = payload("ordatic/order-in-kitchen.json");
    other_store["storeId"] = json!("st-other");
    for event in [
        api_event_json("ordatic/order-accepted.json"),
        with_payload("ordatic/order-in-kitchen.json", &other_store),
    ] {
        assert_eq!(rx.handle(request(&event)).await.status(), 200);
    }
    let (here, there) = (
        stack.store().order("ordatic", ORDER_KEY).await.unwrap(),
        stack
            .store()
            .order("ordatic", "st-other:ord-8d41a7e2-1c3b")
            .await
            .unwrap(),
    );
    assert_eq!(here.state.unwrap().status, OrderStatus::Accepted);
    assert_eq!(there.state.unwrap().status, OrderStatus::Preparing);
    assert_eq!((here.trail.len(), there.trail.len()), (1, 1));
    let items = stack.items().await;
    for key in [ORDER_KEY, "st-other:ord-8d41a7e2-1c3b"] {
        let state = state_of(&items, &format!("ORDER#ordatic#{key}")).expect("a state per store");
        assert_eq!(state["order_id"].as_s().unwrap(), "ord-8d41a7e2-1c3b");
    }
    let mut jobs: Vec<_> = stack
        .receive_jobs()
        .await
        .into_iter()
        .map(|j| (j.order_id.unwrap(), j.order_key.unwrap()))
        .collect();
    jobs.sort();
    assert_eq!(
        jobs,
        [
            (
                "ord-8d41a7e2-1c3b".to_owned(),
                "st-5f2b9c:ord-8d41a7e2-1c3b".to_owned()
            ),
            (
                "ord-8d41a7e2-1c3b".to_owned(),
                "st-other:ord-8d41a7e2-1c3b".to_owned()
            ),
        ]
    );
}

/// An order an earlier build stored under its id alone, which got another event after the
/// upgrade (under its new key): `rekey` moves the old partition over (a rider event's copy
/// is not published again), merges the two states (the further one wins, `seq` continues
/// past both) and is a no-op the second time.
#[tokio::test]
async fn rekey_moves_an_order_stored_under_its_id_alone_and_merges_its_state() {
    let stack = Stack::new().await;
    let rx = stack.pipeline(ordatic(), secret());
    for sample in ["ordatic/order-accepted.json", "ordatic/rider-picking.json"] {
        assert_eq!(rx.handle(api_event(sample)).await.status(), 200, "{sample}");
    }
    // What an earlier build wrote: the same items under `ORDER#ordatic#<order id>`, the
    // state without `order_id`.
    let (legacy, scoped) = (
        "ORDER#ordatic#ord-8d41a7e2-1c3b",
        format!("ORDER#ordatic#{ORDER_KEY}"),
    );
    let db = stack.dynamodb();
    for mut item in stack
        .items()
        .await
        .into_iter()
        .filter(|i| i[attr::PK].as_s().unwrap() == &scoped)
    {
        db.delete_item()
            .table_name(&stack.table)
            .key(attr::PK, item[attr::PK].clone())
            .key(attr::SK, item[attr::SK].clone())
            .send()
            .await
            .unwrap();
        item.insert(attr::PK.into(), AttributeValue::S(legacy.into()));
        item.remove("order_id");
        db.put_item()
            .table_name(&stack.table)
            .set_item(Some(item))
            .send()
            .await
            .unwrap();
    }
    let later = rx.handle(api_event("ordatic/order-in-kitchen.json")).await;
    assert_eq!(later.status(), 200);

    let key_of = |s: &StateImage<'_>| Some(OrderChange::key_in(s.location_id?, s.order_id));
    let moved = stack.store().rekey_orders("ordatic", key_of).await.unwrap();
    assert_eq!(moved.len(), 1);
    assert_eq!(
        (moved[0].from.as_str(), moved[0].to.as_str()),
        ("ord-8d41a7e2-1c3b", ORDER_KEY)
    );
    let items = stack.items().await;
    assert!(
        !items.iter().any(|i| i[attr::PK].as_s().unwrap() == legacy),
        "old partition deleted"
    );
    let view = stack.store().order("ordatic", ORDER_KEY).await.unwrap();
    assert_eq!(view.trail.len(), 3, "every event on one trail");
    let republished = |i: &&Item| i[attr::PK].as_s().unwrap() == &scoped && i.contains_key(attr::TRAIL_ONLY);
    assert!(
        !items.iter().any(|i| republished(&i)),
        "a moved rider event is not published again"
    );
    assert_eq!(
        view.state.unwrap().status,
        OrderStatus::Preparing,
        "the further state"
    );
    let state = state_of(&items, &scoped).unwrap();
    assert_eq!(state["seq"].as_n().unwrap(), "3", "one write each, then the move");
    assert_eq!(state["order_id"].as_s().unwrap(), "ord-8d41a7e2-1c3b");

    let again = stack.store().rekey_orders("ordatic", key_of).await.unwrap();
    assert!(again.is_empty());
}
