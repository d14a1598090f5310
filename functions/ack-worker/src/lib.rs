//! The ack worker: every platform's callback client behind one dispatch on `job.provider`.

use ordergate_shared::job::AckJob;
use ordergate_shared::secrets::SecretSource;
use ordergate_shared::store::DynamoStore;
use ordergate_shared::worker::{AckError, Acked, Platforms, SqsRedelivery, Worker};
use ordergate_shared::Provider;

pub struct AllPlatforms {
    pub olaclick: olaclick::ack::OlaClickAck,
    pub deliverect: deliverect::ack::DeliverectAck,
    pub ordatic: ordatic::ack::OrdaticAck,
    pub oolio: oolio::ack::OolioAck,
}

impl AllPlatforms {
    /// Each platform's API settings and API credentials from the environment (see
    /// template.yaml): `<PLATFORM>_API_SECRET_ID`, a secret of its own that the receivers
    /// cannot read (they hold only the webhook verification secrets).
    pub fn from_env(sdk: &aws_config::SdkConfig) -> Result<Self, String> {
        let secrets = |name: &str| SecretSource::from_env(&format!("{}_API", name.to_uppercase()), sdk);
        Ok(AllPlatforms {
            olaclick: olaclick::ack::OlaClickAck::from_env(secrets(olaclick::OlaClick::NAME)?),
            deliverect: deliverect::ack::DeliverectAck::from_env(secrets(deliverect::Deliverect::NAME)?),
            ordatic: ordatic::ack::OrdaticAck::from_env(secrets(ordatic::Ordatic::NAME)?)?,
            oolio: oolio::ack::OolioAck,
        })
    }
}

impl Platforms for AllPlatforms {
    async fn acknowledge(&self, job: &AckJob) -> Result<Acked, AckError> {
        match job.provider.as_str() {
            olaclick::OlaClick::NAME => self.olaclick.acknowledge(job).await,
            deliverect::Deliverect::NAME => self.deliverect.acknowledge(job).await,
            ordatic::Ordatic::NAME => self.ordatic.acknowledge(job).await,
            oolio::Oolio::NAME => self.oolio.acknowledge(job).await,
            other => Err(AckError::Permanent(format!("no platform named '{other}'"))),
        }
    }
}

/// The worker as deployed: DynamoDB, SQS for back-off, every platform; clients from `sdk`.
pub fn from_env(sdk: &aws_config::SdkConfig) -> Result<Worker<DynamoStore, AllPlatforms>, String> {
    let store = DynamoStore::new(
        aws_sdk_dynamodb::Client::new(sdk),
        ordergate_shared::config::required("TABLE_NAME")?,
    )
    .with_order_ttl(ordergate_shared::Limits::from_env()?.order_ttl);
    let redelivery = SqsRedelivery::new(
        aws_sdk_sqs::Client::new(sdk),
        ordergate_shared::config::required("QUEUE_URL")?,
    );
    Ok(Worker::new(store, AllPlatforms::from_env(sdk)?, Some(redelivery)))
}
