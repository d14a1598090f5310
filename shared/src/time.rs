//! Timestamps are kept as UTC plus the platform's original text, because platforms send
//! placeholders, local times without offsets, and formats nobody documented.

use chrono::{DateTime, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timestamp {
    /// `None` when the original could not be interpreted; the raw text is still kept.
    pub utc: Option<DateTime<Utc>>,
    pub raw: String,
}

impl Timestamp {
    /// An ISO 8601 / RFC 3339 instant with an offset, e.g. `2022-07-21T17:32:28Z`.
    pub fn rfc3339(raw: &str) -> Timestamp {
        Timestamp {
            utc: DateTime::parse_from_rfc3339(raw.trim())
                .ok()
                .map(|t| t.with_timezone(&Utc)),
            raw: raw.to_owned(),
        }
    }

    /// A wall-clock time with no offset (`YYYY-MM-DD HH:MM:SS`), read in the zone `tz`.
    /// In a DST fold the earlier instant is taken; in a gap, the instant one hour later.
    pub fn local(raw: &str, tz: Tz) -> Timestamp {
        // `YYYY-MM-DD HH:MM:SS[.fff]` (or with a `T`): chrono's own ISO parser, then formats.
        let t = raw.trim();
        let naive = t
            .replacen(' ', "T", 1)
            .parse::<NaiveDateTime>()
            .ok()
            .or_else(|| NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%.f").ok());
        let utc = naive.and_then(|n| match tz.from_local_datetime(&n) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => Some(t.with_timezone(&Utc)),
            LocalResult::None => tz
                .from_local_datetime(&(n + chrono::Duration::hours(1)))
                .earliest()
                .map(|t| t.with_timezone(&Utc)),
        });
        Timestamp {
            utc,
            raw: raw.to_owned(),
        }
    }

    pub fn millis(&self) -> Option<i64> {
        self.utc.map(|t| t.timestamp_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_time_uses_the_merchant_zone() {
        let t = Timestamp::local("2022-03-02 22:41:00", chrono_tz::America::Lima);
        assert_eq!(t.utc.unwrap().to_rfc3339(), "2022-03-03T03:41:00+00:00");
        assert_eq!(t.raw, "2022-03-02 22:41:00");
    }

    #[test]
    fn dst_gap_and_fold_resolve() {
        let ny = chrono_tz::America::New_York;
        // 02:30 does not exist on 2024-03-10 in New York.
        let gap = Timestamp::local("2024-03-10 02:30:00", ny);
        assert_eq!(gap.utc.unwrap().to_rfc3339(), "2024-03-10T07:30:00+00:00");
        // 01:30 happens twice on 2024-11-03: the earlier (EDT) one is taken.
        let fold = Timestamp::local("2024-11-03 01:30:00", ny);
        assert_eq!(fold.utc.unwrap().to_rfc3339(), "2024-11-03T05:30:00+00:00");
    }

    #[test]
    fn placeholders_are_kept_raw() {
        let t = Timestamp::rfc3339("YYYY-MM-DDTHH:mm:ss.SSSSSSZ");
        assert_eq!(t.utc, None);
        assert_eq!(t.raw, "YYYY-MM-DDTHH:mm:ss.SSSSSSZ");
        assert!(Timestamp::local("soon", chrono_tz::UTC).utc.is_none());
        assert!(Timestamp::rfc3339("2022-07-21T17:32:28Z").utc.is_some());
    }
}
