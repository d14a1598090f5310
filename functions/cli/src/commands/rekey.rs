//! `ordergate rekey`: orders stored by an earlier build under another key moved to the key
//! this build gives them.

use clap::Args;

use crate::context::{done, CliError, Ctx, Output, TableArg};
use crate::platform::Platform;

/// Move orders stored by an earlier build under their id alone to the key this build
/// gives them (Ordatic: store and id; OlaClick: merchant and id): trail copied, state
/// merged with any the new key has, `seq` continued. Run once after upgrading; safe to
/// repeat.
#[derive(Args)]
#[command(after_help = "Examples:\n  ordergate rekey ordatic --stack ordergate-prod")]
pub struct RekeyArgs {
    pub platform: Platform,
    #[command(flatten)]
    pub table: TableArg,
}

impl RekeyArgs {
    pub async fn run(&self, ctx: &Ctx) -> Result<Output, CliError> {
        let platform = self.platform;
        let key_of = |state: &ordergate_shared::store::item::StateImage<'_>| {
            platform.order_key(state.order_id, state.location_id).ok()
        };
        let moved = ctx
            .store(&self.table)?
            .rekey_orders(platform.name(), key_of)
            .await?;
        let mut text: String = (moved.iter())
            .map(|m| {
                format!(
                    "{} {} -> {}: {} item(s)\n",
                    platform.name(),
                    m.from,
                    m.to,
                    m.items
                )
            })
            .collect();
        text.push_str(&format!("{} order(s) moved\n", moved.len()));
        done(text, &moved)
    }
}
