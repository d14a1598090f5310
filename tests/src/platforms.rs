//! The four platforms as the reliability suite and the benchmarks drive them: the provider
//! configured as on the local stack, its secret, one order's lifecycle from the sample
//! events, and deliveries signed exactly the way the platform signs them.

use ordergate_shared::command::Requested;
use ordergate_shared::provider::Outgoing;
use ordergate_shared::{Provider, Signer};
use ordergate_testkit::{api_event_json, payload};
use serde_json::{json, Value};

pub trait TestPlatform {
    type P: Provider;
    /// The secret JSON the receiver reads (Secrets Manager or `<P>_SECRET_JSON`): the local
    /// stack's (`<TestPlatform>Secret` in infra/local/secrets.json).
    fn secrets() -> &'static str {
        ordergate_testkit::local_secret(&format!("{}Secret", <Self::P as Provider>::TEMPLATE_NAME))
    }
    /// Extra environment of the release binary (besides the secret and AWS resources).
    const ENV: &'static [(&'static str, &'static str)];
    /// One order's events in the order the platform sends them; they share one order id.
    const LIFECYCLE: &'static [&'static str];
    /// What the lifecycle samples' order is stored under (its id; Ordatic: store and id).
    const ORDER_KEY: &'static str;
    /// The header that carries the credential or signature.
    const AUTH_HEADER: &'static str;
    /// Whether that credential covers the body (HMAC) or is a shared token (TLS protects
    /// the body in transit; docs/security.md).
    const SIGNS_BODY: bool;

    /// The statuses a restaurant can send through the platform's API (README, Answering
    /// orders); commands for any other are refused.
    const STATUSES: &'static [Requested];

    fn provider() -> Self::P;

    /// The provider as its receiver's `main` sets it up, from the environment.
    fn from_env() -> Result<Self::P, ordergate_shared::config::ConfigError>;

    /// The platform's sending side, set up like the receiver [`TestPlatform::provider`].
    fn signer() -> impl Signer;

    /// The sample the hostile-input corpus mutates, and JSON pointers into it to an item
    /// quantity and to a money amount.
    const HOSTILE: (&'static str, &'static str, &'static str);

    /// Makes a sample payload a distinct delivery of a distinct order (`tag` is unique);
    /// returns what that order is stored under (its id; Ordatic: store and id; OlaClick:
    /// merchant and id).
    fn make_distinct(payload: &mut Value, tag: &str) -> String;

    /// The provider the hostile-input harness drives: as configured, except where a
    /// configuration check would answer a varied field as our misconfiguration (503).
    fn hostile_provider() -> Self::P {
        Self::provider()
    }
}

/// The credential / signature headers `P`'s platform puts on `body` (the provider's own
/// sending side, with the local secret); `message_id` is used by Svix.
pub fn sign<P: TestPlatform>(body: &[u8], message_id: &str) -> Vec<(String, String)> {
    let secrets = ordergate_shared::secrets::Secrets::from_json(P::secrets()).expect("secret JSON");
    P::signer()
        .sign(
            &secrets,
            &Outgoing {
                body,
                message_id,
                now: chrono::Utc::now(),
            },
        )
        .expect("the local secret signs")
}

/// `sample` (an API Gateway event file) carrying `body`, signed for it by `P`.
pub fn delivery<P: TestPlatform>(sample: &str, body: &str, message_id: &str) -> Value {
    let mut event = api_event_json(sample);
    event["body"] = json!(body);
    let headers = event["headers"].as_object_mut().expect("sample has headers");
    for (name, value) in sign::<P>(body.as_bytes(), message_id) {
        headers.insert(name, json!(value));
    }
    event
}

/// The sample itself, freshly signed (`message_id` derived from the sample's name).
pub fn signed_sample<P: TestPlatform>(sample: &str) -> Value {
    let body = api_event_json(sample)["body"].as_str().unwrap().to_owned();
    delivery::<P>(
        sample,
        &body,
        &format!("msg_{}", sample.replace(['/', '.', '-'], "_")),
    )
}

/// The sample as a distinct delivery (`tag` unique), signed.
/// Returns the event and what its order is stored under (its id; Ordatic: store and id).
pub fn distinct<P: TestPlatform>(sample: &str, tag: &str) -> (Value, String) {
    let mut body = payload(sample);
    let order = P::make_distinct(&mut body, tag);
    (
        delivery::<P>(sample, &body.to_string(), &format!("msg_{tag}")),
        order,
    )
}

/// The provider's name (`olaclick`, ...), as in keys and logs.
pub fn name<P: TestPlatform>() -> &'static str {
    <P::P as Provider>::NAME
}

pub struct OlaClick;
pub struct Deliverect;
pub struct Ordatic;
pub struct Oolio;

impl TestPlatform for OlaClick {
    type P = olaclick::OlaClick;

    fn from_env() -> Result<Self::P, ordergate_shared::config::ConfigError> {
        olaclick::OlaClick::from_env()
    }
    const ENV: &'static [(&'static str, &'static str)] = &[("OLACLICK_MERCHANT_IDS", "777")];
    const LIFECYCLE: &'static [&'static str] = &[
        "olaclick/order_created.json",
        "olaclick/order_updated.json",
        "olaclick/order_deleted.json",
    ];
    const ORDER_KEY: &'static str = "777:PE-7222853393";
    const AUTH_HEADER: &'static str = "x-ordergate-token";
    const SIGNS_BODY: bool = false;

    const STATUSES: &'static [Requested] = &[];

    fn provider() -> Self::P {
        olaclick::OlaClick::new(olaclick::Config {
            ack_mode: olaclick::AckMode::Async,
            ..olaclick::Config::sample()
        })
    }

    /// Every merchant served: a `merchant_id` we do not list is our configuration (503 and
    /// an alarm), not bad input, and the corpus varies every field.
    fn hostile_provider() -> Self::P {
        olaclick::OlaClick::new(olaclick::Config {
            ack_mode: olaclick::AckMode::Async,
            merchants: None,
            ..olaclick::Config::sample()
        })
    }

    fn signer() -> impl Signer {
        olaclick::OlaClickSigner {
            auth_header: Self::AUTH_HEADER.into(),
        }
    }

    const HOSTILE: (&'static str, &'static str, &'static str) = (
        "olaclick/order_created.json",
        "/data/order_details/0/quantity",
        "/data/cost_details/total",
    );

    fn make_distinct(payload: &mut Value, tag: &str) -> String {
        payload["event_id"] = json!(format!("evt-{tag}"));
        let order = format!("PE-{tag}");
        payload["data"]["order_id"] = json!(order);
        let merchant = &payload["merchant_id"];
        format!(
            "{}:{order}",
            merchant
                .as_str()
                .map_or_else(|| merchant.to_string(), str::to_owned)
        )
    }
}

impl TestPlatform for Deliverect {
    type P = deliverect::Deliverect;

    fn from_env() -> Result<Self::P, ordergate_shared::config::ConfigError> {
        deliverect::Deliverect::from_env()
    }
    const ENV: &'static [(&'static str, &'static str)] = &[("DELIVERECT_CURRENCY", "EUR")];
    const LIFECYCLE: &'static [&'static str] = &[
        "deliverect/new_order.json",
        "deliverect/accepted.json",
        "deliverect/cancel.json",
    ];
    const ORDER_KEY: &'static str = "6438f1a2c9e77d0012ab34cd";
    const AUTH_HEADER: &'static str = "x-server-authorization-hmac-sha256";
    const SIGNS_BODY: bool = true;

    const STATUSES: &'static [Requested] = &[
        Requested::Accepted,
        Requested::Preparing,
        Requested::Prepared,
        Requested::Ready,
        Requested::Completed,
        Requested::Rejected,
        Requested::Cancelled,
        Requested::Failed,
    ];

    fn provider() -> Self::P {
        deliverect::Deliverect::new(deliverect::Config::sample())
    }

    fn signer() -> impl Signer {
        deliverect::DeliverectSigner
    }

    const HOSTILE: (&'static str, &'static str, &'static str) =
        ("deliverect/new_order.json", "/items/0/quantity", "/items/0/price");

    fn make_distinct(payload: &mut Value, tag: &str) -> String {
        let order = format!("{tag:0>24}");
        payload["_id"] = json!(order);
        order
    }
}

impl TestPlatform for Ordatic {
    type P = ordatic::Ordatic;

    fn from_env() -> Result<Self::P, ordergate_shared::config::ConfigError> {
        ordatic::Ordatic::from_env()
    }
    const ENV: &'static [(&'static str, &'static str)] = &[];
    const LIFECYCLE: &'static [&'static str] = &[
        "ordatic/order-accepted.json",
        "ordatic/order-in-kitchen.json",
        "ordatic/order-ready-to-pick-up.json",
        "ordatic/rider-picking.json",
        "ordatic/order-picked-up.json",
        "ordatic/rider-delivering.json",
        "ordatic/order-served.json",
    ];
    const ORDER_KEY: &'static str = "st-5f2b9c:ord-8d41a7e2-1c3b";
    const AUTH_HEADER: &'static str = "authorization";
    const SIGNS_BODY: bool = false;

    const STATUSES: &'static [Requested] = &[
        Requested::Preparing,
        Requested::Ready,
        Requested::PickedUp,
        Requested::Completed,
    ];

    fn provider() -> Self::P {
        ordatic::Ordatic::new(ordatic::Config::sample())
    }

    fn signer() -> impl Signer {
        ordatic::OrdaticSigner
    }

    const HOSTILE: (&'static str, &'static str, &'static str) = (
        "ordatic/rider-refund.json",
        "/data/refund/refundItems/0/items/0/qty",
        "/data/refund/totalRiderRefund",
    );

    fn make_distinct(payload: &mut Value, tag: &str) -> String {
        let order = format!("ord-{tag}");
        payload["data"]["orderId"] = json!(order);
        format!("{}:{order}", payload["storeId"].as_str().expect("storeId"))
    }
}

impl TestPlatform for Oolio {
    type P = oolio::Oolio;

    fn from_env() -> Result<Self::P, ordergate_shared::config::ConfigError> {
        oolio::Oolio::from_env()
    }
    const ENV: &'static [(&'static str, &'static str)] = &[];
    const LIFECYCLE: &'static [&'static str] = &[
        "oolio/order_created.json",
        "oolio/order_accepted.json",
        "oolio/order_completed.json",
    ];
    const ORDER_KEY: &'static str = "91b969ea-2e4d-46ac-b727-3a7528e5306b";
    const AUTH_HEADER: &'static str = "svix-signature";
    const SIGNS_BODY: bool = true;

    const STATUSES: &'static [Requested] = &[];

    fn provider() -> Self::P {
        oolio::Oolio::new(oolio::Config::sample())
    }

    fn signer() -> impl Signer {
        oolio::OolioSigner
    }

    const HOSTILE: (&'static str, &'static str, &'static str) = (
        "oolio/order_created.json",
        "/data/items/quantity",
        "/data/items/includedItems/unitPrice",
    );

    fn make_distinct(payload: &mut Value, tag: &str) -> String {
        let order = format!("ord-{tag}");
        payload["data"]["id"] = json!(order);
        order
    }
}

/// Declares one `#[tokio::test]` per platform running `$suite::<TestPlatform>()`, in a module
/// named after the suite: `cargo test fault_injection::oolio`.
#[macro_export]
macro_rules! per_platform {
    ($($suite:ident),* $(,)?) => {$(
        $crate::ordergate_platforms::for_each!($crate::per_platform_suite, $suite);
    )*};
}

/// [`per_platform!`] for one suite, given the platform list.
#[doc(hidden)]
#[macro_export]
macro_rules! per_platform_suite {
    ([$suite:ident] $($variant:ident $krate:ident $provider:ident $signer:ident $ack:ident;)*) => {
        mod $suite {
            use $crate::platforms::*;
            $(
                #[tokio::test]
                async fn $krate() {
                    super::$suite::<$variant>().await
                }
            )*
        }
    };
}

/// Runs `$body` once per registered platform, in the registry's order, with `$P` naming
/// its [`TestPlatform`] type: for a test that goes through every platform in one run.
#[macro_export]
macro_rules! each_platform {
    ($P:ident => $body:expr) => {
        $crate::ordergate_platforms::for_each!($crate::each_platform_expand, $P, $body)
    };
}

/// [`each_platform!`], given the platform list.
#[doc(hidden)]
#[macro_export]
macro_rules! each_platform_expand {
    ([$P:ident $body:tt] $($variant:ident $krate:ident $provider:ident $signer:ident $ack:ident;)*) => {
        $({
            type $P = $crate::platforms::$variant;
            $body
        })*
    };
}
