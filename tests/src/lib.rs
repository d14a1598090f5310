//! Harness for the workspace integration tests: a fresh set of the template's resources
//! (table, queues, secrets) in the local emulator for every test, created by the same
//! bootstrap script `make dev` uses, and AWS SDK clients pointed at it.
//!
//! The emulator's address comes from `ORDERGATE_TEST_ENDPOINT`, which `make test` sets
//! after starting it (`infra/local/emulator.sh`).

/// The platform list, for [`per_platform!`] in the test files.
pub use ordergate_platforms;
pub mod faults;
pub mod hostile;
pub mod http;
pub mod iam;
pub mod platforms;

mod captured;
pub use captured::Captured;

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use aws_config::{Region, SdkConfig};
use aws_sdk_dynamodb::config::Credentials;
use ordergate_shared::blob::S3Blobs;
use ordergate_shared::job::AckJob;
use ordergate_shared::queue::SqsQueue;
use ordergate_shared::secrets::{SecretSource, Secrets};
use ordergate_shared::store::DynamoStore;
use ordergate_shared::{Limits, Pipeline, Provider};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The ack queue's `maxReceiveCount` and `VisibilityTimeout` as template.yaml deploys them.
pub fn ack_queue_settings() -> (u32, Duration) {
    let template = std::fs::read_to_string(root().join("template.yaml")).unwrap();
    let queue = template
        .split("\n  AckQueue:\n")
        .nth(1)
        .expect("AckQueue in template.yaml")
        .split("\n\n")
        .next()
        .unwrap();
    let value = |key: &str| -> u64 {
        let line = queue
            .lines()
            .find(|l| l.trim_start().starts_with(key))
            .unwrap_or_else(|| panic!("{key} in AckQueue"));
        line.split(':').nth(1).unwrap().trim().parse().unwrap()
    };
    (
        value("maxReceiveCount:") as u32,
        Duration::from_secs(value("VisibilityTimeout:")),
    )
}

pub fn endpoint() -> String {
    std::env::var("ORDERGATE_TEST_ENDPOINT").expect(
        "ORDERGATE_TEST_ENDPOINT is not set: run the suite with `make test`, which starts the emulator",
    )
}

/// SDK config for `endpoint` with dummy credentials. Timeouts are generous: the emulator
/// is one Python process shared by tests running in parallel.
pub async fn sdk_for(endpoint: &str) -> SdkConfig {
    ordergate_shared::aws::loader(Duration::from_secs(20))
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "ordergate-tests"))
        .load()
        .await
}

/// Runs infra/local/bootstrap.py: the template's resources named `prefix`, and the stack
/// `prefix` publishing them; returns {logical id: name, URL or ARN}.
fn bootstrap(endpoint: &str, prefix: &str, extra: &[&str]) -> serde_json::Value {
    let out = Command::new(root().join(".venv/bin/python"))
        .arg(root().join("infra/local/bootstrap.py"))
        .args(["--endpoint", endpoint, "--prefix", prefix])
        .args(extra)
        .output()
        .expect("run infra/local/bootstrap.py (make test installs .venv)");
    assert!(
        out.status.success(),
        "bootstrap failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("bootstrap prints JSON")
}

pub struct Stack {
    /// Its resources' prefix, and the name of the CloudFormation stack publishing their
    /// names as the template's outputs (`ordergate --stack`).
    pub name: String,
    pub sdk: SdkConfig,
    pub table: String,
    pub queue_url: String,
    pub dead_letter_url: String,
    pub bucket: String,
    pub resources: serde_json::Value,
    /// Stream records the outbox relay has handled ([`Stack::relay_outbox`]).
    relayed: std::sync::Mutex<std::collections::HashSet<String>>,
}

impl Stack {
    /// Creates this test's own resources (unique prefix), so tests run in parallel.
    pub async fn new() -> Stack {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let prefix = format!(
            "t{}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            chrono::Utc::now().timestamp_micros() % 1_000_000_000
        );
        let endpoint = endpoint();
        let resources = bootstrap(&endpoint, &prefix, &[]);
        let name = |k: &str| {
            resources[k]
                .as_str()
                .unwrap_or_else(|| panic!("bootstrap made no {k}"))
                .to_owned()
        };
        Stack {
            name: prefix,
            sdk: sdk_for(&endpoint).await,
            table: name("OrdersTable"),
            queue_url: name("AckQueue"),
            dead_letter_url: name("AckDeadLetterQueue"),
            bucket: name("BlobBucket"),
            resources,
            relayed: Default::default(),
        }
    }

    /// Publishes this stack's outputs again with its webhook URLs at `base` (a test's
    /// [`http::serve`]).
    pub fn publish_webhooks_at(&self, base: &str) {
        bootstrap(&endpoint(), &self.name, &["--webhook-base", base]);
    }

    pub fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::new(&self.sdk)
    }

    pub fn sqs(&self) -> aws_sdk_sqs::Client {
        aws_sdk_sqs::Client::new(&self.sdk)
    }

    pub fn store(&self) -> DynamoStore {
        DynamoStore::new(self.dynamodb(), &self.table)
    }

    /// This stack's SDK config with its requests recorded as made by `function` (the
    /// logical id in template.yaml) for the IAM check ([`iam`]).
    pub fn function_sdk(&self, function: &str) -> SdkConfig {
        iam::record(&self.sdk, function, &self.resources)
    }

    /// The ack worker as deployed on this stack: its store and back-off through clients
    /// recorded for the IAM check.
    pub fn worker<P: ordergate_shared::worker::Callbacks>(
        &self,
        platforms: P,
    ) -> ordergate_shared::worker::Worker<DynamoStore, P> {
        let sdk = self.function_sdk(iam::ACK_WORKER);
        ordergate_shared::worker::Worker::new(
            DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), &self.table),
            platforms,
            Some(ordergate_shared::worker::SqsRedelivery::new(
                aws_sdk_sqs::Client::new(&sdk),
                &self.queue_url,
            )),
        )
    }

    pub fn queue(&self) -> SqsQueue {
        SqsQueue::new(self.sqs(), &self.queue_url)
    }

    pub fn blobs(&self) -> S3Blobs {
        S3Blobs::new(aws_sdk_s3::Client::new(&self.sdk), &self.bucket)
    }

    pub fn pipeline<P: Provider>(&self, provider: P, secrets: &str) -> Pipeline<P> {
        self.pipeline_with(&self.sdk, provider, secrets, Limits::default())
    }

    /// A pipeline on this stack's resources through the clients of `sdk` (e.g. one with
    /// injected faults), with `limits`.
    pub fn pipeline_with<P: Provider>(
        &self,
        sdk: &SdkConfig,
        provider: P,
        secrets: &str,
        limits: Limits,
    ) -> Pipeline<P> {
        let secrets = SecretSource::fixed(Secrets::from_json(secrets).expect("secret JSON"));
        self.pipeline_from(sdk, provider, secrets, limits)
    }

    /// A pipeline on this stack's resources reading its secret from `secrets`.
    pub fn pipeline_from<P: Provider>(
        &self,
        sdk: &SdkConfig,
        provider: P,
        secrets: SecretSource,
        limits: Limits,
    ) -> Pipeline<P> {
        let sdk = &iam::record(sdk, &iam::receiver_function::<P>(), &self.resources);
        Pipeline::new(
            provider,
            DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk), &self.table),
            S3Blobs::new(aws_sdk_s3::Client::new(sdk), &self.bucket),
            secrets,
            limits,
        )
    }

    /// The ARN of `P`'s webhook secret on this stack (`<TEMPLATE_NAME>Secret` in template.yaml).
    pub fn webhook_secret<P: Provider>(&self) -> String {
        let logical = format!("{}Secret", P::TEMPLATE_NAME);
        self.resources[&logical].as_str().expect("secret ARN").to_owned()
    }

    /// Replaces a secret's value, as an operator would.
    pub async fn put_secret(&self, secret_id: &str, value: &str) {
        aws_sdk_secretsmanager::Client::new(&self.sdk)
            .put_secret_value()
            .secret_id(secret_id)
            .secret_string(value)
            .send()
            .await
            .expect("put_secret_value");
    }

    /// Every item in the table as (pk, sk), sorted.
    pub async fn keys(&self) -> Vec<(String, String)> {
        use ordergate_shared::store::item::attr;
        let s = |item: &std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>,
                 k: &str| { item[k].as_s().expect("string key").clone() };
        let mut keys: Vec<(String, String)> = self
            .items()
            .await
            .iter()
            .map(|i| (s(i, attr::PK), s(i, attr::SK)))
            .collect();
        keys.sort();
        keys
    }

    /// Number of event records (one per event key).
    pub async fn event_records(&self) -> usize {
        self.keys()
            .await
            .iter()
            .filter(|(pk, sk)| pk.starts_with("EVENT#") && sk == "EVENT")
            .count()
    }

    /// Messages in the ack queue (visible plus in flight), once the outbox relay has run.
    pub async fn queue_depth(&self) -> usize {
        self.relay_outbox().await;
        depth(&self.sqs(), &self.queue_url).await
    }

    /// The table's stream as the outbox's event source mapping (template.yaml's
    /// `AckRelayStream`, its filter applied by `infra/local/stream_event.py`) hands it to
    /// the publisher: every new record since the last run, relayed to the ack queue by the
    /// publisher's own code through its recorded clients. Returns how many records it saw.
    pub async fn relay_outbox(&self) -> usize {
        let fresh: Vec<serde_json::Value> = {
            let records = self.outbox_records().await;
            let mut relayed = self.relayed.lock().expect("relay lock");
            records
                .into_iter()
                .filter(|r| relayed.insert(r["dynamodb"]["SequenceNumber"].to_string()))
                .collect()
        };
        let sdk = self.function_sdk(iam::PUBLISHER);
        let queue = SqsQueue::new(aws_sdk_sqs::Client::new(&sdk), &self.queue_url);
        let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), &self.table);
        if let Some(seq) = publisher::relay::relay(&queue, &store, &fresh).await {
            panic!("the outbox could not relay record {seq}");
        }
        fresh.len()
    }

    /// Every record of the table's stream that the outbox's mapping passes on (all of
    /// them, from the start of the stream).
    pub async fn outbox_records(&self) -> Vec<serde_json::Value> {
        self.stream_records("AckRelayStream").await
    }

    /// Every record of the table's stream that template.yaml's event source `mapping`
    /// passes on, from the start of the stream.
    pub async fn stream_records(&self, mapping: &str) -> Vec<serde_json::Value> {
        let out = std::process::Command::new(root().join(".venv/bin/python"))
            .arg(root().join("infra/local/stream_event.py"))
            .args(["--endpoint", &endpoint(), "--table", &self.table])
            .args(["--mapping", mapping])
            .output()
            .expect("run stream_event.py");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let mut event: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a stream event");
        match event["Records"].take() {
            serde_json::Value::Array(records) => records,
            _ => Vec::new(),
        }
    }

    /// Receives every visible job (FIFO hands out one order's jobs together).
    pub async fn receive_jobs(&self) -> Vec<AckJob> {
        self.relay_outbox().await;
        self.queued_jobs().await
    }

    /// The jobs on the ack queue now (received: hidden for a minute), without relaying.
    pub async fn queued_jobs(&self) -> Vec<AckJob> {
        let mut jobs = Vec::new();
        loop {
            let out = self
                .sqs()
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .visibility_timeout(60)
                .send()
                .await
                .expect("receive_message");
            let messages = out.messages.unwrap_or_default();
            if messages.is_empty() {
                return jobs;
            }
            for m in messages {
                jobs.push(serde_json::from_str(m.body().expect("message body")).expect("an AckJob"));
            }
        }
    }
}

pub async fn depth(sqs: &aws_sdk_sqs::Client, url: &str) -> usize {
    use aws_sdk_sqs::types::QueueAttributeName as A;
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(A::ApproximateNumberOfMessages)
        .attribute_names(A::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .expect("get_queue_attributes")
        .attributes
        .unwrap_or_default();
    [
        A::ApproximateNumberOfMessages,
        A::ApproximateNumberOfMessagesNotVisible,
    ]
    .iter()
    .map(|a| attrs.get(a).and_then(|v| v.parse::<usize>().ok()).unwrap_or(0))
    .sum()
}

/// Which dependency is down in [`Stack::pipeline_during`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outage {
    Store,
    Blobs,
}

/// Nothing listens here: a dependency that is down.
pub const DEAD_ENDPOINT: &str = "http://127.0.0.1:1";

impl Stack {
    /// A pipeline on this stack with one dependency unreachable.
    pub async fn pipeline_during<P: Provider>(
        &self,
        outage: Outage,
        provider: P,
        secrets: &str,
    ) -> Pipeline<P> {
        let dead = sdk_for(DEAD_ENDPOINT).await;
        let live = self.function_sdk(&iam::receiver_function::<P>());
        let live_or_dead = |down: bool| if down { &dead } else { &live };
        Pipeline::new(
            provider,
            DynamoStore::new(
                aws_sdk_dynamodb::Client::new(live_or_dead(outage == Outage::Store)),
                &self.table,
            ),
            S3Blobs::new(
                aws_sdk_s3::Client::new(live_or_dead(outage == Outage::Blobs)),
                &self.bucket,
            ),
            SecretSource::fixed(Secrets::from_json(secrets).expect("secret JSON")),
            Limits::default(),
        )
    }

    /// Sends one event (an API Gateway event value) `copies` times at once and checks the
    /// race left exactly one event record, one job, and a 200 for every copy, exactly one of
    /// them the first.
    pub async fn assert_concurrent_copies_store_once<P: Provider>(
        &self,
        rx: &Pipeline<P>,
        event: &serde_json::Value,
        copies: usize,
    ) {
        let responses =
            futures::future::join_all((0..copies).map(|_| rx.handle(ordergate_testkit::request(event))))
                .await;
        let statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
        assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
        let firsts = responses
            .iter()
            .filter(|r| r.headers()["x-ordergate-duplicate"] == "false")
            .count();
        assert_eq!(firsts, 1, "exactly one delivery was the first");
        assert_eq!(self.event_records().await, 1);
        assert_eq!(self.queue_depth().await, 1);
    }

    /// A delivery while DynamoDB is down is a 503 that leaves the table and queue empty.
    pub async fn assert_store_outage_is_503<P: Provider>(&self, provider: P, secrets: &str, sample: &str) {
        let rx = self.pipeline_during(Outage::Store, provider, secrets).await;
        let r = rx.handle(ordergate_testkit::api_event(sample)).await;
        assert_eq!(r.status(), 503);
        assert_eq!(ordergate_testkit::json_body(&r)["error"], "unavailable");
        assert_eq!(r.headers()["retry-after"], "1");
        assert!(self.keys().await.is_empty());
        assert_eq!(self.queue_depth().await, 0);
    }
}

/// A Svix sample event signed for now by the official Svix library (Python), as Oolio's
/// sender would sign it; `secret` defaults to the local one.
pub fn svix_signed(sample: &str, secret: Option<&str>) -> serde_json::Value {
    let mut cmd = Command::new(root().join(".venv/bin/python"));
    cmd.arg(root().join("infra/local/sign.py"))
        .arg(ordergate_testkit::events_dir().join(sample));
    if let Some(secret) = secret {
        cmd.arg(secret);
    }
    let out = cmd.output().expect("run infra/local/sign.py");
    assert!(
        out.status.success(),
        "sign.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("sign.py prints the event")
}

impl Stack {
    /// Plays the Lambda event source mapping once: receives a batch from the ack queue,
    /// hands it to `worker`, deletes the messages it did not report as failed. Returns the
    /// number of messages handled and the failures.
    pub async fn run_worker<S, P, R>(
        &self,
        worker: &ordergate_shared::worker::Worker<S, P, R>,
    ) -> (usize, Vec<String>)
    where
        S: ordergate_shared::store::EventStore,
        P: ordergate_shared::worker::Callbacks,
        R: ordergate_shared::worker::Redelivery,
    {
        use aws_sdk_sqs::types::MessageSystemAttributeName as Attr;
        self.relay_outbox().await;
        let out = self
            .sqs()
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(10)
            .visibility_timeout(30)
            .message_system_attribute_names(Attr::All)
            .send()
            .await
            .expect("receive_message");
        let messages = out.messages.unwrap_or_default();
        let mut event = aws_lambda_events::sqs::SqsEvent::default();
        for m in &messages {
            let mut record = aws_lambda_events::sqs::SqsMessage::default();
            record.message_id = m.message_id.clone();
            record.receipt_handle = m.receipt_handle.clone();
            record.body = m.body.clone();
            record.attributes = m
                .attributes
                .clone()
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (k.as_str().to_owned(), v))
                .collect();
            event.records.push(record);
        }
        let response = worker.handle(event).await;
        let failed: Vec<String> = response
            .batch_item_failures
            .into_iter()
            .map(|f| f.item_identifier)
            .collect();
        for m in &messages {
            if !failed.iter().any(|f| Some(f.as_str()) == m.message_id.as_deref()) {
                self.sqs()
                    .delete_message()
                    .queue_url(&self.queue_url)
                    .receipt_handle(m.receipt_handle.clone().unwrap_or_default())
                    .send()
                    .await
                    .expect("delete_message");
            }
        }
        (messages.len(), failed)
    }

    /// Puts a raw body on the ack queue (FIFO ids derived from `dedupe`).
    pub async fn enqueue_raw(&self, body: &str, dedupe: &str) {
        self.sqs()
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .message_group_id("manual")
            .message_deduplication_id(ordergate_shared::verify::sha256_hex(dedupe.as_bytes()))
            .send()
            .await
            .expect("send_message");
    }
}

pub fn secrets(json: serde_json::Value) -> SecretSource {
    SecretSource::fixed(Secrets::from_json(&json.to_string()).unwrap())
}

/// Ordatic's client against a fake API at `api`, reporting IN_KITCHEN after fetching an
/// accepted order (the optional status report).
pub fn ordatic_reporting_in_kitchen(api: &str) -> ordatic::ack::OrdaticAck {
    ordatic::ack::OrdaticAck::new(
        &format!("{api}/ordatic"),
        "EUR".parse().unwrap(),
        secrets(serde_json::json!({"app_id": "app-1", "app_secret": "app-secret"})),
    )
    .with_status_back(ordatic::ack::StatusBack {
        path: "/v2/stores/{storeId}/orders/{orderId}/status".into(),
        status: "IN_KITCHEN".into(),
    })
    .expect("a known status")
}

impl Stack {
    /// Every item in the table, as the SDK returns them.
    pub async fn items(
        &self,
    ) -> Vec<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
        let mut items = Vec::new();
        let mut pages = self
            .dynamodb()
            .scan()
            .table_name(&self.table)
            .into_paginator()
            .items()
            .send();
        while let Some(item) = pages.next().await {
            items.push(item.expect("scan"));
        }
        items
    }
}

/// Every platform client pointed at one fake API server.
pub fn fake_platforms(api: &wiremock::MockServer) -> ack_worker::AllPlatforms {
    ack_worker::AllPlatforms {
        olaclick: olaclick::ack::OlaClickAck::new(
            Some(format!("{}/olaclick/ack", api.uri())),
            "authorization",
            secrets(serde_json::json!({"ack_auth_value": "Bearer olaclick-ack-key"})),
        ),
        deliverect: deliverect::ack::DeliverectAck::new(
            &api.uri(),
            None,
            None,
            secrets(serde_json::json!({"client_id": "pos-client", "client_secret": "pos-secret"})),
        ),
        ordatic: ordatic::ack::OrdaticAck::new(
            &format!("{}/ordatic", api.uri()),
            "EUR".parse().unwrap(),
            secrets(serde_json::json!({"app_id": "app-1", "app_secret": "app-secret"})),
        ),
        oolio: oolio::ack::OolioAck,
    }
}

impl Stack {
    /// Receives the sample OlaClick order in async ack mode: a stored event whose job asks
    /// the worker to post the acknowledgement.
    pub async fn receive_olaclick_async_order(&self) {
        let rx = self.pipeline(
            olaclick::OlaClick::new(olaclick::Config {
                merchants: None,
                ack_mode: olaclick::AckMode::Async,
                ..olaclick::Config::sample()
            }),
            ordergate_testkit::local_secret("OlaClickSecret"),
        );
        let r = rx
            .handle(ordergate_testkit::api_event("olaclick/order_created.json"))
            .await;
        assert_eq!(r.status(), 200);
    }

    /// Receives one sample Deliverect order (EUR, the local HMAC secret): a stored event
    /// and an `accept` job on the queue.
    pub async fn receive_deliverect_order(&self) {
        let rx = self.pipeline(
            deliverect::Deliverect::new(deliverect::Config::sample()),
            ordergate_testkit::local_secret("DeliverectSecret"),
        );
        let r = rx
            .handle(ordergate_testkit::api_event("deliverect/new_order.json"))
            .await;
        assert_eq!(r.status(), 200);
    }
}

/// A fake Deliverect OAuth endpoint at `api` issuing `tok-1` for the local API credentials,
/// expiring in `expires_in` seconds.
pub async fn deliverect_token(api: &wiremock::MockServer, expires_in: i64) {
    use wiremock::matchers::{body_partial_json, method, path};
    wiremock::Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(body_partial_json(
            serde_json::json!({"client_id": "pos-client", "client_secret": "pos-secret", "grant_type": "token"}),
        ))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": "tok-1", "token_type": "Bearer",
            "expires_at": chrono::Utc::now().timestamp() + expires_in,
        })))
        .mount(api)
        .await;
}

/// An SQS batch of one message carrying `job`, with message id `id`.
pub fn batch_of(job: &AckJob, id: &str) -> aws_lambda_events::sqs::SqsEvent {
    let mut message = aws_lambda_events::sqs::SqsMessage::default();
    message.message_id = Some(id.to_owned());
    message.body = Some(serde_json::to_string(job).unwrap());
    let mut event = aws_lambda_events::sqs::SqsEvent::default();
    event.records.push(message);
    event
}

impl Stack {
    /// The stack's EventBridge bus.
    pub fn bus(&self) -> String {
        self.resources["OrderEventsBus"]
            .as_str()
            .expect("a bus")
            .to_owned()
    }

    /// A subscriber: a rule on the bus for ordergate's events of `detail_types`,
    /// forwarding to a new queue; returns the queue's URL.
    pub async fn subscribe(&self, detail_types: &[&str]) -> String {
        let (sqs, bus) = (self.sqs(), self.bus());
        let url = sqs
            .create_queue()
            .queue_name(format!("{bus}-subscriber"))
            .send()
            .await
            .unwrap()
            .queue_url
            .unwrap();
        let arn = sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .unwrap()
            .attributes
            .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
            .clone();
        let events = aws_sdk_eventbridge::Client::new(&self.sdk);
        let pattern = serde_json::json!({"source": ["ordergate"], "detail-type": detail_types});
        events
            .put_rule()
            .name("orders-to-pos")
            .event_bus_name(&bus)
            .event_pattern(pattern.to_string())
            .send()
            .await
            .unwrap();
        let target = aws_sdk_eventbridge::types::Target::builder()
            .id("queue")
            .arn(arn)
            .build()
            .unwrap();
        events
            .put_targets()
            .rule("orders-to-pos")
            .event_bus_name(&bus)
            .targets(target)
            .send()
            .await
            .unwrap();
        url
    }

    /// Every event the subscriber queue at `url` holds (EventBridge envelopes).
    pub async fn received(&self, url: &str) -> Vec<serde_json::Value> {
        let mut all = Vec::new();
        loop {
            let out = self
                .sqs()
                .receive_message()
                .queue_url(url)
                .max_number_of_messages(10)
                .send()
                .await
                .unwrap();
            let messages = out.messages.unwrap_or_default();
            if messages.is_empty() {
                return all;
            }
            all.extend(
                messages
                    .iter()
                    .map(|m| serde_json::from_str(m.body().unwrap()).unwrap()),
            );
        }
    }
}

impl Stack {
    /// A stored event record, which must exist.
    pub async fn stored(&self, provider: &str, key: &str) -> ordergate_shared::store::StoredEvent {
        use ordergate_shared::store::EventStore;
        let found = self
            .store()
            .event(provider, key)
            .await
            .expect("the table answers");
        found.unwrap_or_else(|| panic!("no {provider} event {key}"))
    }
}

/// A fake Ordatic auth endpoint at `api` (under `/ordatic`) issuing `ord-tok` for the local
/// API credentials.
pub async fn ordatic_auth(api: &wiremock::MockServer) {
    use wiremock::matchers::{body_partial_json, method, path};
    wiremock::Mock::given(method("POST"))
        .and(path("/ordatic/v2/auth"))
        .and(body_partial_json(
            serde_json::json!({"appId": "app-1", "appSecret": "app-secret"}),
        ))
        .respond_with(
            wiremock::ResponseTemplate::new(200).set_body_json(serde_json::json!({"token": "ord-tok"})),
        )
        .mount(api)
        .await;
}
