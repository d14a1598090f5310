//! One entry point for hostile input — the corpus test, the property tests and the
//! cargo-fuzz targets (`fuzz/`) all go through [`Harness::deliver`]: a body, signed the
//! way the platform signs (so it reaches the parser), through the whole pipeline over the
//! in-memory store. It panics on what must never happen: a panic inside, a 5xx, a 4xx
//! that is not a JSON error, anything stored or enqueued for a refused delivery, or a
//! kept delivery (stored or quarantined) that was not stored.

use base64::Engine;
use ordergate_testkit::{memory_pipeline, request, MemoryPipeline};
use serde_json::{json, Value};

use crate::platforms::TestPlatform;

/// What became of one delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Normalized and stored (or a duplicate of a stored one): 200.
    Stored,
    /// Kept as sent but not normalized: the platform's quarantine status.
    Quarantined,
    /// Refused with this 4xx; nothing stored.
    Refused(u16),
}

pub struct Harness<P: TestPlatform> {
    runtime: tokio::runtime::Runtime,
    rx: MemoryPipeline<P::P>,
}

impl<P: TestPlatform> Default for Harness<P> {
    fn default() -> Self {
        Self::new()
    }
}

impl<P: TestPlatform> Harness<P> {
    pub fn new() -> Self {
        let secrets: Value = serde_json::from_str(P::secrets()).expect("secret JSON");
        Harness {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime"),
            rx: memory_pipeline(P::hostile_provider(), &secrets),
        }
    }

    /// `body` (any bytes) as the platform would send it, signed for it.
    pub fn delivery(&self, body: &[u8]) -> Value {
        let (sample, _, _) = P::HOSTILE;
        let mut event = ordergate_testkit::api_event_json(sample);
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

    /// Delivers `body` signed; says what became of it after checking the invariants.
    pub fn verdict(&self, body: &[u8]) -> Verdict {
        self.send_request(request(&self.delivery(body))).1
    }

    /// Sends an API Gateway event as is; returns the status after checking the invariants.
    pub fn send(&self, event: &Value) -> u16 {
        self.send_request(request(event)).0
    }

    pub fn send_request(&self, req: lambda_http::Request) -> (u16, Verdict) {
        let (events, jobs) = (self.rx.store().event_count(), self.rx.store().jobs().len());
        let r = self.runtime.block_on(self.rx.handle(req));
        let status = r.status().as_u16();
        assert!(status < 500, "never a 5xx for bad input: {status} {:?}", r.body());
        let flag = |name: &str| r.headers().get(name).is_some_and(|v| v == "true");
        let (quarantined, duplicate) = (flag("x-ordergate-quarantined"), flag("x-ordergate-duplicate"));
        let body = ordergate_testkit::json_body(&r);
        let stored = self.rx.store().event_count() - events;
        let verdict = match (status, quarantined) {
            (_, true) => {
                assert_eq!(
                    status,
                    <P::P as ordergate_shared::Provider>::QUARANTINE_STATUS,
                    "{body}"
                );
                Verdict::Quarantined
            }
            (200, false) => Verdict::Stored,
            (s, false) => {
                assert!(
                    body["error"].as_str().is_some_and(|e| !e.is_empty()),
                    "a JSON error code: {body}"
                );
                assert!(body["message"].is_string(), "a message: {body}");
                assert_eq!(
                    (stored, self.rx.store().jobs().len()),
                    (0, jobs),
                    "nothing stored or enqueued for a refused delivery ({status} {body})"
                );
                return (s, Verdict::Refused(s));
            }
        };
        assert_eq!(
            stored,
            usize::from(!duplicate),
            "a kept delivery is stored once ({status} {body})"
        );
        (status, verdict)
    }
}

/// Money and time as they arrive from outside, any text: an amount parsed and converted to
/// every exponent ISO 4217 uses, sums and multiples of it, and a Svix timestamp checked
/// against now. Panics only on what must never happen: a panic inside (an overflow in a
/// debug build) or an accepted timestamp outside the 5-minute window. Shared by the
/// property test (`tests/arithmetic.rs`) and the cargo-fuzz target `money_and_time`.
pub fn money_and_time(input: &[u8]) {
    use ordergate_shared::money::{MajorAmount, MinorUnits};
    let text = String::from_utf8_lossy(input);
    for currency in ["JPY", "EUR", "KWD", "CLF"] {
        if let Ok(c) = MajorAmount::parse(&text).and_then(|a| a.to_minor(currency.parse().expect("ISO 4217")))
        {
            let m = c.minor;
            let _ = (
                m.times(u32::MAX),
                MinorUnits::sum([m, m, m]),
                m.checked_sub(MinorUnits(i64::MIN)),
            );
        }
    }
    let mut headers = lambda_http::http::HeaderMap::new();
    let Ok(timestamp) = lambda_http::http::HeaderValue::from_str(text.trim()) else {
        return;
    };
    headers.insert("svix-id", lambda_http::http::HeaderValue::from_static("msg_1"));
    headers.insert("svix-timestamp", timestamp);
    headers.insert(
        "svix-signature",
        lambda_http::http::HeaderValue::from_static("v1,AAAA"),
    );
    let delivery = ordergate_shared::verify::Delivery::new(&headers, b"{}", chrono::Utc::now());
    let verdict = oolio::svix::verify(&delivery, &[b"key".to_vec()]);
    assert!(verdict.is_err(), "a wrong signature is never accepted");
}
