//! `ordergate reprocess`: stored deliveries read again with the code and configuration of
//! this build (and the platform's settings from the environment, as its function has them),
//! recorded as their live delivery would have been ([`Pipeline::reprocess`]): a quarantined
//! one stored under its real key (trail, state only forward, its job through the outbox),
//! another one's canonical reading replaced where it changed. Idempotent.

use clap::Args;
use ordergate_platforms as platforms;
use ordergate_shared::blob::{BlobStore, S3Blobs};
use ordergate_shared::model::RawBodyRef;
use ordergate_shared::secrets::{SecretSource, Secrets};
use ordergate_shared::store::{DynamoStore, EventFilter, EventStore, StoredEvent};
use ordergate_shared::{Limits, Pipeline, Provider, Reprocessed};
use serde::Serialize;

use crate::context::{done, BucketArg, CliError, Ctx, LocationArg, Output, TableArg};
use crate::platform::Platform;

/// Read stored deliveries again with this build's code and the platform's settings from
/// the environment (set them as the function has them): a quarantined delivery is stored
/// under its real key as its live delivery would have been (trail, order state only
/// forward, acknowledgement through the outbox); another one's canonical reading is
/// replaced where it changed. Reports each event. Safe to repeat.
#[derive(Args)]
#[command(
    after_help = "Examples:\n  ordergate reprocess deliverect --quarantined\n  ordergate reprocess olaclick --order PE-7222853393 --location 777\n  ordergate reprocess oolio --since 2026-11-24T00:00:00Z --until 2026-11-25T00:00:00Z"
)]
pub struct ReprocessArgs {
    pub platform: Platform,
    #[command(flatten)]
    pub select: Select,
    #[command(flatten)]
    pub location: LocationArg,
    /// End of the --since window (RFC 3339). Default: now.
    #[arg(long, requires = "since")]
    pub until: Option<String>,
    #[command(flatten)]
    pub table: TableArg,
    #[command(flatten)]
    pub bucket: BucketArg,
}

/// Which stored events `reprocess` reads again: exactly one of these.
#[derive(Args)]
#[group(required = true, multiple = false)]
pub struct Select {
    /// One event, by its event key.
    #[arg(long)]
    pub event: Option<String>,
    /// Every event on one order's trail, oldest first.
    #[arg(long)]
    pub order: Option<String>,
    /// Every quarantined event not read again yet.
    #[arg(long)]
    pub quarantined: bool,
    /// Every event received from this time (RFC 3339) until --until (default: now).
    #[arg(long)]
    pub since: Option<String>,
}

impl ReprocessArgs {
    pub async fn run(&self, ctx: &Ctx) -> Result<Output, CliError> {
        let clients = Clients {
            store: ctx.store(&self.table)?,
            blobs: S3Blobs::new(aws_sdk_s3::Client::new(&ctx.sdk), self.bucket.name(&ctx.stack)?),
        };
        let lines = with_platform(self.platform, clients, &self.selection()?).await?;
        let mut text: String = lines.iter().map(Line::text).collect();
        text.push_str(&format!("{} event(s)\n", lines.len()));
        done(text, &lines)
    }

    /// The selection; times are read as RFC 3339 and compared as stored (UTC).
    fn selection(&self) -> Result<Selection, CliError> {
        let utc = |t: &str| {
            chrono::DateTime::parse_from_rfc3339(t)
                .map(|t| t.with_timezone(&chrono::Utc).to_rfc3339())
                .map_err(|e| CliError::Usage(format!("'{t}' is not an RFC 3339 time: {e}")))
        };
        Ok(match &self.select {
            Select { event: Some(key), .. } => Selection::Event(key.clone()),
            Select { order: Some(id), .. } => Selection::Order(self.location.key(self.platform, id)?),
            Select {
                quarantined: true, ..
            } => Selection::Quarantined,
            Select {
                since: Some(since), ..
            } => Selection::Received {
                since: utc(since)?,
                until: (self.until.as_deref()).map_or_else(|| Ok(chrono::Utc::now().to_rfc3339()), utc)?,
            },
            _ => {
                return Err(CliError::Usage(
                    "choose --event, --order, --quarantined or --since".into(),
                ))
            }
        })
    }
}

/// [`read_again`] through `platform`'s provider, configured from the environment as its
/// function configures it.
macro_rules! with_platform {
    ([] $($variant:ident $krate:ident $provider:ident $signer:ident $ack:ident;)*) => {
        async fn with_platform(platform: Platform, clients: Clients, selection: &Selection) -> Result<Vec<Line>, String> {
            match platform {
                $(Platform::$variant => {
                    let provider = platforms::$krate::$provider::from_env()
                        .map_err(|e| format!("{} settings: {e}", platform.name()))?;
                    read_again(provider, clients, selection).await
                })*
            }
        }
    };
}

platforms::for_each!(with_platform);

/// Which stored deliveries to read again.
#[derive(Debug, Clone)]
pub enum Selection {
    Event(String),
    /// Every event on the order's trail, oldest first.
    Order(String),
    /// Every quarantined event not read again yet.
    Quarantined,
    /// Every event received in the window (RFC 3339, UTC).
    Received {
        since: String,
        until: String,
    },
}

/// The clients a reprocessing writes through (the receivers' own kinds).
pub struct Clients {
    pub store: DynamoStore,
    pub blobs: S3Blobs,
}

/// What became of one stored event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Line {
    pub event_key: String,
    #[serde(flatten)]
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Outcome {
    Done(Reprocessed),
    /// Not read again, and why (no record any more, body erased, already done).
    Skipped {
        skipped: String,
    },
}

impl Line {
    pub fn text(&self) -> String {
        let what = match &self.outcome {
            Outcome::Done(Reprocessed::Stored { event_key }) => format!("stored as {event_key}"),
            Outcome::Done(Reprocessed::Rewritten { state_applied, .. }) => {
                format!(
                    "rewritten{}",
                    if *state_applied {
                        ", order state updated"
                    } else {
                        ""
                    }
                )
            }
            Outcome::Done(Reprocessed::Unchanged { .. }) => "unchanged".to_owned(),
            Outcome::Done(Reprocessed::StillQuarantined { reason }) => format!("still quarantined: {reason}"),
            Outcome::Skipped { skipped } => format!("skipped: {skipped}"),
        };
        format!("{}: {what}\n", self.event_key)
    }
}

/// Reads `selection`'s stored events again through `provider`.
pub async fn read_again<P: Provider>(
    provider: P,
    clients: Clients,
    selection: &Selection,
) -> Result<Vec<Line>, String> {
    let secrets = SecretSource::fixed(Secrets::default());
    let limits = Limits::from_env().map_err(|e| e.to_string())?;
    let pipeline = Pipeline::new(provider, clients.store, clients.blobs, secrets, limits);
    let mut lines = Vec::new();
    for event_key in selected::<P>(pipeline.store(), selection).await? {
        let stored = pipeline
            .store()
            .event(P::NAME, &event_key)
            .await
            .map_err(|e| e.to_string())?;
        let outcome = match stored {
            None => skipped("no event record (they expire after EVENT_TTL_DAYS)"),
            Some(StoredEvent {
                reprocessed_as: Some(key),
                ..
            }) => skipped(&format!("already read again as {key}")),
            Some(stored) => match body(pipeline.blobs(), &stored).await? {
                Some(body) => Outcome::Done(
                    pipeline
                        .reprocess(&stored, &body)
                        .await
                        .map_err(|e| e.to_string())?,
                ),
                None => skipped("its raw body was erased"),
            },
        };
        lines.push(Line { event_key, outcome });
    }
    Ok(lines)
}

fn skipped(why: &str) -> Outcome {
    Outcome::Skipped {
        skipped: why.to_owned(),
    }
}

async fn selected<P: Provider>(store: &DynamoStore, selection: &Selection) -> Result<Vec<String>, String> {
    let keys = match selection {
        Selection::Event(key) => return Ok(vec![key.clone()]),
        Selection::Order(id) => {
            let trail = store.order(P::NAME, id).await.map_err(|e| e.to_string())?.trail;
            return Ok(trail.into_iter().map(|e| e.event.event_key.0).collect());
        }
        Selection::Quarantined => store.event_keys(P::NAME, EventFilter::Quarantined).await,
        Selection::Received { since, until } => {
            store
                .event_keys(P::NAME, EventFilter::ReceivedBetween(since, until))
                .await
        }
    };
    keys.map_err(|e| e.to_string())
}

/// The delivery's raw body: on the record, or in the bucket; `None` once erased.
async fn body(blobs: &S3Blobs, stored: &StoredEvent) -> Result<Option<Vec<u8>>, String> {
    match (&stored.raw_body, &stored.event.raw_body) {
        (Some(text), _) => Ok(Some(text.as_bytes().to_vec())),
        (None, RawBodyRef::Blob(blob)) => blobs.get(&blob.key).await.map_err(|e| e.to_string()),
        _ => Ok(None),
    }
}
