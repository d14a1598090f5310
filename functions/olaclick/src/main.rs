//! OlaClick webhook receiver (AWS Lambda behind API Gateway).

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    ordergate_shared::run(olaclick::OlaClick::from_env()?).await
}
