//! Deliverect acknowledgements (the ack worker's side): `POST {api}/orderStatus/{orderId}`
//! with `{orderId, status, reason, timeStamp, receiptId}` and a bearer token from
//! `POST {api}/oauth/token` (client credentials from the secret's `client_id` /
//! `client_secret`), cached until it expires and refreshed once on 401.

use std::time::Duration;

use ordergate_shared::config;
use ordergate_shared::job::AckJob;
use ordergate_shared::secrets::{SecretKeys, SecretSource};
use ordergate_shared::worker::http::{
    authorized, check, client, credential_pair, path_segment, send, TokenCache,
};
use ordergate_shared::worker::{AckError, Acked, Acknowledge};

use crate::job::Ack;
use serde_json::json;

pub const CLIENT_ID: &str = "client_id";
pub const CLIENT_SECRET: &str = "client_secret";
/// The worker's Deliverect API secret.
pub const API_SECRET: SecretKeys = SecretKeys::plain(&[CLIENT_ID, CLIENT_SECRET]);

/// The body of `POST /orderStatus/{orderId}`.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct StatusUpdate<'a> {
    order_id: &'a str,
    status: i64,
    reason: &'a str,
    time_stamp: String,
    receipt_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pickup_time: Option<&'a str>,
}

pub struct DeliverectAck {
    http: reqwest::Client,
    api: String,
    audience: String,
    grant_type: String,
    secrets: SecretSource,
    tokens: TokenCache,
}

#[derive(serde::Deserialize)]
struct Token {
    access_token: String,
    /// Unix seconds (Deliverect's documented field).
    expires_at: Option<i64>,
    expires_in: Option<u64>,
}

impl DeliverectAck {
    pub fn new(
        api: &str,
        audience: Option<String>,
        grant_type: Option<String>,
        secrets: SecretSource,
    ) -> Self {
        let api = api.trim_end_matches('/').to_owned();
        DeliverectAck {
            http: client(),
            audience: audience.unwrap_or_else(|| api.clone()),
            grant_type: grant_type.unwrap_or_else(|| "token".into()),
            api,
            secrets,
            tokens: TokenCache::default(),
        }
    }

    async fn token(&self) -> Result<(String, Duration), AckError> {
        let (id, secret) = credential_pair(&self.secrets, [CLIENT_ID, CLIENT_SECRET], "deliverect").await?;
        let request = self.http.post(format!("{}/oauth/token", self.api)).json(&json!({
            "client_id": id,
            "client_secret": secret,
            "audience": self.audience,
            "grant_type": self.grant_type,
        }));
        let token: Token =
            check(send(request, "deliverect token").await?, "deliverect token")?.json("deliverect token")?;
        let lifetime = match (token.expires_at, token.expires_in) {
            (Some(at), _) => Duration::from_secs((at - chrono::Utc::now().timestamp()).max(0) as u64),
            (None, Some(secs)) => Duration::from_secs(secs),
            (None, None) => Duration::from_secs(3600),
        };
        Ok((token.access_token, lifetime))
    }
}

impl Acknowledge for DeliverectAck {
    /// `DELIVERECT_API_URL` (default production), `DELIVERECT_OAUTH_AUDIENCE`,
    /// `DELIVERECT_GRANT_TYPE`.
    fn from_env(secrets: SecretSource) -> Result<Self, config::ConfigError> {
        let api = config::var("DELIVERECT_API_URL").unwrap_or_else(|| "https://api.deliverect.com".into());
        Ok(DeliverectAck::new(
            &api,
            config::var("DELIVERECT_OAUTH_AUDIENCE"),
            config::var("DELIVERECT_GRANT_TYPE"),
            secrets,
        ))
    }

    async fn acknowledge(&self, job: &AckJob) -> Result<Acked, AckError> {
        let ack: Ack = job.ack_as()?;
        let (action, order_id, status, reason, receipt_id, pickup_time) = match &ack {
            Ack::None { .. } => return Ok(Acked::note("no callback for this status")),
            Ack::Accept {
                order_id,
                status,
                pickup_time,
            } => ("accept", order_id, *status, "", order_id, pickup_time),
            Ack::ConfirmCancel { order_id, status } => {
                ("confirm_cancel", order_id, *status, "", order_id, &None)
            }
            Ack::Failed {
                order_id,
                status,
                reason,
            } => ("failed", order_id, *status, reason.as_str(), order_id, &None),
            Ack::Status {
                order_id,
                status,
                reason,
                receipt_id,
                pickup_time,
            } => (
                "status",
                order_id,
                *status,
                reason.as_deref().unwrap_or_default(),
                receipt_id,
                pickup_time,
            ),
        };
        let body = StatusUpdate {
            order_id,
            status,
            reason,
            time_stamp: crate::job::time(chrono::Utc::now()),
            // Required by Deliverect: the POS's receipt id, else the order's id.
            receipt_id,
            pickup_time: pickup_time.as_deref(),
        };
        let url = format!("{}/orderStatus/{}", self.api, path_segment(order_id)?);
        authorized(
            &self.tokens,
            || self.token(),
            "deliverect orderStatus",
            |token| self.http.post(&url).bearer_auth(token).json(&body),
        )
        .await?;
        Ok(Acked::note(format!("{action}: status {status} sent")))
    }
}
