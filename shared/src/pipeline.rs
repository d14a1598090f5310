//! THE pipeline: size/content-type check → verify → parse + normalize → idempotent store
//! (the event with its acknowledgement job: the table is the outbox) → response. Every
//! platform runs exactly this; a platform only supplies a [`Provider`].

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lambda_http::http::{header, Method};
use lambda_http::request::RequestContext;
use lambda_http::{service_fn, Body, Request, RequestExt, Response};

use crate::blob::{Blob, BlobStore, S3Blobs};
use crate::error::ApiError;
use crate::job::AckJob;
use crate::locations::{unmapped_warning, LocationCache};
use crate::model::{
    CanonicalEvent, EventKey, Normalized, OrderChange, Quarantine, RawBodyRef, QUARANTINED, SCHEMA_VERSION,
};
use crate::provider::Provider;
use crate::recent::{delivery_id, RecentlyStored};
use crate::secrets::{SecretKind, SecretSource};
use crate::store::{DynamoStore, EventStore, NewEvent, Recorded, StoreError, StoredEvent};
use crate::verify::Delivery;

/// Ids longer than this are refused: they become DynamoDB key parts (2 KB max).
const MAX_ID_LEN: usize = 256;

/// A canonical reading over this is not stored (DynamoDB items stop at 400 KB): the
/// delivery is quarantined instead, its body kept as sent.
const MAX_EVENT_JSON: usize = 300 * 1024;

/// Deeper bodies are refused even where the nesting sits in a field nobody reads: every
/// body we keep must re-parse with serde_json's default limit (128) downstream.
const MAX_NESTING: usize = 128;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Larger bodies are refused with 413 (Lambda's synchronous payload limit is 6 MB).
    pub max_body_bytes: usize,
    /// Bodies up to this size are kept on the event record; larger ones in the blob store.
    pub inline_body_bytes: usize,
    /// How long event records (the dedupe window) are kept before DynamoDB TTL removes them.
    pub event_ttl: Duration,
    /// How long an order (state, trail) is kept after its last event: customers' data.
    pub order_ttl: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 5 * 1024 * 1024,
            inline_body_bytes: 64 * 1024,
            event_ttl: Duration::from_secs(30 * 24 * 3600),
            order_ttl: Duration::from_secs(365 * 24 * 3600),
        }
    }
}

impl Limits {
    pub fn from_env() -> Result<Self, crate::config::ConfigError> {
        let mut limits = Limits::default();
        if let Some(v) = crate::config::number("MAX_BODY_BYTES")? {
            limits.max_body_bytes = v;
        }
        if let Some(days) = crate::config::number::<u64>("EVENT_TTL_DAYS")? {
            limits.event_ttl = Duration::from_secs(days * 24 * 3600);
        }
        if let Some(days) = crate::config::number::<u64>("ORDER_TTL_DAYS")? {
            limits.order_ttl = Duration::from_secs(days * 24 * 3600);
        }
        Ok(limits)
    }
}

/// What happened to one delivery, for the response and the log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Stored,
    /// Already stored; `same_body` unless a platform re-used the event id for another body
    /// (the table keeps the first).
    Duplicate {
        same_body: bool,
    },
}

impl Outcome {
    /// Whether the table now holds this very delivery.
    fn holds_this_body(self) -> bool {
        self != Outcome::Duplicate { same_body: false }
    }
}

/// What a kept delivery's answer, log line and metrics say about its event: taken from the
/// event, and remembered for the retries this process answers alone ([`RecentlyStored`]).
#[derive(Debug, Clone)]
struct Receipt {
    event_key: EventKey,
    event_type: String,
    quarantined: Option<String>,
    /// At a location the mapping does not know (the `UnmappedLocation` metric).
    unmapped: bool,
}

impl Receipt {
    fn of(event: &CanonicalEvent) -> Receipt {
        Receipt {
            event_key: event.event_key.clone(),
            event_type: event.event_type.clone(),
            quarantined: event.quarantined.clone(),
            unmapped: event.location_id.is_some() && event.team_location_id.is_none(),
        }
    }
}

/// The body of a kept delivery's 2xx.
#[derive(serde::Serialize)]
struct Received<'a> {
    status: &'static str,
    provider: &'static str,
    event_id: &'a EventKey,
    #[serde(skip_serializing_if = "Option::is_none")]
    acknowledged: Option<bool>,
}

pub struct Pipeline<P, S = DynamoStore, B = S3Blobs> {
    provider: P,
    store: S,
    blobs: B,
    secrets: SecretSource,
    limits: Limits,
    locations: LocationCache,
    recent: RecentlyStored<Receipt>,
}

impl<P: Provider> Pipeline<P> {
    /// Builds the AWS clients once per cold start from the environment:
    /// `TABLE_NAME`, `BLOB_BUCKET`, `<PROVIDER>_SECRET_ID` or `<PROVIDER>_SECRET_JSON`.
    pub async fn from_env(provider: P) -> Result<Self, crate::config::ConfigError> {
        Self::from_env_with(provider, &crate::aws::sdk_config().await)
    }

    /// [`Pipeline::from_env`] with the clients built from `sdk`.
    pub fn from_env_with(
        provider: P,
        sdk: &aws_config::SdkConfig,
    ) -> Result<Self, crate::config::ConfigError> {
        let store = DynamoStore::new(
            aws_sdk_dynamodb::Client::new(sdk),
            crate::config::required("TABLE_NAME")?,
        );
        let blobs = S3Blobs::new(
            aws_sdk_s3::Client::new(sdk),
            crate::config::required("BLOB_BUCKET")?,
        );
        let secrets = SecretSource::from_env(P::NAME, SecretKind::Webhook, sdk)?;
        Ok(Pipeline::new(
            provider,
            store,
            blobs,
            secrets,
            Limits::from_env()?,
        ))
    }
}

impl<P: Provider, S: EventStore, B: BlobStore> Pipeline<P, S, B> {
    pub fn new(provider: P, store: S, blobs: B, secrets: SecretSource, limits: Limits) -> Self {
        Pipeline {
            provider,
            store,
            blobs,
            secrets,
            limits,
            locations: LocationCache::default(),
            recent: RecentlyStored::default(),
        }
    }

    /// Loads the location mapping now (otherwise the first delivery does, and then once a
    /// minute).
    pub async fn refresh_locations(&self) -> Result<(), ApiError> {
        self.locations
            .get(&self.store, P::NAME)
            .await
            .map(drop)
            .map_err(ApiError::from)
    }

    pub fn blobs(&self) -> &B {
        &self.blobs
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    /// Handles one HTTP delivery. Never fails: every error is a JSON response.
    pub async fn handle(&self, req: Request) -> Response<Body> {
        let started = Instant::now();
        let result = self.process(&req).await;
        let latency_ms = started.elapsed().as_millis() as u64;
        let status = result
            .as_ref()
            .map_or_else(|e| e.status().as_u16(), |(_, r)| self.status_for(r));
        emit_metrics::<P>(&result, status, latency_ms);
        let request_id = request_id(&req);
        match result {
            Ok((outcome, receipt)) => {
                tracing::info!(
                    request_id,
                    provider = P::NAME,
                    event_key = %receipt.event_key.0,
                    event_type = %receipt.event_type,
                    outcome = if outcome == Outcome::Stored { "stored" } else { "duplicate" },
                    quarantined = receipt.quarantined.is_some(),
                    status,
                    latency_ms,
                    "delivery accepted"
                );
                self.accepted(outcome, &receipt, status)
            }
            Err(error) => {
                // Only 503 causes are logged in full: 4xx messages may quote the body.
                let cause = error.is_retryable().then(|| error.to_string());
                // `error: misconfigured` marks our own configuration (MisconfiguredAlarm).
                tracing::warn!(
                    request_id,
                    provider = P::NAME,
                    outcome = if status == 503 { "unavailable" } else { "rejected" },
                    error = error.code(),
                    cause,
                    status,
                    latency_ms,
                    "delivery not accepted"
                );
                error.to_response()
            }
        }
    }

    /// The answer to a kept delivery: received (with whether it is acknowledged by this
    /// answer), or for a quarantined one answered other than 200, why it was not read.
    fn accepted(&self, outcome: Outcome, receipt: &Receipt, status: u16) -> Response<Body> {
        let body = match &receipt.quarantined {
            Some(reason) if status != 200 => serde_json::json!({
                "error": "quarantined",
                "message": format!("kept but not processed: {reason}"),
                "event_id": receipt.event_key,
            })
            .to_string(),
            _ => serde_json::to_string(&Received {
                status: "received",
                provider: P::NAME,
                event_id: &receipt.event_key,
                acknowledged: self.provider.acknowledged(),
            })
            .expect("plain data serializes"),
        };
        Response::builder()
            .status(status)
            .header(header::CONTENT_TYPE, "application/json")
            .header("x-ordergate-duplicate", (outcome != Outcome::Stored).to_string())
            .header(
                "x-ordergate-quarantined",
                receipt.quarantined.is_some().to_string(),
            )
            .body(Body::Text(body))
            .expect("static response parts are valid")
    }

    /// The answer for a kept event: 200, or the platform's status for a quarantined one.
    fn status_for(&self, receipt: &Receipt) -> u16 {
        match receipt.quarantined {
            Some(_) => P::QUARANTINE_STATUS,
            None => 200,
        }
    }

    /// One delivery: admitted, authenticated, read (or quarantined), its large parts put
    /// in the blob store, recorded once with its acknowledgement job (the outbox). A retry
    /// of a delivery this process saw committed is answered as it was, with nothing read
    /// again and no AWS call: its blobs and record were written before that commit.
    async fn process(&self, req: &Request) -> Result<(Outcome, Receipt), ApiError> {
        let body = self.admit(req)?;
        let delivery = Delivery::new(req.headers(), body, chrono::Utc::now());
        let secrets = self.secrets.get().await?;
        self.provider.verify(&delivery, &secrets)?;
        let raw_body = readable(body)?;
        let message_id = P::MESSAGE_ID_HEADER
            .and_then(|h| delivery.header(h).ok().flatten())
            .map(str::to_owned);
        let known_as = delivery_id(delivery.body_sha256(), message_id.as_deref());
        if let Some(receipt) = self.recent.answer(&known_as) {
            return Ok((Outcome::Duplicate { same_body: true }, receipt));
        }
        let normalized = self.read(&delivery)?;
        let inline = self.limits.inline_body_bytes;
        let reading = self.store_reading(normalized, &delivery, raw_body, message_id.clone(), inline);
        let (event, outcome) = match reading.await {
            // Kept as the bare delivery: no id, order or job read from it, its body in
            // the blob store, so that nothing the store refused is written again.
            Err(NotStored::Refused(why)) => {
                let refused = ApiError::bad_request("store_refused", why);
                let kept = quarantined(Quarantine::default(), &refused, &delivery);
                self.store_reading(kept, &delivery, raw_body, message_id, 0)
                    .await?
            }
            stored => stored?,
        };
        let receipt = Receipt::of(&event);
        // A quarantined delivery's retry is read again: once its reading is fixed and
        // reprocessed, the retry is a duplicate of that reading, not a quarantine.
        if outcome.holds_this_body() && receipt.quarantined.is_none() {
            self.recent.remember(known_as, receipt.clone());
        }
        Ok((outcome, receipt))
    }

    /// A reading made into its event and stored. A write the store refuses for good (say,
    /// an index key it cannot hold) is the caller's to quarantine: retrying it would be
    /// a 503 on every delivery of these bytes.
    async fn store_reading(
        &self,
        normalized: Normalized<Option<P::Ack>>,
        delivery: &Delivery<'_>,
        raw_body: &str,
        message_id: Option<String>,
        inline_limit: usize,
    ) -> Result<(CanonicalEvent, Outcome), NotStored> {
        let (event, job) = self
            .to_event(normalized, delivery, message_id, inline_limit)
            .await?;
        let inline_body = (event.raw_body == RawBodyRef::Inline).then_some(raw_body);
        match self.record(&event, job.as_ref(), inline_body, delivery).await {
            Ok(outcome) => Ok((event, outcome)),
            Err(StoreError::Refused(why)) => Err(NotStored::Refused(why)),
            Err(e) => Err(NotStored::Failed(e.into())),
        }
    }

    /// A reading made into the event to store, with its job: its location mapped, its
    /// large parts put in the blob store, stamped with the delivery's facts.
    async fn to_event(
        &self,
        mut normalized: Normalized<Option<P::Ack>>,
        delivery: &Delivery<'_>,
        message_id: Option<String>,
        inline_limit: usize,
    ) -> Result<(CanonicalEvent, Option<AckJob>), ApiError> {
        scope_order(&mut normalized, P::ORDER_IDS_PER_LOCATION);
        let team_location_id = self.team_location(&mut normalized).await?;
        let raw_ref = self.put_blobs(&mut normalized, delivery, inline_limit).await?;
        let (event, ack) = stamp(
            P::NAME,
            normalized,
            team_location_id,
            delivery,
            (raw_ref, message_id),
        );
        let job = ack.map(|ack| AckJob::for_event(&event, &ack));
        Ok((event, job))
    }

    /// The provider's reading of an authenticated delivery or, when the body is JSON but
    /// cannot be normalized (an essential field unreadable, an unknown event type, ids we
    /// cannot key on, a reading too large to store), a quarantined event: kept as sent with
    /// the reason, so that nothing authenticated is lost.
    fn read(&self, delivery: &Delivery<'_>) -> Result<Normalized<Option<P::Ack>>, ApiError> {
        let error = match self.provider.normalize(delivery).and_then(checked) {
            Ok(normalized) => return Ok(normalized.map_ack(Some)),
            Err(error) => error,
        };
        let unreadable = matches!(error, ApiError::BadRequest { .. });
        if !unreadable || !is_json(delivery.body) {
            return Err(error);
        }
        let found = self.provider.quarantine(delivery, &error);
        Ok(quarantined(found, &error, delivery))
    }

    /// What is refused before anything is read: other methods, content types, sizes.
    fn admit<'r>(&self, req: &'r Request) -> Result<&'r [u8], ApiError> {
        if req.method() != Method::POST {
            return Err(ApiError::MethodNotAllowed);
        }
        check_content_type(req)?;
        let body = req.body().as_ref();
        if body.len() > self.limits.max_body_bytes {
            return Err(ApiError::PayloadTooLarge {
                limit: self.limits.max_body_bytes,
            });
        }
        Ok(body)
    }

    /// Your id for the delivery's location, from the mapping; unmapped is a warning.
    async fn team_location<A>(&self, normalized: &mut Normalized<A>) -> Result<Option<String>, ApiError> {
        let Some(platform) = &normalized.location_id else {
            return Ok(None);
        };
        let map = self
            .locations
            .get(&self.store, P::NAME)
            .await
            .map_err(ApiError::from)?;
        let team = map.get(platform).cloned();
        if team.is_none() {
            normalized.warnings.push(unmapped_warning(platform));
        }
        Ok(team)
    }

    /// Large bodies and attachments go to the blob store first; their keys derive from
    /// the event key, so a retry after a failure further on rewrites the same objects.
    /// Returns where the raw body is kept.
    async fn put_blobs(
        &self,
        normalized: &mut Normalized<Option<P::Ack>>,
        delivery: &Delivery<'_>,
        inline_limit: usize,
    ) -> Result<RawBodyRef, ApiError> {
        let raw_blob = (delivery.body.len() > inline_limit).then(|| {
            Blob::for_event_hashed(
                P::NAME,
                &normalized.event_key.0,
                "body.json",
                "application/json",
                delivery.body.to_vec(),
                delivery.body_sha256().to_owned(),
            )
        });
        let blobs = std::mem::take(&mut normalized.blobs);
        for blob in raw_blob.iter().chain(&blobs) {
            self.blobs.put(blob).await.map_err(ApiError::from)?;
        }
        Ok(raw_blob.map_or(RawBodyRef::Inline, |b| RawBodyRef::Blob(b.reference)))
    }

    /// The durable write (once per event key): the whole of a delivery's path. Its
    /// acknowledgement job is written with the event and reaches the queue from the table's
    /// stream (the outbox, `functions/publisher/src/relay.rs`), so nothing after the commit
    /// can lose it, and no other service can fail a webhook.
    async fn record(
        &self,
        event: &CanonicalEvent,
        job: Option<&AckJob>,
        inline_body: Option<&str>,
        delivery: &Delivery<'_>,
    ) -> Result<Outcome, StoreError> {
        let received = delivery.received_at.timestamp();
        let recorded = self
            .store
            .record(NewEvent {
                event,
                raw_body: inline_body,
                job,
                expires_at: received + self.limits.event_ttl.as_secs() as i64,
                order_expires_at: received + self.limits.order_ttl.as_secs() as i64,
            })
            .await?;
        let outcome = match recorded {
            Recorded::New { .. } => Outcome::Stored,
            Recorded::Duplicate { same_body } => Outcome::Duplicate { same_body },
        };
        if !outcome.holds_this_body() {
            tracing::warn!(provider = P::NAME, event_key = %event.event_key.0, "re-used event id with a different body; first one kept");
        }
        Ok(outcome)
    }
}

/// A delivery's metrics (one EMF line): what became of it and how long it took.
fn emit_metrics<P: Provider>(result: &Result<(Outcome, Receipt), ApiError>, status: u16, latency_ms: u64) {
    let kept = result.is_ok();
    let receipt = result.as_ref().ok().map(|(_, r)| r);
    crate::metrics::emit(
        P::NAME,
        &[
            crate::metrics::count("Received", true),
            crate::metrics::count("Stored", matches!(result, Ok((Outcome::Stored, _)))),
            crate::metrics::count("Duplicate", matches!(result, Ok((Outcome::Duplicate { .. }, _)))),
            crate::metrics::count("Rejected", !kept && (400..500).contains(&status)),
            crate::metrics::count("Failed", status >= 500),
            crate::metrics::count("Misconfigured", matches!(result, Err(ApiError::Misconfigured(_)))),
            crate::metrics::count("UnmappedLocation", receipt.is_some_and(|r| r.unmapped)),
            crate::metrics::count("Quarantined", receipt.is_some_and(|r| r.quarantined.is_some())),
            ("Latency", latency_ms as f64, "Milliseconds"),
        ],
    );
}

/// Why a reading was not stored: refused for good by the store (to be quarantined), or
/// any other failure.
enum NotStored {
    Refused(String),
    Failed(ApiError),
}

impl From<ApiError> for NotStored {
    fn from(e: ApiError) -> Self {
        NotStored::Failed(e)
    }
}

impl From<NotStored> for ApiError {
    fn from(e: NotStored) -> Self {
        match e {
            NotStored::Refused(why) => StoreError::Refused(why).into(),
            NotStored::Failed(e) => e,
        }
    }
}

/// What reading a stored delivery again did ([`Pipeline::reprocess`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Reprocessed {
    /// A quarantined delivery, read now: stored under `event_key` as a live delivery would
    /// have been (trail, state only forward, its job through the outbox).
    Stored { event_key: String },
    /// Read into a different canonical event than the one stored: replaced in place.
    Rewritten { event_key: String, state_applied: bool },
    /// Nothing to do: the same reading as stored, or already stored under `event_key`.
    Unchanged { event_key: String },
    /// Still cannot be read.
    StillQuarantined { reason: String },
}

impl<P: Provider, S: EventStore, B: BlobStore> Pipeline<P, S, B> {
    /// Reads a stored delivery (`stored`, its raw `body`) again with the current code and
    /// configuration, and records what it now says as its live delivery would have been
    /// recorded, at its original arrival time: this is how a mapping fix reaches orders
    /// already received. Idempotent: a second run finds nothing to change.
    pub async fn reprocess(&self, stored: &StoredEvent, body: &[u8]) -> Result<Reprocessed, ApiError> {
        let old = &stored.event;
        let headers = replay_headers::<P>(old)?;
        let delivery = Delivery::new(&headers, body, old.received_at);
        let normalized = match self.provider.normalize(&delivery).and_then(checked) {
            Ok(n) if n.quarantine.is_none() => n.map_ack(Some),
            Ok(n) => {
                return Ok(Reprocessed::StillQuarantined {
                    reason: n.quarantine.unwrap_or_default(),
                })
            }
            Err(e) => {
                return Ok(Reprocessed::StillQuarantined {
                    reason: format!("{}: {e}", e.code()),
                })
            }
        };
        let (event, job) = self
            .to_event(
                normalized,
                &delivery,
                old.message_id.clone(),
                self.limits.inline_body_bytes,
            )
            .await?;
        let inline_body =
            (event.raw_body == RawBodyRef::Inline).then(|| String::from_utf8_lossy(body).into_owned());
        let event_key = event.event_key.0.clone();
        if event.event_key != old.event_key {
            let outcome = self
                .record(&event, job.as_ref(), inline_body.as_deref(), &delivery)
                .await?;
            self.store
                .mark_reprocessed(P::NAME, &old.event_key.0, &event_key)
                .await
                .map_err(ApiError::from)?;
            return Ok(match outcome {
                Outcome::Stored => Reprocessed::Stored { event_key },
                Outcome::Duplicate { .. } => Reprocessed::Unchanged { event_key },
            });
        }
        if event == *old {
            return Ok(Reprocessed::Unchanged { event_key });
        }
        let state_applied = self.rewrite(&event, &delivery).await?;
        Ok(Reprocessed::Rewritten {
            event_key,
            state_applied,
        })
    }

    async fn rewrite(&self, event: &CanonicalEvent, delivery: &Delivery<'_>) -> Result<bool, ApiError> {
        let received = delivery.received_at.timestamp();
        let new = NewEvent {
            event,
            raw_body: None,
            job: None,
            expires_at: received + self.limits.event_ttl.as_secs() as i64,
            order_expires_at: received + self.limits.order_ttl.as_secs() as i64,
        };
        match self.store.rewrite(new).await {
            Ok(Recorded::New { state_applied }) => Ok(state_applied),
            Ok(Recorded::Duplicate { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}

/// The headers a stored delivery is read again with: the platform's message id, where
/// normalizing reads one (kept on the event; older events have it as their key).
fn replay_headers<P: Provider>(old: &CanonicalEvent) -> Result<lambda_http::http::HeaderMap, ApiError> {
    let mut headers = lambda_http::http::HeaderMap::new();
    if let Some(name) = P::MESSAGE_ID_HEADER {
        let quarantined = format!("{QUARANTINED}:");
        let id = old
            .message_id
            .clone()
            .unwrap_or_else(|| old.event_key.0.trim_start_matches(&quarantined).to_owned());
        let value = lambda_http::http::HeaderValue::from_str(&id).map_err(|_| {
            ApiError::bad_request("invalid_id", "the stored message id is not a header value")
        })?;
        headers.insert(name, value);
    }
    Ok(headers)
}

/// The authenticated body as text worth parsing: UTF-8, not empty, not nested past
/// [`MAX_NESTING`].
fn readable(body: &[u8]) -> Result<&str, ApiError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::bad_request("invalid_utf8", "body is not valid UTF-8"))?;
    if text.trim().is_empty() {
        return Err(ApiError::bad_request("empty_body", "body is empty"));
    }
    if nesting_exceeds(body, MAX_NESTING) {
        return Err(ApiError::bad_request(
            "too_deep",
            format!("JSON nested deeper than {MAX_NESTING} levels"),
        ));
    }
    Ok(text)
}

/// Whether the body is JSON (any JSON: a quarantined delivery need not be an object).
fn is_json(body: &[u8]) -> bool {
    serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok()
}

/// A reading the store can key and hold: ids that fit a key, a size that fits an item.
fn checked<A>(n: Normalized<A>) -> Result<Normalized<A>, ApiError> {
    check_id("event id", &n.event_key.0)?;
    if let Some(change) = &n.change {
        check_id("order id", &change.order_id)?;
    }
    // Part of the order's key and of the location indexes' keys: one DynamoDB refuses
    // (ValidationException) would be a 503 on every retry of the delivery.
    if let Some(location) = &n.location_id {
        check_id("location id", location)?;
    }
    let estimate = json_len(&n.change) + json_len(&n.detail) + json_len(&n.warnings);
    if estimate > MAX_EVENT_JSON {
        return Err(ApiError::bad_request(
            "too_large",
            format!("the normalized event would exceed {MAX_EVENT_JSON} bytes"),
        ));
    }
    Ok(n)
}

/// The length of `value`'s JSON, counted as it is written (nothing is kept).
fn json_len<T: serde::Serialize>(value: &T) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    serde_json::to_writer(&mut counter, value).map_or(usize::MAX, |()| counter.0)
}

/// The event kept for a delivery that could not be normalized: what the platform could
/// still read (ids that cannot be keyed on are dropped), the reason, no order content.
fn quarantined<A>(found: Quarantine<A>, error: &ApiError, delivery: &Delivery<'_>) -> Normalized<Option<A>> {
    let usable = |id: Option<String>| id.filter(|id| check_id("id", id).is_ok());
    let id = usable(found.event_key).unwrap_or_else(|| format!("sha256:{}", delivery.body_sha256()));
    Normalized {
        event_key: EventKey(format!("{QUARANTINED}:{id}")),
        event_type: QUARANTINED.to_owned(),
        location_id: usable(found.location_id),
        occurred_at: None,
        change: usable(found.order_id).map(|order_id| OrderChange {
            order_id,
            key: None,
            status: None,
            stage: 0,
            order: None,
            awaiting: None,
        }),
        detail: None,
        blobs: Vec::new(),
        ack: found.ack,
        warnings: Vec::new(),
        quarantine: Some(format!("{}: {error}", error.code())),
    }
}

/// Keys the order by its location where the platform's order ids are unique only per
/// location. Without a location (only a quarantined delivery can lack one) the event
/// joins no order: it cannot be told which store's order it is.
fn scope_order<A>(n: &mut Normalized<A>, per_location: bool) {
    if !per_location {
        return;
    }
    match (&n.location_id, &mut n.change) {
        (Some(location), Some(change)) => {
            change.key = Some(OrderChange::key_in(location, &change.order_id));
        }
        (None, change) => *change = None,
        (Some(_), None) => {}
    }
}

/// Turns a provider's reading into the stored canonical event.
fn stamp<A>(
    provider: &str,
    n: Normalized<A>,
    team_location_id: Option<String>,
    delivery: &Delivery<'_>,
    (raw_body, message_id): (RawBodyRef, Option<String>),
) -> (CanonicalEvent, A) {
    let event = CanonicalEvent {
        schema: SCHEMA_VERSION,
        provider: provider.to_owned(),
        event_key: n.event_key,
        event_type: n.event_type,
        location_id: n.location_id,
        team_location_id,
        occurred_at: n.occurred_at,
        received_at: delivery.received_at,
        change: n.change,
        detail: n.detail,
        warnings: n.warnings,
        quarantined: n.quarantine,
        body_sha256: delivery.body_sha256().to_owned(),
        message_id,
        raw_body,
    };
    (event, n.ack)
}

/// Whether brackets outside strings nest deeper than `limit` (one pass, no allocation).
fn nesting_exceeds(body: &[u8], limit: usize) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0_usize, false, false);
    for &b in body {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// Whether `id` can be part of a key and travel in a job (at most 256 bytes of printable
/// text, not only dots): what every id a delivery or an operator brings must be.
pub fn check_id(what: &str, id: &str) -> Result<(), ApiError> {
    if id.trim().is_empty() {
        return Err(ApiError::bad_request("missing_id", format!("{what} is empty")));
    }
    if id.len() > MAX_ID_LEN || id.chars().any(unprintable) {
        return Err(ApiError::bad_request(
            "invalid_id",
            format!("{what} must be at most {MAX_ID_LEN} bytes of printable text"),
        ));
    }
    // `.` or `..` would be a dot segment in the callback URLs the ack worker builds.
    if id.bytes().all(|b| b == b'.') {
        return Err(ApiError::bad_request(
            "invalid_id",
            format!("{what} cannot be only dots"),
        ));
    }
    Ok(())
}

/// Control characters, and the two noncharacters U+FFFE and U+FFFF: SQS refuses a message
/// holding them, and an id travels in the acknowledgement job's message.
fn unprintable(c: char) -> bool {
    c.is_control() || matches!(c, '\u{FFFE}' | '\u{FFFF}')
}

/// A declared content type must be JSON; an absent one is tolerated (the body is still
/// parsed as JSON, and rejected if it is not).
fn check_content_type(req: &Request) -> Result<(), ApiError> {
    let Some(value) = req.headers().get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let essence = value
        .to_str()
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json")) {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType)
    }
}

fn request_id(req: &Request) -> Option<String> {
    if let Some(ctx) = req.lambda_context_ref() {
        return Some(ctx.request_id.clone());
    }
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.request_id.clone(),
        _ => None,
    }
}

/// The whole `main` of a receiver: JSON logs, clients built once, then serve.
pub async fn run<P: Provider>(provider: P) -> Result<(), lambda_http::Error> {
    crate::telemetry::init();
    let pipeline = Arc::new(Pipeline::from_env(provider).await?);
    lambda_http::run(service_fn(move |req| {
        let pipeline = pipeline.clone();
        async move { Ok::<_, Infallible>(pipeline.handle(req).await) }
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::{check_id, nesting_exceeds};

    #[test]
    fn ids_sqs_could_not_carry_are_refused() {
        for id in ["a\u{FFFF}", "\u{FFFE}b", "a\u{7}b", "line\nbreak"] {
            assert_eq!(
                check_id("order id", id).unwrap_err().code(),
                "invalid_id",
                "{id:?}"
            );
        }
        for id in ["\u{FFFD}", "caf\u{E9}", "\u{1F355}", "\u{10FFFD}"] {
            assert!(check_id("order id", id).is_ok(), "{id:?}");
        }
    }

    #[test]
    fn ids_that_would_be_dot_segments_are_refused() {
        for id in [".", "..", "..."] {
            assert_eq!(check_id("order id", id).unwrap_err().code(), "invalid_id", "{id}");
        }
        assert!(check_id("order id", "a.b").is_ok());
        assert!(
            check_id("order id", "../x").is_ok(),
            "encoded as one segment by the worker"
        );
    }

    #[test]
    fn nesting_is_counted_outside_strings_only() {
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(!nesting_exceeds(deep(128).as_bytes(), 128));
        assert!(nesting_exceeds(deep(129).as_bytes(), 128));
        let quoted = format!(r#"{{"a": "{}\" {}"}}"#, "[".repeat(500), "{".repeat(500));
        assert!(!nesting_exceeds(quoted.as_bytes(), 128));
        let mixed = format!(r#"{{"a": {}1{}}}"#, "{\"b\":[".repeat(64), "]}".repeat(64));
        assert!(nesting_exceeds(mixed.as_bytes(), 128));
    }
}
