//! Nothing lost, nothing stored twice — for every platform, against the emulated AWS stack
//! through the real SDK: 100 concurrent copies of one delivery, a fault injected at every
//! step of the pipeline (then the platform's retry), and one order's events in any order.

use ordergate_shared::store::{EventStore, OrderState};
use ordergate_shared::Limits;
use ordergate_testkit::{json_body, request};
use ordergate_tests::faults::{scenarios, Fault, Faults, Step};
use ordergate_tests::platforms::{delivery, distinct, name, signed_sample, TestPlatform};
use ordergate_tests::{per_platform, Stack};

per_platform!(
    hundred_concurrent_copies,
    fault_at_every_step,
    any_arrival_order,
    a_reused_id_cannot_replace_a_kept_body
);

async fn hundred_concurrent_copies<P: TestPlatform>() {
    let stack = Stack::new().await;
    let rx = stack.pipeline(P::provider(), P::secrets());
    let event = signed_sample::<P>(P::LIFECYCLE[0]);
    stack.assert_concurrent_copies_store_once(&rx, &event, 100).await;
    let view = stack.store().order(name::<P>(), P::ORDER_KEY).await.unwrap();
    assert_eq!(view.trail.len(), 1, "one trail entry");
}

/// What one order left in the table: (event records, trail entries, has state).
async fn footprint(stack: &Stack, provider: &str, order_id: &str) -> (usize, usize, bool) {
    let view = stack.store().order(provider, order_id).await.unwrap();
    (
        stack.event_records().await,
        view.trail.len(),
        view.state.is_some(),
    )
}

/// Every step broken every way (see `faults::scenarios`), each on a distinct delivery:
/// the delivery is answered 503 and leaves all or nothing of its records; after the fault
/// heals the platform's retry is stored once and enqueued once, and a further retry is
/// a duplicate. Bodies go to S3 here (inline limit 0) so every delivery has an S3 put.
async fn fault_at_every_step<P: TestPlatform>() {
    let stack = Stack::new().await;
    let faults = Faults::default();
    let sdk = faults.wrap(&stack.sdk);
    let limits = Limits {
        inline_body_bytes: 0,
        ..Limits::default()
    };
    let rx = stack.pipeline_with(&sdk, P::provider(), P::secrets(), limits);
    let provider = name::<P>();
    for (n, (step, fault)) in scenarios().into_iter().enumerate() {
        let what = format!("{provider}: {step:?} {fault:?}");
        let tag = format!("fault{n}");
        let (event, order) = distinct::<P>(P::LIFECYCLE[0], &tag);
        let depth = stack.queue_depth().await;

        faults.break_step(step, fault);
        let r = rx.handle(request(&event)).await;
        faults.heal();
        assert_eq!(r.status(), 503, "{what}: {}", json_body(&r));
        assert_eq!(json_body(&r)["error"], "unavailable", "{what}");
        let (records, trail, state) = footprint(&stack, provider, &order).await;
        let applied = step == Step::StoreWrite && fault == Fault::AnswerLost;
        let expected = if applied { (n + 1, 1, true) } else { (n, 0, false) };
        assert_eq!(
            (records, trail, state),
            expected,
            "{what}: all of the write or none of it"
        );
        // A committed write has its job, from the outbox, whatever the answer said.
        assert_eq!(stack.queue_depth().await, depth + usize::from(applied), "{what}");

        // The platform retries (Svix re-signs the same message id with a new timestamp).
        for attempt in 0..2 {
            let (retry, _) = distinct::<P>(P::LIFECYCLE[0], &tag);
            let r = rx.handle(request(&retry)).await;
            assert_eq!(r.status(), 200, "{what}, retry {attempt}: {}", json_body(&r));
        }
        assert_eq!(
            footprint(&stack, provider, &order).await,
            (n + 1, 1, true),
            "{what}: stored exactly once"
        );
        assert_eq!(
            stack.queue_depth().await,
            depth + 1,
            "{what}: enqueued exactly once"
        );
        let stored = stack
            .store()
            .order(provider, &order)
            .await
            .unwrap()
            .trail
            .remove(0);
        let ordergate_shared::model::RawBodyRef::Blob(body) = &stored.raw_body else {
            panic!("{what}: the body is in S3")
        };
        use ordergate_shared::blob::BlobStore;
        let kept = stack.blobs().get(&body.key).await.unwrap().expect("body object");
        assert_eq!(
            ordergate_shared::verify::sha256_hex(&kept),
            stored.body_sha256,
            "{what}: the raw body is kept intact"
        );
    }
    assert!(
        faults.injected() >= scenarios().len(),
        "every scenario injected at least one fault"
    );
    eprintln!(
        "{provider}: {} scenarios, {} requests failed on purpose, every delivery stored once",
        scenarios().len(),
        faults.injected()
    );
}

/// The order's final state after its events arrive in `order` (indices into LIFECYCLE).
async fn final_state<P: TestPlatform>(order: &[usize]) -> (OrderState, Vec<String>) {
    let stack = Stack::new().await;
    let rx = stack.pipeline(P::provider(), P::secrets());
    for i in order {
        let r = rx.handle(request(&signed_sample::<P>(P::LIFECYCLE[*i]))).await;
        assert_eq!(r.status(), 200, "{}", json_body(&r));
    }
    let view = stack.store().order(name::<P>(), P::ORDER_KEY).await.unwrap();
    let mut trail: Vec<String> = view.trail.iter().map(|e| e.event_key.0.clone()).collect();
    trail.sort();
    (view.state.expect("order state"), trail)
}

/// A deterministic shuffle (xorshift) so a failure names a reproducible order.
fn shuffled(n: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    let mut x = seed.max(1);
    for i in (1..n).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        order.swap(i, (x % (i as u64 + 1)) as usize);
    }
    order
}

/// In order, reversed and three shuffles of one order's events end in the same state
/// with the same trail.
async fn any_arrival_order<P: TestPlatform>() {
    let n = P::LIFECYCLE.len();
    let in_order: Vec<usize> = (0..n).collect();
    let mut orders = vec![in_order.iter().rev().copied().collect::<Vec<_>>()];
    orders.extend((1..=3).map(|seed| shuffled(n, seed * 7919)));
    let expected = final_state::<P>(&in_order).await;
    let results = futures::future::join_all(orders.iter().map(|o| final_state::<P>(o))).await;
    for (order, result) in orders.iter().zip(results) {
        let names: Vec<&str> = order.iter().map(|i| P::LIFECYCLE[*i]).collect();
        assert_eq!(result, expected, "arrival order {names:?}");
    }
}

/// The platform re-uses an event id for a different body (both over the inline limit, so
/// both go to S3): the first event stays as it was received, its body object intact.
/// (Deliverect's event key includes the body's hash: there the second body is an event
/// of its own, and both objects must be intact.)
async fn a_reused_id_cannot_replace_a_kept_body<P: TestPlatform>() {
    use ordergate_shared::blob::BlobStore;
    let stack = Stack::new().await;
    let limits = Limits {
        inline_body_bytes: 0,
        ..Limits::default()
    };
    let rx = stack.pipeline_with(&stack.sdk, P::provider(), P::secrets(), limits);
    let (first, _) = distinct::<P>(P::LIFECYCLE[0], "reused");
    let mut other_body: serde_json::Value = serde_json::from_str(first["body"].as_str().unwrap()).unwrap();
    other_body["padding"] = serde_json::json!("x".repeat(70 * 1024));
    let second = delivery::<P>(P::LIFECYCLE[0], &other_body.to_string(), "msg_reused");
    for event in [&first, &second] {
        let r = rx.handle(request(event)).await;
        assert_eq!(r.status(), 200, "{}", json_body(&r));
    }
    let first_sha = ordergate_shared::verify::sha256_hex(first["body"].as_str().unwrap().as_bytes());
    let keys = stack.keys().await;
    let events: Vec<&(String, String)> = keys
        .iter()
        .filter(|(pk, sk)| pk.starts_with("EVENT#") && sk == "EVENT")
        .collect();
    let mut saw_first = false;
    for (pk, _) in events {
        let key = pk.splitn(3, '#').nth(2).unwrap();
        let stored = stack.store().event(name::<P>(), key).await.unwrap().unwrap();
        let ordergate_shared::model::RawBodyRef::Blob(body) = &stored.event.raw_body else {
            panic!("the body is in S3")
        };
        let kept = stack.blobs().get(&body.key).await.unwrap().expect("body object");
        assert_eq!(
            ordergate_shared::verify::sha256_hex(&kept),
            stored.event.body_sha256,
            "intact: {}",
            body.key
        );
        saw_first |= stored.event.body_sha256 == first_sha;
    }
    assert!(saw_first, "the first delivery is the one kept");
}

/// A write DynamoDB refuses for good (here an event record over its 400 KB item limit,
/// as an inline-body limit set too high would make: `ValidationException`) is no 503 the
/// platform would retry forever: the delivery is kept quarantined under its body's hash,
/// its body in the blob store, with the store's reason; its retry is a duplicate of that.
#[tokio::test]
async fn a_write_the_table_refuses_for_good_is_quarantined_not_retried() {
    use ordergate_shared::blob::BlobStore;
    use ordergate_tests::platforms::Deliverect;
    let stack = Stack::new().await;
    let limits = Limits {
        inline_body_bytes: 1024 * 1024,
        ..Limits::default()
    };
    let rx = stack.pipeline_with(&stack.sdk, Deliverect::provider(), Deliverect::secrets(), limits);
    let (sample, _) = distinct::<Deliverect>(Deliverect::LIFECYCLE[0], "big");
    let mut body: serde_json::Value = serde_json::from_str(sample["body"].as_str().unwrap()).unwrap();
    body["note"] = serde_json::json!("x".repeat(420 * 1024));
    let body = body.to_string();
    let event = delivery::<Deliverect>(Deliverect::LIFECYCLE[0], &body, "msg_big");

    let first = rx.handle(request(&event)).await;
    assert_eq!(
        first.headers()["x-ordergate-quarantined"],
        "true",
        "{}",
        json_body(&first)
    );
    assert_ne!(first.status(), 503);
    let sha = ordergate_shared::verify::sha256_hex(body.as_bytes());
    let kept = stack
        .stored("deliverect", &format!("quarantined:sha256:{sha}"))
        .await;
    let reason = kept.event.quarantined.clone().expect("a quarantine reason");
    assert!(reason.starts_with("store_refused:"), "{reason}");
    let ordergate_shared::model::RawBodyRef::Blob(blob) = &kept.event.raw_body else {
        panic!("the body is in the blob store")
    };
    let held = stack
        .blobs()
        .get(&blob.key)
        .await
        .unwrap()
        .expect("the body object");
    assert_eq!(
        ordergate_shared::verify::sha256_hex(&held),
        sha,
        "the body as sent"
    );

    let retry = rx.handle(request(&event)).await;
    assert_eq!(
        retry.headers()["x-ordergate-duplicate"],
        "true",
        "{}",
        json_body(&retry)
    );
    assert_eq!(stack.event_records().await, 1, "kept once");
}
