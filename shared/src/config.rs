//! Reading function configuration from the environment (set by template.yaml).

use std::collections::HashMap;

/// A set, non-blank environment variable.
pub fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// A setting the function cannot start with: Lambda reports it as the init error, and the
/// deploy's smoke test or the function's `Errors` alarm shows it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is required")]
    Missing(String),
    #[error("{name}: {problem}")]
    Invalid { name: String, problem: String },
}

impl ConfigError {
    pub fn invalid(name: impl Into<String>, problem: impl std::fmt::Display) -> Self {
        ConfigError::Invalid {
            name: name.into(),
            problem: problem.to_string(),
        }
    }
}

/// A word that is not one of the values a setting takes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{word}' is not {expected}")]
pub struct NotOneOf {
    pub word: String,
    pub expected: &'static str,
}

/// An ISO 4217 currency from `name`, else `default`; a bad code names the variable.
pub fn currency(name: &str, default: &str) -> Result<crate::money::Currency, ConfigError> {
    let code = var(name).unwrap_or_else(|| default.to_owned());
    code.parse().map_err(|e| ConfigError::invalid(name, e))
}

/// `name`'s value read by `parse`, if it is set; a value `parse` refuses names the variable.
pub fn parsed<T, E: std::fmt::Display>(
    name: &str,
    parse: impl Fn(&str) -> Result<T, E>,
) -> Result<Option<T>, ConfigError> {
    var(name)
        .map(|v| parse(&v).map_err(|e| ConfigError::invalid(name, e)))
        .transpose()
}

/// A number from `name`, if it is set; a value that is not one (blank included) names
/// the variable.
pub fn number<T: std::str::FromStr>(name: &str) -> Result<Option<T>, ConfigError> {
    std::env::var(name)
        .ok()
        .map(|v| {
            v.trim()
                .parse()
                .map_err(|_| ConfigError::invalid(name, format_args!("'{v}' is not a number")))
        })
        .transpose()
}

pub fn required(name: &str) -> Result<String, ConfigError> {
    var(name).ok_or_else(|| ConfigError::Missing(name.to_owned()))
}

/// `name`'s `key=value,key=value` list (e.g. per-merchant time zones), each value parsed.
pub fn key_values<T, E: std::fmt::Display>(
    name: &str,
    list: &str,
    parse: impl Fn(&str) -> Result<T, E>,
) -> Result<HashMap<String, T>, ConfigError> {
    list.split(',')
        .filter(|pair| !pair.trim().is_empty())
        .map(|pair| {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| ConfigError::invalid(name, format_args!("'{pair}': expected key=value")))?;
            let value = parse(value.trim()).map_err(|e| ConfigError::invalid(name, e))?;
            Ok((key.trim().to_owned(), value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_number_is_unset_read_or_refused_by_name() {
        // Names of this test's own: the environment is the process's.
        std::env::set_var("ORDERGATE_TEST_NUMBER_SET", " 15 ");
        std::env::set_var("ORDERGATE_TEST_NUMBER_BAD", "");
        assert_eq!(super::number::<u64>("ORDERGATE_TEST_NUMBER_SET"), Ok(Some(15)));
        assert_eq!(super::number::<u64>("ORDERGATE_TEST_NUMBER_UNSET"), Ok(None));
        let bad = super::number::<u64>("ORDERGATE_TEST_NUMBER_BAD").unwrap_err();
        assert!(
            matches!(&bad, super::ConfigError::Invalid { name, .. } if name == "ORDERGATE_TEST_NUMBER_BAD"),
            "{bad}"
        );
    }

    #[test]
    fn key_value_lists_parse_each_value() {
        let m = super::key_values("LIST", "a=1, b = 2,", str::parse::<u8>).unwrap();
        assert_eq!((m["a"], m["b"], m.len()), (1, 2, 2));
        let unpaired = super::key_values("LIST", "a", str::parse::<u8>).unwrap_err();
        assert_eq!(unpaired.to_string(), "LIST: 'a': expected key=value");
        let unread = super::key_values("LIST", "a=x", str::parse::<u8>).unwrap_err();
        assert!(unread.to_string().starts_with("LIST: "), "{unread}");
    }
}
