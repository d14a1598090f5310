//! Manual acceptance: whether a platform's new orders are accepted on receipt (`auto`) or
//! wait for the restaurant to accept or reject them (`manual`), per platform and per
//! location, and what applies when the restaurant does not decide in time.
//!
//! Read from `<PLATFORM>_ACCEPT_MODE` (`auto` | `manual`), `<PLATFORM>_ACCEPT_MODE_LOCATIONS`
//! (`<location>=manual,<location>=auto`: exceptions to the mode), `<PLATFORM>_DECISION_WINDOW_SECONDS`,
//! `<PLATFORM>_UNDECIDED` (`accept` | `reject`) and `<PLATFORM>_UNDECIDED_REASON`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{Decision, Requested, MAX_REASON};
use crate::config::{self, ConfigError, NotOneOf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcceptMode {
    /// New orders are accepted on receipt (the ack worker tells the platform).
    Auto,
    /// New orders wait for the restaurant's `accepted` or `rejected`.
    Manual,
}

impl AcceptMode {
    fn parse(word: &str) -> Result<AcceptMode, NotOneOf> {
        match word.trim() {
            "auto" => Ok(AcceptMode::Auto),
            "manual" => Ok(AcceptMode::Manual),
            other => Err(NotOneOf {
                word: other.to_owned(),
                expected: "auto or manual",
            }),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acceptance {
    pub mode: AcceptMode,
    /// Locations (the platform's ids) whose mode differs from `mode`.
    pub locations: HashMap<String, AcceptMode>,
    /// How long a new order waits for the restaurant's decision.
    pub window: chrono::Duration,
    /// What applies when the window passes: accepted, or rejected with `reason`.
    pub then: Requested,
    pub reason: String,
}

/// The longest window: SQS holds a waiting job at most 12 h, and no platform waits longer
/// than minutes for an answer.
const MAX_WINDOW_SECONDS: i64 = 3600;

impl Default for Acceptance {
    /// Every order accepted on receipt; in manual mode, 4 minutes to decide, then accepted.
    fn default() -> Self {
        Acceptance {
            mode: AcceptMode::Auto,
            locations: HashMap::new(),
            window: chrono::Duration::seconds(240),
            then: Requested::Accepted,
            reason: "The restaurant did not confirm the order in time".into(),
        }
    }
}

impl Acceptance {
    /// The settings of the platform whose variables start with `prefix` (`DELIVERECT`).
    pub fn from_env(prefix: &str) -> Result<Acceptance, ConfigError> {
        Acceptance::read(prefix, config::var)
    }

    /// The settings from `lookup` (a variable's value by name).
    fn read(prefix: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<Acceptance, ConfigError> {
        let name = |setting: &str| format!("{prefix}_{setting}");
        let var = |setting: &str| lookup(&name(setting));
        let invalid =
            |setting: &str, problem: &dyn std::fmt::Display| ConfigError::invalid(name(setting), problem);
        let mut a = Acceptance::default();
        if let Some(mode) = var("ACCEPT_MODE") {
            a.mode = AcceptMode::parse(&mode).map_err(|e| invalid("ACCEPT_MODE", &e))?;
        }
        if let Some(list) = var("ACCEPT_MODE_LOCATIONS") {
            a.locations = config::key_values(&name("ACCEPT_MODE_LOCATIONS"), &list, AcceptMode::parse)?;
        }
        if let Some(seconds) = var("DECISION_WINDOW_SECONDS") {
            let seconds: i64 = seconds
                .parse()
                .ok()
                .filter(|s| (1..=MAX_WINDOW_SECONDS).contains(s))
                .ok_or_else(|| {
                    invalid(
                        "DECISION_WINDOW_SECONDS",
                        &format_args!("must be 1 to {MAX_WINDOW_SECONDS}"),
                    )
                })?;
            a.window = chrono::Duration::seconds(seconds);
        }
        if let Some(then) = var("UNDECIDED") {
            a.then = match then.trim() {
                "accept" => Requested::Accepted,
                "reject" => Requested::Rejected,
                other => {
                    let e = NotOneOf {
                        word: other.to_owned(),
                        expected: "accept or reject",
                    };
                    return Err(invalid("UNDECIDED", &e));
                }
            };
        }
        if let Some(reason) = var("UNDECIDED_REASON") {
            if reason.chars().count() > MAX_REASON {
                let problem = format_args!("is longer than {MAX_REASON} characters");
                return Err(invalid("UNDECIDED_REASON", &problem));
            }
            a.reason = reason;
        }
        Ok(a)
    }

    /// The mode of `location`'s new orders.
    pub fn mode_for(&self, location: Option<&str>) -> AcceptMode {
        location
            .and_then(|l| self.locations.get(l).copied())
            .unwrap_or(self.mode)
    }

    /// The decision a new order received at `received_at` at `location` waits for, if
    /// its location decides manually.
    pub fn decision(&self, location: Option<&str>, received_at: DateTime<Utc>) -> Option<Decision> {
        (self.mode_for(location) == AcceptMode::Manual).then(|| Decision {
            until: received_at + self.window,
            then: self.then,
            reason: (self.then == Requested::Rejected).then(|| self.reason.clone()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mode_is_per_platform_with_exceptions_per_location() {
        let a = Acceptance {
            mode: AcceptMode::Auto,
            locations: HashMap::from([("kiosk-7".to_owned(), AcceptMode::Manual)]),
            ..Acceptance::default()
        };
        let now = Utc::now();
        assert_eq!(a.decision(Some("store-1"), now), None);
        assert_eq!(a.decision(None, now), None);
        let waits = a.decision(Some("kiosk-7"), now).unwrap();
        assert_eq!(
            (waits.until - now, waits.then, waits.reason),
            (chrono::Duration::seconds(240), Requested::Accepted, None)
        );
        let rejecting = Acceptance {
            mode: AcceptMode::Manual,
            then: Requested::Rejected,
            ..Acceptance::default()
        };
        let d = rejecting.decision(Some("store-1"), now).unwrap();
        assert_eq!(
            (d.then, d.reason.as_deref()),
            (
                Requested::Rejected,
                Some("The restaurant did not confirm the order in time")
            )
        );
    }

    fn read(vars: &[(&str, &str)]) -> Result<Acceptance, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (format!("X_{k}"), v.to_string()))
            .collect();
        Acceptance::read("X", |name| vars.get(name).cloned())
    }

    #[test]
    fn settings_are_read_and_checked() {
        assert_eq!(read(&[]), Ok(Acceptance::default()));
        let a = read(&[
            ("ACCEPT_MODE", "manual"),
            ("ACCEPT_MODE_LOCATIONS", "l1=auto"),
            ("DECISION_WINDOW_SECONDS", "90"),
            ("UNDECIDED", "reject"),
            ("UNDECIDED_REASON", "Closed"),
        ])
        .unwrap();
        assert_eq!(
            (a.mode, a.mode_for(Some("l1")), a.window.num_seconds()),
            (AcceptMode::Manual, AcceptMode::Auto, 90)
        );
        assert_eq!((a.then, a.reason.as_str()), (Requested::Rejected, "Closed"));
        for bad in [
            ("ACCEPT_MODE", "sometimes"),
            ("DECISION_WINDOW_SECONDS", "0"),
            ("DECISION_WINDOW_SECONDS", "7200"),
            ("UNDECIDED", "maybe"),
            ("ACCEPT_MODE_LOCATIONS", "l1=never"),
            ("UNDECIDED_REASON", &"x".repeat(MAX_REASON + 1)),
        ] {
            let named = format!("X_{}", bad.0);
            assert!(
                matches!(read(&[bad]), Err(ConfigError::Invalid { name, .. }) if name == named),
                "{bad:?}"
            );
        }
    }
}
