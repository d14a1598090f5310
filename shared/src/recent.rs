//! The events this process has seen committed, so that a platform's retry reaching the same
//! warm instance is answered without a DynamoDB call (Powertools' idempotency "local
//! cache"). A failed conditional write costs the same write units and round trip as a
//! stored one; this answer costs neither.
//!
//! Only what the table confirmed is remembered (a commit, or a duplicate of the same body),
//! so an answer from here is as durable as the table's. A different body under a
//! remembered key still goes to the table (which keeps the first and logs the re-use).
//! Bounded: the oldest entries are forgotten first.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// A few hundred KiB at most (key + body hash per entry): platforms retry within minutes,
/// and a warm instance handles far fewer deliveries than this in that time.
pub const CAPACITY: usize = 2048;

#[derive(Debug, Default)]
pub struct RecentlyStored {
    inner: Mutex<Entries>,
}

#[derive(Debug, Default)]
struct Entries {
    /// Event key → SHA-256 of the body stored under it.
    bodies: HashMap<String, String>,
    /// Keys in the order they were remembered (eviction order).
    order: VecDeque<String>,
}

impl RecentlyStored {
    /// Whether the table is known to hold `key` with this very body.
    pub fn holds(&self, key: &str, body_sha256: &str) -> bool {
        let entries = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        entries.bodies.get(key).is_some_and(|h| h == body_sha256)
    }

    /// Remembers that the table holds `key` with this body.
    pub fn remember(&self, key: &str, body_sha256: &str) {
        let mut entries = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if entries.bodies.contains_key(key) {
            return;
        }
        if entries.order.len() >= CAPACITY {
            if let Some(oldest) = entries.order.pop_front() {
                entries.bodies.remove(&oldest);
            }
        }
        entries.bodies.insert(key.to_owned(), body_sha256.to_owned());
        entries.order.push_back(key.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::{RecentlyStored, CAPACITY};

    #[test]
    fn holds_only_the_remembered_body_under_its_key() {
        let recent = RecentlyStored::default();
        assert!(!recent.holds("k", "h1"));
        recent.remember("k", "h1");
        assert!(recent.holds("k", "h1"));
        assert!(
            !recent.holds("k", "h2"),
            "another body under the key goes to the table"
        );
        assert!(!recent.holds("other", "h1"));
        recent.remember("k", "h2");
        assert!(recent.holds("k", "h1"), "the first body stays the stored one");
    }

    #[test]
    fn forgets_the_oldest_beyond_its_capacity() {
        let recent = RecentlyStored::default();
        for i in 0..=CAPACITY {
            recent.remember(&format!("k{i}"), "h");
        }
        assert!(!recent.holds("k0", "h"));
        assert!(recent.holds("k1", "h"));
        assert!(recent.holds(&format!("k{CAPACITY}"), "h"));
        let entries = recent.inner.lock().unwrap();
        assert_eq!((entries.bodies.len(), entries.order.len()), (CAPACITY, CAPACITY));
    }
}
