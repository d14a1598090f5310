//! Publisher Lambda: DynamoDB stream batches in, order changes out to EventBridge.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use publisher::EventBridge;

#[tokio::main]
async fn main() -> Result<(), Error> {
    ordergate_shared::telemetry::init();
    let sdk = ordergate_shared::aws::sdk_config().await;
    let bus = &*Box::leak(Box::new(EventBridge::new(
        aws_sdk_eventbridge::Client::new(&sdk),
        ordergate_shared::config::required("EVENT_BUS_NAME")?,
    )));
    lambda_runtime::run(service_fn(|event: LambdaEvent<serde_json::Value>| async move {
        Ok::<_, Error>(publisher::handle(bus, &event.payload).await)
    }))
    .await
}
