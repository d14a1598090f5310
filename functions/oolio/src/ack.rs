//! Oolio acknowledgements (the ack worker's side): Svix took the receiver's 2xx as the
//! acknowledgement, so the job only marks the event processed.

use ordergate_shared::job::AckJob;
use ordergate_shared::secrets::{SecretKeys, SecretSource};
use ordergate_shared::worker::{AckError, Acked, Acknowledge};

use crate::job::Ack;

/// Oolio's acknowledgement is the 2xx: the worker never calls its API.
pub const API_SECRET: SecretKeys = SecretKeys::plain(&[]);

#[derive(Debug, Default)]
pub struct OolioAck;

impl Acknowledge for OolioAck {
    /// Nothing to call, so no credentials.
    fn from_env(_api_secrets: SecretSource) -> Result<Self, ordergate_shared::config::ConfigError> {
        Ok(OolioAck)
    }

    async fn acknowledge(&self, job: &AckJob) -> Result<Acked, AckError> {
        let Ack::MarkProcessed = job.ack_as()?;
        Ok(Acked::note("acknowledged to Svix by the 2xx response"))
    }
}
