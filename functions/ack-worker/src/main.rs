//! Ack worker Lambda: SQS batches in, partial batch failures out.

use aws_lambda_events::sqs::SqsEvent;
use lambda_runtime::{service_fn, Error, LambdaEvent};

// One batch at a time per process (Lambda): its orders run concurrently on one thread.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    ordergate_shared::telemetry::init();
    let worker = &*Box::leak(Box::new(ack_worker::from_env(
        &ordergate_shared::aws::sdk_config().await,
    )?));
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| async move {
        // Lambda's deadline for this invocation: jobs that cannot finish before it are
        // handed back instead of timing out the whole batch.
        let deadline = chrono::DateTime::from_timestamp_millis(event.context.deadline as i64);
        Ok::<_, Error>(worker.handle_until(event.payload, deadline).await)
    }))
    .await
}
