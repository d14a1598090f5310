//! Reading function configuration from the environment (set by template.yaml).

use std::collections::HashMap;

/// A set, non-blank environment variable.
pub fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// An ISO 4217 currency from `name`, else `default`; a bad code names the variable.
pub fn currency(name: &str, default: &str) -> Result<crate::money::Currency, String> {
    let code = var(name).unwrap_or_else(|| default.to_owned());
    code.parse().map_err(|e| format!("{name}: {e}"))
}

/// A number from `name`, if it is set; a value that is not one (blank included) names
/// the variable.
pub fn number<T: std::str::FromStr>(name: &str) -> Result<Option<T>, String> {
    std::env::var(name)
        .ok()
        .map(|v| {
            v.trim()
                .parse()
                .map_err(|_| format!("{name}={v} is not a number"))
        })
        .transpose()
}

pub fn required(name: &str) -> Result<String, String> {
    var(name).ok_or_else(|| format!("environment variable {name} is required"))
}

/// A `key=value,key=value` list (e.g. per-merchant time zones), each value parsed.
pub fn key_values<T>(
    list: &str,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<HashMap<String, T>, String> {
    list.split(',')
        .filter(|pair| !pair.trim().is_empty())
        .map(|pair| {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| format!("'{pair}': expected key=value"))?;
            Ok((key.trim().to_owned(), parse(value.trim())?))
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
        assert!(bad.contains("ORDERGATE_TEST_NUMBER_BAD"), "{bad}");
    }

    #[test]
    fn key_value_lists_parse_each_value() {
        let m = super::key_values("a=1, b = 2,", |v| v.parse::<u8>().map_err(|e| e.to_string())).unwrap();
        assert_eq!((m["a"], m["b"], m.len()), (1, 2, 2));
        assert!(super::key_values("a", |v| Ok(v.to_owned())).is_err());
        assert!(super::key_values("a=x", |v| v.parse::<u8>().map_err(|e| e.to_string())).is_err());
    }
}
