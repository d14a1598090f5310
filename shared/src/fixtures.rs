//! The sample API Gateway events under `events/` as requests, for tests. They are the same
//! files `sam local invoke -e` takes, so tests and manual runs exercise identical input.

use std::path::PathBuf;

use lambda_http::Request;

pub fn events_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../events")
}

/// An event file as JSON, e.g. `api_event_json("olaclick/order_created.json")`.
pub fn api_event_json(path: &str) -> serde_json::Value {
    let full = events_dir().join(path);
    let text = std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

pub fn api_event(path: &str) -> Request {
    request(&api_event_json(path))
}

/// The body (the platform's payload) of an event file, parsed.
pub fn payload(path: &str) -> serde_json::Value {
    let event = api_event_json(path);
    serde_json::from_str(event["body"].as_str().expect("event has a text body")).expect("body is JSON")
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
