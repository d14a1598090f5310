//! Deliverect end to end through the real AWS SDK against the emulated DynamoDB and SQS.

use deliverect::{Config, Deliverect};
use ordergate_shared::model::OrderStatus;
use ordergate_shared::store::EventStore;
use ordergate_testkit::{api_event, api_event_json, json_body, request};
use ordergate_tests::Stack;
use serde_json::json;

const NEW: &str = "deliverect/new_order.json";
const ACCEPTED: &str = "deliverect/accepted.json";
const CANCEL: &str = "deliverect/cancel.json";
const ORDER_ID: &str = "6438f1a2c9e77d0012ab34cd";

fn deliverect() -> Deliverect {
    Deliverect::new(Config {
        currency: Some("EUR".parse().unwrap()),
        ..Config::sample()
    })
}

/// The local stack's secret (infra/local/secrets.json).
fn secret() -> &'static str {
    ordergate_testkit::local_secret("DeliverectSecret")
}

#[tokio::test]
async fn an_order_its_cancel_and_a_late_older_status_end_cancelled() {
    let stack = Stack::new().await;
    let rx = stack.pipeline(deliverect(), secret());
    for sample in [NEW, CANCEL, ACCEPTED] {
        let r = rx.handle(api_event(sample)).await;
        assert_eq!(r.status(), 200, "{sample}: {}", json_body(&r));
    }
    let view = stack.store().order("deliverect", ORDER_ID).await.unwrap();
    let state = view.state.unwrap();
    assert_eq!(state.status, OrderStatus::Cancelled);
    assert_eq!(state.last_event_type, "status_100");
    assert_eq!(state.order.unwrap().totals.total.0, 1269);
    assert_eq!(view.trail.len(), 3);
    let mut actions: Vec<String> = stack
        .receive_jobs()
        .await
        .iter()
        .map(|j| j.ack["action"].as_str().unwrap().to_owned())
        .collect();
    actions.sort();
    assert_eq!(actions, ["accept", "confirm_cancel", "none"]);
}

#[tokio::test]
async fn a_repeated_delivery_is_one_record_and_one_job() {
    let stack = Stack::new().await;
    let rx = stack.pipeline(deliverect(), secret());
    let first = rx.handle(api_event(NEW)).await;
    let again = rx.handle(api_event(NEW)).await;
    assert_eq!(json_body(&first), json_body(&again));
    assert_eq!(stack.event_records().await, 1);
    assert_eq!(stack.queue_depth().await, 1);
}

#[tokio::test]
async fn a_bad_signature_is_401_and_nothing_is_stored() {
    let stack = Stack::new().await;
    let rx = stack.pipeline(deliverect(), secret());
    let mut event = api_event_json(NEW);
    event["headers"]["x-server-authorization-hmac-sha256"] = json!("00".repeat(32));
    let r = rx.handle(request(&event)).await;
    assert_eq!(r.status(), 401);
    assert!(stack.keys().await.is_empty());
    assert_eq!(stack.queue_depth().await, 0);
}

#[tokio::test]
async fn dynamodb_unreachable_is_503_which_deliverect_retries() {
    let stack = Stack::new().await;
    stack
        .assert_store_outage_is_503(deliverect(), secret(), NEW)
        .await;
}
