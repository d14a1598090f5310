//! Every function built exactly as deployed: its environment is the one template.yaml gives
//! it (Globals + its own variables, resolved to this stack's resources by
//! infra/local/function_env.py), read by the same `from_env` its `main` calls, with its
//! secrets fetched from Secrets Manager. A variable the code needs and the template does not
//! set, a secret the function reads from the wrong place, or keys that live in another
//! secret fail here. Its AWS calls are recorded for the IAM check like every other test's,
//! so this is also where each role's secret reads are exercised.
//!
//! One test, sequential: it sets process environment variables.

use std::collections::BTreeMap;
use std::process::Command;

use ordergate_shared::store::{AckStatus, EventStore};
use ordergate_shared::{Pipeline, Provider};
use ordergate_testkit::{local_secret, local_secret_value, request};
use ordergate_tests::iam::{receiver_function, ACK_WORKER, PUBLISHER};
use ordergate_tests::ordergate_platforms::NAMES;
use ordergate_tests::platforms::{name, signed_sample, TestPlatform};
use ordergate_tests::{endpoint, root, Stack};
use serde_json::{json, Value};
use wiremock::matchers::{any, body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

type Env = BTreeMap<String, String>;

/// Each function's environment from the template, with `parameters` overridden as a user
/// would at deploy time.
fn template_env(stack: &Stack, parameters: &[(&str, String)]) -> BTreeMap<String, Env> {
    let mut cmd = Command::new(root().join(".venv/bin/python"));
    cmd.arg(root().join("infra/local/function_env.py"))
        .args(["--resources", &stack.resources.to_string()]);
    for (name, value) in parameters {
        cmd.args(["--parameter", &format!("{name}={value}")]);
    }
    let out = cmd.output().expect("run function_env.py");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("function_env.py prints JSON")
}

/// Runs `f` with exactly `env` set (and removed again afterwards).
async fn with_env<T>(env: &Env, f: impl std::future::Future<Output = T>) -> T {
    for (k, v) in env {
        std::env::set_var(k, v);
    }
    let out = f.await;
    for k in env.keys() {
        std::env::remove_var(k);
    }
    out
}

/// The local stack's API secrets (infra/local/secrets.json) in the stack's secrets.
async fn put_api_secrets(stack: &Stack) {
    let client = aws_sdk_secretsmanager::Client::new(&stack.sdk);
    ordergate_tests::each_platform!(P => {
        let logical = format!("{}ApiSecret", <P as TestPlatform>::P::TEMPLATE_NAME);
        if let Some(arn) = stack.resources[&logical].as_str() {
            client
                .put_secret_value()
                .secret_id(arn)
                .secret_string(local_secret(&logical))
                .send()
                .await
                .expect("put_secret_value");
        }
    });
}

/// The platforms' APIs, answering only with the credentials of the local API secrets.
async fn fake_apis() -> MockServer {
    let api = MockServer::start().await;
    let ok = |body: Value| ResponseTemplate::new(200).set_body_json(body);
    let ola_ack = local_secret_value("OlaClickApiSecret", "ack_auth_value");
    Mock::given(method("POST"))
        .and(path("/olaclick/ack"))
        .and(header("authorization", ola_ack.as_str()))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&api)
        .await;
    let deliverect = |key| local_secret_value("DeliverectApiSecret", key);
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(body_partial_json(
            json!({"client_id": deliverect("client_id"), "client_secret": deliverect("client_secret")}),
        ))
        .respond_with(ok(json!({"access_token": "dlv-tok", "expires_in": 3600})))
        .expect(1)
        .mount(&api)
        .await;
    Mock::given(method("POST"))
        .and(path("/orderStatus/6438f1a2c9e77d0012ab34cd"))
        .and(header("authorization", "Bearer dlv-tok"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&api)
        .await;
    let ordatic = |key| local_secret_value("OrdaticApiSecret", key);
    Mock::given(method("POST"))
        .and(path("/ordatic/v2/auth"))
        .and(body_partial_json(
            json!({"appId": ordatic("app_id"), "appSecret": ordatic("app_secret")}),
        ))
        .respond_with(ok(json!({"token": "ord-tok"})))
        .expect(1)
        .mount(&api)
        .await;
    Mock::given(method("GET"))
        .and(path("/ordatic/v2/stores/st-5f2b9c/orders/ord-8d41a7e2-1c3b"))
        .and(header("authorization", "Bearer ord-tok"))
        .respond_with(ok(
            json!({"id": "ord-8d41a7e2-1c3b", "status": "accepted", "total": 1850,
            "items": [{"name": "Paella", "quantity": 1, "price": 1850}]}),
        ))
        .expect(1)
        .mount(&api)
        .await;
    // Anything else (wrong credentials, wrong path) is a permanent refusal: the ack fails.
    Mock::given(any())
        .respond_with(ResponseTemplate::new(403))
        .with_priority(10)
        .mount(&api)
        .await;
    api
}

/// `P`'s receiver, set up from its environment in the template, takes its first sample.
async fn receive<P: TestPlatform>(stack: &Stack, envs: &BTreeMap<String, Env>) {
    let function = receiver_function::<P::P>();
    let env = envs
        .get(&function)
        .unwrap_or_else(|| panic!("{function} in template.yaml"));
    let event = signed_sample::<P>(P::LIFECYCLE[0]);
    let status = with_env(env, async {
        let sdk = stack.function_sdk(&function);
        let rx = Pipeline::from_env_with(P::from_env().expect("configured from the template"), &sdk)
            .expect("pipeline from the template's environment");
        rx.handle(request(&event)).await.status()
    })
    .await;
    assert_eq!(status, 200, "{} as deployed", name::<P>());
}

#[tokio::test]
async fn every_function_runs_from_the_templates_environment_and_secrets() {
    let stack = Stack::new().await;
    let api = fake_apis().await;
    // What a user sets at deploy time for async OlaClick acks and their platform APIs.
    let envs = template_env(
        &stack,
        &[
            ("OlaClickAckMode", "async".into()),
            ("OlaClickAckUrl", format!("{}/olaclick/ack", api.uri())),
            ("DeliverectApiUrl", api.uri()),
            ("OrdaticApiUrl", format!("{}/ordatic", api.uri())),
        ],
    );
    put_api_secrets(&stack).await;
    let env = |f: &str| {
        envs.get(f)
            .unwrap_or_else(|| panic!("{f} in template.yaml"))
            .clone()
    };

    // Receivers: the webhook secrets are the local stack's (infra/local/secrets.json), which
    // the events/ samples are signed with.
    ordergate_tests::each_platform!(P => receive::<P>(&stack, &envs).await);

    // The ack worker: every platform called back with the credentials of its API secret.
    let worker_env = env(ACK_WORKER);
    with_env(&worker_env, async {
        let worker = ack_worker::from_env(&stack.function_sdk(ACK_WORKER)).expect("worker from the template");
        let mut handled = 0;
        while handled < NAMES.len() {
            let (n, failed) = stack.run_worker(&worker).await;
            assert!(failed.is_empty(), "{failed:?}");
            assert!(n > 0, "a job per platform expected, {handled} handled");
            handled += n;
        }
    })
    .await;
    // Each platform's first sample acknowledged (OlaClick, Deliverect and Ordatic through
    // the fake APIs; Oolio has no callback to make).
    ordergate_tests::each_platform!(P => {
        let trail = stack.store().order(name::<P>(), P::ORDER_KEY).await.unwrap().trail;
        let ack = trail[0].ack.as_ref().expect("ack on the trail");
        assert_eq!(ack.status, AckStatus::Acked, "{}: {ack:?}", name::<P>());
    });
    api.verify().await;

    // The publisher: the stream's order changes reach the bus named in its environment.
    let stream = Command::new(root().join(".venv/bin/python"))
        .arg(root().join("infra/local/stream_event.py"))
        .args(["--endpoint", &endpoint(), "--table", &stack.table])
        .output()
        .expect("run stream_event.py");
    assert!(
        stream.status.success(),
        "{}",
        String::from_utf8_lossy(&stream.stderr)
    );
    let event: Value = serde_json::from_slice(&stream.stdout).unwrap();
    assert!(!event["Records"].as_array().unwrap().is_empty());
    let answer = with_env(&env(PUBLISHER), async {
        let sdk = stack.function_sdk(PUBLISHER);
        let bus = publisher::EventBridge::from_env(&sdk).expect("bus from the template");
        let queue = publisher::relay::queue_from_env(&sdk).expect("queue from the template");
        let table = ordergate_shared::config::required("TABLE_NAME").expect("table from the template");
        let store = ordergate_shared::store::DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), table);
        publisher::handle(&bus, &queue, &store, &event).await
    })
    .await;
    assert_eq!(answer, json!({"batchItemFailures": []}));
}
