//! Ordatic through the whole pipeline with in-memory store, queue and blob store.

use ordatic::wire::EventType;
use ordatic::{Config, Ordatic};
use ordergate_shared::blob::BlobStore;
use ordergate_shared::model::{EventDetail, OrderStatus, RawBodyRef};
use ordergate_shared::money::MinorUnits;
use ordergate_shared::store::EventStore;
use ordergate_testkit::{
    api_event, api_event_json, expect_quarantined, expect_rejected, json_body, memory_pipeline, payload,
    request, with_payload, MemoryPipeline,
};
use serde_json::json;

const ORDER_ID: &str = "ord-8d41a7e2-1c3b";
/// What it is stored under: Ordatic's order ids are unique only per store.
const ORDER_KEY: &str = "st-5f2b9c:ord-8d41a7e2-1c3b";

type Receiver = MemoryPipeline<Ordatic>;

fn receiver() -> Receiver {
    memory_pipeline(
        Ordatic::new(Config {
            currency: "EUR".parse().unwrap(),
        }),
        &json!({ "authorization": secret() }),
    )
}

fn sample(event: EventType) -> String {
    format!("ordatic/{}.json", event.as_str())
}

async fn deliver(rx: &Receiver, path: &str) {
    let r = rx.handle(api_event(path)).await;
    assert_eq!(r.status(), 200, "{path}: {}", json_body(&r));
}

async fn deliver_json(rx: &Receiver, event: &serde_json::Value) {
    let r = rx.handle(request(event)).await;
    assert_eq!(r.status(), 200, "{}", json_body(&r));
}

async fn status(rx: &Receiver) -> Option<OrderStatus> {
    rx.store()
        .order("ordatic", ORDER_KEY)
        .await
        .unwrap()
        .state
        .map(|s| s.status)
}

/// The local stack's authorization value (infra/local/secrets.json), which the samples carry.
fn secret() -> String {
    ordergate_testkit::local_secret_value("OrdaticSecret", "authorization")
}

#[tokio::test]
async fn each_order_event_sets_its_status() {
    for (event, want) in [
        (EventType::OrderAccepted, OrderStatus::Accepted),
        (EventType::OrderInKitchen, OrderStatus::Preparing),
        (EventType::OrderReadyToPickUp, OrderStatus::Ready),
        (EventType::OrderPickedUp, OrderStatus::PickedUp),
        (EventType::OrderServed, OrderStatus::Completed),
        (EventType::OrderCanceled, OrderStatus::Cancelled),
    ] {
        let rx = receiver();
        deliver(&rx, &sample(event)).await;
        assert_eq!(status(&rx).await, Some(want), "{}", event.as_str());
        let job = &rx.store().jobs()[0];
        assert_eq!(
            job.ack,
            json!({"action": "fetch_order", "store_id": "st-5f2b9c", "order_id": ORDER_ID})
        );
    }
}

#[tokio::test]
async fn all_thirteen_events_are_recorded_on_the_order_trail() {
    let rx = receiver();
    for event in EventType::ALL {
        deliver(&rx, &sample(event)).await;
    }
    let view = rx.store().order("ordatic", ORDER_KEY).await.unwrap();
    let mut types: Vec<&str> = view.trail.iter().map(|e| e.event_type.as_str()).collect();
    types.sort();
    let mut want: Vec<&str> = EventType::ALL.iter().map(|e| e.as_str()).collect();
    want.sort();
    assert_eq!(types, want);
    assert_eq!(
        view.state.unwrap().status,
        OrderStatus::Cancelled,
        "canceled is the furthest order event"
    );
    assert_eq!(rx.store().jobs().len(), 13);
}

#[tokio::test]
async fn rider_events_never_move_the_order() {
    let rx = receiver();
    deliver(&rx, &sample(EventType::RiderCompleted)).await;
    assert_eq!(
        status(&rx).await,
        None,
        "a rider event alone creates no order state"
    );
    deliver(&rx, &sample(EventType::OrderAccepted)).await;
    deliver(&rx, &sample(EventType::RiderDelivering)).await;
    assert_eq!(status(&rx).await, Some(OrderStatus::Accepted));
}

#[tokio::test]
async fn an_older_order_event_arriving_late_never_rolls_back() {
    let rx = receiver();
    deliver(&rx, &sample(EventType::OrderServed)).await;
    deliver(&rx, &sample(EventType::OrderInKitchen)).await;
    assert_eq!(status(&rx).await, Some(OrderStatus::Completed));
}

#[tokio::test]
async fn refunds_are_typed_in_canonical_money() {
    let rx = receiver();
    deliver(&rx, &sample(EventType::RiderRefund)).await;
    let trail = rx.store().order("ordatic", ORDER_KEY).await.unwrap().trail;
    let Some(EventDetail::Refund(refund)) = &trail[0].detail else {
        panic!("refund detail: {:?}", trail[0])
    };
    assert_eq!(refund.id, "rf-20261121-0042");
    assert_eq!(
        (refund.rider_total, refund.partner_total),
        (MinorUnits(1250), MinorUnits(450))
    );
    assert_eq!(refund.currency.code(), "EUR");
    assert_eq!(
        refund.date.as_ref().unwrap().utc.unwrap().to_rfc3339(),
        "2026-11-21T12:40:00+00:00"
    );
    assert_eq!(refund.items.len(), 2);
    assert_eq!(refund.items[0].party_at_fault.as_deref(), Some("rider"));
    assert_eq!(refund.items[0].rider_amount, MinorUnits(800));
    assert_eq!(
        (
            refund.items[0].products[0].name.as_str(),
            refund.items[0].products[0].quantity
        ),
        ("Coca-Cola 33cl", 2)
    );
    assert_eq!(refund.fees[0].amount, MinorUnits(199));
    assert_eq!(refund.fees[0].code.as_deref(), Some("DELIVERY_FEE"));

    // An unreadable amount is left out with a warning naming it; the refund is kept.
    let rx = receiver();
    let mut p = payload(&sample(EventType::RiderRefund));
    p["data"]["refund"]["totalRiderRefund"] = json!("12.5x");
    deliver_json(&rx, &with_payload(&sample(EventType::RiderRefund), &p)).await;
    let trail = rx.store().order("ordatic", ORDER_KEY).await.unwrap().trail;
    let Some(EventDetail::Refund(refund)) = &trail[0].detail else {
        panic!("refund detail: {:?}", trail[0])
    };
    assert_eq!(
        (refund.rider_total, refund.partner_total),
        (MinorUnits(0), MinorUnits(450))
    );
    assert!(
        trail[0].warnings[0].starts_with("data.refund.totalRiderRefund: unreadable"),
        "{:?}",
        trail[0].warnings
    );
}

/// Cents in a currency without them (JPY) are rounded half-even, and each rounded amount
/// is a warning on the event naming its field, as for every platform.
#[tokio::test]
async fn refund_amounts_rounded_to_the_currency_are_warned_about() {
    let rx = memory_pipeline(
        Ordatic::new(Config {
            currency: "JPY".parse().unwrap(),
        }),
        &json!({ "authorization": secret() }),
    );
    deliver(&rx, &sample(EventType::RiderRefund)).await;
    let trail = rx.store().order("ordatic", ORDER_KEY).await.unwrap().trail;
    let Some(EventDetail::Refund(refund)) = &trail[0].detail else {
        panic!("refund detail: {:?}", trail[0])
    };
    assert_eq!(refund.rider_total, MinorUnits(12), "1250 cents = 12.50 JPY → 12");
    assert_eq!(refund.fees[0].amount, MinorUnits(2), "199 cents = 1.99 JPY → 2");
    let warnings = &trail[0].warnings;
    assert!(
        warnings
            .contains(&"data.refund.totalRiderRefund has more decimals than JPY allows; rounded".to_owned()),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("data.refund.refundFees[0].amount")),
        "{warnings:?}"
    );
}

#[tokio::test]
async fn a_multi_megabyte_proof_goes_to_the_blob_store_not_the_table() {
    let rx = receiver();
    let path = "ordatic/rider-proof-delivery-large.json";
    deliver(&rx, path).await;
    let trail = rx.store().order("ordatic", ORDER_KEY).await.unwrap().trail;
    let event = &trail[0];
    let Some(EventDetail::ProofOfDelivery { image }) = &event.detail else {
        panic!("proof detail")
    };
    assert_eq!(image.content_type, "image/png");
    assert!(image.size > 2_000_000, "{}", image.size);
    let stored = rx
        .blobs()
        .get(&image.key)
        .await
        .unwrap()
        .expect("image in the blob store");
    assert_eq!(stored.len(), image.size);
    assert_eq!(&stored[..8], b"\x89PNG\r\n\x1a\n");

    let RawBodyRef::Blob(raw) = &event.raw_body else {
        panic!("a large body is not kept inline")
    };
    let body = rx.blobs().get(&raw.key).await.unwrap().unwrap();
    assert_eq!(body, api_event_json(path)["body"].as_str().unwrap().as_bytes());
    let record = rx
        .store()
        .event("ordatic", &event.event_key.0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.raw_body, None);
    assert!(
        serde_json::to_vec(&record.event).unwrap().len() < 4_000,
        "the record holds references only"
    );
}

#[tokio::test]
async fn small_proofs_are_stored_and_bad_base64_is_a_warning() {
    let rx = receiver();
    deliver(&rx, &sample(EventType::RiderProofDelivery)).await;
    assert_eq!(rx.blobs().len(), 1, "the image; the small body stays inline");

    // The same image URL-safe and unpadded, as a data: URI, or a link: all kept.
    use base64::Engine;
    let original = payload(&sample(EventType::RiderProofDelivery))["data"]["proofDelivery"]
        .as_str()
        .unwrap()
        .to_owned();
    let image = base64::engine::general_purpose::STANDARD
        .decode(&original)
        .unwrap();
    let url_safe = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&image);
    for (n, variant) in [url_safe, format!("data:image/png;base64,{original}")]
        .into_iter()
        .enumerate()
    {
        let rx = receiver();
        let mut p = payload(&sample(EventType::RiderProofDelivery));
        p["data"]["proofDelivery"] = json!(variant);
        deliver_json(&rx, &with_payload(&sample(EventType::RiderProofDelivery), &p)).await;
        let trail = rx.store().order("ordatic", ORDER_KEY).await.unwrap().trail;
        let Some(EventDetail::ProofOfDelivery { image: stored }) = &trail[0].detail else {
            panic!("variant {n}: proof detail")
        };
        let kept = rx.blobs().get(&stored.key).await.unwrap().expect("image kept");
        assert_eq!(kept, image, "variant {n} decodes to the same image");
    }
    let rx = receiver();
    let mut p = payload(&sample(EventType::RiderProofDelivery));
    p["data"]["proofDelivery"] = json!("https://cdn.example.com/proofs/ord-8d41a7e2.png");
    deliver_json(&rx, &with_payload(&sample(EventType::RiderProofDelivery), &p)).await;
    let trail = rx.store().order("ordatic", ORDER_KEY).await.unwrap().trail;
    assert_eq!(
        trail[0].detail,
        Some(EventDetail::ProofOfDeliveryLink {
            url: "https://cdn.example.com/proofs/ord-8d41a7e2.png".into()
        })
    );
    assert!(rx.blobs().is_empty(), "a link is kept, not fetched");

    // The rider's event still counts; the proof stays in the raw body.
    let rx = receiver();
    let mut p = payload(&sample(EventType::RiderProofDelivery));
    p["data"]["proofDelivery"] = json!("this is not base64 ***");
    deliver_json(&rx, &with_payload(&sample(EventType::RiderProofDelivery), &p)).await;
    let trail = rx.store().order("ordatic", ORDER_KEY).await.unwrap().trail;
    assert_eq!(trail[0].detail, None);
    assert!(
        trail[0].warnings[0].contains("data.proofDelivery is not base64"),
        "{:?}",
        trail[0].warnings
    );
    assert!(rx.blobs().is_empty());
}

#[tokio::test]
async fn dedupe_is_per_order_event_and_per_body_for_rider_events() {
    let rx = receiver();
    deliver(&rx, &sample(EventType::OrderAccepted)).await;
    deliver(&rx, &sample(EventType::OrderAccepted)).await;
    assert_eq!(rx.store().event_count(), 1);
    let path = sample(EventType::RiderError);
    deliver(&rx, &path).await;
    let mut p = payload(&path);
    p["data"]["note"] = json!("second failure, different content");
    let r = rx
        .handle(ordergate_testkit::request(&with_payload(&path, &p)))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        rx.store().event_count(),
        3,
        "a rider event with new content is a new event"
    );
}

#[tokio::test]
async fn bad_auth_is_refused_and_json_we_cannot_read_is_quarantined() {
    let rx = receiver();
    let path = sample(EventType::OrderAccepted);
    let mut wrong = api_event_json(&path);
    wrong["headers"]["authorization"] = json!(format!("Bearer {}", secret()));
    expect_rejected(&rx, &wrong, 401, "unauthorized").await;
    let mut missing = api_event_json(&path);
    missing["headers"]
        .as_object_mut()
        .unwrap()
        .remove("authorization");
    expect_rejected(&rx, &missing, 401, "unauthorized").await;

    // An event type Ordatic adds later: kept on the order's trail, the order still fetched.
    let mut p = payload(&path);
    p["eventType"] = json!("order-teleported");
    let reason = expect_quarantined(&rx, &with_payload(&path, &p), "unknown_event_type").await;
    assert!(reason.contains("order-teleported"), "{reason}");
    let trail = rx.store().order("ordatic", ORDER_KEY).await.unwrap().trail;
    assert_eq!(trail.len(), 1);
    assert_eq!(rx.store().jobs()[0].ack["action"], "fetch_order");
    // No order id: kept, nothing to fetch.
    let mut p = payload(&path);
    p["data"] = json!({});
    let reason = expect_quarantined(&rx, &with_payload(&path, &p), "invalid_field").await;
    assert!(reason.contains("orderId"), "{reason}");
    assert_eq!(rx.store().jobs().len(), 1);
}

#[tokio::test]
async fn during_a_rotation_the_old_and_the_new_authorization_are_both_accepted() {
    let rx = memory_pipeline(
        Ordatic::new(Config {
            currency: "EUR".parse().unwrap(),
        }),
        &json!({ "authorization": "new-value", "previous_authorization": secret() }),
    );
    let path = sample(EventType::OrderAccepted);
    let mut other = api_event_json(&sample(EventType::OrderServed));
    other["headers"]["authorization"] = json!("neither");
    expect_rejected(&rx, &other, 401, "unauthorized").await;
    deliver(&rx, &path).await;
    let mut new = api_event_json(&sample(EventType::OrderInKitchen));
    new["headers"]["authorization"] = json!("new-value");
    deliver_json(&rx, &new).await;

    // Rotation done: the previous value emptied, only the new one is accepted; an empty
    // authorization is our misconfiguration (503), never "any empty header".
    let rotated = memory_pipeline(
        Ordatic::new(Config {
            currency: "EUR".parse().unwrap(),
        }),
        &json!({ "authorization": "new-value", "previous_authorization": "" }),
    );
    expect_rejected(&rotated, &api_event_json(&path), 401, "unauthorized").await;
    let empty = memory_pipeline(
        Ordatic::new(Config {
            currency: "EUR".parse().unwrap(),
        }),
        &json!({ "authorization": "", "previous_authorization": secret() }),
    );
    let mut blank = api_event_json(&path);
    blank["headers"]["authorization"] = json!("");
    expect_rejected(&empty, &blank, 503, "unavailable").await;
}
