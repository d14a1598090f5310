//! A restaurant's commands (accept, reject, statuses) from `submit` — what the bus's
//! commands function and `ordergate status` call — to the platform's API: validated against
//! the stored order, recorded once per command id, sent by the ack worker in the order
//! asked, outcomes read by the publisher from the table's stream as its mapping filters it.
//! The platforms' APIs are wiremock on 127.0.0.1; the exact requests are asserted.

use std::time::Duration;

use ack_worker::AllPlatforms;
use ordergate_shared::command::{CommandError, Refusal, Requested, StatusCommand, Submitted, VERSION};
use ordergate_shared::store::DynamoStore;
use ordergate_shared::worker::Worker;
use ordergate_shared::Provider;
use ordergate_testkit::request;
use ordergate_tests::platforms::{distinct, name, Ordatic, TestPlatform};
use ordergate_tests::{batch_of, deliverect_token, fake_platforms, per_platform, Stack};
use publisher::StatusOutcome;
use serde_json::{json, Value};
use wiremock::matchers::{bearer_token, body_partial_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use Requested::*;

const ORDER: &str = "6438f1a2c9e77d0012ab34cd";
const ORDATIC_STORE: &str = "st-5f2b9c";
const ORDATIC_ORDER: &str = "ord-8d41a7e2-1c3b";

fn command(platform: &str, order: &str, status: Requested, id: &str) -> StatusCommand {
    StatusCommand {
        version: VERSION,
        command_id: id.to_owned(),
        provider: platform.to_owned(),
        order_id: order.to_owned(),
        location_id: None,
        status,
        reason: None,
        receipt_id: None,
        pickup_time: None,
    }
}

fn deliverect(status: Requested, id: &str) -> StatusCommand {
    command("deliverect", ORDER, status, id)
}

fn ordatic(status: Requested, id: &str) -> StatusCommand {
    StatusCommand {
        location_id: Some(ORDATIC_STORE.into()),
        ..command("ordatic", ORDATIC_ORDER, status, id)
    }
}

async fn submit(stack: &Stack, command: &StatusCommand) -> Result<Submitted, CommandError> {
    let limits = ordergate_shared::Limits::default();
    ordergate_platforms::submit_command(&stack.store(), command, &limits, chrono::Utc::now()).await
}

async fn queued(stack: &Stack, command: &StatusCommand) {
    let s = submit(stack, command).await.expect("taken");
    assert!(!s.duplicate, "{s:?}");
}

async fn refused(stack: &Stack, command: &StatusCommand) -> Refusal {
    match submit(stack, command).await {
        Err(CommandError::Refused(r)) => r,
        other => panic!("{} {}: {other:?}", command.status, command.command_id),
    }
}

fn worker(stack: &Stack, platforms: AllPlatforms) -> Worker<DynamoStore, AllPlatforms> {
    let mut w = stack.worker(platforms);
    w.backoff = Duration::ZERO; // retries come back at once in tests
    w
}

/// A stack holding the sample Deliverect order, a fake Deliverect API issuing tokens and
/// answering status updates with `first` where it matches, else 200, and a worker calling it.
async fn deliverect_stack(first: Option<Mock>) -> (Stack, MockServer, Worker<DynamoStore, AllPlatforms>) {
    let stack = Stack::new().await;
    let api = MockServer::start().await;
    deliverect_token(&api, 3600).await;
    if let Some(first) = first {
        first.mount(&api).await;
    }
    Mock::given(method("POST"))
        .and(path(format!("/orderStatus/{ORDER}")))
        .and(bearer_token("tok-1"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&api)
        .await;
    stack.receive_deliverect_order().await;
    let w = worker(&stack, fake_platforms(&api));
    (stack, api, w)
}

/// A status update to Deliverect with `status`.
fn answering(status: i64) -> wiremock::MockBuilder {
    Mock::given(method("POST")).and(body_partial_json(json!({ "status": status })))
}

/// The bodies of every request to `path_prefix` the fake API received, in order.
async fn bodies(api: &MockServer, path_prefix: &str) -> Vec<Value> {
    api.received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path().starts_with(path_prefix))
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
}

async fn statuses_sent(api: &MockServer) -> Vec<i64> {
    let bodies = bodies(api, "/orderStatus/").await;
    bodies.iter().map(|b| b["status"].as_i64().unwrap()).collect()
}

/// The outcomes the publisher reads from the stream: (detail type, outcome).
async fn outcomes(stack: &Stack) -> Vec<(&'static str, StatusOutcome)> {
    let records = stack.stream_records("PublisherStream").await;
    records
        .iter()
        .filter_map(|r| publisher::status_outcome(r).expect("a readable record"))
        .collect()
}

per_platform!(every_status_the_platform_takes_is_queued_and_the_rest_refused);

async fn every_status_the_platform_takes_is_queued_and_the_rest_refused<P: TestPlatform>() {
    let stack = Stack::new().await;
    let rx = stack.pipeline(P::provider(), P::secrets());
    for (i, status) in Requested::ALL.into_iter().enumerate() {
        let (event, key) = distinct::<P>(P::LIFECYCLE[0], &format!("cmd{i}"));
        assert_eq!(rx.handle(request(&event)).await.status(), 200);
        let (location, order) = match P::P::ORDER_IDS_PER_LOCATION {
            true => key.split_once(':').map(|(l, o)| (Some(l.to_owned()), o)).unwrap(),
            false => (None, key.as_str()),
        };
        let mut c = command(name::<P>(), order, status, &format!("c-{status}"));
        (c.location_id, c.reason) = (location, Some("Kitchen closed".into()));
        let before = stack.event_records().await;
        match submit(&stack, &c).await {
            Ok(s) if P::STATUSES.contains(&status) => assert!(!s.duplicate),
            Err(CommandError::Refused(Refusal::NotSupported { .. })) if !P::STATUSES.contains(&status) => {
                assert_eq!(stack.event_records().await, before, "a refusal stores nothing")
            }
            other => panic!("{} {status}: {other:?}", name::<P>()),
        }
    }
}

#[tokio::test]
async fn deliverect_is_sent_each_status_in_the_order_asked() {
    let (stack, api, w) = deliverect_stack(None).await;
    let pickup = chrono::DateTime::parse_from_rfc3339("2026-12-05T18:45:00Z")
        .unwrap()
        .to_utc();
    for (i, status) in [Accepted, Preparing, Prepared, Ready, Completed]
        .into_iter()
        .enumerate()
    {
        let mut c = deliverect(status, &format!("pos-{i}"));
        if status == Ready {
            (c.receipt_id, c.pickup_time) = (Some("R-1001".into()), Some(pickup));
        }
        queued(&stack, &c).await;
    }
    // One FIFO group: the order's acceptance from its receipt, then the five, in one batch.
    assert_eq!(stack.run_worker(&w).await, (6, vec![]));
    assert_eq!(statuses_sent(&api).await, [20, 20, 50, 60, 70, 90]);
    let sent = bodies(&api, "/orderStatus/").await;
    let keys = |b: &Value| {
        let mut k: Vec<String> = b.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(
        keys(&sent[2]),
        ["orderId", "reason", "receiptId", "status", "timeStamp"]
    );
    assert_eq!(
        (&sent[2]["orderId"], &sent[2]["receiptId"], &sent[2]["reason"]),
        (&json!(ORDER), &json!(ORDER), &json!("")),
        "the receipt id is the order's when the POS gives none"
    );
    assert_eq!(
        (&sent[4]["receiptId"], &sent[4]["pickupTime"]),
        (&json!("R-1001"), &json!("2026-12-05T18:45:00.000000Z"))
    );
    let published = outcomes(&stack).await;
    let seen: Vec<(&str, Requested, &str)> = published
        .iter()
        .map(|(t, o)| (*t, o.status, o.command_id.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("Order Status Sent", Accepted, "pos-0"),
            ("Order Status Sent", Preparing, "pos-1"),
            ("Order Status Sent", Prepared, "pos-2"),
            ("Order Status Sent", Ready, "pos-3"),
            ("Order Status Sent", Completed, "pos-4"),
        ]
    );
    assert_eq!(published[3].1.answer, "status: status 70 sent");
    assert_eq!(published[3].1.order_id, ORDER);
    // And nothing after the order is finalized.
    let after = refused(&stack, &deliverect(Cancelled, "late")).await;
    assert_eq!(
        after.to_string(),
        "the order is completed: it cannot become cancelled"
    );
}

#[tokio::test]
async fn a_new_order_is_rejected_with_its_reason_and_bad_commands_are_refused_with_why() {
    let (stack, api, w) = deliverect_stack(None).await;
    let before = stack.event_records().await;
    let no_reason = refused(&stack, &deliverect(Rejected, "r-1")).await;
    assert_eq!(no_reason.code(), "reason_required");
    assert_eq!(
        no_reason.to_string(),
        "deliverect needs a reason to mark an order rejected"
    );
    let courier = refused(&stack, &deliverect(PickedUp, "p-1")).await;
    assert_eq!(courier.code(), "status_not_supported");
    let unknown = refused(&stack, &command("deliverect", "no-such-order", Ready, "u-1")).await;
    assert_eq!(unknown.to_string(), "no deliverect order no-such-order is stored");
    let bad_id = refused(&stack, &deliverect(Ready, "")).await;
    assert_eq!(bad_id.code(), "invalid_command");
    let ordatic_without_store = refused(&stack, &command("ordatic", ORDATIC_ORDER, Ready, "o-1")).await;
    assert_eq!(ordatic_without_store.code(), "invalid_command");
    assert_eq!(stack.event_records().await, before, "refusals store nothing");

    let reject = StatusCommand {
        reason: Some("Kitchen closed".into()),
        ..deliverect(Rejected, "r-1")
    };
    queued(&stack, &reject).await;
    let too_late = refused(&stack, &deliverect(Ready, "x-1")).await;
    assert_eq!(
        too_late.to_string(),
        "the order is rejected: it cannot become ready"
    );
    assert_eq!(stack.run_worker(&w).await, (2, vec![]));
    let sent = bodies(&api, "/orderStatus/").await;
    assert_eq!(
        (&sent[1]["status"], &sent[1]["reason"], &sent[1]["receiptId"]),
        (&json!(120), &json!("Kitchen closed"), &json!(ORDER))
    );
}

#[tokio::test]
async fn the_same_command_id_is_one_call() {
    let (stack, api, w) = deliverect_stack(None).await;
    queued(&stack, &deliverect(Ready, "pos-7")).await;
    let again = submit(&stack, &deliverect(Ready, "pos-7")).await.unwrap();
    assert!(again.duplicate, "a repeat is taken, not queued again");
    let reused = refused(&stack, &deliverect(Preparing, "pos-7")).await;
    assert_eq!(reused.code(), "command_id_reused");
    assert_eq!(stack.run_worker(&w).await, (2, vec![]));
    // The job delivered again (SQS at least once): not sent again.
    let job = stack.stored("deliverect", "command:pos-7").await.job.unwrap();
    stack
        .enqueue_raw(&serde_json::to_string(&job).unwrap(), "again")
        .await;
    assert_eq!(stack.run_worker(&w).await, (1, vec![]));
    assert_eq!(statuses_sent(&api).await, [20, 70]);
    // Sent: a repeat after the outcome is still a repeat.
    assert!(
        submit(&stack, &deliverect(Ready, "pos-7"))
            .await
            .unwrap()
            .duplicate
    );
}

#[tokio::test]
async fn a_status_the_platform_refuses_fails_once_and_is_published_with_its_answer() {
    let finalized = ResponseTemplate::new(400).set_body_json(json!({"error": "order is finalized"}));
    let (stack, _api, w) = deliverect_stack(Some(answering(70).respond_with(finalized))).await;
    queued(&stack, &deliverect(Ready, "pos-1")).await;
    assert_eq!(stack.run_worker(&w).await, (2, vec![]), "a 4xx is not retried");
    let record = stack.stored("deliverect", "command:pos-1").await;
    assert_eq!(record.ack.status.as_str(), "failed");
    let published = outcomes(&stack).await;
    assert_eq!(published.len(), 1);
    let (detail_type, outcome) = &published[0];
    assert_eq!(*detail_type, "Order Status Failed");
    assert!(
        outcome.answer.contains("HTTP 400") && outcome.answer.contains("order is finalized"),
        "{}",
        outcome.answer
    );
    // A refused command does not count: the restaurant may ask again, with a new id.
    queued(&stack, &deliverect(Ready, "pos-2")).await;
}

#[tokio::test]
async fn a_5xx_is_retried_and_the_commands_after_it_wait() {
    let unavailable = answering(50)
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1);
    let (stack, api, w) = deliverect_stack(Some(unavailable)).await;
    queued(&stack, &deliverect(Preparing, "pos-1")).await;
    queued(&stack, &deliverect(Ready, "pos-2")).await;
    let (handled, failed) = stack.run_worker(&w).await;
    assert_eq!(
        (handled, failed.len()),
        (3, 2),
        "preparing to retry, ready handed back"
    );
    assert_eq!(stack.run_worker(&w).await, (2, vec![]));
    assert_eq!(statuses_sent(&api).await, [20, 50, 50, 70]);
}

#[tokio::test]
async fn a_command_that_reaches_the_worker_before_an_earlier_one_waits_for_it() {
    let (stack, api, w) = deliverect_stack(None).await;
    queued(&stack, &deliverect(Preparing, "pos-1")).await;
    queued(&stack, &deliverect(Ready, "pos-2")).await;
    let ready = stack.stored("deliverect", "command:pos-2").await.job.unwrap();
    assert_eq!(ready.after.as_ref().map(|k| k.0.as_str()), Some("command:pos-1"));
    // As if the stream had relayed it first (records of two items on two shards).
    let early = w.handle(batch_of(&ready, "early")).await;
    assert_eq!(early.batch_item_failures.len(), 1, "held back");
    assert!(statuses_sent(&api).await.is_empty());
    assert_eq!(stack.run_worker(&w).await, (3, vec![]));
    assert_eq!(statuses_sent(&api).await, [20, 50, 70]);
}

#[tokio::test]
async fn ordatic_is_sent_its_four_statuses_at_its_status_path() {
    let stack = Stack::new().await;
    let api = MockServer::start().await;
    ordergate_tests::ordatic_auth(&api).await;
    let status_path = format!("/ordatic/v2/stores/{ORDATIC_STORE}/orders/{ORDATIC_ORDER}/status");
    Mock::given(method("POST"))
        .and(path(status_path.as_str()))
        .and(bearer_token("ord-tok"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&api)
        .await;
    Mock::given(method("GET"))
        .and(path(format!(
            "/ordatic/v2/stores/{ORDATIC_STORE}/orders/{ORDATIC_ORDER}"
        )))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"id": ORDATIC_ORDER, "status": "accepted"})),
        )
        .mount(&api)
        .await;
    receive::<Ordatic>(&stack, "ordatic/order-accepted.json").await;
    let not_taken = refused(&stack, &ordatic(Accepted, "o-0")).await;
    assert_eq!(not_taken.code(), "status_not_supported");
    for (i, status) in [Preparing, Ready, PickedUp, Completed].into_iter().enumerate() {
        queued(&stack, &ordatic(status, &format!("o-{i}"))).await;
    }
    // Without a status path configured: our misconfiguration, retried, nothing sent; the
    // order's full-order fetch goes first.
    let (_, failed) = stack.run_worker(&worker(&stack, fake_platforms(&api))).await;
    assert_eq!(
        failed.len(),
        4,
        "the fetch went; the statuses wait for a status path"
    );
    let record = stack.stored("ordatic", "command:o-0").await;
    assert!(record.ack.message.unwrap().contains("ORDATIC_STATUS_PATH"));
    assert!(bodies(&api, &status_path).await.is_empty());
    let mut platforms = fake_platforms(&api);
    platforms.ordatic = ordergate_tests::ordatic_reporting_in_kitchen(&api.uri());
    assert_eq!(stack.run_worker(&worker(&stack, platforms)).await, (4, vec![]));
    let sent: Vec<Value> = bodies(&api, &status_path).await;
    assert_eq!(
        sent,
        [
            json!({"status": "IN_KITCHEN"}),
            json!({"status": "READY_TO_PICK_UP"}),
            json!({"status": "PICKED_UP"}),
            json!({"status": "SERVED"})
        ]
    );
}

async fn receive<P: TestPlatform>(stack: &Stack, sample: &str) {
    let rx = stack.pipeline(P::provider(), P::secrets());
    let event = ordergate_tests::platforms::signed_sample::<P>(sample);
    assert_eq!(rx.handle(request(&event)).await.status(), 200);
}

/// The commands function's code with its own (recorded) AWS clients.
fn commands_function(stack: &Stack) -> (DynamoStore, ordergate_shared::bus::EventBridge) {
    let sdk = stack.function_sdk(ordergate_tests::iam::COMMANDS);
    (
        DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), &stack.table),
        ordergate_shared::bus::EventBridge::new(aws_sdk_eventbridge::Client::new(&sdk), stack.bus()),
    )
}

#[tokio::test]
async fn a_command_from_the_bus_is_sent_and_a_refused_one_is_published_with_why() {
    let (stack, api, w) = deliverect_stack(None).await;
    let rejections = stack.subscribe(&["Order Status Rejected"]).await;
    let (store, bus) = commands_function(&stack);
    let limits = ordergate_shared::Limits::default();
    let handle = |event: Value| {
        let (store, bus, limits) = (&store, &bus, &limits);
        async move {
            commands::handle(store, bus, limits, &event, chrono::Utc::now())
                .await
                .unwrap()
        }
    };
    // The sample as `sam local invoke CommandsFunction -e events/commands/ready.json` hands it.
    let sample = ordergate_testkit::api_event_json("commands/ready.json");
    let queued = handle(sample.clone()).await;
    assert_eq!(
        queued,
        commands::Handled::Queued {
            event_key: "command:kds-6438f1a2-ready".into()
        }
    );
    assert_eq!(
        handle(sample.clone()).await,
        commands::Handled::Duplicate {
            event_key: "command:kds-6438f1a2-ready".into()
        }
    );

    let mut backwards = sample.clone();
    backwards["detail"]["command_id"] = json!("kds-2");
    backwards["detail"]["status"] = json!("preparing");
    let mut unreadable = sample.clone();
    unreadable["detail"]["status"] = json!("done");
    unreadable["detail"]["command_id"] = json!("kds-3");
    for (event, error) in [(backwards, "illegal_transition"), (unreadable, "invalid_command")] {
        assert_eq!(handle(event).await, commands::Handled::Rejected { error });
    }
    let published = stack.received(&rejections).await;
    let details: Vec<(&Value, &Value)> = published
        .iter()
        .map(|e| (&e["detail"]["command_id"], &e["detail"]["error"]))
        .collect();
    assert_eq!(
        details,
        [
            (&json!("kds-2"), &json!("illegal_transition")),
            (&json!("kds-3"), &json!("invalid_command"))
        ]
    );
    assert_eq!(
        published[0]["detail"]["message"],
        "the order is ready: it cannot become preparing"
    );
    let unreadable = published[1]["detail"]["message"].as_str().unwrap();
    assert!(
        unreadable.contains("at `status`") && !unreadable.contains("done"),
        "{unreadable}"
    );

    assert_eq!(stack.run_worker(&w).await, (2, vec![]));
    let sent = bodies(&api, "/orderStatus/").await;
    assert_eq!(
        (&sent[1]["status"], &sent[1]["receiptId"]),
        (&json!(70), &json!("R-1001"))
    );
}

#[tokio::test]
async fn the_published_schema_is_the_command_the_code_reads() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(ordergate_tests::root().join("docs/schemas/order-status-requested.json"))
            .unwrap(),
    )
    .unwrap();
    let full = StatusCommand {
        location_id: Some("l".into()),
        reason: Some("r".into()),
        receipt_id: Some("x".into()),
        pickup_time: Some(chrono::Utc::now()),
        ..deliverect(Ready, "c")
    };
    let fields = |v: &Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(
        fields(&schema["properties"]),
        fields(&serde_json::to_value(&full).unwrap())
    );
    assert_eq!(
        fields(&serde_json::to_value(deliverect(Ready, "c")).unwrap()),
        {
            let mut r: Vec<String> = serde_json::from_value(schema["required"].clone()).unwrap();
            r.sort();
            r
        },
        "required: what a command without options holds"
    );
    let statuses: Vec<&str> = Requested::ALL.iter().map(|r| r.as_str()).collect();
    assert_eq!(schema["properties"]["status"]["enum"], json!(statuses));
    let platforms = ordergate_platforms::NAMES;
    assert_eq!(schema["properties"]["provider"]["enum"], json!(platforms));
    assert_eq!(schema["properties"]["version"]["const"], json!(VERSION));
    assert_eq!(
        schema["properties"]["reason"]["maxLength"],
        json!(ordergate_shared::command::MAX_REASON)
    );
    for sample in ["commands/ready.json", "commands/rejected.json"] {
        let event = ordergate_testkit::api_event_json(sample);
        assert_eq!(event["detail-type"], ordergate_shared::command::REQUESTED);
        serde_json::from_value::<StatusCommand>(event["detail"].clone()).expect(sample);
    }
}

#[tokio::test]
async fn a_rejection_from_the_bus_decides_the_order_once() {
    let (stack, api, w) = deliverect_stack(None).await;
    let (store, bus) = commands_function(&stack);
    let limits = ordergate_shared::Limits::default();
    let now = chrono::Utc::now();
    let rejected = ordergate_testkit::api_event_json("commands/rejected.json");
    let handled = commands::handle(&store, &bus, &limits, &rejected, now)
        .await
        .unwrap();
    assert_eq!(
        handled,
        commands::Handled::Queued {
            event_key: format!("decision:{ORDER}")
        },
        "a decision is keyed by its order"
    );
    let mut accept = rejected.clone();
    accept["detail"]["command_id"] = json!("pos-accept");
    accept["detail"]["status"] = json!("accepted");
    let again = commands::handle(&store, &bus, &limits, &accept, now)
        .await
        .unwrap();
    assert_eq!(
        again,
        commands::Handled::Rejected {
            error: "already_decided"
        }
    );
    assert_eq!(stack.run_worker(&w).await, (2, vec![]));
    let sent = bodies(&api, "/orderStatus/").await;
    assert_eq!(
        (&sent[1]["status"], &sent[1]["reason"]),
        (&json!(120), &json!("Kitchen closed early today"))
    );
}

#[tokio::test]
async fn cancelled_and_failed_are_sent_with_their_codes_and_reasons() {
    let (stack, api, w) = deliverect_stack(None).await;
    queued(&stack, &deliverect(Preparing, "pos-1")).await;
    let failed = StatusCommand {
        reason: Some("Oven broke down".into()),
        ..deliverect(Failed, "pos-2")
    };
    queued(&stack, &failed).await;
    assert_eq!(stack.run_worker(&w).await, (3, vec![]));

    let (other, other_api, other_w) = deliverect_stack(None).await;
    let cancelled = StatusCommand {
        reason: Some("Customer called to cancel".into()),
        ..deliverect(Cancelled, "pos-3")
    };
    queued(&other, &cancelled).await;
    assert_eq!(other.run_worker(&other_w).await, (2, vec![]));
    let bodies_without_time = |sent: Vec<Value>| -> Vec<Value> {
        sent.into_iter()
            .map(|mut b| {
                assert!(b["timeStamp"].as_str().unwrap().ends_with('Z'));
                b.as_object_mut().unwrap().remove("timeStamp");
                b
            })
            .collect()
    };
    let status = |code: i64, reason: &str| json!({"orderId": ORDER, "status": code, "reason": reason, "receiptId": ORDER});
    assert_eq!(
        bodies_without_time(bodies(&api, "/orderStatus/").await)[1..],
        [status(50, ""), status(120, "Oven broke down")]
    );
    assert_eq!(
        bodies_without_time(bodies(&other_api, "/orderStatus/").await)[1..],
        [status(110, "Customer called to cancel")]
    );
}

#[tokio::test]
async fn an_expired_token_is_refreshed_once_for_a_command() {
    let expired = answering(70)
        .respond_with(ResponseTemplate::new(401))
        .up_to_n_times(1);
    let (stack, api, w) = deliverect_stack(Some(expired)).await;
    queued(&stack, &deliverect(Ready, "pos-1")).await;
    assert_eq!(stack.run_worker(&w).await, (2, vec![]));
    let tokens = api
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/oauth/token")
        .count();
    assert_eq!(tokens, 2, "one for the acceptance, one more after the 401");
    assert_eq!(statuses_sent(&api).await, [20, 70, 70]);
    assert_eq!(
        stack
            .stored("deliverect", "command:pos-1")
            .await
            .ack
            .status
            .as_str(),
        "acked"
    );
}
