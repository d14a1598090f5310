//! One entry point for hostile input — the corpus test, the property tests and the
//! cargo-fuzz targets (`fuzz/`) all go through [`Harness::deliver`]: a body, signed the
//! way the platform signs (so it reaches the parser), through the whole pipeline over the
//! in-memory store. It panics on what must never happen: a panic inside, a 5xx, a 4xx
//! that is not a JSON error, or anything stored or enqueued for a refused delivery.

use base64::Engine;
use ordergate_shared::fixtures::{memory_pipeline, request, MemoryPipeline};
use serde_json::{json, Value};

use crate::platforms::Platform;

pub struct Harness<P: Platform> {
    runtime: tokio::runtime::Runtime,
    rx: MemoryPipeline<P::P>,
}

impl<P: Platform> Default for Harness<P> {
    fn default() -> Self {
        Self::new()
    }
}

impl<P: Platform> Harness<P> {
    pub fn new() -> Self {
        let secrets: Value = serde_json::from_str(P::SECRETS).expect("secret JSON");
        Harness {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime"),
            rx: memory_pipeline(P::provider(), &secrets),
        }
    }

    /// `body` (any bytes) as the platform would send it, signed for it.
    pub fn delivery(&self, body: &[u8]) -> Value {
        let (sample, _, _) = P::HOSTILE;
        let mut event = ordergate_shared::fixtures::api_event_json(sample);
        event["body"] = json!(base64::engine::general_purpose::STANDARD.encode(body));
        event["isBase64Encoded"] = json!(true);
        for (name, value) in crate::platforms::sign::<P>(body, "msg_hostile") {
            event["headers"][name] = json!(value);
        }
        event
    }

    /// Delivers `body` signed; returns the status after checking the invariants.
    pub fn deliver(&self, body: &[u8]) -> u16 {
        self.send(&self.delivery(body))
    }

    /// Sends an API Gateway event as is; returns the status after checking the invariants.
    pub fn send(&self, event: &Value) -> u16 {
        self.send_request(request(event))
    }

    pub fn send_request(&self, req: lambda_http::Request) -> u16 {
        let (events, jobs) = (self.rx.store().event_count(), self.rx.queue().jobs().len());
        let r = self.runtime.block_on(self.rx.handle(req));
        let status = r.status().as_u16();
        assert!(status < 500, "never a 5xx for bad input: {status} {:?}", r.body());
        if status >= 400 {
            let body = ordergate_shared::fixtures::json_body(&r);
            assert!(
                body["error"].as_str().is_some_and(|e| !e.is_empty()),
                "a JSON error code: {body}"
            );
            assert!(body["message"].is_string(), "a message: {body}");
            assert_eq!(
                (self.rx.store().event_count(), self.rx.queue().jobs().len()),
                (events, jobs),
                "nothing stored or enqueued for a refused delivery ({status} {body})"
            );
        } else {
            assert_eq!(status, 200);
        }
        status
    }
}
