//! Timestamps are kept as UTC plus the platform's original text, because platforms send
//! placeholders, local times without offsets, and formats nobody documented.

use chrono::{DateTime, Datelike, NaiveDateTime, Timelike, Utc};
pub use jiff::tz::TimeZone;
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
    /// In a DST fold the earlier instant is taken; in a gap, the instant as far past the
    /// gap's start as the time is (02:30 in a 02:00–03:00 gap is 03:30).
    pub fn local(raw: &str, tz: &TimeZone) -> Timestamp {
        // `YYYY-MM-DD HH:MM:SS[.fff]` (or with a `T`): chrono's own ISO parser, then formats.
        let t = raw.trim();
        let naive = t
            .replacen(' ', "T", 1)
            .parse::<NaiveDateTime>()
            .ok()
            .or_else(|| NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%.f").ok());
        Timestamp {
            utc: naive.and_then(|n| in_zone(n, tz)),
            raw: raw.to_owned(),
        }
    }

    pub fn millis(&self) -> Option<i64> {
        self.utc.map(|t| t.timestamp_millis())
    }
}

/// The instant a wall-clock time is in `tz` (jiff's "compatible" rule, as RFC 5545).
fn in_zone(n: NaiveDateTime, tz: &TimeZone) -> Option<DateTime<Utc>> {
    let part = |v: u32| i8::try_from(v).ok();
    let civil = jiff::civil::DateTime::new(
        i16::try_from(n.year()).ok()?,
        part(n.month())?,
        part(n.day())?,
        part(n.hour())?,
        part(n.minute())?,
        part(n.second())?,
        i32::try_from(n.nanosecond()).ok()?,
    )
    .ok()?;
    let at = tz.to_ambiguous_timestamp(civil).compatible().ok()?;
    DateTime::from_timestamp(at.as_second(), u32::try_from(at.subsec_nanosecond()).ok()?)
}

/// An IANA zone by name (`America/Lima`), from the database bundled in the binary.
pub fn zone(name: &str) -> Result<TimeZone, String> {
    TimeZone::get(name.trim()).map_err(|_| format!("'{name}' is not an IANA time zone"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_time_uses_the_merchant_zone() {
        let t = Timestamp::local("2022-03-02 22:41:00", &zone("America/Lima").unwrap());
        assert_eq!(t.utc.unwrap().to_rfc3339(), "2022-03-03T03:41:00+00:00");
        assert_eq!(t.raw, "2022-03-02 22:41:00");
    }

    #[test]
    fn dst_gap_and_fold_resolve() {
        let ny = zone("America/New_York").unwrap();
        // 02:30 does not exist on 2024-03-10 in New York.
        let gap = Timestamp::local("2024-03-10 02:30:00", &ny);
        assert_eq!(gap.utc.unwrap().to_rfc3339(), "2024-03-10T07:30:00+00:00");
        // 01:30 happens twice on 2024-11-03: the earlier (EDT) one is taken.
        let fold = Timestamp::local("2024-11-03 01:30:00", &ny);
        assert_eq!(fold.utc.unwrap().to_rfc3339(), "2024-11-03T05:30:00+00:00");
    }

    #[test]
    fn placeholders_are_kept_raw() {
        let t = Timestamp::rfc3339("YYYY-MM-DDTHH:mm:ss.SSSSSSZ");
        assert_eq!(t.utc, None);
        assert_eq!(t.raw, "YYYY-MM-DDTHH:mm:ss.SSSSSSZ");
        assert!(Timestamp::local("soon", &TimeZone::UTC).utc.is_none());
        assert!(zone("Mars/Olympus_Mons").is_err());
        assert!(Timestamp::rfc3339("2022-07-21T17:32:28Z").utc.is_some());
    }
}
