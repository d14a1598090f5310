//! `ordergate location set|list|rm`: the platforms' location ids mapped to your own.

use clap::Subcommand;
use ordergate_shared::store::EventStore;
use serde_json::json;

use crate::context::{done, CliError, Ctx, Output, TableArg};
use crate::platform::Platform;

/// Map platforms' location ids to your own location ids.
#[derive(Subcommand)]
pub enum Location {
    /// Map PLATFORM_ID (merchant / location / store id) to your TEAM_ID.
    Set {
        platform: Platform,
        platform_id: String,
        team_id: String,
        #[command(flatten)]
        table: TableArg,
    },
    /// List a platform's mappings.
    List {
        platform: Platform,
        #[command(flatten)]
        table: TableArg,
    },
    /// Remove a mapping (events are then stored unmapped and flagged).
    Rm {
        platform: Platform,
        platform_id: String,
        #[command(flatten)]
        table: TableArg,
    },
}

impl Location {
    pub async fn run(&self, ctx: &Ctx) -> Result<Output, CliError> {
        match self {
            Location::Set {
                platform,
                platform_id,
                team_id,
                table,
            } => {
                // Both become parts of the orders' index keys: one DynamoDB cannot hold
                // would quarantine every delivery from that location.
                for (what, id) in [("the platform's id", platform_id), ("your id", team_id)] {
                    ordergate_shared::pipeline::check_id(what, id)
                        .map_err(|e| CliError::Usage(e.to_string()))?;
                }
                let store = ctx.store(table)?;
                store.set_location(platform.name(), platform_id, team_id).await?;
                done(
                    format!("{} {platform_id} → {team_id}\n", platform.name()),
                    json!({"platform": platform.name(), "platform_id": platform_id, "team_id": team_id}),
                )
            }
            Location::List { platform, table } => {
                let mut rows: Vec<_> = ctx
                    .store(table)?
                    .locations(platform.name())
                    .await?
                    .into_iter()
                    .collect();
                rows.sort();
                let text = (rows.iter())
                    .map(|(p, t)| format!("{} {p} → {t}\n", platform.name()))
                    .collect();
                let json: Vec<_> = (rows.iter())
                    .map(|(p, t)| json!({"platform_id": p, "team_id": t}))
                    .collect();
                done(text, json)
            }
            Location::Rm {
                platform,
                platform_id,
                table,
            } => {
                let removed = ctx
                    .store(table)?
                    .remove_location(platform.name(), platform_id)
                    .await?;
                if !removed {
                    return Err(format!("{} {platform_id} was not mapped", platform.name()).into());
                }
                done(
                    format!("removed {} {platform_id}\n", platform.name()),
                    json!({"removed": platform_id}),
                )
            }
        }
    }
}
