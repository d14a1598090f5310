//! The table is the outbox: a committed event always gets exactly one
//! acknowledgement job, whatever becomes of the receiver after the commit, because the job
//! is written in the same transaction and relayed from the table's stream
//! (`functions/publisher/src/relay.rs`, driven here as its event source mapping would).

use std::time::Duration;

use ordergate_shared::store::{AckStatus, EventStore};
use ordergate_shared::Limits;
use ordergate_testkit::request;
use ordergate_tests::faults::{Fault, Faults, Step};
use ordergate_tests::platforms::{name, signed_sample, TestPlatform};
use ordergate_tests::{per_platform, Stack};

per_platform!(a_receiver_killed_right_after_the_commit_still_gets_exactly_one_job);

/// The receiver's DynamoDB write is applied and then the receiver dies before it hears
/// back (its task is aborted while the call hangs): no answer, nothing after the commit
/// ran. The relay still puts the job on the queue, once; the platform's retry (if it
/// retries: Deliverect does not retry a 500) is a duplicate and adds no second job.
async fn a_receiver_killed_right_after_the_commit_still_gets_exactly_one_job<P: TestPlatform>() {
    let stack = Stack::new().await;
    let faults = Faults::default();
    let rx = std::sync::Arc::new(stack.pipeline_with(
        &faults.wrap(&stack.sdk),
        P::provider(),
        P::secrets(),
        Limits::default(),
    ));
    let event = signed_sample::<P>(P::LIFECYCLE[0]);
    faults.break_step(Step::StoreWrite, Fault::Dies);
    let receiver = tokio::spawn({
        let (rx, event) = (rx.clone(), event.clone());
        async move { rx.handle(request(&event)).await }
    });
    let mut waited = Duration::ZERO;
    while stack.event_records().await == 0 {
        assert!(waited < Duration::from_secs(10), "the write never landed");
        tokio::time::sleep(Duration::from_millis(20)).await;
        waited += Duration::from_millis(20);
    }
    assert!(
        !receiver.is_finished(),
        "killed between the commit and its answer"
    );
    receiver.abort();
    assert!(receiver.await.unwrap_err().is_cancelled());
    faults.heal();

    assert_eq!(
        stack.queue_depth().await,
        1,
        "{}: the outbox sent the job",
        name::<P>()
    );
    let retry = rx.handle(request(&event)).await;
    assert_eq!(retry.status(), 200);
    assert_eq!(retry.headers()["x-ordergate-duplicate"], "true");
    assert_eq!(stack.queue_depth().await, 1, "{}: exactly one job", name::<P>());
    let job = &stack.receive_jobs().await[0];
    let stored = stack
        .store()
        .event(name::<P>(), &job.event_key.0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.ack.status, AckStatus::Pending, "the worker has it to do");
    assert_eq!(stored.job.as_ref(), Some(job), "the job as committed");
}

/// The relay's own send failing every way (refused, a 500, applied with the answer lost):
/// the batch is reported failed from that record (Lambda retries it), and once SQS answers
/// again the queue holds the job exactly once.
#[tokio::test]
async fn the_relay_retries_until_the_queue_takes_the_job_once() {
    use ordergate_tests::platforms::Deliverect;
    let stack = Stack::new().await;
    let rx = stack.pipeline(Deliverect::provider(), Deliverect::secrets());
    assert_eq!(
        rx.handle(request(&signed_sample::<Deliverect>(Deliverect::LIFECYCLE[0])))
            .await
            .status(),
        200
    );
    let records = stack.outbox_records().await;
    assert_eq!(records.len(), 1, "one new pending event on the stream");
    for fault in [Fault::Refused, Fault::ServerError, Fault::AnswerLost] {
        let faults = Faults::default();
        let queue = ordergate_shared::queue::SqsQueue::new(
            aws_sdk_sqs::Client::new(&faults.wrap(&stack.sdk)),
            &stack.queue_url,
        );
        faults.break_step(Step::Enqueue, fault);
        let failed_at = publisher::relay::relay(&queue, &stack.store(), &records).await;
        assert_eq!(
            failed_at.as_deref(),
            records[0]["dynamodb"]["SequenceNumber"].as_str(),
            "{fault:?}: retried from the record"
        );
        faults.heal();
        assert_eq!(
            publisher::relay::relay(&queue, &stack.store(), &records).await,
            None,
            "{fault:?}"
        );
    }
    assert_eq!(stack.queue_depth().await, 1, "one job, however many sends");
}

/// The real queue, except that it refuses for good (as SQS does a message whose content it
/// cannot take) the jobs of events whose key holds `marker`.
struct Refusing {
    queue: ordergate_shared::queue::SqsQueue,
    marker: &'static str,
}

impl ordergate_shared::queue::JobQueue for Refusing {
    async fn enqueue(
        &self,
        job: &ordergate_shared::job::AckJob,
    ) -> Result<(), ordergate_shared::queue::QueueError> {
        self.queue.enqueue(job).await
    }

    async fn enqueue_all(&self, jobs: &[ordergate_shared::job::AckJob]) -> ordergate_shared::queue::Sent {
        use ordergate_shared::queue::{Refused, Sent};
        let (bad, good): (Vec<_>, Vec<_>) = jobs
            .iter()
            .enumerate()
            .partition(|(_, j)| j.event_key.0.contains(self.marker));
        let good_jobs: Vec<_> = good.iter().map(|(_, j)| (*j).clone()).collect();
        let sent = self.queue.enqueue_all(&good_jobs).await;
        assert!(sent.failed_at.is_none() && sent.refused.is_empty());
        Sent {
            refused: bad
                .into_iter()
                .map(|(index, _)| Refused {
                    index,
                    reason: "InvalidMessageContents: the message contains characters outside the allowed set"
                        .into(),
                })
                .collect(),
            failed_at: None,
        }
    }
}

/// A job the queue refuses for good (its content: the sender's fault) is not retried in
/// front of the others: it is recorded `failed` on its event with the queue's reason
/// (`ordergate event` shows it), counted, and the jobs around it reach the queue.
#[tokio::test]
async fn a_job_the_queue_refuses_for_good_holds_up_none_of_the_others() {
    use ordergate_tests::platforms::{distinct, OlaClick};
    let stack = Stack::new().await;
    let rx = stack.pipeline(OlaClick::provider(), OlaClick::secrets());
    let mut keys = Vec::new();
    for tag in ["first", "refused", "third"] {
        let (event, _) = distinct::<OlaClick>(OlaClick::LIFECYCLE[0], tag);
        let answer = rx.handle(request(&event)).await;
        assert_eq!(answer.status(), 200);
        keys.push(
            ordergate_testkit::json_body(&answer)["event_id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let marker: &'static str = Box::leak(keys[1].clone().into_boxed_str());
    let refusing = Refusing {
        queue: stack.queue(),
        marker,
    };
    let records = stack.outbox_records().await;
    assert_eq!(records.len(), 3);
    let publisher_sdk = stack.function_sdk(ordergate_tests::iam::PUBLISHER);
    let store = ordergate_shared::store::DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&publisher_sdk),
        &stack.table,
    );
    assert_eq!(
        publisher::relay::relay(&refusing, &store, &records).await,
        None,
        "nothing to retry: the refusal is final"
    );
    let depth = ordergate_tests::depth(&stack.sqs(), &stack.queue_url).await;
    assert_eq!(depth, 2, "the jobs around it are on the queue");
    let refused = stack.stored("olaclick", &keys[1]).await.ack;
    assert_eq!(refused.status, AckStatus::Failed);
    assert!(refused
        .message
        .unwrap()
        .starts_with("not queued: InvalidMessageContents"));
    for key in [&keys[0], &keys[2]] {
        assert_eq!(stack.stored("olaclick", key).await.ack.status, AckStatus::Pending);
    }
}

/// The relay lost a job (here: it never ran). The sweep finds it once it has waited the
/// window, queues it, re-stamps it so that the next sweep does
/// not send it again, and leaves jobs a worker claimed alone.
#[tokio::test]
async fn the_sweep_queues_again_a_job_the_relay_lost() {
    use ordergate_tests::platforms::{distinct, OlaClick};
    let stack = Stack::new().await;
    let rx = stack.pipeline(OlaClick::provider(), OlaClick::secrets());
    for tag in ["lost", "claimed"] {
        let (event, _) = distinct::<OlaClick>(OlaClick::LIFECYCLE[0], tag);
        assert_eq!(rx.handle(request(&event)).await.status(), 200);
    }
    let sdk = stack.function_sdk(ordergate_tests::iam::PUBLISHER);
    let store = ordergate_shared::store::DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), &stack.table);
    let queue = ordergate_shared::queue::SqsQueue::new(aws_sdk_sqs::Client::new(&sdk), &stack.queue_url);
    let window = Duration::from_secs(3600);
    let (queue, store) = (&queue, &store);
    let sweep = |minutes: i64| {
        let now = chrono::Utc::now() + chrono::Duration::minutes(minutes);
        async move {
            let swept = publisher::sweep::sweep(queue, store, window, now).await;
            swept.map_err(|e| e.to_string())
        }
    };
    assert_eq!(sweep(0).await, Ok(0), "not yet past the window");
    // A worker claims the second job (its copy relayed, acknowledged) but not the first.
    let claimed = stack.stored("olaclick", "evt-claimed").await.job.unwrap();
    let now = chrono::Utc::now();
    stack
        .store()
        .claim_ack(&claimed, now, Duration::from_secs(60))
        .await
        .unwrap();

    assert_eq!(sweep(61).await, Ok(1), "the lost one, once past the window");
    let queued = stack.queued_jobs().await;
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].event_key.0, "evt-lost");
    assert_eq!(sweep(62).await, Ok(0), "re-stamped: not sent again at once");
    assert_eq!(
        sweep(125).await,
        Ok(1),
        "still unclaimed a window later: sent again"
    );
    stack
        .store()
        .claim_ack(&queued[0], now, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(sweep(300).await, Ok(0), "claimed: never again");
}

/// The job carries the X-Ray trace of the invocation that stored it onto the queue (its
/// message also sets it as `AWSTraceHeader`, unit-tested in `shared/src/queue/sqs.rs`:
/// the emulator drops a batch's system attributes), for the worker's log and trace.
#[tokio::test]
async fn a_job_carries_its_receivers_trace_to_the_queue() {
    use ordergate_tests::platforms::{distinct, OlaClick};
    let trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
    let stack = Stack::new().await;
    let rx = stack.pipeline(OlaClick::provider(), OlaClick::secrets());
    let (event, _) = distinct::<OlaClick>(OlaClick::LIFECYCLE[0], "traced");
    // What the Lambda runtime sets for each invocation. No other test of this binary
    // asserts on a job's trace.
    std::env::set_var("_X_AMZN_TRACE_ID", trace);
    let answer = rx.handle(request(&event)).await;
    std::env::remove_var("_X_AMZN_TRACE_ID");
    assert_eq!(answer.status(), 200);
    let stored = stack.stored("olaclick", "evt-traced").await;
    assert_eq!(stored.job.unwrap().trace.as_deref(), Some(trace));
    let queued = stack.receive_jobs().await;
    assert_eq!(queued[0].trace.as_deref(), Some(trace));
}
