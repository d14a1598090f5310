//! The sample API Gateway events under `events/` as requests, for tests. They are the same
//! files `sam local invoke -e` takes, so tests and manual runs exercise identical input.

mod memory;
pub use memory::{MemoryBlobs, MemoryStore};

use std::path::PathBuf;

use lambda_http::Request;

/// The local stack's secrets (infra/local/secrets.json): the one definition of the tokens
/// and keys the samples in events/ are signed with. By logical id (`OlaClickSecret`), as
/// the JSON text a function reads.
pub fn local_secret(logical: &str) -> &'static str {
    static SECRETS: std::sync::OnceLock<std::collections::HashMap<String, String>> =
        std::sync::OnceLock::new();
    let all = SECRETS.get_or_init(|| {
        let file: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(include_str!("../../../infra/local/secrets.json"))
                .expect("secrets.json is JSON");
        file.into_iter().map(|(k, v)| (k, v.to_string())).collect()
    });
    all.get(logical)
        .unwrap_or_else(|| panic!("{logical} in infra/local/secrets.json"))
}

/// Every non-empty value of every local secret: what no log line may hold.
pub fn local_secret_values() -> Vec<String> {
    let file: serde_json::Value = serde_json::from_str(include_str!("../../../infra/local/secrets.json"))
        .expect("secrets.json is JSON");
    let secrets = file.as_object().expect("secrets by logical id").values();
    secrets
        .flat_map(|s| s.as_object().expect("a secret is an object").values())
        .filter_map(|v| v.as_str().filter(|v| !v.is_empty()).map(str::to_owned))
        .collect()
}

/// One value of a local secret ([`local_secret`]).
pub fn local_secret_value(logical: &str, key: &str) -> String {
    let secret: serde_json::Value = serde_json::from_str(local_secret(logical)).expect("JSON");
    secret[key]
        .as_str()
        .unwrap_or_else(|| panic!("{logical}.{key} in infra/local/secrets.json"))
        .to_owned()
}

pub fn events_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../events")
}

/// An event file as JSON, e.g. `api_event_json("olaclick/order_created.json")`.
pub fn api_event_json(path: &str) -> serde_json::Value {
    let full = events_dir().join(path);
    let text = std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// Every sample of `platform` (`events/<platform>/`), as the paths the functions here take,
/// sorted.
pub fn samples(platform: &str) -> Vec<String> {
    let dir = events_dir().join(platform);
    let mut paths: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| format!("{platform}/{}", e.unwrap().file_name().to_string_lossy()))
        .collect();
    paths.sort();
    paths
}

/// The body of an event file as the platform sent it (text, unparsed).
pub fn body(path: &str) -> String {
    let event = api_event_json(path);
    event["body"].as_str().expect("event has a text body").to_owned()
}

pub fn api_event(path: &str) -> Request {
    request(&api_event_json(path))
}

/// The body (the platform's payload) of an event file, parsed.
pub fn payload(path: &str) -> serde_json::Value {
    serde_json::from_str(&body(path)).expect("body is JSON")
}

/// A request from an API Gateway event value (e.g. a sample with its body changed).
pub fn request(event: &serde_json::Value) -> Request {
    lambda_http::request::from_str(&event.to_string()).expect("a valid API Gateway v2 event")
}

/// A copy of an event with `body` replaced by `payload`, serialized as sent.
pub fn with_payload(path: &str, payload: &serde_json::Value) -> serde_json::Value {
    with_body(path, &payload.to_string())
}

pub fn with_body(path: &str, body: &str) -> serde_json::Value {
    let mut event = api_event_json(path);
    event["body"] = serde_json::Value::String(body.to_owned());
    event
}

/// A pipeline over the in-memory store and queue, for provider unit tests.
pub type MemoryPipeline<P> = ordergate_shared::Pipeline<P, crate::MemoryStore, crate::MemoryBlobs>;

pub fn memory_pipeline<P: ordergate_shared::Provider>(
    provider: P,
    secrets: &serde_json::Value,
) -> MemoryPipeline<P> {
    ordergate_shared::Pipeline::new(
        provider,
        crate::MemoryStore::default(),
        crate::MemoryBlobs::default(),
        ordergate_shared::secrets::SecretSource::fixed(
            ordergate_shared::secrets::Secrets::from_json(&secrets.to_string()).expect("secret JSON"),
        ),
        ordergate_shared::Limits::default(),
    )
}

/// The JSON body of a response.
pub fn json_body(r: &lambda_http::Response<lambda_http::Body>) -> serde_json::Value {
    match r.body() {
        lambda_http::Body::Text(t) => serde_json::from_str(t).expect("JSON body"),
        other => panic!("expected a text body, got {other:?}"),
    }
}

/// Sends `event` and checks it is refused with `status` and error `code`, with nothing
/// stored or enqueued. Returns the error body.
/// Sends `event` and checks that it was kept, quarantined, and answered `status` (the
/// platform's [`ordergate_shared::Provider::QUARANTINE_STATUS`]); returns the reason stored,
/// which starts with `code`.
pub async fn expect_quarantined<P: ordergate_shared::Provider>(
    rx: &MemoryPipeline<P>,
    event: &serde_json::Value,
    code: &str,
) -> String {
    use ordergate_shared::store::EventStore;
    let before = rx.store().event_count();
    let r = rx.handle(request(event)).await;
    let b = json_body(&r);
    assert_eq!(r.status(), P::QUARANTINE_STATUS, "body: {b}");
    assert_eq!(r.headers()["x-ordergate-quarantined"], "true", "body: {b}");
    assert_eq!(rx.store().event_count(), before + 1, "kept: {b}");
    let key = b["event_id"].as_str().expect("the answer names the event");
    let stored = rx.store().event(P::NAME, key).await.unwrap().expect("stored");
    let reason = stored.event.quarantined.clone().expect("a quarantine reason");
    assert!(reason.starts_with(code), "{reason}");
    assert_eq!(stored.event.event_type, ordergate_shared::model::QUARANTINED);
    reason
}

pub async fn expect_rejected<P: ordergate_shared::Provider>(
    rx: &MemoryPipeline<P>,
    event: &serde_json::Value,
    status: u16,
    code: &str,
) -> serde_json::Value {
    let r = rx.handle(request(event)).await;
    let b = json_body(&r);
    assert_eq!(r.status(), status, "body: {b}");
    assert_eq!(b["error"], code, "body: {b}");
    assert!(b["message"].as_str().is_some_and(|m| !m.is_empty()), "body: {b}");
    assert_eq!(
        rx.store().event_count(),
        0,
        "nothing may be stored for a rejected delivery"
    );
    assert!(
        rx.store().jobs().is_empty(),
        "nothing may be enqueued for a rejected delivery"
    );
    b
}

/// Hex HMAC-SHA256 of `body` under `key`, as signing platforms send it.
pub fn hmac_hex(key: &str, body: &str) -> String {
    hex::encode(ordergate_shared::verify::hmac_sha256(
        key.as_bytes(),
        &[body.as_bytes()],
    ))
}

/// The latest full snapshot stored for an order (panics if there is none).
pub async fn stored_order<S: ordergate_shared::store::EventStore>(
    store: &S,
    provider: &str,
    order_id: &str,
) -> ordergate_shared::model::Order {
    let view = store.order(provider, order_id).await.expect("store reachable");
    view.state
        .expect("order state")
        .order
        .expect("a full order snapshot")
}
