//! OlaClick end to end through the real AWS SDK against the emulated DynamoDB and SQS.

use lambda_http::{Body, Response};
use olaclick::{AckMode, Config, OlaClick};
use ordergate_shared::model::OrderStatus;
use ordergate_shared::secrets::SecretSource;
use ordergate_shared::store::{AckStatus, EventStore};
use ordergate_shared::{Limits, Pipeline};
use ordergate_testkit::{api_event, api_event_json, payload, request, with_payload};
use ordergate_tests::Stack;
use serde_json::{json, Value};

const CREATED: &str = "olaclick/order_created.json";
const UPDATED: &str = "olaclick/order_updated.json";
const EVENT_ID: &str = "7573920b-5558-4455-ae73-d8628aba6609";
const ORDER_ID: &str = "PE-7222853393";
/// Where it is stored: OlaClick orders are keyed by merchant.
const ORDER_KEY: &str = "777:PE-7222853393";

fn olaclick() -> OlaClick {
    OlaClick::new(Config {
        auth_header: "x-ordergate-token".into(),
        merchants: olaclick::parse_merchants("777"),
        default_timezone: ordergate_shared::time::zone("America/Lima").unwrap(),
        merchant_timezones: Default::default(),
        ack_mode: AckMode::Async,
    })
}

fn body(r: &Response<Body>) -> Value {
    match r.body() {
        Body::Text(t) => serde_json::from_str(t).expect("JSON body"),
        other => panic!("expected a text body, got {other:?}"),
    }
}

/// The local stack's secret (infra/local/secrets.json).
fn secret() -> &'static str {
    ordergate_testkit::local_secret("OlaClickSecret")
}

#[tokio::test]
async fn a_new_event_is_stored_with_its_trail_and_one_job_is_enqueued() {
    let stack = Stack::new().await;
    let rx = stack.pipeline(olaclick(), secret());
    let r = rx.handle(api_event(CREATED)).await;
    assert_eq!(r.status(), 200, "{}", body(&r));

    let keys = stack.keys().await;
    assert_eq!(keys.len(), 3, "event record, trail entry, order state: {keys:?}");
    assert!(keys.contains(&(format!("EVENT#olaclick#{EVENT_ID}"), "EVENT".into())));
    assert!(keys.contains(&(format!("ORDER#olaclick#{ORDER_KEY}"), "STATE".into())));

    let stored = stack
        .store()
        .event("olaclick", EVENT_ID)
        .await
        .unwrap()
        .expect("event record");
    assert_eq!(stored.ack.status.as_str(), "pending");
    assert_eq!(stored.raw_body, Some(payload_text(CREATED)));
    assert_eq!(stored.event.event_type, "order_created");
    let ttl_days = (stored.expires_at - chrono::Utc::now().timestamp()) as f64 / 86400.0;
    assert!((29.9..=30.1).contains(&ttl_days), "TTL {ttl_days} days");

    let view = stack.store().order("olaclick", ORDER_KEY).await.unwrap();
    assert_eq!(view.state.as_ref().unwrap().status, OrderStatus::Placed);
    assert_eq!(view.state.unwrap().order.unwrap().totals.total.0, 8000);
    assert_eq!(view.trail.len(), 1);
    assert_eq!(view.trail[0].event_key.0, EVENT_ID);

    let jobs = stack.receive_jobs().await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].provider, "olaclick");
    assert_eq!(jobs[0].event_key.0, EVENT_ID);
    assert_eq!(jobs[0].ack["mode"], "async");
    assert_eq!(jobs[0].ack["order_id"], ORDER_ID);
}

fn payload_text(path: &str) -> String {
    api_event_json(path)["body"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_duplicate_gets_the_same_answer_one_record_and_one_job() {
    let stack = Stack::new().await;
    let rx = stack.pipeline(olaclick(), secret());
    let first = rx.handle(api_event(CREATED)).await;
    let again = rx.handle(api_event(CREATED)).await;
    assert_eq!((first.status().as_u16(), again.status().as_u16()), (200, 200));
    assert_eq!(body(&first), body(&again));
    assert_eq!(again.headers()["x-ordergate-duplicate"], "true");
    assert_eq!(stack.keys().await.len(), 3);
    assert_eq!(stack.queue_depth().await, 1, "FIFO dedupe keeps one job");
}

#[tokio::test]
async fn an_older_event_arriving_late_never_overwrites_newer_state() {
    let stack = Stack::new().await;
    let rx = stack.pipeline(olaclick(), secret());
    assert_eq!(rx.handle(api_event(UPDATED)).await.status(), 200);
    assert_eq!(rx.handle(api_event(CREATED)).await.status(), 200);
    let view = stack.store().order("olaclick", ORDER_KEY).await.unwrap();
    let state = view.state.unwrap();
    assert_eq!(state.status, OrderStatus::Accepted);
    assert_eq!(state.last_event_type, "order_updated");
    assert_eq!(state.order.unwrap().totals.tip.unwrap().0, 750);
    let mut trail: Vec<_> = view.trail.iter().map(|e| e.event_type.as_str()).collect();
    trail.sort();
    assert_eq!(trail, ["order_created", "order_updated"]);
    assert_eq!(stack.queue_depth().await, 2, "both events are acknowledged");
}

/// A status word nobody documented may not move the order (status `unknown` ranks
/// lowest); the content it carries still updates the order's snapshot.
#[tokio::test]
async fn an_unknown_status_word_updates_the_snapshot_but_never_the_status() {
    let stack = Stack::new().await;
    let rx = stack.pipeline(olaclick(), secret());
    assert_eq!(rx.handle(api_event(UPDATED)).await.status(), 200);
    let mut later = payload(UPDATED);
    later["event_id"] = json!("b2d7c9e1-0000-4000-8000-000000000099");
    later["data"]["status"] = json!("teleported");
    later["data"]["comment"] = json!("ring twice");
    let r = rx.handle(request(&with_payload(UPDATED, &later))).await;
    assert_eq!(r.status(), 200, "{}", body(&r));
    let state = stack
        .store()
        .order("olaclick", ORDER_KEY)
        .await
        .unwrap()
        .state
        .unwrap();
    assert_eq!(state.status, OrderStatus::Accepted, "the status stays");
    assert_eq!(
        state.order.as_ref().unwrap().notes.as_deref(),
        Some("ring twice"),
        "the content moves"
    );
    assert_eq!(state.order.unwrap().status_raw, "teleported");
    assert_eq!(state.last_event_key, "b2d7c9e1-0000-4000-8000-000000000099");
}

#[tokio::test]
async fn dynamodb_unreachable_is_503_and_nothing_is_stored() {
    let stack = Stack::new().await;
    stack
        .assert_store_outage_is_503(olaclick(), secret(), CREATED)
        .await;
}

#[tokio::test]
async fn refused_input_leaves_the_table_empty_and_unreadable_json_is_kept_quarantined() {
    let stack = Stack::new().await;
    let rx = stack.pipeline(olaclick(), secret());
    let mut wrong_token = api_event_json(CREATED);
    wrong_token["headers"]["x-ordergate-token"] = json!("nope");
    let mut unknown_merchant = payload(CREATED);
    unknown_merchant["merchant_id"] = json!("778");
    let cases = [
        (wrong_token, 401),
        // Authenticated, for a merchant missing from OLACLICK_MERCHANT_IDS: our configuration.
        (with_payload(CREATED, &unknown_merchant), 503),
        (ordergate_testkit::with_body(CREATED, "{not json"), 400),
    ];
    for (event, status) in cases {
        let r = rx.handle(request(&event)).await;
        assert_eq!(r.status(), status, "{}", body(&r));
        assert!(body(&r)["error"].is_string());
    }
    assert!(stack.keys().await.is_empty());

    // An event type OlaClick adds later: kept in DynamoDB as sent, with nothing to acknowledge.
    let mut unknown_type = payload(CREATED);
    unknown_type["event_type"] = json!("order_exploded");
    let r = rx.handle(request(&with_payload(CREATED, &unknown_type))).await;
    assert_eq!(
        (r.status().as_u16(), body(&r)["error"].as_str()),
        (422, Some("quarantined"))
    );
    let event_id = unknown_type["event_id"].as_str().unwrap();
    let stored = stack
        .store()
        .event("olaclick", &format!("quarantined:{event_id}"))
        .await
        .unwrap()
        .expect("kept");
    assert!(stored
        .event
        .quarantined
        .unwrap()
        .starts_with("unknown_event_type"));
    assert_eq!((stored.ack.status, stored.job), (AckStatus::Skipped, None));
    assert_eq!(
        stored.raw_body.as_deref(),
        Some(with_payload(CREATED, &unknown_type)["body"].as_str().unwrap())
    );
    let trail = stack.store().order("olaclick", ORDER_KEY).await.unwrap().trail;
    assert_eq!(trail[0].event_type, "quarantined", "on the order's trail");
    assert_eq!(stack.queue_depth().await, 0);
}

#[tokio::test]
async fn the_table_has_ttl_on_event_records() {
    let stack = Stack::new().await;
    let ttl = stack
        .dynamodb()
        .describe_time_to_live()
        .table_name(&stack.table)
        .send()
        .await
        .unwrap();
    let d = ttl.time_to_live_description.unwrap();
    assert_eq!(d.attribute_name(), Some("expires_at"));
    assert_eq!(d.time_to_live_status().map(|s| s.as_str()), Some("ENABLED"));
}

#[tokio::test]
async fn credentials_are_read_from_secrets_manager() {
    let stack = Stack::new().await;
    let secret_arn = stack.resources["OlaClickSecret"].as_str().unwrap();
    let rx = Pipeline::new(
        olaclick(),
        stack.store(),
        stack.blobs(),
        SecretSource::secrets_manager(aws_sdk_secretsmanager::Client::new(&stack.sdk), secret_arn),
        Limits::default(),
    );
    assert_eq!(rx.handle(api_event(CREATED)).await.status(), 200);
    let mut wrong = api_event_json(CREATED);
    wrong["headers"]["x-ordergate-token"] =
        json!(ordergate_testkit::local_secret_value("OlaClickSecret", "auth_header_value") + "-x");
    assert_eq!(rx.handle(request(&wrong)).await.status(), 401);
}
