//! JSON logs for CloudWatch. Log fields are ids, outcomes and timings, never order content:
//! nothing in this crate logs a body, a customer field or a secret (tests/logs.rs checks).

use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;

/// `RUST_LOG` as `level` or `target=level,…` (default `info`). `Targets` rather than
/// `EnvFilter`: the same syntax for what a function needs, without the regex engine
/// EnvFilter carries into every binary (bootstrap sizes).
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
        // Each line: its time, and the invocation's span from lambda_runtime — `requestId`
        // and `xrayTraceId` (`span.requestId` in Logs Insights) — to follow one delivery.
        .with_current_span(true)
        .with_span_list(false)
        .flatten_event(true)
        .with_target(false)
        .finish()
        .with(filter)
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use lambda_http::lambda_runtime::layers::trace::request_span;
    use lambda_http::Context;

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// A line logged while the runtime handles an invocation: its time, the invocation's
    /// request id and X-Ray trace id (the span lambda_runtime opens), and its own fields.
    #[test]
    fn every_line_has_its_time_request_id_and_trace_id() {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = super::subscriber(move || writer.clone(), super::filter());
        let mut ctx = Context::default();
        ctx.request_id = "req-1".into();
        ctx.xray_trace_id = Some("Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1".into());
        tracing::subscriber::with_default(subscriber, || {
            request_span(&ctx).in_scope(|| tracing::info!(provider = "deliverect", "delivery accepted"));
        });
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        let line: serde_json::Value = serde_json::from_str(text.trim()).expect("one JSON line");
        let time = line["timestamp"].as_str().expect("a timestamp");
        assert!(chrono::DateTime::parse_from_rfc3339(time).is_ok(), "{time}");
        assert_eq!(line["span"]["requestId"], "req-1");
        assert_eq!(line["span"]["xrayTraceId"], ctx.xray_trace_id.unwrap().as_str());
        assert_eq!(line["provider"], "deliverect");
    }
}
