//! `ordergate order` and `ordergate event`: what was stored and how its acknowledgement
//! went, as text for people (`--json` prints the stored records for scripts).

use std::fmt::Write;

use ordergate_shared::store::{OrderView, StoredEvent};

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
                s.last_dedupe_key
            );
            let _ = writeln!(
                out,
                "location: {}",
                location(s.location_id.as_deref(), s.team_location_id.as_deref())
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
            e.dedupe_key.0
        );
        for w in &e.warnings {
            let _ = writeln!(out, "      warning: {w}");
        }
    }
    out
}

pub fn event_text(e: &StoredEvent) -> String {
    let ev = &e.event;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} event {}: {}",
        ev.provider, ev.dedupe_key.0, ev.event_type
    );
    let _ = writeln!(out, "received: {}", ev.received_at.to_rfc3339());
    if let Some(change) = &ev.change {
        let status = change.status.map_or("(status unchanged)", |s| s.as_str());
        let _ = writeln!(out, "order: {} → {status}", change.order_id);
    }
    let _ = writeln!(
        out,
        "location: {}",
        location(ev.location_id.as_deref(), ev.team_location_id.as_deref())
    );
    let _ = writeln!(
        out,
        "ack: {} ({} attempt(s)){}",
        e.ack.status,
        e.ack.attempts,
        e.ack
            .message
            .as_deref()
            .map(|m| format!(": {m}"))
            .unwrap_or_default()
    );
    let _ = writeln!(
        out,
        "body: {} (sha256 {})",
        match &ev.raw_body {
            ordergate_shared::model::RawBodyRef::Inline => "on the event record".to_owned(),
            ordergate_shared::model::RawBodyRef::Blob(b) => format!("s3 {}", b.key),
            ordergate_shared::model::RawBodyRef::Erased => "erased on request".to_owned(),
        },
        ev.body_sha256
    );
    for w in &ev.warnings {
        let _ = writeln!(out, "warning: {w}");
    }
    out
}

fn location(platform: Option<&str>, team: Option<&str>) -> String {
    match (platform, team) {
        (None, _) => "-".into(),
        (Some(p), Some(t)) => format!("{p} → {t}"),
        (Some(p), None) => format!("{p} (unmapped)"),
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
            location(o.location_id.as_deref(), o.team_location_id.as_deref()),
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

/// The SQS event Lambda's event source mapping would hand the ack worker for `job`: one
/// message, first receive, in the job's FIFO group.
pub fn sqs_batch(job: &ordergate_shared::job::AckJob) -> aws_lambda_events::sqs::SqsEvent {
    let mut message = aws_lambda_events::sqs::SqsMessage::default();
    let id = format!("local-{}", &job.deduplication_id()[..32]);
    message.message_id = Some(id.clone());
    message.receipt_handle = Some(id);
    message.body = Some(serde_json::to_string(job).expect("plain data"));
    message.attributes = [
        ("ApproximateReceiveCount", "1".to_owned()),
        ("MessageGroupId", job.group_id()),
        ("MessageDeduplicationId", job.deduplication_id()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    message.event_source = Some("aws:sqs".into());
    let mut batch = aws_lambda_events::sqs::SqsEvent::default();
    batch.records.push(message);
    batch
}
