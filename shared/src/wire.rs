//! Small serde helpers for the platforms' loose JSON (ids that are sometimes numbers).

use serde::{Deserialize, Deserializer};

#[derive(Deserialize)]
#[serde(untagged)]
enum StrOrNum<'a> {
    Str(std::borrow::Cow<'a, str>),
    Int(i64),
    Uint(u64),
}

impl StrOrNum<'_> {
    fn into_string(self) -> String {
        match self {
            StrOrNum::Str(s) => s.into_owned(),
            StrOrNum::Int(i) => i.to_string(),
            StrOrNum::Uint(u) => u.to_string(),
        }
    }
}

/// An identifier sent as a string or as an integer (`"777"` or `777`).
pub fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    StrOrNum::deserialize(d).map(StrOrNum::into_string)
}

/// Like [`string_or_number`], for optional fields (`null` or absent → `None`).
pub fn opt_string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Option::<StrOrNum>::deserialize(d).map(|o| o.map(StrOrNum::into_string))
}

#[derive(Deserialize)]
#[serde(untagged)]
enum IntOrText<'a> {
    Int(i64),
    Float(f64),
    Text(std::borrow::Cow<'a, str>),
}

/// An integer amount sent as a number or as numeric text (`10` or `"10"`); `null` → `None`.
/// Fractions are refused: these fields are whole minor units.
pub fn opt_lenient_int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    use serde::de::Error;
    let whole = |f: f64| {
        (f.fract() == 0.0 && f.abs() < 9.0e15)
            .then_some(f as i64)
            .ok_or_else(|| D::Error::custom(format!("{f} is not a whole amount")))
    };
    match Option::<IntOrText>::deserialize(d)? {
        None => Ok(None),
        Some(IntOrText::Int(i)) => Ok(Some(i)),
        Some(IntOrText::Float(f)) => whole(f).map(Some),
        Some(IntOrText::Text(t)) => t.trim().parse::<i64>().map(Some).map_err(|_| {
            D::Error::custom(format!(
                "'{}' is not a whole amount",
                t.chars().take(40).collect::<String>()
            ))
        }),
    }
}

/// A list that may be `null` or absent (→ empty). Errors inside keep their field path.
/// Use with `#[serde(default, deserialize_with = "list_or_null")]`.
pub fn list_or_null<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    Option::<Vec<T>>::deserialize(d).map(Option::unwrap_or_default)
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany<T> {
    Many(Vec<T>),
    One(T),
}

/// A list that may arrive as an array, a single object, `null` or not at all.
/// Use with `#[serde(default, deserialize_with = "one_or_many")]`.
pub fn one_or_many<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    Ok(match Option::<OneOrMany<T>>::deserialize(d)? {
        None => Vec::new(),
        Some(OneOrMany::Many(v)) => v,
        Some(OneOrMany::One(t)) => vec![t],
    })
}

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize)]
    struct T {
        #[serde(deserialize_with = "super::string_or_number")]
        id: String,
        #[serde(default, deserialize_with = "super::opt_string_or_number")]
        opt: Option<String>,
    }

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct L {
        #[serde(default, deserialize_with = "super::one_or_many")]
        v: Vec<u32>,
    }

    #[derive(serde::Deserialize, Debug)]
    struct A {
        #[serde(default, deserialize_with = "super::opt_lenient_int")]
        a: Option<i64>,
    }

    #[test]
    fn amounts_may_be_numbers_or_numeric_text() {
        let a = |s: &str| serde_json::from_str::<A>(s).map(|x| x.a);
        assert_eq!(a(r#"{"a": 10}"#).unwrap(), Some(10));
        assert_eq!(a(r#"{"a": "10"}"#).unwrap(), Some(10));
        assert_eq!(a(r#"{"a": 10.0}"#).unwrap(), Some(10));
        assert_eq!(a(r#"{"a": null}"#).unwrap(), None);
        assert_eq!(a(r#"{}"#).unwrap(), None);
        assert!(a(r#"{"a": "ten"}"#).is_err());
        assert!(a(r#"{"a": 10.5}"#).is_err());
        assert!(a(r#"{"a": 1e300}"#).is_err());
    }

    #[test]
    fn lists_may_be_one_many_null_or_absent() {
        let v = |s: &str| serde_json::from_str::<L>(s).map(|l| l.v);
        assert_eq!(v(r#"{"v": [1, 2]}"#).unwrap(), [1, 2]);
        assert_eq!(v(r#"{"v": 3}"#).unwrap(), [3]);
        assert_eq!(v(r#"{"v": null}"#).unwrap(), Vec::<u32>::new());
        assert_eq!(v(r#"{}"#).unwrap(), Vec::<u32>::new());
        assert!(v(r#"{"v": "x"}"#).is_err());
    }

    #[test]
    fn ids_may_be_strings_or_numbers() {
        let t: T = serde_json::from_str(r#"{"id": 777, "opt": "a"}"#).unwrap();
        assert_eq!((t.id.as_str(), t.opt.as_deref()), ("777", Some("a")));
        let t: T = serde_json::from_str(r#"{"id": "PE-1", "opt": null}"#).unwrap();
        assert_eq!((t.id.as_str(), t.opt), ("PE-1", None));
        let t: T = serde_json::from_str(r#"{"id": "x"}"#).unwrap();
        assert_eq!(t.opt, None);
        assert!(serde_json::from_str::<T>(r#"{"id": 1.5}"#).is_err());
        assert!(serde_json::from_str::<T>(r#"{"id": {}}"#).is_err());
    }
}
