//! Acknowledgements outlast a platform outage: the ack queue's redrive policy
//! (maxReceiveCount, read from template.yaml) and the worker's back-off schedule together
//! keep a job out of the dead-letter queue for at least `OUTAGE_BUDGET` (6 h).
//!
//! The queue is simulated on an injected clock (no sleeping): SQS's receive counting,
//! visibility and dead-lettering as AWS documents them; the worker and its DynamoDB store
//! are the real ones (against the emulator), and the platform is a fake that is down until
//! a given time. Also: `Retry-After` is honoured, a job that cannot finish before the
//! invocation's deadline is handed back at once without being started, and a slow platform
//! does not hold up another platform's jobs in the same batch.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
use chrono::{DateTime, Utc};
use ordergate_shared::job::AckJob;
use ordergate_shared::store::{DynamoStore, EventStore};
use ordergate_shared::worker::{AckError, Acked, Callbacks, Reason, Redelivery, Worker, OUTAGE_BUDGET};
use ordergate_tests::platforms::{distinct, Deliverect, Oolio, TestPlatform};
use ordergate_tests::{ack_queue_settings, Stack};

/// Seconds since the simulation started, shared by the worker's clock and the queue.
#[derive(Clone, Default)]
struct SimClock(Arc<AtomicI64>);

impl SimClock {
    fn start() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-25T00:00:00Z")
            .unwrap()
            .to_utc()
    }
    fn now(&self) -> DateTime<Utc> {
        Self::start() + chrono::Duration::milliseconds(self.0.load(Ordering::SeqCst))
    }
    fn elapsed(&self) -> Duration {
        Duration::from_millis(self.0.load(Ordering::SeqCst) as u64)
    }
    fn advance_to(&self, at: DateTime<Utc>) {
        let ms = (at - Self::start()).num_milliseconds();
        self.0.fetch_max(ms, Ordering::SeqCst);
    }
    fn advance(&self, by: Duration) {
        self.0.fetch_add(by.as_millis() as i64, Ordering::SeqCst);
    }
    fn clock(&self) -> ordergate_shared::worker::Clock {
        let me = self.clone();
        Arc::new(move || me.now())
    }
}

/// One message of the simulated FIFO queue.
struct Message {
    id: String,
    job: AckJob,
    receives: u32,
    visible_at: DateTime<Utc>,
}

/// An SQS FIFO queue with a redrive policy, on the simulated clock.
struct SimQueue {
    clock: SimClock,
    max_receives: u32,
    visibility: Duration,
    live: Mutex<Vec<Message>>,
    dead: Mutex<Vec<String>>,
    delays: Mutex<Vec<(String, Duration)>>,
}

impl SimQueue {
    fn new(clock: &SimClock, jobs: Vec<AckJob>) -> Arc<SimQueue> {
        let (max_receives, visibility) = ack_queue_settings();
        let live = jobs
            .into_iter()
            .enumerate()
            .map(|(i, job)| Message {
                id: format!("m{i}"),
                job,
                receives: 0,
                visible_at: clock.now(),
            })
            .collect();
        Arc::new(SimQueue {
            clock: clock.clone(),
            max_receives,
            visibility,
            live: Mutex::new(live),
            dead: Mutex::default(),
            delays: Mutex::default(),
        })
    }

    /// Waits (on the simulated clock) for the next visible messages and receives up to 10,
    /// as the Lambda event source mapping does; a message received more than
    /// maxReceiveCount times goes to the dead-letter queue instead. None when empty.
    fn receive(&self) -> Option<SqsEvent> {
        let mut live = self.live.lock().unwrap();
        let next = live.iter().map(|m| m.visible_at).min()?;
        self.clock.advance_to(next);
        let now = self.clock.now();
        let mut event = SqsEvent::default();
        let mut dead = Vec::new();
        for m in live.iter_mut().filter(|m| m.visible_at <= now).take(10) {
            m.receives += 1;
            if m.receives > self.max_receives {
                dead.push(m.id.clone());
                continue;
            }
            m.visible_at = now + chrono::Duration::from_std(self.visibility).unwrap();
            let mut record = SqsMessage::default();
            record.message_id = Some(m.id.clone());
            record.receipt_handle = Some(m.id.clone());
            record.body = Some(serde_json::to_string(&m.job).unwrap());
            record.attributes = HashMap::from([
                ("ApproximateReceiveCount".to_owned(), m.receives.to_string()),
                ("MessageGroupId".to_owned(), m.job.group_id()),
            ]);
            event.records.push(record);
        }
        live.retain(|m| !dead.contains(&m.id));
        self.dead.lock().unwrap().extend(dead);
        Some(event)
    }

    /// The event source mapping deletes what the batch response does not list.
    fn delete_succeeded(&self, event: &SqsEvent, failed: &[String]) {
        let done: Vec<&String> = event
            .records
            .iter()
            .filter_map(|r| r.message_id.as_ref())
            .filter(|id| !failed.contains(id))
            .collect();
        self.live.lock().unwrap().retain(|m| !done.contains(&&m.id));
    }
}

/// `ChangeMessageVisibility` on the simulated queue.
struct SimRedelivery(Arc<SimQueue>);

impl Redelivery for SimRedelivery {
    async fn redeliver_after(&self, receipt: &str, delay: Duration) {
        let q = &self.0;
        q.delays.lock().unwrap().push((receipt.to_owned(), delay));
        let at = q.clock.now() + chrono::Duration::from_std(delay).unwrap();
        for m in q.live.lock().unwrap().iter_mut().filter(|m| m.id == receipt) {
            m.visible_at = at;
        }
    }
}

/// A platform that is down until `back_at`, answering with `Retry-After` if given; each
/// call takes `takes` of simulated time.
struct Outage {
    clock: SimClock,
    back_at: DateTime<Utc>,
    retry_after: Option<Duration>,
    takes: Duration,
    calls: AtomicUsize,
}

impl Callbacks for Outage {
    async fn acknowledge(&self, _job: &AckJob) -> Result<Acked, AckError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.clock.advance(self.takes);
        if self.clock.now() >= self.back_at {
            return Ok(Acked::note("accepted"));
        }
        let reason = Reason::http("deliverect accept", 503, "");
        Err(match self.retry_after {
            Some(after) => AckError::Later { reason, after },
            None => AckError::Retry(reason),
        })
    }
}

/// Stored Deliverect orders on `stack`, and their jobs.
async fn stored_jobs(stack: &Stack, n: usize) -> Vec<AckJob> {
    let rx = stack.pipeline(Deliverect::provider(), Deliverect::secrets());
    for i in 0..n {
        let (event, _) = distinct::<Deliverect>(Deliverect::LIFECYCLE[0], &format!("outage{i}"));
        assert_eq!(rx.handle(ordergate_testkit::request(&event)).await.status(), 200);
    }
    stack.receive_jobs().await
}

fn outage(clock: &SimClock, down_for: Duration, retry_after: Option<Duration>) -> Outage {
    Outage {
        clock: clock.clone(),
        back_at: clock.now() + chrono::Duration::from_std(down_for).unwrap(),
        retry_after,
        takes: Duration::from_millis(200),
        calls: AtomicUsize::new(0),
    }
}

fn worker(
    stack: &Stack,
    clock: &SimClock,
    queue: &Arc<SimQueue>,
    platform: Outage,
) -> Worker<DynamoStore, Outage, SimRedelivery> {
    let mut w = Worker::new(stack.store(), platform, Some(SimRedelivery(queue.clone())));
    w.clock = clock.clock();
    w
}

/// Runs the event source mapping until the queue is empty; the deadline of each
/// invocation is the worker's timeout from template.yaml (60 s).
async fn drain(queue: &SimQueue, w: &Worker<DynamoStore, Outage, SimRedelivery>) {
    while let Some(event) = queue.receive() {
        if event.records.is_empty() {
            continue;
        }
        let deadline = queue.clock.now() + chrono::Duration::seconds(60);
        let response = w.handle_until(event.clone(), Some(deadline)).await;
        let failed: Vec<String> = response
            .batch_item_failures
            .into_iter()
            .map(|f| f.item_identifier)
            .collect();
        queue.delete_succeeded(&event, &failed);
    }
}

async fn ack_status(stack: &Stack, job: &AckJob) -> String {
    let e = stack
        .store()
        .event("deliverect", &job.event_key.0)
        .await
        .unwrap()
        .unwrap();
    e.ack.status.to_string()
}

#[tokio::test]
async fn a_six_hour_outage_is_survived_and_a_longer_one_dead_letters_no_sooner() {
    let stack = Stack::new().await;
    let jobs = stored_jobs(&stack, 1).await;

    let clock = SimClock::default();
    let queue = SimQueue::new(&clock, jobs.clone());
    let platform = outage(&clock, OUTAGE_BUDGET, None);
    let w = worker(&stack, &clock, &queue, platform);
    drain(&queue, &w).await;
    assert!(
        queue.dead.lock().unwrap().is_empty(),
        "dead-lettered during a 6 h outage"
    );
    assert_eq!(ack_status(&stack, &jobs[0]).await, "acked");
    let (max, _) = ack_queue_settings();
    let calls = w_calls(&w);
    eprintln!(
        "6 h outage: acknowledged after {:.1} h, {calls} calls (maxReceiveCount {max})",
        clock.elapsed().as_secs_f64() / 3600.0
    );

    // Down for good: the job reaches the DLQ, but not before the budget is spent.
    let stack = Stack::new().await;
    let jobs = stored_jobs(&stack, 1).await;
    let clock = SimClock::default();
    let queue = SimQueue::new(&clock, jobs.clone());
    let w = worker(
        &stack,
        &clock,
        &queue,
        outage(&clock, Duration::from_secs(7 * 24 * 3600), None),
    );
    drain(&queue, &w).await;
    assert_eq!(queue.dead.lock().unwrap().len(), 1);
    assert!(
        clock.elapsed() >= OUTAGE_BUDGET,
        "dead-lettered after only {:?}",
        clock.elapsed()
    );
    assert_eq!(w_calls(&w), max as usize, "one call per receive");
    assert_eq!(ack_status(&stack, &jobs[0]).await, "retrying");
    eprintln!(
        "permanent outage: dead-lettered after {:.1} h",
        clock.elapsed().as_secs_f64() / 3600.0
    );
}

fn w_calls(w: &Worker<DynamoStore, Outage, SimRedelivery>) -> usize {
    w.platforms().calls.load(Ordering::SeqCst)
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let stack = Stack::new().await;
    let jobs = stored_jobs(&stack, 1).await;
    let clock = SimClock::default();
    let queue = SimQueue::new(&clock, jobs);
    let asked = Duration::from_secs(2 * 3600);
    let w = worker(
        &stack,
        &clock,
        &queue,
        outage(&clock, Duration::from_secs(3600), Some(asked)),
    );
    drain(&queue, &w).await;
    let delays = queue.delays.lock().unwrap().clone();
    assert_eq!(delays.len(), 1, "{delays:?}");
    assert!(delays[0].1 >= asked, "asked for {asked:?}, waited {delays:?}");
    assert_eq!(
        w_calls(&w),
        2,
        "called again only after the platform's Retry-After"
    );
}

#[tokio::test]
async fn jobs_that_cannot_finish_before_the_deadline_are_handed_back_unstarted() {
    let stack = Stack::new().await;
    // Ten jobs in one FIFO group (as one busy order's would be), each call taking 8 s of
    // the invocation's 60 s: they must run one after the other.
    let jobs = stored_jobs(&stack, 10).await;
    let clock = SimClock::default();
    let queue = SimQueue::new(&clock, jobs);
    let mut platform = outage(&clock, Duration::ZERO, None);
    platform.takes = Duration::from_secs(8);
    let w = worker(&stack, &clock, &queue, platform);
    let mut event = queue.receive().unwrap();
    assert_eq!(event.records.len(), 10);
    for r in &mut event.records {
        r.attributes.insert("MessageGroupId".into(), "one-order".into());
    }
    let deadline = clock.now() + chrono::Duration::seconds(60);
    let response = w.handle_until(event, Some(deadline)).await;
    let handed_back = response.batch_item_failures.len();
    let started = w_calls(&w);
    assert_eq!(started + handed_back, 10);
    assert!(
        handed_back > 0 && started > 0,
        "started {started}, handed back {handed_back}"
    );
    assert!(clock.now() <= deadline, "the invocation ended by its deadline");
    let delays = queue.delays.lock().unwrap().clone();
    assert_eq!(delays.len(), handed_back);
    assert!(
        delays.iter().all(|(_, d)| d.is_zero()),
        "handed back for immediate redelivery: {delays:?}"
    );
    let handed: Vec<_> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    let expected: Vec<String> = (started..10).map(|i| format!("m{i}")).collect();
    assert_eq!(handed, expected, "the group's tail, in order");
}

/// Deliverect is down and its calls hang until Oolio's job has been acknowledged: if the
/// worker ran the batch's jobs one after the other (Deliverect's first), they would wait
/// for a job that cannot start, and time out.
struct Hanging {
    oolio_acked: tokio::sync::watch::Sender<bool>,
    waited_for_oolio: AtomicUsize,
}

impl Callbacks for Hanging {
    async fn acknowledge(&self, job: &AckJob) -> Result<Acked, AckError> {
        if job.provider == "oolio" {
            self.oolio_acked.send_replace(true);
            return Ok(Acked::note("processed"));
        }
        let mut acked = self.oolio_acked.subscribe();
        if tokio::time::timeout(Duration::from_secs(10), acked.wait_for(|done| *done))
            .await
            .is_ok()
        {
            self.waited_for_oolio.fetch_add(1, Ordering::SeqCst);
        }
        Err(AckError::Retry("deliverect accept: timed out".into()))
    }
}

#[tokio::test]
async fn a_platform_that_is_down_does_not_hold_up_another_platforms_jobs() {
    let stack = Stack::new().await;
    let mut jobs = stored_jobs(&stack, 3).await;
    let oolio = stack.pipeline(Oolio::provider(), Oolio::secrets());
    let (event, _) = distinct::<Oolio>(Oolio::LIFECYCLE[0], "fast");
    assert_eq!(
        oolio.handle(ordergate_testkit::request(&event)).await.status(),
        200
    );
    jobs = [jobs, stack.receive_jobs().await].concat();
    // Deliverect's jobs first in the batch: the Oolio job must not wait behind them.
    let hanging = Hanging {
        oolio_acked: tokio::sync::watch::channel(false).0,
        waited_for_oolio: AtomicUsize::new(0),
    };
    let w = Worker::<_, _, SimRedelivery>::new(stack.store(), hanging, None);
    let mut batch = SqsEvent::default();
    for (i, job) in jobs.iter().enumerate() {
        let mut record = SqsMessage::default();
        record.message_id = Some(format!("m{i}"));
        record.body = Some(serde_json::to_string(job).unwrap());
        record.attributes = HashMap::from([("MessageGroupId".to_owned(), job.group_id())]);
        batch.records.push(record);
    }
    let response = w.handle(batch).await;
    let failed: Vec<_> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    assert_eq!(
        failed,
        ["m0", "m1", "m2"],
        "the platform that is down has its jobs retried"
    );
    assert_eq!(
        w.platforms().waited_for_oolio.load(Ordering::SeqCst),
        3,
        "Oolio's job ran while Deliverect's calls were hanging"
    );
    let oolio_job = jobs.last().unwrap();
    let e = stack
        .store()
        .event("oolio", &oolio_job.event_key.0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(e.ack.status.as_str(), "acked");
}
