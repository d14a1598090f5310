//! Reprocessing (`ordergate reprocess`): a stored delivery read again with fixed code or
//! configuration replaces its canonical reading in place — the event record's event, its
//! trail entry (keeping the acknowledgement recorded there), and the order's state when
//! this event is not older than what moved it last. One transaction, like a delivery's.

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{TransactWriteItem, Update};

use super::{failed, is_condition_failure, json, keys, transaction_failed, DynamoStore, StoreError};
use crate::model::{CanonicalEvent, QUARANTINED};
use crate::store::item::{attr, expr, key, n, s, Attributes};
use crate::store::{NewEvent, Recorded};

/// Which of a platform's stored events to read again.
#[derive(Debug, Clone, Copy)]
pub enum EventFilter<'a> {
    /// Quarantined and not yet read again.
    Quarantined,
    /// Received between the two RFC 3339 UTC times (inclusive).
    ReceivedBetween(&'a str, &'a str),
}

impl DynamoStore {
    /// The keys of `provider`'s event records matching `filter`, oldest first (a scan: an
    /// operator's tool, not a hot path). Only records still alive (`EVENT_TTL_DAYS`) carry a
    /// raw body to read again.
    pub async fn event_keys(
        &self,
        provider: &str,
        filter: EventFilter<'_>,
    ) -> Result<Vec<String>, StoreError> {
        let prefix = keys::event_pk(provider, "");
        let mut scan = self
            .client
            .scan()
            .table_name(&self.table)
            .expression_attribute_values(":prefix", s(prefix.as_str()))
            .expression_attribute_values(":event", s(keys::EVENT_SK));
        let matching = match filter {
            EventFilter::Quarantined => {
                scan = scan.expression_attribute_values(":q", s(QUARANTINED));
                expr::QUARANTINED_NOT_REPROCESSED
            }
            EventFilter::ReceivedBetween(since, until) => {
                scan = scan
                    .expression_attribute_values(":since", s(since))
                    .expression_attribute_values(":until", s(until));
                expr::RECEIVED_BETWEEN
            }
        };
        let mut pages = scan
            .filter_expression(format!("{} AND {matching}", expr::EVENT_RECORDS))
            .into_paginator()
            .items()
            .send();
        let mut found = Vec::new();
        while let Some(item) = pages.next().await {
            let item = item.map_err(|e| failed("scan", &e))?;
            let text = |name| item.text(name).unwrap_or_default().to_owned();
            found.push((text(attr::RECEIVED_AT), text(attr::EVENT_KEY)));
        }
        found.sort();
        Ok(found.into_iter().map(|(_, key)| key).collect())
    }

    pub(super) async fn rewrite_event(&self, new: NewEvent<'_>) -> Result<Recorded, StoreError> {
        let e = new.event;
        let mut with_state = e.precedence().is_some();
        loop {
            let event_pk = keys::event_pk(&e.provider, &e.event_key.0);
            let mut items = vec![self.set_event(&event_pk, keys::EVENT_SK, e, None)];
            if let Some(change) = &e.change {
                let sk = keys::trail_sk(&e.received_at, &e.event_key.0);
                let pk = keys::order_pk(&e.provider, change.key());
                items.push(self.set_event(&pk, &sk, e, Some(new.order_expires_at)));
            }
            if let (true, Some(precedence)) = (with_state, e.precedence()) {
                items.extend(self.state_update(e, precedence, new.order_expires_at, super::StateWrite::Full));
            }
            let err = match self
                .client
                .transact_write_items()
                .set_transact_items(Some(items))
                .send()
                .await
            {
                Ok(_) => {
                    return Ok(Recorded::New {
                        state_applied: with_state,
                    })
                }
                Err(err) => err,
            };
            let reasons = match err.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(c)) => c.cancellation_reasons(),
                _ => return Err(transaction_failed(&err)),
            };
            if is_condition_failure(reasons.first()) {
                return Err(StoreError::NotFound(format!("event {}", e.event_key.0)));
            }
            if with_state && is_condition_failure(reasons.get(2)) {
                // A newer event moved the order: the trail only.
                with_state = false;
                continue;
            }
            return Err(transaction_failed(&err));
        }
    }

    /// `SET event = :event, event_type, event_key` on one item: the event record (which
    /// must exist) or, with the order's expiry, its trail entry (written if missing).
    fn set_event(
        &self,
        pk: &str,
        sk: &str,
        e: &CanonicalEvent,
        trail_expires_at: Option<i64>,
    ) -> TransactWriteItem {
        let mut set = expr::SET_EVENT.to_owned();
        let mut values = HashMap::from([
            (":event".to_owned(), json(e)),
            (":type".to_owned(), s(&e.event_type)),
            (":key".to_owned(), s(&e.event_key.0)),
        ]);
        if let Some(expires_at) = trail_expires_at {
            set.push_str(expr::SET_TRAIL);
            values.insert(":exp".into(), n(expires_at));
            values.insert(":trail".into(), s(attr::TRAIL_KIND));
        }
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(pk, sk)))
            .update_expression(set)
            .set_condition_expression(trail_expires_at.is_none().then(|| expr::EXISTS.to_owned()))
            .set_expression_attribute_names(Some(HashMap::from([("#event".into(), attr::EVENT.into())])))
            .set_expression_attribute_values(Some(values))
            .build()
            .expect("table, key and expression are set");
        TransactWriteItem::builder().update(update).build()
    }
}
