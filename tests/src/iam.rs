//! What each function asks of AWS, recorded from the code as it runs in the integration
//! tests — the input of the IAM check (`infra/local/check_iam.py`, run by `make test`).
//!
//! The emulator enforces no IAM, so a call the deployed role does not allow passes here and
//! fails on AWS. Every request a function's SDK clients send is written down as IAM sees it:
//! the calling function (its logical id in template.yaml), the operation, the resources by
//! logical id and, for DynamoDB, the partition keys touched (`dynamodb:LeadingKeys`). The
//! checker evaluates each against the function's role in the SAM-translated template, and
//! flags granted actions that no recorded call needs.
//!
//! Recording is on when `ORDERGATE_IAM_RECORD` names a file (one JSON object per line,
//! appended by every test process); otherwise clients are returned unchanged.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use aws_config::SdkConfig;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use ordergate_shared::Provider;
use serde_json::{json, Value};

/// The function (logical id in template.yaml) that receives `P`'s webhooks.
pub fn receiver_function<P: Provider>() -> String {
    format!("{}Function", P::TEMPLATE_NAME)
}

pub const ACK_WORKER: &str = "AckWorkerFunction";
pub const PUBLISHER: &str = "PublisherFunction";
pub const COMMANDS: &str = "CommandsFunction";

fn sink() -> Option<&'static Mutex<File>> {
    static SINK: OnceLock<Option<Mutex<File>>> = OnceLock::new();
    SINK.get_or_init(|| {
        let path = std::env::var_os("ORDERGATE_IAM_RECORD")?;
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .unwrap_or_else(|e| panic!("open {path:?}: {e}"));
        Some(Mutex::new(file))
    })
    .as_ref()
}

/// `sdk` whose requests are recorded as made by `function`. `resources` maps the template's
/// logical ids to this stack's physical names (bootstrap's output): recorded names are
/// turned back into logical ids so the checker can match them with the role's ARNs.
pub fn record(sdk: &SdkConfig, function: &str, resources: &Value) -> SdkConfig {
    if sink().is_none() {
        return sdk.clone();
    }
    let mut logical = HashMap::new();
    for (id, physical) in resources.as_object().into_iter().flatten() {
        if let Some(p) = physical.as_str() {
            logical.insert(p.to_owned(), id.clone());
            // Queues are named by URL in requests and by their last segment in ARNs.
            if let Some(name) = p.rsplit('/').next().filter(|_| p.starts_with("http")) {
                logical.insert(name.to_owned(), id.clone());
            }
        }
    }
    let inner = sdk.http_client().expect("the SDK config has an HTTP client");
    let recorder = Recorder {
        inner,
        function: function.into(),
        logical: Arc::new(logical),
    };
    sdk.to_builder()
        .http_client(SharedHttpClient::new(recorder))
        .build()
}

#[derive(Debug, Clone)]
struct Recorder {
    inner: SharedHttpClient,
    function: Arc<str>,
    logical: Arc<HashMap<String, String>>,
}

impl HttpClient for Recorder {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(RecordingConnector {
            inner: self.inner.http_connector(settings, components),
            recorder: self.clone(),
        })
    }
}

#[derive(Debug)]
struct RecordingConnector {
    inner: SharedHttpConnector,
    recorder: Recorder,
}

impl HttpConnector for RecordingConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        if let Some(sink) = sink() {
            let mut line = self.recorder.describe(&request).to_string();
            line.push('\n');
            // One write per line: appends from parallel test processes do not interleave.
            sink.lock()
                .unwrap()
                .write_all(line.as_bytes())
                .expect("write the IAM record");
        }
        self.inner.call(request)
    }
}

impl Recorder {
    fn name(&self, physical: &str) -> Value {
        match self.logical.get(physical) {
            Some(id) => json!({ "Ref": id }),
            None => json!({ "Physical": physical }),
        }
    }

    /// One call as IAM evaluates it (see the module doc).
    fn describe(&self, request: &HttpRequest) -> Value {
        let mut call = match request.headers().get("x-amz-target") {
            Some(target) => {
                let body: Value = request
                    .body()
                    .bytes()
                    .and_then(|b| serde_json::from_slice(b).ok())
                    .unwrap_or(Value::Null);
                self.json_call(target, &body)
            }
            None => self.s3_call(request),
        };
        call["function"] = json!(&*self.function);
        call
    }

    /// DynamoDB, SQS, Secrets Manager and EventBridge: `X-Amz-Target: <Service>.<Operation>`.
    fn json_call(&self, target: &str, body: &Value) -> Value {
        let (service, operation) = target.split_once('.').unwrap_or((target, ""));
        let text = |k: &str| body[k].as_str().unwrap_or_default();
        match service {
            s if s.starts_with("DynamoDB") => {
                let items: Vec<Value> = match body["TransactItems"].as_array() {
                    Some(items) => items.iter().filter_map(|i| self.transact_item(i)).collect(),
                    None => vec![json!({
                        "operation": operation,
                        "table": self.name(text("TableName")),
                        "index": body.get("IndexName"),
                        "leading_keys": leading_keys(body),
                    })],
                };
                json!({ "service": "dynamodb", "operation": operation, "items": items })
            }
            "AmazonSQS" => json!({
                "service": "sqs", "operation": operation, "queue": self.name(text("QueueUrl")),
            }),
            "secretsmanager" => json!({
                "service": "secretsmanager", "operation": operation,
                "secret": self.name(text("SecretId")),
            }),
            "AWSEvents" => {
                let buses: Vec<Value> = body["Entries"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|e| self.name(e["EventBusName"].as_str().unwrap_or("default")))
                    .collect();
                json!({ "service": "events", "operation": operation, "buses": buses })
            }
            other => json!({ "service": other, "operation": operation }),
        }
    }

    /// One item of a TransactWriteItems: IAM checks each as its own action.
    fn transact_item(&self, item: &Value) -> Option<Value> {
        let (kind, spec) = item.as_object()?.iter().next()?;
        Some(json!({
            "operation": kind,
            "table": self.name(spec["TableName"].as_str().unwrap_or_default()),
            "leading_keys": leading_keys(spec),
        }))
    }

    /// S3 (REST, path-style against the emulator): the method and path name the operation.
    fn s3_call(&self, request: &HttpRequest) -> Value {
        let uri = request.uri();
        let path = uri.split("://").nth(1).unwrap_or(uri);
        let path = path.split_once('/').map_or("", |(_, p)| p);
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        let (bucket, key) = path.split_once('/').unwrap_or((path, ""));
        let operation = query
            .split('&')
            .find_map(|p| p.strip_prefix("x-id="))
            .map(str::to_owned)
            .unwrap_or_else(|| {
                format!(
                    "{} {}",
                    request.method(),
                    if key.is_empty() { "bucket" } else { "object" }
                )
            });
        json!({
            "service": "s3", "operation": operation, "bucket": self.name(bucket),
            "key": percent_decode(key),
        })
    }
}

/// The partition key values a DynamoDB request touches: `Key.pk`, `Item.pk`, or the value
/// bound to `pk` in a Query's key condition.
fn leading_keys(spec: &Value) -> Vec<String> {
    use ordergate_shared::store::item::attr;
    let direct = ["Key", "Item"]
        .iter()
        .find_map(|k| spec[k][attr::PK]["S"].as_str().map(str::to_owned));
    if let Some(pk) = direct {
        return vec![pk];
    }
    let condition = spec["KeyConditionExpression"].as_str().unwrap_or_default();
    condition
        .split(" AND ")
        .filter_map(|clause| clause.split_once('='))
        .filter(|(name, _)| name.trim() == attr::PK)
        .filter_map(|(_, placeholder)| spec["ExpressionAttributeValues"][placeholder.trim()]["S"].as_str())
        .map(str::to_owned)
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
