//! Provider secrets: a JSON object of strings kept in AWS Secrets Manager (`<P>_SECRET_ID`)
//! or, for local runs and tests, given inline (`<P>_SECRET_JSON`). Fetched on first use and
//! re-read every few minutes, so a rotated secret takes effect without a redeploy.
//!
//! A secret that cannot be used is our misconfiguration, never the platform's fault: a
//! missing secret, one we may not read, or a value that is not a JSON object of strings is
//! [`ApiError::Misconfigured`] (503 + alarm); Secrets Manager being slow or down is
//! [`ApiError::Unavailable`] (503). Either way the failure is remembered for a few seconds,
//! so an outage does not cost every delivery a full timeout, and a copy that cannot be
//! refreshed is served for a bounded time only (a revoked key must stop working).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_secretsmanager::error::{DisplayErrorContext, ProvideErrorMetadata};
use tokio::sync::Mutex;

use crate::error::ApiError;

/// How long a fetched secret is used before it is read again, how long past that a copy
/// that cannot be refreshed is still served, and how long a failed read is remembered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Freshness {
    pub refresh_after: Duration,
    pub serve_stale_for: Duration,
    pub remember_failure_for: Duration,
}

impl Default for Freshness {
    fn default() -> Self {
        Freshness {
            refresh_after: Duration::from_secs(300),
            serve_stale_for: Duration::from_secs(3600),
            remember_failure_for: Duration::from_secs(5),
        }
    }
}

/// A secret a function cannot use as it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("secret is not a JSON object of strings: {0}")]
    NotJson(String),
    #[error("the secret has no {0}")]
    Missing(String),
    #[error("the secret's {key} {problem}")]
    Unusable { key: String, problem: String },
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Secrets(HashMap<String, String>);

/// The keys a function reads from one of a platform's secrets, and the check a value
/// must pass to be usable (operators' tools refuse what the function would reject).
#[derive(Debug, Clone, Copy)]
pub struct SecretKeys {
    pub keys: &'static [&'static str],
    pub check: fn(key: &str, value: &str) -> Result<(), SecretError>,
}

impl SecretKeys {
    /// Keys whose values are free text.
    pub const fn plain(keys: &'static [&'static str]) -> SecretKeys {
        SecretKeys {
            keys,
            check: |_, _| Ok(()),
        }
    }
}

impl Secrets {
    pub fn from_json(text: &str) -> Result<Secrets, SecretError> {
        serde_json::from_str::<HashMap<String, String>>(text)
            .map(Secrets)
            .map_err(|e| SecretError::NotJson(e.to_string()))
    }

    /// A configured, non-empty value, or the error that names the missing key.
    pub fn require(&self, key: &str) -> Result<&str, SecretError> {
        self.get(key).ok_or_else(|| SecretError::Missing(key.to_owned()))
    }

    /// A configured, non-empty value.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str).filter(|v| !v.is_empty())
    }

    /// Every key and value, empty ones included.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// What the cache holds: the last good copy and when it was read, and the last failure.
#[derive(Default)]
struct Cached {
    good: Option<(Instant, Arc<Secrets>)>,
    failed: Option<(Instant, ApiError)>,
}

/// Where a function's secret comes from.
pub struct SecretSource(Source);

enum Source {
    Static(Arc<Secrets>),
    SecretsManager {
        client: aws_sdk_secretsmanager::Client,
        secret_id: String,
        freshness: Freshness,
        cached: Mutex<Cached>,
    },
}

/// Which of a platform's secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    /// Read by the receiver: verifies deliveries.
    Webhook,
    /// Read by the ack worker: calls the platform's API (a secret of its own that the
    /// receivers cannot read).
    Api,
}

impl SecretKind {
    /// The environment variable holding the secret's id, as the functions read it:
    /// `<PLATFORM>_SECRET_ID` or `<PLATFORM>_API_SECRET_ID` (template.yaml sets them).
    pub fn id_var(self, platform: &str) -> String {
        format!("{}_SECRET_ID", self.prefix(platform))
    }

    /// The variable holding the secret's JSON inline (local runs, tests).
    pub fn json_var(self, platform: &str) -> String {
        format!("{}_SECRET_JSON", self.prefix(platform))
    }

    fn prefix(self, platform: &str) -> String {
        let name = platform.to_uppercase();
        match self {
            SecretKind::Webhook => name,
            SecretKind::Api => format!("{name}_API"),
        }
    }
}

impl SecretSource {
    pub fn fixed(secrets: Secrets) -> Self {
        SecretSource(Source::Static(Arc::new(secrets)))
    }

    pub fn secrets_manager(client: aws_sdk_secretsmanager::Client, secret_id: impl Into<String>) -> Self {
        Self::secrets_manager_with(client, secret_id, Freshness::default())
    }

    pub fn secrets_manager_with(
        client: aws_sdk_secretsmanager::Client,
        secret_id: impl Into<String>,
        freshness: Freshness,
    ) -> Self {
        SecretSource(Source::SecretsManager {
            client,
            secret_id: secret_id.into(),
            freshness,
            cached: Mutex::new(Cached::default()),
        })
    }

    /// `platform`'s `kind` of secret: [`SecretKind::id_var`] (Secrets Manager) wins over
    /// [`SecretKind::json_var`] (inline).
    pub fn from_env(
        platform: &str,
        kind: SecretKind,
        sdk: &aws_config::SdkConfig,
    ) -> Result<Self, crate::config::ConfigError> {
        if let Ok(secret_id) = std::env::var(kind.id_var(platform)) {
            return Ok(Self::secrets_manager(
                aws_sdk_secretsmanager::Client::new(sdk),
                secret_id,
            ));
        }
        let name = kind.json_var(platform);
        let inline = std::env::var(&name).unwrap_or_else(|_| "{}".into());
        Secrets::from_json(&inline)
            .map(Self::fixed)
            .map_err(|e| crate::config::ConfigError::invalid(name, e))
    }

    pub async fn get(&self) -> Result<Arc<Secrets>, ApiError> {
        let (client, secret_id, freshness, cached) = match &self.0 {
            Source::Static(s) => return Ok(s.clone()),
            Source::SecretsManager {
                client,
                secret_id,
                freshness,
                cached,
            } => (client, secret_id, freshness, cached),
        };
        let mut cached = cached.lock().await;
        if let Some((at, s)) = &cached.good {
            if at.elapsed() < freshness.refresh_after {
                return Ok(s.clone());
            }
        }
        let recent_failure = cached
            .failed
            .as_ref()
            .filter(|(at, _)| at.elapsed() < freshness.remember_failure_for)
            .map(|(_, e)| e.clone());
        let error = match recent_failure {
            Some(e) => e,
            None => match fetch(client, secret_id).await {
                Ok(secrets) => {
                    *cached = Cached {
                        good: Some((Instant::now(), secrets.clone())),
                        failed: None,
                    };
                    return Ok(secrets);
                }
                Err(e) => {
                    cached.failed = Some((Instant::now(), e.clone()));
                    e
                }
            },
        };
        // Keep serving the last good copy for a while rather than failing every delivery,
        // but not forever: a secret rotated away must stop being accepted.
        match &cached.good {
            Some((at, s)) if at.elapsed() < freshness.refresh_after + freshness.serve_stale_for => {
                tracing::warn!(error = %error, "secret refresh failed; using the last good copy");
                Ok(s.clone())
            }
            _ => Err(error),
        }
    }
}

/// One read of a secret from Secrets Manager, its failure classified (see the module doc).
pub async fn fetch(
    client: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
) -> Result<Arc<Secrets>, ApiError> {
    let out = client
        .get_secret_value()
        .secret_id(secret_id)
        .send()
        .await
        .map_err(|e| {
            let detail = format!("secrets manager {secret_id}: {}", DisplayErrorContext(&e));
            // These need an operator (the secret or the role), not a retry.
            match e.code() {
                Some(
                    "ResourceNotFoundException"
                    | "AccessDeniedException"
                    | "DecryptionFailure"
                    | "InvalidRequestException",
                ) => ApiError::Misconfigured(detail),
                _ => ApiError::Unavailable(detail),
            }
        })?;
    let text = out
        .secret_string()
        .ok_or_else(|| ApiError::Misconfigured(format!("secret {secret_id} has no string value")))?;
    Secrets::from_json(text)
        .map(Arc::new)
        .map_err(|e| ApiError::Misconfigured(format!("secret {secret_id}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_of_secret_has_the_variables_template_yaml_sets() {
        let template = include_str!("../../template.yaml");
        for (kind, var) in [
            (SecretKind::Webhook, "OLACLICK_SECRET_ID"),
            (SecretKind::Api, "OLACLICK_API_SECRET_ID"),
        ] {
            assert_eq!(kind.id_var("olaclick"), var);
            assert!(template.contains(&format!("{var}: !Ref")), "{var}");
        }
        assert_eq!(SecretKind::Api.json_var("oolio"), "OOLIO_API_SECRET_JSON");
    }

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
