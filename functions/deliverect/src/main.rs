//! Deliverect order webhook receiver (AWS Lambda behind API Gateway).

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    ordergate_shared::run(deliverect::Deliverect::from_env()?).await
}
