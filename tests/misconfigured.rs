//! Our own misconfiguration never costs an order: a webhook secret that is empty, malformed
//! or missing is a 503 with `Retry-After` (the platforms retry it; Deliverect never retries
//! a 4xx, Svix disables endpoints that keep failing), with nothing stored — and once an
//! operator fixes the secret, the platform's retry is stored. Secrets Manager itself down
//! is a 503 too, remembered for a few seconds so an outage does not cost every delivery a
//! full timeout; a last good copy is served for a bounded time only.

use std::time::Duration;

use ordergate_shared::error::ApiError;
use ordergate_shared::secrets::{Freshness, SecretSource};
use ordergate_shared::store::EventStore;
use ordergate_shared::Limits;
use ordergate_testkit::{json_body, request};
use ordergate_tests::platforms::{signed_sample, TestPlatform};
use ordergate_tests::{per_platform, sdk_for, Stack};
use serde_json::json;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

per_platform!(an_unusable_secret_is_503_until_an_operator_fixes_it);

/// Re-read on every delivery and forget failures at once: each delivery sees the value
/// the operator last put.
const ALWAYS_FRESH: Freshness = Freshness {
    refresh_after: Duration::ZERO,
    serve_stale_for: Duration::ZERO,
    remember_failure_for: Duration::ZERO,
};

async fn an_unusable_secret_is_503_until_an_operator_fixes_it<P: TestPlatform>() {
    let stack = Stack::new().await;
    let arn = stack.webhook_secret::<P::P>();
    let secrets = || {
        SecretSource::secrets_manager_with(
            aws_sdk_secretsmanager::Client::new(&stack.sdk),
            arn.clone(),
            ALWAYS_FRESH,
        )
    };
    let rx = stack.pipeline_from(&stack.sdk, P::provider(), secrets(), Limits::default());
    let event = signed_sample::<P>(P::LIFECYCLE[0]);
    for (what, value) in [
        ("empty", "{}"),
        (
            "blank values",
            r#"{"auth_header_value": "", "hmac_secret": "", "authorization": "", "signing_secrets": ""}"#,
        ),
        ("not JSON", "hmac=abc"),
        ("not strings", r#"{"hmac_secret": 1}"#),
    ] {
        stack.put_secret(&arn, value).await;
        let r = rx.handle(request(&event)).await;
        assert_eq!(r.status(), 503, "{what}: {}", json_body(&r));
        assert_eq!(r.headers()["retry-after"], "60", "{what}");
        assert_eq!(
            json_body(&r)["error"],
            "unavailable",
            "{what}: the cause stays ours"
        );
        assert!(stack.keys().await.is_empty(), "{what}: nothing stored");
    }
    let gone = stack.pipeline_from(
        &stack.sdk,
        P::provider(),
        SecretSource::secrets_manager_with(
            aws_sdk_secretsmanager::Client::new(&stack.sdk),
            "no-such-secret",
            ALWAYS_FRESH,
        ),
        Limits::default(),
    );
    assert_eq!(
        gone.handle(request(&event)).await.status(),
        503,
        "a secret that does not exist"
    );

    // The operator puts the right value: the platform's retry of the same delivery is kept.
    stack.put_secret(&arn, P::secrets()).await;
    let r = rx.handle(request(&event)).await;
    assert_eq!(r.status(), 200, "{}", json_body(&r));
    assert_eq!(stack.event_records().await, 1);
}

/// A Secrets Manager that answers `status` with `body` to everything.
async fn secrets_manager(status: u16, body: serde_json::Value) -> MockServer {
    let server = MockServer::start().await;
    answer(&server, status, body).await;
    server
}

async fn answer(server: &MockServer, status: u16, body: serde_json::Value) {
    server.reset().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(status)
                .insert_header("content-type", "application/x-amz-json-1.1")
                .set_body_json(body),
        )
        .mount(server)
        .await;
}

async fn source(server: &MockServer, freshness: Freshness) -> SecretSource {
    let client = aws_sdk_secretsmanager::Client::new(&sdk_for(&server.uri()).await);
    SecretSource::secrets_manager_with(client, "ordergate/OlaClickSecret", freshness)
}

fn down() -> serde_json::Value {
    json!({"__type": "InternalServiceError", "message": "injected"})
}

#[tokio::test]
async fn an_outage_is_unavailable_and_remembered_briefly() {
    let server = secrets_manager(500, down()).await;
    let secrets = source(
        &server,
        Freshness {
            remember_failure_for: Duration::from_secs(60),
            ..Freshness::default()
        },
    )
    .await;
    let first = secrets.get().await.unwrap_err();
    assert!(matches!(first, ApiError::Unavailable(_)), "{first:?}");
    let attempts = server.received_requests().await.unwrap().len();
    assert!(attempts >= 1);
    for _ in 0..10 {
        assert!(matches!(secrets.get().await, Err(ApiError::Unavailable(_))));
    }
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        attempts,
        "failures within the window cost no further calls"
    );
}

#[tokio::test]
async fn a_missing_or_forbidden_secret_is_misconfiguration() {
    for code in ["ResourceNotFoundException", "AccessDeniedException"] {
        let server = secrets_manager(400, json!({"__type": code, "message": "no"})).await;
        let e = source(&server, ALWAYS_FRESH).await.get().await.unwrap_err();
        assert!(matches!(e, ApiError::Misconfigured(_)), "{code}: {e:?}");
    }
}

#[tokio::test]
async fn a_good_copy_outlives_an_outage_for_a_bounded_time_only() {
    let value = json!({"ARN": "arn:x", "Name": "n", "SecretString": r#"{"auth_header_value": "tok"}"#});
    let server = secrets_manager(200, value).await;
    let secrets = source(
        &server,
        Freshness {
            refresh_after: Duration::ZERO,
            serve_stale_for: Duration::from_secs(3),
            remember_failure_for: Duration::ZERO,
        },
    )
    .await;
    assert_eq!(secrets.get().await.unwrap().get("auth_header_value"), Some("tok"));
    answer(&server, 500, down()).await;
    assert_eq!(
        secrets.get().await.unwrap().get("auth_header_value"),
        Some("tok"),
        "the last good copy while Secrets Manager is down"
    );
    tokio::time::sleep(Duration::from_millis(3100)).await;
    assert!(
        matches!(secrets.get().await, Err(ApiError::Unavailable(_))),
        "not served forever"
    );
}

/// The ack worker's side: an OlaClick acknowledgement with no URL configured, or without
/// its credential, calls nothing (never an unauthenticated call), stays retrying on its
/// event, and is counted as `Misconfigured` (MisconfiguredAlarm) instead of failing
/// silently; once the credential is set, the retry is acknowledged.
#[tokio::test]
async fn an_ack_worker_without_its_url_or_credential_calls_nothing_and_is_alarmed() {
    let metrics = ordergate_tests::Captured::default();
    ordergate_shared::metrics::set_writer(Box::new(metrics.clone()));
    let stack = Stack::new().await;
    let api = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200))
        .mount(&api)
        .await;
    stack.receive_olaclick_async_order().await;
    let key = "7573920b-5558-4455-ae73-d8628aba6609";
    let url = Some(format!("{}/olaclick/ack", api.uri()));
    // The worker with OlaClick's ack URL and credential as given; retries come back at once.
    let worker = |url: Option<String>, auth: &str| {
        let secrets = ordergate_tests::secrets(json!({ "ack_auth_value": auth }));
        let mut w = stack.worker(ack_worker::AllPlatforms {
            olaclick: olaclick::ack::OlaClickAck::new(url, "authorization", secrets),
            ..ordergate_tests::fake_platforms(&api)
        });
        w.backoff = Duration::ZERO;
        w
    };
    let settings = [
        (None, "Bearer ok", "OLACLICK_ACK_URL is not set"),
        (url.clone(), "", "ack_auth_value is not set"),
    ];
    for (url, auth, reason) in settings {
        let (handled, failed) = stack.run_worker(&worker(url, auth)).await;
        assert_eq!((handled, failed.len()), (1, 1), "retried, not dropped ({reason})");
        let event = stack.store().event("olaclick", key).await.unwrap().unwrap();
        assert_eq!(event.ack.status.to_string(), "retrying", "{reason}");
        assert!(event.ack.message.unwrap_or_default().contains(reason));
    }
    assert!(
        api.received_requests().await.unwrap().is_empty(),
        "no call without URL and credential"
    );
    let alarmed = metrics
        .text()
        .lines()
        .filter(|l| l.contains(r#""provider":"olaclick""#) && l.contains(r#""AckRetried":1.0"#))
        .filter(|l| l.contains(r#""Misconfigured":1.0"#))
        .count();
    assert_eq!(alarmed, 2, "{}", metrics.text());

    let (handled, failed) = stack.run_worker(&worker(url, "Bearer ok")).await;
    assert_eq!((handled, failed.len()), (1, 0));
    let event = stack.store().event("olaclick", key).await.unwrap().unwrap();
    assert_eq!(event.ack.status.to_string(), "acked");
}
