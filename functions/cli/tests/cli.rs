//! The `ordergate` binary against the local stack: a receiver served over HTTP on
//! 127.0.0.1 (as API Gateway serves it) in front of the emulated table and queue.
//! send → order / event show it; locations map what is received next; sign prints what
//! the platform would send; errors exit non-zero with a reason.

use std::process::{Command, Output};

use ordergate_tests::platforms::{Deliverect, Oolio, Platform};
use ordergate_tests::{endpoint, root, Stack};
use serde_json::Value;

const ORDER: &str = "6438f1a2c9e77d0012ab34cd";
const LOCATION: &str = "61a0b2c3d4e5f60718293ab4";

fn ordergate(stack: &Stack, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ordergate"))
        .args(args)
        .current_dir(root())
        .env_clear()
        .env("AWS_ENDPOINT_URL", endpoint())
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("TABLE_NAME", &stack.table)
        .output()
        .expect("run ordergate")
}

fn json_of(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("--json prints JSON")
}

fn text_of(out: &Output) -> String {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_then_order_event_and_locations() {
    let stack = Stack::new().await;
    let url = ordergate_tests::http::serve(stack.pipeline(Deliverect::provider(), Deliverect::SECRETS)).await;
    let secret = ["--secret-json", Deliverect::SECRETS];
    // Blocking on the CLI is fine: the served receiver runs on the runtime's other thread.
    let send = |file: &str, url: &str| {
        ordergate(
            &stack,
            &[&["send", "deliverect", file, "--url", url, "--json"], &secret[..]].concat(),
        )
    };

    // The location is mapped before the order arrives: the order carries our id.
    text_of(&ordergate(
        &stack,
        &["location", "set", "deliverect", LOCATION, "store-042"],
    ));
    let listed = json_of(&ordergate(&stack, &["location", "list", "deliverect", "--json"]));
    assert_eq!(listed[0]["platform_id"], LOCATION);
    assert_eq!(listed[0]["team_id"], "store-042");

    let first = json_of(&send("events/deliverect/new_order.json", &url));
    assert_eq!(first["status"], 200, "{first}");
    assert_eq!(first["duplicate"], false);
    let again = json_of(&send("events/deliverect/new_order.json", &url));
    assert_eq!(again["duplicate"], true, "sending the same file twice is a retry");

    let view = json_of(&ordergate(&stack, &["order", "deliverect", ORDER, "--json"]));
    assert_eq!(view["state"]["status"], "placed");
    assert_eq!(view["state"]["location_id"], LOCATION);
    assert_eq!(view["state"]["team_location_id"], "store-042");
    assert_eq!(view["trail"].as_array().unwrap().len(), 1);
    assert_eq!(view["trail"][0]["ack"]["status"], "pending");
    let text = text_of(&ordergate(&stack, &["order", "deliverect", ORDER]));
    assert!(text.contains("placed") && text.contains("→ store-042"), "{text}");
    assert!(text.contains("ack pending"), "{text}");

    let key = first["body"]["event_id"]
        .as_str()
        .expect("the receiver's answer names the event");
    let event = json_of(&ordergate(&stack, &["event", "deliverect", key, "--json"]));
    assert_eq!(event["event"]["event_type"], "status_10");
    assert_eq!(event["ack"]["status"], "pending");

    // Unmapped: stored and flagged, never dropped.
    text_of(&ordergate(&stack, &["location", "rm", "deliverect", LOCATION]));
    let fresh =
        ordergate_tests::http::serve(stack.pipeline(Deliverect::provider(), Deliverect::SECRETS)).await;
    let cancel = send("events/deliverect/cancel.json", &fresh);
    assert_eq!(json_of(&cancel)["status"], 200);
    let view = json_of(&ordergate(&stack, &["order", "deliverect", ORDER, "--json"]));
    let last = &view["trail"][1];
    assert!(last["team_location_id"].is_null());
    assert!(
        last["warnings"].to_string().contains("unmapped_location"),
        "{last}"
    );
    assert_eq!(view["state"]["status"], "cancelled");
    assert_eq!(
        view["state"]["team_location_id"], "store-042",
        "kept from the mapped event"
    );
}

#[tokio::test]
async fn sign_prints_what_the_platform_sends() {
    let stack = Stack::new().await;
    let headers = json_of(&ordergate(
        &stack,
        &[
            "sign",
            "oolio",
            "events/oolio/order_created.json",
            "--secret-json",
            Oolio::SECRETS,
            "--json",
        ],
    ));
    assert_eq!(
        headers["svix-id"], "msg_2Yk06ordercreated",
        "the sample's own message id"
    );
    assert!(headers["svix-signature"].as_str().unwrap().starts_with("v1,"));
    // The same headers are accepted by the receiver (what `send` does).
    let mut event = ordergate_shared::fixtures::api_event_json("oolio/order_created.json");
    for (k, v) in headers.as_object().unwrap() {
        event["headers"][k] = v.clone();
    }
    let rx = stack.pipeline(Oolio::provider(), Oolio::SECRETS);
    let r = rx.handle(ordergate_shared::fixtures::request(&event)).await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn failures_exit_non_zero_with_a_reason() {
    let stack = Stack::new().await;
    let missing = ordergate(&stack, &["order", "olaclick", "no-such-order"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no olaclick order no-such-order"));
    let unknown = ordergate(&stack, &["event", "ordatic", "nope"]);
    assert_eq!(unknown.status.code(), Some(1));
    let usage = ordergate(&stack, &["order", "ubereats", "1"]);
    assert_eq!(usage.status.code(), Some(2), "bad usage");
    let no_secret = ordergate(
        &stack,
        &["sign", "deliverect", "events/deliverect/new_order.json"],
    );
    assert_eq!(no_secret.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&no_secret.stderr).contains("hmac_secret"));
    let refused = ordergate(
        &stack,
        &[
            "send",
            "deliverect",
            "events/deliverect/new_order.json",
            "--url",
            "http://127.0.0.1:1/x",
            "--secret-json",
            Deliverect::SECRETS,
        ],
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("POST http://127.0.0.1:1/x"));
}

async fn secret_value(stack: &Stack, logical: &str) -> Value {
    let out = aws_sdk_secretsmanager::Client::new(&stack.sdk)
        .get_secret_value()
        .secret_id(stack.resources[logical].as_str().unwrap())
        .send()
        .await
        .unwrap();
    serde_json::from_str(out.secret_string().unwrap()).unwrap()
}

/// The README's setup steps: keys merged into each secret, nothing else touched, typos and
/// values a receiver would reject refused, values never printed.
#[tokio::test]
async fn secret_set_merges_keys_and_refuses_what_the_functions_cannot_use() {
    let stack = Stack::new().await;
    let arn = |logical: &str| stack.resources[logical].as_str().unwrap().to_owned();
    let (webhook, api) = (arn("DeliverectSecret"), arn("DeliverectApiSecret"));

    let set = ordergate(
        &stack,
        &[
            "secret",
            "set",
            "deliverect",
            "--api",
            "client_id=pos-1",
            "client_secret=s3cr3t",
            "--secret-id",
            &api,
            "--json",
        ],
    );
    assert_eq!(
        json_of(&set)["changed"],
        serde_json::json!(["client_id", "client_secret"])
    );
    let rotated = ordergate(
        &stack,
        &[
            "secret",
            "set",
            "deliverect",
            "hmac_secret=new-partner-secret",
            "--secret-id",
            &webhook,
        ],
    );
    assert!(
        !text_of(&rotated).contains("new-partner-secret"),
        "values are never printed"
    );
    assert_eq!(
        secret_value(&stack, "DeliverectApiSecret").await,
        serde_json::json!({"client_id": "pos-1", "client_secret": "s3cr3t"})
    );
    let webhook_value = secret_value(&stack, "DeliverectSecret").await;
    assert_eq!(webhook_value["hmac_secret"], "new-partner-secret");
    assert!(
        webhook_value.get("additional_hmac_secrets").is_some(),
        "other keys kept: {webhook_value}"
    );

    // A key the receiver does not read, an API key put in the webhook secret, a malformed
    // Svix key: refused, nothing written.
    for args in [
        vec![
            "secret",
            "set",
            "deliverect",
            "hmac_secrt=x",
            "--secret-id",
            &webhook,
        ],
        vec![
            "secret",
            "set",
            "deliverect",
            "client_id=x",
            "--secret-id",
            &webhook,
        ],
        vec![
            "secret",
            "set",
            "oolio",
            "signing_secrets=whsec_%%%",
            "--secret-id",
            &webhook,
        ],
    ] {
        let out = ordergate(&stack, &args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(!String::from_utf8_lossy(&out.stderr).is_empty());
    }
    assert_eq!(
        secret_value(&stack, "DeliverectSecret").await,
        webhook_value,
        "unchanged"
    );

    let shown = json_of(&ordergate(
        &stack,
        &["secret", "show", "deliverect", "--secret-id", &webhook, "--json"],
    ));
    assert_eq!(
        shown,
        serde_json::json!({"hmac_secret": true, "additional_hmac_secrets": false})
    );
}
