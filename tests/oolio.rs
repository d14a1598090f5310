//! Oolio end to end: deliveries signed by the official Svix library, verified by our code,
//! stored through the real AWS SDK against the emulated DynamoDB and SQS.

use oolio::{Config, Oolio};
use ordergate_shared::model::OrderStatus;
use ordergate_shared::store::EventStore;
use ordergate_testkit::{json_body, request};
use ordergate_tests::{svix_signed, Stack};

const SECRET: &str = r#"{"signing_secrets": "whsec_bG9jYWwtb29saW8tc2lnbmluZy1rZXktMDEyMzQ1Njc4OQ=="}"#;
const ORDER_ID: &str = "91b969ea-2e4d-46ac-b727-3a7528e5306b";

fn oolio() -> Oolio {
    Oolio::new(Config {
        currency: "AUD".parse().unwrap(),
    })
}

#[tokio::test]
async fn a_delivery_signed_by_the_svix_library_is_stored_once() {
    let stack = Stack::new().await;
    let rx = stack.pipeline(oolio(), SECRET);
    let event = svix_signed("oolio/order_created.json", None);
    let first = rx.handle(request(&event)).await;
    assert_eq!(first.status(), 200, "{}", json_body(&first));
    // Svix retries the same message (same svix-id) with a new timestamp and signature.
    let retry = rx
        .handle(request(&svix_signed("oolio/order_created.json", None)))
        .await;
    assert_eq!(json_body(&retry), json_body(&first));
    assert_eq!(stack.event_records().await, 1);
    assert_eq!(stack.queue_depth().await, 1);
    let state = stack
        .store()
        .order("oolio", ORDER_ID)
        .await
        .unwrap()
        .state
        .unwrap();
    assert_eq!(state.status, OrderStatus::Placed);
}

#[tokio::test]
async fn a_rotated_secret_signed_by_svix_verifies_and_a_foreign_one_does_not() {
    let stack = Stack::new().await;
    let old = "whsec_dGhpcyBpcyBhbm90aGVyIGtleQ==";
    let both =
        format!(r#"{{"signing_secrets": "whsec_bG9jYWwtb29saW8tc2lnbmluZy1rZXktMDEyMzQ1Njc4OQ== {old}"}}"#);
    let rx = stack.pipeline(oolio(), &both);
    let r = rx
        .handle(request(&svix_signed("oolio/order_accepted.json", Some(old))))
        .await;
    assert_eq!(r.status(), 200);
    let strict = stack.pipeline(oolio(), SECRET);
    let r = strict
        .handle(request(&svix_signed("oolio/order_completed.json", Some(old))))
        .await;
    assert_eq!(r.status(), 401);
    assert_eq!(stack.event_records().await, 1);
}

#[tokio::test]
async fn a_stale_signature_is_a_replay_and_is_refused() {
    let stack = Stack::new().await;
    let rx = stack.pipeline(oolio(), SECRET);
    // The stored sample was signed at generation time, long before now.
    let r = rx
        .handle(ordergate_testkit::api_event("oolio/order_created.json"))
        .await;
    assert_eq!(r.status(), 401);
    assert!(stack.keys().await.is_empty());
}
