//! JSON logs for CloudWatch. Log fields are ids, outcomes and timings, never order content:
//! nothing in this crate logs a body, a customer field or a secret.

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    // Ignored if a subscriber is already set (tests call this more than once).
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .with_span_list(false)
        .flatten_event(true)
        .with_target(false)
        .without_time()
        .try_init();
}
