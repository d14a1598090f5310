//! The logs of a full run — every sample of every platform received (plus forged and
//! malformed ones), then acknowledged by the worker against platform APIs that answer
//! with errors quoting the order — captured in the functions' own JSON format, and
//! searched for every customer name, phone, e-mail, address, note and secret.

use std::time::Duration;

use ordergate_testkit::{payload, request, samples};
use ordergate_tests::platforms::{signed_sample, TestPlatform};
use ordergate_tests::{fake_platforms, Captured, Stack};
use serde_json::Value;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Keys whose values are about a person (or free text a person typed).
fn personal(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    [
        "name",
        "phone",
        "email",
        "address",
        "street",
        "city",
        "postal",
        "zip",
        "note",
        "comment",
        "first",
        "last",
        "customer",
        "consumer",
        "instructions",
        "reason",
    ]
    .iter()
    .any(|p| k.contains(p))
}

fn personal_values(v: &Value, key: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => m.iter().for_each(|(k, c)| {
            let k = if personal(key) { key } else { k.as_str() };
            personal_values(c, k, out)
        }),
        Value::Array(a) => a.iter().for_each(|c| personal_values(c, key, out)),
        Value::String(s) if personal(key) && s.len() >= 5 && s != "string" => out.push(s.clone()),
        _ => {}
    }
}

async fn receive_all<P: TestPlatform>(stack: &Stack, secrets_seen: &mut Vec<String>) -> Vec<String> {
    let rx = stack.pipeline(P::provider(), P::secrets());
    let mut pii = Vec::new();
    for sample in samples(ordergate_tests::platforms::name::<P>()) {
        let signed = signed_sample::<P>(&sample);
        let r = rx.handle(request(&signed)).await;
        assert!(r.status().is_success(), "{sample}: {}", r.status());
        personal_values(&payload(&sample), "", &mut pii);
        // A forged copy and a malformed one: refusals must not quote the body either.
        let mut forged = signed.clone();
        forged["headers"][P::AUTH_HEADER] = Value::from("forged");
        assert_eq!(rx.handle(request(&forged)).await.status(), 401);
        let mut broken = signed.clone();
        let body = broken["body"].as_str().unwrap().to_owned();
        broken["body"] = Value::from(body.replacen('{', "{\"x\":[}", 1));
        let status = rx.handle(request(&broken)).await.status();
        assert!(status.is_client_error(), "{sample}: {status}");
        secrets_seen.push(signed["headers"][P::AUTH_HEADER].as_str().unwrap().to_owned());
    }
    pii
}

#[tokio::test]
async fn no_customer_data_or_secret_is_ever_logged() {
    let captured = Captured::default();
    let metrics = Captured::default();
    ordergate_shared::metrics::set_writer(Box::new(metrics.clone()));
    let _guard = tracing::subscriber::set_default(ordergate_shared::telemetry::subscriber(
        captured.clone(),
        tracing_subscriber::filter::Targets::new().with_default(tracing::Level::INFO),
    ));

    let stack = Stack::new().await;
    // The local secrets, and those of the fake platforms' APIs.
    let mut secrets = ordergate_testkit::local_secret_values();
    secrets.extend(["olaclick-ack-key", "pos-secret", "app-secret", "tok-logs"].map(str::to_owned));
    let mut pii = Vec::new();
    ordergate_tests::each_platform!(P => pii.extend(receive_all::<P>(&stack, &mut secrets).await));
    pii.sort();
    pii.dedup();
    assert!(pii.len() > 20, "the samples carry customer data: {pii:?}");

    // The platforms' APIs refuse every acknowledgement, quoting customer data back.
    let api = MockServer::start().await;
    let quoted = pii.join(" | ");
    Mock::given(wiremock::matchers::path("/oauth/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": "tok-logs", "token_type": "Bearer",
            "expires_at": chrono::Utc::now().timestamp() + 3600,
        })))
        .with_priority(1)
        .mount(&api)
        .await;
    // Deliverect unavailable (retried: the retry reason is logged), the others refusing.
    Mock::given(wiremock::matchers::path_regex("^/orderStatus/"))
        .respond_with(ResponseTemplate::new(503).set_body_string(format!("try later, {quoted}")))
        .with_priority(2)
        .mount(&api)
        .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(422).set_body_string(format!("invalid order for {quoted}")))
        .with_priority(3)
        .mount(&api)
        .await;
    let mut worker = stack.worker(fake_platforms(&api));
    worker.backoff = Duration::ZERO;
    let mut handled = 0;
    let mut idle = 0;
    for _ in 0..60 {
        let (n, _) = stack.run_worker(&worker).await;
        handled += n;
        idle = if n == 0 { idle + 1 } else { 0 };
        if idle == 3 {
            break;
        }
        if n == 0 {
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
    assert!(handled > 10, "the worker ran: {handled} jobs");

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<Value> = logs
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let count = |m: &str| lines.iter().filter(|l| l["message"] == m).count();
    assert!(count("ack job will be retried") > 0, "the retry path ran");
    assert!(count("delivery accepted") > 20, "the receivers logged: {logs}");
    assert!(count("delivery not accepted") > 20, "refusals logged");
    assert!(lines
        .iter()
        .any(|l| l["provider"] == "deliverect" && l["event_key"].is_string()));
    for secret in &secrets {
        assert!(
            !logs.contains(secret.as_str()),
            "a secret is in the logs: {secret}"
        );
    }
    for value in &pii {
        assert!(
            !logs.contains(value.as_str()),
            "customer data is in the logs: {value:?}"
        );
    }
    // The same run's metrics (EMF): every delivery counted once, by outcome.
    let metrics = String::from_utf8(metrics.0.lock().unwrap().clone()).unwrap();
    let emf: Vec<Value> = metrics
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let sum = |provider: &str, name: &str| -> f64 {
        emf.iter()
            .filter(|l| l["provider"] == provider)
            .filter_map(|l| l[name].as_f64())
            .sum()
    };
    for &provider in ordergate_tests::ordergate_platforms::NAMES {
        let samples = samples(provider).len() as f64;
        assert_eq!(
            sum(provider, "Received"),
            3.0 * samples,
            "{provider}: 3 deliveries per sample"
        );
        assert_eq!(
            sum(provider, "Rejected"),
            2.0 * samples,
            "{provider}: forged + malformed"
        );
        assert_eq!(
            sum(provider, "Stored") + sum(provider, "Duplicate"),
            samples,
            "{provider}"
        );
        assert_eq!(sum(provider, "Failed"), 0.0);
        assert_eq!(
            sum(provider, "Quarantined"),
            0.0,
            "{provider}: every sample is read"
        );
        assert!(emf
            .iter()
            .any(|l| l["provider"] == provider && l.get("Quarantined").is_some()));
    }
    let ack = |m: &str| emf.iter().filter_map(|l| l[m].as_f64()).sum::<f64>();
    let counted = (ack("Acked"), ack("AckRetried"), ack("AckFailed"));
    assert!(
        counted.1 >= 1.0 && counted.2 >= 1.0,
        "both paths counted: {counted:?}, {handled} handled"
    );
    // At most one outcome per message handled (a FIFO group's later messages wait).
    assert!((ack("Acked") + ack("AckFailed") + ack("AckRetried")) as usize <= handled);
    assert!(emf
        .iter()
        .all(|l| l["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "ordergate"));
    eprintln!(
        "{} log lines checked for {} customer values and {} secrets",
        lines.len(),
        pii.len(),
        secrets.len()
    );
}
