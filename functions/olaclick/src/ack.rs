//! OlaClick acknowledgements (the ack worker's side).
//!
//! Sync mode: the 2xx the receiver sent was the acknowledgement; nothing to call.
//! Async mode (ASSUMPTION, the doc is cut off): POST `{event_id, event_type, merchant_id,
//! order_id, status: "received"}` to `OLACLICK_ACK_URL`, with the header
//! `OLACLICK_ACK_AUTH_HEADER` (default `Authorization`) set to the secret's `ack_auth_value`.

use ordergate_shared::config;
use ordergate_shared::job::AckJob;
use ordergate_shared::secrets::{SecretKeys, SecretSource};
use ordergate_shared::worker::http::{check, client, send};
use ordergate_shared::worker::{AckError, Acked, Acknowledge};

use crate::job::Ack;
use serde_json::json;

pub const ACK_AUTH_VALUE: &str = "ack_auth_value";
/// The worker's OlaClick API secret.
pub const API_SECRET: SecretKeys = SecretKeys::plain(&[ACK_AUTH_VALUE]);

pub struct OlaClickAck {
    http: reqwest::Client,
    url: Option<String>,
    auth_header: String,
    secrets: SecretSource,
}

impl OlaClickAck {
    pub fn new(url: Option<String>, auth_header: impl Into<String>, secrets: SecretSource) -> Self {
        OlaClickAck {
            http: client(),
            url,
            auth_header: auth_header.into(),
            secrets,
        }
    }
}

impl Acknowledge for OlaClickAck {
    fn from_env(secrets: SecretSource) -> Result<Self, config::ConfigError> {
        let header = config::var("OLACLICK_ACK_AUTH_HEADER").unwrap_or_else(|| "authorization".into());
        Ok(OlaClickAck::new(config::var("OLACLICK_ACK_URL"), header, secrets))
    }

    async fn acknowledge(&self, job: &AckJob) -> Result<Acked, AckError> {
        let Ack::Async {
            event_id,
            event_type,
            merchant_id,
            order_id,
        } = job.ack_as()?
        else {
            return Ok(Acked::note("acknowledged in the HTTP response (sync mode)"));
        };
        // Either missing is ours to fix: retried (and alarmed) until then, never a call
        // without its credential.
        let url = self.url.as_deref().ok_or_else(|| {
            AckError::Misconfigured("async ack mode but OLACLICK_ACK_URL is not set".into())
        })?;
        let secrets = self
            .secrets
            .get()
            .await
            .map_err(|e| AckError::Retry(e.to_string().into()))?;
        let auth = secrets.get(ACK_AUTH_VALUE).ok_or_else(|| {
            AckError::Misconfigured(format!("the OlaClick API secret's {ACK_AUTH_VALUE} is not set").into())
        })?;
        let request = self
            .http
            .post(url)
            .header(self.auth_header.as_str(), auth)
            .json(&json!({
                "event_id": event_id,
                "event_type": event_type,
                "merchant_id": merchant_id,
                "order_id": order_id,
                "status": "received",
            }));
        // 401 here cannot be fixed by a token refresh: retried until an operator fixes the secret.
        check(send(request, "olaclick ack").await?, "olaclick ack")?;
        Ok(Acked::note("acknowledgement posted"))
    }
}
