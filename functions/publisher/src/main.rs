//! Publisher Lambda: DynamoDB stream batches in; order changes out to EventBridge and
//! acknowledgement jobs out to the ack queue (the outbox), a job the queue refuses for good
//! recorded on its event. On its schedule, the sweep: jobs no worker claimed in time
//! queued again.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use ordergate_shared::store::DynamoStore;
use publisher::EventBridge;

// One stream batch at a time per process (Lambda): one thread is enough.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    ordergate_shared::telemetry::init();
    let sdk = ordergate_shared::aws::sdk_config().await;
    let bus = &*Box::leak(Box::new(EventBridge::from_env(&sdk)?));
    let queue = &*Box::leak(Box::new(publisher::relay::queue_from_env(&sdk)?));
    let table = ordergate_shared::config::required("TABLE_NAME")?;
    let store = &*Box::leak(Box::new(DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&sdk),
        table,
    )));
    let window = publisher::sweep::window_from_env()?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<serde_json::Value>| async move {
        if event.payload["detail-type"] == "Scheduled Event" {
            let swept = publisher::sweep::sweep(queue, store, window, chrono::Utc::now()).await?;
            return Ok::<_, Error>(serde_json::json!({ "swept": swept }));
        }
        Ok(publisher::handle(bus, queue, store, &event.payload).await)
    }))
    .await
}
