//! The floor under every receiver's per-delivery cost, for `make bench`: the same runtime
//! crates, telemetry and SDK configuration as a receiver, with none of its work.
//!
//! `FLOOR_MODE=empty` answers 200 at once: what `lambda_runtime` (poll, answer) and
//! `lambda_http` (API Gateway event ↔ request/response) cost alone.
//! `FLOOR_MODE=put` (default) also makes the one DynamoDB call a receiver makes: a
//! conditional `PutItem` keyed by the body's SHA-256, so a repeated body is a duplicate
//! whose condition fails, like a platform's retry.
//! `FLOOR_MODE=transact` writes what a receiver writes for a new order instead, with the
//! body standing in for the canonical event: one `TransactWriteItems` of the event record
//! (conditional; the body as `raw_body` and as `event`), the order's trail entry (the body
//! again) and its state (an update setting the body as the snapshot, conditional on the
//! version) — the design's data layout without any receiver work.
//! Comparing a receiver's row with these says how much of its cost is its own code.

use std::convert::Infallible;

use ordergate_shared::store::item::{self, attr, expr, keys};

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use aws_sdk_dynamodb::Client;
use lambda_http::http::StatusCode;
use lambda_http::{service_fn, Body, Request, Response};
use ordergate_shared::verify::sha256_hex;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    ordergate_shared::telemetry::init();
    let table = std::env::var("TABLE_NAME").map_err(|_| "TABLE_NAME is not set")?;
    let mode = match std::env::var("FLOOR_MODE").as_deref() {
        Ok("empty") => Mode::Empty,
        Ok("put") | Err(_) => Mode::Put,
        Ok("transact") => Mode::Transact,
        Ok(other) => return Err(format!("FLOOR_MODE {other}: expected empty, put or transact").into()),
    };
    let client = match mode {
        Mode::Empty => None,
        Mode::Put | Mode::Transact => Some(Client::new(&ordergate_shared::aws::sdk_config().await)),
    };
    lambda_http::run(service_fn(|req: Request| {
        let (client, table) = (client.as_ref(), table.as_str());
        async move {
            let status = match client {
                Some(client) if mode == Mode::Transact => transact(client, table, req.body()).await,
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

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Empty,
    Put,
    Transact,
}

/// One conditional write: 200 stored or already there, 503 otherwise.
async fn put(client: &Client, table: &str, body: &[u8]) -> StatusCode {
    let key = format!("FLOOR#{}", sha256_hex(body));
    let put = client
        .put_item()
        .table_name(table)
        .set_item(Some(item::key(key, keys::EVENT_SK)))
        .condition_expression(expr::NEW)
        .send()
        .await;
    status(put, PutItemError::is_conditional_check_failed_exception)
}

/// A receiver's write for a new order, the body standing in for the canonical event: 200
/// stored or already there (the record's condition failed), 503 otherwise.
async fn transact(client: &Client, table: &str, body: &[u8]) -> StatusCode {
    let hash = sha256_hex(body);
    let text = String::from_utf8_lossy(body).into_owned();
    let order_pk = format!("FLOOR_ORDER#{hash}");
    let record = Put::builder()
        .table_name(table)
        .set_item(Some(item::key(format!("FLOOR#{hash}"), keys::EVENT_SK)))
        .item(attr::RAW_BODY, s(&text))
        .item(attr::EVENT, s(&text))
        .condition_expression(expr::NEW)
        .build()
        .expect("table, item and condition are set");
    let trail = Put::builder()
        .table_name(table)
        .set_item(Some(item::key(&order_pk, format!("EVENT#{hash}"))))
        .item(attr::EVENT, s(&text))
        .build()
        .expect("table and item are set");
    let state = Update::builder()
        .table_name(table)
        .set_key(Some(item::key(&order_pk, keys::STATE_SK)))
        .update_expression("SET #order = :order, #version = :version")
        .condition_expression(format!("{} OR #version <= :version", expr::NEW))
        .expression_attribute_names("#order", attr::ORDER)
        .expression_attribute_names("#version", attr::VERSION)
        .expression_attribute_values(":order", s(text))
        .expression_attribute_values(":version", AttributeValue::N("1".to_owned()))
        .build()
        .expect("table, key and expression are set");
    let write = client
        .transact_write_items()
        .transact_items(TransactWriteItem::builder().put(record).build())
        .transact_items(TransactWriteItem::builder().put(trail).build())
        .transact_items(TransactWriteItem::builder().update(state).build())
        .send()
        .await;
    status(write, TransactWriteItemsError::is_transaction_canceled_exception)
}

/// 200 when written, or already there (the service error `already_there` says so); 503
/// otherwise.
fn status<T, E, R>(written: Result<T, SdkError<E, R>>, already_there: fn(&E) -> bool) -> StatusCode {
    match written {
        Ok(_) => StatusCode::OK,
        Err(e) if e.as_service_error().is_some_and(already_there) => StatusCode::OK,
        Err(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

fn s(text: impl Into<String>) -> AttributeValue {
    AttributeValue::S(text.into())
}
