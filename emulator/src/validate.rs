//! Service-model validation for the JSON operations added after the text ones (CountTokens,
//! ApplyGuardrail, InvokeGuardrailChecks, the async-invoke trio): required members, types,
//! enums, lengths, patterns and exactly-one-member unions, each answered with the service
//! framework's message (`1 validation error detected: Value '…' at '…' failed to satisfy
//! constraint: Member must …`), as Converse's are in `converse.rs`. Also the one error type
//! these operations return.

use serde_json::{Map, Value};

/// The longest value a validation message quotes (in bytes, cut at a character boundary):
/// a 25 MB body must not come back as a 25 MB message.
const MAX_SHOWN: usize = 256;

/// An error answered by one of these operations: HTTP status, error code, message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OpError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

impl OpError {
    pub(crate) fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        OpError {
            status,
            code,
            message: message.into(),
        }
    }

    pub(crate) fn validation(message: impl Into<String>) -> Self {
        Self::new(400, "ValidationException", message)
    }
}

impl From<String> for OpError {
    fn from(message: String) -> Self {
        OpError::validation(message)
    }
}

/// A value as the framework quotes it: `null`, `'text'` or `'<json>'`, cut to [`MAX_SHOWN`].
fn shown(value: &Value) -> String {
    let text = match value {
        Value::Null => return "null".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut cut = text.len().min(MAX_SHOWN);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    if cut < text.len() {
        format!("'{}…'", &text[..cut])
    } else {
        format!("'{text}'")
    }
}

/// `1 validation error detected: Value <v> at '<path>' failed to satisfy constraint: Member
/// must <rule>`.
pub(crate) fn constraint(value: &Value, path: &str, rule: &str) -> String {
    format!(
        "1 validation error detected: Value {} at '{path}' failed to satisfy constraint: \
         Member must {rule}",
        shown(value)
    )
}

/// The member `key` of `obj`; missing or `null` is "must not be null".
pub(crate) fn required<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<&'a Value, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Err(constraint(&Value::Null, path, "not be null")),
        Some(v) => Ok(v),
    }
}

/// The member `key` of `obj` unless it is missing or `null`.
pub(crate) fn optional<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.get(key).filter(|v| !v.is_null())
}

pub(crate) fn object<'a>(v: &'a Value, path: &str) -> Result<&'a Map<String, Value>, String> {
    v.as_object()
        .ok_or_else(|| constraint(v, path, "be a structure"))
}

pub(crate) fn list<'a>(v: &'a Value, path: &str) -> Result<&'a Vec<Value>, String> {
    v.as_array().ok_or_else(|| constraint(v, path, "be a list"))
}

pub(crate) fn string<'a>(v: &'a Value, path: &str) -> Result<&'a str, String> {
    v.as_str().ok_or_else(|| constraint(v, path, "be a string"))
}

/// A string of `min..=max` characters (Unicode scalar values, as Smithy counts them).
pub(crate) fn length(s: &str, path: &str, min: usize, max: usize) -> Result<(), String> {
    let n = s.chars().count();
    if n < min {
        return Err(constraint(
            &Value::from(s),
            path,
            &format!("have length greater than or equal to {min}"),
        ));
    }
    if n > max {
        return Err(constraint(
            &Value::from(s),
            path,
            &format!("have length less than or equal to {max}"),
        ));
    }
    Ok(())
}

/// A string matching `pattern` (whose text the message quotes), as decided by `matches`.
pub(crate) fn pattern(
    s: &str,
    path: &str,
    pattern: &str,
    matches: impl Fn(&str) -> bool,
) -> Result<(), String> {
    if matches(s) {
        Ok(())
    } else {
        Err(constraint(
            &Value::from(s),
            path,
            &format!("satisfy regular expression pattern: {pattern}"),
        ))
    }
}

/// A string that is one of `values`.
pub(crate) fn one_of<'a>(v: &'a Value, path: &str, values: &[&str]) -> Result<&'a str, String> {
    match v.as_str() {
        Some(s) if values.contains(&s) => Ok(s),
        _ => Err(constraint(
            v,
            path,
            &format!("satisfy enum value set: [{}]", values.join(", ")),
        )),
    }
}

/// A union: exactly one of `members` set (non-null), and nothing else. Returns the member
/// name and its value.
pub(crate) fn union<'a>(
    v: &'a Value,
    path: &str,
    members: &[&'static str],
) -> Result<(&'static str, &'a Value), String> {
    let obj = object(v, path)?;
    let set: Vec<(&String, &Value)> = obj.iter().filter(|(_, v)| !v.is_null()).collect();
    let bad = || {
        constraint(
            v,
            path,
            &format!(
                "have exactly one member set, one of [{}]",
                members.join(", ")
            ),
        )
    };
    match set.as_slice() {
        [(name, value)] => members
            .iter()
            .find(|m| **m == name.as_str())
            .map(|m| (*m, *value))
            .ok_or_else(bad),
        _ => Err(bad()),
    }
}

/// A whole number in `min..=max`.
pub(crate) fn integer(v: &Value, path: &str, min: i64, max: i64) -> Result<i64, String> {
    let n = v
        .as_i64()
        .ok_or_else(|| constraint(v, path, "be an integer"))?;
    if n < min {
        return Err(constraint(
            v,
            path,
            &format!("have value greater than or equal to {min}"),
        ));
    }
    if n > max {
        return Err(constraint(
            v,
            path,
            &format!("have value less than or equal to {max}"),
        ));
    }
    Ok(n)
}

/// `[a-z0-9]+`-style checks without a regex engine.
pub(crate) fn all_bytes(s: &str, ok: impl Fn(u8) -> bool) -> bool {
    s.bytes().all(ok)
}

pub(crate) fn lower_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

/// An ARN `arn:aws[-partition]:service:region:account:resource` split into its four last
/// parts, or `None` when `s` does not have that shape.
pub(crate) fn arn_parts(s: &str) -> Option<[&str; 4]> {
    let rest = s.strip_prefix("arn:aws")?;
    // Optional `-partition` suffix: `-` then anything but `:`.
    let rest = match rest.strip_prefix('-') {
        Some(p) => match p.split_once(':') {
            Some((part, r)) if !part.is_empty() => r,
            _ => return None,
        },
        None => rest.strip_prefix(':')?,
    };
    let mut parts = rest.splitn(4, ':');
    Some([parts.next()?, parts.next()?, parts.next()?, parts.next()?])
}

/// A Bedrock ARN's region (1 to 20 of `[a-z0-9-]`) and account (12 digits) are well formed
/// and its resource is `{kind}/` followed by what `id` accepts.
pub(crate) fn is_bedrock_arn(s: &str, kind: &str, id: impl Fn(&str) -> bool) -> bool {
    let Some([service, region, account, resource]) = arn_parts(s) else {
        return false;
    };
    service == "bedrock"
        && (1..=20).contains(&region.len())
        && all_bytes(region, |b| lower_alnum(b) || b == b'-')
        && account.len() == 12
        && all_bytes(account, |b| b.is_ascii_digit())
        && resource
            .strip_prefix(kind)
            .and_then(|r| r.strip_prefix('/'))
            .is_some_and(id)
}

/// Number of text units: one per started 1,000 characters (Bedrock Guardrails' unit).
pub(crate) fn text_units(chars: usize) -> u64 {
    u64::try_from(chars.div_ceil(1000)).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn messages_in_the_framework_style() {
        let o = json!({"a": null, "b": 5});
        let o = o.as_object().unwrap();
        assert_eq!(
            required(o, "a", "x.a").unwrap_err(),
            "1 validation error detected: Value null at 'x.a' failed to satisfy constraint: Member must not be null"
        );
        assert_eq!(
            integer(&json!(0), "maxResults", 1, 1000).unwrap_err(),
            "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1"
        );
        assert!(one_of(&json!("X"), "s", &["INPUT", "OUTPUT"])
            .unwrap_err()
            .ends_with("Member must satisfy enum value set: [INPUT, OUTPUT]"));
        assert!(length("", "t", 1, 2)
            .unwrap_err()
            .ends_with("have length greater than or equal to 1"));
        assert!(length("ééé", "t", 1, 2)
            .unwrap_err()
            .ends_with("have length less than or equal to 2"));
        assert!(union(&json!({"a":1,"b":2}), "u", &["a", "b"]).is_err());
        assert!(union(&json!({}), "u", &["a", "b"]).is_err());
        assert!(union(&json!({"c":1}), "u", &["a", "b"]).is_err());
        assert_eq!(
            union(&json!({"b":2,"a":null}), "u", &["a", "b"]).unwrap().0,
            "b"
        );
        let long = "é".repeat(1000);
        let m = constraint(&Value::from(long), "p", "x");
        assert!(m.len() < 400 && m.contains("…"));
        assert_eq!(text_units(0), 0);
        assert_eq!(text_units(1000), 1);
        assert_eq!(text_units(1001), 2);
    }
}
