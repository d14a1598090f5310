//! Timestamps are kept as UTC plus the platform's original text, because platforms send
//! placeholders, local times without offsets, and formats nobody documented.

use chrono::{DateTime, Utc};
use jiff::civil;
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
        Timestamp {
            utc: wall_clock(raw.trim()).and_then(|t| in_zone(t, tz)),
            raw: raw.to_owned(),
        }
    }

    pub fn millis(&self) -> Option<i64> {
        self.utc.map(|t| t.timestamp_millis())
    }
}

/// `YYYY-MM-DD HH:MM:SS[.f…]` (or with a `T`), the one offset-less form platforms send. Read
/// here rather than by a general date-format parser, which would add to every binary that
/// reads local times (OlaClick's bootstrap size).
fn wall_clock(t: &str) -> Option<civil::DateTime> {
    let b = t.as_bytes();
    let separators = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
    if b.len() < 19 || !matches!(b[10], b' ' | b'T' | b't') || separators.iter().any(|&(i, c)| b[i] != c) {
        return None;
    }
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    let number = |r: std::ops::Range<usize>| t.get(r).filter(|s| digits(s))?.parse::<i16>().ok();
    let part = |r| number(r).and_then(|v| i8::try_from(v).ok());
    let nanos = match t.get(19..)? {
        "" => 0,
        fraction => {
            let f = fraction.strip_prefix('.').filter(|f| digits(f) && f.len() <= 9)?;
            f.parse::<i32>().ok()? * 10_i32.pow(9 - f.len() as u32)
        }
    };
    civil::DateTime::new(
        number(0..4)?,
        part(5..7)?,
        part(8..10)?,
        part(11..13)?,
        part(14..16)?,
        part(17..19)?,
        nanos,
    )
    .ok()
}

/// The instant a wall-clock time is in `tz` (jiff's "compatible" rule, as RFC 5545).
fn in_zone(t: civil::DateTime, tz: &TimeZone) -> Option<DateTime<Utc>> {
    let at = tz.to_ambiguous_timestamp(t).compatible().ok()?;
    DateTime::from_timestamp(at.as_second(), u32::try_from(at.subsec_nanosecond()).ok()?)
}

use crate::config::NotOneOf;

/// An IANA zone by name (`America/Lima`), from the database bundled in the binary.
pub fn zone(name: &str) -> Result<TimeZone, NotOneOf> {
    TimeZone::get(name.trim()).map_err(|_| NotOneOf {
        word: name.to_owned(),
        expected: "an IANA time zone",
    })
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
    fn wall_clock_times_are_read_with_a_space_or_a_t_and_any_fraction() {
        let lima = zone("America/Lima").unwrap();
        let utc = |raw: &str| Timestamp::local(raw, &lima).utc.map(|t| t.to_rfc3339());
        assert_eq!(
            utc("2022-03-02T22:41:00").as_deref(),
            Some("2022-03-03T03:41:00+00:00")
        );
        assert_eq!(
            utc(" 2022-03-02 22:41:00.5 ").as_deref(),
            Some("2022-03-03T03:41:00.500+00:00")
        );
        assert_eq!(
            utc("2022-03-02 22:41:00.123456789").as_deref(),
            Some("2022-03-03T03:41:00.123456789+00:00")
        );
        for bad in [
            "2022-03-02 22:41",
            "2022-13-02 22:41:00",
            "2022-03-02 22:41:00.",
            "2022-03-02 22:41:00Z",
            "2022/03/02 22:41:00",
            "2022-03-02 22:41:0é",
            "２０２２-03-02 22:41:00",
        ] {
            assert_eq!(utc(bad), None, "{bad}");
        }
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
