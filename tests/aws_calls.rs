//! AWS calls per delivery, counted by an interceptor on the real SDK clients (every HTTP
//! attempt, retries included). Users pay per request, and every call on the hot path is a
//! dependency that can fail it: a new event must cost exactly one DynamoDB write (its ack
//! job reaches the queue from the table's stream: the outbox); a duplicate one DynamoDB
//! call, no call at all where the same instance stored it (nor a second reading of the
//! body: it answers as it did), and no second job. A receiver never calls SQS.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use ordergate_shared::blob::S3Blobs;
use ordergate_shared::lenient::Essential;
use ordergate_shared::model::{Normalized, Quarantine};
use ordergate_shared::secrets::{SecretSource, Secrets};
use ordergate_shared::store::DynamoStore;
use ordergate_shared::verify::Delivery;
use ordergate_shared::{ApiError, Limits, Pipeline, Provider};
use ordergate_testkit::{json_body, request};
use ordergate_tests::platforms::{signed_sample, Ordatic, TestPlatform};
use ordergate_tests::Stack;

/// Records "Service.Operation" for every request the SDK sends.
#[derive(Debug, Clone, Default)]
struct Calls(Arc<Mutex<Vec<String>>>);

impl Intercept for Calls {
    fn name(&self) -> &'static str {
        "CountCalls"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let op = cfg
            .load::<Metadata>()
            .map_or("?".to_owned(), |m| format!("{}.{}", m.service(), m.name()));
        self.0.lock().unwrap().push(op);
        Ok(())
    }
}

impl Calls {
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

/// A platform's provider that counts the deliveries it reads.
struct Reads<P>(P, Arc<AtomicUsize>);

impl<P: Provider> Provider for Reads<P> {
    const NAME: &'static str = P::NAME;
    const TEMPLATE_NAME: &'static str = P::TEMPLATE_NAME;
    type Ack = P::Ack;
    const ESSENTIAL: Essential = P::ESSENTIAL;
    const MESSAGE_ID_HEADER: Option<&'static str> = P::MESSAGE_ID_HEADER;
    const QUARANTINE_STATUS: u16 = P::QUARANTINE_STATUS;
    const ORDER_IDS_PER_LOCATION: bool = P::ORDER_IDS_PER_LOCATION;

    fn verify(&self, delivery: &Delivery<'_>, secrets: &Secrets) -> Result<(), ApiError> {
        self.0.verify(delivery, secrets)
    }

    fn normalize(&self, delivery: &Delivery<'_>) -> Result<Normalized<Self::Ack>, ApiError> {
        self.1.fetch_add(1, Ordering::SeqCst);
        self.0.normalize(delivery)
    }

    fn quarantine(&self, delivery: &Delivery<'_>, reason: &ApiError) -> Quarantine<Self::Ack> {
        self.0.quarantine(delivery, reason)
    }

    fn acknowledged(&self) -> Option<bool> {
        self.0.acknowledged()
    }
}

fn counted_pipeline<P: Provider>(stack: &Stack, provider: P, secrets: &str, calls: &Calls) -> Pipeline<P> {
    let ddb = aws_sdk_dynamodb::config::Builder::from(&stack.sdk)
        .interceptor(calls.clone())
        .build();
    let s3 = aws_sdk_s3::config::Builder::from(&stack.sdk)
        .interceptor(calls.clone())
        .build();
    Pipeline::new(
        provider,
        DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(ddb), &stack.table),
        S3Blobs::new(aws_sdk_s3::Client::from_conf(s3), &stack.bucket),
        SecretSource::fixed(Secrets::from_json(secrets).unwrap()),
        Limits::default(),
    )
}

fn count(calls: &[String], prefix: &str) -> usize {
    calls.iter().filter(|c| c.starts_with(prefix)).count()
}

/// Delivers `event` three times — new, again to the same instance, then to another one —
/// and checks (and prints) what each delivery cost.
async fn new_then_duplicate<P: Provider>(
    provider: impl Fn() -> P,
    secrets: &str,
    event: serde_json::Value,
    s3_puts: usize,
) {
    let stack = Stack::new().await;
    let calls = Calls::default();
    let reads = Arc::new(AtomicUsize::new(0));
    let provider = || Reads(provider(), reads.clone());
    let rx = counted_pipeline(&stack, provider(), secrets, &calls);
    // The location map: one Query per container per minute, not per delivery.
    rx.refresh_locations().await.unwrap();
    assert_eq!(calls.take(), ["DynamoDB.Query"]);
    let first = rx.handle(request(&event)).await;
    assert_eq!(first.status(), 200);
    let new = calls.take();
    let answer = rx.handle(request(&event)).await;
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["x-ordergate-duplicate"], "true");
    assert_eq!(json_body(&answer), json_body(&first), "the same answer");
    let again = calls.take();
    assert_eq!(
        reads.swap(0, Ordering::SeqCst),
        1,
        "the new event only: the retry is not read again"
    );
    let other = counted_pipeline(&stack, provider(), secrets, &calls);
    other.refresh_locations().await.unwrap();
    calls.take();
    let answer = other.handle(request(&event)).await;
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["x-ordergate-duplicate"], "true");
    let duplicate = calls.take();
    assert_eq!(json_body(&answer), json_body(&first), "the same answer");
    assert_eq!(
        reads.load(Ordering::SeqCst),
        1,
        "another instance reads the body to find its key"
    );
    eprintln!(
        "{}: new event {new:?}; duplicate, same instance {again:?}; another instance {duplicate:?}",
        P::NAME
    );

    assert_eq!(count(&new, "DynamoDB"), 1, "one write for a new event: {new:?}");
    assert_eq!(
        count(&new, "SQS"),
        0,
        "the job leaves through the outbox: {new:?}"
    );
    assert_eq!(count(&new, "S3.PutObject"), s3_puts, "{new:?}");
    assert_eq!(new.len(), 1 + s3_puts, "nothing else: {new:?}");
    assert_eq!(
        count(&duplicate, "DynamoDB"),
        1,
        "one (cancelled) write for a duplicate: {duplicate:?}"
    );
    assert_eq!(count(&duplicate, "SQS"), 0, "{duplicate:?}");
    // The instance that saw the commit answers a retry alone: no DynamoDB call, and a
    // large body's S3 copies (put before that commit) are not put again.
    assert_eq!(again, Vec::<String>::new(), "no AWS call: {again:?}");
    assert_eq!(stack.queue_depth().await, 1, "one job, relayed from the stream");
}

/// Each platform's first sample, as the platform signs it.
async fn costs_one_write<P: TestPlatform>() {
    let event = signed_sample::<P>(P::LIFECYCLE[0]);
    new_then_duplicate(P::provider, P::secrets(), event, 0).await;
}

ordergate_tests::per_platform!(costs_one_write);

#[tokio::test]
async fn a_large_ordatic_proof_costs_one_write_plus_two_s3_puts() {
    // The 3 MB proof: the image and the raw body go to S3 (2 puts) before the one write.
    let large = signed_sample::<Ordatic>("ordatic/rider-proof-delivery-large.json");
    new_then_duplicate(Ordatic::provider, Ordatic::secrets(), large, 2).await;
}
