//! The ack worker against the emulated table and queue, with the platforms' APIs faked by
//! wiremock on 127.0.0.1: request bodies and headers are asserted.

use std::time::Duration;

use ack_worker::AllPlatforms;
use ordergate_shared::model::OrderStatus;
use ordergate_shared::store::{DynamoStore, EventStore};
use ordergate_shared::worker::Worker;
use ordergate_testkit::{api_event, api_event_json, request};
use ordergate_tests::platforms::{Ordatic, TestPlatform};
use ordergate_tests::{batch_of, deliverect_token, fake_platforms as platforms, secrets, svix_signed, Stack};
use serde_json::json;
use wiremock::matchers::{bearer_token, body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const DELIVERECT_ORDER: &str = "6438f1a2c9e77d0012ab34cd";

fn worker(stack: &Stack, api: &MockServer) -> Worker<DynamoStore, AllPlatforms> {
    let mut w = stack.worker(platforms(api));
    w.backoff = Duration::ZERO; // retries come back at once in tests
    w
}

/// A worker whose Ordatic reports IN_KITCHEN at `api`, retrying at once.
fn ordatic_worker(stack: &Stack, api: &MockServer) -> Worker<DynamoStore, AllPlatforms> {
    let mut all = platforms(api);
    all.ordatic = ordergate_tests::ordatic_reporting_in_kitchen(&api.uri());
    let mut w = stack.worker(all);
    w.backoff = Duration::ZERO;
    w
}

fn order_status() -> wiremock::MockBuilder {
    Mock::given(method("POST"))
        .and(path(format!("/orderStatus/{DELIVERECT_ORDER}")))
        .and(bearer_token("tok-1"))
        .and(body_partial_json(
            json!({"orderId": DELIVERECT_ORDER, "status": 20, "receiptId": DELIVERECT_ORDER}),
        ))
}

/// A stack holding one received Deliverect order, and a fake Deliverect API issuing tokens.
async fn deliverect_setup() -> (Stack, MockServer) {
    let stack = Stack::new().await;
    let api = MockServer::start().await;
    deliverect_token(&api, 3600).await;
    stack.receive_deliverect_order().await;
    (stack, api)
}

async fn ack_status(stack: &Stack, provider: &str, key: &str) -> (String, u32, Option<String>) {
    let e = stack
        .store()
        .event(provider, key)
        .await
        .unwrap()
        .expect("event record");
    (e.ack.status.to_string(), e.ack.attempts, e.ack.message)
}

async fn only_event_key(stack: &Stack) -> String {
    let keys = stack.keys().await;
    let (pk, _) = keys
        .iter()
        .find(|(pk, sk)| pk.starts_with("EVENT#") && sk == "EVENT")
        .expect("an event");
    pk.splitn(3, '#').nth(2).unwrap().to_owned()
}

#[tokio::test]
async fn deliverect_accept_is_sent_once_with_a_cached_token() {
    let (stack, api) = deliverect_setup().await;
    order_status()
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&api)
        .await;
    let w = worker(&stack, &api);
    assert_eq!(stack.run_worker(&w).await, (1, vec![]));
    let key = only_event_key(&stack).await;
    let (status, attempts, note) = ack_status(&stack, "deliverect", &key).await;
    assert_eq!((status.as_str(), attempts), ("acked", 1));
    assert_eq!(note.as_deref(), Some("accept: status 20 sent"));
    let trail = stack
        .store()
        .order("deliverect", DELIVERECT_ORDER)
        .await
        .unwrap()
        .trail;
    assert_eq!(
        trail[0].ack.as_ref().unwrap().status.as_str(),
        "acked",
        "the trail shows the ack"
    );
    assert_eq!(stack.queue_depth().await, 0);

    // The same job delivered again (SQS at-least-once): the platform is not called again.
    let job = stack.stored("deliverect", &key).await.job.expect("a job");
    stack
        .enqueue_raw(&serde_json::to_string(&job).unwrap(), "again")
        .await;
    assert_eq!(stack.run_worker(&w).await, (1, vec![]));
    api.verify().await;
}

#[tokio::test]
async fn an_expired_token_is_refreshed_once_on_401() {
    let (stack, api) = deliverect_setup().await;
    order_status()
        .respond_with(ResponseTemplate::new(401))
        .up_to_n_times(1)
        .mount(&api)
        .await;
    order_status()
        .respond_with(ResponseTemplate::new(200))
        .mount(&api)
        .await;
    assert_eq!(stack.run_worker(&worker(&stack, &api)).await, (1, vec![]));
    let requests = api.received_requests().await.unwrap();
    let tokens = requests.iter().filter(|r| r.url.path() == "/oauth/token").count();
    assert_eq!(tokens, 2, "the 401 forced one new token");
    assert_eq!(
        ack_status(&stack, "deliverect", &only_event_key(&stack).await)
            .await
            .0,
        "acked"
    );
}

#[tokio::test]
async fn a_5xx_is_retried_with_the_error_recorded_then_succeeds() {
    let (stack, api) = deliverect_setup().await;
    order_status()
        .respond_with(ResponseTemplate::new(503).set_body_string("busy"))
        .up_to_n_times(1)
        .mount(&api)
        .await;
    order_status()
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&api)
        .await;
    let w = worker(&stack, &api);
    let (handled, failed) = stack.run_worker(&w).await;
    assert_eq!(
        (handled, failed.len()),
        (1, 1),
        "reported as a batch item failure"
    );
    let key = only_event_key(&stack).await;
    let (status, attempts, message) = ack_status(&stack, "deliverect", &key).await;
    assert_eq!((status.as_str(), attempts), ("retrying", 1));
    assert!(message.unwrap().contains("HTTP 503: busy"));
    assert_eq!(stack.run_worker(&w).await, (1, vec![]));
    assert_eq!(ack_status(&stack, "deliverect", &key).await.0, "acked");
    assert_eq!(ack_status(&stack, "deliverect", &key).await.1, 2);
    api.verify().await;
}

#[tokio::test]
async fn a_permanent_4xx_fails_the_job_without_retrying() {
    let (stack, api) = deliverect_setup().await;
    order_status()
        .respond_with(ResponseTemplate::new(400).set_body_string("order not in a state to accept"))
        .expect(1)
        .mount(&api)
        .await;
    assert_eq!(
        stack.run_worker(&worker(&stack, &api)).await,
        (1, vec![]),
        "deleted, not retried"
    );
    let (status, _, message) = ack_status(&stack, "deliverect", &only_event_key(&stack).await).await;
    assert_eq!(status, "failed");
    assert!(message
        .unwrap()
        .contains("HTTP 400: order not in a state to accept"));
    assert_eq!(stack.queue_depth().await, 0);
    api.verify().await;
}

#[tokio::test]
async fn ordatic_jobs_fetch_the_full_order_onto_the_stored_order() {
    let stack = Stack::new().await;
    let api = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/ordatic/v2/auth"))
        .and(body_partial_json(
            json!({"appId": "app-1", "appSecret": "app-secret"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"token": "ord-tok"})))
        .expect(1)
        .mount(&api)
        .await;
    Mock::given(method("GET"))
        .and(path("/ordatic/v2/stores/st-5f2b9c/orders/ord-8d41a7e2-1c3b"))
        .and(bearer_token("ord-tok"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "ord-8d41a7e2-1c3b", "status": "accepted", "total": 2350,
            "fulfillment": {"type": "takeaway"},
            "items": [{"name": "Paella", "quantity": 1, "price": 1850,
                       "modifiers": [{"name": "Extra alioli", "quantity": 1, "price": 150}]},
                      {"name": "Agua", "quantity": 2, "price": 175}],
            "customer": {"name": "Lucía"}
        })))
        .expect(2)
        .mount(&api)
        .await;
    let rx = stack.pipeline(
        ordatic::Ordatic::new(ordatic::Config::sample()),
        ordergate_testkit::local_secret("OrdaticSecret"),
    );
    for sample in ["ordatic/order-accepted.json", "ordatic/rider-created.json"] {
        assert_eq!(rx.handle(api_event(sample)).await.status(), 200);
    }
    assert_eq!(stack.run_worker(&worker(&stack, &api)).await, (2, vec![]));
    let state = stack
        .store()
        .order("ordatic", "st-5f2b9c:ord-8d41a7e2-1c3b")
        .await
        .unwrap()
        .state
        .unwrap();
    assert_eq!(
        state.status,
        OrderStatus::Accepted,
        "enrichment keeps the event-driven status"
    );
    let order = state.order.expect("the fetched order is stored");
    assert_eq!(order.items.len(), 2);
    assert_eq!(order.items[0].modifiers[0].unit_price.0, 150);
    assert_eq!(order.totals.total.0, 2350);
    assert!(order.attributes["ordatic_order"].contains("Paella"));
    api.verify().await;
}

#[tokio::test]
async fn olaclick_async_acks_post_with_the_configured_header_and_oolio_needs_no_call() {
    let stack = Stack::new().await;
    let api = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/olaclick/ack"))
        .and(header("authorization", "Bearer olaclick-ack-key"))
        .and(body_partial_json(json!({
            "event_id": "7573920b-5558-4455-ae73-d8628aba6609",
            "merchant_id": "777", "order_id": "PE-7222853393", "status": "received",
        })))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&api)
        .await;
    stack.receive_olaclick_async_order().await;
    let oolio = stack.pipeline(
        oolio::Oolio::new(oolio::Config::sample()),
        ordergate_testkit::local_secret("OolioSecret"),
    );
    assert_eq!(
        oolio
            .handle(request(&svix_signed("oolio/order_created.json", None)))
            .await
            .status(),
        200
    );
    let w = worker(&stack, &api);
    let mut handled = 0;
    while handled < 2 {
        let (n, failed) = stack.run_worker(&w).await;
        assert!(failed.is_empty() && n > 0, "{failed:?}");
        handled += n;
    }
    let id = api_event_json("olaclick/order_created.json");
    assert!(id["body"].as_str().unwrap().contains("7573920b"));
    assert_eq!(
        ack_status(&stack, "olaclick", "7573920b-5558-4455-ae73-d8628aba6609")
            .await
            .0,
        "acked"
    );
    let oolio_id = api_event_json("oolio/order_created.json")["headers"]["svix-id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(ack_status(&stack, "oolio", &oolio_id).await.0, "acked");
    api.verify().await;
}

#[tokio::test]
async fn concurrent_workers_given_the_same_job_call_the_platform_once() {
    let (stack, api) = deliverect_setup().await;
    order_status()
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_millis(200)))
        .expect(1)
        .mount(&api)
        .await;
    let job = stack
        .store()
        .event("deliverect", &only_event_key(&stack).await)
        .await
        .unwrap()
        .unwrap()
        .job
        .expect("a job");
    let workers: Vec<_> = (0..8).map(|_| worker(&stack, &api)).collect();
    let responses = futures::future::join_all(
        workers
            .iter()
            .enumerate()
            .map(|(n, w)| w.handle(batch_of(&job, &format!("m{n}")))),
    )
    .await;
    let retried = responses
        .iter()
        .filter(|r| !r.batch_item_failures.is_empty())
        .count();
    assert!(
        retried <= 7,
        "the losers either saw it settled or busy (retried later)"
    );
    assert_eq!(
        ack_status(&stack, "deliverect", &job.event_key.0).await.0,
        "acked"
    );
    api.verify().await;
}

#[tokio::test]
async fn an_outcome_is_recorded_even_without_a_matching_trail_entry() {
    let (stack, api) = deliverect_setup().await;
    order_status()
        .respond_with(ResponseTemplate::new(200))
        .mount(&api)
        .await;
    let mut job = stack
        .store()
        .event("deliverect", &only_event_key(&stack).await)
        .await
        .unwrap()
        .unwrap()
        .job
        .expect("a job");
    job.received_at = job.received_at.map(|t| t + chrono::Duration::seconds(1));
    let response = worker(&stack, &api).handle(batch_of(&job, "m1")).await;
    assert!(response.batch_item_failures.is_empty());
    assert_eq!(
        ack_status(&stack, "deliverect", &job.event_key.0).await.0,
        "acked"
    );
}

#[tokio::test]
async fn ordatic_can_be_told_in_kitchen_when_an_accepted_order_arrives() {
    let stack = Stack::new().await;
    let api = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/ordatic/v2/auth"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"accessToken": "ord-tok", "expiresIn": 86400})),
        )
        .mount(&api)
        .await;
    Mock::given(method("GET"))
        .and(path("/ordatic/v2/stores/st-5f2b9c/orders/ord-8d41a7e2-1c3b"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "ord-8d41a7e2-1c3b"})))
        .mount(&api)
        .await;
    Mock::given(method("POST"))
        .and(path(
            "/ordatic/v2/stores/st-5f2b9c/orders/ord-8d41a7e2-1c3b/status",
        ))
        .and(bearer_token("ord-tok"))
        .and(body_partial_json(json!({"status": "IN_KITCHEN"})))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&api)
        .await;
    let w = ordatic_worker(&stack, &api);
    let rx = stack.pipeline(
        ordatic::Ordatic::new(ordatic::Config::sample()),
        ordergate_testkit::local_secret("OrdaticSecret"),
    );
    for sample in ["ordatic/order-accepted.json", "ordatic/order-served.json"] {
        assert_eq!(rx.handle(api_event(sample)).await.status(), 200);
    }
    let mut handled = 0;
    while handled < 2 {
        let (n, failed) = stack.run_worker(&w).await;
        assert!(failed.is_empty() && n > 0, "{failed:?}");
        handled += n;
    }
    api.verify().await;
    assert!(
        ordatic::ack::OrdaticAck::new("http://x", "EUR".parse().unwrap(), secrets(json!({})))
            .with_status_back(ordatic::ack::StatusBack {
                path: "/p".into(),
                status: "DANCING".into()
            })
            .is_err()
    );
}

/// A fake Ordatic whose full order is `order`, counting status reports.
async fn ordatic_api(order: serde_json::Value) -> MockServer {
    let api = MockServer::start().await;
    ordergate_tests::ordatic_auth(&api).await;
    Mock::given(method("GET"))
        .and(path("/ordatic/v2/stores/st-5f2b9c/orders/ord-8d41a7e2-1c3b"))
        .respond_with(ResponseTemplate::new(200).set_body_json(order))
        .expect(1)
        .mount(&api)
        .await;
    Mock::given(method("POST"))
        .and(path(
            "/ordatic/v2/stores/st-5f2b9c/orders/ord-8d41a7e2-1c3b/status",
        ))
        .respond_with(ResponseTemplate::new(200))
        .mount(&api)
        .await;
    api
}

/// Runs one accepted Ordatic order through the worker (with the IN_KITCHEN report on);
/// returns the status reports sent and the stored event's ack.
async fn ordatic_accepted(order: serde_json::Value) -> (usize, (String, u32, Option<String>), Stack) {
    let stack = Stack::new().await;
    let api = ordatic_api(order).await;
    let mut all = platforms(&api);
    all.ordatic = ordergate_tests::ordatic_reporting_in_kitchen(&api.uri());
    let w = stack.worker(all);
    let rx = stack.pipeline(Ordatic::provider(), Ordatic::secrets());
    assert_eq!(
        rx.handle(api_event("ordatic/order-accepted.json")).await.status(),
        200
    );
    assert_eq!(stack.run_worker(&w).await, (1, vec![]));
    api.verify().await;
    let reports = api
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path().ends_with("/status"))
        .count();
    let key = only_event_key(&stack).await;
    let ack = ack_status(&stack, "ordatic", &key).await;
    (reports, ack, stack)
}

#[tokio::test]
async fn a_status_report_is_not_repeated_once_ordatic_has_it_or_is_past_it() {
    // A retry after a report whose outcome was lost finds the status already set: no
    // second report. An order already further along is never moved back.
    for current in [
        "IN_KITCHEN",
        "in-kitchen",
        "READY_TO_PICK_UP",
        "SERVED",
        "canceled",
    ] {
        let (reports, (status, _, note), _) =
            ordatic_accepted(json!({"id": "ord-8d41a7e2-1c3b", "status": current})).await;
        assert_eq!(reports, 0, "{current}");
        assert_eq!(status, "acked", "{current}");
        assert_eq!(note.as_deref(), Some("full order fetched"), "{current}");
    }
    let (reports, _, _) = ordatic_accepted(json!({"id": "ord-8d41a7e2-1c3b", "status": "accepted"})).await;
    assert_eq!(reports, 1, "reported while Ordatic has it as accepted");
}

#[tokio::test]
async fn a_full_order_too_large_to_store_is_left_out_and_not_fetched_again() {
    let items: Vec<_> = (0..4000)
        .map(|n| json!({"name": format!("item {n} {}", "x".repeat(80)), "quantity": 1, "price": 100}))
        .collect();
    let (_, (status, attempts, note), stack) =
        ordatic_accepted(json!({"id": "ord-8d41a7e2-1c3b", "status": "IN_KITCHEN", "items": items})).await;
    assert_eq!(
        (status.as_str(), attempts),
        ("acked", 1),
        "recorded at the first attempt"
    );
    assert!(note.unwrap().contains("full order not stored"));
    let state = stack
        .store()
        .order("ordatic", "st-5f2b9c:ord-8d41a7e2-1c3b")
        .await
        .unwrap()
        .state
        .unwrap();
    assert!(state.order.is_none());
}

/// The acceptance carries the order's pickup time when the job has one.
#[tokio::test]
async fn the_acceptance_sends_the_orders_pickup_time() {
    use ordergate_shared::worker::Acknowledge;
    let api = MockServer::start().await;
    deliverect_token(&api, 3600).await;
    Mock::given(method("POST"))
        .and(path("/orderStatus/o-1"))
        .and(body_partial_json(json!({
            "orderId": "o-1", "status": 20, "pickupTime": "2026-11-25T12:30:00.000000Z"
        })))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&api)
        .await;
    let ack = deliverect::ack::DeliverectAck::new(
        &api.uri(),
        None,
        None,
        secrets(json!({"client_id": "pos-client", "client_secret": "pos-secret"})),
    );
    let accept =
        deliverect::job::Ack::for_status("o-1", 10, None, Some("2026-11-25T12:30:00.000000Z".into()));
    let job = ordergate_shared::job::AckJob {
        schema: 1,
        provider: "deliverect".into(),
        event_key: ordergate_shared::model::EventKey("o-1:10".into()),
        event_type: "status_10".into(),
        order_id: Some("o-1".into()),
        order_key: None,
        location_id: None,
        received_at: None,
        after: None,
        decision: None,
        trace: None,
        ack: serde_json::to_value(&accept).unwrap(),
    };
    ack.acknowledge(&job).await.expect("accepted");
}

/// An Ordatic job makes three calls (token, order, status report), more after a token
/// refresh: however slow they are, together they end within the job's budget — cut short
/// and retried — so a job started in time never runs past the invocation's deadline.
#[tokio::test]
async fn a_slow_platforms_calls_are_cut_at_the_jobs_budget_and_retried() {
    let stack = Stack::new().await;
    let api = MockServer::start().await;
    ordergate_tests::ordatic_auth(&api).await;
    let slow = |status: u16| ResponseTemplate::new(status).set_delay(Duration::from_millis(500));
    Mock::given(method("GET"))
        .and(path("/ordatic/v2/stores/st-5f2b9c/orders/ord-8d41a7e2-1c3b"))
        .respond_with(slow(200).set_body_json(json!({"id": "ord-8d41a7e2-1c3b"})))
        .mount(&api)
        .await;
    Mock::given(method("POST"))
        .and(path(
            "/ordatic/v2/stores/st-5f2b9c/orders/ord-8d41a7e2-1c3b/status",
        ))
        .respond_with(slow(200))
        .mount(&api)
        .await;
    let mut w = ordatic_worker(&stack, &api);
    w.calls_budget = Duration::from_millis(700);
    let rx = stack.pipeline(Ordatic::provider(), Ordatic::secrets());
    assert_eq!(
        rx.handle(api_event("ordatic/order-accepted.json")).await.status(),
        200
    );
    let started = std::time::Instant::now();
    let (handled, failed) = stack.run_worker(&w).await;
    assert_eq!((handled, failed.len()), (1, 1), "retried");
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
    let key = only_event_key(&stack).await;
    let (status, _, reason) = ack_status(&stack, "ordatic", &key).await;
    assert_eq!(status, "retrying");
    assert_eq!(
        reason.as_deref(),
        Some("ordatic: no answer within the job's 700 ms")
    );

    w.calls_budget = Duration::from_secs(5);
    assert_eq!(stack.run_worker(&w).await, (1, vec![]));
    assert_eq!(ack_status(&stack, "ordatic", &key).await.0, "acked");
}
