//! The front door: API Gateway's HTTP API as the deployed stack has it — the template's
//! routes (`POST /webhooks/<platform>`), anything else 404 — turning each request into the
//! payload-format-2.0 event Lambda receives (body as text when it is UTF-8 text, base64
//! otherwise, exactly as API Gateway passes any bytes) and the function's answer back into
//! HTTP. Also Lambda's Invoke API (`POST /2015-03-31/functions/<name>/invocations`), so
//! `aws lambda invoke --endpoint-url` and the tests can call the worker and the publisher.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use serde_json::{json, Value};

use crate::runtime::Pool;

pub struct Gateway {
    /// "POST /webhooks/olaclick" → its function's pool.
    pub routes: BTreeMap<String, Arc<Pool>>,
    /// Every function by logical id and by binary name.
    pub functions: BTreeMap<String, Arc<Pool>>,
}

impl Gateway {
    pub async fn handle(&self, req: Request<Incoming>, peer: String) -> Response<Full<Bytes>> {
        let (parts, body) = req.into_parts();
        let Ok(body) = body.collect().await.map(|b| b.to_bytes()) else {
            return text(400, json!({"message": "Bad Request"}));
        };
        let path = parts.uri.path().to_owned();
        if let Some(name) = path
            .strip_prefix("/2015-03-31/functions/")
            .and_then(|p| p.strip_suffix("/invocations"))
        {
            return self.invoke_api(name, body).await;
        }
        let route = format!("{} {path}", parts.method);
        let Some(pool) = self.routes.get(&route) else {
            return text(404, json!({"message": "Not Found"}));
        };
        let event = api_event(&route, &parts, &body, &peer);
        match pool.invoke(Bytes::from(event.to_string())).await {
            Ok(answer) => from_lambda(&answer),
            Err(e) if e.starts_with("Task timed out") => {
                eprintln!("ordergate-local: {route}: {e}");
                text(503, json!({"message": "Service Unavailable"}))
            }
            Err(e) => {
                eprintln!("ordergate-local: {route}: {e}");
                text(500, json!({"message": "Internal Server Error"}))
            }
        }
    }

    async fn invoke_api(&self, name: &str, payload: Bytes) -> Response<Full<Bytes>> {
        let Some(pool) = self.functions.get(name) else {
            let message = format!("Function not found: {name}");
            return text(404, json!({"Type": "User", "message": message}));
        };
        match pool.invoke(payload).await {
            Ok(answer) => bytes(200, answer),
            Err(e) => {
                let mut r = text(200, json!({"errorMessage": e, "errorType": "Unhandled"}));
                r.headers_mut()
                    .insert("x-amz-function-error", "Unhandled".parse().expect("ascii"));
                r
            }
        }
    }
}

/// Whether API Gateway would pass this body as text: UTF-8, and a textual content type
/// (or none). Anything else arrives base64-encoded with `isBase64Encoded: true`.
fn is_text(content_type: Option<&str>, body: &[u8]) -> bool {
    let textual = content_type.is_none_or(|t| {
        let t = t.to_ascii_lowercase();
        t.starts_with("text/")
            || t.contains("json")
            || t.contains("xml")
            || t.contains("javascript")
            || t.starts_with("application/x-www-form-urlencoded")
    });
    textual && std::str::from_utf8(body).is_ok()
}

/// The HTTP API's payload format 2.0 for one request.
fn api_event(route: &str, parts: &hyper::http::request::Parts, body: &[u8], peer: &str) -> Value {
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    let mut cookies = Vec::new();
    for (name, value) in &parts.headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        if name == "cookie" {
            cookies.extend(value.split("; ").map(str::to_owned));
            continue;
        }
        // API Gateway joins repeated headers with commas.
        headers
            .entry(name.as_str().to_owned())
            .and_modify(|v| {
                v.push(',');
                v.push_str(&value);
            })
            .or_insert(value);
    }
    let text = is_text(headers.get("content-type").map(String::as_str), body);
    let query = parts.uri.query().unwrap_or_default();
    let now = chrono::Utc::now();
    let request_id = format!("local-{}", now.timestamp_nanos_opt().unwrap_or_default());
    let mut event = json!({
        "version": "2.0",
        "routeKey": route,
        "rawPath": parts.uri.path(),
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": headers.get("host").cloned().unwrap_or_default(),
            "domainPrefix": "local",
            "http": {
                "method": parts.method.as_str(),
                "path": parts.uri.path(),
                "protocol": "HTTP/1.1",
                "sourceIp": peer,
                "userAgent": headers.get("user-agent").cloned().unwrap_or_default(),
            },
            "requestId": request_id,
            "routeKey": route,
            "stage": "$default",
            "time": now.format("%d/%b/%Y:%H:%M:%S %z").to_string(),
            "timeEpoch": now.timestamp_millis(),
        },
        "isBase64Encoded": !text,
    });
    if !cookies.is_empty() {
        event["cookies"] = json!(cookies);
    }
    if !query.is_empty() {
        let params: BTreeMap<&str, &str> = query.split('&').filter_map(|p| p.split_once('=')).collect();
        event["queryStringParameters"] = json!(params);
    }
    if !body.is_empty() {
        event["body"] = if text {
            json!(String::from_utf8_lossy(body))
        } else {
            json!(STANDARD.encode(body))
        };
    }
    event
}

/// The function's answer as API Gateway returns it: a `{statusCode, headers, body,
/// isBase64Encoded, cookies}` object, or any other JSON as a 200 with that JSON.
fn from_lambda(answer: &[u8]) -> Response<Full<Bytes>> {
    let Ok(value) = serde_json::from_slice::<Value>(answer) else {
        return text(500, json!({"message": "Internal Server Error"}));
    };
    let Some(status) = value.get("statusCode").and_then(Value::as_u64) else {
        return bytes(200, Bytes::copy_from_slice(answer));
    };
    let body = match (value["body"].as_str(), value["isBase64Encoded"].as_bool()) {
        (Some(b), Some(true)) => STANDARD.decode(b).unwrap_or_default(),
        (Some(b), _) => b.as_bytes().to_vec(),
        (None, _) => Vec::new(),
    };
    let mut r = bytes(status as u16, Bytes::from(body));
    r.headers_mut().remove("content-type");
    for (k, v) in value["headers"].as_object().into_iter().flatten() {
        if let (Ok(name), Some(Ok(v))) = (k.parse::<hyper::header::HeaderName>(), v.as_str().map(str::parse))
        {
            r.headers_mut().insert(name, v);
        }
    }
    for cookie in value["cookies"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if let Ok(v) = cookie.parse() {
            r.headers_mut().append("set-cookie", v);
        }
    }
    r
}

fn bytes(status: u16, body: Bytes) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body));
    *r.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::BAD_GATEWAY);
    r.headers_mut()
        .insert("content-type", "application/json".parse().expect("ascii"));
    r
}

fn text(status: u16, body: Value) -> Response<Full<Bytes>> {
    bytes(status, Bytes::from(body.to_string()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn bodies_are_text_only_when_api_gateway_would_pass_them_as_text() {
        assert!(super::is_text(Some("application/json"), b"{}"));
        assert!(super::is_text(None, b"{}"));
        assert!(
            !super::is_text(Some("application/json"), b"\xff\xfe"),
            "not UTF-8"
        );
        assert!(!super::is_text(Some("image/png"), b"abc"), "binary content type");
    }
}
