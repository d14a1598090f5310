//! Oolio webhook receiver (AWS Lambda behind API Gateway), delivered through Svix.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    ordergate_shared::run(oolio::Oolio::from_env()?).await
}
