//! JSON logs for CloudWatch. Log fields are ids, outcomes and timings, never order content:
//! nothing in this crate logs a body, a customer field or a secret (tests/logs.rs checks).

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    // Ignored if a subscriber is already set (tests call this more than once).
    let _ = tracing::subscriber::set_global_default(subscriber(std::io::stdout, filter));
}

/// The functions' log format, writing to `writer` (stdout on Lambda; a buffer in tests).
pub fn subscriber<W>(writer: W, filter: EnvFilter) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .json()
        .with_writer(writer)
        .with_env_filter(filter)
        .with_current_span(false)
        .with_span_list(false)
        .flatten_event(true)
        .with_target(false)
        .without_time()
        .finish()
}
