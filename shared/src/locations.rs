//! The location mapping as receivers apply it: each platform names the restaurant its own
//! way (merchant id, location, store...); operators map those ids to their own with
//! `ordergate location set`. The map is loaded with one Query and kept for a minute, so a
//! delivery costs no extra call; a change reaches every receiver within that minute.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::store::{EventStore, StoreError};

const FRESH_FOR: Duration = Duration::from_secs(60);

/// Platform location id → your location id.
pub type LocationMap = Arc<HashMap<String, String>>;

#[derive(Default)]
pub struct LocationCache {
    cached: tokio::sync::Mutex<Option<(Instant, LocationMap)>>,
}

impl LocationCache {
    /// `provider`'s map, from the cache or (once a minute) from the store.
    pub async fn get<S: EventStore>(&self, store: &S, provider: &str) -> Result<LocationMap, StoreError> {
        let mut cached = self.cached.lock().await;
        if let Some((at, map)) = cached.as_ref() {
            if at.elapsed() < FRESH_FOR {
                return Ok(map.clone());
            }
        }
        let map = Arc::new(store.locations(provider).await?);
        *cached = Some((Instant::now(), map.clone()));
        Ok(map)
    }
}

/// The warning an event carries when its location is not mapped (it is still stored).
pub fn unmapped_warning(platform_id: &str) -> String {
    format!("unmapped_location: {platform_id} (map it with `ordergate location set`)")
}
