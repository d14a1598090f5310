//! One error type for everything a delivery can run into, mapped to HTTP in one place.
//! Platforms retry 5xx (Deliverect only 502/503/504), so only transient trouble is a 5xx.

use lambda_http::http::{header, StatusCode};
use lambda_http::{Body, Response};
use serde_json::json;

#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    /// Malformed or unacceptable input: retrying the same bytes will never succeed.
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("{0}")]
    Unauthorized(String),
    /// Authenticated, but for a merchant or location this deployment does not serve.
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    #[error("only POST is accepted")]
    MethodNotAllowed,
    #[error("body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("content-type must be application/json")]
    UnsupportedMediaType,
    /// A dependency (DynamoDB, SQS, Secrets Manager) failed or timed out: retry later.
    #[error("{0}")]
    Unavailable(String),
    /// Our own configuration is unusable (a secret missing, empty or malformed, or not
    /// readable): never the platform's fault, so never a 4xx that it would not retry. A
    /// 503 keeps its deliveries coming back until an operator fixes it (metric + alarm).
    #[error("{0}")]
    Misconfigured(String),
}

impl ApiError {
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::BadRequest {
            code,
            message: message.into(),
        }
    }

    /// An event type the platform does not document; `expected` says what is accepted.
    pub fn unknown_event_type(field: &str, given: &str, expected: &str) -> Self {
        let shown: String = given.chars().take(64).collect();
        ApiError::bad_request(
            "unknown_event_type",
            format!("{field} '{shown}' is not {expected}"),
        )
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unavailable(_) | ApiError::Misconfigured(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// Stable machine-readable code: the `error` field of the JSON body and of the logs.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest { code, .. } | ApiError::Forbidden { code, .. } => code,
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Misconfigured(_) => "misconfigured",
        }
    }

    /// Whether this is a 503 the platform should retry (a dependency or our configuration).
    pub fn is_retryable(&self) -> bool {
        self.status() == StatusCode::SERVICE_UNAVAILABLE
    }

    /// What the caller sees: the code and message, except that every 503 looks the same
    /// from outside (its cause, ours or a dependency's, stays in the logs and metrics).
    fn public(&self) -> (&'static str, String) {
        if self.is_retryable() {
            ("unavailable", "temporarily unavailable, please retry".to_owned())
        } else {
            (self.code(), self.to_string())
        }
    }

    pub fn to_response(&self) -> Response<Body> {
        let (code, message) = self.public();
        let body = json!({ "error": code, "message": message });
        let mut builder = Response::builder()
            .status(self.status())
            .header(header::CONTENT_TYPE, "application/json");
        // A dependency usually recovers within seconds; a configuration needs an operator,
        // so the platform is asked to come back later (it may still retry sooner).
        match self {
            ApiError::Unavailable(_) => builder = builder.header(header::RETRY_AFTER, "1"),
            ApiError::Misconfigured(_) => builder = builder.header(header::RETRY_AFTER, "60"),
            _ => {}
        }
        builder
            .body(Body::Text(body.to_string()))
            .expect("static response parts are valid")
    }
}

/// Deserializes a JSON document, naming the failing field in the error.
pub fn parse_json<'a, T: serde::Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, ApiError> {
    parse_json_at(bytes, "")
}

/// [`parse_json`] for a document nested at `prefix` (e.g. `data`), so errors name the
/// field's full path.
pub fn parse_json_at<'a, T: serde::Deserialize<'a>>(bytes: &'a [u8], prefix: &str) -> Result<T, ApiError> {
    // Fast path: plain serde_json. Only a failure is parsed again with path tracking,
    // which costs on every field, to name the field in the error.
    if let Ok(value) = serde_json::from_slice(bytes) {
        return Ok(value);
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = match (prefix, e.path().to_string()) {
            ("", path) => path,
            (prefix, path) if path == "." => prefix.to_owned(),
            (prefix, path) => format!("{prefix}.{path}"),
        };
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            ApiError::bad_request("invalid_json", format!("body is not valid JSON: {inner}"))
        } else if path == "." {
            ApiError::bad_request("invalid_payload", inner.to_string())
        } else {
            ApiError::bad_request("invalid_field", format!("{path}: {inner}"))
        }
    })?;
    de.end()
        .map_err(|e| ApiError::bad_request("invalid_json", format!("body is not valid JSON: {e}")))?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Doc {
        a: Inner,
    }
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Inner {
        n: u32,
    }

    #[test]
    fn parse_errors_name_the_field() {
        let e = parse_json::<Doc>(br#"{"a":{"n":-1}}"#).unwrap_err();
        assert_eq!(e.code(), "invalid_field");
        assert!(e.to_string().starts_with("a.n:"), "{e}");
        assert_eq!(parse_json::<Doc>(br#"{"a":"#).unwrap_err().code(), "invalid_json");
        assert_eq!(
            parse_json::<Doc>(br#"{"a":{"n":1}} x"#).unwrap_err().code(),
            "invalid_json"
        );
        assert_eq!(parse_json::<Doc>(br#"{}"#).unwrap_err().code(), "invalid_payload");
    }

    #[test]
    fn responses_are_json_with_the_right_status() {
        let r = ApiError::Unavailable("dynamodb: timeout".into()).to_response();
        assert_eq!(r.status(), 503);
        assert_eq!(r.headers()["retry-after"], "1");
        let Body::Text(t) = r.body() else {
            panic!("text body")
        };
        let v: serde_json::Value = serde_json::from_str(t).unwrap();
        assert_eq!(v["error"], "unavailable");
        assert!(!t.contains("dynamodb"), "internal cause must not leak: {t}");
        assert_eq!(ApiError::PayloadTooLarge { limit: 1 }.to_response().status(), 413);
    }

    #[test]
    fn our_misconfiguration_is_a_503_that_names_nothing() {
        let r = ApiError::Misconfigured("olaclick secret has no auth_header_value".into()).to_response();
        assert_eq!(r.status(), 503);
        assert_eq!(r.headers()["retry-after"], "60");
        let Body::Text(t) = r.body() else {
            panic!("text body")
        };
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(t).unwrap()["error"],
            "unavailable"
        );
        assert!(!t.contains("secret"), "{t}");
    }
}
