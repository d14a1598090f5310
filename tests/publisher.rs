//! Downstream events: orders received through the pipeline, the table's real stream read
//! back from the emulator and filtered as template.yaml's PublisherStream filters it
//! (infra/local/stream_event.py), published by the publisher to the stack's EventBridge
//! bus, and received by a subscriber (a rule forwarding to an SQS queue).

use ordergate_shared::store::item::{attr, keys, n, s, stream_image, Item};
use std::process::Command;

use ordergate_shared::store::EventStore;
use ordergate_tests::platforms::{Deliverect, TestPlatform};
use ordergate_tests::{endpoint, root, Stack};
use publisher::EventBridge;
use serde_json::{json, Value};

const ORDER: &str = "6438f1a2c9e77d0012ab34cd";

fn stream_event(stack: &Stack) -> Value {
    let out = Command::new(root().join(".venv/bin/python"))
        .arg(root().join("infra/local/stream_event.py"))
        .args(["--endpoint", &endpoint(), "--table", &stack.table])
        .output()
        .expect("run stream_event.py");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("a stream event")
}

/// Delivers `samples` through `P`'s receiver, then hands the publisher the stream records
/// its mapping passes on (`records` of them) and checks it published them all.
async fn deliver_and_publish<P: TestPlatform>(stack: &Stack, bus: &str, samples: &[&str], records: usize) {
    let rx = stack.pipeline(P::provider(), P::secrets());
    for sample in samples {
        let event = ordergate_tests::platforms::signed_sample::<P>(sample);
        assert_eq!(rx.handle(ordergate_testkit::request(&event)).await.status(), 200);
    }
    let event = stream_event(stack);
    assert_eq!(
        event["Records"].as_array().unwrap().len(),
        records,
        "the filter's selection"
    );
    let bridge = EventBridge::new(
        aws_sdk_eventbridge::Client::new(&stack.function_sdk(ordergate_tests::iam::PUBLISHER)),
        bus,
    );
    let answer = publisher::handle(&bridge, &stack.queue(), &stack.store(), &event).await;
    assert_eq!(answer, json!({"batchItemFailures": []}));
}

#[tokio::test]
async fn every_order_change_reaches_a_subscriber_in_order() {
    let stack = Stack::new().await;
    let bus = stack.bus();
    let subscriber = stack.subscribe(&["Order Changed", "Order Event"]).await;
    stack
        .store()
        .set_location("deliverect", "61a0b2c3d4e5f60718293ab4", "store-042")
        .await
        .unwrap();
    // The 3 STATE changes only: no trail-only events here.
    let samples = [
        "deliverect/new_order.json",
        "deliverect/accepted.json",
        "deliverect/cancel.json",
    ];
    deliver_and_publish::<Deliverect>(&stack, &bus, &samples, 3).await;

    let got = stack.received(&subscriber).await;
    assert_eq!(got.len(), 3, "{got:?}");
    for e in &got {
        assert_eq!(e["source"], "ordergate");
        assert_eq!(e["detail-type"], "Order Changed");
    }
    let details: Vec<&Value> = got.iter().map(|e| &e["detail"]).collect();
    let statuses: Vec<&str> = details.iter().map(|d| d["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["placed", "accepted", "cancelled"]);
    let versions: Vec<i64> = details.iter().map(|d| d["version"].as_i64().unwrap()).collect();
    assert!(versions.windows(2).all(|w| w[0] < w[1]), "{versions:?}");
    let texts: Vec<String> = details
        .iter()
        .map(|d| d["version_text"].as_str().unwrap().to_owned())
        .collect();
    let exact: Vec<String> = versions.iter().map(i64::to_string).collect();
    assert_eq!(
        texts, exact,
        "the version as text, for parsers that lose digits past 2^53"
    );
    let seqs: Vec<i64> = details.iter().map(|d| d["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, [1, 2, 3], "one per change of the stored state");
    let last = details[2];
    assert_eq!(last["schema"], publisher::SCHEMA);
    assert_eq!(
        (last["provider"].as_str(), last["order_id"].as_str()),
        (Some("deliverect"), Some(ORDER))
    );
    assert_eq!(last["team_location_id"], "store-042");
    assert_eq!(
        last["order"]["totals"]["total"], 1269,
        "the canonical order, minor units"
    );
    assert_eq!(last["order"]["currency"], "EUR");
}

/// What a POS learns besides state changes: an Ordatic rider's progress and refund,
/// recorded on the trail only, published as `Order Event`s (typed detail, minor units).
#[tokio::test]
async fn rider_events_reach_a_subscriber_as_order_events() {
    use ordergate_tests::platforms::Ordatic;
    let stack = Stack::new().await;
    let bus = stack.bus();
    let subscriber = stack.subscribe(&["Order Changed", "Order Event"]).await;
    // One STATE change and two trail-only entries pass the filter.
    let samples = [
        "ordatic/order-accepted.json",
        "ordatic/rider-completed.json",
        "ordatic/rider-refund.json",
    ];
    deliver_and_publish::<Ordatic>(&stack, &bus, &samples, 3).await;
    let got = stack.received(&subscriber).await;
    let kinds: Vec<&str> = got.iter().map(|e| e["detail-type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["Order Changed", "Order Event", "Order Event"]);
    let rider = &got[1]["detail"];
    assert_eq!(rider["schema"], publisher::EVENT_SCHEMA);
    assert_eq!(
        (rider["event_type"].as_str(), rider["order_id"].as_str()),
        (Some("rider-completed"), Some("ord-8d41a7e2-1c3b"))
    );
    let refund = &got[2]["detail"]["detail"];
    assert_eq!(refund["kind"], "refund");
    assert_eq!(refund["rider_total"], 1250, "minor units");
}

#[tokio::test]
async fn an_unreachable_bus_reports_the_batch_for_retry() {
    let stack = Stack::new().await;
    let rx = stack.pipeline(Deliverect::provider(), Deliverect::secrets());
    let sample = ordergate_tests::platforms::signed_sample::<Deliverect>("deliverect/new_order.json");
    assert_eq!(rx.handle(ordergate_testkit::request(&sample)).await.status(), 200);
    let event = stream_event(&stack);
    let first = event["Records"][0]["dynamodb"]["SequenceNumber"].clone();
    let dead = ordergate_tests::sdk_for(ordergate_tests::DEAD_ENDPOINT).await;
    let bridge = EventBridge::new(aws_sdk_eventbridge::Client::new(&dead), "orders");
    let answer = publisher::handle(&bridge, &stack.queue(), &stack.store(), &event).await;
    assert_eq!(answer, json!({"batchItemFailures": [{"itemIdentifier": first}]}));
}

#[test]
fn a_change_too_large_for_eventbridge_leaves_the_snapshot_out() {
    let big = "x".repeat(300 * 1024);
    let item: Item = [
        (attr::PK, s(keys::order_pk("oolio", "o-1"))),
        (attr::SK, s(keys::STATE_SK)),
        (attr::KIND, s(attr::STATE_KIND)),
        (attr::STATUS, s("accepted")),
        (attr::VERSION, n(7)),
        (attr::ORDER, s(json!({"note": big}).to_string())),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let record = json!({"dynamodb": {"SequenceNumber": "1", "NewImage": stream_image(&item)}});
    let change = publisher::order_changed(&record).unwrap().unwrap();
    assert!(change.order.is_none() && change.order_omitted);
    assert_eq!((change.order_id.as_str(), change.version), ("o-1", 7));
    let other = json!({"dynamodb": {"NewImage": {attr::KIND: {"S": attr::TRAIL_KIND}}}});
    assert!(publisher::order_changed(&other).unwrap().is_none());
}
