//! Calling a platform's API: one classification of HTTP outcomes for every platform, and a
//! cache for OAuth-style bearer tokens.

use std::future::Future;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use super::{AckError, Reason};

/// A platform answer: status, body text, and how long it asked us to wait (`Retry-After`).
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: String,
    pub retry_after: Option<Duration>,
}

impl Reply {
    /// The answer as `T`; an error says where it did not fit, never what was there (serde's
    /// own message quotes values: an order's customer data, in logs and on the record).
    pub fn json<T: serde::de::DeserializeOwned>(&self, what: &str) -> Result<T, AckError> {
        let mut reader = serde_json::Deserializer::from_str(&self.body);
        serde_path_to_error::deserialize(&mut reader).map_err(|e| {
            let inner = e.inner();
            AckError::Retry(
                format!(
                    "{what}: unreadable answer at `{}` (line {}, column {}: {:?})",
                    e.path(),
                    inner.line(),
                    inner.column(),
                    inner.classify()
                )
                .into(),
            )
        })
    }
}

/// Per-call budget: the worker's Lambda timeout leaves room for a few of these.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(8);

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(CALL_TIMEOUT)
        .connect_timeout(Duration::from_secs(3))
        .build()
        .expect("a TLS client builds")
}

/// Sends a request; connection failures and timeouts are worth retrying.
pub async fn send(request: reqwest::RequestBuilder, what: &str) -> Result<Reply, AckError> {
    let response = request
        .send()
        .await
        .map_err(|e| AckError::Retry(format!("{what}: {e}").into()))?;
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| retry_after(v, chrono::Utc::now()));
    let body = response.text().await.unwrap_or_default();
    Ok(Reply {
        status,
        body,
        retry_after,
    })
}

/// A `Retry-After` value: delay-seconds or an HTTP date (RFC 9110), as a delay from `now`.
pub fn retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    Some(
        (at.with_timezone(&chrono::Utc) - now)
            .to_std()
            .unwrap_or(Duration::ZERO),
    )
}

/// 2xx is done; 401 is for the caller (refresh its token once); 408, 429 and 5xx are
/// retried; any other 4xx will not get better and fails the job with the platform's reason.
pub fn check(reply: Reply, what: &str) -> Result<Reply, AckError> {
    if (200..=299).contains(&reply.status) {
        return Ok(reply);
    }
    let short: String = reply.body.chars().take(300).collect();
    let reason = Reason::http(what, reply.status, short);
    Err(match (reply.status, reply.retry_after) {
        (408 | 429 | 500..=599, Some(after)) => AckError::Later { reason, after },
        (408 | 429 | 500..=599, None) => AckError::Retry(reason),
        (401, _) => AckError::Unauthorized(reason),
        _ => AckError::Permanent(reason),
    })
}

/// `id` (from a webhook: attacker- or platform-controlled) as one URL path segment: every
/// byte but RFC 3986's unreserved characters percent-encoded, so `/`, `?`, `#`, `%` or
/// spaces cannot leave the segment. Ids made only of dots are refused: URL parsers resolve
/// `.` and `..` as dot segments even when encoded, which would move the request to another
/// path (with our bearer token on it).
pub fn path_segment(id: &str) -> Result<String, AckError> {
    if id.is_empty() || id.bytes().all(|b| b == b'.') {
        return Err(AckError::Permanent(
            format!("'{id}' cannot be a path segment").into(),
        ));
    }
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Ok(out)
}

/// A bearer token kept until shortly before it expires.
#[derive(Default)]
pub struct TokenCache {
    token: Mutex<Option<(String, Instant)>>,
}

/// Tokens are renewed this long before their stated expiry.
const EARLY: Duration = Duration::from_secs(60);

impl TokenCache {
    /// The cached token, or a new one from `fetch` (token and lifetime).
    pub async fn get<F, Fut>(&self, fetch: F) -> Result<String, AckError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(String, Duration), AckError>>,
    {
        let mut token = self.token.lock().await;
        if let Some((value, until)) = token.as_ref() {
            if Instant::now() < *until {
                return Ok(value.clone());
            }
        }
        let (value, lifetime) = fetch().await?;
        *token = Some((value.clone(), Instant::now() + lifetime.saturating_sub(EARLY)));
        Ok(value)
    }

    /// Forgets the token (the platform said 401): the next call fetches a new one.
    pub async fn invalidate(&self) {
        *self.token.lock().await = None;
    }
}

/// Two values of a platform's secret (e.g. client id and secret); missing ones are our
/// misconfiguration: retried until an operator sets them, and alarmed meanwhile.
pub async fn credential_pair(
    secrets: &crate::secrets::SecretSource,
    keys: [&str; 2],
    platform: &str,
) -> Result<(String, String), AckError> {
    let secrets = secrets
        .get()
        .await
        .map_err(|e| AckError::Retry(e.to_string().into()))?;
    match (secrets.get(keys[0]), secrets.get(keys[1])) {
        (Some(a), Some(b)) => Ok((a.to_owned(), b.to_owned())),
        _ => Err(AckError::Misconfigured(
            format!("{platform} {}/{} are not configured", keys[0], keys[1]).into(),
        )),
    }
}

/// Sends the request `build` makes with a bearer token and checks the answer; on 401
/// fetches a new token once and tries again.
pub async fn authorized<G, GFut>(
    tokens: &TokenCache,
    fetch: G,
    what: &str,
    build: impl Fn(String) -> reqwest::RequestBuilder,
) -> Result<Reply, AckError>
where
    G: Fn() -> GFut,
    GFut: Future<Output = Result<(String, Duration), AckError>>,
{
    with_token(tokens, fetch, |token| {
        let request = build(token);
        async move { check(send(request, what).await?, what) }
    })
    .await
}

/// Runs `call` with a token; on 401 fetches a new token once and tries again.
pub async fn with_token<F, Fut, T, G, GFut>(tokens: &TokenCache, fetch: G, call: F) -> Result<T, AckError>
where
    G: Fn() -> GFut,
    GFut: Future<Output = Result<(String, Duration), AckError>>,
    F: Fn(String) -> Fut,
    Fut: Future<Output = Result<T, AckError>>,
{
    let token = tokens.get(&fetch).await?;
    match call(token).await {
        Err(AckError::Unauthorized(_)) => {
            tokens.invalidate().await;
            let token = tokens.get(&fetch).await?;
            call(token).await
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreadable_answer_is_located_without_quoting_it() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Order {
            items: Vec<Item>,
        }
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Item {
            quantity: u32,
        }
        let reply = Reply {
            status: 200,
            body: r#"{"items": [{"quantity": 1}, {"quantity": "Jane Doe, 12 Elm St"}]}"#.into(),
            retry_after: None,
        };
        let Err(AckError::Retry(reason)) = reply.json::<Order>("ordatic order") else {
            panic!("an unreadable answer is retried");
        };
        let reason = reason.to_string();
        assert!(
            reason.starts_with("ordatic order: unreadable answer at `items[1].quantity`"),
            "{reason}"
        );
        assert!(!reason.contains("Jane") && !reason.contains("Elm"), "{reason}");
    }
}
