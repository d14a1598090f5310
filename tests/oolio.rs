//! Oolio end to end: deliveries signed by the official Svix library, verified by our code,
//! stored through the real AWS SDK against the emulated DynamoDB and SQS.

use oolio::{Config, Oolio};
use ordergate_shared::model::OrderStatus;
use ordergate_shared::store::EventStore;
use ordergate_testkit::{json_body, request};
use ordergate_tests::{svix_signed, Stack};

const ORDER_ID: &str = "91b969ea-2e4d-46ac-b727-3a7528e5306b";

fn oolio() -> Oolio {
    Oolio::new(Config {
        currency: "AUD".parse().unwrap(),
    })
}

/// The local stack's secret (infra/local/secrets.json).
fn secret() -> &'static str {
    ordergate_testkit::local_secret("OolioSecret")
}

#[tokio::test]
async fn a_delivery_signed_by_the_svix_library_is_stored_once() {
    let stack = Stack::new().await;
    let rx = stack.pipeline(oolio(), secret());
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
        serde_json::json!({"signing_secrets": format!("{} {old}", ordergate_testkit::local_secret_value("OolioSecret", "signing_secrets"))}).to_string();
    let rx = stack.pipeline(oolio(), &both);
    let r = rx
        .handle(request(&svix_signed("oolio/order_accepted.json", Some(old))))
        .await;
    assert_eq!(r.status(), 200);
    let strict = stack.pipeline(oolio(), secret());
    let r = strict
        .handle(request(&svix_signed("oolio/order_completed.json", Some(old))))
        .await;
    assert_eq!(r.status(), 401);
    assert_eq!(stack.event_records().await, 1);
}

#[tokio::test]
async fn a_stale_signature_is_a_replay_and_is_refused() {
    let stack = Stack::new().await;
    let rx = stack.pipeline(oolio(), secret());
    // The stored sample was signed at generation time, long before now.
    let r = rx
        .handle(ordergate_testkit::api_event("oolio/order_created.json"))
        .await;
    assert_eq!(r.status(), 401);
    assert!(stack.keys().await.is_empty());
}

/// A Svix message id (`msg_` + KSUID) created `seconds_ago`.
fn message_id(seconds_ago: i64, tag: u8) -> String {
    const DIGITS: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let created = chrono::Utc::now().timestamp() - seconds_ago - 1_400_000_000;
    let mut bytes = [tag; 20];
    bytes[..4].copy_from_slice(&u32::try_from(created).unwrap().to_be_bytes());
    // 20 big-endian bytes → 27 base62 digits (repeated division).
    let mut digits = Vec::new();
    for _ in 0..27 {
        let mut remainder = 0_u32;
        for b in bytes.iter_mut() {
            let v = (remainder << 8) | u32::from(*b);
            *b = (v / 62) as u8;
            remainder = v % 62;
        }
        digits.push(DIGITS[remainder as usize]);
    }
    digits.reverse();
    format!("msg_{}", String::from_utf8(digits).unwrap())
}

/// Oolio's order updates carry no time of their own; Svix's message id does. A delayed
/// retry of an older update with the same status arrives last and must not overwrite
/// the newer snapshot (state cannot regress).
#[tokio::test]
async fn a_delayed_older_update_of_the_same_status_does_not_overwrite_a_newer_one() {
    let stack = Stack::new().await;
    let rx = stack.pipeline(oolio(), secret());
    let sample = "oolio/order_accepted.json";
    let update = |code: &str| {
        let mut body = ordergate_testkit::payload(sample);
        body["data"]["code"] = serde_json::json!(code);
        body.to_string()
    };
    let (newer, older) = (message_id(5, 1), message_id(120, 2));
    for (id, code) in [(newer, "#NEWER"), (older, "#OLDER")] {
        let event = ordergate_tests::platforms::delivery::<ordergate_tests::platforms::Oolio>(
            sample,
            &update(code),
            &id,
        );
        let r = rx.handle(request(&event)).await;
        assert_eq!(r.status(), 200, "{}", json_body(&r));
    }
    let view = stack.store().order("oolio", ORDER_ID).await.unwrap();
    assert_eq!(view.trail.len(), 2, "both kept on the trail");
    let state = view.state.unwrap();
    assert_eq!(state.status, OrderStatus::Accepted);
    assert_eq!(state.order.unwrap().display_id.as_deref(), Some("#NEWER"));
}
