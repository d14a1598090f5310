//! Ids from webhooks are attacker- or platform-controlled, and the ack worker puts them in
//! URLs it calls with our bearer token. Each must stay one path segment: the exact path
//! the faked platform API receives is checked for ids with `../`, `?`, `#`, `%2F`, spaces
//! and unicode; ids that can only be dot segments are refused without a call.

use ordergate_shared::job::AckJob;
use ordergate_shared::model::EventKey;
use ordergate_shared::worker::{AckError, Acknowledge};
use ordergate_tests::secrets;
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// (id, how it must appear in the path).
const IDS: &[(&str, &str)] = &[
    ("../../v1/x?", "..%2F..%2Fv1%2Fx%3F"),
    ("a#frag", "a%23frag"),
    ("a%2Fb", "a%252Fb"),
    ("a/b", "a%2Fb"),
    ("with space", "with%20space"),
    ("pédido-ñ", "p%C3%A9dido-%C3%B1"),
    ("ord-8d41a7e2.1c3b", "ord-8d41a7e2.1c3b"),
];

fn job(provider: &str, event_type: &str, ack: Value) -> AckJob {
    AckJob {
        schema: 1,
        provider: provider.into(),
        event_key: EventKey("k".into()),
        event_type: event_type.into(),
        order_id: None,
        order_key: None,
        location_id: None,
        received_at: None,
        after: None,
        decision: None,
        trace: None,
        ack,
    }
}

/// The raw (still percent-encoded) paths the fake API received, besides token requests.
async fn paths(api: &MockServer, skip: &str) -> Vec<String> {
    api.received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.path().to_owned())
        .filter(|p| !p.ends_with(skip))
        .collect()
}

async fn api(token_path: &str, token: Value) -> MockServer {
    let api = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(token_path))
        .respond_with(ResponseTemplate::new(200).set_body_json(token))
        .mount(&api)
        .await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "x", "items": []})))
        .with_priority(10)
        .mount(&api)
        .await;
    api
}

#[tokio::test]
async fn deliverect_order_ids_stay_one_path_segment() {
    let api = api("/oauth/token", json!({"access_token": "t", "expires_in": 3600})).await;
    let ack = deliverect::ack::DeliverectAck::new(
        &api.uri(),
        None,
        None,
        secrets(json!({"client_id": "c", "client_secret": "s"})),
    );
    for (id, encoded) in IDS {
        let api = self::api("/oauth/token", json!({"access_token": "t", "expires_in": 3600})).await;
        let ack = deliverect::ack::DeliverectAck::new(
            &api.uri(),
            None,
            None,
            secrets(json!({"client_id": "c", "client_secret": "s"})),
        );
        let j = job(
            "deliverect",
            "status_10",
            json!({"action": "accept", "status": 20, "order_id": id}),
        );
        ack.acknowledge(&j).await.unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(
            paths(&api, "/oauth/token").await,
            [format!("/orderStatus/{encoded}")],
            "{id}"
        );
    }
    for id in [".", ".."] {
        let j = job(
            "deliverect",
            "status_10",
            json!({"action": "accept", "status": 20, "order_id": id}),
        );
        assert!(
            matches!(ack.acknowledge(&j).await, Err(AckError::Permanent(_))),
            "{id}"
        );
    }
    assert!(
        paths(&api, "/oauth/token").await.is_empty(),
        "no call for a dot segment"
    );
}

#[tokio::test]
async fn ordatic_store_and_order_ids_stay_one_path_segment_each() {
    for (id, encoded) in IDS {
        let api = api("/ordatic/v2/auth", json!({"token": "t"})).await;
        let ack = ordergate_tests::ordatic_reporting_in_kitchen(&api.uri());
        let j = job(
            "ordatic",
            "order-accepted",
            json!({"action": "fetch_order", "store_id": id, "order_id": id}),
        );
        ack.acknowledge(&j).await.unwrap_or_else(|e| panic!("{id}: {e}"));
        let fetched = format!("/ordatic/v2/stores/{encoded}/orders/{encoded}");
        assert_eq!(
            paths(&api, "/v2/auth").await,
            [fetched.clone(), format!("{fetched}/status")],
            "{id}"
        );
    }
}
