//! Poison and failing jobs reach the dead-letter queue after the queue's maxReceiveCount;
//! `ordergate dlq list` shows them and `dlq replay` brings them back, safely repeatable.

use std::process::Command;
use std::time::Duration;

use ordergate_shared::store::{AckStatus, EventStore};
use ordergate_tests::{depth, Stack};
use serde_json::json;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn platform_answers(api: &MockServer, status: u16) {
    api.reset().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"access_token": "t", "expires_in": 3600})),
        )
        .mount(api)
        .await;
    Mock::given(method("POST"))
        .and(path_regex("^/orderStatus/"))
        .respond_with(ResponseTemplate::new(status))
        .mount(api)
        .await;
}

fn status_calls(requests: &[wiremock::Request]) -> usize {
    requests
        .iter()
        .filter(|r| r.url.path().starts_with("/orderStatus/"))
        .count()
}

#[tokio::test]
async fn failing_and_poison_jobs_go_to_the_dlq_and_replay_brings_them_back() {
    let stack = Stack::new().await;
    let api = MockServer::start().await;
    platform_answers(&api, 500).await;
    let platforms = ordergate_tests::fake_platforms(&api);
    let mut worker = stack.worker(platforms);
    worker.backoff = Duration::ZERO;

    stack.receive_deliverect_order().await;
    stack.enqueue_raw("this is not an ack job", "poison").await;

    // After maxReceiveCount receives (template.yaml) the next one finds them dead-lettered.
    let (max_receives, _) = ordergate_tests::ack_queue_settings();
    for _ in 0..max_receives + 2 {
        stack.run_worker(&worker).await;
    }
    assert_eq!(stack.queue_depth().await, 0);
    assert_eq!(depth(&stack.sqs(), &stack.dead_letter_url).await, 2);

    let letters = ordergate_cli::commands::dlq::list(&stack.sqs(), &stack.dead_letter_url, 10)
        .await
        .unwrap();
    assert_eq!(letters.len(), 2);
    assert!(letters
        .iter()
        .any(|l| l.provider.as_deref() == Some("deliverect")));
    assert!(letters.iter().any(|l| l.unreadable.is_some()));
    assert_eq!(
        depth(&stack.sqs(), &stack.dead_letter_url).await,
        2,
        "listing moves nothing"
    );

    // The platform recovers; the operator replays.
    platform_answers(&api, 200).await;
    tokio::time::sleep(Duration::from_secs(5)).await; // the listing hid the messages for 5 s
    let moved =
        ordergate_cli::commands::dlq::replay(&stack.sqs(), &stack.dead_letter_url, &stack.queue_url, 100)
            .await
            .unwrap();
    assert_eq!(moved.len(), 2);
    assert_eq!(depth(&stack.sqs(), &stack.dead_letter_url).await, 0);
    for _ in 0..3 {
        stack.run_worker(&worker).await;
    }
    let event = stack
        .store()
        .event("deliverect", &moved_key(&moved))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(event.ack.status, AckStatus::Acked);
    assert_eq!(status_calls(&api.received_requests().await.unwrap()), 1);

    // Replaying an already acknowledged job again does not call the platform again.
    stack
        .sqs()
        .send_message()
        .queue_url(&stack.dead_letter_url)
        .message_body(serde_json::to_string(&event.job).unwrap())
        .message_group_id("g")
        .message_deduplication_id("again")
        .send()
        .await
        .unwrap();
    let moved =
        ordergate_cli::commands::dlq::replay(&stack.sqs(), &stack.dead_letter_url, &stack.queue_url, 100)
            .await
            .unwrap();
    assert_eq!(moved.len(), 1);
    for _ in 0..2 {
        stack.run_worker(&worker).await;
    }
    assert_eq!(
        status_calls(&api.received_requests().await.unwrap()),
        1,
        "no second call"
    );
}

fn moved_key(moved: &[ordergate_cli::commands::dlq::DeadLetter]) -> String {
    moved
        .iter()
        .find_map(|l| l.event_key.clone())
        .expect("the deliverect job")
}

#[tokio::test]
async fn the_binary_lists_the_dlq_as_json_and_fails_cleanly() {
    let stack = Stack::new().await;
    stack
        .sqs()
        .send_message()
        .queue_url(&stack.dead_letter_url)
        .message_body("poison")
        .message_group_id("g")
        .message_deduplication_id("p")
        .send()
        .await
        .unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_ordergate"))
            .args(args)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .env("ORDERGATE_AWS_TIMEOUT_MS", "5000")
            .output()
            .expect("run ordergate")
    };
    let endpoint = ordergate_tests::endpoint();
    let out = run(&[
        "dlq",
        "list",
        "--json",
        "--endpoint-url",
        &endpoint,
        "--dlq-url",
        &stack.dead_letter_url,
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert!(listed[0]["unreadable"].is_string());

    let out = run(&[
        "dlq",
        "list",
        "--endpoint-url",
        "http://127.0.0.1:1",
        "--dlq-url",
        &stack.dead_letter_url,
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("ordergate: sqs receive_message"));
    let out = run(&["dlq", "replay"]);
    assert_eq!(out.status.code(), Some(2), "missing arguments are a usage error");
}
