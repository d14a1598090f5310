//! The ack worker: every platform's callback client behind one dispatch on `job.provider`,
//! both derived from the platform list (`ordergate_platforms::for_each!`).

use chrono::{DateTime, Utc};
use ordergate_platforms as platforms;
use ordergate_shared::command::{CommandError, StatusCommand, Submitted};
use ordergate_shared::job::AckJob;
use ordergate_shared::secrets::{SecretKind, SecretSource};
use ordergate_shared::store::{DynamoStore, EventStore};
use ordergate_shared::worker::{AckError, Acked, Acknowledge, Callbacks, SqsRedelivery, Worker};
use ordergate_shared::Limits;
use ordergate_shared::Provider;

macro_rules! all_platforms {
    ([] $($variant:ident $krate:ident $provider:ident $signer:ident $ack:ident;)*) => {
        /// Every platform's acknowledging side, one field per platform (named after its crate).
        pub struct AllPlatforms {
            $(pub $krate: platforms::$krate::ack::$ack,)*
        }

        impl AllPlatforms {
            /// Each platform's API settings and API credentials from the environment (see
            /// template.yaml): `<PLATFORM>_API_SECRET_ID`, a secret of its own that the
            /// receivers cannot read (they hold only the webhook verification secrets).
            pub fn from_env(sdk: &aws_config::SdkConfig) -> Result<Self, ordergate_shared::config::ConfigError> {
                let secrets = |name: &str| SecretSource::from_env(name, SecretKind::Api, sdk);
                Ok(AllPlatforms {
                    $($krate: Acknowledge::from_env(secrets(platforms::$krate::$provider::NAME)?)?,)*
                })
            }
        }

        impl Callbacks for AllPlatforms {
            async fn acknowledge(&self, job: &AckJob) -> Result<Acked, AckError> {
                match job.provider.as_str() {
                    $(platforms::$krate::$provider::NAME => self.$krate.acknowledge(job).await,)*
                    other => Err(AckError::Permanent(format!("no platform named '{other}'").into())),
                }
            }

            async fn submit<S: EventStore>(
                &self,
                store: &S,
                command: &StatusCommand,
                limits: &Limits,
                now: DateTime<Utc>,
            ) -> Result<Submitted, CommandError> {
                platforms::submit_command(store, command, limits, now).await
            }
        }
    };
}

platforms::for_each!(all_platforms);

/// The worker as deployed: DynamoDB, SQS for back-off, every platform; clients from `sdk`.
pub fn from_env(
    sdk: &aws_config::SdkConfig,
) -> Result<Worker<DynamoStore, AllPlatforms>, ordergate_shared::config::ConfigError> {
    let limits = Limits::from_env()?;
    let store = DynamoStore::new(
        aws_sdk_dynamodb::Client::new(sdk),
        ordergate_shared::config::required("TABLE_NAME")?,
    )
    .with_order_ttl(limits.order_ttl);
    let redelivery = SqsRedelivery::new(
        aws_sdk_sqs::Client::new(sdk),
        ordergate_shared::config::required("QUEUE_URL")?,
    );
    let mut worker = Worker::new(store, AllPlatforms::from_env(sdk)?, Some(redelivery));
    worker.limits = limits;
    Ok(worker)
}
