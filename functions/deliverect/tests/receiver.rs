//! Deliverect through the whole pipeline with in-memory store and queue: every sample,
//! signature checks, status handling, dedupe and bad input.

use deliverect::{Config, Deliverect};
use ordergate_shared::model::{OrderStatus, OrderType};
use ordergate_shared::money::MinorUnits;
use ordergate_shared::store::EventStore;
use ordergate_testkit::{
    api_event, api_event_json, expect_quarantined, expect_rejected, hmac_hex, json_body, memory_pipeline,
    payload, request, stored_order, MemoryPipeline,
};
use serde_json::{json, Value};

const SEED: &str = "deliverect/seed_sample.json";
const NEW: &str = "deliverect/new_order.json";
const ACCEPTED: &str = "deliverect/accepted.json";
const CANCEL: &str = "deliverect/cancel.json";
const UNKNOWN: &str = "deliverect/unknown_status.json";
const TEST_ORDER: &str = "deliverect/test_order.json";
const ORDER_ID: &str = "6438f1a2c9e77d0012ab34cd";

type Receiver = MemoryPipeline<Deliverect>;

fn config(currency: Option<&str>) -> Config {
    Config {
        currency: currency.map(|c| c.parse().unwrap()),
        ..Config::sample()
    }
}

fn receiver() -> Receiver {
    memory_pipeline(
        Deliverect::new(config(Some("EUR"))),
        &json!({ "hmac_secret": &secret() }),
    )
}

/// A sample with its body replaced, re-signed with `key` as Deliverect would.
fn signed(path: &str, body: &str, key: &str) -> Value {
    let mut event = api_event_json(path);
    event["body"] = json!(body);
    event["headers"]["x-server-authorization-hmac-sha256"] = json!(hmac_hex(key, body));
    event
}

fn signed_payload(path: &str, p: &Value) -> Value {
    signed(path, &p.to_string(), &secret())
}

async fn accept(rx: &Receiver, path: &str) -> Value {
    let r = rx.handle(api_event(path)).await;
    assert_eq!(r.status(), 200, "{path}: {}", json_body(&r));
    json_body(&r)
}

/// The local stack's key (infra/local/secrets.json), which the samples are signed with.
fn secret() -> String {
    ordergate_testkit::local_secret_value("DeliverectSecret", "hmac_secret")
}

#[tokio::test]
async fn seed_sample_maps_every_field_and_keeps_its_unknown_status() {
    let rx = receiver();
    accept(&rx, SEED).await;
    let view = rx
        .store()
        .order("deliverect", "62********************7c")
        .await
        .unwrap();
    let state = view.state.unwrap();
    assert_eq!(
        state.status,
        OrderStatus::Unknown,
        "status 1 is undocumented: kept, not rejected"
    );
    let o = state.order.unwrap();
    assert_eq!(o.status_raw, "1");
    assert_eq!(o.currency.code(), "EUR");
    assert_eq!(o.order_type, OrderType::Delivery);
    assert_eq!(o.display_id.as_deref(), Some("T**4206"));
    assert!(o.test);
    assert_eq!(
        o.totals.subtotal,
        Some(MinorUnits(700)),
        "500 combo + 100 soda + 2 x 50 gherkin"
    );
    assert_eq!(o.totals.discount_total, Some(MinorUnits(50)));
    assert_eq!(o.totals.total, MinorUnits(650));
    assert_eq!(o.discounts[0].code.as_deref(), Some("50OFF"));
    assert_eq!(o.discounts[0].kind, "order_flat_off");

    let combo = &o.items[0];
    assert_eq!(
        (combo.sku.as_deref(), combo.unit_price, combo.quantity),
        (Some("P-BRGR"), MinorUnits(500), 1)
    );
    assert_eq!(combo.attributes["is_combo"], "true");
    assert_eq!(combo.modifiers.len(), 2);
    let burger = &combo.modifiers[1];
    assert_eq!(burger.attributes["in_bundle"], "true");
    assert_eq!(burger.modifiers[0].name, "Extra Gherkin");
    assert_eq!(
        (burger.modifiers[0].quantity, burger.modifiers[0].unit_price),
        (2, MinorUnits(50))
    );

    let f = o.fulfilment.unwrap();
    let a = f.address.unwrap();
    assert_eq!(
        (a.longitude, a.latitude),
        (Some(80.9), Some(-90.3)),
        "GeoJSON is [lng, lat]"
    );
    assert_eq!(f.asap, Some(true));
    assert_eq!(
        f.pickup_at.unwrap().utc,
        None,
        "placeholder timestamps are kept raw"
    );
    assert_eq!(f.courier.unwrap().delivered_by.as_deref(), Some("restaurant"));
    let c = o.customer.unwrap();
    assert_eq!(
        (c.name.as_deref(), c.notes.as_deref()),
        (Some("Jack"), Some("call me when you arrive"))
    );
    assert_eq!(o.attributes["customer.company_name"], "Deliverect");
    assert_eq!(o.attributes["channel_order_id"], "TEST******4206");
    assert!(o.attributes["status_history"].contains("\"status\":4"));
    assert_eq!(o.payment.unwrap().status.as_deref(), Some("paid"));

    let job = &rx.store().jobs()[0];
    assert_eq!(
        job.ack,
        json!({"action": "accept", "status": 20, "order_id": "62********************7c"})
    );
}

/// A readable `pickupTime` goes with the acceptance (the status API takes it); the
/// samples' placeholder is left out, as above.
#[tokio::test]
async fn the_acceptance_job_carries_a_readable_pickup_time() {
    let rx = receiver();
    let mut p = payload("deliverect/new_order.json");
    p["pickupTime"] = json!("2026-11-25T12:30:00Z");
    let r = rx
        .handle(request(&signed_payload("deliverect/new_order.json", &p)))
        .await;
    assert_eq!(r.status(), 200, "{}", json_body(&r));
    assert_eq!(
        rx.store().jobs()[0].ack["pickup_time"],
        "2026-11-25T12:30:00.000000Z"
    );
}

#[tokio::test]
async fn new_order_totals_are_exact_minor_units() {
    let rx = receiver();
    accept(&rx, NEW).await;
    let o = stored_order(rx.store(), "deliverect", ORDER_ID).await;
    assert_eq!(o.status, OrderStatus::Placed);
    assert_eq!(o.totals.fee_total, Some(MinorUnits(299 + 50 + 20)));
    assert_eq!(o.totals.tax_total, Some(MinorUnits(54)));
    assert_eq!(o.totals.tip, Some(MinorUnits(250)), "tip + driver tip");
    assert_eq!(o.totals.total, MinorUnits(1269));
    assert_eq!(
        o.fees.iter().map(|f| f.kind.as_str()).collect::<Vec<_>>(),
        ["delivery", "service", "bag"]
    );
    assert!(!o.test);
    assert_eq!(
        o.fulfilment
            .unwrap()
            .deliver_at
            .unwrap()
            .utc
            .unwrap()
            .to_rfc3339(),
        "2023-04-14T09:20:00+00:00"
    );
    let event = &rx.store().order("deliverect", ORDER_ID).await.unwrap().trail[0];
    // No mapping warnings; only the (unconfigured) location map flags the location.
    assert_eq!(
        event.warnings,
        [ordergate_shared::locations::unmapped_warning(
            "61a0b2c3d4e5f60718293ab4"
        )]
    );
    assert_eq!(
        event.occurred_at.as_ref().unwrap().raw,
        "2023-04-14T08:36:46.000000Z"
    );
}

#[tokio::test]
async fn a_cancel_updates_the_same_order_and_asks_to_confirm_it() {
    let rx = receiver();
    accept(&rx, NEW).await;
    accept(&rx, CANCEL).await;
    let view = rx.store().order("deliverect", ORDER_ID).await.unwrap();
    assert_eq!(view.state.unwrap().status, OrderStatus::Cancelled);
    assert_eq!(view.trail.len(), 2);
    let jobs = rx.store().jobs();
    assert_eq!(
        jobs[1].ack,
        json!({"action": "confirm_cancel", "status": 110, "order_id": ORDER_ID})
    );
}

#[tokio::test]
async fn an_older_status_arriving_late_never_rolls_back() {
    let rx = receiver();
    accept(&rx, NEW).await;
    accept(&rx, CANCEL).await;
    accept(&rx, ACCEPTED).await;
    accept(&rx, UNKNOWN).await;
    let view = rx.store().order("deliverect", ORDER_ID).await.unwrap();
    assert_eq!(view.state.unwrap().status, OrderStatus::Cancelled);
    assert_eq!(view.trail.len(), 4, "every status change is on the trail");
    let unknown = view.trail.iter().find(|e| e.event_type == "status_77").unwrap();
    assert_eq!(
        unknown.change.as_ref().unwrap().status,
        Some(OrderStatus::Unknown)
    );
    assert_eq!(rx.store().jobs().last().unwrap().ack["action"], "none");
}

#[tokio::test]
async fn dedupe_is_order_status_and_body() {
    let rx = receiver();
    let first = accept(&rx, NEW).await;
    let again = accept(&rx, NEW).await;
    assert_eq!(first, again);
    assert_eq!(
        rx.store().event_count(),
        1,
        "same order, status and body: one record"
    );
    accept(&rx, ACCEPTED).await;
    assert_eq!(rx.store().event_count(), 2, "same order, new status: a new event");
    let mut changed = payload(ACCEPTED);
    changed["note"] = json!("ring twice");
    let r = rx.handle(request(&signed_payload(ACCEPTED, &changed))).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        rx.store().event_count(),
        3,
        "same status, new content: a new event"
    );
    let key = json_body(&r)["event_id"].as_str().unwrap().to_owned();
    assert!(key.starts_with(&format!("{ORDER_ID}:20:")), "{key}");
}

#[tokio::test]
async fn test_orders_are_stored_flagged_and_accepted() {
    let rx = receiver();
    accept(&rx, TEST_ORDER).await;
    let o = stored_order(rx.store(), "deliverect", "6438f1a2c9e77d0012ab99ff").await;
    assert!(o.test);
    assert_eq!(rx.store().jobs()[0].ack["action"], "accept");
}

#[tokio::test]
async fn a_location_without_a_currency_is_our_misconfiguration_503_and_nothing_stored() {
    let rx = memory_pipeline(
        Deliverect::new(config(None)),
        &json!({ "hmac_secret": &secret() }),
    );
    let r = rx.handle(api_event(NEW)).await;
    assert_eq!(
        r.status(),
        503,
        "Deliverect retries a 503 until the currency is set"
    );
    assert_eq!((rx.store().event_count(), rx.store().jobs().len()), (0, 0));
}

#[tokio::test]
async fn an_order_with_an_unreadable_essential_field_is_kept_answered_400_and_reported_failed() {
    let rx = receiver();
    let mut p = payload(NEW);
    p["items"][0]["subItems"][1]["subItems"][0]["quantity"] = json!(-2);
    let reason = expect_quarantined(&rx, &signed_payload(NEW, &p), "invalid_field").await;
    assert!(
        reason.contains("items[0].subItems[1].subItems[0].quantity"),
        "{reason}"
    );
    let view = rx.store().order("deliverect", ORDER_ID).await.unwrap();
    assert!(
        view.state.is_none(),
        "a quarantined event does not move the order"
    );
    assert_eq!(view.trail.len(), 1, "but is on its trail");
    let ack = &rx.store().jobs()[0].ack;
    assert_eq!(
        (ack["action"].as_str(), ack["status"].as_i64()),
        (Some("failed"), Some(120))
    );
    assert!(ack["reason"]
        .as_str()
        .unwrap()
        .contains("items[0].subItems[1].subItems[0].quantity"));
}

#[tokio::test]
async fn location_currencies_override_the_default() {
    let mut cfg = config(Some("EUR"));
    cfg.location_currencies
        .insert("61a0b2c3d4e5f60718293ab4".into(), "JPY".parse().unwrap());
    let rx = memory_pipeline(Deliverect::new(cfg), &json!({ "hmac_secret": &secret() }));
    accept(&rx, NEW).await;
    let o = stored_order(rx.store(), "deliverect", ORDER_ID).await;
    assert_eq!(o.currency.code(), "JPY");
    assert_eq!(o.totals.total, MinorUnits(13), "12.69 at 2 digits is 13 yen");
}

#[tokio::test]
async fn the_hmac_signature_is_required_and_checked_in_constant_time() {
    let rx = receiver();
    let raw = api_event_json(NEW)["body"].as_str().unwrap().to_owned();
    expect_rejected(&rx, &signed(NEW, &raw, "wrong-secret"), 401, "unauthorized").await;
    let mut missing = api_event_json(NEW);
    missing["headers"]
        .as_object_mut()
        .unwrap()
        .remove("x-server-authorization-hmac-sha256");
    expect_rejected(&rx, &missing, 401, "unauthorized").await;
    let mut tampered = api_event_json(NEW);
    tampered["body"] = json!(raw.replace("\"tip\": 100", "\"tip\": 1000"));
    expect_rejected(&rx, &tampered, 401, "unauthorized").await;
    let mut garbage = api_event_json(NEW);
    garbage["headers"]["x-server-authorization-hmac-sha256"] = json!("zz");
    expect_rejected(&rx, &garbage, 401, "unauthorized").await;
    let mut upper = api_event_json(NEW);
    upper["headers"]["X-Server-Authorization-Hmac-Sha256"] = json!(hmac_hex(&secret(), &raw).to_uppercase());
    upper["headers"]
        .as_object_mut()
        .unwrap()
        .remove("x-server-authorization-hmac-sha256");
    assert_eq!(
        rx.handle(request(&upper)).await.status(),
        200,
        "header case and hex case do not matter"
    );
}

#[tokio::test]
async fn additional_keys_cover_rotation_and_staging_channel_links() {
    let rx = memory_pipeline(
        Deliverect::new(config(Some("EUR"))),
        &json!({ "hmac_secret": "new-partner-secret", "additional_hmac_secrets": "old-one, 61a0b2c3d4e5f60718293ac3" }),
    );
    let raw = api_event_json(NEW)["body"].as_str().unwrap().to_owned();
    assert_eq!(
        rx.handle(request(&signed(NEW, &raw, "61a0b2c3d4e5f60718293ac3")))
            .await
            .status(),
        200
    );
    let unconfigured = memory_pipeline(Deliverect::new(config(Some("EUR"))), &json!({}));
    expect_rejected(&unconfigured, &api_event_json(NEW), 503, "unavailable").await;
}

#[tokio::test]
async fn what_is_not_json_is_400_and_what_cannot_be_read_is_kept() {
    let rx = receiver();
    let sample = payload(NEW);
    expect_rejected(&rx, &signed(NEW, "{\"_id\": ", &secret()), 400, "invalid_json").await;
    // 200 levels of subItems: refused before parsing (nesting limit), not a stack overflow.
    let mut deep = json!({"plu": "x", "name": "x", "price": 1, "quantity": 1, "subItems": []});
    for _ in 0..200 {
        deep = json!({"plu": "x", "name": "x", "price": 1, "quantity": 1, "subItems": [deep]});
    }
    let mut p = sample.clone();
    p["items"] = json!([deep]);
    expect_rejected(&rx, &signed_payload(NEW, &p), 400, "too_deep").await;

    // No order id: kept (deduped on the body's hash), no one to tell it failed.
    let mut p = sample.clone();
    p.as_object_mut().unwrap().remove("_id");
    expect_quarantined(&rx, &signed_payload(NEW, &p), "invalid_payload").await;
    let mut p = sample.clone();
    p["status"] = json!("accepted");
    expect_quarantined(&rx, &signed_payload(NEW, &p), "invalid_field").await;
    assert_eq!(
        rx.store().jobs().len(),
        1,
        "only the one with an order id is reported"
    );

    // A price out of range is not essential: the order is stored, the price named.
    let rx = receiver();
    let mut p = sample.clone();
    p["items"][0]["price"] = json!(1e300);
    let r = rx.handle(request(&signed_payload(NEW, &p))).await;
    assert_eq!(r.status(), 200, "{}", json_body(&r));
    let view = rx.store().order("deliverect", ORDER_ID).await.unwrap();
    let warnings = &view.trail[0].warnings;
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("items[0].price: unreadable")),
        "{warnings:?}"
    );
    assert_eq!(
        view.state.unwrap().order.unwrap().items[0].unit_price,
        MinorUnits(0)
    );
}

#[tokio::test]
async fn a_location_id_too_long_for_a_key_is_quarantined_not_refused_by_the_table_forever() {
    let rx = receiver();
    let mut p = payload("deliverect/new_order.json");
    p["location"] = json!("L".repeat(3000));
    let reason = expect_quarantined(
        &rx,
        &signed_payload("deliverect/new_order.json", &p),
        "invalid_id",
    )
    .await;
    assert!(reason.contains("location id"), "{reason}");
}

/// The README's first-deploy probe, sent to a real stack, must not make the ack worker
/// call Deliverect's real API (it would accept an order Deliverect never sent).
#[tokio::test]
async fn the_first_deploy_probe_reaches_no_platform() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let probe = readme
        .lines()
        .find_map(|l| l.strip_prefix("ordergate send deliverect events/"))
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the README's first deploy sends a Deliverect sample");
    let rx = receiver();
    let r = rx.handle(api_event(probe)).await;
    assert_eq!(r.status(), 200, "{}", json_body(&r));
    let jobs = rx.store().jobs();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].ack["action"], "none", "{probe}: {}", jobs[0].ack);
}
