//! Ack worker Lambda: SQS batches in, partial batch failures out.

use aws_lambda_events::sqs::SqsEvent;
use lambda_runtime::{service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    ordergate_shared::telemetry::init();
    let worker = &*Box::leak(Box::new(ack_worker::from_env(
        &ordergate_shared::aws::sdk_config().await,
    )?));
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, Error>(worker.handle(event.payload).await)
    }))
    .await
}
