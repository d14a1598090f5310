//! Fault injection below the real AWS SDK: an HTTP client that wraps the SDK's own and
//! breaks one kind of request (a step of the pipeline) the way the network or AWS can —
//! refused connections, 500s, DynamoDB cancelling a transaction because of one item, or
//! the worst case, a request that was applied but whose answer never came back. Everything
//! else goes to the emulator unchanged, so the code under test runs exactly as deployed.

use std::sync::{Arc, Mutex};

use aws_config::SdkConfig;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;

/// A step of the pipeline, recognised by its request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The one DynamoDB TransactWriteItems (event record + trail entry + order state).
    StoreWrite,
    /// The trail entry inside that transaction: DynamoDB cancels the whole
    /// transaction when one of its items is throttled (whatever the [`Fault`]).
    TrailWrite,
    /// The SQS SendMessage of the ack job (by the outbox relay: the receiver sends none).
    Enqueue,
    /// An S3 PutObject (large body, proof of delivery).
    BlobPut,
}

/// How the step fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The connection is refused: the request never reaches AWS.
    Refused,
    /// AWS answers 500 (the SDK retries, then gives up).
    ServerError,
    /// The request is applied, then the answer is lost (a timeout after the fact).
    AnswerLost,
    /// The request is applied, then the caller dies before it reads the answer (killed,
    /// out of memory, timed out): the call never returns, nothing after it runs. Not in
    /// [`scenarios`]: the test that uses it kills the task.
    Dies,
}

/// Every step of the receiver broken every way it can break: 7 scenarios (the outbox
/// relay's [`Step::Enqueue`] is broken by its own test).
pub fn scenarios() -> Vec<(Step, Fault)> {
    let all = [Fault::Refused, Fault::ServerError, Fault::AnswerLost];
    let mut s: Vec<(Step, Fault)> = [Step::StoreWrite, Step::BlobPut]
        .iter()
        .flat_map(|step| all.iter().map(move |fault| (*step, *fault)))
        .collect();
    s.push((Step::TrailWrite, Fault::ServerError));
    s
}

#[derive(Debug, Default)]
struct State {
    broken: Option<(Step, Fault)>,
    injected: usize,
}

/// The switchboard shared by the tests and the HTTP client.
#[derive(Debug, Clone, Default)]
pub struct Faults(Arc<Mutex<State>>);

impl Faults {
    /// Breaks `step` (every attempt, SDK retries included) until [`Faults::heal`].
    pub fn break_step(&self, step: Step, fault: Fault) {
        self.0.lock().unwrap().broken = Some((step, fault));
    }

    pub fn heal(&self) {
        self.0.lock().unwrap().broken = None;
    }

    /// How many requests were failed so far.
    pub fn injected(&self) -> usize {
        self.0.lock().unwrap().injected
    }

    /// `sdk` with its HTTP client wrapped by this switchboard.
    pub fn wrap(&self, sdk: &SdkConfig) -> SdkConfig {
        let inner = sdk.http_client().expect("the SDK config has an HTTP client");
        let client = SharedHttpClient::new(FaultyClient {
            inner,
            faults: self.clone(),
        });
        sdk.to_builder().http_client(client).build()
    }

    fn fault_for(&self, request: &HttpRequest) -> Option<Fault> {
        let mut state = self.0.lock().unwrap();
        let (step, fault) = state.broken?;
        let hit = match step {
            Step::StoreWrite | Step::TrailWrite => {
                target(request) == Some("DynamoDB_20120810.TransactWriteItems")
            }
            Step::Enqueue => matches!(
                target(request),
                Some("AmazonSQS.SendMessage" | "AmazonSQS.SendMessageBatch")
            ),
            Step::BlobPut => request.method() == "PUT" && request.uri().contains("x-id=PutObject"),
        };
        hit.then(|| {
            state.injected += 1;
            fault
        })
    }

    fn step(&self) -> Option<Step> {
        self.0.lock().unwrap().broken.map(|(s, _)| s)
    }
}

fn target(request: &HttpRequest) -> Option<&str> {
    request.headers().get("x-amz-target")
}

#[derive(Debug)]
struct FaultyClient {
    inner: SharedHttpClient,
    faults: Faults,
}

impl HttpClient for FaultyClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(FaultyConnector {
            inner: self.inner.http_connector(settings, components),
            faults: self.faults.clone(),
        })
    }
}

#[derive(Debug)]
struct FaultyConnector {
    inner: SharedHttpConnector,
    faults: Faults,
}

impl HttpConnector for FaultyConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let Some(fault) = self.faults.fault_for(&request) else {
            return self.inner.call(request);
        };
        if self.faults.step() == Some(Step::TrailWrite) {
            return HttpConnectorFuture::ready(Ok(trail_throttled()));
        }
        match fault {
            Fault::Refused => HttpConnectorFuture::ready(Err(ConnectorError::io(
                "injected fault: connection refused".into(),
            ))),
            Fault::ServerError => HttpConnectorFuture::ready(Ok(server_error(&request))),
            Fault::AnswerLost => {
                let applied = self.inner.call(request);
                HttpConnectorFuture::new(async move {
                    let _ = applied.await;
                    Err(ConnectorError::timeout(
                        "injected fault: the answer was lost".into(),
                    ))
                })
            }
            Fault::Dies => {
                let applied = self.inner.call(request);
                HttpConnectorFuture::new(async move {
                    let _ = applied.await;
                    std::future::pending().await
                })
            }
        }
    }
}

fn response(status: u16, content_type: &str, error_type: &str, body: String) -> HttpResponse {
    let mut r = HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::from(body));
    r.headers_mut().insert("content-type", content_type.to_owned());
    r.headers_mut().insert("x-amzn-errortype", error_type.to_owned());
    r
}

fn server_error(request: &HttpRequest) -> HttpResponse {
    if target(request).is_some() {
        response(
            500,
            "application/x-amz-json-1.0",
            "InternalServerError",
            r#"{"__type":"InternalServerError","message":"injected fault"}"#.into(),
        )
    } else {
        response(
            500,
            "application/xml",
            "InternalError",
            "<Error><Code>InternalError</Code><Message>injected fault</Message></Error>".into(),
        )
    }
}

/// What DynamoDB answers when one item of a transaction (here the second, the trail
/// entry) is throttled: the whole transaction is cancelled, nothing is written.
fn trail_throttled() -> HttpResponse {
    response(
        400,
        "application/x-amz-json-1.0",
        "TransactionCanceledException",
        serde_json::json!({
            "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
            "Message": "Transaction cancelled, please refer cancellation reasons for specific reasons [None, ThrottlingError, None]",
            "CancellationReasons": [
                {"Code": "None"},
                {"Code": "ThrottlingError", "Message": "Throughput exceeds the current capacity for one or more global secondary indexes."},
                {"Code": "None"}
            ]
        })
        .to_string(),
    )
}
