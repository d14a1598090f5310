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

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize)]
    struct T {
        #[serde(deserialize_with = "super::string_or_number")]
        id: String,
        #[serde(default, deserialize_with = "super::opt_string_or_number")]
        opt: Option<String>,
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
