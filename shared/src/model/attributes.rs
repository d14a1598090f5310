//! The `attributes` of orders and items: what a platform sent that the canonical model has
//! no field for, as text under the platform's own name.

use std::borrow::Cow;
use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Name → text, kept in name order and written as a JSON object. Most are a handful of
/// entries named by the platform code's own literals: a sorted list holds them without a
/// tree's nodes or a copy of each name (per item, those were a fifth of Deliverect's
/// normalization).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attributes(Vec<(Cow<'static, str>, String)>);

impl Attributes {
    pub fn new() -> Self {
        Attributes::default()
    }

    /// Sets `name` to `value`; returns the text it replaces.
    pub fn insert(&mut self, name: impl Into<Cow<'static, str>>, value: impl Into<String>) -> Option<String> {
        let name = name.into();
        match self.0.binary_search_by(|(k, _)| k.as_ref().cmp(name.as_ref())) {
            Ok(at) => Some(std::mem::replace(&mut self.0[at].1, value.into())),
            Err(at) => {
                self.0.insert(at, (name, value.into()));
                None
            }
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .binary_search_by(|(k, _)| k.as_ref().cmp(name))
            .ok()
            .map(|at| self.0[at].1.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }

    /// The entries in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_ref(), v.as_str()))
    }
}

impl std::ops::Index<&str> for Attributes {
    type Output = String;

    fn index(&self, name: &str) -> &String {
        let at = self.0.binary_search_by(|(k, _)| k.as_ref().cmp(name));
        &self.0[at.unwrap_or_else(|_| panic!("no attribute {name}"))].1
    }
}

impl<K: Into<Cow<'static, str>>, V: Into<String>> FromIterator<(K, V)> for Attributes {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(entries: I) -> Self {
        let mut out = Attributes::new();
        for (k, v) in entries {
            out.insert(k, v);
        }
        out
    }
}

impl<K: Into<Cow<'static, str>>, V: Into<String>, const N: usize> From<[(K, V); N]> for Attributes {
    fn from(entries: [(K, V); N]) -> Self {
        entries.into_iter().collect()
    }
}

impl Serialize for Attributes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Attributes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries;
        impl<'de> Visitor<'de> for Entries {
            type Value = Attributes;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of texts")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Attributes, A::Error> {
                let mut out = Attributes::new();
                while let Some((k, v)) = map.next_entry::<String, String>()? {
                    out.insert(k, v);
                }
                Ok(out)
            }
        }
        deserializer.deserialize_map(Entries)
    }
}

/// Adds `value` under `name` unless it is absent or empty.
pub fn put(attrs: &mut Attributes, name: impl Into<Cow<'static, str>>, value: Option<impl ToString>) {
    if let Some(v) = value.map(|v| v.to_string()).filter(|v| !v.is_empty()) {
        attrs.insert(name, v);
    }
}

/// Adds a list as compact JSON under `name` unless it is empty (checked before any work).
pub fn put_list<T: Serialize>(attrs: &mut Attributes, name: impl Into<Cow<'static, str>>, list: &[T]) {
    if !list.is_empty() {
        put_json(attrs, name, &list);
    }
}

/// Adds `value` as compact JSON under `name` unless it is `null` or an empty list.
pub fn put_json<T: Serialize>(attrs: &mut Attributes, name: impl Into<Cow<'static, str>>, value: &T) {
    let text = serde_json::to_string(value).expect("plain JSON values");
    if text != "null" && text != "[]" {
        attrs.insert(name, text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_are_an_object_in_name_order_whatever_the_order_they_came_in() {
        let mut a = Attributes::from([("b", "2"), ("a", "1")]);
        a.insert("c".to_owned(), "3");
        assert_eq!(a.insert("b", "two"), Some("2".to_owned()));
        assert_eq!(a.get("b"), Some("two"));
        assert_eq!(a.get("z"), None);
        let text = serde_json::to_string(&a).unwrap();
        assert_eq!(text, r#"{"a":"1","b":"two","c":"3"}"#);
        let back: Attributes = serde_json::from_str(r#"{"c":"3","a":"1","b":"two"}"#).unwrap();
        assert_eq!(back, a);
        assert_eq!(back.iter().map(|(k, _)| k).collect::<Vec<_>>(), ["a", "b", "c"]);
        // A name repeated in stored JSON keeps its last text, as a map read it before.
        let repeated: Attributes = serde_json::from_str(r#"{"a":"1","a":"2"}"#).unwrap();
        assert_eq!((repeated.len(), &repeated["a"]), (1, &"2".to_owned()));
    }
}
