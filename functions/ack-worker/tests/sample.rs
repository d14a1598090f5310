//! The SQS sample event (for `sam local invoke AckWorkerFunction`) is what the worker reads.

use aws_lambda_events::sqs::SqsEvent;
use ordergate_shared::job::AckJob;

#[test]
fn the_sample_batch_carries_a_readable_ack_job() {
    let path = ordergate_testkit::events_dir().join("ack-worker/sqs_batch.json");
    let event: SqsEvent = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(event.records.len(), 1);
    let job: AckJob = serde_json::from_str(event.records[0].body.as_deref().unwrap()).unwrap();
    assert_eq!(
        (job.provider.as_str(), job.ack["mode"].as_str()),
        ("olaclick", Some("sync"))
    );
    assert!(job.received_at.is_some());
    assert_eq!(event.records[0].attributes["MessageGroupId"], "olaclick");
}
