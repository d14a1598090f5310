//! JSON logs for CloudWatch. Log fields are ids, outcomes and timings, never order content:
//! nothing in this crate logs a body, a customer field or a secret (tests/logs.rs checks).

use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;

/// `RUST_LOG` as `level` or `target=level,…` (default `info`). `Targets` rather than
/// `EnvFilter`: the same syntax for what a function needs, without the regex engine
/// EnvFilter carries into every binary (issue 16: bootstrap sizes).
pub fn filter() -> Targets {
    std::env::var("RUST_LOG")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| Targets::new().with_default(tracing::Level::INFO))
}

pub fn init() {
    let filter = filter();
    // Ignored if a subscriber is already set (tests call this more than once).
    let _ = tracing::subscriber::set_global_default(subscriber(std::io::stdout, filter));
}

/// The functions' log format, writing to `writer` (stdout on Lambda; a buffer in tests).
pub fn subscriber<W>(writer: W, filter: Targets) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .json()
        .with_writer(writer)
        .with_current_span(false)
        .with_span_list(false)
        .flatten_event(true)
        .with_target(false)
        .without_time()
        .finish()
        .with(filter)
}
