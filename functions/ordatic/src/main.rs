//! Ordatic order and rider webhook receiver (AWS Lambda behind API Gateway).

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    ordergate_shared::run(ordatic::Ordatic::from_env()?).await
}
