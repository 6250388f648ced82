//! A tiny JSON value that keeps object keys in the order they were written.
//!
//! `serde_json::Value` sorts object keys (the crate's `preserve_order` feature is off in this
//! workspace, and turning it on would change every crate's JSON), but Bedrock's model-native
//! chunks are not sorted: Llama sends `generation, prompt_token_count, generation_token_count,
//! stop_reason`, Nova `{"delta":…,"contentBlockIndex":…}`. Writing them through [`J`] keeps the
//! captured order byte for byte.

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

/// A JSON value whose objects keep insertion order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum J {
    Null,
    Bool(bool),
    Int(i64),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
    /// Any serde_json value, written as serde_json writes it (objects sorted).
    Raw(serde_json::Value),
}

impl J {
    /// An object from `(key, value)` pairs, in that order.
    pub(crate) fn obj<const N: usize>(fields: [(&str, J); N]) -> J {
        J::Obj(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    /// Appends `key: value` to an object (no-op on other values).
    pub(crate) fn push(&mut self, key: &str, value: impl Into<J>) {
        if let J::Obj(fields) = self {
            fields.push((key.to_owned(), value.into()));
        }
    }

    /// Replaces the value of `key` in an object, or appends it.
    pub(crate) fn set(&mut self, key: &str, value: impl Into<J>) {
        if let J::Obj(fields) = self {
            let value = value.into();
            match fields.iter_mut().find(|(k, _)| k == key) {
                Some((_, v)) => *v = value,
                None => fields.push((key.to_owned(), value)),
            }
        }
    }

    /// Sorts an object's keys (ConverseStream payloads are sorted on the wire).
    pub(crate) fn sorted(mut self) -> J {
        if let J::Obj(fields) = &mut self {
            fields.sort_by(|a, b| a.0.cmp(&b.0));
        }
        self
    }

    pub(crate) fn bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("J always serializes")
    }

    #[cfg(test)]
    pub(crate) fn text(&self) -> String {
        serde_json::to_string(self).expect("J always serializes")
    }
}

impl Serialize for J {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            J::Null => s.serialize_unit(),
            J::Bool(b) => s.serialize_bool(*b),
            J::Int(n) => s.serialize_i64(*n),
            J::Str(t) => s.serialize_str(t),
            J::Arr(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            J::Obj(fields) => {
                let mut map = s.serialize_map(Some(fields.len()))?;
                for (k, v) in fields {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
            J::Raw(v) => v.serialize(s),
        }
    }
}

impl From<&str> for J {
    fn from(v: &str) -> J {
        J::Str(v.to_owned())
    }
}

impl From<String> for J {
    fn from(v: String) -> J {
        J::Str(v)
    }
}

impl From<&String> for J {
    fn from(v: &String) -> J {
        J::Str(v.clone())
    }
}

impl From<bool> for J {
    fn from(v: bool) -> J {
        J::Bool(v)
    }
}

macro_rules! from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for J {
            fn from(v: $t) -> J {
                J::Int(i64::try_from(v).unwrap_or(i64::MAX))
            }
        }
    )*};
}
from_int!(u32, u64, usize, i64);

impl<T: Into<J>> From<Option<T>> for J {
    fn from(v: Option<T>) -> J {
        v.map_or(J::Null, Into::into)
    }
}

impl From<Vec<J>> for J {
    fn from(v: Vec<J>) -> J {
        J::Arr(v)
    }
}

impl From<serde_json::Value> for J {
    fn from(v: serde_json::Value) -> J {
        J::Raw(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_insertion_order() {
        let mut j = J::obj([
            ("generation", "Hi".into()),
            ("prompt_token_count", J::Null),
            ("b", 2u32.into()),
        ]);
        j.push("a", vec![J::from(true), J::from(None::<u32>)]);
        assert_eq!(
            j.text(),
            r#"{"generation":"Hi","prompt_token_count":null,"b":2,"a":[true,null]}"#
        );
        j.set("b", "x");
        assert_eq!(
            j.sorted().text(),
            r#"{"a":[true,null],"b":"x","generation":"Hi","prompt_token_count":null}"#
        );
    }
}
