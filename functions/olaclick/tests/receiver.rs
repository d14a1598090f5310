//! OlaClick through the whole pipeline with in-memory store and queue: every sample event,
//! authentication, and every kind of bad input.

use std::sync::atomic::Ordering;

use lambda_http::{Body, Response};
use olaclick::{AckMode, Config, OlaClick};
use ordergate_shared::model::{OrderStatus, OrderType};
use ordergate_shared::money::MinorUnits;
use ordergate_shared::store::EventStore;
use ordergate_shared::Limits;
use ordergate_testkit::{
    api_event, expect_quarantined, expect_rejected, hmac_hex, json_body as body, memory_pipeline, payload,
    request, stored_order, with_body, with_payload, MemoryPipeline,
};
use serde_json::{json, Value};

const CREATED: &str = "olaclick/order_created.json";
const UPDATED: &str = "olaclick/order_updated.json";
const DELETED: &str = "olaclick/order_deleted.json";
const DELETED_ID_ONLY: &str = "olaclick/order_deleted_id_only.json";
const ORDER_ID: &str = "PE-7222853393";
/// Where the sample order is stored: OlaClick orders are keyed by merchant.
const ORDER_KEY: &str = "777:PE-7222853393";

fn config(ack_mode: AckMode) -> Config {
    Config {
        auth_header: "x-ordergate-token".into(),
        merchants: olaclick::parse_merchants("777,abc"),
        default_timezone: ordergate_shared::time::zone("America/Lima").unwrap(),
        merchant_timezones: Default::default(),
        ack_mode,
    }
}

type Receiver = MemoryPipeline<OlaClick>;

fn receiver_with(secrets: Value, ack_mode: AckMode) -> Receiver {
    memory_pipeline(OlaClick::new(config(ack_mode)), &secrets)
}

fn receiver() -> Receiver {
    receiver_with(json!({ "auth_header_value": token() }), AckMode::Sync)
}

async fn send(rx: &Receiver, event: &Value) -> Response<Body> {
    rx.handle(request(event)).await
}

async fn expect_error(rx: &Receiver, event: &Value, status: u16, code: &str) -> Value {
    expect_rejected(rx, event, status, code).await
}

/// Line totals are after the products' and toppings' discounts; lines that match neither
/// that nor the undiscounted subtotal are stored with a warning, never refused.
/// The local stack's webhook token (infra/local/secrets.json), which the samples carry.
fn token() -> String {
    ordergate_testkit::local_secret_value("OlaClickSecret", "auth_header_value")
}

#[tokio::test]
async fn line_totals_that_match_no_sum_are_a_warning() {
    let rx = receiver();
    let mut p = payload(CREATED);
    p["data"]["order_details"][0]["total"] = json!(45);
    let r = send(&rx, &with_payload(CREATED, &p)).await;
    assert_eq!(r.status(), 200, "{:?}", body(&r));
    let view = rx.store().order("olaclick", ORDER_KEY).await.unwrap();
    let warnings = &view.trail[0].warnings;
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("line totals add up to 6500 but products_price + toppings_price is 7000 (6000 after their discounts)")),
        "{warnings:?}"
    );
}

#[tokio::test]
async fn order_created_sample_is_stored_with_exact_money_and_utc_times() {
    let rx = receiver();
    let r = rx.handle(api_event(CREATED)).await;
    assert_eq!(r.status(), 200, "{:?}", body(&r));
    assert_eq!(
        body(&r),
        json!({"status": "received", "provider": "olaclick",
               "event_id": "7573920b-5558-4455-ae73-d8628aba6609", "acknowledged": true})
    );

    let view = rx.store().order("olaclick", ORDER_KEY).await.unwrap();
    let state = view.state.expect("order state");
    assert_eq!(state.status, OrderStatus::Placed);
    assert_eq!(state.location_id.as_deref(), Some("777"));
    let order = state.order.expect("full snapshot");
    assert_eq!(order.currency.code(), "PEN");
    assert_eq!(order.status_raw, "pending");
    assert_eq!(order.order_type, OrderType::Delivery);
    assert_eq!(order.totals.total, MinorUnits(8000));
    assert_eq!(order.totals.subtotal, Some(MinorUnits(7000)));
    assert_eq!(order.totals.tip, Some(MinorUnits(700)));
    assert_eq!(order.totals.fee_total, Some(MinorUnits(1300)));
    assert_eq!(order.totals.discount_total, Some(MinorUnits(1000)));
    assert_eq!(
        order
            .fees
            .iter()
            .map(|f| (f.kind.as_str(), f.amount.0))
            .collect::<Vec<_>>(),
        [("delivery", 700), ("packaging", 600)]
    );
    assert_eq!(order.discounts.len(), 1);
    assert_eq!(
        (order.discounts[0].kind.as_str(), order.discounts[0].amount),
        ("products", MinorUnits(1000))
    );

    assert_eq!(order.items.len(), 2);
    let burger = &order.items[0];
    assert_eq!(
        (burger.name.as_str(), burger.sku.as_deref(), burger.quantity),
        ("Hamburguesa", Some("123456"), 1)
    );
    assert_eq!(burger.unit_price, MinorUnits(2500));
    assert_eq!(burger.unit_regular_price, Some(MinorUnits(3000)));
    assert_eq!(burger.unit_discount, Some(MinorUnits(500)));
    assert_eq!(burger.line_total, Some(MinorUnits(4000)));
    assert_eq!(burger.modifiers_total, Some(MinorUnits(1500)));
    let toppings: Vec<_> = burger
        .modifiers
        .iter()
        .map(|m| (m.name.as_str(), m.quantity, m.unit_price.0))
        .collect();
    assert_eq!(
        toppings,
        [("Bien cocida", 1, 500), ("Ketchup", 2, 200), ("Ají", 2, 300)]
    );
    assert_eq!(order.items[1].sku, None, "null sku stays absent");

    let created = order.created_at.expect("created_at");
    assert_eq!(created.raw, "2022-03-02 22:41:00");
    assert_eq!(created.utc.unwrap().to_rfc3339(), "2022-03-03T03:41:00+00:00");
    assert_eq!(order.attributes["last_product_added_at"], "2022-03-02 22:41:46");
    let customer = order.customer.expect("customer");
    assert_eq!(customer.phone.as_deref(), Some("+51 123456"));
    assert_eq!(customer.email, None);
    assert_eq!(
        order.payment.as_ref().and_then(|p| p.method.as_deref()),
        Some("card")
    );

    assert_eq!(view.trail.len(), 1);
    // The doc's sample adds up: lines 60 = products 50 + toppings 20 - products discount 10.
    let warnings = &view.trail[0].warnings;
    assert!(
        !warnings.iter().any(|w| w.contains("line totals")),
        "{warnings:?}"
    );

    let jobs = rx.store().jobs();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].order_id.as_deref(), Some(ORDER_ID));
    assert_eq!(jobs[0].ack, json!({"mode": "sync"}));
}

#[tokio::test]
async fn order_updated_converts_half_units_exactly() {
    let rx = receiver();
    assert_eq!(rx.handle(api_event(UPDATED)).await.status(), 200);
    let order = stored_order(rx.store(), "olaclick", ORDER_KEY).await;
    assert_eq!(order.status, OrderStatus::Accepted);
    assert_eq!(order.totals.tip, Some(MinorUnits(750)), "7.5 PEN is 750 céntimos");
    assert_eq!(order.totals.total, MinorUnits(8050));
    assert_eq!(order.notes.as_deref(), Some("sin cebolla"));
}

#[tokio::test]
async fn deletions_cancel_the_order_with_or_without_a_full_body() {
    for sample in [DELETED, DELETED_ID_ONLY] {
        let rx = receiver();
        assert_eq!(rx.handle(api_event(CREATED)).await.status(), 200);
        assert_eq!(rx.handle(api_event(sample)).await.status(), 200, "{sample}");
        let view = rx.store().order("olaclick", ORDER_KEY).await.unwrap();
        let state = view.state.unwrap();
        assert_eq!(state.status, OrderStatus::Cancelled, "{sample}");
        assert_eq!(state.last_event_type, "order_deleted");
        assert!(state.order.is_some(), "{sample}: the last full snapshot is kept");
        assert_eq!(view.trail.len(), 2);
    }
}

#[tokio::test]
async fn out_of_order_events_never_roll_the_order_back() {
    let rx = receiver();
    assert_eq!(rx.handle(api_event(UPDATED)).await.status(), 200);
    assert_eq!(rx.handle(api_event(CREATED)).await.status(), 200);
    let view = rx.store().order("olaclick", ORDER_KEY).await.unwrap();
    let state = view.state.unwrap();
    assert_eq!(state.status, OrderStatus::Accepted);
    assert_eq!(state.last_event_type, "order_updated");
    assert_eq!(view.trail.len(), 2, "the older event is still on the trail");
}

#[tokio::test]
async fn a_duplicate_gets_the_same_answer_and_is_stored_once() {
    let rx = receiver();
    let first = rx.handle(api_event(CREATED)).await;
    let second = rx.handle(api_event(CREATED)).await;
    assert_eq!(second.status(), first.status());
    assert_eq!(body(&second), body(&first));
    assert_eq!(second.headers()["x-ordergate-duplicate"], "true");
    assert_eq!(rx.store().event_count(), 1);
    // The job is re-enqueued while the ack is pending; SQS FIFO dedupe and the worker
    // absorb the repeat (the emulator tests prove one message).
    assert!(rx
        .store()
        .jobs()
        .iter()
        .all(|j| j.event_key.0 == "7573920b-5558-4455-ae73-d8628aba6609"));
}

#[tokio::test]
async fn async_mode_answers_without_acknowledging_and_queues_the_callback() {
    let rx = receiver_with(json!({ "auth_header_value": token() }), AckMode::Async);
    let r = rx.handle(api_event(CREATED)).await;
    assert_eq!(body(&r)["acknowledged"], false);
    let job = &rx.store().jobs()[0];
    assert_eq!(
        job.ack,
        json!({"mode": "async", "event_id": "7573920b-5558-4455-ae73-d8628aba6609",
               "event_type": "order_created", "merchant_id": "777", "order_id": ORDER_ID})
    );
}

#[tokio::test]
async fn webhook_header_is_required_and_must_match() {
    let rx = receiver();
    let mut event = ordergate_testkit::api_event_json(CREATED);
    event["headers"]["x-ordergate-token"] = json!("wrong-token");
    expect_error(&rx, &event, 401, "unauthorized").await;
    event["headers"]["x-ordergate-token"] = json!(format!("{}-and-more", token()));
    expect_error(&rx, &event, 401, "unauthorized").await;
    event["headers"]
        .as_object_mut()
        .unwrap()
        .remove("x-ordergate-token");
    expect_error(&rx, &event, 401, "unauthorized").await;
    // Header names are case-insensitive.
    event["headers"]["X-Ordergate-Token"] = json!(token());
    assert_eq!(send(&rx, &event).await.status(), 200);
}

#[tokio::test]
async fn an_unconfigured_receiver_fails_closed_as_our_fault() {
    let rx = receiver_with(json!({}), AckMode::Sync);
    expect_error(
        &rx,
        &ordergate_testkit::api_event_json(CREATED),
        503,
        "unavailable",
    )
    .await;
}

fn sign(secret: &str, body: &str) -> String {
    format!("sha256={}", hmac_hex(secret, body))
}

#[tokio::test]
async fn optional_hmac_signature_is_enforced_when_configured() {
    let rx = receiver_with(
        json!({ "auth_header_value": token(), "signing_secret": "olaclick-signing" }),
        AckMode::Sync,
    );
    let mut event = ordergate_testkit::api_event_json(CREATED);
    let raw = event["body"].as_str().unwrap().to_owned();
    expect_error(&rx, &event, 401, "unauthorized").await;
    event["headers"]["x-olaclick-signature"] = json!(sign("another-secret", &raw));
    expect_error(&rx, &event, 401, "unauthorized").await;
    event["headers"]["x-olaclick-signature"] = json!(sign("olaclick-signing", &raw).replace("sha256=", ""));
    expect_error(&rx, &event, 401, "unauthorized").await;
    event["headers"]["x-olaclick-signature"] = json!(sign("olaclick-signing", &raw));
    let mut tampered = event.clone();
    tampered["body"] = json!(raw.replace("\"total\": 80", "\"total\": 8"));
    expect_error(&rx, &tampered, 401, "unauthorized").await;
    assert_eq!(send(&rx, &event).await.status(), 200);
}

#[tokio::test]
async fn signature_alone_is_enough_when_no_header_value_is_set() {
    let rx = receiver_with(json!({ "signing_secret": "olaclick-signing" }), AckMode::Sync);
    let mut event = ordergate_testkit::api_event_json(CREATED);
    event["headers"]
        .as_object_mut()
        .unwrap()
        .remove("x-ordergate-token");
    let raw = event["body"].as_str().unwrap().to_owned();
    event["headers"]["x-olaclick-signature"] = json!(sign("olaclick-signing", &raw));
    assert_eq!(send(&rx, &event).await.status(), 200);
}

#[tokio::test]
async fn what_is_not_json_is_a_clear_4xx_and_nothing_is_stored() {
    let rx = receiver();
    expect_error(
        &rx,
        &with_body(CREATED, "{\"event_type\": \"order_cr"),
        400,
        "invalid_json",
    )
    .await;
    expect_error(&rx, &with_body(CREATED, ""), 400, "empty_body").await;

    // A merchant we did not list is our configuration, not the platform's fault: retried.
    let mut p = payload(CREATED);
    p["merchant_id"] = json!("999");
    expect_error(&rx, &with_payload(CREATED, &p), 503, "unavailable").await;

    let mut event = ordergate_testkit::api_event_json(CREATED);
    event["headers"]["content-type"] = json!("text/plain");
    expect_error(&rx, &event, 415, "unsupported_media_type").await;

    let mut event = ordergate_testkit::api_event_json(CREATED);
    event["requestContext"]["http"]["method"] = json!("GET");
    expect_error(&rx, &event, 405, "method_not_allowed").await;

    let huge = format!(
        "{{\"pad\": \"{}\"}}",
        "x".repeat(Limits::default().max_body_bytes)
    );
    expect_error(&rx, &with_body(CREATED, &huge), 413, "payload_too_large").await;
}

/// Authenticated JSON that cannot be normalized is kept, quarantined with the reason, and
/// answered 422 (in sync mode a 2xx would acknowledge an order the restaurant does not
/// have); it is not acknowledged.
#[tokio::test]
async fn json_that_cannot_be_normalized_is_quarantined_422_with_the_reason() {
    let sample = payload(CREATED);
    let mut cases: Vec<(Value, &str, &str)> = vec![(json!([]), "invalid_payload", "")];
    let mut p = sample.clone();
    p["event_type"] = json!("order_teleported");
    cases.push((p, "unknown_event_type", "order_teleported"));
    let mut p = sample.clone();
    p.as_object_mut().unwrap().remove("event_id");
    cases.push((p, "invalid_payload", "event_id"));
    let mut p = sample.clone();
    p["data"]["cost_details"]
        .as_object_mut()
        .unwrap()
        .remove("currency");
    cases.push((p, "invalid_field", "data.cost_details"));
    let mut p = sample.clone();
    p["data"]["cost_details"]["currency"] = json!("SOLES");
    cases.push((p, "invalid_field", "data.cost_details.currency"));
    let mut p = sample.clone();
    p["data"]["order_details"][0]["quantity"] = json!(-1);
    cases.push((p, "invalid_field", "data.order_details[0].quantity"));
    let mut p = sample.clone();
    p["event_id"] = json!("");
    cases.push((p, "missing_id", "event id"));
    for (p, code, named) in cases {
        let rx = memory_pipeline(
            OlaClick::new(config(AckMode::Async)),
            &json!({"auth_header_value": token()}),
        );
        let reason = expect_quarantined(&rx, &with_payload(CREATED, &p), code).await;
        assert!(reason.contains(named), "{reason}");
        assert!(rx.store().jobs().is_empty(), "not acknowledged: {reason}");
    }
}

#[tokio::test]
async fn an_unreadable_total_is_a_warning_and_the_order_is_stored() {
    let rx = receiver();
    let mut p = payload(CREATED);
    p["data"]["cost_details"]["total"] = json!("eighty");
    let r = send(&rx, &with_payload(CREATED, &p)).await;
    assert_eq!(r.status(), 200, "{:?}", body(&r));
    let order = stored_order(rx.store(), "olaclick", ORDER_KEY).await;
    assert_eq!(order.totals.total, MinorUnits(0));
    let view = rx.store().order("olaclick", ORDER_KEY).await.unwrap();
    assert!(
        view.trail[0]
            .warnings
            .iter()
            .any(|w| w.starts_with("data.cost_details.total: unreadable")),
        "{:?}",
        view.trail[0].warnings
    );
}

#[tokio::test]
async fn merchant_ids_may_be_numbers_and_zones_are_per_merchant() {
    let mut cfg = config(AckMode::Sync);
    cfg.merchant_timezones = olaclick::parse_merchant_timezones("777=America/Bogota").unwrap();
    let rx = memory_pipeline(OlaClick::new(cfg), &json!({"auth_header_value": token()}));
    let mut p = payload(CREATED);
    p["merchant_id"] = json!(777);
    assert_eq!(send(&rx, &with_payload(CREATED, &p)).await.status(), 200);
    let order = stored_order(rx.store(), "olaclick", ORDER_KEY).await;
    // Bogotá is UTC-5 all year, like Lima; the zone is applied, not the default.
    assert_eq!(
        order.created_at.unwrap().utc.unwrap().to_rfc3339(),
        "2022-03-03T03:41:00+00:00"
    );
    assert!(olaclick::parse_merchant_timezones("777=Mars/Olympus").is_err());
}

#[tokio::test]
async fn store_failure_is_503_then_the_retry_is_stored_with_one_job() {
    let rx = receiver();
    rx.store().fail.store(true, Ordering::SeqCst);
    let r = rx.handle(api_event(CREATED)).await;
    assert_eq!(r.status(), 503);
    assert_eq!(body(&r)["error"], "unavailable");
    rx.store().fail.store(false, Ordering::SeqCst);
    assert_eq!(rx.store().event_count(), 0);
    // The receiver sends nothing to the queue: the job leaves through the outbox.
    assert_eq!(rx.handle(api_event(CREATED)).await.status(), 200);
    assert_eq!(rx.handle(api_event(CREATED)).await.status(), 200);
    assert_eq!(rx.store().event_count(), 1);
    assert_eq!(rx.store().jobs().len(), 1, "one job, from the outbox");
}

/// One shared header token lets its holder send events for any merchant's order ids.
/// Per-merchant tokens (`merchant_tokens`) bind each token to its merchants: a delivery for
/// another merchant is 403 with nothing stored, an unknown token 401, a malformed list our
/// misconfiguration (503).
#[tokio::test]
async fn per_merchant_tokens_may_only_send_for_their_merchants() {
    let rx = receiver_with(
        json!({ "merchant_tokens": "777:tok-777, 778:tok-777, 888:tok-888" }),
        AckMode::Sync,
    );
    let with_token = |token: &str| {
        let mut event = ordergate_testkit::api_event_json(CREATED);
        event["headers"]["x-ordergate-token"] = json!(token);
        event
    };
    expect_error(&rx, &with_token("tok-888"), 403, "merchant_mismatch").await;
    expect_error(&rx, &with_token(&token()), 401, "unauthorized").await;
    expect_error(&rx, &with_token("tok-77"), 401, "unauthorized").await;
    let r = rx
        .handle(ordergate_testkit::request(&with_token("tok-777")))
        .await;
    assert_eq!(r.status(), 200, "the sample is merchant 777's: {:?}", body(&r));

    let malformed = receiver_with(json!({ "merchant_tokens": "777" }), AckMode::Sync);
    expect_error(&malformed, &with_token("tok-777"), 503, "unavailable").await;
}

/// A token may send only for its merchants, and what it sends can only reach its
/// merchants' orders: merchant 888 cancelling "its" order with merchant 777's order id
/// leaves 777's order as it was (orders are keyed by merchant).
#[tokio::test]
async fn one_merchants_token_cannot_touch_another_merchants_order() {
    let config = Config {
        merchants: olaclick::parse_merchants("777,888"),
        ..config(AckMode::Sync)
    };
    let secrets = json!({ "merchant_tokens": "777:tok-777, 888:tok-888" });
    let rx = memory_pipeline(OlaClick::new(config), &secrets);
    let sent_by = |sample: &str, merchant: &str, token: &str| {
        let mut body = payload(sample);
        body["merchant_id"] = json!(merchant);
        let mut event = with_payload(sample, &body);
        event["headers"]["x-ordergate-token"] = json!(token);
        event
    };
    assert_eq!(send(&rx, &sent_by(CREATED, "777", "tok-777")).await.status(), 200);
    assert_eq!(send(&rx, &sent_by(DELETED, "888", "tok-888")).await.status(), 200);

    let own = rx.store().order("olaclick", ORDER_KEY).await.unwrap();
    assert_eq!(
        own.state.unwrap().status,
        OrderStatus::Placed,
        "777's order untouched"
    );
    assert_eq!(own.trail.len(), 1);
    let other = rx.store().order("olaclick", "888:PE-7222853393").await.unwrap();
    assert_eq!(
        other.state.unwrap().status,
        OrderStatus::Cancelled,
        "888's own order"
    );
}

/// Two updates of the same status: OlaClick sends no event time, so the order's last content
/// change (`last_product_added_at`) orders them — a delayed older one arriving second is
/// kept on the trail and does not overwrite the newer snapshot.
#[tokio::test]
async fn a_delayed_older_update_of_the_same_status_does_not_overwrite_a_newer_snapshot() {
    let rx = receiver();
    let update = |event_id: &str, added_at: &str, comment: &str| {
        let mut p = payload(UPDATED);
        p["event_id"] = json!(event_id);
        p["data"]["last_product_added_at"] = json!(added_at);
        p["data"]["comment"] = json!(comment);
        with_payload(UPDATED, &p)
    };
    let newer = update(
        "00000000-0000-4000-8000-000000000002",
        "2022-03-02 22:50:00",
        "newer",
    );
    let older = update(
        "00000000-0000-4000-8000-000000000001",
        "2022-03-02 22:45:00",
        "older",
    );
    for event in [&newer, &older] {
        assert_eq!(send(&rx, event).await.status(), 200);
    }
    let order = stored_order(rx.store(), "olaclick", ORDER_KEY).await;
    assert_eq!(order.notes.as_deref(), Some("newer"));
    let view = rx.store().order("olaclick", ORDER_KEY).await.unwrap();
    assert_eq!(view.trail.len(), 2, "the older one is on the trail");
}
