//! CloudWatch metrics in the embedded metric format (EMF): one JSON line per delivery or
//! ack job on stdout, which CloudWatch Logs turns into metrics — no API call, no latency
//! on the hot path. Namespace `ordergate/<stack>` (see [`namespace`]), dimension `provider`.
//!
//! Receivers: `Received`, `Stored`, `Duplicate`, `Rejected` (4xx), `Failed` (503),
//! `Misconfigured` (503, our configuration), `Quarantined` (stored without being fully
//! read), `UnmappedLocation` (counts) and `Latency` (ms).
//! Ack worker: `Acked`, `AckRetried`, `AckFailed`, and `Misconfigured` (a retry because
//! our own API URL or credential is missing) (counts).
//!
//! Lines go to stdout inside Lambda (`AWS_LAMBDA_FUNCTION_NAME` set, in the local stack
//! too), or when `ORDERGATE_EMF=stdout`; elsewhere — tests, the CLI —
//! they are dropped, so test output is not flooded (tests that count them capture them
//! with [`set_writer`]).

use std::io::Write;
use std::sync::{Mutex, OnceLock};

use serde::{Serialize, Serializer};

/// The namespace outside a deployed stack (tests, the CLI).
pub const NAMESPACE: &str = "ordergate";

/// The stack's own namespace, `ordergate/<stack>` (`ORDERGATE_METRICS_NAMESPACE`, set by
/// template.yaml): two stacks in one account and region (staging, prod) never add up in
/// each other's alarms and dashboard.
pub fn namespace() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| {
        crate::config::var("ORDERGATE_METRICS_NAMESPACE").unwrap_or_else(|| NAMESPACE.to_owned())
    })
}

type Sink = Mutex<Box<dyn Write + Send>>;

static SINK: OnceLock<Sink> = OnceLock::new();

/// Sends metric lines to `writer` instead of stdout (tests). First call wins.
pub fn set_writer(writer: Box<dyn Write + Send>) {
    let _ = SINK.set(Mutex::new(writer));
}

/// One EMF line: the values, declared as metrics of `namespace` by `provider`.
pub fn line(namespace: &str, provider: &str, values: &[(&str, f64, &str)], timestamp_ms: i64) -> String {
    let line = Line {
        aws: Aws {
            timestamp: timestamp_ms,
            cloud_watch_metrics: [Directive {
                namespace,
                dimensions: [["provider"]],
                metrics: Definitions(values),
            }],
        },
        provider,
        values: Values(values),
    };
    serde_json::to_string(&line).expect("plain data serializes")
}

/// The EMF document, written straight from the values (no JSON tree built in between: a
/// line per delivery).
#[derive(Serialize)]
struct Line<'a> {
    #[serde(rename = "_aws")]
    aws: Aws<'a>,
    provider: &'a str,
    #[serde(flatten)]
    values: Values<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Aws<'a> {
    timestamp: i64,
    cloud_watch_metrics: [Directive<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Directive<'a> {
    namespace: &'a str,
    dimensions: [[&'static str; 1]; 1],
    metrics: Definitions<'a>,
}

/// `{"Name", "Unit"}` of each value.
struct Definitions<'a>(&'a [(&'a str, f64, &'a str)]);

impl Serialize for Definitions<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Definition<'a> {
            name: &'a str,
            unit: &'a str,
        }
        s.collect_seq(self.0.iter().map(|&(name, _, unit)| Definition { name, unit }))
    }
}

/// Each value under its metric's name.
struct Values<'a>(&'a [(&'a str, f64, &'a str)]);

impl Serialize for Values<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|&(name, value, _)| (name, value)))
    }
}

/// Writes one line (to stdout unless [`set_writer`] was called). Never fails a delivery.
pub fn emit(provider: &str, values: &[(&str, f64, &str)]) {
    let text = line(
        namespace(),
        provider,
        values,
        chrono::Utc::now().timestamp_millis(),
    );
    let sink = SINK.get_or_init(|| {
        let in_lambda = std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some();
        let asked = std::env::var("ORDERGATE_EMF").is_ok_and(|v| v == "stdout");
        if in_lambda || asked {
            Mutex::new(Box::new(std::io::stdout()))
        } else {
            Mutex::new(Box::new(std::io::sink()))
        }
    });
    if let Ok(mut w) = sink.lock() {
        let _ = writeln!(w, "{text}");
        let _ = w.flush();
    }
}

/// A count metric that is 1 when `on`, else 0 (zeros keep every series continuous).
pub fn count(name: &str, on: bool) -> (&str, f64, &'static str) {
    (name, if on { 1.0 } else { 0.0 }, "Count")
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_line_declares_its_metrics_in_the_namespace_by_provider() {
        let text = super::line(
            "ordergate/prod",
            "oolio",
            &[super::count("Received", true), ("Latency", 12.0, "Milliseconds")],
            1_700_000_000_000,
        );
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let def = &v["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(def["Namespace"], "ordergate/prod");
        assert_eq!(def["Dimensions"][0][0], "provider");
        assert_eq!(def["Metrics"][1]["Unit"], "Milliseconds");
        assert_eq!(v["_aws"]["Timestamp"], 1_700_000_000_000_i64);
        assert_eq!(
            (v["provider"].as_str(), v["Received"].as_f64()),
            (Some("oolio"), Some(1.0))
        );
        assert_eq!(v["Latency"], 12.0);
    }
}
