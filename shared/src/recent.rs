//! The deliveries this process has seen committed, so that a platform's retry reaching the
//! same warm instance is answered as it was, without reading it again or calling DynamoDB
//! (Powertools' idempotency "local cache"). A failed conditional write costs the same
//! write units and round trip as a stored one; this answer costs neither.
//!
//! A delivery is known by its bytes (the body's SHA-256) and the platform's message id where
//! it has one: a provider's event key is a function of those (see
//! [`crate::Provider::normalize`]), so a retry of the same bytes under the same id is the
//! same event. Another body under a remembered event id is another delivery: read, and the
//! table decides (it keeps the first and logs the re-use).
//!
//! Only what the table confirmed is remembered (a commit, or a duplicate of the same body),
//! so an answer from here is as durable as the table's; and only a delivery read in full
//! (the pipeline reads a quarantined one's retry again). Bounded: the oldest entries are
//! forgotten first.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// A few hundred KiB at most (a delivery's identity and its answer per entry): platforms
/// retry within minutes, and a warm instance handles far fewer deliveries in that time.
pub const CAPACITY: usize = 2048;

#[derive(Debug)]
pub struct RecentlyStored<T> {
    inner: Mutex<Entries<T>>,
}

#[derive(Debug)]
struct Entries<T> {
    /// A delivery's identity ([`delivery_id`]) → what it was answered.
    answers: HashMap<String, T>,
    /// Identities in the order they were remembered (eviction order).
    order: VecDeque<String>,
}

impl<T> Default for RecentlyStored<T> {
    fn default() -> Self {
        RecentlyStored {
            inner: Mutex::new(Entries {
                answers: HashMap::new(),
                order: VecDeque::new(),
            }),
        }
    }
}

/// Who a delivery is: its body's SHA-256 (hex, fixed length, so the concatenation is
/// unambiguous) and the platform's message id, if it sends one.
pub fn delivery_id(body_sha256: &str, message_id: Option<&str>) -> String {
    [body_sha256, message_id.unwrap_or_default()].concat()
}

impl<T: Clone> RecentlyStored<T> {
    /// The answer the table confirmed for this delivery, if this process saw it.
    pub fn answer(&self, delivery: &str) -> Option<T> {
        let entries = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        entries.answers.get(delivery).cloned()
    }

    /// Remembers that the table holds this delivery, answered `answer`; the first answer
    /// stays.
    pub fn remember(&self, delivery: String, answer: T) {
        let mut entries = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if entries.answers.contains_key(&delivery) {
            return;
        }
        if entries.order.len() >= CAPACITY {
            if let Some(oldest) = entries.order.pop_front() {
                entries.answers.remove(&oldest);
            }
        }
        entries.answers.insert(delivery.clone(), answer);
        entries.order.push_back(delivery);
    }
}

#[cfg(test)]
mod tests {
    use super::{delivery_id, RecentlyStored, CAPACITY};

    #[test]
    fn answers_only_the_remembered_delivery() {
        let recent = RecentlyStored::default();
        let (first, other_body) = (delivery_id("h1", None), delivery_id("h2", None));
        assert_eq!(recent.answer(&first), None);
        recent.remember(first.clone(), "k");
        assert_eq!(recent.answer(&first), Some("k"));
        assert_eq!(recent.answer(&other_body), None, "another body is read again");
        assert_eq!(
            recent.answer(&delivery_id("h1", Some("msg_2"))),
            None,
            "the same bytes under another message id are another message"
        );
        recent.remember(first.clone(), "k2");
        assert_eq!(recent.answer(&first), Some("k"), "the first answer stays");
    }

    #[test]
    fn forgets_the_oldest_beyond_its_capacity() {
        let recent = RecentlyStored::default();
        for i in 0..=CAPACITY {
            recent.remember(delivery_id(&format!("h{i}"), None), i);
        }
        assert_eq!(recent.answer("h0"), None);
        assert_eq!(recent.answer("h1"), Some(1));
        assert_eq!(recent.answer(&format!("h{CAPACITY}")), Some(CAPACITY));
        let entries = recent.inner.lock().unwrap();
        assert_eq!((entries.answers.len(), entries.order.len()), (CAPACITY, CAPACITY));
    }
}
