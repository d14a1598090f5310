//! Oolio webhook receiver (AWS Lambda behind API Gateway), delivered through Svix.

// One event at a time per process (Lambda): one thread, no cross-thread wake-ups.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    ordergate_shared::run(oolio::Oolio::from_env()?).await
}
