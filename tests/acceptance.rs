//! Manual acceptance: a new Deliverect order at a location in manual mode waits for the
//! restaurant's `accepted` or `rejected`; when the window passes undecided, the configured
//! default applies as a command of its own (recorded, sent, published). The worker's clock
//! is moved by the test; nothing sleeps.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use ordergate_shared::command::acceptance::{AcceptMode, Acceptance};
use ordergate_shared::command::{CommandError, Refusal, Requested, StatusCommand, VERSION};
use ordergate_shared::store::{DynamoStore, EventStore};
use ordergate_shared::worker::Worker;
use ordergate_tests::platforms::TestPlatform;
use ordergate_tests::{batch_of, deliverect_token, fake_platforms, Stack};
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ORDER: &str = "6438f1a2c9e77d0012ab34cd";

/// A stack with the sample order received in manual mode (`then` when undecided), a fake
/// Deliverect API, a worker whose clock the test moves, and the time it shows.
struct Manual {
    stack: Stack,
    api: MockServer,
    worker: Worker<DynamoStore, ack_worker::AllPlatforms>,
    now: Arc<Mutex<DateTime<Utc>>>,
    received: DateTime<Utc>,
}

async fn manual(then: Requested, reason: &str) -> Manual {
    let stack = Stack::new().await;
    let api = MockServer::start().await;
    deliverect_token(&api, 3600).await;
    Mock::given(method("POST"))
        .and(path(format!("/orderStatus/{ORDER}")))
        .respond_with(ResponseTemplate::new(200))
        .mount(&api)
        .await;
    let config = deliverect::Config {
        acceptance: Acceptance {
            mode: AcceptMode::Manual,
            then,
            reason: reason.into(),
            ..Acceptance::default()
        },
        ..deliverect::Config::sample()
    };
    let rx = stack.pipeline(
        deliverect::Deliverect::new(config),
        ordergate_tests::platforms::Deliverect::secrets(),
    );
    let answer = rx
        .handle(ordergate_testkit::api_event("deliverect/new_order.json"))
        .await;
    assert_eq!(answer.status(), 200);
    let received = stack.store().order("deliverect", ORDER).await.unwrap().trail[0].received_at;
    let now = Arc::new(Mutex::new(received));
    let mut worker = stack.worker(fake_platforms(&api));
    let clock = now.clone();
    worker.clock = Arc::new(move || *clock.lock().unwrap());
    worker.backoff = std::time::Duration::ZERO;
    // The new order's job comes to the worker, which sends nothing and hands it back until
    // the window ends (out of the queue meanwhile: the test brings it back itself).
    let (handled, waiting) = stack.run_worker(&worker).await;
    assert_eq!((handled, waiting.len()), (1, 1), "its job waits");
    Manual {
        stack,
        api,
        worker,
        now,
        received,
    }
}

impl Manual {
    fn later(&self, by: Duration) {
        *self.now.lock().unwrap() = self.received + by;
    }

    /// The new order's job: the one waiting for the decision window.
    async fn window_job(&self) -> ordergate_shared::job::AckJob {
        let trail = self.stack.store().order("deliverect", ORDER).await.unwrap().trail;
        let order = trail
            .iter()
            .find(|e| !e.event_type.starts_with("command."))
            .expect("the new order");
        self.stack
            .stored("deliverect", &order.event_key.0)
            .await
            .job
            .unwrap()
    }

    /// Runs the window's job as if SQS brought it back now; whether it is still waiting.
    async fn window_comes_back(&self) -> bool {
        let job = self.window_job().await;
        !self
            .worker
            .handle(batch_of(&job, "window"))
            .await
            .batch_item_failures
            .is_empty()
    }

    async fn statuses_sent(&self) -> Vec<Value> {
        let requests = self.api.received_requests().await.unwrap();
        requests
            .iter()
            .filter(|r| r.url.path().starts_with("/orderStatus/"))
            .map(|r| {
                let body: Value = serde_json::from_slice(&r.body).unwrap();
                json!([body["status"], body["reason"]])
            })
            .collect()
    }

    async fn awaiting(&self) -> Vec<String> {
        let page = self
            .stack
            .store()
            .awaiting_decision("deliverect", 10, None)
            .await
            .unwrap();
        page.orders.into_iter().filter_map(|o| o.decide_by).collect()
    }
}

fn decision(status: Requested, id: &str, reason: Option<&str>) -> StatusCommand {
    StatusCommand {
        version: VERSION,
        command_id: id.into(),
        provider: "deliverect".into(),
        order_id: ORDER.into(),
        location_id: None,
        status,
        reason: reason.map(str::to_owned),
        receipt_id: None,
        pickup_time: None,
    }
}

async fn submit(
    m: &Manual,
    command: &StatusCommand,
) -> Result<ordergate_shared::command::Submitted, CommandError> {
    let (limits, now) = (ordergate_shared::Limits::default(), *m.now.lock().unwrap());
    ordergate_platforms::submit_command(&m.stack.store(), command, &limits, now).await
}

#[tokio::test]
async fn a_manual_order_waits_for_the_restaurant_whose_rejection_is_sent() {
    let m = manual(Requested::Accepted, "unused").await;
    let deadline = (m.received + Duration::seconds(240)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert_eq!(m.awaiting().await, [deadline], "listed while it waits");
    assert!(m.statuses_sent().await.is_empty(), "nothing accepted on receipt");

    let reject = decision(Requested::Rejected, "pos-1", Some("Out of paella"));
    assert!(!submit(&m, &reject).await.unwrap().duplicate);
    assert_eq!(
        m.stack.run_worker(&m.worker).await,
        (1, vec![]),
        "the rejection goes at once"
    );
    assert_eq!(m.statuses_sent().await, [json!([120, "Out of paella"])]);
    assert!(m.awaiting().await.is_empty(), "decided: no longer listed");
    let late = submit(&m, &decision(Requested::Accepted, "pos-2", None)).await;
    assert!(
        matches!(
            late,
            Err(CommandError::Refused(Refusal::Decided(Requested::Rejected)))
        ),
        "{late:?}"
    );

    m.later(Duration::seconds(241));
    assert!(!m.window_comes_back().await, "the window's job is done");
    let job = m.window_job().await;
    let settled = m.stack.stored("deliverect", &job.event_key.0).await.ack;
    assert_eq!(
        settled.message.as_deref(),
        Some("decided by the restaurant: rejected")
    );
    assert_eq!(m.stack.run_worker(&m.worker).await.0, 0, "nothing more to send");
    assert_eq!(m.statuses_sent().await.len(), 1);
}

#[tokio::test]
async fn an_order_not_decided_in_time_gets_the_default_recorded_sent_and_published() {
    let m = manual(Requested::Accepted, "unused").await;
    m.later(Duration::seconds(239));
    assert!(m.window_comes_back().await, "still open a second before the end");
    m.later(Duration::seconds(240));
    assert!(!m.window_comes_back().await);
    assert!(m.awaiting().await.is_empty());
    assert_eq!(m.stack.run_worker(&m.worker).await, (1, vec![]));
    assert_eq!(m.statuses_sent().await, [json!([20, ""])]);
    let trail = m.stack.store().order("deliverect", ORDER).await.unwrap().trail;
    assert_eq!(trail.last().unwrap().event_type, "command.accepted");
    let published: Vec<_> = m
        .stack
        .stream_records("PublisherStream")
        .await
        .iter()
        .filter_map(|r| publisher::status_outcome(r).unwrap())
        .map(|(t, o)| (t, o.command_id))
        .collect();
    assert_eq!(
        published,
        [("Order Status Sent", "decision-window-passed".to_owned())]
    );
    let late = submit(&m, &decision(Requested::Rejected, "pos-1", Some("Too late"))).await;
    assert!(
        matches!(
            late,
            Err(CommandError::Refused(Refusal::Decided(Requested::Accepted)))
        ),
        "{late:?}"
    );
}

#[tokio::test]
async fn an_undecided_order_can_be_rejected_by_default_with_the_configured_reason() {
    let m = manual(Requested::Rejected, "Closed for the night").await;
    m.later(Duration::minutes(5));
    assert!(!m.window_comes_back().await);
    assert_eq!(m.stack.run_worker(&m.worker).await, (1, vec![]));
    assert_eq!(m.statuses_sent().await, [json!([120, "Closed for the night"])]);
}

#[tokio::test]
async fn the_restaurant_accepts_within_the_window() {
    let m = manual(Requested::Rejected, "Closed").await;
    m.later(Duration::seconds(60));
    submit(&m, &decision(Requested::Accepted, "pos-1", None))
        .await
        .unwrap();
    assert_eq!(
        m.stack.run_worker(&m.worker).await,
        (1, vec![]),
        "accepted at once"
    );
    assert_eq!(m.statuses_sent().await, [json!([20, ""])]);
    m.later(Duration::seconds(240));
    assert!(!m.window_comes_back().await);
    assert_eq!(m.stack.run_worker(&m.worker).await.0, 0);
    assert_eq!(m.statuses_sent().await.len(), 1, "the default does not apply");
}

#[tokio::test]
async fn an_order_accepted_on_the_platform_no_longer_waits() {
    let m = manual(Requested::Accepted, "unused").await;
    let rx = m.stack.pipeline(
        deliverect::Deliverect::new(deliverect::Config::sample()),
        ordergate_tests::platforms::Deliverect::secrets(),
    );
    let accepted = rx
        .handle(ordergate_testkit::api_event("deliverect/accepted.json"))
        .await;
    assert_eq!(accepted.status(), 200);
    assert!(m.awaiting().await.is_empty(), "Deliverect says it is accepted");
    m.later(Duration::seconds(240));
    assert!(!m.window_comes_back().await);
    let note = m
        .stack
        .stored("deliverect", &m.window_job().await.event_key.0)
        .await
        .ack
        .message;
    assert_eq!(
        note.as_deref(),
        Some("accepted not applied: the order is accepted: it cannot become accepted")
    );
    assert!(m.statuses_sent().await.is_empty(), "nothing sent for it");
}
