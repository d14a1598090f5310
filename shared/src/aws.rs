//! AWS SDK configuration, built once per cold start. The endpoint override
//! (`AWS_ENDPOINT_URL`) is honoured by aws-config itself, so the same binary runs on AWS and
//! against the local emulator.

use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, ConfigLoader, SdkConfig};
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};

/// Deliverect gives up after ~3 s: the whole store + enqueue must fit well inside that,
/// so one slow attempt is cut short and retried instead of hanging. Overridable for slow
/// test environments with `ORDERGATE_AWS_TIMEOUT_MS` (the per-operation budget).
const DEFAULT_OPERATION_TIMEOUT: Duration = Duration::from_millis(1200);

pub async fn sdk_config() -> SdkConfig {
    loader(operation_budget()).load().await
}

/// The budget of one AWS call (`ORDERGATE_AWS_TIMEOUT_MS`, else 1.2 s).
pub fn operation_budget() -> Duration {
    std::env::var("ORDERGATE_AWS_TIMEOUT_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(DEFAULT_OPERATION_TIMEOUT, Duration::from_millis)
}

/// The timeouts of one call: connecting, each attempt (two fit), the whole call.
pub fn timeouts(operation: Duration) -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_millis(500).min(operation))
        .operation_attempt_timeout(operation / 2)
        .operation_timeout(operation)
        .build()
}

/// The loader behind [`sdk_config`]: one rustls (ring) HTTPS client and a per-operation
/// budget split into attempts. Tests add their emulator endpoint and credentials to it.
pub fn loader(operation: Duration) -> ConfigLoader {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .timeout_config(timeouts(operation))
}
