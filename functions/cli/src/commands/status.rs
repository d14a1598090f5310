//! `ordergate status`: a restaurant's command about one order, taken like one from the bus
//! (`ordergate_shared::command`): validated against the stored order, recorded on its
//! trail, sent by the ack worker after the order's earlier commands; the outcome is shown
//! by `ordergate order` and published as `Order Status Sent` / `Order Status Failed`.

use clap::Args;
use ordergate_shared::command::{CommandError, Requested, StatusCommand, VERSION};
use ordergate_shared::store::EventStore;
use serde_json::json;

use crate::context::{CliError, Ctx, Output};
use crate::platform::Platform;

/// Tell the platform an order's new status, or accept or reject it: checked against the
/// stored order, recorded on its trail, sent by the ack worker after the order's earlier
/// commands. Exit 1 with the reason when refused.
#[derive(Args)]
#[command(
    after_help = "Examples:\n  ordergate status deliverect 6438f1a2c9e77d0012ab34cd rejected --reason \"Kitchen closed\"\n  ordergate status deliverect 6438f1a2c9e77d0012ab34cd ready\n  ordergate status ordatic ord-8d41a7e2-1c3b preparing --location st-5f2b9c"
)]
pub struct StatusArgs {
    pub platform: Platform,
    pub order_id: String,
    /// accepted, preparing, prepared, ready, picked_up, completed, rejected, cancelled or
    /// failed (which of them a platform takes: README, "Answering orders").
    #[arg(value_parser = parse_status)]
    pub status: Requested,
    /// Why: shown to the customer (required to reject or fail a Deliverect order).
    #[arg(long)]
    pub reason: Option<String>,
    /// The order's location, where order ids are unique only per location (Ordatic: its
    /// storeId).
    #[arg(long)]
    pub location: Option<String>,
    /// The POS's receipt id (Deliverect's receiptId; default: the order id).
    #[arg(long)]
    pub receipt: Option<String>,
    /// A new pickup time to send with the status (RFC 3339; Deliverect).
    #[arg(long)]
    pub pickup_time: Option<chrono::DateTime<chrono::Utc>>,
    /// Your id for this command. Default: the order and status, so repeating the command
    /// sends nothing more; give a new one to try again after the platform refused it.
    #[arg(long)]
    pub command_id: Option<String>,
    #[command(flatten)]
    pub table: crate::context::TableArg,
}

fn parse_status(word: &str) -> Result<Requested, String> {
    Requested::parse(word).ok_or_else(|| {
        let words: Vec<&str> = Requested::ALL.iter().map(|r| r.as_str()).collect();
        format!("one of {}", words.join(", "))
    })
}

impl StatusArgs {
    /// The command as a POS would put it on the bus.
    pub fn command(&self) -> StatusCommand {
        let command_id = self.command_id.clone().unwrap_or_else(|| {
            let order = match &self.location {
                Some(location) => format!("{location}/{}", self.order_id),
                None => self.order_id.clone(),
            };
            format!("{order}/{}", self.status)
        });
        StatusCommand {
            version: VERSION,
            command_id,
            provider: self.platform.name().to_owned(),
            order_id: self.order_id.clone(),
            location_id: self.location.clone(),
            status: self.status,
            reason: self.reason.clone(),
            receipt_id: self.receipt.clone(),
            pickup_time: self.pickup_time,
        }
    }
}

impl StatusArgs {
    pub async fn run(&self, ctx: &Ctx) -> Result<Output, CliError> {
        Ok(submit(self, &ctx.store(&self.table)?).await?)
    }
}

/// Validates and records the command; an unreachable table is an error, a refusal an
/// output that is not `ok`.
pub async fn submit<S: EventStore>(args: &StatusArgs, store: &S) -> Result<Output, String> {
    let command = args.command();
    let limits = ordergate_shared::Limits::from_env().map_err(|e| e.to_string())?;
    let submitted = ordergate_platforms::submit_command(store, &command, &limits, chrono::Utc::now()).await;
    let (platform, order) = (&command.provider, &command.order_id);
    Ok(match submitted {
        Ok(s) => {
            let result = if s.duplicate { "duplicate" } else { "queued" };
            let text = if s.duplicate {
                format!(
                    "{platform} order {order}: command {} was taken before; nothing more is sent\n",
                    command.command_id
                )
            } else {
                format!(
                    "{platform} order {order}: {} queued (event key {}); `ordergate order {platform} {order}` shows when it is sent\n",
                    command.status, s.event_key
                )
            };
            Output {
                text,
                json: json!({"result": result, "command_id": command.command_id, "event_key": s.event_key}),
                ok: true,
            }
        }
        Err(CommandError::Refused(r)) => Output {
            text: format!("{platform} order {order}: refused ({}): {r}\n", r.code()),
            json: json!({"result": "refused", "command_id": command.command_id, "error": r.code(), "message": r.to_string()}),
            ok: false,
        },
        Err(CommandError::Store(e)) => return Err(e.to_string()),
    })
}
