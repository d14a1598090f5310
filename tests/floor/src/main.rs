//! The floor under every receiver's per-delivery cost, for `make bench`: the same runtime
//! crates, telemetry and SDK configuration as a receiver, with none of its work.
//!
//! `FLOOR_MODE=empty` answers 200 at once: what `lambda_runtime` (poll, answer) and
//! `lambda_http` (API Gateway event ↔ request/response) cost alone.
//! `FLOOR_MODE=put` (default) also makes the one DynamoDB call a receiver makes: a
//! conditional `PutItem` keyed by the body's SHA-256, so a repeated body is a duplicate
//! whose condition fails, like a platform's retry.
//! Comparing a receiver's row with these says how much of its cost is its own code.

use std::convert::Infallible;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use lambda_http::http::StatusCode;
use lambda_http::{service_fn, Body, Request, Response};
use ordergate_shared::verify::sha256_hex;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    ordergate_shared::telemetry::init();
    let table = std::env::var("TABLE_NAME").map_err(|_| "TABLE_NAME is not set")?;
    let client = match std::env::var("FLOOR_MODE").as_deref() {
        Ok("empty") => None,
        Ok("put") | Err(_) => Some(Client::new(&ordergate_shared::aws::sdk_config().await)),
        Ok(other) => return Err(format!("FLOOR_MODE {other}: expected empty or put").into()),
    };
    lambda_http::run(service_fn(|req: Request| {
        let (client, table) = (client.as_ref(), table.as_str());
        async move {
            let status = match client {
                Some(client) => put(client, table, req.body()).await,
                None => StatusCode::OK,
            };
            let mut answer = Response::new(Body::from("{}"));
            *answer.status_mut() = status;
            Ok::<_, Infallible>(answer)
        }
    }))
    .await
}

/// One conditional write: 200 stored or already there, 503 otherwise.
async fn put(client: &Client, table: &str, body: &[u8]) -> StatusCode {
    let key = format!("FLOOR#{}", sha256_hex(body));
    let put = client
        .put_item()
        .table_name(table)
        .item("pk", AttributeValue::S(key))
        .item("sk", AttributeValue::S("EVENT".to_owned()))
        .condition_expression("attribute_not_exists(pk)")
        .send()
        .await;
    match put {
        Ok(_) => StatusCode::OK,
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
        {
            StatusCode::OK
        }
        Err(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}
