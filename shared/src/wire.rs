//! Small serde helpers for the platforms' loose JSON (ids that are sometimes numbers).

use std::fmt;

use serde::de::{self, IntoDeserializer, Visitor};
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

/// An integer amount sent as a number or as numeric text (`10` or `"10"`); `null` → `None`.
/// Fractions are refused: these fields are whole minor units. Read by a visitor, so it
/// costs no buffering.
pub fn opt_lenient_int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<i64>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a whole amount as a number or numeric text")
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            i64::try_from(v)
                .map(Some)
                .map_err(|_| E::custom(format!("{v} is out of range")))
        }
        fn visit_f64<E: de::Error>(self, f: f64) -> Result<Self::Value, E> {
            (f.fract() == 0.0 && f.abs() < 9.0e15)
                .then_some(Some(f as i64))
                .ok_or_else(|| E::custom(format!("{f} is not a whole amount")))
        }
        fn visit_str<E: de::Error>(self, t: &str) -> Result<Self::Value, E> {
            t.trim().parse::<i64>().map(Some).map_err(|_| {
                E::custom(format!(
                    "'{}' is not a whole amount",
                    t.chars().take(40).collect::<String>()
                ))
            })
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(V)
        }
    }
    d.deserialize_option(V)
}

/// A list that may be `null` or absent (→ empty). Errors inside keep their field path.
/// Use with `#[serde(default, deserialize_with = "list_or_null")]`.
pub fn list_or_null<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    Option::<Vec<T>>::deserialize(d).map(Option::unwrap_or_default)
}

/// A list that may arrive as an array, a single object, `null` or not at all.
/// Use with `#[serde(default, deserialize_with = "one_or_many")]`. Read by a visitor, so
/// nothing is buffered and errors inside keep their field path.
pub fn one_or_many<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    struct V<T>(std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an object or an array of objects")
        }
        fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
            while let Some(item) = seq.next_element()? {
                out.push(item);
            }
            Ok(out)
        }
        fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Vec<T>, A::Error> {
            T::deserialize(de::value::MapAccessDeserializer::new(map)).map(|t| vec![t])
        }
        // A single scalar where a list of scalars is expected.
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Vec<T>, E> {
            T::deserialize(v.into_deserializer()).map(|t| vec![t])
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Vec<T>, E> {
            T::deserialize(v.into_deserializer()).map(|t| vec![t])
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Vec<T>, E> {
            T::deserialize(v.into_deserializer()).map(|t| vec![t])
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Vec<T>, E> {
            T::deserialize(v.into_deserializer()).map(|t| vec![t])
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<T>, E> {
            T::deserialize(v.into_deserializer()).map(|t| vec![t])
        }
        fn visit_unit<E: de::Error>(self) -> Result<Vec<T>, E> {
            Ok(Vec::new())
        }
        fn visit_none<E: de::Error>(self) -> Result<Vec<T>, E> {
            Ok(Vec::new())
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Vec<T>, D::Error> {
            d.deserialize_any(self)
        }
    }
    d.deserialize_option(V(std::marker::PhantomData))
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
