//! Never lose an order, end to end against the emulator: a delivery this build
//! cannot read is kept quarantined and counted (the `Quarantined` metric QuarantinedAlarm
//! watches); the mapping is fixed (here a test double's switch); `ordergate reprocess`
//! stores it as its live delivery would have been (order state, trail, its job through the
//! outbox); a later mapping change reaches the stored order the same way; every step is
//! idempotent.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use olaclick::OlaClick;
use ordergate_cli::commands::reprocess::{self, Clients, Line, Outcome, Selection};
use ordergate_shared::lenient::Essential;
use ordergate_shared::model::{Normalized, OrderStatus, Quarantine};
use ordergate_shared::secrets::Secrets;
use ordergate_shared::store::EventStore;
use ordergate_shared::verify::Delivery;
use ordergate_shared::{ApiError, Provider, Reprocessed};
use ordergate_testkit::{api_event_json, json_body, request};
use ordergate_tests::Stack;
use serde_json::Value;

const CREATED: &str = "olaclick/order_created.json";
const EVENT_ID: &str = "7573920b-5558-4455-ae73-d8628aba6609";
const ORDER_ID: &str = "PE-7222853393";

/// OlaClick, with a mapping that cannot read the delivery until `fixed`, and (once
/// `noted`) a mapping change that adds an order note.
#[derive(Clone, Default)]
struct Mapping {
    fixed: Arc<AtomicBool>,
    noted: Arc<AtomicBool>,
}

struct Double(OlaClick, Mapping);

impl Provider for Double {
    const NAME: &'static str = OlaClick::NAME;
    const TEMPLATE_NAME: &'static str = OlaClick::TEMPLATE_NAME;
    type Ack = <OlaClick as Provider>::Ack;
    const ESSENTIAL: Essential = OlaClick::ESSENTIAL;
    const QUARANTINE_STATUS: u16 = OlaClick::QUARANTINE_STATUS;

    fn verify(&self, delivery: &Delivery<'_>, secrets: &Secrets) -> Result<(), ApiError> {
        self.0.verify(delivery, secrets)
    }

    fn normalize(&self, delivery: &Delivery<'_>) -> Result<Normalized<Self::Ack>, ApiError> {
        if !self.1.fixed.load(Ordering::SeqCst) {
            return Err(ApiError::bad_request(
                "invalid_field",
                "data.cost_details.currency: not one this build can place",
            ));
        }
        let mut n = self.0.normalize(delivery)?;
        if self.1.noted.load(Ordering::SeqCst) {
            if let Some(order) = n.change.as_mut().and_then(|c| c.order.as_mut()) {
                order.notes = Some("mapped by v2".into());
            }
        }
        Ok(n)
    }

    fn quarantine(&self, delivery: &Delivery<'_>, reason: &ApiError) -> Quarantine<Self::Ack> {
        self.0.quarantine(delivery, reason)
    }
}

fn double(mapping: &Mapping) -> Double {
    Double(OlaClick::new(olaclick::Config::sample()), mapping.clone())
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn reprocess(stack: &Stack, mapping: &Mapping, selection: Selection) -> Vec<Line> {
    let clients = Clients {
        store: stack.store(),
        blobs: stack.blobs(),
    };
    reprocess::read_again(double(mapping), clients, &selection)
        .await
        .unwrap()
}

#[tokio::test]
async fn quarantine_alarm_fix_reprocess_and_a_later_mapping_change() {
    let metrics = Captured::default();
    ordergate_shared::metrics::set_writer(Box::new(metrics.clone()));
    let stack = Stack::new().await;
    let mapping = Mapping::default();
    let rx = stack.pipeline(
        double(&mapping),
        ordergate_testkit::local_secret("OlaClickSecret"),
    );

    // 1. Quarantined: kept, answered 422, counted, nothing to acknowledge yet.
    let r = rx.handle(request(&api_event_json(CREATED))).await;
    assert_eq!(r.status(), 422, "{}", json_body(&r));
    let quarantined_key = format!("quarantined:{EVENT_ID}");
    let kept = stack
        .store()
        .event("olaclick", &quarantined_key)
        .await
        .unwrap()
        .expect("kept");
    assert!(kept.event.quarantined.unwrap().starts_with("invalid_field"));
    let emf: Vec<Value> = String::from_utf8(metrics.0.lock().unwrap().clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        emf.iter()
            .any(|l| l["provider"] == "olaclick" && l["Quarantined"] == 1.0),
        "the metric QuarantinedAlarm watches: {emf:?}"
    );
    assert_eq!(stack.queue_depth().await, 0);

    // 2. Nothing changes while the mapping still cannot read it.
    let lines = reprocess(&stack, &mapping, Selection::Quarantined).await;
    assert!(
        matches!(
            &lines[0].outcome,
            Outcome::Done(Reprocessed::StillQuarantined { .. })
        ),
        "{lines:?}"
    );
    assert!(stack
        .store()
        .order("olaclick", ORDER_ID)
        .await
        .unwrap()
        .state
        .is_none());

    // 3. Fixed, reprocessed: the order as its live delivery would have made it.
    mapping.fixed.store(true, Ordering::SeqCst);
    let lines = reprocess(&stack, &mapping, Selection::Quarantined).await;
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].event_key, quarantined_key);
    assert_eq!(
        lines[0].outcome,
        Outcome::Done(Reprocessed::Stored {
            event_key: EVENT_ID.into()
        })
    );
    let view = stack.store().order("olaclick", ORDER_ID).await.unwrap();
    let state = view.state.expect("the order exists now");
    assert_eq!(state.status, OrderStatus::Placed);
    assert_eq!(view.trail.len(), 2, "the quarantined delivery and its reading");
    let stored = stack.store().event("olaclick", EVENT_ID).await.unwrap().unwrap();
    assert_eq!(
        stored.event.received_at, kept.event.received_at,
        "at its original arrival"
    );
    assert_eq!(stack.queue_depth().await, 1, "its job, through the outbox");
    let marked = stack
        .store()
        .event("olaclick", &quarantined_key)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(marked.reprocessed_as.as_deref(), Some(EVENT_ID));

    // 4. Idempotent: nothing quarantined is left; naming it again changes nothing.
    assert!(reprocess(&stack, &mapping, Selection::Quarantined)
        .await
        .is_empty());
    let again = reprocess(&stack, &mapping, Selection::Event(quarantined_key.clone())).await;
    assert!(matches!(&again[0].outcome, Outcome::Skipped { .. }), "{again:?}");
    // The platform's own retry of the same event is now a duplicate of the reading.
    let retry = rx.handle(request(&api_event_json(CREATED))).await;
    assert_eq!(retry.status(), 200);
    assert_eq!(retry.headers()["x-ordergate-duplicate"], "true");

    // 5. A mapping change reaches the stored order: rewritten in place, state updated.
    mapping.noted.store(true, Ordering::SeqCst);
    let lines = reprocess(&stack, &mapping, Selection::Order(ORDER_ID.into())).await;
    let rewritten: Vec<&Outcome> = lines.iter().map(|l| &l.outcome).collect();
    assert!(
        rewritten.contains(&&Outcome::Done(Reprocessed::Rewritten {
            event_key: EVENT_ID.into(),
            state_applied: true
        })),
        "{lines:?}"
    );
    let order = ordergate_testkit::stored_order(&stack.store(), "olaclick", ORDER_ID).await;
    assert_eq!(order.notes.as_deref(), Some("mapped by v2"));
    let again = reprocess(&stack, &mapping, Selection::Order(ORDER_ID.into())).await;
    assert!(
        again.iter().any(|l| l.outcome
            == Outcome::Done(Reprocessed::Unchanged {
                event_key: EVENT_ID.into()
            })),
        "{again:?}"
    );
    assert_eq!(stack.queue_depth().await, 1, "still one job");
}
