//! Oolio acknowledgements (the ack worker's side): Svix took the receiver's 2xx as the
//! acknowledgement, so the job only marks the event processed.

use ordergate_shared::job::AckJob;
use ordergate_shared::worker::{AckError, Acked};

use crate::job::Ack;

#[derive(Debug, Default)]
pub struct OolioAck;

impl OolioAck {
    pub async fn acknowledge(&self, job: &AckJob) -> Result<Acked, AckError> {
        let Ack::MarkProcessed = job.ack_as().map_err(AckError::Permanent)?;
        Ok(Acked::note("acknowledged to Svix by the 2xx response"))
    }
}
