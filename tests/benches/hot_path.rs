//! The receivers' CPU hot path — verify + parse + normalize (+ the body hash every stored
//! event carries) — per platform, on its largest
//! sample and on a large realistic order (50 items with modifiers), each next to a bare
//! `serde_json::from_slice::<Value>` of the same bytes. `make bench` prints the table.

use chrono::Utc;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use lambda_http::http::{HeaderMap, HeaderName, HeaderValue};
use ordergate_shared::secrets::Secrets;
use ordergate_shared::verify::Delivery;
use ordergate_shared::Provider;
use ordergate_testkit::{api_event_json, hmac_hex, payload};
use serde_json::{json, Value};

/// One benchmark input: a platform's body and headers, signed as the platform would.
struct Case {
    name: &'static str,
    body: Vec<u8>,
    headers: HeaderMap,
}

/// The local stack's Svix key (infra/local/secrets.json).
fn oolio_secret() -> String {
    ordergate_testkit::local_secret_value("OolioSecret", "signing_secrets")
}

fn headers(event: &Value) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in event["headers"].as_object().unwrap() {
        h.insert(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v.as_str().unwrap()).unwrap(),
        );
    }
    h
}

fn sample(name: &'static str, path: &str) -> Case {
    let event = api_event_json(path);
    Case {
        name,
        body: event["body"].as_str().unwrap().as_bytes().to_vec(),
        headers: headers(&event),
    }
}

/// `path`'s event with `body` as the payload; `sign` sets the platform's auth headers.
fn variant(name: &'static str, path: &str, body: &Value, sign: impl Fn(&mut HeaderMap, &[u8])) -> Case {
    let mut case = sample(name, path);
    case.body = serde_json::to_vec_pretty(body).unwrap();
    sign(&mut case.headers, &case.body);
    case
}

fn set(h: &mut HeaderMap, name: &'static str, value: &str) {
    h.insert(name, HeaderValue::from_str(value).unwrap());
}

fn times<T: Clone>(item: &T, n: usize) -> Vec<T> {
    vec![item.clone(); n]
}

fn oolio_sign(h: &mut HeaderMap, body: &[u8]) {
    let now = Utc::now().timestamp();
    let id = h["svix-id"].to_str().unwrap().to_owned();
    let key = &oolio::svix::keys(&oolio_secret()).unwrap()[0];
    set(h, "svix-timestamp", &now.to_string());
    set(h, "svix-signature", &oolio::svix::sign(key, &id, now, body));
}

fn bench_platform<P: Provider>(c: &mut Criterion, provider: &P, secrets: &str, cases: Vec<Case>) {
    let secrets = Secrets::from_json(secrets).unwrap();
    for case in cases {
        let mut group = c.benchmark_group(format!("{}/{}", P::NAME, case.name));
        group.throughput(Throughput::Bytes(case.body.len() as u64));
        let delivery = || Delivery::new(&case.headers, &case.body, Utc::now());
        provider.verify(&delivery(), &secrets).expect("the case verifies");
        provider.normalize(&delivery()).expect("the case normalizes");
        group.bench_function(BenchmarkId::new("bare serde_json::Value", case.body.len()), |b| {
            b.iter(|| serde_json::from_slice::<Value>(std::hint::black_box(&case.body)).unwrap())
        });
        group.bench_function(BenchmarkId::new("verify+parse+normalize", case.body.len()), |b| {
            b.iter(|| {
                // A fresh delivery each time, so the body hash (which the pipeline takes of
                // every body for the stored event) is computed, not cached.
                let delivery = delivery();
                provider.verify(&delivery, &secrets).unwrap();
                let normalized = provider.normalize(std::hint::black_box(&delivery)).unwrap();
                (normalized, delivery.body_sha256().len())
            })
        });
        group.finish();
    }
}

fn olaclick(c: &mut Criterion) {
    let provider = olaclick::OlaClick::new(olaclick::Config::sample());
    let path = "olaclick/order_created.json";
    let mut big = payload(path);
    big["data"]["order_details"] = json!(times(&big["data"]["order_details"][0], 50));
    let cases = vec![
        sample("largest sample", path),
        variant("50 items", path, &big, |_, _| {}),
    ];
    bench_platform(
        c,
        &provider,
        ordergate_testkit::local_secret("OlaClickSecret"),
        cases,
    );
}

fn deliverect(c: &mut Criterion) {
    let provider = deliverect::Deliverect::new(deliverect::Config::sample());
    let path = "deliverect/new_order.json";
    let mut big = payload(path);
    big["items"] = json!(times(&big["items"][0], 50));
    let sign = |h: &mut HeaderMap, body: &[u8]| {
        let sig = hmac_hex(
            &ordergate_testkit::local_secret_value("DeliverectSecret", "hmac_secret"),
            std::str::from_utf8(body).unwrap(),
        );
        set(h, "x-server-authorization-hmac-sha256", &sig);
    };
    let cases = vec![
        sample("largest sample", path),
        variant("50 items", path, &big, sign),
    ];
    bench_platform(
        c,
        &provider,
        ordergate_testkit::local_secret("DeliverectSecret"),
        cases,
    );
}

fn ordatic(c: &mut Criterion) {
    let provider = ordatic::Ordatic::new(ordatic::Config::sample());
    let path = "ordatic/rider-refund.json";
    let mut big = payload(path);
    big["data"]["refund"]["refundItems"] = json!(times(&big["data"]["refund"]["refundItems"][0], 50));
    let cases = vec![
        sample(
            "largest sample (3 MB proof)",
            "ordatic/rider-proof-delivery-large.json",
        ),
        variant("refund, 50 items", path, &big, |_, _| {}),
    ];
    bench_platform(
        c,
        &provider,
        ordergate_testkit::local_secret("OrdaticSecret"),
        cases,
    );
}

fn oolio(c: &mut Criterion) {
    let provider = oolio::Oolio::new(oolio::Config::sample());
    let path = "oolio/order_created.json";
    let mut big = payload(path);
    big["data"]["items"] = json!(times(&big["data"]["items"], 50));
    let mut largest = sample("largest sample", path);
    oolio_sign(&mut largest.headers, &largest.body.clone());
    let cases = vec![largest, variant("50 items", path, &big, oolio_sign)];
    bench_platform(
        c,
        &provider,
        &json!({ "signing_secrets": oolio_secret() }).to_string(),
        cases,
    );
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(std::time::Duration::from_millis(300))
        .measurement_time(std::time::Duration::from_secs(2))
}

criterion_group! { name = benches; config = config(); targets = olaclick, deliverect, ordatic, oolio }
criterion_main!(benches);
