//! The `ordergate` binary against the local stack: a receiver served over HTTP on
//! 127.0.0.1 (as API Gateway serves it) in front of the emulated table and queue.
//! send → order / event show it; locations map what is received next; sign prints what
//! the platform would send; errors exit non-zero with a reason.

use std::process::{Command, Output};

use ordergate_shared::store::item::{self, attr};
use ordergate_shared::store::keys;
use ordergate_tests::platforms::{Deliverect, Oolio, Ordatic, TestPlatform};
use ordergate_tests::{endpoint, root, Stack};
use serde_json::Value;

const ORDER: &str = "6438f1a2c9e77d0012ab34cd";
const LOCATION: &str = "61a0b2c3d4e5f60718293ab4";

/// The CLI with the emulator's AWS settings and nothing else in its environment.
fn bare() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ordergate"));
    command
        .current_dir(root())
        .env_clear()
        .env("AWS_ENDPOINT_URL", endpoint())
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test");
    command
}

fn ordergate(stack: &Stack, args: &[&str]) -> Output {
    bare()
        .args(args)
        .env("TABLE_NAME", &stack.table)
        .output()
        .expect("run ordergate")
}

/// `ordergate` with `input` on its standard input.
fn ordergate_reading(stack: &Stack, args: &[&str], input: &str) -> Output {
    use std::io::Write;
    let mut child = bare()
        .args(args)
        .env("TABLE_NAME", &stack.table)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run ordergate");
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().expect("ordergate ends")
}

fn failure_of(out: &Output) -> String {
    assert!(!out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8_lossy(&out.stderr).into_owned()
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
    let url =
        ordergate_tests::http::serve(stack.pipeline(Deliverect::provider(), Deliverect::secrets())).await;
    let secret = ["--secret-json", Deliverect::secrets()];
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
    // An id no index key can hold is refused before it is stored (exit 2).
    let too_long = "s".repeat(300);
    let refused = ordergate(&stack, &["location", "set", "deliverect", LOCATION, &too_long]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(failure_of(&refused).contains("at most 256 bytes"));
    let listed = json_of(&ordergate(&stack, &["location", "list", "deliverect", "--json"]));
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
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
    // The worker's input for that job, as Lambda's SQS event source shapes it.
    let batch = json_of(&ordergate(&stack, &["event", "deliverect", key, "--sqs-batch"]));
    let message = &batch["Records"][0];
    let body: Value = serde_json::from_str(message["body"].as_str().unwrap()).unwrap();
    assert_eq!(body, event["job"], "the stored job, as queued");
    assert_eq!(message["attributes"]["ApproximateReceiveCount"], "1");
    assert!(message["attributes"]["MessageGroupId"].is_string(), "{message}");

    // Unmapped: stored and flagged, never dropped.
    text_of(&ordergate(&stack, &["location", "rm", "deliverect", LOCATION]));
    let fresh =
        ordergate_tests::http::serve(stack.pipeline(Deliverect::provider(), Deliverect::secrets())).await;
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

/// `--stack NAME` (or ORDERGATE_STACK): the webhook URL, the secrets, the table and the
/// queues come from the stack's outputs, nothing pasted in. A test stack publishes the
/// template's outputs with its own names, as the local stack (`make dev`) does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stack_name_fills_every_option() {
    let stack = Stack::new().await;
    let url =
        ordergate_tests::http::serve(stack.pipeline(Deliverect::provider(), Deliverect::secrets())).await;
    stack.publish_webhooks_at(&url);
    let with_stack = |args: &[&str]| {
        bare()
            .args(["--stack", &stack.name])
            .args(args)
            .output()
            .expect("run ordergate")
    };

    // The URL from DeliverectWebhookUrl, the secret to sign with from DeliverectSecretArn.
    let sent = json_of(&with_stack(&[
        "send",
        "deliverect",
        "events/deliverect/new_order.json",
        "--json",
    ]));
    assert_eq!(sent["status"], 200, "{sent}");
    assert_eq!(sent["duplicate"], false);
    // The table from OrdersTableName, the stack named through the environment this time.
    let by_env = bare()
        .env("ORDERGATE_STACK", &stack.name)
        .args(["order", "deliverect", ORDER, "--json"])
        .output()
        .unwrap();
    assert_eq!(json_of(&by_env)["state"]["status"], "placed");
    // DeliverectApiSecretArn (the local stack's OAuth client is set; the webhook secret
    // has no client_id), AckDeadLetterQueueUrl.
    let api = json_of(&with_stack(&["secret", "show", "deliverect", "--api", "--json"]));
    assert_eq!(api["client_id"], true, "{api}");
    let letters = json_of(&with_stack(&["dlq", "list", "--json"]));
    assert_eq!(letters.as_array().map(Vec::len), Some(0), "{letters}");

    // An option given on the command line wins over the stack.
    let other = Stack::new().await;
    let elsewhere = failure_of(&with_stack(&[
        "order",
        "deliverect",
        ORDER,
        "--table",
        &other.table,
    ]));
    assert!(elsewhere.contains(&other.table), "{elsewhere}");
    // A stack that is not there, or no stack and no option: the reason, exit 1.
    let missing = bare()
        .args(["--stack", "no-such-stack", "order", "deliverect", ORDER])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(failure_of(&missing).contains("no-such-stack"));
    let unnamed = bare().args(["order", "deliverect", ORDER]).output().unwrap();
    assert_eq!(
        unnamed.status.code(),
        Some(2),
        "a missing option is a usage error"
    );
    let reason = failure_of(&unnamed);
    assert!(
        reason.contains("--table") && reason.contains("--stack"),
        "{reason}"
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
            Oolio::secrets(),
            "--json",
        ],
    ));
    assert_eq!(
        headers["svix-id"], "msg_2Yk06ordercreated",
        "the sample's own message id"
    );
    assert!(headers["svix-signature"].as_str().unwrap().starts_with("v1,"));
    // The same headers are accepted by the receiver (what `send` does).
    let mut event = ordergate_testkit::api_event_json("oolio/order_created.json");
    for (k, v) in headers.as_object().unwrap() {
        event["headers"][k] = v.clone();
    }
    let rx = stack.pipeline(Oolio::provider(), Oolio::secrets());
    let r = rx.handle(ordergate_testkit::request(&event)).await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn sign_never_prints_a_token_that_is_the_secret() {
    let stack = Stack::new().await;
    let secret = r#"{"auth_header_value": "tok-never-printed-1234"}"#;
    for json in [true, false] {
        let mut args = vec![
            "sign",
            "olaclick",
            "events/olaclick/order_created.json",
            "--secret-json",
            secret,
        ];
        if json {
            args.push("--json");
        }
        let out = ordergate(&stack, &args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let printed = String::from_utf8_lossy(&out.stdout);
        assert!(printed.contains("x-ordergate-token"), "{printed}");
        assert!(!printed.contains("tok-never-printed-1234"), "{printed}");
    }
}

#[tokio::test]
async fn failures_exit_non_zero_with_a_reason() {
    let stack = Stack::new().await;
    let missing = ordergate(&stack, &["order", "deliverect", "no-such-order"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no deliverect order no-such-order"));
    let as_json = ordergate(&stack, &["order", "deliverect", "no-such-order", "--json"]);
    assert_eq!(as_json.status.code(), Some(1));
    let error: Value = serde_json::from_slice(&as_json.stdout).expect("--json errors are JSON");
    assert!(
        error["error"].as_str().unwrap().contains("no-such-order"),
        "{error}"
    );
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
            Deliverect::secrets(),
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

    let set = ordergate_reading(
        &stack,
        &[
            "secret",
            "set",
            "deliverect",
            "--api",
            "--secret-id",
            &api,
            "--json",
        ],
        "# the POS integration's OAuth client\nclient_id=pos-1\n\nclient_secret=s3cr3t\r\n",
    );
    assert_eq!(
        json_of(&set)["changed"],
        serde_json::json!(["client_id", "client_secret"])
    );
    let file = std::env::temp_dir().join(format!("{}-deliverect.secret", stack.name));
    std::fs::write(&file, "hmac_secret=new-partner-secret\n").unwrap();
    let rotated = ordergate(
        &stack,
        &[
            "secret",
            "set",
            "deliverect",
            "--file",
            file.to_str().unwrap(),
            "--secret-id",
            &webhook,
        ],
    );
    assert!(
        !text_of(&rotated).contains("new-partner-secret"),
        "values are never printed"
    );
    let on_command_line = ordergate(
        &stack,
        &[
            "secret",
            "set",
            "deliverect",
            "hmac_secret=leaked",
            "--secret-id",
            &webhook,
        ],
    );
    assert_eq!(
        on_command_line.status.code(),
        Some(2),
        "a value as an argument is refused"
    );
    assert!(!String::from_utf8_lossy(&on_command_line.stderr).contains("leaked"));
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
    for (platform, line) in [
        ("deliverect", "hmac_secrt=x"),
        ("deliverect", "client_id=x"),
        ("oolio", "signing_secrets=whsec_%%%"),
        ("deliverect", "no equals sign secret-value"),
    ] {
        let out = ordergate_reading(
            &stack,
            &["secret", "set", platform, "--secret-id", &webhook],
            line,
        );
        assert_eq!(out.status.code(), Some(1), "{line}");
        let error = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!error.is_empty() && !error.contains("secret-value"), "{error}");
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

/// Everything the table and the bucket hold, as text: where a customer's data could be.
async fn everything_stored(stack: &Stack) -> String {
    let mut all: String = stack
        .items()
        .await
        .iter()
        .map(|item| format!("{item:?}\n"))
        .collect();
    let s3 = aws_sdk_s3::Client::new(&stack.sdk);
    let listed = s3.list_objects_v2().bucket(&stack.bucket).send().await.unwrap();
    for object in listed.contents() {
        let key = object.key().unwrap();
        let body = s3
            .get_object()
            .bucket(&stack.bucket)
            .key(key)
            .send()
            .await
            .unwrap();
        all.push_str(&String::from_utf8_lossy(
            &body.body.collect().await.unwrap().into_bytes(),
        ));
    }
    all
}

/// A customer asks to be forgotten: by phone, every order of theirs loses the personal
/// fields everywhere they were kept (state, trail, event records, raw bodies in S3), the
/// order's facts stay, and a second run changes nothing.
#[tokio::test]
async fn forget_erases_a_customers_data_and_keeps_the_orders_facts() {
    use ordergate_tests::platforms::OlaClick;
    let stack = Stack::new().await;
    let limits = ordergate_shared::Limits {
        inline_body_bytes: 1024, // the sample (~2.7 KB) goes to S3; the deleted event stays inline
        ..ordergate_shared::Limits::default()
    };
    let rx = stack.pipeline_with(&stack.sdk, OlaClick::provider(), OlaClick::secrets(), limits);
    for sample in [
        "olaclick/order_created.json",
        "olaclick/order_deleted_id_only.json",
    ] {
        let r = rx.handle(ordergate_testkit::api_event(sample)).await;
        assert_eq!(r.status(), 200);
    }
    // Retention: the order's items expire ORDER_TTL_DAYS (default 365) after they were
    // written, unlike the event records' dedupe window (30 days).
    let now = chrono::Utc::now().timestamp();
    for item in stack.items().await {
        let (pk, sk) = (item[attr::PK].as_s().unwrap(), item[attr::SK].as_s().unwrap());
        let expires: i64 = item["expires_at"]
            .as_n()
            .expect("every item expires")
            .parse()
            .unwrap();
        let days = (expires - now) as f64 / 86400.0;
        let want = if pk.starts_with("ORDER#") { 365.0 } else { 30.0 };
        assert!((days - want).abs() < 0.1, "{pk} {sk}: expires in {days:.1} days");
    }
    let order = || {
        let args = [
            "order",
            "olaclick",
            "PE-7222853393",
            "--location",
            "777",
            "--json",
        ];
        json_of(&ordergate(&stack, &args))
    };
    let before = order();
    let phone = before["state"]["order"]["customer"]["phone"]
        .as_str()
        .expect("a phone")
        .to_owned();
    let stored = everything_stored(&stack).await;
    assert!(stored.contains("Aldo Perez"), "the customer is stored before");

    let args = [
        "forget",
        "olaclick",
        "--customer",
        &phone,
        "--bucket",
        &stack.bucket,
        "--json",
    ];
    let report = json_of(&ordergate(&stack, &args));
    assert_eq!(report.as_array().unwrap().len(), 1, "{report}");
    assert_eq!(report[0]["order_id"], "PE-7222853393");
    assert!(
        report[0]["items_changed"].as_u64().unwrap() >= 4,
        "state, trail and event records: {report}"
    );
    assert_eq!(report[0]["objects_deleted"], 1, "the raw body in S3: {report}");

    let stored = everything_stored(&stack).await;
    for personal in ["Aldo Perez", &phone, "-15.8418", "-70.0231"] {
        assert!(
            !stored.contains(personal),
            "{personal} is gone from the table and the bucket"
        );
    }
    let after = order();
    assert_eq!(after["state"]["status"], before["state"]["status"]);
    assert_eq!(
        after["state"]["order"]["items"],
        before["state"]["order"]["items"]
    );
    assert_eq!(
        after["state"]["order"]["totals"],
        before["state"]["order"]["totals"]
    );
    assert!(after["state"]["order"]["customer"].is_null());
    assert_eq!(after["trail"].as_array().unwrap().len(), 2);

    let again = json_of(&ordergate(
        &stack,
        &[
            "forget",
            "olaclick",
            "--order",
            "PE-7222853393",
            "--location",
            "777",
            "--bucket",
            &stack.bucket,
            "--json",
        ],
    ));
    assert_eq!(again[0]["items_changed"], 0, "idempotent: {again}");
    assert_eq!(again[0]["objects_deleted"], 0);
}

#[tokio::test]
async fn completions_cover_every_command_for_each_shell() {
    let stack = Stack::new().await;
    for shell in ["bash", "zsh", "fish"] {
        let script = text_of(&ordergate(&stack, &["completions", shell]));
        for command in ["send", "order", "location", "dlq", "secret", "forget"] {
            assert!(script.contains(command), "{shell} completion lacks {command}");
        }
    }
}

/// "What did store 777 receive today?": orders by location (the platform's or yours) and
/// last change, newest first, in pages, by status — from the index, not a scan.
#[tokio::test]
async fn orders_list_by_location_and_day() {
    use ordergate_tests::platforms::OlaClick;
    let stack = Stack::new().await;
    text_of(&ordergate(
        &stack,
        &["location", "set", "olaclick", "888", "store-888"],
    ));
    let any_merchant = olaclick::OlaClick::new(olaclick::Config {
        merchants: None,
        ..olaclick::Config::sample()
    });
    let rx = stack.pipeline(any_merchant, OlaClick::secrets());
    let sample = "olaclick/order_created.json";
    let mut body: Value = ordergate_testkit::payload(sample);
    for (n, merchant) in ["777", "777", "777", "777", "777", "888", "888"]
        .iter()
        .enumerate()
    {
        body["event_id"] = serde_json::json!(format!("00000000-0000-4000-8000-00000000000{n}"));
        body["data"]["order_id"] = serde_json::json!(format!("LIST-{n}"));
        body["merchant_id"] = serde_json::json!(merchant);
        assert_eq!(deliver_olaclick(&rx, &body).await, 200);
    }
    // LIST-0 last changed three days ago.
    let three_days_ago = (chrono::Utc::now() - chrono::Duration::days(3)).to_rfc3339();
    stack
        .dynamodb()
        .update_item()
        .table_name(&stack.table)
        .set_key(Some(item::key(
            keys::order_pk("olaclick", "777:LIST-0"),
            keys::STATE_SK,
        )))
        .update_expression("SET #u = :t")
        .expression_attribute_names("#u", attr::UPDATED_AT)
        .expression_attribute_values(":t", aws_sdk_dynamodb::types::AttributeValue::S(three_days_ago))
        .send()
        .await
        .unwrap();
    let list = |extra: &[&str]| {
        let args = [&["orders", "list", "--platform", "olaclick", "--json"][..], extra].concat();
        json_of(&ordergate(&stack, &args))
    };
    let ids = |page: &Value| -> Vec<String> {
        page["orders"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["order_id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids(&list(&["--location", "777"])).len(), 4, "the last 24 hours");
    let week = (chrono::Utc::now() - chrono::Duration::days(7))
        .format("%Y-%m-%d")
        .to_string();
    let all = list(&["--location", "777", "--since", &week]);
    assert_eq!(ids(&all).len(), 5);
    assert_eq!(ids(&all).last().unwrap(), "LIST-0", "newest first");
    assert_eq!(ids(&list(&["--location", "888"])), ["LIST-6", "LIST-5"]);
    assert_eq!(
        ids(&list(&["--team-location", "store-888"])).len(),
        2,
        "by your own location id"
    );
    assert!(ids(&list(&["--location", "888", "--status", "cancelled"])).is_empty());
    assert_eq!(ids(&list(&["--location", "888", "--status", "placed"])).len(), 2);
    assert!(
        all["orders"][0].get("order").is_none(),
        "no order snapshot (customer data) in the index"
    );

    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut args = vec!["--location", "777", "--since", &week, "--limit", "2"];
        if let Some(t) = &token {
            args.extend(["--next-token", t]);
        }
        let page = list(&args);
        seen.extend(ids(&page));
        match page["next_token"].as_str() {
            Some(t) => token = Some(t.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, ids(&all), "pages of 2 add up to the whole listing");
}

/// `ordergate reprocess` as an operator runs it: the platform's settings from the
/// environment, the selection, one line (or JSON entry) per event, safe to repeat; no
/// selection is a usage error.
#[tokio::test]
async fn reprocess_reports_each_event_and_needs_a_selection() {
    use ordergate_tests::platforms::OlaClick;
    let stack = Stack::new().await;
    let rx = stack.pipeline(OlaClick::provider(), OlaClick::secrets());
    let sample = "olaclick/order_created.json";
    let mut body: Value = ordergate_testkit::payload(sample);
    body["event_type"] = serde_json::json!("order_exploded");
    assert_eq!(deliver_olaclick(&rx, &body).await, 422);
    let run = |args: &[&str]| {
        bare()
            .args(["reprocess", "olaclick"])
            .args(args)
            .env("TABLE_NAME", &stack.table)
            .env("BLOB_BUCKET", &stack.bucket)
            .env("OLACLICK_MERCHANT_IDS", "777")
            .output()
            .expect("run ordergate")
    };
    let lines = json_of(&run(&["--quarantined", "--json"]));
    assert_eq!(lines.as_array().unwrap().len(), 1, "{lines}");
    assert_eq!(lines[0]["result"], "still_quarantined");
    assert!(
        lines[0]["reason"].as_str().unwrap().contains("order_exploded"),
        "{lines}"
    );
    let text = text_of(&run(&["--since", "2020-01-01T00:00:00Z"]));
    assert!(text.contains("still quarantined: unknown_event_type"), "{text}");
    assert!(text.ends_with("1 event(s)\n"), "{text}");
    let usage = run(&[]);
    assert_eq!(usage.status.code(), Some(2), "{}", failure_of(&usage));
    let bad_time = run(&["--since", "yesterday"]);
    assert_eq!(bad_time.status.code(), Some(2));
    assert!(failure_of(&bad_time).contains("RFC 3339"));
}

/// Ordatic's order ids are unique only per store: an order is found with its store, and
/// asking without one is a usage error that says so.
#[tokio::test]
async fn an_ordatic_order_is_found_with_its_store() {
    let stack = Stack::new().await;
    let rx = stack.pipeline(Ordatic::provider(), Ordatic::secrets());
    let r = rx
        .handle(ordergate_testkit::api_event("ordatic/order-accepted.json"))
        .await;
    assert_eq!(r.status(), 200);
    let without = ordergate(&stack, &["order", "ordatic", "ord-8d41a7e2-1c3b"]);
    assert_eq!(without.status.code(), Some(2));
    assert!(failure_of(&without).contains("--location"));
    let found = ordergate(
        &stack,
        &["order", "ordatic", "ord-8d41a7e2-1c3b", "--location", "st-5f2b9c"],
    );
    let text = text_of(&found);
    assert!(
        text.contains("ordatic order ord-8d41a7e2-1c3b: accepted"),
        "{text}"
    );
}

/// `body` delivered as OlaClick sends an order_created (signed), answered with this status.
async fn deliver_olaclick<P: ordergate_shared::Provider>(
    rx: &ordergate_shared::Pipeline<P>,
    body: &Value,
) -> u16 {
    use ordergate_tests::platforms::{delivery, OlaClick};
    let event = delivery::<OlaClick>("olaclick/order_created.json", &body.to_string(), "m");
    rx.handle(ordergate_testkit::request(&event))
        .await
        .status()
        .as_u16()
}

#[tokio::test]
async fn status_queues_a_command_once_and_refuses_with_the_reason() {
    let stack = Stack::new().await;
    stack.receive_deliverect_order().await;
    let queued = json_of(&ordergate(
        &stack,
        &["status", "deliverect", ORDER, "ready", "--json"],
    ));
    assert_eq!(queued["result"], "queued");
    let key = queued["event_key"].as_str().unwrap().to_owned();
    let job = stack.stored("deliverect", &key).await.job.unwrap();
    assert_eq!(job.ack["status"], 70, "the job sends Deliverect's code for ready");
    let again = text_of(&ordergate(&stack, &["status", "deliverect", ORDER, "ready"]));
    assert!(
        again.contains("was taken before; nothing more is sent"),
        "{again}"
    );

    let back = ordergate(&stack, &["status", "deliverect", ORDER, "preparing"]);
    assert_eq!(back.status.code(), Some(1));
    let text = String::from_utf8_lossy(&back.stdout);
    assert!(
        text.contains("refused (illegal_transition): the order is ready: it cannot become preparing"),
        "{text}"
    );
    let reject = ordergate(&stack, &["status", "deliverect", ORDER, "rejected", "--json"]);
    assert_eq!(reject.status.code(), Some(1));
    let json: Value = serde_json::from_slice(&reject.stdout).unwrap();
    assert_eq!(json["error"], "reason_required");
    let usage = ordergate(&stack, &["status", "deliverect", ORDER, "done"]);
    assert_eq!(usage.status.code(), Some(2), "an unknown status is bad usage");
    let order = text_of(&ordergate(&stack, &["order", "deliverect", ORDER]));
    assert!(order.contains("command.ready"), "{order}");
}
