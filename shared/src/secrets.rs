//! Provider secrets: a JSON object of strings kept in AWS Secrets Manager (`<P>_SECRET_ID`)
//! or, for local runs and tests, given inline (`<P>_SECRET_JSON`). Fetched on first use and
//! re-read every few minutes, so a rotated secret takes effect without a redeploy.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use crate::error::ApiError;

const REFRESH_AFTER: Duration = Duration::from_secs(300);

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Secrets(HashMap<String, String>);

impl Secrets {
    pub fn from_json(text: &str) -> Result<Secrets, String> {
        serde_json::from_str::<HashMap<String, String>>(text)
            .map(Secrets)
            .map_err(|e| format!("secret is not a JSON object of strings: {e}"))
    }

    /// A configured, non-empty value.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str).filter(|v| !v.is_empty())
    }
}

pub enum SecretSource {
    Static(Arc<Secrets>),
    SecretsManager {
        client: aws_sdk_secretsmanager::Client,
        secret_id: String,
        cached: Mutex<Option<(Instant, Arc<Secrets>)>>,
    },
}

impl SecretSource {
    pub fn fixed(secrets: Secrets) -> Self {
        SecretSource::Static(Arc::new(secrets))
    }

    pub fn secrets_manager(client: aws_sdk_secretsmanager::Client, secret_id: impl Into<String>) -> Self {
        SecretSource::SecretsManager {
            client,
            secret_id: secret_id.into(),
            cached: Mutex::new(None),
        }
    }

    /// `<PREFIX>_SECRET_ID` (Secrets Manager) wins over `<PREFIX>_SECRET_JSON` (inline).
    pub fn from_env(prefix: &str, sdk: &aws_config::SdkConfig) -> Result<Self, String> {
        if let Ok(secret_id) = std::env::var(format!("{prefix}_SECRET_ID")) {
            return Ok(Self::secrets_manager(
                aws_sdk_secretsmanager::Client::new(sdk),
                secret_id,
            ));
        }
        let inline = std::env::var(format!("{prefix}_SECRET_JSON")).unwrap_or_else(|_| "{}".into());
        Secrets::from_json(&inline).map(Self::fixed)
    }

    pub async fn get(&self) -> Result<Arc<Secrets>, ApiError> {
        let (client, secret_id, cached) = match self {
            SecretSource::Static(s) => return Ok(s.clone()),
            SecretSource::SecretsManager {
                client,
                secret_id,
                cached,
            } => (client, secret_id, cached),
        };
        let mut cached = cached.lock().await;
        if let Some((at, s)) = cached.as_ref() {
            if at.elapsed() < REFRESH_AFTER {
                return Ok(s.clone());
            }
        }
        match client.get_secret_value().secret_id(secret_id).send().await {
            Ok(out) => {
                let text = out.secret_string().unwrap_or("{}");
                let secrets = Arc::new(Secrets::from_json(text).map_err(ApiError::Unavailable)?);
                *cached = Some((Instant::now(), secrets.clone()));
                Ok(secrets)
            }
            // Keep serving with the last good copy rather than failing every delivery.
            Err(e) => match cached.as_ref() {
                Some((_, s)) => {
                    tracing::warn!(error = %aws_sdk_secretsmanager::error::DisplayErrorContext(&e), "secret refresh failed; using cached copy");
                    Ok(s.clone())
                }
                None => Err(ApiError::Unavailable(format!(
                    "secrets manager: {}",
                    aws_sdk_secretsmanager::error::DisplayErrorContext(&e)
                ))),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_a_json_object_of_strings() {
        let s = Secrets::from_json(r#"{"a":"1","empty":""}"#).unwrap();
        assert_eq!(s.get("a"), Some("1"));
        assert_eq!(s.get("empty"), None, "an empty value counts as not configured");
        assert_eq!(s.get("b"), None);
        assert!(Secrets::from_json(r#"{"a":1}"#).is_err());
        assert!(Secrets::from_json("nope").is_err());
    }
}
