//! The stack's EventBridge bus: where order changes and command outcomes go for your
//! systems (the publisher, the commands function).

/// The `source` of every event ordergate puts on the bus.
pub const SOURCE: &str = "ordergate";

/// Where the events go.
pub trait Bus: Send + Sync {
    /// Publishes `details` (detail type, JSON) in order; returns the indices that failed.
    fn put(&self, details: &[(&'static str, String)])
        -> impl std::future::Future<Output = Vec<usize>> + Send;
}

pub struct EventBridge {
    client: aws_sdk_eventbridge::Client,
    bus: String,
}

impl EventBridge {
    pub fn new(client: aws_sdk_eventbridge::Client, bus: impl Into<String>) -> Self {
        EventBridge {
            client,
            bus: bus.into(),
        }
    }

    /// The bus named by `EVENT_BUS_NAME` (template.yaml), through a client from `sdk`.
    pub fn from_env(sdk: &aws_config::SdkConfig) -> Result<Self, crate::config::ConfigError> {
        let bus = crate::config::required("EVENT_BUS_NAME")?;
        Ok(EventBridge::new(aws_sdk_eventbridge::Client::new(sdk), bus))
    }
}

/// PutEvents takes at most 10 entries and 256 KB per request.
const PUT_EVENTS_ENTRIES: usize = 10;
const PUT_EVENTS_BYTES: usize = 256 * 1024;

/// Consecutive entries (by their sizes in bytes) cut into requests within both limits: a
/// few large snapshots go in requests of their own instead of failing one of 10 forever.
fn requests(sizes: &[usize]) -> Vec<std::ops::Range<usize>> {
    let (mut out, mut start, mut bytes) = (Vec::new(), 0, 0);
    for (i, size) in sizes.iter().enumerate() {
        if i > start && (i - start == PUT_EVENTS_ENTRIES || bytes + size > PUT_EVENTS_BYTES) {
            out.push(start..i);
            (start, bytes) = (i, 0);
        }
        bytes += size;
    }
    if start < sizes.len() {
        out.push(start..sizes.len());
    }
    out
}

impl Bus for EventBridge {
    async fn put(&self, details: &[(&'static str, String)]) -> Vec<usize> {
        use aws_sdk_eventbridge::types::PutEventsRequestEntry;
        let mut failed = Vec::new();
        // An entry's size as EventBridge counts it: its source, detail type and detail (and,
        // to be safe, the bus name) in UTF-8 bytes.
        let sizes: Vec<usize> = details
            .iter()
            .map(|(detail_type, d)| SOURCE.len() + detail_type.len() + d.len() + self.bus.len())
            .collect();
        for range in requests(&sizes) {
            let (first, chunk) = (range.start, &details[range]);
            let entries = chunk
                .iter()
                .map(|(detail_type, d)| {
                    PutEventsRequestEntry::builder()
                        .event_bus_name(&self.bus)
                        .source(SOURCE)
                        .detail_type(*detail_type)
                        .detail(d)
                        .build()
                })
                .collect();
            match self.client.put_events().set_entries(Some(entries)).send().await {
                Ok(out) => failed.extend(
                    out.entries()
                        .iter()
                        .enumerate()
                        .filter(|(_, e)| e.error_code().is_some())
                        .map(|(i, _)| first + i),
                ),
                Err(_) => failed.extend((0..chunk.len()).map(|i| first + i)),
            }
        }
        failed
    }
}

#[cfg(test)]
mod tests {
    use super::requests;

    #[test]
    fn requests_hold_at_most_ten_entries_and_256_kb() {
        const KB: usize = 1024;
        assert_eq!(requests(&[]), vec![]);
        assert_eq!(requests(&[KB; 10]), vec![0..10]);
        assert_eq!(requests(&[KB; 11]), vec![0..10, 10..11]);
        assert_eq!(requests(&[200 * KB; 3]), vec![0..1, 1..2, 2..3]);
        assert_eq!(requests(&[100 * KB, 100 * KB, 100 * KB, KB]), vec![0..2, 2..4]);
        assert_eq!(requests(&[256 * KB, KB]), vec![0..1, 1..2]);
        let sizes = [120 * KB, 7 * KB, 130 * KB, 3 * KB, 250 * KB, KB, KB];
        let batches = requests(&sizes);
        assert_eq!(batches.iter().map(|b| b.len()).sum::<usize>(), sizes.len());
        for batch in batches {
            assert!(batch.len() <= 10 && sizes[batch].iter().sum::<usize>() <= 256 * KB);
        }
    }
}
