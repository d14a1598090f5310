//! `ordergate order`: an order's state and every event received for it, with how each
//! acknowledgement went.

use std::fmt::Write;

use clap::Args;
use ordergate_shared::store::{EventStore, OrderView};

use crate::context::{done, CliError, Ctx, LocationArg, Output, TableArg};
use crate::platform::Platform;

/// An order: its current state and every event received for it, with ack status.
#[derive(Args)]
#[command(
    after_help = "Examples:\n  ordergate order olaclick PE-7222853393 --location 777\n  ordergate order ordatic ord-8d41a7e2-1c3b --location st-5f2b9c"
)]
pub struct OrderArgs {
    pub platform: Platform,
    pub order_id: String,
    #[command(flatten)]
    pub location: LocationArg,
    #[command(flatten)]
    pub table: TableArg,
}

impl OrderArgs {
    pub async fn run(&self, ctx: &Ctx) -> Result<Output, CliError> {
        let (platform, order_id) = (self.platform.name(), &self.order_id);
        let key = self.location.key(self.platform, order_id)?;
        let store = ctx.store(&self.table)?;
        let mut view = store.order(platform, &key).await?;
        // The trail records an ack once it settles; until then the event record (while it
        // lives, EVENT_TTL_DAYS) has the live status.
        for entry in view.trail.iter_mut().filter(|e| e.ack.is_none()) {
            entry.ack = store.event(platform, &entry.event_key.0).await?.map(|e| e.ack);
        }
        if view.state.is_none() && view.trail.is_empty() {
            let table = self.table.name(&ctx.stack)?;
            return Err(format!("no {platform} order {order_id} in {table}").into());
        }
        done(order_text(platform, order_id, &view), &view)
    }
}

pub fn order_text(provider: &str, order_id: &str, view: &OrderView) -> String {
    let mut out = String::new();
    match &view.state {
        Some(s) => {
            let _ = writeln!(
                out,
                "{provider} order {order_id}: {} (version {}), last event {} ({})",
                s.status.as_str(),
                s.version,
                s.last_event_type,
                s.last_event_key
            );
            let _ = writeln!(
                out,
                "location: {}",
                location_text(s.location_id.as_deref(), s.team_location_id.as_deref())
            );
            if let Some(order) = &s.order {
                let _ = writeln!(
                    out,
                    "order: {} item(s), total {} {}",
                    order.items.len(),
                    order.totals.total.0,
                    order.currency.code()
                );
            }
        }
        None => {
            let _ = writeln!(out, "{provider} order {order_id}: no state (events only)");
        }
    }
    let _ = writeln!(out, "trail ({} event(s), oldest first):", view.trail.len());
    for e in &view.trail {
        let ack = e.ack.as_ref().map_or("ack -".to_owned(), |a| {
            let mut s = format!("ack {} ({} attempt(s))", a.status, a.attempts);
            if let Some(m) = &a.message {
                let _ = write!(s, ": {m}");
            }
            s
        });
        let _ = writeln!(
            out,
            "  {}  {:<24} {}  {ack}",
            e.received_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            e.event_type,
            e.event_key.0
        );
        for w in &e.warnings {
            let _ = writeln!(out, "      warning: {w}");
        }
    }
    out
}

pub(crate) fn location_text(platform: Option<&str>, team: Option<&str>) -> String {
    match (platform, team) {
        (None, _) => "-".into(),
        (Some(p), Some(t)) => format!("{p} → {t}"),
        (Some(p), None) => format!("{p} (unmapped)"),
    }
}
