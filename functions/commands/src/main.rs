//! Commands Lambda: `Order Status Requested` events from the stack's bus in; each command
//! recorded on its order with its job (the outbox queues it), or refused and published as
//! `Order Status Rejected`.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use ordergate_shared::bus::EventBridge;
use ordergate_shared::store::DynamoStore;

// One event at a time per process (Lambda): one thread is enough.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    ordergate_shared::telemetry::init();
    let sdk = ordergate_shared::aws::sdk_config().await;
    let limits = &*Box::leak(Box::new(ordergate_shared::Limits::from_env()?));
    let table = ordergate_shared::config::required("TABLE_NAME")?;
    let store = &*Box::leak(Box::new(DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&sdk),
        table,
    )));
    let bus = &*Box::leak(Box::new(EventBridge::from_env(&sdk)?));
    lambda_runtime::run(service_fn(|event: LambdaEvent<serde_json::Value>| async move {
        commands::handle(store, bus, limits, &event.payload, chrono::Utc::now())
            .await
            .map_err(Error::from)
    }))
    .await
}
