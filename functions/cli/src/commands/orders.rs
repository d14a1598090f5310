//! `ordergate orders list`: orders by location and time, newest first, from the table's
//! indexes (never a scan), or those waiting for the restaurant's decision.

use std::fmt::Write;

use clap::Subcommand;
use ordergate_shared::store::LocationId;

use super::order::location_text;
use crate::context::{done, CliError, Ctx, Output, TableArg};
use crate::platform::Platform;

/// Orders by location and time, newest first (paged; see --next-token).
#[derive(Subcommand)]
pub enum Orders {
    /// Orders of one location last changed in a time window.
    #[command(
        after_help = "Examples:\n  ordergate orders list --platform olaclick --location 777 --since 2026-11-25\n  ordergate orders list --platform deliverect --team-location store-042 --status cancelled --json"
    )]
    List {
        #[arg(long)]
        platform: Platform,
        /// The platform's location id (merchant, location, store).
        #[arg(
            long,
            required_unless_present_any = ["team_location", "awaiting_acceptance"],
            conflicts_with = "team_location"
        )]
        location: Option<String>,
        /// Your location id (from `ordergate location set`).
        #[arg(long)]
        team_location: Option<String>,
        /// From (RFC 3339, or a date: its midnight UTC). Default: 24 hours ago.
        #[arg(long)]
        since: Option<String>,
        /// Until (RFC 3339, or a date: the end of that day UTC). Default: now.
        #[arg(long)]
        until: Option<String>,
        /// Only orders in this canonical status (placed, accepted, …, cancelled).
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i32,
        /// The token a previous page printed, for the next page.
        #[arg(long)]
        next_token: Option<String>,
        /// New orders waiting for the restaurant to accept or reject them (manual
        /// acceptance), soonest deadline first, at every location.
        #[arg(long, conflicts_with_all = ["location", "team_location", "since", "until", "status"])]
        awaiting_acceptance: bool,
        #[command(flatten)]
        table: TableArg,
    },
}

impl Orders {
    pub async fn run(&self, ctx: &Ctx) -> Result<Output, CliError> {
        let Orders::List {
            platform,
            location,
            team_location,
            since,
            until,
            status,
            limit,
            next_token,
            awaiting_acceptance,
            table,
        } = self;
        let store = ctx.store(table)?;
        let token = next_token.as_deref();
        let page = if *awaiting_acceptance {
            store.awaiting_decision(platform.name(), *limit, token).await?
        } else {
            let now = chrono::Utc::now();
            let since = time_bound(since.as_deref(), false)?.unwrap_or(now - chrono::Duration::hours(24));
            let until = time_bound(until.as_deref(), true)?.unwrap_or(now);
            let at = match (location, team_location) {
                (Some(id), _) => LocationId::Platform(id),
                (None, Some(id)) => LocationId::Team(id),
                (None, None) => unreachable!("clap requires one"),
            };
            let window = (index_time(since), index_time(until));
            (store.orders_at(
                platform.name(),
                at,
                &window.0,
                &window.1,
                status.as_deref(),
                *limit,
                token,
            ))
            .await?
        };
        done(orders_text(&page), &page)
    }
}

/// A time bound: RFC 3339, or a date (its start, or with `end_of_day` its last second), UTC.
pub fn time_bound(
    given: Option<&str>,
    end_of_day: bool,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, String> {
    let Some(text) = given else { return Ok(None) };
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(Some(t.with_timezone(&chrono::Utc)));
    }
    let day = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| format!("'{text}': expected a date (2026-11-25) or an RFC 3339 time"))?;
    let time = if end_of_day {
        chrono::NaiveTime::from_hms_opt(23, 59, 59).expect("valid")
    } else {
        chrono::NaiveTime::MIN
    };
    Ok(Some(day.and_time(time).and_utc()))
}

/// A time as the index stores `updated_at` (RFC 3339, UTC, `+00:00`), so bounds compare
/// as text the way times compare.
pub fn index_time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339()
}

/// One line per order of a listing page, then the next page's token if any.
pub fn orders_text(page: &ordergate_shared::store::OrderPage) -> String {
    let mut out = String::new();
    for o in &page.orders {
        let _ = write!(
            out,
            "{}  {:<12} {}  {}  ({})",
            o.updated_at,
            o.status,
            o.order_id,
            location_text(o.location_id.as_deref(), o.team_location_id.as_deref()),
            o.last_event_type
        );
        let _ = match &o.decide_by {
            Some(until) => writeln!(out, "  awaiting acceptance until {until}"),
            None => writeln!(out),
        };
    }
    let _ = writeln!(out, "{} order(s)", page.orders.len());
    if let Some(token) = &page.next_token {
        let _ = writeln!(out, "more: --next-token {token}");
    }
    out
}
