//! Oolio through the whole pipeline with in-memory parts: Svix verification, every
//! documented event type, tolerant parsing, dedupe on svix-id.

use oolio::{Config, Oolio};
use ordergate_shared::model::{OrderStatus, OrderType};
use ordergate_shared::money::MinorUnits;
use ordergate_shared::store::EventStore;
use ordergate_testkit::{
    api_event_json, expect_quarantined, expect_rejected, json_body, memory_pipeline, payload, request,
    MemoryPipeline,
};
use serde_json::{json, Value};

const ORDER_ID: &str = "91b969ea-2e4d-46ac-b727-3a7528e5306b";

type Receiver = MemoryPipeline<Oolio>;

fn receiver_with(secrets: &str) -> Receiver {
    memory_pipeline(
        Oolio::new(Config {
            currency: "AUD".parse().unwrap(),
        }),
        &json!({ "signing_secrets": secrets }),
    )
}

fn receiver() -> Receiver {
    receiver_with(&secret())
}

/// Signs `event` as Svix would `age` seconds ago, with `secret`.
fn signed_at(mut event: Value, secret: &str, age: i64) -> Value {
    let ts = chrono::Utc::now().timestamp() - age;
    let key = &oolio::svix::keys(secret).unwrap()[0];
    let id = event["headers"]["svix-id"].as_str().unwrap().to_owned();
    let sig = oolio::svix::sign(key, &id, ts, event["body"].as_str().unwrap().as_bytes());
    event["headers"]["svix-timestamp"] = json!(ts.to_string());
    event["headers"]["svix-signature"] = json!(sig);
    event
}

fn fresh(path: &str) -> Value {
    signed_at(api_event_json(path), &secret(), 0)
}

/// A sample with a different body (and svix-id), freshly signed.
fn fresh_with(path: &str, id: &str, body: &Value) -> Value {
    let mut event = api_event_json(path);
    event["body"] = json!(body.to_string());
    event["headers"]["svix-id"] = json!(id);
    signed_at(event, &secret(), 0)
}

async fn deliver(rx: &Receiver, event: &Value) -> Value {
    let r = rx.handle(request(event)).await;
    assert_eq!(r.status(), 200, "{}", json_body(&r));
    json_body(&r)
}

async fn stored_type(rx: &Receiver, svix_id: &str) -> String {
    rx.store()
        .event("oolio", svix_id)
        .await
        .unwrap()
        .expect("stored")
        .event
        .event_type
}

/// The local stack's key (infra/local/secrets.json), which the samples are signed with.
fn secret() -> String {
    ordergate_testkit::local_secret_value("OolioSecret", "signing_secrets")
}

#[tokio::test]
async fn every_documented_event_type_is_recognised_and_stored() {
    let rx = receiver();
    for (sample, want) in [
        ("location_connected", "location.connected"),
        ("location_disconnected", "location.disconnected"),
        ("location_updated", "location.updated"),
        ("reservations_partner_connected", "reservations.partner.connected"),
        (
            "reservations_partner_disconnected",
            "reservations.partner.disconnected",
        ),
        ("reservation_updated", "reservation.updated"),
        ("walkin_created", "reservation.walkin.created"),
        ("order_accepted", "order.accepted"),
        ("order_cancelled", "order.cancelled"),
        ("order_completed", "order.completed"),
        ("order_created", "order.created"),
        ("order_rejected", "order.cancelled"),
        ("products_availability", "products.availability"),
    ] {
        let event = fresh(&format!("oolio/{sample}.json"));
        let id = event["headers"]["svix-id"].as_str().unwrap().to_owned();
        let body = deliver(&rx, &event).await;
        assert_eq!(body["event_id"], id.as_str());
        assert_eq!(stored_type(&rx, &id).await, want, "{sample}");
    }
    assert_eq!(rx.store().event_count(), 13);
    assert!(rx
        .store()
        .jobs()
        .iter()
        .all(|j| j.ack == json!({"action": "mark_processed"})));
}

#[tokio::test]
async fn the_documented_traps_are_read_as_sent() {
    let rx = receiver();
    // The doc's "disconnected" sample says type location.connected: the type wins.
    let mut body: Value = payload("oolio/location_disconnected.json");
    body["type"] = json!("location.connected");
    deliver(
        &rx,
        &fresh_with("oolio/location_disconnected.json", "msg_trap1", &body),
    )
    .await;
    assert_eq!(stored_type(&rx, "msg_trap1").await, "location.connected");
    // The doc's "cancelled" sample has no type and says status accepted.
    let mut body: Value = payload("oolio/order_cancelled.json");
    body["data"]["status"] = json!("accepted");
    deliver(&rx, &fresh_with("oolio/order_cancelled.json", "msg_trap2", &body)).await;
    assert_eq!(stored_type(&rx, "msg_trap2").await, "order.accepted");
    // With a type, the type routes the order even against its status field.
    body["type"] = json!("order.cancelled");
    deliver(&rx, &fresh_with("oolio/order_cancelled.json", "msg_trap3", &body)).await;
    assert_eq!(stored_type(&rx, "msg_trap3").await, "order.cancelled");
}

#[tokio::test]
async fn unrecognised_events_are_stored_as_unclassified_and_answered_2xx() {
    let rx = receiver();
    for (id, body) in [
        ("msg_u1", json!({"type": "menu.published", "data": {"id": 1}})),
        ("msg_u2", json!({"something": "new"})),
        ("msg_u3", json!({"data": {"id": "x"}})),
    ] {
        deliver(&rx, &fresh_with("oolio/order_created.json", id, &body)).await;
        let stored = rx.store().event("oolio", id).await.unwrap().unwrap();
        assert_eq!(stored.event.event_type, "unclassified");
        let reason = stored.event.quarantined.as_deref().unwrap_or_default();
        assert!(
            reason.contains("unrecognised"),
            "quarantined, with the reason: {reason:?}"
        );
        assert_eq!(
            stored.raw_body.as_deref(),
            Some(body.to_string().as_str()),
            "kept verbatim"
        );
    }
}

#[tokio::test]
async fn orders_map_single_objects_string_amounts_and_product_ids() {
    let rx = receiver();
    deliver(&rx, &fresh("oolio/order_created.json")).await;
    let state = rx.store().order("oolio", ORDER_ID).await.unwrap().state.unwrap();
    assert_eq!(state.status, OrderStatus::Placed);
    let sample = ordergate_testkit::payload("oolio/order_created.json");
    assert_eq!(
        state.location_id.as_deref(),
        sample["data"]["posLocationId"].as_str()
    );
    let o = state.order.unwrap();
    assert_eq!(o.display_id.as_deref(), Some("#B52"));
    assert_eq!(o.currency.code(), "AUD");
    assert_eq!(o.order_type, OrderType::DineIn);
    assert_eq!(o.table.as_deref(), Some("T-1"));
    assert_eq!(o.items.len(), 1, "a single object where an array is expected");
    let eggs = &o.items[0];
    assert_eq!(
        (eggs.name.as_str(), eggs.attributes["pos_id"].as_str()),
        ("Scrambled Eggs", "91b969ea-2e4d-46ac-b727-3a7528e5306b")
    );
    assert_eq!(
        (eggs.unit_price, eggs.line_total),
        (MinorUnits(800), Some(MinorUnits(2000)))
    );
    let salads = &eggs.modifiers[1];
    assert_eq!(salads.sku.as_deref(), Some("sku1234"));
    assert!(salads.attributes["product_ids"].contains("\"gtin-13\":\"1234567890123\""));
    assert!(
        eggs.attributes["surcounts"].contains("\"amount\":10"),
        "string amount read as cents"
    );
    let names: Vec<&str> = eggs.modifiers.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["cooking type: Scrambled", "Salads"]);
    assert_eq!(eggs.modifiers[0].unit_price, MinorUnits(100));
    assert_eq!(eggs.modifiers[1].attributes["included"], "true");
    assert_eq!(eggs.modifiers[1].modifiers[0].name, "cooking type: Scrambled");
    assert_eq!(o.taxes[0].amount, MinorUnits(10));
    assert_eq!(o.taxes[0].kind, "tax_inclusive");
    // The order-level surcount is the doc's "10% discount": a discount, not a fee.
    assert!(o.fees.is_empty(), "{:?}", o.fees);
    assert_eq!(
        (
            o.discounts[0].kind.as_str(),
            o.discounts[0].name.as_deref(),
            o.discounts[0].amount
        ),
        ("discount", Some("10% discount"), MinorUnits(10)),
        "amount sent as \"10\""
    );
    assert_eq!(o.totals.total, MinorUnits(2000));
    assert_eq!(o.attributes["loyalty.member_id"], "string");
    assert_eq!(o.customer.unwrap().email.as_deref(), Some("jennifer@oolio.com"));
    assert_eq!(
        o.created_at.unwrap().utc.unwrap().to_rfc3339(),
        "2022-07-21T17:32:28+00:00"
    );
}

#[tokio::test]
async fn arrays_are_accepted_where_the_samples_show_single_objects() {
    let rx = receiver();
    let mut body: Value = payload("oolio/order_created.json");
    let item = body["data"]["items"].clone();
    let mut second = item.clone();
    second["name"] = json!("Flat White");
    second["options"] = json!([item["options"].clone(), item["options"].clone()]);
    body["data"]["items"] = json!([item, second]);
    body["data"]["surcounts"] = json!([
        {"amount": "150", "name": "Weekend surcharge", "type": "fixed"},
        {"amount": -50, "name": "Loyalty", "type": "fixed"}
    ]);
    deliver(&rx, &fresh_with("oolio/order_created.json", "msg_arrays", &body)).await;
    let o = rx
        .store()
        .order("oolio", ORDER_ID)
        .await
        .unwrap()
        .state
        .unwrap()
        .order
        .unwrap();
    assert_eq!(o.items.len(), 2);
    assert_eq!(o.items[1].modifiers.len(), 3, "two options + one included item");
    let amounts =
        |list: &[ordergate_shared::model::Adjustment]| list.iter().map(|a| a.amount).collect::<Vec<_>>();
    assert_eq!(amounts(&o.fees), [MinorUnits(150)], "a surcharge is a fee");
    assert_eq!(amounts(&o.discounts), [MinorUnits(50)], "money off is a discount");
}

#[tokio::test]
async fn order_status_never_rolls_back() {
    let rx = receiver();
    deliver(&rx, &fresh("oolio/order_completed.json")).await;
    deliver(&rx, &fresh("oolio/order_accepted.json")).await;
    // Different sample files carry different posLocationIds but the same order id.
    let view = rx.store().order("oolio", ORDER_ID).await.unwrap();
    assert_eq!(view.state.unwrap().status, OrderStatus::Completed);
    assert_eq!(view.trail.len(), 2);
}

#[tokio::test]
async fn a_retried_message_is_one_record_with_the_same_answer() {
    let rx = receiver();
    let first = deliver(&rx, &fresh("oolio/order_accepted.json")).await;
    let again = deliver(
        &rx,
        &signed_at(api_event_json("oolio/order_accepted.json"), &secret(), 30),
    )
    .await;
    assert_eq!(first, again);
    assert_eq!(rx.store().event_count(), 1);
}

#[tokio::test]
async fn the_same_bytes_under_another_svix_id_are_another_message() {
    let rx = receiver();
    let first = deliver(&rx, &fresh("oolio/order_accepted.json")).await;
    let mut event = api_event_json("oolio/order_accepted.json");
    event["headers"]["svix-id"] = json!("msg_resent");
    let r = rx.handle(request(&signed_at(event, &secret(), 0))).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["x-ordergate-duplicate"],
        "false",
        "not answered from the first one"
    );
    assert_ne!(json_body(&r)["event_id"], first["event_id"]);
    assert_eq!(rx.store().event_count(), 2);
}

#[tokio::test]
async fn signatures_are_required_and_checked() {
    let rx = receiver();
    let path = "oolio/order_accepted.json";
    expect_rejected(&rx, &api_event_json(path), 401, "unauthorized").await; // signed long ago
    expect_rejected(
        &rx,
        &signed_at(api_event_json(path), &secret(), 301),
        401,
        "unauthorized",
    )
    .await;
    expect_rejected(
        &rx,
        &signed_at(api_event_json(path), &secret(), -301),
        401,
        "unauthorized",
    )
    .await;
    let other = "whsec_dGhpcyBpcyBhbm90aGVyIGtleQ==";
    expect_rejected(
        &rx,
        &signed_at(api_event_json(path), other, 0),
        401,
        "unauthorized",
    )
    .await;
    let mut tampered = fresh(path);
    tampered["body"] = json!(tampered["body"].as_str().unwrap().replace("#B52", "#B53"));
    expect_rejected(&rx, &tampered, 401, "unauthorized").await;
    let mut missing = fresh(path);
    missing["headers"]
        .as_object_mut()
        .unwrap()
        .remove("svix-signature");
    expect_rejected(&rx, &missing, 401, "unauthorized").await;
    let mut no_id = fresh(path);
    no_id["headers"].as_object_mut().unwrap().remove("svix-id");
    expect_rejected(&rx, &no_id, 401, "unauthorized").await;
    let mut upper = fresh(path);
    let sig = upper["headers"]
        .as_object_mut()
        .unwrap()
        .remove("svix-signature")
        .unwrap();
    upper["headers"]["Svix-Signature"] = sig;
    assert_eq!(
        rx.handle(request(&upper)).await.status(),
        200,
        "header names are case-insensitive"
    );
}

#[tokio::test]
async fn a_rotated_secret_keeps_both_keys_valid() {
    let old = "whsec_dGhpcyBpcyBhbm90aGVyIGtleQ==";
    let rx = receiver_with(&format!("{} {old}", secret()));
    deliver(
        &rx,
        &signed_at(api_event_json("oolio/order_accepted.json"), old, 0),
    )
    .await;
    deliver(
        &rx,
        &signed_at(api_event_json("oolio/order_created.json"), &secret(), 0),
    )
    .await;
    let unconfigured = receiver_with("");
    expect_rejected(
        &unconfigured,
        &fresh("oolio/order_created.json"),
        503,
        "unavailable",
    )
    .await;
}

#[tokio::test]
async fn unreadable_orders_are_kept_quarantined_with_a_2xx_and_only_non_json_is_refused() {
    let rx = receiver();
    let mut body: Value = payload("oolio/order_created.json");
    body["data"]["items"]["quantity"] = json!(-1);
    let reason = expect_quarantined(
        &rx,
        &fresh_with("oolio/order_created.json", "msg_bad", &body),
        "invalid_field",
    )
    .await;
    assert!(reason.contains("data.items"), "{reason}");
    let stored = rx
        .store()
        .event("oolio", "quarantined:msg_bad")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.event.change.map(|c| c.order_id).as_deref(),
        Some(ORDER_ID),
        "on the order's trail"
    );
    assert!(rx.store().jobs().is_empty(), "nothing to acknowledge");
    // A surcount's amount is not essential: the order is stored, the amount named.
    let mut body: Value = payload("oolio/order_created.json");
    body["data"]["items"]["surcounts"]["amount"] = json!("ten");
    let r = rx
        .handle(request(&fresh_with(
            "oolio/order_created.json",
            "msg_bad2",
            &body,
        )))
        .await;
    assert_eq!(
        (
            r.status().as_u16(),
            r.headers()["x-ordergate-quarantined"].to_str().unwrap()
        ),
        (200, "false")
    );
    let stored = rx.store().event("oolio", "msg_bad2").await.unwrap().unwrap();
    assert!(
        stored
            .event
            .warnings
            .iter()
            .any(|w| w.starts_with("data.items.surcounts.amount: unreadable")),
        "{:?}",
        stored.event.warnings
    );
    let mut event = fresh("oolio/order_created.json");
    event["body"] = json!("not json");
    let event = signed_at(event, &secret(), 0);
    let rx = receiver();
    expect_rejected(&rx, &event, 400, "invalid_json").await;
}
